//! Shared test harness: a relay on a real SQLite file in a temporary folder, served over real
//! HTTP on 127.0.0.1, driven by a stepped clock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use billing_relay::Relay;
use billing_relay::adapters::Adapter;
use billing_relay::clock::SteppedClock;
use billing_relay::config::Config;
use billing_relay::store::Store;
use serde_json::Value;

/// The ingest key every harness accepts (for every tenant).
pub const KEY: &str = "rk_test_ingest_key_0123456789abcdef";

/// The operator key every harness accepts (operator `ops`, from a 0600 file next to the
/// database).
pub const OPERATOR_KEY: &str = "rk_test_operator_key_fedcba9876543210";

/// The configuration head: database, one ingest client for all tenants, one operator `ops`
/// whose key file it writes next to the database.
pub fn head(db: &Path) -> String {
    use std::os::unix::fs::PermissionsExt as _;
    let key_file = db.with_file_name("operator.key");
    std::fs::write(&key_file, OPERATOR_KEY).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    format!(
        "listen = \"127.0.0.1:0\"\n[database]\nurl = \"sqlite://{}\"\n[operators.ops]\nkey = {{ file = \"{}\" }}\n[ingest.clients.tests]\nsha256 = [\"{}\"]\ntenants = [\"*\"]\n",
        db.display(),
        key_file.display(),
        billing_relay::api::hash_key(KEY)
    )
}

/// A tenant section for the generic HTTP adapter against a stand-in.
pub fn http_tenant(
    name: &str,
    erp: &billing_relay::standin::HttpErp,
    lookup: bool,
    extra: &str,
) -> String {
    let lookup = if lookup {
        format!("lookup_url = \"{}\"\n", erp.lookup_url())
    } else {
        String::new()
    };
    format!(
        "[tenants.{name}]\nerp = \"http\"\nrequest_attempts = 1\n{extra}\n[tenants.{name}.http]\nurl = \"{}\"\n{lookup}",
        erp.push_url()
    )
}

/// A tenant section whose adapter the test injects (the `http` section is a placeholder).
pub fn injected_tenant(name: &str, extra: &str) -> String {
    format!(
        "[tenants.{name}]\nerp = \"http\"\nrequest_attempts = 1\n{extra}\n[tenants.{name}.http]\nurl = \"http://127.0.0.1:9/unused\"\n"
    )
}

pub struct Harness {
    pub relay: Option<Relay>,
    pub dir: tempfile::TempDir,
    pub clock: SteppedClock,
    pub http: reqwest::Client,
    pub config_text: String,
    adapters: Vec<(String, Arc<dyn Adapter>)>,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub raw: String,
}

impl Harness {
    /// A relay with these tenant sections; `adapters` replace the configured ones.
    pub async fn start(tenants: &str, adapters: Vec<(&str, Arc<dyn Adapter>)>) -> Harness {
        if std::env::var_os("RELAY_TEST_LOG").is_some() {
            // RELAY_TEST_LOG=1 cargo test …: the relay's logs on standard error, for debugging
            let _ = tracing_subscriber::fmt()
                .with_env_filter("billing_relay=debug")
                .with_test_writer()
                .try_init();
        }
        let dir = tempfile::tempdir().unwrap();
        let config_text = format!("{}{tenants}", head(&dir.path().join("relay.db")));
        let mut h = Harness {
            relay: None,
            dir,
            clock: SteppedClock::new(),
            // reqwest with http-core's TLS settings: the workspace's reqwest has no
            // process-wide crypto provider
            http: billing_http_core::TlsConfig::default()
                .reqwest_builder()
                .unwrap()
                .build()
                .unwrap(),
            config_text,
            adapters: adapters
                .into_iter()
                .map(|(t, a)| (t.to_owned(), a))
                .collect(),
        };
        h.relay = Some(h.build(None).await);
        h
    }

    async fn build(&self, store: Option<Arc<dyn Store>>) -> Relay {
        let config = Config::from_toml(&self.config_text, Vec::new()).unwrap();
        let mut b = Relay::builder(config).clock(Arc::new(self.clock.clone()));
        for (t, a) in &self.adapters {
            b = b.adapter(t, a.clone());
        }
        if let Some(s) = store {
            b = b.store(s);
        }
        b.start().await.unwrap()
    }

    /// Starts the relay again on the same file after an abort (a crash).
    pub async fn restart(&mut self) {
        if let Some(r) = self.relay.take() {
            r.abort().await;
        }
        self.relay = Some(self.build(None).await);
    }

    pub fn relay(&self) -> &Relay {
        self.relay.as_ref().unwrap()
    }

    /// The stored line (content and queue state), read from the store.
    pub async fn stored(&self, tenant: &str, unique_id: &str) -> billing_relay::model::LineRecord {
        self.relay()
            .store()
            .get_line(tenant, unique_id)
            .await
            .unwrap()
            .unwrap()
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("relay.db")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.relay().url())
    }

    pub async fn submit(&self, tenant: &str, body: &str) -> Reply {
        self.submit_as(tenant, body, Some(KEY), "application/json")
            .await
    }

    pub async fn submit_as(
        &self,
        tenant: &str,
        body: &str,
        key: Option<&str>,
        content_type: &str,
    ) -> Reply {
        let mut req = self
            .http
            .post(self.url(&format!("/v1/tenants/{tenant}/order-lines")))
            .header("content-type", content_type)
            .body(body.to_owned());
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        reply(req.send().await.unwrap()).await
    }

    pub async fn status(&self, tenant: &str, unique_id: &str) -> Reply {
        let req = self
            .http
            .get(self.url(&format!("/v1/tenants/{tenant}/order-lines/{unique_id}")))
            .bearer_auth(KEY);
        reply(req.send().await.unwrap()).await
    }

    /// Waits (real time, generous guard) until the line has `status`.
    pub async fn wait_status(&self, tenant: &str, unique_id: &str, status: &str) -> Reply {
        let found =
            wait_until(|| async { self.status(tenant, unique_id).await.body["status"] == status })
                .await;
        let last = self.status(tenant, unique_id).await;
        assert!(
            found,
            "{tenant}/{unique_id} never became {status}; last reply {}",
            last.raw
        );
        last
    }
}

pub async fn reply(r: reqwest::Response) -> Reply {
    let status = r.status().as_u16();
    let raw = r.text().await.unwrap();
    let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
    Reply { status, body, raw }
}

/// A line body.
pub fn line(unique_id: &str, amount: &str) -> String {
    format!(
        r#"{{"unique_id":"{unique_id}","case_nr":"jdoe","product_nr":"112","product_amount":{amount}}}"#
    )
}

/// Polls `cond` every 10 ms until it holds; `false` after 20 s (a guard against hangs, not a
/// timed assertion).
pub async fn wait_until<F, Fut>(mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..2000 {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// Starts the `relay serve` binary on `config` (standard error appended to `log`, `env` set,
/// `args` after the config) and returns it with its base URL, read from its standard output.
pub async fn spawn_relay(
    config: &Path,
    log: &Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt as _;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .arg("serve")
        .arg("--config")
        .arg(config)
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the relay did not start in time")
        .unwrap()
        .expect("the relay exited before listening");
    let url = first
        .strip_prefix(billing_relay::LISTENING)
        .expect("the first line names the address")
        .to_owned();
    (child, url)
}

/// Submits `body` to `tenant` of the relay at `url` (a spawned binary) with the ingest key.
pub async fn submit_to(http: &reqwest::Client, url: &str, tenant: &str, body: &str) -> Reply {
    reply(
        http.post(format!("{url}/v1/tenants/{tenant}/order-lines"))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A reqwest client with http-core's TLS settings (the workspace's reqwest has no
/// process-wide crypto provider).
pub fn http_client() -> reqwest::Client {
    billing_http_core::TlsConfig::default()
        .reqwest_builder()
        .unwrap()
        .build()
        .unwrap()
}

/// The PostgreSQL database the Postgres tests may create schemas in (`RELAY_TEST_POSTGRES_URL`,
/// set by `.ci/run`), or `None` with a notice; under `CI=true` a missing one is a failure.
pub fn postgres_test_url() -> Option<String> {
    match std::env::var("RELAY_TEST_POSTGRES_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but RELAY_TEST_POSTGRES_URL is not set: .ci/run starts PostgreSQL"
            );
            eprintln!("RELAY_TEST_POSTGRES_URL not set: Postgres test skipped");
            None
        }
    }
}

/// A schema name of its own for one test run (`prefix_<random hex>`).
pub fn unique_schema(prefix: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    format!("{prefix}_{:016x}", h.finish())
}
