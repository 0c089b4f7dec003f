//! The embedded store: one SQLite file in WAL mode, created on first start.
//!
//! * **Durability.** `journal_mode = WAL` and, by default, `synchronous = FULL`: every commit
//!   is on disk (the WAL is fsynced) before the relay answers 2xx, so a power loss cannot take
//!   back an acknowledged line. `synchronous = normal` is available for hosts where losing the
//!   last commits on power loss (never on a process crash) is acceptable; see docs/relay.md.
//! * **Group commit.** Every write — ingest inserts, claims, lease renewals, settlements, crash
//!   recovery take-overs — is queued to one writer task, which runs whatever is waiting as one
//!   transaction: one fsync for the batch. Each caller is answered after the commit that holds
//!   its write, so "committed before acknowledged" holds per line. SQLite has no group commit of
//!   its own, hence this small piece of hand-written code: without it, one fsync per write
//!   bounds the relay to the disk's fsync rate, shared by ingest and every tenant's worker.
//! * **Connections.** One writer connection (SQLite has one writer at a time anyway) and a
//!   pool of read-only connections for status queries and duplicates: in WAL mode they never
//!   block the writer and cannot modify anything.
//! * **One process per file.** A lock file next to the database (`<file>-relay.lock`, an OS
//!   advisory lock released when the process dies, even by `SIGKILL`) refuses a second relay
//!   on the same file, which is what makes "every `processing` line at boot is stale" true.
//! * **Migrations** are embedded (`migrations/sqlite/`) and run at open.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use rust_decimal::Decimal;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::{Inserted, Lease, Settlement, Stale, Store, StoreError, StoreResult};
use crate::model::{LineRecord, Millis, OrderLine, Status, StatusCounts};

/// How SQLite syncs commits to disk (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Synchronous {
    /// Every commit is fsynced before it returns: an acknowledged line survives a power loss.
    #[default]
    Full,
    /// Commits survive a process crash; the last ones may be lost on power loss.
    Normal,
}

/// Options of the SQLite store.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// `sqlite://path/to/relay.db` (or `sqlite:relay.db`); the file is created if missing.
    pub url: String,
    /// The sync mode.
    pub synchronous: Synchronous,
    /// Read-only connections for status queries.
    pub read_connections: u32,
    /// The most writes committed together.
    pub max_batch: usize,
}

impl SqliteOptions {
    /// Options for `url` with the defaults (`synchronous = FULL`, 4 readers, batches of 256).
    pub fn new(url: impl Into<String>) -> Self {
        SqliteOptions {
            url: url.into(),
            synchronous: Synchronous::Full,
            read_connections: 4,
            max_batch: 256,
        }
    }
}

/// The SQLite store. See the [module docs](self).
pub struct SqliteStore {
    writer: SqlitePool,
    readers: SqlitePool,
    writes: mpsc::Sender<Job>,
    path: PathBuf,
    lock: std::fs::File,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// A state change, executed by the writer task inside a batch transaction.
enum Write {
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
    /// The first write, then the second if the first changed a row (settle, then claim).
    Chain(Box<Write>, Box<Write>),
    TakeOver {
        tenant: String,
        all: bool,
        dead_owner: Option<String>,
        new_owner: String,
        expires_at: Millis,
        now: Millis,
    },
}

/// What a write gives back.
enum Written {
    Inserted(Inserted),
    Line(Option<LineRecord>),
    Changed(bool),
    Chained(bool, Option<LineRecord>),
}

struct Job {
    write: Write,
    reply: oneshot::Sender<StoreResult<Written>>,
}

const COLS: &str = "seq, tenant, unique_id, case_nr, product_nr, product_amount, dispensed_at, \
    status, reason_code, reason, erp_reference, attempts, next_attempt_at, check_first, \
    lease_owner, lease_expires_at, slot, received_at, updated_at, completed_at";

fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if missing) the database, takes the lock file, runs the migrations and
    /// starts the writer task. Must run inside a tokio runtime.
    pub async fn open(options: SqliteOptions) -> StoreResult<Arc<Self>> {
        let base = SqliteConnectOptions::from_str(&options.url)
            .map_err(|e| StoreError::Config(format!("invalid sqlite url: {e}")))?;
        let path = base.get_filename().to_path_buf();
        if path.as_os_str().is_empty() || path.to_string_lossy().contains(":memory:") {
            return Err(StoreError::Config(
                "the sqlite store needs a file (an in-memory database is not durable)".into(),
            ));
        }
        let lock = lock_file(&path)?;
        let synchronous = match options.synchronous {
            Synchronous::Full => SqliteSynchronous::Full,
            Synchronous::Normal => SqliteSynchronous::Normal,
        };
        let common = base
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(common.clone().create_if_missing(true))
            .await
            .map_err(|e| StoreError::Config(format!("cannot open {}: {e}", path.display())))?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Config(format!("cannot migrate {}: {e}", path.display())))?;
        let readers = SqlitePoolOptions::new()
            .max_connections(options.read_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(common.read_only(true))
            .await
            .map_err(|e| StoreError::Config(format!("cannot open {}: {e}", path.display())))?;
        let (tx, rx) = mpsc::channel(options.max_batch.max(1) * 4);
        tokio::spawn(writer_task(writer.clone(), rx, options.max_batch.max(1)));
        Ok(Arc::new(SqliteStore {
            writer,
            readers,
            writes: tx,
            path,
            lock,
        }))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn lock_file(db: &Path) -> StoreResult<std::fs::File> {
    let mut name = db.as_os_str().to_owned();
    name.push("-relay.lock");
    let lock_path = PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| StoreError::Config(format!("cannot open {}: {e}", lock_path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Config(format!(
            "another relay process uses {} (one process per sqlite file)",
            db.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Config(format!(
            "cannot lock {}: {e}",
            lock_path.display()
        ))),
    }
}

/// Gathers concurrent writes and commits them together (see the module docs).
async fn writer_task(pool: SqlitePool, mut rx: mpsc::Receiver<Job>, max_batch: usize) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match run_batch(&pool, &batch).await {
            Ok(results) => {
                for (job, result) in batch.drain(..).zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, writes = batch.len(), "store could not commit a batch");
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(StoreError::Unavailable(e.to_string())));
                }
            }
        }
    }
}

/// One transaction for the whole batch. A statement refused by a constraint fails its own
/// write only (SQLite rolls back just that statement); any other failure rolls back the batch
/// and fails every write in it, and so does a failed commit.
async fn run_batch(
    pool: &SqlitePool,
    batch: &[Job],
) -> Result<Vec<StoreResult<Written>>, StoreError> {
    let mut tx = pool.begin().await.map_err(unavailable)?;
    let mut out = Vec::with_capacity(batch.len());
    for job in batch {
        match execute(&mut tx, &job.write).await {
            Ok(w) => out.push(Ok(w)),
            Err(Failed::Constraint(m)) => out.push(Err(StoreError::Corrupt(m))),
            Err(Failed::Row(e)) => out.push(Err(e)),
            Err(Failed::Batch(e)) => return Err(unavailable(e)),
        }
    }
    tx.commit().await.map_err(unavailable)?;
    Ok(out)
}

/// How one statement failed.
enum Failed {
    /// Refused by a constraint: only this statement was rolled back.
    Constraint(String),
    /// The statement ran, its result could not be read.
    Row(StoreError),
    /// Anything else: the batch is lost.
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

fn line_of(row: Option<SqliteRow>) -> Result<Written, Failed> {
    row.as_ref()
        .map(record)
        .transpose()
        .map(Written::Line)
        .map_err(Failed::Row)
}

async fn execute(tx: &mut Transaction<'_, Sqlite>, write: &Write) -> Result<Written, Failed> {
    if let Write::Chain(first, then) = write {
        return match Box::pin(execute(tx, first)).await? {
            Written::Changed(true) => match Box::pin(execute(tx, then)).await? {
                Written::Line(l) => Ok(Written::Chained(true, l)),
                _ => Ok(Written::Chained(true, None)),
            },
            _ => Ok(Written::Chained(false, None)),
        };
    }
    const FREE: &str = "lease_owner = NULL, lease_expires_at = NULL, slot = NULL";
    const HELD: &str =
        "WHERE tenant = ?1 AND unique_id = ?2 AND status = 'processing' AND lease_owner = ?3";
    let conn = &mut **tx;
    match write {
        Write::Insert {
            tenant,
            line: l,
            now,
        } => {
            let sql = format!(
                "INSERT INTO order_lines (tenant, unique_id, case_nr, product_nr, product_amount, \
                 dispensed_at, status, attempts, next_attempt_at, check_first, received_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'received', 0, ?7, 0, ?7, ?7) \
                 ON CONFLICT (tenant, unique_id) DO NOTHING RETURNING {COLS}"
            );
            let inserted = sqlx::query(&sql)
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
            let sql =
                format!("SELECT {COLS} FROM order_lines WHERE tenant = ?1 AND unique_id = ?2");
            let row = sqlx::query(&sql)
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
            // strict per-tenant FIFO: only the oldest `received` line, and only when it is due;
            // the slot test and the unique (tenant, slot) index keep the in-flight limit
            let sql = format!(
                "UPDATE order_lines SET status = 'processing', lease_owner = ?2, \
                 lease_expires_at = ?3, slot = ?4, attempts = attempts + 1, updated_at = ?5 \
                 WHERE seq = (SELECT seq FROM order_lines WHERE tenant = ?1 AND status = 'received' \
                              ORDER BY seq LIMIT 1) \
                   AND next_attempt_at <= ?5 \
                   AND NOT EXISTS (SELECT 1 FROM order_lines WHERE tenant = ?1 AND slot = ?4) \
                 RETURNING {COLS}"
            );
            let row = sqlx::query(&sql)
                .bind(tenant)
                .bind(owner)
                .bind(expires_at.0)
                .bind(i64::from(*slot))
                .bind(now.0)
                .fetch_optional(&mut *conn)
                .await;
            match row {
                Ok(row) => line_of(row),
                // another holder of the slot (the index is the last word): nothing claimed
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
            let done = sqlx::query(&format!(
                "UPDATE order_lines SET lease_expires_at = ?4, updated_at = ?5 {HELD}"
            ))
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
            let sql = match settlement {
                Settlement::Completed { .. } => format!(
                    "UPDATE order_lines SET status = 'completed', reason_code = NULL, reason = NULL, \
                     erp_reference = ?4, completed_at = ?5, updated_at = ?5, check_first = 0, \
                     {FREE} {HELD}"
                ),
                Settlement::Failed { .. } => format!(
                    "UPDATE order_lines SET status = 'failed', reason_code = ?4, reason = ?5, \
                     updated_at = ?6, check_first = 0, {FREE} {HELD}"
                ),
                Settlement::Retry { .. } => format!(
                    "UPDATE order_lines SET status = 'received', reason_code = ?4, reason = ?5, \
                     next_attempt_at = ?6, check_first = ?7, updated_at = ?8, {FREE} {HELD}"
                ),
            };
            let query = sqlx::query(&sql).bind(tenant).bind(unique_id).bind(owner);
            let query = match settlement {
                Settlement::Completed { erp_reference } => query.bind(erp_reference).bind(now.0),
                Settlement::Failed { code, reason } => {
                    query.bind(code.as_str()).bind(reason).bind(now.0)
                }
                Settlement::Retry {
                    code,
                    reason,
                    next_attempt_at,
                    check_first,
                } => query
                    .bind(code.map(|c| c.as_str()))
                    .bind(reason)
                    .bind(next_attempt_at.0)
                    .bind(i64::from(*check_first))
                    .bind(now.0),
            };
            let done = query.execute(&mut *conn).await?;
            Ok(Written::Changed(done.rows_affected() == 1))
        }
        Write::Chain(..) => Ok(Written::Chained(false, None)),
        Write::TakeOver {
            tenant,
            all,
            dead_owner,
            new_owner,
            expires_at,
            now,
        } => {
            let sql = format!(
                "UPDATE order_lines SET lease_owner = ?2, lease_expires_at = ?3, updated_at = ?4 \
                 WHERE seq = (SELECT seq FROM order_lines WHERE tenant = ?1 AND status = 'processing' \
                              AND ((?5 AND lease_owner <> ?2) OR lease_expires_at <= ?4 \
                                   OR lease_owner = ?6) \
                              ORDER BY seq LIMIT 1) \
                 RETURNING {COLS}"
            );
            let row = sqlx::query(&sql)
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
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

fn record(row: &SqliteRow) -> StoreResult<LineRecord> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| corrupt(c));
    let get_os = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| corrupt(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| corrupt(c));
    let get_oi = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| corrupt(c));
    let amount = Decimal::from_str_exact(&get_s("product_amount")?)
        .map_err(|_| corrupt("product_amount"))?;
    let dispensed_at = match get_os("dispensed_at")? {
        None => None,
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(&t)
                .map_err(|_| corrupt("dispensed_at"))?
                .with_timezone(&chrono::Utc),
        ),
    };
    let mut line = OrderLine::new(
        get_s("unique_id")?,
        get_s("case_nr")?,
        get_s("product_nr")?,
        amount,
    );
    line.dispensed_at = dispensed_at;
    Ok(LineRecord {
        tenant: get_s("tenant")?,
        seq: get_i("seq")?,
        line,
        status: get_s("status")?.parse().map_err(|_| corrupt("status"))?,
        reason_code: get_os("reason_code")?,
        reason: get_os("reason")?,
        erp_reference: get_os("erp_reference")?,
        attempts: u32::try_from(get_i("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: Millis(get_i("next_attempt_at")?),
        check_first: get_i("check_first")? != 0,
        lease_owner: get_os("lease_owner")?,
        lease_expires_at: get_oi("lease_expires_at")?.map(Millis),
        slot: get_oi("slot")?.and_then(|s| u32::try_from(s).ok()),
        received_at: Millis(get_i("received_at")?),
        updated_at: Millis(get_i("updated_at")?),
        completed_at: get_oi("completed_at")?.map(Millis),
    })
}

impl SqliteStore {
    async fn write(&self, write: Write) -> StoreResult<Written> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the writer has stopped".into());
        self.writes
            .send(Job { write, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn unexpected() -> StoreError {
    StoreError::Corrupt("the writer answered another kind of write".into())
}

impl Store for SqliteStore {
    fn insert_line<'a>(
        &'a self,
        tenant: &'a str,
        line: &'a OrderLine,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Inserted>> {
        Box::pin(async move {
            let write = Write::Insert {
                tenant: tenant.to_owned(),
                line: line.clone(),
                now,
            };
            match self.write(write).await? {
                Written::Inserted(i) => Ok(i),
                _ => Err(unexpected()),
            }
        })
    }

    fn get_line<'a>(
        &'a self,
        tenant: &'a str,
        unique_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<LineRecord>>> {
        Box::pin(async move {
            let sql =
                format!("SELECT {COLS} FROM order_lines WHERE tenant = ?1 AND unique_id = ?2");
            let row = sqlx::query(&sql)
                .bind(tenant)
                .bind(unique_id)
                .fetch_optional(&self.readers)
                .await
                .map_err(unavailable)?;
            row.as_ref().map(record).transpose()
        })
    }

    fn claim_next<'a>(
        &'a self,
        tenant: &'a str,
        lease: Lease<'a>,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Option<LineRecord>>> {
        Box::pin(async move {
            let write = Write::Claim {
                tenant: tenant.to_owned(),
                owner: lease.owner.to_owned(),
                slot: lease.slot,
                expires_at: lease.expires_at,
                now,
            };
            match self.write(write).await? {
                Written::Line(l) => Ok(l),
                _ => Err(unexpected()),
            }
        })
    }

    fn renew_lease<'a>(
        &'a self,
        tenant: &'a str,
        unique_id: &'a str,
        owner: &'a str,
        expires_at: Millis,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<bool>> {
        Box::pin(async move {
            let write = Write::Renew {
                tenant: tenant.to_owned(),
                unique_id: unique_id.to_owned(),
                owner: owner.to_owned(),
                expires_at,
                now,
            };
            match self.write(write).await? {
                Written::Changed(c) => Ok(c),
                _ => Err(unexpected()),
            }
        })
    }

    fn settle<'a>(
        &'a self,
        tenant: &'a str,
        unique_id: &'a str,
        owner: &'a str,
        settlement: Settlement,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<bool>> {
        Box::pin(async move {
            let write = Write::Settle {
                tenant: tenant.to_owned(),
                unique_id: unique_id.to_owned(),
                owner: owner.to_owned(),
                settlement,
                now,
            };
            match self.write(write).await? {
                Written::Changed(c) => Ok(c),
                _ => Err(unexpected()),
            }
        })
    }

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
            let settle = Write::Settle {
                tenant: tenant.to_owned(),
                unique_id: unique_id.to_owned(),
                owner: owner.to_owned(),
                settlement,
                now,
            };
            let claim = Write::Claim {
                tenant: tenant.to_owned(),
                owner: next.owner.to_owned(),
                slot: next.slot,
                expires_at: next.expires_at,
                now,
            };
            match self
                .write(Write::Chain(Box::new(settle), Box::new(claim)))
                .await?
            {
                Written::Chained(settled, line) => Ok((settled, line)),
                _ => Err(unexpected()),
            }
        })
    }

    fn take_over_stale<'a>(
        &'a self,
        tenant: &'a str,
        stale: Stale<'a>,
        new_owner: &'a str,
        expires_at: Millis,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Option<LineRecord>>> {
        Box::pin(async move {
            let (all, dead_owner) = match stale {
                Stale::All => (true, None),
                Stale::Expired { dead_owner } => (false, dead_owner.map(str::to_owned)),
            };
            let write = Write::TakeOver {
                tenant: tenant.to_owned(),
                all,
                dead_owner,
                new_owner: new_owner.to_owned(),
                expires_at,
                now,
            };
            match self.write(write).await? {
                Written::Line(l) => Ok(l),
                _ => Err(unexpected()),
            }
        })
    }

    fn next_due<'a>(&'a self, tenant: &'a str) -> BoxFuture<'a, StoreResult<Option<Millis>>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT next_attempt_at FROM order_lines WHERE tenant = ?1 AND status = 'received' \
                 ORDER BY seq LIMIT 1",
            )
            .bind(tenant)
            .fetch_optional(&self.readers)
            .await
            .map_err(unavailable)?;
            row.map(|r| {
                r.try_get::<i64, _>(0)
                    .map(Millis)
                    .map_err(|_| corrupt("next_attempt_at"))
            })
            .transpose()
        })
    }

    fn counts<'a>(&'a self, tenant: &'a str) -> BoxFuture<'a, StoreResult<StatusCounts>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT status, count(*) FROM order_lines WHERE tenant = ?1 GROUP BY status",
            )
            .bind(tenant)
            .fetch_all(&self.readers)
            .await
            .map_err(unavailable)?;
            let mut counts = StatusCounts::default();
            for r in rows {
                let status: Status = r
                    .try_get::<String, _>(0)
                    .map_err(|_| corrupt("status"))?
                    .parse()
                    .map_err(|_| corrupt("status"))?;
                let n: i64 = r.try_get(1).map_err(|_| corrupt("count"))?;
                counts.add(status, u64::try_from(n).unwrap_or(0));
            }
            Ok(counts)
        })
    }

    fn ping(&self) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            sqlx::query("SELECT 1")
                .execute(&self.readers)
                .await
                .map_err(unavailable)?;
            Ok(())
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.writer.close().await;
            self.readers.close().await;
            let _ = self.lock.unlock();
        })
    }

    fn single_node(&self) -> bool {
        true
    }
}
