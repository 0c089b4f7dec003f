//! Adapters: turn an order line into calls on one ERP, through a workspace SDK crate.
//!
//! Every adapter declares its [`Capabilities`] (reference §11): whether it can create a line,
//! whether it can check the ERP for a unique id (crash recovery and uncertain pushes need it),
//! and whether its ERP honours an idempotency key. An ERP kind that cannot create lines is
//! refused when the configuration is loaded, never line by line.
//!
//! Errors are classified once, here, into what the worker does with them ([`Failure`]):
//!
//! | class | examples | the worker |
//! |---|---|---|
//! | `Permanent(code)` | unknown product, unknown case, the ERP refused the line | fails the line with `code` |
//! | `Transient` | connection refused, 429, a lookup that failed | back to `received` with backoff; counts towards the outage breaker |
//! | `Uncertain` | timeout or reset after sending, 5xx after sending, unreadable 2xx (the SDK's `is_outcome_unknown()`) | never re-sent blindly: the next attempt checks first, or `outcome_unknown` |
//! | `Auth` | 401/403, PUMAPI `request not authorized` (`is_auth()`) | pauses the tenant; the line stays `received` |
//!
//! | adapter | `can_create` | `can_check_existing` | idempotency |
//! |---|---|---|---|
//! | [`ppms`] | yes | yes: the unique id is a marker in the staff comment, found through `getorders` | none (PPMS-Q38) |
//! | [`http`] | yes | when `lookup_url` is set | `Idempotency-Key: <unique_id>`, honoured when configured |
//! | [`cloudspot`] | no (read-only API) | no | — (product checks only) |
//! | [`fault`] | yes | as configured | as configured (tests) |

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::model::{OrderLine, ReasonCode};

pub mod cloudspot;
pub mod fault;
pub mod http;
pub mod ppms;

/// What an adapter can do (reference §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// It can create an order line in the ERP.
    pub can_create: bool,
    /// It can check whether the ERP has a line with a given unique id.
    pub can_check_existing: bool,
    /// The ERP de-duplicates pushes on the unique id, so an uncertain push may be re-sent.
    pub honours_idempotency_key: bool,
}

impl Capabilities {
    /// Capabilities from the three flags.
    pub fn new(can_create: bool, can_check_existing: bool, honours_idempotency_key: bool) -> Self {
        Capabilities {
            can_create,
            can_check_existing,
            honours_idempotency_key,
        }
    }
}

/// A line as an adapter pushes it: the canonical line, its tenant and the ERP product id
/// (after the tenant's product mapping).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct PushLine<'a> {
    /// The tenant.
    pub tenant: &'a str,
    /// The line.
    pub line: &'a OrderLine,
    /// The ERP's product id.
    pub erp_product: &'a str,
}

impl<'a> PushLine<'a> {
    /// A line to push.
    pub fn new(tenant: &'a str, line: &'a OrderLine, erp_product: &'a str) -> Self {
        PushLine {
            tenant,
            line,
            erp_product,
        }
    }
}

/// The ERP has the line: it was created now, or it was there already (e.g. HTTP 409).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pushed {
    /// The ERP's id of the line or order, when it said.
    pub reference: Option<String>,
}

/// The answer of [`Adapter::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Found {
    /// The ERP has the line.
    Yes {
        /// The ERP's id of it, when known.
        reference: Option<String>,
    },
    /// The ERP does not have the line.
    No,
}

/// What the worker does with a failure (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The line cannot succeed: fail it with this code.
    Permanent(ReasonCode),
    /// Try again later; the ERP did not get the line (or this was a read).
    Transient {
        /// The delay the ERP asked for.
        retry_after: Option<Duration>,
    },
    /// The push may have reached the ERP: check before pushing again.
    Uncertain,
    /// The tenant's credentials were rejected: pause the tenant.
    Auth,
}

/// A failed push or check: its class and a bounded message for the line's `reason` and the
/// logs. The message never holds a credential or a request body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct AdapterError {
    /// What to do.
    pub failure: Failure,
    /// What happened.
    pub message: String,
}

impl AdapterError {
    /// An error of class `failure`; the message is cut to 300 characters.
    pub fn new(failure: Failure, message: impl AsRef<str>) -> Self {
        AdapterError {
            failure,
            message: crate::model::bounded(message.as_ref(), 300),
        }
    }

    /// A transient failure.
    pub fn transient(message: impl AsRef<str>) -> Self {
        Self::new(Failure::Transient { retry_after: None }, message)
    }
}

/// One ERP kind. See the [module docs](self).
pub trait Adapter: Send + Sync + fmt::Debug {
    /// The ERP kind (`ppms`, `http`, …) for logs.
    fn kind(&self) -> &'static str;

    /// What it can do.
    fn capabilities(&self) -> Capabilities;

    /// Creates the line in the ERP.
    fn push<'a>(&'a self, line: PushLine<'a>) -> BoxFuture<'a, Result<Pushed, AdapterError>>;

    /// Asks the ERP whether it has the line. Adapters that cannot check answer a transient
    /// error (the worker never calls it for them).
    fn check<'a>(&'a self, line: PushLine<'a>) -> BoxFuture<'a, Result<Found, AdapterError>>;
}

/// Classifies an SDK error by the predicates every vendor crate shares (`SdkError`,
/// docs/conventions.md §3): `is_auth()` pauses, `is_outcome_unknown()` is uncertain, a retryable
/// failure or one that provably never left is transient. `None` for what the caller must
/// classify itself (a definite refusal by the ERP).
pub fn classify_sdk(e: &impl billing_http_core::SdkError) -> Option<Failure> {
    if e.is_auth() {
        Some(Failure::Auth)
    } else if e.is_outcome_unknown() {
        Some(Failure::Uncertain)
    } else if e.is_retryable() || !e.may_have_reached_server() {
        Some(Failure::Transient {
            retry_after: e.retry_after(),
        })
    } else {
        None
    }
}
