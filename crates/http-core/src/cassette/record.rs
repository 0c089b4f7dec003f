//! The recording transport: wraps any transport and keeps every exchange.

use std::fmt;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use url::Url;

use super::format::{Cassette, Interaction, RecordedResponse, rfc3339};
use super::matching::record_request;
use super::scrub::ScrubConfig;
use crate::client::parse_base_url;
use crate::error::Error;
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};

/// Called after every recorded exchange with a one-line description (method, path, PUMAPI
/// `action` if any, status, body size; never values), for progress output.
pub type RecordObserver = Arc<dyn Fn(&str) + Send + Sync>;

/// Sends through an inner transport and records each request with its response.
///
/// Paths are stored relative to the base URL given here. Nothing is scrubbed while recording
/// (the in-memory log holds real data); [`RecordingTransport::finish`] scrubs, and
/// [`Cassette::write_checked`] refuses to write anything secret-looking. Transport failures
/// (no response) are not recorded; [`RecordingTransport::failures`] counts them.
pub struct RecordingTransport {
    inner: Arc<dyn Transport>,
    base: Url,
    config: ScrubConfig,
    log: Mutex<Vec<Interaction>>,
    failures: Mutex<u32>,
    observer: Option<RecordObserver>,
}

impl fmt::Debug for RecordingTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingTransport")
            .field("inner", &self.inner)
            .field("base_path", &self.base.path())
            .finish_non_exhaustive()
    }
}

impl RecordingTransport {
    /// Records through `inner`; `base_url` is the base the paths are made relative to;
    /// `config` decides which request and response headers are kept.
    pub fn new(
        inner: Arc<dyn Transport>,
        base_url: &str,
        config: ScrubConfig,
    ) -> Result<Self, Error> {
        Ok(RecordingTransport {
            inner,
            base: parse_base_url(base_url)?,
            config,
            log: Mutex::new(Vec::new()),
            failures: Mutex::new(0),
            observer: None,
        })
    }

    /// Calls `observer` after every exchange (for progress output).
    pub fn with_observer(mut self, observer: RecordObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Vec<Interaction>> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many exchanges were recorded so far.
    pub fn len(&self) -> usize {
        self.log().len()
    }

    /// `true` if nothing was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.log().is_empty()
    }

    /// How many sends failed below HTTP (not recorded).
    pub fn failures(&self) -> u32 {
        *self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the recorded interactions (unscrubbed), leaving the log empty.
    pub fn take_interactions(&self) -> Vec<Interaction> {
        std::mem::take(&mut *self.log())
    }

    /// Takes the interactions into a scrubbed cassette for `vendor` / `scenario`, stamped with
    /// the current time and the base URL with its host redacted. `known_secrets` (the
    /// credentials used) are scrubbed wherever they appear.
    pub fn finish(&self, vendor: &str, scenario: &str, known_secrets: &[&str]) -> Cassette {
        let mut cassette = Cassette::new(vendor, scenario);
        cassette.recorded_at = Some(rfc3339(std::time::SystemTime::now()));
        cassette.recorded_against = Some(redact_host(&self.base));
        cassette.interactions = self.take_interactions();
        self.config.scrub(&mut cassette, known_secrets);
        cassette
    }
}

/// `scheme://REDACTED/path/` (port, user and query dropped).
pub fn redact_host(url: &Url) -> String {
    format!("{}://REDACTED{}", url.scheme(), url.path())
}

impl Transport for RecordingTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let recorded = record_request(&request, &self.base, &self.config);
            let result = self.inner.send(request).await;
            match &result {
                Ok(response) => {
                    let mut rec = RecordedResponse::new(response.status.as_u16(), &response.body);
                    for (name, value) in &response.headers {
                        if self.config.keeps_response_header(name.as_str()) {
                            rec.headers.insert(
                                name.as_str().to_owned(),
                                String::from_utf8_lossy(value.as_bytes()).into_owned(),
                            );
                        }
                    }
                    if let Some(observer) = &self.observer {
                        let action = recorded
                            .field("action")
                            .map(|v| format!(" action={v}"))
                            .unwrap_or_default();
                        observer(&format!(
                            "{} {}{action} -> {} ({} bytes)",
                            recorded.method,
                            recorded.path,
                            rec.status,
                            response.body.len()
                        ));
                    }
                    self.log().push(Interaction {
                        request: recorded,
                        response: rec,
                    });
                }
                Err(e) => {
                    *self.failures.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                    if let Some(observer) = &self.observer {
                        observer(&format!(
                            "{} {} -> transport error: {e}",
                            recorded.method, recorded.path
                        ));
                    }
                }
            }
            result
        })
    }
}
