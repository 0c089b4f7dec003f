//! [`RedisLimiter`] against a real `redis-server` (`REDIS_URL`, default
//! `redis://127.0.0.1:6379`). When Redis is unreachable the tests that need it FAIL under
//! `CI=true` and are skipped with a notice otherwise; the fallback tests need no Redis.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, missing_docs)]

mod capture;
mod redis_limiter_support;

use std::sync::Arc;
use std::time::Duration;

use billing_http_core::rate_limit::redis::RedisLimiter;
use billing_http_core::rate_limit::{DEFAULT_MAX_PENALTY, GcraLimiter, Quota, RateLimiter};
use redis_limiter_support::{
    QuotaServer, Sharing, Worker, redis_available, redis_url, run_fleet, unique_prefix,
};
use tokio::net::TcpListener;

/// How long a test waits before it calls an acquire stuck.
const STUCK: Duration = Duration::from_secs(10);

fn limiter(url: &str, prefix: &str, quota: Quota) -> RedisLimiter {
    RedisLimiter::builder(url, "pax8", "client-id-of-the-test", quota)
        .prefix(prefix)
        .build()
        .unwrap()
}

/// Two limiters (two connections, as two processes would have) on one fresh timeline, or
/// `None` when Redis is unreachable outside CI.
async fn shared_pair(name: &str, quota: Quota) -> Option<(RedisLimiter, RedisLimiter)> {
    let url = redis_url();
    if !redis_available(&url).await {
        return None;
    }
    let prefix = unique_prefix(name);
    Some((limiter(&url, &prefix, quota), limiter(&url, &prefix, quota)))
}

/// Acquires with no budget `n` times: how many were granted at once.
async fn granted_now(l: &dyn RateLimiter, n: usize) -> usize {
    let mut granted = 0;
    for _ in 0..n {
        match tokio::time::timeout(STUCK, l.acquire(Duration::ZERO))
            .await
            .expect("acquire got stuck")
        {
            Ok(()) => granted += 1,
            Err(e) => assert!(e.is_rate_limited() && !e.may_have_reached_server(), "{e}"),
        }
    }
    granted
}

#[tokio::test]
async fn two_limiters_share_one_quota_exactly() {
    let url = redis_url();
    if !redis_available(&url).await {
        return;
    }
    // 5 at once, then one a minute: within the test, exactly 5 grants however they are split
    let quota = Quota::per_minute(1).with_burst(5);
    let prefix = unique_prefix("share");
    let (a, b) = (limiter(&url, &prefix, quota), limiter(&url, &prefix, quota));
    let mut granted = (0, 0);
    for _ in 0..6 {
        granted.0 += granted_now(&a, 1).await;
        granted.1 += granted_now(&b, 1).await;
    }
    assert_eq!(granted, (3, 2), "one timeline: a, b, a, b, a, then none");
    assert!(!a.is_on_fallback() && !b.is_on_fallback());
    // the problem this solves: two local limiters grant the quota twice
    let (la, lb) = (GcraLimiter::new(quota), GcraLimiter::new(quota));
    assert_eq!(granted_now(&la, 6).await + granted_now(&lb, 6).await, 10);
    // another account has its own timeline
    let other = RedisLimiter::builder(&*url, "pax8", "another-client", quota)
        .prefix(&*prefix)
        .build()
        .unwrap();
    assert_eq!(granted_now(&other, 6).await, 5);
}

#[tokio::test]
async fn a_refused_acquire_reports_the_wait_and_consumes_no_slot() {
    let url = redis_url();
    if !redis_available(&url).await {
        return;
    }
    let prefix = unique_prefix("refused");
    let l = limiter(&url, &prefix, Quota::per_minute(1));
    l.acquire(Duration::ZERO).await.unwrap();
    let err = l.acquire(Duration::from_secs(30)).await.unwrap_err();
    assert!(
        err.is_rate_limited() && !err.may_have_reached_server(),
        "{err}"
    );
    let wait = err.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(50) && wait <= Duration::from_secs(60),
        "{wait:?}"
    );
    // refusals did not move the timeline: the next slot is still about a minute away, not two
    let again = l.acquire(Duration::ZERO).await.unwrap_err();
    assert!(
        again.retry_after().unwrap() <= Duration::from_secs(60),
        "{again}"
    );
}

#[tokio::test]
async fn the_account_id_never_reaches_redis() {
    let l = limiter(
        "redis://127.0.0.1:6379",
        "billing-sdk-test:",
        Quota::per_second(1),
    );
    assert!(!l.key().contains("client-id-of-the-test"), "{}", l.key());
    assert!(
        l.key().starts_with("billing-sdk-test:ratelimit:pax8:"),
        "{}",
        l.key()
    );
    let shown = format!("{l:?}");
    assert!(!shown.contains("client-id-of-the-test"), "{shown}");
    let secret = RedisLimiter::builder(
        "redis://:hunter2@127.0.0.1:6379",
        "pax8",
        "x",
        Quota::per_second(1),
    )
    .build()
    .unwrap();
    assert!(!format!("{secret:?}").contains("hunter2"));
}

#[tokio::test]
async fn a_429_seen_by_one_limiter_pauses_the_other() {
    let Some((a, b)) = shared_pair("penalty", Quota::per_second(1000)).await else {
        return;
    };
    assert_eq!(granted_now(&b, 1).await, 1);
    a.penalize(Some(Duration::from_secs(30))).await;
    let err = b.acquire(Duration::from_secs(1)).await.unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    let wait = err.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(25),
        "b waits for a's pause: {wait:?}"
    );
}

#[tokio::test]
async fn a_shared_pause_is_capped_like_the_local_one() {
    let Some((a, b)) = shared_pair("cap", Quota::per_second(1000)).await else {
        return;
    };
    for huge in [Duration::MAX, Duration::from_secs(u64::MAX / 2)] {
        a.penalize(Some(huge)).await;
    }
    let err = b.acquire(Duration::ZERO).await.unwrap_err();
    let wait = err.retry_after().unwrap();
    assert!(
        wait <= DEFAULT_MAX_PENALTY && wait > Duration::from_secs(50),
        "{wait:?}"
    );
    assert!(!a.is_on_fallback(), "a huge pause is no Redis failure");
}

#[tokio::test]
async fn unreachable_redis_falls_back_to_the_local_share_without_blocking() {
    // nothing listens on port 1: connection refused at once
    let l = RedisLimiter::builder(
        "redis://127.0.0.1:1",
        "pax8",
        "client",
        Quota::per_minute(8).with_burst(8),
    )
    .expected_nodes(4)
    .build()
    .unwrap();
    assert_eq!(l.fallback_quota(), Quota::per_minute(2).with_burst(2));
    assert_eq!(
        granted_now(&l, 5).await,
        2,
        "the fallback's share: 8 / 4 nodes"
    );
    assert!(l.is_on_fallback());
    // penalties do not fail either
    tokio::time::timeout(STUCK, l.penalize(None)).await.unwrap();
}

#[tokio::test]
async fn a_redis_that_never_answers_costs_one_timeout_then_the_fallback_answers() {
    // accepts connections, never answers
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            conns.push(s);
        }
    });
    let l = RedisLimiter::builder(
        format!("redis://127.0.0.1:{port}"),
        "pax8",
        "client",
        Quota::per_second(100),
    )
    .timeout(Duration::from_millis(100))
    .probe_interval(Duration::from_secs(3600))
    .build()
    .unwrap();
    let calls = async {
        for _ in 0..20 {
            l.acquire(Duration::from_secs(5)).await.unwrap();
        }
    };
    tokio::time::timeout(STUCK, calls)
        .await
        .expect("an acquire got stuck on a silent redis");
    assert!(l.is_on_fallback());
    held.abort();
}

/// A TCP proxy to Redis that can be cut and restored, as if Redis died and came back.
struct Proxy {
    port: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    async fn start(port: u16, upstream: String) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                conns.spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
            }
        });
        Proxy {
            port,
            task: Some(task),
        }
    }

    /// Closes the listener and every connection (the `JoinSet` aborts them when dropped).
    async fn cut(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
    }
}

#[tokio::test]
async fn redis_lost_mid_run_calls_continue_on_the_fallback_then_recover() {
    let url = redis_url();
    if !redis_available(&url).await {
        return;
    }
    let upstream = url::Url::parse(&url).unwrap();
    let upstream = format!(
        "{}:{}",
        upstream.host_str().unwrap(),
        upstream.port().unwrap_or(6379)
    );
    let mut proxy = Proxy::start(0, upstream.clone()).await;
    let l = Arc::new(
        RedisLimiter::builder(
            format!("redis://127.0.0.1:{}", proxy.port),
            "pax8",
            "client",
            Quota::per_second(200),
        )
        .prefix(unique_prefix("lost"))
        .timeout(Duration::from_millis(200))
        .probe_interval(Duration::from_millis(100))
        .build()
        .unwrap(),
    );
    l.acquire(Duration::ZERO).await.unwrap();
    assert!(!l.is_on_fallback());
    // 8 tasks call on while Redis goes away
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let l = l.clone();
            tokio::spawn(async move {
                for _ in 0..40 {
                    l.acquire(Duration::from_secs(5)).await.unwrap();
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    proxy.cut().await;
    for t in tasks {
        tokio::time::timeout(STUCK, t)
            .await
            .expect("a call got stuck")
            .unwrap();
    }
    assert!(l.is_on_fallback(), "redis is gone: the fallback answers");
    // Redis comes back on the same address: a probe finds it
    let _proxy = Proxy::start(proxy.port, upstream).await;
    let mut recovered = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        l.acquire(Duration::from_secs(5)).await.unwrap();
        if !l.is_on_fallback() {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "the limiter went back to redis");
}

/// The entry point of the fleet's worker processes (spawned by the fleet tests below with
/// `--ignored --exact`); not a test of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "worker process of the fleet tests, started by them"]
async fn fleet_worker_process() {
    let worker = Worker::from_env().expect("started by a fleet test");
    worker.run().await;
}

/// Server quota 50 calls/s with a burst of 5 (0.1 s of jitter); each process paced at 49/s
/// (2 % margin), 8 tasks each.
const SERVER_RATE: f64 = 50.0;
const SERVER_BURST: f64 = 5.0;
const CLIENT_RATE: u32 = 49;

async fn fleet(sharing: Sharing, duration: Duration) -> redis_limiter_support::FleetRun {
    let server = QuotaServer::start(SERVER_RATE, SERVER_BURST).await;
    let exe = std::env::current_exe().unwrap();
    let worker = Worker {
        sharing,
        server: server.url(),
        redis_url: redis_url(),
        prefix: unique_prefix("fleet"),
        per_second: CLIENT_RATE,
        tasks: 8,
        start_at_ms: 0,
        duration,
    };
    run_fleet(
        &exe,
        &[
            "--ignored",
            "--exact",
            "fleet_worker_process",
            "--nocapture",
        ],
        &server,
        SERVER_RATE,
        worker,
        4,
        Duration::from_millis(500),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_share_the_quota_use_95_percent_and_see_no_429() {
    if !redis_available(&redis_url()).await {
        return;
    }
    let run = fleet(Sharing::Redis, Duration::from_secs(4)).await;
    eprintln!("redis fleet: {run:?}, used {:.1} %", run.used() * 100.0);
    assert_eq!(run.too_many, 0, "{run:?}");
    assert!(run.used() >= 0.95, "{run:?}: used {:.3}", run.used());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_with_local_limiters_cause_429s() {
    let run = fleet(Sharing::Local, Duration::from_secs(2)).await;
    eprintln!("local fleet: {run:?}");
    assert!(
        run.too_many > 0,
        "each process paces itself to the whole quota: {run:?}"
    );
}

#[tokio::test]
async fn a_waiter_holding_a_slot_inside_a_new_pause_reserves_again() {
    // one call every 2 s: the waiter's slot is 2 s away when the 429 comes
    let Some((a, b)) = shared_pair("rewait", Quota::per_minute(30)).await else {
        return;
    };
    let b = Arc::new(b);
    assert_eq!(granted_now(&a, 1).await, 1);
    let waiter = {
        let b = b.clone();
        tokio::spawn(async move { b.acquire(Duration::from_secs(5)).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await; // the waiter has reserved its slot
    b.penalize(Some(Duration::from_secs(30))).await;
    let err = tokio::time::timeout(STUCK, waiter)
        .await
        .expect("the waiter got stuck")
        .unwrap()
        .expect_err("a 30 s pause does not fit a 5 s budget");
    assert!(
        err.is_rate_limited() && !err.may_have_reached_server(),
        "{err}"
    );
}

#[tokio::test]
async fn losing_and_regaining_redis_logs_once_per_transition() {
    let url = redis_url();
    if !redis_available(&url).await {
        return;
    }
    let captured = capture::Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let upstream = url::Url::parse(&url).unwrap();
    let upstream = format!(
        "{}:{}",
        upstream.host_str().unwrap(),
        upstream.port().unwrap_or(6379)
    );
    let mut proxy = Proxy::start(0, upstream.clone()).await;
    let l = RedisLimiter::builder(
        format!("redis://127.0.0.1:{}", proxy.port),
        "pax8",
        "client",
        Quota::per_second(1000),
    )
    .prefix(unique_prefix("log"))
    .probe_interval(Duration::ZERO) // every acquire probes: many failures, one line
    .build()
    .unwrap();
    l.acquire(Duration::from_secs(1)).await.unwrap();
    proxy.cut().await;
    for _ in 0..10 {
        l.acquire(Duration::from_secs(1)).await.unwrap();
    }
    assert!(l.is_on_fallback());
    let _proxy = Proxy::start(proxy.port, upstream).await;
    for _ in 0..10 {
        l.acquire(Duration::from_secs(1)).await.unwrap();
    }
    assert!(!l.is_on_fallback());
    let text = captured.text();
    assert_eq!(
        text.matches("using the local fallback quota").count(),
        1,
        "{text}"
    );
    assert_eq!(
        text.matches("back on the shared quota").count(),
        1,
        "{text}"
    );
}
