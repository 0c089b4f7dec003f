//! `cargo xtask`: workspace automation.
//!
//! * `cargo xtask record --vendor <v> [--scenario <s>] [--base-url <url>] [--list]`: run the
//!   vendor's recording scenarios against a live (or sandbox) server, scrub, write cassettes.
//! * `cargo xtask check-fixtures`: offline check of every cassette (parses, no secrets, used).
//! * `cargo xtask sandbox --vendor <v> [--port <p>]`: serve a vendor's fixtures (and synthetic
//!   data) on 127.0.0.1 until Ctrl-C.
//!
//! See docs/fixtures.md.

mod check;
mod fuzz;
mod record;
mod tour;
mod vendors;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Workspace automation", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Record cassettes: run a vendor's scenarios, scrub, write fixtures/VENDOR/SCENARIO.json.
    Record(record::RecordArgs),
    /// Check every cassette offline: parses, contains no secret, is used by a test.
    CheckFixtures,
    /// A guided tour of all three vendor crates: offline against the sandbox, or live for the
    /// vendors whose credentials are set (PPMS_URL/PPMS_API_KEY, PAX8_CLIENT_ID/PAX8_CLIENT_SECRET,
    /// CLOUDSPOT_TOKEN); read-only unless --allow-writes.
    Tour(tour::TourArgs),
    /// Run every fuzz target of fuzz/ for a while (nightly + cargo-fuzz; docs/reliability.md).
    Fuzz(fuzz::FuzzArgs),
    /// Serve a vendor's fixtures and synthetic data on 127.0.0.1 until Ctrl-C.
    Sandbox {
        /// Vendor: ppms, pax8 or cloudspot.
        #[arg(long)]
        vendor: String,
        /// Port (default: an ephemeral one, printed at start).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Latency added to every answer, in milliseconds.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// Size of the synthetic data sets (PPMS users; Pax8 orders = 5x, subscriptions = 2x).
        #[arg(long, default_value_t = 1000)]
        scale: usize,
    },
}

/// The workspace root (xtask lives in `<root>/xtask`).
fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.command {
        Command::Record(args) => runtime().and_then(|rt| rt.block_on(record::run(&root, args))),
        Command::CheckFixtures => check::run(&root),
        Command::Fuzz(args) => fuzz::run(&root, args),
        Command::Tour(args) => runtime().and_then(|rt| rt.block_on(tour::run(args))),
        Command::Sandbox {
            vendor,
            port,
            latency_ms,
            scale,
        } => runtime().and_then(|rt| rt.block_on(serve(&vendor, port, latency_ms, scale))),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn serve(vendor: &str, port: u16, latency_ms: u64, scale: usize) -> anyhow::Result<ExitCode> {
    vendors::check_known(vendor)?;
    let mut builder = billing_sandbox::Sandbox::builder(vendor)
        .all_fixtures()?
        .scrub_config(vendors::scrub_config(vendor))
        .latency(std::time::Duration::from_millis(latency_ms))
        .port(port);
    for data in vendors::synthetic(vendor, scale) {
        builder = builder.synthetic(data);
    }
    let sb = builder.start().await?;
    println!("sandbox for {vendor} listening on {}", sb.url());
    println!(
        "serving fixtures/{vendor}/*.json{}; Ctrl-C to stop",
        if vendors::synthetic(vendor, 1).is_empty() {
            String::new()
        } else {
            format!(" and synthetic data (scale {scale})")
        }
    );
    tokio::signal::ctrl_c().await?;
    println!("requests per route:");
    for (route, n) in sb.counts() {
        println!("  {n:>6}  {route}");
    }
    sb.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
