//! `cargo xtask`: workspace automation.
//!
//! * `cargo xtask record --vendor <v> [--scenario <s>] [--base-url <url>] [--list]`: run the
//!   vendor's recording scenarios against a live (or sandbox) server, scrub, write cassettes.
//! * `cargo xtask check-fixtures`: offline check of every cassette (parses, no secrets, used).
//! * `cargo xtask fuzz [--seconds N] [--target T]`: run the fuzz targets of `fuzz/` (nightly,
//!   cargo-fuzz; see docs/reliability.md).
//! * `cargo xtask sandbox [--vendor <v>|all] [--port <p>] ...`: the `billing-sandbox` binary's
//!   command line (`billing_sandbox::cli`): serve the recordings, stable by default, and
//!   synthetic data until Ctrl-C.
//! * `cargo xtask relay-soak [--backend sqlite|postgres|both] [--quick] ...`: the order relay's
//!   processes under ERP faults and `SIGKILL`s; checks that no line is lost or billed twice
//!   (docs/relay.md, docs/benchmarks.md).
//! * `cargo xtask publish-check [--no-verify] [--allow-dirty]`: manifests, default builds
//!   without test machinery, and a packaging dry run of every publishable crate.
//!
//! See docs/fixtures.md.

mod check;
mod fuzz;
mod publish;
mod record;
mod report;
mod soak;
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
    /// Check every publishable crate for crates.io: manifests, default builds without the
    /// recording machinery, and `cargo package` of each crate alone (built from its .crate
    /// file against the others, in dependency order).
    PublishCheck(publish::PublishCheckArgs),
    /// Run every fuzz target of fuzz/ for a while (nightly + cargo-fuzz; docs/reliability.md).
    Fuzz(fuzz::FuzzArgs),
    /// Serve the recorded vendors (stable by default) and synthetic data until Ctrl-C: the
    /// same command line as the `billing-sandbox` binary.
    Sandbox(billing_sandbox::cli::Args),
    /// Soak the order relay: relay processes against PPMS stand-ins failing 20 % of the
    /// requests, SIGKILLed at random points; checks 0 duplicates and 0 lost lines (SQLite with
    /// one node, Postgres with two).
    RelaySoak(soak::SoakArgs),
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
        Command::PublishCheck(args) => publish::run(&root, args),
        Command::Fuzz(args) => fuzz::run(&root, args),
        Command::RelaySoak(args) => soak::run(&root, args),
        Command::Tour(args) => runtime().and_then(|rt| rt.block_on(tour::run(args))),
        Command::Sandbox(args) => runtime().and_then(|rt| rt.block_on(sandbox(args))),
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

async fn sandbox(args: billing_sandbox::cli::Args) -> anyhow::Result<ExitCode> {
    billing_sandbox::cli::run(args).await?;
    Ok(ExitCode::SUCCESS)
}
