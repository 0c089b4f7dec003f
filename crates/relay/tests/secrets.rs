//! No credential and no raw body in any log, reply, status record or `Debug` (issue 11 item 7),
//! and §13 check 3. Every `tracing` event of the process, at TRACE level and from every crate
//! (the relay, the SDK, sqlx, hyper, reqwest), is captured and searched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use billing_relay::standin::{HttpErp, PpmsErp};
use common::{Harness, KEY, line, wait_until};

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Capture(writer.clone()))
            .init();
        buf
    })
    .clone()
}

fn logs() -> String {
    String::from_utf8_lossy(&capture_logs().lock().unwrap()).into_owned()
}

/// Every byte of the database file and its WAL.
fn database_bytes(h: &Harness) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut p = h.db_path().into_os_string();
        p.push(suffix);
        if let Ok(b) = std::fs::read(p) {
            all.extend(b);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_3_password_gets_400_and_is_stored_and_logged_nowhere() {
    capture_logs();
    let erp = HttpErp::start(false).await.unwrap();
    let h = Harness::start(&common::http_tenant("ws-a", &erp, true, ""), vec![]).await;
    let body = r#"{"unique_id":"P-1","case_nr":"1","product_nr":"2","product_amount":1,"username":"erp-user-Hn2","password":"body-password-Lm3"}"#;
    let r = h.submit("ws-a", body).await;
    assert_eq!(r.status, 400, "{}", r.raw);
    assert_eq!(r.body["code"], "credentials_not_accepted");
    assert!(!r.raw.contains("body-password-Lm3"));
    assert_eq!(h.status("ws-a", "P-1").await.status, 404);
    // a normal line afterwards, so the database file has been written
    assert_eq!(h.submit("ws-a", &line("P-2", "1")).await.status, 202);
    h.wait_status("ws-a", "P-2", "completed").await;
    let db = database_bytes(&h);
    assert!(contains(&db, "P-2"), "the database scan sees stored lines");
    let logs = logs();
    assert!(
        logs.contains("credentials_not_accepted"),
        "the refusal is logged (without the value)"
    );
    for value in ["body-password-Lm3", "erp-user-Hn2"] {
        assert!(!contains(&db, value), "{value} in the database");
        assert!(!logs.contains(value), "{value} in the logs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credential_or_body_in_logs_replies_records_or_debug() {
    use std::os::unix::fs::PermissionsExt;
    capture_logs();
    const ERP_PASSWORD: &str = "erp-password-Zx9";
    const PPMS_KEY: &str = "ppms-api-key-Qw7";
    const WRONG_KEY: &str = "presented-wrong-key-Rt5";
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("erp.password");
    std::fs::write(&password_file, format!("{ERP_PASSWORD}\n")).unwrap();
    std::fs::set_permissions(&password_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let key_file = dir.path().join("ppms.key");
    std::fs::write(&key_file, PPMS_KEY).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();

    let web = HttpErp::start(false).await.unwrap();
    let ppms = PpmsErp::start(PPMS_KEY).await.unwrap();
    let ppms_other = PpmsErp::start("a-key-the-relay-does-not-have")
        .await
        .unwrap();
    let ppms_section = |name: &str, url: String| {
        format!(
            "[tenants.{name}]\nerp = \"ppms\"\nrequest_attempts = 1\n[tenants.{name}.ppms]\nurl = \"{url}\"\napi_key = {{ file = \"{}\" }}\ncase_is = \"login\"\n",
            key_file.display()
        )
    };
    let tenants = format!(
        "{}auth = \"basic\"\nusername = \"relay\"\nsecret = {{ file = \"{}\" }}\n{}{}",
        common::http_tenant("web", &web, true, ""),
        password_file.display(),
        ppms_section("pp", ppms.url()),
        ppms_section("pp-rejected", ppms_other.url()),
    );
    let h = Harness::start(&tenants, vec![]).await;

    let mut replies = Vec::new();
    let body = r#"{"unique_id":"L-1","case_nr":"jdoe","product_nr":"112","product_amount":"1.5","note":"BODY-ONLY-TEXT-Vb8"}"#;
    for tenant in ["web", "pp", "pp-rejected"] {
        let r = h.submit(tenant, body).await;
        assert_eq!(r.status, 202, "{}", r.raw);
        replies.push(r.raw);
    }
    replies.push(h.submit("web", body).await.raw);
    replies.push(
        h.submit_as("web", body, Some(WRONG_KEY), "application/json")
            .await
            .raw,
    );
    replies.push(
        h.submit_as("web", "{", Some(KEY), "application/json")
            .await
            .raw,
    );
    replies.push(h.wait_status("web", "L-1", "completed").await.raw);
    replies.push(h.wait_status("pp", "L-1", "completed").await.raw);
    assert!(
        wait_until(|| async {
            h.status("pp-rejected", "L-1").await.body["reason_code"] == "erp_auth"
        })
        .await,
        "the rejected ppms key pauses its tenant"
    );
    replies.push(h.status("pp-rejected", "L-1").await.raw);

    let config = billing_relay::config::Config::from_toml(&h.config_text, Vec::new()).unwrap();
    let clock: Arc<dyn billing_relay::clock::Clock> = Arc::new(billing_relay::clock::TokioClock);
    let mut debug = vec![format!("{config:?}"), format!("{:?}", h.relay())];
    for (name, t) in &config.tenants {
        let i = billing_relay::integration::Integration::from_config(name, t, clock.clone())
            .await
            .unwrap();
        debug.push(format!("{i:?}"));
    }

    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("relay:{ERP_PASSWORD}"));
    let logs = logs();
    let db = database_bytes(&h);
    // the scans look at the right things
    assert!(
        logs.contains("unique_id=L-1") && logs.contains("tenant=web"),
        "events carry tenant and unique id"
    );
    assert!(
        logs.contains("pausing the tenant"),
        "the auth failure was logged"
    );
    assert!(contains(&db, "L-1"));
    assert!(debug.iter().any(|d| d.contains("PpmsAdapter")));
    for secret in [
        KEY,
        ERP_PASSWORD,
        basic.as_str(),
        PPMS_KEY,
        WRONG_KEY,
        "BODY-ONLY-TEXT-Vb8",
    ] {
        assert!(!logs.contains(secret), "{secret} in the logs");
        assert!(!contains(&db, secret), "{secret} in the database");
        for r in &replies {
            assert!(!r.contains(secret), "{secret} in a reply: {r}");
        }
        for d in &debug {
            assert!(!d.contains(secret), "{secret} in Debug: {d}");
        }
    }
}
