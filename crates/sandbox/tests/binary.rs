//! The `billing-sandbox` binary runs anywhere: it serves the recordings embedded at build
//! time, whatever its working directory.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_billing-sandbox");

/// A reqwest client with billing-http-core's TLS settings (the workspace builds reqwest with
/// rustls but no process-wide crypto provider, so `reqwest::get` has none).
fn http() -> reqwest::Client {
    let tls = billing_http_core::TlsConfig::default();
    tls.reqwest_builder().unwrap().build().unwrap()
}

/// The binary, started in `cwd` with nothing pointing at the repository.
fn sandbox_in(cwd: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(cwd)
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("FIXTURES_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_started_from_another_directory_serves_the_embedded_fixtures() {
    let cwd = tempfile::tempdir().unwrap();
    let mut child = Running(
        sandbox_in(cwd.path(), &["--vendor", "all", "--port", "0"])
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    // `<vendor>: <base URL>` per vendor, then "Ctrl-C to stop".
    let urls = tokio::task::spawn_blocking(move || {
        let mut urls = std::collections::BTreeMap::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if line.starts_with("Ctrl-C") {
                break;
            }
            if let Some((vendor, url)) = line.split_once(": http") {
                urls.insert(vendor.to_owned(), format!("http{url}"));
            }
        }
        urls
    })
    .await
    .unwrap();
    assert_eq!(urls.len(), 3, "{urls:?}");

    let cloudspot = &urls["cloudspot"];
    let r = http()
        .get(format!("{cloudspot}artikels/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("\"data\""));

    let pax8 = &urls["pax8"];
    let r = http()
        .get(format!(
            "{pax8}companies/11111111-2222-4333-8444-555555555555"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "a recorded company");

    let ppms = &urls["ppms"];
    let r = http()
        .post(format!("{ppms}pumapi/"))
        .form(&[("action", "getsystems"), ("apikey", "k")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("System id"));
}

#[test]
fn fixtures_folder_without_cassettes_is_an_error_with_a_non_zero_exit() {
    let cwd = tempfile::tempdir().unwrap();
    let out = sandbox_in(
        cwd.path(),
        &[
            "--vendor",
            "pax8",
            "--fixtures",
            cwd.path().to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no cassettes for pax8"), "{stderr}");
}

#[test]
fn unknown_vendor_is_refused_naming_the_known_ones() {
    let cwd = tempfile::tempdir().unwrap();
    let out = sandbox_in(cwd.path(), &["--vendor", "stripe"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ppms, pax8, cloudspot"), "{stderr}");
}
