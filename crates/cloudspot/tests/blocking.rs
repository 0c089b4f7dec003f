//! The blocking client (feature `blocking`) against the offline sandbox: the smoke tests of
//! `newcomer.rs` without async code, and its behaviour inside an async runtime.
#![cfg(feature = "blocking")]
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use billing_sandbox::{BackgroundSandbox, Sandbox, SandboxBuilder, Synthetic, Vendor};
use cloudspot::OptionalExt;
use cloudspot::blocking::Client;

/// A sandbox serving from a thread of its own, so the test thread stays outside any async
/// runtime, as a synchronous program's would.
fn start(builder: SandboxBuilder) -> BackgroundSandbox {
    builder.start_in_background().unwrap()
}

fn recorded() -> SandboxBuilder {
    let mut b = Sandbox::builder("cloudspot");
    for c in [
        "artikels_list",
        "artikels_get_not_found",
        "klanten_list",
        "categories_get",
    ] {
        b = b.cassette(&format!("cloudspot/{c}.json")).unwrap();
    }
    b
}

fn client(erp: &BackgroundSandbox) -> Client {
    Client::builder("my-company-token")
        .base_url(erp.url())
        .build()
        .unwrap()
}

#[test]
fn blocking_get_list_and_not_found() {
    let erp = start(recorded());
    let client = client(&erp);

    let category = client.categories().get(1).unwrap();
    assert_eq!(category.name.as_deref(), Some("Auto"));
    assert_eq!(client.articles().list().unwrap().len(), 6);
    let customers = client.customers().list().unwrap();
    assert!(cloudspot::find_customer(&customers, 1042).is_some());

    let missing = client.articles().get(999_999_999).unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    assert!(
        client
            .articles()
            .get(999_999_999)
            .optional()
            .unwrap()
            .is_none()
    );
}

#[test]
fn blocking_list_follows_next_links_over_several_pages() {
    let erp = start(
        Sandbox::stable(Vendor::Cloudspot)
            .without_synthetic()
            .synthetic(Synthetic::cloudspot_paginated(25, 10)),
    );
    let client = client(&erp);
    let articles = client.articles().list().unwrap();
    // the recorded list's 6 articles and 25 generated ones, in pages of 10
    assert_eq!(articles.len(), 31);
    let ids: HashSet<_> = articles.iter().filter_map(|a| a.id).collect();
    assert_eq!(
        ids.len(),
        articles.iter().filter(|a| a.id.is_some()).count(),
        "no article twice"
    );
    assert_eq!(erp.total(), 4, "{:?}", erp.counts());
}

#[test]
fn blocking_builder_has_the_async_vocabulary_and_validation() {
    let erp = start(recorded());
    let client = Client::builder("my-company-token")
        .base_url(format!("{}/", erp.url()))
        .timeout(std::time::Duration::from_secs(5))
        .connect_timeout(std::time::Duration::from_secs(2))
        .retry(cloudspot::RetryPolicy::default())
        .rate_limit(cloudspot::Quota::per_second(20))
        .user_agent("blocking/1")
        .max_pages(10)
        .build()
        .unwrap();
    assert_eq!(client.customers().list().unwrap().len(), 6);
    // clones share the runtime
    let clone = client.clone();
    drop(client);
    assert_eq!(clone.customers().list().unwrap().len(), 6);
    // an async client wrapped, sharing its settings
    let wrapped = Client::from_async(
        cloudspot::Client::builder("my-company-token")
            .base_url(erp.url())
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(wrapped.as_async().base_url(), wrapped.base_url());
    assert_eq!(wrapped.customers().list().unwrap().len(), 6);
    let err = Client::builder("token\r\nX-Other: 1").build().unwrap_err();
    assert!(err.is_invalid_input() && !err.may_have_reached_server());
}

#[tokio::test]
async fn blocking_client_inside_a_runtime_is_an_error_not_a_panic() {
    let erp = Sandbox::start(Vendor::Cloudspot).await.unwrap();
    let client = Client::builder("my-company-token")
        .base_url(erp.url())
        .build()
        .unwrap();
    let err = client.articles().list().unwrap_err();
    assert!(err.is_invalid_input(), "{err:?}");
    assert!(!err.may_have_reached_server(), "{err:?}");
    assert!(
        err.to_string().contains(
            "the blocking client cannot be used inside an async runtime; use the async client"
        ),
        "{err}"
    );
    assert_eq!(erp.total(), 0, "nothing was sent");
    // dropped inside the runtime: no panic
    drop(client);
}

#[test]
fn blocking_client_dropped_inside_a_runtime_does_not_panic() {
    let erp = start(recorded());
    let client = client(&erp);
    // the client has run calls: its runtime holds a pooled connection
    assert_eq!(client.articles().list().unwrap().len(), 6);
    // inside an async context, where dropping a runtime the usual way panics
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            drop(client);
        });
}
