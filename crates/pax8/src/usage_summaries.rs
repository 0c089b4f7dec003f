//! Usage summaries by id (E28) and their usage lines (E29). There is no flat list of usage
//! summaries: list them through a subscription (PAX8-Q07).
//!
//! `usageDate` is required on usage lines and is a positional argument (PAX8-Q06):
//!
//! ```compile_fail
//! # async fn f(client: pax8::Client, id: pax8::UsageSummaryId) {
//! // does not compile: the usage date is missing
//! let page = client.usage_summaries().lines(id, pax8::ListUsageLines::new()).await;
//! # }
//! ```

use billing_http_core::Request;
use chrono::NaiveDate;

use crate::client::{Api, Client, Write, clamp_page_size};
use crate::error::Error;
use crate::model::datetime::format_date;
use crate::model::{Page, ProductId, UsageLine, UsageSummary, UsageSummaryId};
use crate::pagination::Paginator;
use crate::paths::Endpoint;
use crate::query::{opt, paging, setters};

/// Query of `GET /usage-summaries/{id}/usage-lines` (E29), besides the required date. `page` and
/// `size` are undocumented but accepted (PAX8-Q05).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListUsageLines {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Page size.
    pub size: Option<u32>,
    /// Product filter.
    pub product_id: Option<ProductId>,
}

setters!(ListUsageLines {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
    /// Filters by product.
    product_id: ProductId,
});

impl ListUsageLines {
    /// A query with no filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The request for one page of lines of `usage_date`.
    pub fn request(
        &self,
        id: &UsageSummaryId,
        usage_date: NaiveDate,
        page: u32,
        size: u32,
    ) -> Result<Request, Error> {
        let r = paging(Endpoint::UsageLines.request(&[id.as_str()])?, page, size)
            .query("usageDate", format_date(usage_date));
        Ok(opt(r, "productId", self.product_id.as_ref()))
    }
}

/// Usage summary calls. Get one with [`Client::usage_summaries`].
#[derive(Debug, Clone)]
pub struct UsageSummaries {
    client: Client,
}

impl Client {
    /// Usage summary calls (E28, E29).
    pub fn usage_summaries(&self) -> UsageSummaries {
        UsageSummaries {
            client: self.clone(),
        }
    }
}

impl UsageSummaries {
    /// E28: one usage summary (a single object, PAX8-Q30).
    pub async fn get(&self, id: impl Into<UsageSummaryId>) -> Result<UsageSummary, Error> {
        let id = id.into();
        self.client
            .send_json(
                Endpoint::GetUsageSummary.request(&[id.as_str()])?,
                Write::Read,
            )
            .await
    }

    /// E29: one page of usage lines of `usage_date` (required, PAX8-Q06).
    pub async fn lines(
        &self,
        id: impl Into<UsageSummaryId>,
        usage_date: NaiveDate,
        query: ListUsageLines,
    ) -> Result<Page<UsageLine>, Error> {
        let id = id.into();
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(
                Api::V1,
                query.request(&id, usage_date, query.page.unwrap_or(0), size)?,
            )
            .await
    }

    /// E29: a lazy walk over the usage lines of `usage_date`; every page request carries the
    /// date (PAX8-Q05, PAX8-Q06).
    pub fn lines_all(
        &self,
        id: impl Into<UsageSummaryId>,
        usage_date: NaiveDate,
        query: ListUsageLines,
    ) -> Paginator<UsageLine> {
        let (page, size) = (query.page, query.size);
        let id = id.into();
        Paginator::new(self.client.clone(), page, size, move |p, s| {
            query.request(&id, usage_date, p, s)
        })
    }
}
