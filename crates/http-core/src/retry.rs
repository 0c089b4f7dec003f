//! The retry decision, as a pure function.
//!
//! [`RetryPolicy::decide`] looks at the attempt number, the time spent so far, the error, the
//! request's [`RetrySafety`] and a random number, and returns [`RetryDecision::Retry`] with a
//! delay or [`RetryDecision::Stop`] with a reason. It does no I/O and reads no clock, so every
//! rule is a unit test.
//!
//! Rules, in order:
//! 1. errors that are not retryable (4xx, decode, auth, …) stop;
//! 2. a [`RetrySafety::NotIdempotent`] request stops unless it provably never reached the server
//!    (connection refused, DNS, TLS handshake): never after a timeout, reset or 5xx;
//! 3. stop when `max_attempts` attempts have been made;
//! 4. the delay is exponential backoff with full jitter:
//!    `random(0 ..= min(max_delay, initial_delay * 2^(attempt-1)))`;
//! 5. a server `Retry-After` (seconds or HTTP date) replaces the delay when larger; one over
//!    `max_retry_after` stops instead of waiting that long;
//! 6. a delay that would cross `max_elapsed` stops.

use std::time::{Duration, SystemTime};

use crate::error::Error;
use crate::request::RetrySafety;

/// Limits of the retry loop.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Most attempts in total, the first one included. `1` disables retries. Default 4.
    pub max_attempts: u32,
    /// Backoff before the first retry (before jitter). Default 200 ms.
    pub initial_delay: Duration,
    /// Largest backoff between two attempts (before jitter). Default 10 s.
    pub max_delay: Duration,
    /// Longest `Retry-After` the client is willing to wait. Default 60 s.
    pub max_retry_after: Duration,
    /// Time budget for the whole call, all attempts and delays included. Default 120 s.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

/// Why the loop stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The error is not worth retrying.
    NotRetryable,
    /// The request is not idempotent and may have reached the server.
    NotIdempotent,
    /// `max_attempts` reached.
    AttemptsExhausted,
    /// The server asked to wait longer than `max_retry_after`.
    RetryAfterTooLong,
    /// Waiting would cross the `max_elapsed` deadline.
    DeadlineExceeded,
}

/// Why a retry happens (for tracing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryReason {
    /// Backoff after a retryable error.
    Backoff,
    /// The server's `Retry-After`.
    RetryAfter,
}

/// The outcome of [`RetryPolicy::decide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryDecision {
    /// Try again after the delay.
    Retry {
        /// How long to wait first.
        after: Duration,
        /// Why this delay.
        reason: RetryReason,
    },
    /// Give up and return the error.
    Stop(StopReason),
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the attempt cap (first attempt included).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
    /// Sets the first backoff.
    pub fn initial_delay(mut self, d: Duration) -> Self {
        self.initial_delay = d;
        self
    }
    /// Sets the backoff cap.
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }
    /// Sets the longest honoured `Retry-After`.
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }
    /// Sets the total time budget.
    pub fn max_elapsed(mut self, d: Duration) -> Self {
        self.max_elapsed = d;
        self
    }

    /// The backoff ceiling before the retry that follows attempt `attempt` (1-based).
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let factor = 1u32 << exp;
        self.initial_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// Decides what to do after attempt number `attempt` (1-based) failed with `error`, when
    /// `elapsed` has passed since the call started. `jitter` is a random number in `[0, 1]`.
    pub fn decide(
        &self,
        attempt: u32,
        elapsed: Duration,
        error: &Error,
        safety: &RetrySafety,
        jitter: f64,
    ) -> RetryDecision {
        if !error.is_retryable() {
            return RetryDecision::Stop(StopReason::NotRetryable);
        }
        if !safety.is_replay_safe() && error.may_have_reached_server() {
            return RetryDecision::Stop(StopReason::NotIdempotent);
        }
        if attempt >= self.max_attempts {
            return RetryDecision::Stop(StopReason::AttemptsExhausted);
        }
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            1.0
        };
        let mut delay = self.backoff_ceiling(attempt).mul_f64(jitter);
        let mut reason = RetryReason::Backoff;
        if let Some(ra) = error.retry_after() {
            if ra > self.max_retry_after {
                return RetryDecision::Stop(StopReason::RetryAfterTooLong);
            }
            if ra >= delay {
                delay = ra;
                reason = RetryReason::RetryAfter;
            }
        }
        if elapsed.saturating_add(delay) > self.max_elapsed {
            return RetryDecision::Stop(StopReason::DeadlineExceeded);
        }
        RetryDecision::Retry {
            after: delay,
            reason,
        }
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date (relative to `now`; a date in the
/// past means zero). Leniently, a decimal number of seconds is accepted too. A delay too long to
/// represent (digits beyond `u64`, `1e300`, a date in year 9999) saturates — it is a very long
/// delay, which the retry policy refuses to wait — and never panics. Negative, `NaN` and
/// unreadable values give `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_nan() || secs < 0.0 {
            return None;
        }
        return Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::transport::{TransportError, TransportErrorKind};

    fn server_error() -> Error {
        Error::new(ErrorKind::Server, "http 503").with_reached_server(true)
    }

    #[test]
    fn retries_server_errors_with_full_jitter_backoff() {
        let p = RetryPolicy::default();
        let e = server_error();
        assert_eq!(
            p.decide(1, Duration::ZERO, &e, &RetrySafety::Idempotent, 1.0),
            RetryDecision::Retry {
                after: Duration::from_millis(200),
                reason: RetryReason::Backoff
            }
        );
        assert_eq!(
            p.decide(3, Duration::ZERO, &e, &RetrySafety::Idempotent, 0.5),
            RetryDecision::Retry {
                after: Duration::from_millis(400),
                reason: RetryReason::Backoff
            }
        );
        assert_eq!(
            p.decide(1, Duration::ZERO, &e, &RetrySafety::Idempotent, 0.0),
            RetryDecision::Retry {
                after: Duration::ZERO,
                reason: RetryReason::Backoff
            }
        );
    }

    #[test]
    fn backoff_is_capped() {
        let p = RetryPolicy::default().max_attempts(100);
        assert_eq!(p.backoff_ceiling(40), p.max_delay);
        assert_eq!(p.backoff_ceiling(7), Duration::from_secs(10));
        assert_eq!(p.backoff_ceiling(2), Duration::from_millis(400));
    }

    #[test]
    fn stops_when_attempts_exhausted() {
        let p = RetryPolicy::default().max_attempts(3);
        let e = server_error();
        assert!(matches!(
            p.decide(2, Duration::ZERO, &e, &RetrySafety::Idempotent, 0.3),
            RetryDecision::Retry { .. }
        ));
        assert_eq!(
            p.decide(3, Duration::ZERO, &e, &RetrySafety::Idempotent, 0.3),
            RetryDecision::Stop(StopReason::AttemptsExhausted)
        );
    }

    #[test]
    fn does_not_retry_client_errors() {
        let p = RetryPolicy::default();
        for kind in [
            ErrorKind::Validation,
            ErrorKind::NotFound,
            ErrorKind::Auth,
            ErrorKind::Decode,
        ] {
            let e = Error::new(kind, "x");
            assert_eq!(
                p.decide(1, Duration::ZERO, &e, &RetrySafety::Idempotent, 0.5),
                RetryDecision::Stop(StopReason::NotRetryable)
            );
        }
    }

    #[test]
    fn not_idempotent_retried_only_when_never_sent() {
        let p = RetryPolicy::default();
        let safety = RetrySafety::NotIdempotent;
        let refused: Error = TransportError::new(TransportErrorKind::Connect, "refused").into();
        assert!(matches!(
            p.decide(1, Duration::ZERO, &refused, &safety, 0.5),
            RetryDecision::Retry { .. }
        ));
        let timeout: Error = TransportError::new(TransportErrorKind::Timeout, "timeout").into();
        let reset: Error = TransportError::new(TransportErrorKind::Io, "reset").into();
        for e in [timeout, reset, server_error()] {
            assert_eq!(
                p.decide(1, Duration::ZERO, &e, &safety, 0.5),
                RetryDecision::Stop(StopReason::NotIdempotent)
            );
        }
        // with an idempotency key the same errors are retried
        let keyed = RetrySafety::IdempotentWithKey("k1".into());
        assert!(matches!(
            p.decide(1, Duration::ZERO, &server_error(), &keyed, 0.5),
            RetryDecision::Retry { .. }
        ));
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = RetryPolicy::default().max_retry_after(Duration::from_secs(30));
        let e = Error::new(ErrorKind::RateLimited, "429")
            .with_retry_after(Some(Duration::from_secs(2)));
        assert_eq!(
            p.decide(1, Duration::ZERO, &e, &RetrySafety::Idempotent, 0.1),
            RetryDecision::Retry {
                after: Duration::from_secs(2),
                reason: RetryReason::RetryAfter
            }
        );
        let e = Error::new(ErrorKind::RateLimited, "429")
            .with_retry_after(Some(Duration::from_secs(31)));
        assert_eq!(
            p.decide(1, Duration::ZERO, &e, &RetrySafety::Idempotent, 0.1),
            RetryDecision::Stop(StopReason::RetryAfterTooLong)
        );
    }

    #[test]
    fn delay_crossing_deadline_stops() {
        let p = RetryPolicy::default().max_elapsed(Duration::from_secs(10));
        let e = Error::new(ErrorKind::RateLimited, "429")
            .with_retry_after(Some(Duration::from_secs(5)));
        assert!(matches!(
            p.decide(1, Duration::from_secs(4), &e, &RetrySafety::Idempotent, 0.0),
            RetryDecision::Retry { .. }
        ));
        assert_eq!(
            p.decide(1, Duration::from_secs(6), &e, &RetrySafety::Idempotent, 0.0),
            RetryDecision::Stop(StopReason::DeadlineExceeded)
        );
    }

    #[test]
    fn parses_retry_after_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
    }

    #[test]
    fn huge_retry_after_values_saturate() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let max = Duration::from_secs(u64::MAX);
        assert_eq!(parse_retry_after("18446744073709551615", now), Some(max));
        assert_eq!(parse_retry_after("99999999999999999999999", now), Some(max));
        assert_eq!(parse_retry_after("1e300", now), Some(Duration::MAX));
        assert_eq!(parse_retry_after("inf", now), Some(Duration::MAX));
        let year_9999 = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).expect("a date");
        assert!(year_9999 > Duration::from_secs(7_000 * 365 * 86_400));
        let p = RetryPolicy::default();
        for ra in [max, Duration::MAX, year_9999] {
            let e = Error::new(ErrorKind::RateLimited, "429").with_retry_after(Some(ra));
            assert_eq!(
                p.decide(1, Duration::from_secs(1), &e, &RetrySafety::Idempotent, 1.0),
                RetryDecision::Stop(StopReason::RetryAfterTooLong)
            );
        }
    }
}
