//! `cargo xtask fuzz`: runs every fuzz target of `fuzz/` for a while.
//!
//! The targets live in `fuzz/fuzz_targets/` (the cargo-fuzz layout; `fuzz/` is its own
//! workspace, outside this one). They need the nightly toolchain and cargo-fuzz:
//! `rustup toolchain install nightly && cargo install cargo-fuzz`. Each target runs with the
//! committed seeds (`fuzz/seeds/<target>`, read only) and a working corpus
//! (`fuzz/corpus/<target>`, not committed); a crash leaves its input in
//! `fuzz/artifacts/<target>/` and makes the command fail after the other targets have run.
//! See docs/reliability.md.

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

/// Arguments of `cargo xtask fuzz`.
#[derive(clap::Args)]
pub struct FuzzArgs {
    /// Seconds of fuzzing per target.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Run only this target (repeatable); default: every target.
    #[arg(long = "target")]
    targets: Vec<String>,
    /// List the targets and exit.
    #[arg(long)]
    list: bool,
}

/// The fuzz targets: the file stems of `fuzz/fuzz_targets/*.rs`, sorted.
fn targets(fuzz_dir: &Path) -> anyhow::Result<Vec<String>> {
    let dir = fuzz_dir.join("fuzz_targets");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            out.push(stem.to_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// `cargo +nightly fuzz …` in `fuzz_dir`.
fn cargo_fuzz(fuzz_dir: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(fuzz_dir).args(["+nightly", "fuzz"]);
    cmd
}

/// Runs `cargo xtask fuzz`.
pub fn run(root: &Path, args: FuzzArgs) -> anyhow::Result<ExitCode> {
    let fuzz_dir = root.join("fuzz");
    let all = targets(&fuzz_dir)?;
    if args.list {
        for t in &all {
            println!("{t}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let chosen = if args.targets.is_empty() {
        all.clone()
    } else {
        for t in &args.targets {
            if !all.contains(t) {
                bail!("unknown fuzz target {t:?}; targets: {}", all.join(", "));
            }
        }
        args.targets.clone()
    };
    let available = cargo_fuzz(&fuzz_dir)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        bail!(
            "cargo-fuzz on the nightly toolchain is needed: \
             `rustup toolchain install nightly && cargo install cargo-fuzz`"
        );
    }
    // build everything first, so that the time per target is fuzzing time
    let built = cargo_fuzz(&fuzz_dir).arg("build").status()?;
    if !built.success() {
        bail!("cargo fuzz build failed");
    }
    let mut crashed = Vec::new();
    for target in &chosen {
        let corpus = fuzz_dir.join("corpus").join(target);
        let seeds = fuzz_dir.join("seeds").join(target);
        std::fs::create_dir_all(&corpus)?;
        println!("==> fuzzing {target} for {} s", args.seconds);
        let mut cmd = cargo_fuzz(&fuzz_dir);
        cmd.args(["run", target.as_str()]).arg(&corpus);
        if seeds.is_dir() {
            cmd.arg(&seeds);
        }
        cmd.arg("--").args([
            format!("-max_total_time={}", args.seconds),
            "-timeout=10".to_owned(),
            "-rss_limit_mb=2048".to_owned(),
            "-print_final_stats=1".to_owned(),
        ]);
        if !cmd.status()?.success() {
            eprintln!("fuzz target {target} failed: see fuzz/artifacts/{target}/");
            crashed.push(target.clone());
        }
    }
    if crashed.is_empty() {
        println!("fuzzing done: {} target(s), no crash", chosen.len());
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("crashes in: {}", crashed.join(", "));
        Ok(ExitCode::FAILURE)
    }
}
