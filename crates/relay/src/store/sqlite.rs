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
//! * **Statements** are the ones both backends share (`store::sql`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::{mpsc, oneshot};

use super::sql::{Dialect, Failed, Statements, Write, Written, unavailable};
use super::{StoreError, StoreResult};

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
    sql: Statements,
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

struct Job {
    write: Write,
    reply: oneshot::Sender<StoreResult<Written>>,
}

mod ops {
    crate::store::sql::store_ops!(sqlx::Sqlite);
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
            sql: Statements::new(Dialect::Sqlite),
            writes: tx,
            path,
            lock,
        }))
    }

    /// The database file.
    pub(crate) fn read_pool(&self) -> &SqlitePool {
        &self.readers
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
    let sql = Statements::new(Dialect::Sqlite);
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match run_batch(&pool, &sql, &batch).await {
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

/// One transaction for the whole batch. A write refused by a constraint fails alone (SQLite
/// rolls back just that statement, and a write of several statements runs in a savepoint); any
/// other failure rolls back the batch and fails every write in it, and so does a failed commit.
///
/// A boxed future with one named lifetime (not an `async fn`) so the spawned writer task is
/// provably `Send` (see `execute` in `store::sql`).
fn run_batch<'a>(
    pool: &'a SqlitePool,
    sql: &'a Statements,
    batch: &'a [Job],
) -> futures::future::BoxFuture<'a, Result<Vec<StoreResult<Written>>, StoreError>> {
    Box::pin(async move {
        let mut tx = pool.begin().await.map_err(unavailable)?;
        let mut out = Vec::with_capacity(batch.len());
        for job in batch {
            let several = job.write.needs_transaction();
            if several {
                sqlx::query("SAVEPOINT relay_write")
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
            }
            let result = ops::execute(&mut tx, sql, &job.write).await;
            if several && !matches!(result, Err(Failed::Batch(_))) {
                // one statement per call: `raw_sql` on a transaction's connection is not
                // provably `Send` inside the spawned writer task
                if matches!(result, Err(Failed::Constraint(_) | Failed::Row(_))) {
                    sqlx::query("ROLLBACK TO SAVEPOINT relay_write")
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                }
                sqlx::query("RELEASE SAVEPOINT relay_write")
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
            }
            match result {
                Ok(w) => out.push(Ok(w)),
                Err(Failed::Batch(e)) => return Err(unavailable(e)),
                Err(other) => out.push(Err(other.into())),
            }
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(out)
    })
}

impl SqliteStore {
    const SINGLE_NODE: bool = true;

    async fn write(&self, write: Write) -> StoreResult<Written> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the writer has stopped".into());
        self.writes
            .send(Job { write, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    fn reads(&self) -> &SqlitePool {
        &self.readers
    }

    async fn shut(&self) {
        self.writer.close().await;
        self.readers.close().await;
        let _ = self.lock.unlock();
    }
}

crate::store::sql::impl_store!(SqliteStore);
