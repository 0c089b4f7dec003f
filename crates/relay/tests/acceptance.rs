//! The reference's acceptance checks (§13) 1, 2, 4, 6, 7 and 12, against the real HTTP server
//! and a real SQLite file (checks 3 and 5 are in `secrets.rs` and `crash.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use billing_relay::standin::HttpErp;
use billing_relay::worker::{PauseCause, WorkerState};
use common::{Harness, KEY, http_tenant, line, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_1_duplicate_gets_202_then_200_and_one_push() {
    let erp = HttpErp::start(false).await.unwrap();
    let h = Harness::start(&http_tenant("ws-a", &erp, true, ""), vec![]).await;

    let first = h.submit("ws-a", &line("D-1", "5")).await;
    assert_eq!(first.status, 202, "{}", first.raw);
    assert_eq!(first.body["status"], "received");
    assert_eq!(first.body["status_url"], "/v1/tenants/ws-a/order-lines/D-1");

    // the same line, with its amount written another way and an alias
    let again = h
        .submit(
            "ws-a",
            r#"{"uniqueid":"D-1","worksheet":"jdoe","product_nr":112,"product_amount":"5.0"}"#,
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.raw);
    assert_eq!(again.body["unique_id"], "D-1");

    h.wait_status("ws-a", "D-1", "completed").await;
    let third = h.submit("ws-a", &line("D-1", "5.00")).await;
    assert_eq!(third.status, 200);
    assert_eq!(third.body["status"], "completed");

    assert_eq!(erp.pushes("D-1"), 1);
    assert_eq!(erp.held("D-1"), 1);
    let counts = h.relay().store().counts("ws-a").await.unwrap();
    assert_eq!(counts.total(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_2_changed_amount_gets_409_and_nothing_changes() {
    let erp = HttpErp::start(false).await.unwrap();
    erp.set_hold(true); // keep the line in flight: the conflict must not disturb it
    let h = Harness::start(&http_tenant("ws-a", &erp, true, ""), vec![]).await;

    assert_eq!(h.submit("ws-a", &line("C-1", "5")).await.status, 202);
    let before = h.stored("ws-a", "C-1").await;

    let conflict = h.submit("ws-a", &line("C-1", "6")).await;
    assert_eq!(conflict.status, 409, "{}", conflict.raw);
    assert_eq!(conflict.body["code"], "unique_id_conflict");
    assert_eq!(conflict.body["unique_id"], "C-1");

    let after = h.stored("ws-a", "C-1").await;
    assert_eq!(after.line.amount_text(), "5");
    assert_eq!(before.line, after.line);
    assert_eq!(before.received_at, after.received_at);
    erp.wait_held(1).await;
    erp.set_hold(false);
    erp.release();
    h.wait_status("ws-a", "C-1", "completed").await;
    assert_eq!(erp.held("C-1"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_4_double_encoded_body_gets_400_body_not_object() {
    let erp = HttpErp::start(false).await.unwrap();
    let h = Harness::start(&http_tenant("ws-a", &erp, true, ""), vec![]).await;
    let twice = serde_json::to_string(&line("E-1", "1")).unwrap();
    let r = h.submit("ws-a", &twice).await;
    assert_eq!(r.status, 400, "{}", r.raw);
    assert_eq!(r.body["code"], "body_not_object");
    // no record: a later status query is 404
    assert_eq!(h.status("ws-a", "E-1").await.status, 404);
}

/// §13 check 6: tenant A's ERP answers 503 for an hour (on the stepped clock); B's lines
/// complete without any time passing; A's lines stay `received` (none failed), the tenant is
/// paused, and everything completes after A's ERP recovers, each line held once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_6_tenant_a_outage_leaves_tenant_b_on_time() {
    let erp_a = HttpErp::start(false).await.unwrap();
    let erp_b = HttpErp::start(false).await.unwrap();
    erp_a.set_status(Some(503));
    let tenants = format!(
        "{}{}",
        http_tenant("a", &erp_a, true, ""),
        http_tenant("b", &erp_b, true, "")
    );
    let h = Harness::start(&tenants, vec![]).await;
    for i in 1..=3 {
        assert_eq!(
            h.submit("a", &line(&format!("A-{i}"), "1")).await.status,
            202
        );
        assert_eq!(
            h.submit("b", &line(&format!("B-{i}"), "1")).await.status,
            202
        );
    }
    for i in 1..=3 {
        h.wait_status("b", &format!("B-{i}"), "completed").await;
    }
    assert_eq!(
        h.clock.elapsed(),
        Duration::ZERO,
        "b completed without time passing"
    );

    // an hour of 503s, a minute at a time; each step waits until A's worker has tried again
    // and settled the attempt
    assert!(wait_until(|| async { erp_a.requests() > 0 }).await);
    h.wait_status("a", "A-1", "received").await;
    for _ in 0..60 {
        let seen = erp_a.requests();
        h.clock.advance(Duration::from_secs(60));
        let tried = wait_until(|| async { erp_a.requests() > seen }).await;
        assert!(tried, "a's worker stopped trying");
        h.wait_status("a", "A-1", "received").await;
    }
    assert_eq!(
        h.relay().health("a").unwrap().state,
        WorkerState::Paused(PauseCause::ErpUnavailable)
    );
    for i in 1..=3 {
        let r = h.status("a", &format!("A-{i}")).await;
        assert_eq!(r.body["status"], "received", "{}", r.raw);
    }
    let head = h.status("a", "A-1").await;
    assert_eq!(head.body["reason_code"], "erp_unavailable");
    assert_eq!(h.relay().store().counts("a").await.unwrap().failed, 0);
    assert_eq!(h.relay().health("b").unwrap().state, WorkerState::Running);

    erp_a.set_status(None);
    h.clock.advance(Duration::from_secs(60));
    for i in 1..=3 {
        h.wait_status("a", &format!("A-{i}"), "completed").await;
        assert_eq!(erp_a.held(&format!("A-{i}")), 1);
    }
    assert_eq!(h.relay().health("a").unwrap().state, WorkerState::Running);
    assert_eq!(erp_a.duplicates() + erp_b.duplicates(), 0);
}

/// §13 check 7: A's ERP rejects its credentials: A is paused (degraded, cause `erp_auth`), no
/// line of A fails for it, ingest for A goes on, B is unaffected; after A's credential file is
/// corrected, A resumes by itself at its next probe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_7_rejected_credentials_pause_tenant_a_only() {
    use std::os::unix::fs::PermissionsExt;
    let erp_a = HttpErp::start(false).await.unwrap();
    let erp_b = HttpErp::start(false).await.unwrap();
    erp_a.set_token(Some("right-token"));
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("a.token");
    std::fs::write(&secret, "wrong-token\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let tenants = format!(
        "{}auth = \"bearer\"\nsecret = {{ file = \"{}\" }}\n{}",
        http_tenant("a", &erp_a, true, ""),
        secret.display(),
        http_tenant("b", &erp_b, true, "")
    );
    let h = Harness::start(&tenants, vec![]).await;
    assert_eq!(h.submit("a", &line("A-1", "1")).await.status, 202);
    assert_eq!(h.submit("a", &line("A-2", "1")).await.status, 202);
    assert_eq!(h.submit("b", &line("B-1", "1")).await.status, 202);

    h.wait_status("b", "B-1", "completed").await;
    assert!(
        wait_until(|| async {
            h.relay().health("a").unwrap().state == WorkerState::Paused(PauseCause::ErpAuth)
        })
        .await
    );
    let a1 = h.wait_status("a", "A-1", "received").await;
    assert_eq!(a1.body["reason_code"], "erp_auth", "{}", a1.raw);
    assert_eq!(h.status("a", "A-2").await.body["status"], "received");
    assert_eq!(h.relay().store().counts("a").await.unwrap().failed, 0);
    // ingest is independent of the paused worker
    assert_eq!(h.submit("a", &line("A-3", "1")).await.status, 202);
    assert_eq!(h.relay().health("b").unwrap().state, WorkerState::Running);
    // a paused tenant does not hammer its ERP
    let tried = erp_a.requests();
    h.clock.advance(Duration::from_secs(29));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(erp_a.requests(), tried);

    std::fs::write(&secret, "right-token\n").unwrap();
    h.clock.advance(Duration::from_secs(30));
    for id in ["A-1", "A-2", "A-3"] {
        h.wait_status("a", id, "completed").await;
        assert_eq!(erp_a.held(id), 1);
    }
}

/// §13 check 12: no status reply (nor submit reply) holds the request body or a credential.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_12_no_status_reply_contains_a_body_or_credential() {
    let erp = HttpErp::start(false).await.unwrap();
    let h = Harness::start(&http_tenant("ws-a", &erp, true, ""), vec![]).await;
    let body = r#"{"unique_id":"S-1","case_nr":"CASE-MARK-77","product_nr":"PRODUCT-MARK","product_amount":"0.123456789","note":"FREE-TEXT-MARK","dispensed_at":"2025-03-01T12:00:00Z"}"#;
    let mut replies = vec![h.submit("ws-a", body).await];
    replies.push(h.submit("ws-a", body).await);
    replies.push(h.submit("ws-a", &body.replace("0.123456789", "3")).await);
    replies.push(h.wait_status("ws-a", "S-1", "completed").await);
    let status = replies.last().unwrap();
    let keys: Vec<&str> = status
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "attempts",
            "completed_at",
            "erp_reference",
            "reason",
            "reason_code",
            "received_at",
            "status",
            "unique_id",
            "updated_at"
        ]
    );
    for r in &replies {
        for secret in [
            KEY,
            "CASE-MARK-77",
            "PRODUCT-MARK",
            "FREE-TEXT-MARK",
            "0.123456789",
        ] {
            assert!(!r.raw.contains(secret), "{secret} in {}", r.raw);
        }
    }
    assert_eq!(
        replies.iter().map(|r| r.status).collect::<Vec<_>>(),
        [202, 200, 409, 200]
    );
}
