//! Quirk tests that run the client against a scripted in-process transport (PAX8-Qnn, §8).
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use billing_http_core::clock::ManualClock;
use billing_http_core::transport::TransportErrorKind;
use chrono::{NaiveDate, TimeZone, Utc};
use futures::StreamExt;
use pax8::companies::{ListCompanies, ListContacts};
use pax8::error::{Error, TimeoutOrigin};
use pax8::invoices::{ListDraftItems, ListInvoices};
use pax8::model::*;
use pax8::orders::ListOrders;
use pax8::paths::Endpoint;
use pax8::products::ListProducts;
use pax8::products::PricingQuery;
use pax8::subscriptions::{ListSubscriptions, ListUsageSummaries};
use pax8::usage_summaries::ListUsageLines;
use serde_json::json;
use support::*;

fn order_body() -> CreateOrder {
    CreateOrder::new("c1").line(CreateLineItem::new("p1", 1, BillingTerm::Monthly))
}

#[tokio::test]
async fn pax8_q05_usage_lines_paginate() {
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/usage-summaries/u1/usage-lines",
        vec![
            json_reply(
                200,
                page(json!([{"quantity": 1}, {"quantity": 2}]), 2, 3, 2, 0),
            ),
            json_reply(200, page(json!([{"quantity": 3}]), 2, 3, 2, 1)),
        ],
    );
    let (c, _) = client(&fake);
    let date = NaiveDate::from_ymd_opt(2031, 1, 15).unwrap();
    let lines = c
        .usage_summaries()
        .lines_all("u1", date, ListUsageLines::new())
        .collect_all()
        .await
        .unwrap();
    assert_eq!(lines.len(), 3);
    let calls = fake.api_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].q("page"), Some("0"));
    assert_eq!(calls[1].q("page"), Some("1"));

    // Without a page block: exactly one request.
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/usage-summaries/u1/usage-lines",
        vec![json_reply(200, json!({"content": [{"quantity": 1}]}))],
    );
    let (c, _) = client(&fake);
    let lines = c
        .usage_summaries()
        .lines_all("u1", date, ListUsageLines::new())
        .collect_all()
        .await
        .unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(fake.api_calls().len(), 1);
}

#[tokio::test]
async fn pax8_q06_usage_date_required() {
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/usage-summaries/u1/usage-lines",
        vec![
            json_reply(200, page(json!([{"quantity": 1}]), 1, 2, 2, 0)),
            json_reply(200, page(json!([{"quantity": 2}]), 1, 2, 2, 1)),
        ],
    );
    let (c, _) = client(&fake);
    let date = NaiveDate::from_ymd_opt(2031, 1, 15).unwrap();
    let n = c
        .usage_summaries()
        .lines_all("u1", date, ListUsageLines::new())
        .count()
        .await;
    assert_eq!(n, 2);
    for call in fake.api_calls() {
        assert_eq!(call.q("usageDate"), Some("2031-01-15"));
    }
}

#[test]
fn pax8_q07_paths_are_pinned() {
    let table: [(&str, &str); 29] = [
        ("GET", "/companies"),
        ("POST", "/companies"),
        ("GET", "/companies/{companyId}"),
        ("PATCH", "/companies/{companyId}"),
        ("POST", "/companies/{companyId}/contacts"),
        ("GET", "/companies/{companyId}/contacts"),
        ("GET", "/companies/{companyId}/contacts/{contactId}"),
        ("PUT", "/companies/{companyId}/contacts/{contactId}"),
        ("DELETE", "/companies/{companyId}/contacts/{contactId}"),
        ("GET", "/products"),
        ("GET", "/products/{productId}"),
        ("GET", "/products/{productId}/provision-details"),
        ("GET", "/products/{productId}/dependencies"),
        ("GET", "/products/{productId}/pricing"),
        ("GET", "/orders"),
        ("POST", "/orders"),
        ("GET", "/orders/{orderId}"),
        ("GET", "/subscriptions"),
        ("GET", "/subscriptions/{subscriptionId}"),
        ("PUT", "/subscriptions/{subscriptionId}"),
        ("DELETE", "/subscriptions/{subscriptionId}"),
        ("GET", "/subscriptions/{subscriptionId}/history"),
        ("GET", "/invoices"),
        ("GET", "/invoices/{invoiceId}"),
        ("GET", "/invoices/{invoiceId}/items"),
        ("GET", "/invoices/draftItems"),
        ("GET", "/subscriptions/{subscriptionId}/usage-summaries"),
        ("GET", "/usage-summaries/{usageSummaryId}"),
        ("GET", "/usage-summaries/{usageSummaryId}/usage-lines"),
    ];
    for (endpoint, (method, template)) in Endpoint::ALL.iter().zip(table) {
        assert_eq!(endpoint.method().as_str(), method, "{endpoint:?}");
        assert_eq!(endpoint.template(), template, "{endpoint:?}");
    }
    assert_eq!(
        Endpoint::GetContact.path(&["c 1", "k/2"]).unwrap(),
        "/companies/c%201/contacts/k%2F2"
    );
}

/// Every endpoint method, run once against the fake: method and path as in §4.1.
#[tokio::test]
async fn pax8_q07_every_method_hits_its_pinned_path() {
    let fake = Fake::new();
    let ok = json_reply(
        200,
        json!({"content": [], "page": {"size": 200, "totalElements": 0, "totalPages": 0, "number": 0}}),
    );
    for (m, p) in [
        ("GET", "/v1/companies"),
        ("POST", "/v1/companies"),
        ("GET", "/v1/companies/c1"),
        ("PATCH", "/v1/companies/c1"),
        ("POST", "/v1/companies/c1/contacts"),
        ("GET", "/v1/companies/c1/contacts"),
        ("GET", "/v1/companies/c1/contacts/k1"),
        ("PUT", "/v1/companies/c1/contacts/k1"),
        ("GET", "/v1/products"),
        ("GET", "/v1/products/p1"),
        ("GET", "/v1/products/p1/provision-details"),
        ("GET", "/v1/products/p1/dependencies"),
        ("GET", "/v1/products/p1/pricing"),
        ("GET", "/v1/orders"),
        ("POST", "/v1/orders"),
        ("GET", "/v1/orders/o1"),
        ("GET", "/v1/subscriptions"),
        ("GET", "/v1/subscriptions/s1"),
        ("PUT", "/v1/subscriptions/s1"),
        ("GET", "/v1/subscriptions/s1/history"),
        ("GET", "/v1/invoices"),
        ("GET", "/v1/invoices/i1"),
        ("GET", "/v1/invoices/i1/items"),
        ("GET", "/v1/invoices/draftItems"),
        ("GET", "/v1/subscriptions/s1/usage-summaries"),
        ("GET", "/v1/usage-summaries/u1"),
        ("GET", "/v1/usage-summaries/u1/usage-lines"),
    ] {
        fake.on(m, p, vec![ok.clone()]);
    }
    fake.on(
        "DELETE",
        "/v1/companies/c1/contacts/k1",
        vec![raw_reply(204, "")],
    );
    fake.on("DELETE", "/v1/subscriptions/s1", vec![raw_reply(204, "")]);
    // creates must answer the created object (with an id)
    let created = json_reply(200, json!({"id": "new-1", "content": []}));
    for p in ["/v1/companies", "/v1/companies/c1/contacts", "/v1/orders"] {
        fake.on("POST", p, vec![created.clone()]);
    }
    let (c, _) = client(&fake);
    let (cid, kid, pid, sid, iid, uid): (
        CompanyId,
        ContactId,
        ProductId,
        SubscriptionId,
        InvoiceId,
        UsageSummaryId,
    ) = (
        "c1".into(),
        "k1".into(),
        "p1".into(),
        "s1".into(),
        "i1".into(),
        "u1".into(),
    );
    let contact = ContactInput::new("Jane", "Doe", "jane.doe@example.org", "+1 555 0100");
    let date = NaiveDate::from_ymd_opt(2031, 1, 15).unwrap();
    c.companies().list(ListCompanies::new()).await.unwrap();
    c.companies()
        .create(&NewCompany::new("X", Address::default(), "1", "x.example"))
        .await
        .unwrap();
    c.companies().get(&cid).await.unwrap();
    c.companies()
        .update(&cid, &CompanyUpdate::new().name("Y"))
        .await
        .unwrap();
    c.companies().contacts(&cid).create(&contact).await.unwrap();
    c.companies()
        .contacts(&cid)
        .list(ListContacts::new())
        .await
        .unwrap();
    c.companies().contacts(&cid).get(&kid).await.unwrap();
    c.companies()
        .contacts(&cid)
        .replace(&kid, &contact)
        .await
        .unwrap();
    c.companies().contacts(&cid).delete(&kid).await.unwrap();
    c.products().list(Default::default()).await.unwrap();
    c.products().get(&pid).await.unwrap();
    c.products().provision_details(&pid).await.unwrap();
    c.products().dependencies(&pid).await.unwrap();
    c.products()
        .pricing(&pid, PricingQuery::default())
        .await
        .unwrap();
    c.orders().list(ListOrders::new()).await.unwrap();
    c.orders().create(&order_body()).await.unwrap();
    c.orders().get("o1").await.unwrap();
    c.subscriptions()
        .list(ListSubscriptions::new())
        .await
        .unwrap();
    c.subscriptions().get(&sid).await.unwrap();
    c.subscriptions()
        .update(&sid, &SubscriptionUpdate::new().quantity(2))
        .await
        .unwrap();
    c.subscriptions().cancel(&sid, None).await.unwrap();
    c.subscriptions().history(&sid).await.unwrap();
    c.invoices().list(ListInvoices::new()).await.unwrap();
    c.invoices().get(&iid).await.unwrap();
    c.invoices().items(&iid, Default::default()).await.unwrap();
    c.invoices()
        .draft_items(DraftMonth::Current, ListDraftItems::new())
        .await
        .unwrap();
    c.subscriptions()
        .usage_summaries(&sid, Default::default())
        .await
        .unwrap();
    c.usage_summaries().get(&uid).await.unwrap();
    c.usage_summaries()
        .lines(&uid, date, ListUsageLines::new())
        .await
        .unwrap();
    let calls = fake.api_calls();
    assert_eq!(calls.len(), 29, "one request per endpoint");
    for call in &calls {
        assert!(call.path.starts_with("/v1/"), "{}", call.path);
    }
}

#[tokio::test]
async fn pax8_q09_contacts_nested() {
    let fake = Fake::new();
    fake.on(
        "POST",
        "/v1/companies/c1/contacts",
        vec![json_reply(200, json!({"id": "k1"}))],
    );
    let (c, _) = client(&fake);
    let input = ContactInput::new("Jane", "Doe", "jane.doe@example.org", "+1 555 0100");
    c.companies().contacts("c1").create(&input).await.unwrap();
    let call = &fake.api_calls()[0];
    assert_eq!(call.path, "/v1/companies/c1/contacts");
    assert!(call.json().get("companyId").is_none());
}

#[tokio::test]
async fn pax8_q10_company_patch() {
    let fake = Fake::new();
    fake.on(
        "PATCH",
        "/v1/companies/c1",
        vec![json_reply(200, json!({"id": "c1", "name": "New"}))],
    );
    let (c, _) = client(&fake);
    let company = c
        .companies()
        .update("c1", &CompanyUpdate::new().name("New"))
        .await
        .unwrap();
    assert_eq!(company.name.as_deref(), Some("New"));
    let call = &fake.api_calls()[0];
    assert_eq!(call.method, "PATCH");
    assert_eq!(call.json(), json!({"name": "New"}));
    let err = c
        .companies()
        .update("c1", &CompanyUpdate::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)));
    assert_eq!(
        fake.api_calls().len(),
        1,
        "no HTTP call for an empty update"
    );
}

#[tokio::test]
async fn pax8_q11_contact_put_full() {
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/companies/c1/contacts/k1",
        vec![json_reply(200, json!({"id": "k1", "firstName": "Jane", "lastName": "Doe", "email": "jane.doe@example.org", "phone": "+1 555 0100", "types": [{"type": "Billing", "primary": true}]}))],
    );
    fake.on(
        "PUT",
        "/v1/companies/c1/contacts/k1",
        vec![json_reply(200, json!({"id": "k1"}))],
    );
    let (c, _) = client(&fake);
    c.companies()
        .contacts("c1")
        .update_with("k1", |input| input.phone = "+1 555 0199".into())
        .await
        .unwrap();
    let calls = fake.api_calls();
    assert_eq!(
        calls.iter().map(|s| s.method.as_str()).collect::<Vec<_>>(),
        ["GET", "PUT"]
    );
    assert_eq!(
        calls[1].json(),
        json!({"firstName": "Jane", "lastName": "Doe", "email": "jane.doe@example.org", "phone": "+1 555 0199", "types": [{"type": "Billing", "primary": true}]})
    );
}

#[tokio::test]
async fn pax8_q14_orders_never_retried() {
    let cases = vec![
        (raw_reply(503, ""), "server"),
        (
            Reply::Http(
                billing_http_core::HttpResponse::new(
                    billing_http_core::StatusCode::TOO_MANY_REQUESTS,
                    "{}",
                )
                .with_header("retry-after", "0"),
            ),
            "rate",
        ),
        (Reply::Fail(TransportErrorKind::Timeout), "timeout"),
        (json_reply(408, json!({"message": "timeout"})), "timeout408"),
        (json_reply(401, json!({"message": "expired"})), "auth"),
    ];
    for (reply, name) in cases {
        let fake = Fake::new();
        fake.on("POST", "/v1/orders", vec![reply]);
        let (c, _) = client(&fake);
        let err = c.orders().create(&order_body()).await.unwrap_err();
        assert_eq!(
            fake.calls_to("POST", "/v1/orders"),
            1,
            "{name}: exactly one order request"
        );
        match name {
            "server" => assert!(matches!(err, Error::Server(_)) && err.is_outcome_unknown()),
            "rate" => assert!(err.is_rate_limited()),
            "timeout" | "timeout408" => assert!(err.is_timeout() && err.is_outcome_unknown()),
            _ => assert!(matches!(err, Error::Unauthorized(_))),
        }
    }
    // A GET under the same 503 is retried.
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/orders/o1",
        vec![raw_reply(503, ""), json_reply(200, json!({"id": "o1"}))],
    );
    let (c, _) = client(&fake);
    c.orders().get("o1").await.unwrap();
    assert_eq!(fake.calls_to("GET", "/v1/orders/o1"), 2);
}

#[tokio::test]
async fn pax8_q15_is_mock() {
    let fake = Fake::new();
    fake.on(
        "POST",
        "/v1/orders",
        vec![raw_reply(503, ""), json_reply(200, json!({"id": "mock"}))],
    );
    let (c, _) = client(&fake);
    let order = c.orders().validate(&order_body()).await.unwrap();
    assert_eq!(order.id, Some(OrderId::from("mock")));
    let calls = fake.api_calls();
    assert_eq!(calls.len(), 2, "the dry run is retried once after 503");
    assert!(calls.iter().all(|s| s.q("isMock") == Some("true")));

    let fake = Fake::new();
    fake.on("POST", "/v1/orders", vec![raw_reply(503, "")]);
    let (c, _) = client(&fake);
    assert!(c.orders().create(&order_body()).await.is_err());
    let calls = fake.api_calls();
    assert_eq!(calls.len(), 1, "a real order is not retried");
    assert!(calls[0].q("isMock").is_none());
}

#[tokio::test]
async fn pax8_q20_page_size_clamp() {
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/companies",
        vec![
            json_reply(
                200,
                page(json!(vec![json!({"id": "a"}); 100]), 100, 150, 2, 0),
            ),
            json_reply(
                200,
                page(json!(vec![json!({"id": "b"}); 50]), 100, 150, 2, 1),
            ),
        ],
    );
    let (c, _) = client(&fake);
    let mut pages = c.companies().list_all(ListCompanies::new().size(1000u32));
    assert_eq!(pages.page_size(), 200);
    let mut total = 0;
    while let Some(p) = pages.next_page().await.unwrap() {
        total += p.content.len();
    }
    assert_eq!(total, 150);
    let calls = fake.api_calls();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|s| s.q("size") == Some("200")));
}

#[tokio::test]
async fn pax8_q21_orders_ordering() {
    let req = ListOrders::new().request(0, 200);
    assert!(
        req.query.iter().all(|(k, _)| k != "sort"),
        "no implicit sort"
    );
    let req = ListOrders::new().sort_raw("createdAt,desc").request(0, 200);
    assert!(
        req.query
            .iter()
            .any(|(k, v)| k == "sort" && v.expose() == "createdAt,desc")
    );

    let fake = Fake::new();
    let order = |i: u32| json!({"id": format!("o{i}")});
    fake.on(
        "GET",
        "/v1/orders",
        vec![
            json_reply(200, page(json!([order(1), order(2)]), 2, 6, 3, 0)),
            json_reply(200, page(json!([order(5), order(6)]), 2, 6, 3, 2)),
            json_reply(200, page(json!([order(3), order(4)]), 2, 6, 3, 1)),
        ],
    );
    let (c, _) = client(&fake);
    let newest = c
        .orders()
        .newest(ListOrders::new().size(2u32), 3)
        .await
        .unwrap();
    let ids: Vec<_> = newest
        .iter()
        .map(|o| o.id.clone().unwrap().into_inner())
        .collect();
    assert_eq!(ids, ["o6", "o5", "o4"]);
    let pages: Vec<_> = fake
        .api_calls()
        .iter()
        .map(|s| s.q("page").unwrap().to_owned())
        .collect();
    assert_eq!(pages, ["0", "2", "1"]);
}

#[tokio::test]
async fn pax8_q24_cancel_date() {
    let fake = Fake::new();
    fake.on("DELETE", "/v1/subscriptions/s1", vec![raw_reply(204, "")]);
    let (c, _) = client(&fake);
    let at = Utc
        .with_ymd_and_hms(2031, 7, 1, 0, 0, 0)
        .unwrap()
        .fixed_offset();
    c.subscriptions().cancel("s1", Some(at)).await.unwrap();
    c.subscriptions().cancel("s1", None).await.unwrap();
    c.subscriptions()
        .cancel_on("s1", NaiveDate::from_ymd_opt(2031, 7, 1).unwrap())
        .await
        .unwrap();
    let calls = fake.api_calls();
    assert_eq!(calls[0].q("cancelDate"), Some("2031-07-01T00:00:00Z"));
    assert!(calls[1].q("cancelDate").is_none());
    assert_eq!(calls[2].q("cancelDate"), Some("2031-07-01T00:00:00Z"));
}

#[tokio::test]
async fn pax8_q26_token_presets() {
    use pax8::TokenEndpoint;
    let presets = [
        (
            TokenEndpoint::Current,
            "https://api.pax8.com/v1/token",
            "https://api.pax8.com",
        ),
        (
            TokenEndpoint::TokenManager,
            "https://token-manager.pax8.com/oauth/token",
            "https://api.pax8.com",
        ),
        (
            TokenEndpoint::Legacy,
            "https://login.pax8.com/oauth/token",
            "api://p8p.client",
        ),
    ];
    for (preset, url, audience) in presets {
        assert_eq!(preset.url(), url);
        assert_eq!(preset.audience(), audience);
        let fake = Fake::new();
        let path = url::Url::parse(url).unwrap().path().to_owned();
        fake.on("POST", &path, vec![token_reply()]);
        fake.on(
            "GET",
            "/v1/companies/c1",
            vec![json_reply(200, json!({"id": "c1"}))],
        );
        let clock = ManualClock::new();
        let c = client_with(&fake, &clock)
            .token_endpoint(preset)
            .build()
            .unwrap();
        c.companies().get("c1").await.unwrap();
        let token = fake.seen().into_iter().find(|s| s.path == path).unwrap();
        assert_eq!(token.method, "POST");
        assert_eq!(token.header("content-type"), Some("application/json"));
        let body = token.json();
        let mut keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["audience", "client_id", "client_secret", "grant_type"]
        );
        assert_eq!(body["audience"], json!(audience));
        assert_eq!(body["grant_type"], json!("client_credentials"));
    }
    // The two settings are independent.
    let fake = Fake::with_company_c1();
    let clock = ManualClock::new();
    let c = client_with(&fake, &clock)
        .audience("api://p8p.client")
        .build()
        .unwrap();
    c.companies().get("c1").await.unwrap();
    let token = fake
        .seen()
        .into_iter()
        .find(|s| s.path == "/oauth/token")
        .unwrap();
    assert_eq!(token.json()["audience"], json!("api://p8p.client"));
}

#[tokio::test]
async fn pax8_q27_token_oauth_error() {
    let fake = Fake::new();
    fake.on(
        "POST",
        "/oauth/token",
        vec![json_reply(
            401,
            json!({"error": "access_denied", "error_description": "Unauthorized"}),
        )],
    );
    let (c, _) = client(&fake);
    let err = c.companies().get("c1").await.unwrap_err();
    match &err {
        Error::Auth { error, status, .. } => {
            assert_eq!(error, "access_denied");
            assert_eq!(*status, Some(pax8::StatusCode::UNAUTHORIZED));
        }
        other => panic!("expected Error::Auth, got {other:?}"),
    }
    assert!(err.is_auth());
    assert_eq!(fake.token_calls(), 1, "never retried");
    // A second call right after is refused from the token cache's failure floor, still as an
    // auth error, with no new token request.
    let again = c.companies().get("c1").await.unwrap_err();
    assert!(
        matches!(
            again,
            Error::Auth {
                status: Some(pax8::StatusCode::UNAUTHORIZED),
                ..
            }
        ),
        "{again:?}"
    );
    assert_eq!(fake.token_calls(), 1);
    assert!(fake.api_calls().is_empty());
    assert!(!format!("{err:?} {err}").contains("example-client-secret"));
}

#[tokio::test]
async fn pax8_q29_instance_verbatim_and_request_path() {
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/companies/c1",
        vec![json_reply(404, json!({"type": "NOT_FOUND", "message": "Company Not Found", "instance": "/public/v1/companies/c1", "status": 404, "details": []}))],
    );
    let (c, _) = client(&fake);
    let err = c.companies().get("c1").await.unwrap_err();
    assert!(err.is_not_found());
    let api = err.api_error().unwrap();
    assert_eq!(api.instance(), Some("/public/v1/companies/c1"));
    assert_eq!(api.path, "/companies/c1");
    assert_eq!(api.message().as_deref(), Some("Company Not Found"));
}

#[tokio::test]
async fn pax8_q28_validation_errors_keep_details_through_the_client() {
    let fake = Fake::new();
    fake.on(
        "PUT",
        "/v1/subscriptions/s1",
        vec![json_reply(
            422,
            json!({"errors": ["Quantity cannot be decreased during commitment"]}),
        )],
    );
    let (c, _) = client(&fake);
    let err = c
        .subscriptions()
        .update("s1", &SubscriptionUpdate::new().quantity(1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    assert_eq!(
        err.api_error().unwrap().errors(),
        ["Quantity cannot be decreased during commitment"]
    );
    assert!(err.to_string().contains("Quantity cannot be decreased"));
}

/// The raw query string of one list call made by `call` against an empty page at `path`.
async fn query_of<F, Fut>(path: &str, call: F) -> String
where
    F: FnOnce(pax8::Client) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let fake = Fake::new();
    fake.on(
        "GET",
        &format!("/v1{path}"),
        vec![json_reply(200, page(json!([]), 200, 0, 0, 0))],
    );
    let (c, _) = client(&fake);
    call(c).await;
    let calls = fake.api_calls();
    assert_eq!(calls.len(), 1);
    calls[0].raw_query.clone()
}

#[tokio::test]
async fn pax8_q31_companies_sort_is_the_bare_field_or_field_desc() {
    let list = |q: ListCompanies| {
        move |c: pax8::Client| async move {
            c.companies().list(q).await.unwrap();
        }
    };
    let asc = ListCompanies::new().sort(Sort::asc(CompanySortField::Name));
    let desc = ListCompanies::new().sort(Sort::desc(CompanySortField::StateOrProvince));
    let raw = ListCompanies::new()
        .sort(Sort::asc(CompanySortField::Name))
        .sort_raw("city,asc");
    assert_eq!(
        query_of("/companies", list(asc)).await,
        "page=0&size=200&sort=name"
    );
    assert_eq!(
        query_of("/companies", list(desc)).await,
        "page=0&size=200&sort=stateOrProvince%2Cdesc"
    );
    assert_eq!(
        query_of("/companies", list(raw)).await,
        "page=0&size=200&sort=city%2Casc"
    );
}

#[tokio::test]
async fn pax8_q31_products_sort_is_the_bare_field_or_field_desc() {
    let list = |q: ListProducts| {
        move |c: pax8::Client| async move {
            c.products().list(q).await.unwrap();
        }
    };
    let asc = ListProducts::new().sort(Sort::asc(ProductSortField::Vendor));
    let desc = ListProducts::new().sort(Sort::desc(ProductSortField::Name));
    let raw = ListProducts::new().sort_raw("vendorName,asc");
    assert_eq!(
        query_of("/products", list(asc)).await,
        "page=0&size=200&sort=vendor"
    );
    assert_eq!(
        query_of("/products", list(desc)).await,
        "page=0&size=200&sort=name%2Cdesc"
    );
    assert_eq!(
        query_of("/products", list(raw)).await,
        "page=0&size=200&sort=vendorName%2Casc"
    );
}

#[tokio::test]
async fn pax8_q31_invoices_sort_is_the_bare_field_or_field_desc() {
    let list = |q: ListInvoices| {
        move |c: pax8::Client| async move {
            c.invoices().list(q).await.unwrap();
        }
    };
    let asc = ListInvoices::new().sort(Sort::asc(InvoiceSortField::CarriedBalance));
    let desc = ListInvoices::new().sort(Sort::desc(InvoiceSortField::InvoiceDate));
    let raw = ListInvoices::new().sort_raw("invoiceDate,asc");
    assert_eq!(
        query_of("/invoices", list(asc)).await,
        "page=0&size=200&sort=carriedBalance"
    );
    assert_eq!(
        query_of("/invoices", list(desc)).await,
        "page=0&size=200&sort=invoiceDate%2Cdesc"
    );
    assert_eq!(
        query_of("/invoices", list(raw)).await,
        "page=0&size=200&sort=invoiceDate%2Casc"
    );
}

#[tokio::test]
async fn pax8_q31_usage_summaries_sort_is_the_bare_field_or_field_desc() {
    let list = |q: ListUsageSummaries| {
        move |c: pax8::Client| async move {
            c.subscriptions().usage_summaries("s1", q).await.unwrap();
        }
    };
    let path = "/subscriptions/s1/usage-summaries";
    let asc = ListUsageSummaries::new().sort(Sort::asc(UsageSummarySortField::PartnerTotal));
    let desc = ListUsageSummaries::new().sort(Sort::desc(UsageSummarySortField::ResourceGroup));
    let raw = ListUsageSummaries::new().sort_raw("currentCharges,asc");
    assert_eq!(
        query_of(path, list(asc)).await,
        "page=0&size=200&sort=partnerTotal"
    );
    assert_eq!(
        query_of(path, list(desc)).await,
        "page=0&size=200&sort=resourceGroup%2Cdesc"
    );
    assert_eq!(
        query_of(path, list(raw)).await,
        "page=0&size=200&sort=currentCharges%2Casc"
    );
}

#[tokio::test]
async fn pax8_q31_subscriptions_sort_keeps_field_and_direction() {
    let list = |q: ListSubscriptions| {
        move |c: pax8::Client| async move {
            c.subscriptions().list(q).await.unwrap();
        }
    };
    let asc = ListSubscriptions::new().sort(Sort::asc(SubscriptionSortField::Price));
    let desc = ListSubscriptions::new().sort(Sort::desc(SubscriptionSortField::CreatedDate));
    let raw = ListSubscriptions::new().sort_raw("price");
    assert_eq!(
        query_of("/subscriptions", list(asc)).await,
        "page=0&size=200&sort=price%2Casc"
    );
    assert_eq!(
        query_of("/subscriptions", list(desc)).await,
        "page=0&size=200&sort=createdDate%2Cdesc"
    );
    assert_eq!(
        query_of("/subscriptions", list(raw)).await,
        "page=0&size=200&sort=price"
    );
}

#[tokio::test]
async fn pax8_q32_pagination_rules() {
    // Default request: page=0&size=200.
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/companies",
        vec![json_reply(200, page(json!([]), 200, 0, 0, 0))],
    );
    let (c, _) = client(&fake);
    let all = c
        .companies()
        .list_all(ListCompanies::new())
        .collect_all()
        .await
        .unwrap();
    assert!(all.is_empty());
    let call = &fake.api_calls()[0];
    assert_eq!((call.q("page"), call.q("size")), (Some("0"), Some("200")));
    assert!(call.q("limit").is_none());

    // A 404 on page 2 ends the walk without an error.
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/companies",
        vec![
            json_reply(200, page(json!([{"id": "a"}]), 1, 3, 3, 0)),
            json_reply(200, page(json!([{"id": "b"}]), 1, 3, 3, 1)),
            json_reply(404, json!({"type": "NOT_FOUND"})),
        ],
    );
    let (c, _) = client(&fake);
    let all = c
        .companies()
        .list_all(ListCompanies::new())
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);

    // totalPages under-reported (11 pages of 10, but 115 elements): totalElements still
    // fetches the last partial page.
    let fake = Fake::new();
    let lines = |page: usize, n: usize| {
        json!(
            (0..n)
                .map(|i| json!({"productName": format!("line {page}-{i}")}))
                .collect::<Vec<_>>()
        )
    };
    let mut replies: Vec<Reply> = (0..11)
        .map(|p| json_reply(200, page(lines(p, 10), 10, 115, 11, p as u32)))
        .collect();
    replies.push(json_reply(200, page(lines(11, 5), 10, 115, 11, 11)));
    replies.push(json_reply(200, page(json!([]), 10, 115, 11, 12)));
    fake.on("GET", "/v1/usage-summaries/u1/usage-lines", replies);
    let (c, _) = client(&fake);
    let date = NaiveDate::from_ymd_opt(2031, 1, 15).unwrap();
    let all = c
        .usage_summaries()
        .lines_all("u1", date, ListUsageLines::new().size(10u32))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), 115);
    assert_eq!(
        fake.api_calls().len(),
        12,
        "stops once 115 elements arrived"
    );
}

#[tokio::test]
async fn pax8_q33_query_encoding() {
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/companies",
        vec![json_reply(200, page(json!([]), 200, 0, 0, 0))],
    );
    fake.on(
        "GET",
        "/v1/invoices",
        vec![json_reply(200, page(json!([]), 200, 0, 0, 0))],
    );
    fake.on("POST", "/v1/orders", vec![json_reply(200, json!({}))]);
    let (c, _) = client(&fake);
    c.companies()
        .list(ListCompanies::new().self_service_allowed(true))
        .await
        .unwrap();
    c.invoices()
        .list(
            ListInvoices::new()
                .invoice_date_range_start(NaiveDate::from_ymd_opt(2031, 1, 1).unwrap())
                .status(InvoiceStatus::NothingDue),
        )
        .await
        .unwrap();
    c.orders().validate(&order_body()).await.unwrap();
    let calls = fake.api_calls();
    assert_eq!(calls[0].q("selfServiceAllowed"), Some("true"));
    assert_eq!(calls[1].q("invoiceDateRangeStart"), Some("2031-01-01"));
    assert_eq!(calls[1].q("status"), Some("Nothing Due"));
    // the space travels as `%20`, as the reference prefers (never `+`)
    assert!(
        calls[1].raw_query.contains("status=Nothing%20Due"),
        "{}",
        calls[1].raw_query
    );
    assert_eq!(calls[2].q("isMock"), Some("true"));
}

#[tokio::test]
async fn pax8_q42_subscriptions_403() {
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/subscriptions",
        vec![json_reply(
            403,
            json!({"type": "FORBIDDEN", "message": "Invalid companyId", "status": 403}),
        )],
    );
    let (c, _) = client(&fake);
    let err = c
        .subscriptions()
        .list(ListSubscriptions::new().company_id("bogus"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)));
    assert_eq!(
        err.api_error().unwrap().message().as_deref(),
        Some("Invalid companyId")
    );
    assert_eq!(fake.api_calls().len(), 1, "403 is not retried");
}

#[tokio::test]
async fn pax8_q43_draft_month() {
    let fake = Fake::new();
    // Both routes exist; draftItems must not be taken for an invoice id.
    fake.on(
        "GET",
        "/v1/invoices/draftItems",
        vec![json_reply(
            200,
            page(json!([{"sku": "draft"}]), 200, 1, 1, 0),
        )],
    );
    fake.on(
        "GET",
        "/v1/invoices/i1",
        vec![json_reply(200, json!({"id": "i1"}))],
    );
    let (c, _) = client(&fake);
    let p = c
        .invoices()
        .draft_items(DraftMonth::Current, ListDraftItems::new())
        .await
        .unwrap();
    assert_eq!(p.content[0].sku.as_deref(), Some("draft"));
    c.invoices()
        .draft_items(DraftMonth::Next, ListDraftItems::new())
        .await
        .unwrap();
    let calls = fake.api_calls();
    assert_eq!(calls[0].q("monthOffset"), Some("0"));
    assert_eq!(calls[1].q("monthOffset"), Some("1"));
}

#[tokio::test]
async fn pax8_q44_no_caching() {
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/products/p1/pricing",
        vec![json_reply(
            200,
            json!({"content": [{"billingTerm": "Monthly"}]}),
        )],
    );
    let (c, _) = client(&fake);
    let q = PricingQuery::default().company_id("c1");
    c.products().pricing("p1", q.clone()).await.unwrap();
    c.products().pricing("p1", q.clone()).await.unwrap();
    let calls = fake.api_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].q("companyId"), Some("c1"));
}

#[tokio::test]
async fn pax8_q45_timeouts() {
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/orders",
        vec![
            Reply::Fail(TransportErrorKind::Timeout),
            json_reply(200, page(json!([]), 200, 0, 0, 0)),
        ],
    );
    fake.on(
        "GET",
        "/v1/invoices/draftItems",
        vec![
            json_reply(408, json!({"message": "Request Timeout"})),
            json_reply(200, page(json!([]), 200, 0, 0, 0)),
        ],
    );
    let (c, _) = client(&fake);
    c.orders().list(ListOrders::new()).await.unwrap();
    c.invoices()
        .draft_items(DraftMonth::Current, ListDraftItems::new())
        .await
        .unwrap();
    assert_eq!(
        fake.api_calls().len(),
        4,
        "both timeouts were retried for GET"
    );

    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/orders",
        vec![Reply::Fail(TransportErrorKind::Timeout)],
    );
    fake.on(
        "GET",
        "/v1/invoices/draftItems",
        vec![json_reply(408, json!({"message": "Request Timeout"}))],
    );
    let (c, _) = client(&fake);
    let err = c.orders().list(ListOrders::new()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                origin: TimeoutOrigin::Client,
                ..
            }
        ),
        "{err:?}"
    );
    let err = c
        .invoices()
        .draft_items(DraftMonth::Current, ListDraftItems::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                origin: TimeoutOrigin::Server,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn pax8_q46_rate_limit() {
    // With a limit of 2 per minute (no margin) slots are 30 s apart: the token call takes the
    // first, the first API call waits 30 s, the second another 30 s.
    let fake = Fake::with_company_c1();
    let clock = ManualClock::new();
    let c = client_with(&fake, &clock)
        .rate_limit(pax8::Quota::per_minute(2))
        .build()
        .unwrap();
    c.companies().get("c1").await.unwrap();
    let after_first = clock.elapsed();
    c.companies().get("c1").await.unwrap();
    let after_second = clock.elapsed();
    assert_eq!(fake.token_calls(), 1);
    assert_eq!(
        after_first,
        Duration::from_secs(30),
        "the token call used a permit"
    );
    assert_eq!(
        after_second - after_first,
        Duration::from_secs(30),
        "the third permit waited"
    );
    // A quota set with .rate_limit() is used as given: 100 per minute are 600 ms apart, so
    // the first API call waits for the token call's permit.
    let fake = Fake::with_company_c1();
    let clock = ManualClock::new();
    let c = client_with(&fake, &clock)
        .rate_limit(pax8::Quota::per_minute(100))
        .build()
        .unwrap();
    c.companies().get("c1").await.unwrap();
    assert_eq!(clock.elapsed(), Duration::from_millis(600));
    // The default is the documented 1000 per minute less 4 %.
    assert_eq!(pax8::client::default_quota(), pax8::Quota::per_minute(960));

    // 429 with Retry-After: 2 is retried after at least 2 s; HTTP-date and missing header too.
    let in_3s = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    for (header, min) in [(Some("2".to_owned()), 2), (Some(in_3s), 1), (None, 0)] {
        let fake = Fake::new();
        let mut resp = billing_http_core::HttpResponse::new(
            billing_http_core::StatusCode::TOO_MANY_REQUESTS,
            "{}",
        );
        if let Some(h) = &header {
            resp = resp.with_header("retry-after", h);
        }
        fake.on(
            "GET",
            "/v1/companies/c1",
            vec![Reply::Http(resp), json_reply(200, json!({"id": "c1"}))],
        );
        let (c, clock) = client(&fake);
        c.companies().get("c1").await.unwrap();
        assert_eq!(fake.calls_to("GET", "/v1/companies/c1"), 2, "{header:?}");
        assert!(
            clock
                .sleeps()
                .iter()
                .any(|d| *d >= Duration::from_secs(min)),
            "{header:?}: {:?}",
            clock.sleeps()
        );
    }
}

#[test]
fn pax8_q48_v1_lists_use_size_not_limit() {
    // Quotes (v2, `limit`) are not implemented; v1 lists must never send `limit`.
    let reqs = [
        ListCompanies::new().request(0, 200),
        ListOrders::new().request(0, 200),
        ListInvoices::new().request(0, 200),
    ];
    for r in reqs {
        assert!(r.query.iter().any(|(k, _)| k == "size"));
        assert!(r.query.iter().all(|(k, _)| k != "limit"));
    }
}

#[test]
fn pax8_q50_https_only() {
    let fake = Fake::new();
    let clock = ManualClock::new();
    let err = client_with(&fake, &clock)
        .base_url("http://api.example.test/v1")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let err = client_with(&fake, &clock)
        .token_url("http://login.example.test/token")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)));
    client_with(&fake, &clock)
        .base_url("http://127.0.0.1:8080/v1")
        .build()
        .unwrap();
    client_with(&fake, &clock)
        .base_url("http://localhost:8080/v1")
        .build()
        .unwrap();
}

#[tokio::test]
async fn pax8_q51_put_500_not_retried() {
    let fake = Fake::new();
    fake.on(
        "PUT",
        "/v1/subscriptions/s1",
        vec![raw_reply(500, "<html>Internal Server Error</html>")],
    );
    let (c, _) = client(&fake);
    let err = c
        .subscriptions()
        .update("s1", &SubscriptionUpdate::new().quantity(3))
        .await
        .unwrap_err();
    assert_eq!(fake.api_calls().len(), 1);
    match err {
        Error::Server(api) => assert!(api.raw.contains("Internal Server Error")),
        other => panic!("expected Error::Server, got {other:?}"),
    }
    // Opting in retries it.
    let fake = Fake::new();
    fake.on(
        "PUT",
        "/v1/subscriptions/s1",
        vec![raw_reply(500, ""), json_reply(200, json!({"id": "s1"}))],
    );
    let clock = ManualClock::new();
    let c = client_with(&fake, &clock)
        .retry_writes(true)
        .build()
        .unwrap();
    c.subscriptions()
        .update("s1", &SubscriptionUpdate::new().quantity(3))
        .await
        .unwrap();
    assert_eq!(fake.api_calls().len(), 2);
}

#[tokio::test]
async fn pax8_q53_success_codes() {
    let fake = Fake::new();
    fake.on(
        "DELETE",
        "/v1/companies/c1/contacts/k1",
        vec![raw_reply(204, "")],
    );
    fake.on(
        "POST",
        "/v1/companies",
        vec![json_reply(201, json!({"id": "c9"}))],
    );
    let (c, _) = client(&fake);
    c.companies().contacts("c1").delete("k1").await.unwrap();
    let company = c
        .companies()
        .create(&NewCompany::new("X", Address::default(), "1", "x.example"))
        .await
        .unwrap();
    assert_eq!(company.id, Some(CompanyId::from("c9")));
}

#[tokio::test]
async fn pax8_q54_token_refresh() {
    let fake = Fake::with_company_c1();
    let clock = ManualClock::new();
    let c = client_with(&fake, &clock).build().unwrap();
    c.companies().get("c1").await.unwrap();
    assert_eq!(fake.token_calls(), 1);
    c.companies().get("c1").await.unwrap();
    assert_eq!(fake.token_calls(), 1, "the token is reused");
    // Close to expiry (24 h minus the margin and jitter): the next requests refresh first,
    // 50 of them at once make one token call.
    clock.advance(Duration::from_secs(86_400 - 300 + 1));
    let calls = (0..50).map(|_| {
        let c = c.clone();
        async move { c.companies().get("c1").await }
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(fake.token_calls(), 2);

    // A 401 answered by a new token and a 200: one token call, two API calls.
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/companies/c1",
        vec![
            json_reply(401, json!({"message": "expired"})),
            json_reply(200, json!({"id": "c1"})),
        ],
    );
    let (c, _) = client(&fake);
    let before = fake.token_calls();
    c.companies().get("c1").await.unwrap();
    assert_eq!(fake.calls_to("GET", "/v1/companies/c1"), 2);
    assert_eq!(
        fake.token_calls() - before,
        2,
        "first token, then one refresh after the 401"
    );
}

#[tokio::test]
async fn pax8_q54_hundred_concurrent_first_calls_make_one_token_request() {
    let fake = Fake::with_company_c1();
    let (c, _) = client(&fake);
    let calls = (0..100).map(|_| {
        let c = c.clone();
        async move { c.companies().get("c1").await }
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(fake.token_calls(), 1);
    assert_eq!(fake.api_calls().len(), 100);
}

#[tokio::test]
async fn token_from_disk_means_no_token_request_on_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::with_company_c1();
    let clock = ManualClock::new();
    let store = || -> Arc<dyn pax8::TokenStore> {
        Arc::new(billing_http_core::auth::store::FileStore::new(
            dir.path().to_path_buf(),
        ))
    };
    let first = client_with(&fake, &clock)
        .token_store(store())
        .build()
        .unwrap();
    first.companies().get("c1").await.unwrap();
    assert_eq!(fake.token_calls(), 1);
    drop(first);
    let second = client_with(&fake, &clock)
        .token_store(store())
        .build()
        .unwrap();
    second.companies().get("c1").await.unwrap();
    assert_eq!(
        fake.token_calls(),
        1,
        "the second process start reused the stored token"
    );
    let on_disk: String = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .collect();
    assert!(!on_disk.contains("example-client-secret"));
}

#[test]
fn secrets_never_show_in_debug() {
    let b = pax8::Client::builder().credentials("id", "super-secret-value");
    assert!(!format!("{b:?}").contains("super-secret-value"));
}

#[cfg(feature = "unstable-app-api")]
#[tokio::test]
async fn pax8_q49_app_api_path() {
    let fake = Fake::new();
    fake.on(
        "GET",
        "/p8p/api/v3/companies/c1/msTenantId",
        vec![json_reply(
            200,
            json!({"tenantId": "00000000-aaaa-4bbb-8ccc-dddddddddddd"}),
        )],
    );
    let clock = ManualClock::new();
    let c = client_with(&fake, &clock)
        .app_api_base_url("https://app.pax8.test/p8p/api/v3")
        .build()
        .unwrap();
    let t = c.ms_tenant_id("c1").await.unwrap();
    assert_eq!(
        t.tenant_id.as_deref(),
        Some("00000000-aaaa-4bbb-8ccc-dddddddddddd")
    );
    assert_eq!(
        fake.api_calls()[0].path,
        "/p8p/api/v3/companies/c1/msTenantId"
    );
}

#[cfg(feature = "webhooks")]
#[tokio::test]
async fn pax8_q47_webhooks() {
    use pax8::webhooks::*;
    let fake = Fake::new();
    let hook = json!({"id": "w1", "displayName": "Invoices", "url": "https://hooks.example.org/pax8", "authorization": "Bearer example-hook-secret", "active": true, "webhookTopics": [{"id": "t1", "topic": "INVOICE", "filters": [{"action": "CREATED", "conditions": []}]}], "lastDeliveryStatus": "SUCCESS"});
    let paged = json!({"content": [hook.clone()], "page": {"size": 200, "totalElements": 1, "totalPages": 1, "number": 0}});
    fake.on(
        "GET",
        "/api/v2/webhooks",
        vec![json_reply(200, paged.clone())],
    );
    for (method, path) in [
        ("POST", "/api/v2/webhooks"),
        ("GET", "/api/v2/webhooks/w1"),
        ("POST", "/api/v2/webhooks/w1/configuration"),
        ("POST", "/api/v2/webhooks/w1/status"),
        ("POST", "/api/v2/webhooks/w1/topics"),
        ("PUT", "/api/v2/webhooks/w1/topics"),
        ("POST", "/api/v2/webhooks/w1/topics/t1/configuration"),
    ] {
        fake.on(method, path, vec![json_reply(200, hook.clone())]);
    }
    fake.on("GET", "/api/v2/webhooks/topic-definitions", vec![json_reply(200, json!({"content": [{"topic": "INVOICE", "name": "Invoice"}], "page": {"size": 200, "totalElements": 1, "totalPages": 1, "number": 0}}))]);
    fake.on("DELETE", "/api/v2/webhooks/w1", vec![raw_reply(204, "")]);
    fake.on(
        "DELETE",
        "/api/v2/webhooks/w1/topics/t1",
        vec![raw_reply(204, "")],
    );
    fake.on(
        "POST",
        "/api/v2/webhooks/w1/topics/INVOICE/test",
        vec![json_reply(
            200,
            json!({"url": "https://hooks.example.org/pax8", "samplePayload": {}}),
        )],
    );
    fake.on("GET", "/api/v2/webhooks/w1/logs", vec![json_reply(200, json!({"content": [{"id": "l1", "webhookId": "w1", "finalStatus": "FAILED", "callHistory": [{"id": "a1", "status": "FAILED", "httpStatusCode": 500, "timestamp": "2031-01-02T03:04:05Z"}]}], "page": {"size": 200, "totalElements": 1, "totalPages": 1, "number": 0}}))]);
    fake.on(
        "GET",
        "/api/v2/webhooks/w1/logs/l1",
        vec![json_reply(
            200,
            json!({"id": "l1", "finalStatus": "RETRYING"}),
        )],
    );
    fake.on(
        "POST",
        "/api/v2/webhooks/w1/logs/l1/retry",
        vec![raw_reply(202, "")],
    );
    let clock = ManualClock::new();
    let c = client_with(&fake, &clock)
        .webhooks_base_url("https://api.pax8.test/api/v2")
        .build()
        .unwrap();
    let w = c.webhooks();
    let topic = WebhookTopic::new("INVOICE", vec![TopicFilter::action("CREATED")]);
    assert_eq!(
        w.list(ListWebhooks::default()).await.unwrap().content.len(),
        1
    );
    let created = w
        .create(
            &CreateWebhook::new(
                "Invoices",
                "https://hooks.example.org/pax8",
                "Bearer example-hook-secret",
            )
            .topic(topic.clone()),
        )
        .await
        .unwrap();
    assert!(
        !format!("{created:?}").contains("example-hook-secret"),
        "authorization redacted in Debug"
    );
    w.topic_definitions(ListTopicDefinitions::default())
        .await
        .unwrap();
    w.get("w1").await.unwrap();
    w.configure("w1", &WebhookConfiguration::default().error_threshold(5u32))
        .await
        .unwrap();
    w.set_active("w1", false).await.unwrap();
    w.add_topic("w1", &topic).await.unwrap();
    w.replace_topics("w1", std::slice::from_ref(&topic))
        .await
        .unwrap();
    w.configure_topic("w1", "t1", &topic.filters).await.unwrap();
    w.test("w1", "INVOICE").await.unwrap();
    let logs = w.logs("w1", ListWebhookLogs::default()).await.unwrap();
    assert_eq!(logs.content[0].call_history[0].http_status_code, Some(500));
    w.log("w1", "l1").await.unwrap();
    w.retry_log("w1", "l1").await.unwrap();
    w.delete_topic("w1", "t1").await.unwrap();
    w.delete("w1").await.unwrap();
    let calls = fake.api_calls();
    assert_eq!(calls.len(), 15, "W01..W15");
    assert!(calls.iter().all(|s| s.path.starts_with("/api/v2/webhooks")));
    let logs_call = calls
        .iter()
        .find(|s| s.path == "/api/v2/webhooks/w1/logs")
        .unwrap();
    assert!(
        logs_call.q("query").is_none(),
        "the spec's bogus `query` parameter is not sent"
    );
    assert_eq!(
        calls[1].json()["webhookTopics"][0]["topic"],
        json!("INVOICE")
    );

    // Receiver: constant-time check of the configured Authorization value, then the payload.
    let rx = WebhookReceiver::new("Bearer example-hook-secret");
    assert!(rx.verify(Some("Bearer example-hook-secret")));
    assert!(!rx.verify(Some("Bearer example-hook-secreT")));
    assert!(!rx.verify(Some("")));
    assert!(!rx.verify(None));
    let body = json!({"accountId": "acc-1", "webhookId": "w1", "sentAt": "2031-01-02T03:04:05.678+00:00", "webhookTopic": {"id": "t1", "topic": "INVOICE", "filters": []}, "payloadData": {"invoiceId": "i1"}}).to_string();
    let payload = rx
        .receive(Some("Bearer example-hook-secret"), body.as_bytes())
        .unwrap();
    assert_eq!(payload.webhook_topic.unwrap().topic, "INVOICE");
    assert!(payload.sent_at.unwrap().to_utc().is_some());
    assert_eq!(
        rx.receive(Some("wrong"), body.as_bytes()),
        Err(ReceiveError::Unauthorized)
    );
    assert!(matches!(
        rx.receive(Some("Bearer example-hook-secret"), b"not json"),
        Err(ReceiveError::InvalidBody(_))
    ));
    assert!(!format!("{rx:?}").contains("example-hook-secret"));
}

#[test]
fn pax8_q35_hand_written_models_cover_the_spec_defects() {
    // `Pricing.rates` lacks `type: array` in the spec and `Page` fields are untyped: the
    // hand-written models decode both, and the `PUT` body is its own all-optional type.
    let p: Pricing = serde_json::from_value(json!({"rates": [{"partnerBuyRate": "1.5"}]})).unwrap();
    assert_eq!(p.rates.len(), 1);
    let page: Page<Order> =
        serde_json::from_value(json!({"content": [], "page": {"size": "200", "number": 0.0}}))
            .unwrap();
    assert_eq!(page.page.unwrap().size, Some(200));
    assert_eq!(
        serde_json::to_value(SubscriptionUpdate::new().quantity(1)).unwrap(),
        json!({"quantity": 1})
    );
}

#[tokio::test]
async fn prefetch_continues_when_the_totals_grow_during_the_walk() {
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/orders",
        vec![
            json_reply(200, page(json!([{"id": "o1"}]), 1, 2, 2, 0)),
            json_reply(200, page(json!([{"id": "o2"}]), 1, 3, 3, 1)),
            json_reply(200, page(json!([{"id": "o3"}]), 1, 3, 3, 2)),
        ],
    );
    let (c, _) = client(&fake);
    let ids: Vec<String> = c
        .orders()
        .list_all(ListOrders::new())
        .prefetch(2)
        .map(|o| o.unwrap().id.unwrap().into_inner())
        .collect()
        .await;
    assert_eq!(ids, ["o1", "o2", "o3"]);
    assert_eq!(fake.api_calls().len(), 3);
}

#[tokio::test]
async fn prefetch_yields_the_error_of_a_failing_page_and_stops() {
    let fake = Fake::new();
    fake.on(
        "GET",
        "/v1/orders",
        vec![
            json_reply(200, page(json!([{"id": "o1"}]), 1, 3, 3, 0)),
            json_reply(422, json!({"message": "bad page"})),
        ],
    );
    let (c, _) = client(&fake);
    let items: Vec<_> = c
        .orders()
        .list_all(ListOrders::new())
        .prefetch(1)
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    assert!(matches!(items[1], Err(Error::Validation(_))));
}

#[tokio::test]
async fn base_url_with_or_without_trailing_slash_gives_the_same_urls_and_json_headers() {
    for base in ["https://api.pax8.test/v1", "https://api.pax8.test/v1/"] {
        let fake = Fake::with_company_c1();
        let clock = ManualClock::new();
        let c = client_with(&fake, &clock).base_url(base).build().unwrap();
        c.companies().get("c1").await.unwrap();
        let call = &fake.api_calls()[0];
        assert_eq!(call.path, "/v1/companies/c1", "{base}");
        assert_eq!(call.header("accept"), Some("application/json"));
        assert!(call.header("authorization").unwrap().starts_with("Bearer "));
    }
}

#[tokio::test]
async fn expires_in_out_of_range_never_breaks_auth() {
    let day = Duration::from_secs(86_400);
    let cases: Vec<(serde_json::Value, Duration)> = vec![
        (json!(-5), day),
        (json!(0), day),
        (json!(-0.5), day),
        (serde_json::from_str("1e30").unwrap(), day),
        (serde_json::from_str("18446744073709551616").unwrap(), day),
        (json!("soon"), day),
        (json!(null), day),
        (json!({"seconds": 60}), day),
        (json!([3600]), day),
        (json!("3600"), secs(3600)),
        (json!(3600.5), secs(3601)),
        (json!(86_400), day),
        (json!(172_800), day),
    ];
    let now = std::time::SystemTime::UNIX_EPOCH + secs(2_000_000_000);
    // beyond f64's range: no `serde_json::Value` holds it (the SDK does not turn on serde_json's
    // arbitrary_precision), so only as text
    let huge: pax8::auth::TokenResponse =
        serde_json::from_str(r#"{"access_token": "tok-1", "expires_in": 1e400}"#).unwrap();
    assert_eq!(
        huge.lifetime(now),
        day,
        "1e400 saturates and is clamped to 24 h"
    );
    for (expires_in, lifetime) in cases {
        let body =
            json!({"access_token": "tok-1", "token_type": "Bearer", "expires_in": expires_in});
        let token: pax8::auth::TokenResponse =
            serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{expires_in}: {e}"));
        assert_eq!(token.lifetime(now), lifetime, "{expires_in}");

        let fake = Fake::with_company_c1();
        fake.on("POST", "/oauth/token", vec![json_reply(200, body)]);
        let (c, _) = client(&fake);
        c.companies()
            .get("c1")
            .await
            .unwrap_or_else(|e| panic!("{expires_in}: {e}"));
    }
}
