//! Subscriptions (E18–E22) and their usage summaries (E27).

use billing_http_core::Request;
use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::client::{Api, Client, Write, clamp_page_size, with_body};
use crate::error::Error;
use crate::model::datetime::format_datetime;
use crate::model::{
    BillingTerm, CompanyId, Page, ProductId, Sort, Subscription, SubscriptionId,
    SubscriptionSortField, SubscriptionStatus, SubscriptionUpdate, UsageSummary,
    UsageSummarySortField,
};
use crate::pagination::Paginator;
use crate::paths::Endpoint;
use crate::products::content;
use crate::query::{opt, paging, setters, sort};

/// Query of `GET /subscriptions` (E18).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListSubscriptions {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Page size.
    pub size: Option<u32>,
    /// Sort.
    pub sort: Option<Sort<SubscriptionSortField>>,
    /// A raw `sort` value sent verbatim instead of [`Self::sort`] (an escape hatch for values
    /// the typed sort cannot express).
    pub sort_raw: Option<String>,
    /// Status filter.
    pub status: Option<SubscriptionStatus>,
    /// Billing term filter.
    pub billing_term: Option<BillingTerm>,
    /// Company filter (an invalid id gives 403, PAX8-Q42).
    pub company_id: Option<CompanyId>,
    /// Product filter.
    pub product_id: Option<ProductId>,
}

setters!(ListSubscriptions {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
    /// Sets the sort.
    sort: Sort<SubscriptionSortField>,
    /// Sends a raw `sort` value verbatim (wins over `sort`).
    sort_raw: String,
    /// Filters by status.
    status: SubscriptionStatus,
    /// Filters by billing term.
    billing_term: BillingTerm,
    /// Filters by company.
    company_id: CompanyId,
    /// Filters by product.
    product_id: ProductId,
});

impl ListSubscriptions {
    /// A query with no filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The request for one page.
    pub fn request(&self, page: u32, size: u32) -> Request {
        let r = paging(Endpoint::ListSubscriptions.collection(), page, size);
        let r = sort(r, self.sort.as_ref(), self.sort_raw.as_ref());
        let r = opt(r, "status", self.status.as_ref());
        let r = opt(r, "billingTerm", self.billing_term.as_ref());
        let r = opt(r, "companyId", self.company_id.as_ref());
        opt(r, "productId", self.product_id.as_ref())
    }
}

/// Query of `GET /subscriptions/{id}/usage-summaries` (E27).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListUsageSummaries {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Page size.
    pub size: Option<u32>,
    /// Sort.
    pub sort: Option<Sort<UsageSummarySortField>>,
    /// A raw `sort` value sent verbatim instead of [`Self::sort`] (an escape hatch for values
    /// the typed sort cannot express).
    pub sort_raw: Option<String>,
    /// Resource group filter.
    pub resource_group: Option<String>,
    /// Company filter.
    pub company_id: Option<CompanyId>,
}

setters!(ListUsageSummaries {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
    /// Sets the sort.
    sort: Sort<UsageSummarySortField>,
    /// Sends a raw `sort` value verbatim (wins over `sort`).
    sort_raw: String,
    /// Filters by resource group.
    resource_group: String,
    /// Filters by company.
    company_id: CompanyId,
});

impl ListUsageSummaries {
    /// A query with no filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The request for one page of `subscription`'s summaries (an id that would change the
    /// path's shape is refused).
    pub fn request(
        &self,
        subscription: &SubscriptionId,
        page: u32,
        size: u32,
    ) -> Result<Request, Error> {
        let r = paging(
            Endpoint::UsageSummaries.request(&[subscription.as_str()])?,
            page,
            size,
        );
        let r = sort(r, self.sort.as_ref(), self.sort_raw.as_ref());
        let r = opt(r, "resourceGroup", self.resource_group.as_ref());
        Ok(opt(r, "companyId", self.company_id.as_ref()))
    }
}

/// Subscription calls. Get one with [`Client::subscriptions`].
#[derive(Debug, Clone)]
pub struct Subscriptions {
    client: Client,
}

impl Client {
    /// Subscription calls (E18–E22, E27).
    pub fn subscriptions(&self) -> Subscriptions {
        Subscriptions {
            client: self.clone(),
        }
    }
}

/// The `DELETE /subscriptions/{id}` request for a cancel date (PAX8-Q24).
pub fn cancel_request(
    id: &SubscriptionId,
    cancel_date: Option<DateTime<FixedOffset>>,
) -> Result<Request, Error> {
    let req = Endpoint::CancelSubscription.request(&[id.as_str()])?;
    Ok(match cancel_date {
        Some(at) => req.query("cancelDate", format_datetime(&at)),
        None => req,
    })
}

impl Subscriptions {
    /// E18: one page of subscriptions. A 403 here can mean an invalid `companyId` filter rather
    /// than missing permission (PAX8-Q42).
    pub async fn list(&self, query: ListSubscriptions) -> Result<Page<Subscription>, Error> {
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(Api::V1, query.request(query.page.unwrap_or(0), size))
            .await
    }

    /// E18: a lazy walk over all subscriptions.
    pub fn list_all(&self, query: ListSubscriptions) -> Paginator<Subscription> {
        let (page, size) = (query.page, query.size);
        Paginator::new(self.client.clone(), page, size, move |p, s| {
            Ok(query.request(p, s))
        })
    }

    /// E19: one subscription.
    pub async fn get(&self, id: impl Into<SubscriptionId>) -> Result<Subscription, Error> {
        let id = id.into();
        self.client
            .send_json(
                Endpoint::GetSubscription.request(&[id.as_str()])?,
                Write::Read,
            )
            .await
    }

    /// E20: partial update sending only the fields set (PAX8-Q12). At least one of quantity,
    /// price, billing term and start date is required (checked here, as the spec's `anyOf`
    /// requires, unless the update was built with [`SubscriptionUpdate::unchecked`]). Not
    /// retried on 5xx by default: this call has answered 500 in the wild (PAX8-Q51). Not
    /// supported for future-dated subscriptions (PAX8-Q41).
    pub async fn update(
        &self,
        id: impl Into<SubscriptionId>,
        update: &SubscriptionUpdate,
    ) -> Result<Subscription, Error> {
        let id = id.into();
        let op = Endpoint::UpdateSubscription.operation();
        update.validate().map_err(|m| Error::invalid_input(op, m))?;
        let req = with_body(
            Endpoint::UpdateSubscription.request(&[id.as_str()])?,
            update,
        )?;
        self.client.send_json(req, Write::OptIn).await
    }

    /// E21: cancels, optionally on `cancel_date` (sent as RFC 3339, PAX8-Q24). With `None` no
    /// parameter is sent; the server's default is undocumented. Returns `Ok(())` on 204.
    pub async fn cancel(
        &self,
        id: impl Into<SubscriptionId>,
        cancel_date: Option<DateTime<FixedOffset>>,
    ) -> Result<(), Error> {
        let id = id.into();
        self.client
            .send_empty(cancel_request(&id, cancel_date)?, Write::OptIn)
            .await
    }

    /// E21 on a date: sends midnight UTC of `date`, as Pax8's own CLI does (PAX8-Q24).
    pub async fn cancel_on(
        &self,
        id: impl Into<SubscriptionId>,
        date: NaiveDate,
    ) -> Result<(), Error> {
        let at = date
            .and_hms_opt(0, 0, 0)
            .map(|dt| dt.and_utc().fixed_offset());
        self.cancel(id, at).await
    }

    /// E22: the history of a subscription (content-only envelope, PAX8-Q30).
    pub async fn history(&self, id: impl Into<SubscriptionId>) -> Result<Vec<Subscription>, Error> {
        let id = id.into();
        let req = Endpoint::SubscriptionHistory.request(&[id.as_str()])?;
        Ok(content(self.client.send_page(Api::V1, req).await?))
    }

    /// E27: one page of a subscription's usage summaries.
    pub async fn usage_summaries(
        &self,
        id: impl Into<SubscriptionId>,
        query: ListUsageSummaries,
    ) -> Result<Page<UsageSummary>, Error> {
        let id = id.into();
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(Api::V1, query.request(&id, query.page.unwrap_or(0), size)?)
            .await
    }

    /// E27: a lazy walk over a subscription's usage summaries.
    pub fn usage_summaries_all(
        &self,
        id: impl Into<SubscriptionId>,
        query: ListUsageSummaries,
    ) -> Paginator<UsageSummary> {
        let (page, size) = (query.page, query.size);
        let id = id.into();
        Paginator::new(self.client.clone(), page, size, move |p, s| {
            query.request(&id, p, s)
        })
    }
}
