//! The HTTP side: one listener serving one or more vendors, each request answered by
//! [`State::respond`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use billing_http_core::cassette::matching::record_request;
use billing_http_core::cassette::{RecordedRequest, ScrubConfig};
use billing_http_core::{HttpRequest, HttpResponse};
use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use url::Url;

use crate::fault::{self, Asked, AskedCounts, Fault, FaultRule};
use crate::recordings::Recordings;
use crate::synthetic::{Ctx, Model, Outcome};
use crate::{FAULT_HEADER, FAULT_QUERY, MISS_HEADER};

/// The path segments that carry a fault in a URL: `/_sandbox/fault/<spec>/`.
pub(crate) const FAULT_SEGMENTS: [&str; 2] = ["_sandbox", "fault"];

/// One vendor served by a listener.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) vendor: String,
    /// Path prefix of this vendor on the listener (`/`, or `/pax8/` when several share it).
    pub(crate) mount: String,
    /// `http://<addr><mount>`: what [`crate::Sandbox::url`] returns.
    pub(crate) root: Url,
    /// `root` plus the builder's base path: request paths are made relative to it.
    pub(crate) match_base: Url,
    pub(crate) config: ScrubConfig,
    pub(crate) recordings: Recordings,
    pub(crate) models: Vec<Box<dyn Model>>,
    pub(crate) latency: Duration,
    pub(crate) faults: Vec<FaultRule>,
    pub(crate) asked: AskedCounts,
    pub(crate) rate_limit: Option<(u64, Duration)>,
    pub(crate) window: Mutex<Option<(tokio::time::Instant, u64)>>,
    pub(crate) counts: Mutex<BTreeMap<String, u64>>,
    pub(crate) misses: Mutex<Vec<String>>,
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

fn to_hyper(resp: HttpResponse) -> Response<Body> {
    let mut r = Response::new(full(resp.body));
    *r.status_mut() = resp.status;
    *r.headers_mut() = resp.headers;
    r
}

fn too_many(retry_after_secs: u64, body: &'static str) -> Response<Body> {
    let mut r = respond(429, "text/plain", body);
    r.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from(retry_after_secs),
    );
    r
}

/// The 501 answer to a request the sandbox cannot answer.
fn miss_response(message: &str) -> Response<Body> {
    let mut r = respond(501, "text/plain; charset=utf-8", format!("{message}\n"));
    r.headers_mut()
        .insert(MISS_HEADER, http::HeaderValue::from_static("1"));
    r
}

/// The route key of a request.
pub(crate) fn route_of(req: &RecordedRequest) -> String {
    let action = req
        .field("action")
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    format!("{} {}{action}", req.method, req.path)
}

impl State {
    pub(crate) fn counts(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn miss(&self, message: String) -> Response<Body> {
        let r = miss_response(&message);
        self.misses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message);
        r
    }

    /// `Some(retry_after_secs)` if this request is over the quota.
    fn over_quota(&self) -> Option<u64> {
        let (max, per) = self.rate_limit?;
        let now = tokio::time::Instant::now();
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let (start, count) = match *window {
            Some((start, count)) if now.duration_since(start) < per => {
                (start, count.saturating_add(1))
            }
            _ => (now, 1),
        };
        *window = Some((start, count));
        if count > max {
            let left = per.saturating_sub(now.duration_since(start));
            Some(
                left.as_secs()
                    .saturating_add(u64::from(left.subsec_nanos() > 0))
                    .max(1),
            )
        } else {
            None
        }
    }

    /// The answer from synthetic data or the recordings, or the miss.
    fn normal(&self, recorded: &RecordedRequest) -> Response<Body> {
        let key = self.recordings.key(recorded);
        let peek = |r: &RecordedRequest| self.recordings.peek(r);
        let ctx = Ctx {
            base: &self.match_base,
            recorded: &peek,
        };
        for model in &self.models {
            match model.answer(recorded, &ctx) {
                Outcome::Answer(r) => return to_hyper(r),
                Outcome::Unknown(r) => {
                    return to_hyper(self.recordings.answer(&key).unwrap_or(r));
                }
                Outcome::Pass => {}
            }
        }
        match self.recordings.answer(&key) {
            Ok(r) => to_hyper(r),
            Err(message) => self.miss(message),
        }
    }

    /// Answers one request (path relative to the listener, fault flags removed).
    async fn respond(
        &self,
        http_req: HttpRequest,
        asked: Option<Result<Asked, String>>,
        reset: &AtomicBool,
    ) -> Result<Response<Body>, std::io::Error> {
        let recorded = record_request(&http_req, &self.match_base, &self.config);
        let route = route_of(&recorded);
        *self.counts().entry(route.clone()).or_insert(0) += 1;

        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if let Some(retry_after) = self.over_quota() {
            return Ok(too_many(retry_after, "sandbox rate limit exceeded\n"));
        }
        let asked = match asked {
            Some(Err(message)) => return Ok(self.miss(message)),
            Some(Ok(asked)) => self.asked.fire(asked, &route),
            None => None,
        };
        // Every plan sees every request it applies to (so sequences count consistently); the
        // fault the request asked for wins, then the first plan that fires.
        let mut fault = asked;
        for rule in &self.faults {
            if let Some(f) = rule.next(&route) {
                fault.get_or_insert(f);
            }
        }
        match fault {
            None => Ok(self.normal(&recorded)),
            Some(Fault::Status(code)) => Ok(respond(
                code,
                "text/plain",
                format!("sandbox injected status {code}\n"),
            )),
            Some(Fault::TooManyRequests { retry_after_secs }) => {
                Ok(too_many(retry_after_secs, "sandbox injected 429\n"))
            }
            Some(Fault::HtmlErrorPage { status }) => Ok(respond(
                status,
                "text/html; charset=utf-8",
                fault::html_page(status),
            )),
            Some(Fault::Slow(delay)) => {
                tokio::time::sleep(delay).await;
                Ok(self.normal(&recorded))
            }
            Some(Fault::ConnectionReset) => {
                // Processed, then the connection is closed with SO_LINGER 0: a TCP RST.
                drop(self.normal(&recorded));
                reset.store(true, Ordering::SeqCst);
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "sandbox injected connection reset",
                ))
            }
            Some(Fault::TruncatedBody) => {
                let (parts, body) = self.normal(&recorded).into_parts();
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
}

/// The vendors of one listener.
#[derive(Debug)]
pub(crate) struct Router {
    pub(crate) base: Url,
    pub(crate) states: Vec<Arc<State>>,
}

impl Router {
    fn pick(&self, path: &str) -> Option<&Arc<State>> {
        match self.states.as_slice() {
            [only] => Some(only),
            all => all.iter().find(|s| path.starts_with(&s.mount)),
        }
    }
}

/// Takes the asked fault out of a request: the header, the query flag, or the path
/// segments `_sandbox/fault/<spec>`. Returns the spec and the cleaned path and query.
fn take_fault(parts: &http::request::Parts) -> (Option<String>, String) {
    let mut spec = parts
        .headers
        .get(FAULT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut segments: Vec<&str> = parts.uri.path().split('/').collect();
    if let Some(at) = segments
        .windows(3)
        .position(|w| w[0] == FAULT_SEGMENTS[0] && w[1] == FAULT_SEGMENTS[1])
    {
        let from_path = segments[at + 2].to_owned();
        segments.drain(at..at + 3);
        spec.get_or_insert(from_path);
    }
    let mut path = segments.join("/");
    if path.is_empty() {
        path.push('/');
    }
    if let Some(query) = parts.uri.query() {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        match pairs.iter().position(|(k, _)| k == FAULT_QUERY) {
            Some(at) => {
                let rest: Vec<_> = pairs.iter().enumerate().filter(|(i, _)| *i != at).collect();
                spec.get_or_insert_with(|| pairs[at].1.clone());
                if !rest.is_empty() {
                    let mut s = url::form_urlencoded::Serializer::new(String::new());
                    for (_, (k, v)) in rest {
                        s.append_pair(k, v);
                    }
                    path.push('?');
                    path.push_str(&s.finish());
                }
            }
            None => {
                path.push('?');
                path.push_str(query);
            }
        }
    }
    (spec, path)
}

async fn handle(
    router: Arc<Router>,
    reset: Arc<AtomicBool>,
    req: http::Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    let (spec, path_and_query) = take_fault(&parts);
    let path = path_and_query.split('?').next().unwrap_or("/");
    let Some(state) = router.pick(path) else {
        let mounted: Vec<&str> = router.states.iter().map(|s| s.mount.as_str()).collect();
        return Ok(miss_response(&format!(
            "sandbox: no vendor is served at {}; vendors are served at {}",
            path.chars().take(120).collect::<String>(),
            mounted.join(", ")
        )));
    };
    let url = router
        .base
        .join(&path_and_query)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut http_req = HttpRequest::new(parts.method, url);
    http_req.headers = parts.headers;
    http_req.body = body;
    let asked = spec.map(|s| fault::parse_spec(&s));
    state.respond(http_req, asked, &reset).await
}

/// Serves `router` on `listener` until the task is aborted.
pub(crate) async fn accept_loop(listener: TcpListener, router: Arc<Router>) {
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
                let router = router.clone();
                connections.spawn(async move {
                    let reset = Arc::new(AtomicBool::new(false));
                    let io = ResettableIo { inner: stream, reset: reset.clone() };
                    let service = service_fn(move |req| handle(router.clone(), reset.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(io), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, header: Option<&str>) -> http::request::Parts {
        let mut b = http::Request::builder().uri(uri);
        if let Some(h) = header {
            b = b.header(FAULT_HEADER, h);
        }
        b.body(())
            .map(|r| r.into_parts().0)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn faults_are_taken_from_header_query_or_path_and_removed() {
        let (spec, path) = take_fault(&parts(
            "/companies?page=0&x-sandbox-fault=503&size=10",
            None,
        ));
        assert_eq!(spec.as_deref(), Some("503"));
        assert_eq!(path, "/companies?page=0&size=10");
        let (spec, path) = take_fault(&parts("/v1/_sandbox/fault/reset;times=1/orders", None));
        assert_eq!(spec.as_deref(), Some("reset;times=1"));
        assert_eq!(path, "/v1/orders");
        let (spec, path) = take_fault(&parts("/_sandbox/fault/503/", Some("slow=1s")));
        assert_eq!(spec.as_deref(), Some("slow=1s"));
        assert_eq!(path, "/");
        let (spec, path) = take_fault(&parts("/pumapi/?a=%20b", None));
        assert_eq!(spec, None);
        assert_eq!(path, "/pumapi/?a=%20b");
    }
}
