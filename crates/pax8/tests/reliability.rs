//! Faults around writes and tokens (issue 16): a create answered 2xx but unreadably may have
//! created the object (item 4), and a token that cannot be obtained means nothing was sent
//! (item 8).
#![allow(clippy::unwrap_used)]

mod support;

use pax8::{BillingTerm, CreateLineItem, CreateOrder, Error, NewCompany};
use serde_json::json;
use support::*;

fn order() -> CreateOrder {
    CreateOrder::new("c1").line(CreateLineItem::new("p1", 1, BillingTerm::Monthly))
}

/// 2xx answers to `POST /orders` that do not confirm an order.
fn unreadable_answers() -> Vec<(&'static str, Reply)> {
    vec![
        (
            "html",
            raw_reply(200, "<html><body>Order received</body></html>"),
        ),
        ("empty", raw_reply(200, "")),
        ("plain text", raw_reply(200, "order placed")),
        ("json array", json_reply(200, json!([{"id": "o1"}]))),
        ("json string", json_reply(200, json!("ok"))),
        ("json null", json_reply(200, json!(null))),
        (
            "json object without an id",
            json_reply(200, json!({"status": "accepted"})),
        ),
        (
            "json object with a wrong id",
            json_reply(200, json!({"id": {"value": "o1"}})),
        ),
    ]
}

#[tokio::test]
async fn orders_create_answered_unreadably_is_outcome_unknown() {
    for (what, answer) in unreadable_answers() {
        let fake = Fake::answering("POST", "/v1/orders", answer);
        let (c, _) = client(&fake);
        let err = c.orders().create(&order()).await.unwrap_err();
        assert!(err.is_outcome_unknown(), "{what}: {err:?}");
        assert!(err.may_have_reached_server(), "{what}");
        assert!(err.is_decode(), "{what}: {err:?}");
        assert_eq!(
            fake.calls_to("POST", "/v1/orders"),
            1,
            "{what}: never re-sent"
        );
        let shown = err.to_string();
        assert!(shown.starts_with("pax8 orders.create: "), "{what}: {shown}");
    }
}

#[tokio::test]
async fn company_create_answered_unreadably_is_outcome_unknown() {
    let fake = Fake::new();
    fake.on(
        "POST",
        "/v1/companies",
        vec![raw_reply(200, "<html></html>")],
    );
    let (c, _) = client(&fake);
    let company = NewCompany::new(
        "Example Widgets",
        pax8::Address::default(),
        "+1 555 0100",
        "widgets.example",
    );
    let err = c.companies().create(&company).await.unwrap_err();
    assert!(err.is_outcome_unknown() && err.is_decode(), "{err:?}");
}

#[tokio::test]
async fn a_dry_run_answered_unreadably_is_not_outcome_unknown() {
    // isMock persists nothing: a failure is an ordinary decode error of a read
    let fake = Fake::answering("POST", "/v1/orders", raw_reply(200, "<html></html>"));
    let (c, _) = client(&fake);
    let err = c.orders().validate(&order()).await.unwrap_err();
    assert!(err.is_decode() && !err.is_outcome_unknown(), "{err:?}");
    assert!(
        err.to_string().starts_with("pax8 orders.validate: "),
        "{err}"
    );
}

#[tokio::test]
async fn a_readable_order_answer_is_not_an_error() {
    let answer = json_reply(200, json!({"id": "o1", "companyId": "c1"}));
    let (c, _) = client(&Fake::answering("POST", "/v1/orders", answer));
    let placed = c.orders().create(&order()).await.unwrap();
    assert_eq!(placed.id, Some("o1".into()));
}

#[tokio::test]
async fn token_failure_floor_says_no_token_and_nothing_was_sent() {
    let fake = Fake::with_company_c1();
    fake.on(
        "POST",
        "/oauth/token",
        vec![json_reply(
            500,
            json!({"type": "INTERNAL_SERVER_ERROR", "message": "token service down"}),
        )],
    );
    let (c, _) = client(&fake);

    // the first failure: the token call itself (a POST), retried by the policy
    let first = c.companies().get("c1").await.unwrap_err();
    assert!(matches!(first, Error::Token(_)), "{first:?}");
    assert!(!first.may_have_reached_server(), "{first:?}");
    assert!(!first.is_outcome_unknown());
    assert!(
        first.is_retryable(),
        "a 500 of the token endpoint is worth retrying later"
    );
    assert_eq!(first.status(), None, "the API call got no answer");
    let shown = first.to_string();
    assert!(shown.contains("no token could be obtained"), "{shown}");
    assert!(
        shown.contains("POST https://login.pax8.test/oauth/token"),
        "{shown}"
    );
    assert!(!shown.contains("GET"), "{shown}");
    assert_eq!(
        first.token_error().and_then(|e| e.status()),
        Some(pax8::StatusCode::INTERNAL_SERVER_ERROR)
    );
    let token_calls = fake.token_calls();
    assert!(token_calls >= 1);

    // within the failure floor: no new token call, no order sent, not outcome-unknown
    let err = c.orders().create(&order()).await.unwrap_err();
    assert!(matches!(err, Error::Token(_)), "{err:?}");
    assert!(!err.may_have_reached_server(), "{err:?}");
    assert!(!err.is_outcome_unknown(), "the order never left: {err:?}");
    assert_eq!(err.status(), None);
    let shown = err.to_string();
    assert!(
        shown.starts_with("pax8 orders.create: no token could be obtained"),
        "{shown}"
    );
    assert!(!shown.contains("on POST /orders"), "{shown}");
    assert_eq!(fake.calls_to("POST", "/v1/orders"), 0);
    assert_eq!(
        fake.token_calls(),
        token_calls,
        "the floor asks no new token"
    );
}
