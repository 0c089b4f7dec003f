//! A blocking client (feature `blocking`), for synchronous programs: a cron job, a build
//! script, a small GUI.
//!
//! [`Client`] mirrors the async [`crate::Client`]: the same builder methods, the same calls
//! grouped the same way (`client.companies().get(id)`), the same [`Error`]s.
//! Each call runs to completion on a small tokio runtime owned by the client (one worker
//! thread, built once, shared by clones), as `reqwest::blocking` does; the token cache, the
//! rate limiter and the retries are the async client's. You need no `#[tokio::main]`.
//!
//! A `list_all` returns an [`Iter`]: an [`Iterator`] of `Result<T, Error>` that fetches the
//! next page only when the items of the last one are used up. To fetch a few pages ahead in
//! the background, run the async [`Paginator`] with `.prefetch(n)` through [`Client::iter`]:
//! `client.iter(client.as_async().orders().list_all(query).prefetch(4))`.
//!
//! ```no_run
//! use pax8::{CompanyStatus, ListCompanies, ListOrders, OptionalExt};
//!
//! # fn run() -> Result<(), pax8::Error> {
//! let client = pax8::blocking::Client::builder()
//!     .credentials("my-client-id", "my-client-secret")
//!     .build()?; // or pax8::blocking::Client::from_env()?
//!
//! let page = client.companies().list(ListCompanies::new().status(CompanyStatus::Active))?;
//! println!("{} companies", page.page.and_then(|p| p.total_elements).unwrap_or(0));
//!
//! // every order, page by page, as an iterator
//! for order in client.orders().list_all(ListOrders::new()) {
//!     let order = order?;
//!     println!("{:?} {:?}", order.id, order.created_date);
//! }
//!
//! let company = client.companies().get("c-1").optional()?;
//! println!("{}", if company.is_some() { "found" } else { "no such company" });
//! # Ok(()) }
//! ```
//!
//! **Not inside an async runtime.** Called from async code (or from a `spawn_blocking`
//! closure) a call returns, without sending anything, a [`Error::Config`]
//! (`is_invalid_input()`) whose message says "the blocking client cannot be used inside an
//! async runtime; use the async client" — it never panics. Dropping a blocking client is safe
//! anywhere.
//!
//! Mirrored: every call of [`crate::Client`]'s groups (companies and contacts, products,
//! orders, subscriptions, invoices, usage summaries, webhooks with the `webhooks` feature,
//! `ms_tenant_id` with `unstable-app-api`), `with_timeout` and `page_size`; a paginator's
//! `prefetch` through [`Client::iter`], its `collect_all` as `.collect::<Result<Vec<_>, _>>()`.
//! Not mirrored: `Paginator::next_page` and `dedup_by` (use the async paginator); `tokens()`
//! and `http()` are on [`Client::as_async`].

use std::time::Duration;

use billing_http_core::blocking::{Iter, Runtime};
use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::companies::{ListCompanies, ListContacts};
use crate::error::Error;
use crate::invoices::{ListDraftItems, ListInvoiceItems, ListInvoices};
use crate::model::{
    Company, CompanyId, CompanyUpdate, Contact, ContactId, ContactInput, CreateOrder, Dependencies,
    DraftMonth, Invoice, InvoiceId, InvoiceItem, NewCompany, Order, OrderId, Page, Pricing,
    Product, ProductDetail, ProductId, ProvisioningDetail, Subscription, SubscriptionId,
    SubscriptionUpdate, UsageLine, UsageSummary, UsageSummaryId,
};
use crate::orders::ListOrders;
use crate::pagination::Paginator;
use crate::products::{ListProducts, PricingQuery};
use crate::subscriptions::{ListSubscriptions, ListUsageSummaries};
use crate::usage_summaries::ListUsageLines;

billing_http_core::blocking_client! {
    vendor: "pax8",
    core_error: crate::Error::Config,
    builder(),
}

impl ClientBuilder {
    billing_http_core::blocking_builder_methods! {
        fn credentials(client_id: impl Into<String>, client_secret: impl Into<String>);
        fn token_endpoint(preset: crate::TokenEndpoint);
        fn token_url(url: impl Into<String>);
        fn audience(audience: impl Into<String>);
        fn webhooks_base_url(url: impl Into<String>);
        fn app_api_base_url(url: impl Into<String>);
        fn retry_writes(yes: bool);
        fn token_store(store: std::sync::Arc<dyn crate::TokenStore>);
        fn token_refresh_margin(margin: Duration);
        fn default_page_size(size: u32);
    }
}

billing_http_core::blocking_groups! { owned;
    fn companies -> Companies;
    fn orders -> Orders;
    fn products -> Products;
    fn subscriptions -> Subscriptions;
    fn invoices -> Invoices;
    fn usage_summaries -> UsageSummaries;
    #[cfg(feature = "webhooks")]
    fn webhooks -> Webhooks;
}

impl Client {
    /// A client sharing this one's runtime, connections, limiter and tokens, whose attempts
    /// time out after `timeout`: see [`crate::Client::with_timeout`].
    pub fn with_timeout(&self, timeout: Duration) -> Result<Client, Error> {
        Ok(Client {
            inner: self.inner.with_timeout(timeout)?,
            rt: self.rt.clone(),
        })
    }

    /// The page size of `list_all` calls: see [`crate::Client::page_size`].
    pub fn page_size(&self) -> u32 {
        self.inner.page_size()
    }

    #[cfg(feature = "unstable-app-api")]
    billing_http_core::blocking_calls! { "crate::Client";
        fn ms_tenant_id(company: impl Into<CompanyId>) -> Result<crate::app_api::MsTenant, Error>;
    }
}

impl Companies {
    /// The contacts of one company: see [`crate::Companies::contacts`].
    pub fn contacts(&self, company: impl Into<CompanyId>) -> Contacts {
        Contacts {
            inner: self.inner.contacts(company),
            rt: self.rt.clone(),
        }
    }

    billing_http_core::blocking_calls! { "crate::Companies";
        fn list(query: ListCompanies) -> Result<Page<Company>, Error>;
        iter fn list_all(query: ListCompanies) -> Paginator<Company>;
        fn create(company: &NewCompany) -> Result<Company, Error>;
        fn get(id: impl Into<CompanyId>) -> Result<Company, Error>;
        fn update(id: impl Into<CompanyId>, update: &CompanyUpdate) -> Result<Company, Error>;
    }
}

/// Blocking calls on one company's contacts: see [`crate::Contacts`].
#[derive(Debug, Clone)]
pub struct Contacts {
    inner: crate::Contacts,
    rt: Runtime,
}

impl Contacts {
    billing_http_core::blocking_calls! { "crate::Contacts";
        fn list(query: ListContacts) -> Result<Page<Contact>, Error>;
        iter fn list_all(query: ListContacts) -> Paginator<Contact>;
        fn create(contact: &ContactInput) -> Result<Contact, Error>;
        fn get(id: impl Into<ContactId>) -> Result<Contact, Error>;
        fn replace(id: impl Into<ContactId>, contact: &ContactInput) -> Result<Contact, Error>;
        fn update_with(
            id: impl Into<ContactId>,
            change: impl FnOnce(&mut ContactInput),
        ) -> Result<Contact, Error>;
        fn delete(id: impl Into<ContactId>) -> Result<(), Error>;
    }
}

impl Orders {
    billing_http_core::blocking_calls! { "crate::Orders";
        fn list(query: ListOrders) -> Result<Page<Order>, Error>;
        iter fn list_all(query: ListOrders) -> Paginator<Order>;
        fn newest(query: ListOrders, n: usize) -> Result<Vec<Order>, Error>;
        fn create(order: &CreateOrder) -> Result<Order, Error>;
        fn validate(order: &CreateOrder) -> Result<Order, Error>;
        fn get(id: impl Into<OrderId>) -> Result<Order, Error>;
    }
}

impl Products {
    billing_http_core::blocking_calls! { "crate::Products";
        fn list(query: ListProducts) -> Result<Page<Product>, Error>;
        iter fn list_all(query: ListProducts) -> Paginator<Product>;
        fn get(id: impl Into<ProductId>) -> Result<ProductDetail, Error>;
        fn provision_details(id: impl Into<ProductId>) -> Result<Vec<ProvisioningDetail>, Error>;
        fn dependencies(id: impl Into<ProductId>) -> Result<Dependencies, Error>;
        fn pricing(id: impl Into<ProductId>, query: PricingQuery) -> Result<Vec<Pricing>, Error>;
    }
}

impl Subscriptions {
    billing_http_core::blocking_calls! { "crate::Subscriptions";
        fn list(query: ListSubscriptions) -> Result<Page<Subscription>, Error>;
        iter fn list_all(query: ListSubscriptions) -> Paginator<Subscription>;
        fn get(id: impl Into<SubscriptionId>) -> Result<Subscription, Error>;
        fn update(
            id: impl Into<SubscriptionId>,
            update: &SubscriptionUpdate,
        ) -> Result<Subscription, Error>;
        fn cancel(
            id: impl Into<SubscriptionId>,
            cancel_date: Option<DateTime<FixedOffset>>,
        ) -> Result<(), Error>;
        fn cancel_on(id: impl Into<SubscriptionId>, date: NaiveDate) -> Result<(), Error>;
        fn history(id: impl Into<SubscriptionId>) -> Result<Vec<Subscription>, Error>;
        fn usage_summaries(
            id: impl Into<SubscriptionId>,
            query: ListUsageSummaries,
        ) -> Result<Page<UsageSummary>, Error>;
        iter fn usage_summaries_all(
            id: impl Into<SubscriptionId>,
            query: ListUsageSummaries,
        ) -> Paginator<UsageSummary>;
    }
}

impl Invoices {
    billing_http_core::blocking_calls! { "crate::Invoices";
        fn list(query: ListInvoices) -> Result<Page<Invoice>, Error>;
        iter fn list_all(query: ListInvoices) -> Paginator<Invoice>;
        fn get(id: impl Into<InvoiceId>) -> Result<Invoice, Error>;
        fn items(
            id: impl Into<InvoiceId>,
            query: ListInvoiceItems,
        ) -> Result<Page<InvoiceItem>, Error>;
        iter fn items_all(id: impl Into<InvoiceId>, query: ListInvoiceItems) -> Paginator<InvoiceItem>;
        fn draft_items(month: DraftMonth, query: ListDraftItems) -> Result<Page<InvoiceItem>, Error>;
        iter fn draft_items_all(month: DraftMonth, query: ListDraftItems) -> Paginator<InvoiceItem>;
    }
}

impl UsageSummaries {
    billing_http_core::blocking_calls! { "crate::UsageSummaries";
        fn get(id: impl Into<UsageSummaryId>) -> Result<UsageSummary, Error>;
        fn lines(
            id: impl Into<UsageSummaryId>,
            usage_date: NaiveDate,
            query: ListUsageLines,
        ) -> Result<Page<UsageLine>, Error>;
        iter fn lines_all(
            id: impl Into<UsageSummaryId>,
            usage_date: NaiveDate,
            query: ListUsageLines,
        ) -> Paginator<UsageLine>;
    }
}

#[cfg(feature = "webhooks")]
mod webhooks {
    use super::{Error, Page, Paginator, Webhooks};
    use crate::webhooks::{
        CreateWebhook, ListTopicDefinitions, ListWebhookLogs, ListWebhooks, TopicDefinition,
        TopicFilter, Webhook, WebhookConfiguration, WebhookId, WebhookLog, WebhookLogId,
        WebhookTest, WebhookTopic, WebhookTopicId,
    };

    impl Webhooks {
        billing_http_core::blocking_calls! { "crate::Webhooks";
            fn list(query: ListWebhooks) -> Result<Page<Webhook>, Error>;
            iter fn list_all(query: ListWebhooks) -> Paginator<Webhook>;
            fn create(webhook: &CreateWebhook) -> Result<Webhook, Error>;
            fn topic_definitions(query: ListTopicDefinitions) -> Result<Page<TopicDefinition>, Error>;
            fn get(id: impl Into<WebhookId>) -> Result<Webhook, Error>;
            fn delete(id: impl Into<WebhookId>) -> Result<(), Error>;
            fn configure(
                id: impl Into<WebhookId>,
                config: &WebhookConfiguration,
            ) -> Result<Webhook, Error>;
            fn set_active(id: impl Into<WebhookId>, active: bool) -> Result<Webhook, Error>;
            fn add_topic(id: impl Into<WebhookId>, topic: &WebhookTopic) -> Result<Webhook, Error>;
            fn replace_topics(
                id: impl Into<WebhookId>,
                topics: &[WebhookTopic],
            ) -> Result<Webhook, Error>;
            fn delete_topic(
                id: impl Into<WebhookId>,
                topic_id: impl Into<WebhookTopicId>,
            ) -> Result<(), Error>;
            fn configure_topic(
                id: impl Into<WebhookId>,
                topic_id: impl Into<WebhookTopicId>,
                filters: &[TopicFilter],
            ) -> Result<Webhook, Error>;
            fn test(id: impl Into<WebhookId>, topic: &str) -> Result<WebhookTest, Error>;
            fn logs(
                webhook_id: impl Into<WebhookId>,
                query: ListWebhookLogs,
            ) -> Result<Page<WebhookLog>, Error>;
            iter fn logs_all(
                webhook_id: impl Into<WebhookId>,
                query: ListWebhookLogs,
            ) -> Paginator<WebhookLog>;
            fn log(
                webhook_id: impl Into<WebhookId>,
                log_id: impl Into<WebhookLogId>,
            ) -> Result<WebhookLog, Error>;
            fn retry_log(
                webhook_id: impl Into<WebhookId>,
                log_id: impl Into<WebhookLogId>,
            ) -> Result<(), Error>;
        }
    }
}

/// The iterator a blocking `list_all` returns: `Iterator<Item = Result<T, Error>>`, fetching
/// page by page.
pub type ListAll<T> = Iter<Paginator<T>>;
