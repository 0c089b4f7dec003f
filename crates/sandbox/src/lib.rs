//! # billing-sandbox: an offline stand-in for Stratocore PPMS, Pax8 and Cloudspot ERP
//!
//! Serves a vendor's recorded answers over real HTTP, so that your application — through the
//! `ppms`, `pax8` or `cloudspot` crates or any HTTP client — runs its whole stack against
//! something that behaves like the vendor: no network, no credentials, the same answer every
//! time. What `stripe-mock` is for Stripe.
//!
//! ```no_run
//! use billing_sandbox::{Sandbox, Vendor};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::start(Vendor::Cloudspot).await?; // 127.0.0.1, an ephemeral port
//! // Point your client's base URL at `sandbox.url()` (Pax8: token URL `sandbox.url_for("token")`).
//! let body = reqwest::get(sandbox.url_for("artikels/")).await?.text().await?;
//! assert!(body.contains("\"data\""));
//! # Ok(()) }
//! ```
//!
//! The recordings of all three vendors are embedded in the library (and in the
//! `billing-sandbox` binary): it runs from any directory. `docs/testing-your-app.md` in the
//! repository has a complete example per vendor.
//!
//! ## Two modes
//!
//! * [`Mode::Stable`] ([`Sandbox::start`], [`Sandbox::stable`], the binary): every read is
//!   answered deterministically — for a request with several recordings, always the same
//!   one, the successful one (2xx before a 4xx answer such as a recorded "not found", and
//!   never a 5xx, 429, 408 or HTML error page while anything else is recorded). No fault is ever
//!   served unless asked for. Synthetic data sets ([`Synthetic`]) answer what they model, with
//!   filters, pages and writes, per sandbox instance.
//! * [`Mode::Scripted`] ([`Sandbox::builder`]): what this repository's own tests use. The
//!   cassettes you name answer in order (the first unused matching interaction, then the
//!   last match again), so a cassette can script "502, then 200"; add fault plans
//!   ([`FaultPlan`]: by sequence or by rate), latency and a server-side quota.
//!
//! ## Faults on request
//!
//! In either mode a request can ask for its own fault, so a test can exercise retries without
//! any setup — with a header, a query flag, or a base URL ([`Sandbox::url_with_fault`]):
//!
//! | request carries | answer |
//! |---|---|
//! | `X-Sandbox-Fault: 503` (any status 400–599) | that status, short text body |
//! | `X-Sandbox-Fault: 429;retry-after=2` | 429 with `Retry-After: 2` |
//! | `X-Sandbox-Fault: reset` | the connection is closed with a TCP reset, no answer |
//! | `X-Sandbox-Fault: truncate` | the normal answer, cut in half below its `Content-Length` |
//! | `X-Sandbox-Fault: html` / `html=200` | an HTML maintenance page with status 502 / 200 |
//! | `X-Sandbox-Fault: slow=2s` (or `250ms`) | the normal answer, that much later |
//! | `…;times=2` after any of them | the fault for the first 2 such requests on the route, then normal answers |
//!
//! The same value works as the query flag `?x-sandbox-fault=503` or as the path segments
//! `/_sandbox/fault/503/` anywhere in the path; flag and segments are removed before matching.
//! Status, 429 and HTML faults answer before the request is processed (a write is not
//! applied); `reset`, `truncate` and `slow` after it (the "outcome unknown" case).
//!
//! ## A request the sandbox cannot answer
//!
//! answers **HTTP 501** with the header **`X-Sandbox-Miss: 1`** and a text body naming the
//! nearest recording and what differs, e.g.
//! `sandbox: no recorded interaction matches GET /artikels/ query{id=7}; nearest is
//! cloudspot/artikels_get #0 GET /artikels/ query{id=101} (differs in: query id)`. The clients
//! built on `billing-http-core` never retry it and show the explanation in their errors; a
//! malformed `X-Sandbox-Fault` is answered the same way. [`Sandbox::misses`] lists them.
//!
//! ## Answering a request
//!
//! 1. the request is counted under its route ([`Sandbox::count`]);
//! 2. the latency is waited and the server-side quota checked (429 past it);
//! 3. the asked fault, else the fault plans, may answer instead;
//! 4. synthetic data sets answer what they model; for an id they do not know they give the
//!    vendor's "not found" answer unless a recording matches the request exactly (so recorded
//!    ids keep answering as recorded);
//! 5. otherwise a recording answers, chosen by the mode; matching is
//!    `billing_http_core::cassette`'s replay rule (method, path, sorted query, form and JSON
//!    body, minus secret fields; any field recorded as `REDACTED` is secret);
//! 6. nothing matched: the 501 miss above.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

// The README (the crates.io page) is compiled and run as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod background;
mod builder;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod cli;
mod embedded;
mod fault;
mod recordings;
mod server;
mod synthetic;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use billing_http_core::cassette::CassetteError;

pub use background::BackgroundSandbox;
pub use builder::{Sandbox, SandboxBuilder};
pub use embedded::embedded_cassettes;
pub use fault::{Fault, FaultPlan};
pub use synthetic::{Synthetic, pax8_company_id, ppms_login};

/// The header on every answer to a request the sandbox has no answer for (value `1`).
pub const MISS_HEADER: &str = "X-Sandbox-Miss";

/// The request header that asks for a fault (see the [crate docs](crate)).
pub const FAULT_HEADER: &str = "X-Sandbox-Fault";

/// The query flag that asks for a fault, removed before matching.
pub const FAULT_QUERY: &str = "x-sandbox-fault";

/// Size of the default synthetic data sets of [`Sandbox::start`] and the binary (see
/// [`Vendor::default_synthetic`]).
pub const DEFAULT_SCALE: usize = 100;

/// Errors starting the sandbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A cassette could not be loaded.
    #[error(transparent)]
    Cassette(#[from] CassetteError),
    /// A fixtures folder holds no cassette for the vendor.
    #[error("no cassettes for {vendor} in {}: expected {}/{vendor}/*.json", dir.display(), dir.display())]
    NoFixtures {
        /// The folder given.
        dir: PathBuf,
        /// The vendor.
        vendor: String,
    },
    /// The listener could not be bound.
    #[error("cannot listen on {host}:{port}: {source}")]
    Bind {
        /// The address asked for.
        host: String,
        /// The port asked for (0 = ephemeral).
        port: u16,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A base path that cannot be part of a URL.
    #[error("invalid base path {path:?}: {reason}")]
    BasePath {
        /// The path given.
        path: String,
        /// Why it is invalid.
        reason: String,
    },
    /// Nothing to start ([`Sandbox::start_together`] with no builder).
    #[error("no vendor to serve")]
    NothingToServe,
    /// The thread or runtime of [`SandboxBuilder::start_in_background`] could not start.
    #[error("cannot start the sandbox's thread: {0}")]
    Runtime(#[source] std::io::Error),
}

/// The vendors the sandbox knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Vendor {
    /// Stratocore PPMS (PUMAPI and API2).
    Ppms,
    /// Pax8 Partner API v1.
    Pax8,
    /// Cloudspot ERP.
    Cloudspot,
}

impl Vendor {
    /// Every vendor.
    pub const ALL: [Vendor; 3] = [Vendor::Ppms, Vendor::Pax8, Vendor::Cloudspot];

    /// The name used in fixture folders, routes and the command line: `ppms`, `pax8`,
    /// `cloudspot`.
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Ppms => "ppms",
            Vendor::Pax8 => "pax8",
            Vendor::Cloudspot => "cloudspot",
        }
    }

    /// The synthetic data a stable sandbox serves by default, sized by `scale`:
    ///
    /// * PPMS: `scale` active and `scale / 10` inactive users, and orders
    ///   ([`Synthetic::ppms_orders`]);
    /// * Pax8: `scale / 10 + 1` companies, `5 × scale` orders, `2 × scale` subscriptions and a
    ///   token endpoint;
    /// * Cloudspot: the recorded lists with `id` lookups, no extra articles, one page.
    pub fn default_synthetic(self, scale: usize) -> Vec<Synthetic> {
        match self {
            Vendor::Ppms => vec![
                Synthetic::ppms_users_with_inactive(scale, scale / 10),
                Synthetic::ppms_orders(),
            ],
            Vendor::Pax8 => vec![Synthetic::pax8(
                scale / 10 + 1,
                scale.saturating_mul(5),
                scale.saturating_mul(2),
            )],
            Vendor::Cloudspot => vec![Synthetic::cloudspot(0)],
        }
    }
}

impl AsRef<str> for Vendor {
    fn as_ref(&self) -> &str {
        self.name()
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown vendor name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown vendor `{0}`; known vendors: ppms, pax8, cloudspot")]
pub struct UnknownVendor(pub String);

impl FromStr for Vendor {
    type Err = UnknownVendor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Vendor::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownVendor(s.to_owned()))
    }
}

/// How recordings answer; see the [crate docs](crate#two-modes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// The same, successful recording for a request, every time.
    #[default]
    Stable,
    /// Recordings answer in order: the first unused match, then the last match again.
    Scripted,
}
