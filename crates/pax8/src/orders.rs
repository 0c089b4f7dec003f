//! Orders (E15–E17).
//!
//! - Orders have **no status**, and the server ignores `?status=` (PAX8-Q13): the query type
//!   deliberately has no status filter. Fulfilment state lives on the subscriptions that the
//!   line items reference.
//! - `GET /orders` returns the oldest orders first and documents no sort (PAX8-Q21): use
//!   [`Orders::newest`], or the unverified [`ListOrders::sort_raw`] escape hatch.
//! - `POST /orders` has no idempotency key (PAX8-Q14). [`Orders::create`] is **never** re-sent
//!   automatically: not after a 5xx, 408, 429, timeout, connection error or 401. When it fails
//!   with [`Error::is_outcome_unknown`], list the company's orders
//!   (`orders().list_all(ListOrders::new().company_id(..))`) and look for the order before
//!   trying again. [`Orders::validate`] sends the same body with `isMock=true` (a dry run that
//!   persists nothing, PAX8-Q15) and is retried like a read.
//! - The `companyId` filter and by-id lookups do not support scheduled (future-dated) orders
//!   (PAX8-Q41). Large tenants (45,000+ orders) are slow: raise the timeout and consider a
//!   smaller page size (PAX8-Q45).
//!
//! ```no_run
//! use pax8::{BillingTerm, CreateLineItem, CreateOrder, ListOrders, ProvisioningValue};
//!
//! # async fn run(client: pax8::Client) -> Result<(), pax8::Error> {
//! let order = CreateOrder::new("11111111-2222-4333-8444-555555555555").line(
//!     CreateLineItem::new("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", 3, BillingTerm::Annual)
//!         .commitment("99999999-8888-4777-8666-555555555555")
//!         .provisioning(ProvisioningValue::single("exampleDomainPrefix", "examplewidgets")),
//! );
//! client.orders().validate(&order).await?; // dry run: isMock=true
//! match client.orders().create(&order).await {
//!     Ok(placed) => println!("placed {:?}", placed.id),
//!     Err(e) if e.is_outcome_unknown() => {
//!         // Never blindly retry: look for the order first.
//!         let recent = client
//!             .orders()
//!             .newest(ListOrders::new().company_id(order.company_id.clone()), 5)
//!             .await?;
//!         println!("check these before retrying: {recent:?}");
//!     }
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! ```compile_fail
//! // PAX8-Q13: there is no status filter on orders.
//! let q = pax8::orders::ListOrders::new().status("Completed");
//! ```

use billing_http_core::Request;

use crate::client::{Api, Client, Write, clamp_page_size, with_body};
use crate::error::Error;
use crate::model::{CompanyId, CreateOrder, Order, OrderId, Page};
use crate::pagination::Paginator;
use crate::paths::Endpoint;
use crate::query::{opt, paging, setters};

/// Query of `GET /orders` (E15). No status filter exists (PAX8-Q13).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListOrders {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Page size.
    pub size: Option<u32>,
    /// Company filter (not supported for scheduled orders, PAX8-Q41).
    pub company_id: Option<CompanyId>,
    /// A raw `sort` value. Undocumented and unverified for orders (PAX8-Q21); sent verbatim.
    pub sort_raw: Option<String>,
}

setters!(ListOrders {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
    /// Filters by company.
    company_id: CompanyId,
    /// Sends a raw `sort` value such as `createdAt,desc` (undocumented, PAX8-Q21).
    sort_raw: String,
});

impl ListOrders {
    /// A query with no filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The request for one page. No implicit sort is sent.
    pub fn request(&self, page: u32, size: u32) -> Request {
        let r = paging(Endpoint::ListOrders.collection(), page, size);
        let r = opt(r, "companyId", self.company_id.as_ref());
        opt(r, "sort", self.sort_raw.as_ref())
    }
}

/// Order calls. Get one with [`Client::orders`].
#[derive(Debug, Clone)]
pub struct Orders {
    client: Client,
}

impl Client {
    /// Order calls (E15–E17).
    pub fn orders(&self) -> Orders {
        Orders {
            client: self.clone(),
        }
    }
}

/// The order request: `orders.create`, or `orders.validate` with `isMock=true`.
fn order_request(order: &CreateOrder, mock: bool) -> Result<Request, Error> {
    let op = if mock {
        "orders.validate"
    } else {
        "orders.create"
    };
    let prepared = order.prepared().map_err(|m| Error::invalid_input(op, m))?;
    let mut req = Endpoint::CreateOrder.collection();
    req.operation = op.into();
    if mock {
        req = req.query("isMock", "true");
    }
    with_body(req, &prepared)
}

impl Orders {
    /// E15: one page of orders (oldest first).
    pub async fn list(&self, query: ListOrders) -> Result<Page<Order>, Error> {
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(Api::V1, query.request(query.page.unwrap_or(0), size))
            .await
    }

    /// E15: a lazy walk over all orders. Tenants can have tens of thousands of orders: use
    /// [`Paginator::prefetch`] for speed and a longer client timeout (PAX8-Q45).
    pub fn list_all(&self, query: ListOrders) -> Paginator<Order> {
        let (page, size) = (query.page, query.size);
        Paginator::new(self.client.clone(), page, size, move |p, s| {
            Ok(query.request(p, s))
        })
    }

    /// The `n` newest orders, newest first, found by reading the totals of a first call and
    /// walking backwards from the last page, independent of any undocumented sort (PAX8-Q21).
    /// Works whatever the server reports: without totals it walks every page and keeps the
    /// last `n`; a server that ignores `page` gives its one page.
    pub async fn newest(&self, query: ListOrders, n: usize) -> Result<Vec<Order>, Error> {
        self.list_all(query).newest(n).await
    }

    /// E16: places an order. Every line carries the order's `companyId`, lines are numbered
    /// 1..n when unnumbered and parent references are checked first (PAX8-Q25). **Never
    /// retried automatically** (PAX8-Q14, see the module docs); the token is made fresh before
    /// sending. A 2xx answer that cannot be read (or has no order id) is an error that
    /// [`is_outcome_unknown`](Error::is_outcome_unknown): the order may exist.
    pub async fn create(&self, order: &CreateOrder) -> Result<Order, Error> {
        let req = order_request(order, false)?;
        self.client
            .send_create(req, Write::Never, |o: &Order| o.id.is_some())
            .await
    }

    /// E16 with `isMock=true`: validates the order without placing it (PAX8-Q15), labelled
    /// `orders.validate` in errors and spans. Retried like a read, since nothing is persisted.
    pub async fn validate(&self, order: &CreateOrder) -> Result<Order, Error> {
        let req = order_request(order, true)?;
        self.client.send_json(req, Write::Read).await
    }

    /// E17: one order (not supported for scheduled orders, PAX8-Q41).
    pub async fn get(&self, id: impl Into<OrderId>) -> Result<Order, Error> {
        let id = id.into();
        self.client
            .send_json(Endpoint::GetOrder.request(&[id.as_str()])?, Write::Read)
            .await
    }
}
