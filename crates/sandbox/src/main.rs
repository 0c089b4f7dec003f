//! `billing-sandbox`: serves the recorded Stratocore PPMS, Pax8 and Cloudspot APIs on a local
//! port for your application's tests. See `billing_sandbox::cli` for the options.

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "billing-sandbox",
    version,
    about = "Offline stand-in for the PPMS, Pax8 and Cloudspot APIs"
)]
struct Cli {
    #[command(flatten)]
    args: billing_sandbox::cli::Args,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("billing-sandbox: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(billing_sandbox::cli::run(cli.args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("billing-sandbox: {e}");
            ExitCode::from(2)
        }
    }
}
