//! Invoices (E23–E26).

use billing_http_core::Request;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::client::{Api, Client, Write, clamp_page_size};
use crate::error::Error;
use crate::model::datetime::format_date;
use crate::model::{
    CompanyId, DraftMonth, Invoice, InvoiceId, InvoiceItem, InvoiceSortField, InvoiceStatus, Page,
    Sort,
};
use crate::pagination::Paginator;
use crate::paths::Endpoint;
use crate::query::{opt, paging, setters, sort};

/// Query of `GET /invoices` (E23). Dates are sent as `YYYY-MM-DD`, amounts as plain decimals.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListInvoices {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Page size.
    pub size: Option<u32>,
    /// Sort.
    pub sort: Option<Sort<InvoiceSortField>>,
    /// A raw `sort` value sent verbatim instead of [`Self::sort`] (an escape hatch for values
    /// the typed sort cannot express).
    pub sort_raw: Option<String>,
    /// Status filter (`Nothing Due` has a space).
    pub status: Option<InvoiceStatus>,
    /// Exact invoice date.
    pub invoice_date: Option<NaiveDate>,
    /// Invoice date range start.
    pub invoice_date_range_start: Option<NaiveDate>,
    /// Invoice date range end.
    pub invoice_date_range_end: Option<NaiveDate>,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Total.
    pub total: Option<Decimal>,
    /// Balance.
    pub balance: Option<Decimal>,
    /// Carried balance.
    pub carried_balance: Option<Decimal>,
    /// Company filter.
    pub company_id: Option<CompanyId>,
}

setters!(ListInvoices {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
    /// Sets the sort.
    sort: Sort<InvoiceSortField>,
    /// Sends a raw `sort` value verbatim (wins over `sort`).
    sort_raw: String,
    /// Filters by status.
    status: InvoiceStatus,
    /// Filters by invoice date.
    invoice_date: NaiveDate,
    /// Filters from this invoice date.
    invoice_date_range_start: NaiveDate,
    /// Filters up to this invoice date.
    invoice_date_range_end: NaiveDate,
    /// Filters by due date.
    due_date: NaiveDate,
    /// Filters by total.
    total: Decimal,
    /// Filters by balance.
    balance: Decimal,
    /// Filters by carried balance.
    carried_balance: Decimal,
    /// Filters by company.
    company_id: CompanyId,
});

impl ListInvoices {
    /// A query with no filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The request for one page.
    pub fn request(&self, page: u32, size: u32) -> Request {
        let date = |d: &Option<NaiveDate>| d.map(format_date);
        let r = paging(Endpoint::ListInvoices.collection(), page, size);
        let r = sort(r, self.sort.as_ref(), self.sort_raw.as_ref());
        let r = opt(r, "status", self.status.as_ref());
        let r = opt(r, "invoiceDate", date(&self.invoice_date).as_ref());
        let r = opt(
            r,
            "invoiceDateRangeStart",
            date(&self.invoice_date_range_start).as_ref(),
        );
        let r = opt(
            r,
            "invoiceDateRangeEnd",
            date(&self.invoice_date_range_end).as_ref(),
        );
        let r = opt(r, "dueDate", date(&self.due_date).as_ref());
        let r = opt(r, "total", self.total.as_ref());
        let r = opt(r, "balance", self.balance.as_ref());
        let r = opt(r, "carriedBalance", self.carried_balance.as_ref());
        opt(r, "companyId", self.company_id.as_ref())
    }
}

/// Query of `GET /invoices/{id}/items` (E25).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListInvoiceItems {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Page size.
    pub size: Option<u32>,
}

setters!(ListInvoiceItems {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
});

impl ListInvoiceItems {
    /// A default query.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Query of `GET /invoices/draftItems` (E26). The month is a required argument of the call,
/// not a field here, because the server's default (next month) surprises callers (PAX8-Q43).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListDraftItems {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Page size.
    pub size: Option<u32>,
    /// Company filter.
    pub company_id: Option<CompanyId>,
}

setters!(ListDraftItems {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
    /// Filters by company.
    company_id: CompanyId,
});

impl ListDraftItems {
    /// A query with no filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The request for one page of `month`.
    pub fn request(&self, month: DraftMonth, page: u32, size: u32) -> Request {
        let r = paging(Endpoint::DraftItems.collection(), page, size)
            .query("monthOffset", month.month_offset().to_string());
        opt(r, "companyId", self.company_id.as_ref())
    }
}

/// Invoice calls. Get one with [`Client::invoices`].
#[derive(Debug, Clone)]
pub struct Invoices {
    client: Client,
}

impl Client {
    /// Invoice calls (E23–E26).
    pub fn invoices(&self) -> Invoices {
        Invoices {
            client: self.clone(),
        }
    }
}

fn items_request(id: &InvoiceId, page: u32, size: u32) -> Result<Request, Error> {
    Ok(paging(
        Endpoint::InvoiceItems.request(&[id.as_str()])?,
        page,
        size,
    ))
}

impl Invoices {
    /// E23: one page of invoices.
    pub async fn list(&self, query: ListInvoices) -> Result<Page<Invoice>, Error> {
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(Api::V1, query.request(query.page.unwrap_or(0), size))
            .await
    }

    /// E23: a lazy walk over all invoices.
    pub fn list_all(&self, query: ListInvoices) -> Paginator<Invoice> {
        let (page, size) = (query.page, query.size);
        Paginator::new(self.client.clone(), page, size, move |p, s| {
            Ok(query.request(p, s))
        })
    }

    /// E24: one invoice (a single object despite its copy-pasted description, PAX8-Q30).
    pub async fn get(&self, id: impl Into<InvoiceId>) -> Result<Invoice, Error> {
        let id = id.into();
        self.client
            .send_json(Endpoint::GetInvoice.request(&[id.as_str()])?, Write::Read)
            .await
    }

    /// E25: one page of an invoice's items.
    pub async fn items(
        &self,
        id: impl Into<InvoiceId>,
        query: ListInvoiceItems,
    ) -> Result<Page<InvoiceItem>, Error> {
        let id = id.into();
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(Api::V1, items_request(&id, query.page.unwrap_or(0), size)?)
            .await
    }

    /// E25: a lazy walk over an invoice's items.
    pub fn items_all(
        &self,
        id: impl Into<InvoiceId>,
        query: ListInvoiceItems,
    ) -> Paginator<InvoiceItem> {
        let id = id.into();
        Paginator::new(self.client.clone(), query.page, query.size, move |p, s| {
            items_request(&id, p, s)
        })
    }

    /// E26: one page of draft items of `month` (always sent, PAX8-Q43). This endpoint can answer
    /// 408, which is [`Error::Timeout`] and retried (PAX8-Q45).
    pub async fn draft_items(
        &self,
        month: DraftMonth,
        query: ListDraftItems,
    ) -> Result<Page<InvoiceItem>, Error> {
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(Api::V1, query.request(month, query.page.unwrap_or(0), size))
            .await
    }

    /// E26: a lazy walk over the draft items of `month`. Consider a longer timeout and a smaller
    /// page size for large tenants (PAX8-Q45).
    pub fn draft_items_all(
        &self,
        month: DraftMonth,
        query: ListDraftItems,
    ) -> Paginator<InvoiceItem> {
        let (page, size) = (query.page, query.size);
        Paginator::new(self.client.clone(), page, size, move |p, s| {
            Ok(query.request(month, p, s))
        })
    }
}
