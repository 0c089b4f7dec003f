//! Assembling and running a relay: store, integrations, supervisor and HTTP server.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use billing_http_core::clock::{Clock, TokioClock};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use crate::adapters::Adapter;
use crate::api::{self, AppState, IngestKeys};
use crate::config::{Config, ConfigError, RetentionConfig};
use crate::integration::Integration;
use crate::manage::{self, ConfigSource, ManageState, OperatorKeys};
use crate::store::{Store, StoreError};
use crate::supervisor::{Supervisor, TenantStart};
use crate::worker::TenantHealth;

/// Why a relay could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration (or a credential it references) is unusable.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// The store cannot be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Builds a [`Relay`]: `Relay::builder(config).start().await`.
#[must_use]
pub struct RelayBuilder {
    config: Config,
    clock: Arc<dyn Clock>,
    adapters: HashMap<String, Arc<dyn Adapter>>,
    store: Option<Arc<dyn Store>>,
    config_file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for RelayBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayBuilder")
            .field("config", &self.config)
            .field("adapters", &self.adapters.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl RelayBuilder {
    /// The clock (default: tokio's and the system's).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses `adapter` for `tenant` instead of the one its configuration describes (tests; the
    /// tenant's settings and product mapping still come from the configuration).
    pub fn adapter(mut self, tenant: &str, adapter: Arc<dyn Adapter>) -> Self {
        self.adapters.insert(tenant.to_owned(), adapter);
        self
    }

    /// The file the configuration came from: a management reload reads it again (without
    /// it, a reload rebuilds the tenant from the configuration the relay started with).
    pub fn config_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }

    /// Uses `store` instead of opening the configured database (tests).
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Opens the store, builds every active tenant's integration (resolving its credentials),
    /// binds the listen address, starts the workers (each begins with crash recovery) and
    /// serves the API.
    pub async fn start(self) -> Result<Relay, StartError> {
        let config = self.config;
        let store: Arc<dyn Store> = match self.store {
            Some(s) => s,
            None => {
                let mut database = config.database.clone();
                database.max_connections = Some(config.pool_size());
                crate::store::open(&database).await?
            }
        };
        let mut starts = BTreeMap::new();
        let mut notifies = HashMap::new();
        for (name, t) in &config.tenants {
            let notify = Arc::new(Notify::new());
            notifies.insert(name.clone(), notify.clone());
            let integration = if !t.active {
                None
            } else if let Some(a) = self.adapters.get(name) {
                Some(Arc::new(Integration::with_adapter(a.clone(), t)))
            } else {
                Some(Arc::new(
                    Integration::from_config(name, t, self.clock.clone()).await?,
                ))
            };
            starts.insert(
                name.clone(),
                TenantStart {
                    integration,
                    notify,
                },
            );
        }
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let node = format!(
            "{}-{}",
            std::process::id(),
            hex::encode(fastrand::u32(..).to_be_bytes())
        );
        // an operator's stop outlives a restart (reference §9)
        let stopped: HashSet<String> = store.operator_stops().await?.into_iter().collect();
        let operators = Arc::new(OperatorKeys::resolve(&config.operators).await?);
        let supervisor = Supervisor::start(
            store.clone(),
            self.clock.clone(),
            config.leases.duration,
            &node,
            starts,
            &stopped,
        );
        let supervisor = Arc::new(supervisor);
        let registry = Arc::new(api::Registry::new(notifies));
        let manage = ManageState {
            store: store.clone(),
            clock: self.clock.clone(),
            operators,
            supervisor: supervisor.clone(),
            registry: registry.clone(),
            config: match self.config_file {
                Some(p) => ConfigSource::File(p),
                None => ConfigSource::Fixed(Arc::new(config.clone())),
            },
            injected: Arc::new(self.adapters.clone()),
        };
        let state = AppState {
            store: store.clone(),
            clock: self.clock.clone(),
            keys: Arc::new(IngestKeys::from_config(&config.ingest)),
            tenants: registry,
            limits: config.limits,
        };
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, api::router(state).merge(manage::router(manage)))
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "http server stopped");
            }
        });
        let purges = Arc::new(AtomicU64::new(0));
        let purger = tokio::spawn(purge_task(
            store.clone(),
            self.clock.clone(),
            config.retention,
            purges.clone(),
        ));
        // several nodes on one store: an operator's stop or start made through another node
        // reaches this one's workers
        let stop_sync = (!store.single_node()).then(|| {
            tokio::spawn(stop_sync_task(
                store.clone(),
                self.clock.clone(),
                supervisor.clone(),
            ))
        });
        tracing::info!(%addr, tenants = config.tenants.len(), "relay started");
        Ok(Relay {
            addr,
            store,
            supervisor,
            server,
            purger,
            stop_sync,
            purges,
            stop: stop_tx,
        })
    }
}

/// A running relay. See [`Relay::builder`].
#[derive(Debug)]
pub struct Relay {
    addr: SocketAddr,
    store: Arc<dyn Store>,
    supervisor: Arc<Supervisor>,
    server: JoinHandle<()>,
    purger: JoinHandle<()>,
    stop_sync: Option<JoinHandle<()>>,
    purges: Arc<AtomicU64>,
    stop: oneshot::Sender<()>,
}

impl Relay {
    /// A builder for `config`.
    pub fn builder(config: Config) -> RelayBuilder {
        RelayBuilder {
            config,
            clock: Arc::new(TokioClock),
            adapters: HashMap::new(),
            store: None,
            config_file: None,
        }
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// A tenant's health.
    pub fn health(&self, tenant: &str) -> Option<TenantHealth> {
        self.supervisor.health(tenant)
    }

    /// Workers running now (not stopped by an operator, not inactive).
    pub fn running_workers(&self) -> usize {
        self.supervisor.running_workers()
    }

    /// Retention purges run so far (each deletes every record past `retention.keep`).
    pub fn purges_run(&self) -> u64 {
        self.purges.load(Ordering::SeqCst)
    }

    /// Every tenant's health.
    pub fn healths(&self) -> BTreeMap<String, TenantHealth> {
        self.supervisor.healths()
    }

    /// Graceful shutdown (reference §9): stops accepting requests and claiming lines, waits up
    /// to `grace` for pushes in flight, then returns.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.stop.send(());
        self.supervisor.shutdown(grace).await;
        let _ = self.server.await;
        stop_background(self.purger, self.stop_sync).await;
        self.store.close().await;
    }

    /// Stops everything at once, as if the process were killed: nothing is settled, leases
    /// stay behind for crash recovery. For tests and the tour.
    pub async fn abort(self) {
        self.server.abort();
        let _ = self.server.await;
        stop_background(self.purger, self.stop_sync).await;
        self.supervisor.abort().await;
        // connections still open hold the store: closing it is what a dead process does
        self.store.close().await;
    }
}

/// Stops the background tasks (retention, the stop sync).
async fn stop_background(purger: JoinHandle<()>, stop_sync: Option<JoinHandle<()>>) {
    for task in std::iter::once(purger).chain(stop_sync) {
        task.abort();
        let _ = task.await;
    }
}

/// What `relay serve` prints as its first line on standard output, followed by the URL it
/// serves (`relay listening on http://127.0.0.1:8080`): tools that start the binary on port 0
/// read the address from it.
pub const LISTENING: &str = "relay listening on ";

/// How often a node on a shared store reads the operators' stops made through other nodes.
pub const STOP_SYNC_EVERY: Duration = Duration::from_secs(5);

/// On a store shared by several nodes: every [`STOP_SYNC_EVERY`], brings this node's workers
/// in line with the operator stops in the store (`Supervisor::sync`), so that a stop or a
/// start made through any node shows in every node's health and a start resumes every node's
/// worker. Claims already refuse a stopped tenant on every node at once; this is the rest.
async fn stop_sync_task(store: Arc<dyn Store>, clock: Arc<dyn Clock>, supervisor: Arc<Supervisor>) {
    let mut next = crate::clock::now(clock.as_ref()).plus(STOP_SYNC_EVERY);
    loop {
        crate::clock::sleep_until(clock.as_ref(), next).await;
        next = next.plus(STOP_SYNC_EVERY);
        match store.operator_stops().await {
            Ok(stops) => supervisor.sync(&stops.into_iter().collect()),
            Err(e) => tracing::warn!(error = %e, "cannot read the operator stops; trying again"),
        }
    }
}

/// How many records one purge statement deletes at most (short write transactions: ingest
/// waits behind them on SQLite).
const PURGE_BATCH: u32 = 500;

/// Retention (reference §7): every `retention.purge_every`, deletes the `completed` and
/// `failed` records last changed more than `retention.keep` ago, in batches. A store that
/// cannot answer is tried again at the next round.
async fn purge_task(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    retention: RetentionConfig,
    runs: Arc<AtomicU64>,
) {
    // absolute deadlines: a round is never lost to time that moved while the last one ran
    let mut next = crate::clock::now(clock.as_ref()).plus(retention.purge_every);
    loop {
        crate::clock::sleep_until(clock.as_ref(), next).await;
        next = next.plus(retention.purge_every);
        let cutoff = crate::clock::now(clock.as_ref()).minus(retention.keep);
        let mut deleted = 0u64;
        loop {
            match store.purge(cutoff, PURGE_BATCH).await {
                Ok(n) => {
                    deleted += n;
                    if n < u64::from(PURGE_BATCH) {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "retention purge failed; trying again next round");
                    break;
                }
            }
        }
        if deleted > 0 {
            tracing::info!(deleted, "retention purge deleted finished records");
        }
        runs.fetch_add(1, Ordering::SeqCst);
    }
}
