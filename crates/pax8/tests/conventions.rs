//! The shared vocabulary of `docs/conventions.md`, checked for `pax8` with nothing but
//! `pax8::` paths (issue 14): builder methods, `build()` validation, re-exports, the error
//! predicates, `status()`, `core()`, `Display` and `Debug`, the not-found rule and ids.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use pax8::{
    CompanyId, Error, GcraLimiter, MemoryStore, OptionalExt, Quota, RateLimiter, RetryPolicy,
    SdkError, StatusCode,
};
use serde_json::json;
use support::*;

#[test]
fn the_builder_speaks_the_shared_vocabulary_with_pax8_alone() {
    let limiter: Arc<dyn RateLimiter> = Arc::new(GcraLimiter::new(Quota::per_second(5)));
    let fake = Fake::new();
    let clock = billing_http_core::clock::ManualClock::new();
    for b in [
        pax8::Client::builder().rate_limit(Quota::per_minute(500)),
        pax8::Client::builder().rate_limiter(limiter.clone()),
        pax8::Client::builder().no_rate_limit(),
    ] {
        b.credentials("example-client-id", "example-client-secret")
            .base_url("https://api.pax8.test/v1")
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(5))
            .retry(RetryPolicy::default().max_attempts(2))
            .user_agent("my-app/1.0")
            .transport(Arc::new(fake.clone()))
            .clock(Arc::new(clock.clone()))
            .token_store(Arc::new(MemoryStore::new()))
            .token_url(TOKEN_URL)
            .build()
            .unwrap();
    }
}

#[tokio::test]
async fn build_refuses_credentials_that_would_break_every_request() {
    for (id, secret) in [
        ("", "secret"),
        ("id", ""),
        ("  ", "secret"),
        ("id\r\nX-Injected: 1", "secret"),
        ("id", "sec\nret"),
        ("id\0", "secret"),
    ] {
        let fake = Fake::new();
        let err = pax8::Client::builder()
            .credentials(id, secret)
            .transport(Arc::new(fake.clone()))
            .build()
            .unwrap_err();
        assert!(err.is_invalid_input(), "{id:?}/{secret:?}: {err}");
        assert!(!err.may_have_reached_server());
        assert!(!err.to_string().contains("sec\nret"), "{err}");
        assert!(fake.seen().is_empty());
    }
    let err = pax8::Client::builder().build().unwrap_err();
    assert!(
        err.is_invalid_input() && err.to_string().contains("client id"),
        "{err}"
    );
    let err = pax8::Client::builder()
        .credentials("id", "secret")
        .base_url("http://api.pax8.example/v1")
        .build()
        .unwrap_err();
    assert!(err.is_invalid_input(), "plain http off loopback: {err}");
}

/// A client whose `GET /v1/companies/c1` answers `status` with `body`.
fn answering(status: u16, body: serde_json::Value) -> (pax8::Client, Fake) {
    let fake = Fake::answering("GET", "/v1/companies/c1", json_reply(status, body));
    let (c, _) = client(&fake);
    (c, fake)
}

/// The generic view of any vendor's error.
fn sdk(e: &impl SdkError) -> (Option<StatusCode>, bool, bool, bool, bool, bool) {
    (
        e.status(),
        e.is_not_found(),
        e.is_auth(),
        e.is_rate_limited(),
        e.is_retryable(),
        e.is_timeout(),
    )
}

#[tokio::test]
async fn predicates_status_and_core_follow_the_conventions() {
    let envelope =
        |status: u16| json!({"type": "X", "message": format!("m{status}"), "status": status});
    for (status, not_found, auth, limited, retryable, timeout) in [
        (404, true, false, false, false, false),
        (401, false, true, false, false, false),
        (403, false, true, false, false, false),
        (429, false, false, true, true, false),
        (500, false, false, false, true, false),
        (408, false, false, false, true, true),
        (422, false, false, false, false, false),
    ] {
        let (c, _) = answering(status, envelope(status));
        let e = c.companies().get("c1").await.unwrap_err();
        let want = StatusCode::from_u16(status).unwrap();
        assert_eq!(
            sdk(&e),
            (Some(want), not_found, auth, limited, retryable, timeout),
            "{status}: {e:?}"
        );
        assert!(e.may_have_reached_server() && !e.is_outcome_unknown() && !e.is_decode());
        assert_eq!(e.core().and_then(|c| c.status()), Some(want), "{status}");
        assert_eq!(e.core().map(|c| c.operation()), Some("companies.get"));
    }
    // a 2xx that is not a company
    let (c, _) = answering(200, json!(["not", "an", "object"]));
    let e = c.companies().get("c1").await.unwrap_err();
    assert!(e.is_decode() && e.status().is_none(), "{e:?}");
}

#[tokio::test]
async fn not_found_is_an_error_and_optional_makes_it_none() {
    let (c, _) = answering(
        404,
        json!({"type": "NOT_FOUND", "message": "Company Not Found"}),
    );
    assert!(c.companies().get("c1").await.unwrap_err().is_not_found());
    assert_eq!(c.companies().get("c1").await.optional().unwrap(), None);
    let (c, _) = answering(200, json!({"id": "c1"}));
    let found = c.companies().get("c1").await.optional().unwrap();
    assert_eq!(found.and_then(|c| c.id), Some(CompanyId::from("c1")));
}

#[tokio::test]
async fn display_is_one_line_with_a_bounded_vendor_message_and_never_the_body() {
    let long = "x".repeat(1_000);
    let (c, _) = answering(
        422,
        json!({"message": long, "details": [{"message": "d"}], "internal": "RAW-BODY-MARKER"}),
    );
    let e = c.companies().get("c1").await.unwrap_err();
    let shown = e.to_string();
    assert!(!shown.contains('\n'), "{shown}");
    assert!(
        shown.starts_with("pax8 companies.get: validation failed (http 422): "),
        "{shown}"
    );
    assert!(!shown.contains("RAW-BODY-MARKER"), "{shown}");
    let message = shown.rsplit(": ").next().unwrap();
    assert!(
        message.chars().count() <= 201,
        "{} chars",
        message.chars().count()
    );
    let debug = format!("{e:?}");
    assert!(debug.contains("body_snippet"), "{debug}");
    let snippet_len = e.core().and_then(|c| c.body_snippet()).map_or(0, str::len);
    assert!(snippet_len <= 512 + '…'.len_utf8(), "{snippet_len}");
    // no body at all: no message
    let (c, _) = answering(500, json!(null));
    let e = c.companies().get("c1").await.unwrap_err();
    assert_eq!(e.to_string(), "pax8 companies.get: server error (http 500)");
}

#[tokio::test]
async fn errors_never_show_the_secret_or_the_token() {
    let refusal = json!({"error": "access_denied", "error_description": "Example description"});
    let fake = Fake::answering("POST", "/oauth/token", json_reply(401, refusal));
    let (c, _) = client(&fake);
    let e = c.companies().get("c1").await.unwrap_err();
    assert!(e.is_auth() && !e.may_have_reached_server(), "{e:?}");
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains("example-client-secret"), "{text}");
    }
    assert_eq!(
        e.to_string(),
        "pax8 companies.get: the token endpoint refused the credentials (http 401), the request \
         was not sent: access_denied: Example description"
    );
}

#[tokio::test]
async fn ids_convert_from_text_and_every_call_takes_impl_into_id() {
    let id: CompanyId = "c1".parse().unwrap();
    assert_eq!(id.to_string(), "c1");
    assert_eq!(CompanyId::from(String::from("c1")), id);
    let (c, _) = answering(200, json!({"id": "c1"}));
    c.companies().get("c1").await.unwrap();
    c.companies().get(String::from("c1")).await.unwrap();
    c.companies().get(&id).await.unwrap();
    c.companies().get(id).await.unwrap();
}

#[test]
fn enums_have_english_labels() {
    assert_eq!(pax8::InvoiceStatus::NothingDue.label(), "Nothing due");
    assert_eq!(
        pax8::SubscriptionStatus::WaitingForDetails.label(),
        "Waiting for details"
    );
    assert_eq!(pax8::BillingTerm::from_wire("Biennial").label(), "Biennial");
    assert_eq!(pax8::DraftMonth::Next.label(), "Next month");
}

#[test]
fn models_can_be_built_in_your_own_tests() {
    let mut company = pax8::Company::default();
    company.name = Some("Example Widgets".into());
    let mut order = pax8::Order::default();
    order.line_items.push(pax8::LineItem::default());
    let page = pax8::Page::new(vec![company], Some(pax8::PageInfo::new(200, 1, 1, 0)));
    assert_eq!(page.len(), 1);
    let _ = (
        pax8::Subscription::default(),
        pax8::Invoice::default(),
        pax8::InvoiceItem::default(),
        pax8::UsageSummary::default(),
        pax8::UsageLine::default(),
        pax8::Contact::default(),
        pax8::Product::default(),
        pax8::Pricing::default(),
        pax8::Dependencies::default(),
        pax8::Page::<pax8::Order>::default(),
        pax8::auth::TokenResponse::new("tok"),
        order,
    );
}

#[test]
fn a_line_item_takes_what_is_required_and_builders_the_rest() {
    let line = pax8::CreateLineItem::new("p1", 3, pax8::BillingTerm::Annual)
        .commitment("cm1")
        .company("c2")
        .parent_line(1);
    assert_eq!(line.quantity, 3);
    let _ = Error::is_invalid_input; // the predicates are inherent: no trait import needed
}

#[tokio::test]
async fn without_a_quota_a_429_pause_is_still_shared_by_clones() {
    let fake = Fake::new();
    let mut limited = billing_http_core::HttpResponse::new(StatusCode::TOO_MANY_REQUESTS, "{}");
    limited = limited.with_header("retry-after", "5");
    fake.on(
        "GET",
        "/v1/companies/c1",
        vec![Reply::Http(limited), json_reply(200, json!({"id": "c1"}))],
    );
    let clock = billing_http_core::clock::ManualClock::new();
    let c = client_with(&fake, &clock)
        .no_rate_limit()
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let err = c.companies().get("c1").await.unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
    let before = clock.elapsed();
    c.clone().companies().get("c1").await.unwrap();
    assert!(
        clock.elapsed() - before >= Duration::from_secs(5),
        "the clone waited for the server's pause: {:?}",
        clock.elapsed() - before
    );
}
