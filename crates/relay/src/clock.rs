//! Time: the relay reads "now" and sleeps through one injectable [`Clock`] (the workspace's,
//! from `billing_http_core::clock`).
//!
//! Production uses [`TokioClock`]. Tests use [`SteppedClock`]: time stands still until the
//! test moves it, and every sleeper wakes when time reaches its deadline. It differs from
//! `billing_http_core::clock::ManualClock`, whose sleeps return at once: a relay worker that
//! waits for its next due line would spin on such a clock. Tokio's paused time is no substitute
//! here either: it jumps ahead whenever the runtime is idle, and a relay under test is often
//! idle while SQLite's worker thread or a real socket is busy.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures::future::BoxFuture;
use tokio::sync::watch;

pub use billing_http_core::clock::{Clock, TokioClock};

use crate::model::Millis;

/// The clock's wall-clock now, as the store keeps it.
pub fn now(clock: &dyn Clock) -> Millis {
    Millis::from_system(clock.system_now())
}

/// A clock moved by the test (see the [module docs](self)). Clones share one time line.
#[derive(Clone)]
pub struct SteppedClock {
    base: Instant,
    system_base: SystemTime,
    offset: Arc<Mutex<Duration>>,
    moved: watch::Sender<Duration>,
}

impl SteppedClock {
    /// A clock starting at the current time.
    pub fn new() -> Self {
        let (moved, _) = watch::channel(Duration::ZERO);
        SteppedClock {
            base: Instant::now(),
            system_base: SystemTime::now(),
            offset: Arc::new(Mutex::new(Duration::ZERO)),
            moved,
        }
    }

    fn offset(&self) -> Duration {
        *self.offset.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Moves time forward by `by`, waking every sleeper whose deadline is reached.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        *offset = offset.saturating_add(by);
        self.moved.send_replace(*offset);
    }

    /// Time moved so far.
    pub fn elapsed(&self) -> Duration {
        self.offset()
    }
}

impl Default for SteppedClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SteppedClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SteppedClock")
            .field("elapsed", &self.offset())
            .finish()
    }
}

impl Clock for SteppedClock {
    fn now(&self) -> Instant {
        self.base + self.offset()
    }

    fn system_now(&self) -> SystemTime {
        self.system_base + self.offset()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let mut rx = self.moved.subscribe();
        let deadline = self.offset().saturating_add(duration);
        Box::pin(async move {
            loop {
                if *rx.borrow_and_update() >= deadline {
                    return;
                }
                if rx.changed().await.is_err() {
                    // the clock is gone: nobody will ever move time again
                    futures::future::pending::<()>().await;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stepped_sleepers_wake_only_when_time_reaches_them() {
        let clock = SteppedClock::new();
        let t0 = now(&clock);
        let short = tokio::spawn(clock.sleep(Duration::from_secs(5)));
        let long = tokio::spawn(clock.sleep(Duration::from_secs(60)));
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(10));
        short.await.ok();
        assert!(!long.is_finished());
        clock.advance(Duration::from_secs(50));
        long.await.ok();
        assert_eq!(now(&clock).since(t0), Duration::from_secs(60));
    }
}
