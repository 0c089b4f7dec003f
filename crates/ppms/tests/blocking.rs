//! The blocking client (feature `blocking`) against the offline sandbox: the smoke tests of
//! `newcomer.rs` without async code, and its behaviour inside an async runtime.
#![cfg(feature = "blocking")]
#![allow(clippy::unwrap_used)]

use billing_sandbox::{BackgroundSandbox, Sandbox, SandboxBuilder, Synthetic};
use ppms::blocking::Client;
use ppms::{BulkOptions, CreateOutcome, NewOrder, OptionalExt, OrderRef, ServiceId};

/// A sandbox serving from a thread of its own, so the test thread stays outside any async
/// runtime, as a synchronous program's would.
fn start(builder: SandboxBuilder) -> BackgroundSandbox {
    builder.start_in_background().unwrap()
}

/// `users` synthetic users (`user00000`, …) and the recorded systems.
fn sandbox(users: usize) -> BackgroundSandbox {
    start(
        Sandbox::builder("ppms")
            .cassette("ppms/getsystems.json")
            .unwrap()
            .cassette("ppms/getsystem.json")
            .unwrap()
            .synthetic(Synthetic::ppms_users(users)),
    )
}

fn client(p: &BackgroundSandbox) -> Client {
    Client::builder(p.url()).api_key("my-key").build().unwrap()
}

#[test]
fn blocking_get_list_and_not_found() {
    let p = sandbox(10);
    let client = client(&p);

    let user = client.users().get("user00003").unwrap();
    assert_eq!(user.email.as_deref(), Some("user00003@example.org"));
    assert_eq!(
        client
            .users()
            .list(ppms::ActiveFilter::Active)
            .unwrap()
            .len(),
        10
    );
    let logins = client.users().list(ppms::ActiveFilter::Active).unwrap();
    let lines = client
        .users()
        .list_lines(ppms::ActiveFilter::Active)
        .unwrap();
    assert_eq!(lines.into_vec(), logins);
    let systems = client.systems().list().unwrap();
    let names: Vec<_> = systems.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Confocal 1", "Sorter 2"]);
    let table = client.systems().list_table().unwrap();
    assert_eq!(table.iter().map(|s| s.name).collect::<Vec<_>>(), names);
    assert_eq!(client.systems().get(17).unwrap().name, "Confocal 1");

    let err = client.users().get("nobody").unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(client.users().get("nobody").optional().unwrap().is_none());
}

#[test]
fn blocking_bulk_details_of_every_active_user() {
    let p = sandbox(120);
    let client = client(&p);
    let (emails, details) = client
        .users()
        .active_emails(&BulkOptions::default())
        .unwrap();
    assert_eq!(emails.len(), 120);
    assert!(details.failures.is_empty());
    assert_eq!(p.count("POST /pumapi/ getuser"), 120);
    let some = client
        .users()
        .details(
            vec!["user00001".into(), "user00002".into()],
            &BulkOptions::default(),
        )
        .unwrap();
    assert_eq!(some.users.len(), 2);
}

#[test]
fn blocking_order_created_once() {
    let p = start(
        Sandbox::builder("ppms")
            .cassette("ppms/createorder.json")
            .unwrap()
            .cassette("ppms/getorders.json")
            .unwrap(),
    );
    let client = client(&p);
    let order = NewOrder::new(ServiceId(112), "jdoe", 2);
    let created = client
        .orders()
        .create(&order.clone().staff_comments("ref-2024-0001"))
        .unwrap();
    assert_eq!(created, OrderRef(48213));
    let again = client
        .orders()
        .create_once(&order, "ref-2024-0001")
        .unwrap();
    assert_eq!(again, CreateOutcome::Existing(OrderRef(48213)));
    assert_eq!(p.count("POST /pumapi/ createorder"), 1);
}

#[tokio::test]
async fn blocking_client_inside_a_runtime_is_an_error_not_a_panic() {
    let sandbox = Sandbox::builder("ppms")
        .synthetic(Synthetic::ppms_users(3))
        .start()
        .await
        .unwrap();
    let client = Client::builder(sandbox.url())
        .api_key("my-key")
        .build()
        .unwrap();
    let err = client.users().get("user00001").unwrap_err();
    assert!(
        err.is_invalid_input() && !err.may_have_reached_server(),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(
            "the blocking client cannot be used inside an async runtime; use the async client"
        ),
        "{err}"
    );
    // the bulk calls that cannot fail in the async API fail here too
    let bulk = client
        .users()
        .details(vec!["user00001".into()], &BulkOptions::default())
        .unwrap_err();
    assert!(bulk.is_invalid_input(), "{bulk:?}");
    assert_eq!(sandbox.total(), 0, "nothing was sent");
    // dropped inside the runtime: no panic
    drop(client);
}

#[test]
fn blocking_client_dropped_inside_a_runtime_does_not_panic() {
    let p = sandbox(3);
    let client = client(&p);
    assert!(client.users().get("user00001").is_ok());
    // inside an async context, where dropping a runtime the usual way panics
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            drop(client);
        });
}
