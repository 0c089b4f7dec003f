//! The command line of the `billing-sandbox` binary, shared with `cargo xtask sandbox`.
//!
//! ```text
//! billing-sandbox [--vendor ppms|pax8|cloudspot|all] [--host 127.0.0.1] [--port 0]
//!                 [--fixtures DIR] [--mode stable|scripted] [--latency-ms 0] [--scale 100]
//!                 [--no-synthetic]
//! ```
//!
//! It prints one line per vendor, `<vendor>: <base URL>`, then serves until Ctrl-C (or
//! SIGTERM), and prints the request counts per route.

use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::{DEFAULT_SCALE, Error, Mode, Sandbox, SandboxBuilder, UnknownVendor, Vendor};

/// Which vendors to serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Vendors {
    /// One vendor, at the root of the listener.
    One(Vendor),
    /// Every vendor, each under `/<vendor>/`.
    All,
}

impl FromStr for Vendors {
    type Err = UnknownVendor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("all") {
            Ok(Vendors::All)
        } else {
            s.parse().map(Vendors::One)
        }
    }
}

/// The recording mode on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum ModeArg {
    /// The same, successful recording for a request, every time.
    Stable,
    /// Recordings in order: the first unused match, then the last again.
    Scripted,
}

/// The options of `billing-sandbox` (and `cargo xtask sandbox`).
#[derive(Clone, Debug, clap::Args)]
#[non_exhaustive]
pub struct Args {
    /// Vendor to serve: ppms, pax8, cloudspot, or all (each under /VENDOR/ on one port).
    #[arg(long, default_value = "all")]
    pub vendor: Vendors,
    /// Address to listen on (0.0.0.0 in a container).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port (0: an ephemeral one, printed at start).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Serve DIR/VENDOR/*.json instead of the embedded recordings; an error when DIR holds
    /// none for a vendor.
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
    /// Stable: the same successful recording for a request, every time. Scripted:
    /// recordings in order.
    #[arg(long, value_enum, default_value = "stable")]
    pub mode: ModeArg,
    /// Latency added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Size of the synthetic data sets (PPMS users; Pax8 orders = 5x, subscriptions = 2x,
    /// companies = x/10 + 1).
    #[arg(long, default_value_t = DEFAULT_SCALE)]
    pub scale: usize,
    /// Serve recordings only, no synthetic data.
    #[arg(long)]
    pub no_synthetic: bool,
}

impl Args {
    fn builder(&self, vendor: Vendor) -> Result<SandboxBuilder, Error> {
        let mut b = Sandbox::stable(vendor)
            .without_synthetic()
            .mode(match self.mode {
                ModeArg::Stable => Mode::Stable,
                ModeArg::Scripted => Mode::Scripted,
            })
            .host(self.host)
            .port(self.port)
            .latency(Duration::from_millis(self.latency_ms));
        if let Some(dir) = &self.fixtures {
            b = b.fixtures_dir(dir)?;
        }
        if !self.no_synthetic {
            for data in vendor.default_synthetic(self.scale) {
                b = b.synthetic(data);
            }
        }
        Ok(b)
    }

    /// Starts the sandboxes these options describe.
    pub async fn start(&self) -> Result<Vec<Sandbox>, Error> {
        match self.vendor {
            Vendors::One(v) => Ok(vec![self.builder(v)?.start().await?]),
            Vendors::All => {
                let builders = Vendor::ALL
                    .into_iter()
                    .map(|v| self.builder(v))
                    .collect::<Result<Vec<_>, _>>()?;
                Sandbox::start_together(builders).await
            }
        }
    }
}

/// Serves until Ctrl-C or SIGTERM: prints `<vendor>: <base URL>` per vendor, then the
/// request counts per route when stopped.
pub async fn run(args: Args) -> Result<(), Error> {
    let sandboxes = args.start().await?;
    let source = match &args.fixtures {
        Some(dir) => format!("recordings from {}", dir.display()),
        None => "embedded recordings".to_owned(),
    };
    let synthetic = if args.no_synthetic {
        String::new()
    } else {
        format!(" and synthetic data (scale {})", args.scale)
    };
    println!(
        "billing-sandbox {}: {:?} mode, {source}{synthetic}",
        env!("CARGO_PKG_VERSION"),
        args.mode
    );
    for sb in &sandboxes {
        println!("{}: {}", sb.vendor(), sb.url());
    }
    if sandboxes.iter().any(|sb| sb.vendor() == "pax8") {
        println!("(pax8 token URL: <pax8 base URL>token)");
    }
    println!("Ctrl-C to stop");
    stopped().await;
    println!("requests per route:");
    for sb in &sandboxes {
        for (route, n) in sb.counts() {
            println!("  {n:>6}  {} {route}", sb.vendor());
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C, or SIGTERM on Unix (`docker stop`).
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
