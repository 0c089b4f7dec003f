//! The Redis rate limiter (issue 18): a fleet's use of one quota, the cost of one acquire, and
//! the acquires per second one Redis sustains.
//!
//! Run (needs `redis-server`; `REDIS_URL`, default `redis://127.0.0.1:6379`):
//! `cargo bench -p billing-http-core --features redis --bench redis_limiter`
//! (optionally `-- <fleet seconds>`, default 10).
//!
//! 1. **Fleet**: 1, 2 and 4 processes (this binary, started again as workers), 8 tasks each,
//!    call a local server that allows 50 calls per second (token bucket, burst 5, `Retry-After:
//!    1`), each process paced at 49 calls per second either by one shared [`RedisLimiter`] or
//!    by its own [`GcraLimiter`]. Reported: the share of the server's quota used (200s from
//!    0.5 s after the common start to the end) and the 429s the server answered.
//! 2. **Acquire cost**: sequential `acquire` calls on a quota far above the load (never waits),
//!    against loopback Redis; p50, p99 and mean in µs, with the local limiter for reference.
//! 3. **Throughput**: 4 limiters (4 connections) × 32 tasks acquiring as fast as Redis answers
//!    for 3 s: acquires per second.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "../tests/redis_limiter_support/mod.rs"]
mod redis_limiter_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use billing_http_core::rate_limit::{GcraLimiter, Quota, RateLimiter, RedisLimiter};
use redis_limiter_support::{
    QuotaServer, Sharing, Worker, redis_available, redis_url, run_fleet, unique_prefix,
};

const SERVER_RATE: f64 = 50.0;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Some(worker) = Worker::from_env() {
        worker.run().await;
        return;
    }
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10);
    let url = redis_url();
    if !redis_available(&url).await {
        return;
    }
    let exe = std::env::current_exe().unwrap();

    println!("fleet: 8 tasks per process, server 50 calls/s (burst 5), clients 49/s, {seconds} s");
    println!("| processes | limiter | quota used | 429s |");
    println!("|---|---|---|---|");
    for processes in [1, 2, 4] {
        for sharing in [Sharing::Redis, Sharing::Local] {
            let server = QuotaServer::start(SERVER_RATE, 5.0).await;
            let worker = Worker {
                sharing,
                server: server.url(),
                redis_url: url.clone(),
                prefix: unique_prefix("bench"),
                per_second: 49,
                tasks: 8,
                start_at_ms: 0,
                duration: Duration::from_secs(seconds),
            };
            let run = run_fleet(
                &exe,
                &[],
                &server,
                SERVER_RATE,
                worker,
                processes,
                Duration::from_millis(500),
            )
            .await;
            println!(
                "| {processes} | {} | {:.1} % | {} |",
                match sharing {
                    Sharing::Redis => "redis (shared)",
                    Sharing::Local => "local (each its own)",
                },
                run.used() * 100.0,
                run.too_many
            );
        }
    }

    let fast = Quota::per_second(1_000_000_000);
    let redis = RedisLimiter::builder(&*url, "bench", "cost", fast)
        .prefix(unique_prefix("cost"))
        .build()
        .unwrap();
    let local = GcraLimiter::new(fast);
    println!("\nacquire cost, sequential, 20,000 acquires after 2,000 of warm-up");
    println!("| limiter | p50 µs | p99 µs | mean µs |");
    println!("|---|---|---|---|");
    for (name, l) in [
        ("redis (loopback)", &redis as &dyn RateLimiter),
        ("local GcraLimiter", &local),
    ] {
        for _ in 0..2_000 {
            l.acquire(Duration::ZERO).await.unwrap();
        }
        let mut took: Vec<Duration> = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            let t = Instant::now();
            l.acquire(Duration::ZERO).await.unwrap();
            took.push(t.elapsed());
        }
        took.sort();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let mean = took.iter().sum::<Duration>() / 20_000;
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} |",
            us(took[10_000]),
            us(took[19_800]),
            us(mean)
        );
    }
    assert!(
        !redis.is_on_fallback(),
        "the cost figures must come from redis"
    );

    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(3);
    let prefix = unique_prefix("throughput");
    let mut tasks = Vec::new();
    let mut limiters = Vec::new();
    for _ in 0..4 {
        let l = Arc::new(
            RedisLimiter::builder(&*url, "bench", "throughput", fast)
                .prefix(&*prefix)
                .build()
                .unwrap(),
        );
        limiters.push(l.clone());
        for _ in 0..32 {
            let (l, count) = (l.clone(), count.clone());
            tasks.push(tokio::spawn(async move {
                while Instant::now() < deadline {
                    l.acquire(Duration::ZERO).await.unwrap();
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(limiters.iter().all(|l| !l.is_on_fallback()));
    println!(
        "\nthroughput: 4 connections x 32 tasks, one key: {:.0} acquires/s",
        count.load(Ordering::Relaxed) as f64 / 3.0
    );
}
