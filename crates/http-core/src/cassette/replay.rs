//! The replay transport: answers from cassettes, with no sockets.

use std::fmt;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use http::StatusCode;

use super::format::{Cassette, CassetteError, RecordedResponse};
use super::matching::{MatchKey, record_request};
use super::scrub::ScrubConfig;
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};

/// Answers requests from one or more cassettes.
///
/// Each request is matched (see [`super::matching`]) against the first interaction that has
/// not been used yet; every interaction answers once, so a retried request needs two recorded
/// interactions (unless [`ReplayTransport::allow_repeats`] is on). A request that matches
/// nothing fails with a [`TransportErrorKind::InvalidRequest`] error (not retried) whose
/// message names the nearest recorded request and what differs. At the end of a test call
/// [`ReplayTransport::assert_all_used`] (or [`ReplayTransport::verify`]) so that interactions
/// the code no longer makes fail the test.
///
/// ```
/// use std::sync::Arc;
/// use billing_http_core::cassette::{Cassette, Interaction, RecordedRequest, RecordedResponse, ReplayTransport};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let cassette = Cassette::load_fixture("vendor/scenario.json")?;
/// let replay = Arc::new(ReplayTransport::new(cassette));
/// let client = billing_http_core::Client::builder("ppms", "http://replay.invalid/")
///     .transport(replay.clone())
///     .build()?;
/// // ... run the code under test with `client` ...
/// replay.assert_all_used();
/// # Ok(()) }
/// ```
pub struct ReplayTransport {
    cassettes: Vec<Cassette>,
    config: ScrubConfig,
    base_path: String,
    allow_repeats: bool,
    entries: Mutex<Vec<Entry>>,
}

struct Entry {
    label: String,
    key: MatchKey,
    response: RecordedResponse,
    uses: u32,
}

impl fmt::Debug for ReplayTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .cassettes
            .iter()
            .map(|c| format!("{}/{}", c.vendor, c.scenario))
            .collect();
        f.debug_struct("ReplayTransport")
            .field("cassettes", &names)
            .field("base_path", &self.base_path)
            .field("allow_repeats", &self.allow_repeats)
            .finish_non_exhaustive()
    }
}

/// Interactions a test did not use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} recorded interaction(s) were never used: {}", unused.len(), unused.join("; "))]
#[non_exhaustive]
pub struct UnusedInteractions {
    /// `vendor/scenario #index METHOD path ...` of each unused interaction.
    pub unused: Vec<String>,
}

impl ReplayTransport {
    /// Replays one cassette with the default [`ScrubConfig`] (for which fields are secret and
    /// so ignored in matching) and base path `/`.
    pub fn new(cassette: Cassette) -> Self {
        Self::from_cassettes(vec![cassette])
    }

    /// Replays several cassettes; interactions are tried in order, first cassette first.
    pub fn from_cassettes(cassettes: Vec<Cassette>) -> Self {
        let mut t = ReplayTransport {
            cassettes,
            config: ScrubConfig::new(),
            base_path: "/".to_owned(),
            allow_repeats: false,
            entries: Mutex::new(Vec::new()),
        };
        t.rebuild();
        t
    }

    /// Loads `fixtures/<name>` (e.g. `"<vendor>/<scenario>.json"`).
    pub fn from_fixture(name: &str) -> Result<Self, CassetteError> {
        Ok(Self::new(Cassette::load_fixture(name)?))
    }

    /// Uses the vendor's scrub config, so its extra secret fields are ignored in matching.
    pub fn with_config(mut self, config: ScrubConfig) -> Self {
        self.config = config;
        self.rebuild();
        self
    }

    /// The path of the client's base URL (default `/`): it is stripped from request paths
    /// before matching, as the recorder stripped the recording base URL's path.
    pub fn with_base_path(mut self, base_path: &str) -> Self {
        self.base_path = if base_path.ends_with('/') {
            base_path.to_owned()
        } else {
            format!("{base_path}/")
        };
        self
    }

    /// When every matching interaction has been used, answer again with the last one instead
    /// of failing.
    pub fn allow_repeats(mut self) -> Self {
        self.allow_repeats = true;
        self
    }

    fn rebuild(&mut self) {
        let mut entries = Vec::new();
        for c in &self.cassettes {
            for (i, interaction) in c.interactions.iter().enumerate() {
                let key = MatchKey::new(&interaction.request, &self.config);
                entries.push(Entry {
                    label: format!("{}/{} #{i} {}", c.vendor, c.scenario, key.describe()),
                    key,
                    response: interaction.response.clone(),
                    uses: 0,
                });
            }
        }
        self.entries = Mutex::new(entries);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many times each interaction answered, in order.
    pub fn uses(&self) -> Vec<u32> {
        self.lock().iter().map(|e| e.uses).collect()
    }

    /// `Err` listing the interactions that never answered.
    pub fn verify(&self) -> Result<(), UnusedInteractions> {
        let unused: Vec<String> = self
            .lock()
            .iter()
            .filter(|e| e.uses == 0)
            .map(|e| e.label.clone())
            .collect();
        if unused.is_empty() {
            Ok(())
        } else {
            Err(UnusedInteractions { unused })
        }
    }

    /// Panics (failing the test) if an interaction never answered.
    ///
    /// # Panics
    ///
    /// When [`ReplayTransport::verify`] fails; the message lists the unused interactions.
    #[track_caller]
    pub fn assert_all_used(&self) {
        if let Err(e) = self.verify() {
            panic!("{e}");
        }
    }

    /// A guard that runs [`ReplayTransport::assert_all_used`] when it is dropped (unless the
    /// thread is already panicking), so a test cannot forget the check:
    /// `let _all_used = replay.guard();`.
    pub fn guard(self: &Arc<Self>) -> AllUsedGuard {
        AllUsedGuard(self.clone())
    }

    fn answer(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut base = request.url.clone();
        base.set_path(&self.base_path);
        base.set_query(None);
        let recorded = record_request(request, &base, &self.config);
        let key = MatchKey::new(&recorded, &self.config);
        let mut entries = self.lock();
        let pick = entries
            .iter()
            .position(|e| e.uses == 0 && e.key == key)
            .or_else(|| {
                if self.allow_repeats {
                    entries.iter().rposition(|e| e.key == key)
                } else {
                    None
                }
            });
        if let Some(i) = pick {
            let entry = &mut entries[i];
            entry.uses += 1;
            return to_http_response(&entry.response).map_err(|e| {
                TransportError::new(
                    TransportErrorKind::Other,
                    format!("replay: {}: {e}", entry.label),
                )
            });
        }
        let used_matches = entries.iter().filter(|e| e.key == key).count();
        let message = if used_matches > 0 {
            format!(
                "replay: no unused recorded interaction matches {}; {used_matches} matching \
                 interaction(s) already answered (record one per attempt, or allow repeats)",
                key.describe()
            )
        } else {
            match entries.iter().min_by_key(|e| e.key.distance(&key)) {
                Some(nearest) => format!(
                    "replay: no recorded interaction matches {}; nearest is {} (differs in: {})",
                    key.describe(),
                    nearest.label,
                    nearest.key.differences(&key).join(", ")
                ),
                None => format!(
                    "replay: no recorded interaction matches {}; the cassette is empty",
                    key.describe()
                ),
            }
        };
        Err(TransportError::new(
            TransportErrorKind::InvalidRequest,
            message,
        ))
    }
}

/// Asserts on drop that every interaction was used; see [`ReplayTransport::guard`].
#[derive(Debug)]
#[must_use = "the check runs when the guard is dropped: bind it with `let _guard = ...`"]
pub struct AllUsedGuard(Arc<ReplayTransport>);

impl Drop for AllUsedGuard {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.0.assert_all_used();
        }
    }
}

/// The wire response of a recorded one.
pub fn to_http_response(response: &RecordedResponse) -> Result<HttpResponse, CassetteError> {
    let status = StatusCode::from_u16(response.status)
        .map_err(|_| CassetteError::Invalid(format!("invalid status {}", response.status)))?;
    let mut out = HttpResponse::new(status, response.body.to_bytes()?);
    for (k, v) in &response.headers {
        out = out.with_header(k, v);
    }
    Ok(out)
}

impl Transport for ReplayTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let result = self.answer(&request);
        Box::pin(async move { result })
    }
}
