//! Synthetic data sets: PPMS users and paginated Pax8 lists, generated per request.
#![allow(clippy::unwrap_used)]

use billing_sandbox::{Sandbox, Synthetic, pax8_company_id, ppms_login};
use serde_json::Value;

/// A reqwest client with http-core's TLS settings (reqwest is built without a default crypto
/// provider).
fn http() -> reqwest::Client {
    billing_http_core::TlsConfig::default()
        .reqwest_builder()
        .unwrap()
        .build()
        .unwrap()
}

async fn pumapi(sb: &Sandbox, form: &[(&str, &str)]) -> (u16, String) {
    let r = http()
        .post(sb.url_for("site/pumapi/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&"),
        )
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn ppms_users_lists_and_answers_each_user() {
    let sb = Sandbox::builder("ppms")
        .synthetic(Synthetic::ppms_users(2500))
        .start()
        .await
        .unwrap();
    let (status, body) = pumapi(&sb, &[("action", "getusers"), ("apikey", "k")]).await;
    assert_eq!(status, 200);
    let logins: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(logins.len(), 2500);
    assert_eq!(logins[2499], ppms_login(2499));
    assert!(body.ends_with("\r\n"));

    let login = ppms_login(1234);
    let (_, user) = pumapi(&sb, &[("action", "getuser"), ("login", &login)]).await;
    let lines: Vec<&str> = user.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 2, "{user}");
    assert!(lines[0].starts_with("login,lname,fname,email"));
    assert!(lines[1].starts_with(&format!("\"{login}\",")));
    assert!(lines[1].contains("@example.org"));

    let (status, unknown) = pumapi(&sb, &[("action", "getuser"), ("login", "user99999")]).await;
    assert_eq!((status, unknown.as_str()), (200, ""));
    assert_eq!(sb.count("POST /site/pumapi/ getuser"), 2);
    assert_eq!(sb.count("POST /site/pumapi/ getusers"), 1);
}

async fn get_json(sb: &Sandbox, path: &str) -> (u16, Value) {
    let r = http().get(sb.url_for(path)).send().await.unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn pax8_lists_are_paginated_in_the_content_page_envelope() {
    let sb = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(450, 20_000, 30))
        .start()
        .await
        .unwrap();
    let (_, first) = get_json(&sb, "companies?page=0&size=200").await;
    assert_eq!(first["content"].as_array().unwrap().len(), 200);
    assert_eq!(first["page"]["totalElements"], 450);
    assert_eq!(first["page"]["totalPages"], 3);
    assert_eq!(first["page"]["number"], 0);
    let (_, last) = get_json(&sb, "companies?page=2&size=200").await;
    assert_eq!(last["content"].as_array().unwrap().len(), 50);
    let (_, past) = get_json(&sb, "companies?page=3&size=200").await;
    assert!(past["content"].as_array().unwrap().is_empty());
    // Default size 10, size clamped to 200.
    let (_, default) = get_json(&sb, "subscriptions").await;
    assert_eq!(default["content"].as_array().unwrap().len(), 10);
    assert_eq!(default["page"]["size"], 10);
    let (_, big) = get_json(&sb, "orders?size=5000&page=99").await;
    assert_eq!(big["page"]["size"], 200);
    assert_eq!(big["page"]["totalPages"], 100);
    assert_eq!(big["content"].as_array().unwrap().len(), 200);
    // Orders point at existing companies.
    let company = big["content"][0]["companyId"].as_str().unwrap().to_owned();
    let (status, one) = get_json(&sb, &format!("companies/{company}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["id"], company.as_str());
    let (status, _) = get_json(&sb, &format!("companies/{}", pax8_company_id(450))).await;
    assert_eq!(status, 404);
    assert_eq!(sb.count("GET /companies"), 3);
    assert_eq!(sb.count("GET /orders"), 1);
}

#[tokio::test]
async fn pax8_token_endpoint_answers_a_bearer_token() {
    let sb = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(1, 1, 1))
        .start()
        .await
        .unwrap();
    let r = http()
        .post(sb.url_for("token"))
        .header("content-type", "application/json")
        .body(r#"{"client_id": "x", "client_secret": "y"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["expires_in"].as_u64().unwrap() > 0);
    assert_eq!(sb.count("POST /token"), 1);
}
