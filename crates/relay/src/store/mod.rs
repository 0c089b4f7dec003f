//! The durable store: order lines, their statuses and the work queue, behind one interface.
//!
//! [`Store`] is what the API, the workers, crash recovery and the management API use. Two
//! backends implement it, selected by the database URL ([`open`]):
//!
//! * [`sqlite::SqliteStore`] (`sqlite://…`), the embedded default: one file, one relay process;
//! * [`postgres::PgStore`] (`postgres://…`), shared by several relay nodes.
//!
//! Both run the same statements (`store::sql`, crate-private), so the rules below hold on both:
//!
//! * **every state change is one atomic statement** guarded by the expected state: a claim
//!   moves the oldest due `received` line to `processing` *and* records its lease (owner,
//!   expiry, in-flight slot) in one `UPDATE … RETURNING`; settling a line requires the caller
//!   to still hold its lease;
//! * **one line in flight per tenant is enforced by the database**: a `processing` line holds
//!   one of the tenant's slots, and a unique index on `(tenant, slot)` refuses a second holder
//!   of a slot, whatever the number of workers, tasks or nodes;
//! * **an operator's stop is enforced by the database**: a claim refuses a tenant marked
//!   stopped in `relay_tenants`, on every node, from the moment the stop commits;
//! * **time is a parameter**: every call takes `now` from the relay's clock, so tests run on
//!   an injected clock and the SQL never reads the database server's clock (several nodes must
//!   therefore keep their clocks in step, as NTP does, to well within a lease);
//! * **reads never modify**: status queries, listings and counts are plain `SELECT`s (on
//!   SQLite, on read-only connections);
//! * **every mutating management call writes its audit record in the same transaction** as
//!   the change it records.
//!
//! Which leases are stale is the backend's call: on a single-node store (SQLite, one process
//! per file, enforced by a lock file) every `processing` line found at boot belongs to a dead
//! process; on a shared store only expired leases (or those of a worker known to be dead) are.

use std::fmt;

use futures::future::BoxFuture;

use crate::model::{LineRecord, Millis, OrderLine, ReasonCode, Status, StatusCounts};

pub mod copy;
pub mod postgres;
pub(crate) mod sql;
pub mod sqlite;

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store cannot be reached or cannot commit (ingest answers 503, workers wait).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored value the relay cannot read (written by another version?).
    #[error("store holds an unreadable value: {0}")]
    Corrupt(String),
    /// The store cannot be opened as configured.
    #[error("store configuration: {0}")]
    Config(String),
}

/// The result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// The outcome of [`Store::insert_line`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Inserted {
    /// The line was new and is committed (with its queue entry).
    New(LineRecord),
    /// A line with this unique id already exists; nothing was written. The caller compares
    /// the content (200 same, 409 different).
    Existing(LineRecord),
}

/// A claim's lease: who holds the line, until when, in which in-flight slot.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    /// The holder (a worker incarnation: node, tenant, number).
    pub owner: &'a str,
    /// The tenant's in-flight slot, `0..max_in_flight`.
    pub slot: u32,
    /// When the lease expires unless renewed.
    pub expires_at: Millis,
}

/// How a `processing` line leaves that status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Settlement {
    /// The ERP has the line.
    Completed {
        /// The ERP's id of the created line, when known.
        erp_reference: Option<String>,
    },
    /// A terminal failure.
    Failed {
        /// The reason code.
        code: ReasonCode,
        /// The reason text (bounded, never a body or credential).
        reason: String,
    },
    /// Back to `received`, to be claimed again at `next_attempt_at`.
    Retry {
        /// The code of what went wrong (`None` after a crash recovery found nothing at the ERP).
        code: Option<ReasonCode>,
        /// The reason text.
        reason: String,
        /// Not before then.
        next_attempt_at: Millis,
        /// The last push may have reached the ERP: ask the adapter before pushing again.
        check_first: bool,
    },
}

/// Which `processing` lines crash recovery may take over.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Stale<'a> {
    /// Every `processing` line not already held by the caller (boot of a single-node store:
    /// their holders are dead).
    All,
    /// Lines whose lease expired (the caller's own included: a lease it could not renew or
    /// settle), or held by this dead worker incarnation.
    Expired {
        /// A worker known to be dead (it panicked), whose leases need not expire first.
        dead_owner: Option<&'a str>,
    },
}

/// Which lines an operator clears from a tenant's queue (reference §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Clearable {
    /// `received` lines become `failed` with `cleared_by_operator`.
    Received,
    /// `failed` lines are archived: out of the queue, kept for status and de-duplication.
    Failed,
}

impl Clearable {
    /// The status word.
    pub fn as_str(self) -> &'static str {
        match self {
            Clearable::Received => "received",
            Clearable::Failed => "failed",
        }
    }
}

/// Which `failed` lines an operator retry moves back to `received`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Selection {
    /// Every `failed` line of the tenant that is not archived.
    All,
    /// These unique ids (archived ones included); ids that are not `failed` are left alone.
    Ids(Vec<String>),
}

/// A mutating management call, recorded in the audit table in the same transaction as its
/// change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditEntry {
    /// Who: the operator credential's name.
    pub actor: String,
    /// What: `queue.clear`, `queue.retry`, `worker.start`, `worker.stop`, `reload`.
    pub action: String,
    /// The tenant it named.
    pub tenant: Option<String>,
    /// The call's parameters (a JSON object; never a credential or a line body).
    pub params: serde_json::Value,
}

impl AuditEntry {
    /// An entry.
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        tenant: Option<&str>,
        params: serde_json::Value,
    ) -> Self {
        AuditEntry {
            actor: actor.into(),
            action: action.into(),
            tenant: tenant.map(str::to_owned),
            params,
        }
    }
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct AuditRecord {
    /// Its position in the log (the paging cursor).
    pub id: i64,
    /// When.
    pub at: Millis,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// The tenant it named.
    pub tenant: Option<String>,
    /// The call's parameters.
    pub params: serde_json::Value,
    /// How many lines it changed.
    pub lines_affected: u64,
}

/// Opens the store the URL names: `sqlite://…` (see [`sqlite::SqliteOptions`]) or
/// `postgres://…` / `postgresql://…` (see [`postgres::PgOptions`]).
pub async fn open(
    config: &crate::config::DatabaseConfig,
) -> StoreResult<std::sync::Arc<dyn Store>> {
    let url = config.url.as_str();
    if url.starts_with("sqlite:") {
        let mut o = sqlite::SqliteOptions::new(url);
        o.synchronous = config.synchronous;
        o.read_connections = config.read_connections;
        Ok(sqlite::SqliteStore::open(o).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut o = postgres::PgOptions::new(url);
        o.schema = config.schema.clone();
        if let Some(n) = config.max_connections {
            o.max_connections = n;
        }
        Ok(postgres::PgStore::open(o).await?)
    } else {
        Err(StoreError::Config(
            "database.url: sqlite://PATH or postgres://…".into(),
        ))
    }
}

/// The relay's durable store. See the [module docs](self).
pub trait Store: Send + Sync + fmt::Debug {
    /// Commits a new line with its queue entry (`received`, due `now`) in one transaction, or
    /// returns the existing line with the same `(tenant, unique_id)` without writing.
    /// Returns only after the commit.
    fn insert_line<'a>(
        &'a self,
        tenant: &'a str,
        line: &'a OrderLine,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Inserted>>;

    /// The line, if any. Read-only.
    fn get_line<'a>(
        &'a self,
        tenant: &'a str,
        unique_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<LineRecord>>>;

    /// Claims the tenant's oldest `received` line if it is due at `now` and the lease's slot
    /// is free: one atomic statement moves it to `processing`, records the lease and counts
    /// the attempt. `None` when the head line is not due, the slot is taken or the queue is
    /// empty.
    fn claim_next<'a>(
        &'a self,
        tenant: &'a str,
        lease: Lease<'a>,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Option<LineRecord>>>;

    /// Extends a lease the owner still holds; `false` if it lost it.
    fn renew_lease<'a>(
        &'a self,
        tenant: &'a str,
        unique_id: &'a str,
        owner: &'a str,
        expires_at: Millis,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<bool>>;

    /// Moves a `processing` line held by `owner` out of `processing`, freeing its slot;
    /// `false` (nothing written) if `owner` no longer holds it.
    fn settle<'a>(
        &'a self,
        tenant: &'a str,
        unique_id: &'a str,
        owner: &'a str,
        settlement: Settlement,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<bool>>;

    /// Settles a line like [`Store::settle`] and, when that succeeded, claims the tenant's next
    /// line for `next` like [`Store::claim_next`] — in the same commit where the backend can,
    /// which saves a worker one commit per line. The default makes the two calls in turn.
    fn settle_and_claim<'a>(
        &'a self,
        tenant: &'a str,
        unique_id: &'a str,
        owner: &'a str,
        settlement: Settlement,
        next: Lease<'a>,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<(bool, Option<LineRecord>)>> {
        Box::pin(async move {
            if !self
                .settle(tenant, unique_id, owner, settlement, now)
                .await?
            {
                return Ok((false, None));
            }
            Ok((true, self.claim_next(tenant, next, now).await?))
        })
    }

    /// Takes over the oldest stale `processing` line of the tenant (see [`Stale`]) for crash
    /// recovery: one atomic statement gives it to `new_owner` until `expires_at`, keeping its
    /// slot so nothing else of the tenant is pushed meanwhile.
    fn take_over_stale<'a>(
        &'a self,
        tenant: &'a str,
        stale: Stale<'a>,
        new_owner: &'a str,
        expires_at: Millis,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Option<LineRecord>>>;

    /// When the tenant's oldest `received` line is due (`None`: the queue is empty). Read-only.
    fn next_due<'a>(&'a self, tenant: &'a str) -> BoxFuture<'a, StoreResult<Option<Millis>>>;

    /// Lines per status of the tenant. Read-only.
    fn counts<'a>(&'a self, tenant: &'a str) -> BoxFuture<'a, StoreResult<StatusCounts>>;

    /// The tenant's lines in received order after the cursor `after` (a `seq`), at most
    /// `limit`: of `status`, or every line still in the queue (`received`, `processing`, and
    /// `failed` not archived) when `None`. Archived lines are never listed. Read-only.
    fn list_lines<'a>(
        &'a self,
        tenant: &'a str,
        status: Option<Status>,
        after: Option<i64>,
        limit: u32,
    ) -> BoxFuture<'a, StoreResult<Vec<LineRecord>>>;

    /// When the tenant's oldest `received` line was accepted. Read-only.
    fn oldest_received<'a>(&'a self, tenant: &'a str)
    -> BoxFuture<'a, StoreResult<Option<Millis>>>;

    /// Clears the tenant's `received` lines (to `failed/cleared_by_operator`) or archives its
    /// `failed` ones; `processing` lines are never touched. Returns the affected unique ids in
    /// received order. A dry run changes nothing and records nothing; otherwise `audit` is
    /// written in the same transaction.
    fn clear<'a>(
        &'a self,
        tenant: &'a str,
        what: Clearable,
        dry_run: bool,
        audit: &'a AuditEntry,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Vec<String>>>;

    /// Moves the selected `failed` lines back to `received`, due `now`, with a fresh retry
    /// budget (attempts 0, maximum age counted from `now`). A line that may have reached the
    /// ERP keeps its doubt (the next attempt asks the adapter first); an `outcome_unknown`
    /// line is asked first when `check_unknown_first` (the adapter can check), and re-sent
    /// otherwise: retrying it is the operator's word that the ERP does not have it. Returns the
    /// affected unique ids in received order; `audit` is written in the same transaction.
    fn retry<'a>(
        &'a self,
        tenant: &'a str,
        selection: &'a Selection,
        check_unknown_first: bool,
        audit: &'a AuditEntry,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Vec<String>>>;

    /// Records (or lifts) an operator's stop of the tenant, with `audit`, in one transaction.
    /// While it stands, no node claims the tenant's lines.
    fn set_operator_stop<'a>(
        &'a self,
        tenant: &'a str,
        stopped: bool,
        audit: &'a AuditEntry,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<()>>;

    /// The tenants an operator stopped. Read-only.
    fn operator_stops(&self) -> BoxFuture<'_, StoreResult<Vec<String>>>;

    /// Writes an audit record for a call that changed no line (a reload).
    fn record_audit<'a>(
        &'a self,
        audit: &'a AuditEntry,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<()>>;

    /// Audit records after the cursor `after` (an id), oldest first, at most `limit`; of one
    /// tenant, or all. Read-only.
    fn audit_log<'a>(
        &'a self,
        tenant: Option<&'a str>,
        after: Option<i64>,
        limit: u32,
    ) -> BoxFuture<'a, StoreResult<Vec<AuditRecord>>>;

    /// Deletes up to `limit` `completed` and `failed` records whose last change is before
    /// `cutoff` (retention); returns how many.
    fn purge(&self, cutoff: Millis, limit: u32) -> BoxFuture<'_, StoreResult<u64>>;

    /// `Ok` when the store is reachable.
    fn ping(&self) -> BoxFuture<'_, StoreResult<()>>;

    /// Closes the store: connections, and (SQLite) the lock that keeps other processes out.
    /// Later calls fail with [`StoreError::Unavailable`].
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    /// `true` when this process is the store's only user, so at boot every `processing` line
    /// belongs to a dead process ([`Stale::All`]).
    fn single_node(&self) -> bool;
}
