//! The crate's error type and the PUMAPI classifier plugged into billing-http-core.
//!
//! PUMAPI answers HTTP 200 for everything it produces, errors included (PPMS-Q01). The
//! [`PumapiClassifier`] inspects the **first line** of every 200 body for an `error:` prefix
//! (and the legacy `System right not authorized`, PPMS-Q02) so that the runtime sees those
//! answers as failures (no retry, auth predicates); the client then maps them to the typed
//! variants of [`Error`].
//!
//! Every error that comes from talking to the server keeps the runtime's error
//! ([`Error::core`]): operation, status, attempts and a bounded snippet of the body (shown by
//! `Debug`, never by `Display`).

use std::fmt;
use std::time::{Duration, SystemTime};

use billing_http_core::classify::{Classifier, RequestInfo, classify_status};
use billing_http_core::{ErrorKind, HttpResponse, StatusCode};

use crate::parse::{BodyClass, ParseError, ServerError, classify};

/// The runtime's error (`billing_http_core::Error`), re-exported at the crate root as
/// [`crate::CoreError`].
type CoreError = billing_http_core::Error;

/// Longest vendor message (or server-provided text) an error's `Display` shows, in characters.
pub const MESSAGE_LIMIT: usize = 200;

/// `text`, trimmed, cut to its first line and to [`MESSAGE_LIMIT`] characters.
pub(crate) fn bounded(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(MESSAGE_LIMIT) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}

/// An error of the `ppms` crate. Every variant names the action.
///
/// Match on the variants for PPMS specifics, or use the predicates every vendor crate of the
/// workspace shares ([`Error::is_not_found`], [`Error::is_auth`], [`Error::is_outcome_unknown`],
/// …; see `docs/conventions.md`). `Display` is one line with the server's own message (at most
/// [`MESSAGE_LIMIT`] characters), never the body; `Debug` adds a bounded body snippet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `error: request not authorized`.
    ///
    /// PPMS sends this for a bad, truncated or restricted key **and** for some invalid
    /// parameters (e.g. a non-numeric system id for `getbooking`), so it does not prove that
    /// the key is wrong (PPMS-Q03).
    #[error(
        "ppms {action}: request not authorized (the API key is wrong or lacks permission for this action, or a parameter is invalid)"
    )]
    NotAuthorized {
        /// The action.
        action: String,
        /// The runtime's error.
        core: CoreError,
    },
    /// `error: invalid id`, or the legacy `System right not authorized` (PPMS-Q02).
    #[error("ppms {action}: invalid id")]
    InvalidId {
        /// The action.
        action: String,
        /// The runtime's error.
        core: CoreError,
    },
    /// `error: invalid user <login>`.
    #[error("ppms {action}: invalid user {login}")]
    InvalidUser {
        /// The action.
        action: String,
        /// The login the server named (at most [`MESSAGE_LIMIT`] characters).
        login: String,
        /// The runtime's error.
        core: CoreError,
    },
    /// Any other `error: ...` text.
    #[error("ppms {action}: server error: {message}")]
    Api {
        /// The action.
        action: String,
        /// The server's message (at most [`MESSAGE_LIMIT`] characters).
        message: String,
        /// The runtime's error.
        core: CoreError,
    },
    /// A single-object lookup found nothing: PUMAPI answered its empty body for an unknown
    /// login, group, system or invoice (PPMS-Q05, PPMS-Q06; `docs/conventions.md` §4).
    #[error("ppms {action}: {what} not found")]
    NotFound {
        /// The action.
        action: String,
        /// What was looked up, e.g. `login jdoe` or `system 17`.
        what: String,
        /// The runtime's error.
        core: CoreError,
    },
    /// A command action answered something other than its success marker (`done`,
    /// `OK newuser`, an order number), or a read answered a body of the wrong kind (an HTML
    /// page, say).
    #[error("ppms {action}: unexpected response{}", suffix(.message))]
    UnexpectedResponse {
        /// The first line of the body when it reads as a message (not HTML), at most
        /// [`MESSAGE_LIMIT`] characters.
        message: Option<String>,
        /// The action.
        action: String,
        /// The runtime's error, with a bounded snippet of the body.
        core: CoreError,
    },
    /// A body that does not have the shape of the action's answer.
    #[error("ppms {action}: cannot parse response: {}", bounded(&.error.to_string()))]
    Parse {
        /// The action.
        action: String,
        /// Line, column and reason.
        #[source]
        error: ParseError,
        /// The runtime's error, with a bounded snippet of the body.
        core: CoreError,
    },
    /// Arguments rejected before sending.
    #[error("ppms {action}: invalid argument: {message}")]
    Validation {
        /// The action.
        action: String,
        /// What is wrong.
        message: String,
    },
    /// `create_user` found the login already taken (PPMS-Q35); `newuser` was not sent.
    #[error("ppms newuser: user {login} already exists")]
    AlreadyExists {
        /// The login.
        login: String,
    },
    /// `create_user` found no such group (PPMS-Q35); `newuser` was not sent.
    #[error("ppms newuser: group {unitlogin} does not exist")]
    GroupNotFound {
        /// The group.
        unitlogin: String,
    },
    /// A non-idempotent action (e.g. `createorder`) failed after the request may have
    /// reached the server — a timeout, a reset, a status other than 200, or a 200 whose body is
    /// not the action's answer: the object **may exist**. It was not retried (PPMS-Q38). Look
    /// it up (e.g. [`crate::Orders::find_by_marker`]) before trying again.
    #[error("ppms {action}: outcome unknown, the request may have been carried out: {}", summary(.core))]
    OutcomeUnknown {
        /// The action.
        action: String,
        /// The runtime's error: what failed (its kind, status and body snippet).
        core: CoreError,
    },
    /// Transport failures, HTTP statuses other than 200, timeouts, configuration errors.
    #[error(transparent)]
    Http(#[from] CoreError),
}

fn suffix(message: &Option<String>) -> String {
    message
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
}

/// What the runtime error says, without its vendor and operation (the variant names them).
fn summary(e: &CoreError) -> String {
    let mut s = e.message().to_owned();
    if let Some(m) = e.vendor_message() {
        s.push_str(": ");
        s.push_str(&bounded(m));
    }
    s
}

impl Error {
    /// The action the error is about, when known.
    pub fn action(&self) -> Option<&str> {
        match self {
            Self::NotAuthorized { action, .. }
            | Self::InvalidId { action, .. }
            | Self::InvalidUser { action, .. }
            | Self::Api { action, .. }
            | Self::NotFound { action, .. }
            | Self::UnexpectedResponse { action, .. }
            | Self::Parse { action, .. }
            | Self::Validation { action, .. }
            | Self::OutcomeUnknown { action, .. } => Some(action),
            Self::AlreadyExists { .. } | Self::GroupNotFound { .. } => Some("newuser"),
            Self::Http(e) => Some(e.operation()).filter(|o| !o.is_empty()),
        }
    }

    /// The runtime error underneath (`billing_http_core::Error`, re-exported as
    /// [`crate::CoreError`]): operation, status, attempts, a bounded body snippet, the missing
    /// environment variable of [`crate::Client::from_env`]. `None` for errors raised before
    /// anything was sent ([`Error::Validation`], [`Error::AlreadyExists`],
    /// [`Error::GroupNotFound`]).
    pub fn core(&self) -> Option<&CoreError> {
        match self {
            Self::NotAuthorized { core, .. }
            | Self::InvalidId { core, .. }
            | Self::InvalidUser { core, .. }
            | Self::Api { core, .. }
            | Self::NotFound { core, .. }
            | Self::UnexpectedResponse { core, .. }
            | Self::Parse { core, .. }
            | Self::OutcomeUnknown { core, .. }
            | Self::Http(core) => Some(core),
            Self::Validation { .. } | Self::AlreadyExists { .. } | Self::GroupNotFound { .. } => {
                None
            }
        }
    }

    /// The HTTP status, when a response was received (200 for the PUMAPI error bodies, PPMS-Q01).
    pub fn status(&self) -> Option<StatusCode> {
        self.core().and_then(CoreError::status)
    }

    /// The object does not exist: [`Error::NotFound`] (an empty body for a single lookup),
    /// [`Error::InvalidId`], [`Error::InvalidUser`], [`Error::GroupNotFound`], HTTP 404.
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::NotFound { .. }
            | Self::InvalidId { .. }
            | Self::InvalidUser { .. }
            | Self::GroupNotFound { .. } => true,
            Self::Http(e) => e.is_not_found(),
            _ => false,
        }
    }

    /// Credentials missing, wrong or not allowed: [`Error::NotAuthorized`], HTTP 401/403.
    pub fn is_auth(&self) -> bool {
        match self {
            Self::NotAuthorized { .. } => true,
            Self::Http(e) => e.is_auth() || e.kind() == ErrorKind::Forbidden,
            _ => false,
        }
    }

    /// A 429, or the client's limiter could not grant a slot within the call's budget.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Self::Http(e) | Self::OutcomeUnknown { core: e, .. } => e.is_rate_limited(),
            _ => false,
        }
    }

    /// Worth trying again later (timeouts, resets, 5xx, 429) — on a read. An
    /// [`Error::OutcomeUnknown`] is never "retryable": look the object up first.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Http(e) if e.is_retryable())
    }

    /// Timed out.
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Http(e) | Self::OutcomeUnknown { core: e, .. } => e.is_timeout(),
            _ => false,
        }
    }

    /// The answer could not be decoded: [`Error::Parse`], [`Error::UnexpectedResponse`], or a
    /// runtime decode error (a body that is not UTF-8).
    pub fn is_decode(&self) -> bool {
        match self {
            Self::Parse { .. } | Self::UnexpectedResponse { .. } => true,
            Self::Http(e) | Self::OutcomeUnknown { core: e, .. } => e.is_decode(),
            _ => false,
        }
    }

    /// The caller's input or the client's configuration was refused; nothing was sent.
    pub fn is_invalid_input(&self) -> bool {
        match self {
            Self::Validation { .. } => true,
            Self::Http(e) => e.is_invalid_input(),
            _ => false,
        }
    }

    /// `false` only when the request provably never left (validation, configuration, a refused
    /// connection).
    pub fn may_have_reached_server(&self) -> bool {
        match self {
            Self::Validation { .. } | Self::AlreadyExists { .. } | Self::GroupNotFound { .. } => {
                false
            }
            _ => self.core().is_none_or(CoreError::may_have_reached_server),
        }
    }

    /// True for [`Error::OutcomeUnknown`]: a write that is not idempotent failed after it may
    /// have reached the server, including a 200 whose body is not the action's answer. **The
    /// object may exist**; look it up before trying again.
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            Self::OutcomeUnknown { .. } => true,
            Self::Http(e) => e.is_outcome_unknown(),
            _ => false,
        }
    }

    /// The delay the server asked for (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.core().and_then(CoreError::retry_after)
    }

    /// The runtime error underneath, or one made from this error's kind and message (for the
    /// errors raised before sending). Used by the recording scenarios.
    #[cfg(feature = "recording")]
    pub(crate) fn into_core(self) -> CoreError {
        let kind = if self.is_not_found() {
            ErrorKind::NotFound
        } else {
            ErrorKind::InvalidInput
        };
        match self {
            Self::NotAuthorized { core, .. }
            | Self::InvalidId { core, .. }
            | Self::InvalidUser { core, .. }
            | Self::Api { core, .. }
            | Self::NotFound { core, .. }
            | Self::UnexpectedResponse { core, .. }
            | Self::Parse { core, .. }
            | Self::OutcomeUnknown { core, .. }
            | Self::Http(core) => core,
            other => CoreError::new(kind, other.to_string())
                .with_vendor("ppms")
                .with_reached_server(false),
        }
    }

    /// Maps a PUMAPI error text to its variant. An `error:` answer is the server refusing the
    /// request, so it is never outcome-unknown.
    pub(crate) fn from_server(action: &str, e: ServerError, core: CoreError) -> Self {
        let action = action.to_owned();
        let core = core.with_outcome_unknown(false);
        match e {
            ServerError::NotAuthorized => Self::NotAuthorized { action, core },
            ServerError::InvalidId => Self::InvalidId { action, core },
            ServerError::InvalidUser { login } => Self::InvalidUser {
                action,
                login: bounded(&login),
                core,
            },
            ServerError::Other { message } => Self::Api {
                action,
                message: bounded(&message),
                core,
            },
        }
    }

    pub(crate) fn validation(action: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            action: action.to_owned(),
            message: message.into(),
        }
    }

    /// A configuration error of the builder (`is_invalid_input`, nothing sent).
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::Http(
            CoreError::config(message)
                .with_vendor("ppms")
                .with_operation("client"),
        )
    }

    /// Maps a runtime error of `action`: a classified PUMAPI error body becomes its typed
    /// variant, a failure of a not-idempotent request that may have reached the server becomes
    /// [`Error::OutcomeUnknown`], anything else stays [`Error::Http`].
    pub(crate) fn from_core(action: &str, e: CoreError) -> Self {
        if e.status() == Some(StatusCode::OK)
            && let Some(BodyClass::Error(server)) = e.vendor_message().map(classify)
        {
            return Self::from_server(action, server, e);
        }
        Self::from_decoded(action, e, Self::Http)
    }

    /// `make(core)`, or [`Error::OutcomeUnknown`] when the runtime marked `core` so (a 200 to a
    /// not-idempotent request whose body could not be read is one).
    pub(crate) fn from_decoded(
        action: &str,
        core: CoreError,
        make: impl FnOnce(CoreError) -> Self,
    ) -> Self {
        if core.is_outcome_unknown() {
            Self::OutcomeUnknown {
                action: action.to_owned(),
                core,
            }
        } else {
            make(core)
        }
    }
}

billing_http_core::forward_sdk_error!(Error);

/// The PUMAPI/API2 classifier for billing-http-core (reference section 2.2).
///
/// * a status other than 200 is an HTTP error (5xx and 429 retryable as usual);
/// * a 200 whose first line starts with `error:` (any case), or equals the legacy
///   `System right not authorized`, is an error: `request not authorized` is an auth error,
///   `invalid id` / `invalid user` are not-found errors, anything else is a vendor error; none
///   of them is retried;
/// * every other 200 is a success for the action's own parser.
#[derive(Debug, Default, Clone, Copy)]
pub struct PumapiClassifier;

impl Classifier for PumapiClassifier {
    fn classify(
        &self,
        _request: RequestInfo<'_>,
        response: &HttpResponse,
        now: SystemTime,
    ) -> Result<(), CoreError> {
        if response.status != StatusCode::OK {
            classify_status(response, now)?;
            return Err(CoreError::http(
                ErrorKind::Vendor,
                response.status,
                &response.body,
            ));
        }
        let Ok(text) = std::str::from_utf8(&response.body) else {
            return Ok(());
        };
        match classify(text) {
            BodyClass::Error(server) => {
                let kind = match server {
                    ServerError::NotAuthorized => ErrorKind::Auth,
                    ServerError::InvalidId | ServerError::InvalidUser { .. } => ErrorKind::NotFound,
                    _ => ErrorKind::Vendor,
                };
                Err(CoreError::new(kind, "pumapi error")
                    .with_status(response.status)
                    .with_vendor_message(bounded(text))
                    .with_body(&response.body)
                    .with_reached_server(true))
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for PumapiClassifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pumapi")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn run(status: u16, body: &str) -> Result<(), CoreError> {
        let resp = HttpResponse::new(StatusCode::from_u16(status).unwrap(), body.to_owned());
        PumapiClassifier.classify(RequestInfo::new("getusers", ""), &resp, SystemTime::now())
    }

    #[test]
    fn ppms_q01_http_200_error_body_is_an_auth_error() {
        let e = run(200, "error: request not authorized\r\n").unwrap_err();
        assert!(e.is_auth());
        assert!(!e.is_retryable());
        let mapped = Error::from_core("getusers", e);
        assert!(matches!(mapped, Error::NotAuthorized { ref action, .. } if action == "getusers"));
        assert_eq!(mapped.status(), Some(StatusCode::OK));
    }

    #[test]
    fn ppms_q02_legacy_and_new_invalid_id_map_to_invalid_id() {
        for body in ["error: invalid id\r\n", "System right not authorized\r\n"] {
            let e = Error::from_core("setright", run(200, body).unwrap_err());
            assert!(matches!(e, Error::InvalidId { .. }), "{body}");
            assert!(e.is_not_found());
        }
        let e = Error::from_core("setright", run(200, "error: something new").unwrap_err());
        assert!(matches!(e, Error::Api { ref message, .. } if message == "something new"));
    }

    #[test]
    fn ppms_q03_not_authorized_message_names_action_and_both_causes() {
        let e = Error::from_core(
            "getbooking",
            run(200, "error: request not authorized").unwrap_err(),
        );
        let msg = e.to_string();
        assert!(msg.contains("getbooking"));
        assert!(msg.contains("API key"));
        assert!(msg.contains("parameter"));
    }

    #[test]
    fn non_200_statuses_are_http_errors() {
        let e = run(503, "busy").unwrap_err();
        assert!(e.is_retryable());
        let e = run(404, "<html>").unwrap_err();
        assert!(e.is_not_found());
        assert!(run(204, "").is_err());
        assert!(run(200, "jdoe\r\n").is_ok());
        assert!(run(200, "").is_ok());
    }

    #[test]
    fn display_bounds_the_servers_message_and_never_shows_the_body() {
        let long = format!(
            "error: {}\r\nsecond line with the rest of the body",
            "x".repeat(5000)
        );
        let e = Error::from_core("getusers", run(200, &long).unwrap_err());
        let shown = e.to_string();
        assert!(shown.chars().count() < MESSAGE_LIMIT + 60, "{shown}");
        assert!(!shown.contains("second line"), "{shown}");
        assert!(!shown.contains('\n'));
        assert!(
            format!("{e:?}").contains("xxxxxxxx"),
            "Debug keeps a snippet"
        );
    }

    #[test]
    fn pumapi_error_bodies_are_not_outcome_unknown_even_for_writes() {
        let core = run(200, "error: invalid user x")
            .unwrap_err()
            .with_outcome_unknown(true);
        let e = Error::from_core("createorder", core);
        assert!(matches!(e, Error::InvalidUser { .. }));
        assert!(!e.is_outcome_unknown());
    }
}
