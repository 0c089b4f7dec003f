//! [`FileStore`]: one file per token in a private folder, shared by the processes of one user.
//!
//! * Location: [`FileStore::default_location`] follows the OS conventions (`directories`):
//!   `$XDG_CACHE_HOME/billing-sdk/tokens` (usually `~/.cache/billing-sdk/tokens`) on Linux,
//!   `~/Library/Caches/org.billing-sdk.billing-sdk/tokens` on macOS, the local app data folder on
//!   Windows. A leading `~/` in a configured folder is expanded.
//! * Permissions (Unix): the folder is created 0700 (a looser existing one is tightened), each
//!   file is created 0600 **before** anything is written to it.
//! * Atomic replace: a token is written to a temporary file in the same folder, flushed to disk
//!   and renamed over the old one, so a reader sees the old or the new file, never half of one.
//! * Cross-process lock: a sidecar `<file>.lock` is locked (OS advisory lock, `flock` on Unix)
//!   by the process that refreshes; the others wait for it and then read the new token, so two
//!   processes refreshing at once make one token request. The OS drops the lock of a process
//!   that dies.
//! * Anything unreadable — truncated, corrupt, foreign, another key's — is a miss and is
//!   replaced by the next save. Never a panic.
//! * Contents: JSON with the access token, its type, its expiry, the vendor, the base URL and
//!   the client-id hash. Never the client secret. The token itself is in clear text: anyone who
//!   can read the user's files can use it until it expires (see the encrypted store).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use super::{
    LockAttempt, LockRelease, MAX_RECORD_BYTES, RefreshLock, TokenKey, TokenStore, decode_record,
    encode_record, store_error,
};
use crate::auth::token::Token;
use crate::error::{Error, ErrorKind};

/// Turns a token into file bytes and back (plain JSON, or encrypted).
pub(crate) trait Codec: Send + Sync {
    /// File name extension (without dot).
    fn extension(&self) -> &'static str;
    /// Encodes `token` for `key`.
    fn encode(&self, key: &TokenKey, token: &Token) -> Result<Vec<u8>, Error>;
    /// Decodes file bytes; anything unreadable is `None`.
    fn decode(&self, key: &TokenKey, bytes: &[u8]) -> Option<Token>;
}

struct PlainCodec;

impl Codec for PlainCodec {
    fn extension(&self) -> &'static str {
        "token.json"
    }
    fn encode(&self, key: &TokenKey, token: &Token) -> Result<Vec<u8>, Error> {
        encode_record(key, token)
    }
    fn decode(&self, key: &TokenKey, bytes: &[u8]) -> Option<Token> {
        decode_record(key, bytes)
    }
}

/// Tokens in files, one per key, in a private folder. See the [module docs](self).
#[derive(Clone)]
pub struct FileStore {
    dir: PathBuf,
    codec: Arc<dyn Codec>,
}

impl FileStore {
    /// A store in `dir` (created 0700 on first save; `~/` is expanded). Use a folder of its
    /// own: the store tightens its permissions.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self::with_codec(dir.into(), Arc::new(PlainCodec))
    }

    pub(crate) fn with_codec(dir: PathBuf, codec: Arc<dyn Codec>) -> Self {
        FileStore {
            dir: expand_home(dir),
            codec,
        }
    }

    /// The OS's per-user cache folder for this SDK, plus `tokens`.
    pub fn default_dir() -> Result<PathBuf, Error> {
        directories::ProjectDirs::from("org", "billing-sdk", "billing-sdk")
            .map(|d| d.cache_dir().join("tokens"))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Config,
                    "no home folder found for the default token store location",
                )
            })
    }

    /// A store at [`FileStore::default_dir`].
    pub fn default_location() -> Result<Self, Error> {
        Ok(Self::new(Self::default_dir()?))
    }

    /// The folder holding the token files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file holding `key`'s token: `<vendor>-<first 32 hex digits of the key id>.token.json`.
    pub fn path_for(&self, key: &TokenKey) -> PathBuf {
        self.dir.join(format!(
            "{}-{}.{}",
            key.vendor_slug(),
            &key.id()[..32],
            self.codec.extension()
        ))
    }

    fn lock_path_for(&self, key: &TokenKey) -> PathBuf {
        let mut p = self.path_for(key).into_os_string();
        p.push(".lock");
        PathBuf::from(p)
    }
}

fn expand_home(dir: PathBuf) -> PathBuf {
    let Some(s) = dir.to_str() else { return dir };
    let rest = if s == "~" {
        ""
    } else if let Some(r) = s.strip_prefix("~/") {
        r
    } else {
        return dir;
    };
    match directories::BaseDirs::new() {
        Some(b) => b.home_dir().join(rest),
        None => dir,
    }
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("dir", &self.dir)
            .field("format", &self.codec.extension())
            .finish()
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(store_error("token file task failed", e)),
    }
}

/// Creates `dir` (0700) if needed and makes sure nobody else can enter it.
fn ensure_private_dir(dir: &Path) -> Result<(), Error> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| store_error(format!("cannot create token folder {}", dir.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(dir)
            .map_err(|e| store_error(format!("cannot read token folder {}", dir.display()), e))?;
        if meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
                store_error(
                    format!("token folder {} is not private (0700)", dir.display()),
                    e,
                )
            })?;
        }
    }
    Ok(())
}

/// Opens `path` for writing, created with mode 0600 (Unix) before any byte is written.
fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

fn read_bounded(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut buf = Vec::new();
    file.take(MAX_RECORD_BYTES as u64 + 1)
        .read_to_end(&mut buf)?;
    Ok(Some(buf))
}

/// Writes `bytes` to `path` atomically: temp file (0600) in the same folder, fsync, rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{:016x}.tmp",
        std::process::id(),
        fastrand::u64(..)
    ));
    let result = (|| {
        let mut f = private_options().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        // make the rename itself durable (best effort; not supported everywhere)
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

struct FileLock {
    file: Option<File>,
}

impl LockRelease for FileLock {
    fn release(mut self: Box<Self>) -> BoxFuture<'static, ()> {
        if let Some(f) = self.file.take() {
            let _ = f.unlock();
        }
        Box::pin(futures::future::ready(()))
    }
}

impl TokenStore for FileStore {
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<Token>, Error>> {
        let path = self.path_for(key);
        let codec = self.codec.clone();
        let key = key.clone();
        Box::pin(blocking(move || {
            match read_bounded(&path) {
                Ok(Some(bytes)) => Ok(codec.decode(&key, &bytes)),
                Ok(None) => Ok(None),
                // unreadable (a folder in its place, permissions): a miss the next save replaces
                Err(e) => Err(store_error(
                    format!("cannot read token file {}", path.display()),
                    e,
                )),
            }
        }))
    }

    fn save<'a>(&'a self, key: &'a TokenKey, token: &'a Token) -> BoxFuture<'a, Result<(), Error>> {
        let path = self.path_for(key);
        let dir = self.dir.clone();
        let bytes = self.codec.encode(key, token);
        Box::pin(blocking(move || {
            let bytes = bytes?;
            ensure_private_dir(&dir)?;
            write_atomic(&path, &bytes)
                .map_err(|e| store_error(format!("cannot write token file {}", path.display()), e))
        }))
    }

    fn remove<'a>(
        &'a self,
        key: &'a TokenKey,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let path = self.path_for(key);
        let codec = self.codec.clone();
        let key = key.clone();
        let token = token.clone();
        Box::pin(blocking(move || {
            let holds_it = match read_bounded(&path) {
                Ok(Some(bytes)) => match codec.decode(&key, &bytes) {
                    Some(stored) => stored.same_value(&token),
                    // unreadable: a miss anyway, clean it up
                    None => true,
                },
                Ok(None) => false,
                Err(e) => {
                    return Err(store_error(
                        format!("cannot read token file {}", path.display()),
                        e,
                    ));
                }
            };
            if holds_it {
                match fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(store_error(
                            format!("cannot remove token file {}", path.display()),
                            e,
                        ));
                    }
                }
            }
            Ok(())
        }))
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a TokenKey,
        _ttl: Duration,
    ) -> BoxFuture<'a, Result<LockAttempt, Error>> {
        let path = self.lock_path_for(key);
        let dir = self.dir.clone();
        Box::pin(blocking(move || {
            ensure_private_dir(&dir)?;
            let file = private_options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| store_error(format!("cannot open lock file {}", path.display()), e))?;
            match file.try_lock() {
                Ok(()) => Ok(LockAttempt::Acquired(RefreshLock::new(FileLock {
                    file: Some(file),
                }))),
                Err(fs::TryLockError::WouldBlock) => Ok(LockAttempt::Busy),
                Err(fs::TryLockError::Error(e)) => {
                    Err(store_error(format!("cannot lock {}", path.display()), e))
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_is_expanded_and_other_paths_are_kept() {
        let p = expand_home(PathBuf::from("~/tokens"));
        assert!(!p.starts_with("~"));
        assert!(p.ends_with("tokens"));
        assert_eq!(
            expand_home(PathBuf::from("/tmp/x")),
            PathBuf::from("/tmp/x")
        );
        assert_eq!(expand_home(PathBuf::from("~x")), PathBuf::from("~x"));
    }

    #[test]
    fn file_name_has_vendor_and_hash_but_no_client_id() {
        let store = FileStore::new("/tmp/somewhere");
        let key = TokenKey::new("Pax8!", "https://api.example/token", "client-xyz");
        let name = store
            .path_for(&key)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(name.starts_with("pax8-"), "{name}");
        assert!(name.ends_with(".token.json"));
        assert!(!name.contains("client-xyz"));
    }
}
