//! Client-side rate limiting.
//!
//! [`RateLimiter`] is a trait so a fleet can share one budget (e.g. through Redis) later; the
//! in-process implementation is [`GcraLimiter`], a GCRA quota from the `governor` crate driven
//! by the injectable [`Clock`]. Callers **wait** for a permit instead of failing, each with a
//! little random jitter so waiters do not wake in lockstep. When the server answers 429 anyway,
//! [`RateLimiter::penalize`] holds every caller back until the server's `Retry-After` (or one
//! second) has passed.
//!
//! A limiter is shared by all clones of a client (it lives behind an `Arc`).

use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use governor::clock::Clock as GovernorClock;
use governor::state::{InMemoryState, NotKeyed};

use crate::clock::{Clock, TokioClock};

/// Waits for permission to send a request.
pub trait RateLimiter: Send + Sync + fmt::Debug {
    /// Resolves when one request may be sent.
    fn acquire(&self) -> BoxFuture<'_, ()>;
    /// The server answered 429: slow down (hold callers for `retry_after`, or a default pause).
    fn penalize(&self, retry_after: Option<Duration>);
}

/// A quota: `count` requests per `period`, with bursts of up to `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Quota {
    /// Requests allowed per period.
    pub count: u32,
    /// The period.
    pub period: Duration,
    /// Largest burst (1 = evenly spaced, no burst).
    pub burst: u32,
}

impl Quota {
    /// `count` requests per second, no burst.
    pub fn per_second(count: u32) -> Self {
        Quota {
            count: count.max(1),
            period: Duration::from_secs(1),
            burst: 1,
        }
    }
    /// `count` requests per minute, no burst.
    pub fn per_minute(count: u32) -> Self {
        Quota {
            count: count.max(1),
            period: Duration::from_secs(60),
            burst: 1,
        }
    }
    /// Allows bursts of `burst` requests.
    pub fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }
    /// The spacing between two requests at the sustained rate.
    pub fn interval(&self) -> Duration {
        self.period / self.count.max(1)
    }
}

#[derive(Clone, Debug)]
struct GovClock(Arc<dyn Clock>);

impl GovernorClock for GovClock {
    type Instant = Instant;
    fn now(&self) -> Instant {
        self.0.now()
    }
}

type Gov = governor::RateLimiter<
    NotKeyed,
    InMemoryState,
    GovClock,
    governor::middleware::NoOpMiddleware<Instant>,
>;

/// In-process GCRA rate limiter (see the [module docs](self)).
pub struct GcraLimiter {
    quota: Quota,
    limiter: Gov,
    clock: Arc<dyn Clock>,
    max_jitter: Duration,
    default_penalty: Duration,
    blocked_until: Mutex<Option<Instant>>,
}

impl GcraLimiter {
    /// A limiter for `quota` on tokio's clock.
    pub fn new(quota: Quota) -> Self {
        Self::with_clock(quota, Arc::new(TokioClock))
    }

    /// A limiter for `quota` on the given clock.
    pub fn with_clock(quota: Quota, clock: Arc<dyn Clock>) -> Self {
        let interval = quota.interval().max(Duration::from_nanos(1));
        let burst = NonZeroU32::new(quota.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let gq = governor::Quota::with_period(interval)
            .unwrap_or_else(|| governor::Quota::per_second(NonZeroU32::MAX))
            .allow_burst(burst);
        let limiter = governor::RateLimiter::direct_with_clock(gq, GovClock(clock.clone()));
        GcraLimiter {
            quota,
            limiter,
            clock,
            max_jitter: (interval / 10).min(Duration::from_millis(50)),
            default_penalty: Duration::from_secs(1),
            blocked_until: Mutex::new(None),
        }
    }

    /// Sets the largest random delay added to each wait (default: a tenth of the interval, at
    /// most 50 ms).
    pub fn max_jitter(mut self, jitter: Duration) -> Self {
        self.max_jitter = jitter;
        self
    }

    /// Sets the pause after a 429 without `Retry-After` (default 1 s).
    pub fn default_penalty(mut self, pause: Duration) -> Self {
        self.default_penalty = pause;
        self
    }

    /// The quota.
    pub fn quota(&self) -> Quota {
        self.quota
    }

    fn jitter(&self) -> Duration {
        if self.max_jitter.is_zero() {
            return Duration::ZERO;
        }
        self.max_jitter.mul_f64(fastrand::f64())
    }

    fn blocked_until(&self) -> Option<Instant> {
        *self.blocked_until.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for GcraLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcraLimiter")
            .field("quota", &self.quota)
            .finish_non_exhaustive()
    }
}

impl RateLimiter for GcraLimiter {
    fn acquire(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            loop {
                let now = self.clock.now();
                if let Some(until) = self.blocked_until().filter(|until| *until > now) {
                    self.clock.sleep(until - now + self.jitter()).await;
                    continue;
                }
                match self.limiter.check() {
                    Ok(()) => return,
                    Err(not_until) => {
                        let wait = not_until.wait_time_from(now);
                        self.clock.sleep(wait + self.jitter()).await;
                    }
                }
            }
        })
    }

    fn penalize(&self, retry_after: Option<Duration>) {
        let until = self.clock.now() + retry_after.unwrap_or(self.default_penalty);
        let mut guard = self.blocked_until.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none_or(|current| current < until) {
            *guard = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_by_the_quota_interval() {
        let limiter = GcraLimiter::new(Quota::per_second(10)).max_jitter(Duration::ZERO);
        let start = tokio::time::Instant::now();
        for _ in 0..11 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn penalty_holds_callers_back() {
        let limiter = GcraLimiter::new(Quota::per_second(1000)).max_jitter(Duration::ZERO);
        limiter.acquire().await;
        let start = tokio::time::Instant::now();
        limiter.penalize(Some(Duration::from_secs(3)));
        limiter.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn burst_allows_immediate_requests() {
        let limiter =
            GcraLimiter::new(Quota::per_second(1).with_burst(5)).max_jitter(Duration::ZERO);
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
