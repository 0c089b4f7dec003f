//! The recordings a sandbox answers from, and which one answers a request in each mode.
//!
//! Matching is `billing_http_core::cassette`'s rule ([`MatchKey`]), shared with
//! `ReplayTransport`; what differs is the choice among several matches: the replay transport
//! (and [`Mode::Scripted`]) walks them in order, [`Mode::Stable`] always picks the same,
//! best-ranked one.

use std::sync::Mutex;

use billing_http_core::HttpResponse;
use billing_http_core::cassette::matching::MatchKey;
use billing_http_core::cassette::{
    Cassette, RecordedRequest, RecordedResponse, SECRET_PLACEHOLDER, ScrubConfig, to_http_response,
};

use crate::Mode;

#[derive(Debug)]
struct Entry {
    label: String,
    key: MatchKey,
    response: RecordedResponse,
    /// Stable-mode preference, lowest first: answer class, scenario name length, load order.
    rank: (u8, usize, usize),
}

/// The loaded interactions, with use counts.
#[derive(Debug)]
pub(crate) struct Recordings {
    mode: Mode,
    config: ScrubConfig,
    entries: Vec<Entry>,
    uses: Mutex<Vec<u32>>,
}

/// How good an answer is as "the" answer to a request in stable mode: 0 a success, 1 a
/// definitive client error (a recorded 403 or 404), 2 a transient failure (5xx, 408, 429, or
/// an HTML page, whatever its status: proxies and maintenance pages answer 200 too).
fn answer_class(response: &RecordedResponse) -> u8 {
    let html = response
        .headers
        .get("content-type")
        .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
        || response.body.text().is_some_and(|t| {
            let head: String = t.trim_start().chars().take(9).collect();
            let head = head.to_ascii_lowercase();
            head.starts_with("<!doctype") || head.starts_with("<html")
        });
    match response.status {
        _ if html => 2,
        200..=299 => 0,
        408 | 429 => 2,
        400..=499 => 1,
        _ => 2,
    }
}

/// `config` plus every field some recorded request holds as [`SECRET_PLACEHOLDER`]: the
/// recorder scrubbed it, so its recorded value can never match and must not be compared.
fn with_recorded_secrets(mut config: ScrubConfig, cassettes: &[Cassette]) -> ScrubConfig {
    fn json_secrets(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    if v.as_str() == Some(SECRET_PLACEHOLDER) {
                        out.push(k.clone());
                    }
                    json_secrets(v, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| json_secrets(i, out)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    for request in cassettes
        .iter()
        .flat_map(|c| c.interactions.iter().map(|i| &i.request))
    {
        let pairs = request.query.iter().chain(request.form.iter().flatten());
        names.extend(
            pairs
                .filter(|(_, v)| v == SECRET_PLACEHOLDER)
                .map(|(k, _)| k.clone()),
        );
        if let Some(json) = &request.json {
            json_secrets(json, &mut names);
        }
    }
    names.sort();
    names.dedup();
    for name in names {
        if !config.is_secret_field(&name) {
            config = config.secret_field(&name);
        }
    }
    config
}

impl Recordings {
    pub(crate) fn new(cassettes: Vec<Cassette>, config: ScrubConfig, mode: Mode) -> Self {
        let config = with_recorded_secrets(config, &cassettes);
        let mut entries = Vec::new();
        for c in &cassettes {
            for (i, interaction) in c.interactions.iter().enumerate() {
                let key = MatchKey::new(&interaction.request, &config);
                let order = entries.len();
                entries.push(Entry {
                    label: format!("{}/{} #{i} {}", c.vendor, c.scenario, key.describe()),
                    key,
                    rank: (answer_class(&interaction.response), c.scenario.len(), order),
                    response: interaction.response.clone(),
                });
            }
        }
        let uses = Mutex::new(vec![0; entries.len()]);
        Recordings {
            mode,
            config,
            entries,
            uses,
        }
    }

    /// The matching key of a request.
    pub(crate) fn key(&self, request: &RecordedRequest) -> MatchKey {
        MatchKey::new(request, &self.config)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u32>> {
        self.uses.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The stable choice for `key`: the best-ranked match.
    fn stable_pick(&self, key: &MatchKey) -> Option<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.key == *key)
            .min_by_key(|(_, e)| e.rank)
            .map(|(i, _)| i)
    }

    /// Answers `key` per the mode and counts the use; `Err` is the miss explanation.
    pub(crate) fn answer(&self, key: &MatchKey) -> Result<HttpResponse, String> {
        let pick = match self.mode {
            Mode::Stable => self.stable_pick(key),
            Mode::Scripted => {
                let uses = self.lock();
                self.entries
                    .iter()
                    .zip(uses.iter())
                    .position(|(e, u)| *u == 0 && e.key == *key)
                    .or_else(|| self.entries.iter().rposition(|e| e.key == *key))
            }
        };
        let Some(i) = pick else {
            return Err(self.explain_miss(key));
        };
        if let Some(u) = self.lock().get_mut(i) {
            *u = u.saturating_add(1);
        }
        self.response(i)
    }

    /// The stable answer to `request` without counting a use (synthetic data reads its
    /// source data this way).
    pub(crate) fn peek(&self, request: &RecordedRequest) -> Option<HttpResponse> {
        let i = self.stable_pick(&self.key(request))?;
        self.response(i).ok()
    }

    fn response(&self, i: usize) -> Result<HttpResponse, String> {
        let entry = &self.entries[i];
        to_http_response(&entry.response)
            .map_err(|e| format!("sandbox: recording {} is unusable: {e}", entry.label))
    }

    /// `sandbox: no recorded interaction matches …; nearest is … (differs in: …)`.
    pub(crate) fn explain_miss(&self, key: &MatchKey) -> String {
        // Among equally near recordings, the one stable mode prefers (not a fault cassette).
        match self
            .entries
            .iter()
            .min_by_key(|e| (e.key.distance(key), e.rank))
        {
            Some(nearest) => format!(
                "sandbox: no recorded interaction matches {}; nearest is {} (differs in: {})",
                key.describe(),
                nearest.label,
                nearest.key.differences(key).join(", ")
            ),
            None => format!(
                "sandbox: no recorded interaction matches {}; no recordings are loaded",
                key.describe()
            ),
        }
    }

    /// How often each interaction answered, in load order.
    pub(crate) fn uses(&self) -> Vec<u32> {
        self.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use billing_http_core::cassette::{Interaction, RecordedResponse};

    fn cassette(scenario: &str, status: u16, body: &str, content_type: &str) -> Cassette {
        let mut c = Cassette::new("v", scenario);
        c.interactions.push(Interaction::new(
            RecordedRequest::new("GET", "/items/").with_query("apikey", SECRET_PLACEHOLDER),
            RecordedResponse::new(status, body.as_bytes())
                .with_header("content-type", content_type),
        ));
        c
    }

    fn get(apikey: &str) -> RecordedRequest {
        RecordedRequest::new("GET", "/items/").with_query("apikey", apikey)
    }

    #[test]
    fn stable_mode_answers_the_successful_recording_every_time() {
        let r = Recordings::new(
            vec![
                cassette("items_bad_gateway", 502, "<html>502</html>", "text/html"),
                cassette("items_forbidden", 403, "{}", "application/json"),
                cassette("items_list", 200, "{\"data\": []}", "application/json"),
                cassette("items_maintenance", 200, "<!DOCTYPE html><p>later</p>", ""),
            ],
            ScrubConfig::new(),
            Mode::Stable,
        );
        let key = r.key(&get("my-real-key"));
        for _ in 0..5 {
            let answer = r.answer(&key).unwrap_or_else(|m| panic!("{m}"));
            assert_eq!(answer.status.as_u16(), 200);
            assert_eq!(&answer.body[..], b"{\"data\": []}");
        }
    }

    #[test]
    fn stable_mode_prefers_a_recorded_client_error_to_a_fault() {
        let r = Recordings::new(
            vec![
                cassette("items_bad_gateway", 502, "bad gateway", "text/plain"),
                cassette("items_forbidden", 403, "{}", "application/json"),
            ],
            ScrubConfig::new(),
            Mode::Stable,
        );
        let answer = r
            .answer(&r.key(&get("k")))
            .unwrap_or_else(|m| panic!("{m}"));
        assert_eq!(answer.status.as_u16(), 403);
    }

    #[test]
    fn scripted_mode_walks_the_recordings_then_repeats_the_last() {
        let r = Recordings::new(
            vec![
                cassette("a", 502, "bad gateway", "text/plain"),
                cassette("b", 200, "ok", "text/plain"),
            ],
            ScrubConfig::new(),
            Mode::Scripted,
        );
        let key = r.key(&get("k"));
        let statuses: Vec<u16> = (0..3)
            .map(|_| r.answer(&key).map(|a| a.status.as_u16()).unwrap_or(0))
            .collect();
        assert_eq!(statuses, [502, 200, 200]);
        assert_eq!(r.uses(), [1, 2]);
    }

    #[test]
    fn a_miss_names_the_nearest_recording_and_what_differs() {
        let r = Recordings::new(
            vec![cassette("items_list", 200, "ok", "text/plain")],
            ScrubConfig::new(),
            Mode::Stable,
        );
        let miss = r
            .answer(&r.key(&get("k").with_query("id", "7")))
            .err()
            .unwrap_or_default();
        assert!(
            miss.contains("nearest is v/items_list #0 GET /items/"),
            "{miss}"
        );
        assert!(miss.contains("differs in: query id"), "{miss}");
        assert!(!miss.contains("apikey"), "secret field named: {miss}");
    }

    #[test]
    fn the_nearest_recording_of_a_miss_is_not_a_fault_when_a_success_is_as_near() {
        let r = Recordings::new(
            vec![
                cassette("items_bad_gateway", 502, "bad gateway", "text/plain"),
                cassette("items_list", 200, "ok", "text/plain"),
            ],
            ScrubConfig::new(),
            Mode::Stable,
        );
        let miss = r
            .answer(&r.key(&get("k").with_query("id", "7")))
            .err()
            .unwrap_or_default();
        assert!(miss.contains("nearest is v/items_list #0"), "{miss}");
    }
}
