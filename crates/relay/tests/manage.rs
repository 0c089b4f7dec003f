//! The management API (reference §9) and the acceptance checks 8–11 of §13.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use billing_relay::adapters::fault::FaultAdapter;
use billing_relay::adapters::{Adapter, Capabilities};
use common::{Harness, KEY, OPERATOR_KEY, Reply, injected_tenant, line};
use serde_json::Value;

fn erp() -> Arc<dyn Adapter> {
    Arc::new(FaultAdapter::new(Capabilities::new(true, true, false)))
}

/// An operator call with the operator key.
async fn op(h: &Harness, method: reqwest::Method, path: &str) -> Reply {
    common::reply(
        h.http
            .request(method, h.url(path))
            .bearer_auth(OPERATOR_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn op_get(h: &Harness, path: &str) -> Reply {
    op(h, reqwest::Method::GET, path).await
}

async fn op_post(h: &Harness, path: &str) -> Reply {
    op(h, reqwest::Method::POST, path).await
}

fn ids(reply: &Reply) -> Vec<String> {
    reply.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["unique_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Two inactive tenants: their lines stay `received`, so the queue holds still.
async fn held(lines_per_tenant: usize) -> Harness {
    let tenants = format!(
        "{}{}",
        injected_tenant("a", "active = false"),
        injected_tenant("b", "active = false")
    );
    let h = Harness::start(&tenants, vec![]).await;
    for t in ["a", "b"] {
        for i in 0..lines_per_tenant {
            let r = h.submit(t, &line(&format!("{t}-{i}"), "1")).await;
            assert_eq!(r.status, 202, "{}", r.raw);
        }
    }
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_8_two_inspections_return_the_same_lines_and_change_nothing() {
    let h = held(5).await;
    let before = h.stored("a", "a-0").await;
    let first = op_get(&h, "/v1/tenants/a/queue?status=received").await;
    let second = op_get(&h, "/v1/tenants/a/queue?status=received").await;
    assert_eq!(first.status, 200, "{}", first.raw);
    assert_eq!(ids(&first), ["a-0", "a-1", "a-2", "a-3", "a-4"]);
    assert_eq!(first.body, second.body);
    assert_eq!(
        h.stored("a", "a-0").await,
        before,
        "an inspection changed a line"
    );
    // no body content (product, amount, case) and no credential in a listing
    for word in [
        "case_nr",
        "product_nr",
        "product_amount",
        "jdoe",
        KEY,
        OPERATOR_KEY,
    ] {
        assert!(!first.raw.contains(word), "{word} in {}", first.raw);
    }
    // paging: two pages of two, then the rest, same order
    let p1 = op_get(&h, "/v1/tenants/a/queue?limit=2").await;
    let after = p1.body["next_after"].as_i64().unwrap();
    let p2 = op_get(&h, &format!("/v1/tenants/a/queue?limit=2&after={after}")).await;
    assert_eq!(ids(&p1), ["a-0", "a-1"]);
    assert_eq!(ids(&p2), ["a-2", "a-3"]);
    // reads are not audited
    let audit = op_get(&h, "/v1/audit").await;
    assert_eq!(audit.body["records"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_9_clearing_tenant_a_leaves_b_untouched() {
    let h = held(3).await;
    let dry = op_post(&h, "/v1/tenants/a/queue/clear?status=received&dry_run=true").await;
    assert_eq!(dry.status, 200, "{}", dry.raw);
    assert_eq!(dry.body["lines_affected"], 3);
    assert_eq!(h.stored("a", "a-0").await.status.as_str(), "received");

    let done = op_post(&h, "/v1/tenants/a/queue/clear?status=received").await;
    assert_eq!(done.body["lines_affected"], 3, "{}", done.raw);
    for i in 0..3 {
        let a = h.status("a", &format!("a-{i}")).await;
        assert_eq!(a.body["status"], "failed", "{}", a.raw);
        assert_eq!(a.body["reason_code"], "cleared_by_operator");
        let b = h.status("b", &format!("b-{i}")).await;
        assert_eq!(b.body["status"], "received", "{}", b.raw);
    }
    // the record stays for de-duplication: a resend is the same line, not a new one
    let resend = h.submit("a", &line("a-0", "1")).await;
    assert_eq!(resend.status, 200, "{}", resend.raw);
    // processing lines cannot be cleared
    let refused = op_post(&h, "/v1/tenants/a/queue/clear?status=processing").await;
    assert_eq!(refused.status, 409, "{}", refused.raw);
    // one audit record: who, what, lines affected (the dry run recorded nothing)
    let audit = op_get(&h, "/v1/audit").await;
    let records = audit.body["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{}", audit.raw);
    assert_eq!(records[0]["actor"], "ops");
    assert_eq!(records[0]["action"], "queue.clear");
    assert_eq!(records[0]["tenant"], "a");
    assert_eq!(records[0]["lines_affected"], 3);
    // retry brings them back to the queue
    let retried = op_post(&h, "/v1/tenants/a/queue/retry").await;
    assert_eq!(retried.body["lines_affected"], 3, "{}", retried.raw);
    assert_eq!(h.status("a", "a-1").await.body["status"], "received");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_10_restart_starts_two_workers_and_shows_the_stopped_one() {
    let tenants = format!(
        "{}{}{}",
        injected_tenant("a", ""),
        injected_tenant("b", ""),
        injected_tenant("c", "")
    );
    let mut h = Harness::start(&tenants, vec![("a", erp()), ("b", erp()), ("c", erp())]).await;
    assert!(common::wait_until(|| async { h.relay().running_workers() == 3 }).await);
    let stop = op_post(&h, "/v1/tenants/c/worker/stop").await;
    assert_eq!(stop.status, 200, "{}", stop.raw);
    h.restart().await;
    assert!(common::wait_until(|| async { h.relay().running_workers() == 2 }).await);
    let health = op_get(&h, "/v1/health").await;
    assert_eq!(health.status, 200, "{}", health.raw);
    let state = |t: &str| health.body["tenants"][t]["worker"]["state"].clone();
    assert_eq!(state("c"), "stopped_by_operator", "{}", health.raw);
    assert_ne!(state("a"), "stopped_by_operator");
    assert_ne!(state("b"), "stopped_by_operator");
    // a line for the stopped tenant waits; a start pushes it
    assert_eq!(h.submit("c", &line("c-1", "1")).await.status, 202);
    let start = op_post(&h, "/v1/tenants/c/worker/start").await;
    assert_eq!(start.status, 200, "{}", start.raw);
    h.wait_status("c", "c-1", "completed").await;
    let audit = op_get(&h, "/v1/audit?tenant=c").await;
    let actions: Vec<&str> = audit.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["worker.stop", "worker.start"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_11_management_needs_a_credential_and_alive_names_no_tenant() {
    let h = held(1).await;
    let calls = [
        ("GET", "/v1/health"),
        ("GET", "/v1/audit"),
        ("GET", "/v1/tenants/a/queue"),
        ("POST", "/v1/tenants/a/queue/clear?status=received"),
        ("POST", "/v1/tenants/a/queue/retry"),
        ("POST", "/v1/tenants/a/worker/stop"),
        ("POST", "/v1/tenants/a/worker/start"),
        ("POST", "/v1/tenants/a/reload"),
    ];
    for (method, path) in calls {
        for key in [None, Some(KEY), Some("not-a-key")] {
            let mut req = h.http.request(method.parse().unwrap(), h.url(path));
            if let Some(k) = key {
                req = req.bearer_auth(k);
            }
            let r = common::reply(req.send().await.unwrap()).await;
            assert_eq!(r.status, 401, "{method} {path} with {key:?}: {}", r.raw);
        }
    }
    // nothing was changed by the refused calls
    assert_eq!(h.status("a", "a-0").await.body["status"], "received");
    let alive = common::reply(h.http.get(h.url("/alive")).send().await.unwrap()).await;
    assert_eq!(alive.status, 200, "{}", alive.raw);
    assert_eq!(alive.body["store"], "reachable");
    let Value::Object(fields) = &alive.body else {
        panic!("not an object: {}", alive.raw)
    };
    assert!(fields.keys().all(|k| k == "alive" || k == "store"));
    for tenant in ["\"a\"", "\"b\""] {
        assert!(!alive.raw.contains(tenant), "{}", alive.raw);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_rebuilds_the_tenant_and_is_audited() {
    let h = Harness::start(&injected_tenant("a", ""), vec![("a", erp())]).await;
    let r = op_post(&h, "/v1/tenants/a/reload").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["reloaded"], true);
    assert_eq!(h.submit("a", &line("a-1", "1")).await.status, 202);
    h.wait_status("a", "a-1", "completed").await;
    let unknown = op_post(&h, "/v1/tenants/zz/reload").await;
    assert_eq!(unknown.status, 404, "{}", unknown.raw);
    let audit = op_get(&h, "/v1/audit").await;
    assert_eq!(
        audit.body["records"][0]["action"], "reload",
        "{}",
        audit.raw
    );
}
