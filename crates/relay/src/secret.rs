//! ERP credentials: never in the TOML itself, only a reference to where they live.
//!
//! ```toml
//! api_key = { env = "RELAY_WS_A_PPMS_KEY" }           # an environment variable
//! api_key = { file = "/etc/relay/ws-a.key" }          # a file of mode 0600 (or stricter)
//! api_key = { token_store = { dir = "/var/lib/relay/tokens", vendor = "ppms",
//!             base_url = "https://ppms.example/site/", client_id = "ws-a" } }
//! ```
//!
//! * An **environment variable** is read at start-up (and again when a paused tenant looks for
//!   new credentials); a missing one is a start-up error naming the variable.
//! * A **file** must not be readable or writable by group or others: a file with any of the
//!   `0o077` bits set is refused, naming the file and its mode. One trailing newline is removed.
//! * A **token-store reference** reads the token kept under that key by `billing-http-core`'s
//!   file token store (`FileStore`: one 0600 file per key in a 0700 folder), so a secret
//!   provisioned by another tool of the workspace is shared, never copied into the relay's
//!   configuration.
//!
//! A resolved secret is a [`SecretString`]: redacted in `Debug`, never logged, never stored in
//! the relay's database. A value written inline (`api_key = "…"`) is refused without echoing it.

use std::fmt;
use std::path::PathBuf;

use billing_http_core::auth::store::{FileStore, TokenKey, TokenStore};
use secrecy::{ExposeSecret, SecretString};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use sha2::{Digest, Sha256};

/// Where a credential lives (see the [module docs](self)).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A file of mode 0600 or stricter.
    File(PathBuf),
    /// A token kept by `billing-http-core`'s file token store.
    TokenStore(TokenStoreRef),
}

/// A key in a `billing-http-core` file token store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TokenStoreRef {
    /// The store's folder.
    pub dir: PathBuf,
    /// The vendor part of the key.
    pub vendor: String,
    /// The base URL part of the key.
    pub base_url: String,
    /// The client id part of the key (hashed by the store, never written).
    pub client_id: String,
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(v) => f.debug_tuple("Env").field(v).finish(),
            SecretRef::File(p) => f.debug_tuple("File").field(p).finish(),
            SecretRef::TokenStore(r) => f
                .debug_struct("TokenStore")
                .field("dir", &r.dir)
                .field("vendor", &r.vendor)
                .field("base_url", &r.base_url)
                .finish_non_exhaustive(),
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(v) => write!(f, "environment variable {v}"),
            SecretRef::File(p) => write!(f, "file {}", p.display()),
            SecretRef::TokenStore(r) => {
                write!(f, "token store {} ({})", r.dir.display(), r.vendor)
            }
        }
    }
}

const INLINE_REFUSED: &str = "credentials are never written in the configuration: use \
     { env = \"VAR\" }, { file = \"/path\" } (mode 0600) or { token_store = { .. } }";

impl<'de> serde::Deserialize<'de> for SecretRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SecretRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a credential reference")
            }
            // every scalar is refused with the same message and without its value
            fn visit_str<E: de::Error>(self, _: &str) -> Result<SecretRef, E> {
                Err(E::custom(INLINE_REFUSED))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<SecretRef, E> {
                Err(E::custom(INLINE_REFUSED))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<SecretRef, E> {
                Err(E::custom(INLINE_REFUSED))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<SecretRef, E> {
                Err(E::custom(INLINE_REFUSED))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<SecretRef, E> {
                Err(E::custom(INLINE_REFUSED))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<SecretRef, A::Error> {
                Err(de::Error::custom(INLINE_REFUSED))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretRef, A::Error> {
                let mut found: Option<SecretRef> = None;
                while let Some(key) = map.next_key::<String>()? {
                    let value = match key.as_str() {
                        "env" => SecretRef::Env(map.next_value()?),
                        "file" => SecretRef::File(map.next_value()?),
                        "token_store" => SecretRef::TokenStore(map.next_value()?),
                        _ => {
                            return Err(de::Error::custom(format!(
                                "unknown credential source `{key}`; {INLINE_REFUSED}"
                            )));
                        }
                    };
                    if found.replace(value).is_some() {
                        return Err(de::Error::custom("a credential has exactly one source"));
                    }
                }
                found.ok_or_else(|| de::Error::custom(INLINE_REFUSED))
            }
        }
        d.deserialize_any(V)
    }
}

/// A credential could not be read. Never holds the credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The environment variable is not set (or not unicode).
    #[error("environment variable {0} is not set")]
    MissingEnv(String),
    /// The file is readable or writable by group or others.
    #[error("{path} has mode {mode:04o}; a credential file must be 0600 or stricter")]
    OpenMode {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The file cannot be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The token store holds nothing under the key.
    #[error("no token under {0}")]
    NotInStore(String),
    /// The credential is empty.
    #[error("the credential from {0} is empty")]
    Empty(String),
}

impl SecretRef {
    /// Reads the credential.
    pub async fn resolve(&self) -> Result<SecretString, SecretError> {
        let value = match self {
            SecretRef::Env(var) => {
                std::env::var(var).map_err(|_| SecretError::MissingEnv(var.clone()))?
            }
            SecretRef::File(path) => read_private_file(path)?,
            SecretRef::TokenStore(r) => {
                let store = FileStore::new(&r.dir);
                let key = TokenKey::new(&r.vendor, &r.base_url, &r.client_id);
                let token = store
                    .load(&key)
                    .await
                    .map_err(|e| SecretError::Read {
                        path: r.dir.display().to_string(),
                        message: e.to_string(),
                    })?
                    .ok_or_else(|| SecretError::NotInStore(self.to_string()))?;
                token.value.expose_secret().to_owned()
            }
        };
        let value = value.strip_suffix('\n').unwrap_or(&value);
        let value = value.strip_suffix('\r').unwrap_or(value);
        if value.is_empty() {
            return Err(SecretError::Empty(self.to_string()));
        }
        Ok(SecretString::from(value.to_owned()))
    }
}

fn read_private_file(path: &std::path::Path) -> Result<String, SecretError> {
    let shown = path.display().to_string();
    let read_err = |e: std::io::Error| SecretError::Read {
        path: shown.clone(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(SecretError::OpenMode { path: shown, mode });
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    std::fs::read_to_string(path).map_err(read_err)
}

/// A short, stable fingerprint of a secret (SHA-256, first 8 bytes in hex), to notice that a
/// credential changed without keeping or showing it.
pub fn fingerprint(secret: &SecretString) -> String {
    let digest = Sha256::digest(secret.expose_secret().as_bytes());
    hex::encode(&digest[..8])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Holder {
        #[allow(dead_code)]
        key: SecretRef,
    }

    #[test]
    fn inline_credentials_are_refused_without_echo() {
        let e = toml::from_str::<Holder>("key = \"hunter2-inline\"").unwrap_err();
        assert!(e.message().contains("never written"), "{}", e.message());
        assert!(!e.message().contains("hunter2"));
        let e = toml::from_str::<Holder>("key = { env = \"A\", file = \"/b\" }").unwrap_err();
        assert!(e.message().contains("exactly one"));
    }

    #[tokio::test]
    async fn credential_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "s3cret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let r = SecretRef::File(path.clone());
        let e = r.resolve().await.unwrap_err();
        assert!(
            matches!(e, SecretError::OpenMode { mode: 0o644, .. }),
            "{e}"
        );
        assert!(!e.to_string().contains("s3cret"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(r.resolve().await.unwrap().expose_secret(), "s3cret");
    }

    #[tokio::test]
    async fn token_store_reference_reads_the_stored_token() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let key = TokenKey::new("ppms", "https://ppms.example/", "ws-a");
        let token = billing_http_core::auth::Token::bearer("stored-key", None);
        store.save(&key, &token).await.unwrap();
        let r = SecretRef::TokenStore(TokenStoreRef {
            dir: dir.path().to_owned(),
            vendor: "ppms".into(),
            base_url: "https://ppms.example/".into(),
            client_id: "ws-a".into(),
        });
        assert_eq!(r.resolve().await.unwrap().expose_secret(), "stored-key");
        assert!(!format!("{r:?}").contains("ws-a"));
    }
}
