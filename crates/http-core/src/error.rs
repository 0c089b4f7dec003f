//! The one error type of the SDK.
//!
//! Every failure — transport, HTTP status, vendor error body, decoding, configuration — is an
//! [`Error`]: it names the vendor and operation, keeps the HTTP status and a bounded snippet of
//! the raw body (so you can see what the server really said), and answers predicates such as
//! [`Error::is_retryable`] or [`Error::is_not_found`]. Secrets are never part of an error.

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::transport::{TransportError, TransportErrorKind};

/// Longest body snippet kept in an error, in bytes.
pub const SNIPPET_LIMIT: usize = 512;

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The connection could not be made; the request never reached the server.
    Connect,
    /// The request or its response timed out (transport timeout, HTTP 408 or 504).
    Timeout,
    /// The connection broke during the exchange.
    Transport,
    /// The response body was larger than the configured limit.
    BodyTooLarge,
    /// Credentials missing, wrong or expired (HTTP 401 or a vendor's auth error body).
    Auth,
    /// Authenticated but not allowed (HTTP 403, missing rights).
    Forbidden,
    /// The resource does not exist.
    NotFound,
    /// The server refused because of a rate limit (HTTP 429).
    RateLimited,
    /// The request was rejected as invalid (HTTP 400, 422, vendor validation errors).
    Validation,
    /// The request conflicts with the server's state (HTTP 409).
    Conflict,
    /// Any other 4xx.
    Client,
    /// The server failed (5xx, or a vendor body that says to try again).
    Server,
    /// The response could not be decoded into the expected shape.
    Decode,
    /// The caller passed invalid input; nothing was sent.
    InvalidInput,
    /// The client is misconfigured (bad base URL, missing credentials).
    Config,
    /// A token could not be obtained or stored.
    Token,
    /// A vendor error that fits no other kind.
    Vendor,
}

impl ErrorKind {
    /// `true` for kinds worth retrying when the request is safe to repeat.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Connect
                | ErrorKind::Timeout
                | ErrorKind::Transport
                | ErrorKind::RateLimited
                | ErrorKind::Server
        )
    }
}

/// An SDK error. See the [module docs](self).
///
/// Cheap enough to clone (its source is shared), so a token cache can repeat a recent failure.
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    vendor: &'static str,
    operation: String,
    method: Option<http::Method>,
    status: Option<StatusCode>,
    message: String,
    vendor_message: Option<String>,
    body_snippet: Option<String>,
    decode_path: Option<String>,
    retry_after: Option<Duration>,
    reached_server: Option<bool>,
    attempts: u32,
    missing_env: Option<&'static str>,
    outcome_unknown: bool,
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
    /// For an error of the auth stage: the token call's own error.
    token_error: Option<Error>,
}

impl Error {
    /// A new error of the given kind with a human message (lower-case, no trailing period).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                vendor: "",
                operation: String::new(),
                method: None,
                status: None,
                message: message.into(),
                vendor_message: None,
                body_snippet: None,
                decode_path: None,
                retry_after: None,
                reached_server: None,
                attempts: 0,
                missing_env: None,
                outcome_unknown: false,
                source: None,
                token_error: None,
            }),
        }
    }

    /// An error for an HTTP response: kind, status and a snippet of its body.
    pub fn http(kind: ErrorKind, status: StatusCode, body: &[u8]) -> Self {
        let reason = status.canonical_reason().unwrap_or("");
        Error::new(
            kind,
            format!("http {} {reason}", status.as_u16())
                .trim_end()
                .to_owned(),
        )
        .with_status(status)
        .with_body(body)
        .with_reached_server(true)
    }

    /// A decode error: what was expected, the body it failed on, and the path of the failing
    /// field (e.g. `content[3].billingTerm` or `line 4, column "login"`) if known.
    pub fn decode(message: impl Into<String>, body: &[u8], path: Option<String>) -> Self {
        let mut e = Error::new(ErrorKind::Decode, message)
            .with_body(body)
            .with_reached_server(true);
        e.inner.decode_path = path;
        e
    }

    /// Decodes a JSON body into `T`, naming the failing field on error.
    pub fn decode_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
        let de = &mut serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            Error::decode(format!("invalid json: {inner}"), body, Some(path))
        })
    }

    /// An error for invalid caller input (nothing was sent).
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message).with_reached_server(false)
    }

    /// An error for a misconfigured client.
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message).with_reached_server(false)
    }

    /// A configuration error for a required environment variable that is not set (or empty);
    /// [`Error::missing_env_var`] names it. Used by every vendor's `Client::from_env`.
    pub fn missing_env(var: &'static str) -> Self {
        let mut e = Error::config(format!("environment variable {var} is not set"));
        e.inner.missing_env = Some(var);
        e
    }

    /// The client-side rate limiter could not grant a slot within the call's time budget:
    /// nothing was sent. `next_slot_in` is how long the caller would have had to wait (it is
    /// also the error's [`Error::retry_after`]), `budget_left` what was left of the budget.
    pub fn rate_limited_by_client(next_slot_in: Duration, budget_left: Duration) -> Self {
        Error::new(
            ErrorKind::RateLimited,
            format!(
                "client-side rate limit: no slot within the call's time budget \
                 (next slot in {} ms, {} ms left)",
                next_slot_in.as_millis(),
                budget_left.as_millis()
            ),
        )
        .with_retry_after(Some(next_slot_in))
        .with_reached_server(false)
    }

    /// The call's time budget (`RetryPolicy::max_elapsed`) ran out before the next attempt
    /// could be sent (waiting for a token or for the rate limiter took the rest): nothing was
    /// sent by this attempt.
    pub fn budget_exhausted(budget: Duration) -> Self {
        Error::new(
            ErrorKind::Timeout,
            format!(
                "the call's time budget of {} ms ran out before the request could be sent",
                budget.as_millis()
            ),
        )
        .with_reached_server(false)
    }

    /// The auth stage could not obtain a token, so the request was **never sent**: the error
    /// keeps the kind of `token_error` (a rejected client secret stays [`Error::is_auth`], an
    /// unreachable token endpoint stays retryable), says that the token could not be obtained,
    /// and has `may_have_reached_server() == false` (so it is never outcome-unknown). The token
    /// call's own error (its operation, method and HTTP status) is kept in
    /// [`Error::token_error`]; [`Error::status`] is `None`, because this request got no answer.
    pub fn token_unavailable(token_error: Error) -> Self {
        let mut e = Error::new(
            token_error.kind(),
            format!("could not obtain a token: {}", token_error.describe_call()),
        )
        .with_retry_after(token_error.retry_after())
        .with_reached_server(false);
        e.inner.token_error = Some(token_error);
        e
    }

    /// `"<METHOD> <operation>: <message>"` for a token error (the call as it went out), without
    /// the vendor (the outer error names it).
    fn describe_call(&self) -> String {
        // a token error that is itself "could not obtain a token" (a custom auth provider that
        // wraps already) is not wrapped twice
        if let Some(inner) = &self.inner.token_error {
            return inner.describe_call();
        }
        let i = &self.inner;
        let mut out = String::new();
        match (&i.method, i.operation.is_empty()) {
            (Some(m), false) => out.push_str(&format!("{m} {}: ", i.operation)),
            (None, false) => out.push_str(&format!("{}: ", i.operation)),
            (Some(m), true) => out.push_str(&format!("{m}: ")),
            (None, true) => {}
        }
        out.push_str(&i.message);
        if let Some(vm) = &i.vendor_message {
            out.push_str(": ");
            out.push_str(vm);
        }
        out
    }

    /// Sets the vendor name (`ppms`, `pax8`, `cloudspot`).
    pub fn with_vendor(mut self, vendor: &'static str) -> Self {
        self.inner.vendor = vendor;
        self
    }

    /// Sets the operation name.
    pub fn with_operation(mut self, operation: impl Into<String>) -> Self {
        self.inner.operation = operation.into();
        self
    }

    /// Replaces the message, keeping everything else.
    pub(crate) fn with_message(mut self, message: String) -> Self {
        self.inner.message = message;
        self
    }

    /// Sets the HTTP method of the request that failed (set by [`crate::Client`]).
    pub fn with_method(mut self, method: http::Method) -> Self {
        self.inner.method = Some(method);
        self
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Keeps a bounded snippet of a raw body (lossy UTF-8, at most [`SNIPPET_LIMIT`] bytes).
    pub fn with_body(mut self, body: &[u8]) -> Self {
        self.inner.body_snippet = if body.is_empty() {
            None
        } else {
            Some(snippet(body))
        };
        self
    }

    /// Sets the message the vendor gave (e.g. PUMAPI's `error: invalid id`, Pax8's `message`).
    pub fn with_vendor_message(mut self, message: impl Into<String>) -> Self {
        self.inner.vendor_message = Some(message.into());
        self
    }

    /// Sets the server's requested delay before retrying.
    pub fn with_retry_after(mut self, d: Option<Duration>) -> Self {
        self.inner.retry_after = d;
        self
    }

    /// Records whether the request may have reached the server.
    pub fn with_reached_server(mut self, reached: bool) -> Self {
        self.inner.reached_server = Some(reached);
        self
    }

    /// Marks the error as the failure of a request that is not idempotent and may have been
    /// carried out by the server (see [`Error::is_outcome_unknown`]).
    pub fn with_outcome_unknown(mut self, unknown: bool) -> Self {
        self.inner.outcome_unknown = unknown;
        self
    }

    /// Records the number of attempts made.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    /// Changes the kind (used by vendor classifiers).
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(std::sync::Arc::new(source));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }
    /// The vendor (`""` if not set).
    pub fn vendor(&self) -> &'static str {
        self.inner.vendor
    }
    /// The operation (`""` if not set).
    pub fn operation(&self) -> &str {
        &self.inner.operation
    }
    /// The HTTP method of the request that failed, when a [`crate::Client`] ran it.
    pub fn method(&self) -> Option<&http::Method> {
        self.inner.method.as_ref()
    }
    /// The HTTP status, if a response was received.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }
    /// For an error of the auth stage (see [`Error::token_unavailable`]): the error of the
    /// token call itself — its operation, method, HTTP status and body snippet.
    pub fn token_error(&self) -> Option<&Error> {
        self.inner.token_error.as_ref()
    }
    /// `true` when the request was never sent because no token could be obtained.
    pub fn is_token_unavailable(&self) -> bool {
        self.inner.token_error.is_some()
    }
    /// The SDK's description of the failure.
    pub fn message(&self) -> &str {
        &self.inner.message
    }
    /// What the vendor said, if it said something recognisable.
    pub fn vendor_message(&self) -> Option<&str> {
        self.inner.vendor_message.as_deref()
    }
    /// A bounded snippet of the raw response body.
    pub fn body_snippet(&self) -> Option<&str> {
        self.inner.body_snippet.as_deref()
    }
    /// For decode errors: where in the body decoding failed.
    pub fn decode_path(&self) -> Option<&str> {
        self.inner.decode_path.as_deref()
    }
    /// The delay the server asked for (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }
    /// For a `from_env` failure: the environment variable that is missing.
    pub fn missing_env_var(&self) -> Option<&'static str> {
        self.inner.missing_env
    }
    /// How many attempts were made before giving up (0 if unknown).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// `false` only when the request provably never reached the server (connection refused,
    /// DNS, TLS handshake, invalid input). For a non-idempotent create that failed, `true` means
    /// the object **may exist** on the server and must be looked up before trying again.
    pub fn may_have_reached_server(&self) -> bool {
        self.inner.reached_server.unwrap_or(true)
    }

    /// A request that is not idempotent (a create without an idempotency key) failed after it
    /// may have reached the server — including a 2xx answer whose body could not be read: the
    /// object **may exist**; look it up before trying again. Set by [`crate::Client`] for every
    /// such failure except a 4xx answer other than 408 (the server refused the request: nothing
    /// was created),
    /// and by [`crate::Response`]'s decoders (a vendor that answers a refusal with a 2xx body it
    /// cannot read stays outcome-unknown).
    pub fn is_outcome_unknown(&self) -> bool {
        self.inner.outcome_unknown && self.may_have_reached_server()
    }

    /// Worth retrying if the request is safe to repeat.
    pub fn is_retryable(&self) -> bool {
        self.inner.kind.is_retryable()
    }
    /// Credentials missing, wrong or expired.
    pub fn is_auth(&self) -> bool {
        self.inner.kind == ErrorKind::Auth
    }
    /// Refused by a rate limit.
    pub fn is_rate_limited(&self) -> bool {
        self.inner.kind == ErrorKind::RateLimited
    }
    /// The resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.inner.kind == ErrorKind::NotFound
    }
    /// Timed out.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }
    /// The body could not be decoded.
    pub fn is_decode(&self) -> bool {
        self.inner.kind == ErrorKind::Decode
    }
    /// The caller's input or the client's configuration was refused; nothing was sent.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::InvalidInput | ErrorKind::Config)
    }
}

/// The error vocabulary every vendor crate's error speaks (see `docs/conventions.md`).
///
/// `ppms::Error`, `pax8::Error` and `cloudspot::Error` implement it, and have the same methods
/// inherent, so you never need to import this trait to call them; import it to write code that
/// works with any vendor's error.
pub trait SdkError: std::error::Error + Send + Sync + 'static {
    /// The HTTP status, if a response was received.
    fn status(&self) -> Option<StatusCode>;
    /// The object does not exist (HTTP 404, or the vendor's way of saying so).
    fn is_not_found(&self) -> bool;
    /// Credentials missing, wrong, expired or not allowed for this call (401/403).
    fn is_auth(&self) -> bool;
    /// Refused by a rate limit (server 429, or the client's limiter could not grant a slot in
    /// the call's time budget).
    fn is_rate_limited(&self) -> bool;
    /// Worth retrying later if the request is safe to repeat (the client already retried as
    /// its policy allows).
    fn is_retryable(&self) -> bool;
    /// Timed out.
    fn is_timeout(&self) -> bool;
    /// The server's answer could not be decoded into the expected shape.
    fn is_decode(&self) -> bool;
    /// The caller's input or the client's configuration was refused before anything was sent.
    fn is_invalid_input(&self) -> bool;
    /// `false` only when the request provably never reached the server.
    fn may_have_reached_server(&self) -> bool;
    /// A create that is not idempotent failed after it may have reached the server: the object
    /// **may exist**; look for it before trying again.
    fn is_outcome_unknown(&self) -> bool;
    /// The delay the server asked for (`Retry-After`), if any.
    fn retry_after(&self) -> Option<Duration>;
    /// The underlying runtime error, when there is one.
    fn core(&self) -> Option<&Error>;
}

/// Turns "not found" into `Ok(None)`: `client.companies().get(id).await.optional()?`.
///
/// Every single-object `get` of the vendor crates returns `Err(e)` with `e.is_not_found()` when
/// the object does not exist; this adapter is for callers who prefer an `Option`.
pub trait OptionalExt<T, E> {
    /// `Ok(Some(v))` for `Ok(v)`, `Ok(None)` for a not-found error, other errors unchanged.
    fn optional(self) -> Result<Option<T>, E>;
}

impl<T, E: SdkError> OptionalExt<T, E> for Result<T, E> {
    fn optional(self) -> Result<Option<T>, E> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl SdkError for Error {
    fn status(&self) -> Option<StatusCode> {
        Error::status(self)
    }
    fn is_not_found(&self) -> bool {
        Error::is_not_found(self)
    }
    fn is_auth(&self) -> bool {
        Error::is_auth(self)
    }
    fn is_rate_limited(&self) -> bool {
        Error::is_rate_limited(self)
    }
    fn is_retryable(&self) -> bool {
        Error::is_retryable(self)
    }
    fn is_timeout(&self) -> bool {
        Error::is_timeout(self)
    }
    fn is_decode(&self) -> bool {
        Error::is_decode(self)
    }
    fn is_invalid_input(&self) -> bool {
        Error::is_invalid_input(self)
    }
    fn may_have_reached_server(&self) -> bool {
        Error::may_have_reached_server(self)
    }
    fn is_outcome_unknown(&self) -> bool {
        Error::is_outcome_unknown(self)
    }
    fn retry_after(&self) -> Option<Duration> {
        Error::retry_after(self)
    }
    fn core(&self) -> Option<&Error> {
        Some(self)
    }
}

/// Implements [`SdkError`] for a vendor error type by forwarding to its inherent methods of the
/// same names (`status`, `is_not_found`, …, `core`), which every vendor error has.
#[macro_export]
macro_rules! forward_sdk_error {
    ($ty:ty) => {
        impl $crate::error::SdkError for $ty {
            fn status(&self) -> ::std::option::Option<$crate::StatusCode> {
                <$ty>::status(self)
            }
            fn is_not_found(&self) -> bool {
                <$ty>::is_not_found(self)
            }
            fn is_auth(&self) -> bool {
                <$ty>::is_auth(self)
            }
            fn is_rate_limited(&self) -> bool {
                <$ty>::is_rate_limited(self)
            }
            fn is_retryable(&self) -> bool {
                <$ty>::is_retryable(self)
            }
            fn is_timeout(&self) -> bool {
                <$ty>::is_timeout(self)
            }
            fn is_decode(&self) -> bool {
                <$ty>::is_decode(self)
            }
            fn is_invalid_input(&self) -> bool {
                <$ty>::is_invalid_input(self)
            }
            fn may_have_reached_server(&self) -> bool {
                <$ty>::may_have_reached_server(self)
            }
            fn is_outcome_unknown(&self) -> bool {
                <$ty>::is_outcome_unknown(self)
            }
            fn retry_after(&self) -> ::std::option::Option<::std::time::Duration> {
                <$ty>::retry_after(self)
            }
            fn core(&self) -> ::std::option::Option<&$crate::Error> {
                <$ty>::core(self)
            }
        }
    };
}

/// A lossy UTF-8 snippet of at most [`SNIPPET_LIMIT`] bytes, cut on a character boundary.
pub fn snippet(body: &[u8]) -> String {
    let cut = &body[..body.len().min(SNIPPET_LIMIT)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if body.len() > SNIPPET_LIMIT {
        // the cut may have split a multi-byte character into a replacement char; that is fine
        s.push('…');
    }
    s
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        let kind = match e.kind() {
            TransportErrorKind::Connect => ErrorKind::Connect,
            TransportErrorKind::Timeout => ErrorKind::Timeout,
            TransportErrorKind::Io | TransportErrorKind::Other => ErrorKind::Transport,
            TransportErrorKind::BodyTooLarge => ErrorKind::BodyTooLarge,
            TransportErrorKind::InvalidRequest => ErrorKind::InvalidInput,
        };
        let never_sent = e.never_sent();
        Error::new(kind, e.to_string())
            .with_reached_server(!never_sent)
            .with_source(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        if !i.vendor.is_empty() {
            write!(f, "{} ", i.vendor)?;
        }
        if !i.operation.is_empty() {
            write!(f, "{}: ", i.operation)?;
        } else if !i.vendor.is_empty() {
            f.write_str(": ")?;
        }
        f.write_str(&i.message)?;
        if let Some(vm) = &i.vendor_message {
            write!(f, ": {vm}")?;
        }
        if let Some(p) = &i.decode_path {
            write!(f, " (at {p})")?;
        }
        if i.attempts > 1 {
            write!(f, " after {} attempts", i.attempts)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Error")
            .field("kind", &i.kind)
            .field("vendor", &i.vendor)
            .field("operation", &i.operation)
            .field("method", &i.method)
            .field("status", &i.status)
            .field("message", &i.message)
            .field("vendor_message", &i.vendor_message)
            .field("body_snippet", &i.body_snippet)
            .field("decode_path", &i.decode_path)
            .field("retry_after", &i.retry_after)
            .field("reached_server", &i.reached_server)
            .field("attempts", &i.attempts)
            .field("outcome_unknown", &i.outcome_unknown)
            .field("token_error", &i.token_error)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        if let Some(t) = &self.inner.token_error {
            return Some(t);
        }
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_is_bounded_and_lossy() {
        let body = vec![b'a'; 10_000];
        let s = snippet(&body);
        assert!(s.len() <= SNIPPET_LIMIT + '…'.len_utf8());
        let s = snippet(&[0xff, 0xfe, b'x']);
        assert!(s.ends_with('x'));
    }

    #[test]
    fn display_names_vendor_operation_and_vendor_message() {
        let e = Error::new(ErrorKind::NotFound, "not found")
            .with_vendor("ppms")
            .with_operation("getuser")
            .with_vendor_message("error: invalid id");
        assert_eq!(e.to_string(), "ppms getuser: not found: error: invalid id");
        assert!(e.is_not_found());
        assert!(!e.is_retryable());
    }

    #[test]
    fn missing_env_names_the_variable_and_is_invalid_input() {
        let e = Error::missing_env("PAX8_CLIENT_ID").with_vendor("pax8");
        assert_eq!(e.missing_env_var(), Some("PAX8_CLIENT_ID"));
        assert!(e.is_invalid_input());
        assert!(!e.may_have_reached_server());
        assert!(e.to_string().contains("PAX8_CLIENT_ID"), "{e}");
    }

    #[test]
    fn optional_turns_only_not_found_into_none() {
        let nf: Result<u8, Error> = Err(Error::new(ErrorKind::NotFound, "not found"));
        assert!(matches!(nf.optional(), Ok(None)));
        let ok: Result<u8, Error> = Ok(3);
        assert!(matches!(ok.optional(), Ok(Some(3))));
        let other: Result<u8, Error> = Err(Error::new(ErrorKind::Server, "boom"));
        assert!(other.optional().is_err());
    }

    #[test]
    fn connect_errors_never_reached_server() {
        let e: Error = TransportError::new(TransportErrorKind::Connect, "refused").into();
        assert!(!e.may_have_reached_server());
        let e: Error = TransportError::new(TransportErrorKind::Timeout, "slow").into();
        assert!(e.may_have_reached_server());
        assert!(e.is_timeout());
    }
}
