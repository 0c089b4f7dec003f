//! The SQLite store's guarantees, enforced by the database (reference §7).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod store_cases;

use std::sync::Arc;

use billing_relay::store::sqlite::{SqliteOptions, SqliteStore};
use billing_relay::store::{Store, StoreError};
use store_cases::{T0, l};

async fn open(dir: &std::path::Path) -> Result<Arc<SqliteStore>, StoreError> {
    SqliteStore::open(SqliteOptions::new(format!(
        "sqlite://{}",
        dir.join("relay.db").display()
    )))
    .await
}

#[tokio::test]
async fn the_unique_constraint_lives_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await.unwrap();
    store_cases::unique_per_tenant(s.clone()).await;
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
    // afterwards `c` holds slot 0
    store_cases::one_in_flight_per_slot(s.clone()).await;
    s.insert_line("t", &l("d"), T0).await.unwrap();
    // the database refuses a second holder of a slot even when the application's guard is bypassed
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("relay.db").display()
    ))
    .await
    .unwrap();
    let bypass = sqlx::query(
        "UPDATE order_lines SET status = 'processing', lease_owner = 'x', lease_expires_at = 1, slot = 0 \
         WHERE unique_id = 'd'",
    )
    .execute(&pool)
    .await;
    assert!(bypass.is_err(), "unique (tenant, slot)");
}

#[tokio::test]
async fn a_line_is_not_claimed_before_it_is_due() {
    let dir = tempfile::tempdir().unwrap();
    store_cases::not_claimed_before_due(open(dir.path()).await.unwrap()).await;
}

#[tokio::test]
async fn stale_leases_are_taken_over_once_and_keep_their_slot() {
    let dir = tempfile::tempdir().unwrap();
    store_cases::stale_leases_taken_over_once(open(dir.path()).await.unwrap()).await;
}

#[tokio::test]
async fn reads_do_not_modify() {
    let dir = tempfile::tempdir().unwrap();
    store_cases::reads_do_not_modify(open(dir.path()).await.unwrap()).await;
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
    store_cases::settle_and_claim_holds(open(dir.path()).await.unwrap()).await;
}
