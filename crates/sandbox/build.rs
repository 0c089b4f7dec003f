//! Embeds the recorded fixtures, `<vendor>/<scenario>.json`, into the library.
//!
//! The folder is `fixtures/` next to this file: in the repository a link to the workspace's
//! `fixtures/` (so there is one copy of every recording), in the published package a real
//! folder that `cargo package` filled through the link. Where links are not checked out as
//! links (Windows without symlink support) the workspace folder `../../fixtures` is read
//! instead. No folder at all is a build error: a sandbox without recordings would answer
//! nothing.
//!
//! Hand-written rather than `include_dir!`: on stable Rust a proc macro cannot tell cargo to
//! rebuild when a fixture is *added*; `rerun-if-changed` on each folder does.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=fixtures");
    let Some(root) = [manifest.join("fixtures"), manifest.join("../../fixtures")]
        .into_iter()
        .find(|d| d.is_dir())
        .and_then(|d| d.canonicalize().ok())
    else {
        panic!(
            "billing-sandbox: no fixtures folder at {} (a link to the workspace's fixtures/) \
             or ../../fixtures; the sandbox embeds its recordings from there",
            manifest.join("fixtures").display()
        );
    };
    println!("cargo:rerun-if-changed={}", root.display());
    let mut code = String::from(
        "/// Every embedded recording: (vendor, file name, JSON text), sorted by vendor and name.\n\
         pub(crate) static FIXTURES: &[(&str, &str, &str)] = &[\n",
    );
    for vendor in sorted_entries(&root).into_iter().filter(|p| p.is_dir()) {
        println!("cargo:rerun-if-changed={}", vendor.display());
        let vendor_name = file_name(&vendor);
        for file in sorted_entries(&vendor) {
            if file.extension().is_some_and(|e| e == "json") {
                println!("cargo:rerun-if-changed={}", file.display());
                let _ = writeln!(
                    code,
                    "    ({:?}, {:?}, include_str!({:?})),",
                    vendor_name,
                    file_name(&file),
                    file.display().to_string()
                );
            }
        }
    }
    code.push_str("];\n");
    if let Err(e) = std::fs::write(out.join("fixtures.rs"), code) {
        panic!("billing-sandbox: cannot write the fixture table: {e}");
    }
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
