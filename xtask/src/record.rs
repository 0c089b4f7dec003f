//! `cargo xtask record`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use billing_http_core::ExposeSecret;
use billing_http_core::cassette::{Cassette, Interaction, Vars, VendorRecording};
use billing_http_core::transport::{ReqwestTransport, Transport, TransportConfig};

use crate::vendors;

#[derive(clap::Args)]
pub struct RecordArgs {
    /// Vendor: ppms, pax8 or cloudspot.
    #[arg(long)]
    pub vendor: String,
    /// Only this scenario (default: all).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Base URL (default: the vendor base URL variable such as PAX8_BASE_URL, then its default).
    #[arg(long)]
    pub base_url: Option<String>,
    /// List the vendor's scenarios and environment variables, record nothing.
    #[arg(long)]
    pub list: bool,
    /// Record and compare with the committed cassettes, write nothing; fail if any differ.
    #[arg(long)]
    pub check: bool,
    /// Record each scenario against an in-process sandbox serving only its committed
    /// cassette (checks that recording reproduces the committed fixtures; use with --check).
    #[arg(long, conflicts_with = "base_url")]
    pub sandbox: bool,
    /// Write cassettes here instead of fixtures/VENDOR/ (default: `$FIXTURES_DIR/VENDOR` when
    /// `FIXTURES_DIR` is set, the same variable that tests read fixtures from).
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
}

fn is_loopback(base_url: &str) -> bool {
    url::Url::parse(base_url)
        .ok()
        .and_then(|u| {
            u.host().map(|h| match h {
                url::Host::Domain(d) => d == "localhost",
                url::Host::Ipv4(ip) => ip.is_loopback(),
                url::Host::Ipv6(ip) => ip.is_loopback(),
            })
        })
        .unwrap_or(false)
}

fn list(rec: &VendorRecording) {
    println!("vendor {}", rec.vendor);
    if let Some(var) = rec.base_url_var {
        println!(
            "  base URL: ${var}{}",
            rec.default_base_url
                .map(|d| format!(" (default {d})"))
                .unwrap_or_else(|| " (required)".to_owned())
        );
    }
    println!("  environment:");
    for v in &rec.credentials {
        println!(
            "    {:<24} {}{}{}",
            v.name,
            v.help,
            if v.secret { ", secret" } else { "" },
            if v.required { "" } else { ", optional" }
        );
    }
    println!("  scenarios:");
    for s in rec.scenarios() {
        println!("    {:<32} {}", s.name(), s.description());
    }
}

/// `true` if scrubbing the committed cassette makes it equal to the new recording.
fn same_after_scrubbing(old: &Cassette, new: &Cassette, rec: &VendorRecording) -> bool {
    let mut scrubbed = old.clone();
    rec.scrub.scrub(&mut scrubbed, &[]);
    scrubbed.same_interactions(new)
}

/// `+added -removed ~changed` between two interaction lists (compared by position).
pub fn diff_summary(old: &[Interaction], new: &[Interaction]) -> String {
    let common = old.len().min(new.len());
    let changed = (0..common).filter(|&i| old[i] != new[i]).count();
    let added = new.len().saturating_sub(old.len());
    let removed = old.len().saturating_sub(new.len());
    format!("+{added} -{removed} ~{changed}")
}

pub async fn run(root: &Path, args: RecordArgs) -> Result<ExitCode> {
    Ok(if record(root, args).await? == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs the command; returns how many scenarios failed (or differ, with `--check`).
pub async fn record(root: &Path, args: RecordArgs) -> Result<usize> {
    let mut rec = vendors::recording(&args.vendor)?;
    if args.list {
        list(&rec);
        return Ok(0);
    }
    if let Ok(salt) = std::env::var("FIXTURES_SCRUB_SALT") {
        rec.scrub = rec.scrub.clone().salt(&salt);
    }
    let scenarios: Vec<_> = match &args.scenario {
        Some(name) => match rec.find(name) {
            Some(s) => vec![s.clone()],
            None => bail!(
                "vendor {} has no scenario `{name}`; scenarios: {}",
                rec.vendor,
                rec.scenarios()
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        None => rec.scenarios().to_vec(),
    };
    let base_url = if args.sandbox {
        "http://127.0.0.1/".to_owned()
    } else {
        args.base_url
            .clone()
            .or_else(|| rec.base_url_var.and_then(|v| std::env::var(v).ok()))
            .or_else(|| rec.default_base_url.map(str::to_owned))
            .with_context(|| {
                format!(
                    "no base URL for {}: pass --base-url or set {}",
                    rec.vendor,
                    rec.base_url_var.unwrap_or("the vendor's base URL variable")
                )
            })?
    };
    let loopback = is_loopback(&base_url);
    let vars = Vars::from_lookup(&rec, |name| {
        std::env::var(name).ok().or_else(|| {
            if !loopback {
                return None;
            }
            rec.credentials
                .iter()
                .find(|v| v.name == name)
                .and_then(|v| v.sandbox_default())
        })
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if loopback {
        println!(
            "recording against a loopback server; unset credentials take their sandbox values"
        );
    }
    let known: Vec<_> = vars.secret_values();
    let known: Vec<&str> = known.iter().map(|s| s.expose_secret()).collect();
    let transport: Arc<dyn Transport> = Arc::new(
        ReqwestTransport::new(&TransportConfig::default())
            .map_err(|e| anyhow::anyhow!("cannot build http transport: {e}"))?,
    );
    let committed = root.join("fixtures").join(rec.vendor);
    let dir = args
        .out_dir
        .clone()
        .or_else(|| std::env::var_os("FIXTURES_DIR").map(|d| PathBuf::from(d).join(rec.vendor)))
        .unwrap_or_else(|| committed.clone());
    let total = scenarios.len();
    let mut summary = Vec::new();
    let mut failed = 0;
    for (i, scenario) in scenarios.iter().enumerate() {
        println!(
            "[{}/{total}] {}/{}: {}",
            i + 1,
            rec.vendor,
            scenario.name(),
            scenario.description()
        );
        let observer: billing_http_core::cassette::RecordObserver =
            Arc::new(|line: &str| println!("      {line}"));
        // With --sandbox, a sandbox serving only this scenario's committed cassette stands in
        // for the live server (so scenarios that repeat a request see their own answers).
        let mut local = None;
        let target = if args.sandbox {
            let file = committed.join(format!("{}.json", scenario.name()));
            let mut builder =
                billing_sandbox::Sandbox::builder(rec.vendor).scrub_config(rec.scrub.clone());
            if file.exists() {
                builder = builder.with_cassette(Cassette::load(&file)?);
            }
            let sb = builder.start().await?;
            let url = sb.url();
            local = Some(sb);
            url
        } else {
            base_url.clone()
        };
        let result = scenario
            .record(&rec, &target, transport.clone(), &vars, Some(observer))
            .await;
        let misses = local.as_ref().map(|sb| sb.misses()).unwrap_or_default();
        drop(local);
        let cassette = match result {
            Ok(c) => c,
            Err(e) => {
                failed += 1;
                println!("      FAILED: {e}");
                if let Some(miss) = misses.first() {
                    println!("      first request the committed cassette does not hold: {miss}");
                }
                summary.push(format!("  failed     {}", scenario.name()));
                continue;
            }
        };
        if let Some(why) = misses.first() {
            failed += 1;
            println!(
                "      FAILED: the scenario made a request its committed cassette does not hold: {}",
                why.lines().next().unwrap_or("").trim()
            );
            summary.push(format!("  failed     {}", scenario.name()));
            continue;
        }
        let file = format!("{}.json", scenario.name());
        let path = dir.join(&file);
        let old_path = if path.exists() {
            path.clone()
        } else {
            committed.join(&file)
        };
        let old = old_path
            .exists()
            .then(|| Cassette::load(&old_path))
            .transpose();
        let status = match old {
            Ok(Some(old)) if old.same_interactions(&cassette) => "unchanged".to_owned(),
            Ok(Some(old)) if args.check && same_after_scrubbing(&old, &cassette, &rec) => {
                println!(
                    "      note: equal once the committed cassette is scrubbed; it holds values \
                     the scrubber would pseudonymise (mark invented ones with ScrubConfig::keep_value)"
                );
                "unchanged (after scrubbing)".to_owned()
            }
            Ok(old) if args.check => {
                failed += 1;
                let what = match old {
                    Some(old) => format!(
                        "differs ({})",
                        diff_summary(&old.interactions, &cassette.interactions)
                    ),
                    None => "missing".to_owned(),
                };
                println!(
                    "      {what}: run `cargo xtask record --vendor {} --scenario {}`",
                    rec.vendor,
                    scenario.name()
                );
                summary.push(format!("  {what} {}", scenario.name()));
                continue;
            }
            Ok(old) => {
                if let Err(e) = cassette.write_checked(&path, &rec.scrub, &known) {
                    failed += 1;
                    println!("      NOT WRITTEN: {e}");
                    summary.push(format!("  refused    {}", scenario.name()));
                    continue;
                }
                match old {
                    Some(old) => format!(
                        "updated    ({})",
                        diff_summary(&old.interactions, &cassette.interactions)
                    ),
                    None => "new       ".to_owned(),
                }
            }
            Err(e) => {
                failed += 1;
                println!("      existing cassette unreadable, not overwritten: {e}");
                summary.push(format!("  failed     {}", scenario.name()));
                continue;
            }
        };
        println!(
            "      {} interaction(s) -> {}",
            cassette.interactions.len(),
            path.strip_prefix(root).unwrap_or(&path).display()
        );
        summary.push(format!(
            "  {status} {} ({} interactions)",
            scenario.name(),
            cassette.interactions.len()
        ));
    }
    println!("summary for {}:", rec.vendor);
    for line in &summary {
        println!("{line}");
    }
    if failed > 0 {
        println!("{failed} scenario(s) failed");
    }
    Ok(failed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn args(vendor: &str, scenario: &str, out_dir: Option<PathBuf>) -> RecordArgs {
        RecordArgs {
            vendor: vendor.to_owned(),
            scenario: Some(scenario.to_owned()),
            base_url: None,
            list: false,
            check: true,
            sandbox: true,
            out_dir,
        }
    }

    /// The "done when": recording against a sandbox that stands in for the live
    /// server regenerates the committed cassette exactly.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn recording_against_a_sandbox_regenerates_committed_cassettes() {
        let root = crate::workspace_root();
        for (vendor, scenario) in [("cloudspot", "categories_list"), ("ppms", "getgroups")] {
            let failed = record(&root, args(vendor, scenario, None)).await.unwrap();
            assert_eq!(
                failed, 0,
                "{vendor}/{scenario} no longer records identically"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn check_reports_a_cassette_that_differs_from_the_recording() {
        let root = crate::workspace_root();
        let dir = tempfile::tempdir().unwrap();
        let committed = root.join("fixtures/cloudspot/categories_list.json");
        let mut cassette = Cassette::load(&committed).unwrap();
        cassette.interactions[0].response.status = 500;
        cassette
            .write_unchecked(dir.path().join("categories_list.json"))
            .unwrap();
        let failed = record(
            &root,
            args("cloudspot", "categories_list", Some(dir.path().to_owned())),
        )
        .await
        .unwrap();
        assert_eq!(failed, 1);
    }

    #[test]
    fn diff_summary_counts_added_removed_and_changed() {
        let mut c =
            Cassette::load(crate::workspace_root().join("fixtures/cloudspot/categories_list.json"))
                .unwrap();
        let old = c.interactions.clone();
        c.interactions[0].response.status = 503;
        c.interactions.push(c.interactions[0].clone());
        assert_eq!(diff_summary(&old, &c.interactions), "+1 -0 ~1");
        assert_eq!(diff_summary(&c.interactions, &old), "+0 -1 ~1");
    }
}
