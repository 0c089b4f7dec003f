//! Errors of the Cloudspot client, and the response classifier that feeds them.
//!
//! Classification order (vendor reference §6.3):
//!
//! 1. a transport failure (connect, TLS, timeout, body read) is [`Error::Transport`];
//! 2. **any status other than 200** is an error, classified by status first (CS-Q15): 401 and
//!    403 are [`Error::Unauthorized`] on data endpoints (the token lacks the right for that
//!    resource, CS-Q12) and `Error::BadCredentials` / `Error::NoValidToken` on the legacy
//!    user endpoints; everything else, 3xx included (redirects are never followed, CS-Q14), is
//!    [`Error::Api`]. Only then is the body read as JSON, to fill in the server's `message`
//!    and `status` string (CS-Q20); a non-JSON body (an HTML proxy page) leaves both `None`
//!    and keeps a snippet (CS-Q08);
//! 3. a 200 body that is not JSON is [`Error::UnexpectedBody`], JSON of the wrong shape is
//!    [`Error::Decode`] with the JSON path, and a get-by-id without a matching element is
//!    [`Error::NotFound`] (CS-Q06).
//!
//! Nothing here panics on what a server sent, and `Display` never contains a whole body or
//! any secret.

use std::sync::Arc;
use std::{fmt, time::Duration, time::SystemTime};

use billing_http_core::classify::{Classifier, RequestInfo, kind_for_status, retry_after};
use billing_http_core::error::snippet;
use billing_http_core::{ErrorKind, HttpResponse, StatusCode};
use serde_json::Value;

use crate::model::ApiStatus;
use crate::model::envelope::BodyProblem;

/// Longest raw body kept in an [`ApiError`] or a decode error, in bytes: the runtime's bounded
/// snippet (`billing_http_core::error::SNIPPET_LIMIT`).
pub const BODY_LIMIT: usize = billing_http_core::error::SNIPPET_LIMIT;

/// Longest vendor text (the server's `message`, a `Location`, a decoder's message) shown in an
/// error's `Display`, in characters.
pub const MESSAGE_LIMIT: usize = 200;

/// Longest server `message` kept in an [`ApiError`], in characters (bounds memory).
const STORED_MESSAGE_LIMIT: usize = 1024;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong in a call to Cloudspot.
///
/// Ask the predicates rather than matching exhaustively (the enum may grow); they are the same
/// in every vendor crate of the workspace (`docs/conventions.md`): [`status`](Self::status),
/// [`is_not_found`](Self::is_not_found), [`is_auth`](Self::is_auth),
/// [`is_rate_limited`](Self::is_rate_limited), [`is_retryable`](Self::is_retryable),
/// [`is_timeout`](Self::is_timeout), [`is_decode`](Self::is_decode),
/// [`is_invalid_input`](Self::is_invalid_input),
/// [`may_have_reached_server`](Self::may_have_reached_server),
/// [`is_outcome_unknown`](Self::is_outcome_unknown), [`retry_after`](Self::retry_after) and
/// [`core`](Self::core) (the runtime error underneath). [`SdkError`](crate::SdkError) is
/// implemented too, for code generic over vendors.
///
/// `Display` is one lower-case line — vendor, operation, what failed, the HTTP status and the
/// server's own message (at most [`MESSAGE_LIMIT`] characters, control characters replaced) —
/// never the raw body. `Debug` is structured and adds a bounded snippet of the body (at most
/// [`BODY_LIMIT`] bytes). Neither ever contains the token.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No HTTP status was received: connect, TLS, timeout or body-read failure, or a
    /// client-side problem reported by the runtime (invalid configuration such as a missing
    /// environment variable, a token with CR/LF, the rate limiter's budget). Retryable for the
    /// transport kinds; the client has already retried as its policy allows.
    Transport(billing_http_core::Error),

    /// A data endpoint answered 401 or 403: the company token is unknown, revoked, or **lacks
    /// the right for this resource** (for example a token without the "see all clients" right
    /// calling `klanten/`). Rights are per resource (CS-Q12): the same token may still work
    /// for another resource, so this is never cached client-wide and never retried.
    Unauthorized(Box<ApiError>),

    /// Get-by-id got a 200, but no element of `data` had the requested id (CS-Q06).
    NotFound {
        /// The operation (`articles.get`, `categories.get`).
        operation: String,
        /// `artikels` or `categories`.
        resource: &'static str,
        /// The id that was asked for.
        id: i64,
    },

    /// Any other status than 200 (3xx, 4xx, 5xx, and also 201 or 204, CS-Q15).
    Api(Box<ApiError>),

    /// A 200 whose body is not JSON, such as a maintenance or proxy page (CS-Q08).
    UnexpectedBody {
        /// The operation (`articles.list`, ...).
        operation: String,
        /// The HTTP status (200).
        status: u16,
        /// The `Content-Type` header, if any.
        content_type: Option<String>,
        /// The start of the body (at most [`BODY_LIMIT`] bytes, lossy UTF-8).
        snippet: String,
    },

    /// A 200 JSON body of the wrong shape: `data` missing or not a list, an unreadable decimal,
    /// and so on.
    Decode {
        /// The operation (`articles.list`, ...).
        operation: String,
        /// JSON path of the failing value (`data[3].verkoopprijs_excl`), if known.
        path: Option<String>,
        /// What was wrong.
        message: String,
        /// The start of the body (at most [`BODY_LIMIT`] bytes).
        snippet: String,
    },

    /// A `next` link could not be followed safely (CS-Q07, CS-Q14): it points to another
    /// origin, another resource or outside the API base path, it repeats a page already
    /// fetched, or the page cap was reached. Results are never silently truncated.
    Pagination {
        /// The operation.
        operation: String,
        /// Why.
        message: String,
    },

    /// Legacy sign-in answered 400, 401 or 403: wrong username or password (or an unknown
    /// user). A 5xx, a 429 or a transport failure keeps its own variant, so an outage is not
    /// reported as a wrong password.
    #[cfg(feature = "legacy-user-auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "legacy-user-auth")))]
    BadCredentials(Box<ApiError>),

    /// Legacy user calls: no usable session token.
    #[cfg(feature = "legacy-user-auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "legacy-user-auth")))]
    NoValidToken(NoValidToken),
}

/// Vendor text fit for one line of `Display`: control characters (CR, LF, tabs, ...) become
/// spaces, and anything past `limit` characters is cut and marked with `…`.
pub(crate) fn one_line(text: &str, limit: usize) -> String {
    let mut out: String = text
        .trim()
        .chars()
        .take(limit)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.trim().chars().nth(limit).is_some() {
        out.push('…');
    }
    out
}

/// `cloudspot <operation>: ` (or `cloudspot: ` without an operation).
fn prefix(f: &mut fmt::Formatter<'_>, operation: &str) -> fmt::Result {
    if operation.is_empty() {
        f.write_str("cloudspot: ")
    } else {
        write!(f, "cloudspot {operation}: ")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Transport(e) => fmt::Display::fmt(e, f),
            Error::Unauthorized(a) => {
                prefix(f, &a.operation)?;
                f.write_str("token refused")?;
                if let Some(r) = a.resource {
                    write!(f, " for resource {r}")?;
                    if let Some(right) = Error::required_right(r) {
                        write!(f, " (needs the right \"{right}\")")?;
                    }
                }
                write!(f, ": {a}")
            }
            Error::NotFound {
                operation,
                resource,
                id,
            } => write!(
                f,
                "cloudspot {operation}: not found: no {resource} element with id {id}"
            ),
            Error::Api(a) => {
                prefix(f, &a.operation)?;
                write!(f, "{a}")
            }
            Error::UnexpectedBody {
                operation,
                status,
                content_type,
                ..
            } => {
                write!(f, "cloudspot {operation}: http {status} body is not json")?;
                match content_type {
                    Some(ct) => write!(f, " (content-type {})", one_line(ct, MESSAGE_LIMIT)),
                    None => f.write_str(" (no content-type)"),
                }
            }
            Error::Decode {
                operation,
                path,
                message,
                ..
            } => {
                write!(f, "cloudspot {operation}: cannot decode response")?;
                if let Some(p) = path {
                    write!(f, " at {}", one_line(p, MESSAGE_LIMIT))?;
                }
                write!(f, ": {}", one_line(message, MESSAGE_LIMIT))
            }
            Error::Pagination { operation, message } => write!(
                f,
                "cloudspot {operation}: pagination stopped: {}",
                one_line(message, MESSAGE_LIMIT)
            ),
            #[cfg(feature = "legacy-user-auth")]
            Error::BadCredentials(a) => {
                prefix(f, &a.operation)?;
                write!(f, "sign-in refused, bad credentials: {a}")
            }
            #[cfg(feature = "legacy-user-auth")]
            Error::NoValidToken(n) => write!(f, "cloudspot auth: no valid session token: {n}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // transparent: the runtime error's Display is this error's Display
            Error::Transport(e) => std::error::Error::source(e),
            _ => None,
        }
    }
}

/// Why there is no valid session token (feature `legacy-user-auth`).
#[cfg(feature = "legacy-user-auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "legacy-user-auth")))]
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum NoValidToken {
    /// No session token is held and no credentials to obtain one; nothing was sent.
    #[error("no session token held (sign in first)")]
    Missing,
    /// `auth/get-permissions/` or `auth/get-user/` answered 401 or 403 (after the token cache
    /// refetched once, when it could).
    #[error("session token rejected: {0}")]
    Rejected(Box<ApiError>),
}

/// What a non-200 reply said.
#[derive(Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The operation (`articles.list`, `auth.signin`, ...).
    pub operation: String,
    /// The resource called (`artikels`, `klanten`, `categories`, `auth`), if known.
    pub resource: Option<&'static str>,
    /// The body's `message` if it is a string, else its `detail` if that is a string (at most
    /// 1024 characters kept).
    pub message: Option<String>,
    /// A top-level `status` string of the body, if present (CS-Q20). Never outranks
    /// [`status`](Self::status).
    pub api_status: Option<ApiStatus>,
    /// The start of the raw body (at most [`BODY_LIMIT`] bytes), for diagnostics.
    pub body: Option<String>,
    /// The `Location` header of a 3xx (redirects are never followed, CS-Q14).
    pub location: Option<String>,
    /// The server's `Retry-After`, if any.
    pub retry_after: Option<Duration>,
    core: Option<Arc<billing_http_core::Error>>,
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("operation", &self.operation)
            .field("resource", &self.resource)
            .field("message", &self.message)
            .field("api_status", &self.api_status)
            .field("body", &self.body)
            .field("location", &self.location)
            .field("retry_after", &self.retry_after)
            .field("attempts", &self.core.as_ref().map(|c| c.attempts()))
            .finish()
    }
}

impl fmt::Display for ApiError {
    /// `http 403 forbidden [NOT_AUTHORIZED]: <server message>`, bounded to one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http {}", self.status)?;
        if let Some(reason) = StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
        {
            write!(f, " {}", reason.to_lowercase())?;
        }
        if let Some(s) = &self.api_status {
            write!(f, " [{}]", one_line(s.as_str(), MESSAGE_LIMIT))?;
        }
        if let Some(m) = &self.message {
            write!(f, ": {}", one_line(m, MESSAGE_LIMIT))?;
        }
        if let Some(l) = &self.location {
            write!(
                f,
                " (redirect to {} not followed)",
                one_line(l, MESSAGE_LIMIT)
            )?;
        }
        if let Some(n) = self.core.as_ref().map(|c| c.attempts()).filter(|n| *n > 1) {
            write!(f, " after {n} attempts")?;
        }
        Ok(())
    }
}

impl ApiError {
    /// The runtime's error kind for this status.
    fn kind(&self) -> ErrorKind {
        StatusCode::from_u16(self.status)
            .map(kind_for_status)
            .unwrap_or(ErrorKind::Vendor)
    }

    /// Worth retrying: 408, 429 and 5xx.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// The runtime error this reply was classified into (operation, attempts, body snippet).
    pub fn core(&self) -> Option<&billing_http_core::Error> {
        self.core.as_deref()
    }
}

impl Error {
    /// The HTTP status, when a response was received (200 for a decode error or a get-by-id
    /// without a match).
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Transport(e) => e.status(),
            Error::UnexpectedBody { status, .. } => StatusCode::from_u16(*status).ok(),
            Error::NotFound { .. } | Error::Decode { .. } => Some(StatusCode::OK),
            _ => self
                .api_error()
                .and_then(|a| StatusCode::from_u16(a.status).ok()),
        }
    }

    /// The [`ApiError`] of a non-200 reply.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Unauthorized(a) | Error::Api(a) => Some(&**a),
            #[cfg(feature = "legacy-user-auth")]
            Error::BadCredentials(a) | Error::NoValidToken(NoValidToken::Rejected(a)) => Some(&**a),
            _ => None,
        }
    }

    /// The runtime error underneath (`billing_http_core::Error`, re-exported as
    /// [`CoreError`](crate::CoreError)), with operation, attempts, body snippet and, for a
    /// `from_env` failure, the missing variable. `None` for the errors this crate makes itself
    /// from a 200 answer ([`Error::NotFound`], [`Error::Decode`], [`Error::UnexpectedBody`],
    /// [`Error::Pagination`]).
    pub fn core(&self) -> Option<&billing_http_core::Error> {
        match self {
            Error::Transport(e) => Some(e),
            _ => self.api_error().and_then(ApiError::core),
        }
    }

    /// What the server said (`message` or `detail` of a JSON error body).
    pub fn server_message(&self) -> Option<&str> {
        self.api_error().and_then(|a| a.message.as_deref())
    }

    /// The resource (`artikels`, `klanten`, `categories`, `auth`) the error is about.
    pub fn resource(&self) -> Option<&'static str> {
        match self {
            Error::NotFound { resource, .. } => Some(resource),
            _ => self.api_error().and_then(|a| a.resource),
        }
    }

    /// The object does not exist: [`Error::NotFound`] (a get-by-id without a match), or a
    /// 404 / 410.
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::NotFound { .. } => true,
            Error::Api(a) => a.kind() == ErrorKind::NotFound,
            _ => false,
        }
    }

    /// The token was refused (401/403, [`Error::Unauthorized`]), and with the legacy feature
    /// `Error::BadCredentials` and `Error::NoValidToken`.
    pub fn is_auth(&self) -> bool {
        match self {
            Error::Unauthorized(_) => true,
            #[cfg(feature = "legacy-user-auth")]
            Error::BadCredentials(_) | Error::NoValidToken(_) => true,
            Error::Transport(e) => e.is_auth() || e.kind() == ErrorKind::Forbidden,
            _ => false,
        }
    }

    /// A 429, or the client's limiter could not grant a slot within the call's budget.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_rate_limited(),
            _ => self
                .api_error()
                .is_some_and(|a| a.kind() == ErrorKind::RateLimited),
        }
    }

    /// Worth trying again later if the call is safe to repeat: transport failures, 408, 429
    /// and 5xx. (The client has already retried GETs as its retry policy allows.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_retryable(),
            Error::Api(a) => a.is_retryable(),
            _ => false,
        }
    }

    /// Timed out: the transport's timeout, or a 408 / 504.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_timeout(),
            _ => self
                .api_error()
                .is_some_and(|a| a.kind() == ErrorKind::Timeout),
        }
    }

    /// The answer could not be decoded: [`Error::Decode`] or [`Error::UnexpectedBody`].
    pub fn is_decode(&self) -> bool {
        match self {
            Error::Decode { .. } | Error::UnexpectedBody { .. } => true,
            Error::Transport(e) => e.is_decode(),
            _ => false,
        }
    }

    /// The caller's input or the configuration was refused before anything was sent: an
    /// invalid base URL, a token with CR/LF, a missing `CLOUDSPOT_TOKEN`.
    pub fn is_invalid_input(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_invalid_input(),
            _ => false,
        }
    }

    /// `false` only when the request provably never left: configuration errors, connection
    /// refused, a legacy call without a session token.
    pub fn may_have_reached_server(&self) -> bool {
        match self {
            Error::Transport(e) => e.may_have_reached_server(),
            #[cfg(feature = "legacy-user-auth")]
            Error::NoValidToken(NoValidToken::Missing) => false,
            _ => true,
        }
    }

    /// A request that is not idempotent failed after it may have reached the server (the
    /// runtime's flag, see [`CoreError::is_outcome_unknown`](crate::CoreError::is_outcome_unknown)).
    /// Every Cloudspot data call is a read, so this is always `false` for them; the only POST
    /// is the legacy sign-in, which creates no lasting object: `true` only when it failed in
    /// flight, `false` when it was refused (`Error::BadCredentials`, a definite answer).
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            #[cfg(feature = "legacy-user-auth")]
            Error::BadCredentials(_) => false,
            _ => self
                .core()
                .is_some_and(billing_http_core::Error::is_outcome_unknown),
        }
    }

    /// The delay the server asked for (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Transport(e) => e.retry_after(),
            _ => self.api_error().and_then(|a| a.retry_after),
        }
    }

    /// The right a company token needs for `resource`, as named in the ERP's token screen
    /// (CS-Q12). `None` for resources without a documented right.
    pub fn required_right(resource: &str) -> Option<&'static str> {
        match resource {
            "artikels" => Some("see all products"),
            "klanten" => Some("see all clients"),
            _ => None,
        }
    }
}

billing_http_core::forward_sdk_error!(Error);

impl From<Error> for billing_http_core::Error {
    /// The workspace-wide error for this one: the runtime error itself when there is one,
    /// else one of the same kind with status, server message and body snippet (for code that
    /// handles every vendor through `billing_http_core::Error`).
    fn from(e: Error) -> Self {
        use billing_http_core::ErrorKind as K;
        let kind = match &e {
            Error::Transport(_) => K::Transport,
            Error::Unauthorized(a) if a.status == 403 => K::Forbidden,
            Error::Unauthorized(_) => K::Auth,
            Error::NotFound { .. } => K::NotFound,
            Error::Api(a) if a.status < 400 => K::Client,
            Error::Api(a) => a.kind(),
            Error::UnexpectedBody { .. } | Error::Decode { .. } => K::Decode,
            Error::Pagination { .. } => K::Vendor,
            #[cfg(feature = "legacy-user-auth")]
            Error::BadCredentials(_) => K::Auth,
            #[cfg(feature = "legacy-user-auth")]
            Error::NoValidToken(_) => K::Token,
        };
        let message = e.to_string();
        match e {
            Error::Transport(inner) => inner,
            other => {
                let mut out = billing_http_core::Error::new(kind, message)
                    .with_vendor("cloudspot")
                    .with_reached_server(other.may_have_reached_server());
                if let Some(status) = other.status() {
                    out = out.with_status(status);
                }
                if let Some(a) = other.api_error() {
                    if let Some(m) = &a.message {
                        out = out.with_vendor_message(m.clone());
                    }
                    if let Some(b) = &a.body {
                        out = out.with_body(b.as_bytes());
                    }
                    out = out
                        .with_retry_after(a.retry_after)
                        .with_operation(a.operation.clone());
                }
                if let Error::Decode { snippet, .. } | Error::UnexpectedBody { snippet, .. } =
                    &other
                {
                    out = out.with_body(snippet.as_bytes());
                }
                out
            }
        }
    }
}

impl From<billing_http_core::Error> for Error {
    /// Wraps an error raised before any reply (configuration, transport).
    fn from(e: billing_http_core::Error) -> Self {
        Error::Transport(e)
    }
}

/// How a non-200 reply is turned into an [`Error`], by endpoint family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Company-data endpoints: 401/403 are `Unauthorized`.
    Data,
    /// Legacy sign-in: 400/401/403 are `BadCredentials`.
    #[cfg(feature = "legacy-user-auth")]
    SignIn,
    /// Legacy token calls: 401/403 are `NoValidToken::Rejected`.
    #[cfg(feature = "legacy-user-auth")]
    Session,
}

/// Details the classifier extracts from the full body, carried to [`Error`] as the source of
/// the `billing_http_core::Error`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Detail {
    pub(crate) message: Option<String>,
    pub(crate) api_status: Option<ApiStatus>,
    pub(crate) location: Option<String>,
    pub(crate) body: Option<String>,
    /// The failure came from a sign-in made while authorising another call.
    #[cfg_attr(not(feature = "legacy-user-auth"), allow(dead_code))]
    pub(crate) signin: bool,
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cloudspot error body")
    }
}

impl std::error::Error for Detail {}

/// Reads `message` (or `detail`) and a top-level `status` string from a JSON error body.
/// Never fails: a non-JSON body gives `(None, None)`.
pub(crate) fn parse_error_body(body: &[u8]) -> (Option<String>, Option<ApiStatus>) {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return (None, None);
    };
    let text = |k: &str| {
        map.get(k)
            .and_then(Value::as_str)
            .map(|t| t.chars().take(STORED_MESSAGE_LIMIT).collect::<String>())
    };
    let message = text("message").or_else(|| text("detail"));
    let api_status = text("status").map(|s| ApiStatus::from_wire(&s));
    (message, api_status)
}

/// The crate's response classifier: success is HTTP 200 and nothing else (CS-Q15).
///
/// Every other status becomes an `billing_http_core::Error` of the status's kind (so 5xx and 429 are
/// retried by the client and 401 lets a token cache refetch once), carrying the server's
/// message and a source with the status string and `Location`.
#[derive(Debug, Default, Clone, Copy)]
pub struct CloudspotClassifier;

impl Classifier for CloudspotClassifier {
    fn classify(
        &self,
        _request: RequestInfo<'_>,
        response: &HttpResponse,
        now: SystemTime,
    ) -> Result<(), billing_http_core::Error> {
        if response.status == StatusCode::OK {
            return Ok(());
        }
        let status = response.status;
        let kind = if status.is_redirection() || status.is_success() || status.is_informational() {
            ErrorKind::Client
        } else {
            kind_for_status(status)
        };
        let (message, api_status) = parse_error_body(&response.body);
        let detail = Detail {
            message: message.clone(),
            api_status,
            location: status
                .is_redirection()
                .then(|| response.header("location").map(str::to_owned))
                .flatten(),
            body: (!response.body.is_empty()).then(|| snippet(&response.body)),
            signin: false,
        };
        let mut err = billing_http_core::Error::http(kind, status, &response.body)
            .with_retry_after(retry_after(response, now))
            .with_source(detail);
        if let Some(m) = message {
            err = err.with_vendor_message(m);
        }
        Err(err)
    }
}

/// Maps an `billing_http_core::Error` from `execute` onto this crate's error for `family`.
pub(crate) fn from_http(
    e: billing_http_core::Error,
    family: Family,
    resource: &'static str,
) -> Error {
    // No token could be obtained, so this request was never sent: map the token call's own
    // error (http-core keeps it, with its method and status, in `token_error`).
    if let Some(token) = e.token_error() {
        return from_http(token.clone(), family, resource);
    }
    let Some(status) = e.status() else {
        return Error::Transport(e);
    };
    let detail = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<Detail>())
        .cloned()
        .unwrap_or_else(|| Detail {
            message: e.vendor_message().map(str::to_owned),
            body: e.body_snippet().map(str::to_owned),
            ..Detail::default()
        });
    #[cfg(feature = "legacy-user-auth")]
    let family = if detail.signin {
        Family::SignIn
    } else {
        family
    };
    let api = Box::new(ApiError {
        status: status.as_u16(),
        operation: e.operation().to_owned(),
        resource: Some(resource),
        message: detail.message,
        api_status: detail.api_status,
        body: detail.body,
        location: detail.location,
        retry_after: e.retry_after(),
        core: Some(Arc::new(e)),
    });
    match (family, api.status) {
        (Family::Data, 401 | 403) => Error::Unauthorized(api),
        #[cfg(feature = "legacy-user-auth")]
        (Family::SignIn, 400 | 401 | 403) => Error::BadCredentials(api),
        #[cfg(feature = "legacy-user-auth")]
        (Family::Session, 401 | 403) => Error::NoValidToken(NoValidToken::Rejected(api)),
        _ => Error::Api(api),
    }
}

/// Maps a 200 body problem onto [`Error::UnexpectedBody`] or [`Error::Decode`].
pub(crate) fn body_error(
    problem: BodyProblem,
    operation: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Error {
    match problem {
        BodyProblem::NotJson => Error::UnexpectedBody {
            operation: operation.to_owned(),
            status: 200,
            content_type: content_type.map(str::to_owned),
            snippet: snippet(body),
        },
        BodyProblem::Shape { path, message } => Error::Decode {
            operation: operation.to_owned(),
            path,
            message,
            snippet: snippet(body),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn classify(status: u16, body: &str) -> Error {
        let resp = HttpResponse::new(StatusCode::from_u16(status).unwrap(), body.to_owned());
        let e = CloudspotClassifier
            .classify(
                RequestInfo::new("op", "artikels/"),
                &resp,
                SystemTime::UNIX_EPOCH,
            )
            .unwrap_err();
        from_http(e, Family::Data, "artikels")
    }

    #[test]
    fn only_200_is_success() {
        let ok = HttpResponse::new(StatusCode::OK, "{}");
        assert!(
            CloudspotClassifier
                .classify(RequestInfo::new("op", "x/"), &ok, SystemTime::UNIX_EPOCH)
                .is_ok()
        );
        assert_eq!(classify(204, "").status(), Some(StatusCode::NO_CONTENT));
        assert!(matches!(classify(201, r#"{"data": []}"#), Error::Api(_)));
    }

    #[test]
    fn message_then_detail_then_none() {
        assert_eq!(
            classify(400, r#"{"message": "m", "detail": "d"}"#).server_message(),
            Some("m")
        );
        assert_eq!(
            classify(400, r#"{"detail": "d"}"#).server_message(),
            Some("d")
        );
        assert_eq!(classify(400, r#"{"message": 5}"#).server_message(), None);
        assert_eq!(classify(400, "<html>").server_message(), None);
    }

    #[test]
    fn display_never_contains_the_whole_body() {
        let big = format!("<html>{}</html>", "x".repeat(10_000));
        let e = classify(502, &big);
        assert!(e.to_string().len() < 200, "{e}");
        assert!(e.is_retryable());
        let body = e.api_error().and_then(|a| a.body.as_deref()).unwrap();
        assert!(body.len() <= BODY_LIMIT + '…'.len_utf8(), "{}", body.len());
    }

    #[test]
    fn display_is_one_line_with_a_bounded_vendor_message() {
        let long = format!("eerste regel\r\ntweede regel {}", "y".repeat(1_000));
        let e = classify(400, &serde_json::json!({ "message": long }).to_string());
        let text = e.to_string();
        assert!(!text.contains(['\r', '\n']), "{text}");
        assert!(
            text.starts_with("cloudspot: http 400 bad request: eerste regel"),
            "{text}"
        );
        let shown = text.split(": ").nth(2).unwrap();
        assert!(shown.starts_with("eerste regel  tweede regel"), "{shown}");
        assert_eq!(shown.chars().count(), MESSAGE_LIMIT + 1, "{shown}"); // + the `…`
        assert!(shown.ends_with('…'));
        // the full (bounded) message stays available
        assert!(e.server_message().unwrap().len() > MESSAGE_LIMIT);
        // Debug is structured and carries the bounded snippet
        let debug = format!("{e:?}");
        assert!(debug.contains("body: Some("), "{debug}");
    }

    #[test]
    fn predicates_follow_the_status() {
        let e = classify(429, "");
        assert!(e.is_rate_limited() && e.is_retryable() && !e.is_auth());
        let e = classify(504, "");
        assert!(e.is_timeout() && e.is_retryable());
        let e = classify(404, "");
        assert!(e.is_not_found() && !e.is_retryable());
        let e = classify(403, "");
        assert!(e.is_auth() && matches!(e, Error::Unauthorized(_)));
        assert!(e.may_have_reached_server() && !e.is_invalid_input() && !e.is_outcome_unknown());
        assert_eq!(
            e.core().and_then(|c| c.status()),
            Some(StatusCode::FORBIDDEN)
        );
    }

    #[test]
    fn one_line_replaces_controls_and_cuts() {
        assert_eq!(one_line(" a\nb\tc ", 10), "a b c");
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("abc", 3), "abc");
        assert_eq!(one_line("ééé", 2), "éé…");
    }
}
