//! [`RedisStore`]: tokens shared by a fleet of machines through Redis (feature `redis`).
//!
//! * Keys: `<prefix>token:<vendor>:<key id>` (prefix default `billing-sdk:`); the value is the
//!   same JSON record as the file store (token, type, expiry, vendor, base URL, client-id hash;
//!   never the client secret), written with a TTL equal to the token's remaining lifetime, so
//!   Redis drops it when it expires.
//! * Refresh lock: `<prefix>lock:<vendor>:<key id>`, taken with `SET NX PX <ttl>` and a random
//!   owner value, released by a compare-and-delete script; a crashed holder's lock expires on
//!   its own. Workers that find the lock taken poll the token key and pick up the new token,
//!   so a fleet refreshes once.
//! * Removal after a 401 is a compare-and-delete too: a token written meanwhile by another
//!   worker survives.
//!
//! Trade-offs: every worker that can reach the Redis database can read the token — protect it
//! like the credentials themselves (a password or ACL user, TLS with `rediss://`, a private
//! network). The token sits in Redis memory and in its persistence files (RDB/AOF) if those
//! are enabled. An unreachable Redis costs token requests, not calls: the cache carries on
//! with its own memory.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use redis::aio::MultiplexedConnection;

use super::{
    LockAttempt, LockRelease, RefreshLock, TokenKey, TokenStore, decode_record, encode_record,
    store_error,
};
use crate::auth::token::Token;
use crate::clock::{Clock, TokioClock};
use crate::error::Error;

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "billing-sdk:";

const COMPARE_AND_DELETE: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// Extends the lock's TTL (ARGV[2] ms) only while `owner` (ARGV[1]) still holds it.
const COMPARE_AND_PEXPIRE: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// Tokens in Redis, shared by every process that uses the same database and prefix.
/// See the [module docs](self).
#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    shown_url: String,
    prefix: String,
    clock: Arc<dyn Clock>,
    connect_timeout: Duration,
    response_timeout: Duration,
    conn: Arc<tokio::sync::Mutex<Option<MultiplexedConnection>>>,
}

impl RedisStore {
    /// A store at `url` (`redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS
    /// where the redis crate is built with TLS). Connects lazily, on first use.
    pub fn open(url: &str) -> Result<Self, Error> {
        let client = redis::Client::open(url)
            .map_err(|e| Error::config(format!("invalid redis url: {}", e.category())))?;
        let shown_url = match url::Url::parse(url) {
            Ok(mut u) => {
                let _ = u.set_password(None);
                u.to_string()
            }
            Err(_) => "redis".to_owned(),
        };
        Ok(RedisStore {
            client,
            shown_url,
            prefix: DEFAULT_PREFIX.to_owned(),
            clock: Arc::new(TokioClock),
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(5),
            conn: Arc::new(tokio::sync::Mutex::new(None)),
        })
    }

    /// Uses another key prefix (e.g. one per environment).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Uses another clock to compute entry TTLs (default [`TokioClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Connection and response timeouts (default 5 s each).
    pub fn with_timeouts(mut self, connect: Duration, response: Duration) -> Self {
        self.connect_timeout = connect;
        self.response_timeout = response;
        self
    }

    /// The Redis key holding `key`'s token.
    pub fn token_key(&self, key: &TokenKey) -> String {
        format!("{}token:{}:{}", self.prefix, key.vendor_slug(), key.id())
    }

    /// The Redis key of `key`'s refresh lock.
    pub fn lock_key(&self, key: &TokenKey) -> String {
        format!("{}lock:{}:{}", self.prefix, key.vendor_slug(), key.id())
    }

    /// Checks that Redis answers (`PING`).
    pub async fn ping(&self) -> Result<(), Error> {
        let _: String = self.query(redis::cmd("PING"), "ping").await?;
        Ok(())
    }

    async fn connection(&self) -> Result<MultiplexedConnection, Error> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.response_timeout));
        let c = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| self.error("cannot connect", e))?;
        *slot = Some(c.clone());
        Ok(c)
    }

    fn error(&self, what: &str, e: redis::RedisError) -> Error {
        store_error(format!("redis {}: {what}", self.shown_url), e)
    }

    /// Runs `f` on the shared connection (connecting first if needed); an I/O error, a dropped
    /// connection or a timeout drops the connection so the next call reconnects. Also used by
    /// the Redis rate limiter.
    pub(crate) async fn run<T: redis::FromRedisValue>(
        &self,
        what: &str,
        f: impl AsyncFnOnce(&mut MultiplexedConnection) -> redis::RedisResult<T>,
    ) -> Result<T, Error> {
        let mut conn = self.connection().await?;
        match f(&mut conn).await {
            Ok(v) => Ok(v),
            Err(e) => {
                if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() {
                    // reconnect next time
                    *self.conn.lock().await = None;
                }
                Err(self.error(what, e))
            }
        }
    }

    async fn query<T: redis::FromRedisValue>(
        &self,
        cmd: redis::Cmd,
        what: &str,
    ) -> Result<T, Error> {
        self.run(what, async |c| cmd.query_async(c).await).await
    }

    async fn compare_and_delete(
        &self,
        key: String,
        value: Vec<u8>,
        what: &str,
    ) -> Result<(), Error> {
        let script = redis::Script::new(COMPARE_AND_DELETE);
        let _: i64 = self
            .run(what, async |c| {
                script.key(key).arg(value).invoke_async(c).await
            })
            .await?;
        Ok(())
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.shown_url)
            .field("prefix", &self.prefix)
            .finish()
    }
}

struct RedisLock {
    store: RedisStore,
    key: String,
    owner: String,
    /// The task renewing the lock while it is held; aborted on release or drop.
    _renewer: Option<Renewer>,
}

/// Aborts the renewing task when dropped (a dropped `JoinHandle` alone would not).
struct Renewer(tokio::task::JoinHandle<()>);

impl Drop for Renewer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl RedisLock {
    /// Takes ownership of an acquired lock and renews it every third of `ttl` while the holder
    /// keeps it, so a short TTL (a vanished holder blocks the others for at most one TTL) never
    /// expires under a refresh that outlives it. Renewing stops when the lock is released or
    /// dropped, or when the holder no longer owns the key.
    fn held(store: RedisStore, key: String, owner: String, ttl: Duration) -> Self {
        let renewer = tokio::runtime::Handle::try_current().ok().map(|handle| {
            let (store, key, owner) = (store.clone(), key.clone(), owner.clone());
            let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let every = (ttl / 3).max(Duration::from_millis(1));
            Renewer(handle.spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    let script = redis::Script::new(COMPARE_AND_PEXPIRE);
                    let renewed: Result<i64, Error> = store
                        .run("cannot renew the refresh lock", async |c| {
                            script
                                .key(key.as_str())
                                .arg(owner.as_str())
                                .arg(ttl_ms)
                                .invoke_async(c)
                                .await
                        })
                        .await;
                    match renewed {
                        Ok(1) => {}
                        Ok(_) => {
                            tracing::warn!("redis refresh lock lost before its refresh ended");
                            return;
                        }
                        // a slow or unreachable Redis: try again at the next tick
                        Err(e) => tracing::debug!(error = %e, "redis refresh lock not renewed"),
                    }
                }
            }))
        });
        RedisLock {
            store,
            key,
            owner,
            _renewer: renewer,
        }
    }
}

impl LockRelease for RedisLock {
    fn release(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let RedisLock {
                store,
                key,
                owner,
                _renewer,
            } = *self;
            // stop renewing before deleting, so a late renewal cannot outlive the release
            drop(_renewer);
            if let Err(e) = store
                .compare_and_delete(key, owner.into_bytes(), "cannot release the refresh lock")
                .await
            {
                tracing::warn!(error = %e, "redis refresh lock not released; it expires by its ttl");
            }
        })
    }
}

impl TokenStore for RedisStore {
    fn load<'a>(&'a self, key: &'a TokenKey) -> BoxFuture<'a, Result<Option<Token>, Error>> {
        Box::pin(async move {
            let mut cmd = redis::cmd("GET");
            cmd.arg(self.token_key(key));
            let v: Option<Vec<u8>> = self.query(cmd, "cannot read token").await?;
            Ok(v.and_then(|b| decode_record(key, &b)))
        })
    }

    fn save<'a>(&'a self, key: &'a TokenKey, token: &'a Token) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let bytes = encode_record(key, token)?;
            let mut cmd = redis::cmd("SET");
            cmd.arg(self.token_key(key)).arg(bytes);
            if let Some(rem) = token.remaining(self.clock.system_now()) {
                let ms = u64::try_from(rem.as_millis()).unwrap_or(u64::MAX);
                if ms == 0 {
                    // already expired: nothing worth sharing
                    return Ok(());
                }
                cmd.arg("PX").arg(ms);
            }
            let _: redis::Value = self.query(cmd, "cannot write token").await?;
            Ok(())
        })
    }

    fn remove<'a>(
        &'a self,
        key: &'a TokenKey,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let bytes = encode_record(key, token)?;
            self.compare_and_delete(self.token_key(key), bytes, "cannot remove token")
                .await
        })
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a TokenKey,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<LockAttempt, Error>> {
        Box::pin(async move {
            let owner = format!(
                "{:016x}{:016x}:{}",
                fastrand::u64(..),
                fastrand::u64(..),
                std::process::id()
            );
            let lock_key = self.lock_key(key);
            let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let mut cmd = redis::cmd("SET");
            cmd.arg(&lock_key)
                .arg(&owner)
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms);
            let set: Option<String> = self.query(cmd, "cannot take the refresh lock").await?;
            Ok(match set {
                Some(_) => LockAttempt::Acquired(RefreshLock::new(RedisLock::held(
                    self.clone(),
                    lock_key,
                    owner,
                    ttl,
                ))),
                None => LockAttempt::Busy,
            })
        })
    }
}
