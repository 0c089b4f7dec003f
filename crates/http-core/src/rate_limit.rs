//! Client-side rate limiting.
//!
//! [`RateLimiter`] is a trait so a fleet can share one budget (e.g. through Redis) later; the
//! in-process implementation is [`GcraLimiter`], a GCRA quota driven by the injectable
//! [`Clock`]. Callers **wait** for a permit instead of failing. When the server answers 429
//! anyway, [`RateLimiter::penalize`] holds every caller back until the server's `Retry-After`
//! (or one second) has passed.
//!
//! ## Why reserved slots, not check-and-retry
//!
//! GCRA tracks a *theoretical arrival time* (TAT): the quota's interval `T` is added for every
//! permit, and a request may go at `TAT - τ` where the tolerance `τ = (burst - 1) × T`. A
//! check-and-retry limiter (the `governor` crate's `until_ready`, which this module used at
//! first) lets every waiter sleep and then race for the next permit; the losers sleep again, and
//! the random jitter needed so they do not wake in lockstep is time the quota goes unused: the
//! Pax8 throughput benchmark used only 89–93 % of its quota that way. [`GcraLimiter`] instead
//! **reserves** a slot for each caller when it arrives (GCRA's virtual scheduling): the TAT moves
//! on at once, so every waiter has its own wake-up time — no two wake together, none race, and
//! the quota is used in full. A last guard at wake-up keeps two permits at least `T` apart even
//! when a timer fires late (a late waiter delays the ones behind it rather than letting two go
//! together); [`GcraLimiter::strict_spacing`] trades that guarantee for the last few percent of
//! throughput.
//!
//! A caller that gives up while waiting (its future dropped) leaves its slot unused: the limiter
//! errs on the side of sending less.
//!
//! A limiter is shared by all clones of a client (it lives behind an `Arc`).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

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

#[derive(Debug, Default)]
struct State {
    /// Theoretical arrival time of the next request.
    tat: Option<Instant>,
    /// When the last permit was released (for the spacing guard, burst 1 only).
    last_release: Option<Instant>,
    /// No permit before this (after a 429).
    blocked_until: Option<Instant>,
}

/// What a woken caller does next.
enum Release {
    Go,
    Wait(Duration),
    Reschedule,
}

/// In-process GCRA rate limiter with reserved slots (see the [module docs](self)).
pub struct GcraLimiter {
    quota: Quota,
    interval: Duration,
    tolerance: Duration,
    clock: Arc<dyn Clock>,
    default_penalty: Duration,
    strict_spacing: bool,
    state: Mutex<State>,
}

impl GcraLimiter {
    /// A limiter for `quota` on tokio's clock.
    pub fn new(quota: Quota) -> Self {
        Self::with_clock(quota, Arc::new(TokioClock))
    }

    /// A limiter for `quota` on the given clock.
    pub fn with_clock(quota: Quota, clock: Arc<dyn Clock>) -> Self {
        let interval = quota.interval().max(Duration::from_nanos(1));
        let tolerance = interval.saturating_mul(quota.burst.max(1) - 1);
        GcraLimiter {
            quota,
            interval,
            tolerance,
            clock,
            default_penalty: Duration::from_secs(1),
            strict_spacing: true,
            state: Mutex::new(State::default()),
        }
    }

    /// Sets the pause after a 429 without `Retry-After` (default 1 s).
    pub fn default_penalty(mut self, pause: Duration) -> Self {
        self.default_penalty = pause;
        self
    }

    /// Whether two permits are always at least one interval apart **as measured when they are
    /// released** (default `true`; only applies without burst).
    ///
    /// Timers fire a little late, by a different amount each time. Strict spacing absorbs that
    /// lateness by delaying the next caller, so it can add up: on a loaded two-core machine at
    /// 50 permits per second, about 5 % of the quota goes unused. With `false`, permits follow
    /// the fixed GCRA timeline and a late caller does not delay the next one, so the quota is
    /// used in full, but two permits may be released up to one timer's lateness (about a
    /// millisecond) closer than the interval. Choose `false` when the server counts over a long
    /// window (Pax8: 1000 calls per minute) and the client keeps a small margin below the quota.
    pub fn strict_spacing(mut self, strict: bool) -> Self {
        self.strict_spacing = strict;
        self
    }

    /// The quota.
    pub fn quota(&self) -> Quota {
        self.quota
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves the next slot: the instant the caller may go.
    fn reserve(&self, now: Instant) -> Instant {
        let mut st = self.lock();
        let tat = st.tat.unwrap_or(now);
        let mut slot = tat.checked_sub(self.tolerance).unwrap_or(now).max(now);
        if let Some(blocked) = st.blocked_until {
            slot = slot.max(blocked);
        }
        st.tat = Some(tat.max(slot) + self.interval);
        slot
    }

    /// At wake-up. A caller whose slot fell inside a 429 pause reserves again; with no burst
    /// allowed, a caller that wakes less than one interval after the previous release waits
    /// for the rest of it, so a late timer never lets two go together (see
    /// [`GcraLimiter::strict_spacing`]).
    fn release(&self, now: Instant) -> Release {
        let mut st = self.lock();
        if st.blocked_until.is_some_and(|until| until > now) {
            return Release::Reschedule;
        }
        if self.quota.burst <= 1
            && let Some(earliest) = st
                .last_release
                .map(|last| last + self.interval)
                .filter(|e| *e > now)
        {
            if !self.strict_spacing {
                // the caller goes at `earliest`; booking that instant (not the moment its timer
                // actually fires) keeps timer lateness from adding up from one caller to the next
                st.last_release = Some(earliest);
            }
            return Release::Wait(earliest - now);
        }
        st.last_release = Some(now);
        Release::Go
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
        // the slot is reserved now, when the caller arrives, not when the future is first polled
        let mut slot = self.reserve(self.clock.now());
        Box::pin(async move {
            loop {
                let now = self.clock.now();
                if slot > now {
                    self.clock.sleep(slot - now).await;
                }
                match self.release(self.clock.now()) {
                    Release::Go => return,
                    Release::Wait(d) => {
                        self.clock.sleep(d).await;
                        if !self.strict_spacing {
                            return;
                        }
                    }
                    Release::Reschedule => slot = self.reserve(self.clock.now()),
                }
            }
        })
    }

    fn penalize(&self, retry_after: Option<Duration>) {
        let until = self.clock.now() + retry_after.unwrap_or(self.default_penalty);
        let mut st = self.lock();
        if st.blocked_until.is_none_or(|current| current < until) {
            st.blocked_until = Some(until);
        }
        // new reservations start after the pause; callers already holding an earlier slot
        // reserve again when they wake (see `release`)
        if st.tat.is_none_or(|tat| tat < until) {
            st.tat = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_by_the_quota_interval() {
        let limiter = GcraLimiter::new(Quota::per_second(10));
        let start = tokio::time::Instant::now();
        for _ in 0..11 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn concurrent_callers_get_distinct_evenly_spaced_slots() {
        let clock = ManualClock::new();
        let limiter = GcraLimiter::with_clock(Quota::per_second(4), Arc::new(clock.clone()));
        let t0 = clock.now();
        // all five reserve before any is polled: slots at 0, 250, 500, 750 and 1000 ms
        let futs: Vec<_> = (0..5).map(|_| limiter.acquire()).collect();
        let mut released = Vec::new();
        for f in futs {
            f.await;
            released.push((clock.now() - t0).as_millis());
        }
        assert_eq!(released, vec![0, 250, 500, 750, 1000]);
    }

    #[tokio::test]
    async fn a_late_waiter_delays_the_next_instead_of_going_together() {
        let clock = ManualClock::new();
        let limiter = GcraLimiter::with_clock(Quota::per_second(4), Arc::new(clock.clone()));
        let t0 = clock.now();
        let first = limiter.acquire(); // slot 0
        let second = limiter.acquire(); // slot 250 ms
        clock.advance(Duration::from_millis(300)); // the first caller's wake-up comes late
        first.await;
        second.await;
        assert_eq!(
            (clock.now() - t0).as_millis(),
            550,
            "released 250 ms after the late first"
        );
    }

    #[tokio::test]
    async fn without_strict_spacing_lateness_does_not_add_up() {
        let clock = ManualClock::new();
        let limiter = GcraLimiter::with_clock(Quota::per_second(4), Arc::new(clock.clone()))
            .strict_spacing(false);
        let t0 = clock.now();
        let (a, b, c) = (limiter.acquire(), limiter.acquire(), limiter.acquire()); // 0, 250, 500 ms
        clock.advance(Duration::from_millis(300)); // the first caller's wake-up comes late
        a.await;
        b.await; // booked at 550 ms (300 + 250)
        c.await; // the timeline is not shifted again: 800 ms, not 800 ms plus lateness
        assert_eq!((clock.now() - t0).as_millis(), 800);
    }

    #[tokio::test(start_paused = true)]
    async fn penalty_holds_callers_back() {
        let limiter = GcraLimiter::new(Quota::per_second(1000));
        limiter.acquire().await;
        let start = tokio::time::Instant::now();
        limiter.penalize(Some(Duration::from_secs(3)));
        limiter.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_inside_a_429_pause_is_rescheduled_after_it() {
        let limiter = GcraLimiter::new(Quota::per_second(10));
        limiter.acquire().await;
        let start = tokio::time::Instant::now();
        let waiting = limiter.acquire(); // holds the slot at +100 ms
        limiter.penalize(Some(Duration::from_secs(2)));
        waiting.await;
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn burst_allows_immediate_requests() {
        let limiter = GcraLimiter::new(Quota::per_second(1).with_burst(5));
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_limiter_does_not_bank_more_than_the_burst() {
        let limiter = GcraLimiter::new(Quota::per_second(10).with_burst(2));
        limiter.acquire().await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        let start = tokio::time::Instant::now();
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(100),
            "two at once, the third one interval later"
        );
    }
}
