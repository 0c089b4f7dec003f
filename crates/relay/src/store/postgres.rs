//! The shared store: a Postgres database used by one or several relay nodes.
//!
//! * **Several nodes.** Every node runs the same statements as the SQLite store (`store::sql`);
//!   the database keeps the rules between nodes: the unique `(tenant, unique_id)` constraint
//!   de-duplicates, the unique `(tenant, slot)` index keeps one line in flight per slot, claims
//!   skip a tenant another node is claiming for at that instant (a try-lock, never a wait), and
//!   an operator's stop recorded in `relay_tenants` makes every node's claims refuse the
//!   tenant. A node that dies leaves leases that expire; any node's crash recovery then
//!   settles those lines (only expired leases: [`Store::single_node`] is `false`).
//! * **Commits.** A single-statement write (an ingest, a claim, a settlement, a renewal) runs
//!   on its own (autocommit); a write of several statements (a settlement with the next claim,
//!   a clear or a retry with its audit record, a stop with its audit record) runs in one
//!   transaction. Postgres groups concurrent commits into one WAL flush by itself, so the
//!   SQLite store's writer task is not needed here.
//! * **Durability** is the server's: with its default `synchronous_commit = on` a commit is on
//!   disk before the relay answers.
//! * **Schema.** `database.schema` puts the relay's tables in a schema of their own (created if
//!   missing), so that several deployments can share one database; otherwise the role's
//!   default `search_path` applies.
//! * **Migrations** are embedded (`migrations/postgres/`) and run at open; sqlx's migrator
//!   holds an advisory lock meanwhile, so nodes starting together migrate once.
//!
//! [`Store::single_node`]: super::Store::single_node

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::sql::{Dialect, Failed, Statements, Write, Written, unavailable};
use super::{StoreError, StoreResult};

/// Options of the Postgres store.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PgOptions {
    /// `postgres://user@host/db` (a password is better given by `PGPASSWORD` or `.pgpass`).
    pub url: String,
    /// The schema of the relay's tables (created if missing); `None`: the default
    /// `search_path`.
    pub schema: Option<String>,
    /// Connections of this node's pool.
    pub max_connections: u32,
}

impl PgOptions {
    /// Options for `url`: default schema, [`POOL_FOR_REQUESTS`](crate::config::POOL_FOR_REQUESTS) connections (a relay sizes its pool with [`Config::pool_size`](crate::config::Config::pool_size)).
    pub fn new(url: impl Into<String>) -> Self {
        PgOptions {
            url: url.into(),
            schema: None,
            max_connections: crate::config::POOL_FOR_REQUESTS,
        }
    }
}

/// The Postgres store. See the [module docs](self).
pub struct PgStore {
    pool: PgPool,
    sql: Statements,
    target: String,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

mod ops {
    crate::store::sql::store_ops!(sqlx::Postgres);
}

/// `true` for a schema name the relay accepts: `[a-z_][a-z0-9_]*`, at most 63 bytes (no
/// quoting needed anywhere).
pub fn valid_schema(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl PgStore {
    const SINGLE_NODE: bool = false;

    /// Connects, creates the schema if asked and missing, and runs the migrations. Must run
    /// inside a tokio runtime.
    pub async fn open(options: PgOptions) -> StoreResult<Arc<Self>> {
        let base = PgConnectOptions::from_str(&options.url)
            .map_err(|e| StoreError::Config(format!("invalid postgres url: {e}")))?;
        // the target without the password, for messages
        let target = format!(
            "postgres://{}@{}:{}/{}",
            base.get_username(),
            base.get_host(),
            base.get_port(),
            base.get_database().unwrap_or_default()
        );
        let connect = match &options.schema {
            Some(schema) => {
                if !valid_schema(schema) {
                    return Err(StoreError::Config(format!(
                        "database.schema: {schema:?} is not a plain lower-case name ([a-z_][a-z0-9_]*)"
                    )));
                }
                let setup = PgPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(base.clone())
                    .await
                    .map_err(|e| StoreError::Config(format!("cannot connect to {target}: {e}")))?;
                sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                    .execute(&setup)
                    .await
                    .map_err(|e| {
                        StoreError::Config(format!("cannot create schema {schema}: {e}"))
                    })?;
                setup.close().await;
                base.options([("search_path", schema.as_str())])
            }
            None => base,
        };
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(2))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(connect)
            .await
            .map_err(|e| StoreError::Config(format!("cannot connect to {target}: {e}")))?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Config(format!("cannot migrate {target}: {e}")))?;
        Ok(Arc::new(PgStore {
            pool,
            sql: Statements::new(Dialect::Postgres),
            target,
        }))
    }

    async fn write(&self, write: Write) -> StoreResult<Written> {
        if write.needs_transaction() {
            let mut tx = self.pool.begin().await.map_err(unavailable)?;
            let written = ops::execute(&mut tx, &self.sql, &write).await?;
            tx.commit().await.map_err(unavailable)?;
            Ok(written)
        } else {
            let mut conn = self.pool.acquire().await.map_err(unavailable)?;
            ops::execute(&mut conn, &self.sql, &write)
                .await
                .map_err(|e: Failed| e.into())
        }
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn reads(&self) -> &PgPool {
        &self.pool
    }

    async fn shut(&self) {
        self.pool.close().await;
    }
}

crate::store::sql::impl_store!(PgStore);
