//! Token stores: where a [`TokenCache`](crate::auth::token::TokenCache) keeps tokens beyond
//! its own memory.
//!
//! Every store implements [`TokenStore`] and is keyed by a [`TokenKey`]: vendor + base URL +
//! a SHA-256 hash of the client id (and of an optional scope such as Pax8's audience). The
//! client **secret** is never part of a key, a file name, a Redis key or a stored value: a
//! store only ever holds the access token, its type and its expiry.
//!
//! | store | feature | shared by | at rest | cross-process refresh lock |
//! |---|---|---|---|---|
//! | [`MemoryStore`] | always | tasks and clones of one process | RAM only | in-process |
//! | [`FileStore`] | always | processes of one user on one machine | plain JSON, 0600 in a 0700 folder | sidecar lock file |
//! | [`KeyringStore`](keyring::KeyringStore) | `keyring` | processes of one user on one machine | OS keyring (Linux: kernel keyutils) | none |
//! | [`EncryptedFileStore`](encrypted::EncryptedFileStore) | `encrypted` | processes that have the key | XChaCha20-Poly1305 | sidecar lock file |
//! | [`RedisStore`](redis::RedisStore) | `redis` | a fleet of machines | Redis memory, TTL = token expiry | Redis `SET NX PX` lock |
//!
//! See the [`auth`](crate::auth) module docs for how to choose one.
//!
//! ## Failure policy
//!
//! A store is a cache: the cache logs a failing `load`, `save`, `remove` or lock (without
//! secrets) and carries on with the token source, so a broken store costs token requests but
//! never a call. A stored value that cannot be read — truncated, corrupt, written by something
//! else, tampered with, or for another key — is a **miss**, never an error and never a panic.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::token::Token;
use crate::error::{Error, ErrorKind};

#[cfg(feature = "encrypted")]
#[cfg_attr(docsrs, doc(cfg(feature = "encrypted")))]
pub mod encrypted;
pub mod file;
#[cfg(feature = "keyring")]
#[cfg_attr(docsrs, doc(cfg(feature = "keyring")))]
pub mod keyring;
pub mod memory;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;

pub use file::FileStore;
pub use memory::MemoryStore;

/// Identifies one cached token: vendor + base URL + a hash of the client id.
///
/// The client id is hashed (SHA-256) so that it does not appear in file names, keyring entries
/// or Redis keys; the secret is never an input. A change of vendor, base URL (token URL),
/// client id or scope gives another key, so switching accounts never reuses a token.
///
/// ```
/// use billing_http_core::auth::store::TokenKey;
/// let key = TokenKey::new("pax8", "https://api.pax8.com/v1/token", "my-client-id")
///     .with_scope("https://api.pax8.com");
/// assert_eq!(key.vendor(), "pax8");
/// assert!(!key.id().contains("my-client-id"));
/// assert_eq!(key.id().len(), 64);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenKey {
    vendor: String,
    base_url: String,
    client_id: String,
    scope: Option<String>,
    client_hash: String,
    id: String,
}

impl TokenKey {
    /// The key for `client_id`'s tokens from `vendor` at `base_url` (the token URL or API base).
    pub fn new(
        vendor: impl Into<String>,
        base_url: impl Into<String>,
        client_id: impl AsRef<str>,
    ) -> Self {
        Self::build(vendor.into(), base_url.into(), client_id.as_ref(), None)
    }

    /// Adds a scope (e.g. Pax8's `audience`) to the hashed part of the key.
    pub fn with_scope(self, scope: impl AsRef<str>) -> Self {
        Self::build(
            self.vendor,
            self.base_url,
            &self.client_id,
            Some(scope.as_ref()),
        )
    }

    fn build(vendor: String, base_url: String, client_id: &str, scope: Option<&str>) -> Self {
        let mut h = Sha256::new();
        h.update(b"billing-sdk client v1\0");
        h.update(client_id.as_bytes());
        if let Some(s) = scope {
            h.update(b"\0scope\0");
            h.update(s.as_bytes());
        }
        let client_hash = hex::encode(h.finalize());
        let mut h = Sha256::new();
        h.update(b"billing-sdk token key v1\0");
        h.update(vendor.as_bytes());
        h.update(b"\0");
        h.update(base_url.as_bytes());
        h.update(b"\0");
        h.update(client_hash.as_bytes());
        let id = hex::encode(h.finalize());
        TokenKey {
            vendor,
            base_url,
            // kept only to re-hash in `with_scope`; never stored or shown
            client_id: client_id.to_owned(),
            scope: scope.map(str::to_owned),
            client_hash,
            id,
        }
    }

    /// The vendor (`pax8`, `cloudspot`, ...).
    pub fn vendor(&self) -> &str {
        &self.vendor
    }
    /// The base URL or token URL the token belongs to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    /// Hex SHA-256 of the client id (and scope).
    pub fn client_hash(&self) -> &str {
        &self.client_hash
    }
    /// Hex SHA-256 over vendor, base URL and client hash: a stable id for file names and keys.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The vendor reduced to `[a-z0-9_-]` (at most 32 characters), for file names and keys.
    pub(crate) fn vendor_slug(&self) -> String {
        let s: String = self
            .vendor
            .chars()
            .map(|c| c.to_ascii_lowercase())
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(32)
            .collect();
        if s.is_empty() { "token".to_owned() } else { s }
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKey")
            .field("vendor", &self.vendor)
            .field("base_url", &self.base_url)
            .field("client_hash", &self.client_hash)
            .field("scoped", &self.scope.is_some())
            .finish()
    }
}

impl fmt::Display for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} client:{}",
            self.vendor,
            self.base_url,
            &self.client_hash[..12]
        )
    }
}

/// Where tokens are kept between processes (or between caches of one process).
///
/// Implementations must treat unreadable entries as a miss (`Ok(None)`), never panic, and never
/// write anything but what [`Token`] holds (no client secrets).
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The token stored under `key`, if any (expired ones may be returned; the cache checks).
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<Token>, Error>>;

    /// Stores `token` under `key`, replacing any previous one.
    fn save<'a>(&'a self, key: &'a TokenKey, token: &'a Token) -> BoxFuture<'a, Result<(), Error>>;

    /// Removes the entry under `key` if it still holds `token` (same value), so that a newer
    /// token written meanwhile by someone else survives.
    fn remove<'a>(
        &'a self,
        key: &'a TokenKey,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Tries to take the refresh lock of `key` without waiting, so that only one holder (task,
    /// process or machine, depending on the store) fetches a new token. `ttl` bounds how long a
    /// lock of a crashed holder may block others, where the store supports expiry.
    ///
    /// The default answers [`LockAttempt::Unsupported`].
    fn try_lock<'a>(
        &'a self,
        key: &'a TokenKey,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<LockAttempt, Error>> {
        let _ = (key, ttl);
        Box::pin(futures::future::ready(Ok(LockAttempt::Unsupported)))
    }
}

impl<T: TokenStore + ?Sized> TokenStore for std::sync::Arc<T> {
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<Token>, Error>> {
        (**self).load(key)
    }
    fn save<'a>(&'a self, key: &'a TokenKey, token: &'a Token) -> BoxFuture<'a, Result<(), Error>> {
        (**self).save(key, token)
    }
    fn remove<'a>(
        &'a self,
        key: &'a TokenKey,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<(), Error>> {
        (**self).remove(key, token)
    }
    fn try_lock<'a>(
        &'a self,
        key: &'a TokenKey,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<LockAttempt, Error>> {
        (**self).try_lock(key, ttl)
    }
}

/// The answer of [`TokenStore::try_lock`].
#[derive(Debug)]
#[non_exhaustive]
pub enum LockAttempt {
    /// The lock is ours until the [`RefreshLock`] is released or dropped.
    Acquired(RefreshLock),
    /// Someone else holds it: wait, re-read the store, try again.
    Busy,
    /// The store cannot lock; the caller fetches without coordination.
    Unsupported,
}

/// Releases a store-specific lock.
pub trait LockRelease: Send {
    /// Releases the lock.
    fn release(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// A held refresh lock. Release it with [`RefreshLock::release`]; dropping it releases it too
/// (a Redis lock then expires by its TTL unless a runtime is there to release it at once).
pub struct RefreshLock {
    inner: Option<Box<dyn LockRelease>>,
}

impl RefreshLock {
    /// Wraps a store's lock guard.
    pub fn new(guard: impl LockRelease + 'static) -> Self {
        RefreshLock {
            inner: Some(Box::new(guard)),
        }
    }

    /// Releases the lock.
    pub async fn release(mut self) {
        if let Some(g) = self.inner.take() {
            g.release().await;
        }
    }
}

impl Drop for RefreshLock {
    fn drop(&mut self) {
        if let Some(g) = self.inner.take() {
            let fut = g.release();
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(fut);
            }
        }
    }
}

impl fmt::Debug for RefreshLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshLock")
            .field("held", &self.inner.is_some())
            .finish()
    }
}

/// Format tag of a stored record; anything else is a foreign value (a miss).
pub(crate) const RECORD_FORMAT: &str = "billing-sdk-token/1";

/// Largest stored value read back; a larger one is foreign (a miss).
pub(crate) const MAX_RECORD_BYTES: usize = 64 * 1024;

/// What every persistent store writes: the token, its type and expiry, and the key it belongs
/// to (so a value copied to another key is a miss). Never the client secret.
#[derive(Serialize, Deserialize)]
struct Record {
    format: String,
    vendor: String,
    base_url: String,
    client_hash: String,
    token_type: String,
    access_token: String,
    expires_at_unix_ms: Option<u64>,
}

/// Serialises `token` for `key` (deterministic: the same inputs give the same bytes).
pub(crate) fn encode_record(key: &TokenKey, token: &Token) -> Result<Vec<u8>, Error> {
    let record = Record {
        format: RECORD_FORMAT.to_owned(),
        vendor: key.vendor.clone(),
        base_url: key.base_url.clone(),
        client_hash: key.client_hash.clone(),
        token_type: token.token_type.clone(),
        access_token: token.value.expose_secret().to_owned(),
        expires_at_unix_ms: token.expires_at.map(unix_ms),
    };
    serde_json::to_vec(&record).map_err(|e| {
        Error::new(
            ErrorKind::Token,
            format!("cannot serialise token record: {e}"),
        )
    })
}

/// Reads a record written by [`encode_record`] for `key`; anything else is `None`.
pub(crate) fn decode_record(key: &TokenKey, bytes: &[u8]) -> Option<Token> {
    if bytes.len() > MAX_RECORD_BYTES {
        return None;
    }
    let record: Record = serde_json::from_slice(bytes).ok()?;
    if record.format != RECORD_FORMAT
        || record.vendor != key.vendor
        || record.base_url != key.base_url
        || record.client_hash != key.client_hash
        || record.access_token.is_empty()
    {
        return None;
    }
    let expires_at = match record.expires_at_unix_ms {
        Some(ms) => Some(UNIX_EPOCH.checked_add(Duration::from_millis(ms))?),
        None => None,
    };
    Some(Token::new(
        SecretString::from(record.access_token),
        record.token_type,
        expires_at,
    ))
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A store error of kind [`ErrorKind::Token`] (messages never contain token values).
pub(crate) fn store_error(
    message: impl Into<String>,
    source: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::new(ErrorKind::Token, message).with_source(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_depends_on_every_part_and_hides_the_client_id() {
        let a = TokenKey::new("pax8", "https://a.example/token", "cid-1");
        let b = TokenKey::new("pax8", "https://a.example/token", "cid-2");
        let c = TokenKey::new("pax8", "https://b.example/token", "cid-1");
        let d = a.clone().with_scope("aud");
        assert_ne!(a.id(), b.id());
        assert_ne!(a.id(), c.id());
        assert_ne!(a.id(), d.id());
        assert_eq!(
            a.id(),
            TokenKey::new("pax8", "https://a.example/token", "cid-1").id()
        );
        assert!(!format!("{a:?} {a}").contains("cid-1"));
    }

    #[test]
    fn record_round_trips_and_rejects_other_keys_and_garbage() {
        let key = TokenKey::new("pax8", "https://a.example/token", "cid");
        let t = Token::new(
            SecretString::from("tok".to_owned()),
            "Bearer",
            Some(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123)),
        );
        let bytes = encode_record(&key, &t).expect("encodes");
        let back = decode_record(&key, &bytes).expect("decodes");
        assert_eq!(back.value.expose_secret(), "tok");
        assert_eq!(back.expires_at, t.expires_at);
        assert_eq!(
            encode_record(&key, &back).expect("encodes"),
            bytes,
            "deterministic"
        );
        let other = TokenKey::new("pax8", "https://a.example/token", "cid-other");
        assert!(decode_record(&other, &bytes).is_none());
        assert!(decode_record(&key, &bytes[..bytes.len() / 2]).is_none());
        assert!(decode_record(&key, b"\xff\x00garbage").is_none());
        assert!(decode_record(&key, br#"{"format":"x"}"#).is_none());
    }
}
