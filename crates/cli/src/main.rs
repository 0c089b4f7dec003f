//! `billing`: query and export Stratocore PPMS, Pax8 and Cloudspot ERP from a shell.
//!
//! Tables on a terminal, `--json`, `--jsonl` or `--csv` for scripts, `--sandbox` to try every
//! command offline against the built-in sandbox. Exit codes: 0 ok, 1 usage, 2 credentials, 3 not
//! found, 4 vendor or network. Guide: `docs/cli.md`.

use std::process::ExitCode;

use clap::{Args, CommandFactory as _, Parser, Subcommand};

mod cloudspot_cmd;
mod config;
mod login;
mod output;
mod pax8_cmd;
mod ppms_cmd;

use output::Format;

const AFTER_HELP: &str = "\
Credentials come from the environment (PPMS_URL, PPMS_API_KEY; PAX8_CLIENT_ID,
PAX8_CLIENT_SECRET; CLOUDSPOT_TOKEN) or from a profile of the config file
$XDG_CONFIG_HOME/billing/config.toml (else ~/.config/billing/config.toml; mode 0600, one
[NAME] table per profile with keys ppms_url, ppms_api_key, pax8_client_id, pax8_client_secret,
cloudspot_token; --profile NAME, else [default] when the variables are unset), or what
`billing login VENDOR` stored in the OS keyring (`billing logout` removes it). Pax8 tokens
are cached between runs under the user cache folder. --sandbox needs none of this: it starts
the built-in offline sandbox and runs the command against it.

Exit codes: 0 ok, 1 usage, 2 credentials missing or refused, 3 not found, 4 vendor or
network error.";

/// Query and export Stratocore PPMS, Pax8 and Cloudspot ERP from a shell.
#[derive(Parser, Debug)]
#[command(name = "billing", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Args, Debug, Clone)]
struct Global {
    /// Run against the built-in offline sandbox (no credentials, no network).
    #[arg(long, global = true)]
    sandbox: bool,
    /// One JSON document (an array) on standard output.
    #[arg(long, global = true, group = "format")]
    json: bool,
    /// One JSON object per line, written as each item arrives (bounded memory).
    #[arg(long, global = true, group = "format")]
    jsonl: bool,
    /// CSV with a header line (the table's columns).
    #[arg(long, global = true, group = "format")]
    csv: bool,
    /// Credentials from this profile of the config file or of `billing login` (`billing --help`).
    #[arg(long, global = true, value_name = "NAME", env = "BILLING_PROFILE")]
    profile: Option<String>,
    /// No progress bars (they are only drawn when standard error is a terminal anyway).
    #[arg(long, short, global = true)]
    quiet: bool,
}

impl Global {
    fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else if self.jsonl {
            Format::Jsonl
        } else if self.csv {
            Format::Csv
        } else {
            Format::Table
        }
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Stratocore PPMS: users, systems, running sheet, orders, invoices.
    #[command(subcommand)]
    Ppms(ppms_cmd::PpmsCommand),
    /// Pax8: companies, subscriptions, orders, invoices, usage; orders checked or placed.
    #[command(subcommand)]
    Pax8(pax8_cmd::Pax8Command),
    /// Cloudspot ERP: articles (stock, prices), customers, categories.
    #[command(subcommand)]
    Cloudspot(cloudspot_cmd::CloudspotCommand),
    /// Stores a vendor's credentials in the OS keyring.
    ///
    /// Asked on the terminal (secrets without echo), or read one per line from standard input;
    /// stored under the profile of --profile (else `default`), never in the config file.
    Login {
        /// The vendor.
        vendor: login::VendorArg,
    },
    /// Removes the credentials `billing login` stored.
    ///
    /// Of one vendor, or all three; under the profile of --profile (else `default`).
    Logout {
        /// The vendor (all three when left out).
        vendor: Option<login::VendorArg>,
    },
    /// Prints a shell completion script.
    ///
    /// `billing completions bash > ~/.local/share/bash-completion/completions/billing`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// What went wrong, as an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    Usage = 1,
    Auth = 2,
    NotFound = 3,
    Vendor = 4,
}

/// A usage error found after parsing (a combination clap cannot express).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

/// Something asked for that does not exist, found client-side (an SKU no article has).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct NotFound(String);

fn classify<E: billing_http_core::SdkError>(e: &E) -> Exit {
    // no credentials at all (an unset environment variable) is an authentication problem
    let missing_credentials = e.core().and_then(|c| c.missing_env_var()).is_some();
    if e.is_auth() || missing_credentials {
        Exit::Auth
    } else if e.is_not_found() {
        Exit::NotFound
    } else if e.is_invalid_input() {
        Exit::Usage
    } else {
        Exit::Vendor
    }
}

/// A file named on the command line that cannot be read: exit code 3 when it does not
/// exist, 1 otherwise.
pub(crate) fn file_error(path: &std::path::Path, e: std::io::Error) -> anyhow::Error {
    let text = format!("cannot read {}: {e}", path.display());
    if e.kind() == std::io::ErrorKind::NotFound {
        NotFound(text).into()
    } else {
        UsageError(text).into()
    }
}

/// The exit code of an error: the vendor crates' predicates decide.
fn exit_of(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<ppms::Error>() {
            return classify(e);
        }
        if let Some(e) = cause.downcast_ref::<pax8::Error>() {
            return classify(e);
        }
        if let Some(e) = cause.downcast_ref::<cloudspot::Error>() {
            return classify(e);
        }
        if cause.is::<UsageError>() {
            return Exit::Usage;
        }
        if cause.is::<config::MissingCredential>() || cause.is::<login::KeyringError>() {
            return Exit::Auth;
        }
        if cause.is::<NotFound>() {
            return Exit::NotFound;
        }
    }
    Exit::Vendor
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|e| {
                matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

/// The error and its causes on one line, leaving out a cause whose text the line already
/// holds (the vendor errors repeat their source's message in their own).
fn message(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
        // a vendor error's text already tells its causes
        if cause.is::<ppms::Error>() || cause.is::<pax8::Error>() || cause.is::<cloudspot::Error>()
        {
            break;
        }
    }
    line
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap's own code for a usage error is 2; ours is 1 (2 is refused credentials)
            return if e.use_stderr() {
                ExitCode::from(Exit::Usage as u8)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("billing: cannot start the async runtime: {e}");
            return ExitCode::from(Exit::Vendor as u8);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("billing: {}", message(&e));
            ExitCode::from(exit_of(&e) as u8)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let g = cli.global;
    match cli.command {
        Command::Ppms(cmd) => ppms_cmd::run(cmd, &g).await,
        Command::Pax8(cmd) => pax8_cmd::run(cmd, &g).await,
        Command::Cloudspot(cmd) => cloudspot_cmd::run(cmd, &g).await,
        Command::Login { vendor } => {
            login::login(g.profile.as_deref().unwrap_or(config::DEFAULT), vendor)
        }
        Command::Logout { vendor } => {
            login::logout(g.profile.as_deref().unwrap_or(config::DEFAULT), vendor)
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "billing",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn client_side_errors_have_their_exit_codes() {
        let usage = anyhow::Error::new(UsageError("x".into())).context("ctx");
        assert_eq!(exit_of(&usage), Exit::Usage);
        let missing = anyhow::Error::new(NotFound("x".into()));
        assert_eq!(exit_of(&missing), Exit::NotFound);
        assert_eq!(exit_of(&anyhow::anyhow!("other")), Exit::Vendor);
    }
}
