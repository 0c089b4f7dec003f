//! Errors: the typed [`Error`] of this crate, and lenient parsing of every error body shape
//! Pax8 is known to send (§7.1, §7.2, PAX8-Q27, PAX8-Q28, PAX8-Q29).
//!
//! Parsing order (§7.1): the API envelope (`type`, `message`, `instance`, `status`,
//! `details[]`, and the undocumented flat `errors: [string]`), then the OAuth shape of the token
//! endpoint (`error`, `error_description`), then raw text. Parsing an error body never fails,
//! and the raw body is always kept (up to [`RAW_BODY_LIMIT`] bytes).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use billing_http_core::classify::{Classifier, RequestInfo, error_for_status};
use billing_http_core::{ErrorKind, HttpResponse};
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::de;

/// Longest raw error body kept, in bytes.
pub const RAW_BODY_LIMIT: usize = 64 * 1024;

/// The Pax8 API error envelope (§5.26). Also covers the webhooks and quoting envelopes and the
/// flat `{"errors": [...]}` shape (PAX8-Q28).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApiErrorBody {
    /// Error type, such as `NOT_FOUND` (kept as a string).
    #[serde(
        default,
        rename = "type",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub error_type: Option<String>,
    /// Human-readable message.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub message: Option<String>,
    /// The gateway path (`/public/v1/...`), verbatim: never compare it with the request path
    /// (PAX8-Q29).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub instance: Option<String>,
    /// The HTTP status repeated (a number or a numeric string).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_u16"
    )]
    pub status: Option<u16>,
    /// Details (often empty).
    #[serde(
        default,
        deserialize_with = "lenient_details",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub details: Vec<ApiErrorDetail>,
    /// The undocumented flat list seen on subscription-update rejections (PAX8-Q28).
    #[serde(
        default,
        deserialize_with = "lenient_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub errors: Vec<String>,
    /// Anything else in the body.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of `details` in the error envelope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApiErrorDetail {
    /// Detail type.
    #[serde(
        default,
        rename = "type",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub error_type: Option<String>,
    /// Detail message.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub message: Option<String>,
    /// Detail instance.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub instance: Option<String>,
    /// Detail status (a number or a numeric string; garbage is dropped, PAX8-Q28).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_status"
    )]
    pub status: Option<u16>,
    /// Anything else in the detail.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn lenient_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    let v = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
    Ok(de::u64_from_value(&v)
        .ok()
        .flatten()
        .and_then(|n| u16::try_from(n).ok()))
}

fn lenient_details<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<ApiErrorDetail>, D::Error> {
    let v = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
    let items = match v {
        Value::Array(items) => items,
        Value::Null => return Ok(Vec::new()),
        other => vec![other],
    };
    Ok(items
        .into_iter()
        .map(|item| match item {
            Value::String(s) => ApiErrorDetail {
                message: Some(s),
                ..ApiErrorDetail::default()
            },
            other => serde_json::from_value(other.clone()).unwrap_or_else(|_| ApiErrorDetail {
                message: Some(other.to_string()),
                ..ApiErrorDetail::default()
            }),
        })
        .collect())
}

fn lenient_strings<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
    let items = match v {
        Value::Array(items) => items,
        Value::Null => return Ok(Vec::new()),
        other => vec![other],
    };
    Ok(items
        .into_iter()
        .map(|item| match item {
            Value::String(s) => s,
            Value::Object(ref m) => m
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| item.to_string()),
            other => other.to_string(),
        })
        .collect())
}

/// The OAuth-style error of the token endpoint (PAX8-Q27).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OAuthErrorBody {
    /// Error code, such as `access_denied`.
    pub error: String,
    /// Description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_string"
    )]
    pub error_description: Option<String>,
}

/// An error body, parsed leniently.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorBody {
    /// The API envelope (or the flat `errors` list).
    Api(ApiErrorBody),
    /// The OAuth shape of the token endpoint.
    OAuth(OAuthErrorBody),
    /// Empty, non-JSON, or JSON of no known shape: see [`ApiError::raw`].
    Raw,
}

const ENVELOPE_KEYS: &[&str] = &["type", "message", "instance", "status", "details", "errors"];

/// Parses an error body by the order of §7.1. Never fails.
pub fn parse_error_body(raw: &[u8]) -> ErrorBody {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(raw) else {
        return ErrorBody::Raw;
    };
    if map.contains_key("error") && map.get("error").is_some_and(Value::is_string) {
        let has_envelope = ENVELOPE_KEYS
            .iter()
            .any(|k| *k != "status" && map.contains_key(*k));
        if !has_envelope
            && let Ok(body) = serde_json::from_value::<OAuthErrorBody>(Value::Object(map.clone()))
        {
            return ErrorBody::OAuth(body);
        }
    }
    if ENVELOPE_KEYS.iter().any(|k| map.contains_key(*k))
        && let Ok(body) = serde_json::from_value::<ApiErrorBody>(Value::Object(map))
    {
        return ErrorBody::Api(body);
    }
    ErrorBody::Raw
}

/// Where a timeout came from (PAX8-Q45).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutOrigin {
    /// The client-side timeout fired.
    Client,
    /// The server answered HTTP 408 (or a gateway 504).
    Server,
}

/// An HTTP error response from Pax8: status, request, parsed body and raw text.
#[derive(Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Request method.
    pub method: Method,
    /// Request path (relative to the base URL). Never compared with `instance` (PAX8-Q29).
    pub path: String,
    /// Operation name, such as `companies.get`.
    pub operation: String,
    /// The parsed body.
    pub body: ErrorBody,
    /// The raw body, lossy UTF-8, at most [`RAW_BODY_LIMIT`] bytes.
    pub raw: String,
    /// The server's `Retry-After`, when it sent one.
    pub retry_after: Option<Duration>,
    core: Option<Arc<billing_http_core::Error>>,
}

impl ApiError {
    /// Builds an error from a response (used by the classifier and in tests).
    pub fn from_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        let cut = &body[..body.len().min(RAW_BODY_LIMIT)];
        Self {
            status,
            method: Method::GET,
            path: String::new(),
            operation: String::new(),
            body: parse_error_body(body),
            raw: String::from_utf8_lossy(cut).into_owned(),
            retry_after,
            core: None,
        }
    }

    /// The API envelope, if the body was one.
    pub fn api_body(&self) -> Option<&ApiErrorBody> {
        match &self.body {
            ErrorBody::Api(b) => Some(b),
            _ => None,
        }
    }

    /// The best human message: the envelope's `message`, else the flat `errors` joined, else the
    /// OAuth description or code.
    pub fn message(&self) -> Option<String> {
        match &self.body {
            ErrorBody::Api(b) => b.message.clone().or_else(|| {
                if b.errors.is_empty() {
                    b.details.iter().find_map(|d| d.message.clone())
                } else {
                    Some(b.errors.join("; "))
                }
            }),
            ErrorBody::OAuth(o) => Some(
                o.error_description
                    .clone()
                    .unwrap_or_else(|| o.error.clone()),
            ),
            ErrorBody::Raw => None,
        }
    }

    /// The envelope's `details` (empty when absent).
    pub fn details(&self) -> &[ApiErrorDetail] {
        self.api_body().map(|b| b.details.as_slice()).unwrap_or(&[])
    }

    /// The flat `errors` list (empty when absent).
    pub fn errors(&self) -> &[String] {
        self.api_body().map(|b| b.errors.as_slice()).unwrap_or(&[])
    }

    /// The envelope's `instance`, verbatim (PAX8-Q29).
    pub fn instance(&self) -> Option<&str> {
        self.api_body().and_then(|b| b.instance.as_deref())
    }

    /// The underlying http-core error, when the error came through the client.
    pub fn core(&self) -> Option<&billing_http_core::Error> {
        self.core.as_deref()
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("operation", &self.operation)
            .field("body", &self.body)
            .field("retry_after", &self.retry_after)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http {} on {} {}", self.status, self.method, self.path)?;
        if !self.operation.is_empty() {
            write!(f, " ({})", self.operation)?;
        }
        if let Some(m) = self.message() {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// The error type of every call of this crate.
///
/// Match on the variant, or use the predicates (`is_not_found`, `is_validation`, ...). The
/// variant for an HTTP failure carries an [`ApiError`] with the parsed body, the raw text and the
/// request path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// HTTP 400.
    #[error("pax8 bad request: {0}")]
    BadRequest(Box<ApiError>),
    /// HTTP 401 after one token refresh and one retry (§2.6).
    #[error("pax8 unauthorized: {0}")]
    Unauthorized(Box<ApiError>),
    /// HTTP 403 (on the subscriptions list this can mean an invalid `companyId`, PAX8-Q42).
    #[error("pax8 forbidden: {0}")]
    Forbidden(Box<ApiError>),
    /// HTTP 404.
    #[error("pax8 not found: {0}")]
    NotFound(Box<ApiError>),
    /// HTTP 422: the request was understood but rejected; see `details` and `errors`.
    #[error("pax8 validation failed: {0}")]
    Validation(Box<ApiError>),
    /// HTTP 429 once retries are exhausted or not allowed.
    #[error("pax8 rate limited: {error}")]
    RateLimited {
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
        /// The response.
        error: Box<ApiError>,
    },
    /// A client timeout or HTTP 408 (PAX8-Q45).
    #[error("pax8 timed out ({origin:?}){}", error.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    Timeout {
        /// Client-side timer or server 408.
        origin: TimeoutOrigin,
        /// The response, for a server timeout.
        error: Option<Box<ApiError>>,
        /// The underlying http-core error.
        #[source]
        source: Option<Arc<billing_http_core::Error>>,
    },
    /// HTTP 5xx.
    #[error("pax8 server error: {0}")]
    Server(Box<ApiError>),
    /// Any other non-success status (409, 418, ...).
    #[error("pax8 unexpected status: {0}")]
    UnexpectedStatus(Box<ApiError>),
    /// The token endpoint refused the credentials (OAuth body, PAX8-Q27).
    #[error("pax8 token request failed{}: {error}{}", status.map(|s| format!(" (http {s})")).unwrap_or_default(), description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Auth {
        /// HTTP status of the token response.
        status: Option<u16>,
        /// OAuth error code, such as `access_denied`.
        error: String,
        /// OAuth error description.
        description: Option<String>,
    },
    /// Connect, TLS or I/O failure.
    #[error("pax8 transport error: {0}")]
    Transport(#[source] billing_http_core::Error),
    /// A success body that does not decode; the error names the JSON path and keeps a snippet.
    #[error("pax8 decode error: {0}")]
    Decode(#[source] billing_http_core::Error),
    /// Client-side validation failed; nothing was sent.
    #[error("pax8 invalid request: {0}")]
    InvalidRequest(String),
    /// The client is misconfigured.
    #[error("pax8 configuration error: {0}")]
    Config(String),
    /// Any other failure from the HTTP runtime.
    #[error("pax8 error: {0}")]
    Other(#[source] billing_http_core::Error),
}

impl Error {
    /// Maps an http-core error (with the request's method and path) to a typed error.
    pub(crate) fn from_core(e: billing_http_core::Error, method: &Method, path: &str) -> Self {
        use std::error::Error as _;
        // No token could be obtained, so this request was never sent: map the token call's
        // own error (http-core keeps it, with its method and status, in `token_error`).
        if let Some(token) = e.token_error() {
            return Error::from_core(token.clone(), &Method::POST, token.operation());
        }
        let status = e.status().map(|s| s.as_u16());
        let kind = e.kind();
        let Some(status) = status else {
            return match kind {
                ErrorKind::Timeout => Error::Timeout {
                    origin: TimeoutOrigin::Client,
                    error: None,
                    source: Some(Arc::new(e)),
                },
                ErrorKind::Connect | ErrorKind::Transport | ErrorKind::BodyTooLarge => {
                    Error::Transport(e)
                }
                ErrorKind::Decode => Error::Decode(e),
                ErrorKind::InvalidInput => Error::InvalidRequest(e.message().to_owned()),
                ErrorKind::Config => Error::Config(e.message().to_owned()),
                _ => Error::Other(e),
            };
        };
        let api = e
            .source()
            .and_then(|s| s.downcast_ref::<ApiError>())
            .cloned();
        let mut api = match api {
            Some(api) => {
                if let ErrorBody::OAuth(o) = &api.body
                    && (kind == ErrorKind::Token || matches!(status, 400 | 401 | 403))
                {
                    return Error::Auth {
                        status: Some(status),
                        error: o.error.clone(),
                        description: o.error_description.clone(),
                    };
                }
                api
            }
            None if matches!(status, 400 | 401 | 403)
                && e.message().starts_with("token refresh failed recently") =>
            {
                // The token cache repeats a recent token failure without a new request (its
                // failure floor); the original OAuth body is gone, its text is kept.
                return Error::Auth {
                    status: Some(status),
                    error: "token_refresh_failed".into(),
                    description: Some(e.message().to_owned()),
                };
            }
            // No classifier ran (should not happen): build the error from the snippet.
            None => ApiError::from_response(
                status,
                e.body_snippet().unwrap_or("").as_bytes(),
                e.retry_after(),
            ),
        };
        api.method = method.clone();
        if api.path.is_empty() {
            api.path = path.to_owned();
        }
        api.operation = e.operation().to_owned();
        if api.retry_after.is_none() {
            api.retry_after = e.retry_after();
        }
        let core = Arc::new(e);
        api.core = Some(core.clone());
        let b = Box::new(api);
        match status {
            400 => Error::BadRequest(b),
            401 => Error::Unauthorized(b),
            403 => Error::Forbidden(b),
            404 | 410 => Error::NotFound(b),
            408 => Error::Timeout {
                origin: TimeoutOrigin::Server,
                error: Some(b),
                source: Some(core),
            },
            422 => Error::Validation(b),
            429 => Error::RateLimited {
                retry_after: b.retry_after,
                error: b,
            },
            500..=599 => Error::Server(b),
            _ => Error::UnexpectedStatus(b),
        }
    }

    /// The [`ApiError`] of an HTTP failure.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::BadRequest(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::Validation(e)
            | Error::Server(e)
            | Error::UnexpectedStatus(e)
            | Error::RateLimited { error: e, .. } => Some(e),
            Error::Timeout { error: Some(e), .. } => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Auth { status, .. } => *status,
            _ => self.api_error().map(|e| e.status),
        }
    }

    /// HTTP 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_))
    }

    /// HTTP 400 or 422, or client-side validation.
    pub fn is_validation(&self) -> bool {
        matches!(
            self,
            Error::Validation(_) | Error::BadRequest(_) | Error::InvalidRequest(_)
        )
    }

    /// HTTP 429.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Error::RateLimited { .. })
    }

    /// Credentials refused: token endpoint errors and HTTP 401.
    pub fn is_auth(&self) -> bool {
        matches!(self, Error::Auth { .. } | Error::Unauthorized(_))
    }

    /// A timeout of either origin.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// Worth retrying for a request that is safe to repeat (429, 5xx, timeouts, transport).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Server(_) | Error::Timeout { .. } => true,
            Error::Transport(e) | Error::Other(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// True when a write may or may not have been applied: a timeout, a 5xx, or a transport
    /// failure after the request may have reached the server. For `POST /orders` this means:
    /// list the company's orders before trying again (PAX8-Q14).
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Server(_) => true,
            Error::Transport(e) | Error::Other(e) => e.may_have_reached_server(),
            _ => false,
        }
    }
}

/// The vendor classifier: statuses map as in http-core, and the full error body is parsed into
/// an [`ApiError`] attached as the error's source, with its message as the vendor message.
#[derive(Debug, Default, Clone, Copy)]
pub struct Pax8Classifier;

impl Classifier for Pax8Classifier {
    fn classify(
        &self,
        request: RequestInfo<'_>,
        response: &HttpResponse,
        now: SystemTime,
    ) -> Result<(), billing_http_core::Error> {
        if response.status.is_success() {
            return Ok(());
        }
        let base = error_for_status(response, now);
        let mut api =
            ApiError::from_response(response.status.as_u16(), &response.body, base.retry_after());
        api.path = request.path.to_owned();
        api.operation = request.operation.to_owned();
        let mut e = base;
        if let Some(m) = api.message() {
            e = e.with_vendor_message(m);
        }
        Err(e.with_source(api))
    }
}
