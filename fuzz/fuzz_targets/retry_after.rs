//! `Retry-After` (seconds, decimals, HTTP dates) and `expires_in` from arbitrary text, through
//! the retry decision and both limiters' penalties: never a panic, whatever the value.
#![no_main]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use billing_http_core::auth::token::{Token, clamp_lifetime, parse_expires_in};
use billing_http_core::classify::classify_status;
use billing_http_core::clock::{Clock, ManualClock};
use billing_http_core::rate_limit::{BackoffGate, GcraLimiter, Quota, RateLimiter};
use billing_http_core::retry::{RetryPolicy, parse_retry_after};
use billing_http_core::{HttpResponse, RetrySafety, StatusCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // the first 8 bytes pick "now" (any wall-clock time the machine could have)
    let (now_bytes, rest) = data.split_at(data.len().min(8));
    let mut secs = [0u8; 8];
    secs[..now_bytes.len()].copy_from_slice(now_bytes);
    let now = SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(u64::from_le_bytes(secs) % (1 << 40)))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let Ok(value) = std::str::from_utf8(rest) else {
        return;
    };
    let parsed = parse_retry_after(value, now);

    let clock = ManualClock::new();
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let limiters: [Arc<dyn RateLimiter>; 2] = [
        Arc::new(GcraLimiter::with_clock(Quota::per_second(10), shared.clone())),
        Arc::new(BackoffGate::with_clock(shared)),
    ];
    let policy = RetryPolicy::default();
    for status in [StatusCode::TOO_MANY_REQUESTS, StatusCode::SERVICE_UNAVAILABLE] {
        let resp = HttpResponse::new(status, "").with_header("Retry-After", value);
        let Err(err) = classify_status(&resp, now) else {
            panic!("a 429/503 is an error");
        };
        let _ = policy.decide(1, Duration::ZERO, &err, &RetrySafety::Idempotent, 0.5);
        for limiter in &limiters {
            futures::executor::block_on(async {
                limiter.penalize(parsed).await;
                limiter.penalize(parsed.map(|d| d.min(policy.max_retry_after))).await;
                let _ = limiter.acquire(Duration::from_secs(1)).await;
                let _ = limiter.acquire(Duration::MAX).await;
            });
        }
    }

    let lifetime = parse_expires_in(value);
    let day = Duration::from_secs(86_400);
    let clamped = clamp_lifetime(lifetime, day, day);
    assert!(clamped <= day);
    let token = Token::expiring_in("t".to_owned(), "Bearer", now, lifetime.unwrap_or(Duration::MAX));
    assert!(token.expires_at.is_some());
});
