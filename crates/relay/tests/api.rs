//! The ingest API's refusals, credentials and the store-failure path (reference §5.2, §10).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use billing_relay::Relay;
use billing_relay::adapters::fault::FaultAdapter;
use billing_relay::adapters::{Adapter, Capabilities};
use billing_relay::config::Config;
use billing_relay::model::{LineRecord, Millis, OrderLine, Status, StatusCounts};
use billing_relay::store::sqlite::{SqliteOptions, SqliteStore};
use billing_relay::store::{
    AuditEntry, AuditRecord, Clearable, Inserted, Lease, Selection, Settlement, Stale, Store,
    StoreError, StoreResult,
};
use common::{Harness, KEY, injected_tenant, line};
use futures::future::BoxFuture;

const ROTATED_OLD: &str = "rk_scoped_old_key_aaaaaaaaaaaaaaaa";
const ROTATED_NEW: &str = "rk_scoped_new_key_bbbbbbbbbbbbbbbb";

async fn harness() -> Harness {
    let scoped = format!(
        "[ingest.clients.hall-b]\nsha256 = [\"{}\", \"{}\"]\ntenants = [\"b\"]\n",
        billing_relay::api::hash_key(ROTATED_OLD),
        billing_relay::api::hash_key(ROTATED_NEW)
    );
    let erp: Arc<dyn Adapter> = Arc::new(FaultAdapter::new(Capabilities::new(true, true, false)));
    let tenants = format!(
        "{scoped}{}{}",
        injected_tenant("a", ""),
        injected_tenant("b", "")
    );
    Harness::start(&tenants, vec![("a", erp.clone()), ("b", erp)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_refuses_what_it_must_with_a_code() {
    let h = harness().await;
    let body = line("Q-1", "1");
    let cases: Vec<(common::Reply, u16, &str)> = vec![
        (h.submit_as("a", &body, None, "application/json").await, 401, "unauthorized"),
        (h.submit_as("a", &body, Some("rk_unknown"), "application/json").await, 401, "unauthorized"),
        (h.submit_as("a", &body, Some(ROTATED_NEW), "application/json").await, 403, "forbidden"),
        (h.submit("nope", &body).await, 404, "unknown_tenant"),
        (h.submit_as("a", &body, Some(KEY), "text/plain").await, 415, "unsupported_media_type"),
        (
            h.submit_as("a", &body, Some(KEY), "application/json; charset=latin1").await,
            415,
            "unsupported_media_type",
        ),
        (h.submit("a", &" ".repeat(64 * 1024 + 1)).await, 413, "body_too_large"),
        (h.submit("a", "{\"unique_id\":").await, 400, "invalid_json"),
        (h.submit("a", r#"{"unique_id":"Q-1"}"#).await, 400, "missing_field"),
        (
            h.submit("a", r#"{"unique_id":"Q-1","case_nr":"1","product_nr":"p","product_amount":1,"dealer":"b"}"#)
                .await,
            400,
            "tenant_mismatch",
        ),
    ];
    for (r, status, code) in cases {
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (status, Some(code)),
            "{}",
            r.raw
        );
        assert!(r.body["message"].is_string());
    }
    // an unknown tenant is hidden from a key scoped elsewhere
    let r = h
        .submit_as("nope", &body, Some(ROTATED_OLD), "application/json")
        .await;
    assert_eq!(r.status, 403);
    // unknown paths and methods answer json too
    let r = common::reply(h.http.get(h.url("/v1/else")).send().await.unwrap()).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("not_found"))
    );
    let r = common::reply(
        h.http
            .get(h.url("/v1/tenants/a/order-lines"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    assert_eq!(h.relay().store().counts("a").await.unwrap().total(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ingest_keys_are_valid_during_a_rotation() {
    let h = harness().await;
    for (i, key) in [ROTATED_OLD, ROTATED_NEW].into_iter().enumerate() {
        let r = h
            .submit_as(
                "b",
                &line(&format!("ROT-{i}"), "1"),
                Some(key),
                "application/json",
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.raw);
    }
    let status = common::reply(
        h.http
            .get(h.url("/v1/tenants/b/order-lines/ROT-0"))
            .bearer_auth(ROTATED_NEW)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status.status, 200);
}

/// A store whose inserts fail while `failing` is set.
#[derive(Debug)]
struct FailingStore {
    inner: Arc<SqliteStore>,
    failing: AtomicBool,
}

impl Store for FailingStore {
    fn insert_line<'a>(
        &'a self,
        tenant: &'a str,
        line: &'a OrderLine,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Inserted>> {
        if self.failing.load(Ordering::SeqCst) {
            return Box::pin(async { Err(StoreError::Unavailable("disk full".into())) });
        }
        self.inner.insert_line(tenant, line, now)
    }
    fn get_line<'a>(
        &'a self,
        tenant: &'a str,
        unique_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<LineRecord>>> {
        self.inner.get_line(tenant, unique_id)
    }
    fn claim_next<'a>(
        &'a self,
        tenant: &'a str,
        lease: Lease<'a>,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Option<LineRecord>>> {
        self.inner.claim_next(tenant, lease, now)
    }
    fn renew_lease<'a>(
        &'a self,
        tenant: &'a str,
        unique_id: &'a str,
        owner: &'a str,
        expires_at: Millis,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<bool>> {
        self.inner
            .renew_lease(tenant, unique_id, owner, expires_at, now)
    }
    fn settle<'a>(
        &'a self,
        tenant: &'a str,
        unique_id: &'a str,
        owner: &'a str,
        settlement: Settlement,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<bool>> {
        self.inner.settle(tenant, unique_id, owner, settlement, now)
    }
    fn take_over_stale<'a>(
        &'a self,
        tenant: &'a str,
        stale: Stale<'a>,
        new_owner: &'a str,
        expires_at: Millis,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Option<LineRecord>>> {
        self.inner
            .take_over_stale(tenant, stale, new_owner, expires_at, now)
    }
    fn next_due<'a>(&'a self, tenant: &'a str) -> BoxFuture<'a, StoreResult<Option<Millis>>> {
        self.inner.next_due(tenant)
    }
    fn counts<'a>(&'a self, tenant: &'a str) -> BoxFuture<'a, StoreResult<StatusCounts>> {
        self.inner.counts(tenant)
    }
    fn list_lines<'a>(
        &'a self,
        tenant: &'a str,
        status: Option<Status>,
        after: Option<i64>,
        limit: u32,
    ) -> BoxFuture<'a, StoreResult<Vec<LineRecord>>> {
        self.inner.list_lines(tenant, status, after, limit)
    }
    fn oldest_received<'a>(
        &'a self,
        tenant: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<Millis>>> {
        self.inner.oldest_received(tenant)
    }
    fn clear<'a>(
        &'a self,
        tenant: &'a str,
        what: Clearable,
        dry_run: bool,
        audit: &'a AuditEntry,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Vec<String>>> {
        self.inner.clear(tenant, what, dry_run, audit, now)
    }
    fn retry<'a>(
        &'a self,
        tenant: &'a str,
        selection: &'a Selection,
        check_unknown_first: bool,
        audit: &'a AuditEntry,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<Vec<String>>> {
        self.inner
            .retry(tenant, selection, check_unknown_first, audit, now)
    }
    fn set_operator_stop<'a>(
        &'a self,
        tenant: &'a str,
        stopped: bool,
        audit: &'a AuditEntry,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<()>> {
        self.inner.set_operator_stop(tenant, stopped, audit, now)
    }
    fn operator_stops(&self) -> BoxFuture<'_, StoreResult<Vec<String>>> {
        self.inner.operator_stops()
    }
    fn record_audit<'a>(
        &'a self,
        audit: &'a AuditEntry,
        now: Millis,
    ) -> BoxFuture<'a, StoreResult<()>> {
        self.inner.record_audit(audit, now)
    }
    fn audit_log<'a>(
        &'a self,
        tenant: Option<&'a str>,
        after: Option<i64>,
        limit: u32,
    ) -> BoxFuture<'a, StoreResult<Vec<AuditRecord>>> {
        self.inner.audit_log(tenant, after, limit)
    }
    fn purge(&self, cutoff: Millis, limit: u32) -> BoxFuture<'_, StoreResult<u64>> {
        self.inner.purge(cutoff, limit)
    }
    fn ping(&self) -> BoxFuture<'_, StoreResult<()>> {
        self.inner.ping()
    }
    fn single_node(&self) -> bool {
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_that_cannot_commit_answers_503_and_acknowledges_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let inner = SqliteStore::open(SqliteOptions::new(format!("sqlite://{}", db.display())))
        .await
        .unwrap();
    let store = Arc::new(FailingStore {
        inner,
        failing: AtomicBool::new(true),
    });
    let config = Config::from_toml(
        &format!("{}{}", common::head(&db), injected_tenant("a", "")),
        Vec::new(),
    )
    .unwrap();
    let erp: Arc<dyn Adapter> = Arc::new(FaultAdapter::new(Capabilities::new(true, true, false)));
    let relay = Relay::builder(config)
        .store(store.clone())
        .adapter("a", erp)
        .start()
        .await
        .unwrap();
    let http = billing_http_core::TlsConfig::default()
        .reqwest_builder()
        .unwrap()
        .build()
        .unwrap();
    let submit = || {
        http.post(format!("{}/v1/tenants/a/order-lines", relay.url()))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(line("S-1", "1"))
            .send()
    };
    let r = submit().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    let r = common::reply(r).await;
    assert_eq!(r.body["code"], "store_unavailable");
    assert_eq!(store.inner.get_line("a", "S-1").await.unwrap(), None);
    // the client retries with the same unique id once the store is back: safe
    store.failing.store(false, Ordering::SeqCst);
    assert_eq!(submit().await.unwrap().status(), 202);
    relay.shutdown(std::time::Duration::from_secs(5)).await;
}
