//! Every cassette under `fixtures/cloudspot/` replayed through the real client with the shared
//! [`billing_http_core::cassette::ReplayTransport`] (no sockets), with an insta snapshot of the decoded
//! models or error.
//!
//! The request shape is checked through the shared replay's matching: method, path (with its
//! trailing slash), sorted query and JSON body, secret fields (`X-ERP-TOKEN`, `password`)
//! left out; every interaction must answer ([`ReplayTransport::verify`]). Matching ignores
//! headers, so [`HeaderCheck`] adds, for the interaction the replay picked, the header checks:
//! every recorded allow-listed header is sent with the recorded value (`content-type:
//! application/json`, the lower-cased `x-erp-requestor`), a secret one is present (its
//! recorded value is the placeholder `REDACTED`), and interactions answer in recorded order.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use billing_http_core::cassette::{Cassette, ReplayTransport, SECRET_PLACEHOLDER, ScrubConfig};
use billing_http_core::transport::{TransportError, TransportErrorKind};
use billing_http_core::{HttpRequest, HttpResponse, Transport};
use futures::future::BoxFuture;
use serde_json::{Value, json};

const BASE: &str = "http://replay.invalid/api/v1";
const BASE_PATH: &str = "/api/v1/";

/// The shared replay for `cassette`, configured for Cloudspot (its secret fields are left out
/// of matching; the client's base path is stripped).
fn shared_replay(cassette: &Cassette) -> Arc<ReplayTransport> {
    Arc::new(
        ReplayTransport::new(cassette.clone())
            .with_config(cloudspot::recording::scrub_config())
            .with_base_path(BASE_PATH),
    )
}

/// Decorates the shared replay with the header and order checks its matching does not make.
/// It never answers by itself: the interaction is the one the replay picked.
#[derive(Debug)]
struct HeaderCheck {
    replay: Arc<ReplayTransport>,
    cassette: Cassette,
    config: ScrubConfig,
    picked: Mutex<Vec<usize>>,
    problems: Mutex<Vec<String>>,
}

impl HeaderCheck {
    fn new(replay: Arc<ReplayTransport>, cassette: &Cassette) -> Arc<Self> {
        Arc::new(HeaderCheck {
            replay,
            cassette: cassette.clone(),
            config: cloudspot::recording::scrub_config(),
            picked: Mutex::new(Vec::new()),
            problems: Mutex::new(Vec::new()),
        })
    }

    /// Problems with the headers sent for interaction `index`.
    fn header_problems(&self, index: usize, req: &HttpRequest) -> Vec<String> {
        let recorded = &self.cassette.interactions[index].request.headers;
        recorded
            .iter()
            .filter_map(|(name, want)| {
                let got = req.headers.get(name.as_str()).and_then(|v| v.to_str().ok());
                let ok = if self.config.is_secret_field(name) {
                    got.is_some()
                } else {
                    got == Some(want.as_str())
                };
                (!ok).then(|| format!("#{index} header {name}: sent {got:?}, recorded {want:?}"))
            })
            .collect()
    }

    /// Panics unless every request had the recorded headers and the interactions answered in
    /// recorded order.
    fn assert_ok(&self) {
        let problems = self.problems.lock().unwrap();
        assert!(
            problems.is_empty(),
            "{}: {}",
            self.cassette.scenario,
            problems.join("; ")
        );
        let picked = self.picked.lock().unwrap();
        assert!(
            picked.windows(2).all(|w| w[0] < w[1]),
            "{}: interactions answered out of recorded order: {picked:?}",
            self.cassette.scenario
        );
    }
}

impl Transport for HeaderCheck {
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let before = self.replay.uses();
            let answered = self.replay.send(req.clone()).await;
            let after = self.replay.uses();
            let Some(index) = (0..after.len()).find(|&i| after[i] != before[i]) else {
                return answered; // a miss: the replay's error names the nearest interaction
            };
            self.picked.lock().unwrap().push(index);
            let problems = self.header_problems(index, &req);
            if problems.is_empty() {
                return answered;
            }
            let message = format!("replay header mismatch: {}", problems.join("; "));
            self.problems.lock().unwrap().extend(problems);
            Err(TransportError::new(
                TransportErrorKind::InvalidRequest,
                message,
            ))
        })
    }
}

fn error_summary(e: &cloudspot::Error) -> Value {
    let variant = format!("{e:?}")
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_owned();
    json!({
        "error": variant,
        "display": e.to_string(),
        "status": e.status().map(|s| s.as_u16()),
        "server_message": e.server_message(),
        "api_status": e.api_error().and_then(|a| a.api_status.as_ref()).map(|s| s.to_string()),
        "retryable": e.is_retryable(),
        "unauthorized": e.is_auth(),
        "not_found": e.is_not_found(),
    })
}

fn outcome<T: serde::Serialize>(r: cloudspot::Result<T>) -> Value {
    match r {
        Ok(v) => serde_json::to_value(v).unwrap(),
        Err(e) => error_summary(&e),
    }
}

fn id_query(request: &billing_http_core::cassette::RecordedRequest) -> Option<i64> {
    request
        .query
        .iter()
        .find(|(k, _)| k == "id")
        .and_then(|(_, v)| v.parse().ok())
}

/// Replays `cassette` with the calls its interactions stand for; `None` when one of them
/// needs a feature that is off in this build.
async fn replay(cassette: &Cassette) -> Option<Value> {
    let replay = shared_replay(cassette);
    let transport = HeaderCheck::new(replay.clone(), cassette);
    let client = cloudspot::Client::builder("REDACTED")
        .base_url(BASE)
        .transport(transport.clone())
        .retry(billing_http_core::retry::RetryPolicy::never())
        .build()
        .unwrap();
    #[cfg(feature = "legacy-user-auth")]
    #[allow(deprecated)]
    let user = cloudspot::UserClient::builder("TimeApp")
        .base_url(BASE)
        .transport(transport.clone())
        .retry(billing_http_core::retry::RetryPolicy::never())
        .build()
        .unwrap();
    let mut results = BTreeMap::new();
    for (n, interaction) in cassette.interactions.iter().enumerate() {
        let request = &interaction.request;
        let path = request.path.as_str();
        let result = match (path, id_query(request)) {
            ("/artikels/", None) => outcome(client.articles().list().await),
            ("/artikels/", Some(id)) => outcome(client.articles().get(id).await),
            ("/klanten/", _) => outcome(client.customers().list().await),
            ("/categories/", None) => outcome(client.categories().list().await),
            ("/categories/", Some(id)) => outcome(client.categories().get(id).await),
            #[cfg(feature = "legacy-user-auth")]
            ("/auth/signin-external-app/", _) => {
                outcome(user.sign_in("jdoe", "not-the-real-password").await)
            }
            #[cfg(feature = "legacy-user-auth")]
            ("/auth/get-permissions/", _) => outcome(user.permissions().await),
            #[cfg(feature = "legacy-user-auth")]
            ("/auth/get-user/", _) => outcome(user.user().await),
            _ => return None, // a call of a disabled feature
        };
        results.insert(format!("{n:02} {} {path}", request.method), result);
    }
    replay
        .verify()
        .unwrap_or_else(|u| panic!("{}: {u}", cassette.scenario));
    transport.assert_ok();
    Some(serde_json::to_value(results).unwrap())
}

#[test]
fn every_cassette_replays_and_decodes() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut seen = 0;
    insta::glob!("../../../fixtures/cloudspot", "*.json", |path: &Path| {
        let cassette = Cassette::load(path).unwrap();
        assert_eq!(cassette.vendor, "cloudspot");
        assert_eq!(
            Some(cassette.scenario.as_str()),
            path.file_stem().and_then(|s| s.to_str()),
            "scenario name matches the file name"
        );
        let Some(decoded) = rt.block_on(replay(&cassette)) else {
            return; // needs a feature that is off in this build
        };
        seen += 1;
        insta::assert_snapshot!(serde_json::to_string_pretty(&decoded).unwrap());
    });
    assert!(seen >= 9, "only {seen} cassettes replayed");
}

#[test]
fn cassettes_contain_no_secrets_or_real_tokens() {
    let config = cloudspot::recording::scrub_config();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cloudspot");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let cassette = Cassette::load(&path).unwrap();
        for i in &cassette.interactions {
            for (k, v) in &i.request.headers {
                if config.is_secret_field(k) {
                    assert_eq!(
                        v,
                        SECRET_PLACEHOLDER,
                        "{}: header {k} not scrubbed",
                        path.display()
                    );
                }
            }
            if let Some(pw) = i.request.json.as_ref().and_then(|j| j.get("password")) {
                assert_eq!(
                    pw,
                    SECRET_PLACEHOLDER,
                    "{}: password not scrubbed",
                    path.display()
                );
            }
            let body: Value =
                serde_json::from_slice(&i.response.body.to_bytes().unwrap()).unwrap_or(Value::Null);
            for key in ["token", "pin"] {
                if let Some(v) = body.get(key) {
                    assert_eq!(
                        v,
                        SECRET_PLACEHOLDER,
                        "{}: {key} not scrubbed",
                        path.display()
                    );
                }
            }
        }
    }
}

#[test]
fn every_cassette_is_a_recording_scenario_or_hand_built_and_vice_versa() {
    use cloudspot::recording::{HAND_BUILT, recording};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cloudspot");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.path().file_stem()?.to_str().map(str::to_owned))
        .collect();
    files.sort();
    let rec = recording();
    let mut declared: Vec<String> = rec
        .scenarios()
        .iter()
        .map(|s| s.name().to_owned())
        .chain(HAND_BUILT.iter().map(|s| (*s).to_owned()))
        .collect();
    if cfg!(not(feature = "legacy-user-auth")) {
        declared.push("legacy_user_login".to_owned()); // declared only with the feature
    }
    declared.sort();
    assert_eq!(files, declared);
}

#[tokio::test]
async fn recording_scenarios_replay_against_their_cassettes() {
    use billing_http_core::cassette::Vars;
    let rec = cloudspot::recording::recording();
    let mut vars = Vars::new();
    vars.set("CLOUDSPOT_TOKEN", "REDACTED", true);
    vars.set("CLOUDSPOT_ARTIKEL_ID", "101", false);
    vars.set("CLOUDSPOT_CATEGORIE_ID", "1", false);
    vars.set("CLOUDSPOT_USERNAME", "jdoe", false);
    vars.set("CLOUDSPOT_PASSWORD", "not-the-real-password", true);
    vars.set("CLOUDSPOT_REQUESTOR", "TimeApp", false);
    for scenario in rec.scenarios() {
        let cassette =
            Cassette::load_fixture(&format!("cloudspot/{}.json", scenario.name())).unwrap();
        let replay = shared_replay(&cassette);
        let checked = HeaderCheck::new(replay.clone(), &cassette);
        let recorded = scenario
            .record(&rec, BASE, checked.clone(), &vars, None)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", scenario.name()));
        assert_eq!(recorded.scenario, scenario.name());
        replay
            .verify()
            .unwrap_or_else(|u| panic!("{}: {u}", scenario.name()));
        checked.assert_ok();
    }
}
