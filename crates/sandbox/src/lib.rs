//! # sandbox: an offline stand-in for the vendors
//!
//! Serves a vendor's recorded cassettes over real HTTP on `127.0.0.1` (an ephemeral port by
//! default), so the whole client stack — reqwest, retries, rate limiting, token refresh — runs
//! against something that behaves like the vendor, with no network and no credentials. On top
//! of the recordings it can:
//!
//! * add **latency** to every answer;
//! * inject **faults** by sequence or by rate: 5xx, 429 with `Retry-After`, connection resets,
//!   truncated bodies, HTML error pages with status 200 or 502 ([`Fault`], [`FaultPlan`]);
//! * enforce a **server-side rate limit** that answers 429 with `Retry-After` past its quota;
//! * generate **synthetic data** for scale tests ([`Synthetic`]): thousands of PPMS users,
//!   tens of thousands of Pax8 companies, orders and subscriptions across pages;
//! * **count requests** per route for assertions.
//!
//! It runs in-process in tests and examples, and standalone as
//! `cargo xtask sandbox --vendor <v> [--port <p>]`.
//!
//! ```no_run
//! use std::time::Duration;
//! use billing_sandbox::{Fault, FaultPlan, Sandbox, Synthetic};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::builder("pax8")
//!     .all_fixtures()?
//!     .synthetic(Synthetic::pax8(100, 10_000, 5_000))
//!     .faults(FaultPlan::sequence([Some(Fault::Status(503)), None]))
//!     .latency(Duration::from_millis(2))
//!     .rate_limit(1000, Duration::from_secs(60))
//!     .start()
//!     .await?;
//! println!("serving on {}", sandbox.url());
//! // ... point a client at sandbox.url() ...
//! assert!(sandbox.count("GET /orders") > 0);
//! # Ok(()) }
//! ```
//!
//! ## Answering a request
//!
//! 1. the request is counted under its route (`"GET /orders"`, `"POST /pumapi/ getuser"`);
//! 2. the latency is waited;
//! 3. the rate limit is checked (429 past the quota);
//! 4. fault plans are consulted;
//! 5. synthetic data sets answer what they handle;
//! 6. otherwise the cassettes answer: the first unused matching interaction, then the last
//!    match again (so any number of calls can be served). Matching is
//!    `billing_http_core::cassette`'s replay rule (method, path, sorted query, form and JSON body,
//!    minus secret fields). A request that matches nothing gets **HTTP 599** with a text body
//!    naming the nearest recorded request.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

// The README (the crates.io page) is compiled and run as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod fault;
mod synthetic;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use billing_http_core::cassette::{
    Cassette, CassetteError, RecordedRequest, ReplayTransport, ScrubConfig, fixtures_dir,
    matching::record_request,
};
use billing_http_core::{HttpRequest, Transport};
use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use url::Url;

pub use fault::{Fault, FaultPlan};
pub use synthetic::{Synthetic, pax8_company_id, ppms_login};

use fault::FaultRule;

/// Errors starting the sandbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A cassette could not be loaded.
    #[error(transparent)]
    Cassette(#[from] CassetteError),
    /// The listener could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for (0 = ephemeral).
        port: u16,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Builds a [`Sandbox`]. Start with [`Sandbox::builder`].
#[derive(Debug)]
pub struct SandboxBuilder {
    vendor: String,
    cassettes: Vec<Cassette>,
    config: ScrubConfig,
    latency: Duration,
    faults: Vec<FaultRule>,
    rate_limit: Option<(u64, Duration)>,
    synthetic: Vec<Synthetic>,
    port: u16,
    base_path: String,
}

impl SandboxBuilder {
    /// The path prefix clients put before the cassettes' paths (e.g. `/v1/` when a Pax8
    /// client uses `url_for("v1")` as its base URL). It is stripped before matching and in
    /// route keys, as the recorder stripped the recording base URL's path. Default `/`.
    pub fn base_path(mut self, path: &str) -> Self {
        let trimmed = path.trim_matches('/');
        self.base_path = if trimmed.is_empty() {
            "/".to_owned()
        } else {
            format!("/{trimmed}/")
        };
        self
    }

    /// Serves `fixtures/<name>` (e.g. `"pax8/<scenario>.json"`).
    pub fn cassette(mut self, name: &str) -> Result<Self, Error> {
        self.cassettes.push(Cassette::load_fixture(name)?);
        Ok(self)
    }

    /// Serves every `fixtures/<vendor>/*.json` (in file name order). A missing or empty
    /// folder serves nothing.
    pub fn all_fixtures(mut self) -> Result<Self, Error> {
        let dir = match fixtures_dir() {
            Ok(d) => d.join(&self.vendor),
            Err(_) => return Ok(self),
        };
        let Ok(read) = std::fs::read_dir(&dir) else {
            return Ok(self);
        };
        let mut files: Vec<_> = read
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            self.cassettes.push(Cassette::load(&f)?);
        }
        Ok(self)
    }

    /// Serves an in-memory cassette.
    pub fn with_cassette(mut self, cassette: Cassette) -> Self {
        self.cassettes.push(cassette);
        self
    }

    /// The vendor's scrub config (its secret fields are ignored in matching).
    pub fn scrub_config(mut self, config: ScrubConfig) -> Self {
        self.config = config;
        self
    }

    /// Waits this long before every answer.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Adds a fault plan for every request.
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults.push(FaultRule::new(None, plan));
        self
    }

    /// Adds a fault plan for one route only (see [`Sandbox::count`] for route keys).
    pub fn faults_on(mut self, route: &str, plan: FaultPlan) -> Self {
        self.faults
            .push(FaultRule::new(Some(route.to_owned()), plan));
        self
    }

    /// Answers 429 with `Retry-After` once more than `max` requests arrive within one window
    /// of length `per` (fixed windows, starting at the first request).
    pub fn rate_limit(mut self, max: u64, per: Duration) -> Self {
        self.rate_limit = Some((max, per));
        self
    }

    /// Adds a synthetic data set.
    pub fn synthetic(mut self, data: Synthetic) -> Self {
        self.synthetic.push(data);
        self
    }

    /// Listens on this port instead of an ephemeral one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds `127.0.0.1` and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<Sandbox, Error> {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .map_err(|source| Error::Bind {
                port: self.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            port: self.port,
            source,
        })?;
        let base = Url::parse(&format!("http://{addr}/")).map_err(|e| Error::Bind {
            port: self.port,
            source: std::io::Error::other(e.to_string()),
        })?;
        let replay = ReplayTransport::from_cassettes(self.cassettes)
            .with_config(self.config.clone())
            .with_base_path(&self.base_path)
            .allow_repeats();
        let match_base = base
            .join(self.base_path.trim_start_matches('/'))
            .map_err(|e| Error::Bind {
                port: self.port,
                source: std::io::Error::other(e.to_string()),
            })?;
        let state = Arc::new(State {
            base,
            match_base,
            config: self.config,
            replay,
            latency: self.latency,
            faults: self.faults,
            rate_limit: self.rate_limit,
            window: Mutex::new(None),
            synthetic: self.synthetic,
            counts: Mutex::new(BTreeMap::new()),
            misses: Mutex::new(Vec::new()),
        });
        let task = tokio::spawn(accept_loop(listener, state.clone()));
        Ok(Sandbox { addr, state, task })
    }
}

/// A running sandbox. Dropping it stops it.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Sandbox {
    /// Starts a builder for `vendor` (used for [`SandboxBuilder::all_fixtures`]).
    pub fn builder(vendor: &str) -> SandboxBuilder {
        SandboxBuilder {
            vendor: vendor.to_owned(),
            cassettes: Vec::new(),
            config: ScrubConfig::new(),
            latency: Duration::ZERO,
            faults: Vec::new(),
            rate_limit: None,
            synthetic: Vec::new(),
            port: 0,
            base_path: "/".to_owned(),
        }
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        self.state.base.to_string()
    }

    /// `url()` joined with a relative path (`url_for("token")`).
    pub fn url_for(&self, path: &str) -> String {
        format!("{}{}", self.state.base, path.trim_start_matches('/'))
    }

    /// Requests received on `route` so far. Route keys are `"<METHOD> <path>"`, plus
    /// `" <action>"` when a form or query has an `action` field (PUMAPI):
    /// `"GET /companies"`, `"POST /pumapi/ getuser"`. Every request counts, including those
    /// answered with an injected fault or a rate-limit 429.
    pub fn count(&self, route: &str) -> u64 {
        self.state.counts().get(route).copied().unwrap_or(0)
    }

    /// All routes and their counts.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.state.counts().clone()
    }

    /// All requests received.
    pub fn total(&self) -> u64 {
        self.state.counts().values().sum()
    }

    /// The messages of the requests no cassette matched (answered with HTTP 599), in order.
    pub fn misses(&self) -> Vec<String> {
        self.state
            .misses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How often each cassette interaction answered (in load order).
    pub fn cassette_uses(&self) -> Vec<u32> {
        self.state.replay.uses()
    }

    /// Stops accepting and closes every connection.
    pub async fn shutdown(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug)]
struct State {
    base: Url,
    match_base: Url,
    config: ScrubConfig,
    replay: ReplayTransport,
    latency: Duration,
    faults: Vec<FaultRule>,
    rate_limit: Option<(u64, Duration)>,
    window: Mutex<Option<(tokio::time::Instant, u64)>>,
    synthetic: Vec<Synthetic>,
    counts: Mutex<BTreeMap<String, u64>>,
    misses: Mutex<Vec<String>>,
}

impl State {
    fn counts(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Some(retry_after_secs)` if this request is over the quota.
    fn over_quota(&self) -> Option<u64> {
        let (max, per) = self.rate_limit?;
        let now = tokio::time::Instant::now();
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let (start, count) = match *window {
            Some((start, count)) if now.duration_since(start) < per => (start, count + 1),
            _ => (now, 1),
        };
        *window = Some((start, count));
        if count > max {
            let left = per.saturating_sub(now.duration_since(start));
            Some(left.as_secs_f64().ceil().max(1.0) as u64)
        } else {
            None
        }
    }
}

type Body = BoxBody<Bytes, std::io::Error>;

fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(full(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    // Connection tasks live in this set: aborting the accept loop drops it and closes them.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let state = state.clone();
                connections.spawn(async move {
                    let reset = Arc::new(AtomicBool::new(false));
                    let io = ResettableIo { inner: stream, reset: reset.clone() };
                    let service = service_fn(move |req| handle(state.clone(), reset.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(io), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// The route key of a request.
fn route_of(req: &RecordedRequest) -> String {
    let action = req
        .field("action")
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    format!("{} {}{action}", req.method, req.path)
}

async fn handle(
    state: Arc<State>,
    reset: Arc<AtomicBool>,
    req: http::Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    let url = state
        .base
        .join(
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/"),
        )
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut http_req = HttpRequest::new(parts.method, url);
    http_req.headers = parts.headers;
    http_req.body = body;
    let recorded = record_request(&http_req, &state.match_base, &state.config);
    let route = route_of(&recorded);
    *state.counts().entry(route.clone()).or_insert(0) += 1;

    if !state.latency.is_zero() {
        tokio::time::sleep(state.latency).await;
    }
    if let Some(retry_after) = state.over_quota() {
        return Ok(too_many(retry_after, "sandbox rate limit exceeded\n"));
    }
    // Every rule sees every request it applies to (so sequences count consistently); the
    // first that fires wins.
    let mut fault = None;
    for rule in &state.faults {
        if let Some(f) = rule.next(&route) {
            fault.get_or_insert(f);
        }
    }
    let normal = answer(&state, &recorded, http_req).await;
    match fault {
        None => Ok(normal),
        Some(Fault::Status(code)) => Ok(respond(
            code,
            "text/plain",
            format!("sandbox injected status {code}\n"),
        )),
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            Ok(too_many(retry_after_secs, "sandbox injected 429\n"))
        }
        Some(Fault::ConnectionReset) => {
            // Closing with SO_LINGER 0 sends a TCP RST instead of a FIN.
            reset.store(true, Ordering::SeqCst);
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "sandbox injected connection reset",
            ))
        }
        Some(Fault::HtmlErrorPage { status }) => Ok(respond(
            status,
            "text/html; charset=utf-8",
            fault::html_page(status),
        )),
        Some(Fault::TruncatedBody) => {
            let (parts, body) = normal.into_parts();
            let bytes = body.collect().await?.to_bytes();
            let half = bytes.slice(..bytes.len() / 2);
            let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
                Ok(Frame::data(half)),
                Err(std::io::Error::other("sandbox injected truncated body")),
            ];
            let mut r = Response::from_parts(
                parts,
                StreamBody::new(futures_util::stream::iter(frames)).boxed(),
            );
            r.headers_mut().insert(
                http::header::CONTENT_LENGTH,
                http::HeaderValue::from(bytes.len().max(2)),
            );
            Ok(r)
        }
    }
}

/// A TCP stream that is closed with a reset (SO_LINGER 0) when its flag is set.
struct ResettableIo {
    inner: tokio::net::TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for ResettableIo {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.reset.load(Ordering::SeqCst) {
            // No FIN: the drop sends the reset.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn too_many(retry_after_secs: u64, body: &'static str) -> Response<Body> {
    let mut r = respond(429, "text/plain", body);
    r.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from(retry_after_secs),
    );
    r
}

async fn answer(
    state: &State,
    recorded: &RecordedRequest,
    http_req: HttpRequest,
) -> Response<Body> {
    for data in &state.synthetic {
        if let Some((status, content_type, body)) = data.answer(recorded) {
            return respond(status, content_type, body);
        }
    }
    match state.replay.send(http_req).await {
        Ok(resp) => {
            let mut r = Response::new(full(resp.body));
            *r.status_mut() = resp.status;
            *r.headers_mut() = resp.headers;
            r
        }
        Err(e) => {
            let message = format!("sandbox: {e}");
            state
                .misses
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(message.clone());
            respond(599, "text/plain", format!("{message}\n"))
        }
    }
}
