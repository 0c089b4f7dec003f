//! A scripted in-process transport for tests and offline examples: no sockets.
//!
//! Each request is answered by a closure over the decoded form; the transport records every
//! request, counts calls and tracks the largest number of requests in flight at once.

use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use billing_http_core::transport::{TransportError, TransportErrorKind};
use billing_http_core::{HttpRequest, HttpResponse, StatusCode, Transport};
use futures::future::BoxFuture;

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
    /// The number in flight as each request started (itself included), in order.
    in_flight_at_start: Arc<Mutex<Vec<usize>>>,
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
            in_flight_at_start: Arc::default(),
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

    /// For each request in order, how many were in flight when it started (itself included):
    /// shows whether concurrency was sustained or only a first burst.
    pub fn in_flight_at_start(&self) -> Vec<usize> {
        self.in_flight_at_start
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default()
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
            if let Ok(mut log) = self.in_flight_at_start.lock() {
                log.push(now);
            }
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            (self.handler)(&seen)
        })
    }
}

/// Replays responses recorded in pyppms' on-disk layout, so recordings made with pyppms work
/// unchanged (reference section 6.2, item 6).
///
/// A request with form fields `action=getuser`, `login=jdoe` is answered from
/// `<dir>/getuser/login--jdoe.txt`: the parameters other than `action` and `apikey`, sorted by
/// name, as `key--value` joined by `__`; a request without parameters reads `response.txt`.
/// A sibling `<signature>_status-code.txt` overrides the status (default 200). The body is
/// served byte-exact. pyppms has no escaping rule; this transport percent-encodes `%`, `/`,
/// `\`, whitespace, control and non-ASCII characters in values (`%2F`), which leaves every
/// name pyppms could write unchanged.
#[derive(Debug, Clone)]
pub struct PyppmsDirTransport {
    dir: std::path::PathBuf,
}

impl PyppmsDirTransport {
    /// Serves the recordings under `dir`.
    pub fn new(dir: impl Into<std::path::PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The file a request is answered from (without the `.txt` suffix).
    pub fn signature(form: &[(String, String)]) -> Option<(String, String)> {
        let action = form.iter().find(|(k, _)| k == "action")?.1.clone();
        let mut params: Vec<&(String, String)> = form
            .iter()
            .filter(|(k, _)| k != "action" && k != "apikey")
            .collect();
        params.sort();
        let signature = if params.is_empty() {
            "response".to_owned()
        } else {
            params
                .iter()
                .map(|(k, v)| format!("{}--{}", escape(k), escape(v)))
                .collect::<Vec<_>>()
                .join("__")
        };
        Some((escape(&action), signature))
    }
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_ascii()
            && !c.is_ascii_whitespace()
            && !c.is_ascii_control()
            && !matches!(c, '%' | '/' | '\\')
        {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

impl Transport for PyppmsDirTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let form = decode_form(&request.body);
        let answer = (|| {
            let (action, signature) = Self::signature(&form).ok_or_else(|| {
                TransportError::new(
                    TransportErrorKind::InvalidRequest,
                    "request has no action field",
                )
            })?;
            let folder = self.dir.join(action);
            let body_path = folder.join(format!("{signature}.txt"));
            let body = std::fs::read(&body_path).map_err(|e| {
                TransportError::new(
                    TransportErrorKind::InvalidRequest,
                    format!("no pyppms recording at {}: {e}", body_path.display()),
                )
            })?;
            let status =
                std::fs::read_to_string(folder.join(format!("{signature}_status-code.txt")))
                    .ok()
                    .and_then(|s| s.trim().parse::<u16>().ok())
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .unwrap_or(StatusCode::OK);
            Ok(HttpResponse::new(status, body))
        })();
        Box::pin(async move { answer })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pyppms_signatures_follow_its_layout() {
        let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let sig = PyppmsDirTransport::signature(&form(&[
            ("action", "getuser"),
            ("apikey", "k"),
            ("login", "jdoe"),
        ]));
        assert_eq!(sig, Some(("getuser".into(), "login--jdoe".into())));
        let sig = PyppmsDirTransport::signature(&form(&[("action", "getusers"), ("apikey", "k")]));
        assert_eq!(sig, Some(("getusers".into(), "response".into())));
        let sig = PyppmsDirTransport::signature(&form(&[
            ("action", "getrunningsheet"),
            ("plateformid", "3"),
            ("day", "2030-05-10"),
        ]));
        assert_eq!(
            sig,
            Some((
                "getrunningsheet".into(),
                "day--2030-05-10__plateformid--3".into()
            ))
        );
        assert_eq!(escape("a/b c é"), "a%2Fb%20c%20%C3%A9");
    }
}
