//! Moving a relay from its SQLite file to Postgres (`relay copy-store`).
//!
//! Copies every record — lines of every status with their `seq` (the received order), leases,
//! attempts and reasons, the operators' worker stops and the audit log — from an SQLite store
//! into an **empty** Postgres store, in one Postgres transaction: either everything is there
//! or nothing is. De-duplication keeps working across the move because completed and failed
//! lines come along.
//!
//! Opening the SQLite store takes its lock file, so the copy refuses to run while a relay
//! still serves the file (stop it first, with `SIGTERM`). The Postgres side must have no line,
//! stop or audit record yet; nodes may be started on it only after the copy.

use sqlx::{QueryBuilder, Row as _};

use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::{StoreError, StoreResult};

/// What a copy moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyReport {
    /// Lines, whatever their status.
    pub lines: u64,
    /// Tenants with an operator's stop (or start) recorded.
    pub tenant_states: u64,
    /// Audit records.
    pub audit: u64,
}

/// A column's type in both schemas.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
}

/// The columns of `order_lines`, `relay_tenants` and `audit` (the same in both schemas).
const LINES: &[(&str, Kind)] = &[
    ("seq", Kind::Int),
    ("tenant", Kind::Text),
    ("unique_id", Kind::Text),
    ("case_nr", Kind::Text),
    ("product_nr", Kind::Text),
    ("product_amount", Kind::Text),
    ("dispensed_at", Kind::Text),
    ("status", Kind::Text),
    ("reason_code", Kind::Text),
    ("reason", Kind::Text),
    ("erp_reference", Kind::Text),
    ("attempts", Kind::Int),
    ("next_attempt_at", Kind::Int),
    ("check_first", Kind::Int),
    ("lease_owner", Kind::Text),
    ("lease_expires_at", Kind::Int),
    ("slot", Kind::Int),
    ("received_at", Kind::Int),
    ("updated_at", Kind::Int),
    ("completed_at", Kind::Int),
    ("archived_at", Kind::Int),
    ("queued_at", Kind::Int),
];
const TENANTS: &[(&str, Kind)] = &[
    ("tenant", Kind::Text),
    ("operator_stopped", Kind::Int),
    ("changed_by", Kind::Text),
    ("changed_at", Kind::Int),
];
const AUDIT: &[(&str, Kind)] = &[
    ("id", Kind::Int),
    ("at", Kind::Int),
    ("actor", Kind::Text),
    ("action", Kind::Text),
    ("tenant", Kind::Text),
    ("params", Kind::Text),
    ("lines_affected", Kind::Int),
];

/// Rows per `SELECT` page and per multi-row `INSERT`.
const BATCH: i64 = 500;

/// One value of a row.
enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

fn failed(what: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| StoreError::Unavailable(format!("{what}: {e}"))
}

/// Copies everything from `from` into `to` (see the [module docs](self)); `progress` is
/// called after each batch of lines with the lines copied and the total.
pub async fn sqlite_to_postgres(
    from: &SqliteStore,
    to: &PgStore,
    mut progress: impl FnMut(u64, u64),
) -> StoreResult<CopyReport> {
    let src = from.read_pool();
    let mut tx = to.pool().begin().await.map_err(failed("postgres"))?;
    for table in ["order_lines", "relay_tenants", "audit"] {
        let n: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await
            .map_err(failed("postgres"))?
            .try_get(0)
            .map_err(failed("postgres"))?;
        if n > 0 {
            return Err(StoreError::Config(format!(
                "the postgres store is not empty ({n} rows in {table}): copy into a new database or schema"
            )));
        }
    }
    let total: i64 = sqlx::query("SELECT COUNT(*) FROM order_lines")
        .fetch_one(src)
        .await
        .map_err(failed("sqlite"))?
        .try_get(0)
        .map_err(failed("sqlite"))?;
    let total = u64::try_from(total).unwrap_or(0);
    let lines = copy_paged(src, &mut tx, "order_lines", LINES, |done| {
        progress(done, total)
    })
    .await?;
    let audit = copy_paged(src, &mut tx, "audit", AUDIT, |_| {}).await?;
    // a handful of rows: one page, ordered by name
    let rows = read_rows(src, "relay_tenants", TENANTS, None).await?;
    let report = CopyReport {
        lines,
        tenant_states: write_rows(&mut tx, "relay_tenants", TENANTS, rows).await?,
        audit,
    };
    // the identities continue after the copied rows
    for (table, column) in [("order_lines", "seq"), ("audit", "id")] {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
             COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
        ))
        .execute(&mut *tx)
        .await
        .map_err(failed("postgres"))?;
    }
    tx.commit().await.map_err(failed("postgres"))?;
    Ok(report)
}

/// Copies `table` page by page in key order; `progress` gets the rows copied after each page.
async fn copy_paged(
    src: &sqlx::SqlitePool,
    tx: &mut sqlx::PgConnection,
    table: &str,
    columns: &[(&str, Kind)],
    mut progress: impl FnMut(u64),
) -> StoreResult<u64> {
    let mut copied = 0;
    let mut after = i64::MIN;
    loop {
        let rows = read_rows(src, table, columns, Some(after)).await?;
        let Some(last) = rows.last() else {
            return Ok(copied);
        };
        if let Value::Int(Some(key)) = last[0] {
            after = key;
        }
        copied += write_rows(tx, table, columns, rows).await?;
        progress(copied);
    }
}

fn column_list(columns: &[(&str, Kind)]) -> String {
    columns.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
}

/// The rows of `table` in the order of its first column (its key): with `after`, those whose
/// key is above it, at most [`BATCH`]; without, all of them.
async fn read_rows(
    src: &sqlx::SqlitePool,
    table: &str,
    columns: &[(&str, Kind)],
    after: Option<i64>,
) -> StoreResult<Vec<Vec<Value>>> {
    let key = columns[0].0;
    let page = match after {
        Some(_) => format!("WHERE {key} > ?1 ORDER BY {key} LIMIT {BATCH}"),
        None => format!("ORDER BY {key}"),
    };
    let sql = format!("SELECT {} FROM {table} {page}", column_list(columns));
    let mut query = sqlx::query(&sql);
    if let Some(after) = after {
        query = query.bind(after);
    }
    let rows = query.fetch_all(src).await.map_err(failed("sqlite"))?;
    rows.iter().map(|r| decode(r, columns)).collect()
}

fn decode(row: &sqlx::sqlite::SqliteRow, columns: &[(&str, Kind)]) -> StoreResult<Vec<Value>> {
    columns
        .iter()
        .map(|(name, kind)| {
            let v = match kind {
                Kind::Text => Value::Text(row.try_get(*name).map_err(failed("sqlite"))?),
                Kind::Int => Value::Int(row.try_get(*name).map_err(failed("sqlite"))?),
            };
            Ok(v)
        })
        .collect()
}

/// Inserts `rows` into `table` with their keys (`OVERRIDING SYSTEM VALUE`: the identities
/// keep the SQLite numbers).
async fn write_rows(
    tx: &mut sqlx::PgConnection,
    table: &str,
    columns: &[(&str, Kind)],
    rows: Vec<Vec<Value>>,
) -> StoreResult<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let n = rows.len() as u64;
    let overriding = if table == "relay_tenants" {
        ""
    } else {
        " OVERRIDING SYSTEM VALUE"
    };
    let mut q: QueryBuilder<'_, sqlx::Postgres> = QueryBuilder::new(format!(
        "INSERT INTO {table} ({}){overriding} ",
        column_list(columns)
    ));
    q.push_values(rows, |mut b, row| {
        for value in row {
            match value {
                Value::Text(v) => b.push_bind(v),
                Value::Int(v) => b.push_bind(v),
            };
        }
    });
    q.build()
        .execute(&mut *tx)
        .await
        .map_err(failed("postgres"))?;
    Ok(n)
}
