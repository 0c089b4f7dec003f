//! # pax8: a typed client for the Pax8 Partner API
//!
//! **Async, on tokio.** The default API is `async` and needs a tokio runtime: call it from
//! `#[tokio::main] async fn main()` (tokio with its `macros` and `rt-multi-thread` features).
//! Outside a tokio runtime (from `futures::executor::block_on`, say) a call fails with "there
//! is no reactor running". For synchronous programs, the `blocking` feature adds
//! `pax8::blocking::Client`: the same builder, calls and errors, no async
//! (`client.companies().get(id)?`).
//!
//! Every Partner API v1 endpoint (29), OAuth2 client credentials with cached and refreshed
//! tokens, lazy pagination with bounded prefetch, client-side rate limiting at 1000 calls per
//! minute (token calls included), retries that never repeat an order, and every quirk of the
//! vendor reference (`PAX8-Q01`…) handled where it occurs.
//!
//! ```no_run
//! use futures::StreamExt;
//! use pax8::{CompanySortField, CompanyStatus, ListCompanies, OptionalExt, Sort};
//!
//! # async fn run() -> Result<(), pax8::Error> {
//! let client = pax8::Client::builder()
//!     .credentials("my-client-id", "my-client-secret")
//!     .build()?; // or pax8::Client::from_env()? (PAX8_CLIENT_ID, PAX8_CLIENT_SECRET)
//!
//! // One page (page=0&size=200 are always sent explicitly).
//! let page = client
//!     .companies()
//!     .list(ListCompanies::new().status(CompanyStatus::Active).sort(Sort::asc(CompanySortField::Name)))
//!     .await?;
//! println!("{} companies in total", page.page.and_then(|p| p.total_elements).unwrap_or(0));
//!
//! // Every order, fetching up to 4 pages ahead: a `Paginator` is a `Stream`.
//! let mut orders = client.orders().list_all(Default::default()).prefetch(4);
//! while let Some(order) = orders.next().await {
//!     let order = order?;
//!     println!("{:?} {:?}", order.id, order.created_date);
//! }
//!
//! // A missing object is an error whose `is_not_found()` is true; `.optional()` makes it `None`.
//! let company = client.companies().get("c-1").await.optional()?;
//! println!("{}", if company.is_some() { "found" } else { "no such company" });
//! # Ok(())
//! # }
//! ```
//!
//! Everything a program needs is re-exported here (the models, ids and enums, the calls'
//! queries and request bodies, and the runtime's `Quota`, `RetryPolicy`, `RateLimiter`,
//! `Transport`, `Clock`, token stores, `SdkError`, `OptionalExt`, `CoreError`, …), so `pax8`
//! is the only dependency: `pax8::Client::builder().rate_limit(pax8::Quota::per_minute(500))`.
//!
//! ## Layout
//!
//! | module | endpoints |
//! |---|---|
//! | [`companies`] | E01–E04 companies, E05–E09 contacts (only under a company) |
//! | [`products`] | E10–E14 products, provision details, dependencies, pricing |
//! | [`orders`] | E15–E17 orders, `validate` (`isMock=true`), `newest(n)` |
//! | [`subscriptions`] | E18–E22 subscriptions, E27 usage summaries of a subscription |
//! | [`invoices`] | E23–E26 invoices, items, draft items |
//! | [`usage_summaries`] | E28–E29 usage summary by id, usage lines |
//! | [`model`] | typed models (lenient, `Decimal` money: see the module docs for why) |
//! | [`pagination`] | [`Paginator`]: a `Stream` of items with bounded prefetch, `next_page()` |
//! | [`auth`] | client credentials, token presets, token cache and stores |
//! | [`error`] | [`Error`] and error body parsing |
//! | [`paths`] | the 29 path templates, pinned |
//!
//! ## Authentication
//!
//! OAuth2 client credentials, hand-written rather than through the `oauth2` crate: Pax8 needs a
//! custom `audience` parameter and a JSON body, answers errors in its own JSON shape
//! (`{error, error_description}`, parsed into [`Error::Auth`]), and counts token calls against
//! the same 1000 calls/min budget, so the token call must share the client's transport, rate
//! limiter and retry stack (the full reason is in [`auth`] and `docs/pax8.md`).
//! [`auth::Pax8TokenSource`] implements http-core's `TokenSource`; its
//! `TokenCache` gives single-flight refresh, refresh-ahead and pluggable token stores. Token
//! URL and audience are independent settings with presets ([`TokenEndpoint`]). See [`auth`].
//!
//! ## Money
//!
//! Amounts are [`rust_decimal::Decimal`]: exact for the up-to-three-decimal values Pax8 sends as
//! integers, floats or strings, and exact when summed. See [`model`].
//!
//! ## Retries and writes
//!
//! Reads (and order dry runs) are retried after 429 (honouring `Retry-After`), 5xx, 408 and
//! timeouts. `PUT`, `PATCH`, `DELETE` and the company/contact creates are retried only when
//! [`ClientBuilder::retry_writes`] is set. A real `POST /orders` is never re-sent: Pax8 has no
//! idempotency key (PAX8-Q14). A 401 drops the token and retries once with a fresh one, except
//! for a real order.
//!
//! ## Features
//!
//! - `webhooks`: the Webhooks API v2 (management calls and a receiver helper that checks the
//!   `Authorization` header in constant time).
//! - `token-store-keyring`, `token-store-encrypted`, `token-store-redis`: http-core's
//!   persistent token stores (pass one to [`ClientBuilder::token_store`]; the file store needs
//!   no feature).
//! - `unstable-app-api`: the undocumented Partner Portal app API (Microsoft tenant id of a
//!   company). Not guaranteed to be stable (PAX8-Q49).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

// The README (the crates.io page) is compiled and run as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(feature = "unstable-app-api")]
#[cfg_attr(docsrs, doc(cfg(feature = "unstable-app-api")))]
pub mod app_api;
pub mod auth;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
pub mod client;
pub mod companies;
pub mod error;
pub mod invoices;
pub mod model;
pub mod orders;
pub mod pagination;
pub mod paths;
pub mod products;
mod query;
#[cfg(feature = "recording")]
#[cfg_attr(docsrs, doc(cfg(feature = "recording")))]
pub mod recording;
pub mod subscriptions;
pub mod usage_summaries;
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
pub mod webhooks;

pub use auth::TokenEndpoint;
pub use client::{Client, ClientBuilder};
pub use error::Error;
pub use pagination::Paginator;

// The calls' queries and request bodies, next to the client (rustc suggests these paths).
pub use companies::{Companies, Contacts, ListCompanies, ListContacts};
pub use invoices::{Invoices, ListDraftItems, ListInvoiceItems, ListInvoices};
pub use orders::{ListOrders, Orders};
pub use products::{ListProducts, PricingQuery, Products};
pub use subscriptions::{ListSubscriptions, ListUsageSummaries, Subscriptions};
pub use usage_summaries::{ListUsageLines, UsageSummaries};
#[cfg(feature = "webhooks")]
pub use webhooks::{
    CreateWebhook, ListTopicDefinitions, ListWebhookLogs, ListWebhooks, WebhookId, WebhookLogId,
    WebhookTopicId, Webhooks,
};

// The models, ids and enums (also under `pax8::model`).
pub use model::{
    Address, BillingTerm, Commitment, CommitmentId, CommitmentTerm, Company, CompanyId,
    CompanySortField, CompanyStatus, CompanyUpdate, Contact, ContactId, ContactInput, ContactKind,
    ContactType, CreateLineItem, CreateOrder, Dependencies, DraftMonth, InvalidItem, Invoice,
    InvoiceChargeType, InvoiceId, InvoiceItem, InvoiceItemId, InvoiceItemTerm, InvoiceItemType,
    InvoiceRateType, InvoiceSortField, InvoiceStatus, LineItem, LineItemId, Model, NewCompany,
    Order, OrderId, OrderedBy, Page, PageInfo, Pax8DateTime, Pricing, PricingType, Product,
    ProductDependency, ProductDetail, ProductId, ProductSortField, ProvisioningDetail,
    ProvisioningValue, ProvisioningValueType, Rate, RateChargeType, Sort, SortDirection, SortField,
    Subscription, SubscriptionId, SubscriptionSortField, SubscriptionStatus, SubscriptionUpdate,
    UsageLine, UsageSummary, UsageSummaryId, UsageSummarySortField, UserId,
};

// Everything a builder, a call or an error takes, so that this crate is the only dependency
// (docs/conventions.md §2).
#[cfg(feature = "token-store-encrypted")]
#[cfg_attr(docsrs, doc(cfg(feature = "token-store-encrypted")))]
pub use billing_http_core::auth::store::encrypted::{EncryptedFileStore, EncryptionKey};
#[cfg(feature = "token-store-keyring")]
#[cfg_attr(docsrs, doc(cfg(feature = "token-store-keyring")))]
pub use billing_http_core::auth::store::keyring::KeyringStore;
#[cfg(feature = "token-store-redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "token-store-redis")))]
pub use billing_http_core::auth::store::redis::RedisStore;
pub use billing_http_core::auth::store::{FileStore, MemoryStore, TokenStore};
pub use billing_http_core::clock::Clock;
// the value types the models and calls take: money, dates, date-times
pub use billing_http_core::rate_limit::{GcraLimiter, Quota, RateLimiter};
pub use billing_http_core::retry::RetryPolicy;
pub use billing_http_core::{
    Error as CoreError, ErrorKind as CoreErrorKind, ExposeSecret, OptionalExt, SdkError,
    SecretString, StatusCode, TlsConfig, Transport, TrustRoots,
};
pub use chrono::{DateTime, FixedOffset, NaiveDate};
pub use rust_decimal::Decimal;
