//! A scripted in-process transport for tests and offline examples: no sockets.
//!
//! Each request is answered by a closure over the decoded form; the transport records every
//! request, counts calls and tracks the largest number of requests in flight at once.

use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use http_core::transport::TransportError;
use http_core::{HttpRequest, HttpResponse, StatusCode, Transport};

/// One recorded request: its URL and its decoded form fields, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SeenRequest {
    /// The full URL.
    pub url: String,
    /// The form fields (secrets included: tests check where they go).
    pub form: Vec<(String, String)>,
}

impl SeenRequest {
    /// The first value of a form field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&SeenRequest) -> Result<HttpResponse, TransportError> + Send + Sync;

/// A transport answering from a closure.
#[derive(Clone)]
pub struct ScriptedTransport {
    handler: Arc<Handler>,
    delay: Duration,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl fmt::Debug for ScriptedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptedTransport")
            .field("calls", &self.calls())
            .finish_non_exhaustive()
    }
}

impl ScriptedTransport {
    /// A transport answering every request with `handler`.
    pub fn new(
        handler: impl Fn(&SeenRequest) -> Result<HttpResponse, TransportError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            handler: Arc::new(handler),
            delay: Duration::ZERO,
            seen: Arc::default(),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
        }
    }

    /// A transport answering every request with HTTP 200 and `body`.
    pub fn always(body: &'static str) -> Self {
        Self::new(move |_| Ok(ok(body)))
    }

    /// A transport answering by action name from `(action, body)` pairs; unknown actions get an
    /// HTTP 500 so that a test fails loudly.
    pub fn by_action(answers: Vec<(&'static str, String)>) -> Self {
        Self::new(move |req| {
            let action = req.field("action").unwrap_or_default();
            match answers.iter().find(|(a, _)| *a == action) {
                Some((_, body)) => Ok(ok(body.clone())),
                None => Ok(HttpResponse::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "no scripted answer",
                )),
            }
        })
    }

    /// Waits `delay` (tokio time, so it is virtual under a paused clock) before answering.
    #[must_use]
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Every request seen, in order.
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The number of requests seen.
    pub fn calls(&self) -> usize {
        self.seen.lock().map_or(0, |s| s.len())
    }

    /// The largest number of requests in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

/// HTTP 200 with `body`.
pub fn ok(body: impl Into<bytes::Bytes>) -> HttpResponse {
    HttpResponse::new(StatusCode::OK, body)
}

/// Decodes a form body.
pub fn decode_form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Transport for ScriptedTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let seen = SeenRequest {
                url: request.url.to_string(),
                form: decode_form(&request.body),
            };
            if let Ok(mut s) = self.seen.lock() {
                s.push(seen.clone());
            }
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            let _guard = InFlight(self.in_flight.clone());
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            (self.handler)(&seen)
        })
    }
}
