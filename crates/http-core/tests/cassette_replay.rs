//! Replay and recording transports, through the real `Client`.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use billing_http_core::cassette::{
    Cassette, Interaction, RecordedRequest, RecordedResponse, RecordingTransport, ReplayTransport,
    ScrubConfig,
};
use billing_http_core::{Client, ErrorKind, Request, Value};

fn cassette() -> Cassette {
    let mut c = Cassette::new("ppms", "users");
    c.interactions.push(Interaction::new(
        RecordedRequest::new("POST", "/pumapi/")
            .with_form("action", "getuser")
            .with_form("login", "jdoe")
            .with_form("apikey", "REDACTED"),
        RecordedResponse::new(200, b"login,lname\r\n\"jdoe\",\"Doe\"\r\n"),
    ));
    c.interactions.push(Interaction::new(
        RecordedRequest::new("GET", "/companies")
            .with_query("page", "0")
            .with_query("size", "200"),
        RecordedResponse::new(200, br#"{"content":[]}"#)
            .with_header("content-type", "application/json"),
    ));
    c
}

fn client(transport: Arc<dyn billing_http_core::Transport>, base: &str) -> Client {
    Client::builder("ppms", base)
        .transport(transport)
        .build()
        .unwrap()
}

fn getuser(login: &str) -> Request {
    Request::post("pumapi/", "getuser")
        .form("action", "getuser")
        .form("login", login)
        .form("apikey", Value::Secret("real-key".to_owned().into()))
}

#[tokio::test]
async fn replay_answers_matching_requests_ignoring_secret_fields() {
    let replay = Arc::new(ReplayTransport::new(cassette()));
    let c = client(replay.clone(), "http://replay.invalid/");
    let r = c.execute(getuser("jdoe")).await.unwrap();
    assert_eq!(&r.body[..], b"login,lname\r\n\"jdoe\",\"Doe\"\r\n");
    let r = c
        .execute(
            Request::get("companies", "companies.list")
                .query("size", "200")
                .query("page", "0"),
        )
        .await
        .unwrap();
    assert_eq!(r.header("content-type"), Some("application/json"));
    replay.assert_all_used();
}

#[tokio::test]
async fn replay_strips_the_clients_base_path() {
    let replay = Arc::new(ReplayTransport::new(cassette()).with_base_path("/site"));
    let c = client(replay.clone(), "https://ppms.example/site/");
    c.execute(getuser("jdoe")).await.unwrap();
    assert_eq!(replay.uses()[0], 1);
}

#[tokio::test]
async fn replay_miss_names_the_nearest_recorded_request() {
    let replay = Arc::new(ReplayTransport::new(cassette()));
    let c = client(replay.clone(), "http://replay.invalid/");
    let err = c.execute(getuser("asmith")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "a miss is not retried");
    assert_eq!(err.attempts(), 1);
    let msg = err.to_string();
    assert!(msg.contains("login=asmith"), "{msg}");
    assert!(msg.contains("nearest is ppms/users #0"), "{msg}");
    assert!(msg.contains("login=jdoe"), "{msg}");
    assert!(msg.contains("differs in: form login"), "{msg}");
    assert!(!msg.contains("real-key"), "secrets never appear: {msg}");
}

#[tokio::test]
async fn unused_interaction_fails_verification() {
    let replay = Arc::new(ReplayTransport::new(cassette()));
    let c = client(replay.clone(), "http://replay.invalid/");
    c.execute(getuser("jdoe")).await.unwrap();
    let err = replay.verify().unwrap_err();
    assert_eq!(err.unused.len(), 1);
    assert!(err.unused[0].contains("GET /companies"), "{err}");
    let panicked = std::panic::catch_unwind(|| replay.assert_all_used());
    assert!(panicked.is_err(), "assert_all_used must fail the test");
}

#[tokio::test]
async fn guard_fails_on_drop_when_an_interaction_is_unused() {
    let replay = Arc::new(ReplayTransport::new(cassette()));
    let c = client(replay.clone(), "http://replay.invalid/");
    let guard = replay.guard();
    c.execute(getuser("jdoe")).await.unwrap();
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(guard)));
    assert!(dropped.is_err(), "the guard must fail the test");

    let replay = Arc::new(ReplayTransport::new(cassette()));
    let c = client(replay.clone(), "http://replay.invalid/");
    let _all_used = replay.guard();
    c.execute(getuser("jdoe")).await.unwrap();
    c.execute(
        Request::get("companies", "companies.list")
            .query("page", "0")
            .query("size", "200"),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn each_interaction_answers_once_unless_repeats_are_allowed() {
    let replay = Arc::new(ReplayTransport::new(cassette()));
    let c = client(replay.clone(), "http://replay.invalid/");
    c.execute(getuser("jdoe")).await.unwrap();
    let err = c.execute(getuser("jdoe")).await.unwrap_err();
    assert!(err.to_string().contains("already answered"), "{err}");

    let replay = Arc::new(ReplayTransport::new(cassette()).allow_repeats());
    let c = client(replay.clone(), "http://replay.invalid/");
    c.execute(getuser("jdoe")).await.unwrap();
    c.execute(getuser("jdoe")).await.unwrap();
    assert_eq!(replay.uses()[0], 2);
}

#[tokio::test]
async fn recording_then_replaying_gives_identical_responses() {
    // Record through a replay of the original (standing in for a live server).
    // The "live" replay sees paths with the /site/ prefix: give it the same base path.
    let live2 = Arc::new(ReplayTransport::new(cassette()).with_base_path("/site/"));
    let rec2 = Arc::new(
        RecordingTransport::new(live2, "https://ppms.example/site/", ScrubConfig::new()).unwrap(),
    );
    let c2 = client(rec2.clone(), "https://ppms.example/site/");
    let live_response = c2.execute(getuser("jdoe")).await.unwrap();
    let recorded = rec2.finish("ppms", "users", &["real-key"]);
    assert_eq!(
        recorded.recorded_against.as_deref(),
        Some("https://REDACTED/site/")
    );
    assert_eq!(recorded.interactions.len(), 1);
    assert_eq!(recorded.interactions[0].request.path, "/pumapi/");
    let form = recorded.interactions[0].request.form.clone().unwrap();
    assert!(form.contains(&("apikey".to_owned(), "REDACTED".to_owned())));
    assert!(!recorded.to_json().contains("real-key"));

    let replay = Arc::new(ReplayTransport::new(recorded));
    let c = client(replay.clone(), "http://elsewhere.invalid/");
    let replayed = c.execute(getuser("jdoe")).await.unwrap();
    assert_eq!(replayed.status, live_response.status);
    assert_eq!(replayed.body, live_response.body);
    replay.assert_all_used();
}
