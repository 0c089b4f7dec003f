//! Pax8 benchmarks against the in-process sandbox (see `docs/benchmarks.md`, section "pax8").
//!
//! Run: `cargo bench -p pax8 --bench pax8` (optionally `-- paginate` or `-- throughput`).
//!
//! (a) paginate: all 45,000 synthetic orders with 20 ms of server latency per request, once by a
//!     sequential page walk (`prefetch(0)`) and once by the prefetching stream (depth 8); the
//!     bound for the prefetching walk is pages × latency ÷ depth.
//! (b) throughput: 20 s against a sandbox that answers 429 past 50 requests per second (Pax8's
//!     1000 calls/min scaled up), with the client's limiter at the same quota and 16 tasks
//!     calling as fast as they can: successful calls against the quota, and 429s seen.
#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use billing_http_core::transport::{ReqwestTransport, TransportError};
use billing_http_core::{HttpRequest, HttpResponse, Transport, TransportConfig};
use billing_sandbox::{Sandbox, Synthetic};
use futures::StreamExt;
use futures::future::BoxFuture;
use pax8::{ListCompanies, ListOrders};

#[derive(Debug)]
struct Counting {
    inner: ReqwestTransport,
    ok: AtomicU64,
    limited: AtomicU64,
}

impl Transport for Counting {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let r = self.inner.send(request).await;
            if let Ok(resp) = &r {
                if resp.status.as_u16() == 429 {
                    self.limited.fetch_add(1, Ordering::Relaxed);
                } else if resp.status.is_success() {
                    self.ok.fetch_add(1, Ordering::Relaxed);
                }
            }
            r
        })
    }
}

fn counting() -> Arc<Counting> {
    Arc::new(Counting {
        inner: ReqwestTransport::new(&TransportConfig::default()).unwrap(),
        ok: AtomicU64::new(0),
        limited: AtomicU64::new(0),
    })
}

fn client(sandbox: &Sandbox, transport: Arc<dyn Transport>, per_minute: u32) -> pax8::Client {
    client_with_margin(
        sandbox,
        transport,
        per_minute,
        pax8::client::DEFAULT_RATE_LIMIT_MARGIN,
    )
}

fn client_with_margin(
    sandbox: &Sandbox,
    transport: Arc<dyn Transport>,
    per_minute: u32,
    margin: f64,
) -> pax8::Client {
    let base = format!("{}/v1", sandbox.url().trim_end_matches('/'));
    // the default limiter's shape (fixed timeline) at another quota and margin
    let quota = ((f64::from(per_minute) * (1.0 - margin)).floor() as u32).max(1);
    let limiter = pax8::GcraLimiter::new(pax8::Quota::per_minute(quota)).strict_spacing(false);
    pax8::Client::builder()
        .credentials("bench-client-id", "bench-client-secret")
        .base_url(&base)
        .token_url(format!("{base}/token"))
        .transport(transport)
        .rate_limiter(Arc::new(limiter))
        .build()
        .unwrap()
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat` (Linux; zero
/// elsewhere). The sandbox runs in the same process, so this covers server and client.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10)
}

async fn walk(c: &pax8::Client, depth: usize) -> (usize, Duration) {
    let start = Instant::now();
    let mut s = c.orders().list_all(ListOrders::new()).prefetch(depth);
    let mut n = 0;
    while let Some(o) = s.next().await {
        o.unwrap();
        n += 1;
    }
    (n, start.elapsed())
}

async fn paginate() {
    const ORDERS: usize = 45_000;
    const LATENCY: Duration = Duration::from_millis(20);
    const DEPTHS: [usize; 3] = [2, 4, 8];
    let sandbox = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(10, ORDERS, 0))
        .latency(LATENCY)
        .start()
        .await
        .unwrap();
    // The client limiter is raised so that only the paginator is measured: at the default
    // 1000 calls/min, 226 calls take at least 13.5 s whatever the paginator does.
    let c = client(&sandbox, counting(), 1_000_000);
    c.orders().list(ListOrders::new().size(1u32)).await.unwrap(); // token + warm connection
    let pages = ORDERS.div_ceil(200) as u32;
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let mut seq = Vec::new();
    let cpu0 = cpu_time();
    for _ in 0..3 {
        let (n, t) = walk(&c, 0).await;
        assert_eq!(n, ORDERS);
        seq.push(t);
    }
    let s = median(seq);
    let cpu_per_page = (cpu_time() - cpu0) / (3 * pages);
    println!(
        "paginate: {ORDERS} orders, {pages} pages of 200, {LATENCY:?} server latency (median of 3)"
    );
    println!(
        "  sequential walk  : {s:?} (pages x latency = {:?})",
        LATENCY * pages
    );
    println!(
        "  cpu per page     : {cpu_per_page:?} (sandbox + client in one process, {} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    for depth in DEPTHS {
        let mut pre = Vec::new();
        for _ in 0..3 {
            let (n, t) = walk(&c, depth).await;
            assert_eq!(n, ORDERS);
            pre.push(t);
        }
        let p = median(pre);
        let bound = LATENCY * pages / depth as u32;
        println!(
            "  prefetch depth {depth:>2}: {p:?}, speed-up {:.2}x, bound {bound:?}, {:+.1} % vs bound",
            s.as_secs_f64() / p.as_secs_f64(),
            (p.as_secs_f64() / bound.as_secs_f64() - 1.0) * 100.0
        );
    }
}

async fn throughput(margin: f64) {
    const PER_SECOND: u64 = 50;
    const SECONDS: u64 = 20;
    const TASKS: usize = 16;
    let sandbox = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(10, 0, 0))
        .rate_limit(PER_SECOND, Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let t = counting();
    let c = client_with_margin(&sandbox, t.clone(), (PER_SECOND * 60) as u32, margin);
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                let q = ListCompanies::new().size(1u32);
                while Instant::now() < deadline {
                    let _ = c.companies().list(q.clone()).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let ok = t.ok.load(Ordering::Relaxed);
    let limited = t.limited.load(Ordering::Relaxed);
    let quota = PER_SECOND as f64 * elapsed;
    println!(
        "throughput: {TASKS} tasks for {SECONDS} s, sandbox quota {PER_SECOND}/s (1000/min scaled), client limiter {PER_SECOND}/s less a {:.0} % margin",
        margin * 100.0
    );
    println!("  elapsed         : {elapsed:.2} s");
    println!("  successful calls: {ok} (token call included)");
    println!("  quota used      : {:.1} %", ok as f64 / quota * 100.0);
    println!("  429 responses   : {limited}");
}

/// CPU cost of decoding one page of 200 synthetic orders as the client does (the part of the
/// walk that latency hiding cannot remove), against parsing it into an untyped `Value`.
async fn decode() {
    let sandbox = Sandbox::builder("pax8")
        .synthetic(Synthetic::pax8(10, 200, 0))
        .start()
        .await
        .unwrap();
    let url = format!(
        "{}/v1/orders?page=0&size=200",
        sandbox.url().trim_end_matches('/')
    );
    let http = billing_http_core::TlsConfig::default()
        .reqwest_builder()
        .unwrap()
        .build()
        .unwrap();
    let body = http.get(&url).send().await.unwrap().bytes().await.unwrap();
    let n = 200;
    let start = Instant::now();
    for _ in 0..n {
        let page = pax8::Page::<pax8::Order>::from_slice(&body).unwrap();
        assert_eq!(page.content.len(), 200);
    }
    let per_page = start.elapsed() / n;
    // what a page decode without per-item repair costs (the crate before issue 13)
    #[derive(serde::Deserialize)]
    struct Direct {
        content: Vec<pax8::Order>,
    }
    let start = Instant::now();
    for _ in 0..n {
        let page: Direct = serde_json::from_slice(&body).unwrap();
        assert_eq!(page.content.len(), 200);
    }
    let direct = start.elapsed() / n;
    let start = Instant::now();
    for _ in 0..n {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(v.is_object());
    }
    let untyped = start.elapsed() / n;
    println!(
        "decode: one page of 200 orders ({} bytes) in {per_page:?} typed as the client does, {direct:?} typed without per-item repair, {untyped:?} as serde_json::Value",
        body.len()
    );
}

fn main() {
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let all = which.is_empty();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if all || which.iter().any(|w| w == "paginate") {
        rt.block_on(paginate());
    }
    if all || which.iter().any(|w| w == "decode") {
        rt.block_on(decode());
    }
    if all || which.iter().any(|w| w == "throughput") {
        rt.block_on(throughput(pax8::client::DEFAULT_RATE_LIMIT_MARGIN));
        rt.block_on(throughput(0.02));
    }
}
