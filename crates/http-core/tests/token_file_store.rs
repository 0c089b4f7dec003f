//! The file token store: permissions, atomic writes, corrupt files, in-process sharing, secrets.
#![allow(clippy::unwrap_used, missing_docs)]

mod token_support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use billing_http_core::ExposeSecret;
use billing_http_core::auth::store::{FileStore, LockAttempt, TokenKey, TokenStore};
use billing_http_core::auth::{Auth, Token, TokenCache};
use billing_http_core::clock::{Clock, ManualClock, TokioClock};
use token_support::{CLIENT_ID, CLIENT_SECRET, CountingSource, contains, stored_value};

const HOUR: Duration = Duration::from_secs(3600);

fn key() -> TokenKey {
    TokenKey::new("pax8", "https://api.example.org/v1/token", CLIENT_ID)
        .with_scope("https://api.example.org")
}

fn manual() -> Arc<dyn Clock> {
    Arc::new(ManualClock::new())
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn file_store_writes_token_file_0600_in_a_0700_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested").join("tokens");
    let store = FileStore::new(&dir);
    let clock = manual();
    let cache = TokenCache::builder(CountingSource::new(clock.clone(), Some(HOUR)), key())
        .clock(clock)
        .store(Arc::new(store.clone()))
        .build();
    cache.token().await.unwrap();
    let file = store.path_for(&key());
    assert!(file.exists());
    assert_eq!(mode(&file), 0o600, "token file");
    assert_eq!(mode(&dir), 0o700, "token folder");
    assert_eq!(mode(dir.parent().unwrap()), 0o700, "created parents too");
}

#[cfg(unix)]
#[tokio::test]
async fn file_store_tightens_an_existing_loose_folder_to_0700() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tokens");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let store = FileStore::new(&dir);
    store.save(&key(), &Token::bearer("t", None)).await.unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&store.path_for(&key())), 0o600);
}

#[tokio::test]
async fn corrupt_truncated_or_foreign_file_is_a_miss_then_replaced_by_a_valid_file() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileStore::new(tmp.path());
    let path = store.path_for(&key());
    let clock = manual();
    // a valid record to derive a truncated one from
    store
        .save(
            &key(),
            &Token::bearer("valid-before", Some(clock.system_now() + HOUR)),
        )
        .await
        .unwrap();
    let valid = std::fs::read(&path).unwrap();
    let other_key = TokenKey::new("pax8", "https://api.example.org/v1/token", "someone-else");
    let foreign_store = FileStore::new(tmp.path().join("other"));
    foreign_store
        .save(
            &other_key,
            &Token::bearer("not-yours", Some(clock.system_now() + HOUR)),
        )
        .await
        .unwrap();
    let foreign_record = std::fs::read(foreign_store.path_for(&other_key)).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated", valid[..valid.len() / 2].to_vec()),
        ("garbage", vec![0xff, 0x00, 0x13, 0x37, b'{']),
        (
            "other json",
            br#"{"access_token":"x","expires_in":86400}"#.to_vec(),
        ),
        ("another key's record", foreign_record),
        ("huge", vec![b' '; 200 * 1024]),
    ];
    for (what, bytes) in cases {
        std::fs::write(&path, &bytes).unwrap();
        assert!(
            store.load(&key()).await.unwrap().is_none(),
            "{what} must be a miss"
        );
        let source = CountingSource::new(clock.clone(), Some(HOUR));
        let fetches = source.counter();
        let cache = TokenCache::builder(source, key())
            .clock(clock.clone())
            .store(Arc::new(store.clone()))
            .build();
        let t = cache.token().await.unwrap();
        assert_eq!(t.value.expose_secret(), "at-1", "{what}");
        assert_eq!(fetches.load(Ordering::SeqCst), 1, "{what}");
        let reread = store
            .load(&key())
            .await
            .unwrap()
            .expect("replaced by a valid file");
        assert_eq!(reread.value.expose_secret(), "at-1", "{what}");
    }
}

#[tokio::test]
async fn a_folder_in_place_of_the_token_file_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileStore::new(tmp.path());
    std::fs::create_dir_all(store.path_for(&key())).unwrap();
    assert!(store.load(&key()).await.is_err());
    // the cache treats the broken store as a miss and still hands out a token
    let clock = manual();
    let cache = TokenCache::builder(CountingSource::new(clock.clone(), Some(HOUR)), key())
        .clock(clock)
        .store(Arc::new(store))
        .build();
    assert_eq!(cache.token().await.unwrap().value.expose_secret(), "at-1");
}

#[tokio::test]
async fn file_store_replaces_atomically_and_leaves_no_temp_files() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileStore::new(tmp.path());
    for i in 0..20 {
        store
            .save(&key(), &Token::bearer(format!("tok-{i}"), None))
            .await
            .unwrap();
    }
    let names = files_in(tmp.path());
    assert_eq!(names.len(), 1, "{names:?}");
    assert_eq!(stored_value(&store, &key()).await, "tok-19");
}

#[tokio::test]
async fn expired_token_in_the_file_is_refetched_and_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(FileStore::new(tmp.path()));
    let clock = manual();
    store
        .save(
            &key(),
            &Token::bearer("stale", Some(clock.system_now() - HOUR)),
        )
        .await
        .unwrap();
    let source = CountingSource::new(clock.clone(), Some(HOUR));
    let fetches = source.counter();
    let cache = TokenCache::builder(source, key())
        .clock(clock)
        .store(store.clone())
        .build();
    assert_eq!(cache.token().await.unwrap().value.expose_secret(), "at-1");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    assert_eq!(stored_value(&*store, &key()).await, "at-1");
}

#[tokio::test]
async fn token_saved_by_one_cache_is_used_by_the_next_without_a_request() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = manual();
    let first = CountingSource::new(clock.clone(), Some(HOUR));
    let c1 = TokenCache::builder(first, key())
        .clock(clock.clone())
        .store(Arc::new(FileStore::new(tmp.path())))
        .build();
    let t1 = c1.token().await.unwrap();
    // "the next CLI start": a new cache, a new store value, the same folder
    let second = CountingSource::new(clock.clone(), Some(HOUR));
    let fetches = second.counter();
    let c2 = TokenCache::builder(second, key())
        .clock(clock)
        .store(Arc::new(FileStore::new(tmp.path())))
        .build();
    assert_eq!(
        c2.token().await.unwrap().value.expose_secret(),
        t1.value.expose_secret()
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn two_caches_with_separate_file_store_handles_make_one_token_request() {
    let tmp = tempfile::tempdir().unwrap();
    let clock: Arc<dyn Clock> = Arc::new(TokioClock);
    let s1 = CountingSource::new(clock.clone(), Some(HOUR)).with_delay(Duration::from_millis(300));
    let s2 = CountingSource::new(clock.clone(), Some(HOUR)).with_delay(Duration::from_millis(300));
    let (f1, f2) = (s1.counter(), s2.counter());
    let c1 = TokenCache::builder(s1, key())
        .clock(clock.clone())
        .store(Arc::new(FileStore::new(tmp.path())))
        .build();
    let c2 = TokenCache::builder(s2, key())
        .clock(clock)
        .store(Arc::new(FileStore::new(tmp.path())))
        .build();
    let (a, b) = tokio::join!(c1.token(), c2.token());
    assert_eq!(
        a.unwrap().value.expose_secret(),
        b.unwrap().value.expose_secret()
    );
    assert_eq!(f1.load(Ordering::SeqCst) + f2.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn file_refresh_lock_is_exclusive_until_released() {
    let tmp = tempfile::tempdir().unwrap();
    let a = FileStore::new(tmp.path());
    let b = FileStore::new(tmp.path());
    let ttl = Duration::from_secs(30);
    let LockAttempt::Acquired(lock) = a.try_lock(&key(), ttl).await.unwrap() else {
        panic!("first lock must succeed")
    };
    assert!(matches!(
        b.try_lock(&key(), ttl).await.unwrap(),
        LockAttempt::Busy
    ));
    lock.release().await;
    assert!(matches!(
        b.try_lock(&key(), ttl).await.unwrap(),
        LockAttempt::Acquired(_)
    ));
}

#[tokio::test]
async fn rejected_token_is_removed_from_the_file_but_a_newer_one_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(FileStore::new(tmp.path()));
    let clock = manual();
    let cache = TokenCache::builder(CountingSource::new(clock.clone(), Some(HOUR)), key())
        .clock(clock.clone())
        .store(store.clone())
        .build();
    let (_, ticket) = cache.token_with_ticket().await.unwrap();
    assert!(cache.unauthorized(ticket).await);
    assert!(
        store.load(&key()).await.unwrap().is_none(),
        "rejected token removed"
    );

    // another process wrote a newer token; removing the old one must not touch it
    let newer = Token::bearer("newer-from-elsewhere", Some(clock.system_now() + HOUR));
    store.save(&key(), &newer).await.unwrap();
    store
        .remove(&key(), &Token::bearer("at-1", None))
        .await
        .unwrap();
    assert_eq!(stored_value(&*store, &key()).await, "newer-from-elsewhere");
}

#[tokio::test]
async fn file_store_never_contains_the_client_secret_or_client_id() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(FileStore::new(tmp.path()));
    let clock = manual();
    let cache = TokenCache::builder(CountingSource::new(clock.clone(), Some(HOUR)), key())
        .clock(clock)
        .store(store.clone())
        .build();
    let t = cache.token().await.unwrap();
    let mut checked = 0;
    for entry in walk(tmp.path()) {
        let name = entry.to_string_lossy().into_owned();
        assert!(
            !name.contains(CLIENT_SECRET) && !name.contains(CLIENT_ID),
            "{name}"
        );
        if entry.is_file() {
            let bytes = std::fs::read(&entry).unwrap();
            assert!(
                !contains(&bytes, CLIENT_SECRET),
                "{name} holds the client secret"
            );
            assert!(
                !contains(&bytes, CLIENT_ID),
                "{name} holds the raw client id"
            );
            checked += 1;
        }
    }
    // the token file itself was checked (and it does hold the token: the grep can find things)
    let token_file = std::fs::read(store.path_for(&key())).unwrap();
    assert!(contains(&token_file, t.value.expose_secret()));
    assert!(checked >= 1);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn default_location_follows_os_conventions() {
    let dir = FileStore::default_dir().unwrap();
    assert!(dir.ends_with("tokens"));
    assert!(dir.to_string_lossy().contains("billing-sdk"));
}
