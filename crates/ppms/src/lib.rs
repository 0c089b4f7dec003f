//! Typed async client for Stratocore PPMS: the classic PUMAPI and API2.
//!
//! **Async, on tokio.** The default API is `async` and needs a tokio runtime: call it from
//! `#[tokio::main] async fn main()` (tokio with its `macros` and `rt-multi-thread` features).
//! Outside a tokio runtime (from `futures::executor::block_on`, say) a call fails with "there
//! is no reactor running". For synchronous programs, the `blocking` feature adds
//! `ppms::blocking::Client`: the same builder, calls and errors, no async
//! (`client.users().get("jdoe")?`).
//!
//! PUMAPI is an odd API: every action is a form-encoded `POST`, answers are CSV or plain text,
//! errors come back as HTTP 200 with an `error: ...` body, and bodies differ in quoting,
//! boolean casing, header spacing and field counts from action to action. This crate knows all
//! of that (each quirk is documented where it is handled, with its id `PPMS-Qnn` from the
//! vendor reference) and gives typed results:
//!
//! ```no_run
//! use ppms::{ActiveFilter, BulkOptions, Client, OptionalExt};
//!
//! # async fn run() -> Result<(), ppms::Error> {
//! let client = Client::builder("https://ppms.eu/my-site/")
//!     .api_key(std::env::var("PPMS_API_KEY").unwrap_or_default())
//!     .build()?; // or Client::from_env()? with PPMS_URL and PPMS_API_KEY
//! client.check_key().await?;
//!
//! // One user; an unknown login is an error with `is_not_found()`, or `None` with `optional()`.
//! if let Some(user) = client.users().get("jdoe").await.optional()? {
//!     println!("{} <{}>", user.full_name(), user.email.as_deref().unwrap_or("-"));
//! }
//!
//! // Every active user's details: 16 requests in flight.
//! let details = client.users().details_all(ActiveFilter::Active, &BulkOptions::default()).await?;
//! println!("{} users, {} failures", details.users.len(), details.failures.len());
//!
//! // Systems; rows the crate could not read are reported, not hidden.
//! let systems = client.systems().list().await?;
//! for w in &systems.warnings {
//!     eprintln!("skipped: {w}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! * [`Client`] / [`ClientBuilder`]: base URL (`pumapi/` and `API2/` are derived), credentials
//!   (the key travels in the form field `apikey`), timeouts, retries, rate limit, transport —
//!   the builder methods every vendor crate of the workspace shares — and [`Client::from_env`].
//! * Calls by area: [`Client::users`], [`Client::groups`], [`Client::systems`],
//!   [`Client::bookings`], [`Client::projects`], [`Client::orders`], [`Client::invoices`],
//!   [`Client::incidents`], [`Client::api2`], and [`Client::raw_action`] for the rest.
//! * [`parse`]: one parser per body shape, usable on their own.
//! * [`model`]: the typed results (re-exported at the crate root); each implements `Default` so
//!   that your tests can build one.
//! * [`bulk`]: bounded-concurrency helpers for the N+1 patterns.
//! * [`cache`]: the optional `getuser` cache.
//! * What the builder, the calls and the errors take is re-exported here ([`Quota`],
//!   [`RetryPolicy`], [`RateLimiter`], [`Transport`], [`Clock`], [`SecretString`],
//!   [`StatusCode`], [`CoreError`], [`OptionalExt`], …): this crate is the only dependency a
//!   program needs.
//!
//! # Defaults
//!
//! PUMAPI documents no rate limit, so the client sets **no client-side quota**: what bounds the
//! load is the bulk helpers' concurrency ([`DEFAULT_BULK_CONCURRENCY`], 16 requests in flight),
//! and a 429 or 503 makes the client back off (the retry policy, and a back-off gate shared by
//! clones). Set a quota with [`ClientBuilder::rate_limit`] if your site asks for one. 30 s per
//! attempt, 10 s to connect; 4 attempts, 120 s per call.
//!
//! # Errors
//!
//! One [`Error`] with the predicates every vendor crate shares (`is_not_found`, `is_auth`,
//! `is_rate_limited`, `is_retryable`, `is_timeout`, `is_decode`, `is_invalid_input`,
//! `may_have_reached_server`, `is_outcome_unknown`, `status`, `retry_after`, `core`). A
//! single-object lookup (`users().get`, `groups().get`, `systems().get`, `invoices().get`) that
//! PUMAPI answers with its empty body is an [`Error::NotFound`]; searches (`find_by_marker`,
//! `bookings().current`, `next`) return `Option`.
//!
//! # Retries
//!
//! Reads are POSTs but idempotent, so they are retried after timeouts, resets, 5xx and 429.
//! `createorder`, `newuser`, `newgroup` and other creating actions are not: once such a request
//! may have reached the server, a failure — including a 200 whose body is not the action's
//! answer — is [`Error::OutcomeUnknown`] and nothing is resent; look the object up (e.g.
//! [`Orders::find_by_marker`]) before trying again.
#![cfg_attr(docsrs, feature(doc_cfg))]

// The README (the crates.io page) is compiled and run as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub mod api2;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
pub mod bookings;
pub mod bulk;
pub mod cache;
pub mod client;
pub mod error;
pub mod groups;
pub mod incidents;
pub mod invoices;
pub mod model;
pub mod orders;
pub mod parse;
pub mod projects;
#[cfg(feature = "recording")]
#[cfg_attr(docsrs, doc(cfg(feature = "recording")))]
pub mod recording;
pub mod systems;
#[cfg(feature = "recording")]
#[cfg_attr(docsrs, doc(cfg(feature = "recording")))]
pub mod testing;
pub mod users;

pub use api2::Api2;
pub use bookings::{Bookings, ExperienceFilter};
pub use bulk::{BulkOptions, Progress, ResolvedEntry, RightsBySystem, UserDetails};
pub use cache::{DiskUserCache, Fetched, MemoryUserCache, UserCache};
pub use client::{
    Client, ClientBuilder, Credentials, DEFAULT_BULK_CONCURRENCY, Endpoints, RawResponse,
};
pub use error::{Error, PumapiClassifier};
pub use groups::Groups;
pub use incidents::{Incidents, Severity};
pub use invoices::{InvoiceDetailsOptions, Invoices};
pub use model::*;
pub use orders::{CreateOutcome, Orders};
pub use parse::{Extra, Parsed, RowPolicy, Warning};
pub use projects::{ProjectParams, Projects};
pub use systems::Systems;
pub use users::Users;

// What the builder, the calls and the errors take, so that a program needs only this crate
// (docs/conventions.md §2).
pub use billing_http_core::clock::Clock;
pub use billing_http_core::rate_limit::{GcraLimiter, Quota, RateLimiter};
pub use billing_http_core::retry::RetryPolicy;
pub use billing_http_core::{
    Error as CoreError, ErrorKind as CoreErrorKind, ExposeSecret, OptionalExt, SdkError,
    SecretString, StatusCode, TlsConfig, Transport, TrustRoots,
};
