//! `cargo xtask relay-soak`: the order relay under faults and `SIGKILL`s (issue 12 item 5).
//!
//! Real `relay` processes (the binary, built first) push to PPMS stand-ins
//! (`billing_relay::standin::PpmsErp`) behind fault proxies (`standin::FaultProxy`) that fail a
//! share of the ERP requests in three ways: reset before reading, commit then reset, commit
//! then answer 503. A driver submits the lines one at a time, in order, to a random live node,
//! with a share of resends of earlier lines, and resubmits whatever was not acknowledged (as
//! the dispensing side does). At random points it `SIGKILL`s a relay process and restarts it.
//! Then it waits for every accepted line to settle, stops the nodes, and checks the store and
//! the ERPs:
//!
//! * duplicates at the ERP: a line's marker in more than one order (must be 0);
//! * lost lines: accepted but neither `completed` nor `failed` with a reason, or `completed`
//!   without an order at the ERP (must be 0);
//! * `failed/outcome_unknown` (must be 0: the PPMS adapter can always check);
//! * orders at the ERP of lines the relay did not complete (must be 0: billed but shown as
//!   failed);
//! * each tenant's orders in the order its lines were accepted.
//!
//! SQLite runs one node (one process per file); Postgres runs two on one schema.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use billing_relay::model::Status;
use billing_relay::standin::{FaultCounts, FaultProxy, PpmsErp};
use clap::{Args, ValueEnum};
use tokio::io::AsyncBufReadExt as _;

/// The ingest key the driver uses (the relay keeps only its hash).
const INGEST_KEY: &str = "soak-ingest-key-0123456789abcdef";
/// The operator key the driver reads `/v1/health` with (from a 0600 file).
const OPERATOR_KEY: &str = "soak-operator-key-0123456789abcdef";
/// The PUMAPI key of the stand-ins, given to the relay by environment.
const PPMS_KEY: &str = "soak-ppms-key";
const PPMS_KEY_VAR: &str = "RELAY_SOAK_PPMS_KEY";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// One node on an SQLite file.
    Sqlite,
    /// Two nodes on one Postgres schema.
    Postgres,
    /// Both, one after the other.
    Both,
}

#[derive(Debug, Args)]
pub struct SoakArgs {
    /// Which store to soak.
    #[arg(long, value_enum, default_value = "both")]
    backend: Backend,
    /// Lines to submit (each once, plus the resends).
    #[arg(long, default_value_t = 1000)]
    lines: usize,
    /// Tenants the lines are spread over (one PPMS stand-in each).
    #[arg(long, default_value_t = 4)]
    tenants: usize,
    /// Share of submissions that resend an earlier line.
    #[arg(long, default_value_t = 0.10)]
    resends: f64,
    /// Share of ERP requests that fail (the three kinds equally often).
    #[arg(long, default_value_t = 0.20)]
    faults: f64,
    /// `SIGKILL`s of a relay process during the run (at least).
    #[arg(long, default_value_t = 6)]
    kills: usize,
    /// Seed of every random choice (kill points, resends, faults).
    #[arg(long, default_value_t = 12)]
    seed: u64,
    /// The reduced run of CI: 200 lines, 5 kills.
    #[arg(long)]
    quick: bool,
    /// Postgres database to create the soak's schema in (default: RELAY_SOAK_POSTGRES_URL,
    /// then RELAY_TEST_POSTGRES_URL).
    #[arg(long)]
    postgres_url: Option<String>,
    /// Give up waiting for the lines to settle after this many seconds.
    #[arg(long, default_value_t = 300)]
    settle_timeout: u64,
    /// The `relay` binary (default: built with `cargo build -p billing-relay --bin relay`).
    #[arg(long)]
    relay_bin: Option<PathBuf>,
}

pub fn run(root: &Path, mut args: SoakArgs) -> anyhow::Result<ExitCode> {
    if args.quick {
        args.lines = 200;
        args.kills = 5;
    }
    if args.lines == 0 || args.tenants == 0 {
        bail!("--lines and --tenants must be at least 1");
    }
    if !(0.0..=1.0).contains(&args.resends) || !(0.0..1.0).contains(&args.faults) {
        bail!("--resends must be within 0..=1 and --faults within 0..1");
    }
    let postgres_url = args
        .postgres_url
        .clone()
        .or_else(|| std::env::var("RELAY_SOAK_POSTGRES_URL").ok())
        .or_else(|| std::env::var("RELAY_TEST_POSTGRES_URL").ok());
    let backends: Vec<Backend> = match args.backend {
        Backend::Both => vec![Backend::Sqlite, Backend::Postgres],
        b => vec![b],
    };
    if backends.contains(&Backend::Postgres) && postgres_url.is_none() {
        bail!(
            "the Postgres soak needs a database: --postgres-url, RELAY_SOAK_POSTGRES_URL or \
             RELAY_TEST_POSTGRES_URL (or --backend sqlite)"
        );
    }
    let relay = match &args.relay_bin {
        Some(path) => path.clone(),
        None => build_relay(root)?,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut ok = true;
    for backend in backends {
        let report = rt.block_on(soak(&relay, &args, backend, postgres_url.as_deref()))?;
        report.print();
        ok &= report.passed();
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("relay soak: FAILED (see the figures above)");
        ExitCode::FAILURE
    })
}

/// Builds the relay binary and returns its path.
fn build_relay(root: &Path) -> anyhow::Result<PathBuf> {
    eprintln!("relay soak: building the relay (cargo build -p billing-relay --bin relay)");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "-p", "billing-relay", "--bin", "relay"])
        .current_dir(root)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building the relay failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("debug").join("relay");
    if !bin.exists() {
        bail!("no relay binary at {}", bin.display());
    }
    Ok(bin)
}

/// One relay process.
struct Node {
    child: Option<tokio::process::Child>,
    url: String,
    /// When a killed node is started again.
    restart_at: Option<Instant>,
}

/// What the driver needs to start nodes.
struct Fleet<'a> {
    relay: &'a Path,
    config: PathBuf,
    log: PathBuf,
    nodes: Vec<Node>,
    kills: usize,
}

impl Fleet<'_> {
    async fn spawn(&self) -> anyhow::Result<(tokio::process::Child, String)> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut child = tokio::process::Command::new(self.relay)
            .arg("serve")
            .arg("--config")
            .arg(&self.config)
            .env(PPMS_KEY_VAR, PPMS_KEY)
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", self.relay.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .context("the relay did not start within 60 s")??
            .context("the relay exited before listening (see its log)")?;
        let url = first
            .strip_prefix(billing_relay::LISTENING)
            .with_context(|| format!("unexpected first line {first:?}"))?
            .to_owned();
        Ok((child, url))
    }

    async fn start(&mut self, n: usize) -> anyhow::Result<()> {
        for _ in 0..n {
            let (child, url) = self.spawn().await?;
            self.nodes.push(Node {
                child: Some(child),
                url,
                restart_at: None,
            });
        }
        Ok(())
    }

    /// `SIGKILL`s node `i`; it is started again after `down`.
    async fn kill(&mut self, i: usize, down: Duration) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
            self.kills += 1;
            self.nodes[i].restart_at = Some(Instant::now() + down);
        }
    }

    /// Starts the nodes due again (or all of them with `all`).
    async fn restart_due(&mut self, all: bool) -> anyhow::Result<()> {
        for i in 0..self.nodes.len() {
            let due = self.nodes[i]
                .restart_at
                .is_some_and(|t| all || Instant::now() >= t);
            if due {
                let (child, url) = self.spawn().await?;
                self.nodes[i] = Node {
                    child: Some(child),
                    url,
                    restart_at: None,
                };
            }
        }
        Ok(())
    }

    fn live_urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| n.child.is_some())
            .map(|n| n.url.clone())
            .collect()
    }

    async fn stop_all(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
        }
    }
}

/// The soak's figures for one backend.
struct Report {
    title: String,
    submissions: usize,
    resends: usize,
    accepted: usize,
    not_accepted: usize,
    erp_holds: usize,
    duplicates: usize,
    lost: Vec<String>,
    outcome_unknown: usize,
    failed_by_code: BTreeMap<String, usize>,
    billed_not_completed: usize,
    order_kept: bool,
    faults: FaultCounts,
    kills: usize,
    kills_wanted: usize,
    wall: Duration,
    settle: Duration,
}

impl Report {
    fn passed(&self) -> bool {
        self.duplicates == 0
            && self.lost.is_empty()
            && self.outcome_unknown == 0
            && self.billed_not_completed == 0
            && self.not_accepted == 0
            && self.order_kept
            && self.kills >= self.kills_wanted
    }

    fn print(&self) {
        let f = &self.faults;
        let requests = f.forwarded + f.faults();
        let failed: usize = self.failed_by_code.values().sum();
        println!("\nrelay soak: {}", self.title);
        println!(
            "  submissions                 {} ({} resends of earlier lines)",
            self.submissions, self.resends
        );
        println!("  lines accepted              {}", self.accepted);
        println!(
            "  lines never acknowledged    {}   (must be 0)",
            self.not_accepted
        );
        println!("  lines the ERP holds         {}", self.erp_holds);
        println!(
            "  duplicates at the ERP       {}   (must be 0)",
            self.duplicates
        );
        println!(
            "  lost lines                  {}   (must be 0)",
            self.lost.len()
        );
        println!(
            "  failed/outcome_unknown      {}   (must be 0: the PPMS adapter checks)",
            self.outcome_unknown
        );
        println!(
            "  failed with a reason        {failed} {:?}",
            self.failed_by_code
        );
        println!(
            "  at the ERP, not completed   {}   (must be 0)",
            self.billed_not_completed
        );
        println!(
            "  per-tenant order kept       {}",
            if self.order_kept { "yes" } else { "NO" }
        );
        println!(
            "  ERP requests                {requests}, faults {} (reset before reading {}, \
             commit then reset {}, commit then 503 {})",
            f.faults(),
            f.refused_before_reading,
            f.reset_after_commit,
            f.unavailable_after_commit
        );
        println!(
            "  SIGKILLs                    {} (at least {})",
            self.kills, self.kills_wanted
        );
        println!(
            "  wall time                   {:.1} s ({:.1} s to settle after the last submission)",
            self.wall.as_secs_f64(),
            self.settle.as_secs_f64()
        );
        if !self.lost.is_empty() {
            let some: Vec<_> = self.lost.iter().take(10).collect();
            println!("  lost, first ones: {some:?}");
        }
        println!(
            "  verdict                     {}",
            if self.passed() { "ok" } else { "FAILED" }
        );
    }
}

fn unique_id(i: usize) -> String {
    format!("S-{i:06}")
}

fn tenant_name(t: usize) -> String {
    format!("soak{t}")
}

async fn soak(
    relay: &Path,
    args: &SoakArgs,
    backend: Backend,
    postgres_url: Option<&str>,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let dir = tempfile::tempdir()?;
    let mut rng = fastrand::Rng::with_seed(args.seed);
    let mut erps = Vec::new();
    let mut proxies = Vec::new();
    for t in 0..args.tenants {
        let erp = PpmsErp::start(PPMS_KEY).await?;
        let proxy = FaultProxy::start(&erp.url(), args.faults, args.seed + t as u64).await?;
        erps.push(erp);
        proxies.push(proxy);
    }
    let (database, nodes, title) = match backend {
        Backend::Postgres => {
            let url = postgres_url.context("no Postgres URL")?;
            // a schema of this run's own (not from the seed: a second run with the same
            // seed would find the first run's lines and push nothing)
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let schema = format!("relay_soak_{}_{nanos:08x}", std::process::id());
            (
                format!("url = \"{url}\"\nschema = \"{schema}\"\n"),
                2,
                format!("Postgres, 2 nodes (schema {schema})"),
            )
        }
        _ => {
            let db = dir.path().join("relay.db");
            (
                format!("url = \"sqlite://{}\"\n", db.display()),
                1,
                "SQLite, 1 node".to_owned(),
            )
        }
    };
    let operator_key = dir.path().join("operator.key");
    write_private(&operator_key, OPERATOR_KEY)?;
    let mut config = format!(
        "listen = \"127.0.0.1:0\"\n[database]\n{database}\n[leases]\nduration = \"2s\"\n\
         [operators.soak]\nkey = {{ file = \"{}\" }}\n\
         [ingest.clients.soak]\nsha256 = [\"{}\"]\ntenants = [\"*\"]\n",
        operator_key.display(),
        billing_relay::api::hash_key(INGEST_KEY)
    );
    for (t, proxy) in proxies.iter().enumerate() {
        config.push_str(&format!(
            "[tenants.{name}]\nerp = \"ppms\"\nrate_limit_per_second = 0\npush_timeout = \"5s\"\n\
             [tenants.{name}.retry]\nmax_attempts = 100\nmax_age = \"1h\"\ninitial_delay = \"20ms\"\nmax_delay = \"500ms\"\n\
             [tenants.{name}.outage]\nafter_failures = 5\nafter = \"2m\"\nprobe_every = \"200ms\"\n\
             [tenants.{name}.ppms]\nurl = \"{}\"\napi_key = {{ env = \"{PPMS_KEY_VAR}\" }}\ncase_is = \"login\"\n",
            proxy.url(),
            name = tenant_name(t),
        ));
    }
    // the driver reads the store with the relay's own configuration
    let parsed = billing_relay::config::Config::from_toml(&config, [])
        .map_err(|e| anyhow::anyhow!("the soak's relay configuration: {e}"))?;
    let config_path = dir.path().join("relay.toml");
    std::fs::write(&config_path, &config)?;
    let log = dir.path().join("relay.log");
    let mut fleet = Fleet {
        relay,
        config: config_path,
        log: log.clone(),
        nodes: Vec::new(),
        kills: 0,
    };
    fleet.start(nodes).await?;

    // the plan: every line once, in order, with resends of earlier lines in between, and the
    // kill points spread at random over it
    let mut plan = Vec::new();
    let mut resends = 0;
    for i in 0..args.lines {
        plan.push(i);
        if i > 0 && rng.f64() < args.resends {
            plan.push(rng.usize(0..i));
            resends += 1;
        }
    }
    let mut kill_points: Vec<usize> = (0..args.kills).map(|_| rng.usize(0..plan.len())).collect();
    kill_points.sort_unstable();

    let http = billing_http_core::TlsConfig::default()
        .reqwest_builder()?
        .timeout(Duration::from_secs(10))
        .build()?;
    let progress = indicatif::ProgressBar::new(plan.len() as u64);
    progress.set_style(
        indicatif::ProgressStyle::with_template("  {msg} [{bar:30}] {pos}/{len} submissions")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    progress.set_message(title.clone());
    let mut accepted = BTreeSet::new();
    let mut not_accepted = 0;
    let mut next_kill = 0;
    for (step, &i) in plan.iter().enumerate() {
        fleet.restart_due(false).await?;
        while next_kill < kill_points.len() && kill_points[next_kill] <= step {
            next_kill += 1;
            // a short random moment, so that kills land inside pushes and commits too
            tokio::time::sleep(Duration::from_millis(rng.u64(0..30))).await;
            if fleet.live_urls().is_empty() {
                fleet.restart_due(true).await?;
            }
            let live: Vec<usize> = (0..fleet.nodes.len())
                .filter(|&n| fleet.nodes[n].child.is_some())
                .collect();
            if !live.is_empty() {
                let victim = live[rng.usize(0..live.len())];
                let down = Duration::from_millis(rng.u64(0..1500));
                fleet.kill(victim, down).await;
            }
        }
        if submit(&http, &mut fleet, &mut rng, i, args.tenants).await? {
            accepted.insert(i);
        } else if !accepted.contains(&i) {
            not_accepted += 1;
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    fleet.restart_due(true).await?;
    let submitted = Instant::now();

    // wait until nothing is left to push, asking a node's /v1/health (an SQLite file is one
    // process's)
    let deadline = submitted + Duration::from_secs(args.settle_timeout);
    while Instant::now() < deadline {
        if let Some(0) = open_lines(&http, &fleet.live_urls()).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let settle = submitted.elapsed();
    fleet.stop_all().await;
    let store = billing_relay::store::open(&parsed.database)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the store: {e}"))?;

    // the relay's account of every accepted line
    let mut lost = Vec::new();
    let mut outcome_unknown = 0;
    let mut failed_by_code = BTreeMap::new();
    let mut completed = HashSet::new();
    for &i in &accepted {
        let tenant = tenant_name(i % args.tenants);
        let id = unique_id(i);
        let line = store
            .get_line(&tenant, &id)
            .await
            .map_err(|e| anyhow::anyhow!("get_line: {e}"))?;
        match line {
            Some(l) if l.status == Status::Completed => {
                completed.insert(format!("{tenant}/{id}"));
            }
            Some(l) if l.status == Status::Failed && l.reason_code.is_some() => {
                let code = l.reason_code.unwrap_or_default();
                if code == "outcome_unknown" {
                    outcome_unknown += 1;
                }
                *failed_by_code.entry(code).or_insert(0) += 1;
            }
            _ => lost.push(format!("{tenant}/{id}")),
        }
    }
    store.close().await;

    // the ERPs' account: orders per marker, in creation order
    let mut erp_holds = 0;
    let mut duplicates = 0;
    let mut billed_not_completed = 0;
    let mut order_kept = true;
    let mut at_erp: HashMap<String, usize> = HashMap::new();
    for (t, erp) in erps.iter().enumerate() {
        let prefix = format!("relay/{}/", tenant_name(t));
        let mut last = None;
        for comment in erp.staff_comments() {
            for token in comment.split_whitespace() {
                let Some(id) = token.strip_prefix(&prefix) else {
                    continue;
                };
                let key = format!("{}/{id}", tenant_name(t));
                let n = at_erp.entry(key).or_insert(0);
                *n += 1;
                if *n == 1 {
                    let index: Option<usize> = id.strip_prefix("S-").and_then(|d| d.parse().ok());
                    if index <= last {
                        order_kept = false;
                    }
                    last = index;
                }
            }
        }
    }
    for (key, n) in &at_erp {
        erp_holds += 1;
        if *n > 1 {
            duplicates += 1;
        }
        if !completed.contains(key) {
            billed_not_completed += 1;
        }
    }
    for key in &completed {
        if !at_erp.contains_key(key) {
            lost.push(format!("{key} (completed, no order at the ERP)"));
        }
    }
    let mut faults = FaultCounts::default();
    for p in &proxies {
        let c = p.counts();
        faults.forwarded += c.forwarded;
        faults.refused_before_reading += c.refused_before_reading;
        faults.reset_after_commit += c.reset_after_commit;
        faults.unavailable_after_commit += c.unavailable_after_commit;
    }
    let report = Report {
        title: format!(
            "{title}: {} lines over {} tenants, {:.0} % ERP faults",
            args.lines,
            args.tenants,
            args.faults * 100.0
        ),
        submissions: plan.len(),
        resends,
        accepted: accepted.len(),
        not_accepted,
        erp_holds,
        duplicates,
        lost,
        outcome_unknown,
        failed_by_code,
        billed_not_completed,
        order_kept,
        faults,
        kills: fleet.kills,
        kills_wanted: args.kills,
        wall: started.elapsed(),
        settle,
    };
    if !report.passed() {
        let keep = std::env::temp_dir().join(format!("relay-soak-{}.log", std::process::id()));
        if std::fs::copy(&log, &keep).is_ok() {
            eprintln!("relay soak: the relays' log is kept at {}", keep.display());
        }
    }
    Ok(report)
}

/// Lines `received` or `processing` over every tenant, by the first node that answers
/// `/v1/health`.
async fn open_lines(http: &reqwest::Client, urls: &[String]) -> Option<u64> {
    for url in urls {
        let reply = http
            .get(format!("{url}/v1/health"))
            .bearer_auth(OPERATOR_KEY)
            .send()
            .await;
        let Ok(reply) = reply else { continue };
        let Ok(health) = reply.json::<serde_json::Value>().await else {
            continue;
        };
        let tenants = health.get("tenants")?.as_object()?;
        let mut open = 0;
        for t in tenants.values() {
            let counts = t.get("counts")?;
            for status in ["received", "processing"] {
                open += counts.get(status)?.as_u64()?;
            }
        }
        return Some(open);
    }
    None
}

/// Writes a file only its owner may read (the relay refuses key files others can read).
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, text)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// Submits line `i` until a node acknowledges it (as the dispensing side resends), restarting
/// killed nodes as they come due. `false` when no node took it within a minute.
async fn submit(
    http: &reqwest::Client,
    fleet: &mut Fleet<'_>,
    rng: &mut fastrand::Rng,
    i: usize,
    tenants: usize,
) -> anyhow::Result<bool> {
    let tenant = tenant_name(i % tenants);
    let body = serde_json::json!({
        "unique_id": unique_id(i),
        "case_nr": "soak-user",
        "product_nr": "112",
        "product_amount": format!("{}.5", i % 7 + 1).parse::<f64>().unwrap_or(1.5),
    });
    let give_up = Instant::now() + Duration::from_secs(60);
    while Instant::now() < give_up {
        let urls = fleet.live_urls();
        if urls.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
            fleet.restart_due(false).await?;
            continue;
        }
        let url = &urls[rng.usize(0..urls.len())];
        let reply = http
            .post(format!("{url}/v1/tenants/{tenant}/order-lines"))
            .bearer_auth(INGEST_KEY)
            .json(&body)
            .send()
            .await;
        match reply {
            Ok(r) if matches!(r.status().as_u16(), 200 | 202) => return Ok(true),
            Ok(r) if r.status().is_client_error() => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                bail!("line {i} refused with {status}: {text}");
            }
            // a node going down or a 5xx: the dispensing side tries again
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
        fleet.restart_due(false).await?;
    }
    Ok(false)
}
