//! Queue semantics with the fault-injecting adapter: order, retries and backoff, uncertain
//! pushes, permanent failures, panics, inactive tenants (reference §6–§8).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use billing_relay::adapters::fault::{FaultAdapter, Step};
use billing_relay::adapters::{Adapter, Capabilities, Failure};
use billing_relay::model::ReasonCode;
use billing_relay::worker::WorkerState;
use common::{Harness, injected_tenant, line, wait_until};

fn fault(check: bool, key: bool) -> Arc<FaultAdapter> {
    Arc::new(FaultAdapter::new(Capabilities::new(true, check, key)))
}

async fn one_tenant(adapter: Arc<FaultAdapter>, extra: &str) -> Harness {
    Harness::start(
        &injected_tenant("t", extra),
        vec![("t", adapter as Arc<dyn Adapter>)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_are_pushed_in_received_order() {
    let erp = fault(true, false);
    let h = one_tenant(erp.clone(), "").await;
    let ids: Vec<String> = (0..30).map(|i| format!("O-{i:02}")).collect();
    for id in &ids {
        assert_eq!(h.submit("t", &line(id, "1")).await.status, 202);
    }
    for id in &ids {
        h.wait_status("t", id, "completed").await;
    }
    assert_eq!(erp.order(), ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_head_line_holds_back_the_lines_behind_it() {
    let erp = Arc::new(
        FaultAdapter::new(Capabilities::new(true, true, false)).then(Step::fail(
            Failure::Transient {
                retry_after: Some(Duration::from_secs(60)),
            },
        )),
    );
    let h = one_tenant(erp.clone(), "").await;
    assert_eq!(h.submit("t", &line("H-1", "1")).await.status, 202);
    assert!(wait_until(|| async { erp.total_pushes() == 1 }).await);
    let first = h.wait_status("t", "H-1", "received").await;
    assert_eq!(h.submit("t", &line("H-2", "1")).await.status, 202);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(erp.pushes("H-2"), 0, "h-2 waits for h-1: per-tenant order");
    assert_eq!(first.body["attempts"], 1);
    h.clock.advance(Duration::from_secs(60));
    h.wait_status("t", "H-2", "completed").await;
    assert_eq!(erp.order(), ["H-1", "H-2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_retry_with_backoff_until_attempts_run_out() {
    let erp = Arc::new(
        FaultAdapter::new(Capabilities::new(true, true, false))
            .otherwise(Step::fail(Failure::Transient { retry_after: None })),
    );
    let extra = "[tenants.t.retry]\nmax_attempts = 3\ninitial_delay = \"10s\"\n[tenants.t.outage]\nafter_failures = 100\nafter = \"1000h\"\n";
    let h = one_tenant(erp.clone(), extra).await;
    assert_eq!(h.submit("t", &line("R-1", "1")).await.status, 202);
    for attempt in 1..=2u32 {
        assert!(wait_until(|| async { erp.pushes("R-1") == attempt }).await);
        let r = h.wait_status("t", "R-1", "received").await;
        assert_eq!(r.body["reason_code"], "erp_unavailable");
        // the backoff ceiling is 10 s, then 20 s
        h.clock
            .advance(Duration::from_secs(10 * u64::from(attempt)));
    }
    let r = h.wait_status("t", "R-1", "failed").await;
    assert_eq!(r.body["reason_code"], "retries_exhausted", "{}", r.raw);
    assert_eq!(r.body["attempts"], 3);
    assert_eq!(erp.pushes("R-1"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_line_fails_when_its_max_age_has_passed() {
    let erp = Arc::new(
        FaultAdapter::new(Capabilities::new(true, true, false))
            .otherwise(Step::fail(Failure::Transient { retry_after: None })),
    );
    let extra = "[tenants.t.retry]\nmax_age = \"1h\"\ninitial_delay = \"1s\"\n[tenants.t.outage]\nafter_failures = 100\nafter = \"1000h\"\n";
    let h = one_tenant(erp.clone(), extra).await;
    assert_eq!(h.submit("t", &line("M-1", "1")).await.status, 202);
    assert!(wait_until(|| async { erp.pushes("M-1") == 1 }).await);
    h.wait_status("t", "M-1", "received").await;
    h.clock.advance(Duration::from_secs(3601));
    let r = h.wait_status("t", "M-1", "failed").await;
    assert_eq!(r.body["reason_code"], "retries_exhausted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncertain_push_is_checked_before_it_is_sent_again() {
    let erp = Arc::new(
        FaultAdapter::new(Capabilities::new(true, true, false))
            .then(Step::commit_then_fail(Failure::Uncertain)),
    );
    let h = one_tenant(erp.clone(), "").await;
    assert_eq!(h.submit("t", &line("U-1", "1")).await.status, 202);
    assert!(wait_until(|| async { erp.pushes("U-1") == 1 }).await);
    h.wait_status("t", "U-1", "received").await;
    h.clock.advance(Duration::from_secs(5));
    let r = h.wait_status("t", "U-1", "completed").await;
    assert_eq!(r.body["erp_reference"], "fault-U-1");
    assert_eq!(
        (erp.pushes("U-1"), erp.held("U-1"), erp.checks()),
        (1, 1, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncertain_push_is_resent_without_a_check_only_when_the_key_is_honoured() {
    let erp = Arc::new(
        FaultAdapter::new(Capabilities::new(true, false, true))
            .then(Step::commit_then_fail(Failure::Uncertain)),
    );
    let h = one_tenant(erp.clone(), "").await;
    assert_eq!(h.submit("t", &line("K-1", "1")).await.status, 202);
    assert!(wait_until(|| async { erp.pushes("K-1") == 1 }).await);
    h.wait_status("t", "K-1", "received").await;
    h.clock.advance(Duration::from_secs(5));
    h.wait_status("t", "K-1", "completed").await;
    assert_eq!((erp.pushes("K-1"), erp.checks()), (2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncertain_push_without_check_or_key_fails_outcome_unknown() {
    let erp = Arc::new(
        FaultAdapter::new(Capabilities::new(true, false, false))
            .then(Step::commit_then_fail(Failure::Uncertain)),
    );
    let h = one_tenant(erp.clone(), "").await;
    assert_eq!(h.submit("t", &line("X-1", "1")).await.status, 202);
    let r = h.wait_status("t", "X-1", "failed").await;
    assert_eq!(r.body["reason_code"], "outcome_unknown", "{}", r.raw);
    h.clock.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(erp.pushes("X-1"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_fail_at_once_with_their_code() {
    let erp = Arc::new(
        FaultAdapter::new(Capabilities::new(true, true, false))
            .then(Step::fail(Failure::Permanent(ReasonCode::InvalidCase))),
    );
    let extra = "[tenants.t.products]\nunmapped = \"reject\"\nmap = { \"112\" = \"P-112\" }\n";
    let h = one_tenant(erp.clone(), extra).await;
    assert_eq!(h.submit("t", &line("F-1", "1")).await.status, 202);
    let r = h.wait_status("t", "F-1", "failed").await;
    assert_eq!(r.body["reason_code"], "invalid_case");
    assert_eq!(r.body["attempts"], 1);
    let unmapped = r#"{"unique_id":"F-2","case_nr":"c","product_nr":"999","product_amount":1}"#;
    assert_eq!(h.submit("t", unmapped).await.status, 202);
    let r = h.wait_status("t", "F-2", "failed").await;
    assert_eq!(r.body["reason_code"], "invalid_product");
    assert_eq!(erp.pushes("F-2"), 0);
    // a definite refusal is the erp answering: the breaker stays closed
    assert_eq!(h.relay().health("t").unwrap().state, WorkerState::Running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_panic_is_contained_restarted_and_its_line_recovered() {
    let a = Arc::new(FaultAdapter::new(Capabilities::new(true, true, false)).then(Step::Panic));
    let b = fault(true, false);
    let tenants = format!("{}{}", injected_tenant("a", ""), injected_tenant("b", ""));
    let h = Harness::start(
        &tenants,
        vec![
            ("a", a.clone() as Arc<dyn Adapter>),
            ("b", b.clone() as Arc<dyn Adapter>),
        ],
    )
    .await;
    assert_eq!(h.submit("a", &line("P-1", "1")).await.status, 202);
    assert!(
        wait_until(|| async { h.relay().health("a").unwrap().state == WorkerState::Restarting })
            .await
    );
    let health = h.relay().health("a").unwrap();
    assert_eq!(health.last_error.unwrap().0, "worker_panic");
    assert_eq!(h.submit("b", &line("B-1", "1")).await.status, 202);
    h.wait_status("b", "B-1", "completed").await;
    // the restart waits its backoff on the clock; the new worker recovers P-1 at once
    h.clock.advance(Duration::from_secs(1));
    let r = h.wait_status("a", "P-1", "completed").await;
    assert_eq!(r.body["attempts"], 2, "{}", r.raw);
    assert_eq!((a.held("P-1"), a.checks()), (1, 1));
    assert_eq!(h.relay().health("a").unwrap().recovered, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inactive_tenant_accepts_and_holds_lines() {
    let erp = fault(true, false);
    let h = one_tenant(erp.clone(), "active = false").await;
    assert_eq!(h.submit("t", &line("I-1", "1")).await.status, 202);
    assert_eq!(h.relay().health("t").unwrap().state, WorkerState::Inactive);
    h.clock.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(h.status("t", "I-1").await.body["status"], "received");
    assert_eq!(erp.total_pushes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_on_the_same_file_settles_an_interrupted_push() {
    let erp = Arc::new(FaultAdapter::new(Capabilities::new(true, true, false)).then(Step::Hang));
    let mut h = one_tenant(erp.clone(), "").await;
    assert_eq!(h.submit("t", &line("Z-1", "1")).await.status, 202);
    h.wait_status("t", "Z-1", "processing").await;
    h.restart().await; // abort: nothing settled, the lease stays behind
    let r = h.wait_status("t", "Z-1", "completed").await;
    assert_eq!((erp.pushes("Z-1"), erp.held("Z-1")), (1, 1));
    assert_eq!(r.body["erp_reference"], "fault-Z-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_whose_recovery_check_failed_is_checked_again_when_its_lease_expires() {
    let erp = Arc::new(FaultAdapter::new(Capabilities::new(true, true, false)).then(Step::Hang));
    let mut h = one_tenant(erp.clone(), "").await;
    assert_eq!(h.submit("t", &line("Y-1", "1")).await.status, 202);
    h.wait_status("t", "Y-1", "processing").await;
    erp.set_check_fails(true); // the ERP cannot be asked at the restart
    h.restart().await;
    assert!(wait_until(|| async { erp.checks() >= 1 }).await);
    assert_eq!(h.status("t", "Y-1").await.body["status"], "processing");
    erp.set_check_fails(false);
    h.clock.advance(Duration::from_secs(31)); // past the recovery's own lease
    let r = h.wait_status("t", "Y-1", "completed").await;
    assert_eq!((erp.pushes("Y-1"), erp.held("Y-1")), (1, 1), "{}", r.raw);
}
