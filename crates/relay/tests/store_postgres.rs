//! The Postgres store's guarantees against a real server (reference §7; issue 12 item 2):
//! the same rules as the SQLite store, and several nodes (several `PgStore`s on one database)
//! sharing one tenant's work without a line claimed twice.
//!
//! Runs when `RELAY_TEST_POSTGRES_URL` names a database the tests may create schemas in
//! (`.ci/run` starts PostgreSQL and sets it); without it each test prints a notice and passes,
//! except under `CI=true`, where a missing server is a failure. Each test works in a schema of
//! its own, so tests run in parallel and leave nothing behind that another run could read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

mod common;
mod store_cases;

use billing_relay::model::Status;
use billing_relay::store::postgres::{PgOptions, PgStore};
use billing_relay::store::{Settlement, Store};
use store_cases::{T0, l, lease};

/// A fresh schema on the test server, or `None` (with a notice) when none is configured.
async fn pg() -> Option<(Arc<PgStore>, PgOptions)> {
    let mut options = PgOptions::new(common::postgres_test_url()?);
    options.schema = Some(common::unique_schema("relay_test"));
    let store = PgStore::open(options.clone()).await.expect("open postgres");
    Some((store, options))
}

#[tokio::test]
async fn postgres_unique_per_tenant_also_under_concurrent_inserts() {
    if let Some((s, _)) = pg().await {
        store_cases::unique_per_tenant(s).await;
    }
}

#[tokio::test]
async fn postgres_one_line_in_flight_per_slot() {
    if let Some((s, _)) = pg().await {
        store_cases::one_in_flight_per_slot(s).await;
    }
}

#[tokio::test]
async fn postgres_a_line_is_not_claimed_before_it_is_due() {
    if let Some((s, _)) = pg().await {
        store_cases::not_claimed_before_due(s).await;
    }
}

#[tokio::test]
async fn postgres_stale_leases_are_taken_over_once_and_keep_their_slot() {
    if let Some((s, _)) = pg().await {
        store_cases::stale_leases_taken_over_once(s).await;
    }
}

#[tokio::test]
async fn postgres_reads_do_not_modify() {
    if let Some((s, _)) = pg().await {
        store_cases::reads_do_not_modify(s).await;
    }
}

#[tokio::test]
async fn postgres_settle_and_claim_claims_the_next_line_only_when_the_settlement_holds() {
    if let Some((s, _)) = pg().await {
        store_cases::settle_and_claim_holds(s).await;
    }
}

#[tokio::test]
async fn postgres_store_is_shared_so_recovery_takes_over_only_expired_leases() {
    if let Some((s, _)) = pg().await {
        assert!(!s.single_node());
    }
}

/// Two relay nodes on one database: 4 claimers per node race for one tenant's 200 lines, each
/// settling what it claims. Every line is completed exactly once, and in the tenant's order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_nodes_complete_every_line_exactly_once_in_order() {
    let Some((node_a, options)) = pg().await else {
        return;
    };
    let node_b = PgStore::open(options).await.unwrap();
    const LINES: usize = 200;
    for i in 0..LINES {
        node_a
            .insert_line("t", &l(&format!("{i:04}")), T0)
            .await
            .unwrap();
    }
    let claimed = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for (n, node) in [node_a.clone(), node_b.clone()].into_iter().enumerate() {
        for w in 0..4 {
            let (node, claimed) = (node.clone(), claimed.clone());
            tasks.push(tokio::spawn(async move {
                let owner = format!("node{n}-w{w}");
                let mut idle = 0;
                while idle < 50 {
                    let Some(line) = node.claim_next("t", lease(&owner, 0), T0).await.unwrap()
                    else {
                        idle += 1;
                        tokio::task::yield_now().await;
                        continue;
                    };
                    idle = 0;
                    claimed.lock().unwrap().push(line.line.unique_id.clone());
                    let done = Settlement::Completed {
                        erp_reference: None,
                    };
                    assert!(
                        node.settle("t", &line.line.unique_id, &owner, done, T0)
                            .await
                            .unwrap()
                    );
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let claimed = claimed.lock().unwrap().clone();
    let unique: BTreeSet<_> = claimed.iter().cloned().collect();
    assert_eq!(claimed.len(), LINES, "no line claimed twice");
    assert_eq!(unique.len(), LINES, "every line claimed");
    let mut sorted = claimed.clone();
    sorted.sort();
    assert_eq!(
        claimed, sorted,
        "one slot: the tenant's order holds across nodes"
    );
    for id in ["0000", "0199"] {
        assert_eq!(
            node_b.get_line("t", id).await.unwrap().unwrap().status,
            Status::Completed
        );
    }
}

/// Moving to Postgres (`relay copy-store`): every line of every status keeps its `seq` and
/// fields, operator stops and audit records come along, new lines continue after the copied
/// ones, a resend of a copied line is still a duplicate, and a second copy into the same
/// schema is refused (nothing half-copied).
#[tokio::test]
async fn postgres_copy_from_sqlite_keeps_every_record_and_refuses_a_non_empty_target() {
    use billing_relay::store::copy;
    use billing_relay::store::sqlite::{SqliteOptions, SqliteStore};
    use billing_relay::store::{AuditEntry, Clearable, Inserted};
    let Some(url) = common::postgres_test_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("relay.db").display());
    let src = SqliteStore::open(SqliteOptions::new(sqlite_url.clone()))
        .await
        .unwrap();
    // lines in every status, over two tenants
    for i in 0..1200 {
        let tenant = if i % 3 == 0 { "tb" } else { "ta" };
        src.insert_line(tenant, &l(&format!("C-{i:04}")), T0)
            .await
            .unwrap();
    }
    let first = src
        .claim_next("ta", lease("node-1", 0), T0)
        .await
        .unwrap()
        .unwrap();
    let done = Settlement::Completed {
        erp_reference: Some("48001".into()),
    };
    let (_, second) = src
        .settle_and_claim(
            "ta",
            &first.line.unique_id,
            "node-1",
            done,
            lease("node-1", 0),
            T0,
        )
        .await
        .unwrap();
    // the second line stays `processing` with its lease, as a stopped relay leaves it
    assert!(second.is_some());
    let who = AuditEntry::new(
        "alice",
        "clear",
        Some("tb"),
        serde_json::json!({"status": "received"}),
    );
    let cleared = src
        .clear("tb", Clearable::Received, false, &who, T0)
        .await
        .unwrap();
    assert_eq!(cleared.len(), 400);
    let stop = AuditEntry::new("bob", "worker.stop", Some("tb"), serde_json::json!({}));
    src.set_operator_stop("tb", true, &stop, T0).await.unwrap();

    // a relay still holding the file keeps the copy out
    let held = SqliteStore::open(SqliteOptions::new(sqlite_url.clone())).await;
    assert!(held.is_err(), "a second holder of the sqlite file");

    let mut options = PgOptions::new(url);
    options.schema = Some(common::unique_schema("relay_copy"));
    let dst = PgStore::open(options.clone()).await.unwrap();
    let mut calls = 0;
    let report = copy::sqlite_to_postgres(&src, &dst, |done, total| {
        calls += 1;
        assert!(done <= total);
    })
    .await
    .unwrap();
    assert_eq!(report.lines, 1200);
    assert_eq!(report.tenant_states, 1);
    assert_eq!(report.audit, 2);
    assert!(calls >= 3, "progress after each batch of lines");

    for tenant in ["ta", "tb"] {
        assert_eq!(
            src.counts(tenant).await.unwrap(),
            dst.counts(tenant).await.unwrap()
        );
        for status in [
            Status::Received,
            Status::Processing,
            Status::Completed,
            Status::Failed,
        ] {
            let a = src
                .list_lines(tenant, Some(status), None, 1000)
                .await
                .unwrap();
            let b = dst
                .list_lines(tenant, Some(status), None, 1000)
                .await
                .unwrap();
            assert_eq!(a, b, "{tenant} {status:?}");
        }
    }
    assert_eq!(
        dst.get_line("ta", &first.line.unique_id)
            .await
            .unwrap()
            .unwrap()
            .erp_reference
            .as_deref(),
        Some("48001")
    );
    assert_eq!(
        src.operator_stops().await.unwrap(),
        dst.operator_stops().await.unwrap()
    );
    assert_eq!(
        src.audit_log(None, None, 100).await.unwrap(),
        dst.audit_log(None, None, 100).await.unwrap()
    );
    // de-duplication carries over, and new lines and audit records come after the copied ones
    assert!(matches!(
        dst.insert_line("ta", &l("C-0001"), T0).await.unwrap(),
        Inserted::Existing(_)
    ));
    let Inserted::New(new) = dst.insert_line("ta", &l("C-9999"), T0).await.unwrap() else {
        panic!("a new line");
    };
    let max_seq = src
        .list_lines("ta", None, None, 1000)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .max();
    assert!(Some(new.seq) > max_seq, "seq {} after {max_seq:?}", new.seq);
    dst.record_audit(
        &AuditEntry::new("carol", "reload", Some("ta"), serde_json::json!({})),
        T0,
    )
    .await
    .unwrap();
    let ids: Vec<i64> = dst
        .audit_log(None, None, 100)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids[2] > ids[1]);

    // the target is no longer empty: a second copy changes nothing
    let again = copy::sqlite_to_postgres(&src, &dst, |_, _| {}).await;
    let err = again.unwrap_err().to_string();
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(
        dst.counts("ta").await.unwrap().received,
        src.counts("ta").await.unwrap().received + 1
    );
}
