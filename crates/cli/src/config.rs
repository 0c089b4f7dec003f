//! Credentials: the environment variables the vendor crates' `from_env` read, or a profile of
//! the config file (`$XDG_CONFIG_HOME/billing/config.toml`, else
//! `~/.config/billing/config.toml`).
//!
//! ```toml
//! [default]                 # used when no --profile is given and the variables are unset
//! ppms_url = "https://ppms.example.org/pumapi/"
//! ppms_api_key = "…"
//!
//! [acme]                    # billing --profile acme …
//! pax8_client_id = "…"
//! pax8_client_secret = "…"
//! cloudspot_token = "…"
//! ```
//!
//! Which one: `--profile NAME` reads that profile of the file, else what `billing --profile
//! NAME login VENDOR` stored in the OS keyring (one must exist); without `--profile` the
//! environment wins when the vendor's required variables are set, else the file's `default`
//! profile when it has the vendor's keys, else the keyring's, else `from_env` reports the
//! missing variable. The file is
//! //! refused when its mode lets anyone but its owner read it (it holds secrets). Profiles are
//! never printed (no `Debug`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::login::{self, VendorArg};
use crate::{Global, UsageError};

/// One profile of the config file (or of a keyring entry `billing login` wrote). No `Debug`:
/// it holds secrets.
#[derive(Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// `PPMS_URL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ppms_url: Option<String>,
    /// `PPMS_API_KEY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ppms_api_key: Option<String>,
    /// `PAX8_CLIENT_ID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pax8_client_id: Option<String>,
    /// `PAX8_CLIENT_SECRET`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pax8_client_secret: Option<String>,
    /// `PAX8_BASE_URL` (optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pax8_base_url: Option<String>,
    /// `PAX8_TOKEN_URL` (optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pax8_token_url: Option<String>,
    /// `CLOUDSPOT_TOKEN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudspot_token: Option<String>,
    /// `CLOUDSPOT_BASE_URL` (optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudspot_base_url: Option<String>,
}

/// Credentials missing from a profile (exit code 2, like a missing variable).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MissingCredential(pub String);

/// Where a vendor's credentials come from.
pub enum Source {
    /// The vendor crate's `from_env`.
    Env,
    /// A profile of the config file, with its name.
    Profile(String, Box<Profile>),
}

impl Profile {
    /// A required key of the profile, or an error naming it.
    pub fn need(&self, profile: &str, key: &str, value: &Option<String>) -> anyhow::Result<String> {
        value
            .clone()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                MissingCredential(format!(
                    "profile {profile:?} of {} has no {key}",
                    path().map(|p| p.display().to_string()).unwrap_or_default()
                ))
                .into()
            })
    }
}

/// The config file's path: `$XDG_CONFIG_HOME/billing/config.toml`, else
/// `$HOME/.config/billing/config.toml`.
pub fn path() -> Option<PathBuf> {
    let non_empty = |v: &str| {
        std::env::var_os(v)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    non_empty("XDG_CONFIG_HOME")
        .or_else(|| non_empty("HOME").map(|h| h.join(".config")))
        .map(|dir| dir.join("billing").join("config.toml"))
}

/// Chooses the credentials of one vendor: `env` are its required variables, `has` tells
/// whether a profile holds its keys.
pub fn source(
    g: &Global,
    vendor: VendorArg,
    env: &[&str],
    has: impl Fn(&Profile) -> bool,
) -> anyhow::Result<Source> {
    if let Some(name) = &g.profile {
        let path = path();
        let from_file = match &path {
            Some(path) => read(path)?.and_then(|mut p| p.remove(name)),
            None => None,
        };
        let profile = from_file
            .or_else(|| login::stored(name, vendor))
            .ok_or_else(|| {
                UsageError(format!(
                    "no profile {name:?} in {} and no {v} credentials of that profile in the OS \
                     keyring (`billing --profile {name} login {v}`)",
                    path.map(|p| p.display().to_string())
                        .unwrap_or_else(|| "the config file".into()),
                    v = vendor.name(),
                ))
            })?;
        return Ok(Source::Profile(name.clone(), Box::new(profile)));
    }
    let env_set = env
        .iter()
        .all(|v| std::env::var(v).is_ok_and(|s| !s.trim().is_empty()));
    if env_set {
        return Ok(Source::Env);
    }
    let from_file = match path() {
        Some(path) => read(&path)?
            .and_then(|mut p| p.remove(DEFAULT))
            .filter(|p| has(p)),
        None => None,
    };
    match from_file.or_else(|| login::stored(DEFAULT, vendor).filter(|p| has(p))) {
        Some(p) => Ok(Source::Profile(DEFAULT.into(), Box::new(p))),
        None => Ok(Source::Env),
    }
}

/// The profile used without `--profile`.
pub const DEFAULT: &str = "default";

/// The profiles of the file at `path`; `None` when there is no file.
fn read(path: &Path) -> anyhow::Result<Option<BTreeMap<String, Profile>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(crate::file_error(path, e)),
    };
    check_mode(path)?;
    let profiles = toml::from_str(&text)
        // toml's message quotes the offending line, which may hold a secret: position only
        .map_err(|e| {
            UsageError(format!(
                "{} is not a valid config file{}",
                path.display(),
                e.span()
                    .map(|s| format!(" (at byte {})", s.start))
                    .unwrap_or_default()
            ))
        })?;
    Ok(Some(profiles))
}

/// Refuses a file others may read (it holds secrets), like ssh does with a private key.
#[cfg(unix)]
fn check_mode(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .map_err(|e| crate::file_error(path, e))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(UsageError(format!(
            "refusing to read {}: its mode {mode:04o} lets other users read the secrets in it; \
             run `chmod 600 {}`",
            path.display(),
            path.display()
        ))
        .into());
    }
    Ok(())
}

/// Windows: the file's ACL is the user profile's (not checked).
#[cfg(not(unix))]
fn check_mode(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_file_parses_into_profiles() -> anyhow::Result<()> {
        let p: BTreeMap<String, Profile> = toml::from_str(
            "[default]\nppms_url = \"https://p.example/pumapi/\"\nppms_api_key = \"k\"\n\
             [acme]\ncloudspot_token = \"t\"\n",
        )?;
        assert_eq!(
            p["default"].ppms_url.as_deref(),
            Some("https://p.example/pumapi/")
        );
        assert_eq!(p["acme"].cloudspot_token.as_deref(), Some("t"));
        assert!(
            p["acme"]
                .need("acme", "ppms_url", &p["acme"].ppms_url)
                .is_err()
        );
        Ok(())
    }

    #[test]
    fn a_misspelt_key_is_refused() {
        let r: Result<BTreeMap<String, Profile>, _> =
            toml::from_str("[default]\nppms_key = \"k\"\n");
        assert!(r.is_err());
    }
}
