//! Per-request overhead of the full http-core stack versus a bare `reqwest::Client`.
//!
//! Run: `cargo bench -p billing-http-core --bench overhead` (optionally `-- <requests>`).
//! Both clients talk to the same minimal hyper server on 127.0.0.1 and send the same request (a
//! GET with an `x-api-key` header) for the same small body; the http-core client goes through
//! request building, a (generous) GCRA limiter, auth injection, classification and the retry
//! loop. The server runs on its own thread; the clients run on a single-threaded tokio runtime,
//! so the difference is the stack's own CPU cost. Each mode runs several rounds alternating the
//! two clients; the figure reported is the median round.
//!
//! For profiling, `-- --only stack|bare [--concurrency N] <requests>` runs one client alone,
//! one round (e.g. under `valgrind --tool=callgrind`: the difference of the two runs' instruction
//! counts, divided by the requests, is the stack's cost per request).
#![allow(missing_docs, clippy::unwrap_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use billing_http_core::auth::{Placement, StaticKey};
use billing_http_core::rate_limit::{GcraLimiter, Quota};
use billing_http_core::{Client, Request};
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Starts the server on its own thread and runtime, so that the measured client runtime only
/// runs client code.
fn serve() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let svc = service_fn(|_req| async {
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                            b"{\"ok\":true}",
                        ))))
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
    });
    rx.recv().unwrap()
}

async fn bare(client: &reqwest::Client, url: &str, n: usize, concurrency: usize) -> Duration {
    let start = Instant::now();
    futures::stream::iter(0..n)
        .map(|_| async {
            // the same API-key header the http-core client's auth stage adds
            let r = client
                .get(url)
                .header("x-api-key", "k")
                .send()
                .await
                .unwrap();
            r.bytes().await.unwrap()
        })
        .buffer_unordered(concurrency)
        .for_each(|_| async {})
        .await;
    start.elapsed()
}

async fn stack(client: &Client, n: usize, concurrency: usize) -> Duration {
    let start = Instant::now();
    futures::stream::iter(0..n)
        .map(|_| async {
            client
                .execute(Request::get("ping", "ping"))
                .await
                .unwrap()
                .body
        })
        .buffer_unordered(concurrency)
        .for_each(|_| async {})
        .await;
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let only = flag("--only");
    let only_concurrency: usize = flag("--concurrency")
        .and_then(|c| c.parse().ok())
        .unwrap_or(32);
    // the request count is the first number that is not a flag's value
    let n: usize = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || !args[i - 1].starts_with("--")))
        .find_map(|(_, a)| a.parse().ok())
        .unwrap_or(10_000);
    let rounds = 9;
    let addr = serve();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("http://{addr}/ping");
        // the same settings the http-core transport uses by default: rustls, connect and total
        // timeouts (reqwest arms a timer per request for the latter) and a User-Agent
        let defaults = billing_http_core::TransportConfig::default();
        let bare_client = defaults
            .tls
            .reqwest_builder()
            .unwrap()
            .connect_timeout(defaults.connect_timeout)
            .timeout(defaults.timeout)
            .user_agent(defaults.user_agent.clone())
            .build()
            .unwrap();
        let client = Client::builder("bench", format!("http://{addr}/"))
            .auth(Arc::new(StaticKey::new(
                "k".to_owned(),
                Placement::Header("x-api-key".into()),
            )))
            .rate_limiter(Arc::new(GcraLimiter::new(
                Quota::per_second(10_000_000).with_burst(1_000_000),
            )))
            .build()
            .unwrap();
        // warm up connections
        bare(&bare_client, &url, 200, 32).await;
        stack(&client, 200, 32).await;
        if let Some(which) = only {
            let took = match which.as_str() {
                "bare" => bare(&bare_client, &url, n, only_concurrency).await,
                _ => stack(&client, n, only_concurrency).await,
            };
            println!("{which}: {n} requests at concurrency {only_concurrency} in {took:?}");
            return;
        }
        println!(
            "http-core overhead benchmark: {n} small GETs per round, {rounds} rounds, median round"
        );
        println!(
            "{:<16} {:>12} {:>12} {:>10} {:>14}",
            "mode", "bare", "http-core", "overhead", "per request"
        );
        for concurrency in [1usize, 32] {
            let mut b = Vec::new();
            let mut s = Vec::new();
            for _ in 0..rounds {
                b.push(bare(&bare_client, &url, n, concurrency).await);
                s.push(stack(&client, n, concurrency).await);
            }
            let (b, s) = (median(b), median(s));
            let overhead = (s.as_secs_f64() / b.as_secs_f64() - 1.0) * 100.0;
            let per_req_us = (s.as_secs_f64() - b.as_secs_f64()) / n as f64 * 1e6;
            let mode = if concurrency == 1 {
                "sequential".to_owned()
            } else {
                format!("concurrency {concurrency}")
            };
            println!(
                "{mode:<16} {:>10.0}ms {:>10.0}ms {overhead:>9.1}% {per_req_us:>11.1}µs",
                b.as_secs_f64() * 1e3,
                s.as_secs_f64() * 1e3
            );
        }
    });
}
