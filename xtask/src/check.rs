//! `cargo xtask check-fixtures`: offline checks of every cassette.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use billing_http_core::cassette::{Cassette, find_secrets};

use crate::vendors;

/// What the check found.
#[derive(Debug, Default)]
pub struct Report {
    /// Cassettes looked at.
    pub checked: usize,
    /// One line per problem.
    pub problems: Vec<String>,
}

/// Folders (under each crate) whose files count as "using" a cassette.
const USE_DIRS: &[&str] = &["tests", "src", "examples", "benches"];

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Texts (and names) of every file that may reference a cassette.
fn usage_sources(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    if let Ok(crates) = std::fs::read_dir(root.join("crates")) {
        for krate in crates.filter_map(Result::ok) {
            for dir in USE_DIRS {
                collect_files(&krate.path().join(dir), &mut files);
            }
        }
    }
    files
        .iter()
        .filter(|f| {
            f.metadata()
                .map(|m| m.len() < 4 * 1024 * 1024)
                .unwrap_or(false)
        })
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).ok()?;
            Some(format!("{}\n{text}", f.display()))
        })
        .collect()
}

/// `true` if some source names `file` (e.g. `getuser.json`), or mentions the vendor folder
/// and walks all of it (a `*.json` glob or `read_dir`).
fn is_used(sources: &[String], vendor: &str, file: &str) -> bool {
    let folder = format!("fixtures/{vendor}");
    sources.iter().any(|s| {
        s.contains(file)
            || (s.contains(&folder)
                && (s.contains("\"*.json\"") || s.contains("/*.json") || s.contains("read_dir(")))
    })
}

/// billing-sandbox embeds the recordings through `crates/sandbox/fixtures`, a link to
/// `../../fixtures` (so that `cargo package` copies them into the crate): it must lead to the
/// same folder. Checked when the crate exists.
fn sandbox_link_problem(root: &Path) -> Option<String> {
    let crate_dir = root.join("crates/sandbox");
    if !crate_dir.is_dir() {
        return None;
    }
    let link = crate_dir.join("fixtures");
    let same = link.canonicalize().ok() == root.join("fixtures").canonicalize().ok();
    (!same).then(|| {
        "crates/sandbox/fixtures: must be a link to ../../fixtures (the sandbox embeds the \
         recordings through it); recreate it with `ln -s ../../fixtures crates/sandbox/fixtures`"
            .to_owned()
    })
}

/// Checks every `fixtures/<vendor>/*.json` under `root`.
pub fn check(root: &Path) -> Result<Report> {
    let mut report = Report::default();
    let fixtures = root.join("fixtures");
    let Ok(vendor_dirs) = std::fs::read_dir(&fixtures) else {
        return Ok(report);
    };
    if let Some(problem) = sandbox_link_problem(root) {
        report.problems.push(problem);
    }
    let sources = usage_sources(root);
    let mut dirs: Vec<PathBuf> = vendor_dirs
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let vendor = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let config = vendors::scrub_config(&vendor);
        let mut files = Vec::new();
        collect_files(&dir, &mut files);
        files.sort();
        for file in files {
            let rel = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            if file.extension().is_none_or(|x| x != "json") {
                if file.file_name().is_some_and(|n| n != ".gitkeep") {
                    report
                        .problems
                        .push(format!("{rel}: not a cassette (expected <scenario>.json)"));
                }
                continue;
            }
            report.checked += 1;
            let cassette = match Cassette::load(&file) {
                Ok(c) => c,
                Err(e) => {
                    report.problems.push(format!("{rel}: {e}"));
                    continue;
                }
            };
            if cassette.vendor != vendor {
                report.problems.push(format!(
                    "{rel}: vendor is `{}` but the file is in fixtures/{vendor}/",
                    cassette.vendor
                ));
            }
            for finding in find_secrets(&cassette, &config, &[]) {
                report.problems.push(format!(
                    "{rel}: {finding} (re-record with `cargo xtask record --vendor {vendor}` \
                     or replace the value with REDACTED)"
                ));
            }
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !is_used(&sources, &vendor, &name) {
                report.problems.push(format!(
                    "{rel}: not used by any test (no file under crates/*/{{{}}} names `{name}`)",
                    USE_DIRS.join(",")
                ));
            }
        }
    }
    Ok(report)
}

pub fn run(root: &Path) -> Result<ExitCode> {
    let report = check(root)?;
    for p in &report.problems {
        println!("{p}");
    }
    if report.problems.is_empty() {
        println!("check-fixtures: {} cassette(s) ok", report.checked);
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "check-fixtures: {} problem(s) in {} cassette(s)",
            report.problems.len(),
            report.checked
        );
        Ok(ExitCode::FAILURE)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn cassette(vendor: &str, form_key: &str, form_value: &str) -> String {
        format!(
            r#"{{"format_version": 1, "vendor": "{vendor}", "scenario": "s",
               "interactions": [{{"request": {{"method": "POST", "path": "/pumapi/",
               "form": [["action", "getusers"], ["{form_key}", "{form_value}"]]}},
               "response": {{"status": 200, "body_lines": ["jdoe\r\n"]}}}}]}}"#
        )
    }

    #[test]
    fn empty_fixtures_folder_is_fine() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("fixtures/ppms")).unwrap();
        let report = check(root.path()).unwrap();
        assert_eq!(report.checked, 0);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }

    #[test]
    fn unused_cassette_is_listed_and_used_one_is_not() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        write(
            &r.join("fixtures/ppms/users.json"),
            &cassette("ppms", "apikey", "REDACTED"),
        );
        write(
            &r.join("fixtures/ppms/orphan.json"),
            &cassette("ppms", "apikey", "REDACTED"),
        );
        write(
            &r.join("crates/ppms/tests/users.rs"),
            r#"const F: &str = "ppms/users.json";"#,
        );
        let report = check(r).unwrap();
        assert_eq!(report.checked, 2);
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert!(report.problems[0].contains("orphan.json"));
        assert!(report.problems[0].contains("not used"));
    }

    #[test]
    fn glob_over_the_vendor_folder_counts_as_use() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        write(&r.join("fixtures/pax8/a.json"), &cassette("pax8", "x", "y"));
        write(
            &r.join("crates/pax8/tests/all.rs"),
            r#"insta::glob!("../../../fixtures/pax8", "*.json", |p| {});"#,
        );
        assert!(check(r).unwrap().problems.is_empty());
    }

    #[test]
    fn walking_the_vendor_folder_counts_as_use_but_naming_another_folder_does_not() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        write(&r.join("fixtures/pax8/a.json"), &cassette("pax8", "x", "y"));
        write(&r.join("fixtures/ppms/b.json"), &cassette("ppms", "x", "y"));
        write(
            &r.join("crates/pax8/tests/all.rs"),
            r#"let dir = root.join("../../fixtures/pax8"); std::fs::read_dir(dir);"#,
        );
        let problems = check(r).unwrap().problems;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("fixtures/ppms/b.json"));
    }

    #[test]
    fn sandbox_fixtures_must_lead_to_the_fixtures_folder() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("fixtures/ppms")).unwrap();
        std::fs::create_dir_all(r.join("crates/sandbox/fixtures")).unwrap();
        let problems = check(r).unwrap().problems;
        assert!(
            problems
                .iter()
                .any(|p| p.contains("crates/sandbox/fixtures")),
            "{problems:?}"
        );
        #[cfg(unix)]
        {
            std::fs::remove_dir(r.join("crates/sandbox/fixtures")).unwrap();
            std::os::unix::fs::symlink("../../fixtures", r.join("crates/sandbox/fixtures"))
                .unwrap();
            assert!(check(r).unwrap().problems.is_empty());
        }
    }

    #[test]
    fn unredacted_secret_and_bad_json_are_problems() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        write(
            &r.join("fixtures/ppms/leak.json"),
            &cassette("ppms", "apikey", "k-123456"),
        );
        write(&r.join("fixtures/ppms/broken.json"), "{ not json");
        write(&r.join("crates/ppms/tests/t.rs"), "leak.json broken.json");
        let report = check(r).unwrap();
        assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
        assert!(report.problems.iter().any(|p| p.contains("leak.json")
            && p.contains("\"apikey\"")
            && !p.contains("k-123456")));
        assert!(report.problems.iter().any(|p| p.contains("broken.json")));
    }
}
