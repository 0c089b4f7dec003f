//! The OS keyring token store; on Linux the kernel keyutils store (works headless, no D-Bus).
#![cfg(feature = "keyring")]
#![allow(clippy::unwrap_used, missing_docs)]

mod token_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use billing_http_core::ExposeSecret;
use billing_http_core::auth::store::keyring::KeyringStore;
use billing_http_core::auth::store::{TokenKey, TokenStore};
use billing_http_core::auth::{Auth, Token, TokenCache};
use billing_http_core::clock::{Clock, ManualClock};
use token_support::{CLIENT_ID, CLIENT_SECRET, CountingSource, contains};

const HOUR: Duration = Duration::from_secs(3600);

/// A key unique to this test run, so parallel runs and leftovers never collide.
fn unique_key(name: &str) -> TokenKey {
    TokenKey::new(
        "pax8",
        format!("https://api.example.org/{name}/{}", std::process::id()),
        format!("{CLIENT_ID}-{}-{}", fastrand_u64(), name),
    )
}

fn fastrand_u64() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn store() -> KeyringStore {
    KeyringStore::with_service("billing-sdk-test")
}

/// The raw bytes of `key`'s entry, read from the kernel keyring through keyring-core directly
/// (not through the store's decoding); fails the test if the entry is not keyutils.
#[cfg(target_os = "linux")]
fn raw_entry(key: &TokenKey) -> Option<Vec<u8>> {
    let entry = store().entry(key).unwrap();
    let cred = entry
        .as_any()
        .downcast_ref::<linux_keyutils_keyring_store::Cred>()
        .expect("the Linux backend must be kernel keyutils");
    assert_eq!(
        cred.description,
        format!(
            "keyring-rs:{}@billing-sdk-test",
            KeyringStore::user_for(key)
        ),
        "entries keep the names the keyring 3 crate gave them"
    );
    match entry.get_secret() {
        Ok(b) => Some(b),
        Err(keyring_core::Error::NoEntry) => None,
        Err(e) => panic!("keyutils read failed: {e}"),
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn keyring_store_round_trips_in_the_kernel_keyring() {
    let key = unique_key("roundtrip");
    let store = store();
    assert!(
        store.load(&key).await.unwrap().is_none(),
        "fresh key is a miss"
    );
    let expires = std::time::SystemTime::now() + HOUR;
    store
        .save(&key, &Token::bearer("kr-token-1", Some(expires)))
        .await
        .unwrap();
    // it really is in the kernel keyring
    let raw = raw_entry(&key).expect("entry exists in keyutils");
    assert!(contains(&raw, "kr-token-1"));
    let back = store.load(&key).await.unwrap().unwrap();
    assert_eq!(back.value.expose_secret(), "kr-token-1");
    assert_eq!(back.token_type, "Bearer");
    let secs =
        |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    assert_eq!(secs(back.expires_at.unwrap()), secs(expires));
    // compare-and-delete: another token's removal keeps it, its own removes it
    store
        .remove(&key, &Token::bearer("someone-else", None))
        .await
        .unwrap();
    assert!(store.load(&key).await.unwrap().is_some());
    store.remove(&key, &back).await.unwrap();
    assert!(store.load(&key).await.unwrap().is_none());
    assert!(raw_entry(&key).is_none());
}

#[tokio::test]
async fn token_cache_over_the_keyring_reuses_the_stored_token_and_drops_a_rejected_one() {
    let key = unique_key("cache");
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
    let first = CountingSource::new(clock.clone(), Some(HOUR));
    let c1 = TokenCache::builder(first, key.clone())
        .clock(clock.clone())
        .store(Arc::new(store()))
        .build();
    let t1 = c1.token().await.unwrap();
    let second = CountingSource::new(clock.clone(), Some(HOUR)).with_prefix("second");
    let fetches = second.counter();
    let c2 = TokenCache::builder(second, key.clone())
        .clock(clock)
        .store(Arc::new(store()))
        .build();
    let (t2, ticket) = c2.token_with_ticket().await.unwrap();
    assert_eq!(t2.value.expose_secret(), t1.value.expose_secret());
    assert_eq!(fetches.load(Ordering::SeqCst), 0, "served from the keyring");
    assert!(c2.unauthorized(ticket).await);
    assert!(
        store().load(&key).await.unwrap().is_none(),
        "rejected token removed"
    );
    assert_eq!(c2.token().await.unwrap().value.expose_secret(), "second-1");
    c2.invalidate().await;
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn keyring_entry_never_contains_the_client_secret() {
    let key = unique_key("secret");
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
    let cache = TokenCache::builder(CountingSource::new(clock.clone(), Some(HOUR)), key.clone())
        .clock(clock)
        .store(Arc::new(store()))
        .build();
    let t = cache.token().await.unwrap();
    let raw = raw_entry(&key).expect("entry written");
    assert!(
        contains(&raw, t.value.expose_secret()),
        "the grep can find what is there"
    );
    assert!(!contains(&raw, CLIENT_SECRET));
    assert!(!contains(&raw, CLIENT_ID));
    let user = KeyringStore::user_for(&key);
    assert!(!user.contains(CLIENT_ID) && !user.contains(CLIENT_SECRET));
    cache.invalidate().await;
    assert!(raw_entry(&key).is_none());
}
