//! The operator commands of the `relay` binary against a running `relay serve`: tables, `--json`,
//! the key from the environment or a file, and a refusal without a key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use billing_relay::standin::HttpErp;
use common::{KEY, OPERATOR_KEY, head, http_client, http_tenant, line, spawn_relay, submit_to};
use serde_json::Value;

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// `relay ARGS --url URL` with the operator key in the environment (unless `key` is `None`).
async fn relay(url: &str, key: Option<&str>, args: &[&str]) -> Out {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_relay"));
    cmd.args(args).arg("--url").arg(url);
    cmd.env_remove("RELAY_OPERATOR_KEY").env_remove("RELAY_URL");
    if let Some(k) = key {
        cmd.env("RELAY_OPERATOR_KEY", k);
    }
    let out = cmd.output().await.unwrap();
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(out: &Out) -> Value {
    assert!(out.ok, "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_operates_a_running_relay_with_tables_and_json() {
    let erp = HttpErp::start(false).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let config = dir.path().join("relay.toml");
    let log = dir.path().join("relay.log");
    std::fs::write(
        &config,
        format!(
            "{}{}{}",
            head(&db),
            http_tenant("held", &erp, false, "active = false"),
            http_tenant("live", &erp, false, "")
        ),
    )
    .unwrap();
    let (mut server, url) = spawn_relay(&config, &log, &[], &[]).await;
    let http = http_client();
    for id in ["Q-1", "Q-2"] {
        let r = submit_to(&http, &url, "held", &line(id, "1")).await;
        assert_eq!(r.status, 202, "{}", r.raw);
    }

    // no key: refused, and the relay's 401 is what it says
    let out = relay(&url, None, &["health"]).await;
    assert!(!out.ok);
    assert!(out.stderr.contains("RELAY_OPERATOR_KEY"), "{}", out.stderr);
    let out = relay(&url, Some("not-an-operator-key"), &["health"]).await;
    assert!(!out.ok);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    // an ingest key is not an operator key
    let out = relay(&url, Some(KEY), &["queue", "ls", "held"]).await;
    assert!(!out.ok);
    assert!(out.stderr.contains("401"), "{}", out.stderr);

    // queue ls: json is the relay's reply; the table names the lines
    let listed = json(&relay(&url, Some(OPERATOR_KEY), &["queue", "ls", "held", "--json"]).await);
    let ids: Vec<&str> = listed["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["unique_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["Q-1", "Q-2"]);
    let table = relay(&url, Some(OPERATOR_KEY), &["queue", "ls", "held"]).await;
    assert!(table.ok, "{}", table.stderr);
    let rows: Vec<&str> = table.stdout.lines().collect();
    assert!(rows[0].starts_with("SEQ"), "{}", table.stdout);
    assert_eq!(rows.len(), 3, "{}", table.stdout);
    assert!(rows[1].contains("Q-1") && rows[1].contains("received"));
    assert!(rows[2].contains("Q-2"));

    // clear, dry run first: nothing changes
    let dry = relay(
        &url,
        Some(OPERATOR_KEY),
        &[
            "queue",
            "clear",
            "held",
            "--status",
            "received",
            "--dry-run",
        ],
    )
    .await;
    assert!(dry.ok, "{}", dry.stderr);
    assert!(
        dry.stdout.starts_with("held: would clear 2 lines"),
        "{}",
        dry.stdout
    );
    let key_file = dir.path().join("operator.key");
    let key_file = key_file.to_str().unwrap();
    let cleared = json(
        &relay(
            &url,
            None,
            &[
                "queue",
                "clear",
                "held",
                "--status",
                "received",
                "--key-file",
                key_file,
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(cleared["lines_affected"], 2);
    assert_eq!(cleared["dry_run"], false);

    // worker stop: health shows it, as a table and as json
    let stop = relay(&url, Some(OPERATOR_KEY), &["worker", "stop", "live"]).await;
    assert!(stop.ok, "{}", stop.stderr);
    assert_eq!(stop.stdout.trim(), "live: worker stopped_by_operator");
    let health = json(&relay(&url, Some(OPERATOR_KEY), &["health", "--json"]).await);
    assert_eq!(
        health["tenants"]["live"]["worker"]["state"],
        "stopped_by_operator"
    );
    assert_eq!(health["tenants"]["held"]["counts"]["failed"], 2);
    let table = relay(&url, Some(OPERATOR_KEY), &["health"]).await;
    assert!(table.ok, "{}", table.stderr);
    let live = table
        .stdout
        .lines()
        .find(|l| l.starts_with("live "))
        .unwrap_or_else(|| panic!("{}", table.stdout));
    assert!(live.contains("stopped_by_operator"), "{live}");

    // the audit log holds the clear and the stop (not the dry run), by operator `ops`
    let audit = json(&relay(&url, Some(OPERATOR_KEY), &["audit", "--json"]).await);
    let actions: Vec<(&str, &str)> = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["actor"].as_str().unwrap(), r["action"].as_str().unwrap()))
        .collect();
    assert_eq!(actions, [("ops", "queue.clear"), ("ops", "worker.stop")]);
    let table = relay(&url, Some(OPERATOR_KEY), &["audit"]).await;
    assert!(table.ok, "{}", table.stderr);
    assert_eq!(table.stdout.lines().count(), 3, "{}", table.stdout);
    assert!(table.stdout.contains("worker.stop"));

    server.kill().await.unwrap();
}
