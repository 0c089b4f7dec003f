//! `billing login` / `billing logout`: a vendor's credentials in the OS keyring (never in the
//! config file), through the SDK's keyring entry (`billing_http_core::auth::store::keyring`:
//! Linux kernel keyutils, macOS Keychain, Windows Credential Manager).
//!
//! One entry per profile and vendor: service `billing-cli`, user `<profile>:<vendor>`, holding
//! the vendor's keys of a [`Profile`] as JSON. Read after the environment and the config file
//! (see [`crate::config`]). No keyring on the machine: `login` and `logout` fail with a clear
//! message (exit code 2); the other commands then simply find nothing there.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use billing_http_core::auth::store::keyring::entry;
use clap::ValueEnum;

use crate::config::{MissingCredential, Profile};

/// The keyring service of the CLI's entries.
const SERVICE: &str = "billing-cli";

/// A vendor whose credentials `billing login` stores.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorArg {
    /// Stratocore PPMS: site URL and API key.
    Ppms,
    /// Pax8: client id and client secret.
    Pax8,
    /// Cloudspot ERP: API token.
    Cloudspot,
}

impl VendorArg {
    /// The vendor's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            VendorArg::Ppms => "ppms",
            VendorArg::Pax8 => "pax8",
            VendorArg::Cloudspot => "cloudspot",
        }
    }
}

/// The keyring could not be used (exit code 2: credentials cannot be stored or read).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyringError(String);

fn keyring_entry(profile: &str, vendor: VendorArg) -> Result<keyring_core::Entry, KeyringError> {
    entry(SERVICE, &format!("{profile}:{}", vendor.name()))
        .map_err(|e| KeyringError(format!("no usable OS keyring on this machine: {e}")))
}

/// The credentials `billing login` stored for `vendor` under `profile`; `None` when there are
/// none or no keyring is available.
pub fn stored(profile: &str, vendor: VendorArg) -> Option<Profile> {
    let json = keyring_entry(profile, vendor).ok()?.get_password().ok()?;
    serde_json::from_str(&json).ok()
}

/// `billing login VENDOR`: asks for the credentials (secrets without echo on a terminal; one
/// per line from standard input otherwise) and stores them in the OS keyring.
pub fn login(profile: &str, vendor: VendorArg) -> anyhow::Result<()> {
    let entry = keyring_entry(profile, vendor)?;
    let mut p = Profile::default();
    match vendor {
        VendorArg::Ppms => {
            p.ppms_url = Some(ask("PPMS site URL", false)?);
            p.ppms_api_key = Some(ask("PPMS API key", true)?);
        }
        VendorArg::Pax8 => {
            p.pax8_client_id = Some(ask("Pax8 client id", false)?);
            p.pax8_client_secret = Some(ask("Pax8 client secret", true)?);
        }
        VendorArg::Cloudspot => {
            p.cloudspot_token = Some(ask("Cloudspot API token", true)?);
        }
    }
    let json = serde_json::to_string(&p)?;
    entry.set_password(&json).map_err(|e| {
        KeyringError(format!(
            "cannot store the credentials in the OS keyring: {e}"
        ))
    })?;
    eprintln!(
        "stored the {} credentials of profile {profile:?} in the OS keyring",
        vendor.name()
    );
    Ok(())
}

/// `billing logout [VENDOR]`: removes the stored credentials (every vendor's without one).
pub fn logout(profile: &str, vendor: Option<VendorArg>) -> anyhow::Result<()> {
    let vendors = match vendor {
        Some(v) => vec![v],
        None => VendorArg::value_variants().to_vec(),
    };
    for v in vendors {
        match keyring_entry(profile, v)?.delete_credential() {
            Ok(()) => eprintln!(
                "removed the {} credentials of profile {profile:?}",
                v.name()
            ),
            Err(keyring_core::Error::NoEntry) => {}
            Err(e) => {
                return Err(KeyringError(format!(
                    "cannot remove the {} credentials from the OS keyring: {e}",
                    v.name()
                ))
                .into());
            }
        }
    }
    Ok(())
}

/// One answer: from the terminal (a secret without echo), else a line of standard input.
fn ask(what: &str, secret: bool) -> anyhow::Result<String> {
    let answer = if std::io::stdin().is_terminal() {
        if secret {
            rpassword::prompt_password(format!("{what}: "))?
        } else {
            eprint!("{what}: ");
            std::io::stderr().flush()?;
            read_line()?
        }
    } else {
        read_line()?
    };
    let answer = answer.trim().to_owned();
    if answer.is_empty() {
        return Err(MissingCredential(format!("no {what} given")).into());
    }
    Ok(answer)
}

fn read_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line)
}
