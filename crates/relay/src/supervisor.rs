//! The worker supervisor: one worker per active tenant, each in its own task.
//!
//! A worker that panics is caught (`catch_unwind` around its future), logged, and restarted with
//! exponential backoff (1 s doubling to 60 s); the new incarnation first settles the line the
//! dead one held through crash recovery, without waiting for its lease to expire. Failures stay
//! local: every tenant has its own task, adapter, SDK clients (timeouts, retry budget, rate
//! limiter), breaker and health; nothing one tenant does can block another's claims.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use billing_http_core::clock::Clock;
use futures::FutureExt;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::integration::Integration;
use crate::store::Store;
use crate::worker::{self, SharedHealth, TenantHealth, WorkerContext, WorkerState};

/// What the supervisor starts for one tenant.
#[derive(Debug)]
pub struct TenantStart {
    /// The integration; `None` for an inactive tenant (no worker).
    pub integration: Option<Arc<Integration>>,
    /// The wake-up shared with ingest.
    pub notify: Arc<Notify>,
}

/// The supervisor. See the [module docs](self).
#[derive(Debug)]
pub struct Supervisor {
    health: BTreeMap<String, SharedHealth>,
    tasks: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

impl Supervisor {
    /// Starts a worker for every active tenant; each first runs crash recovery. `node` names
    /// this process in lease owners.
    pub fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        lease: Duration,
        node: &str,
        tenants: BTreeMap<String, TenantStart>,
    ) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let mut health = BTreeMap::new();
        let mut tasks = Vec::new();
        for (tenant, start) in tenants {
            let state = if start.integration.is_some() {
                WorkerState::NotStarted
            } else {
                WorkerState::Inactive
            };
            let shared: SharedHealth = Arc::new(Mutex::new(TenantHealth::new(state)));
            health.insert(tenant.clone(), shared.clone());
            let Some(integration) = start.integration else {
                continue;
            };
            let ctx = WorkerContext {
                owner: format!("{node}/{tenant}"),
                tenant,
                store: store.clone(),
                clock: clock.clone(),
                integration,
                notify: start.notify,
                health: shared,
                lease,
                boot: true,
                dead_owner: None,
                stop: stop_rx.clone(),
            };
            tasks.push(tokio::spawn(supervise(ctx)));
        }
        Supervisor {
            health,
            tasks,
            stop,
        }
    }

    /// A tenant's health.
    pub fn health(&self, tenant: &str) -> Option<TenantHealth> {
        self.health
            .get(tenant)
            .map(|h| h.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    /// Every tenant's health.
    pub fn healths(&self) -> BTreeMap<String, TenantHealth> {
        self.health
            .keys()
            .filter_map(|t| self.health(t).map(|h| (t.clone(), h)))
            .collect()
    }

    /// Stops claiming, waits up to `grace` for the pushes in flight, then ends the rest (their
    /// leases expire and crash recovery settles them at the next start).
    pub async fn shutdown(self, grace: Duration) {
        self.stop.send_replace(true);
        let aborts: Vec<_> = self.tasks.iter().map(JoinHandle::abort_handle).collect();
        let mut all = std::pin::pin!(futures::future::join_all(self.tasks));
        if tokio::time::timeout(grace, &mut all).await.is_err() {
            tracing::warn!(
                "pushes still in flight after the grace period; their leases will expire"
            );
            for a in &aborts {
                a.abort();
            }
            all.await;
        }
    }

    /// Ends every worker at once, like a killed process (tests and demos of crash recovery).
    pub async fn abort(self) {
        for t in &self.tasks {
            t.abort();
        }
        futures::future::join_all(self.tasks).await;
    }
}

async fn supervise(base: WorkerContext) {
    let mut stop = base.stop.clone();
    let mut dead_owner: Option<String> = None;
    let mut backoff = Duration::from_secs(1);
    for incarnation in 1u64.. {
        let mut ctx = base.clone();
        ctx.owner = format!("{}#{incarnation}", base.owner);
        ctx.boot = incarnation == 1;
        ctx.dead_owner = dead_owner.take();
        let owner = ctx.owner.clone();
        // the worker runs inside this task, so aborting the task drops it at once
        match AssertUnwindSafe(worker::run(ctx)).catch_unwind().await {
            Ok(()) => return,
            Err(panic) => {
                let message = panic_message(panic);
                tracing::error!(tenant = %base.tenant, panic = %message, "worker panicked; restarting in {backoff:?}");
                // the backoff starts now, before anyone can see the state change
                let pause = base.clock.sleep(backoff);
                {
                    let mut h = base.health.lock().unwrap_or_else(|p| p.into_inner());
                    h.state = WorkerState::Restarting;
                    h.last_error = Some(("worker_panic".into(), message));
                }
                dead_owner = Some(owner);
                tokio::select! {
                    _ = pause => {}
                    _ = stop.changed() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    let text = match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p
            .downcast::<&'static str>()
            .map(|s| (*s).to_owned())
            .unwrap_or_else(|_| "a panic without a message".to_owned()),
    };
    crate::model::bounded(&text, 200)
}
