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
//!
//! ## Time budget and caps
//!
//! Waiting for the limiter counts against the call's time budget
//! ([`RetryPolicy::max_elapsed`](crate::retry::RetryPolicy::max_elapsed)): the client passes
//! what is left of it to [`RateLimiter::acquire`], and a limiter that cannot grant a slot within
//! that time fails **at once** with a rate-limited error
//! ([`Error::rate_limited_by_client`]: `is_rate_limited()`, `may_have_reached_server() ==
//! false`) instead of waiting silently. A pause after a 429 or 503 never lasts longer than the
//! retry policy's `max_retry_after` (the client caps the server's `Retry-After` before calling
//! [`RateLimiter::penalize`]) nor than the limiter's own [`DEFAULT_MAX_PENALTY`]: one answer
//! with `Retry-After: 999999` cannot block every clone for eleven days.
//!
//! ## Without a quota
//!
//! A client without a quota still shares back-off: [`BackoffGate`] has no quota, only the
//! shared pause after a 429/503, and costs one atomic load per call while no pause is running.
//! It is what [`Settings::limiter`](crate::settings::Settings::limiter) installs when neither the
//! vendor nor the caller sets a quota (also after `.no_rate_limit()`), and what
//! [`crate::Client::builder`] starts with.
//!
//! ## Writing a limiter (e.g. one shared by a fleet through Redis)
//!
//! Implement [`RateLimiter`]:
//!
//! * `acquire(max_wait)` resolves `Ok(())` when one request may be sent, at most `max_wait`
//!   from now. When the next free slot is later than that, it must return
//!   [`Error::rate_limited_by_client`] **without waiting** and without consuming a slot. A
//!   shared limiter reserves the slot in its store (for example a Lua script that advances a
//!   GCRA TAT only when the slot is within `max_wait`, and returns the slot's time), then
//!   sleeps locally until the slot. Errors of the store itself are the implementation's choice:
//!   fail closed with an error of another kind, or fail open with `Ok(())` and a log line.
//! * `penalize(retry_after)` holds back every caller sharing the limiter until `retry_after`
//!   (already capped by the client) or a default pause has passed. Never panic on a huge value:
//!   cap it (see [`DEFAULT_MAX_PENALTY`]) and add it with [`instant_after`].

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use crate::clock::{Clock, TokioClock, instant_after};
use crate::error::Error;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
#[cfg(feature = "redis")]
pub use self::redis::RedisLimiter;

/// The default pause after a 429 or 503 that carries no `Retry-After`.
pub const DEFAULT_PENALTY: Duration = Duration::from_secs(1);

/// The longest pause a limiter of this crate applies after a 429 or 503, whatever the server
/// asked (the client caps it further at its retry policy's `max_retry_after`).
pub const DEFAULT_MAX_PENALTY: Duration = Duration::from_secs(60);

/// Waits for permission to send a request. See the [module docs](self) for the contract.
pub trait RateLimiter: Send + Sync + fmt::Debug {
    /// Resolves `Ok(())` when one request may be sent, within `max_wait` from now; fails at
    /// once with [`Error::rate_limited_by_client`] when no slot can be granted in that time.
    /// `Duration::MAX` waits as long as it takes.
    fn acquire(&self, max_wait: Duration) -> BoxFuture<'_, Result<(), Error>>;
    /// The server answered 429 (or 503): hold every caller back for `retry_after` (already
    /// capped by the client at its policy's `max_retry_after`), or a default pause when the
    /// server named none.
    fn penalize(&self, retry_after: Option<Duration>) -> BoxFuture<'_, ()>;
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

/// How long a 429 (or 503) pauses a limiter: the server's `Retry-After`, or `default` when it
/// named none, never more than `max`. Both limiters of this crate take one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Penalty {
    /// The pause when the server named no `Retry-After` (default [`DEFAULT_PENALTY`]).
    pub default: Duration,
    /// The longest pause, whatever the server asked (default [`DEFAULT_MAX_PENALTY`]).
    pub max: Duration,
}

impl Default for Penalty {
    fn default() -> Self {
        Penalty {
            default: DEFAULT_PENALTY,
            max: DEFAULT_MAX_PENALTY,
        }
    }
}

impl Penalty {
    /// Sets the pause when the server named none.
    pub fn default_pause(mut self, pause: Duration) -> Self {
        self.default = pause;
        self
    }

    /// Sets the longest pause.
    pub fn max_pause(mut self, max: Duration) -> Self {
        self.max = max;
        self
    }

    /// The pause for an answer that asked for `retry_after`.
    pub fn pause(&self, retry_after: Option<Duration>) -> Duration {
        retry_after.unwrap_or(self.default).min(self.max)
    }
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
    penalty: Penalty,
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
            penalty: Penalty::default(),
            strict_spacing: true,
            state: Mutex::new(State::default()),
        }
    }

    /// Sets how long a 429 pauses the limiter (default [`Penalty::default`]: the
    /// `Retry-After`, or 1 s, at most 60 s).
    pub fn penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
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

    /// Reserves the next slot if it comes no later than `max_wait` from `now`: the instant the
    /// caller may go. Otherwise reserves nothing and says how long the caller would have waited.
    fn reserve(&self, now: Instant, max_wait: Duration) -> Result<Instant, Duration> {
        let mut st = self.lock();
        let tat = st.tat.unwrap_or(now);
        let mut slot = tat.checked_sub(self.tolerance).unwrap_or(now).max(now);
        if let Some(blocked) = st.blocked_until {
            slot = slot.max(blocked);
        }
        let wait = slot.saturating_duration_since(now);
        if wait > max_wait {
            return Err(wait);
        }
        st.tat = Some(instant_after(tat.max(slot), self.interval));
        Ok(slot)
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
                .map(|last| instant_after(last, self.interval))
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
    fn acquire(&self, max_wait: Duration) -> BoxFuture<'_, Result<(), Error>> {
        // the slot is reserved now, when the caller arrives, not when the future is first polled
        let start = self.clock.now();
        let deadline = start.checked_add(max_wait);
        let left = move |now: Instant| match deadline {
            Some(d) => d.saturating_duration_since(now),
            None => Duration::MAX,
        };
        let mut slot = match self.reserve(start, max_wait) {
            // a slot that is due now is released at once, without a waiting task
            Ok(slot) if slot <= start => match self.release(start) {
                Release::Go => return Box::pin(futures::future::ready(Ok(()))),
                _ => slot,
            },
            Ok(slot) => slot,
            Err(wait) => {
                return Box::pin(futures::future::ready(Err(Error::rate_limited_by_client(
                    wait, max_wait,
                ))));
            }
        };
        Box::pin(async move {
            loop {
                let now = self.clock.now();
                if slot > now {
                    self.clock.sleep(slot - now).await;
                }
                let now = self.clock.now();
                match self.release(now) {
                    Release::Go => return Ok(()),
                    Release::Wait(d) => {
                        self.clock.sleep(d).await;
                        if !self.strict_spacing {
                            return Ok(());
                        }
                    }
                    // a 429 arrived while this caller waited: its budget still applies
                    Release::Reschedule => {
                        slot = self
                            .reserve(now, left(now))
                            .map_err(|wait| Error::rate_limited_by_client(wait, left(now)))?;
                    }
                }
            }
        })
    }

    fn penalize(&self, retry_after: Option<Duration>) -> BoxFuture<'_, ()> {
        let pause = self.penalty.pause(retry_after);
        let until = instant_after(self.clock.now(), pause);
        let mut st = self.lock();
        if st.blocked_until.is_none_or(|current| current < until) {
            st.blocked_until = Some(until);
        }
        // new reservations start after the pause; callers already holding an earlier slot
        // reserve again when they wake (see `release`)
        if st.tat.is_none_or(|tat| tat < until) {
            st.tat = Some(until);
        }
        Box::pin(futures::future::ready(()))
    }
}

/// The default spacing of callers resuming after a pause (see [`BackoffGate::resume_spacing`]).
pub const DEFAULT_RESUME_SPACING: Duration = Duration::from_millis(50);

/// A limiter with no quota: only the shared pause after a 429 or 503 (see the
/// [module docs](self)).
///
/// While no pause runs, a caller goes at once: two atomic loads, no lock, no waiting. After a
/// pause, callers do not all rush the server at the instant it ends: they resume one at a time,
/// [`resume_spacing`](BackoffGate::resume_spacing) apart (a GCRA-like reservation that only runs
/// after a pause), so a server that is still overloaded answers one more 429 — which starts the
/// next pause and sends the waiting callers back to wait, without using up their attempts —
/// rather than twenty.
pub struct BackoffGate {
    clock: Arc<dyn Clock>,
    /// The clock's instant that the nanosecond counters below count from.
    base: Instant,
    /// No call may go before this (0: no pause ever set).
    blocked_until: AtomicU64,
    /// The next free slot of the resumption after a pause: a caller arriving before it takes
    /// it and moves it on by the spacing; one arriving after it goes at once.
    cursor: AtomicU64,
    spacing: Duration,
    penalty: Penalty,
}

impl BackoffGate {
    /// A gate on tokio's clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(TokioClock))
    }

    /// A gate on the given clock.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        let base = clock.now();
        BackoffGate {
            clock,
            base,
            blocked_until: AtomicU64::new(0),
            cursor: AtomicU64::new(0),
            spacing: DEFAULT_RESUME_SPACING,
            penalty: Penalty::default(),
        }
    }

    /// Sets how long a 429/503 pauses the gate (default [`Penalty::default`]).
    pub fn penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
        self
    }

    /// Sets how far apart callers resume after a pause (default [`DEFAULT_RESUME_SPACING`]).
    pub fn resume_spacing(mut self, spacing: Duration) -> Self {
        self.spacing = spacing;
        self
    }

    /// Nanoseconds since `base`, plus one: 0 is "never" for the counters.
    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.base).as_nanos())
            .unwrap_or(u64::MAX)
            .saturating_add(1)
    }

    fn spacing_nanos(&self) -> u64 {
        u64::try_from(self.spacing.as_nanos()).unwrap_or(u64::MAX)
    }

    /// Takes the next slot for a caller arriving at `now_n`: `Ok(None)` to go at once,
    /// `Ok(Some(slot))` to go at `slot`, or `Err(wait)` when the slot is more than `max_wait`
    /// away (nothing is reserved then).
    fn reserve(&self, now_n: u64, max_wait: Duration) -> Result<Option<u64>, Duration> {
        let max_wait_n = u64::try_from(max_wait.as_nanos()).unwrap_or(u64::MAX);
        let mut cursor = self.cursor.load(Ordering::Acquire);
        loop {
            // no pause and no resumption running: go
            if now_n > cursor && now_n >= self.blocked_until.load(Ordering::Acquire) {
                return Ok(None);
            }
            let slot = cursor.max(now_n);
            let wait = slot - now_n;
            if wait > max_wait_n {
                return Err(Duration::from_nanos(wait));
            }
            let next = slot.saturating_add(self.spacing_nanos()).max(slot + 1);
            match self.cursor.compare_exchange_weak(
                cursor,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok((wait > 0).then_some(slot)),
                Err(actual) => cursor = actual,
            }
        }
    }

    /// The pause still to run at `now` (zero when none).
    fn pause_left(&self, now: Instant) -> Duration {
        let until = self.blocked_until.load(Ordering::Acquire);
        Duration::from_nanos(until.saturating_sub(self.nanos(now)))
    }
}

impl Default for BackoffGate {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for BackoffGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackoffGate")
            .field("pause_left", &self.pause_left(self.clock.now()))
            .field("resume_spacing", &self.spacing)
            .finish_non_exhaustive()
    }
}

impl RateLimiter for BackoffGate {
    fn acquire(&self, max_wait: Duration) -> BoxFuture<'_, Result<(), Error>> {
        let start = self.clock.now();
        let start_n = self.nanos(start);
        let mut slot = match self.reserve(start_n, max_wait) {
            Ok(None) => return Box::pin(futures::future::ready(Ok(()))),
            Ok(Some(slot)) => slot,
            Err(wait) => {
                return Box::pin(futures::future::ready(Err(Error::rate_limited_by_client(
                    wait, max_wait,
                ))));
            }
        };
        let deadline_n =
            u64::try_from(max_wait.as_nanos()).map_or(u64::MAX, |w| start_n.saturating_add(w));
        Box::pin(async move {
            loop {
                let now_n = self.nanos(self.clock.now());
                if slot > now_n {
                    self.clock.sleep(Duration::from_nanos(slot - now_n)).await;
                }
                let now_n = self.nanos(self.clock.now());
                // a new pause began while this caller waited: take a slot after it, within
                // what is left of the budget
                if self.blocked_until.load(Ordering::Acquire) > now_n {
                    let left = Duration::from_nanos(deadline_n.saturating_sub(now_n));
                    match self.reserve(now_n, left) {
                        Ok(None) => return Ok(()),
                        Ok(Some(next)) => slot = next,
                        Err(wait) => return Err(Error::rate_limited_by_client(wait, left)),
                    }
                    continue;
                }
                return Ok(());
            }
        })
    }

    fn penalize(&self, retry_after: Option<Duration>) -> BoxFuture<'_, ()> {
        let pause = self.penalty.pause(retry_after);
        let until = self.nanos(instant_after(self.clock.now(), pause)).max(1);
        self.blocked_until.fetch_max(until, Ordering::AcqRel);
        // the resumption starts when the pause ends
        self.cursor.fetch_max(until, Ordering::AcqRel);
        Box::pin(futures::future::ready(()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed acquire or a poisoned lock fails the test
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_by_the_quota_interval() {
        let limiter = GcraLimiter::new(Quota::per_second(10));
        let start = tokio::time::Instant::now();
        for _ in 0..11 {
            limiter.acquire(Duration::MAX).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn concurrent_callers_get_distinct_evenly_spaced_slots() {
        let clock = ManualClock::new();
        let limiter = GcraLimiter::with_clock(Quota::per_second(4), Arc::new(clock.clone()));
        let t0 = clock.now();
        // all five reserve before any is polled: slots at 0, 250, 500, 750 and 1000 ms
        let futs: Vec<_> = (0..5).map(|_| limiter.acquire(Duration::MAX)).collect();
        let mut released = Vec::new();
        for f in futs {
            f.await.unwrap();
            released.push((clock.now() - t0).as_millis());
        }
        assert_eq!(released, vec![0, 250, 500, 750, 1000]);
    }

    #[tokio::test]
    async fn a_late_waiter_delays_the_next_instead_of_going_together() {
        let clock = ManualClock::new();
        let limiter = GcraLimiter::with_clock(Quota::per_second(4), Arc::new(clock.clone()));
        let t0 = clock.now();
        limiter.acquire(Duration::MAX).await.unwrap(); // slot 0, released at once
        let first = limiter.acquire(Duration::MAX); // slot 250 ms
        let second = limiter.acquire(Duration::MAX); // slot 500 ms
        clock.advance(Duration::from_millis(550)); // the first waiter's wake-up comes 300 ms late
        first.await.unwrap();
        second.await.unwrap();
        assert_eq!(
            (clock.now() - t0).as_millis(),
            800,
            "released 250 ms after the late first"
        );
    }

    #[tokio::test]
    async fn without_strict_spacing_lateness_does_not_add_up() {
        let clock = ManualClock::new();
        let limiter = GcraLimiter::with_clock(Quota::per_second(4), Arc::new(clock.clone()))
            .strict_spacing(false);
        let t0 = clock.now();
        limiter.acquire(Duration::MAX).await.unwrap(); // slot 0, released at once
        let (a, b, c) = (
            limiter.acquire(Duration::MAX),
            limiter.acquire(Duration::MAX),
            limiter.acquire(Duration::MAX),
        ); // 250, 500, 750 ms
        clock.advance(Duration::from_millis(550)); // the first waiter's wake-up comes 300 ms late
        a.await.unwrap();
        b.await.unwrap(); // booked at 800 ms (550 + 250)
        c.await.unwrap(); // the timeline is not shifted again: 1050 ms, not 1050 plus lateness
        assert_eq!((clock.now() - t0).as_millis(), 1050);
    }

    #[tokio::test(start_paused = true)]
    async fn penalty_holds_callers_back() {
        let limiter = GcraLimiter::new(Quota::per_second(1000));
        limiter.acquire(Duration::MAX).await.unwrap();
        let start = tokio::time::Instant::now();
        limiter.penalize(Some(Duration::from_secs(3))).await;
        limiter.acquire(Duration::MAX).await.unwrap();
        assert!(start.elapsed() >= Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_inside_a_429_pause_is_rescheduled_after_it() {
        let limiter = GcraLimiter::new(Quota::per_second(10));
        limiter.acquire(Duration::MAX).await.unwrap();
        let start = tokio::time::Instant::now();
        let waiting = limiter.acquire(Duration::MAX); // holds the slot at +100 ms
        limiter.penalize(Some(Duration::from_secs(2))).await;
        waiting.await.unwrap();
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
            limiter.acquire(Duration::MAX).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        limiter.acquire(Duration::MAX).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_limiter_does_not_bank_more_than_the_burst() {
        let limiter = GcraLimiter::new(Quota::per_second(10).with_burst(2));
        limiter.acquire(Duration::MAX).await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        let start = tokio::time::Instant::now();
        for _ in 0..3 {
            limiter.acquire(Duration::MAX).await.unwrap();
        }
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(100),
            "two at once, the third one interval later"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn huge_penalty_is_capped_and_never_panics() {
        for huge in [
            Duration::MAX,
            Duration::from_secs(u64::MAX),
            Duration::from_secs(i64::MAX as u64),
        ] {
            let gcra = GcraLimiter::new(Quota::per_second(1000));
            gcra.penalize(Some(huge)).await;
            let gate = BackoffGate::new();
            gate.penalize(Some(huge)).await;
            let start = tokio::time::Instant::now();
            gcra.acquire(Duration::MAX).await.unwrap();
            gate.acquire(Duration::MAX).await.unwrap();
            assert_eq!(start.elapsed(), DEFAULT_MAX_PENALTY, "{huge:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_beyond_max_wait_fails_at_once_without_consuming_it() {
        let limiter = GcraLimiter::new(Quota::per_second(1));
        limiter.acquire(Duration::MAX).await.unwrap();
        let start = tokio::time::Instant::now();
        let err = limiter
            .acquire(Duration::from_millis(500))
            .await
            .expect_err("the next slot is 1 s away");
        assert_eq!(start.elapsed(), Duration::ZERO, "failed at once");
        assert!(err.is_rate_limited() && !err.may_have_reached_server());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
        // the refused caller did not take the slot: the next one gets it at +1 s
        limiter.acquire(Duration::from_secs(1)).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_whose_budget_a_new_pause_exceeds_fails_then() {
        for limiter in [
            Arc::new(GcraLimiter::new(Quota::per_second(10))) as Arc<dyn RateLimiter>,
            Arc::new(BackoffGate::new()),
        ] {
            limiter.penalize(Some(Duration::from_secs(1))).await;
            let waiter = {
                let l = limiter.clone();
                tokio::spawn(async move { l.acquire(Duration::from_secs(2)).await })
            };
            tokio::task::yield_now().await;
            limiter.penalize(Some(Duration::from_secs(10))).await;
            let err = waiter.await.unwrap().expect_err("10 s pause, 2 s budget");
            assert!(err.is_rate_limited(), "{limiter:?}: {err}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_gate_holds_every_caller_for_the_pause_only() {
        let gate = BackoffGate::new();
        let start = tokio::time::Instant::now();
        for _ in 0..100 {
            gate.acquire(Duration::ZERO).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "no quota: no waiting");
        gate.penalize(Some(Duration::from_secs(3))).await;
        gate.penalize(Some(Duration::from_secs(1))).await; // a shorter pause does not shorten it
        assert!(gate.acquire(Duration::from_secs(2)).await.is_err());
        gate.acquire(Duration::from_secs(3)).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        // callers resume one at a time after a pause, then freely again
        assert!(gate.acquire(Duration::ZERO).await.is_err());
        gate.acquire(Duration::MAX).await.unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(3) + DEFAULT_RESUME_SPACING
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        for _ in 0..100 {
            gate.acquire(Duration::ZERO).await.unwrap();
        }
        gate.penalize(None).await;
        let paused = tokio::time::Instant::now();
        gate.acquire(Duration::MAX).await.unwrap();
        assert_eq!(paused.elapsed(), DEFAULT_PENALTY);
    }

    #[tokio::test(start_paused = true)]
    async fn callers_resume_one_at_a_time_after_a_pause_and_rewait_if_it_is_renewed() {
        let gate = Arc::new(BackoffGate::new());
        let start = tokio::time::Instant::now();
        gate.penalize(Some(Duration::from_secs(1))).await;
        let released = Arc::new(Mutex::new(Vec::new()));
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let (gate, released) = (gate.clone(), released.clone());
                tokio::spawn(async move {
                    gate.acquire(Duration::MAX).await.unwrap();
                    released.lock().unwrap().push(start.elapsed());
                    // the first one to resume meets a server still overloaded
                    if released.lock().unwrap().len() == 1 {
                        gate.penalize(Some(Duration::from_secs(2))).await;
                    }
                })
            })
            .collect();
        for w in waiters {
            w.await.unwrap();
        }
        let ms: Vec<u128> = released
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.as_millis())
            .collect();
        assert_eq!(
            ms,
            vec![1000, 3000, 3050],
            "one probe, then the others after the new pause"
        );
    }
}
