//! The worker supervisor: one worker per active tenant, each in its own task.
//!
//! A worker that panics is caught (`catch_unwind` around its future), logged, and restarted with
//! exponential backoff (1 s doubling to 60 s); the new incarnation first settles the line the
//! dead one held through crash recovery, without waiting for its lease to expire. Failures stay
//! local: every tenant has its own task, adapter, SDK clients (timeouts, retry budget, rate
//! limiter), breaker and health; nothing one tenant does can block another's claims.
//!
//! Operators start and stop workers one tenant at a time (reference §9). A stop lets the line
//! in flight finish and then ends the worker; it is recorded in the store (by the caller, see
//! [`crate::manage`]), which makes every node's claims refuse the tenant and makes the stop
//! outlive a restart: [`Supervisor::start`] is given the stopped tenants and starts no worker
//! for them. [`Supervisor::sync`] brings this node's workers in line with stops and starts
//! made through another node. A reload replaces a tenant's integration and restarts its
//! worker ([`Supervisor::replace`]).

use std::collections::{BTreeMap, HashSet};
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

/// A running worker: its stop signal and its task.
#[derive(Debug)]
struct Run {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

#[derive(Debug)]
struct Tenant {
    integration: Option<Arc<Integration>>,
    notify: Arc<Notify>,
    health: SharedHealth,
    operator_stopped: bool,
    /// A worker has been started for this tenant in this process (the first start of a
    /// single-node store treats every `processing` line as stale).
    started_once: bool,
    run: Option<Run>,
    /// Workers told to stop whose line in flight may still be finishing.
    finishing: Vec<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    lease: Duration,
    node: String,
}

/// The supervisor. See the [module docs](self).
#[derive(Debug)]
pub struct Supervisor {
    shared: Shared,
    tenants: Mutex<BTreeMap<String, Tenant>>,
}

impl Supervisor {
    /// Starts a worker for every active tenant not in `stopped` (stopped by an operator); each
    /// first runs crash recovery. `node` names this process in lease owners.
    pub fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        lease: Duration,
        node: &str,
        tenants: BTreeMap<String, TenantStart>,
        stopped: &HashSet<String>,
    ) -> Self {
        let supervisor = Supervisor {
            shared: Shared {
                store,
                clock,
                lease,
                node: node.to_owned(),
            },
            tenants: Mutex::new(BTreeMap::new()),
        };
        {
            let mut all = supervisor.lock();
            for (name, start) in tenants {
                let state = if start.integration.is_some() {
                    WorkerState::NotStarted
                } else {
                    WorkerState::Inactive
                };
                let mut t = Tenant {
                    integration: start.integration,
                    notify: start.notify,
                    health: Arc::new(Mutex::new(TenantHealth::new(state))),
                    operator_stopped: stopped.contains(&name),
                    started_once: false,
                    run: None,
                    finishing: Vec::new(),
                };
                if t.operator_stopped {
                    tracing::info!(tenant = %name, "stopped by an operator: no worker started");
                } else {
                    supervisor.launch(&name, &mut t);
                }
                all.insert(name, t);
            }
        }
        supervisor
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Tenant>> {
        self.tenants.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the tenant's worker if it is active and none runs. A worker still finishing its
    /// line after a stop is waited for first, so two workers of one tenant never overlap.
    fn launch(&self, name: &str, t: &mut Tenant) {
        let Some(integration) = t.integration.clone() else {
            return;
        };
        if t.run.is_some() {
            return;
        }
        let (stop, stop_rx) = watch::channel(false);
        let ctx = WorkerContext {
            owner: format!("{}/{name}", self.shared.node),
            tenant: name.to_owned(),
            store: self.shared.store.clone(),
            clock: self.shared.clock.clone(),
            integration,
            notify: t.notify.clone(),
            health: t.health.clone(),
            lease: self.shared.lease,
            boot: !t.started_once,
            dead_owner: None,
            stop: stop_rx,
        };
        t.started_once = true;
        let previous = std::mem::take(&mut t.finishing);
        let task = tokio::spawn(async move {
            for p in previous {
                let _ = p.await;
            }
            supervise(ctx).await;
        });
        t.run = Some(Run { stop, task });
    }

    /// Tells the tenant's worker to stop claiming; its line in flight finishes.
    fn halt(t: &mut Tenant) {
        if let Some(run) = t.run.take() {
            run.stop.send_replace(true);
            t.finishing.push(run.task);
        }
    }

    /// An operator's stop (already recorded in the store by the caller): the worker lets its
    /// line in flight finish, then ends. `false` for an unknown tenant.
    pub fn stop_worker(&self, tenant: &str) -> bool {
        let mut all = self.lock();
        let Some(t) = all.get_mut(tenant) else {
            return false;
        };
        if !t.operator_stopped {
            tracing::info!(tenant = %tenant, "stopped by an operator: the line in flight finishes, nothing more is claimed");
        }
        t.operator_stopped = true;
        Self::halt(t);
        true
    }

    /// An operator's start (the stop already lifted in the store by the caller): starts the
    /// worker of an active tenant. `false` for an unknown tenant.
    pub fn start_worker(&self, tenant: &str) -> bool {
        let mut all = self.lock();
        let Some(t) = all.get_mut(tenant) else {
            return false;
        };
        if t.operator_stopped {
            tracing::info!(tenant = %tenant, "started by an operator");
        }
        t.operator_stopped = false;
        self.launch(tenant, t);
        true
    }

    /// Replaces the tenant's integration (a reload; a tenant new to this process is added) and
    /// restarts its worker, unless an operator stopped it or it is inactive. The old worker's
    /// line in flight finishes first.
    pub fn replace(&self, tenant: &str, start: TenantStart) {
        let mut all = self.lock();
        let t = all.entry(tenant.to_owned()).or_insert_with(|| Tenant {
            integration: None,
            notify: start.notify.clone(),
            health: Arc::new(Mutex::new(TenantHealth::new(WorkerState::NotStarted))),
            operator_stopped: false,
            started_once: false,
            run: None,
            finishing: Vec::new(),
        });
        Self::halt(t);
        t.integration = start.integration;
        t.notify = start.notify;
        {
            let mut h = t.health.lock().unwrap_or_else(|p| p.into_inner());
            *h = TenantHealth::new(if t.integration.is_some() {
                WorkerState::NotStarted
            } else {
                WorkerState::Inactive
            });
        }
        if !t.operator_stopped {
            self.launch(tenant, t);
        }
    }

    /// Brings this node in line with the operator stops recorded in the store (made through
    /// any node): stops the workers of tenants in `stopped`, starts those no longer in it.
    pub fn sync(&self, stopped: &HashSet<String>) {
        let names: Vec<String> = self.lock().keys().cloned().collect();
        for name in names {
            let (is_stopped, wanted) = {
                let all = self.lock();
                match all.get(&name) {
                    Some(t) => (t.operator_stopped, stopped.contains(&name)),
                    None => continue,
                }
            };
            match (is_stopped, wanted) {
                (false, true) => {
                    self.stop_worker(&name);
                }
                (true, false) => {
                    self.start_worker(&name);
                }
                _ => {}
            }
        }
    }

    /// The tenant's integration, if it is configured and active.
    pub fn integration(&self, tenant: &str) -> Option<Arc<Integration>> {
        self.lock().get(tenant).and_then(|t| t.integration.clone())
    }

    /// `true` when the tenant is configured (active or not).
    pub fn knows(&self, tenant: &str) -> bool {
        self.lock().contains_key(tenant)
    }

    /// A tenant's health. The state says `stopped_by_operator` while an operator's stop
    /// stands, and `inactive` for an inactive tenant, whatever its last worker did.
    pub fn health(&self, tenant: &str) -> Option<TenantHealth> {
        let all = self.lock();
        let t = all.get(tenant)?;
        let mut h = t.health.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if t.integration.is_none() {
            h.state = WorkerState::Inactive;
        } else if t.operator_stopped {
            h.state = WorkerState::StoppedByOperator;
        }
        Some(h)
    }

    /// Every tenant's health.
    pub fn healths(&self) -> BTreeMap<String, TenantHealth> {
        let names: Vec<String> = self.lock().keys().cloned().collect();
        names
            .into_iter()
            .filter_map(|t| self.health(&t).map(|h| (t, h)))
            .collect()
    }

    /// Workers running now (told to stop but still finishing a line excluded).
    pub fn running_workers(&self) -> usize {
        self.lock()
            .values()
            .filter(|t| t.run.as_ref().is_some_and(|r| !r.task.is_finished()))
            .count()
    }

    fn take_tasks(&self) -> Vec<JoinHandle<()>> {
        let mut all = self.lock();
        let mut tasks = Vec::new();
        for t in all.values_mut() {
            Self::halt(t);
            tasks.append(&mut t.finishing);
        }
        tasks
    }

    /// Stops claiming, waits up to `grace` for the pushes in flight, then ends the rest (their
    /// leases expire and crash recovery settles them at the next start).
    pub async fn shutdown(&self, grace: Duration) {
        let tasks = self.take_tasks();
        let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
        let mut all = std::pin::pin!(futures::future::join_all(tasks));
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
    pub async fn abort(&self) {
        let tasks = self.take_tasks();
        for t in &tasks {
            t.abort();
        }
        futures::future::join_all(tasks).await;
    }
}

async fn supervise(base: WorkerContext) {
    let mut stop = base.stop.clone();
    let mut dead_owner: Option<String> = None;
    let mut backoff = Duration::from_secs(1);
    for incarnation in 1u64.. {
        let mut ctx = base.clone();
        ctx.owner = format!("{}#{incarnation}", base.owner);
        ctx.boot = base.boot && incarnation == 1;
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
                if *stop.borrow_and_update() {
                    return;
                }
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
