//! Graceful shutdown (reference §9): on `SIGTERM` the relay stops claiming, lets the push in
//! flight finish within the grace period, and exits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use billing_relay::model::Status;
use billing_relay::standin::HttpErp;
use billing_relay::store::Store as _;
use billing_relay::store::sqlite::{SqliteOptions, SqliteStore};
use common::{head, http_client, http_tenant, line, spawn_relay, submit_to, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_push_in_flight_finish_and_claims_nothing_more() {
    let erp = HttpErp::start(false).await.unwrap();
    erp.set_hold(true);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let config = dir.path().join("relay.toml");
    let log = dir.path().join("relay.log");
    std::fs::write(
        &config,
        format!("{}{}", head(&db), http_tenant("t", &erp, false, "")),
    )
    .unwrap();
    let (mut relay, url) = spawn_relay(&config, &log, &[], &["--grace", "60s"]).await;
    let http = http_client();
    for id in ["S-1", "S-2"] {
        let r = submit_to(&http, &url, "t", &line(id, "1")).await;
        assert_eq!(r.status, 202, "{}", r.raw);
    }
    // S-1 is at the ERP, its answer held: a push in flight
    tokio::time::timeout(Duration::from_secs(20), erp.wait_held(1))
        .await
        .expect("push never arrived");

    let pid = relay.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    // the relay has begun shutting down while the push is still held
    assert!(
        wait_until(|| async {
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains("shutting down")
        })
        .await
    );
    erp.set_hold(false);
    erp.release();
    let exit = tokio::time::timeout(Duration::from_secs(30), relay.wait())
        .await
        .expect("the relay did not exit after SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit:?}");

    // the line in flight was settled; the next one was not claimed
    let store = SqliteStore::open(SqliteOptions::new(format!("sqlite://{}", db.display())))
        .await
        .unwrap();
    let s1 = store.get_line("t", "S-1").await.unwrap().unwrap();
    let s2 = store.get_line("t", "S-2").await.unwrap().unwrap();
    assert_eq!(s1.status, Status::Completed, "{s1:?}");
    assert_eq!((s2.status, s2.attempts), (Status::Received, 0), "{s2:?}");
    assert_eq!(erp.pushes("S-1"), 1);
    assert_eq!(erp.pushes("S-2"), 0);
}
