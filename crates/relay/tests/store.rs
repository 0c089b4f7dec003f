//! The SQLite store's guarantees, enforced by the database (reference §7).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use billing_relay::model::{Millis, OrderLine, Status};
use billing_relay::store::sqlite::{SqliteOptions, SqliteStore};
use billing_relay::store::{Inserted, Lease, Settlement, Stale, Store, StoreError};
use rust_decimal::Decimal;

async fn open(dir: &std::path::Path) -> Result<Arc<SqliteStore>, StoreError> {
    SqliteStore::open(SqliteOptions::new(format!(
        "sqlite://{}",
        dir.join("relay.db").display()
    )))
    .await
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
async fn the_unique_constraint_lives_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await.unwrap();
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
    // concurrent inserts of one id: exactly one is new
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
    // and a raw second row is refused by the database itself
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("relay.db").display()
    ))
    .await
    .unwrap();
    let dup = sqlx::query(
        "INSERT INTO order_lines (tenant, unique_id, case_nr, product_nr, product_amount, status, \
         next_attempt_at, received_at, updated_at) VALUES ('t', 'u', 'c', 'p', '1', 'received', 0, 0, 0)",
    )
    .execute(&pool)
    .await;
    assert!(dup.is_err());
}

#[tokio::test]
async fn one_line_in_flight_per_slot_whatever_the_number_of_claimers() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await.unwrap();
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
    // another claimer of slot 0 (another worker, another node) gets nothing
    assert!(
        s.claim_next("t", lease("w2", 0), T0)
            .await
            .unwrap()
            .is_none()
    );
    // a second slot (max_in_flight = 2) takes the next line in order
    let second = s
        .claim_next("t", lease("w2", 1), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.line.unique_id, "b");
    // the database refuses a second holder of a slot even when the application's guard is bypassed
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("relay.db").display()
    ))
    .await
    .unwrap();
    let bypass = sqlx::query(
        "UPDATE order_lines SET status = 'processing', lease_owner = 'x', lease_expires_at = 1, slot = 0 \
         WHERE unique_id = 'c'",
    )
    .execute(&pool)
    .await;
    assert!(bypass.is_err(), "unique (tenant, slot)");
    // settling needs the lease
    let done = Settlement::Completed {
        erp_reference: None,
    };
    assert!(!s.settle("t", "a", "w2", done.clone(), T0).await.unwrap());
    assert!(s.settle("t", "a", "w1", done, T0).await.unwrap());
    assert!(
        s.claim_next("t", lease("w3", 0), T0)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_line_is_not_claimed_before_it_is_due() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await.unwrap();
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
    // the head is not due, and b may not overtake it
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
async fn stale_leases_are_taken_over_once_and_keep_their_slot() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await.unwrap();
    s.insert_line("t", &l("a"), T0).await.unwrap();
    s.insert_line("t", &l("b"), T0).await.unwrap();
    s.claim_next("t", lease("dead", 0), T0)
        .await
        .unwrap()
        .unwrap();
    let early = T0.plus(Duration::from_secs(10));
    let expired = Stale::Expired { dead_owner: None };
    let exp = early.plus(Duration::from_secs(30));
    assert!(
        s.take_over_stale("t", expired, "r", exp, early)
            .await
            .unwrap()
            .is_none()
    );
    let known = Stale::Expired {
        dead_owner: Some("dead"),
    };
    let taken = s
        .take_over_stale("t", known, "r", exp, early)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.lease_owner.as_deref(), Some("r"));
    assert_eq!(taken.slot, Some(0));
    assert!(
        s.take_over_stale("t", Stale::All, "r", exp, early)
            .await
            .unwrap()
            .is_none(),
        "never its own"
    );
    assert!(
        s.claim_next("t", lease("w", 0), early)
            .await
            .unwrap()
            .is_none(),
        "the slot stays held"
    );
    // once its own take-over expires (the check failed, nothing settled it), it is stale again
    let later = exp.plus(Duration::from_secs(1));
    let until = later.plus(Duration::from_secs(30));
    let again = s
        .take_over_stale("t", expired, "r", until, later)
        .await
        .unwrap();
    assert_eq!(again.map(|l| l.line.unique_id), Some("a".to_owned()));
}

#[tokio::test]
async fn reads_do_not_modify() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await.unwrap();
    s.insert_line("t", &l("a"), T0).await.unwrap();
    let before = s.get_line("t", "a").await.unwrap().unwrap();
    for _ in 0..3 {
        s.counts("t").await.unwrap();
        s.next_due("t").await.unwrap();
        assert_eq!(s.get_line("t", "a").await.unwrap().unwrap(), before);
    }
}

#[tokio::test]
async fn a_second_process_on_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(dir.path()).await.unwrap();
    let second = open(dir.path()).await.unwrap_err();
    assert!(
        second.to_string().contains("another relay process"),
        "{second}"
    );
}

#[tokio::test]
async fn settle_and_claim_claims_the_next_line_only_when_the_settlement_holds() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await.unwrap();
    for id in ["a", "b"] {
        s.insert_line("t", &l(id), T0).await.unwrap();
    }
    s.claim_next("t", lease("w", 0), T0).await.unwrap().unwrap();
    let done = Settlement::Completed {
        erp_reference: None,
    };
    let (settled, next) = s
        .settle_and_claim("t", "a", "intruder", done.clone(), lease("intruder", 0), T0)
        .await
        .unwrap();
    assert!(!settled && next.is_none());
    assert_eq!(
        s.get_line("t", "b").await.unwrap().unwrap().status,
        Status::Received
    );
    let (settled, next) = s
        .settle_and_claim("t", "a", "w", done, lease("w", 0), T0)
        .await
        .unwrap();
    assert!(settled);
    let b = next.unwrap();
    assert_eq!(
        (b.line.unique_id.as_str(), b.status, b.slot),
        ("b", Status::Processing, Some(0))
    );
    assert_eq!(
        s.get_line("t", "a").await.unwrap().unwrap().status,
        Status::Completed
    );
}
