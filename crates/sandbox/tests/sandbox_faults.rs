//! Fault injection, latency, the server-side rate limit and request counting, observed over
//! real HTTP.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use billing_http_core::cassette::{Cassette, Interaction, RecordedRequest, RecordedResponse};
use billing_sandbox::{Fault, FaultPlan, Sandbox};

fn cassette() -> Cassette {
    let mut c = Cassette::new("pax8", "companies");
    c.interactions.push(Interaction::new(
        RecordedRequest::new("GET", "/companies").with_query("page", "0"),
        RecordedResponse::new(200, br#"{"content":[{"id":"c1"}],"page":{"number":0}}"#)
            .with_header("content-type", "application/json"),
    ));
    c
}

async fn start(plan: Option<FaultPlan>) -> Sandbox {
    let mut b = Sandbox::builder("pax8").with_cassette(cassette());
    if let Some(plan) = plan {
        b = b.faults(plan);
    }
    b.start().await.unwrap()
}

fn http() -> reqwest::Client {
    // No pooling: a connection closed by a fault must not be reused by the next request.
    // (a reqwest client with http-core's TLS settings: reqwest is built without a default
    // crypto provider)
    billing_http_core::TlsConfig::default()
        .reqwest_builder()
        .unwrap()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn get(sb: &Sandbox) -> Result<reqwest::Response, reqwest::Error> {
    http().get(sb.url_for("companies?page=0")).send().await
}

#[tokio::test]
async fn serves_recorded_answer_and_counts_the_route() {
    let sb = start(None).await;
    let r = get(&sb).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(r.text().await.unwrap().contains("\"c1\""));
    get(&sb).await.unwrap();
    assert_eq!(sb.count("GET /companies"), 2);
    assert_eq!(sb.total(), 2);
}

#[tokio::test]
async fn base_path_is_stripped_before_matching_and_in_routes() {
    let sb = Sandbox::builder("pax8")
        .with_cassette(cassette())
        .base_path("v1")
        .start()
        .await
        .unwrap();
    let r = http()
        .get(sb.url_for("v1/companies?page=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sb.count("GET /companies"), 1);
}

#[tokio::test]
async fn unmatched_request_gets_501_marked_as_a_miss_naming_the_nearest_recording() {
    let sb = start(None).await;
    let r = http()
        .get(sb.url_for("companies?page=7"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 501);
    assert_eq!(r.headers()[billing_sandbox::MISS_HEADER], "1");
    let body = r.text().await.unwrap();
    assert!(body.contains("nearest is pax8/companies #0"), "{body}");
    assert!(body.contains("query page"), "{body}");
    assert_eq!(sb.misses().len(), 1);
    assert!(sb.misses()[0].contains("page=7"), "{:?}", sb.misses());
}

#[tokio::test]
async fn sequence_injects_5xx_then_answers_normally() {
    let sb = start(Some(FaultPlan::sequence([
        Some(Fault::Status(503)),
        None,
        Some(Fault::Status(500)),
    ])))
    .await;
    let statuses = [
        get(&sb).await.unwrap().status().as_u16(),
        get(&sb).await.unwrap().status().as_u16(),
        get(&sb).await.unwrap().status().as_u16(),
        get(&sb).await.unwrap().status().as_u16(),
    ];
    assert_eq!(statuses, [503, 200, 500, 200]);
}

#[tokio::test]
async fn injected_429_carries_retry_after() {
    let sb = start(Some(FaultPlan::sequence([Some(Fault::TooManyRequests {
        retry_after_secs: 7,
    })])))
    .await;
    let r = get(&sb).await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
}

#[tokio::test]
async fn connection_reset_fails_the_request_below_http() {
    let sb = start(Some(FaultPlan::sequence([Some(Fault::ConnectionReset)]))).await;
    let err = get(&sb).await.unwrap_err();
    assert!(!err.is_status(), "{err}");
    // A real TCP reset, not an orderly close.
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    let mut reset = false;
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            reset |= io.kind() == std::io::ErrorKind::ConnectionReset;
        }
        source = e.source();
    }
    assert!(reset, "{err:?}");
    // The next request is served normally.
    assert_eq!(get(&sb).await.unwrap().status(), 200);
    assert_eq!(sb.count("GET /companies"), 2);
}

#[tokio::test]
async fn truncated_body_fails_while_reading_the_body() {
    let sb = start(Some(FaultPlan::sequence([Some(Fault::TruncatedBody)]))).await;
    let result = match get(&sb).await {
        Ok(r) => r.bytes().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(
        result.is_err(),
        "a truncated body must not read as complete"
    );
}

#[tokio::test]
async fn truncated_body_through_http_core_is_a_retryable_transport_error() {
    let sb = start(Some(FaultPlan::sequence([Some(Fault::TruncatedBody)]))).await;
    let transport = billing_http_core::transport::ReqwestTransport::from_client(http(), 1 << 20);
    let req = billing_http_core::HttpRequest::new(
        billing_http_core::Method::GET,
        url::Url::parse(&sb.url_for("companies?page=0")).unwrap(),
    );
    let err = billing_http_core::Transport::send(&transport, req)
        .await
        .unwrap_err();
    let err = billing_http_core::Error::from(err);
    assert!(err.is_retryable(), "{err}");
}

#[tokio::test]
async fn html_error_pages_come_with_status_200_or_502() {
    let sb = start(Some(FaultPlan::sequence([
        Some(Fault::HtmlErrorPage { status: 200 }),
        Some(Fault::HtmlErrorPage { status: 502 }),
    ])))
    .await;
    for want in [200, 502] {
        let r = get(&sb).await.unwrap();
        assert_eq!(r.status().as_u16(), want);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(r.text().await.unwrap().contains("<html>"));
    }
}

#[tokio::test]
async fn rate_plan_is_deterministic_per_seed_and_respects_its_probability() {
    async fn pattern(probability: f64, seed: u64) -> Vec<u16> {
        let sb = start(Some(FaultPlan::rate(Fault::Status(502), probability, seed))).await;
        let mut out = Vec::new();
        for _ in 0..20 {
            out.push(get(&sb).await.unwrap().status().as_u16());
        }
        out
    }
    assert!(pattern(1.0, 1).await.iter().all(|&s| s == 502));
    assert!(pattern(0.0, 1).await.iter().all(|&s| s == 200));
    let a = pattern(0.5, 42).await;
    assert_eq!(a, pattern(0.5, 42).await, "same seed, same pattern");
    assert!(a.contains(&200) && a.contains(&502), "{a:?}");
}

#[tokio::test]
async fn faults_on_a_route_leave_other_routes_alone() {
    let mut c = cassette();
    c.interactions.push(Interaction::new(
        RecordedRequest::new("GET", "/orders"),
        RecordedResponse::new(200, b"{}"),
    ));
    let sb = Sandbox::builder("pax8")
        .with_cassette(c)
        .faults_on("GET /orders", FaultPlan::rate(Fault::Status(503), 1.0, 0))
        .start()
        .await
        .unwrap();
    assert_eq!(get(&sb).await.unwrap().status(), 200);
    let r = http().get(sb.url_for("orders")).send().await.unwrap();
    assert_eq!(r.status(), 503);
}

#[tokio::test]
async fn rate_limit_answers_429_past_its_quota() {
    let sb = Sandbox::builder("pax8")
        .with_cassette(cassette())
        .rate_limit(3, Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(get(&sb).await.unwrap().status(), 200);
    }
    let r = get(&sb).await.unwrap();
    assert_eq!(r.status(), 429);
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 3600, "{retry_after}");
    assert_eq!(
        sb.count("GET /companies"),
        4,
        "rejected requests are counted"
    );
}

#[tokio::test(start_paused = true)]
async fn latency_delays_every_answer() {
    let sb = Sandbox::builder("pax8")
        .with_cassette(cassette())
        .latency(Duration::from_secs(5))
        .start()
        .await
        .unwrap();
    let t0 = tokio::time::Instant::now();
    assert_eq!(get(&sb).await.unwrap().status(), 200);
    // Virtual time: the answer cannot come before the sandbox's 5 s sleep ended.
    assert!(t0.elapsed() >= Duration::from_secs(5), "{:?}", t0.elapsed());
}

#[tokio::test]
async fn all_fixtures_of_a_vendor_without_a_folder_serves_nothing() {
    let sb = Sandbox::builder("no-such-vendor")
        .all_fixtures()
        .unwrap()
        .start()
        .await
        .unwrap();
    assert!(sb.cassette_uses().is_empty());
    let r = http().get(sb.url_for("anything")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 501);
    assert!(r.text().await.unwrap().contains("no recordings are loaded"));
}

#[tokio::test]
async fn missing_named_cassette_is_an_error_naming_the_file() {
    let err = Sandbox::builder("pax8")
        .cassette("pax8/does_not_exist.json")
        .unwrap_err();
    assert!(err.to_string().contains("does_not_exist.json"), "{err}");
}
