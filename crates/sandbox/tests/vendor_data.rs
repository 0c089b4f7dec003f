//! Synthetic data that behaves like the vendor: filters, pages, sorting, unknown ids, and
//! writes that later reads see (per sandbox instance), observed over HTTP on stable sandboxes.
#![allow(clippy::unwrap_used)]

use billing_sandbox::{Sandbox, Synthetic, Vendor, pax8_company_id, ppms_login};
use serde_json::{Value, json};

/// A reqwest client with billing-http-core's TLS settings (the workspace builds reqwest with
/// rustls but no process-wide crypto provider, so `reqwest::get` has none).
fn http() -> reqwest::Client {
    let tls = billing_http_core::TlsConfig::default();
    tls.reqwest_builder().unwrap().build().unwrap()
}

async fn get(sb: &Sandbox, path: &str) -> (u16, Value) {
    let r = http().get(sb.url_for(path)).send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.bytes().await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn send(sb: &Sandbox, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let r = http()
        .request(method.parse().unwrap(), sb.url_for(path))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.bytes().await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn content(page: &Value) -> &Vec<Value> {
    page["content"].as_array().unwrap()
}

// ─────────────────────────────────────────── Pax8 ───────────────────────────────────────────

#[tokio::test]
async fn pax8_company_id_filter_returns_only_that_companys_subscriptions_and_403_for_an_unknown_one()
 {
    let sb = Sandbox::start(Vendor::Pax8).await.unwrap();
    // The default tenant: 11 companies, 200 subscriptions spread over them.
    let company = pax8_company_id(3);
    let (status, page) = get(
        &sb,
        &format!("subscriptions?companyId={company}&page=0&size=200"),
    )
    .await;
    assert_eq!(status, 200);
    let subs = content(&page);
    assert!(!subs.is_empty());
    assert!(
        subs.iter().all(|s| s["companyId"] == company.as_str()),
        "{subs:?}"
    );
    assert_eq!(page["page"]["totalElements"], subs.len());
    let (_, all) = get(&sb, "subscriptions?page=0&size=200").await;
    assert!(all["page"]["totalElements"].as_u64().unwrap() > subs.len() as u64);

    for unknown in [pax8_company_id(99_999), "not-a-company".to_owned()] {
        let (status, error) = get(
            &sb,
            &format!("subscriptions?companyId={unknown}&page=0&size=200"),
        )
        .await;
        assert_eq!(status, 403, "{unknown}: {error}");
        assert_eq!(error["message"], "Invalid companyId");
    }
}

#[tokio::test]
async fn pax8_subscription_filters_sort_and_pages() {
    let sb = Sandbox::start(Vendor::Pax8).await.unwrap();
    let (_, active) = get(
        &sb,
        "subscriptions?status=Active&billingTerm=Annual&size=200",
    )
    .await;
    let items = content(&active);
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|s| s["status"] == "Active" && s["billingTerm"] == "Annual")
    );

    let product = &items[0]["productId"];
    let (_, by_product) = get(
        &sb,
        &format!(
            "subscriptions?productId={}&size=200",
            product.as_str().unwrap()
        ),
    )
    .await;
    assert!(
        content(&by_product)
            .iter()
            .all(|s| s["productId"] == *product)
    );

    let (_, sorted) = get(&sb, "subscriptions?sort=price,desc&size=50").await;
    let prices: Vec<f64> = content(&sorted)
        .iter()
        .map(|s| s["price"].as_f64().unwrap())
        .collect();
    assert!(prices.windows(2).all(|w| w[0] >= w[1]), "{prices:?}");

    let (_, first) = get(&sb, "subscriptions?page=0&size=7").await;
    let (_, second) = get(&sb, "subscriptions?page=1&size=7").await;
    assert_eq!(content(&first).len(), 7);
    assert_ne!(content(&first)[0]["id"], content(&second)[0]["id"]);
    assert_eq!(second["page"]["number"], 1);
    let (_, past) = get(&sb, "subscriptions?page=999&size=200").await;
    assert!(content(&past).is_empty());
}

#[tokio::test]
async fn pax8_company_filters_sort_and_unknown_ids() {
    let sb = Sandbox::start(Vendor::Pax8).await.unwrap();
    let (_, belgian) = get(&sb, "companies?country=BE&size=200").await;
    assert!(!content(&belgian).is_empty());
    assert!(
        content(&belgian)
            .iter()
            .all(|c| c["address"]["country"] == "BE")
    );
    let (_, by_name) = get(&sb, "companies?sort=name,desc&size=200").await;
    let names: Vec<&str> = content(&by_name)
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.windows(2).all(|w| w[0] >= w[1]), "{names:?}");

    let (status, error) = get(&sb, &format!("companies/{}", pax8_company_id(5_000))).await;
    assert_eq!((status, error["type"].as_str()), (404, Some("NOT_FOUND")));
    // A recorded company keeps answering as recorded.
    let (status, recorded) = get(&sb, "companies/11111111-2222-4333-8444-555555555555").await;
    assert_eq!(status, 200);
    assert_eq!(recorded["name"], "Example Widgets Ltd");
    let (status, _) = get(&sb, &format!("orders?companyId={}", pax8_company_id(5_000))).await;
    assert_eq!(status, 404);
}

fn primary_contact() -> Value {
    json!({
        "firstName": "Jane", "lastName": "Doe", "email": "jane.doe@example.org",
        "types": [
            {"type": "Admin", "primary": true},
            {"type": "Billing", "primary": true},
            {"type": "Technical", "primary": true}
        ]
    })
}

#[tokio::test]
async fn pax8_writes_are_seen_by_later_reads_of_the_same_sandbox_only() {
    let sb = Sandbox::start(Vendor::Pax8).await.unwrap();
    let (status, company) = send(
        &sb,
        "POST",
        "companies",
        &json!({"name": "New Co", "address": {"country": "BE"}, "contacts": [primary_contact()]}),
    )
    .await;
    assert_eq!(status, 200, "{company}");
    assert_eq!(company["status"], "Active");
    let id = company["id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&sb, &format!("companies/{id}")).await.1["name"],
        "New Co"
    );
    let (_, listed) = get(&sb, "companies?country=BE&size=200").await;
    assert!(content(&listed).iter().any(|c| c["id"] == id.as_str()));

    // contacts: create, replace, delete
    let contacts = format!("companies/{id}/contacts");
    let (_, extra) = send(
        &sb,
        "POST",
        &contacts,
        &json!({"firstName": "John", "types": []}),
    )
    .await;
    let cid = extra["id"].as_str().unwrap().to_owned();
    assert_eq!(
        content(&get(&sb, &contacts).await.1)[0]["id"],
        cid.as_str(),
        "newest first"
    );
    let (status, replaced) = send(
        &sb,
        "PUT",
        &format!("{contacts}/{cid}"),
        &json!({"firstName": "Johnny"}),
    )
    .await;
    assert_eq!(
        (status, replaced["firstName"].as_str()),
        (200, Some("Johnny"))
    );
    let (status, _) = send(&sb, "DELETE", &format!("{contacts}/{cid}"), &json!({})).await;
    assert_eq!(status, 204);
    assert_eq!(get(&sb, &format!("{contacts}/{cid}")).await.0, 404);
    assert_eq!(content(&get(&sb, &contacts).await.1).len(), 1);

    // an order creates subscriptions; a mock order persists nothing
    let order = json!({"companyId": id, "lineItems": [
        {"productId": "p-1", "quantity": 2, "billingTerm": "Monthly", "lineItemNumber": 1}
    ]});
    let (status, mock) = send(&sb, "POST", "orders?isMock=true", &order).await;
    assert_eq!(status, 200, "{mock}");
    assert_eq!(
        get(&sb, &format!("orders?companyId={id}")).await.1["page"]["totalElements"],
        0
    );
    let (_, created) = send(&sb, "POST", "orders", &order).await;
    let (_, orders) = get(&sb, &format!("orders?companyId={id}")).await;
    assert_eq!(content(&orders)[0]["id"], created["id"]);
    let (_, subs) = get(&sb, &format!("subscriptions?companyId={id}")).await;
    assert_eq!(content(&subs).len(), 1);
    assert_eq!(
        content(&subs)[0]["id"],
        created["lineItems"][0]["subscriptionId"]
    );

    // an Inactive company cannot order
    let (_, inactive) = send(&sb, "POST", "companies", &json!({"name": "No Contacts"})).await;
    assert_eq!(inactive["status"], "Inactive");
    let bad = json!({"companyId": inactive["id"], "lineItems": order["lineItems"]});
    assert_eq!(send(&sb, "POST", "orders", &bad).await.0, 422);

    // another sandbox knows nothing of it
    let other = Sandbox::start(Vendor::Pax8).await.unwrap();
    assert_eq!(get(&other, &format!("companies/{id}")).await.0, 404);
}

#[tokio::test]
async fn pax8_large_unfiltered_lists_page_by_index() {
    let sb = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(20, 45_000, 10))
        .start()
        .await
        .unwrap();
    let (_, last) = get(&sb, "orders?page=224&size=200").await;
    assert_eq!(content(&last).len(), 200);
    assert_eq!(last["page"]["totalPages"], 225);
    let (_, one_company) = get(
        &sb,
        &format!("orders?companyId={}&size=200", pax8_company_id(7)),
    )
    .await;
    assert_eq!(one_company["page"]["totalElements"], 45_000 / 20);
}

// ─────────────────────────────────────────── PPMS ───────────────────────────────────────────

async fn pumapi(sb: &Sandbox, form: &[(&str, &str)]) -> (u16, String) {
    let r = http()
        .post(sb.url_for("pumapi/"))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn lines(body: &str) -> Vec<&str> {
    body.split("\r\n").filter(|l| !l.is_empty()).collect()
}

#[tokio::test]
async fn ppms_active_filter_and_unknown_logins() {
    let sb = Sandbox::start(Vendor::Ppms).await.unwrap();
    let users = async |active: Option<&str>| {
        let mut form = vec![("action", "getusers"), ("apikey", "k")];
        form.extend(active.map(|a| ("active", a)));
        pumapi(&sb, &form).await.1
    };
    let (all, active, inactive) = (
        users(None).await,
        users(Some("true")).await,
        users(Some("false")).await,
    );
    assert_eq!(lines(&active).len(), 100);
    assert_eq!(lines(&inactive).len(), 10);
    assert_eq!(lines(&all).len(), 110);
    let inactive_login = lines(&inactive)[0].to_owned();
    assert_eq!(inactive_login, ppms_login(100));
    let (_, row) = pumapi(&sb, &[("action", "getuser"), ("login", &inactive_login)]).await;
    assert!(row.trim_end().ends_with(",false"), "{row}");
    let (_, row) = pumapi(&sb, &[("action", "getuser"), ("login", &ppms_login(0))]).await;
    assert!(row.trim_end().ends_with(",true"), "{row}");

    // unknown logins: an empty body; a recorded login answers as recorded
    assert_eq!(
        pumapi(&sb, &[("action", "getuser"), ("login", "nobody")]).await,
        (200, String::new())
    );
    let (_, jdoe) = pumapi(&sb, &[("action", "getuser"), ("login", "jdoe")]).await;
    assert!(jdoe.contains("\"jdoe\",\"Doe\""), "{jdoe}");
}

#[tokio::test]
async fn ppms_createorder_is_listed_by_getorders_after_the_recorded_orders() {
    let sb = Sandbox::start(Vendor::Ppms).await.unwrap();
    let (_, before) = pumapi(&sb, &[("action", "getorders")]).await;
    let (status, reference) = pumapi(
        &sb,
        &[
            ("action", "createorder"),
            ("login", "user00001"),
            ("serviceid", "112"),
            ("quantity", "3"),
            ("scomments", "marker-42"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let reference = reference.trim().to_owned();
    assert!(reference.bytes().all(|b| b.is_ascii_digit()), "{reference}");
    let (_, after) = pumapi(&sb, &[("action", "getorders")]).await;
    assert!(after.starts_with(&before), "recorded rows first:\n{after}");
    let new_row = lines(&after).last().unwrap().to_owned();
    assert!(
        new_row.contains(&reference) && new_row.contains("marker-42"),
        "{new_row}"
    );
    let (_, order_lines) = pumapi(
        &sb,
        &[("action", "getorderlines"), ("orderref", &reference)],
    )
    .await;
    assert!(
        order_lines.starts_with(&format!("Order {reference}\r\n")),
        "{order_lines}"
    );

    let other = Sandbox::start(Vendor::Ppms).await.unwrap();
    assert_eq!(pumapi(&other, &[("action", "getorders")]).await.1, before);
}

// ───────────────────────────────────────── Cloudspot ─────────────────────────────────────────

#[tokio::test]
async fn cloudspot_id_lookups_answer_one_item_or_an_empty_list() {
    let sb = Sandbox::start(Vendor::Cloudspot).await.unwrap();
    let (_, list) = get(&sb, "artikels/").await;
    let first = list["data"][0]["id"].clone();
    let (_, one) = get(&sb, &format!("artikels/?id={first}")).await;
    assert_eq!(one["data"].as_array().unwrap().len(), 1);
    assert_eq!(one["data"][0], list["data"][0]);
    assert_eq!(
        get(&sb, "artikels/?id=424242").await,
        (200, json!({"data": []}))
    );
    // a nested category is found too
    let (_, nested) = get(&sb, "categories/?id=8").await;
    assert_eq!(nested["data"][0]["naam"], "Motorolie");
}

#[tokio::test]
async fn cloudspot_pages_are_linked_by_next_on_the_sandbox() {
    let sb = Sandbox::stable(Vendor::Cloudspot)
        .without_synthetic()
        .synthetic(Synthetic::cloudspot_paginated(25, 10))
        .start()
        .await
        .unwrap();
    let mut url = sb.url_for("artikels/");
    let mut ids = Vec::new();
    for _ in 0..10 {
        let bytes = http()
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let page: Value = serde_json::from_slice(&bytes).unwrap();
        ids.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].clone()),
        );
        match page["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&sb.url()), "{next}");
                url = next.to_owned();
            }
            None => break,
        }
    }
    let (_, all) = get(&sb, "artikels/").await;
    assert_eq!(all["count"].as_u64(), Some(ids.len() as u64));
    assert!(ids.len() > 25, "recorded plus 25 generated: {}", ids.len());
    // Each item once (the recordings hold two items without an id, CS-Q06).
    let mut with_id: Vec<String> = ids
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| v.to_string())
        .collect();
    let n = with_id.len();
    with_id.sort();
    with_id.dedup();
    assert_eq!(with_id.len(), n);
}
