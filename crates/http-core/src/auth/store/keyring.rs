//! [`KeyringStore`]: tokens in the OS keyring (feature `keyring`).
//!
//! Backends, through [`keyring_core`] 1.x and one store crate per platform (the keyring
//! maintainers' recommendation for libraries): on **Linux the kernel keyutils store**
//! (`linux-keyutils-keyring-store`), which needs no D-Bus, no desktop session and no unlock
//! prompt, so it works on headless servers and in CI; the macOS Keychain
//! (`apple-native-keyring-store`); the Windows Credential Manager
//! (`windows-native-keyring-store`). The store is chosen here, per entry: keyring-core's
//! process-wide default store is neither read nor set, so an application's own keyring
//! configuration is left alone. Other platforms have no keyring store (an error on use).
//!
//! Trade-offs:
//! * The token is out of the file system: backups, misconfigured home-folder permissions and
//!   other users cannot read it. Processes of the same user can.
//! * Linux keyutils lives in kernel memory: entries do not survive a reboot and the user's
//!   persistent keyring expires after a few idle days (by default). A lost entry is a miss:
//!   one token request.
//! * There is no cross-process refresh lock: two processes refreshing at the very same moment
//!   may both fetch (each then finds the other's token on the next start). Use the file or
//!   Redis store where that matters.
//!
//! Entries are named service `billing-sdk` (configurable), user `<vendor>:<key id>`, and hold
//! the same JSON record as the file store: token, type, expiry, vendor, base URL, client-id
//! hash. Never the client secret. On Linux the keyutils description is
//! `keyring-rs:<user>@<service>`, as with the `keyring` 3 crate used before, so entries written
//! before the upgrade are still found.

use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;
use keyring_core::{CredentialStore, Entry};

use super::{TokenKey, TokenStore, decode_record, encode_record, store_error};
use crate::auth::token::Token;
use crate::error::{Error, ErrorKind};

/// The default keyring service name.
pub const DEFAULT_SERVICE: &str = "billing-sdk";

/// Tokens in the OS keyring. See the [module docs](self).
#[derive(Clone)]
pub struct KeyringStore {
    service: String,
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyringStore {
    /// A store under the service name [`DEFAULT_SERVICE`].
    pub fn new() -> Self {
        Self::with_service(DEFAULT_SERVICE)
    }

    /// A store under another service name (e.g. one per application).
    pub fn with_service(service: impl Into<String>) -> Self {
        KeyringStore {
            service: service.into(),
        }
    }

    /// The service name.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The keyring user name of `key`'s entry: `<vendor>:<key id>`.
    pub fn user_for(key: &TokenKey) -> String {
        format!("{}:{}", key.vendor_slug(), key.id())
    }

    /// The keyring entry holding `key`'s token (the platform's native store; on Linux the
    /// kernel keyutils store, chosen explicitly whatever other crates configure).
    pub fn entry(&self, key: &TokenKey) -> Result<Entry, Error> {
        entry(&self.service, &Self::user_for(key))
    }
}

/// The platform's native credential store.
fn native_store() -> keyring_core::Result<Arc<CredentialStore>> {
    #[cfg(target_os = "linux")]
    {
        // the entry names of the `keyring` 3 crate: `keyring-rs:<user>@<service>`
        let config = std::collections::HashMap::from([("prefix", "keyring-rs:")]);
        Ok(linux_keyutils_keyring_store::Store::new_with_configuration(
            &config,
        )?)
    }
    #[cfg(target_vendor = "apple")]
    {
        Ok(apple_native_keyring_store::keychain::Store::new()?)
    }
    #[cfg(windows)]
    {
        Ok(windows_native_keyring_store::Store::new()?)
    }
    #[cfg(not(any(target_os = "linux", target_vendor = "apple", windows)))]
    {
        Err(keyring_core::Error::NotSupportedByStore(
            "no OS keyring store for this platform".to_owned(),
        ))
    }
}

/// The entry (`service`, `user`) in the platform's native store, as used by [`KeyringStore`]
/// and by [`EncryptionKey::from_keyring`](super::encrypted::EncryptionKey::from_keyring)
/// (e.g. to delete a stored encryption key).
pub fn entry(service: &str, user: &str) -> Result<Entry, Error> {
    let store = native_store().map_err(|e| keyring_error("no keyring store", e))?;
    // Linux: in a thread that has no session keyring yet, the first lookup installs one (and
    // links the user's persistent keyring into it), so a credential built before that points at
    // a keyring that is no longer the session's and writes fail. Build once to settle the
    // thread's keyrings, then build the credential we use. Harmless elsewhere.
    let _ = Entry::new_in_store(&store, service, user);
    Entry::new_in_store(&store, service, user)
        .map_err(|e| keyring_error("cannot name keyring entry", e))
}

pub(crate) fn keyring_error(what: &str, e: keyring_core::Error) -> Error {
    store_error(format!("keyring: {what}"), e)
}

impl fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringStore")
            .field("service", &self.service)
            .finish()
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(Error::new(
            ErrorKind::Token,
            format!("keyring task failed: {e}"),
        )),
    }
}

fn read(entry: &Entry) -> Result<Option<Vec<u8>>, Error> {
    match entry.get_secret() {
        Ok(b) => Ok(Some(b)),
        Err(keyring_core::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error("cannot read entry", e)),
    }
}

impl TokenStore for KeyringStore {
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<Token>, Error>> {
        let store = self.clone();
        let key = key.clone();
        Box::pin(blocking(move || {
            let entry = store.entry(&key)?;
            Ok(read(&entry)?.and_then(|b| decode_record(&key, &b)))
        }))
    }

    fn save<'a>(&'a self, key: &'a TokenKey, token: &'a Token) -> BoxFuture<'a, Result<(), Error>> {
        let store = self.clone();
        let key = key.clone();
        let bytes = encode_record(&key, token);
        Box::pin(blocking(move || {
            let bytes = bytes?;
            store
                .entry(&key)?
                .set_secret(&bytes)
                .map_err(|e| keyring_error("cannot write entry", e))
        }))
    }

    fn remove<'a>(
        &'a self,
        key: &'a TokenKey,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let store = self.clone();
        let key = key.clone();
        let token = token.clone();
        Box::pin(blocking(move || {
            let entry = store.entry(&key)?;
            let holds_it = match read(&entry)? {
                Some(b) => decode_record(&key, &b).is_none_or(|t| t.same_value(&token)),
                None => false,
            };
            if holds_it {
                match entry.delete_credential() {
                    Ok(()) | Err(keyring_core::Error::NoEntry) => {}
                    Err(e) => return Err(keyring_error("cannot delete entry", e)),
                }
            }
            Ok(())
        }))
    }
}
