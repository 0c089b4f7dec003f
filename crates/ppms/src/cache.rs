//! An optional cache for `getuser` results (reference section 6.2).
//!
//! Rules (PPMS-Q50):
//! * only **successfully parsed** users are stored; errors are never stored, so a transient
//!   `NotAuthorized` cannot be served again from the cache;
//! * "not found" is not stored;
//! * authentication, rights, login lists, bookings and running sheets are never cached;
//! * the key is the instance's site URL plus the login, so two instances never share entries.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::model::User;

/// A value and whether it came from the cache.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Fetched<T> {
    /// The value.
    pub value: T,
    /// True when no request was sent for it.
    pub from_cache: bool,
}

/// Storage for `getuser` results. Implementations must be cheap to share across tasks.
pub trait UserCache: Send + Sync + fmt::Debug {
    /// The stored user for `key`, if fresh.
    fn get(&self, key: &str) -> Option<User>;
    /// Stores a successfully parsed user.
    fn put(&self, key: &str, user: &User);
    /// Drops one entry.
    fn invalidate(&self, key: &str);
    /// Drops every entry.
    fn clear(&self);
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An in-memory cache with a time-to-live (4 hours is what the OMERO plugin uses).
pub struct MemoryUserCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (u64, User)>>,
}

impl MemoryUserCache {
    /// A cache whose entries live for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The number of stored entries, fresh or not.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |m| m.len())
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for MemoryUserCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryUserCache")
            .field("ttl", &self.ttl)
            .field("len", &self.len())
            .finish()
    }
}

impl UserCache for MemoryUserCache {
    fn get(&self, key: &str) -> Option<User> {
        let map = self.entries.lock().ok()?;
        let (at, user) = map.get(key)?;
        (now_secs().saturating_sub(*at) < self.ttl.as_secs().max(1)).then(|| user.clone())
    }
    fn put(&self, key: &str, user: &User) {
        if let Ok(mut m) = self.entries.lock() {
            m.insert(key.to_owned(), (now_secs(), user.clone()));
        }
    }
    fn invalidate(&self, key: &str) {
        if let Ok(mut m) = self.entries.lock() {
            m.remove(key);
        }
    }
    fn clear(&self) {
        if let Ok(mut m) = self.entries.lock() {
            m.clear();
        }
    }
}

/// An on-disk cache: one JSON file per user in a folder, with a time-to-live. A corrupt or
/// unreadable file counts as a miss. Files hold personal data: put the folder somewhere only
/// the application's user can read.
#[derive(Debug, Clone)]
pub struct DiskUserCache {
    dir: PathBuf,
    ttl: Duration,
}

#[derive(Serialize, Deserialize)]
struct DiskEntry {
    stored_at: u64,
    user: User,
}

impl DiskUserCache {
    /// A cache in `dir` (created on first write) whose entries live for `ttl`.
    pub fn new(dir: impl Into<PathBuf>, ttl: Duration) -> Self {
        Self {
            dir: dir.into(),
            ttl,
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A file name for a key: safe characters kept, everything else escaped as `%XX`, so that
    /// keys with `/`, spaces or non-ASCII characters can neither collide nor escape the folder.
    fn path(&self, key: &str) -> PathBuf {
        let mut name = String::with_capacity(key.len() + 5);
        for b in key.bytes() {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                name.push(char::from(b));
            } else {
                name.push_str(&format!("%{b:02X}"));
            }
        }
        name.push_str(".json");
        self.dir.join(name)
    }
}

impl UserCache for DiskUserCache {
    fn get(&self, key: &str) -> Option<User> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        let entry: DiskEntry = serde_json::from_slice(&bytes).ok()?;
        (now_secs().saturating_sub(entry.stored_at) < self.ttl.as_secs().max(1))
            .then_some(entry.user)
    }
    fn put(&self, key: &str, user: &User) {
        let entry = DiskEntry {
            stored_at: now_secs(),
            user: user.clone(),
        };
        let Ok(json) = serde_json::to_vec(&entry) else {
            return;
        };
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let path = self.path(key);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, json).is_ok() && std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
    fn invalidate(&self, key: &str) {
        let _ = std::fs::remove_file(self.path(key));
    }
    fn clear(&self) {
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                if e.path().extension().is_some_and(|x| x == "json") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse::{RowPolicy, parse_table};

    fn user() -> User {
        let body = "login,lname,fname,email,phone,bcode,affiliation,unitlogin,mustchpwd,mustchbcode,active\r\n\"jdoe\",\"Doe\",\"Jane\",\"jane.doe@example.org\",\"\",\"\",\"\",\"doe_lab\",false,false,true\r\n";
        parse_table::<User>(body, RowPolicy::Strict)
            .unwrap()
            .into_items()
            .remove(0)
    }

    #[test]
    fn memory_cache_stores_invalidates_and_expires() {
        let c = MemoryUserCache::new(Duration::from_secs(3600));
        assert!(c.get("k").is_none());
        c.put("k", &user());
        assert_eq!(c.get("k").map(|u| u.login), Some("jdoe".into()));
        c.invalidate("k");
        assert!(c.get("k").is_none());
        let expired = MemoryUserCache::new(Duration::ZERO);
        expired
            .entries
            .lock()
            .unwrap()
            .insert("k".into(), (0, user()));
        assert!(expired.get("k").is_none());
    }

    #[test]
    fn disk_cache_round_trips_and_escapes_keys() {
        let dir = tempfile::tempdir().unwrap();
        let c = DiskUserCache::new(dir.path(), Duration::from_secs(3600));
        let key = "https://h/site/|../jdoe é";
        c.put(key, &user());
        assert_eq!(c.get(key), Some(user()));
        let name = c.path(key);
        assert_eq!(name.parent(), Some(dir.path()));
        std::fs::write(&name, b"{corrupt").unwrap();
        assert!(c.get(key).is_none());
        c.put(key, &user());
        c.clear();
        assert!(c.get(key).is_none());
    }
}
