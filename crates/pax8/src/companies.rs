//! Companies (E01–E04) and their contacts (E05–E09).
//!
//! Contacts exist only under a company: reach them through
//! [`Companies::contacts`] (PAX8-Q09).

use billing_http_core::Request;

use crate::client::{Api, Client, Write, clamp_page_size, with_body};
use crate::error::Error;
use crate::model::{
    Company, CompanyId, CompanySortField, CompanyStatus, CompanyUpdate, Contact, ContactId,
    ContactInput, NewCompany, Page, Sort,
};
use crate::pagination::Paginator;
use crate::paths::Endpoint;
use crate::query::{opt, paging, setters, sort};

/// Query of `GET /companies` (E01). Every field is optional; `None` is not sent.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListCompanies {
    /// Zero-based page (default 0).
    pub page: Option<u32>,
    /// Page size (default 200, clamped to 1..=200).
    pub size: Option<u32>,
    /// Sort, sent as one `field,direction` value (PAX8-Q31).
    pub sort: Option<Sort<CompanySortField>>,
    /// A raw `sort` value sent verbatim instead of [`Self::sort`] (an escape hatch for values
    /// the typed sort cannot express).
    pub sort_raw: Option<String>,
    /// City filter.
    pub city: Option<String>,
    /// Country filter.
    pub country: Option<String>,
    /// State or province filter.
    pub state_or_province: Option<String>,
    /// Postal code filter.
    pub postal_code: Option<String>,
    /// `selfServiceAllowed` filter.
    pub self_service_allowed: Option<bool>,
    /// `billOnBehalfOfEnabled` filter.
    pub bill_on_behalf_of_enabled: Option<bool>,
    /// `orderApprovalRequired` filter.
    pub order_approval_required: Option<bool>,
    /// Status filter.
    pub status: Option<CompanyStatus>,
}

setters!(ListCompanies {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
    /// Sets the sort.
    sort: Sort<CompanySortField>,
    /// Sends a raw `sort` value verbatim (wins over `sort`).
    sort_raw: String,
    /// Filters by city.
    city: String,
    /// Filters by country.
    country: String,
    /// Filters by state or province.
    state_or_province: String,
    /// Filters by postal code.
    postal_code: String,
    /// Filters by `selfServiceAllowed`.
    self_service_allowed: bool,
    /// Filters by `billOnBehalfOfEnabled`.
    bill_on_behalf_of_enabled: bool,
    /// Filters by `orderApprovalRequired`.
    order_approval_required: bool,
    /// Filters by status.
    status: CompanyStatus,
});

impl ListCompanies {
    /// A query with no filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The request for one page.
    pub fn request(&self, page: u32, size: u32) -> Request {
        let r = paging(Endpoint::ListCompanies.collection(), page, size);
        let r = sort(r, self.sort.as_ref(), self.sort_raw.as_ref());
        let r = opt(r, "city", self.city.as_ref());
        let r = opt(r, "country", self.country.as_ref());
        let r = opt(r, "stateOrProvince", self.state_or_province.as_ref());
        let r = opt(r, "postalCode", self.postal_code.as_ref());
        let r = opt(r, "selfServiceAllowed", self.self_service_allowed.as_ref());
        let r = opt(
            r,
            "billOnBehalfOfEnabled",
            self.bill_on_behalf_of_enabled.as_ref(),
        );
        let r = opt(
            r,
            "orderApprovalRequired",
            self.order_approval_required.as_ref(),
        );
        opt(r, "status", self.status.as_ref())
    }
}

/// Query of `GET /companies/{id}/contacts` (E06). Contacts come newest first.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListContacts {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Page size.
    pub size: Option<u32>,
}

setters!(ListContacts {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
});

impl ListContacts {
    /// A default query.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Company calls. Get one with [`Client::companies`].
#[derive(Debug, Clone)]
pub struct Companies {
    client: Client,
}

impl Client {
    /// Company calls (E01–E04) and, through [`Companies::contacts`], contact calls (E05–E09).
    pub fn companies(&self) -> Companies {
        Companies {
            client: self.clone(),
        }
    }
}

impl Companies {
    /// E01: one page of companies.
    pub async fn list(&self, query: ListCompanies) -> Result<Page<Company>, Error> {
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(Api::V1, query.request(query.page.unwrap_or(0), size))
            .await
    }

    /// E01: a lazy walk over all companies (`list_all(Default::default())` lists them all).
    pub fn list_all(&self, query: ListCompanies) -> Paginator<Company> {
        let (page, size) = (query.page, query.size);
        Paginator::new(self.client.clone(), page, size, move |p, s| {
            Ok(query.request(p, s))
        })
    }

    /// E02: creates a company. Returns 200, not 201 (PAX8-Q53). Not retried automatically unless
    /// [`ClientBuilder::retry_writes`](crate::ClientBuilder::retry_writes) is set: there is no
    /// idempotency key, so a retry could create a duplicate; on an error that
    /// [`is_outcome_unknown`](Error::is_outcome_unknown), look the company up first. Without
    /// primary contacts for Admin, Billing and Technical the company stays `Inactive`
    /// (PAX8-Q37). The body is checked against the spec first ([`NewCompany::validate`]).
    pub async fn create(&self, company: &NewCompany) -> Result<Company, Error> {
        let op = Endpoint::CreateCompany.operation();
        company
            .validate()
            .map_err(|m| Error::invalid_input(op, m))?;
        let req = with_body(Endpoint::CreateCompany.collection(), company)?;
        self.client
            .send_create(req, Write::OptIn, |c: &Company| c.id.is_some())
            .await
    }

    /// E03: one company; a missing one is an error with
    /// [`is_not_found`](Error::is_not_found) (use [`OptionalExt`](crate::OptionalExt) for an
    /// `Option`).
    pub async fn get(&self, id: impl Into<CompanyId>) -> Result<Company, Error> {
        let id = id.into();
        self.client
            .send_json(Endpoint::GetCompany.request(&[id.as_str()])?, Write::Read)
            .await
    }

    /// E04: `PATCH` with only the fields that are set (PAX8-Q10). An empty update (or one the
    /// spec forbids, [`CompanyUpdate::validate`]) is refused without any HTTP call.
    pub async fn update(
        &self,
        id: impl Into<CompanyId>,
        update: &CompanyUpdate,
    ) -> Result<Company, Error> {
        let id = id.into();
        let op = Endpoint::UpdateCompany.operation();
        update.validate().map_err(|m| Error::invalid_input(op, m))?;
        let req = with_body(Endpoint::UpdateCompany.request(&[id.as_str()])?, update)?;
        self.client.send_json(req, Write::OptIn).await
    }

    /// Contact calls of one company (PAX8-Q09).
    pub fn contacts(&self, company: impl Into<CompanyId>) -> Contacts {
        Contacts {
            client: self.client.clone(),
            company: company.into(),
        }
    }
}

/// Contact calls of one company. Get one with [`Companies::contacts`].
#[derive(Debug, Clone)]
pub struct Contacts {
    client: Client,
    company: CompanyId,
}

impl Contacts {
    fn list_request(&self, page: u32, size: u32) -> Result<Request, Error> {
        Ok(paging(
            Endpoint::ListContacts.request(&[self.company.as_str()])?,
            page,
            size,
        ))
    }

    /// E06: one page of contacts (newest first).
    pub async fn list(&self, query: ListContacts) -> Result<Page<Contact>, Error> {
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(Api::V1, self.list_request(query.page.unwrap_or(0), size)?)
            .await
    }

    /// E06: a lazy walk over all contacts.
    pub fn list_all(&self, query: ListContacts) -> Paginator<Contact> {
        let this = self.clone();
        Paginator::new(self.client.clone(), query.page, query.size, move |p, s| {
            this.list_request(p, s)
        })
    }

    /// E05: creates a contact (200, PAX8-Q53). The body has no `companyId` (PAX8-Q09). Not
    /// retried automatically unless writes are opted in.
    pub async fn create(&self, contact: &ContactInput) -> Result<Contact, Error> {
        let req = with_body(
            Endpoint::CreateContact.request(&[self.company.as_str()])?,
            contact,
        )?;
        self.client
            .send_create(req, Write::OptIn, |c: &Contact| c.id.is_some())
            .await
    }

    /// E07: one contact.
    pub async fn get(&self, id: impl Into<ContactId>) -> Result<Contact, Error> {
        let id = id.into();
        self.client
            .send_json(
                Endpoint::GetContact.request(&[self.company.as_str(), id.as_str()])?,
                Write::Read,
            )
            .await
    }

    /// E08: replaces a contact. The `PUT` is a full replacement: fields left out (such as
    /// `types`) are probably reset (PAX8-Q11).
    pub async fn replace(
        &self,
        id: impl Into<ContactId>,
        contact: &ContactInput,
    ) -> Result<Contact, Error> {
        let id = id.into();
        let req = with_body(
            Endpoint::ReplaceContact.request(&[self.company.as_str(), id.as_str()])?,
            contact,
        )?;
        self.client.send_json(req, Write::OptIn).await
    }

    /// E07 + E08: fetches the contact, applies `change` to its writable fields and `PUT`s the
    /// full body (PAX8-Q11). The read-modify-write is **not atomic**: a change made by someone
    /// else between the two calls is overwritten.
    pub async fn update_with(
        &self,
        id: impl Into<ContactId>,
        change: impl FnOnce(&mut ContactInput),
    ) -> Result<Contact, Error> {
        let id = id.into();
        let current = self.get(id.clone()).await?;
        let mut input = current.to_input();
        change(&mut input);
        self.replace(id, &input).await
    }

    /// E09: deletes a contact (204, empty body, PAX8-Q53).
    pub async fn delete(&self, id: impl Into<ContactId>) -> Result<(), Error> {
        let id = id.into();
        self.client
            .send_empty(
                Endpoint::DeleteContact.request(&[self.company.as_str(), id.as_str()])?,
                Write::OptIn,
            )
            .await
    }
}
