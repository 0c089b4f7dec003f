//! The encrypted file token store: ciphertext at rest, tampering is a miss, key sources.
#![cfg(feature = "encrypted")]
#![allow(clippy::unwrap_used, missing_docs)]

mod token_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use billing_http_core::auth::store::encrypted::{EncryptedFileStore, EncryptionKey};
use billing_http_core::auth::store::{TokenKey, TokenStore};
use billing_http_core::auth::{Token, TokenCache};
use billing_http_core::clock::{Clock, ManualClock};
use billing_http_core::{ErrorKind, ExposeSecret};
use token_support::{CLIENT_ID, CLIENT_SECRET, CountingSource, contains, stored_value};

const HOUR: Duration = Duration::from_secs(3600);

fn key() -> TokenKey {
    TokenKey::new("pax8", "https://api.example.org/v1/token", CLIENT_ID)
}

fn manual() -> Arc<dyn Clock> {
    Arc::new(ManualClock::new())
}

#[tokio::test]
async fn encrypted_file_round_trips_and_holds_no_plaintext() {
    let tmp = tempfile::tempdir().unwrap();
    let k = EncryptionKey::generate();
    let store = EncryptedFileStore::new(tmp.path(), &k);
    store
        .save(&key(), &Token::bearer("enc-token-1", None))
        .await
        .unwrap();
    let bytes = std::fs::read(store.path_for(&key())).unwrap();
    assert!(bytes.starts_with(b"BSDKENC1"));
    assert!(!contains(&bytes, "enc-token-1"));
    assert!(!contains(&bytes, "Bearer"));
    let back = store.load(&key()).await.unwrap().unwrap();
    assert_eq!(back.value.expose_secret(), "enc-token-1");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let m = std::fs::metadata(store.path_for(&key()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(m & 0o777, 0o600);
        let d = std::fs::metadata(tmp.path()).unwrap().permissions().mode();
        assert_eq!(d & 0o777, 0o700);
    }
}

#[tokio::test]
async fn tampered_encrypted_file_is_a_miss_then_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let k = EncryptionKey::generate();
    let store = Arc::new(EncryptedFileStore::new(tmp.path(), &k));
    let clock = manual();
    store
        .save(
            &key(),
            &Token::bearer("original", Some(clock.system_now() + HOUR)),
        )
        .await
        .unwrap();
    let path = store.path_for(&key());
    let good = std::fs::read(&path).unwrap();
    let mut tampered = Vec::new();
    for i in [8, 20, 40, good.len() - 1] {
        let mut b = good.clone();
        b[i] ^= 0x01; // one bit in the nonce, the ciphertext or the tag
        tampered.push(b);
    }
    tampered.push(good[..good.len() - 5].to_vec()); // truncated
    tampered.push(good[..10].to_vec());
    for (i, bytes) in tampered.into_iter().enumerate() {
        std::fs::write(&path, &bytes).unwrap();
        assert!(
            store.load(&key()).await.unwrap().is_none(),
            "case {i} must be a miss"
        );
        let source = CountingSource::new(clock.clone(), Some(HOUR));
        let fetches = source.counter();
        let cache = TokenCache::builder(source, key())
            .clock(clock.clone())
            .store(store.clone())
            .build();
        assert_eq!(cache.token().await.unwrap().value.expose_secret(), "at-1");
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert_eq!(stored_value(&*store, &key()).await, "at-1");
    }
}

#[tokio::test]
async fn encrypted_file_under_another_key_is_a_miss() {
    let tmp = tempfile::tempdir().unwrap();
    let writer = EncryptedFileStore::new(tmp.path(), &EncryptionKey::generate());
    writer
        .save(&key(), &Token::bearer("secret-ish", None))
        .await
        .unwrap();
    let reader = EncryptedFileStore::new(tmp.path(), &EncryptionKey::generate());
    assert!(reader.load(&key()).await.unwrap().is_none());
}

const ENV_KEY: &str = "HTTP_CORE_TEST_TOKEN_KEY";
const ENV_DIR: &str = "HTTP_CORE_TEST_TOKEN_DIR";

#[tokio::test]
async fn encryption_key_from_an_environment_variable() {
    // the variable is set for a child process (setting it in this process would need `unsafe`)
    let k = EncryptionKey::generate();
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "encrypted_env_child_helper",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(ENV_KEY, k.to_base64().expose_secret())
        .env(ENV_DIR, tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = EncryptedFileStore::new(tmp.path(), &k);
    let back = store
        .load(&key())
        .await
        .unwrap()
        .expect("child wrote with the env key");
    assert_eq!(back.value.expose_secret(), "from-env-child");
    // a missing variable is a configuration error naming it (and only it)
    let missing = EncryptionKey::from_env("HTTP_CORE_TEST_TOKEN_KEY_NOT_SET_ANYWHERE").unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Config);
    assert!(
        missing
            .to_string()
            .contains("HTTP_CORE_TEST_TOKEN_KEY_NOT_SET_ANYWHERE")
    );
}

/// Child side of [`encryption_key_from_an_environment_variable`]; does nothing otherwise.
#[tokio::test]
#[ignore = "helper process of encryption_key_from_an_environment_variable"]
async fn encrypted_env_child_helper() {
    let Some(dir) = std::env::var_os(ENV_DIR) else {
        eprintln!("encrypted_env_child_helper: only runs as a child of its test");
        return;
    };
    let k = EncryptionKey::from_env(ENV_KEY).unwrap();
    EncryptedFileStore::new(dir, &k)
        .save(&key(), &Token::bearer("from-env-child", None))
        .await
        .unwrap();
}

#[cfg(feature = "keyring")]
#[tokio::test]
async fn encryption_key_from_the_keyring_is_created_once_and_reused() {
    let user = format!("token-key-test-{}", std::process::id());
    let k1 = EncryptionKey::from_keyring("billing-sdk-test", &user).unwrap();
    let k2 = EncryptionKey::from_keyring("billing-sdk-test", &user).unwrap();
    assert_eq!(
        k1.to_base64().expose_secret(),
        k2.to_base64().expose_secret()
    );
    let tmp = tempfile::tempdir().unwrap();
    EncryptedFileStore::new(tmp.path(), &k1)
        .save(&key(), &Token::bearer("t", None))
        .await
        .unwrap();
    assert!(
        EncryptedFileStore::new(tmp.path(), &k2)
            .load(&key())
            .await
            .unwrap()
            .is_some()
    );
    // clean up the kernel keyring (the entry is named after this process)
    delete_keyring_entry("billing-sdk-test", &user);
}

#[cfg(feature = "keyring")]
fn delete_keyring_entry(service: &str, user: &str) {
    billing_http_core::auth::store::keyring::entry(service, user)
        .unwrap()
        .delete_credential()
        .unwrap();
}

#[tokio::test]
async fn encrypted_file_never_contains_the_client_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let k = EncryptionKey::generate();
    let store = Arc::new(EncryptedFileStore::new(tmp.path(), &k));
    let clock = manual();
    let cache = TokenCache::builder(CountingSource::new(clock.clone(), Some(HOUR)), key())
        .clock(clock)
        .store(store.clone())
        .build();
    let t = cache.token().await.unwrap();
    let bytes = std::fs::read(store.path_for(&key())).unwrap();
    assert!(!contains(&bytes, CLIENT_SECRET));
    assert!(!contains(&bytes, CLIENT_ID));
    assert!(!contains(&bytes, t.value.expose_secret()));
    // and the decrypted record has the token, not the secret
    let back = store.load(&key()).await.unwrap().unwrap();
    assert_eq!(back.value.expose_secret(), t.value.expose_secret());
    let name = store.path_for(&key()).to_string_lossy().into_owned();
    assert!(!name.contains(CLIENT_ID));
}
