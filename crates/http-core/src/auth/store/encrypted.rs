//! [`EncryptedFileStore`]: the file store with authenticated encryption (feature `encrypted`).
//!
//! Every file is `BSDKENC1` ‖ a random 24-byte nonce ‖ XChaCha20-Poly1305 ciphertext of the
//! same JSON record the plain file store writes; the key id is bound as associated data, so a
//! file copied to another key's name does not decrypt. A file that was tampered with,
//! truncated, or encrypted with another key fails authentication and is a **miss** (replaced by
//! the next save). Everything else — location, 0600/0700, atomic replace, cross-process lock —
//! is the [`FileStore`]'s.
//!
//! The 256-bit key comes from:
//! * an environment variable holding it in base64 ([`EncryptionKey::from_env`], e.g.
//!   `BILLING_SDK_TOKEN_KEY`; generate one with [`EncryptionKey::generate`] and
//!   [`EncryptionKey::to_base64`]) — suits containers and CI where secrets arrive as env vars;
//! * the OS keyring ([`EncryptionKey::from_keyring`], with the `keyring` feature), created at
//!   random on first use — suits workstations;
//! * or any 32 bytes you manage ([`EncryptionKey::from_bytes`]).
//!
//! Trade-off: the token at rest is useless without the key, so backups, shared or synced home
//! folders and disk images do not leak it; a process that has the key (same user, same env)
//! can still read it. Key rotation is free: files under an old key become misses.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretBox, SecretString};

use super::file::{Codec, FileStore};
use super::{LockAttempt, TokenKey, TokenStore, decode_record, encode_record};
use crate::auth::token::Token;
use crate::error::{Error, ErrorKind};

/// The environment variable [`EncryptionKey::from_default_env`] reads.
pub const DEFAULT_KEY_ENV: &str = "BILLING_SDK_TOKEN_KEY";

const MAGIC: &[u8; 8] = b"BSDKENC1";
const NONCE_LEN: usize = 24;

/// A 256-bit key for the encrypted file store. `Debug` never shows it.
pub struct EncryptionKey(SecretBox<[u8; 32]>);

impl EncryptionKey {
    /// A key from 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        EncryptionKey(SecretBox::new(Box::new(bytes)))
    }

    /// A new random key (from the OS random number generator).
    pub fn generate() -> Self {
        let k = XChaCha20Poly1305::generate_key(&mut OsRng);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&k);
        Self::from_bytes(bytes)
    }

    /// A key from its standard base64 form (44 characters).
    pub fn from_base64(text: &str) -> Result<Self, Error> {
        let raw = B64
            .decode(text.trim())
            .map_err(|_| Error::config("token encryption key is not valid base64"))?;
        let bytes: [u8; 32] = raw.as_slice().try_into().map_err(|_| {
            Error::config(format!(
                "token encryption key must be 32 bytes, got {}",
                raw.len()
            ))
        })?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key in standard base64, e.g. to put in an environment variable.
    pub fn to_base64(&self) -> SecretString {
        SecretString::from(B64.encode(self.0.expose_secret()))
    }

    /// The key from environment variable `var` (base64). Missing or malformed is a
    /// configuration error naming the variable (never its value).
    pub fn from_env(var: &str) -> Result<Self, Error> {
        let text = std::env::var(var).map_err(|_| {
            Error::config(format!(
                "environment variable {var} with the token encryption key is not set"
            ))
        })?;
        Self::from_base64(&text)
            .map_err(|e| Error::config(format!("environment variable {var}: {}", e.message())))
    }

    /// The key from [`DEFAULT_KEY_ENV`].
    pub fn from_default_env() -> Result<Self, Error> {
        Self::from_env(DEFAULT_KEY_ENV)
    }

    /// The key stored in the OS keyring under (`service`, `user`); a random one is created and
    /// stored there if none exists (or if the stored one is malformed).
    #[cfg(feature = "keyring")]
    #[cfg_attr(docsrs, doc(cfg(feature = "keyring")))]
    pub fn from_keyring(service: &str, user: &str) -> Result<Self, Error> {
        use super::keyring::{entry, keyring_error};
        let entry = entry(service, user)?;
        match entry.get_secret() {
            Ok(raw) => {
                if let Ok(bytes) = <[u8; 32]>::try_from(raw.as_slice()) {
                    return Ok(Self::from_bytes(bytes));
                }
            }
            Err(keyring_core::Error::NoEntry) => {}
            Err(e) => return Err(keyring_error("cannot read the token encryption key", e)),
        }
        let key = Self::generate();
        entry
            .set_secret(key.0.expose_secret())
            .map_err(|e| keyring_error("cannot store the token encryption key", e))?;
        Ok(key)
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionKey([REDACTED])")
    }
}

struct EncryptedCodec {
    cipher: XChaCha20Poly1305,
}

fn aad(key: &TokenKey) -> Vec<u8> {
    let mut a = MAGIC.to_vec();
    a.extend_from_slice(key.id().as_bytes());
    a
}

impl Codec for EncryptedCodec {
    fn extension(&self) -> &'static str {
        "token.enc"
    }

    fn encode(&self, key: &TokenKey, token: &Token) -> Result<Vec<u8>, Error> {
        let plain = encode_record(key, token)?;
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = aad(key);
        let ct = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .map_err(|_| Error::new(ErrorKind::Token, "cannot encrypt token record"))?;
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + ct.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    fn decode(&self, key: &TokenKey, bytes: &[u8]) -> Option<Token> {
        let rest = bytes.strip_prefix(MAGIC.as_slice())?;
        if rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        let aad = aad(key);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .ok()?;
        decode_record(key, &plain)
    }
}

/// The [`FileStore`] with authenticated encryption. See the [module docs](self).
#[derive(Clone)]
pub struct EncryptedFileStore {
    files: FileStore,
}

impl EncryptedFileStore {
    /// A store in `dir` (a private folder, as for [`FileStore::new`]) encrypting with `key`.
    pub fn new(dir: impl Into<PathBuf>, key: &EncryptionKey) -> Self {
        let cipher = XChaCha20Poly1305::new(key.0.expose_secret().into());
        EncryptedFileStore {
            files: FileStore::with_codec(dir.into(), Arc::new(EncryptedCodec { cipher })),
        }
    }

    /// A store at [`FileStore::default_dir`].
    pub fn default_location(key: &EncryptionKey) -> Result<Self, Error> {
        Ok(Self::new(FileStore::default_dir()?, key))
    }

    /// The file holding `key`'s token (`<vendor>-<hash>.token.enc`).
    pub fn path_for(&self, key: &TokenKey) -> PathBuf {
        self.files.path_for(key)
    }

    /// The folder holding the token files.
    pub fn dir(&self) -> &std::path::Path {
        self.files.dir()
    }
}

impl fmt::Debug for EncryptedFileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedFileStore")
            .field("dir", &self.files.dir())
            .finish()
    }
}

impl TokenStore for EncryptedFileStore {
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<Token>, Error>> {
        self.files.load(key)
    }
    fn save<'a>(&'a self, key: &'a TokenKey, token: &'a Token) -> BoxFuture<'a, Result<(), Error>> {
        self.files.save(key, token)
    }
    fn remove<'a>(
        &'a self,
        key: &'a TokenKey,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<(), Error>> {
        self.files.remove(key, token)
    }
    fn try_lock<'a>(
        &'a self,
        key: &'a TokenKey,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<LockAttempt, Error>> {
        self.files.try_lock(key, ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_base64_round_trip_and_errors_do_not_echo_the_value() {
        let k = EncryptionKey::generate();
        let text = k.to_base64();
        let back = EncryptionKey::from_base64(text.expose_secret()).expect("valid");
        assert_eq!(back.0.expose_secret(), k.0.expose_secret());
        let e = EncryptionKey::from_base64("c2hvcnQ=")
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|m| m.contains("32 bytes") && !m.contains("c2hvcnQ")));
        assert_eq!(format!("{k:?}"), "EncryptionKey([REDACTED])");
    }

    #[test]
    fn ciphertext_binds_the_key_id() {
        let codec = EncryptedCodec {
            cipher: XChaCha20Poly1305::new(EncryptionKey::generate().0.expose_secret().into()),
        };
        let a = TokenKey::new("pax8", "https://a.example", "one");
        let b = TokenKey::new("pax8", "https://a.example", "two");
        let t = Token::bearer("tok", None);
        let bytes = codec.encode(&a, &t).expect("encrypts");
        assert!(codec.decode(&a, &bytes).is_some());
        assert!(codec.decode(&b, &bytes).is_none());
    }
}
