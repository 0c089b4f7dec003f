//! 429/503 back-off shared by all clones of a client (issue 16 item 11, conventions §9).
//!
//! Cloudspot documents no quota, so a default client has no client-side quota; but a 429 storm
//! must still pause every caller together instead of each burning its retries against the
//! storm. An in-process transport plays a server that answers 429 (`Retry-After: 1`) to
//! everything for the first 6 s, then 200; the client runs in paused tokio time, so the storm
//! takes no real time.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use billing_http_core::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use cloudspot::{Client, ClientBuilder, Quota, StatusCode};
use futures::future::BoxFuture;
use http::HeaderValue;

/// Length of the storm, from the first request.
const STORM: Duration = Duration::from_secs(6);
/// Concurrent callers.
const CALLERS: usize = 20;

/// Answers 429 with `Retry-After: 1` until [`STORM`] has passed since the first request, then
/// an empty article list.
#[derive(Debug, Default)]
struct Storm {
    started: std::sync::Mutex<Option<tokio::time::Instant>>,
    sent: AtomicUsize,
    refused: AtomicUsize,
}

impl Transport for Storm {
    fn send(&self, _req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let now = tokio::time::Instant::now();
            let started = *self.started.lock().unwrap().get_or_insert(now);
            self.sent.fetch_add(1, Ordering::SeqCst);
            if now.duration_since(started) < STORM {
                self.refused.fetch_add(1, Ordering::SeqCst);
                let mut r = HttpResponse::new(StatusCode::TOO_MANY_REQUESTS, "");
                r.headers
                    .insert("retry-after", HeaderValue::from_static("1"));
                return Ok(r);
            }
            let mut r = HttpResponse::new(StatusCode::OK, r#"{"data": []}"#);
            r.headers
                .insert("content-type", HeaderValue::from_static("application/json"));
            Ok(r)
        })
    }
}

/// Runs [`CALLERS`] concurrent `articles().list()` calls on clones of the client `configure`
/// builds; returns how many succeeded, and the storm's counters.
async fn storm_with(configure: impl FnOnce(ClientBuilder) -> ClientBuilder) -> (usize, Arc<Storm>) {
    let storm = Arc::new(Storm::default());
    let client: Client = configure(
        Client::builder("tok-EXAMPLE-0001")
            .base_url("https://erp.example.test/api/v1")
            .transport(storm.clone()),
    )
    .build()
    .unwrap();
    let calls = (0..CALLERS).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.articles().list().await })
    });
    let mut ok = 0;
    for call in futures::future::join_all(calls).await {
        if call.unwrap().is_ok() {
            ok += 1;
        }
    }
    (ok, storm)
}

fn assert_paused_together(ok: usize, storm: &Storm) {
    let sent = storm.sent.load(Ordering::SeqCst);
    let refused = storm.refused.load(Ordering::SeqCst);
    assert_eq!(
        ok, CALLERS,
        "every caller must succeed once the storm is over ({sent} sent, {refused} refused)"
    );
    // the first wave is refused; after that the shared pause lets about one request per
    // second probe the storm instead of every caller burning its retries
    assert!(
        refused <= CALLERS + STORM.as_secs() as usize + 1,
        "{refused} requests were sent into the storm"
    );
}

/// The default client (no quota documented, none configured) pauses all callers on a 429.
#[tokio::test(start_paused = true)]
async fn twenty_callers_in_a_six_second_429_storm_pause_together_and_all_succeed() {
    let (ok, storm) = storm_with(|b| b).await;
    assert_paused_together(ok, &storm);
}

/// The same storm with an explicit quota: the limiter the quota installs is shared by the
/// clones and pauses them all on a 429.
#[tokio::test(start_paused = true)]
async fn a_quota_limiter_pauses_every_clone_through_a_429_storm() {
    let (ok, storm) = storm_with(|b| b.rate_limit(Quota::per_second(50))).await;
    assert_paused_together(ok, &storm);
}
