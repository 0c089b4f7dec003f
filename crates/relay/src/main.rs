//! `relay`: the order relay's command line.
//!
//! ```text
//! relay serve --config relay.toml     run the relay (SIGTERM / Ctrl-C: graceful shutdown)
//! relay check-config --config …       validate the configuration and resolve its credentials
//! relay gen-key                       a new random ingest key and the hash for the config
//! relay hash-key                      the hash of a key read from standard input
//!
//! relay health                        against a running relay (--url, RELAY_OPERATOR_KEY or
//! relay queue ls|clear|retry TENANT   --key-file; --json for the relay's JSON reply)
//! relay worker stop|start TENANT
//! relay reload TENANT
//! relay audit
//! ```

mod ops;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use billing_relay::config::Config;
use billing_relay::{Relay, api};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "relay",
    version,
    about = "Order relay: takes dispensed order lines over HTTP, stores them durably and pushes each exactly once into the tenant's billing system",
    after_help = "Configuration: TOML, every value overridable by RELAY__<PATH> environment variables \
                  (e.g. RELAY__TENANTS__WS_A__ACTIVE=false). See docs/relay.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the relay until SIGTERM or Ctrl-C.
    Serve {
        /// The configuration file.
        #[arg(long, short, value_name = "FILE", env = "RELAY_CONFIG")]
        config: PathBuf,
        /// Log format on standard error (the filter is RUST_LOG, default `info`).
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
        /// Time allowed for pushes in flight at shutdown.
        #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime_serde::re::humantime::parse_duration)]
        grace: Duration,
    },
    /// Validate the configuration and resolve every active tenant's credentials, then exit.
    CheckConfig {
        /// The configuration file.
        #[arg(long, short, value_name = "FILE", env = "RELAY_CONFIG")]
        config: PathBuf,
    },
    /// Copy every record of a stopped relay's SQLite file into an empty Postgres store (moving
    /// to Postgres; see docs/relay.md). All or nothing; refused while a relay uses the file.
    CopyStore {
        /// The SQLite store: `sqlite:///var/lib/relay/relay.db`.
        #[arg(long, value_name = "URL")]
        from: String,
        /// The Postgres database: `postgres://user@host/db` (the password in PGPASSWORD).
        #[arg(long, value_name = "URL")]
        to: String,
        /// The schema on Postgres (the nodes' `database.schema`), created if missing.
        #[arg(long)]
        schema: Option<String>,
    },
    /// Print a new random ingest key (give it to the dispensing system) and its SHA-256 (put
    /// it in `[ingest.clients.<name>] sha256`).
    GenKey,
    /// Read an ingest key from standard input and print its SHA-256 for the configuration.
    HashKey,
    /// A running relay's health: every tenant's worker state, counts and last error.
    Health {
        #[command(flatten)]
        target: ops::Target,
    },
    /// Inspect, clear or retry a tenant's queue on a running relay.
    Queue {
        #[command(subcommand)]
        command: ops::QueueCommand,
        #[command(flatten)]
        target: ops::Target,
    },
    /// Stop or start a tenant's worker on a running relay.
    Worker {
        #[command(subcommand)]
        command: ops::WorkerCommand,
        #[command(flatten)]
        target: ops::Target,
    },
    /// Read a tenant's configuration and credentials again on a running relay.
    Reload {
        /// The tenant.
        tenant: String,
        #[command(flatten)]
        target: ops::Target,
    },
    /// A running relay's audit log of management calls, oldest first.
    Audit {
        /// Only this tenant's records.
        #[arg(long)]
        tenant: Option<String>,
        /// Records after this id.
        #[arg(long)]
        after: Option<i64>,
        /// Records per page (1..=1000).
        #[arg(long)]
        limit: Option<u32>,
        #[command(flatten)]
        target: ops::Target,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            config,
            log_format,
            grace,
        } => {
            init_logs(log_format);
            runtime().and_then(|rt| rt.block_on(serve(config, grace)))
        }
        Command::CheckConfig { config } => runtime().and_then(|rt| rt.block_on(check(config))),
        Command::CopyStore { from, to, schema } => {
            runtime().and_then(|rt| rt.block_on(copy_store(from, to, schema)))
        }
        Command::GenKey => gen_key(),
        Command::HashKey => hash_key(),
        Command::Health { target } => operate(target, ops::Op::Health),
        Command::Queue { command, target } => operate(target, ops::Op::Queue(command)),
        Command::Worker { command, target } => operate(target, ops::Op::Worker(command)),
        Command::Reload { tenant, target } => operate(target, ops::Op::Reload(tenant)),
        Command::Audit {
            tenant,
            after,
            limit,
            target,
        } => operate(
            target,
            ops::Op::Audit {
                tenant,
                after,
                limit,
            },
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("relay: {e}");
            ExitCode::from(2)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

fn operate(target: ops::Target, op: ops::Op) -> Result<(), String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?
        .block_on(ops::run(target, op))
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn serve(path: PathBuf, grace: Duration) -> Result<(), String> {
    let config = Config::load(&path, std::env::vars()).map_err(|e| e.to_string())?;
    let relay = Relay::builder(config)
        .config_file(&path)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    // on standard output, for supervisors and tests: the address actually bound
    println!("{}{}", billing_relay::LISTENING, relay.url());
    shutdown_signal().await;
    tracing::info!("shutting down: no new claims, waiting up to {grace:?} for pushes in flight");
    relay.shutdown(grace).await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => futures::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = futures::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

async fn copy_store(from: String, to: String, schema: Option<String>) -> Result<(), String> {
    use billing_relay::store::{copy, postgres, sqlite};
    if !from.starts_with("sqlite:") {
        return Err("--from: an sqlite:// URL".into());
    }
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        return Err("--to: a postgres:// URL".into());
    }
    // opening would create a missing file: a mistyped path must not copy an empty store
    let file = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&from)
        .map_err(|e| format!("--from: {e}"))?
        .get_filename()
        .to_path_buf();
    if !file.is_file() {
        return Err(format!("--from: no database file at {}", file.display()));
    }
    let source = sqlite::SqliteStore::open(sqlite::SqliteOptions::new(from))
        .await
        .map_err(|e| e.to_string())?;
    let mut options = postgres::PgOptions::new(to);
    options.schema = schema;
    let target = postgres::PgStore::open(options)
        .await
        .map_err(|e| e.to_string())?;
    let report = copy::sqlite_to_postgres(&source, &target, |done, total| {
        eprint!("\rcopied {done} of {total} lines");
    })
    .await;
    eprintln!();
    let report = report.map_err(|e| e.to_string())?;
    println!(
        "copied {} lines, {} tenant states and {} audit records from {} to postgres",
        report.lines,
        report.tenant_states,
        report.audit,
        source.path().display()
    );
    Ok(())
}

async fn check(path: PathBuf) -> Result<(), String> {
    let config = Config::load(&path, std::env::vars()).map_err(|e| e.to_string())?;
    let clock: std::sync::Arc<dyn billing_relay::clock::Clock> =
        std::sync::Arc::new(billing_relay::clock::TokioClock);
    for (name, t) in &config.tenants {
        if !t.active {
            println!("{name}: inactive");
            continue;
        }
        let integration =
            billing_relay::integration::Integration::from_config(name, t, clock.clone())
                .await
                .map_err(|e| e.to_string())?;
        let caps = integration.adapter().capabilities();
        println!(
            "{name}: {} (check existing: {}, idempotency key honoured: {})",
            integration.adapter().kind(),
            caps.can_check_existing,
            caps.honours_idempotency_key
        );
    }
    println!(
        "configuration ok: {} tenants, {} ingest clients",
        config.tenants.len(),
        config.ingest.clients.len()
    );
    Ok(())
}

fn gen_key() -> Result<(), String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    let key = format!("rk_{}", hex::encode(bytes));
    println!("key:    {key}");
    println!("sha256: {}", api::hash_key(&key));
    Ok(())
}

fn hash_key() -> Result<(), String> {
    let mut key = String::new();
    std::io::stdin()
        .read_line(&mut key)
        .map_err(|e| format!("cannot read the key: {e}"))?;
    if key.trim().is_empty() {
        return Err("no key on standard input".into());
    }
    println!("{}", api::hash_key(&key));
    Ok(())
}
