//! Retention (reference §7): finished records are purged once older than `retention.keep`,
//! by a periodic task on the relay's clock; lines still in the queue are never purged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use billing_relay::adapters::fault::FaultAdapter;
use billing_relay::adapters::{Adapter, Capabilities};
use common::{Harness, injected_tenant, line, wait_until};

const STEP: Duration = Duration::from_secs(10 * 60);

/// Moves the clock one purge interval and waits for that purge round to finish.
async fn one_round(h: &Harness) {
    let before = h.relay().purges_run();
    // the purge task sleeps to absolute deadlines, so time moved while it was between two
    // rounds still wakes it
    h.clock.advance(STEP);
    assert!(wait_until(|| async { h.relay().purges_run() > before }).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_records_are_purged_after_retention_and_queued_ones_never() {
    let erp: Arc<dyn Adapter> = Arc::new(FaultAdapter::new(Capabilities::new(true, true, false)));
    let tenants = format!(
        "[retention]\nkeep = \"1h\"\npurge_every = \"10m\"\n{}{}",
        injected_tenant("done", ""),
        injected_tenant("held", "active = false")
    );
    let h = Harness::start(&tenants, vec![("done", erp)]).await;
    assert_eq!(h.submit("done", &line("D-1", "1")).await.status, 202);
    assert_eq!(h.submit("held", &line("H-1", "1")).await.status, 202);
    h.wait_status("done", "D-1", "completed").await;

    // 50 minutes: younger than `keep`, kept
    for _ in 0..5 {
        one_round(&h).await;
        assert_eq!(h.status("done", "D-1").await.status, 200);
    }
    // past an hour: purged at the next round
    one_round(&h).await;
    one_round(&h).await;
    let gone = h.status("done", "D-1").await;
    assert_eq!(gone.status, 404, "{}", gone.raw);
    // a line still in the queue is never purged, however old
    let held = h.status("held", "H-1").await;
    assert_eq!(held.body["status"], "received", "{}", held.raw);
}
