//! The management API (reference §9), behind the operator credential.
//!
//! | method | path | |
//! |---|---|---|
//! | `GET` | `/alive` | no credential; `{"alive": true, "store": "reachable" \| "unreachable"}`, names no tenant |
//! | `GET` | `/v1/health` | every tenant: active, worker state, counts, oldest `received` age, last success / error, consecutive failures |
//! | `GET` | `/v1/tenants/{t}/queue?status=&after=&limit=` | the tenant's lines (no bodies, no credentials), paged by `seq` |
//! | `POST` | `/v1/tenants/{t}/queue/clear?status=received\|failed&dry_run=` | clear `received` lines (to `failed/cleared_by_operator`) or archive `failed` ones |
//! | `POST` | `/v1/tenants/{t}/queue/retry` | `failed` lines back to `received` (body `{"unique_ids": […]}` or none for all) |
//! | `POST` | `/v1/tenants/{t}/worker/stop` | no more claims; the line in flight finishes; persists across restarts |
//! | `POST` | `/v1/tenants/{t}/worker/start` | lifts an operator's stop |
//! | `POST` | `/v1/tenants/{t}/reload` | rebuilds the tenant's integration (configuration file and credentials read again) |
//! | `GET` | `/v1/audit?tenant=&after=&limit=` | the audit log, oldest first |
//!
//! Operators authenticate with `Authorization: Bearer <key>`. Their keys are never in the
//! configuration file: `[operators.NAME] key = { env = "VAR" }` or `{ file = "/path" }` (mode
//! 0600) references them, the relay resolves them at start and keeps only their SHA-256, and a
//! presented key's digest is compared with every operator's in constant time
//! ([`subtle::ConstantTimeEq`]). The operator's name is what the audit log records as "who".
//! Every mutating call is recorded in the same transaction as its change; a dry run records
//! nothing. Every reply is a JSON object with stable keys.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use billing_http_core::clock::Clock;
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use crate::api::{Registry, error, unauthorized_as};
use crate::config::{Config, OperatorConfig};
use crate::integration::Integration;
use crate::model::{LineRecord, Millis, Status, StatusCounts};
use crate::store::{AuditEntry, Clearable, Selection, Store, StoreError};
use crate::supervisor::{Supervisor, TenantStart};
use crate::worker::WorkerState;

/// The operators' keys: name and SHA-256 of the key, resolved from their references at start.
#[derive(Default)]
pub struct OperatorKeys(Vec<(String, [u8; 32])>);

impl std::fmt::Debug for OperatorKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(n, _)| n))
            .finish()
    }
}

impl OperatorKeys {
    /// Resolves every operator's key reference.
    pub async fn resolve(
        operators: &BTreeMap<String, OperatorConfig>,
    ) -> Result<Self, crate::config::ConfigError> {
        let mut keys = Vec::new();
        for (name, o) in operators {
            let key =
                o.key.resolve().await.map_err(|e| {
                    crate::config::ConfigError(format!("operators.{name}.key: {e}"))
                })?;
            keys.push((
                name.clone(),
                Sha256::digest(key.expose_secret().trim().as_bytes()).into(),
            ));
        }
        Ok(OperatorKeys(keys))
    }

    /// The operator the request's bearer key names. Every operator's digest is compared, in
    /// constant time, whatever matched before.
    fn admit(&self, headers: &HeaderMap) -> Option<String> {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, key) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") || key.trim().is_empty() {
            return None;
        }
        let digest: [u8; 32] = Sha256::digest(key.trim().as_bytes()).into();
        let mut found = None;
        for (name, d) in &self.0 {
            if bool::from(d.ct_eq(&digest)) {
                found = Some(name.clone());
            }
        }
        found
    }
}

/// Where a reload reads a tenant's configuration again.
#[derive(Debug, Clone)]
pub enum ConfigSource {
    /// The file the relay was started with (and the `RELAY__…` environment).
    File(PathBuf),
    /// The configuration the relay was built with (no file: tests, embedding).
    Fixed(Arc<Config>),
}

/// What the management handlers share.
#[derive(Clone)]
pub struct ManageState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) operators: Arc<OperatorKeys>,
    pub(crate) supervisor: Arc<Supervisor>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) config: ConfigSource,
    pub(crate) injected: Arc<std::collections::HashMap<String, Arc<dyn crate::adapters::Adapter>>>,
}

/// The management routes (merged into the relay's router).
pub fn router(state: ManageState) -> Router {
    Router::new()
        .route("/alive", get(alive))
        .route("/v1/health", get(health))
        .route("/v1/audit", get(audit))
        .route("/v1/tenants/{tenant}/queue", get(queue))
        .route("/v1/tenants/{tenant}/queue/clear", post(clear))
        .route("/v1/tenants/{tenant}/queue/retry", post(retry))
        .route("/v1/tenants/{tenant}/worker/{action}", post(worker))
        .route("/v1/tenants/{tenant}/reload", post(reload))
        .with_state(state)
}

/// The query string as `T` (`serde_urlencoded`, already used by ingest; axum's `Query`
/// would need another feature); `None` when it does not parse.
struct Query<T>(T);

fn query<T: serde::de::DeserializeOwned>(raw: Option<String>) -> Option<Query<T>> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .ok()
        .map(Query)
}

fn now(state: &ManageState) -> Millis {
    crate::clock::now(state.clock.as_ref())
}

/// Why a management call was refused before it did anything.
#[derive(Debug, Clone, Copy)]
enum Refused {
    /// No valid operator key.
    Unauthorized,
    /// The tenant is not configured.
    UnknownTenant,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Unauthorized => {
                unauthorized_as("a valid operator key is required (authorization: bearer <key>)")
            }
            Refused::UnknownTenant => {
                error(StatusCode::NOT_FOUND, "unknown_tenant", "no such tenant")
            }
        }
    }
}

/// The operator the request names (credential first, so nothing about tenants is revealed
/// without one), and, for a tenant's call, that the tenant is configured.
fn admit(
    state: &ManageState,
    headers: &HeaderMap,
    tenant: Option<&str>,
) -> Result<String, Refused> {
    let who = state
        .operators
        .admit(headers)
        .ok_or(Refused::Unauthorized)?;
    match tenant {
        Some(t) if !state.supervisor.knows(t) => Err(Refused::UnknownTenant),
        _ => Ok(who),
    }
}

fn store_failed(e: StoreError) -> Response {
    tracing::error!(error = %e, "management call: store failed");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "store_unavailable",
        "the store cannot answer now",
    )
}

async fn alive(State(state): State<ManageState>) -> Response {
    let reachable = state.store.ping().await.is_ok();
    let code = if reachable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let store = if reachable {
        "reachable"
    } else {
        "unreachable"
    };
    (code, axum::Json(json!({ "alive": true, "store": store }))).into_response()
}

/// One tenant's health as `/v1/health` shows it.
#[derive(Debug, Serialize)]
struct HealthReply {
    active: bool,
    worker: WorkerState,
    counts: StatusCounts,
    oldest_received_age_seconds: Option<u64>,
    last_success_at: Option<Millis>,
    last_error: Option<ErrorInfo>,
    consecutive_failures: u32,
}

#[derive(Debug, Serialize)]
struct ErrorInfo {
    code: String,
    text: String,
}

async fn health(State(state): State<ManageState>, headers: HeaderMap) -> Response {
    if let Err(r) = admit(&state, &headers, None) {
        return r.into_response();
    }
    let at = now(&state);
    let mut tenants = BTreeMap::new();
    for (name, h) in state.supervisor.healths() {
        let counts = match state.store.counts(&name).await {
            Ok(c) => c,
            Err(e) => return store_failed(e),
        };
        let oldest = match state.store.oldest_received(&name).await {
            Ok(o) => o,
            Err(e) => return store_failed(e),
        };
        tenants.insert(
            name,
            HealthReply {
                active: h.state != WorkerState::Inactive,
                worker: h.state,
                counts,
                oldest_received_age_seconds: oldest.map(|o| at.since(o).as_secs()),
                last_success_at: h.last_success_at,
                last_error: h.last_error.map(|(code, text)| ErrorInfo { code, text }),
                consecutive_failures: h.consecutive_failures,
            },
        );
    }
    axum::Json(json!({ "store": "reachable", "tenants": tenants })).into_response()
}

#[derive(Debug, Deserialize)]
struct QueueQuery {
    status: Option<String>,
    after: Option<i64>,
    limit: Option<u32>,
}

/// A line as the queue listing shows it: no body content beyond the ids, no credential.
#[derive(Debug, Serialize)]
struct QueueItem {
    seq: i64,
    unique_id: String,
    status: Status,
    reason_code: Option<String>,
    reason: Option<String>,
    attempts: u32,
    received_at: Millis,
    updated_at: Millis,
    next_attempt_at: Millis,
}

impl From<LineRecord> for QueueItem {
    fn from(r: LineRecord) -> Self {
        QueueItem {
            seq: r.seq,
            unique_id: r.line.unique_id,
            status: r.status,
            reason_code: r.reason_code,
            reason: r.reason,
            attempts: r.attempts,
            received_at: r.received_at,
            updated_at: r.updated_at,
            next_attempt_at: r.next_attempt_at,
        }
    }
}

fn parse_status(s: &str) -> Option<Status> {
    match s {
        "received" => Some(Status::Received),
        "processing" => Some(Status::Processing),
        "completed" => Some(Status::Completed),
        "failed" => Some(Status::Failed),
        _ => None,
    }
}

/// The paging cursor after a full page (the last item's key); `None` when the page is the
/// last.
fn next_after<T>(page: &[T], limit: u32, key: impl Fn(&T) -> i64) -> Option<i64> {
    if page.len() >= limit as usize {
        page.last().map(key)
    } else {
        None
    }
}

fn bad_request(message: &'static str) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_parameter", message)
}

async fn queue(
    State(state): State<ManageState>,
    headers: HeaderMap,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query: Option<Query<QueueQuery>> = query(raw);
    if let Err(r) = admit(&state, &headers, Some(&tenant)) {
        return r.into_response();
    }
    let Some(Query(q)) = query else {
        return bad_request("status, after (a seq) and limit (1..=1000) are the parameters");
    };
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => match parse_status(s) {
            Some(s) => Some(s),
            None => return bad_request("status: received, processing, completed or failed"),
        },
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    match state
        .store
        .list_lines(&tenant, status, q.after, limit)
        .await
    {
        Ok(lines) => {
            let next = next_after(&lines, limit, |l| l.seq);
            let lines: Vec<QueueItem> = lines.into_iter().map(QueueItem::from).collect();
            axum::Json(json!({ "tenant": tenant, "lines": lines, "next_after": next }))
                .into_response()
        }
        Err(e) => store_failed(e),
    }
}

#[derive(Debug, Deserialize)]
struct ClearQuery {
    status: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

async fn clear(
    State(state): State<ManageState>,
    headers: HeaderMap,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query: Option<Query<ClearQuery>> = query(raw);
    let who = match admit(&state, &headers, Some(&tenant)) {
        Ok(w) => w,
        Err(r) => return r.into_response(),
    };
    let what = match query.as_ref().and_then(|q| q.0.status.as_deref()) {
        Some("received") => Clearable::Received,
        Some("failed") => Clearable::Failed,
        Some("processing") => {
            return error(
                StatusCode::CONFLICT,
                "processing_not_clearable",
                "a line in flight cannot be cleared; stop the worker and wait for it to settle",
            );
        }
        _ => return bad_request("status: received or failed"),
    };
    let dry_run = query.as_ref().is_some_and(|q| q.0.dry_run);
    let entry = AuditEntry::new(
        who,
        "queue.clear",
        Some(&tenant),
        json!({ "status": what.as_str() }),
    );
    match state
        .store
        .clear(&tenant, what, dry_run, &entry, now(&state))
        .await
    {
        Ok(ids) => axum::Json(json!({
            "tenant": tenant,
            "status": what.as_str(),
            "dry_run": dry_run,
            "lines_affected": ids.len(),
            "unique_ids": ids,
        }))
        .into_response(),
        Err(e) => store_failed(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryBody {
    unique_ids: Option<Vec<String>>,
}

async fn retry(
    State(state): State<ManageState>,
    headers: HeaderMap,
    Path(tenant): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let who = match admit(&state, &headers, Some(&tenant)) {
        Ok(w) => w,
        Err(r) => return r.into_response(),
    };
    let body: RetryBody = if body.iter().all(u8::is_ascii_whitespace) {
        RetryBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(_) => return bad_request("body: none, or {\"unique_ids\": [\"…\"]}"),
        }
    };
    let selection = match body.unique_ids {
        Some(ids) => Selection::Ids(ids),
        None => Selection::All,
    };
    let check_first = state
        .supervisor
        .integration(&tenant)
        .is_some_and(|i| i.adapter().capabilities().can_check_existing);
    let params = match &selection {
        Selection::Ids(ids) => json!({ "unique_ids": ids }),
        _ => json!({ "all": true }),
    };
    let entry = AuditEntry::new(who, "queue.retry", Some(&tenant), params);
    match state
        .store
        .retry(&tenant, &selection, check_first, &entry, now(&state))
        .await
    {
        Ok(ids) => {
            if let Some(n) = state.registry.get(&tenant) {
                n.notify_one();
            }
            axum::Json(json!({
                "tenant": tenant,
                "lines_affected": ids.len(),
                "unique_ids": ids,
            }))
            .into_response()
        }
        Err(e) => store_failed(e),
    }
}

async fn worker(
    State(state): State<ManageState>,
    headers: HeaderMap,
    Path((tenant, action)): Path<(String, String)>,
) -> Response {
    let who = match admit(&state, &headers, Some(&tenant)) {
        Ok(w) => w,
        Err(r) => return r.into_response(),
    };
    let stop = match action.as_str() {
        "stop" => true,
        "start" => false,
        _ => return error(StatusCode::NOT_FOUND, "not_found", "no such endpoint"),
    };
    let entry = AuditEntry::new(
        who,
        if stop { "worker.stop" } else { "worker.start" },
        Some(&tenant),
        json!({}),
    );
    // recorded first: from this commit no node claims the tenant's lines
    if let Err(e) = state
        .store
        .set_operator_stop(&tenant, stop, &entry, now(&state))
        .await
    {
        return store_failed(e);
    }
    if stop {
        state.supervisor.stop_worker(&tenant);
    } else {
        state.supervisor.start_worker(&tenant);
    }
    let h = state.supervisor.health(&tenant).map(|h| h.state);
    axum::Json(json!({ "tenant": tenant, "worker": h })).into_response()
}

async fn reload(
    State(state): State<ManageState>,
    headers: HeaderMap,
    Path(tenant): Path<String>,
) -> Response {
    let who = match admit(&state, &headers, None) {
        Ok(w) => w,
        Err(r) => return r.into_response(),
    };
    let config = match &state.config {
        ConfigSource::File(path) => match Config::load(path, std::env::vars()) {
            Ok(c) => Arc::new(c),
            Err(e) => {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_configuration",
                    e.to_string(),
                );
            }
        },
        ConfigSource::Fixed(c) => c.clone(),
    };
    let Some(t) = config.tenants.get(&tenant) else {
        return error(StatusCode::NOT_FOUND, "unknown_tenant", "no such tenant");
    };
    let integration = if !t.active {
        None
    } else if let Some(a) = state.injected.get(&tenant) {
        Some(Arc::new(Integration::with_adapter(a.clone(), t)))
    } else {
        match Integration::from_config(&tenant, t, state.clock.clone()).await {
            Ok(i) => Some(Arc::new(i)),
            Err(e) => {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_configuration",
                    e.to_string(),
                );
            }
        }
    };
    let entry = AuditEntry::new(who, "reload", Some(&tenant), json!({}));
    if let Err(e) = state.store.record_audit(&entry, now(&state)).await {
        return store_failed(e);
    }
    let notify = state.registry.get_or_add(&tenant);
    state.supervisor.replace(
        &tenant,
        TenantStart {
            integration,
            notify,
        },
    );
    let h = state.supervisor.health(&tenant).map(|h| h.state);
    axum::Json(json!({ "tenant": tenant, "reloaded": true, "worker": h })).into_response()
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    tenant: Option<String>,
    after: Option<i64>,
    limit: Option<u32>,
}

async fn audit(
    State(state): State<ManageState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let query: Option<Query<AuditQuery>> = query(raw);
    if let Err(r) = admit(&state, &headers, None) {
        return r.into_response();
    }
    let Some(Query(q)) = query else {
        return bad_request("tenant, after (an id) and limit (1..=1000) are the parameters");
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    match state
        .store
        .audit_log(q.tenant.as_deref(), q.after, limit)
        .await
    {
        Ok(records) => {
            let next = next_after(&records, limit, |r| r.id);
            axum::Json(json!({ "records": records, "next_after": next })).into_response()
        }
        Err(e) => store_failed(e),
    }
}
