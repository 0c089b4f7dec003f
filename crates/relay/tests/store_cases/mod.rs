//! Store behaviours every backend must show (SQLite and Postgres): each case takes a fresh,
//! empty store. `tests/store.rs` runs them on SQLite, `tests/store_postgres.rs` on Postgres.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use billing_relay::model::{Millis, OrderLine, Status};
use billing_relay::store::{Inserted, Lease, Settlement, Stale, Store};
use rust_decimal::Decimal;

pub fn l(id: &str) -> OrderLine {
    OrderLine::new(id, "case", "prod", Decimal::ONE)
}

pub const T0: Millis = Millis(1_000_000);

pub fn lease(owner: &str, slot: u32) -> Lease<'_> {
    Lease {
        owner,
        slot,
        expires_at: T0.plus(Duration::from_secs(30)),
    }
}

/// One line per `(tenant, unique_id)`, also under 16 concurrent inserts of one id.
pub async fn unique_per_tenant(s: Arc<dyn Store>) {
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

/// One line in flight per slot whatever the number of claimers; settling needs the lease.
pub async fn one_in_flight_per_slot(s: Arc<dyn Store>) {
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

/// A line is not claimed before it is due, and the next one may not overtake it.
pub async fn not_claimed_before_due(s: Arc<dyn Store>) {
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

/// Stale leases are taken over once and keep their slot.
pub async fn stale_leases_taken_over_once(s: Arc<dyn Store>) {
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

/// Reads change nothing.
pub async fn reads_do_not_modify(s: Arc<dyn Store>) {
    s.insert_line("t", &l("a"), T0).await.unwrap();
    let before = s.get_line("t", "a").await.unwrap().unwrap();
    for _ in 0..3 {
        s.counts("t").await.unwrap();
        s.next_due("t").await.unwrap();
        assert_eq!(s.get_line("t", "a").await.unwrap().unwrap(), before);
    }
}

/// `settle_and_claim` claims the next line only when the settlement holds.
pub async fn settle_and_claim_holds(s: Arc<dyn Store>) {
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
