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

use std::{fmt, time::Duration, time::SystemTime};

use billing_http_core::classify::{Classifier, RequestInfo, kind_for_status, retry_after};
use billing_http_core::{ErrorKind, HttpResponse, StatusCode};
use serde_json::Value;

use crate::model::ApiStatus;
use crate::model::envelope::BodyProblem;

/// Longest raw body kept in an [`ApiError`] or decode error, in bytes.
pub const BODY_LIMIT: usize = 4096;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong in a call to Cloudspot.
///
/// Use the predicates ([`is_retryable`](Self::is_retryable),
/// [`is_unauthorized`](Self::is_unauthorized), [`is_not_found`](Self::is_not_found)) rather
/// than matching exhaustively: the enum may grow.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No HTTP status was received: connect, TLS, timeout or body-read failure, or a
    /// client-side problem reported by `http-core` (invalid configuration, rate limiter).
    /// Retryable for the transport kinds; `http-core` has already retried as its policy allows.
    #[error(transparent)]
    Transport(billing_http_core::Error),

    /// A data endpoint answered 401 or 403: the company token is unknown, revoked, or **lacks
    /// the right for this resource** (for example a token without the "see all clients" right
    /// calling `klanten/`). Rights are per resource (CS-Q12): the same token may still work
    /// for another resource, so this is never cached client-wide and never retried.
    #[error("cloudspot {}: token refused for this resource ({})", .0.resource.unwrap_or("?"), .0)]
    Unauthorized(Box<ApiError>),

    /// Get-by-id got a 200, but no element of `data` had the requested id (CS-Q06).
    #[error("cloudspot {resource}: no element with id {id}")]
    NotFound {
        /// `artikels` or `categories`.
        resource: &'static str,
        /// The id that was asked for.
        id: i64,
    },

    /// Any other status than 200 (3xx, 4xx, 5xx, and also 201 or 204, CS-Q15).
    #[error("cloudspot api error: {0}")]
    Api(Box<ApiError>),

    /// A 200 whose body is not JSON, such as a maintenance or proxy page (CS-Q08).
    #[error(
        "cloudspot {operation}: http {status} body is not json (content-type {content_type:?})"
    )]
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
    #[error("cloudspot {operation}: cannot decode response{}: {message}", path_suffix(.path))]
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
    /// origin or outside the API base path, it repeats a page already fetched, or the page
    /// cap was reached. Results are never silently truncated.
    #[error("cloudspot {operation}: pagination stopped: {message}")]
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
    #[error("cloudspot sign-in refused: bad credentials ({0})")]
    BadCredentials(Box<ApiError>),

    /// Legacy user calls: no usable session token.
    #[cfg(feature = "legacy-user-auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "legacy-user-auth")))]
    #[error("cloudspot: no valid session token: {0}")]
    NoValidToken(NoValidToken),
}

fn path_suffix(path: &Option<String>) -> String {
    path.as_deref()
        .map(|p| format!(" at {p}"))
        .unwrap_or_default()
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
    #[error("session token rejected ({0})")]
    Rejected(Box<ApiError>),
}

/// What a non-200 reply said.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The resource called (`artikels`, `klanten`, `categories`, `auth`), if known.
    pub resource: Option<&'static str>,
    /// The body's `message` if it is a string, else its `detail` if that is a string.
    pub message: Option<String>,
    /// A top-level `status` string of the body, if present (CS-Q20). Never outranks
    /// [`status`](Self::status).
    pub api_status: Option<ApiStatus>,
    /// The raw body, truncated to [`BODY_LIMIT`] bytes, for diagnostics.
    pub body: Option<String>,
    /// The `Location` header of a 3xx (redirects are never followed, CS-Q14).
    pub location: Option<String>,
    /// The server's `Retry-After`, if any.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http {}", self.status)?;
        if let Some(r) = self.resource {
            write!(f, " on {r}")?;
        }
        if let Some(s) = &self.api_status {
            write!(f, " [{s}]")?;
        }
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        if let Some(l) = &self.location {
            write!(f, " (redirect to {l} not followed)")?;
        }
        Ok(())
    }
}

impl ApiError {
    /// Worth retrying: 429 and 5xx.
    pub fn is_retryable(&self) -> bool {
        self.status == 429 || (500..=599).contains(&self.status)
    }
}

impl Error {
    /// The HTTP status, if a reply was received.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Transport(e) => e.status().map(|s| s.as_u16()),
            Error::Unauthorized(a) | Error::Api(a) => Some(a.status),
            #[cfg(feature = "legacy-user-auth")]
            Error::BadCredentials(a) | Error::NoValidToken(NoValidToken::Rejected(a)) => {
                Some(a.status)
            }
            Error::UnexpectedBody { status, .. } => Some(*status),
            Error::NotFound { .. } | Error::Decode { .. } => Some(200),
            _ => None,
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

    /// Worth retrying later: transport failures, 429 and 5xx. (The client has already
    /// retried GETs as its retry policy allows.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_retryable(),
            Error::Api(a) => a.is_retryable(),
            _ => false,
        }
    }

    /// The token was refused: [`Error::Unauthorized`], and with the legacy feature
    /// `Error::BadCredentials` and `Error::NoValidToken`.
    pub fn is_unauthorized(&self) -> bool {
        match self {
            Error::Unauthorized(_) => true,
            #[cfg(feature = "legacy-user-auth")]
            Error::BadCredentials(_) | Error::NoValidToken(_) => true,
            _ => false,
        }
    }

    /// [`Error::NotFound`], or an [`Error::Api`] with status 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. }) || matches!(self, Error::Api(a) if a.status == 404)
    }

    /// A 200 reply that could not be decoded ([`Error::Decode`] or [`Error::UnexpectedBody`]).
    pub fn is_decode(&self) -> bool {
        matches!(self, Error::Decode { .. } | Error::UnexpectedBody { .. })
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

impl From<Error> for billing_http_core::Error {
    /// The workspace-wide error for this one: same kind, status, server message and body
    /// snippet (for code that handles every vendor through `billing_http_core::Error`).
    fn from(e: Error) -> Self {
        use billing_http_core::ErrorKind as K;
        let kind = match &e {
            Error::Transport(_) => K::Transport,
            Error::Unauthorized(a) if a.status == 403 => K::Forbidden,
            Error::Unauthorized(_) => K::Auth,
            Error::NotFound { .. } => K::NotFound,
            Error::Api(a) if a.status < 400 => K::Client,
            Error::Api(a) => StatusCode::from_u16(a.status)
                .map(kind_for_status)
                .unwrap_or(K::Vendor),
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
                let mut out = billing_http_core::Error::new(kind, message).with_vendor("cloudspot");
                if let Some(status) = other.status().and_then(|s| StatusCode::from_u16(s).ok()) {
                    out = out.with_status(status);
                }
                if let Some(a) = other.api_error() {
                    if let Some(m) = &a.message {
                        out = out.with_vendor_message(m.clone());
                    }
                    if let Some(b) = &a.body {
                        out = out.with_body(b.as_bytes());
                    }
                    out = out.with_retry_after(a.retry_after);
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
    let text = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
    let message = text("message").or_else(|| text("detail"));
    let api_status = text("status").map(|s| ApiStatus::from_wire(&s));
    (message, api_status)
}

/// A bounded, lossy UTF-8 prefix of a body.
pub(crate) fn snippet(body: &[u8]) -> String {
    let mut end = body.len().min(BODY_LIMIT);
    // Do not cut a UTF-8 sequence in half when the body is valid UTF-8.
    while end < body.len() && end > 0 && (body[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    let mut s = String::from_utf8_lossy(&body[..end]).into_owned();
    if end < body.len() {
        s.push('…');
    }
    s
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
        resource: Some(resource),
        message: detail.message,
        api_status: detail.api_status,
        body: detail.body,
        location: detail.location,
        retry_after: e.retry_after(),
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
        assert_eq!(classify(204, "").status(), Some(204));
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
    fn snippet_is_bounded_and_keeps_utf8() {
        let body = "é".repeat(BODY_LIMIT);
        let s = snippet(body.as_bytes());
        assert!(s.len() <= BODY_LIMIT + '…'.len_utf8());
        assert!(!s.contains('\u{FFFD}'));
    }

    #[test]
    fn display_never_contains_the_whole_body() {
        let big = format!("<html>{}</html>", "x".repeat(10_000));
        let e = classify(502, &big);
        assert!(e.to_string().len() < 200, "{e}");
        assert!(e.is_retryable());
    }
}
