//! Typed async client for the **Cloudspot ERP** API: articles (`artikels/`), customers
//! (`klanten/`), product categories (`categories/`) and, behind the deprecated
//! `legacy-user-auth` feature, external-app user login.
//!
//! **Async, on tokio.** The default API is `async` and needs a tokio runtime: call it from
//! `#[tokio::main] async fn main()` (tokio with its `macros` and `rt-multi-thread` features).
//! Outside a tokio runtime (from `futures::executor::block_on`, say) a call fails with "there
//! is no reactor running". For synchronous programs, the `blocking` feature adds
//! `cloudspot::blocking::Client`: the same builder, calls and errors, no async
//! (`client.articles().list()?`).
//!
//! The Rust API is English and guessable: [`Client::articles`], [`Client::customers`] and
//! [`Client::categories`] return [`Articles`], [`Customers`] and [`Categories`], whose calls
//! return [`Article`], [`Customer`] and [`Category`]. The vendor's Dutch names (`artikels`,
//! `klanten`, `categorieen`, `voorraad_bijhouden`, ...) stay on the wire; every item's docs
//! name them and rustdoc search finds an item by its Dutch name too. The full Dutch → English
//! glossary is `docs/cloudspot-glossary.md` in the repository.
//!
//! ```no_run
//! # async fn run() -> Result<(), cloudspot::Error> {
//! let client = cloudspot::Client::builder("my-company-token").build()?; // production URL
//! // or: cloudspot::Client::from_env()? (CLOUDSPOT_TOKEN, optional CLOUDSPOT_BASE_URL)
//!
//! for article in client.articles().list().await? {
//!     println!(
//!         "{:<20} {:>8} in stock, {} excl. VAT",
//!         article.sku.as_deref().unwrap_or("-"),
//!         article.stock.map(|s| s.to_string()).unwrap_or_default(),
//!         article.sales_price_excl_vat.map(|p| p.to_string()).unwrap_or_default(),
//!     );
//! }
//! match client.articles().get(125).await {
//!     Ok(a) => println!("found {:?}", a.name),
//!     Err(e) if e.is_not_found() => println!("no article 125"),
//!     Err(e) if e.is_auth() => println!("token lacks the products right: {e}"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # What the crate does for you
//!
//! * **Typed models** ([`model`]): the vendor's Dutch keys are mapped explicitly onto
//!   documented English fields (`verkoopprijs_excl` → [`Article::sales_price_excl_vat`]);
//!   every field tolerates `null` or a missing key; prices are [`rust_decimal::Decimal`] read
//!   from numbers or strings; dates accept every listed format; enums keep unknown values.
//! * **Transport** (via `billing-http-core`): the company token in the `X-ERP-TOKEN` header
//!   (raw, no scheme, marked secret; refused at `build()` if it holds CR/LF), `Content-Type:
//!   application/json` on every request, every path with its trailing slash, timeouts, retries
//!   of GETs after transport errors / 5xx / 429, no client-side quota by default (none is
//!   documented; `.rate_limit(Quota)` adds one) and **no redirects followed** (the token is in a
//!   custom header that HTTP clients would forward to another host). `next` links are followed
//!   only on the same origin and the same resource path.
//! * **Errors** ([`Error`]): the predicates every vendor crate shares (`is_not_found`,
//!   `is_auth`, `is_rate_limited`, `is_retryable`, …, `core()`); success is HTTP 200 only; any
//!   other status keeps the server's `message`; HTML error pages become typed errors with a
//!   bounded body snippet; a token lacking the right for one resource is
//!   [`Error::Unauthorized`] for that call only. A get-by-id without a match is an error with
//!   `is_not_found()`; `.optional()` ([`OptionalExt`]) turns it into `Ok(None)`.
//! * **One dependency**: the types the builder and errors take are re-exported here
//!   ([`Quota`], [`RetryPolicy`], [`RateLimiter`], [`Transport`], [`Clock`], [`StatusCode`],
//!   [`SecretString`], [`CoreError`], [`Decimal`], …).
//!
//! Every documented vendor quirk (`CS-Q01` ... `CS-Q23` in the vendor reference) is handled
//! where its id is mentioned, and has a test whose name starts with its id.
//!
//! # Cargo features
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `blocking` | no | `blocking::Client`: the same builder, calls and errors without async, each call run on a small runtime owned by the client |
//! | `legacy-user-auth` | no | `user::UserClient`: external-app sign-in, permissions, user. **Deprecated by the vendor on 2023-03-14** in favour of the Cloudspot License server, which this crate does not cover; the endpoints may be gone. |
//! | `token-store-keyring`, `token-store-encrypted`, `token-store-redis` | no | the OS keyring, encrypted-file and Redis stores of `billing-http-core` for the legacy `UserClient`'s session tokens (each implies `legacy-user-auth`) |
//!
//! # Token rights per call
//!
//! | call | path | right the company token needs |
//! |---|---|---|
//! | [`Articles::list`], [`Articles::get`] | `artikels/` | "see all products" |
//! | [`Customers::list`] | `klanten/` | "see all clients" |
//! | [`Categories::list`], [`Categories::get`] | `categories/` | undocumented |
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

// The README (the crates.io page) is compiled and run as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod articles;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod categories;
mod client;
mod customers;
mod de;
pub mod endpoints;
pub mod error;
pub mod model;
#[cfg(feature = "recording")]
#[cfg_attr(docsrs, doc(cfg(feature = "recording")))]
pub mod recording;
#[cfg(feature = "legacy-user-auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "legacy-user-auth")))]
pub mod user;

// One dependency (docs/conventions.md §2): every type the builder, the calls and the errors
// take, so a program needs only `cloudspot`.
pub use billing_http_core::clock::Clock;
pub use billing_http_core::rate_limit::{GcraLimiter, Quota, RateLimiter};
pub use billing_http_core::retry::RetryPolicy;
pub use billing_http_core::transport::Transport;
// prices and stock are decimals: `cloudspot::Decimal::ZERO` to sum them
pub use billing_http_core::{
    Error as CoreError, ErrorKind as CoreErrorKind, ExposeSecret, OptionalExt, SdkError,
    SecretString, StatusCode, TlsConfig, TrustRoots,
};
pub use rust_decimal::Decimal;
// Token stores for the legacy `UserClient`'s session tokens.
#[cfg(feature = "legacy-user-auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "legacy-user-auth")))]
pub use billing_http_core::auth::store::{FileStore, MemoryStore, TokenStore};
// the OS keyring token store
#[cfg(feature = "token-store-keyring")]
#[cfg_attr(docsrs, doc(cfg(feature = "token-store-keyring")))]
pub use billing_http_core::auth::store::keyring::KeyringStore;
// the encrypted-file token store
#[cfg(feature = "token-store-encrypted")]
#[cfg_attr(docsrs, doc(cfg(feature = "token-store-encrypted")))]
pub use billing_http_core::auth::store::encrypted::{EncryptedFileStore, EncryptionKey};
// the Redis token store
#[cfg(feature = "token-store-redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "token-store-redis")))]
pub use billing_http_core::auth::store::redis::RedisStore;

pub use articles::{Articles, find_article_by_sku};
pub use categories::Categories;
pub use client::{
    BASE_URL_ENV, Client, ClientBuilder, DEFAULT_MAX_PAGES, LOCAL_DEV_URL, PRODUCTION_URL,
    TOKEN_ENV,
};
pub use customers::{Customers, find_customer};
#[cfg(feature = "legacy-user-auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "legacy-user-auth")))]
pub use error::NoValidToken;
pub use error::{ApiError, Error, Result};
pub use model::*;
#[cfg(feature = "legacy-user-auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "legacy-user-auth")))]
#[allow(deprecated)]
pub use user::{UserClient, UserClientBuilder};
