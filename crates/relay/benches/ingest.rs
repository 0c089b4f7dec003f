//! Ingest benchmark (issue 11 item 9; figures in docs/benchmarks.md):
//!
//! ```text
//! cargo bench -p billing-relay --bench ingest -- [--lines 10000] [--clients 32] [--tenants 10]
//!                                                [--latency-ms 10] [--synchronous full] [--logs]
//!                                                [--postgres URL [--nodes 2]]
//! ```
//!
//! With `--postgres`, the store is a fresh schema of that database instead, shared by
//! `--nodes` relays (in this process, each with its own store pool and workers); the clients
//! are spread over the nodes.
//!
//! A relay on a SQLite file (WAL, `synchronous = FULL` by default: every acknowledged line is
//! fsynced) in a temporary folder next to the target directory, with `--tenants` PPMS tenants
//! against the workspace's PPMS sandbox (its stateful `createorder`), answering after
//! `--latency-ms`. `--clients` concurrent HTTP clients submit `--lines` distinct lines (phase 1), then the same lines again (phase 2,
//! duplicates). Printed: lines per second and p50/p99 latency of each phase, and the time
//! from the first submit until every line is `completed`, with the bound of one line in flight
//! per tenant (lines × latency ÷ tenants). The workers push while phase 1 runs, as in
//! production.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use billing_relay::Relay;
use billing_relay::config::Config;
use billing_sandbox::{Sandbox, Vendor};
use clap::Parser;

#[derive(Parser, Debug)]
struct Args {
    /// Distinct lines.
    #[arg(long, default_value_t = 10_000)]
    lines: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// PPMS tenants the lines are spread over.
    #[arg(long, default_value_t = 10)]
    tenants: usize,
    /// Latency of the PPMS sandbox.
    #[arg(long, default_value_t = 10)]
    latency_ms: u64,
    /// `full` or `normal`.
    #[arg(long, default_value = "full")]
    synchronous: String,
    /// A Postgres database (`postgres://…`) to run on instead of SQLite.
    #[arg(long)]
    postgres: Option<String>,
    /// Connections of each node's Postgres pool (default: the relay's, 10 plus one per
    /// tenant here).
    #[arg(long)]
    max_connections: Option<u32>,
    /// Relay nodes sharing the Postgres schema.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Install an info-level log subscriber (writing to a sink), as in production.
    #[arg(long)]
    logs: bool,
    /// cargo bench passes `--bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

const KEY: &str = "rk_benchmark_key_0123456789abcdef";

struct Phase {
    name: &'static str,
    wall: Duration,
    latencies: Vec<Duration>,
    statuses: Vec<u16>,
}

impl Phase {
    fn print(&mut self) {
        self.latencies.sort();
        let n = self.latencies.len();
        let pct = |p: f64| self.latencies[((n as f64 * p) as usize).min(n - 1)];
        let mut counts = std::collections::BTreeMap::new();
        for s in &self.statuses {
            *counts.entry(*s).or_insert(0) += 1;
        }
        println!(
            "{:<11} {:>7} lines in {:>6.2} s = {:>7.0} lines/s   p50 {:>6.2} ms   p99 {:>6.2} ms   statuses {:?}",
            self.name,
            n,
            self.wall.as_secs_f64(),
            n as f64 / self.wall.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
            counts
        );
    }
}

async fn phase(name: &'static str, urls: &[String], args: &Args, tenants: &[String]) -> Phase {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..args.clients {
        let next = next.clone();
        let url = urls[client % urls.len()].clone();
        let tenants = tenants.to_vec();
        let lines = args.lines;
        tasks.push(tokio::spawn(async move {
            // http-core's TLS settings: the workspace's reqwest has no process-wide crypto provider
            let http = billing_http_core::TlsConfig::default()
                .reqwest_builder()
                .expect("tls settings")
                .build()
                .expect("a reqwest client");
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= lines {
                    return out;
                }
                let tenant = &tenants[i % tenants.len()];
                let body = format!(
                    r#"{{"unique_id":"BENCH-{i:06}","case_nr":"user{:05}","product_nr":"{}","product_amount":"{}.{}","dispensed_at":"2025-03-01T12:00:00Z"}}"#,
                    i % 400,
                    100 + i % 7,
                    1 + i % 20,
                    i % 100
                );
                let t0 = Instant::now();
                let r = http
                    .post(format!("{url}/v1/tenants/{tenant}/order-lines"))
                    .bearer_auth(KEY)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                let status = match r {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                out.push((t0.elapsed(), status));
            }
        }));
    }
    let mut latencies = Vec::with_capacity(args.lines);
    let mut statuses = Vec::with_capacity(args.lines);
    for t in tasks {
        for (l, s) in t.await.unwrap_or_default() {
            latencies.push(l);
            statuses.push(s);
        }
    }
    Phase {
        name,
        wall: started.elapsed(),
        latencies,
        statuses,
    }
}

fn main() {
    let args = Args::parse();
    if args.logs {
        tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_writer(std::io::sink)
            .init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(args));
}

async fn run(args: Args) {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target")
        });
    std::fs::create_dir_all(&base).expect("target dir");
    let dir = tempfile::tempdir_in(&base).expect("temp dir");
    let db = dir.path().join("bench.db");
    let ppms = Sandbox::stable(Vendor::Ppms)
        .latency(Duration::from_millis(args.latency_ms))
        .start()
        .await
        .expect("ppms sandbox");
    let key_file = dir.path().join("ppms.key");
    std::fs::write(&key_file, "bench-ppms-key").expect("key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("mode");
    }
    let tenants: Vec<String> = (0..args.tenants).map(|i| format!("t{i:02}")).collect();
    let (database, store_name) = match &args.postgres {
        Some(url) => {
            let schema = format!("relay_bench_{}", std::process::id());
            (
                format!(
                    "url = \"{url}\"\nschema = \"{schema}\"\n{}",
                    args.max_connections
                        .map(|n| format!("max_connections = {n}\n"))
                        .unwrap_or_default()
                ),
                format!(
                    "postgres ({} node{}, pool {} each)",
                    args.nodes,
                    if args.nodes == 1 { "" } else { "s" },
                    args.max_connections
                        .map_or("the default".to_owned(), |n| n.to_string())
                ),
            )
        }
        None => (
            format!(
                "url = \"sqlite://{}\"\nsynchronous = \"{}\"\n",
                db.display(),
                args.synchronous
            ),
            format!("sqlite synchronous={}", args.synchronous),
        ),
    };
    if args.nodes == 0 || (args.nodes > 1 && args.postgres.is_none()) {
        eprintln!("--nodes above 1 needs --postgres (an SQLite file is one process's)");
        std::process::exit(2);
    }
    let mut toml = format!(
        "listen = \"127.0.0.1:0\"\n[database]\n{database}\
         [ingest.clients.bench]\nsha256 = [\"{}\"]\ntenants = [\"*\"]\n",
        billing_relay::api::hash_key(KEY)
    );
    for t in &tenants {
        toml.push_str(&format!(
            "[tenants.{t}]\nerp = \"ppms\"\nrate_limit_per_second = 0\n[tenants.{t}.ppms]\nurl = \"{}\"\n\
             api_key = {{ file = \"{}\" }}\ncase_is = \"login\"\n",
            ppms.url(),
            key_file.display()
        ));
    }
    let mut relays = Vec::new();
    for _ in 0..args.nodes {
        let config = Config::from_toml(&toml, Vec::new()).expect("config");
        relays.push(Relay::builder(config).start().await.expect("relay"));
    }
    let urls: Vec<String> = relays.iter().map(|r| r.url()).collect();
    let relay = &relays[0];
    println!(
        "relay ingest benchmark: {} lines, {} clients, {} ppms tenants at {} ms, {store_name}, logs {}",
        args.lines,
        args.clients,
        args.tenants,
        args.latency_ms,
        if args.logs {
            "on (info, to a sink)"
        } else {
            "off"
        }
    );
    let started = Instant::now();
    let mut new = phase("new", &urls, &args, &tenants).await;
    new.print();
    let mut dup = phase("duplicates", &urls, &args, &tenants).await;
    dup.print();
    let total = args.lines as u64;
    loop {
        let mut completed = 0;
        for t in &tenants {
            completed += relay.store().counts(t).await.expect("counts").completed;
        }
        if completed >= total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let e2e = started.elapsed();
    let bound =
        Duration::from_millis(args.latency_ms) * (args.lines as u32) / (args.tenants.max(1) as u32);
    println!(
        "end-to-end  all {} completed {:>6.2} s after the first submit (bound with one line in flight per tenant: {:.2} s); createorder requests {}",
        total,
        e2e.as_secs_f64(),
        bound.as_secs_f64(),
        ppms.count("POST /pumapi/ createorder")
    );
    for relay in relays {
        relay.shutdown(Duration::from_secs(5)).await;
    }
}
