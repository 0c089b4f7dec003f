//! Errors: the typed [`Error`] of this crate, and lenient parsing of every error body shape
//! Pax8 is known to send (§7.1, §7.2, PAX8-Q27, PAX8-Q28, PAX8-Q29).
//!
//! [`Error`] speaks the workspace's one error vocabulary (`docs/conventions.md` §3): the
//! predicates `is_not_found`, `is_auth`, `is_rate_limited`, `is_retryable`, `is_timeout`,
//! `is_decode`, `is_invalid_input`, `may_have_reached_server`, `is_outcome_unknown`, plus
//! `status()`, `retry_after()` and `core()` (the runtime's error underneath), and it implements
//! [`SdkError`](billing_http_core::SdkError). `Display` is one lower-case line with the vendor,
//! the operation, what failed, the HTTP status and Pax8's own message (at most
//! [`MESSAGE_LIMIT`] characters), never the raw body; `Debug` adds the runtime's bounded body
//! snippet (at most 512 bytes) and never shows a secret.
//!
//! Parsing order (§7.1): the API envelope (`type`, `message`, `instance`, `status`,
//! `details[]`, and the undocumented flat `errors: [string]`), then the OAuth shape of the token
//! endpoint (`error`, `error_description`), then raw text. Parsing an error body never fails,
//! and the raw body is always kept (up to [`RAW_BODY_LIMIT`] bytes).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use billing_http_core::classify::{Classifier, RequestInfo, error_for_status};
use billing_http_core::{ErrorKind, HttpResponse, StatusCode};
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::de;

/// Longest raw error body kept, in bytes.
pub const RAW_BODY_LIMIT: usize = 64 * 1024;

/// Longest vendor message shown by `Display`, in characters.
pub const MESSAGE_LIMIT: usize = 200;

/// `message` cut to [`MESSAGE_LIMIT`] characters (an ellipsis marks the cut).
pub(crate) fn bounded(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars.by_ref().take(MESSAGE_LIMIT).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

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
    pub status: StatusCode,
    /// Request method.
    pub method: Method,
    /// Request path (relative to the base URL). Never compared with `instance` (PAX8-Q29).
    pub path: String,
    /// Operation name, such as `companies.get`.
    pub operation: String,
    /// The parsed body.
    pub body: ErrorBody,
    /// The raw body, lossy UTF-8, at most [`RAW_BODY_LIMIT`] bytes. Not shown by `Display` or
    /// `Debug` (which show the vendor message and a bounded snippet).
    pub raw: String,
    /// The server's `Retry-After`, when it sent one.
    pub retry_after: Option<Duration>,
    core: Option<Arc<billing_http_core::Error>>,
}

impl ApiError {
    /// Builds an error from a response (used by the classifier and in tests).
    pub fn from_response(status: StatusCode, body: &[u8], retry_after: Option<Duration>) -> Self {
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
    /// first detail's message, else the OAuth description or code. Not bounded; `Display`
    /// shows at most [`MESSAGE_LIMIT`] characters of it.
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

    /// The underlying runtime error, when the error came through the client.
    pub fn core(&self) -> Option<&billing_http_core::Error> {
        self.core.as_deref()
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status.as_u16())
            .field("method", &self.method)
            .field("path", &self.path)
            .field("operation", &self.operation)
            .field(
                "error_type",
                &self.api_body().and_then(|b| b.error_type.as_deref()),
            )
            .field("message", &self.message().map(|m| bounded(&m)))
            .field("retry_after", &self.retry_after)
            // the runtime's error holds the bounded body snippet (at most 512 bytes)
            .field("core", &self.core)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "http {} on {} {}",
            self.status.as_u16(),
            self.method,
            self.path
        )?;
        if let Some(m) = self.message() {
            write!(f, ": {}", bounded(&m))?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// The error of every call of this crate. See the [module docs](self).
///
/// Match on the variant, or use the predicates. The variants for HTTP failures carry an
/// [`ApiError`] with the parsed body, the raw text and the request path.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// HTTP 400.
    BadRequest(Box<ApiError>),
    /// HTTP 401 after one token refresh and one retry (§2.6).
    Unauthorized(Box<ApiError>),
    /// HTTP 403 (on the subscriptions list this can mean an invalid `companyId`, PAX8-Q42).
    Forbidden(Box<ApiError>),
    /// HTTP 404 (or 410).
    NotFound(Box<ApiError>),
    /// HTTP 422: the request was understood but rejected; see `details` and `errors`.
    Validation(Box<ApiError>),
    /// HTTP 429 once retries are exhausted or not allowed.
    RateLimited {
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
        /// The response.
        error: Box<ApiError>,
    },
    /// A client timeout or HTTP 408 (PAX8-Q45).
    Timeout {
        /// Client-side timer or server 408.
        origin: TimeoutOrigin,
        /// The response, for a server timeout.
        error: Option<Box<ApiError>>,
        /// The underlying runtime error.
        source: Option<Arc<billing_http_core::Error>>,
    },
    /// HTTP 5xx.
    Server(Box<ApiError>),
    /// Any other non-success status (409, 418, ...).
    UnexpectedStatus(Box<ApiError>),
    /// The token endpoint refused the credentials (an OAuth body or a 400/401/403, PAX8-Q27).
    /// The API request itself was not sent.
    Auth {
        /// HTTP status of the token endpoint's answer.
        status: Option<StatusCode>,
        /// OAuth error code, such as `access_denied`.
        error: String,
        /// OAuth error description.
        description: Option<String>,
        /// The runtime error of the token call.
        source: Option<Arc<billing_http_core::Error>>,
    },
    /// No token could be obtained for another reason (the token endpoint failed, timed out or
    /// is rate limited, or failed moments ago and is not asked again yet): the API request was
    /// **not sent** (issue 16). The runtime error's source is the token call's failure.
    Token(billing_http_core::Error),
    /// Connect, TLS or I/O failure.
    Transport(billing_http_core::Error),
    /// A success body that does not decode; the error names the JSON path and keeps a snippet.
    Decode(billing_http_core::Error),
    /// The caller's input was refused on the client; nothing was sent.
    InvalidRequest(billing_http_core::Error),
    /// The client is misconfigured (or a documented environment variable is missing).
    Config(billing_http_core::Error),
    /// Any other failure from the HTTP runtime.
    Other(billing_http_core::Error),
}

/// The token call's failure, kept as the source of an [`Error::Token`] or [`Error::Auth`]
/// runtime error: the token URL (not a secret) and the runtime's error.
#[derive(Debug)]
pub(crate) struct TokenFailure {
    pub(crate) url: String,
    pub(crate) error: billing_http_core::Error,
}

impl fmt::Display for TokenFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "POST {}: {}", self.url, self.error.message())?;
        if let Some(m) = self.error.vendor_message() {
            write!(f, ": {}", bounded(m))?;
        }
        Ok(())
    }
}

impl std::error::Error for TokenFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Wraps a failure to obtain a token (from the token cache, before the API request is sent):
/// same kind and `Retry-After`, marked as never sent, with the token call's error as source.
pub(crate) fn token_failure(url: &str, e: billing_http_core::Error) -> billing_http_core::Error {
    // the token cache's own "could not obtain a token" wraps the token call's error: keep that
    let e = match e.token_error() {
        Some(token) => token.clone(),
        None => e,
    };
    billing_http_core::Error::new(
        e.kind(),
        "no token could be obtained, the request was not sent",
    )
    .with_retry_after(e.retry_after())
    .with_reached_server(false)
    .with_source(TokenFailure {
        url: url.to_owned(),
        error: e,
    })
}

impl Error {
    /// The caller's input was refused before anything was sent, in `operation`.
    pub(crate) fn invalid_input(operation: &str, message: impl Into<String>) -> Self {
        Error::InvalidRequest(
            billing_http_core::Error::invalid_input(message)
                .with_vendor("pax8")
                .with_operation(operation.to_owned())
                .with_reached_server(false),
        )
    }

    /// The client is misconfigured.
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config(
            billing_http_core::Error::config(message)
                .with_vendor("pax8")
                .with_reached_server(false),
        )
    }

    /// Maps a runtime error (with the request's method and path) to a typed error.
    pub(crate) fn from_core(e: billing_http_core::Error, method: &Method, path: &str) -> Self {
        use std::error::Error as _;
        if e.source().is_some_and(|s| s.is::<TokenFailure>()) {
            return Self::from_token_failure(e);
        }
        let kind = e.kind();
        let Some(status) = e.status() else {
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
                ErrorKind::InvalidInput => Error::InvalidRequest(e),
                ErrorKind::Config => Error::Config(e),
                _ => Error::Other(e),
            };
        };
        let mut api = match e.source().and_then(|s| s.downcast_ref::<ApiError>()) {
            Some(api) => api.clone(),
            // no classifier ran (should not happen): build the error from the snippet
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
        match status.as_u16() {
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
            // a 5xx the runtime classified as a non-retryable vendor answer (the sandbox's
            // "no recording matches") is not a server failure worth retrying
            500..=599 if kind == ErrorKind::Vendor => Error::UnexpectedStatus(b),
            500..=599 => Error::Server(b),
            _ => Error::UnexpectedStatus(b),
        }
    }

    /// A token call's failure: refused credentials are [`Error::Auth`], anything else
    /// [`Error::Token`]. `outer` is the runtime's error of the API call (never sent).
    fn from_token_failure(outer: billing_http_core::Error) -> Self {
        use std::error::Error as _;
        let (status, oauth, refused, message) = {
            let Some(token) = outer
                .source()
                .and_then(|s| s.downcast_ref::<TokenFailure>())
                .map(|t| &t.error)
            else {
                return Error::Other(outer);
            };
            let status = token.status();
            let oauth = token
                .source()
                .and_then(|s| s.downcast_ref::<ApiError>())
                .and_then(|a| match &a.body {
                    ErrorBody::OAuth(o) => Some(o.clone()),
                    _ => None,
                });
            let refused = token.kind() == ErrorKind::Auth
                || matches!(status.map(|s| s.as_u16()), Some(400 | 401 | 403));
            (
                status,
                oauth,
                refused,
                token.vendor_message().map(str::to_owned),
            )
        };
        if !refused {
            return Error::Token(outer);
        }
        let (error, description) = match oauth {
            Some(o) => (o.error, o.error_description),
            None => ("token_request_failed".to_owned(), message),
        };
        Error::Auth {
            status,
            error,
            description,
            source: Some(Arc::new(outer)),
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

    /// The runtime's error underneath (operation, attempts, body snippet, decode path, the
    /// missing environment variable of [`Client::from_env`](crate::Client::from_env)).
    pub fn core(&self) -> Option<&billing_http_core::Error> {
        match self {
            Error::Timeout { source, .. } => source.as_deref(),
            Error::Auth { source, .. } => source.as_deref(),
            Error::Token(e)
            | Error::Transport(e)
            | Error::Decode(e)
            | Error::InvalidRequest(e)
            | Error::Config(e)
            | Error::Other(e) => Some(e),
            _ => self.api_error().and_then(ApiError::core),
        }
    }

    /// The token call's own error, for [`Error::Token`] and [`Error::Auth`].
    pub fn token_error(&self) -> Option<&billing_http_core::Error> {
        use std::error::Error as _;
        match self {
            Error::Token(_) | Error::Auth { .. } => self
                .core()
                .and_then(|c| c.source())
                .and_then(|s| s.downcast_ref::<TokenFailure>())
                .map(|t| &t.error),
            _ => None,
        }
    }

    /// The HTTP status of the API call's response, when one was received. `None` for
    /// [`Error::Auth`] and [`Error::Token`]: the API request was not sent (the token
    /// endpoint's status is in the `Auth` variant and in [`Error::token_error`]).
    pub fn status(&self) -> Option<StatusCode> {
        self.api_error().map(|e| e.status)
    }

    /// The object does not exist (HTTP 404 or 410).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_))
    }

    /// Credentials missing, wrong, expired or not allowed: the token endpoint refused them,
    /// or the API answered 401 or 403.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Error::Auth { .. } | Error::Unauthorized(_) | Error::Forbidden(_)
        )
    }

    /// A 429 (from the API or the token endpoint), or the client's limiter could not grant a
    /// slot within the call's budget.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Error::RateLimited { .. } => true,
            _ => self.core().is_some_and(|c| c.is_rate_limited()),
        }
    }

    /// Worth trying again later if the call is safe to repeat (429, 5xx, timeouts, transient
    /// transport failures, a token endpoint that failed in one of those ways).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Server(_) | Error::Timeout { .. } => true,
            Error::Token(e) | Error::Transport(e) | Error::Other(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// Timed out (a client timeout, HTTP 408, or a token call that timed out).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Token(e) | Error::Other(e) => e.is_timeout(),
            _ => false,
        }
    }

    /// A success answer that could not be decoded into the expected shape.
    pub fn is_decode(&self) -> bool {
        matches!(self, Error::Decode(_))
    }

    /// The caller's input or the client's configuration was refused; nothing was sent.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::InvalidRequest(_) | Error::Config(_))
    }

    /// `false` only when the request provably never left: refused input or configuration, no
    /// token, or a connection that could not be made.
    pub fn may_have_reached_server(&self) -> bool {
        match self {
            Error::InvalidRequest(_) | Error::Config(_) | Error::Token(_) | Error::Auth { .. } => {
                false
            }
            _ => self.core().is_none_or(|c| c.may_have_reached_server()),
        }
    }

    /// A create (or a write that is not retried) failed after it may have reached the server,
    /// including a 2xx whose body could not be read: **the object may exist**. For
    /// `POST /orders`, list the company's orders before trying again (PAX8-Q14). Set by the
    /// runtime for such requests; a refusal the server answered (400, 401, 403, 404, 409, 422,
    /// 429) is not outcome-unknown, nor is anything that was never sent.
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            Error::Server(_) | Error::Timeout { .. } | Error::Transport(_) | Error::Decode(_) => {
                self.core().is_some_and(|c| c.is_outcome_unknown())
            }
            Error::Other(e) => e.is_outcome_unknown(),
            _ => false,
        }
    }

    /// The delay the server asked for (`Retry-After`), or the time until the next token attempt.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => self
                .api_error()
                .and_then(|a| a.retry_after)
                .or_else(|| self.core().and_then(|c| c.retry_after())),
        }
    }

    fn what(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad request",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not found",
            Error::Validation(_) => "validation failed",
            Error::RateLimited { .. } => "rate limited",
            Error::Timeout { .. } => "timed out",
            Error::Server(_) => "server error",
            _ => "unexpected status",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(api) = self.api_error() {
            write!(f, "pax8 ")?;
            if !api.operation.is_empty() {
                write!(f, "{}: ", api.operation)?;
            }
            write!(f, "{} (http {})", self.what(), api.status.as_u16())?;
            // the message parsed from Pax8's error body, else what the runtime's classifier
            // found (e.g. the sandbox's explanation of a miss)
            let message = api.message().or_else(|| {
                api.core
                    .as_deref()
                    .and_then(|c| c.vendor_message())
                    .map(str::to_owned)
            });
            if let Some(m) = message {
                write!(f, ": {}", bounded(&m))?;
            }
            return Ok(());
        }
        match self {
            Error::Auth {
                status,
                error,
                description,
                source,
            } => {
                write!(f, "pax8 ")?;
                if let Some(op) = source
                    .as_deref()
                    .map(|c| c.operation())
                    .filter(|o| !o.is_empty())
                {
                    write!(f, "{op}: ")?;
                }
                write!(f, "the token endpoint refused the credentials")?;
                if let Some(s) = status {
                    write!(f, " (http {})", s.as_u16())?;
                }
                write!(f, ", the request was not sent: {}", bounded(error))?;
                if let Some(d) = description {
                    write!(f, ": {}", bounded(d))?;
                }
                Ok(())
            }
            Error::Token(e) => {
                write!(f, "{e}")?;
                if let Some(t) =
                    std::error::Error::source(e).and_then(|s| s.downcast_ref::<TokenFailure>())
                {
                    write!(f, ": {t}")?;
                }
                Ok(())
            }
            Error::Timeout {
                source: Some(c), ..
            } => write!(f, "{c}"),
            Error::Timeout { .. } => f.write_str("pax8: timed out"),
            Error::Transport(e)
            | Error::Decode(e)
            | Error::InvalidRequest(e)
            | Error::Config(e)
            | Error::Other(e) => write!(f, "{e}"),
            _ => f.write_str("pax8: error"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.core().map(|c| c as &(dyn std::error::Error + 'static))
    }
}

billing_http_core::forward_sdk_error!(Error);

/// The vendor classifier: statuses map as in the runtime, and the full error body is parsed
/// into an [`ApiError`] attached as the error's source, with its message (at most
/// [`MESSAGE_LIMIT`] characters) as the vendor message.
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
        let mut api = ApiError::from_response(response.status, &response.body, base.retry_after());
        api.path = request.path.to_owned();
        api.operation = request.operation.to_owned();
        let mut e = base;
        if let Some(m) = api.message() {
            e = e.with_vendor_message(bounded(&m));
        }
        Err(e.with_source(api))
    }
}
