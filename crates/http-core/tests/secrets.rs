//! Secrets never appear in Debug, Display, errors or tracing output; spans carry the call's facts.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use billing_http_core::auth::{Placement, StaticKey};
use billing_http_core::clock::ManualClock;
use billing_http_core::{Client, Request, SecretString, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

mod capture;
use capture::Captured;

const API_KEY: &str = "apikey-5f3c9a1e77d2";
const BEARER: &str = "bearer-tok-91b2c3d4e5";
const PASSWORD: &str = "hunter2-password-x7";

fn assert_clean(what: &str, text: &str) {
    for secret in [API_KEY, BEARER, PASSWORD] {
        assert!(!text.contains(secret), "{what} leaks a secret: {text}");
    }
}

#[tokio::test]
async fn secrets_never_appear_in_debug_errors_or_traces() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("temporarily unavailable"))
        .mount(&server)
        .await;
    let client = Client::builder("ppms", server.uri())
        .auth(Arc::new(StaticKey::new(
            API_KEY.to_owned(),
            Placement::FormField("apikey".into()),
        )))
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap();
    let request = Request::post("", "newuser")
        .form("action", "newuser")
        .form("pwd", Value::Secret(SecretString::from(PASSWORD)))
        .header(
            "authorization",
            Value::Secret(SecretString::from(format!("Bearer {BEARER}"))),
        );

    assert_clean("request Debug", &format!("{request:?}"));
    assert_clean("client Debug", &format!("{client:?}"));
    let wire = client.to_http(&request).unwrap();
    assert_clean("wire request Debug", &format!("{wire:?}"));

    let err = client.execute(request).await.unwrap_err();
    assert_eq!(err.attempts(), 4, "503 is retried up to the cap");
    assert_clean("error Display", &err.to_string());
    assert_clean("error Debug", &format!("{err:?}"));

    // the server did receive the secrets: the test would be meaningless otherwise
    let received = server.received_requests().await.unwrap();
    let body = String::from_utf8_lossy(&received[0].body).into_owned();
    assert!(body.contains(API_KEY) && body.contains(PASSWORD));

    let log = captured.text();
    assert_clean("tracing output", &log);
    // and the spans carry what an operator needs
    for needle in [
        "http_call",
        "http_attempt",
        "vendor=\"ppms\"",
        "operation=newuser",
        "attempt=2",
        "status=503",
        "retry_reason",
        "latency_ms",
    ] {
        assert!(log.contains(needle), "trace output lacks {needle}: {log}");
    }
}
