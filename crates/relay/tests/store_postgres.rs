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
use std::time::Duration;

use billing_relay::model::{Millis, OrderLine, Status};
use billing_relay::store::postgres::{PgOptions, PgStore};
use billing_relay::store::{Inserted, Lease, Settlement, Stale, Store};
use rust_decimal::Decimal;

/// A fresh schema on the test server, or `None` (with a notice) when none is configured.
async fn pg() -> Option<(Arc<PgStore>, PgOptions)> {
    let Ok(url) = std::env::var("RELAY_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but RELAY_TEST_POSTGRES_URL is not set: .ci/run starts PostgreSQL"
        );
        eprintln!("RELAY_TEST_POSTGRES_URL not set: Postgres store test skipped");
        return None;
    };
    let mut options = PgOptions::new(url);
    options.schema = Some(format!(
        "relay_test_{:016x}",
        fastrand_u64() ^ u64::from(std::process::id())
    ));
    let store = PgStore::open(options.clone()).await.expect("open postgres");
    Some((store, options))
}

/// Random bits without another dev-dependency: the std hasher's random keys.
fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    h.finish()
}

fn l(id: &str) -> OrderLine {
    OrderLine::new(id, "case", "prod", Decimal::ONE)
}

const T0: Millis = Millis(1_000_000);

fn lease(owner: &str, slot: u32) -> Lease<'_> {
    Lease {
        owner,
        slot,
        expires_at: T0.plus(Duration::from_secs(30)),
    }
}

#[tokio::test]
async fn postgres_unique_constraint_de_duplicates_concurrent_inserts() {
    let Some((s, _)) = pg().await else { return };
    assert!(matches!(
        s.insert_line("t", &l("u"), T0).await.unwrap(),
        Inserted::New(_)
    ));
    assert!(matches!(
        s.insert_line("t", &l("u"), T0).await.unwrap(),
        Inserted::Existing(_)
    ));
    assert!(matches!(
        s.insert_line("other", &l("u"), T0).await.unwrap(),
        Inserted::New(_)
    ));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.insert_line("t", &l("race"), T0).await.unwrap()
        }));
    }
    let mut new = 0;
    for t in tasks {
        if let Inserted::New(_) = t.await.unwrap() {
            new += 1;
        }
    }
    assert_eq!(new, 1);
}

#[tokio::test]
async fn postgres_one_line_in_flight_per_slot_and_settling_needs_the_lease() {
    let Some((s, _)) = pg().await else { return };
    for id in ["a", "b", "c"] {
        s.insert_line("t", &l(id), T0).await.unwrap();
    }
    let first = s
        .claim_next("t", lease("w1", 0), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.line.unique_id.as_str(), first.status, first.attempts),
        ("a", Status::Processing, 1)
    );
    assert!(
        s.claim_next("t", lease("w2", 0), T0)
            .await
            .unwrap()
            .is_none()
    );
    let second = s
        .claim_next("t", lease("w2", 1), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.line.unique_id, "b");
    let done = Settlement::Completed {
        erp_reference: None,
    };
    assert!(!s.settle("t", "a", "w2", done.clone(), T0).await.unwrap());
    assert!(s.settle("t", "a", "w1", done, T0).await.unwrap());
    let next = s
        .claim_next("t", lease("w3", 0), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.line.unique_id, "c");
}

#[tokio::test]
async fn postgres_a_line_is_not_claimed_before_it_is_due_and_keeps_its_order() {
    let Some((s, _)) = pg().await else { return };
    s.insert_line("t", &l("a"), T0).await.unwrap();
    s.insert_line("t", &l("b"), T0).await.unwrap();
    s.claim_next("t", lease("w", 0), T0).await.unwrap().unwrap();
    let later = T0.plus(Duration::from_secs(60));
    let retry = Settlement::Retry {
        code: None,
        reason: "later".into(),
        next_attempt_at: later,
        check_first: false,
    };
    assert!(s.settle("t", "a", "w", retry, T0).await.unwrap());
    assert!(
        s.claim_next("t", lease("w", 0), T0)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(s.next_due("t").await.unwrap(), Some(later));
    let a = s
        .claim_next("t", lease("w", 0), later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a.line.unique_id.as_str(), a.attempts), ("a", 2));
}

#[tokio::test]
async fn postgres_only_expired_leases_are_taken_over_and_keep_their_slot() {
    let Some((s, _)) = pg().await else { return };
    assert!(!s.single_node(), "a shared store never assumes it is alone");
    s.insert_line("t", &l("a"), T0).await.unwrap();
    s.claim_next("t", lease("dead", 0), T0)
        .await
        .unwrap()
        .unwrap();
    let early = T0.plus(Duration::from_secs(10));
    let exp = early.plus(Duration::from_secs(30));
    assert!(
        s.take_over_stale("t", Stale::Expired { dead_owner: None }, "r", exp, early)
            .await
            .unwrap()
            .is_none(),
        "a live lease of another node is not taken"
    );
    let after = T0.plus(Duration::from_secs(31));
    let taken = s
        .take_over_stale(
            "t",
            Stale::Expired { dead_owner: None },
            "r",
            after.plus(Duration::from_secs(30)),
            after,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (taken.lease_owner.as_deref(), taken.slot),
        (Some("r"), Some(0))
    );
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
