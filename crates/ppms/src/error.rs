//! The crate's error type and the PUMAPI classifier plugged into http-core.
//!
//! PUMAPI answers HTTP 200 for everything it produces, errors included (PPMS-Q01). The
//! [`PumapiClassifier`] inspects the **first line** of every 200 body for an `error:` prefix
//! (and the legacy `System right not authorized`, PPMS-Q02) so that http-core sees those answers
//! as failures (no retry, auth predicates); the client then maps them to the typed variants of
//! [`Error`].

use std::fmt;
use std::time::SystemTime;

use billing_http_core::classify::{Classifier, RequestInfo, classify_status};
use billing_http_core::{ErrorKind, HttpResponse, StatusCode};

use crate::parse::{BodyClass, ParseError, ServerError, classify};

/// Longest body text kept in an error.
const SNIPPET: usize = 512;

fn snippet(body: &str) -> String {
    let t = body.trim();
    match t.char_indices().nth(SNIPPET) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_owned(),
    }
}

/// An error of the `ppms` crate. Every variant names the action.
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
    },
    /// `error: invalid id`, or the legacy `System right not authorized` (PPMS-Q02).
    #[error("ppms {action}: invalid id")]
    InvalidId {
        /// The action.
        action: String,
    },
    /// `error: invalid user <login>`.
    #[error("ppms {action}: invalid user {login}")]
    InvalidUser {
        /// The action.
        action: String,
        /// The login the server named.
        login: String,
    },
    /// Any other `error: ...` text, kept verbatim.
    #[error("ppms {action}: server error: {message}")]
    Api {
        /// The action.
        action: String,
        /// The server's message.
        message: String,
    },
    /// A command action answered something other than its success marker (`done`,
    /// `OK newuser`, an order number), or a read answered a body of the wrong kind.
    #[error("ppms {action}: unexpected response {body:?}")]
    UnexpectedResponse {
        /// The action.
        action: String,
        /// The (trimmed, bounded) body.
        body: String,
    },
    /// A body that does not have the shape of the action's answer.
    #[error("ppms {action}: cannot parse response: {source}")]
    Parse {
        /// The action.
        action: String,
        /// Line, column and reason.
        #[source]
        source: ParseError,
        /// The start of the body.
        body: String,
    },
    /// Arguments rejected before sending.
    #[error("ppms {action}: invalid argument: {message}")]
    Validation {
        /// The action.
        action: String,
        /// What is wrong.
        message: String,
    },
    /// `create_user` found the login already taken (PPMS-Q35); nothing was sent.
    #[error("ppms newuser: user {login} already exists")]
    AlreadyExists {
        /// The login.
        login: String,
    },
    /// `create_user` found no such group (PPMS-Q35); nothing was sent.
    #[error("ppms newuser: group {unitlogin} does not exist")]
    GroupNotFound {
        /// The group.
        unitlogin: String,
    },
    /// A non-idempotent action (e.g. `createorder`) failed after the request may have
    /// reached the server: the object **may exist**. It was not retried (PPMS-Q38). Look it up
    /// (e.g. [`crate::Orders::find_by_marker`]) before trying again.
    #[error("ppms {action}: outcome unknown, the request may have been processed: {source}")]
    OutcomeUnknown {
        /// The action.
        action: String,
        /// The transport or HTTP failure.
        #[source]
        source: billing_http_core::Error,
    },
    /// Transport failures, HTTP statuses other than 200, timeouts, configuration errors.
    #[error(transparent)]
    Http(#[from] billing_http_core::Error),
}

impl Error {
    /// The action the error is about, when known.
    pub fn action(&self) -> Option<&str> {
        match self {
            Self::NotAuthorized { action }
            | Self::InvalidId { action }
            | Self::InvalidUser { action, .. }
            | Self::Api { action, .. }
            | Self::UnexpectedResponse { action, .. }
            | Self::Parse { action, .. }
            | Self::Validation { action, .. }
            | Self::OutcomeUnknown { action, .. } => Some(action),
            Self::AlreadyExists { .. } | Self::GroupNotFound { .. } => Some("newuser"),
            Self::Http(e) => Some(e.operation()).filter(|o| !o.is_empty()),
        }
    }

    /// True for [`Error::NotAuthorized`] and HTTP 401/403.
    pub fn is_auth(&self) -> bool {
        match self {
            Self::NotAuthorized { .. } => true,
            Self::Http(e) => e.is_auth() || e.kind() == ErrorKind::Forbidden,
            _ => false,
        }
    }

    /// True for unknown ids, users and groups.
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::InvalidId { .. } | Self::InvalidUser { .. } | Self::GroupNotFound { .. } => true,
            Self::Http(e) => e.is_not_found(),
            _ => false,
        }
    }

    /// True for failures worth retrying later (timeouts, resets, 5xx, 429) on idempotent calls.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Http(e) if e.is_retryable())
    }

    /// True for timeouts.
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Http(e) | Self::OutcomeUnknown { source: e, .. } => e.is_timeout(),
            _ => false,
        }
    }

    /// True when the body could not be decoded.
    pub fn is_parse(&self) -> bool {
        matches!(self, Self::Parse { .. }) || matches!(self, Self::Http(e) if e.is_decode())
    }

    /// True for [`Error::OutcomeUnknown`]: a write that may have happened.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Self::OutcomeUnknown { .. })
    }

    /// True when the request may have been processed by the server.
    pub fn may_have_reached_server(&self) -> bool {
        match self {
            Self::Validation { .. } | Self::AlreadyExists { .. } | Self::GroupNotFound { .. } => {
                false
            }
            Self::Http(e) => e.may_have_reached_server(),
            _ => true,
        }
    }

    /// The HTTP status, for [`Error::Http`] errors that have one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Http(e) | Self::OutcomeUnknown { source: e, .. } => e.status(),
            _ => None,
        }
    }

    pub(crate) fn from_server(action: &str, e: ServerError) -> Self {
        let action = action.to_owned();
        match e {
            ServerError::NotAuthorized => Self::NotAuthorized { action },
            ServerError::InvalidId => Self::InvalidId { action },
            ServerError::InvalidUser { login } => Self::InvalidUser { action, login },
            ServerError::Other { message } => Self::Api { action, message },
        }
    }

    pub(crate) fn unexpected(action: &str, body: &str) -> Self {
        Self::UnexpectedResponse {
            action: action.to_owned(),
            body: snippet(body),
        }
    }

    pub(crate) fn parse(action: &str, source: ParseError, body: &str) -> Self {
        Self::Parse {
            action: action.to_owned(),
            source,
            body: snippet(body),
        }
    }

    pub(crate) fn validation(action: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            action: action.to_owned(),
            message: message.into(),
        }
    }

    /// Maps an http-core error of `action` back to the typed PUMAPI variants when it carries a
    /// classified PUMAPI body.
    pub(crate) fn from_http(action: &str, e: billing_http_core::Error) -> Self {
        if e.status() == Some(StatusCode::OK)
            && let Some(BodyClass::Error(server)) = e.vendor_message().map(classify)
        {
            return Self::from_server(action, server);
        }
        Self::Http(e)
    }
}

/// The PUMAPI/API2 classifier for http-core (reference section 2.2).
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
    ) -> Result<(), billing_http_core::Error> {
        if response.status != StatusCode::OK {
            classify_status(response, now)?;
            return Err(billing_http_core::Error::http(
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
                let first = text.trim().lines().next().unwrap_or_default().trim();
                Err(
                    billing_http_core::Error::new(kind, format!("pumapi error: {server}"))
                        .with_status(response.status)
                        .with_vendor_message(first)
                        .with_body(&response.body)
                        .with_reached_server(true),
                )
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

    fn run(status: u16, body: &str) -> Result<(), billing_http_core::Error> {
        let resp = HttpResponse::new(StatusCode::from_u16(status).unwrap(), body.to_owned());
        PumapiClassifier.classify(RequestInfo::new("getusers", ""), &resp, SystemTime::now())
    }

    #[test]
    fn ppms_q01_http_200_error_body_is_an_auth_error() {
        let e = run(200, "error: request not authorized\r\n").unwrap_err();
        assert!(e.is_auth());
        assert!(!e.is_retryable());
        let mapped = Error::from_http("getusers", e);
        assert!(matches!(mapped, Error::NotAuthorized { ref action } if action == "getusers"));
    }

    #[test]
    fn ppms_q02_legacy_and_new_invalid_id_map_to_invalid_id() {
        for body in ["error: invalid id\r\n", "System right not authorized\r\n"] {
            let e = Error::from_http("setright", run(200, body).unwrap_err());
            assert!(matches!(e, Error::InvalidId { .. }), "{body}");
        }
        let e = Error::from_http("setright", run(200, "error: something new").unwrap_err());
        assert!(matches!(e, Error::Api { ref message, .. } if message == "something new"));
    }

    #[test]
    fn ppms_q03_not_authorized_message_names_action_and_both_causes() {
        let msg = Error::NotAuthorized {
            action: "getbooking".into(),
        }
        .to_string();
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
}
