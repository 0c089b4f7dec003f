//! The statements both backends run, and the code that runs them.
//!
//! The SQL is written once, with SQLite's numbered placeholders (`?1`); Postgres gets the same
//! text with `$1`. Two statements differ, because the engines do:
//!
//! * **the claim.** SQLite has one writer at a time, so the claim's sub-select cannot race.
//!   On Postgres several nodes claim at once, and the usual `FOR UPDATE SKIP LOCKED` on the
//!   *line* would let a claim skip a head line that another transaction has locked and take
//!   the line behind it, breaking the per-tenant order. So the claim skips the *tenant*
//!   instead: it takes a transaction-scoped advisory lock on the tenant with
//!   `pg_try_advisory_xact_lock` (keyed by schema and tenant: advisory locks are database-wide, and
//!   deployments in other schemas of the same database must not skip each other), which never waits — when another node is claiming for this
//!   tenant at this instant, the claim returns nothing, exactly as `SKIP LOCKED` would — and
//!   then takes the head line, re-checked by the `UPDATE` itself (`status = 'received'`), so a
//!   line claimed by a transaction that committed in between is never claimed twice. The unique
//!   index on `(tenant, slot)` stays the last word on one line in flight.
//! * **crash recovery's take-over** uses `FOR UPDATE SKIP LOCKED` on Postgres: two nodes
//!   recovering the same tenant take different stale lines (stale lines have no order to
//!   keep), and the `UPDATE` re-checks that the lease is still stale.
//!
//! The code that binds and decodes is generated once per backend by [`store_ops!`], so the
//! binding order and the decoding cannot drift apart between the backends. Integer columns are
//! 64-bit and flags are 0/1 integers in both schemas, so one decoder reads both.

use crate::model::{LineRecord, Millis, OrderLine};
use crate::store::{AuditEntry, Clearable, Inserted, Selection, Settlement, StoreError};

/// The columns of a line record, in the order [`store_ops!`]'s decoder reads them by name.
const COLS: &str = "seq, tenant, unique_id, case_nr, product_nr, product_amount, dispensed_at, \
    status, reason_code, reason, erp_reference, attempts, next_attempt_at, check_first, \
    lease_owner, lease_expires_at, slot, received_at, updated_at, completed_at, archived_at, \
    COALESCE(queued_at, received_at) AS queued_at";

/// The SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// Every statement of the store, in one dialect.
#[derive(Debug)]
pub(crate) struct Statements {
    pub insert: String,
    pub select_line: String,
    pub claim: String,
    pub renew: String,
    pub settle_completed: String,
    pub settle_failed: String,
    pub settle_retry: String,
    pub take_over: String,
    pub clear_received: String,
    pub clear_failed: String,
    pub peek_received: String,
    pub peek_failed: String,
    pub retry_one: String,
    pub retry_all: String,
    pub set_stop: String,
    pub insert_audit: String,
    pub purge: String,
    pub list_status: String,
    pub list_queue: String,
    pub next_due: String,
    pub counts: String,
    pub oldest: String,
    pub stops: String,
    pub audit_all: String,
    pub audit_tenant: String,
}

/// A `processing` line leaves that status: its lease and slot are freed.
const FREE: &str = "lease_owner = NULL, lease_expires_at = NULL, slot = NULL";
/// The line is `processing` and held by the caller.
const HELD: &str =
    "WHERE tenant = ?1 AND unique_id = ?2 AND status = 'processing' AND lease_owner = ?3";
/// The tenant is not stopped by an operator (checked by every claim, on every node).
const NOT_STOPPED: &str =
    "NOT EXISTS (SELECT 1 FROM relay_tenants WHERE tenant = ?1 AND operator_stopped = 1)";
/// A `processing` line recovery may take: every line not the caller's (`?5`, single-node
/// boot), an expired lease, or a dead worker's.
const STALE: &str = "status = 'processing' AND ((?5 AND lease_owner <> ?2) OR lease_expires_at <= ?4 OR lease_owner = ?6)";

impl Statements {
    pub fn new(dialect: Dialect) -> Self {
        let d = |sql: String| match dialect {
            Dialect::Sqlite => sql,
            Dialect::Postgres => sql.replace('?', "$"),
        };
        let claim_set = "status = 'processing', lease_owner = ?2, lease_expires_at = ?3, slot = ?4, \
             attempts = attempts + 1, updated_at = ?5";
        let head = "SELECT seq FROM order_lines WHERE tenant = ?1 AND status = 'received' \
                    ORDER BY seq LIMIT 1";
        let due = "status = 'received' AND next_attempt_at <= ?5 \
                   AND NOT EXISTS (SELECT 1 FROM order_lines WHERE tenant = ?1 AND slot = ?4)";
        let claim = match dialect {
            // strict per-tenant FIFO: only the oldest `received` line, and only when it is due;
            // the slot test and the unique (tenant, slot) index keep the in-flight limit
            Dialect::Sqlite => format!(
                "UPDATE order_lines SET {claim_set} WHERE seq = ({head}) AND {due} \
                 AND {NOT_STOPPED} RETURNING {COLS}"
            ),
            // see the module docs: the tenant is skipped while another node claims for it
            Dialect::Postgres => format!(
                "WITH gate AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(\
                     hashtextextended('billing-relay claim ' || current_schema() || '.' || ?1, 0)) AS held) \
                 UPDATE order_lines SET {claim_set} WHERE seq = ({head}) AND {due} \
                 AND (SELECT held FROM gate) AND {NOT_STOPPED} RETURNING {COLS}"
            ),
        };
        let skip_locked = match dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let take_over = format!(
            "UPDATE order_lines SET lease_owner = ?2, lease_expires_at = ?3, updated_at = ?4 \
             WHERE seq = (SELECT seq FROM order_lines WHERE tenant = ?1 AND {STALE} \
                          ORDER BY seq LIMIT 1{skip_locked}) \
               AND {STALE} RETURNING {COLS}"
        );
        Statements {
            insert: d(format!(
                "INSERT INTO order_lines (tenant, unique_id, case_nr, product_nr, product_amount, \
                 dispensed_at, status, attempts, next_attempt_at, check_first, received_at, \
                 updated_at, queued_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'received', 0, ?7, 0, ?7, ?7, ?7) \
                 ON CONFLICT (tenant, unique_id) DO NOTHING RETURNING {COLS}"
            )),
            select_line: d(format!(
                "SELECT {COLS} FROM order_lines WHERE tenant = ?1 AND unique_id = ?2"
            )),
            claim: d(claim),
            renew: d(format!(
                "UPDATE order_lines SET lease_expires_at = ?4, updated_at = ?5 {HELD}"
            )),
            settle_completed: d(format!(
                "UPDATE order_lines SET status = 'completed', reason_code = NULL, reason = NULL, \
                 erp_reference = ?4, completed_at = ?5, updated_at = ?5, check_first = 0, \
                 {FREE} {HELD}"
            )),
            settle_failed: d(format!(
                "UPDATE order_lines SET status = 'failed', reason_code = ?4, reason = ?5, \
                 updated_at = ?6, check_first = 0, {FREE} {HELD}"
            )),
            settle_retry: d(format!(
                "UPDATE order_lines SET status = 'received', reason_code = ?4, reason = ?5, \
                 next_attempt_at = ?6, check_first = ?7, updated_at = ?8, {FREE} {HELD}"
            )),
            take_over: d(take_over),
            // the earlier doubt (check_first) stays with a cleared line, for a later retry
            clear_received: d("UPDATE order_lines SET status = 'failed', \
                 reason_code = 'cleared_by_operator', reason = ?2, updated_at = ?3 \
                 WHERE tenant = ?1 AND status = 'received' RETURNING seq, unique_id"
                .into()),
            clear_failed: d("UPDATE order_lines SET archived_at = ?2, updated_at = ?2 \
                 WHERE tenant = ?1 AND status = 'failed' AND archived_at IS NULL \
                 RETURNING seq, unique_id"
                .into()),
            peek_received: d("SELECT seq, unique_id FROM order_lines \
                 WHERE tenant = ?1 AND status = 'received' ORDER BY seq"
                .into()),
            peek_failed: d("SELECT seq, unique_id FROM order_lines \
                 WHERE tenant = ?1 AND status = 'failed' AND archived_at IS NULL ORDER BY seq"
                .into()),
            retry_one: d(format!(
                "UPDATE order_lines SET {RETRIED} WHERE tenant = ?1 AND unique_id = ?2 \
                 AND status = 'failed' RETURNING seq, unique_id"
            )),
            retry_all: d(format!(
                "UPDATE order_lines SET {RETRIED} WHERE tenant = ?1 AND ?2 = ?2 \
                 AND status = 'failed' AND archived_at IS NULL RETURNING seq, unique_id"
            )),
            set_stop: d(
                "INSERT INTO relay_tenants (tenant, operator_stopped, changed_by, changed_at) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant) DO UPDATE SET \
                 operator_stopped = excluded.operator_stopped, changed_by = excluded.changed_by, \
                 changed_at = excluded.changed_at"
                    .into(),
            ),
            insert_audit: d(
                "INSERT INTO audit (at, actor, action, tenant, params, lines_affected) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                    .into(),
            ),
            purge: d(
                "DELETE FROM order_lines WHERE seq IN (SELECT seq FROM order_lines \
                 WHERE status IN ('completed', 'failed') AND updated_at < ?1 LIMIT ?2)"
                    .into(),
            ),
            list_status: d(format!(
                "SELECT {COLS} FROM order_lines WHERE tenant = ?1 AND status = ?2 AND seq > ?3 \
                 AND archived_at IS NULL ORDER BY seq LIMIT ?4"
            )),
            list_queue: d(format!(
                "SELECT {COLS} FROM order_lines WHERE tenant = ?1 AND ?2 = ?2 \
                 AND status <> 'completed' AND seq > ?3 AND archived_at IS NULL \
                 ORDER BY seq LIMIT ?4"
            )),
            next_due: d("SELECT next_attempt_at FROM order_lines \
                 WHERE tenant = ?1 AND status = 'received' ORDER BY seq LIMIT 1"
                .into()),
            counts: d(
                "SELECT CASE WHEN archived_at IS NULL THEN status ELSE 'archived' END, \
                 count(*) FROM order_lines WHERE tenant = ?1 GROUP BY 1"
                    .into(),
            ),
            oldest: d("SELECT received_at FROM order_lines \
                 WHERE tenant = ?1 AND status = 'received' ORDER BY seq LIMIT 1"
                .into()),
            stops: d(
                "SELECT tenant FROM relay_tenants WHERE operator_stopped = 1 ORDER BY tenant"
                    .into(),
            ),
            audit_all: d(
                "SELECT id, at, actor, action, tenant, params, lines_affected FROM audit \
                 WHERE ?1 = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
                    .into(),
            ),
            audit_tenant: d(
                "SELECT id, at, actor, action, tenant, params, lines_affected FROM audit \
                 WHERE tenant = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
                    .into(),
            ),
        }
    }
}

/// An operator retry: back to `received`, due now, with a fresh budget; an `outcome_unknown`
/// line is asked first when `?4` (the adapter can check); any other line keeps its doubt.
const RETRIED: &str = "status = 'received', reason_code = NULL, reason = NULL, attempts = 0, \
    next_attempt_at = ?3, queued_at = ?3, updated_at = ?3, archived_at = NULL, \
    check_first = CASE WHEN reason_code = 'outcome_unknown' THEN ?4 ELSE check_first END";

/// A state change: one call of the store, run in a transaction by the backend.
#[derive(Debug)]
pub(crate) enum Write {
    Insert {
        tenant: String,
        line: OrderLine,
        now: Millis,
    },
    Claim {
        tenant: String,
        owner: String,
        slot: u32,
        expires_at: Millis,
        now: Millis,
    },
    Renew {
        tenant: String,
        unique_id: String,
        owner: String,
        expires_at: Millis,
        now: Millis,
    },
    Settle {
        tenant: String,
        unique_id: String,
        owner: String,
        settlement: Settlement,
        now: Millis,
    },
    /// The first write, then the second if the first changed a row (settle, then claim); the
    /// second runs inside a savepoint, so its refusal by a constraint leaves the first.
    Chain(Box<Write>, Box<Write>),
    TakeOver {
        tenant: String,
        all: bool,
        dead_owner: Option<String>,
        new_owner: String,
        expires_at: Millis,
        now: Millis,
    },
    Clear {
        tenant: String,
        what: Clearable,
        audit: AuditEntry,
        now: Millis,
    },
    Retry {
        tenant: String,
        selection: Selection,
        check_unknown_first: bool,
        audit: AuditEntry,
        now: Millis,
    },
    SetStop {
        tenant: String,
        stopped: bool,
        audit: AuditEntry,
        now: Millis,
    },
    Audit {
        audit: AuditEntry,
        now: Millis,
    },
    Purge {
        cutoff: Millis,
        limit: u32,
    },
}

impl Write {
    /// `true` when the write runs more than one statement that must commit together.
    pub fn needs_transaction(&self) -> bool {
        matches!(
            self,
            Write::Chain(..) | Write::Clear { .. } | Write::Retry { .. } | Write::SetStop { .. }
        )
    }
}

/// What a write gives back.
#[derive(Debug)]
pub(crate) enum Written {
    Inserted(Inserted),
    Line(Option<LineRecord>),
    Changed(bool),
    Chained(bool, Option<LineRecord>),
    Ids(Vec<String>),
    Count(u64),
}

/// How one write failed.
#[derive(Debug)]
pub(crate) enum Failed {
    /// Refused by a constraint: only this write's statement was rolled back (SQLite), or its
    /// transaction must be (Postgres).
    Constraint(String),
    /// The statement ran, its result could not be read.
    Row(StoreError),
    /// Anything else: the transaction is lost.
    Batch(sqlx::Error),
}

impl From<sqlx::Error> for Failed {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d)
                if matches!(
                    d.kind(),
                    sqlx::error::ErrorKind::UniqueViolation
                        | sqlx::error::ErrorKind::CheckViolation
                        | sqlx::error::ErrorKind::NotNullViolation
                ) =>
            {
                Failed::Constraint(d.message().to_owned())
            }
            _ => Failed::Batch(e),
        }
    }
}

impl From<Failed> for StoreError {
    fn from(f: Failed) -> Self {
        match f {
            Failed::Constraint(m) => StoreError::Corrupt(m),
            Failed::Row(e) => e,
            Failed::Batch(e) => unavailable(e),
        }
    }
}

pub(crate) fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

pub(crate) fn unexpected() -> StoreError {
    StoreError::Corrupt("the store answered another kind of write".into())
}

/// `(seq, unique_id)` rows in received order, as unique ids.
pub(crate) fn ids_in_order(mut rows: Vec<(i64, String)>) -> Vec<String> {
    rows.sort_by_key(|r| r.0);
    rows.into_iter().map(|r| r.1).collect()
}

/// A line record from its decoded columns (shared by both backends' decoders).
pub(crate) struct Columns {
    pub seq: i64,
    pub tenant: String,
    pub unique_id: String,
    pub case_nr: String,
    pub product_nr: String,
    pub product_amount: String,
    pub dispensed_at: Option<String>,
    pub status: String,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    pub erp_reference: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub check_first: i64,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
    pub slot: Option<i64>,
    pub received_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
    pub archived_at: Option<i64>,
    pub queued_at: i64,
}

impl Columns {
    pub fn into_record(self) -> Result<LineRecord, StoreError> {
        let amount = rust_decimal::Decimal::from_str_exact(&self.product_amount)
            .map_err(|_| corrupt("product_amount"))?;
        let dispensed_at = match self.dispensed_at {
            None => None,
            Some(t) => Some(
                chrono::DateTime::parse_from_rfc3339(&t)
                    .map_err(|_| corrupt("dispensed_at"))?
                    .with_timezone(&chrono::Utc),
            ),
        };
        let mut line = OrderLine::new(self.unique_id, self.case_nr, self.product_nr, amount);
        line.dispensed_at = dispensed_at;
        Ok(LineRecord {
            tenant: self.tenant,
            seq: self.seq,
            line,
            status: self.status.parse().map_err(|_| corrupt("status"))?,
            reason_code: self.reason_code,
            reason: self.reason,
            erp_reference: self.erp_reference,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            next_attempt_at: Millis(self.next_attempt_at),
            check_first: self.check_first != 0,
            lease_owner: self.lease_owner,
            lease_expires_at: self.lease_expires_at.map(Millis),
            slot: self.slot.and_then(|s| u32::try_from(s).ok()),
            received_at: Millis(self.received_at),
            updated_at: Millis(self.updated_at),
            completed_at: self.completed_at.map(Millis),
            archived_at: self.archived_at.map(Millis),
            queued_at: Millis(self.queued_at),
        })
    }
}

/// The reason text of a line an operator cleared.
pub(crate) const CLEARED_REASON: &str = "removed from the queue by an operator";

/// Generates, for one sqlx database type, the functions that bind, run and decode the
/// [`Statements`]: `execute` (one [`Write`] on a connection the backend chose: a batch
/// transaction, a transaction of its own, or autocommit) and the reads. See the module docs.
macro_rules! store_ops {
    ($db:ty) => {
        use sqlx::Row as _;
        use $crate::model::{LineRecord, Millis, Status, StatusCounts};
        use $crate::store::sql::{
            CLEARED_REASON, Columns, Failed, Statements, Write, Written, corrupt, ids_in_order,
            unavailable,
        };
        use $crate::store::{AuditRecord, Clearable, Inserted, Selection, Settlement, StoreResult};

        type Conn = <$db as sqlx::Database>::Connection;
        type DbRow = <$db as sqlx::Database>::Row;

        fn record(row: &DbRow) -> StoreResult<LineRecord> {
            fn get<'r, T: sqlx::Decode<'r, $db> + sqlx::Type<$db>>(
                row: &'r DbRow,
                c: &str,
            ) -> StoreResult<T> {
                row.try_get::<T, _>(c).map_err(|_| corrupt(c))
            }
            Columns {
                seq: get(row, "seq")?,
                tenant: get(row, "tenant")?,
                unique_id: get(row, "unique_id")?,
                case_nr: get(row, "case_nr")?,
                product_nr: get(row, "product_nr")?,
                product_amount: get(row, "product_amount")?,
                dispensed_at: get(row, "dispensed_at")?,
                status: get(row, "status")?,
                reason_code: get(row, "reason_code")?,
                reason: get(row, "reason")?,
                erp_reference: get(row, "erp_reference")?,
                attempts: get(row, "attempts")?,
                next_attempt_at: get(row, "next_attempt_at")?,
                check_first: get(row, "check_first")?,
                lease_owner: get(row, "lease_owner")?,
                lease_expires_at: get(row, "lease_expires_at")?,
                slot: get(row, "slot")?,
                received_at: get(row, "received_at")?,
                updated_at: get(row, "updated_at")?,
                completed_at: get(row, "completed_at")?,
                archived_at: get(row, "archived_at")?,
                queued_at: get(row, "queued_at")?,
            }
            .into_record()
        }

        fn line_of(row: Option<DbRow>) -> Result<Written, Failed> {
            row.as_ref()
                .map(record)
                .transpose()
                .map(Written::Line)
                .map_err(Failed::Row)
        }

        fn seq_ids(rows: Vec<DbRow>) -> Result<Vec<(i64, String)>, Failed> {
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get::<i64, _>(0)
                            .map_err(|_| Failed::Row(corrupt("seq")))?,
                        r.try_get::<String, _>(1)
                            .map_err(|_| Failed::Row(corrupt("unique_id")))?,
                    ))
                })
                .collect()
        }

        async fn audit(
            conn: &mut Conn,
            sql: &Statements,
            entry: &$crate::store::AuditEntry,
            lines: usize,
            now: Millis,
        ) -> Result<(), Failed> {
            sqlx::query(&sql.insert_audit)
                .bind(now.0)
                .bind(&entry.actor)
                .bind(&entry.action)
                .bind(&entry.tenant)
                .bind(entry.params.to_string())
                .bind(i64::try_from(lines).unwrap_or(i64::MAX))
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        /// Runs one write. Multi-statement writes ([`Write::needs_transaction`]) must be given
        /// a connection inside a transaction.
        ///
        /// A boxed future with one named lifetime rather than an `async fn`: the recursion of
        /// [`Write::Chain`] otherwise leaves the compiler unable to prove the future `Send`
        /// for every lifetime (the higher-ranked "not general enough" error).
        pub(crate) fn execute<'a>(
            conn: &'a mut Conn,
            sql: &'a Statements,
            write: &'a Write,
        ) -> futures::future::BoxFuture<'a, Result<Written, Failed>> {
            Box::pin(async move {
                match write {
                    Write::Chain(first, then) => {
                        match execute(&mut *conn, sql, first).await? {
                            Written::Changed(true) => {}
                            _ => return Ok(Written::Chained(false, None)),
                        }
                        sqlx::query("SAVEPOINT relay_chain")
                            .execute(&mut *conn)
                            .await?;
                        let next = match execute(&mut *conn, sql, then).await {
                            Ok(Written::Line(l)) => l,
                            Ok(_) => None,
                            Err(Failed::Constraint(_)) => {
                                sqlx::query("ROLLBACK TO SAVEPOINT relay_chain")
                                    .execute(&mut *conn)
                                    .await?;
                                None
                            }
                            Err(e) => return Err(e),
                        };
                        sqlx::query("RELEASE SAVEPOINT relay_chain")
                            .execute(&mut *conn)
                            .await?;
                        Ok(Written::Chained(true, next))
                    }
                    Write::Insert {
                        tenant,
                        line: l,
                        now,
                    } => {
                        let inserted = sqlx::query(&sql.insert)
                            .bind(tenant)
                            .bind(&l.unique_id)
                            .bind(&l.case_nr)
                            .bind(&l.product_nr)
                            .bind(l.amount_text())
                            .bind(l.dispensed_at_text())
                            .bind(now.0)
                            .fetch_optional(&mut *conn)
                            .await?;
                        if let Some(row) = inserted {
                            return Ok(Written::Inserted(Inserted::New(
                                record(&row).map_err(Failed::Row)?,
                            )));
                        }
                        let row = sqlx::query(&sql.select_line)
                            .bind(tenant)
                            .bind(&l.unique_id)
                            .fetch_one(&mut *conn)
                            .await?;
                        Ok(Written::Inserted(Inserted::Existing(
                            record(&row).map_err(Failed::Row)?,
                        )))
                    }
                    Write::Claim {
                        tenant,
                        owner,
                        slot,
                        expires_at,
                        now,
                    } => {
                        let row = sqlx::query(&sql.claim)
                            .bind(tenant)
                            .bind(owner)
                            .bind(expires_at.0)
                            .bind(i64::from(*slot))
                            .bind(now.0)
                            .fetch_optional(&mut *conn)
                            .await;
                        match row {
                            Ok(row) => line_of(row),
                            // another holder of the slot (the index is the last word): nothing
                            // claimed
                            Err(e) => match Failed::from(e) {
                                Failed::Constraint(_) => Ok(Written::Line(None)),
                                other => Err(other),
                            },
                        }
                    }
                    Write::Renew {
                        tenant,
                        unique_id,
                        owner,
                        expires_at,
                        now,
                    } => {
                        let done = sqlx::query(&sql.renew)
                            .bind(tenant)
                            .bind(unique_id)
                            .bind(owner)
                            .bind(expires_at.0)
                            .bind(now.0)
                            .execute(&mut *conn)
                            .await?;
                        Ok(Written::Changed(done.rows_affected() == 1))
                    }
                    Write::Settle {
                        tenant,
                        unique_id,
                        owner,
                        settlement,
                        now,
                    } => {
                        let query = match settlement {
                            Settlement::Completed { erp_reference } => {
                                sqlx::query(&sql.settle_completed)
                                    .bind(tenant)
                                    .bind(unique_id)
                                    .bind(owner)
                                    .bind(erp_reference)
                                    .bind(now.0)
                            }
                            Settlement::Failed { code, reason } => sqlx::query(&sql.settle_failed)
                                .bind(tenant)
                                .bind(unique_id)
                                .bind(owner)
                                .bind(code.as_str())
                                .bind(reason)
                                .bind(now.0),
                            Settlement::Retry {
                                code,
                                reason,
                                next_attempt_at,
                                check_first,
                            } => sqlx::query(&sql.settle_retry)
                                .bind(tenant)
                                .bind(unique_id)
                                .bind(owner)
                                .bind(code.map(|c| c.as_str()))
                                .bind(reason)
                                .bind(next_attempt_at.0)
                                .bind(i64::from(*check_first))
                                .bind(now.0),
                        };
                        let done = query.execute(&mut *conn).await?;
                        Ok(Written::Changed(done.rows_affected() == 1))
                    }
                    Write::TakeOver {
                        tenant,
                        all,
                        dead_owner,
                        new_owner,
                        expires_at,
                        now,
                    } => {
                        let row = sqlx::query(&sql.take_over)
                            .bind(tenant)
                            .bind(new_owner)
                            .bind(expires_at.0)
                            .bind(now.0)
                            .bind(*all)
                            .bind(dead_owner)
                            .fetch_optional(&mut *conn)
                            .await?;
                        line_of(row)
                    }
                    Write::Clear {
                        tenant,
                        what,
                        audit: entry,
                        now,
                    } => {
                        let rows = match what {
                            Clearable::Received => sqlx::query(&sql.clear_received)
                                .bind(tenant)
                                .bind(CLEARED_REASON)
                                .bind(now.0),
                            Clearable::Failed => {
                                sqlx::query(&sql.clear_failed).bind(tenant).bind(now.0)
                            }
                        }
                        .fetch_all(&mut *conn)
                        .await?;
                        let ids = ids_in_order(seq_ids(rows)?);
                        audit(conn, sql, entry, ids.len(), *now).await?;
                        Ok(Written::Ids(ids))
                    }
                    Write::Retry {
                        tenant,
                        selection,
                        check_unknown_first,
                        audit: entry,
                        now,
                    } => {
                        let check = i64::from(*check_unknown_first);
                        let mut rows = Vec::new();
                        match selection {
                            Selection::All => {
                                rows = sqlx::query(&sql.retry_all)
                                    .bind(tenant)
                                    .bind("")
                                    .bind(now.0)
                                    .bind(check)
                                    .fetch_all(&mut *conn)
                                    .await?;
                            }
                            Selection::Ids(ids) => {
                                for id in ids {
                                    if let Some(r) = sqlx::query(&sql.retry_one)
                                        .bind(tenant)
                                        .bind(id)
                                        .bind(now.0)
                                        .bind(check)
                                        .fetch_optional(&mut *conn)
                                        .await?
                                    {
                                        rows.push(r);
                                    }
                                }
                            }
                        }
                        let ids = ids_in_order(seq_ids(rows)?);
                        audit(conn, sql, entry, ids.len(), *now).await?;
                        Ok(Written::Ids(ids))
                    }
                    Write::SetStop {
                        tenant,
                        stopped,
                        audit: entry,
                        now,
                    } => {
                        sqlx::query(&sql.set_stop)
                            .bind(tenant)
                            .bind(i64::from(*stopped))
                            .bind(&entry.actor)
                            .bind(now.0)
                            .execute(&mut *conn)
                            .await?;
                        audit(conn, sql, entry, 0, *now).await?;
                        Ok(Written::Changed(true))
                    }
                    Write::Audit { audit: entry, now } => {
                        audit(conn, sql, entry, 0, *now).await?;
                        Ok(Written::Changed(true))
                    }
                    Write::Purge { cutoff, limit } => {
                        let done = sqlx::query(&sql.purge)
                            .bind(cutoff.0)
                            .bind(i64::from(*limit))
                            .execute(&mut *conn)
                            .await?;
                        Ok(Written::Count(done.rows_affected()))
                    }
                }
            })
        }

        pub(crate) async fn get_line(
            pool: &sqlx::Pool<$db>,
            sql: &Statements,
            tenant: &str,
            unique_id: &str,
        ) -> StoreResult<Option<LineRecord>> {
            let row = sqlx::query(&sql.select_line)
                .bind(tenant)
                .bind(unique_id)
                .fetch_optional(pool)
                .await
                .map_err(unavailable)?;
            row.as_ref().map(record).transpose()
        }

        pub(crate) async fn peek(
            pool: &sqlx::Pool<$db>,
            sql: &Statements,
            tenant: &str,
            what: Clearable,
        ) -> StoreResult<Vec<String>> {
            let text = match what {
                Clearable::Received => &sql.peek_received,
                Clearable::Failed => &sql.peek_failed,
            };
            let rows = sqlx::query(text)
                .bind(tenant)
                .fetch_all(pool)
                .await
                .map_err(unavailable)?;
            Ok(ids_in_order(
                seq_ids(rows).map_err($crate::store::StoreError::from)?,
            ))
        }

        pub(crate) async fn list_lines(
            pool: &sqlx::Pool<$db>,
            sql: &Statements,
            tenant: &str,
            status: Option<Status>,
            after: Option<i64>,
            limit: u32,
        ) -> StoreResult<Vec<LineRecord>> {
            let (text, word) = match status {
                Some(s) => (&sql.list_status, s.as_str()),
                None => (&sql.list_queue, ""),
            };
            let rows = sqlx::query(text)
                .bind(tenant)
                .bind(word)
                .bind(after.unwrap_or(i64::MIN))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(unavailable)?;
            rows.iter().map(record).collect()
        }

        async fn one_millis(
            pool: &sqlx::Pool<$db>,
            text: &str,
            tenant: &str,
            what: &str,
        ) -> StoreResult<Option<Millis>> {
            let row = sqlx::query(text)
                .bind(tenant)
                .fetch_optional(pool)
                .await
                .map_err(unavailable)?;
            row.map(|r| {
                r.try_get::<i64, _>(0)
                    .map(Millis)
                    .map_err(|_| corrupt(what))
            })
            .transpose()
        }

        pub(crate) async fn next_due(
            pool: &sqlx::Pool<$db>,
            sql: &Statements,
            tenant: &str,
        ) -> StoreResult<Option<Millis>> {
            one_millis(pool, &sql.next_due, tenant, "next_attempt_at").await
        }

        pub(crate) async fn oldest_received(
            pool: &sqlx::Pool<$db>,
            sql: &Statements,
            tenant: &str,
        ) -> StoreResult<Option<Millis>> {
            one_millis(pool, &sql.oldest, tenant, "received_at").await
        }

        pub(crate) async fn counts(
            pool: &sqlx::Pool<$db>,
            sql: &Statements,
            tenant: &str,
        ) -> StoreResult<StatusCounts> {
            let rows = sqlx::query(&sql.counts)
                .bind(tenant)
                .fetch_all(pool)
                .await
                .map_err(unavailable)?;
            let mut counts = StatusCounts::default();
            for r in rows {
                let word: String = r.try_get(0).map_err(|_| corrupt("status"))?;
                let n: i64 = r.try_get(1).map_err(|_| corrupt("count"))?;
                let n = u64::try_from(n).unwrap_or(0);
                if word == "archived" {
                    counts.archived += n;
                } else {
                    counts.add(word.parse().map_err(|_| corrupt("status"))?, n);
                }
            }
            Ok(counts)
        }

        pub(crate) async fn operator_stops(
            pool: &sqlx::Pool<$db>,
            sql: &Statements,
        ) -> StoreResult<Vec<String>> {
            let rows = sqlx::query(&sql.stops)
                .fetch_all(pool)
                .await
                .map_err(unavailable)?;
            rows.iter()
                .map(|r| r.try_get::<String, _>(0).map_err(|_| corrupt("tenant")))
                .collect()
        }

        pub(crate) async fn audit_log(
            pool: &sqlx::Pool<$db>,
            sql: &Statements,
            tenant: Option<&str>,
            after: Option<i64>,
            limit: u32,
        ) -> StoreResult<Vec<AuditRecord>> {
            let text = match tenant {
                Some(_) => &sql.audit_tenant,
                None => &sql.audit_all,
            };
            let rows = sqlx::query(text)
                .bind(tenant.unwrap_or_default())
                .bind(after.unwrap_or(i64::MIN))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(unavailable)?;
            rows.iter()
                .map(|r| {
                    let params: String = r.try_get(5).map_err(|_| corrupt("params"))?;
                    Ok(AuditRecord {
                        id: r.try_get(0).map_err(|_| corrupt("id"))?,
                        at: Millis(r.try_get(1).map_err(|_| corrupt("at"))?),
                        actor: r.try_get(2).map_err(|_| corrupt("actor"))?,
                        action: r.try_get(3).map_err(|_| corrupt("action"))?,
                        tenant: r.try_get(4).map_err(|_| corrupt("tenant"))?,
                        params: serde_json::from_str(&params).map_err(|_| corrupt("params"))?,
                        lines_affected: u64::try_from(
                            r.try_get::<i64, _>(6)
                                .map_err(|_| corrupt("lines_affected"))?,
                        )
                        .unwrap_or(0),
                    })
                })
                .collect()
        }

        pub(crate) async fn ping(pool: &sqlx::Pool<$db>) -> StoreResult<()> {
            sqlx::query("SELECT 1")
                .execute(pool)
                .await
                .map_err(unavailable)?;
            Ok(())
        }
    };
}

pub(crate) use store_ops;

impl Written {
    pub fn inserted(self) -> Result<Inserted, StoreError> {
        match self {
            Written::Inserted(i) => Ok(i),
            _ => Err(unexpected()),
        }
    }
    pub fn line(self) -> Result<Option<LineRecord>, StoreError> {
        match self {
            Written::Line(l) => Ok(l),
            _ => Err(unexpected()),
        }
    }
    pub fn changed(self) -> Result<bool, StoreError> {
        match self {
            Written::Changed(c) => Ok(c),
            _ => Err(unexpected()),
        }
    }
    pub fn chained(self) -> Result<(bool, Option<LineRecord>), StoreError> {
        match self {
            Written::Chained(c, l) => Ok((c, l)),
            _ => Err(unexpected()),
        }
    }
    pub fn ids(self) -> Result<Vec<String>, StoreError> {
        match self {
            Written::Ids(i) => Ok(i),
            _ => Err(unexpected()),
        }
    }
    pub fn count(self) -> Result<u64, StoreError> {
        match self {
            Written::Count(n) => Ok(n),
            _ => Err(unexpected()),
        }
    }
}

/// Implements [`crate::store::Store`] for a backend type, once for both backends. The type
/// provides `async fn write(&self, Write) -> StoreResult<Written>` (how it commits),
/// `async fn shut(&self)` (what closing releases), `const SINGLE_NODE: bool`, and the fields
/// `reads()` (the pool reads run on) and `sql` ([`Statements`]); the invoking module has an `ops`
/// module made by [`store_ops!`].
macro_rules! impl_store {
    ($store:ty) => {
        impl $crate::store::Store for $store {
            fn insert_line<'a>(
                &'a self,
                tenant: &'a str,
                line: &'a $crate::model::OrderLine,
                now: $crate::model::Millis,
            ) -> futures::future::BoxFuture<'a, $crate::store::StoreResult<$crate::store::Inserted>>
            {
                Box::pin(async move {
                    let write = $crate::store::sql::Write::Insert {
                        tenant: tenant.to_owned(),
                        line: line.clone(),
                        now,
                    };
                    self.write(write).await?.inserted()
                })
            }

            fn get_line<'a>(
                &'a self,
                tenant: &'a str,
                unique_id: &'a str,
            ) -> futures::future::BoxFuture<
                'a,
                $crate::store::StoreResult<Option<$crate::model::LineRecord>>,
            > {
                Box::pin(ops::get_line(self.reads(), &self.sql, tenant, unique_id))
            }

            fn claim_next<'a>(
                &'a self,
                tenant: &'a str,
                lease: $crate::store::Lease<'a>,
                now: $crate::model::Millis,
            ) -> futures::future::BoxFuture<
                'a,
                $crate::store::StoreResult<Option<$crate::model::LineRecord>>,
            > {
                Box::pin(async move {
                    self.write($crate::store::sql::Write::claim(tenant, lease, now))
                        .await?
                        .line()
                })
            }

            fn renew_lease<'a>(
                &'a self,
                tenant: &'a str,
                unique_id: &'a str,
                owner: &'a str,
                expires_at: $crate::model::Millis,
                now: $crate::model::Millis,
            ) -> futures::future::BoxFuture<'a, $crate::store::StoreResult<bool>> {
                Box::pin(async move {
                    let write = $crate::store::sql::Write::Renew {
                        tenant: tenant.to_owned(),
                        unique_id: unique_id.to_owned(),
                        owner: owner.to_owned(),
                        expires_at,
                        now,
                    };
                    self.write(write).await?.changed()
                })
            }

            fn settle<'a>(
                &'a self,
                tenant: &'a str,
                unique_id: &'a str,
                owner: &'a str,
                settlement: $crate::store::Settlement,
                now: $crate::model::Millis,
            ) -> futures::future::BoxFuture<'a, $crate::store::StoreResult<bool>> {
                Box::pin(async move {
                    let write = $crate::store::sql::Write::settle(
                        tenant, unique_id, owner, settlement, now,
                    );
                    self.write(write).await?.changed()
                })
            }

            fn settle_and_claim<'a>(
                &'a self,
                tenant: &'a str,
                unique_id: &'a str,
                owner: &'a str,
                settlement: $crate::store::Settlement,
                next: $crate::store::Lease<'a>,
                now: $crate::model::Millis,
            ) -> futures::future::BoxFuture<
                'a,
                $crate::store::StoreResult<(bool, Option<$crate::model::LineRecord>)>,
            > {
                Box::pin(async move {
                    let settle = $crate::store::sql::Write::settle(
                        tenant, unique_id, owner, settlement, now,
                    );
                    let claim = $crate::store::sql::Write::claim(tenant, next, now);
                    self.write($crate::store::sql::Write::Chain(
                        Box::new(settle),
                        Box::new(claim),
                    ))
                    .await?
                    .chained()
                })
            }

            fn take_over_stale<'a>(
                &'a self,
                tenant: &'a str,
                stale: $crate::store::Stale<'a>,
                new_owner: &'a str,
                expires_at: $crate::model::Millis,
                now: $crate::model::Millis,
            ) -> futures::future::BoxFuture<
                'a,
                $crate::store::StoreResult<Option<$crate::model::LineRecord>>,
            > {
                Box::pin(async move {
                    let (all, dead_owner) = match stale {
                        $crate::store::Stale::All => (true, None),
                        $crate::store::Stale::Expired { dead_owner } => {
                            (false, dead_owner.map(str::to_owned))
                        }
                    };
                    let write = $crate::store::sql::Write::TakeOver {
                        tenant: tenant.to_owned(),
                        all,
                        dead_owner,
                        new_owner: new_owner.to_owned(),
                        expires_at,
                        now,
                    };
                    self.write(write).await?.line()
                })
            }

            fn next_due<'a>(
                &'a self,
                tenant: &'a str,
            ) -> futures::future::BoxFuture<
                'a,
                $crate::store::StoreResult<Option<$crate::model::Millis>>,
            > {
                Box::pin(ops::next_due(self.reads(), &self.sql, tenant))
            }

            fn counts<'a>(
                &'a self,
                tenant: &'a str,
            ) -> futures::future::BoxFuture<
                'a,
                $crate::store::StoreResult<$crate::model::StatusCounts>,
            > {
                Box::pin(ops::counts(self.reads(), &self.sql, tenant))
            }

            fn list_lines<'a>(
                &'a self,
                tenant: &'a str,
                status: Option<$crate::model::Status>,
                after: Option<i64>,
                limit: u32,
            ) -> futures::future::BoxFuture<
                'a,
                $crate::store::StoreResult<Vec<$crate::model::LineRecord>>,
            > {
                Box::pin(ops::list_lines(
                    self.reads(),
                    &self.sql,
                    tenant,
                    status,
                    after,
                    limit,
                ))
            }

            fn oldest_received<'a>(
                &'a self,
                tenant: &'a str,
            ) -> futures::future::BoxFuture<
                'a,
                $crate::store::StoreResult<Option<$crate::model::Millis>>,
            > {
                Box::pin(ops::oldest_received(self.reads(), &self.sql, tenant))
            }

            fn clear<'a>(
                &'a self,
                tenant: &'a str,
                what: $crate::store::Clearable,
                dry_run: bool,
                audit: &'a $crate::store::AuditEntry,
                now: $crate::model::Millis,
            ) -> futures::future::BoxFuture<'a, $crate::store::StoreResult<Vec<String>>> {
                Box::pin(async move {
                    if dry_run {
                        return ops::peek(self.reads(), &self.sql, tenant, what).await;
                    }
                    let write = $crate::store::sql::Write::Clear {
                        tenant: tenant.to_owned(),
                        what,
                        audit: audit.clone(),
                        now,
                    };
                    self.write(write).await?.ids()
                })
            }

            fn retry<'a>(
                &'a self,
                tenant: &'a str,
                selection: &'a $crate::store::Selection,
                check_unknown_first: bool,
                audit: &'a $crate::store::AuditEntry,
                now: $crate::model::Millis,
            ) -> futures::future::BoxFuture<'a, $crate::store::StoreResult<Vec<String>>> {
                Box::pin(async move {
                    let write = $crate::store::sql::Write::Retry {
                        tenant: tenant.to_owned(),
                        selection: selection.clone(),
                        check_unknown_first,
                        audit: audit.clone(),
                        now,
                    };
                    self.write(write).await?.ids()
                })
            }

            fn set_operator_stop<'a>(
                &'a self,
                tenant: &'a str,
                stopped: bool,
                audit: &'a $crate::store::AuditEntry,
                now: $crate::model::Millis,
            ) -> futures::future::BoxFuture<'a, $crate::store::StoreResult<()>> {
                Box::pin(async move {
                    let write = $crate::store::sql::Write::SetStop {
                        tenant: tenant.to_owned(),
                        stopped,
                        audit: audit.clone(),
                        now,
                    };
                    self.write(write).await?.changed().map(|_| ())
                })
            }

            fn operator_stops(
                &self,
            ) -> futures::future::BoxFuture<'_, $crate::store::StoreResult<Vec<String>>> {
                Box::pin(ops::operator_stops(self.reads(), &self.sql))
            }

            fn record_audit<'a>(
                &'a self,
                audit: &'a $crate::store::AuditEntry,
                now: $crate::model::Millis,
            ) -> futures::future::BoxFuture<'a, $crate::store::StoreResult<()>> {
                Box::pin(async move {
                    let write = $crate::store::sql::Write::Audit {
                        audit: audit.clone(),
                        now,
                    };
                    self.write(write).await?.changed().map(|_| ())
                })
            }

            fn audit_log<'a>(
                &'a self,
                tenant: Option<&'a str>,
                after: Option<i64>,
                limit: u32,
            ) -> futures::future::BoxFuture<
                'a,
                $crate::store::StoreResult<Vec<$crate::store::AuditRecord>>,
            > {
                Box::pin(ops::audit_log(
                    self.reads(),
                    &self.sql,
                    tenant,
                    after,
                    limit,
                ))
            }

            fn purge(
                &self,
                cutoff: $crate::model::Millis,
                limit: u32,
            ) -> futures::future::BoxFuture<'_, $crate::store::StoreResult<u64>> {
                Box::pin(async move {
                    self.write($crate::store::sql::Write::Purge { cutoff, limit })
                        .await?
                        .count()
                })
            }

            fn ping(&self) -> futures::future::BoxFuture<'_, $crate::store::StoreResult<()>> {
                Box::pin(ops::ping(self.reads()))
            }

            fn close(&self) -> futures::future::BoxFuture<'_, ()> {
                Box::pin(self.shut())
            }

            fn single_node(&self) -> bool {
                Self::SINGLE_NODE
            }
        }
    };
}

pub(crate) use impl_store;

impl Write {
    pub fn claim(tenant: &str, lease: crate::store::Lease<'_>, now: Millis) -> Self {
        Write::Claim {
            tenant: tenant.to_owned(),
            owner: lease.owner.to_owned(),
            slot: lease.slot,
            expires_at: lease.expires_at,
            now,
        }
    }

    pub fn settle(
        tenant: &str,
        unique_id: &str,
        owner: &str,
        settlement: Settlement,
        now: Millis,
    ) -> Self {
        Write::Settle {
            tenant: tenant.to_owned(),
            unique_id: unique_id.to_owned(),
            owner: owner.to_owned(),
            settlement,
            now,
        }
    }
}
