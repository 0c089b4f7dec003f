//! # http-core: the shared runtime of the billing SDK
//!
//! Every vendor crate of the workspace (`ppms`, `pax8`, `cloudspot`) describes its calls as
//! plain data and runs them through this crate:
//!
//! ```text
//! Request (data) -> rate limiter -> auth -> transport -> classify -> retry decision -> Response
//! ```
//!
//! | stage | module | what it does |
//! |---|---|---|
//! | request | [`request`] | method, path, query, form/JSON body, headers, [`RetrySafety`] |
//! | rate limiter | [`rate_limit`] | GCRA quota shared by all clones; callers wait, 429 slows it down |
//! | auth | [`auth`] | static keys and tokens, placed as bearer, header, form field or query |
//! | transport | [`transport`], [`tls`] | reqwest + rustls, certificate trust ([`TlsConfig`]), timeouts, body size limit; swappable for tests |
//! | classify | [`classify`] | status and vendor-body classification into one [`Error`] |
//! | retry | [`retry`] | a pure decision function: backoff with full jitter, `Retry-After`, deadlines |
//! | time | [`clock`] | injectable clock and sleep |
//! | builders | [`settings`] | the settings and builder methods every vendor client shares |
//! | lenient models | [`lenient`] | serde helpers for numbers as strings, odd booleans, `null` lists |
//! | wire enums | [`wire`] | [`wire_enum!`]: enums with `Unknown(String)` and tolerant matching |
//! | fixtures | `cassette` | recorded interactions: format, recording and replay transports, scrubbing (feature `recording`) |
//!
//! ## Cargo features
//!
//! | feature | adds | extra dependencies |
//! |---|---|---|
//! | `keyring` | [`auth::store`] OS keyring token store (Linux kernel keyutils, macOS Keychain, Windows Credential Manager) | `keyring-core` and the platform's store crate |
//! | `encrypted` | encrypted-file token store (XChaCha20-Poly1305) | `chacha20poly1305`, `base64` |
//! | `redis` | Redis token store shared by a fleet, with a Redis-side refresh lock; `rate_limit::RedisLimiter`: one quota shared by a fleet | `redis` |
//! | `blocking` | `blocking`: the runtime, the "inside an async runtime" check and the stream-to-iterator adapter of the vendor crates' blocking clients | tokio's multi-thread runtime |
//! | `recording` | the `cassette` module: recorded fixtures, recording and replay transports, scrubbing — test machinery for the vendor crates' tests, the sandbox and `cargo xtask` | `base64` |
//!
//! The memory and file token stores and everything else are always on.
//!
//! ## Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use billing_http_core::{Client, Request, auth::{Placement, StaticKey}, rate_limit::{GcraLimiter, Quota}};
//!
//! # async fn run() -> Result<(), billing_http_core::Error> {
//! let client = Client::builder("ppms", "https://ppms.eu/site/pumapi/")
//!     .auth(Arc::new(StaticKey::new("my-key".to_owned(), Placement::FormField("apikey".into()))))
//!     .rate_limiter(Arc::new(GcraLimiter::new(Quota::per_second(10))))
//!     .build()?;
//! let response = client.execute(Request::post("", "getusers").form("action", "getusers")).await?;
//! println!("{}", response.text()?);
//! # Ok(())
//! # }
//! ```
//!
//! ## Retries and safety
//!
//! Reads are retried after timeouts, resets, 5xx and 429. A request marked
//! [`RetrySafety::NotIdempotent`] (an order without an idempotency key) is retried **only**
//! when it provably never reached the server — connection refused, DNS failure, TLS handshake —
//! and a failed one reports [`Error::may_have_reached_server`] so the caller can look for the
//! object before trying again.
//!
//! ## Secrets
//!
//! Secrets are [`secrecy::SecretString`]s, marked secret in [`request::Value`], and redacted in
//! every `Debug`, `Display`, error and log line of this crate.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

// The README (the crates.io page) is compiled and run as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub mod auth;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
#[cfg(feature = "recording")]
#[cfg_attr(docsrs, doc(cfg(feature = "recording")))]
pub mod cassette;
pub mod classify;
pub mod client;
pub mod clock;
pub mod error;
pub mod ids;
pub mod lenient;
pub mod rate_limit;
pub mod request;
pub mod retry;
pub mod settings;
pub mod tls;
pub mod transport;
pub mod wire;

#[doc(hidden)]
/// Re-exports used by [`wire_enum!`]; not a public API.
pub mod __private {
    pub use serde;
    pub use serde_json;
}

pub use client::{Client, ClientBuilder, Response};
pub use error::{Error, ErrorKind, OptionalExt, SdkError};
pub use http::{Method, StatusCode};
pub use request::{Body, Request, RetrySafety, Value};
pub use secrecy::{ExposeSecret, SecretString};
pub use tls::{TlsConfig, TrustRoots};
pub use transport::{HttpRequest, HttpResponse, Transport, TransportConfig};
