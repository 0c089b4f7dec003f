//! The blocking client (feature `blocking`) against the offline sandbox: the smoke tests of
//! `newcomer.rs` without async code, and its behaviour inside an async runtime.
#![cfg(feature = "blocking")]
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use billing_sandbox::{BackgroundSandbox, Sandbox, SandboxBuilder, Synthetic};
use pax8::blocking::Client;
use pax8::{
    BillingTerm, CompanyId, CreateLineItem, CreateOrder, ListCompanies, ListOrders, OptionalExt,
    OrderedBy,
};

/// A sandbox serving from a thread of its own, so the test thread stays outside any async
/// runtime, as a synchronous program's would.
fn start(builder: SandboxBuilder) -> BackgroundSandbox {
    builder.start_in_background().unwrap()
}

fn sandbox() -> BackgroundSandbox {
    start(
        Sandbox::builder("pax8")
            .all_fixtures()
            .unwrap()
            .synthetic(Synthetic::pax8(42, 1_000, 250)),
    )
}

fn client(base: &str) -> Client {
    Client::builder()
        .credentials("my-client-id", "my-client-secret")
        .base_url(base)
        .token_url(format!("{base}/token"))
        .build()
        .unwrap()
}

fn base(p: &BackgroundSandbox) -> String {
    p.url().trim_end_matches('/').to_owned()
}

#[test]
fn blocking_get_list_and_not_found() {
    let p = sandbox();
    let client = client(&base(&p));

    let page = client.companies().list(ListCompanies::new()).unwrap();
    assert_eq!(page.page.and_then(|i| i.total_elements), Some(42));
    let first = page.content[0].id.clone().unwrap();
    assert_eq!(
        client.companies().get(first.clone()).unwrap().id,
        Some(first)
    );

    let missing = CompanyId::from("00000000-0000-4000-8000-000000000000");
    let err = client.companies().get(&missing).unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.status(), Some(pax8::StatusCode::NOT_FOUND));
    assert!(
        client
            .companies()
            .get(missing)
            .optional()
            .unwrap()
            .is_none()
    );
}

#[test]
fn blocking_list_all_iterates_every_page_lazily() {
    let p = sandbox();
    let client = client(&base(&p));

    // three items need only the first page
    let three: Vec<_> = client
        .orders()
        .list_all(ListOrders::new().size(100u32))
        .take(3)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(three.len(), 3);
    assert_eq!(p.count("GET /orders"), 1, "{:?}", p.counts());

    // every order, ten pages, each exactly once
    let mut ids = HashSet::new();
    for order in client.orders().list_all(ListOrders::new().size(100u32)) {
        assert!(ids.insert(order.unwrap().id.unwrap()), "an order twice");
    }
    assert_eq!(ids.len(), 1_000);
    assert_eq!(p.count("GET /orders"), 1 + 10);
    static_assertions();

    // pages fetched ahead: the async paginator with prefetch, run on the client's runtime
    let prefetched = client
        .iter(
            client
                .as_async()
                .orders()
                .list_all(ListOrders::new().size(100u32))
                .prefetch(4),
        )
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(prefetched.len(), 1_000);

    let companies = client
        .companies()
        .list_all(Default::default())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(companies.len(), 42);
}

#[test]
fn blocking_dry_run_order_is_validated() {
    let p = sandbox();
    let client = client(&base(&p));
    let order = CreateOrder::new("11111111-2222-4333-8444-555555555555")
        .ordered_by(OrderedBy::Pax8Partner)
        .ordered_by_user_email("jane.doe@example.org")
        .line(
            CreateLineItem::new(
                "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
                3,
                BillingTerm::Annual,
            )
            .commitment("99999999-8888-4777-8666-555555555555")
            .provision_start("2031-06-01T00:00:00Z".parse().unwrap())
            .provisioning(pax8::ProvisioningValue::single(
                "exampleDomainPrefix",
                "examplewidgets",
            )),
        );
    let checked = client.orders().validate(&order).unwrap();
    assert_eq!(checked.line_items.len(), 1);
}

#[test]
fn blocking_builder_errors_are_the_async_ones() {
    let err = Client::builder().build().unwrap_err();
    let async_err = pax8::Client::builder().build().unwrap_err();
    assert!(err.is_invalid_input(), "{err:?}");
    assert_eq!(err.to_string(), async_err.to_string());
}

#[tokio::test]
async fn blocking_client_inside_a_runtime_is_an_error_not_a_panic() {
    let sandbox = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(3, 3, 3))
        .start()
        .await
        .unwrap();
    let client = client(sandbox.url().trim_end_matches('/'));
    let err = client.companies().list(ListCompanies::new()).unwrap_err();
    assert!(matches!(err, pax8::Error::Config(_)), "{err:?}");
    assert!(err.is_invalid_input() && !err.may_have_reached_server());
    assert!(
        err.to_string().contains(
            "the blocking client cannot be used inside an async runtime; use the async client"
        ),
        "{err}"
    );
    // an iterator yields the error once, then ends
    let mut all = client.companies().list_all(ListCompanies::new());
    assert!(
        all.next()
            .is_some_and(|r| r.is_err_and(|e| e.is_invalid_input()))
    );
    assert!(all.next().is_none());
    assert_eq!(sandbox.total(), 0, "nothing was sent");
    // dropped inside the runtime: no panic
    drop(all);
    drop(client);
}

#[test]
fn blocking_client_dropped_inside_a_runtime_does_not_panic() {
    let p = sandbox();
    let client = client(&base(&p));
    // a walk left half-way: the client's runtime holds a connection and a token
    let mut orders = client.orders().list_all(ListOrders::new().size(10u32));
    assert!(orders.next().is_some_and(|o| o.is_ok()));
    // inside an async context, where dropping a runtime the usual way panics
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            drop(orders);
            drop(client);
        });
}

/// A blocking client can be shared by threads; its iterators can move to another thread.
fn static_assertions() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Client>();
    send_sync::<pax8::blocking::Companies>();
    send::<pax8::blocking::ListAll<pax8::Order>>();
}
