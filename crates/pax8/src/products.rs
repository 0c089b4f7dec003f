//! Products (E10–E14). Provisioning details, dependencies and pricing are dynamic and never
//! cached by this crate (PAX8-Q44): read them right before use.

use billing_http_core::Request;

use crate::client::{Api, Client, Write, clamp_page_size};
use crate::error::Error;
use crate::model::{
    CompanyId, Dependencies, Page, Pricing, Product, ProductDetail, ProductId, ProductSortField,
    ProvisioningDetail, Sort,
};
use crate::pagination::Paginator;
use crate::paths::Endpoint;
use crate::query::{opt, paging, setters, sort};

/// Query of `GET /products` (E10).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListProducts {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Page size.
    pub size: Option<u32>,
    /// Sort (`name` or `vendor`).
    pub sort: Option<Sort<ProductSortField>>,
    /// A raw `sort` value sent verbatim instead of [`Self::sort`] (an escape hatch for values
    /// the typed sort cannot express).
    pub sort_raw: Option<String>,
    /// Free-text search over name, vendor, SKU or id.
    pub search: Option<String>,
    /// Vendor name filter.
    pub vendor_name: Option<String>,
}

setters!(ListProducts {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
    /// Sets the sort.
    sort: Sort<ProductSortField>,
    /// Sends a raw `sort` value verbatim (wins over `sort`).
    sort_raw: String,
    /// Searches name, vendor, SKU or id.
    search: String,
    /// Filters by vendor name.
    vendor_name: String,
});

impl ListProducts {
    /// A query with no filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The request for one page.
    pub fn request(&self, page: u32, size: u32) -> Request {
        let r = paging(Endpoint::ListProducts.collection(), page, size);
        let r = sort(r, self.sort.as_ref(), self.sort_raw.as_ref());
        let r = opt(r, "search", self.search.as_ref());
        opt(r, "vendorName", self.vendor_name.as_ref())
    }
}

/// Query of `GET /products/{id}/pricing` (E14).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct PricingQuery {
    /// Returns that company's pricing.
    pub company_id: Option<CompanyId>,
}

setters!(PricingQuery {
    /// Asks for a company's pricing.
    company_id: CompanyId,
});

impl PricingQuery {
    /// The partner's own pricing (no company).
    pub fn new() -> Self {
        Self::default()
    }
}

/// Product calls. Get one with [`Client::products`].
#[derive(Debug, Clone)]
pub struct Products {
    client: Client,
}

impl Client {
    /// Product calls (E10–E14).
    pub fn products(&self) -> Products {
        Products {
            client: self.clone(),
        }
    }
}

impl Products {
    /// E10: one page of products.
    pub async fn list(&self, query: ListProducts) -> Result<Page<Product>, Error> {
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(Api::V1, query.request(query.page.unwrap_or(0), size))
            .await
    }

    /// E10: a lazy walk over all products.
    pub fn list_all(&self, query: ListProducts) -> Paginator<Product> {
        let (page, size) = (query.page, query.size);
        Paginator::new(self.client.clone(), page, size, move |p, s| {
            Ok(query.request(p, s))
        })
    }

    /// E11: one product with its long description.
    pub async fn get(&self, id: impl Into<ProductId>) -> Result<ProductDetail, Error> {
        let id = id.into();
        self.client
            .send_json(Endpoint::GetProduct.request(&[id.as_str()])?, Write::Read)
            .await
    }

    /// E12: provisioning fields (content-only envelope, PAX8-Q30; path `provision-details`,
    /// PAX8-Q08). Fields that could not be decoded at all are left out (with a warning).
    pub async fn provision_details(
        &self,
        id: impl Into<ProductId>,
    ) -> Result<Vec<ProvisioningDetail>, Error> {
        let id = id.into();
        let req = Endpoint::ProvisionDetails.request(&[id.as_str()])?;
        Ok(content(self.client.send_page(Api::V1, req).await?))
    }

    /// E13: commitment terms and prerequisite products (a plain object, PAX8-Q30).
    pub async fn dependencies(&self, id: impl Into<ProductId>) -> Result<Dependencies, Error> {
        let id = id.into();
        self.client
            .send_json(Endpoint::Dependencies.request(&[id.as_str()])?, Write::Read)
            .await
    }

    /// E14: pricing options, optionally for one company (content-only envelope).
    pub async fn pricing(
        &self,
        id: impl Into<ProductId>,
        query: PricingQuery,
    ) -> Result<Vec<Pricing>, Error> {
        let id = id.into();
        let req = opt(
            Endpoint::Pricing.request(&[id.as_str()])?,
            "companyId",
            query.company_id.as_ref(),
        );
        Ok(content(self.client.send_page(Api::V1, req).await?))
    }
}

/// The decoded items of a content-only answer; items that could not be decoded at all are
/// logged and left out.
pub(crate) fn content<T>(page: Page<T>) -> Vec<T> {
    for bad in &page.invalid {
        tracing::warn!(index = bad.index, reason = %bad.message, "pax8: an item could not be decoded");
    }
    page.content
}
