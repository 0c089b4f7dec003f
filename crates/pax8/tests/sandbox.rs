//! Behaviour against the offline sandbox over real HTTP on 127.0.0.1: synthetic tenants,
//! injected 429s, token counting. Waits run on a virtual clock (no real sleeps).
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use billing_http_core::clock::ManualClock;
use billing_http_core::transport::{ReqwestTransport, TransportError};
use billing_http_core::{HttpRequest, HttpResponse, Transport, TransportConfig};
use billing_sandbox::{Fault, FaultPlan, Sandbox, Synthetic};
use futures::StreamExt;
use futures::future::BoxFuture;
use pax8::companies::ListCompanies;
use pax8::orders::ListOrders;

/// Counts requests in flight and remembers the maximum.
#[derive(Debug)]
struct InFlight {
    inner: ReqwestTransport,
    now: AtomicUsize,
    max: AtomicUsize,
}

impl Transport for InFlight {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.max.fetch_max(n, Ordering::SeqCst);
            let r = self.inner.send(request).await;
            self.now.fetch_sub(1, Ordering::SeqCst);
            r
        })
    }
}

fn client(sandbox: &Sandbox, transport: Arc<dyn Transport>, clock: &ManualClock) -> pax8::Client {
    let base = format!("{}/v1", sandbox.url().trim_end_matches('/'));
    pax8::Client::builder()
        .credentials("example-client-id", "example-client-secret")
        .base_url(&base)
        .token_endpoint(pax8::TokenEndpoint::Custom {
            url: format!("{base}/token"),
            audience: "https://api.pax8.com".into(),
        })
        .transport(transport)
        .clock(Arc::new(clock.clone()))
        .rate_limit(pax8::Quota::per_minute(1_000_000))
        .build()
        .unwrap()
}

fn reqwest() -> ReqwestTransport {
    ReqwestTransport::new(&TransportConfig::default()).unwrap()
}

#[tokio::test]
async fn pax8_q32_walks_45000_orders_each_exactly_once_with_bounded_prefetch() {
    let sandbox = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(20, 45_000, 10))
        .start()
        .await
        .unwrap();
    let transport = Arc::new(InFlight {
        inner: reqwest(),
        now: AtomicUsize::new(0),
        max: AtomicUsize::new(0),
    });
    let clock = ManualClock::new();
    let c = client(&sandbox, transport.clone(), &clock);
    let depth = 4;
    let mut seen = HashSet::new();
    let mut count = 0usize;
    let mut stream = c.orders().list_all(ListOrders::new()).prefetch(depth);
    while let Some(order) = stream.next().await {
        let order = order.unwrap();
        count += 1;
        assert!(seen.insert(order.id.unwrap()), "an order was seen twice");
    }
    assert_eq!(count, 45_000);
    assert_eq!(sandbox.count("GET /v1/orders"), 225, "200 per page");
    let max = transport.max.load(Ordering::SeqCst);
    assert!(max <= depth, "at most {depth} pages in flight, saw {max}");
    assert_eq!(sandbox.count("POST /v1/token"), 1);
}

#[tokio::test]
async fn next_page_reports_progress_over_a_synthetic_tenant() {
    let sandbox = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(450, 0, 0))
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let c = client(&sandbox, Arc::new(reqwest()), &clock);
    let mut pages = c.companies().list_all(ListCompanies::new());
    let mut total = 0;
    while let Some(page) = pages.next_page().await.unwrap() {
        total += page.content.len();
        let info = pages.last_page_info().unwrap();
        assert_eq!(info.total_elements, Some(450));
        assert_eq!(info.total_pages, Some(3));
    }
    assert_eq!(total, 450);
    assert_eq!(pages.pages_fetched(), 3);
}

#[tokio::test]
async fn hundred_concurrent_first_calls_make_one_token_request_over_http() {
    let sandbox = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(5, 0, 0))
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let c = client(&sandbox, Arc::new(reqwest()), &clock);
    let id = pax8::model::CompanyId::from(billing_sandbox::pax8_company_id(1));
    let calls = (0..100).map(|_| {
        let c = c.clone();
        let id = id.clone();
        async move { c.companies().get(&id).await }
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.unwrap().id.as_ref(), Some(&id));
    }
    assert_eq!(sandbox.count("POST /v1/token"), 1);
}

#[tokio::test]
async fn pax8_q46_sandbox_429_with_retry_after_is_retried_after_the_delay() {
    let sandbox = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(5, 0, 0))
        .faults_on(
            "GET /v1/companies",
            FaultPlan::sequence([
                Some(Fault::TooManyRequests {
                    retry_after_secs: 7,
                }),
                None,
            ]),
        )
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let c = client(&sandbox, Arc::new(reqwest()), &clock);
    let page = c.companies().list(ListCompanies::new()).await.unwrap();
    assert_eq!(page.content.len(), 5);
    assert_eq!(sandbox.count("GET /v1/companies"), 2);
    assert!(
        clock.sleeps().iter().any(|d| d.as_secs() >= 7),
        "waited the server's Retry-After: {:?}",
        clock.sleeps()
    );
}

#[tokio::test]
async fn pax8_q46_sandbox_429_without_retry_after_backs_off_and_retries() {
    let sandbox = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(5, 0, 0))
        .faults_on(
            "GET /v1/companies",
            FaultPlan::sequence([Some(Fault::Status(429)), None]),
        )
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let c = client(&sandbox, Arc::new(reqwest()), &clock);
    c.companies().list(ListCompanies::new()).await.unwrap();
    assert_eq!(sandbox.count("GET /v1/companies"), 2);
    assert!(
        clock.sleeps().iter().all(|d| d.as_secs() <= 30),
        "backoff is capped"
    );
}

#[tokio::test]
async fn pax8_q14_sandbox_order_is_not_resent_after_a_reset() {
    let sandbox = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(5, 0, 0))
        .faults_on(
            "POST /v1/orders",
            FaultPlan::sequence([Some(Fault::ConnectionReset)]),
        )
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let c = client(&sandbox, Arc::new(reqwest()), &clock);
    let order = pax8::model::CreateOrder::new(billing_sandbox::pax8_company_id(0)).line(
        pax8::model::CreateLineItem::new("p1", 1, pax8::model::BillingTerm::Monthly),
    );
    let err = c.orders().create(&order).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(sandbox.count("POST /v1/orders"), 1);
}

#[tokio::test]
async fn pax8_q45_client_timeout_over_http_and_another_one_per_call() {
    let sandbox = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(5, 0, 0))
        .latency(std::time::Duration::from_millis(400))
        .start()
        .await
        .unwrap();
    let base = format!("{}/v1", sandbox.url().trim_end_matches('/'));
    let c = pax8::Client::builder()
        .credentials("example-client-id", "example-client-secret")
        .base_url(&base)
        .token_url(format!("{base}/token"))
        .timeout(std::time::Duration::from_secs(10))
        .retry(billing_http_core::retry::RetryPolicy::never())
        .build()
        .unwrap();
    let impatient = c
        .with_timeout(std::time::Duration::from_millis(100))
        .unwrap();
    let err = impatient
        .companies()
        .list(ListCompanies::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            pax8::Error::Timeout {
                origin: pax8::error::TimeoutOrigin::Client,
                ..
            }
        ),
        "{err:?}"
    );
    let page = c.companies().list(ListCompanies::new()).await.unwrap();
    assert_eq!(page.content.len(), 5);
    assert_eq!(
        sandbox.count("POST /v1/token"),
        1,
        "both share one token cache"
    );
}
