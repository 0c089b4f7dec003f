//! Shared by `tests/redis_limiter.rs` and `benches/redis_limiter.rs`: a tiny HTTP server that
//! enforces a quota and logs what it answered, the worker a fleet process runs, and the
//! parent that spawns a fleet of worker processes against the server.
//!
//! The server is hand-written (about 40 lines on hyper) rather than `billing-sandbox`'s
//! quota: the sandbox depends on this crate, so using it here would make a dependency cycle,
//! and the test needs only a quota and a log of arrival times.
#![allow(dead_code, clippy::unwrap_used)] // each includer uses a part; a failure fails the run

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use billing_http_core::rate_limit::{GcraLimiter, Quota, RateLimiter, RedisLimiter};
use billing_http_core::retry::RetryPolicy;
use billing_http_core::{Client, Request};
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The default Redis of the tests (`REDIS_URL`, else the local default).
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A prefix no other run shares.
pub fn unique_prefix(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("billing-sdk-test:{name}:{}-{nanos}:", std::process::id())
}

/// Whether Redis answers at `url`. When it does not: fails under `CI=true` (`.ci/run` starts
/// one), else prints a notice and answers `false` so the test skips.
pub async fn redis_available(url: &str) -> bool {
    let ping = async {
        let client = redis::Client::open(url).ok()?;
        let mut c = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING").query_async::<String>(&mut c).await.ok()
    };
    if tokio::time::timeout(Duration::from_secs(5), ping)
        .await
        .ok()
        .flatten()
        .is_some()
    {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "Redis is unreachable at {url} and CI=true: these tests need a running redis-server \
         (.ci/run starts one)"
    );
    eprintln!("NOTICE: skipping Redis rate limiter test, Redis unreachable at {url}");
    false
}

/// An HTTP server with a token-bucket quota: `rate` calls per second, up to `burst` at once;
/// past it, 429 with `Retry-After: 1`. Logs every answer with its arrival time.
pub struct QuotaServer {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<(Instant, u16)>>>,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

impl QuotaServer {
    pub async fn start(rate: f64, burst: f64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let bucket = Arc::new(Mutex::new(Bucket {
            tokens: burst,
            last: Instant::now(),
        }));
        let server_log = log.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (log, bucket) = (server_log.clone(), bucket.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |_req| {
                        let now = Instant::now();
                        let status = {
                            let mut b = bucket.lock().unwrap();
                            b.tokens = (b.tokens + (now - b.last).as_secs_f64() * rate).min(burst);
                            b.last = now;
                            if b.tokens >= 1.0 {
                                b.tokens -= 1.0;
                                200
                            } else {
                                429
                            }
                        };
                        log.lock().unwrap().push((now, status));
                        let mut r = hyper::Response::new(Full::new(Bytes::from_static(b"{}")));
                        *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        if status == 429 {
                            r.headers_mut().insert(
                                "retry-after",
                                hyper::header::HeaderValue::from_static("1"),
                            );
                        }
                        async move { Ok::<_, Infallible>(r) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        QuotaServer { addr, log }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Calls answered 200 that arrived within `[from, to)`, and 429s answered in all.
    pub fn tally(&self, from: Instant, to: Instant) -> (usize, usize) {
        let log = self.log.lock().unwrap();
        let ok = log
            .iter()
            .filter(|(at, s)| *s == 200 && *at >= from && *at < to)
            .count();
        let too_many = log.iter().filter(|(_, s)| *s == 429).count();
        (ok, too_many)
    }
}

/// Which limiter the workers of a fleet use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharing {
    /// One [`RedisLimiter`] timeline for the whole fleet.
    Redis,
    /// Each process its own [`GcraLimiter`] (what a fleet does without Redis).
    Local,
}

/// What one fleet process does: `tasks` tasks calling the server until `start + duration`,
/// paced by a limiter of `per_second` calls per second.
#[derive(Clone, Debug)]
pub struct Worker {
    pub sharing: Sharing,
    pub server: String,
    pub redis_url: String,
    pub prefix: String,
    pub per_second: u32,
    pub tasks: usize,
    /// Unix time in milliseconds at which every process starts.
    pub start_at_ms: u64,
    pub duration: Duration,
}

/// The environment variable that makes a test or bench binary run as a fleet worker.
pub const WORKER_ENV: &str = "BILLING_REDIS_LIMITER_WORKER";

impl Worker {
    fn to_env(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}",
            match self.sharing {
                Sharing::Redis => "redis",
                Sharing::Local => "local",
            },
            self.server,
            self.redis_url,
            self.prefix,
            self.per_second,
            self.tasks,
            self.start_at_ms,
            self.duration.as_millis()
        )
    }

    /// The worker this process must run, if it was started as one.
    pub fn from_env() -> Option<Self> {
        let v = std::env::var(WORKER_ENV).ok()?;
        let p: Vec<&str> = v.split('|').collect();
        Some(Worker {
            sharing: if p[0] == "redis" {
                Sharing::Redis
            } else {
                Sharing::Local
            },
            server: p[1].to_owned(),
            redis_url: p[2].to_owned(),
            prefix: p[3].to_owned(),
            per_second: p[4].parse().unwrap(),
            tasks: p[5].parse().unwrap(),
            start_at_ms: p[6].parse().unwrap(),
            duration: Duration::from_millis(p[7].parse().unwrap()),
        })
    }

    /// Runs the worker; prints `calls ok=<n> failed=<n>`.
    pub async fn run(&self) {
        let quota = Quota::per_second(self.per_second);
        let limiter: Arc<dyn RateLimiter> = match self.sharing {
            Sharing::Redis => Arc::new(
                RedisLimiter::builder(&*self.redis_url, "fleet-test", "client-id", quota)
                    .prefix(&*self.prefix)
                    .build()
                    .unwrap(),
            ),
            Sharing::Local => Arc::new(GcraLimiter::new(quota).strict_spacing(false)),
        };
        let client = Client::builder("fleet-test", &*self.server)
            .rate_limiter(limiter)
            .retry(RetryPolicy::default().max_attempts(2))
            .build()
            .unwrap();
        let start = UNIX_EPOCH + Duration::from_millis(self.start_at_ms);
        if let Ok(d) = start.duration_since(SystemTime::now()) {
            tokio::time::sleep(d).await;
        }
        let deadline = Instant::now() + self.duration;
        let tasks: Vec<_> = (0..self.tasks)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    let (mut ok, mut failed) = (0u32, 0u32);
                    while Instant::now() < deadline {
                        match client.execute(Request::get("call", "call")).await {
                            Ok(_) => ok += 1,
                            Err(_) => failed += 1,
                        }
                    }
                    (ok, failed)
                })
            })
            .collect();
        let (mut ok, mut failed) = (0, 0);
        for t in tasks {
            let (o, f) = t.await.unwrap();
            ok += o;
            failed += f;
        }
        println!("calls ok={ok} failed={failed}");
    }
}

/// What a fleet run measured at the server.
#[derive(Clone, Copy, Debug)]
pub struct FleetRun {
    /// Calls answered 200 within the measured window.
    pub ok_in_window: usize,
    /// The server's quota over the measured window.
    pub quota_in_window: f64,
    /// 429s the server answered over the whole run.
    pub too_many: usize,
}

impl FleetRun {
    /// The share of the server's quota used within the window.
    pub fn used(&self) -> f64 {
        self.ok_in_window as f64 / self.quota_in_window
    }
}

/// Runs `processes` copies of `exe args...` as workers against `server` (whose quota is
/// `server_rate` calls per second) for `duration`, and measures at the server from `warmup`
/// after the common start to the end (the first instants include connecting and loading the
/// script; they are left out of the ratio).
#[allow(clippy::too_many_arguments)]
pub async fn run_fleet(
    exe: &Path,
    args: &[&str],
    server: &QuotaServer,
    server_rate: f64,
    worker: Worker,
    processes: usize,
    warmup: Duration,
) -> FleetRun {
    let lead = Duration::from_millis(1500);
    let start_at = SystemTime::now() + lead;
    let start = Instant::now() + lead;
    let worker = Worker {
        start_at_ms: u64::try_from(start_at.duration_since(UNIX_EPOCH).unwrap().as_millis())
            .unwrap(),
        ..worker
    };
    let children: Vec<_> = (0..processes)
        .map(|_| {
            tokio::process::Command::new(exe)
                .args(args)
                .env(WORKER_ENV, worker.to_env())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap()
        })
        .collect();
    let limit = lead + worker.duration + Duration::from_secs(60);
    for child in children {
        let out = tokio::time::timeout(limit, child.wait_with_output())
            .await
            .expect("a worker process got stuck")
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("calls ok="),
            "worker failed: {}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let from = start + warmup;
    let to = start + worker.duration;
    let (ok_in_window, too_many) = server.tally(from, to);
    FleetRun {
        ok_in_window,
        quota_in_window: server_rate * (to - from).as_secs_f64(),
        too_many,
    }
}
