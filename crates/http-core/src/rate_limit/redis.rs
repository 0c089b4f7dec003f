//! [`RedisLimiter`]: one quota shared by a fleet of processes through Redis (feature `redis`).
//!
//! Every process that builds a `RedisLimiter` for the same Redis database, key prefix, vendor
//! and account shares one GCRA timeline: the reserved-slot GCRA of [`GcraLimiter`] (see the
//! [parent module](super)) run atomically in Redis by a Lua script.
//!
//! * **One round trip per acquire.** The script reads the timeline, reserves the caller's slot
//!   when it lies within the caller's budget, and answers how long to wait; the caller then
//!   sleeps locally until its slot. The script is sent once and then called by its SHA-1
//!   (`EVALSHA`, through [`redis::Script`]).
//! * **Redis's clock.** The script reads `TIME` on the Redis server, so the hosts' clocks need
//!   not agree; only the waits it answers (durations) cross the network. The timeline is fixed:
//!   a caller whose timer fires late does not shift the slots of the others (as
//!   [`GcraLimiter::strict_spacing`]`(false)`; the network latency of the answer only ever makes
//!   a caller later, never earlier).
//! * **Key.** `<prefix>ratelimit:<vendor>:<hash>` (prefix default `billing-sdk:`), where the
//!   hash is the hex SHA-256 of the account id (for Pax8: the client id) that the token stores
//!   also record ([`TokenKey::client_hash`]); the id itself never reaches Redis. The key is a
//!   hash with the theoretical arrival time and the end of the current 429 pause, in
//!   microseconds of Redis time, and expires once both lie in the past.
//! * **429s are shared.** [`RateLimiter::penalize`] writes the pause (capped by the limiter's
//!   [`Penalty`], as the local limiter caps it) into the same key, so every process's next
//!   reservation comes after it. A caller of this process already waiting for a slot inside the
//!   pause reserves again when it wakes (as with [`GcraLimiter`]); a caller of **another**
//!   process does so once its process has heard of the pause, which every answer of the script
//!   carries — so at most the slots that process reserved before its next round trip go ahead.
//!
//! ## When Redis does not answer
//!
//! Each round trip (connecting included) is bounded by [`RedisLimiterBuilder::timeout`]
//! (default [`DEFAULT_REDIS_TIMEOUT`], 250 ms). When Redis fails or is too slow, the limiter
//! switches to a local [`GcraLimiter`] with a share of the quota
//! ([`RedisLimiterBuilder::expected_nodes`]: by default the quota ÷ [`DEFAULT_EXPECTED_NODES`];
//! or [`RedisLimiterBuilder::fallback_quota`]), logs one `warn` line, and from then on lets one
//! caller at a time try Redis again at most every [`RedisLimiterBuilder::probe_interval`]
//! (default [`DEFAULT_PROBE_INTERVAL`]); the first answer switches back and logs one `info`
//! line. A call therefore never waits on Redis longer than the timeout, never blocks for good,
//! and a slot that cannot come within the call's budget is the same
//! [`Error::rate_limited_by_client`] as the local limiter's, whichever limiter answered.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::{GcraLimiter, Penalty, Quota, RateLimiter};
use crate::auth::store::TokenKey;
use crate::auth::store::redis::{DEFAULT_PREFIX, RedisStore};
use crate::clock::{Clock, TokioClock, instant_after};
use crate::error::{Error, ErrorKind};

/// The default bound on one round trip to Redis (connecting included).
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(250);

/// The default pause between two attempts to reach Redis again after it failed.
pub const DEFAULT_PROBE_INTERVAL: Duration = Duration::from_secs(5);

/// The default number of processes assumed to share the quota while Redis is out of reach: each
/// falls back to a local limiter with this share of the quota.
pub const DEFAULT_EXPECTED_NODES: u32 = 4;

/// Pause ends (on the local clock) closer than this are taken for the same pause.
const PAUSE_SLACK: Duration = Duration::from_millis(20);

/// The largest duration sent to the script (2^50 µs, about 35 years): Lua numbers are doubles,
/// exact up to 2^53.
const MAX_SCRIPT_MICROS: u64 = 1 << 50;

/// The reserved-slot GCRA (see [`GcraLimiter::reserve`] and [`GcraLimiter`]'s `penalize`), on
/// Redis's clock, in microseconds. `ARGV`: operation (`acquire` / `penalize`), interval,
/// tolerance, then the budget (-1: unlimited) or the pause. Answers `{granted, wait, pause
/// left}`. Times are written with `%.0f`: Lua's default number format keeps only 14 digits.
const GCRA_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'tat', 'blocked')
local tat = tonumber(v[1]) or now
local blocked = tonumber(v[2]) or 0
local granted = 1
local wait = 0
if ARGV[1] == 'penalize' then
  blocked = math.max(blocked, now + tonumber(ARGV[4]))
  tat = math.max(tat, blocked)
else
  local max_wait = tonumber(ARGV[4])
  local slot = math.max(tat - tolerance, now, blocked)
  wait = slot - now
  if max_wait >= 0 and wait > max_wait then
    return {0, wait, math.max(blocked - now, 0)}
  end
  tat = math.max(tat, slot) + interval
end
redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', tat), 'blocked', string.format('%.0f', blocked))
redis.call('PEXPIRE', KEYS[1], math.floor((math.max(tat, blocked) - now) / 1000) + 1000)
return {granted, wait, math.max(blocked - now, 0)}
";

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros())
        .unwrap_or(u64::MAX)
        .min(MAX_SCRIPT_MICROS)
}

fn from_micros(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

/// Builds a [`RedisLimiter`]; see [`RedisLimiter::builder`].
#[must_use]
pub struct RedisLimiterBuilder {
    url: String,
    vendor: String,
    account: String,
    quota: Quota,
    prefix: String,
    timeout: Duration,
    probe_interval: Duration,
    fallback: Option<Quota>,
    expected_nodes: u32,
    penalty: Penalty,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RedisLimiterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // neither the URL (it may hold a password) nor the account id
        f.debug_struct("RedisLimiterBuilder")
            .field("vendor", &self.vendor)
            .field("quota", &self.quota)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisLimiterBuilder {
    /// Another key prefix (default `billing-sdk:`, as the Redis token store), e.g. one per
    /// environment.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The bound on one round trip to Redis, connecting included (default
    /// [`DEFAULT_REDIS_TIMEOUT`]). Past it the call goes through the local fallback.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How often, at most, Redis is tried again after it failed (default
    /// [`DEFAULT_PROBE_INTERVAL`]).
    pub fn probe_interval(mut self, interval: Duration) -> Self {
        self.probe_interval = interval;
        self
    }

    /// The number of processes expected to share the quota (default
    /// [`DEFAULT_EXPECTED_NODES`]): while Redis is out of reach each uses `1 / nodes` of the
    /// quota on its own.
    pub fn expected_nodes(mut self, nodes: u32) -> Self {
        self.expected_nodes = nodes.max(1);
        self.fallback = None;
        self
    }

    /// The share of the quota (0 to 1) this process uses on its own while Redis is out of
    /// reach; the same as `expected_nodes(1 / share)` when that is a whole number. At least one
    /// call per period is always allowed.
    pub fn fallback_share(mut self, share: f64) -> Self {
        let share = if share.is_finite() {
            share.clamp(0.0, 1.0)
        } else {
            1.0
        };
        let scale = |n: u32| ((f64::from(n) * share).floor() as u32).max(1);
        self.fallback = Some(
            Quota {
                count: scale(self.quota.count),
                period: self.quota.period,
                burst: 1,
            }
            .with_burst(scale(self.quota.burst)),
        );
        self
    }

    /// The exact quota this process uses on its own while Redis is out of reach.
    pub fn fallback_quota(mut self, quota: Quota) -> Self {
        self.fallback = Some(quota);
        self
    }

    /// How long a 429 pauses the fleet (default [`Penalty::default`]: the `Retry-After`, or
    /// 1 s, at most 60 s; the client caps it further at its retry policy's `max_retry_after`).
    pub fn penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
        self
    }

    /// The clock of the local waits and of the fallback limiter (default [`TokioClock`]). The
    /// shared timeline always runs on Redis's clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The limiter. Fails only on an invalid URL; Redis is first reached by the first acquire.
    pub fn build(self) -> Result<RedisLimiter, Error> {
        let store = RedisStore::open(&self.url)?.with_timeouts(self.timeout, self.timeout);
        let id = TokenKey::new(self.vendor.as_str(), "", &self.account);
        let key = format!(
            "{}ratelimit:{}:{}",
            self.prefix,
            id.vendor_slug(),
            id.client_hash()
        );
        let fallback_quota = match self.fallback {
            Some(q) => q,
            None => {
                let nodes = self.expected_nodes.max(1);
                Quota {
                    count: (self.quota.count / nodes).max(1),
                    period: self.quota.period,
                    burst: 1,
                }
                .with_burst(self.quota.burst / nodes)
            }
        };
        let interval = self.quota.interval().max(Duration::from_micros(1));
        let fallback = GcraLimiter::with_clock(fallback_quota, self.clock.clone())
            .strict_spacing(false)
            .penalty(self.penalty);
        Ok(RedisLimiter {
            store,
            script: redis::Script::new(GCRA_SCRIPT),
            key,
            vendor: self.vendor,
            quota: self.quota,
            interval_us: micros(interval),
            tolerance_us: micros(interval.saturating_mul(self.quota.burst.max(1) - 1)),
            timeout: self.timeout,
            probe_interval: self.probe_interval,
            penalty: self.penalty,
            clock: self.clock,
            fallback,
            state: Mutex::new(LinkState {
                mode: Mode::Shared,
                pause_until: None,
            }),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Redis answers: the shared timeline decides.
    Shared,
    /// Redis failed: the local fallback decides; Redis is tried again at `next_probe`.
    Fallback { next_probe: Instant },
}

struct LinkState {
    mode: Mode,
    /// The end of the newest shared 429 pause this process knows of, on the local clock.
    pause_until: Option<Instant>,
}

/// What the script answered.
struct Reply {
    granted: bool,
    wait: Duration,
    pause_left: Duration,
}

/// A GCRA quota shared through Redis by every process using the same key; a local limiter
/// while Redis is out of reach. See the [module docs](self).
///
/// ```no_run
/// use std::sync::Arc;
/// use billing_http_core::rate_limit::{Quota, redis::RedisLimiter};
///
/// # fn run() -> Result<(), billing_http_core::Error> {
/// let limiter = RedisLimiter::builder("redis://127.0.0.1:6379", "pax8", "my-client-id",
///         Quota::per_minute(960))
///     .expected_nodes(4) // each of 4 workers keeps 240/min while Redis is down
///     .build()?;
/// // every client of every process built with the same Redis, vendor and account shares it:
/// // `.rate_limiter(Arc::new(limiter))` on any vendor builder
/// # let _ = Arc::new(limiter);
/// # Ok(())
/// # }
/// ```
pub struct RedisLimiter {
    store: RedisStore,
    script: redis::Script,
    key: String,
    vendor: String,
    quota: Quota,
    interval_us: u64,
    tolerance_us: u64,
    timeout: Duration,
    probe_interval: Duration,
    penalty: Penalty,
    clock: Arc<dyn Clock>,
    fallback: GcraLimiter,
    state: Mutex<LinkState>,
}

impl RedisLimiter {
    /// A builder for a limiter at `redis_url` (`redis://[user:password@]host[:port][/db]`)
    /// that shares `quota` with every process using the same vendor and account (for Pax8 the
    /// client id; only its hash reaches Redis).
    pub fn builder(
        redis_url: impl Into<String>,
        vendor: impl Into<String>,
        account: impl AsRef<str>,
        quota: Quota,
    ) -> RedisLimiterBuilder {
        RedisLimiterBuilder {
            url: redis_url.into(),
            vendor: vendor.into(),
            account: account.as_ref().to_owned(),
            quota,
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_REDIS_TIMEOUT,
            probe_interval: DEFAULT_PROBE_INTERVAL,
            fallback: None,
            expected_nodes: DEFAULT_EXPECTED_NODES,
            penalty: Penalty::default(),
            clock: Arc::new(TokioClock),
        }
    }

    /// The shared quota.
    pub fn quota(&self) -> Quota {
        self.quota
    }

    /// The quota this process uses on its own while Redis is out of reach.
    pub fn fallback_quota(&self) -> Quota {
        self.fallback.quota()
    }

    /// The Redis key holding the shared timeline.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether the limiter currently runs on its local fallback (Redis failed and has not
    /// answered since).
    pub fn is_on_fallback(&self) -> bool {
        matches!(self.lock().mode, Mode::Fallback { .. })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LinkState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this caller goes to Redis: always while it answers; after a failure, one caller
    /// per probe interval.
    fn use_redis(&self, now: Instant) -> bool {
        let mut st = self.lock();
        match st.mode {
            Mode::Shared => true,
            Mode::Fallback { next_probe } if now >= next_probe => {
                st.mode = Mode::Fallback {
                    next_probe: instant_after(now, self.probe_interval),
                };
                true
            }
            Mode::Fallback { .. } => false,
        }
    }

    /// Redis answered at `now`: back to the shared timeline; remember the pause it reported.
    fn answered(&self, now: Instant, pause_left: Duration) {
        let mut st = self.lock();
        if st.mode != Mode::Shared {
            st.mode = Mode::Shared;
            tracing::info!(vendor = %self.vendor, "redis rate limiter: redis answers again, back on the shared quota");
        }
        if !pause_left.is_zero() {
            let until = instant_after(now, pause_left);
            if st.pause_until.is_none_or(|p| p < until) {
                st.pause_until = Some(until);
            }
        }
    }

    /// Redis failed at `now`: the fallback decides until the next probe.
    fn failed(&self, now: Instant, error: &Error) {
        let mut st = self.lock();
        let next_probe = instant_after(now, self.probe_interval);
        match st.mode {
            Mode::Shared => {
                st.mode = Mode::Fallback { next_probe };
                tracing::warn!(
                    vendor = %self.vendor,
                    error = %error,
                    fallback = ?self.fallback.quota(),
                    retry_in = ?self.probe_interval,
                    "redis rate limiter: redis does not answer, using the local fallback quota"
                );
            }
            Mode::Fallback { .. } => {
                st.mode = Mode::Fallback { next_probe };
                tracing::debug!(vendor = %self.vendor, error = %error, "redis rate limiter: redis still does not answer");
            }
        }
    }

    /// Whether a shared pause this process heard of after `known` still runs at `now`. Pause
    /// ends learnt from different answers differ by their network latency: an end less than
    /// [`PAUSE_SLACK`] after `known` is the same pause.
    fn newer_pause_at(&self, now: Instant, known: Option<Instant>) -> bool {
        self.lock()
            .pause_until
            .is_some_and(|p| p > now && known.is_none_or(|k| p > instant_after(k, PAUSE_SLACK)))
    }

    /// One round trip: runs the script, bounded by the timeout.
    async fn call(&self, op: &str, arg: i64) -> Result<Reply, Error> {
        let mut invocation = self.script.key(&self.key);
        invocation
            .arg(op)
            .arg(self.interval_us)
            .arg(self.tolerance_us)
            .arg(arg);
        let run = self.store.run("rate limiter script failed", async |c| {
            invocation.invoke_async::<Vec<i64>>(c).await
        });
        let answer = tokio::time::timeout(self.timeout, run)
            .await
            .map_err(|_| {
                Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "redis rate limiter: no answer within {} ms",
                        self.timeout.as_millis()
                    ),
                )
            })??;
        match answer.as_slice() {
            [granted, wait, pause] => Ok(Reply {
                granted: *granted == 1,
                wait: from_micros(*wait),
                pause_left: from_micros(*pause),
            }),
            _ => Err(Error::new(
                ErrorKind::Decode,
                "redis rate limiter: unexpected script answer",
            )),
        }
    }

    async fn acquire_inner(&self, max_wait: Duration) -> Result<(), Error> {
        let start = self.clock.now();
        let deadline = start.checked_add(max_wait);
        let left = |now: Instant| match deadline {
            Some(d) => d.saturating_duration_since(now),
            None => Duration::MAX,
        };
        loop {
            let now = self.clock.now();
            if !self.use_redis(now) {
                return self.fallback.acquire(left(now)).await;
            }
            let budget = if deadline.is_some() {
                i64::try_from(micros(left(now))).unwrap_or(i64::MAX)
            } else {
                -1
            };
            let reply = match self.call("acquire", budget).await {
                Ok(reply) => reply,
                Err(e) => {
                    let now = self.clock.now();
                    self.failed(now, &e);
                    return self.fallback.acquire(left(now)).await;
                }
            };
            let answered = self.clock.now();
            self.answered(answered, reply.pause_left);
            if !reply.granted {
                return Err(Error::rate_limited_by_client(reply.wait, left(now)));
            }
            if !reply.wait.is_zero() {
                // the slot already comes after every pause known now
                let known = self.lock().pause_until;
                self.clock.sleep(reply.wait).await;
                // a newer 429 this process heard of while the caller waited: reserve again
                if self.newer_pause_at(self.clock.now(), known) {
                    continue;
                }
            }
            return Ok(());
        }
    }

    async fn penalize_inner(&self, retry_after: Option<Duration>) {
        let pause = self.penalty.pause(retry_after);
        let now = self.clock.now();
        {
            let mut st = self.lock();
            let until = instant_after(now, pause);
            if st.pause_until.is_none_or(|p| p < until) {
                st.pause_until = Some(until);
            }
        }
        // the fallback pauses too, in case Redis fails before the pause ends
        self.fallback.penalize(Some(pause)).await;
        if matches!(self.lock().mode, Mode::Shared) {
            let arg = i64::try_from(micros(pause)).unwrap_or(i64::MAX);
            if let Err(e) = self.call("penalize", arg).await {
                self.failed(self.clock.now(), &e);
            }
        }
    }
}

impl fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("redis", &self.store)
            .field("key", &self.key)
            .field("quota", &self.quota)
            .field("fallback", &self.fallback.quota())
            .field("on_fallback", &self.is_on_fallback())
            .finish_non_exhaustive()
    }
}

impl RateLimiter for RedisLimiter {
    fn acquire(&self, max_wait: Duration) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.acquire_inner(max_wait))
    }

    fn penalize(&self, retry_after: Option<Duration>) -> BoxFuture<'_, ()> {
        Box::pin(self.penalize_inner(retry_after))
    }
}
