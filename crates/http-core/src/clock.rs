//! Injectable time: a clock for "now" and for sleeping.
//!
//! The runtime never calls `tokio::time` or `SystemTime::now` directly; it asks a [`Clock`].
//! [`TokioClock`] (the default) follows tokio's clock, so `#[tokio::test(start_paused = true)]`
//! tests run in virtual time. [`ManualClock`] never waits: every sleep advances its virtual time
//! at once and is recorded, so a test can assert exactly which delays were requested.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures::future::BoxFuture;

/// About a century: the most any duration built from server input is allowed to add to an
/// instant (see [`instant_after`]).
pub const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `now + by`, never panicking: `by` is capped at [`FAR_FUTURE`] (and the sum at whatever the
/// platform can represent). Every instant built from a server value (`Retry-After`,
/// `expires_in`, an HTTP date) goes through this or [`system_time_after`].
pub fn instant_after(now: Instant, by: Duration) -> Instant {
    now.checked_add(by.min(FAR_FUTURE))
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(now)
}

/// `now + by` for wall-clock time, capped like [`instant_after`].
pub fn system_time_after(now: SystemTime, by: Duration) -> SystemTime {
    now.checked_add(by.min(FAR_FUTURE))
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(now)
}

/// A source of time and of sleeping.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Monotonic now.
    fn now(&self) -> Instant;
    /// Wall-clock now (for HTTP dates and token expiry).
    fn system_now(&self) -> SystemTime;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The default clock: tokio's time (pausable in tests) and the system wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
    fn system_now(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A virtual clock for tests: sleeping returns at once and advances the clock.
#[derive(Clone)]
pub struct ManualClock {
    state: Arc<Mutex<ManualState>>,
}

struct ManualState {
    base: Instant,
    system_base: SystemTime,
    offset: Duration,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock starting now.
    pub fn new() -> Self {
        ManualClock {
            state: Arc::new(Mutex::new(ManualState {
                base: Instant::now(),
                system_base: SystemTime::now(),
                offset: Duration::ZERO,
                sleeps: Vec::new(),
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        let mut s = self.lock();
        s.offset = s.offset.saturating_add(by);
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// Virtual time elapsed since the clock was created.
    pub fn elapsed(&self) -> Duration {
        self.lock().offset
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("elapsed", &self.elapsed())
            .finish()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let s = self.lock();
        instant_after(s.base, s.offset)
    }
    fn system_now(&self) -> SystemTime {
        let s = self.lock();
        system_time_after(s.system_base, s.offset)
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let mut s = self.lock();
        s.offset = s.offset.saturating_add(duration);
        s.sleeps.push(duration);
        Box::pin(futures::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_clock_records_and_advances() {
        let c = ManualClock::new();
        let t0 = c.now();
        c.sleep(Duration::from_secs(2)).await;
        c.advance(Duration::from_millis(500));
        assert_eq!(c.now() - t0, Duration::from_millis(2500));
        assert_eq!(c.sleeps(), vec![Duration::from_secs(2)]);
    }

    #[tokio::test]
    async fn huge_durations_saturate_instead_of_panicking() {
        let c = ManualClock::new();
        let t0 = c.now();
        c.sleep(Duration::MAX).await;
        c.advance(Duration::MAX);
        assert!(c.now() > t0);
        assert!(c.system_now() > SystemTime::UNIX_EPOCH);
        assert!(instant_after(t0, Duration::MAX) > t0);
        let far = system_time_after(SystemTime::now(), Duration::from_secs(u64::MAX));
        assert!(far > SystemTime::now());
    }
}
