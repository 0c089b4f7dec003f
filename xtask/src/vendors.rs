//! The vendors xtask knows, and which of them are wired for recording.
//!
//! A vendor is wired once its crate has a `recording` module with
//! `pub fn recording() -> billing_http_core::cassette::VendorRecording` (see docs/fixtures.md, "For
//! vendor crates"). To wire one: add the crate to xtask/Cargo.toml and replace its
//! `not_wired` arm below with `Ok(<crate>::recording::recording())`.

use anyhow::{Result, bail};
use billing_http_core::cassette::{ScrubConfig, VendorRecording};

/// Every vendor of the workspace.
pub const VENDORS: &[&str] = &["ppms", "pax8", "cloudspot"];

fn not_wired(vendor: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "vendor `{vendor}` is not wired into xtask yet: crates/{vendor} has no \
         `recording::recording()` declaring its scenarios (see docs/fixtures.md, \
         \"For vendor crates\")"
    )
}

/// Checks that `vendor` is known.
pub fn check_known(vendor: &str) -> Result<()> {
    if VENDORS.contains(&vendor) {
        Ok(())
    } else {
        bail!(
            "unknown vendor `{vendor}`; known vendors: {}",
            VENDORS.join(", ")
        )
    }
}

/// The vendor's recording setup.
pub fn recording(vendor: &str) -> Result<VendorRecording> {
    check_known(vendor)?;
    match vendor {
        "ppms" => Ok(ppms::recording::recording()),
        "pax8" => Ok(pax8::recording::recording()),
        "cloudspot" => Ok(cloudspot::recording::recording()),
        other => Err(not_wired(other)),
    }
}

/// The vendor's scrub config, or the shared defaults for a vendor not wired yet.
pub fn scrub_config(vendor: &str) -> ScrubConfig {
    recording(vendor)
        .map(|r| r.scrub)
        .unwrap_or_else(|_| ScrubConfig::new())
}
