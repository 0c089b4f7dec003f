//! Two OS processes sharing a file store make one token request.
//!
//! The test re-runs its own binary twice as child processes (the `#[ignore]`d helper below,
//! selected with `--exact --ignored`), each with its own token cache over the same folder. Every
//! token request a child makes is appended to a shared counter file; the test asserts exactly
//! one line in total and that both children got the same token.
#![allow(clippy::unwrap_used, missing_docs)]

mod token_support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use billing_http_core::auth::store::{FileStore, TokenKey};
use billing_http_core::auth::{Token, TokenCache, TokenSource};
use billing_http_core::{Error, ExposeSecret, SecretString};
use futures::future::BoxFuture;

const CHILD_TEST: &str = "token_process_child_helper";
const ENV_DIR: &str = "HTTP_CORE_TOKEN_PROCESS_DIR";
const ENV_COUNTER: &str = "HTTP_CORE_TOKEN_PROCESS_COUNTER";

#[test]
fn two_os_processes_sharing_a_file_store_make_one_token_request() {
    let tmp = tempfile::tempdir().unwrap();
    let store_dir = tmp.path().join("tokens");
    let counter = tmp.path().join("token-requests.log");
    let exe = std::env::current_exe().unwrap();
    let spawn = || {
        Command::new(&exe)
            .args([
                CHILD_TEST,
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ENV_DIR, &store_dir)
            .env(ENV_COUNTER, &counter)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // both start before either finishes its (slow) token request
    let children = [spawn(), spawn()];
    let mut tokens = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix("TOKEN="))
            .unwrap_or_else(|| panic!("child printed no token: {stdout}"))
            .to_owned();
        tokens.push(token);
    }
    let requests = std::fs::read_to_string(&counter).unwrap();
    assert_eq!(requests.lines().count(), 1, "token requests: {requests:?}");
    assert_eq!(tokens[0], tokens[1], "both processes use the one token");
    assert!(requests.contains(&tokens[0]));
}

/// A token source that logs every request to the shared counter file and takes a while.
#[derive(Debug)]
struct LoggingSource {
    counter: std::path::PathBuf,
    client_secret: SecretString,
}

impl TokenSource for LoggingSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Token, Error>> {
        Box::pin(async move {
            assert!(!self.client_secret.expose_secret().is_empty());
            let value = format!("proc-{}-{:x}", std::process::id(), fastrand_u64());
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.counter)
                .unwrap();
            writeln!(f, "{value}").unwrap();
            drop(f);
            // slow enough that the other process is waiting on the lock meanwhile
            tokio::time::sleep(Duration::from_millis(500)).await;
            Ok(Token::bearer(
                value,
                Some(SystemTime::now() + Duration::from_secs(3600)),
            ))
        })
    }
}

fn fastrand_u64() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Child side of [`two_os_processes_sharing_a_file_store_make_one_token_request`]; does
/// nothing unless started by it.
#[tokio::test]
#[ignore = "helper process of two_os_processes_sharing_a_file_store_make_one_token_request"]
async fn token_process_child_helper() {
    let (Some(dir), Some(counter)) = (std::env::var_os(ENV_DIR), std::env::var_os(ENV_COUNTER))
    else {
        eprintln!("token_process_child_helper: only runs as a child of the two-process test");
        return;
    };
    let source = LoggingSource {
        counter: counter.into(),
        client_secret: SecretString::from(token_support::CLIENT_SECRET.to_owned()),
    };
    let key = TokenKey::new(
        "pax8",
        "https://api.example.org/v1/token",
        token_support::CLIENT_ID,
    );
    let cache = TokenCache::builder(source, key)
        .store(Arc::new(FileStore::new(dir)))
        .build();
    let token = cache.token().await.unwrap();
    println!("TOKEN={}", token.value.expose_secret());
}
