//! One tenant's worker: claims lines in order, pushes them through the tenant's adapter, and
//! settles each with the outcome (reference §6–§8).
//!
//! * **Claims** go through the store (one atomic statement with a lease); the lease is renewed
//!   every third of its duration while a push runs.
//! * **Outcomes** follow the adapter's classification (see [`crate::adapters`]): success →
//!   `completed`; a permanent error → `failed` with its code; a transient one → back to
//!   `received` with exponential backoff and full jitter, until `retry.max_attempts` or
//!   `retry.max_age` gives `retries_exhausted`; an uncertain push (the SDK's outcome unknown)
//!   → the next attempt asks the ERP first, or re-sends when the ERP honours the idempotency
//!   key, or `failed` with `outcome_unknown` when neither is possible.
//! * **Tenant-level failures pause the tenant** instead of failing lines. Rejected credentials
//!   pause it until its credentials change (the worker re-reads its secret references every
//!   `outage.probe_every`) or it is reloaded. A prolonged outage — `outage.after_failures`
//!   consecutive transient failures, or `outage.after` of them — opens the circuit breaker:
//!   the line goes back to `received`, and one probe (the head line, asked first when needed)
//!   runs every `outage.probe_every` until one succeeds. While the tenant is paused no line
//!   fails for that cause.
//! * **Crash recovery** runs first, and then every lease duration: each stale `processing`
//!   line is taken over and settled by asking the adapter (§7).
//!
//! Every event carries the tenant and the line's unique id, never a body or a credential.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use billing_http_core::clock::Clock;
use tokio::sync::{Notify, watch};
use tracing::Instrument;

use crate::adapters::{Adapter, AdapterError, Failure, Found, PushLine};
use crate::clock::now;
use crate::integration::Integration;
use crate::model::{LineRecord, Millis, ReasonCode, bounded};
use crate::store::{Lease, Settlement, Stale, Store, StoreError};

/// Why a tenant is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PauseCause {
    /// The ERP rejected the tenant's credentials; it resumes when they change.
    ErpAuth,
    /// The ERP has been failing; it resumes when a probe succeeds.
    ErpUnavailable,
}

/// The state of a tenant's worker (reference §11.1's health words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "cause")]
#[non_exhaustive]
pub enum WorkerState {
    /// Not started (yet).
    NotStarted,
    /// Working.
    Running,
    /// Degraded: paused with a cause.
    Paused(PauseCause),
    /// Restarting after a panic.
    Restarting,
    /// The integration is inactive: lines are held in `received`.
    Inactive,
    /// Stopped (shutdown).
    Stopped,
}

/// A tenant's health as its worker sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct TenantHealth {
    /// The worker's state.
    pub state: WorkerState,
    /// The last completed push.
    pub last_success_at: Option<Millis>,
    /// The last error: code and text.
    pub last_error: Option<(String, String)>,
    /// Consecutive transient failures (the breaker's count).
    pub consecutive_failures: u32,
    /// When the current run of transient failures began.
    pub failing_since: Option<Millis>,
    /// Lines settled by crash recovery since the start.
    pub recovered: u64,
}

impl TenantHealth {
    /// The health of a worker in `state`.
    pub fn new(state: WorkerState) -> Self {
        TenantHealth {
            state,
            last_success_at: None,
            last_error: None,
            consecutive_failures: 0,
            failing_since: None,
            recovered: 0,
        }
    }
}

/// Shared, updated by the worker, read by the supervisor and the API.
pub type SharedHealth = Arc<Mutex<TenantHealth>>;

/// Everything a worker needs.
#[derive(Clone)]
pub struct WorkerContext {
    /// The tenant.
    pub tenant: String,
    /// The store.
    pub store: Arc<dyn Store>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The integration (adapter, product mapping and check, settings).
    pub integration: Arc<Integration>,
    /// Woken by ingest (a new line) and by settlements.
    pub notify: Arc<Notify>,
    /// Health, shared.
    pub health: SharedHealth,
    /// This worker incarnation's lease owner name.
    pub owner: String,
    /// How long a claim holds.
    pub lease: Duration,
    /// First start of the tenant in this process (a single-node store then treats every
    /// `processing` line as stale).
    pub boot: bool,
    /// The owner name of the incarnation that died (its leases are stale at once).
    pub dead_owner: Option<String>,
    /// `true` asks the worker to stop claiming and return once its lines are settled.
    pub stop: watch::Receiver<bool>,
}

/// The breaker's decision after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tripped {
    No,
    Yes,
}

impl WorkerContext {
    fn health(&self) -> std::sync::MutexGuard<'_, TenantHealth> {
        self.health.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn state(&self) -> WorkerState {
        self.health().state
    }

    fn set_state(&self, state: WorkerState) {
        let mut h = self.health();
        if h.state != state {
            tracing::info!(tenant = %self.tenant, state = ?state, "worker state");
            h.state = state;
        }
    }

    fn now(&self) -> Millis {
        now(self.clock.as_ref())
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    fn adapter(&self) -> Arc<dyn Adapter> {
        self.integration.adapter()
    }

    /// The ERP answered (a success or a definite refusal): the breaker closes.
    fn erp_answered(&self) {
        let mut h = self.health();
        h.consecutive_failures = 0;
        h.failing_since = None;
        if h.state == WorkerState::Paused(PauseCause::ErpUnavailable) {
            tracing::info!(tenant = %self.tenant, "the erp answers again: resuming");
            h.state = WorkerState::Running;
        }
    }
}

/// Runs the worker until asked to stop. Panics propagate (the supervisor restarts it).
pub async fn run(ctx: WorkerContext) {
    let span = tracing::info_span!("worker", tenant = %ctx.tenant, owner = %ctx.owner);
    async move {
        ctx.set_state(WorkerState::Running);
        let stale = if ctx.boot && ctx.store.single_node() {
            Stale::All
        } else {
            Stale::Expired {
                dead_owner: ctx.dead_owner.as_deref(),
            }
        };
        recover(&ctx, stale).await;
        let slots = ctx.integration.settings.max_in_flight.max(1);
        let loops = (0..slots).map(|slot| slot_loop(&ctx, slot));
        futures::future::join_all(loops).await;
        ctx.set_state(WorkerState::Stopped);
    }
    .instrument(span)
    .await
}

async fn slot_loop(ctx: &WorkerContext, slot: u32) {
    let mut stop = ctx.stop.clone();
    let mut next_recovery = ctx.now().plus(ctx.lease);
    // the next line, claimed in the same commit that settled the previous one
    let mut chained: Option<LineRecord> = None;
    loop {
        if ctx.stopping() {
            return;
        }
        let now = ctx.now();
        if slot == 0 && now >= next_recovery {
            recover(ctx, Stale::Expired { dead_owner: None }).await;
            next_recovery = now.plus(ctx.lease);
        }
        if let WorkerState::Paused(PauseCause::ErpAuth) = ctx.state() {
            if slot == 0 && ctx.integration.credentials_changed().await {
                tracing::info!(tenant = %ctx.tenant, "credentials changed: resuming");
                ctx.erp_answered();
                ctx.set_state(WorkerState::Running);
                ctx.notify.notify_waiters();
                continue;
            }
            let probe = ctx.now().plus(ctx.integration.settings.outage.probe_every);
            wait_until(ctx, &mut stop, probe).await;
            continue;
        }
        let lease = Lease {
            owner: &ctx.owner,
            slot,
            expires_at: now.plus(ctx.lease),
        };
        let claimed = match chained.take() {
            Some(line) => Ok(Some(line)),
            None => ctx.store.claim_next(&ctx.tenant, lease, now).await,
        };
        match claimed {
            Ok(Some(line)) => {
                let span = tracing::info_span!("line", tenant = %ctx.tenant, unique_id = %line.line.unique_id);
                chained = process(ctx, line, slot).instrument(span).await;
                ctx.notify.notify_waiters();
            }
            Ok(None) => {
                let due = ctx.store.next_due(&ctx.tenant).await.ok().flatten();
                // a fresh now, read right before the sleep is created: time may have moved
                // during the store calls
                let claimed_at = now;
                let now = ctx.now();
                let idle = ctx.integration.settings.poll_every;
                let until_due = match due {
                    // it became due while the claim ran: claim again at once
                    Some(d) if d > claimed_at && d <= now => continue,
                    Some(d) if d > now => d.since(now),
                    // due but not claimed: the slot is busy; a settlement wakes the worker
                    _ => idle,
                };
                // slot 0 also runs the periodic crash recovery
                let until_recovery = match slot {
                    0 if next_recovery <= now => continue,
                    0 => next_recovery.since(now),
                    _ => idle,
                };
                let wake = now.plus(until_due.min(idle).min(until_recovery));
                wait_until(ctx, &mut stop, wake).await;
            }
            Err(e) => {
                tracing::error!(tenant = %ctx.tenant, error = %e, "cannot claim");
                let retry = ctx.now().plus(Duration::from_secs(1));
                wait_until(ctx, &mut stop, retry).await;
            }
        }
    }
}

/// Waits for a new line, a settlement, a stop request, or the clock to reach `target`.
///
/// The clock only knows relative sleeps, so a sleep created just after time moved would end
/// late by that much (with an injected clock moved by a test, possibly never). Hence the
/// second reading: when time moved between reading it and creating the sleep, read again.
async fn wait_until(ctx: &WorkerContext, stop: &mut watch::Receiver<bool>, target: Millis) {
    loop {
        let now = ctx.now();
        if now >= target {
            return;
        }
        let sleep = ctx.clock.sleep(target.since(now));
        if ctx.now() != now {
            continue;
        }
        tokio::select! {
            _ = ctx.notify.notified() => {}
            _ = sleep => {}
            _ = stop.changed() => {}
        }
        return;
    }
}

/// What to do with a claimed line. Returns the next line when its claim went with this
/// line's settlement.
async fn process(ctx: &WorkerContext, line: LineRecord, slot: u32) -> Option<LineRecord> {
    let next = Some(slot);
    let integration = &ctx.integration;
    let Some(erp_product) = integration.products.map(&line.line.product_nr) else {
        let e = AdapterError::new(
            Failure::Permanent(ReasonCode::InvalidProduct),
            "the product number has no mapping for this tenant",
        );
        return settle_failure(ctx, &line, e, next).await;
    };
    if let Some(check) = integration.product_check()
        && let Err(e) = check.check(&erp_product).await
    {
        return settle_failure(ctx, &line, e, next).await;
    }
    let adapter = ctx.adapter();
    let caps = adapter.capabilities();
    let push_line = PushLine::new(&ctx.tenant, &line.line, &erp_product);
    if line.check_first {
        if caps.can_check_existing {
            match with_lease(ctx, &line, adapter.check(push_line)).await {
                Ok(Found::Yes { reference }) => {
                    tracing::info!(tenant = %ctx.tenant, unique_id = %line.line.unique_id, "the erp already has the line");
                    let done = Settlement::Completed {
                        erp_reference: reference,
                    };
                    return settle(ctx, &line, done, next).await;
                }
                Ok(Found::No) => {}
                Err(e) => return settle_failure(ctx, &line, e, next).await,
            }
        } else if !caps.honours_idempotency_key {
            let why = "an earlier push may have reached the erp, which cannot be checked";
            return settle(ctx, &line, outcome_unknown(why), next).await;
        }
    }
    match with_lease(ctx, &line, adapter.push(push_line)).await {
        Ok(pushed) => {
            tracing::debug!(tenant = %ctx.tenant, unique_id = %line.line.unique_id, reference = ?pushed.reference, "pushed");
            let done = Settlement::Completed {
                erp_reference: pushed.reference,
            };
            settle(ctx, &line, done, next).await
        }
        Err(e) => settle_failure(ctx, &line, e, next).await,
    }
}

fn outcome_unknown(why: &str) -> Settlement {
    Settlement::Failed {
        code: ReasonCode::OutcomeUnknown,
        reason: format!("{why}: verify in the erp"),
    }
}

/// Runs `call` while renewing the line's lease; a call that outlives the push timeout (plus a
/// margin for the SDK's own timeout to fire first) is abandoned as uncertain.
async fn with_lease<T>(
    ctx: &WorkerContext,
    line: &LineRecord,
    call: impl std::future::Future<Output = Result<T, AdapterError>>,
) -> Result<T, AdapterError> {
    let timeout = ctx.integration.settings.push_timeout;
    let guard = ctx.clock.sleep(
        timeout
            .saturating_mul(ctx.integration.settings.request_attempts.max(1))
            .saturating_add(Duration::from_secs(5)),
    );
    tokio::pin!(call);
    tokio::pin!(guard);
    let every = (ctx.lease / 3).max(Duration::from_millis(10));
    loop {
        tokio::select! {
            r = &mut call => return r,
            _ = &mut guard => {
                return Err(AdapterError::new(Failure::Uncertain, "the erp did not answer in time"));
            }
            _ = ctx.clock.sleep(every) => {
                let now = ctx.now();
                match ctx.store.renew_lease(&ctx.tenant, &line.line.unique_id, &ctx.owner, now.plus(ctx.lease), now).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(tenant = %ctx.tenant, unique_id = %line.line.unique_id, "lease lost during the push"),
                    Err(e) => tracing::warn!(tenant = %ctx.tenant, unique_id = %line.line.unique_id, error = %e, "cannot renew the lease"),
                }
            }
        }
    }
}

/// Records the outcome; a store that cannot write is retried a few times, after which the
/// lease expires and crash recovery settles the line. With `chain` (the worker's slot), and
/// while the tenant runs, the next line is claimed in the same commit and returned.
async fn settle(
    ctx: &WorkerContext,
    line: &LineRecord,
    settlement: Settlement,
    chain: Option<u32>,
) -> Option<LineRecord> {
    let mut delay = Duration::from_millis(100);
    for _ in 0..6 {
        let now = ctx.now();
        if let Settlement::Completed { .. } = settlement {
            ctx.erp_answered();
            ctx.health().last_success_at = Some(now);
        }
        let id = &line.line.unique_id;
        let chain = chain.filter(|_| !ctx.stopping() && ctx.state() == WorkerState::Running);
        let done = match chain {
            Some(slot) => {
                let next = Lease {
                    owner: &ctx.owner,
                    slot,
                    expires_at: now.plus(ctx.lease),
                };
                ctx.store
                    .settle_and_claim(&ctx.tenant, id, &ctx.owner, settlement.clone(), next, now)
                    .await
            }
            None => ctx
                .store
                .settle(&ctx.tenant, id, &ctx.owner, settlement.clone(), now)
                .await
                .map(|settled| (settled, None)),
        };
        match done {
            Ok((true, next)) => {
                log_settlement(ctx, line, &settlement);
                return next;
            }
            Ok((false, _)) => {
                tracing::warn!(tenant = %ctx.tenant, unique_id = %id, "the line's lease was taken over; crash recovery settles it");
                return None;
            }
            Err(StoreError::Unavailable(e)) => {
                tracing::error!(tenant = %ctx.tenant, unique_id = %id, error = %e, "cannot record the outcome; retrying");
                ctx.clock.sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
            Err(e) => {
                tracing::error!(tenant = %ctx.tenant, unique_id = %id, error = %e, "cannot record the outcome");
                return None;
            }
        }
    }
    None
}

fn log_settlement(ctx: &WorkerContext, line: &LineRecord, s: &Settlement) {
    let id = &line.line.unique_id;
    match s {
        Settlement::Completed { .. } => {
            tracing::info!(tenant = %ctx.tenant, unique_id = %id, status = "completed", "settled")
        }
        Settlement::Failed { code, reason } => {
            tracing::warn!(tenant = %ctx.tenant, unique_id = %id, status = "failed", reason_code = %code, reason = %reason, "settled")
        }
        Settlement::Retry {
            code,
            reason,
            next_attempt_at,
            check_first,
        } => tracing::info!(
            tenant = %ctx.tenant, unique_id = %id, status = "received", reason_code = ?code.map(|c| c.as_str()),
            reason = %reason, next_attempt_at = %next_attempt_at.rfc3339(), check_first, "settled for a retry"
        ),
    }
}

/// Classifies a failure into a settlement and updates the tenant's state.
async fn settle_failure(
    ctx: &WorkerContext,
    line: &LineRecord,
    e: AdapterError,
    chain: Option<u32>,
) -> Option<LineRecord> {
    let now = ctx.now();
    let caps = ctx.adapter().capabilities();
    let code_of = |f: Failure| match f {
        Failure::Permanent(c) => c,
        Failure::Auth => ReasonCode::ErpAuth,
        _ => ReasonCode::ErpUnavailable,
    };
    ctx.health().last_error = Some((code_of(e.failure).as_str().to_owned(), e.message.clone()));
    let settlement = match e.failure {
        Failure::Permanent(code) => {
            ctx.erp_answered();
            Settlement::Failed {
                code,
                reason: e.message,
            }
        }
        Failure::Auth => {
            tracing::warn!(tenant = %ctx.tenant, unique_id = %line.line.unique_id, error = %e.message, "erp credentials rejected: pausing the tenant");
            ctx.set_state(WorkerState::Paused(PauseCause::ErpAuth));
            Settlement::Retry {
                code: Some(ReasonCode::ErpAuth),
                reason: format!("tenant paused: {}", e.message),
                next_attempt_at: now,
                check_first: line.check_first,
            }
        }
        Failure::Uncertain if !caps.can_check_existing && !caps.honours_idempotency_key => {
            outcome_unknown(&format!(
                "the push may have reached the erp ({}) and the erp cannot be checked",
                e.message
            ))
        }
        Failure::Uncertain | Failure::Transient { .. } => {
            let uncertain = e.failure == Failure::Uncertain;
            // after an uncertain push the next attempt asks first (unless the key is honoured);
            // a failed check or push keeps an earlier doubt
            let check_first = (uncertain && caps.can_check_existing) || line.check_first;
            let retry_after = match e.failure {
                Failure::Transient { retry_after } => retry_after,
                _ => None,
            };
            transient(ctx, line, now, e.message, check_first, retry_after)
        }
    };
    settle(ctx, line, settlement, chain).await
}

fn transient(
    ctx: &WorkerContext,
    line: &LineRecord,
    now: Millis,
    message: String,
    check_first: bool,
    retry_after: Option<Duration>,
) -> Settlement {
    let settings = &ctx.integration.settings;
    let was_paused = ctx.state() == WorkerState::Paused(PauseCause::ErpUnavailable);
    let tripped = {
        let mut h = ctx.health();
        h.consecutive_failures = h.consecutive_failures.saturating_add(1);
        let streak_start = *h.failing_since.get_or_insert(now);
        if h.consecutive_failures >= settings.outage.after_failures
            || now.since(streak_start) >= settings.outage.after
        {
            Tripped::Yes
        } else {
            Tripped::No
        }
    };
    if was_paused || tripped == Tripped::Yes {
        if !was_paused {
            tracing::warn!(tenant = %ctx.tenant, error = %message, "erp unavailable: pausing the tenant, probing every {:?}", settings.outage.probe_every);
        }
        ctx.set_state(WorkerState::Paused(PauseCause::ErpUnavailable));
        return Settlement::Retry {
            code: Some(ReasonCode::ErpUnavailable),
            reason: format!("tenant paused: {message}"),
            next_attempt_at: now.plus(settings.outage.probe_every),
            check_first,
        };
    }
    let exhausted = line.attempts >= settings.retry.max_attempts
        || now.since(line.received_at) >= settings.retry.max_age;
    if exhausted {
        return if check_first {
            outcome_unknown(&format!(
                "retries exhausted and the last push may have reached the erp ({message})"
            ))
        } else {
            Settlement::Failed {
                code: ReasonCode::RetriesExhausted,
                reason: bounded(&format!("{} attempts: {message}", line.attempts), 300),
            }
        };
    }
    let ceiling = settings
        .retry
        .initial_delay
        .saturating_mul(1u32 << line.attempts.saturating_sub(1).min(20))
        .min(settings.retry.max_delay);
    let jittered = ceiling.mul_f64(fastrand::f64());
    let delay = retry_after.map_or(jittered, |r| r.min(settings.retry.max_delay).max(jittered));
    Settlement::Retry {
        code: Some(ReasonCode::ErpUnavailable),
        reason: message,
        next_attempt_at: now.plus(delay),
        check_first,
    }
}

/// Crash recovery (§7): settles every stale `processing` line of the tenant by asking the
/// adapter whether the ERP has it.
pub async fn recover(ctx: &WorkerContext, stale: Stale<'_>) {
    let adapter = ctx.adapter();
    let caps = adapter.capabilities();
    loop {
        let now = ctx.now();
        let taken = ctx
            .store
            .take_over_stale(&ctx.tenant, stale, &ctx.owner, now.plus(ctx.lease), now)
            .await;
        let line = match taken {
            Ok(Some(line)) => line,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(tenant = %ctx.tenant, error = %e, "crash recovery cannot read the store");
                return;
            }
        };
        let span =
            tracing::info_span!("recovery", tenant = %ctx.tenant, unique_id = %line.line.unique_id);
        let settlement = async {
            let erp_product = ctx
                .integration
                .products
                .map(&line.line.product_nr)
                .unwrap_or_else(|| line.line.product_nr.clone());
            if caps.can_check_existing {
                let push_line = PushLine::new(&ctx.tenant, &line.line, &erp_product);
                match with_lease(ctx, &line, adapter.check(push_line)).await {
                    Ok(Found::Yes { reference }) => Some(Settlement::Completed { erp_reference: reference }),
                    Ok(Found::No) => Some(Settlement::Retry {
                        code: None,
                        reason: "crash recovery: the erp does not have the line".into(),
                        next_attempt_at: now,
                        check_first: false,
                    }),
                    Err(e) => {
                        tracing::warn!(tenant = %ctx.tenant, unique_id = %line.line.unique_id, error = %e.message, "crash recovery cannot check the erp yet; the line stays in processing until the next try");
                        None
                    }
                }
            } else if caps.honours_idempotency_key {
                Some(Settlement::Retry {
                    code: None,
                    reason: "crash recovery: re-sent with the same idempotency key".into(),
                    next_attempt_at: now,
                    check_first: false,
                })
            } else {
                Some(outcome_unknown("the process stopped during a push and the erp cannot be checked"))
            }
        }
        .instrument(span)
        .await;
        if let Some(s) = settlement {
            ctx.health().recovered += 1;
            tracing::info!(tenant = %ctx.tenant, unique_id = %line.line.unique_id, "crash recovery settles the line");
            settle(ctx, &line, s, None).await;
        }
    }
}
