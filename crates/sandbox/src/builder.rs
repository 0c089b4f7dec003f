//! [`SandboxBuilder`] and the running [`Sandbox`].

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use billing_http_core::cassette::{Cassette, ScrubConfig};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use url::Url;

use crate::fault::{AskedCounts, FaultRule};
use crate::recordings::Recordings;
use crate::server::{self, FAULT_SEGMENTS, Router, State};
use crate::{DEFAULT_SCALE, Error, FaultPlan, Mode, Synthetic, Vendor, embedded};

/// Builds a [`Sandbox`]: start with [`Sandbox::stable`] (your tests) or [`Sandbox::builder`]
/// (scripted tests).
#[derive(Debug)]
pub struct SandboxBuilder {
    vendor: String,
    mode: Mode,
    /// Load the embedded cassettes of `vendor` (before the others) when starting.
    embedded: bool,
    cassettes: Vec<Cassette>,
    config: ScrubConfig,
    latency: Duration,
    faults: Vec<FaultRule>,
    rate_limit: Option<(u64, Duration)>,
    synthetic: Vec<Synthetic>,
    host: IpAddr,
    port: u16,
    base_path: String,
}

impl SandboxBuilder {
    fn new(vendor: &str, mode: Mode) -> Self {
        SandboxBuilder {
            vendor: vendor.to_owned(),
            mode,
            embedded: false,
            cassettes: Vec::new(),
            config: ScrubConfig::new(),
            latency: Duration::ZERO,
            faults: Vec::new(),
            rate_limit: None,
            synthetic: Vec::new(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            base_path: "/".to_owned(),
        }
    }

    /// How recordings answer ([`Mode::Stable`] or [`Mode::Scripted`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The path prefix clients put before the cassettes' paths (e.g. `/v1/` when a Pax8
    /// client uses `url_for("v1")` as its base URL). It is stripped before matching and in
    /// route keys, as the recorder stripped the recording base URL's path. Default `/`.
    pub fn base_path(mut self, path: &str) -> Self {
        let trimmed = path.trim_matches('/');
        self.base_path = if trimmed.is_empty() {
            "/".to_owned()
        } else {
            format!("/{trimmed}/")
        };
        self
    }

    /// Serves the cassette `<vendor>/<scenario>.json`: the embedded one, else the file under
    /// the repository's `fixtures/` folder (found from the current crate, or `$FIXTURES_DIR`).
    pub fn cassette(mut self, name: &str) -> Result<Self, Error> {
        let cassette = match embedded::find(name) {
            Some(embedded) => embedded?,
            None => Cassette::load_fixture(name)?,
        };
        self.cassettes.push(cassette);
        Ok(self)
    }

    /// Serves every recorded cassette of the vendor, in file name order: the embedded ones
    /// (the repository's fixtures at build time), else a `fixtures/<vendor>/` folder found at
    /// run time. A vendor with neither serves nothing.
    pub fn all_fixtures(mut self) -> Result<Self, Error> {
        let embedded = embedded::load(&self.vendor)?;
        if !embedded.is_empty() {
            self.cassettes.extend(embedded);
            return Ok(self);
        }
        if let Ok(dir) = billing_http_core::cassette::fixtures_dir() {
            self.cassettes.extend(load_dir(&dir.join(&self.vendor))?);
        }
        Ok(self)
    }

    /// Serves every `<dir>/<vendor>/*.json` (a folder laid out like the repository's
    /// `fixtures/`) instead of the embedded recordings. Fails when there is none.
    pub fn fixtures_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, Error> {
        let dir = dir.as_ref();
        let found = load_dir(&dir.join(&self.vendor))?;
        if found.is_empty() {
            return Err(Error::NoFixtures {
                dir: dir.to_owned(),
                vendor: self.vendor.clone(),
            });
        }
        self.embedded = false;
        self.cassettes.extend(found);
        Ok(self)
    }

    /// Serves an in-memory cassette.
    pub fn with_cassette(mut self, cassette: Cassette) -> Self {
        self.cassettes.push(cassette);
        self
    }

    /// The vendor's scrub config (its secret fields are ignored in matching). Fields that
    /// recordings hold as `REDACTED` are ignored in any case.
    pub fn scrub_config(mut self, config: ScrubConfig) -> Self {
        self.config = config;
        self
    }

    /// Waits this long before every answer.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Adds a fault plan for every request.
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults.push(FaultRule::new(None, plan));
        self
    }

    /// Adds a fault plan for one route only (see [`Sandbox::count`] for route keys).
    pub fn faults_on(mut self, route: &str, plan: FaultPlan) -> Self {
        self.faults
            .push(FaultRule::new(Some(route.to_owned()), plan));
        self
    }

    /// Answers 429 with `Retry-After` once more than `max` requests arrive within one window
    /// of length `per` (fixed windows, starting at the first request).
    pub fn rate_limit(mut self, max: u64, per: Duration) -> Self {
        self.rate_limit = Some((max, per));
        self
    }

    /// Adds a synthetic data set.
    pub fn synthetic(mut self, data: Synthetic) -> Self {
        self.synthetic.push(data);
        self
    }

    /// Removes every synthetic data set added so far (the defaults of [`Sandbox::stable`]
    /// included): only recordings answer.
    pub fn without_synthetic(mut self) -> Self {
        self.synthetic.clear();
        self
    }

    /// Listens on this address instead of `127.0.0.1` (`0.0.0.0` in a container).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Listens on this port instead of an ephemeral one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds the listener and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<Sandbox, Error> {
        let mut started = start_listener(vec![("/".to_owned(), self)]).await?;
        started.pop().ok_or(Error::NothingToServe)
    }

    fn into_state(mut self, listener_base: &Url, mount: String) -> Result<State, Error> {
        if self.embedded {
            let mut all = embedded::load(&self.vendor)?;
            all.append(&mut self.cassettes);
            self.cassettes = all;
        }
        let root = join(listener_base, &mount)?;
        let match_base = join(&root, &self.base_path)?;
        Ok(State {
            recordings: Recordings::new(self.cassettes, self.config.clone(), self.mode),
            models: self.synthetic.iter().map(Synthetic::model).collect(),
            vendor: self.vendor,
            mount,
            root,
            match_base,
            config: self.config,
            latency: self.latency,
            faults: self.faults,
            asked: AskedCounts::default(),
            rate_limit: self.rate_limit,
            window: Mutex::new(None),
            counts: Mutex::new(BTreeMap::new()),
            misses: Mutex::new(Vec::new()),
        })
    }
}

fn bind_error(host: IpAddr, port: u16, e: impl std::fmt::Display) -> Error {
    Error::Bind {
        host: host.to_string(),
        port,
        source: std::io::Error::other(e.to_string()),
    }
}

/// `base` joined with a path relative to it (`/pax8/` → `http://a:1/pax8/`).
fn join(base: &Url, path: &str) -> Result<Url, Error> {
    base.join(path.trim_start_matches('/'))
        .map_err(|e| Error::BasePath {
            path: path.to_owned(),
            reason: e.to_string(),
        })
}

/// Every `*.json` of `dir`, in file name order; a missing folder has none.
fn load_dir(dir: &Path) -> Result<Vec<Cassette>, Error> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<_> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| Cassette::load(f).map_err(Error::from))
        .collect()
}

/// Binds the first builder's host and port and serves every builder under its mount path.
async fn start_listener(builders: Vec<(String, SandboxBuilder)>) -> Result<Vec<Sandbox>, Error> {
    let Some((_, first)) = builders.first() else {
        return Err(Error::NothingToServe);
    };
    let (host, port) = (first.host, first.port);
    let listener = TcpListener::bind((host, port))
        .await
        .map_err(|source| Error::Bind {
            host: host.to_string(),
            port,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| bind_error(host, port, e))?;
    let base = Url::parse(&format!("http://{addr}/")).map_err(|e| bind_error(host, port, e))?;
    let states = builders
        .into_iter()
        .map(|(mount, b)| b.into_state(&base, mount).map(Arc::new))
        .collect::<Result<Vec<_>, Error>>()?;
    let router = Arc::new(Router {
        base,
        states: states.clone(),
    });
    let task = Arc::new(ServerTask(Mutex::new(Some(tokio::spawn(
        server::accept_loop(listener, router),
    )))));
    Ok(states
        .into_iter()
        .map(|state| Sandbox {
            addr,
            state,
            task: task.clone(),
        })
        .collect())
}

/// The accept loop; aborted when the last [`Sandbox`] sharing it is dropped.
#[derive(Debug)]
struct ServerTask(Mutex<Option<JoinHandle<()>>>);

impl ServerTask {
    fn take(&self) -> Option<JoinHandle<()>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl Drop for ServerTask {
    fn drop(&mut self) {
        if let Some(task) = self.take() {
            task.abort();
        }
    }
}

/// A running sandbox for one vendor. Dropping it stops it.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<State>,
    task: Arc<ServerTask>,
}

impl Sandbox {
    /// Starts a stable sandbox for `vendor` on `127.0.0.1` and an ephemeral port, serving the
    /// embedded recordings and the vendor's default synthetic data
    /// ([`Vendor::default_synthetic`] at [`DEFAULT_SCALE`]). Equivalent to
    /// `Sandbox::stable(vendor).start()`.
    pub async fn start(vendor: Vendor) -> Result<Sandbox, Error> {
        Sandbox::stable(vendor).start().await
    }

    /// A builder in [`Mode::Stable`] with the embedded recordings of `vendor` and its
    /// default synthetic data; change what you need before [`SandboxBuilder::start`].
    pub fn stable(vendor: Vendor) -> SandboxBuilder {
        let mut b = SandboxBuilder::new(vendor.name(), Mode::Stable);
        b.embedded = true;
        b.synthetic = vendor.default_synthetic(DEFAULT_SCALE);
        b
    }

    /// A builder in [`Mode::Scripted`] serving nothing yet: add cassettes
    /// ([`SandboxBuilder::cassette`], [`SandboxBuilder::all_fixtures`]), synthetic data,
    /// faults, latency and quotas. `vendor` (`"pax8"` or [`Vendor::Pax8`]) names the
    /// fixtures folder.
    pub fn builder(vendor: impl AsRef<str>) -> SandboxBuilder {
        SandboxBuilder::new(vendor.as_ref(), Mode::Scripted)
    }

    /// Starts several sandboxes on one listener (the first builder's host and port), each
    /// under `/<vendor>/` (before its own base path): one port for all vendors. Stopping one
    /// stops all.
    pub async fn start_together(
        builders: impl IntoIterator<Item = SandboxBuilder>,
    ) -> Result<Vec<Sandbox>, Error> {
        let mounted: Vec<(String, SandboxBuilder)> = builders
            .into_iter()
            .map(|b| (format!("/{}/", b.vendor.trim_matches('/')), b))
            .collect();
        start_listener(mounted).await
    }

    /// The vendor name this sandbox serves.
    pub fn vendor(&self) -> &str {
        &self.state.vendor
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `http://127.0.0.1:<port>/` (`…/<vendor>/` when started together).
    pub fn url(&self) -> String {
        self.state.root.to_string()
    }

    /// `url()` joined with a relative path (`url_for("token")`).
    pub fn url_for(&self, path: &str) -> String {
        format!("{}{}", self.state.root, path.trim_start_matches('/'))
    }

    /// A base URL whose requests ask for the fault `spec` (the `X-Sandbox-Fault` syntax, e.g.
    /// `"503;times=2"`): `url()` followed by `_sandbox/fault/<spec>/`. Point a client at it
    /// to exercise its retries with no other setup.
    pub fn url_with_fault(&self, spec: &str) -> String {
        format!(
            "{}{}/{}/{}/",
            self.state.root,
            FAULT_SEGMENTS[0],
            FAULT_SEGMENTS[1],
            spec.trim().trim_matches('/')
        )
    }

    /// Requests received on `route` so far. Route keys are `"<METHOD> <path>"`, plus
    /// `" <action>"` when a form or query has an `action` field (PUMAPI):
    /// `"GET /companies"`, `"POST /pumapi/ getuser"`. Every request counts, including those
    /// answered with an injected fault or a rate-limit 429.
    pub fn count(&self, route: &str) -> u64 {
        self.state.counts().get(route).copied().unwrap_or(0)
    }

    /// All routes and their counts.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.state.counts().clone()
    }

    /// All requests received.
    pub fn total(&self) -> u64 {
        self.state.counts().values().sum()
    }

    /// The explanations sent with every 501 `X-Sandbox-Miss` answer, in order.
    pub fn misses(&self) -> Vec<String> {
        self.state
            .misses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How often each recorded interaction answered (in load order: embedded first, then
    /// the cassettes added).
    pub fn cassette_uses(&self) -> Vec<u32> {
        self.state.recordings.uses()
    }

    /// Stops accepting and closes every connection (of every vendor sharing the listener).
    pub async fn shutdown(self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}
