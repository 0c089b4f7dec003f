//! The client-side rate limiter of this crate: a pacing limiter that hands out **reserved
//! slots** on a fixed timeline.
//!
//! Pax8 allows 1000 calls per minute, token calls included (PAX8-Q46); the client paces at that
//! quota less a margin (default 4 %, [`crate::client::DEFAULT_RATE_LIMIT_MARGIN`]). Every attempt (API call,
//! token call, retry, page of a walk) takes one slot; slots are `60 s / quota` apart. A caller
//! reserves the next free slot under a lock and then sleeps until it, so a late wake-up (timer
//! granularity, a busy machine) does not push later slots back. A check-then-sleep limiter loses
//! that lateness on every call when many tasks wait, which cost about 5 % of the quota in the
//! throughput benchmark (`docs/benchmarks.md`, section "pax8"). A 429 from the server moves the
//! next slot past its `Retry-After` (or one second without one).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use http_core::clock::Clock;
use http_core::rate_limit::RateLimiter;

/// Reserved-slot pacing limiter. See the [module docs](self).
pub struct PacedLimiter {
    interval: Duration,
    clock: Arc<dyn Clock>,
    next: Mutex<Option<Instant>>,
}

impl fmt::Debug for PacedLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacedLimiter")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl PacedLimiter {
    /// `per_minute` slots per minute on `clock`.
    pub fn per_minute(per_minute: u32, clock: Arc<dyn Clock>) -> Self {
        Self {
            interval: Duration::from_secs(60) / per_minute.max(1),
            clock,
            next: Mutex::new(None),
        }
    }

    /// Time between two slots.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.next.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl RateLimiter for PacedLimiter {
    fn acquire(&self) -> BoxFuture<'_, ()> {
        let now = self.clock.now();
        let slot = {
            let mut next = self.lock();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        let wait = slot.saturating_duration_since(now);
        if wait.is_zero() {
            Box::pin(futures::future::ready(()))
        } else {
            self.clock.sleep(wait)
        }
    }

    fn penalize(&self, retry_after: Option<Duration>) {
        let until = self.clock.now() + retry_after.unwrap_or(Duration::from_secs(1));
        let mut next = self.lock();
        *next = Some(next.map_or(until, |n| n.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::clock::ManualClock;

    #[tokio::test]
    async fn slots_are_reserved_on_a_fixed_timeline() {
        let clock = ManualClock::new();
        let l = PacedLimiter::per_minute(60, Arc::new(clock.clone()));
        let t0 = clock.now();
        l.acquire().await;
        assert_eq!(
            clock.now() - t0,
            Duration::ZERO,
            "the first slot is immediate"
        );
        // Three tasks reserve back to back: slots 1 s, 2 s and 3 s after the first, whatever
        // the order in which they wake.
        let (a, b, c) = (l.acquire(), l.acquire(), l.acquire());
        c.await;
        b.await;
        a.await;
        assert_eq!(clock.now() - t0, Duration::from_secs(3));
        // A late wake-up does not shift the timeline: the next slot is still 4 s after t0.
        clock.advance(Duration::from_millis(300));
        l.acquire().await;
        assert_eq!(clock.now() - t0, Duration::from_secs(4));
    }

    #[tokio::test]
    async fn a_429_moves_the_next_slot_past_retry_after() {
        let clock = ManualClock::new();
        let l = PacedLimiter::per_minute(6000, Arc::new(clock.clone()));
        l.acquire().await;
        l.penalize(Some(Duration::from_secs(5)));
        let t0 = clock.now();
        l.acquire().await;
        assert_eq!(clock.now() - t0, Duration::from_secs(5));
    }
}
