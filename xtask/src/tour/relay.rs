//! The relay section of the tour: the order relay in-process on a temporary SQLite file, with a
//! PPMS tenant on the workspace sandbox and a generic-HTTP tenant on a stand-in ERP
//! (`billing_relay::standin`).
//! Always offline: it submits lines, shows resends and conflicts, the status table converging,
//! and a line settled by crash recovery.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use billing_relay::Relay;
use billing_relay::config::Config;
use billing_relay::standin::HttpErp;
use billing_sandbox::{Sandbox, Vendor};

use crate::report::{NONE, Table, count, duration, heading, note, step};

const KEY: &str = "rk_tour_dispenser_key_0123456789";
const PPMS_KEY: &str = "tour-ppms-key";
const CREATEORDER: &str = "POST /pumapi/ createorder";
const GARAGE_TOKEN: &str = "tour-garage-token";

struct Tour {
    http: reqwest::Client,
    url: String,
}

struct Reply {
    status: u16,
    body: serde_json::Value,
}

impl Tour {
    async fn submit(&self, tenant: &str, body: &str) -> anyhow::Result<Reply> {
        let r = self
            .http
            .post(format!("{}/v1/tenants/{tenant}/order-lines", self.url))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await?;
        let status = r.status().as_u16();
        let body = serde_json::from_slice(&r.bytes().await?).unwrap_or(serde_json::Value::Null);
        Ok(Reply { status, body })
    }

    async fn status(&self, tenant: &str, id: &str) -> anyhow::Result<serde_json::Value> {
        let r = self
            .http
            .get(format!("{}/v1/tenants/{tenant}/order-lines/{id}", self.url))
            .bearer_auth(KEY)
            .send()
            .await?;
        Ok(serde_json::from_slice(&r.bytes().await?)?)
    }
}

fn line(id: &str, case: &str, product: &str, amount: &str) -> String {
    format!(
        r#"{{"unique_id":"{id}","case_nr":"{case}","product_nr":"{product}","product_amount":"{amount}"}}"#
    )
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => NONE.to_owned(),
        other => other.to_string(),
    }
}

fn private_file(dir: &std::path::Path, name: &str, value: &str) -> anyhow::Result<String> {
    let path = dir.join(name);
    std::fs::write(&path, value)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(path.display().to_string())
}

/// The relay tour.
pub async fn tour(lines: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ppms = Sandbox::stable(Vendor::Ppms)
        .latency(Duration::from_millis(3))
        .start()
        .await?;
    let garage = HttpErp::start(false).await?;
    garage.set_latency(Duration::from_millis(3));
    garage.set_token(Some(GARAGE_TOKEN));
    let db = dir.path().join("relay.db");
    let config_text = format!(
        r#"listen = "127.0.0.1:0"
[database]
url = "sqlite://{db}"
[ingest.clients.dispenser]
sha256 = ["{hash}"]
tenants = ["*"]

[tenants.facility]
erp = "ppms"
rate_limit_per_second = 0
[tenants.facility.products]
map = {{ "OIL-5W30" = "112", "OIL-10W40" = "113" }}
unmapped = "reject"
[tenants.facility.ppms]
url = "{ppms}"
api_key = {{ file = "{ppms_key}" }}
case_is = "login"

[tenants.garage]
erp = "http"
rate_limit_per_second = 0
[tenants.garage.http]
url = "{garage_push}"
lookup_url = "{garage_lookup}"
auth = "bearer"
secret = {{ file = "{garage_token}" }}
"#,
        db = db.display(),
        hash = billing_relay::api::hash_key(KEY),
        ppms = ppms.url(),
        ppms_key = private_file(dir.path(), "ppms.key", PPMS_KEY)?,
        garage_push = garage.push_url(),
        garage_lookup = garage.lookup_url(),
        garage_token = private_file(dir.path(), "garage.token", GARAGE_TOKEN)?,
    );
    let config = Config::from_toml(&config_text, Vec::new())?;
    let relay = Relay::builder(config.clone()).start().await?;
    heading(
        "Order relay",
        &format!(
            "offline: relay {} · SQLite {} · PPMS sandbox, HTTP ERP stand-in",
            relay.url(),
            db.display()
        ),
    );
    note(
        "tenant `facility` pushes to the PPMS sandbox (createorder, unique id as a staff-comment marker)",
    );
    note("tenant `garage` pushes to a generic-HTTP ERP stand-in (Idempotency-Key, lookup URL)");
    note("credentials come from 0600 files; the configuration only names them");
    let tour = Tour {
        // http-core's TLS settings: the workspace's reqwest has no process-wide crypto provider
        http: billing_http_core::TlsConfig::default()
            .reqwest_builder()?
            .build()?,
        url: relay.url(),
    };

    step(&format!(
        "{lines} dispensed lines from 8 concurrent dispensers (POST /v1/tenants/{{t}}/order-lines)"
    ));
    let started = Instant::now();
    let ids: Vec<(String, String)> = (0..lines)
        .map(|i| {
            let tenant = if i % 2 == 0 { "facility" } else { "garage" };
            (tenant.to_owned(), format!("D-{i:04}"))
        })
        .collect();
    let mut accepted = 0;
    let client = &tour;
    for chunk in ids.chunks(8) {
        let mut sends = Vec::new();
        for (i, (tenant, id)) in chunk.iter().enumerate() {
            let product = if i % 2 == 0 { "OIL-5W30" } else { "OIL-10W40" };
            let body = line(
                id,
                &format!("user{:05}", i),
                product,
                &format!("{}.5", 1 + i),
            );
            sends.push(async move { client.submit(tenant, &body).await });
        }
        for r in futures::future::join_all(sends).await {
            if r?.status == 202 {
                accepted += 1;
            }
        }
    }
    note(&format!(
        "{} accepted (202) in {}, each committed to SQLite before its answer",
        count(accepted as u64),
        duration(started.elapsed())
    ));

    step("The same line again, a changed amount, a refused body, a double-encoded body");
    let mut t = Table::new(&["request", "status", "code / status"]);
    let (tenant, id) = &ids[0];
    let first = line(id, "user00000", "OIL-5W30", "1.5");
    let resend = first.replace("\"1.5\"", "1.50");
    let r = tour.submit(tenant, &resend).await?;
    t.row(vec![
        format!("{id} resent (1.50 for 1.5)"),
        r.status.to_string(),
        text(&r.body["status"]),
    ]);
    let r = tour
        .submit(tenant, &first.replace("\"1.5\"", "\"9\""))
        .await?;
    t.row(vec![
        format!("{id} with amount 9"),
        r.status.to_string(),
        text(&r.body["code"]),
    ]);
    let with_password = first
        .replace("{", r#"{"password":"never-stored","#)
        .replace(id.as_str(), "D-X1");
    let r = tour.submit(tenant, &with_password).await?;
    t.row(vec![
        "a body with `password`".into(),
        r.status.to_string(),
        text(&r.body["code"]),
    ]);
    let twice = serde_json::to_string(&first.replace(id.as_str(), "D-X2"))?;
    let r = tour.submit(tenant, &twice).await?;
    t.row(vec![
        "the body encoded twice".into(),
        r.status.to_string(),
        text(&r.body["code"]),
    ]);
    let unmapped = line("D-X3", "user00001", "OIL-UNKNOWN", "1");
    let r = tour.submit("facility", &unmapped).await?;
    t.row(vec![
        "an unmapped product".into(),
        r.status.to_string(),
        text(&r.body["status"]),
    ]);
    t.print();

    step("The status table converges (counts per status, every 500 ms)");
    let mut t = Table::new(&[
        "after",
        "tenant",
        "received",
        "processing",
        "completed",
        "failed",
    ])
    .right(&[2, 3, 4, 5]);
    let expected = (accepted + 1) as u64;
    loop {
        let mut done = 0;
        for tenant in ["facility", "garage"] {
            let c = relay.store().counts(tenant).await?;
            done += c.completed + c.failed;
            t.row(vec![
                duration(started.elapsed()),
                tenant.into(),
                c.received.to_string(),
                c.processing.to_string(),
                c.completed.to_string(),
                c.failed.to_string(),
            ]);
        }
        if done >= expected || started.elapsed() > Duration::from_secs(120) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    t.print();
    let unmapped = tour.status("facility", "D-X3").await?;
    note(&format!(
        "D-X3: {} / {} ({})",
        text(&unmapped["status"]),
        text(&unmapped["reason_code"]),
        text(&unmapped["reason"])
    ));
    note(&format!(
        "createorder sent {} times; the garage ERP holds {} lines, {} duplicates",
        ppms.count(CREATEORDER),
        garage.distinct_lines(),
        garage.duplicates()
    ));
    let sample = tour.status("facility", &ids[0].1).await?;
    note(&format!(
        "GET {}: {}",
        format_args!("/v1/tenants/facility/order-lines/{}", ids[0].1),
        sample
    ));

    step("Crash recovery: the relay dies between claim and ERP confirmation, then restarts");
    garage.set_hold(true);
    let r = tour
        .submit("garage", &line("D-CRASH", "user00042", "OIL-5W30", "2"))
        .await?;
    anyhow::ensure!(r.status == 202, "the crash line was not accepted");
    tokio::time::timeout(Duration::from_secs(30), garage.wait_held(1))
        .await
        .context("the push never reached the garage stand-in")?;
    note(&format!(
        "the garage ERP has committed D-CRASH and holds its answer; the relay's record says {}",
        text(&tour.status("garage", "D-CRASH").await?["status"])
    ));
    relay.abort().await;
    garage.set_hold(false);
    garage.release();
    note(
        "relay stopped at once (no settlement, the lease stays behind); restarting on the same file…",
    );
    let relay = Relay::builder(config).start().await?;
    let tour = Tour {
        http: tour.http,
        url: relay.url(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let settled = loop {
        let s = tour.status("garage", "D-CRASH").await?;
        if s["status"] == "completed" || Instant::now() > deadline {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    note(&format!(
        "crash recovery asked the ERP (GET lookup_url): D-CRASH is {} with reference {}, pushed {} time(s), held {} time(s)",
        text(&settled["status"]),
        text(&settled["erp_reference"]),
        garage.pushes("D-CRASH"),
        garage.held("D-CRASH")
    ));
    relay.shutdown(Duration::from_secs(5)).await;
    note("more: docs/relay.md (run it, configure tenants, the API with curl, operations)");
    Ok(())
}
