//! `cargo xtask publish-check`: is every publishable crate ready for crates.io?
//!
//! 1. **Manifests** (`cargo metadata`): the workspace's publishable crates are exactly
//!    [`PUBLISHABLE`]; each has a description, a licence, a README that exists, at most five
//!    keywords, no placeholder `repository`, and docs.rs settings that leave the `recording`
//!    test machinery out of its documentation. The declared `rust-version` stays truthful for
//!    the dependencies: none of the locked packages, on any target, declares a newer one
//!    (clippy's `incompatible_msrv` lint, on by default and denied in CI, checks our own use
//!    of the standard library against it).
//! 2. **Default builds carry no test machinery** (`cargo tree -e normal`, which resolves
//!    features as a user's build does, without dev-dependencies): neither the vendor crate nor
//!    `billing-http-core` has its `recording` feature on, so the `cassette` module and the
//!    vendor's `recording` module are not compiled (both are `#[cfg(feature = "recording")]`).
//! 3. **Packaging** (`cargo package -p … -p …`): every publishable crate is packaged alone and,
//!    unless `--no-verify`, built from its `.crate` file with its default features and
//!    `-D warnings`, its workspace dependencies taken from the other packages (cargo ≥ 1.90
//!    serves them from a temporary local registry), in dependency order. This is `cargo publish --dry-run` minus the upload check against
//!    crates.io, which needs the dependencies to be published already.

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use serde_json::Value;

/// The crates published to crates.io, in dependency order.
pub const PUBLISHABLE: &[&str] = &[
    "billing-http-core",
    "ppms",
    "pax8",
    "cloudspot",
    "billing-sandbox",
];

/// The crates whose default build must not contain the recording machinery.
const NO_TEST_MACHINERY: &[&str] = &["billing-http-core", "ppms", "pax8", "cloudspot"];

/// Options of `cargo xtask publish-check`.
#[derive(clap::Args, Debug)]
pub struct PublishCheckArgs {
    /// Package without building each crate from its `.crate` file (fast; checks contents and
    /// manifests only).
    #[arg(long)]
    no_verify: bool,
    /// Package uncommitted changes too (otherwise a dirty work tree is refused).
    #[arg(long)]
    allow_dirty: bool,
}

/// Runs the three checks; stops at the first failing one.
pub fn run(root: &Path, args: PublishCheckArgs) -> anyhow::Result<ExitCode> {
    let metadata = cargo_json(root, &["metadata", "--format-version", "1"])?;
    let mut problems = manifest_problems(&metadata);
    problems.extend(msrv_problems(&metadata));
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("manifest: {p}");
        }
        bail!("{} manifest problem(s)", problems.len());
    }
    println!("manifests: ok ({})", PUBLISHABLE.join(", "));

    for krate in NO_TEST_MACHINERY {
        default_build_has_no_recording(root, krate)?;
    }
    println!(
        "default builds: no `recording` feature in {}",
        NO_TEST_MACHINERY.join(", ")
    );

    // A fresh target folder per run: cargo unpacks the packages of its temporary local
    // registry (`<target>/package/tmp-registry`) under CARGO_HOME, keyed by that registry's
    // path, and reuses an unpacked `name-version` folder from an earlier run even when the
    // package has changed since (our versions do not change between runs). A new path is a
    // new registry, so every run verifies what it just packaged.
    let target = root.join("target").join("publish-check").join(format!(
        "run-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    let mut cmd = Command::new(cargo());
    cmd.current_dir(root)
        .arg("package")
        .arg("--target-dir")
        .arg(&target);
    for krate in PUBLISHABLE {
        cmd.args(["-p", krate]);
    }
    if args.no_verify {
        cmd.arg("--no-verify");
    } else {
        // a crate's default build, as a user's program compiles it, has no warning
        // (dependencies' lints are capped by cargo: this concerns our crates only)
        cmd.env("RUSTFLAGS", "-D warnings");
    }
    if args.allow_dirty {
        cmd.arg("--allow-dirty");
    }
    println!("running {cmd:?}");
    let status = cmd.status().context("cannot run cargo package");
    // the packages and their verification builds are not needed afterwards
    let _ = std::fs::remove_dir_all(&target);
    if !status?.success() {
        bail!("cargo package failed");
    }
    println!("packaging: ok");
    Ok(ExitCode::SUCCESS)
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn cargo_output(root: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(cargo())
        .current_dir(root)
        .args(args)
        .output()
        .with_context(|| format!("cannot run cargo {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "cargo {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

fn cargo_json(root: &Path, args: &[&str]) -> anyhow::Result<Value> {
    Ok(serde_json::from_str(&cargo_output(root, args)?)?)
}

/// The workspace members among the packages of `cargo metadata`.
fn members(metadata: &Value) -> Vec<&Value> {
    let ids: Vec<&Value> = metadata["workspace_members"]
        .as_array()
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    metadata["packages"]
        .as_array()
        .map(|p| p.iter().filter(|p| ids.contains(&&p["id"])).collect())
        .unwrap_or_default()
}

/// `"1.88"` or `"1.88.0"` as comparable numbers.
fn rust_version(v: &Value) -> Option<Vec<u64>> {
    let parts: Option<Vec<u64>> = v.as_str()?.split('.').map(|n| n.parse().ok()).collect();
    parts.map(|mut p| {
        p.resize(3, 0);
        p
    })
}

/// Locked packages (any target, dev-dependencies included) that need a newer Rust than the
/// publishable crates declare.
fn msrv_problems(metadata: &Value) -> Vec<String> {
    let members = members(metadata);
    let Some(msrv) = members
        .iter()
        .filter(|p| p["name"].as_str().is_some_and(|n| PUBLISHABLE.contains(&n)))
        .filter_map(|p| rust_version(&p["rust_version"]))
        .min()
    else {
        return vec!["the publishable crates declare no `rust-version`".to_owned()];
    };
    let mut problems = Vec::new();
    for p in metadata["packages"].as_array().into_iter().flatten() {
        if let Some(needs) = rust_version(&p["rust_version"])
            && needs > msrv
        {
            problems.push(format!(
                "{} {} needs Rust {}, newer than the declared rust-version {}",
                p["name"].as_str().unwrap_or("?"),
                p["version"].as_str().unwrap_or("?"),
                p["rust_version"].as_str().unwrap_or("?"),
                msrv.iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(".")
            ));
        }
    }
    problems
}

/// Everything wrong with the publishable crates' manifests (empty when ready).
fn manifest_problems(metadata: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let members = members(metadata);
    // `publish = false` is an empty list of registries
    let publishable: Vec<&str> = members
        .iter()
        .filter(|p| p["publish"].as_array().is_none_or(|r| !r.is_empty()))
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in &publishable {
        if !PUBLISHABLE.contains(name) {
            problems.push(format!(
                "{name} would be published: add it to PUBLISHABLE or set `publish = false`"
            ));
        }
    }
    for name in PUBLISHABLE {
        let Some(p) = members.iter().find(|p| p["name"] == *name) else {
            problems.push(format!("{name} is not a workspace member"));
            continue;
        };
        if !publishable.contains(name) {
            problems.push(format!("{name} has `publish = false`"));
        }
        problems.extend(package_problems(name, p));
    }
    problems
}

fn package_problems(name: &str, p: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let text = |key: &str| p[key].as_str().filter(|s| !s.trim().is_empty());
    for key in ["description", "license"] {
        if text(key).is_none() {
            problems.push(format!("{name}: no `{key}`"));
        }
    }
    if let Some(repo) = text("repository")
        && (repo.contains("example") || !repo.starts_with("https://"))
    {
        problems.push(format!(
            "{name}: placeholder `repository` {repo:?} (omit the key until the real one exists)"
        ));
    }
    match text("readme") {
        None => problems.push(format!("{name}: no `readme`")),
        Some(readme) => {
            let dir = p["manifest_path"]
                .as_str()
                .map(Path::new)
                .and_then(Path::parent);
            if !dir.is_some_and(|d| d.join(readme).is_file()) {
                problems.push(format!("{name}: readme {readme} does not exist"));
            }
        }
    }
    if p["keywords"].as_array().is_some_and(|k| k.len() > 5) {
        problems.push(format!(
            "{name}: more than 5 keywords (crates.io refuses them)"
        ));
    }
    let docs_rs = &p["metadata"]["docs.rs"];
    if docs_rs["all-features"].as_bool() == Some(true) {
        problems.push(format!(
            "{name}: docs.rs all-features would document the `recording` test machinery; \
             list the features instead"
        ));
    }
    if docs_rs["features"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f == "recording"))
    {
        problems.push(format!("{name}: docs.rs features include `recording`"));
    }
    problems
}

/// Fails if a default build of `krate` (as a user's program builds it: normal dependencies
/// only) turns on the `recording` feature of itself or of `billing-http-core`.
fn default_build_has_no_recording(root: &Path, krate: &str) -> anyhow::Result<()> {
    let tree = cargo_output(
        root,
        &[
            "tree", "-p", krate, "-e", "normal", "--prefix", "none", "-f", "{p}|{f}",
        ],
    )?;
    let features = recording_on(&tree, &[krate, "billing-http-core"]);
    if !features.is_empty() {
        bail!(
            "a default build of {krate} compiles test machinery: `recording` is on for {}",
            features.join(", ")
        );
    }
    Ok(())
}

/// The packages among `names` whose line in `cargo tree -f "{p}|{f}"` output lists the
/// `recording` feature.
fn recording_on<'a>(tree: &str, names: &[&'a str]) -> Vec<&'a str> {
    let mut on: Vec<&str> = Vec::new();
    for line in tree.lines() {
        let Some((package, features)) = line.split_once('|') else {
            continue;
        };
        let package_name = package.split(' ').next().unwrap_or_default();
        let features = features.trim_end_matches(" (*)");
        if let Some(name) = names.iter().find(|n| **n == package_name)
            && features.split(',').any(|f| f == "recording")
            && !on.contains(name)
        {
            on.push(name);
        }
    }
    on
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_recording_feature_in_cargo_tree_output() {
        let tree = "ppms v0.1.0 (/w/crates/ppms)|default\n\
                    billing-http-core v0.1.0 (/w/crates/http-core)|default,recording\n\
                    billing-http-core v0.1.0 (/w/crates/http-core)|default,recording (*)\n\
                    serde v1.0.0|derive,recording\n";
        assert_eq!(
            recording_on(tree, &["ppms", "billing-http-core"]),
            vec!["billing-http-core"]
        );
        let clean = "ppms v0.1.0 (/w/crates/ppms)|default\n\
                     billing-http-core v0.1.0 (/w/crates/http-core)|default\n";
        assert!(recording_on(clean, &["ppms", "billing-http-core"]).is_empty());
    }

    #[test]
    fn a_dependency_needing_a_newer_rust_is_reported() {
        let metadata = serde_json::json!({
            "workspace_members": ["ppms-id"],
            "packages": [
                {"id": "ppms-id", "name": "ppms", "version": "0.1.0", "rust_version": "1.89"},
                {"id": "a", "name": "old", "version": "1.0.0", "rust_version": "1.85.0"},
                {"id": "b", "name": "same", "version": "1.0.0", "rust_version": "1.89.0"},
                {"id": "c", "name": "newer", "version": "2.0.0", "rust_version": "1.90"},
                {"id": "d", "name": "none", "version": "1.0.0", "rust_version": null},
            ],
        });
        let problems = msrv_problems(&metadata);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("newer 2.0.0 needs Rust 1.90"),
            "{problems:?}"
        );
    }

    #[test]
    fn placeholder_repository_and_all_features_docs_are_refused() {
        let p = serde_json::json!({
            "name": "ppms",
            "description": "d",
            "license": "MIT",
            "repository": "https://github.com/example/billing-sdk",
            "readme": null,
            "keywords": ["a", "b", "c", "d", "e", "f"],
            "metadata": {"docs.rs": {"all-features": true}},
            "manifest_path": "/nowhere/Cargo.toml",
        });
        let problems = package_problems("ppms", &p).join("\n");
        assert!(problems.contains("placeholder `repository`"), "{problems}");
        assert!(problems.contains("no `readme`"), "{problems}");
        assert!(problems.contains("more than 5 keywords"), "{problems}");
        assert!(problems.contains("all-features"), "{problems}");
    }
}
