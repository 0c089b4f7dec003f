//! The cassettes under `fixtures/pax8/`, replayed through the real client with the same
//! scenario code that records them (`pax8::recording`), with an insta snapshot of every
//! decoded model or typed error.
//!
//! The cassettes are hand-built: `tests/data/responses.json` holds invented response bodies
//! (shapes from the vendor reference), and the ignored test `regenerate_fixtures` runs every
//! scenario through http-core's recording transport over those bodies, so the recorded requests
//! are exactly what the client sends. Run it after changing a scenario or a body:
//! `cargo test -p pax8 --test fixtures -- --ignored regenerate_fixtures`.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use billing_http_core::cassette::{Cassette, RecordingTransport, ReplayTransport, ScrubConfig};
use billing_http_core::transport::TransportError;
use billing_http_core::{HttpRequest, HttpResponse, StatusCode, Transport};
use chrono::NaiveDate;
use futures::future::BoxFuture;
use pax8::recording::{Outcomes, SCENARIOS, USAGE_DATE};
use serde_json::Value;

const BASE: &str = "https://api.pax8.test/v1";
const SECRET: &str = "example-client-secret";

/// Every cassette this test file replays (also checked against `pax8::recording::SCENARIOS`).
const CASSETTES: &[&str] = &[
    "pax8/companies.json",
    "pax8/companies_write.json",
    "pax8/errors.json",
    "pax8/invoices.json",
    "pax8/orders.json",
    "pax8/orders_create.json",
    "pax8/products.json",
    "pax8/subscriptions.json",
    "pax8/subscriptions_write.json",
    "pax8/wire_quirks.json",
];

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/pax8")
}

fn usage_date() -> NaiveDate {
    NaiveDate::parse_from_str(USAGE_DATE, "%Y-%m-%d").unwrap()
}

fn client(transport: Arc<dyn Transport>) -> pax8::Client {
    pax8::Client::builder()
        .credentials("example-client-id", SECRET)
        .base_url(BASE)
        .token_endpoint(pax8::TokenEndpoint::Custom {
            url: format!("{BASE}/token"),
            audience: "https://api.pax8.com".into(),
        })
        .transport(transport)
        .rate_limit(pax8::Quota::per_minute(100_000))
        .retry(
            pax8::client::default_retry_policy().initial_delay(std::time::Duration::from_millis(1)),
        )
        .build()
        .unwrap()
}

/// Answers from the hand-written bodies of one scenario (used only to build cassettes).
#[derive(Debug)]
struct Canned {
    routes: Mutex<BTreeMap<String, VecDeque<Value>>>,
}

impl Transport for Canned {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let key = format!("{} {}", request.method, request.url.path());
        let reply = self.routes.lock().unwrap().get_mut(&key).and_then(|q| {
            if q.len() > 1 {
                q.pop_front()
            } else {
                q.front().cloned()
            }
        });
        let resp = match reply {
            None => HttpResponse::new(
                StatusCode::from_u16(599).unwrap(),
                format!("no canned reply for {key}"),
            ),
            Some(r) => {
                let status = StatusCode::from_u16(r["status"].as_u64().unwrap() as u16).unwrap();
                if let Some(text) = r["text"].as_str() {
                    HttpResponse::new(status, text.to_owned()).with_header(
                        "content-type",
                        r["content_type"].as_str().unwrap_or("text/plain"),
                    )
                } else if r.get("body").is_some() {
                    HttpResponse::new(
                        status,
                        serde_json::to_string_pretty(&r["body"]).unwrap() + "\n",
                    )
                    .with_header("content-type", "application/json")
                } else {
                    HttpResponse::new(status, "")
                }
            }
        };
        Box::pin(async move { Ok(resp) })
    }
}

#[tokio::test]
#[ignore = "rewrites fixtures/pax8 from tests/data/responses.json"]
async fn regenerate_fixtures() {
    let data: Value = serde_json::from_str(include_str!("data/responses.json")).unwrap();
    for def in SCENARIOS {
        let routes = data[def.name]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_array().unwrap().iter().cloned().collect()))
            .collect();
        let canned: Arc<dyn Transport> = Arc::new(Canned {
            routes: Mutex::new(routes),
        });
        let rec = Arc::new(RecordingTransport::new(canned, BASE, ScrubConfig::new()).unwrap());
        let outcomes = (def.run)(client(rec.clone()), usage_date()).await;
        assert!(!outcomes.is_empty(), "{}", def.name);
        let mut cassette = rec.finish("pax8", def.name, &[SECRET]);
        cassette.recorded_at = None;
        cassette
            .write_checked(
                fixtures_dir().join(format!("{}.json", def.name)),
                &ScrubConfig::new(),
                &[SECRET],
            )
            .unwrap();
    }
}

async fn replay(cassette: Cassette) -> (Outcomes, Arc<ReplayTransport>, usize) {
    let name = cassette.scenario.clone();
    let def = SCENARIOS.iter().find(|d| d.name == name).unwrap();
    let replay = Arc::new(ReplayTransport::new(cassette).with_base_path("/v1/"));
    let outcomes = (def.run)(client(replay.clone()), usage_date()).await;
    let n = replay.uses().len();
    (outcomes, replay, n)
}

fn load(name: &str) -> Cassette {
    Cassette::load(fixtures_dir().join(format!("{name}.json"))).unwrap()
}

fn as_map(outcomes: &Outcomes) -> Value {
    Value::Object(outcomes.iter().cloned().collect())
}

#[tokio::test]
async fn every_scenario_has_a_cassette_and_replays_it_exactly() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    let mut expected: Vec<String> = SCENARIOS.iter().map(|d| d.name.to_owned()).collect();
    expected.sort();
    assert_eq!(names, expected, "one cassette per scenario");
    let listed: Vec<String> = CASSETTES
        .iter()
        .map(|c| {
            c.trim_start_matches("pax8/")
                .trim_end_matches(".json")
                .to_owned()
        })
        .collect();
    assert_eq!(listed, expected, "CASSETTES lists every cassette");
    for def in SCENARIOS {
        let (outcomes, replay, _) = replay(load(def.name)).await;
        replay.assert_all_used();
        insta::assert_snapshot!(
            def.name,
            serde_json::to_string_pretty(&as_map(&outcomes)).unwrap()
        );
    }
}

#[tokio::test]
async fn every_cassette_is_canonical_and_free_of_secrets() {
    for def in SCENARIOS {
        let path = fixtures_dir().join(format!("{}.json", def.name));
        let text = std::fs::read_to_string(&path).unwrap();
        let cassette = Cassette::load(&path).unwrap();
        assert_eq!(
            cassette.to_json(),
            text,
            "{} is not in canonical form",
            def.name
        );
        assert!(!text.contains(SECRET));
        let findings =
            billing_http_core::cassette::find_secrets(&cassette, &ScrubConfig::new(), &[SECRET]);
        assert!(findings.is_empty(), "{}: {findings:?}", def.name);
    }
}

fn inject(v: &mut Value, key: &str) {
    match v {
        Value::Object(m) => {
            for child in m.values_mut() {
                inject(child, key);
            }
            m.insert(key.to_owned(), Value::String("injected".into()));
        }
        Value::Array(a) => a.iter_mut().for_each(|c| inject(c, key)),
        _ => {}
    }
}

fn strip(v: &mut Value, key: &str) {
    match v {
        Value::Object(m) => {
            m.remove(key);
            m.values_mut().for_each(|c| strip(c, key));
        }
        Value::Array(a) => a.iter_mut().for_each(|c| strip(c, key)),
        _ => {}
    }
}

fn count_key(v: &Value, key: &str) -> usize {
    match v {
        Value::Object(m) => {
            usize::from(m.contains_key(key)) + m.values().map(|c| count_key(c, key)).sum::<usize>()
        }
        Value::Array(a) => a.iter().map(|c| count_key(c, key)).sum(),
        _ => 0,
    }
}

/// PAX8-Q22: every response body of every cassette, with an unknown key injected at every
/// object level, still decodes to the same models; top-level resources keep the key in `extra`.
#[tokio::test]
async fn pax8_q22_unknown_fields() {
    const KEY: &str = "zzUnknownFieldFromTheFuture";
    let mut kept = 0;
    for def in SCENARIOS {
        let plain = replay(load(def.name)).await.0;
        let mut cassette = load(def.name);
        for i in &mut cassette.interactions {
            let body = i.response.body.to_bytes().unwrap();
            if let Ok(mut v) = serde_json::from_slice::<Value>(&body) {
                inject(&mut v, KEY);
                i.response.body =
                    billing_http_core::cassette::StoredBody::from_bytes(v.to_string().as_bytes());
            }
        }
        let (injected, replay, _) = replay(cassette).await;
        replay.assert_all_used();
        let mut a = as_map(&plain);
        let mut b = as_map(&injected);
        kept += count_key(&b, KEY);
        strip(&mut a, KEY);
        strip(&mut b, KEY);
        assert_eq!(a, b, "{}: decoding changed with unknown fields", def.name);
    }
    assert!(kept > 20, "unknown keys survive in `extra` maps ({kept})");
}

/// The recording setup `cargo xtask record` runs: it declares every scenario that is not
/// hand-built, and re-recording one over a replay of its cassette reproduces the same calls,
/// with secrets scrubbed and personal fields pseudonymised.
#[tokio::test]
async fn recording_reproduces_the_calls_of_each_readable_cassette() {
    use billing_http_core::cassette::Vars;
    let rec = pax8::recording::recording();
    let declared: Vec<&str> = rec.scenarios().iter().map(|s| s.name()).collect();
    let expected: Vec<&str> = SCENARIOS
        .iter()
        .map(|d| d.name)
        .filter(|n| !pax8::recording::HAND_BUILT.contains(n))
        .collect();
    assert_eq!(declared, expected);
    let mut vars = Vars::new();
    vars.set("PAX8_CLIENT_ID", "example-client-id", false);
    vars.set("PAX8_CLIENT_SECRET", SECRET, true);
    for scenario in rec.scenarios() {
        let fixture = load(scenario.name());
        let replay = Arc::new(ReplayTransport::new(fixture.clone()).with_base_path("/v1/"));
        let cassette = scenario
            .record(&rec, BASE, replay.clone(), &vars, None)
            .await
            .unwrap();
        replay.assert_all_used();
        let calls = |c: &Cassette| -> Vec<(String, String)> {
            c.interactions
                .iter()
                .map(|i| (i.request.method.clone(), i.request.path.clone()))
                .collect()
        };
        assert_eq!(calls(&cassette), calls(&fixture), "{}", scenario.name());
        assert!(!cassette.to_json().contains(SECRET));
    }
}
