//! §13 check 5: the real `relay` process is killed with `SIGKILL` between claim and ERP
//! confirmation, then restarted on the same SQLite file. Crash recovery settles each line
//! according to what its adapter can do, and no line is pushed twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use billing_relay::adapters::ppms::marker;
use billing_relay::standin::{HttpErp, PpmsErp};
use common::{
    KEY, head, http_client, http_tenant, line, reply, spawn_relay, submit_to, wait_until,
};
use tokio::process::Child;

const PPMS_KEY: &str = "ppms-key-for-the-crash-test";

async fn spawn(config: &Path, log: &Path) -> (Child, String) {
    spawn_relay(config, log, &[("RELAY_CRASH_TEST_PPMS_KEY", PPMS_KEY)], &[]).await
}

async fn status(http: &reqwest::Client, url: &str, tenant: &str, id: &str) -> common::Reply {
    reply(
        http.get(format!("{url}/v1/tenants/{tenant}/order-lines/{id}"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn wait_status(
    http: &reqwest::Client,
    url: &str,
    tenant: &str,
    id: &str,
    want: &str,
) -> common::Reply {
    let ok =
        wait_until(|| async { status(http, url, tenant, id).await.body["status"] == want }).await;
    let last = status(http, url, tenant, id).await;
    assert!(ok, "{tenant}/{id} never became {want}: {}", last.raw);
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_5_sigkill_between_claim_and_confirmation_pushes_once() {
    let checkable = HttpErp::start(false).await.unwrap();
    let blind = HttpErp::start(false).await.unwrap();
    let ppms = PpmsErp::start(PPMS_KEY).await.unwrap();
    for erp in [&checkable, &blind] {
        erp.set_hold(true);
    }
    ppms.set_hold(true);

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("relay.toml");
    let log = dir.path().join("relay.log");
    std::fs::write(
        &config,
        format!(
            "{}{}{}[tenants.pp]\nerp = \"ppms\"\nrequest_attempts = 1\n[tenants.pp.ppms]\nurl = \"{}\"\napi_key = {{ env = \"RELAY_CRASH_TEST_PPMS_KEY\" }}\ncase_is = \"login\"\n",
            head(&dir.path().join("relay.db")),
            http_tenant("checkable", &checkable, true, ""),
            http_tenant("blind", &blind, false, ""),
            ppms.url()
        ),
    )
    .unwrap();

    let http = http_client();
    let (mut relay, url) = spawn(&config, &log).await;
    for tenant in ["checkable", "blind", "pp"] {
        let r = submit_to(&http, &url, tenant, &line("K-1", "2.5")).await;
        assert_eq!(r.status, 202, "{}", r.raw);
    }
    // each ERP has committed its line and holds the answer: the relay is between claim and
    // confirmation
    for wait in [checkable.wait_held(1), blind.wait_held(1)] {
        tokio::time::timeout(Duration::from_secs(20), wait)
            .await
            .expect("push never arrived");
    }
    tokio::time::timeout(Duration::from_secs(20), ppms.wait_held(1))
        .await
        .expect("createorder never arrived");
    for tenant in ["checkable", "blind", "pp"] {
        assert_eq!(
            status(&http, &url, tenant, "K-1").await.body["status"],
            "processing"
        );
    }

    relay.start_kill().unwrap(); // SIGKILL
    let exit = relay.wait().await.unwrap();
    assert!(!exit.success());
    for erp in [&checkable, &blind] {
        erp.set_hold(false);
    }
    ppms.set_hold(false);

    let (mut relay, url) = spawn(&config, &log).await;
    let c = wait_status(&http, &url, "checkable", "K-1", "completed").await;
    assert_eq!(c.body["erp_reference"], "ERP-1", "{}", c.raw);
    let b = wait_status(&http, &url, "blind", "K-1", "failed").await;
    assert_eq!(b.body["reason_code"], "outcome_unknown", "{}", b.raw);
    let p = wait_status(&http, &url, "pp", "K-1", "completed").await;
    assert_eq!(p.body["erp_reference"], "48001", "{}", p.raw);

    // pushed once either way, and nothing more is sent
    relay.start_kill().unwrap();
    relay.wait().await.unwrap();
    assert_eq!((checkable.pushes("K-1"), checkable.held("K-1")), (1, 1));
    assert_eq!((blind.pushes("K-1"), blind.held("K-1")), (1, 1));
    let m = marker("pp", "K-1");
    assert_eq!(
        (ppms.creates_mentioning(&m), ppms.orders_mentioning(&m)),
        (1, 1)
    );
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("crash recovery settles the line"), "{log}");
}
