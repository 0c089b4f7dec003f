//! Two `relay` processes on one Postgres database (issue 12 item 4): 2,000 lines over 4
//! tenants, submitted to both nodes (each line once to each node, so every line is also a
//! resend the other node must de-duplicate; which node hears a line first alternates). Every
//! line is pushed to its ERP exactly once, in its tenant's order, and ends `completed`; both
//! nodes push lines. Runs when `RELAY_TEST_POSTGRES_URL` is set (`.ci/run` sets it).
//!
//! The tenants have no client-side rate limit (`rate_limit_per_second = 0`): the default of 10
//! requests per second would bound each tenant to 10 lines per second, and the test would
//! measure the limiter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use billing_relay::standin::HttpErp;
use billing_relay::store::Store;
use billing_relay::store::postgres::{PgOptions, PgStore};
use common::{head, http_client, http_tenant, line, spawn_relay, submit_to};

const TENANTS: [&str; 4] = ["t0", "t1", "t2", "t3"];
const PER_TENANT: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_relay_processes_on_one_postgres_push_every_line_exactly_once() {
    let Some(url) = common::postgres_test_url() else {
        return;
    };
    let schema = common::unique_schema("relay_e2e");
    let dir = tempfile::tempdir().unwrap();
    let mut erps = Vec::new();
    for _ in TENANTS {
        // not de-duplicating on the idempotency key: a second push would show
        let erp = HttpErp::start(false).await.unwrap();
        // a push takes a little time, so that the nodes' claims meet
        erp.set_latency(std::time::Duration::from_millis(2));
        erps.push(erp);
    }
    let mut config = postgres_head(dir.path(), &url, &schema);
    for (tenant, erp) in TENANTS.iter().zip(&erps) {
        config.push_str(&http_tenant(tenant, erp, true, "rate_limit_per_second = 0"));
    }
    let path = dir.path().join("relay.toml");
    std::fs::write(&path, config).unwrap();

    let log = dir.path().join("relay.log");
    // plain logs (no ANSI colours): the check below reads them
    let plain = [("NO_COLOR", "1")];
    let (mut node_a, url_a) = spawn_relay(&path, &log, &plain, &[]).await;
    let (mut node_b, url_b) = spawn_relay(&path, &log, &plain, &[]).await;
    let http = http_client();
    for i in 0..PER_TENANT {
        for tenant in TENANTS {
            let body = line(&format!("L-{i:04}"), "1.5");
            let nodes = if (i + tenant.len()) % 2 == 0 {
                [&url_a, &url_b]
            } else {
                [&url_b, &url_a]
            };
            for node in nodes {
                let r = submit_to(&http, node, tenant, &body).await;
                assert!(matches!(r.status, 200 | 202), "{}", r.raw);
            }
        }
    }

    let mut options = PgOptions::new(url);
    options.schema = Some(schema);
    let store = PgStore::open(options).await.unwrap();
    // every line settled, within a generous bound (the figure is printed, not asserted)
    let started = std::time::Instant::now();
    let mut all_done = false;
    while started.elapsed() < std::time::Duration::from_secs(240) {
        let mut done = 0;
        for tenant in TENANTS {
            done += store.counts(tenant).await.unwrap().completed;
        }
        if done == (TENANTS.len() * PER_TENANT) as u64 {
            all_done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    eprintln!(
        "two nodes on postgres: {} lines completed {:.1} s after the last submission",
        TENANTS.len() * PER_TENANT,
        started.elapsed().as_secs_f64()
    );
    let pids = [node_a.id().unwrap(), node_b.id().unwrap()];
    for node in [&mut node_a, &mut node_b] {
        node.start_kill().unwrap();
        node.wait().await.unwrap();
    }
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    if !all_done {
        let _ = std::fs::write("/tmp/relay_pg_fail.log", &log);
        let mut counts = Vec::new();
        for tenant in TENANTS {
            counts.push((tenant, store.counts(tenant).await.unwrap()));
        }
        let pushes: Vec<_> = erps.iter().map(|e| e.total_pushes()).collect();
        panic!("not every line completed: {counts:?}, pushes {pushes:?}; relay log:\n{log}");
    }
    let expected: Vec<String> = (0..PER_TENANT).map(|i| format!("L-{i:04}")).collect();
    for erp in &erps {
        assert_eq!(erp.distinct_lines(), PER_TENANT);
        assert_eq!(erp.duplicates(), 0, "a line pushed twice");
        assert_eq!(erp.total_pushes() as usize, PER_TENANT);
        assert!(
            erp.arrivals() == expected,
            "a tenant's lines reached its erp out of order"
        );
    }
    // each node's settlements are logged with its worker's owner, which starts with its pid
    for pid in pids {
        let owner = format!("owner={pid}-");
        let settled = log
            .lines()
            .filter(|l| l.contains("settled") && l.contains(&owner))
            .count();
        assert!(
            settled > 0,
            "node {pid} pushed no line: the nodes did not share the work"
        );
    }
}

/// Two nodes on one Postgres: an operator's stop sent to node A stops node B's worker too (B
/// reads the stops every `STOP_SYNC_EVERY` on its clock) and B's health says so; a start sent
/// to A resumes B's worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_stop_through_one_node_reaches_the_other_node() {
    use std::sync::Arc;

    use billing_relay::Relay;
    use billing_relay::STOP_SYNC_EVERY;
    use billing_relay::adapters::fault::FaultAdapter;
    use billing_relay::adapters::{Adapter, Capabilities};
    use billing_relay::clock::SteppedClock;
    use billing_relay::config::Config;
    use billing_relay::worker::WorkerState;

    let Some(url) = common::postgres_test_url() else {
        return;
    };
    let schema = common::unique_schema("relay_stops");
    let dir = tempfile::tempdir().unwrap();
    let config = postgres_head(dir.path(), &url, &schema) + &common::injected_tenant("a", "");
    let clock = SteppedClock::new();
    let erp: Arc<dyn Adapter> = Arc::new(FaultAdapter::new(Capabilities::new(true, true, false)));
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let relay = Relay::builder(Config::from_toml(&config, Vec::new()).unwrap())
            .clock(Arc::new(clock.clone()))
            .adapter("a", erp.clone())
            .start()
            .await
            .unwrap();
        nodes.push(relay);
    }
    let state = |n: usize| nodes[n].healths()["a"].state;
    assert!(common::wait_until(|| async { nodes[1].running_workers() == 1 }).await);
    let http = http_client();
    let call = |n: usize, what: &str| {
        http.post(format!("{}/v1/tenants/a/worker/{what}", nodes[n].url()))
            .bearer_auth(common::OPERATOR_KEY)
            .send()
    };
    assert_eq!(call(0, "stop").await.unwrap().status(), 200);
    assert_eq!(state(0), WorkerState::StoppedByOperator);
    clock.advance(STOP_SYNC_EVERY);
    assert!(
        common::wait_until(|| async { nodes[1].running_workers() == 0 }).await,
        "node b's worker still runs"
    );
    assert_eq!(state(1), WorkerState::StoppedByOperator);
    assert_eq!(call(0, "start").await.unwrap().status(), 200);
    clock.advance(STOP_SYNC_EVERY);
    assert!(
        common::wait_until(|| async { nodes[1].running_workers() == 1 }).await,
        "node b's worker did not start again"
    );
    assert_ne!(state(1), WorkerState::StoppedByOperator);
    for node in nodes {
        node.shutdown(std::time::Duration::from_secs(1)).await;
    }
}

/// The tests' configuration head (`common::head`) with its database on the Postgres schema.
fn postgres_head(dir: &std::path::Path, url: &str, schema: &str) -> String {
    let db = dir.join("relay.db");
    let sqlite = format!("url = \"sqlite://{}\"", db.display());
    let config = head(&db).replace(&sqlite, &format!("url = \"{url}\"\nschema = \"{schema}\""));
    assert!(config.contains(schema), "the head's database section moved");
    config
}
