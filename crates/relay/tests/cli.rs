//! The `relay` command line: help, key hashing, and a configuration refused at start-up with a
//! clear error (never line by line).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn relay() -> Command {
    Command::new(env!("CARGO_BIN_EXE_relay"))
}

#[test]
fn help_names_the_commands() {
    let out = relay().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "check-config", "gen-key", "hash-key", "RELAY__"] {
        assert!(
            text.contains(command),
            "{command} missing from --help:\n{text}"
        );
    }
    let out = relay().args(["serve", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--config"));
}

#[test]
fn hash_key_matches_what_the_relay_checks() {
    let mut child = relay()
        .arg("hash-key")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"rk_some_key\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        billing_relay::api::hash_key("rk_some_key")
    );
    let out = relay().arg("gen-key").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("key:"))
        .unwrap()
        .trim();
    let hash = text
        .lines()
        .find_map(|l| l.strip_prefix("sha256:"))
        .unwrap()
        .trim();
    assert_eq!(billing_relay::api::hash_key(key), hash);
    assert!(key.len() >= 64);
}

#[test]
fn cloudspot_tenant_is_refused_at_start_up_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("relay.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite://{}\"\n[tenants.ws-a]\nerp = \"cloudspot\"\n",
            dir.path().join("relay.db").display()
        ),
    )
    .unwrap();
    let out = relay()
        .arg("serve")
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tenants.ws-a.erp: cloudspot cannot create order lines"),
        "{err}"
    );
    assert!(!dir.path().join("relay.db").exists(), "nothing started");
}

#[test]
fn a_missing_credential_is_a_start_up_error_naming_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("relay.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite://{}\"\n[tenants.ws-a]\nerp = \"ppms\"\n[tenants.ws-a.ppms]\n\
             url = \"https://ppms.example/\"\napi_key = {{ env = \"RELAY_CLI_TEST_UNSET_KEY\" }}\ncase_is = \"login\"\n",
            dir.path().join("relay.db").display()
        ),
    )
    .unwrap();
    let out = relay()
        .arg("check-config")
        .arg("--config")
        .arg(&config)
        .env_remove("RELAY_CLI_TEST_UNSET_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("RELAY_CLI_TEST_UNSET_KEY is not set"), "{err}");
}
