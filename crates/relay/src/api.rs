//! The ingest API (reference §5 and §11.1), on axum.
//!
//! | method | path | |
//! |---|---|---|
//! | `POST` | `/v1/tenants/{tenant}/order-lines` | submit one line: 202 new, 200 same content, 409 different content |
//! | `GET` | `/v1/tenants/{tenant}/order-lines/{unique_id}` | the line's status |
//!
//! Checks run in this order, so that nothing is revealed to a caller without a valid key:
//! credential (401 / 403), tenant (404), content type (415), size (413), body (400). A submit
//! answers 2xx only after the store committed the line and its queue entry; a store that
//! cannot commit gives 503 `store_unavailable` (retrying with the same `unique_id` is safe).
//! Every error is `{"code", "message", "field"?}`; no reply ever holds the request body or a
//! credential, and neither does any log line.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use billing_http_core::clock::Clock;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::config::IngestConfig;
use crate::ingest::{Invalid, Limits, parse_line};
use crate::model::{LineRecord, OrderLine, StatusReply};
use crate::store::{Inserted, Store};

/// An ingest client (one dispensing system): its name and the tenants it may use.
#[derive(Debug)]
struct Client {
    name: String,
    all_tenants: bool,
    tenants: Vec<String>,
}

impl Client {
    fn allows(&self, tenant: &str) -> bool {
        self.all_tenants || self.tenants.iter().any(|t| t == tenant)
    }
}

/// Bearer keys, kept as SHA-256 hashes only, each naming what it admits (an ingest client, an
/// operator).
///
/// Keys are long random tokens (`relay gen-key`: 256 bits), so a fast hash is the right tool: a
/// slow password hash protects guessable secrets, and these are not guessable. A presented key
/// is hashed and looked up; the hash map is keyed by the digest, so what a timing difference
/// could reveal is about the digest of the presented key, which does not help forge another.
#[derive(Debug)]
pub struct KeySet<T> {
    by_hash: HashMap<[u8; 32], Arc<T>>,
}

impl<T> Default for KeySet<T> {
    fn default() -> Self {
        KeySet {
            by_hash: HashMap::new(),
        }
    }
}

impl<T> KeySet<T> {
    /// Admits every key whose hex SHA-256 is in `hashes` as `who` (malformed hashes, refused
    /// by the configuration's validation, are skipped).
    pub fn insert(&mut self, hashes: &[String], who: Arc<T>) {
        for h in hashes {
            let mut digest = [0u8; 32];
            if hex::decode_to_slice(h, &mut digest).is_ok() {
                self.by_hash.insert(digest, who.clone());
            }
        }
    }

    /// Who the request's `Authorization: Bearer <key>` admits, if anyone.
    pub fn admit(&self, headers: &HeaderMap) -> Option<Arc<T>> {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, key) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") || key.trim().is_empty() {
            return None;
        }
        let digest: [u8; 32] = Sha256::digest(key.trim().as_bytes()).into();
        self.by_hash.get(&digest).cloned()
    }
}

/// Ingest credentials: the keys of the dispensing systems (see [`KeySet`]).
#[derive(Debug, Default)]
pub struct IngestKeys(KeySet<Client>);

impl IngestKeys {
    /// The keys of the configuration.
    pub fn from_config(config: &IngestConfig) -> Self {
        let mut keys = KeySet::default();
        for (name, c) in &config.clients {
            let client = Arc::new(Client {
                name: name.clone(),
                all_tenants: c.tenants.iter().any(|t| t == "*"),
                tenants: c.tenants.clone(),
            });
            keys.insert(&c.sha256, client);
        }
        IngestKeys(keys)
    }

    fn client(&self, headers: &HeaderMap) -> Option<Arc<Client>> {
        self.0.admit(headers)
    }
}

/// Every configured tenant (active or not) and its worker's wake-up; a reload can add one.
#[derive(Debug, Default)]
pub struct Registry {
    tenants: std::sync::RwLock<HashMap<String, Arc<Notify>>>,
}

impl Registry {
    /// A registry of these tenants.
    pub fn new(tenants: HashMap<String, Arc<Notify>>) -> Self {
        Registry {
            tenants: std::sync::RwLock::new(tenants),
        }
    }

    /// The tenant's wake-up, if it is configured.
    pub fn get(&self, tenant: &str) -> Option<Arc<Notify>> {
        self.tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
            .cloned()
    }

    /// The tenant's wake-up, adding the tenant if it is new.
    pub fn get_or_add(&self, tenant: &str) -> Arc<Notify> {
        self.tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(tenant.to_owned())
            .or_default()
            .clone()
    }
}

/// The hex SHA-256 of a key (ingest or operator), as the configuration holds it.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.trim().as_bytes()))
}

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Ingest credentials.
    pub keys: Arc<IngestKeys>,
    /// Every configured tenant (active or not) and its worker's wake-up.
    pub tenants: Arc<Registry>,
    /// Size limits.
    pub limits: Limits,
}

/// The router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/tenants/{tenant}/order-lines",
            post(submit).fallback(method_not_allowed),
        )
        .route(
            "/v1/tenants/{tenant}/order-lines/{unique_id}",
            get(status).fallback(method_not_allowed),
        )
        .fallback(not_found)
        .with_state(state)
}

/// An error reply: `{"code", "message", "field"?}`.
#[derive(Debug, Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

pub(crate) fn error(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
) -> Response {
    (
        status,
        axum::Json(ErrorBody {
            code,
            message: message.into(),
            field: None,
        }),
    )
        .into_response()
}

fn invalid(e: Invalid) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(ErrorBody {
            code: e.code,
            message: e.message,
            field: e.field,
        }),
    )
        .into_response()
}

pub(crate) async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

pub(crate) async fn method_not_allowed() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed here",
    )
}

fn unauthorized() -> Response {
    unauthorized_as("a valid ingest key is required (authorization: bearer <key>)")
}

/// 401 `unauthorized` with `WWW-Authenticate: Bearer`.
pub(crate) fn unauthorized_as(message: &'static str) -> Response {
    let mut r = error(StatusCode::UNAUTHORIZED, "unauthorized", message);
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

pub(crate) fn store_unavailable() -> Response {
    let mut r = error(
        StatusCode::SERVICE_UNAVAILABLE,
        "store_unavailable",
        "the line could not be stored; retry with the same unique_id",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Why a request was not admitted.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Unauthorized,
    Forbidden,
    UnknownTenant,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Unauthorized => unauthorized(),
            Refusal::Forbidden => error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this ingest key is not allowed for this tenant",
            ),
            Refusal::UnknownTenant => {
                error(StatusCode::NOT_FOUND, "unknown_tenant", "no such tenant")
            }
        }
    }
}

/// Credential and tenant checks shared by both endpoints.
fn admit(state: &AppState, headers: &HeaderMap, tenant: &str) -> Result<Arc<Client>, Refusal> {
    let client = state.keys.client(headers).ok_or(Refusal::Unauthorized)?;
    if !client.allows(tenant) {
        return Err(Refusal::Forbidden);
    }
    if state.tenants.get(tenant).is_none() {
        return Err(Refusal::UnknownTenant);
    }
    Ok(client)
}

/// The path of a line's status, with every segment percent-encoded.
pub fn status_path(tenant: &str, unique_id: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, SET).to_string();
    format!("/v1/tenants/{}/order-lines/{}", enc(tenant), enc(unique_id))
}

/// A submit reply: the status fields plus `status_url`.
#[derive(Serialize)]
struct SubmitReply {
    #[serde(flatten)]
    status: StatusReply,
    status_url: String,
}

/// A 409 reply: the error fields plus the stored line's status.
#[derive(Serialize)]
struct ConflictReply {
    code: &'static str,
    message: &'static str,
    field: &'static str,
    #[serde(flatten)]
    status: StatusReply,
    status_url: String,
}

fn reply_for_existing(tenant: &str, existing: &LineRecord, sent: &OrderLine) -> Response {
    let status_url = status_path(tenant, &existing.line.unique_id);
    if existing.line.same_content(sent) {
        tracing::debug!(tenant = %tenant, unique_id = %sent.unique_id, outcome = "duplicate", "line already stored");
        (
            StatusCode::OK,
            axum::Json(SubmitReply {
                status: existing.status_reply(),
                status_url,
            }),
        )
            .into_response()
    } else {
        tracing::info!(tenant = %tenant, unique_id = %sent.unique_id, outcome = "conflict", "unique id reused with different content");
        (
            StatusCode::CONFLICT,
            axum::Json(ConflictReply {
                code: "unique_id_conflict",
                message: "a line with this unique_id exists with different content; nothing was changed",
                field: "unique_id",
                status: existing.status_reply(),
                status_url,
            }),
        )
            .into_response()
    }
}

fn content_type_is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|p| match p.split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
            v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    })
}

/// The body is over the limit (or unreadable).
struct Oversize;

/// Reads the body up to `limit` bytes. A larger body is read on (and dropped) for up to 1 MiB
/// more, so that a client still sending it gets the 413 rather than a reset connection.
async fn read_body(body: Body, limit: usize) -> Result<Vec<u8>, Oversize> {
    use futures::StreamExt;
    const DRAIN: usize = 1024 * 1024;
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Oversize)?;
        total = total.saturating_add(chunk.len());
        if total <= limit {
            buf.extend_from_slice(&chunk);
        } else if total > limit.saturating_add(DRAIN) {
            break;
        }
    }
    if total > limit {
        Err(Oversize)
    } else {
        Ok(buf)
    }
}

async fn submit(
    State(state): State<AppState>,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Ok(Path(tenant)) = path else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "the path cannot be decoded",
        );
    };
    let client = match admit(&state, &headers, &tenant) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    if !content_type_is_json(&headers) {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send content-type: application/json (utf-8)",
        );
    }
    let bytes = match read_body(body, state.limits.body_bytes).await {
        Ok(b) => b,
        Err(Oversize) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is larger than {} bytes", state.limits.body_bytes),
            );
        }
    };
    let line = match parse_line(&bytes, &tenant, &state.limits) {
        Ok(l) => l,
        Err(e) => {
            tracing::info!(tenant = %tenant, client = %client.name, code = e.code, field = ?e.field, "line refused");
            return invalid(e);
        }
    };
    // the fast path for a resend: a read, no write
    match state.store.get_line(&tenant, &line.unique_id).await {
        Ok(Some(existing)) => return reply_for_existing(&tenant, &existing, &line),
        Ok(None) => {}
        Err(e) => {
            tracing::error!(tenant = %tenant, unique_id = %line.unique_id, error = %e, "store unavailable");
            return store_unavailable();
        }
    }
    let now = crate::clock::now(state.clock.as_ref());
    match state.store.insert_line(&tenant, &line, now).await {
        Ok(Inserted::New(record)) => {
            tracing::info!(tenant = %tenant, unique_id = %line.unique_id, client = %client.name, outcome = "accepted", "line received");
            if let Some(n) = state.tenants.get(&tenant) {
                n.notify_one();
            }
            (
                StatusCode::ACCEPTED,
                axum::Json(SubmitReply {
                    status_url: status_path(&tenant, &record.line.unique_id),
                    status: record.status_reply(),
                }),
            )
                .into_response()
        }
        Ok(Inserted::Existing(existing)) => reply_for_existing(&tenant, &existing, &line),
        Err(e) => {
            tracing::error!(tenant = %tenant, unique_id = %line.unique_id, error = %e, "store could not commit");
            store_unavailable()
        }
    }
}

async fn status(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
) -> Response {
    let Ok(Path((tenant, unique_id))) = path else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "the path cannot be decoded",
        );
    };
    if let Err(r) = admit(&state, &headers, &tenant) {
        return r.into_response();
    }
    match state.store.get_line(&tenant, &unique_id).await {
        Ok(Some(record)) => (StatusCode::OK, axum::Json(record.status_reply())).into_response(),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no line with this unique_id",
        ),
        Err(e) => {
            tracing::error!(tenant = %tenant, error = %e, "store unavailable");
            store_unavailable()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        let mut h = HeaderMap::new();
        assert!(!content_type_is_json(&h));
        for (v, ok) in [
            ("application/json", true),
            ("Application/JSON; charset=UTF-8", true),
            ("application/json; charset=\"utf-8\"", true),
            ("application/json; charset=latin1", false),
            ("text/plain", false),
            ("application/jsonx", false),
        ] {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(v));
            assert_eq!(content_type_is_json(&h), ok, "{v}");
        }
    }

    #[test]
    fn status_paths_keep_their_shape() {
        assert_eq!(
            status_path("ws-a", "a/b c"),
            "/v1/tenants/ws-a/order-lines/a%2Fb%20c"
        );
    }
}
