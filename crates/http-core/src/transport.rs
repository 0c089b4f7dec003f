//! The transport trait and the production reqwest transport.
//!
//! A [`Transport`] sends one fully built [`HttpRequest`] and returns the raw [`HttpResponse`].
//! The production transport is [`ReqwestTransport`] (reqwest over rustls; certificate
//! verification set by [`TlsConfig`]); the `cassette` module (feature `recording`) adds
//! recording and replay transports; tests can plug in their own.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use http::{HeaderMap, Method, StatusCode};
use url::Url;

use crate::error::Error;
use crate::tls::TlsConfig;

/// A request ready for the wire: the auth stage has already added credentials.
///
/// `Debug` shows method, host and path only: query values, headers and body may carry secrets.
#[derive(Clone)]
#[non_exhaustive]
pub struct HttpRequest {
    /// HTTP method.
    pub method: Method,
    /// Full URL including the query string.
    pub url: Url,
    /// Headers, including `Content-Type` for bodies.
    pub headers: HeaderMap,
    /// Encoded body bytes (empty for no body).
    pub body: Bytes,
    /// The most this attempt may take, from sending to the last body byte: [`crate::Client`]
    /// sets it to what is left of the call's time budget (`RetryPolicy::max_elapsed`). A
    /// transport applies the smaller of it and its own per-attempt timeout (the reqwest
    /// transport through `RequestBuilder::timeout`), so an attempt never overruns the budget.
    /// `None`: only the transport's own timeout.
    pub timeout: Option<Duration>,
}

impl HttpRequest {
    /// A request with no headers, no body and no timeout of its own.
    pub fn new(method: Method, url: Url) -> Self {
        HttpRequest {
            method,
            url,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            timeout: None,
        }
    }

    /// Sets the time allowed for this attempt.
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("host", &self.url.host_str())
            .field("path", &self.url.path())
            .field("body_len", &self.body.len())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A response as received: status, headers and the whole body.
#[derive(Clone)]
#[non_exhaustive]
pub struct HttpResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl HttpResponse {
    /// A response with the given status and body and no headers.
    pub fn new(status: StatusCode, body: impl Into<Bytes>) -> Self {
        HttpResponse {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    /// Adds a header (ignored if name or value are invalid).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(v)) = (
            http::header::HeaderName::from_bytes(name.as_bytes()),
            http::header::HeaderValue::from_str(value),
        ) {
            self.headers.append(n, v);
        }
        self
    }

    /// The value of a header as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// What went wrong below HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made (refused, DNS, TLS handshake, connect timeout): the
    /// request provably never reached the server.
    Connect,
    /// The request or response timed out after the connection was made.
    Timeout,
    /// The connection broke while sending or receiving (reset, closed, truncated).
    Io,
    /// The response body exceeded the configured size limit.
    BodyTooLarge,
    /// The request could not be built (bad URL, bad header).
    InvalidRequest,
    /// Anything else.
    Other,
}

/// A transport-level failure.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A new transport error.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// `true` if the request provably never reached the server.
    pub fn never_sent(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::Connect | TransportErrorKind::InvalidRequest
        )
    }
}

/// Sends one HTTP request. Implementations must be cheap to share across tasks.
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and returns the whole response (any status), or a transport failure.
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        (**self).send(request)
    }
}

/// Settings of the production transport.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TransportConfig {
    /// Time allowed to establish a connection (TCP + TLS). Default 10 s.
    pub connect_timeout: Duration,
    /// Time allowed for one whole attempt, from sending to the last body byte. Default 30 s.
    pub timeout: Duration,
    /// Largest response body accepted, in bytes. Default 64 MiB.
    pub max_body_bytes: usize,
    /// `User-Agent` header. Default `billing-sdk-http-core/<version>`; vendor crates set their own.
    pub user_agent: String,
    /// Which redirects are followed. Default [`Redirects::SameOrigin`].
    pub redirects: Redirects,
    /// How servers' certificates are verified. Default: the platform's trust store.
    pub tls: TlsConfig,
}

/// Which HTTP redirects the production transport follows.
///
/// Credentials travel in headers (some custom, like Cloudspot's `X-ERP-TOKEN`, that an HTTP
/// client would forward anywhere) or in the body, so the default never follows a redirect to
/// another origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Redirects {
    /// Never follow: a 3xx is returned to the classifier as is.
    None,
    /// Follow up to 10 redirects that stay on the same scheme, host and port.
    SameOrigin,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 64 * 1024 * 1024,
            user_agent: default_user_agent(),
            redirects: Redirects::SameOrigin,
            tls: TlsConfig::default(),
        }
    }
}

impl TransportConfig {
    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }
    /// Sets the total timeout of one attempt.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    /// Sets the response body size limit.
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }
    /// Sets the redirect policy.
    pub fn redirects(mut self, redirects: Redirects) -> Self {
        self.redirects = redirects;
        self
    }
    /// Sets the `User-Agent`.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }
    /// Sets how servers' certificates are verified.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = tls;
        self
    }
}

/// The default `User-Agent`: this crate's name and version.
pub fn default_user_agent() -> String {
    format!(
        "billing-sdk-{}/{}",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    )
}

/// The production transport: reqwest with rustls.
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_body_bytes: usize,
    /// The configured per-attempt timeout (`None` for a wrapped client: its own applies unless
    /// a request brings a budget).
    timeout: Option<Duration>,
}

impl ReqwestTransport {
    /// Builds a transport from the settings. Fails (a configuration error) when the TLS
    /// settings cannot be used, e.g. the platform has no trust store.
    pub fn new(config: &TransportConfig) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(config.tls.client_config()?)
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(config.user_agent.clone())
            .redirect(redirect_policy(config.redirects))
            .build()
            .map_err(|e| {
                Error::config(format!("cannot build the http client: {e}")).with_source(e)
            })?;
        Ok(ReqwestTransport {
            client,
            max_body_bytes: config.max_body_bytes,
            timeout: Some(config.timeout),
        })
    }

    /// Wraps an existing reqwest client. Its own timeouts apply, except that a request with a
    /// [`HttpRequest::timeout`] (every request of a [`crate::Client`]: what is left of the
    /// call's time budget) replaces the client's total timeout — reqwest cannot tell this
    /// transport what that was. Set it again with [`ReqwestTransport::attempt_timeout`] to keep
    /// it. Build it with [`TlsConfig::reqwest_builder`] to keep this crate's TLS choices.
    pub fn from_client(client: reqwest::Client, max_body_bytes: usize) -> Self {
        ReqwestTransport {
            client,
            max_body_bytes,
            timeout: None,
        }
    }

    /// Sets the per-attempt timeout applied together with each request's own (the smaller
    /// wins).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

fn redirect_policy(redirects: Redirects) -> reqwest::redirect::Policy {
    match redirects {
        Redirects::None => reqwest::redirect::Policy::none(),
        Redirects::SameOrigin => reqwest::redirect::Policy::custom(|attempt| {
            let same_origin = attempt
                .previous()
                .first()
                .is_some_and(|first| first.origin() == attempt.url().origin());
            if attempt.previous().len() > 10 || !same_origin {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }),
    }
}

fn map_reqwest_error(e: reqwest::Error) -> TransportError {
    let kind = if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_builder() {
        TransportErrorKind::InvalidRequest
    } else if e.is_request() || e.is_body() || e.is_decode() {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    };
    // reqwest's Display includes the URL, which may carry query secrets: strip it.
    let e = e.without_url();
    let what = match kind {
        TransportErrorKind::Connect => "connection failed",
        TransportErrorKind::Timeout => "request timed out",
        _ => "transport error",
    };
    let message = format!("{what}: {e}{}", causes(&e));
    TransportError::new(kind, message).with_source(e)
}

/// `": cause: deeper cause"`: reqwest's own message says only "error sending request"; the
/// causes say why (refused, certificate not trusted, reset), and carry no URL.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = String::new();
    let mut last = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        // hyper and reqwest wrap errors whose messages repeat their inner one
        if !last.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        last = text;
        next = cause.source();
    }
    out
}

impl Transport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            // the request is built directly (not through `RequestBuilder`), so its header map
            // moves in instead of being merged entry by entry; the client's default headers
            // (User-Agent) are still added by `execute`
            let mut req = reqwest::Request::new(request.method, request.url);
            *req.headers_mut() = request.headers;
            if !request.body.is_empty() {
                *req.body_mut() = Some(request.body.into());
            }
            // a request's budget caps this transport's own per-attempt timeout (the reqwest
            // client already applies `own`; setting a per-request timeout costs an allocation,
            // so it is set only when the budget is shorter)
            match (request.timeout, self.timeout) {
                (Some(budget), Some(own)) if budget < own => *req.timeout_mut() = Some(budget),
                (Some(budget), None) => *req.timeout_mut() = Some(budget),
                _ => {}
            }
            let mut resp = self.client.execute(req).await.map_err(map_reqwest_error)?;
            let status = resp.status();
            let headers = std::mem::take(resp.headers_mut());
            if resp
                .content_length()
                .is_some_and(|len| len > self.max_body_bytes as u64)
            {
                return Err(body_too_large(self.max_body_bytes));
            }
            // the common case is a single chunk: keep it without copying
            let mut first: Option<Bytes> = None;
            let mut rest = BytesMut::new();
            let mut total = 0usize;
            let expected = resp.content_length();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| body_read_error(e, total, expected))?
            {
                total += chunk.len();
                if total > self.max_body_bytes {
                    return Err(body_too_large(self.max_body_bytes));
                }
                if first.is_none() && rest.is_empty() {
                    first = Some(chunk);
                } else {
                    if let Some(f) = first.take() {
                        rest.extend_from_slice(&f);
                    }
                    rest.extend_from_slice(&chunk);
                }
            }
            let body = first.unwrap_or_else(|| rest.freeze());
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        })
    }
}

/// A failure while reading the body. A connection closed before `Content-Length` bytes came is
/// reported as truncated, with the bytes received of those expected (reqwest alone says "error
/// decoding response body"); a timeout stays a timeout.
fn body_read_error(e: reqwest::Error, received: usize, expected: Option<u64>) -> TransportError {
    if e.is_timeout() {
        return map_reqwest_error(e);
    }
    let e = e.without_url();
    // reqwest's own text ("error decoding response body") hides what happened; its innermost
    // cause (hyper's "end of file before message length reached", "connection reset") does not
    let mut cause: &dyn std::error::Error = &e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let message = match expected {
        Some(expected) => {
            format!("response body truncated: received {received} of {expected} bytes ({cause})")
        }
        None => format!(
            "response body truncated: the connection failed after {received} bytes of a body \
             of unknown length ({cause})"
        ),
    };
    TransportError::new(TransportErrorKind::Io, message).with_source(e)
}

fn body_too_large(limit: usize) -> TransportError {
    TransportError::new(
        TransportErrorKind::BodyTooLarge,
        format!("response body exceeds the limit of {limit} bytes"),
    )
}
