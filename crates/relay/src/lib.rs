//! # billing-relay: the order relay
//!
//! A service that takes dispensed order lines over HTTP, stores each durably in an embedded
//! SQLite database **before** acknowledging it, and pushes it **exactly once** into the
//! tenant's billing system through the workspace's SDK crates. It replaces a Flask app with a
//! file queue that billed resent lines twice, kept ERP passwords in its queue and drove ERP
//! web screens with Selenium (reference `oilmat-relay.md` §12).
//!
//! ```text
//! dispenser ──POST /v1/tenants/{t}/order-lines──▶ api ──one INSERT──▶ store (SQLite, WAL)
//!                                                                        │ claim (lease)
//!                           ERP ◀── adapter (ppms | http) ◀── worker per tenant (supervised)
//! ```
//!
//! | part | module |
//! |---|---|
//! | ingest API (§5): parsing, aliases, exact decimals, 202/200/409/400/… | [`api`], [`ingest`] |
//! | management API (§9): health, queue, clear, retry, stop / start, reload, audit | [`manage`] |
//! | durable store and queue (§7), behind one interface | [`store`] |
//! | per-tenant workers, retries, breaker, pauses, crash recovery | [`worker`], [`supervisor`] |
//! | adapters: PPMS, generic HTTP, Cloudspot checks, fault injection (§11) | [`adapters`] |
//! | configuration (TOML + `RELAY__…` environment), credentials by reference | [`config`], [`secret`] |
//! | stand-in ERPs for tests, the tour and the benchmark | [`standin`] |
//!
//! Run it with `relay serve --config relay.toml`; docs/relay.md is the operator's guide.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = billing_relay::config::Config::load("relay.toml".as_ref(), std::env::vars())?;
//! let relay = billing_relay::Relay::builder(config).start().await?;
//! println!("listening on {}", relay.url());
//! relay.shutdown(std::time::Duration::from_secs(10)).await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod adapters;
pub mod api;
pub mod clock;
pub mod config;
pub mod ingest;
pub mod integration;
pub mod manage;
pub mod model;
mod relay;
pub mod secret;
pub mod standin;
pub mod store;
pub mod supervisor;
pub mod worker;

pub use relay::{LISTENING, Relay, RelayBuilder, STOP_SYNC_EVERY, StartError};
