//! [`MemoryStore`]: tokens in process memory (the default).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

use super::{LockAttempt, LockRelease, RefreshLock, TokenKey, TokenStore};
use crate::auth::token::Token;
use crate::error::Error;

/// Tokens in process memory. Nothing survives the process; nothing touches the disk.
///
/// Every [`TokenCache`](crate::auth::token::TokenCache) without a configured store has a
/// private one. Share one `Arc<MemoryStore>` between caches (e.g. two clients of the same
/// account in one process) to share their tokens; its refresh lock then makes them fetch once.
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    tokens: HashMap<String, Token>,
    locks: HashSet<String>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of stored tokens.
    pub fn len(&self) -> usize {
        self.lock().tokens.len()
    }

    /// `true` if no token is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("tokens", &self.len())
            .finish()
    }
}

struct MemoryLock {
    store: MemoryStore,
    id: String,
}

impl LockRelease for MemoryLock {
    fn release(self: Box<Self>) -> BoxFuture<'static, ()> {
        self.store.lock().locks.remove(&self.id);
        Box::pin(futures::future::ready(()))
    }
}

impl TokenStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<Token>, Error>> {
        let t = self.lock().tokens.get(key.id()).cloned();
        Box::pin(futures::future::ready(Ok(t)))
    }

    fn save<'a>(&'a self, key: &'a TokenKey, token: &'a Token) -> BoxFuture<'a, Result<(), Error>> {
        let mut inner = self.lock();
        let now = SystemTime::now();
        // drop long-expired entries so the map stays bounded by live accounts
        inner.tokens.retain(|_, t| {
            t.expires_at
                .is_none_or(|e| e + Duration::from_secs(3600) > now)
        });
        inner.tokens.insert(key.id().to_owned(), token.clone());
        Box::pin(futures::future::ready(Ok(())))
    }

    fn remove<'a>(
        &'a self,
        key: &'a TokenKey,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let mut inner = self.lock();
        if inner
            .tokens
            .get(key.id())
            .is_some_and(|t| t.same_value(token))
        {
            inner.tokens.remove(key.id());
        }
        Box::pin(futures::future::ready(Ok(())))
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a TokenKey,
        _ttl: Duration,
    ) -> BoxFuture<'a, Result<LockAttempt, Error>> {
        let acquired = self.lock().locks.insert(key.id().to_owned());
        let attempt = if acquired {
            LockAttempt::Acquired(RefreshLock::new(MemoryLock {
                store: self.clone(),
                id: key.id().to_owned(),
            }))
        } else {
            LockAttempt::Busy
        };
        Box::pin(futures::future::ready(Ok(attempt)))
    }
}
