//! Regression tests of the fault campaign (issue 16), run through a whole [`Client`] on a
//! scripted transport in paused tokio time: what a server sends can be anything, and the client
//! must neither panic nor block longer than its policy allows.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use billing_http_core::auth::token::{
    Token, TokenCache, TokenSourceFn, clamp_lifetime, deserialize_expires_in,
};
use billing_http_core::auth::{NoAuth, Placement, TokenKey};
use billing_http_core::clock::{Clock, TokioClock};
use billing_http_core::rate_limit::{GcraLimiter, Quota, RateLimiter};
use billing_http_core::retry::RetryPolicy;
use billing_http_core::settings::Settings;
use billing_http_core::transport::{TransportError, TransportErrorKind};
use billing_http_core::{
    Client, Error, HttpRequest, HttpResponse, Method, Request, StatusCode, Transport,
};
use futures::future::BoxFuture;

/// What a scripted server answers, given the request and the paused-time seconds since start.
type Script = dyn Fn(&HttpRequest, Duration) -> HttpResponse + Send + Sync;

/// A transport answering from a script, recording the path and the timeout of every request.
struct Scripted {
    script: Box<Script>,
    start: tokio::time::Instant,
    seen: Mutex<Vec<(String, Option<Duration>)>>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripted")
    }
}

impl Scripted {
    fn new(
        script: impl Fn(&HttpRequest, Duration) -> HttpResponse + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Scripted {
            script: Box::new(script),
            start: tokio::time::Instant::now(),
            seen: Mutex::new(Vec::new()),
        })
    }

    fn paths(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    }

    fn sends(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl Transport for Scripted {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        self.seen
            .lock()
            .unwrap()
            .push((request.url.path().to_owned(), request.timeout));
        let resp = (self.script)(&request, self.start.elapsed());
        Box::pin(futures::future::ready(Ok(resp)))
    }
}

fn too_many(retry_after: &str) -> HttpResponse {
    HttpResponse::new(StatusCode::TOO_MANY_REQUESTS, "slow down")
        .with_header("Retry-After", retry_after)
}

fn ok() -> HttpResponse {
    HttpResponse::new(StatusCode::OK, "{}")
}

fn client(
    transport: Arc<dyn Transport>,
    limiter: Arc<dyn RateLimiter>,
    policy: RetryPolicy,
) -> Client {
    Client::builder("test", "https://api.example.test/v1/")
        .transport(transport)
        .rate_limiter(limiter)
        .retry(policy)
        .build()
        .unwrap()
}

/// The policy of the Pax8 client: `Retry-After` honoured up to 30 s.
fn pax8_like_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .max_retry_after(Duration::from_secs(30))
}

const HUGE_RETRY_AFTERS: [&str; 5] = [
    "18446744073709551615",
    "9223372036854775807",
    "99999999999999999999999",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "1e300",
];

#[tokio::test(start_paused = true)]
async fn huge_retry_after_never_panics() {
    for value in HUGE_RETRY_AFTERS {
        let limiters: [Arc<dyn RateLimiter>; 2] = [
            Arc::new(GcraLimiter::new(Quota::per_second(100))),
            Arc::new(billing_http_core::rate_limit::BackoffGate::new()),
        ];
        for limiter in limiters {
            let transport = Scripted::new(move |_, _| too_many(value));
            let c = client(transport.clone(), limiter, RetryPolicy::default());
            // must return, not panic with "overflow when adding duration to instant"
            let err = c
                .execute(Request::get("items", "items.list"))
                .await
                .unwrap_err();
            assert!(err.is_rate_limited(), "{value}: {err}");
            assert_eq!(
                transport.sends(),
                1,
                "{value}: a delay that long is never waited"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_cap_never_blocks_later_calls_longer_than_the_cap() {
    let cap = pax8_like_policy().max_retry_after;
    for value in ["90", "999999", "Fri, 31 Dec 9999 23:59:59 GMT"] {
        let limiters: [Arc<dyn RateLimiter>; 2] = [
            // the Pax8 default: 1000 calls a minute less 4 %
            Arc::new(GcraLimiter::new(Quota::per_minute(960))),
            Arc::new(billing_http_core::rate_limit::BackoffGate::new()),
        ];
        for limiter in limiters {
            let answered = Arc::new(AtomicUsize::new(0));
            let n = answered.clone();
            let transport = Scripted::new(move |_, _| {
                if n.fetch_add(1, Ordering::SeqCst) == 0 {
                    too_many(value)
                } else {
                    ok()
                }
            });
            let first = client(transport.clone(), limiter, pax8_like_policy());
            let clone = first.clone();
            let start = tokio::time::Instant::now();
            let err = first.execute(Request::get("a", "a.get")).await.unwrap_err();
            assert!(err.is_rate_limited(), "{value}: {err}");
            assert_eq!(
                start.elapsed(),
                Duration::ZERO,
                "{value}: the 429 fails at once"
            );
            // another clone's later call waits for the capped pause at most
            clone.execute(Request::get("b", "b.get")).await.unwrap();
            assert!(
                start.elapsed() <= cap,
                "{value}: a later call was held {:?}, more than the {cap:?} cap",
                start.elapsed()
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn waiting_for_the_limiter_counts_against_the_budget() {
    let policy = RetryPolicy::default()
        .max_retry_after(Duration::from_secs(60))
        .max_elapsed(Duration::from_secs(10));
    let limiters: [Arc<dyn RateLimiter>; 2] = [
        Arc::new(GcraLimiter::new(Quota::per_second(100))),
        Arc::new(billing_http_core::rate_limit::BackoffGate::new()),
    ];
    for limiter in limiters {
        let transport = Scripted::new(|req, _| {
            if req.url.path().ends_with("/first") {
                too_many("30")
            } else {
                ok()
            }
        });
        let c = client(transport.clone(), limiter.clone(), policy.clone());
        // 30 s is within max_retry_after but not within the 10 s budget: the call stops at once
        let start = tokio::time::Instant::now();
        let err = c.execute(Request::get("first", "first")).await.unwrap_err();
        assert!(err.is_rate_limited(), "{err}");
        // the limiter is now paused for 30 s; a new call's 10 s budget cannot wait that long:
        // it fails at once with a typed error, and nothing is sent
        let err = c
            .clone()
            .execute(Request::get("second", "second"))
            .await
            .unwrap_err();
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "{limiter:?}: no silent wait"
        );
        assert!(err.is_rate_limited(), "{err}");
        assert!(!err.may_have_reached_server(), "{err:?}");
        assert!(!err.is_outcome_unknown());
        assert!(err.to_string().contains("client-side rate limit"), "{err}");
        assert_eq!(transport.paths(), vec!["/v1/first".to_owned()]);
        // a create refused by the limiter was never sent either: not outcome-unknown
        let err = c
            .execute(Request::post("orders", "orders.create").not_idempotent())
            .await
            .unwrap_err();
        assert!(
            err.is_rate_limited() && !err.is_outcome_unknown(),
            "{err:?}"
        );
    }
}

/// A server that never answers in time: each attempt lasts until its timeout — the request's
/// own (what is left of the budget) or the transport's per-attempt timeout, whichever is
/// shorter — and then fails as a timeout.
#[derive(Debug)]
struct Hanging {
    own_timeout: Duration,
    timeouts: Mutex<Vec<Option<Duration>>>,
}

impl Transport for Hanging {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        self.timeouts.lock().unwrap().push(request.timeout);
        let t = request
            .timeout
            .map_or(self.own_timeout, |t| t.min(self.own_timeout));
        Box::pin(async move {
            tokio::time::sleep(t).await;
            Err(TransportError::new(
                TransportErrorKind::Timeout,
                "request timed out",
            ))
        })
    }
}

#[tokio::test(start_paused = true)]
async fn attempt_timeouts_are_capped_by_the_remaining_budget() {
    let transport = Arc::new(Hanging {
        own_timeout: Duration::from_secs(8),
        timeouts: Mutex::new(Vec::new()),
    });
    let policy = RetryPolicy::default()
        .max_elapsed(Duration::from_secs(10))
        .initial_delay(Duration::from_millis(100))
        .max_delay(Duration::from_millis(100));
    let c = Client::builder("test", "https://api.example.test/")
        .transport(transport.clone())
        .retry(policy)
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let err = c
        .execute(Request::get("slow", "slow.get"))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    // budget 10 s, per-attempt 8 s: the call ends by 10 s, not 16 s
    assert!(
        start.elapsed() <= Duration::from_secs(10),
        "the call took {:?} of a 10 s budget",
        start.elapsed()
    );
    let timeouts = transport.timeouts.lock().unwrap().clone();
    assert_eq!(timeouts[0], Some(Duration::from_secs(10)));
    assert!(timeouts.len() >= 2, "{timeouts:?}");
    assert!(
        timeouts[1].is_some_and(|t| t <= Duration::from_secs(2)),
        "the second attempt gets what is left: {timeouts:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_client_without_a_quota_shares_429_back_off_across_clones() {
    // a 6 s storm of 429s with `Retry-After: 1`, then the server recovers
    let transport = Scripted::new(|_, t| {
        if t < Duration::from_secs(6) {
            too_many("1")
        } else {
            ok()
        }
    });
    // a vendor without a documented quota (Cloudspot), built as vendor builders do
    let settings = Settings::new("https://erp.example.test/api/v1/", "test/1");
    let clock: Arc<dyn Clock> = Arc::new(TokioClock);
    let c = settings
        .core_builder("cloudspot", &settings.base_url, settings.transport_config())
        .transport(transport.clone())
        .rate_limiter(settings.limiter(None, clock))
        .build()
        .unwrap();
    let callers: Vec<_> = (0..20)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                c.execute(Request::get(format!("articles/{i}"), "articles.get"))
                    .await
            })
        })
        .collect();
    let mut failed = 0;
    for caller in callers {
        if caller.await.unwrap().is_err() {
            failed += 1;
        }
    }
    assert_eq!(
        failed, 0,
        "every caller paused with the others and succeeded"
    );
    // 20 first attempts, a probe per pause, then 20 successes: far fewer than 80
    assert!(transport.sends() < 60, "{} requests", transport.sends());
}

#[tokio::test(start_paused = true)]
async fn a_failed_token_fetch_says_no_token_and_that_nothing_was_sent() {
    // the token endpoint fails; the token call goes through an http-core client as Pax8's does
    let token_transport = Scripted::new(|_, _| {
        HttpResponse::new(StatusCode::INTERNAL_SERVER_ERROR, r#"{"message":"boom"}"#)
    });
    let token_client = Client::builder("pax8", "https://login.example.test/oauth/")
        .transport(token_transport.clone())
        .auth(Arc::new(NoAuth))
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let source = TokenSourceFn::new("token", move || {
        let tc = token_client.clone();
        async move {
            let resp = tc.execute(Request::post("token", "token")).await?;
            Ok(Token::bearer(resp.text()?.to_owned(), None))
        }
    });
    let cache = TokenCache::builder(
        source,
        TokenKey::new("pax8", "https://login.example.test/oauth/token", "id"),
    )
    .placement(Placement::Bearer)
    .build();
    let api_transport = Scripted::new(|_, _| ok());
    let api = Client::builder("pax8", "https://api.example.test/v1/")
        .transport(api_transport.clone())
        .auth(Arc::new(cache))
        .build()
        .unwrap();
    for round in ["first", "within the failure floor"] {
        let err = api
            .execute(Request::post("orders", "orders.create").not_idempotent())
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("could not obtain a token"), "{round}: {text}");
        assert!(
            text.contains("POST token"),
            "{round}: the token call is a POST: {text}"
        );
        assert!(!text.contains("GET"), "{round}: {text}");
        assert!(
            !err.may_have_reached_server(),
            "{round}: the order never left: {err:?}"
        );
        assert!(!err.is_outcome_unknown(), "{round}: {err:?}");
        assert_eq!(err.status(), None, "{round}: the order got no answer");
        assert!(err.is_token_unavailable());
        let token_err = err.token_error().unwrap();
        assert_eq!(token_err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
        assert_eq!(token_err.method(), Some(&Method::POST));
        assert_eq!(token_err.operation(), "token");
        assert_eq!(api_transport.sends(), 0, "{round}: no order was sent");
    }
    assert_eq!(
        token_transport.sends(),
        1,
        "the floor repeats the failure without a new call"
    );
}

#[tokio::test(start_paused = true)]
async fn out_of_range_token_lifetimes_never_break_auth() {
    const DAY: Duration = Duration::from_secs(86_400);
    #[derive(serde::Deserialize)]
    struct TokenResponse {
        access_token: String,
        #[serde(default, deserialize_with = "deserialize_expires_in")]
        expires_in: Option<Duration>,
    }
    for (expires_in, want) in [
        ("-5", DAY),
        ("0", DAY),
        ("-0.0", DAY),
        ("1e30", DAY),
        ("18446744073709551616", DAY),
        ("1e400", DAY),
        ("\"3600\"", Duration::from_secs(3600)),
        ("\" 7200 \"", Duration::from_secs(7200)),
        ("\"soon\"", DAY),
        ("null", DAY),
        ("true", DAY),
        ("{}", DAY),
        ("1.5", Duration::from_secs(2)),
        ("600", Duration::from_secs(600)),
    ] {
        let body = format!(r#"{{"access_token":"tok","expires_in":{expires_in}}}"#);
        let parsed: Result<TokenResponse, _> = serde_json::from_str(&body);
        let Ok(resp) = parsed else {
            // 1e400 is not JSON a parser accepts without arbitrary precision: a decode error of
            // the whole body is acceptable there, never a panic
            assert_eq!(expires_in, "1e400", "{body}: {:?}", parsed.err());
            continue;
        };
        let lifetime = clamp_lifetime(resp.expires_in, DAY, DAY);
        assert_eq!(lifetime, want, "{expires_in}");
        let now = std::time::SystemTime::now();
        let token = Token::expiring_in(resp.access_token, "Bearer", now, lifetime);
        assert!(
            token.remaining(now).is_some_and(|r| r <= DAY),
            "{expires_in}"
        );
    }
}

#[test]
fn expiring_in_saturates_instead_of_never_expiring() {
    let now = std::time::SystemTime::now();
    for huge in [Duration::MAX, Duration::from_secs(u64::MAX)] {
        let token = Token::expiring_in("tok".to_owned(), "Bearer", now, huge);
        assert!(
            token.expires_at.is_some(),
            "an overflowing lifetime must still expire"
        );
    }
}

#[tokio::test]
async fn truncated_body_says_it_was_truncated_with_bytes_received_of_expected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            // promises 100 bytes, sends 10, closes
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
                .await;
            let _ = sock.shutdown().await;
        }
    });
    let c = Client::builder("test", format!("http://{addr}/"))
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let err = c.execute(Request::get("big", "big.get")).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("truncated"), "{text}");
    assert!(text.contains("received 10 of 100 bytes"), "{text}");
    assert!(!text.contains("error decoding response body"), "{text}");
    assert!(
        err.is_retryable(),
        "a truncated read is worth retrying when safe"
    );
}

#[test]
fn error_is_cheap_to_clone_and_keeps_its_parts() {
    let e = Error::rate_limited_by_client(Duration::from_secs(3), Duration::from_secs(1));
    let c = e.clone();
    assert_eq!(c.to_string(), e.to_string());
    assert_eq!(c.retry_after(), Some(Duration::from_secs(3)));
}
