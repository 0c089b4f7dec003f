//! The 29 path templates of the Partner API v1, in one place (PAX8-Q07, PAX8-Q08).
//!
//! Spelling matters: `provision-details`, `usage-summaries` and `usage-lines` are kebab-case,
//! `draftItems` is camelCase. Ids are percent-encoded (PAX8-Q17).

use billing_http_core::Method;

use crate::error::Error;

/// Percent-encodes one id as a path segment (everything but RFC 3986 unreserved characters is
/// encoded, so `/`, `?`, `#` and `%` cannot change the path).
///
/// An id that would still change the path's shape is refused with an invalid-input error
/// before anything is sent: the empty id (it would address the collection: `GET /companies/`
/// instead of one company) and the dot segments `.` and `..`, which URL parsers resolve
/// (`DELETE /subscriptions/..` would become `DELETE /`), whether written plainly or
/// percent-encoded.
pub fn seg(id: impl AsRef<str>) -> Result<String, Error> {
    seg_in("", id.as_ref())
}

/// [`seg`] for `operation` (named in the error).
fn seg_in(operation: &str, id: &str) -> Result<String, Error> {
    if matches!(id, "" | "." | "..") {
        let shown = if id.is_empty() {
            "an empty id"
        } else {
            "a dot segment"
        };
        return Err(Error::invalid_input(
            operation,
            format!("{shown} ({id:?}) cannot be used as a path segment"),
        ));
    }
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// One Partner API v1 endpoint, numbered as in the vendor reference (§4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// E01 `GET /companies`.
    ListCompanies,
    /// E02 `POST /companies`.
    CreateCompany,
    /// E03 `GET /companies/{companyId}`.
    GetCompany,
    /// E04 `PATCH /companies/{companyId}`.
    UpdateCompany,
    /// E05 `POST /companies/{companyId}/contacts`.
    CreateContact,
    /// E06 `GET /companies/{companyId}/contacts`.
    ListContacts,
    /// E07 `GET /companies/{companyId}/contacts/{contactId}`.
    GetContact,
    /// E08 `PUT /companies/{companyId}/contacts/{contactId}`.
    ReplaceContact,
    /// E09 `DELETE /companies/{companyId}/contacts/{contactId}`.
    DeleteContact,
    /// E10 `GET /products`.
    ListProducts,
    /// E11 `GET /products/{productId}`.
    GetProduct,
    /// E12 `GET /products/{productId}/provision-details`.
    ProvisionDetails,
    /// E13 `GET /products/{productId}/dependencies`.
    Dependencies,
    /// E14 `GET /products/{productId}/pricing`.
    Pricing,
    /// E15 `GET /orders`.
    ListOrders,
    /// E16 `POST /orders`.
    CreateOrder,
    /// E17 `GET /orders/{orderId}`.
    GetOrder,
    /// E18 `GET /subscriptions`.
    ListSubscriptions,
    /// E19 `GET /subscriptions/{subscriptionId}`.
    GetSubscription,
    /// E20 `PUT /subscriptions/{subscriptionId}`.
    UpdateSubscription,
    /// E21 `DELETE /subscriptions/{subscriptionId}`.
    CancelSubscription,
    /// E22 `GET /subscriptions/{subscriptionId}/history`.
    SubscriptionHistory,
    /// E23 `GET /invoices`.
    ListInvoices,
    /// E24 `GET /invoices/{invoiceId}`.
    GetInvoice,
    /// E25 `GET /invoices/{invoiceId}/items`.
    InvoiceItems,
    /// E26 `GET /invoices/draftItems`.
    DraftItems,
    /// E27 `GET /subscriptions/{subscriptionId}/usage-summaries`.
    UsageSummaries,
    /// E28 `GET /usage-summaries/{usageSummaryId}`.
    GetUsageSummary,
    /// E29 `GET /usage-summaries/{usageSummaryId}/usage-lines`.
    UsageLines,
}

impl Endpoint {
    /// All 29 endpoints, E01 to E29.
    pub const ALL: [Endpoint; 29] = [
        Self::ListCompanies,
        Self::CreateCompany,
        Self::GetCompany,
        Self::UpdateCompany,
        Self::CreateContact,
        Self::ListContacts,
        Self::GetContact,
        Self::ReplaceContact,
        Self::DeleteContact,
        Self::ListProducts,
        Self::GetProduct,
        Self::ProvisionDetails,
        Self::Dependencies,
        Self::Pricing,
        Self::ListOrders,
        Self::CreateOrder,
        Self::GetOrder,
        Self::ListSubscriptions,
        Self::GetSubscription,
        Self::UpdateSubscription,
        Self::CancelSubscription,
        Self::SubscriptionHistory,
        Self::ListInvoices,
        Self::GetInvoice,
        Self::InvoiceItems,
        Self::DraftItems,
        Self::UsageSummaries,
        Self::GetUsageSummary,
        Self::UsageLines,
    ];

    /// HTTP method.
    pub fn method(self) -> Method {
        use Endpoint::*;
        match self {
            CreateCompany | CreateContact | CreateOrder => Method::POST,
            UpdateCompany => Method::PATCH,
            ReplaceContact | UpdateSubscription => Method::PUT,
            DeleteContact | CancelSubscription => Method::DELETE,
            _ => Method::GET,
        }
    }

    /// Path template exactly as documented (placeholders in braces).
    pub fn template(self) -> &'static str {
        use Endpoint::*;
        match self {
            ListCompanies | CreateCompany => "/companies",
            GetCompany | UpdateCompany => "/companies/{companyId}",
            CreateContact | ListContacts => "/companies/{companyId}/contacts",
            GetContact | ReplaceContact | DeleteContact => {
                "/companies/{companyId}/contacts/{contactId}"
            }
            ListProducts => "/products",
            GetProduct => "/products/{productId}",
            ProvisionDetails => "/products/{productId}/provision-details",
            Dependencies => "/products/{productId}/dependencies",
            Pricing => "/products/{productId}/pricing",
            ListOrders | CreateOrder => "/orders",
            GetOrder => "/orders/{orderId}",
            ListSubscriptions => "/subscriptions",
            GetSubscription | UpdateSubscription | CancelSubscription => {
                "/subscriptions/{subscriptionId}"
            }
            SubscriptionHistory => "/subscriptions/{subscriptionId}/history",
            ListInvoices => "/invoices",
            GetInvoice => "/invoices/{invoiceId}",
            InvoiceItems => "/invoices/{invoiceId}/items",
            DraftItems => "/invoices/draftItems",
            UsageSummaries => "/subscriptions/{subscriptionId}/usage-summaries",
            GetUsageSummary => "/usage-summaries/{usageSummaryId}",
            UsageLines => "/usage-summaries/{usageSummaryId}/usage-lines",
        }
    }

    /// The operation name used in logs and errors (`companies.list`, ...).
    pub fn operation(self) -> &'static str {
        use Endpoint::*;
        match self {
            ListCompanies => "companies.list",
            CreateCompany => "companies.create",
            GetCompany => "companies.get",
            UpdateCompany => "companies.update",
            CreateContact => "contacts.create",
            ListContacts => "contacts.list",
            GetContact => "contacts.get",
            ReplaceContact => "contacts.replace",
            DeleteContact => "contacts.delete",
            ListProducts => "products.list",
            GetProduct => "products.get",
            ProvisionDetails => "products.provision_details",
            Dependencies => "products.dependencies",
            Pricing => "products.pricing",
            ListOrders => "orders.list",
            CreateOrder => "orders.create",
            GetOrder => "orders.get",
            ListSubscriptions => "subscriptions.list",
            GetSubscription => "subscriptions.get",
            UpdateSubscription => "subscriptions.update",
            CancelSubscription => "subscriptions.cancel",
            SubscriptionHistory => "subscriptions.history",
            ListInvoices => "invoices.list",
            GetInvoice => "invoices.get",
            InvoiceItems => "invoices.items",
            DraftItems => "invoices.draft_items",
            UsageSummaries => "subscriptions.usage_summaries",
            GetUsageSummary => "usage_summaries.get",
            UsageLines => "usage_summaries.lines",
        }
    }

    /// Fills the template with percent-encoded ids, in order of appearance. Refuses a wrong
    /// number of ids and any id [`seg`] refuses, so the path always has the template's shape.
    pub fn path(self, ids: &[&str]) -> Result<String, Error> {
        let mut out = String::new();
        let mut ids = ids.iter();
        for part in self.template().split('/').skip(1) {
            out.push('/');
            if part.starts_with('{') {
                let Some(id) = ids.next() else {
                    return Err(Error::invalid_input(
                        self.operation(),
                        format!("an id is missing for {part}"),
                    ));
                };
                out.push_str(&seg_in(self.operation(), id)?);
            } else {
                out.push_str(part);
            }
        }
        if ids.next().is_some() {
            return Err(Error::invalid_input(
                self.operation(),
                "too many ids for this path",
            ));
        }
        Ok(out)
    }

    /// A request for this endpoint with the given ids (no query or body yet); see
    /// [`Endpoint::path`].
    pub fn request(self, ids: &[&str]) -> Result<billing_http_core::Request, Error> {
        Ok(billing_http_core::Request::new(
            self.method(),
            self.path(ids)?,
            self.operation(),
        ))
    }

    /// The request of an endpoint whose path has no id (`GET /companies`, `POST /orders`, …).
    pub(crate) fn collection(self) -> billing_http_core::Request {
        debug_assert!(!self.template().contains('{'), "{self:?} needs ids");
        billing_http_core::Request::new(self.method(), self.template(), self.operation())
    }
}
