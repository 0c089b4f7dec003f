//! The operator commands of the `relay` binary: the management API (see `manage.rs`) of a
//! running relay, as tables or, with `--json`, as the relay's own JSON replies.
//!
//! The operator key is read from `RELAY_OPERATOR_KEY` or from a file (`--key-file`), never
//! from the command line (where `ps` would show it). The tables are hand-written (a few
//! padded columns) rather than another dependency.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::Value;

/// Where the relay is and who is asking.
#[derive(Args)]
pub struct Target {
    /// The relay's base URL.
    #[arg(
        long,
        global = true,
        env = "RELAY_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    url: String,
    /// A file holding the operator key (otherwise `RELAY_OPERATOR_KEY`).
    #[arg(long, global = true, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Print the relay's JSON reply instead of a table.
    #[arg(long, global = true)]
    json: bool,
}

/// `relay queue …`.
#[derive(Subcommand)]
pub enum QueueCommand {
    /// List a tenant's lines (no bodies): `received`, `processing` and `failed` by default.
    Ls {
        /// The tenant.
        tenant: String,
        /// Only lines in this status.
        #[arg(long)]
        status: Option<String>,
        /// Lines after this `seq` (the `next_after` of the previous page).
        #[arg(long)]
        after: Option<i64>,
        /// Lines per page (1..=1000).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Clear a tenant's `received` lines (to `failed/cleared_by_operator`) or archive its
    /// `failed` ones.
    Clear {
        /// The tenant.
        tenant: String,
        /// `received` or `failed`.
        #[arg(long)]
        status: String,
        /// Show what would be cleared; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Move a tenant's `failed` lines (all, or the ones named) back to `received`.
    Retry {
        /// The tenant.
        tenant: String,
        /// Only these unique ids.
        unique_ids: Vec<String>,
    },
}

/// `relay worker …`.
#[derive(Subcommand)]
pub enum WorkerCommand {
    /// Stop claiming the tenant's lines (the line in flight finishes; persists across restarts).
    Stop {
        /// The tenant.
        tenant: String,
    },
    /// Lift an operator's stop.
    Start {
        /// The tenant.
        tenant: String,
    },
}

/// One operator command.
pub enum Op {
    /// `relay health`.
    Health,
    /// `relay queue …`.
    Queue(QueueCommand),
    /// `relay worker …`.
    Worker(WorkerCommand),
    /// `relay reload TENANT`.
    Reload(String),
    /// `relay audit`.
    Audit {
        /// Only this tenant's records.
        tenant: Option<String>,
        /// Records after this id.
        after: Option<i64>,
        /// Records per page.
        limit: Option<u32>,
    },
}

/// Runs `op` against the relay `target` names and prints the reply.
pub async fn run(target: Target, op: Op) -> Result<(), String> {
    let key = match &target.key_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the key file {}: {e}", path.display()))?,
        None => std::env::var("RELAY_OPERATOR_KEY")
            .map_err(|_| "no operator key: set RELAY_OPERATOR_KEY or pass --key-file".to_owned())?,
    };
    let key = key.trim().to_owned();
    let base = target.url.trim_end_matches('/').to_owned();
    let client = billing_http_core::TlsConfig::default()
        .reqwest_builder()
        .map_err(|e| format!("cannot build the http client: {e}"))?
        .build()
        .map_err(|e| format!("cannot build the http client: {e}"))?;
    let seg = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let mut query: Vec<(&str, String)> = Vec::new();
    let (post, path, body) = match &op {
        Op::Health => (false, "/v1/health".to_owned(), None),
        Op::Queue(QueueCommand::Ls {
            tenant,
            status,
            after,
            limit,
        }) => {
            push(&mut query, "status", status.clone());
            push(&mut query, "after", after.map(|a| a.to_string()));
            push(&mut query, "limit", limit.map(|l| l.to_string()));
            (false, format!("/v1/tenants/{}/queue", seg(tenant)), None)
        }
        Op::Queue(QueueCommand::Clear {
            tenant,
            status,
            dry_run,
        }) => {
            query.push(("status", status.clone()));
            query.push(("dry_run", dry_run.to_string()));
            (
                true,
                format!("/v1/tenants/{}/queue/clear", seg(tenant)),
                None,
            )
        }
        Op::Queue(QueueCommand::Retry { tenant, unique_ids }) => {
            let body =
                (!unique_ids.is_empty()).then(|| serde_json::json!({ "unique_ids": unique_ids }));
            (
                true,
                format!("/v1/tenants/{}/queue/retry", seg(tenant)),
                body,
            )
        }
        Op::Worker(WorkerCommand::Stop { tenant }) => (
            true,
            format!("/v1/tenants/{}/worker/stop", seg(tenant)),
            None,
        ),
        Op::Worker(WorkerCommand::Start { tenant }) => (
            true,
            format!("/v1/tenants/{}/worker/start", seg(tenant)),
            None,
        ),
        Op::Reload(tenant) => (true, format!("/v1/tenants/{}/reload", seg(tenant)), None),
        Op::Audit {
            tenant,
            after,
            limit,
        } => {
            push(&mut query, "tenant", tenant.clone());
            push(&mut query, "after", after.map(|a| a.to_string()));
            push(&mut query, "limit", limit.map(|l| l.to_string()));
            (false, "/v1/audit".to_owned(), None)
        }
    };
    let mut url = format!("{base}{path}");
    if !query.is_empty() {
        url.push('?');
        url.push_str(&serde_urlencoded::to_string(&query).map_err(|e| e.to_string())?);
    }
    let request = if post {
        client.post(&url)
    } else {
        client.get(&url)
    };
    let request = request.bearer_auth(&key);
    let request = match body {
        Some(b) => request
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(b.to_string()),
        None => request,
    };
    let response = request
        .send()
        .await
        .map_err(|e| format!("cannot reach the relay at {base}: {e}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("cannot read the relay's reply: {e}"))?;
    let reply: Value = serde_json::from_str(&text)
        .map_err(|_| format!("the relay answered {status} with a body that is not json"))?;
    if !status.is_success() {
        let code = reply["code"].as_str().unwrap_or("error");
        let message = reply["message"].as_str().unwrap_or("");
        return Err(format!("{status}: {code}: {message}"));
    }
    if target.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&reply).unwrap_or_else(|_| text.clone())
        );
    } else {
        print!("{}", render(&op, &reply));
    }
    Ok(())
}

fn push(query: &mut Vec<(&'static str, String)>, name: &'static str, value: Option<String>) {
    if let Some(v) = value {
        query.push((name, v));
    }
}

/// A value as a table cell: text as is, `null` as `-`, anything else as JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The table (or summary lines) for a successful reply.
fn render(op: &Op, reply: &Value) -> String {
    match op {
        Op::Health => {
            let mut rows = Vec::new();
            if let Some(tenants) = reply["tenants"].as_object() {
                for (name, h) in tenants {
                    let worker = match h["worker"]["cause"].as_str() {
                        Some(cause) => format!("{} ({cause})", cell(&h["worker"]["state"])),
                        None => cell(&h["worker"]["state"]),
                    };
                    let c = &h["counts"];
                    let last_error = match h["last_error"]["code"].as_str() {
                        Some(code) => format!("{code}: {}", cell(&h["last_error"]["text"])),
                        None => "-".into(),
                    };
                    rows.push(vec![
                        name.clone(),
                        cell(&h["active"]),
                        worker,
                        cell(&c["received"]),
                        cell(&c["processing"]),
                        cell(&c["completed"]),
                        cell(&c["failed"]),
                        cell(&h["oldest_received_age_seconds"]),
                        cell(&h["last_success_at"]),
                        cell(&h["consecutive_failures"]),
                        last_error,
                    ]);
                }
            }
            format!(
                "store: {}\n{}",
                cell(&reply["store"]),
                table(
                    &[
                        "TENANT",
                        "ACTIVE",
                        "WORKER",
                        "RECEIVED",
                        "PROCESSING",
                        "COMPLETED",
                        "FAILED",
                        "OLDEST_S",
                        "LAST_SUCCESS",
                        "FAILURES",
                        "LAST_ERROR",
                    ],
                    &rows,
                )
            )
        }
        Op::Queue(QueueCommand::Ls { .. }) => {
            let rows = rows(
                &reply["lines"],
                &[
                    "seq",
                    "unique_id",
                    "status",
                    "reason_code",
                    "attempts",
                    "received_at",
                    "next_attempt_at",
                ],
            );
            let mut out = table(
                &[
                    "SEQ",
                    "UNIQUE_ID",
                    "STATUS",
                    "REASON",
                    "ATTEMPTS",
                    "RECEIVED_AT",
                    "NEXT_ATTEMPT_AT",
                ],
                &rows,
            );
            if !reply["next_after"].is_null() {
                out.push_str(&format!("more: --after {}\n", cell(&reply["next_after"])));
            }
            out
        }
        Op::Queue(QueueCommand::Clear { .. }) | Op::Queue(QueueCommand::Retry { .. }) => {
            let verb = if matches!(op, Op::Queue(QueueCommand::Clear { .. })) {
                if reply["dry_run"].as_bool() == Some(true) {
                    "would clear"
                } else {
                    "cleared"
                }
            } else {
                "retried"
            };
            let mut out = format!(
                "{}: {verb} {} lines\n",
                cell(&reply["tenant"]),
                cell(&reply["lines_affected"])
            );
            if let Some(ids) = reply["unique_ids"].as_array() {
                for id in ids {
                    out.push_str(&format!("  {}\n", cell(id)));
                }
            }
            out
        }
        Op::Worker(_) | Op::Reload(_) => format!(
            "{}: worker {}\n",
            cell(&reply["tenant"]),
            cell(&reply["worker"]["state"])
        ),
        Op::Audit { .. } => {
            let rows = rows(
                &reply["records"],
                &[
                    "id",
                    "at",
                    "actor",
                    "action",
                    "tenant",
                    "lines_affected",
                    "params",
                ],
            );
            table(
                &["ID", "AT", "WHO", "ACTION", "TENANT", "LINES", "PARAMS"],
                &rows,
            )
        }
    }
}

/// The `fields` of every object in the array `items`, as cells.
fn rows(items: &Value, fields: &[&str]) -> Vec<Vec<String>> {
    items
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| fields.iter().map(|f| cell(&item[*f])).collect())
                .collect()
        })
        .unwrap_or_default()
}

/// Left-aligned columns padded to their widest cell, two spaces apart.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}
