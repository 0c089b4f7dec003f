//! Typed async client for Stratocore PPMS: the classic PUMAPI and API2.
//!
//! PUMAPI is an odd API: every action is a form-encoded `POST`, answers are CSV or plain text,
//! errors come back as HTTP 200 with an `error: ...` body, and bodies differ in quoting,
//! boolean casing, header spacing and field counts from action to action. This crate knows all
//! of that (each quirk is documented where it is handled, with its id `PPMS-Qnn` from the
//! vendor reference) and gives typed results:
//!
//! ```no_run
//! use ppms::{ActiveFilter, BulkOptions, Client};
//!
//! # async fn run() -> Result<(), ppms::Error> {
//! let client = Client::builder("https://ppms.eu/my-site/")
//!     .api_key(std::env::var("PPMS_API_KEY").unwrap_or_default())
//!     .build()?;
//! client.check_key().await?;
//!
//! // One user; `None` when the login is unknown.
//! if let Some(user) = client.users().get("jdoe").await? {
//!     println!("{} <{}>", user.full_name(), user.email.as_deref().unwrap_or("-"));
//! }
//!
//! // Every active user's details: 8 requests in flight, under the rate limiter.
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
//!   (the key travels in the form field `apikey`), timeouts, retries, rate limit, transport.
//! * Calls by area: [`Client::users`], [`Client::groups`], [`Client::systems`],
//!   [`Client::bookings`], [`Client::projects`], [`Client::orders`], [`Client::invoices`],
//!   [`Client::incidents`], [`Client::api2`], and [`Client::raw_action`] for the rest.
//! * [`parse`]: one parser per body shape, usable on their own.
//! * [`model`]: the typed results (re-exported at the crate root).
//! * [`bulk`]: bounded-concurrency helpers for the N+1 patterns.
//! * [`cache`]: the optional `getuser` cache.
//!
//! # Retries
//!
//! Reads are POSTs but idempotent, so they are retried after timeouts, resets, 5xx and 429.
//! `createorder`, `newuser`, `newgroup` and other creating actions are not: once such a request
//! may have reached the server, a failure is [`Error::OutcomeUnknown`] and nothing is resent.
#![cfg_attr(docsrs, feature(doc_cfg))]

// The README (the crates.io page) is compiled and run as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub mod api2;
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
pub mod testing;
pub mod users;

pub use api2::Api2;
pub use bookings::{Bookings, ExperienceFilter};
pub use bulk::{BulkOptions, Progress, ResolvedEntry, RightsBySystem, UserDetails};
pub use cache::{DiskUserCache, Fetched, MemoryUserCache, UserCache};
pub use client::{Client, ClientBuilder, Credentials, Endpoints, RawResponse};
pub use error::{Error, PumapiClassifier};
pub use groups::Groups;
pub use incidents::{Incidents, Severity};
pub use invoices::{InvoiceDetailsOptions, Invoices};
pub use model::*;
pub use orders::{CreateOutcome, Orders};
pub use parse::{Parsed, RowPolicy, Warning};
pub use projects::{ProjectParams, Projects};
pub use systems::Systems;
pub use users::Users;
