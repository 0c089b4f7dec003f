//! Behaviour of the token cache: single-flight, refresh-ahead, 401 handling, failure floor.
#![allow(clippy::unwrap_used, missing_docs)]

mod token_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use billing_http_core::auth::store::{MemoryStore, TokenKey, TokenStore};
use billing_http_core::auth::{
    Auth, AuthTicket, Placement, StaticKey, StaticToken, Token, TokenCache, TokenSourceFn,
};
use billing_http_core::clock::{Clock, ManualClock, TokioClock};
use billing_http_core::{Client, ErrorKind, ExposeSecret, Request};
use token_support::{BearerCheckTransport, CLIENT_ID, CLIENT_SECRET, CountingSource};

const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);

fn key() -> TokenKey {
    TokenKey::new("pax8", "https://api.example.org/v1/token", CLIENT_ID)
}

fn manual() -> (ManualClock, Arc<dyn Clock>) {
    let c = ManualClock::new();
    let a: Arc<dyn Clock> = Arc::new(c.clone());
    (c, a)
}

#[tokio::test(start_paused = true)]
async fn hundred_concurrent_callers_cause_one_token_request() {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock);
    let source =
        CountingSource::new(clock.clone(), Some(HOUR)).with_delay(Duration::from_millis(200));
    let fetches = source.counter();
    let cache = TokenCache::builder(source, key()).clock(clock).build();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let c = cache.clone();
        tasks.push(tokio::spawn(async move { c.token().await }));
    }
    for t in tasks {
        let token = t.await.unwrap().unwrap();
        assert_eq!(token.value.expose_secret(), "at-1");
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    assert_eq!(cache.fetch_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn hundred_concurrent_requests_through_the_client_cause_one_token_request() {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock);
    let source =
        CountingSource::new(clock.clone(), Some(HOUR)).with_delay(Duration::from_millis(50));
    let fetches = source.counter();
    let cache = Arc::new(
        TokenCache::builder(source, key())
            .clock(clock.clone())
            .build(),
    );
    let transport = Arc::new(BearerCheckTransport::accepting(&["at-1"]));
    let client = Client::builder("pax8", "https://api.example.org/v1/")
        .transport(transport.clone())
        .auth(cache)
        .clock(clock)
        .build()
        .unwrap();
    let calls = (0..100).map(|_| {
        let c = client.clone();
        async move { c.execute(Request::get("companies", "companies.list")).await }
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    assert_eq!(transport.seen().len(), 100);
}

#[tokio::test]
async fn token_expiring_within_margin_is_refreshed_ahead_of_expiry() {
    let (clock, dyn_clock) = manual();
    let source = CountingSource::new(dyn_clock.clone(), Some(30 * MIN));
    let fetches = source.counter();
    let cache = TokenCache::builder(source, key())
        .clock(dyn_clock)
        .refresh_margin(5 * MIN)
        .refresh_jitter(Duration::ZERO)
        .build();
    let first = cache.token().await.unwrap();
    assert_eq!(first.value.expose_secret(), "at-1");
    clock.advance(24 * MIN);
    assert_eq!(cache.token().await.unwrap().value.expose_secret(), "at-1");
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "6 min left: not yet");
    clock.advance(2 * MIN);
    // 4 minutes left: the old token is still valid, yet it is replaced
    assert!(first.remaining(clock.system_now()).unwrap() > Duration::ZERO);
    assert_eq!(cache.token().await.unwrap().value.expose_secret(), "at-2");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn refresh_jitter_moves_the_refresh_point_only_inside_margin_plus_jitter() {
    for _ in 0..20 {
        let (clock, dyn_clock) = manual();
        let source = CountingSource::new(dyn_clock.clone(), Some(HOUR));
        let fetches = source.counter();
        let cache = TokenCache::builder(source, key())
            .clock(dyn_clock)
            .refresh_margin(5 * MIN)
            .refresh_jitter(2 * MIN)
            .build();
        cache.token().await.unwrap();
        clock.advance(52 * MIN + Duration::from_secs(59)); // 7 min 1 s left: above margin + jitter
        cache.token().await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        clock.advance(2 * MIN + Duration::from_secs(2)); // 4 min 59 s left: below the margin
        cache.token().await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }
}

#[tokio::test]
async fn short_lived_token_is_refreshed_at_half_life_not_in_a_loop() {
    let (clock, dyn_clock) = manual();
    let source = CountingSource::new(dyn_clock.clone(), Some(2 * MIN));
    let fetches = source.counter();
    let cache = TokenCache::builder(source, key()).clock(dyn_clock).build();
    cache.token().await.unwrap();
    cache.token().await.unwrap();
    clock.advance(50 * Duration::from_secs(1));
    cache.token().await.unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    clock.advance(20 * Duration::from_secs(1));
    cache.token().await.unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn callers_keep_the_valid_token_while_a_refresh_is_in_flight() {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock);
    let source =
        CountingSource::new(clock.clone(), Some(10 * MIN)).with_delay(Duration::from_secs(2));
    let fetches = source.counter();
    let cache = TokenCache::builder(source, key())
        .clock(clock)
        .refresh_margin(5 * MIN)
        .refresh_jitter(Duration::ZERO)
        .build();
    assert_eq!(cache.token().await.unwrap().value.expose_secret(), "at-1");
    tokio::time::advance(6 * MIN).await; // 4 min left: refresh due
    let refresher = {
        let c = cache.clone();
        tokio::spawn(async move { c.token().await })
    };
    tokio::task::yield_now().await;
    // the refresh sleeps 2 s in the source; meanwhile others get the old, still-valid token
    let during = cache.token().await.unwrap();
    assert_eq!(during.value.expose_secret(), "at-1");
    assert_eq!(
        refresher.await.unwrap().unwrap().value.expose_secret(),
        "at-2"
    );
    assert_eq!(cache.token().await.unwrap().value.expose_secret(), "at-2");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unauthorized_triggers_one_refresh_and_one_retry() {
    let (_clock, dyn_clock) = manual();
    let source = CountingSource::new(dyn_clock.clone(), Some(HOUR));
    let fetches = source.counter();
    let cache = Arc::new(
        TokenCache::builder(source, key())
            .clock(dyn_clock.clone())
            .build(),
    );
    // the server no longer accepts at-1 (revoked), but accepts at-2
    let transport = Arc::new(BearerCheckTransport::accepting(&["at-2"]));
    let client = Client::builder("pax8", "https://api.example.org/v1/")
        .transport(transport.clone())
        .auth(cache.clone())
        .clock(dyn_clock)
        .build()
        .unwrap();
    client
        .execute(Request::get("companies", "companies.list"))
        .await
        .unwrap();
    assert_eq!(
        transport.seen(),
        vec![
            Some("Bearer at-1".to_owned()),
            Some("Bearer at-2".to_owned())
        ]
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // the fresh token stays cached
    client
        .execute(Request::get("companies", "companies.list"))
        .await
        .unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    assert_eq!(transport.seen().len(), 3);
}

#[tokio::test]
async fn second_unauthorized_returns_auth_error_without_looping() {
    let (_clock, dyn_clock) = manual();
    let source = CountingSource::new(dyn_clock.clone(), Some(HOUR));
    let fetches = source.counter();
    let cache = Arc::new(
        TokenCache::builder(source, key())
            .clock(dyn_clock.clone())
            .build(),
    );
    let transport = Arc::new(BearerCheckTransport::accepting(&[]));
    let client = Client::builder("pax8", "https://api.example.org/v1/")
        .transport(transport.clone())
        .auth(cache)
        .clock(dyn_clock)
        .build()
        .unwrap();
    let err = client
        .execute(Request::get("companies", "companies.list"))
        .await
        .unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(transport.seen().len(), 2, "one retry, no loop");
    assert_eq!(fetches.load(Ordering::SeqCst), 2, "one refresh");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("at-1") && !shown.contains("at-2"));
}

#[tokio::test]
async fn unauthorized_for_an_old_ticket_keeps_the_newer_token() {
    let (_clock, dyn_clock) = manual();
    let source = CountingSource::new(dyn_clock.clone(), Some(HOUR));
    let fetches = source.counter();
    let cache = TokenCache::builder(source, key()).clock(dyn_clock).build();
    let (t1, ticket1) = cache.token_with_ticket().await.unwrap();
    // task A's request with t1 is rejected: t1 is dropped, a retry is worth it
    assert!(cache.unauthorized(ticket1).await);
    let (t2, ticket2) = cache.token_with_ticket().await.unwrap();
    assert_ne!(t1.value.expose_secret(), t2.value.expose_secret());
    assert_ne!(ticket1, ticket2);
    // task B's request also used t1 and comes back late: t2 must survive
    assert!(cache.unauthorized(ticket1).await);
    let (t3, _) = cache.token_with_ticket().await.unwrap();
    assert_eq!(t3.value.expose_secret(), t2.value.expose_secret());
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // a request that carried no token at all cannot be helped by a retry
    assert!(!cache.unauthorized(AuthTicket::default()).await);
}

#[tokio::test]
async fn failed_refresh_is_not_retried_before_the_floor() {
    let (clock, dyn_clock) = manual();
    let source = CountingSource::new(dyn_clock.clone(), Some(HOUR));
    let fetches = source.counter();
    let fail = source.failer();
    *fail.lock().unwrap() = Some(ErrorKind::Server);
    let cache = TokenCache::builder(source, key())
        .clock(dyn_clock)
        .failure_floor(Duration::from_secs(10))
        .build();
    let e1 = cache.token().await.unwrap_err();
    assert_eq!(e1.kind(), ErrorKind::Server);
    clock.advance(Duration::from_secs(3));
    let e2 = cache.token().await.unwrap_err();
    assert_eq!(e2.kind(), ErrorKind::Server, "the floor keeps the kind");
    assert!(e2.message().contains("token endpoint said no"));
    assert_eq!(e2.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "no token request inside the floor"
    );
    *fail.lock().unwrap() = None;
    clock.advance(Duration::from_secs(8));
    assert_eq!(cache.token().await.unwrap().value.expose_secret(), "at-2");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_failed_fetch() {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock);
    let source =
        CountingSource::new(clock.clone(), Some(HOUR)).with_delay(Duration::from_millis(100));
    let fetches = source.counter();
    *source.failer().lock().unwrap() = Some(ErrorKind::Auth);
    let cache = TokenCache::builder(source, key())
        .clock(clock)
        .failure_floor(Duration::ZERO)
        .build();
    let calls = (0..20).map(|_| {
        let c = cache.clone();
        async move { c.token().await }
    });
    for r in futures::future::join_all(calls).await {
        assert!(r.unwrap_err().is_auth());
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn failed_refresh_ahead_keeps_serving_the_still_valid_token() {
    let (clock, dyn_clock) = manual();
    let source = CountingSource::new(dyn_clock.clone(), Some(HOUR));
    let fetches = source.counter();
    let fail = source.failer();
    let cache = TokenCache::builder(source, key())
        .clock(dyn_clock)
        .refresh_jitter(Duration::ZERO)
        .build();
    cache.token().await.unwrap();
    *fail.lock().unwrap() = Some(ErrorKind::Timeout);
    clock.advance(58 * MIN);
    assert_eq!(cache.token().await.unwrap().value.expose_secret(), "at-1");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    clock.advance(3 * MIN); // now expired and the source still fails
    assert_eq!(cache.token().await.unwrap_err().kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn fetched_lifetime_is_clamped_to_max_lifetime() {
    let (clock, dyn_clock) = manual();
    let source = CountingSource::new(dyn_clock.clone(), Some(48 * HOUR));
    let fetches = source.counter();
    let cache = TokenCache::builder(source, key())
        .clock(dyn_clock.clone())
        .max_lifetime(24 * HOUR)
        .refresh_jitter(Duration::ZERO)
        .build();
    let t = cache.token().await.unwrap();
    assert_eq!(t.remaining(dyn_clock.system_now()), Some(24 * HOUR));
    clock.advance(24 * HOUR - 4 * MIN);
    cache.token().await.unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn stored_token_claiming_longer_than_max_lifetime_is_a_miss() {
    let (_clock, dyn_clock) = manual();
    let store = Arc::new(MemoryStore::new());
    let bogus = Token::bearer(
        "from-the-future",
        Some(dyn_clock.system_now() + 30 * 24 * HOUR),
    );
    store.save(&key(), &bogus).await.unwrap();
    let source = CountingSource::new(dyn_clock.clone(), Some(HOUR));
    let cache = TokenCache::builder(source, key())
        .clock(dyn_clock)
        .store(store)
        .max_lifetime(24 * HOUR)
        .build();
    assert_eq!(cache.token().await.unwrap().value.expose_secret(), "at-1");
}

#[tokio::test]
async fn stored_token_within_the_margin_is_a_miss_and_a_valid_one_is_used() {
    let (_clock, dyn_clock) = manual();
    let store = Arc::new(MemoryStore::new());
    let now = dyn_clock.system_now();
    store
        .save(
            &key(),
            &Token::bearer("nearly-expired", Some(now + 2 * MIN)),
        )
        .await
        .unwrap();
    let source = CountingSource::new(dyn_clock.clone(), Some(HOUR));
    let fetches = source.counter();
    let cache = TokenCache::builder(source, key())
        .clock(dyn_clock.clone())
        .store(store.clone())
        .build();
    assert_eq!(cache.token().await.unwrap().value.expose_secret(), "at-1");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    let other_key = TokenKey::new("pax8", "https://api.example.org/v1/token", "other-client");
    store
        .save(&other_key, &Token::bearer("stored-valid", Some(now + HOUR)))
        .await
        .unwrap();
    let source = CountingSource::new(dyn_clock.clone(), Some(HOUR));
    let fetches = source.counter();
    let cache = TokenCache::builder(source, other_key)
        .clock(dyn_clock)
        .store(store)
        .build();
    assert_eq!(
        cache.token().await.unwrap().value.expose_secret(),
        "stored-valid"
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn two_caches_sharing_a_memory_store_make_one_token_request() {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock);
    let store = Arc::new(MemoryStore::new());
    let s1 = CountingSource::new(clock.clone(), Some(HOUR)).with_delay(Duration::from_millis(300));
    let s2 = CountingSource::new(clock.clone(), Some(HOUR)).with_delay(Duration::from_millis(300));
    let (f1, f2) = (s1.counter(), s2.counter());
    let c1 = TokenCache::builder(s1, key())
        .clock(clock.clone())
        .store(store.clone())
        .build();
    let c2 = TokenCache::builder(s2, key())
        .clock(clock)
        .store(store)
        .build();
    let (a, b) = tokio::join!(c1.token(), c2.token());
    assert_eq!(
        a.unwrap().value.expose_secret(),
        b.unwrap().value.expose_secret()
    );
    assert_eq!(f1.load(Ordering::SeqCst) + f2.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn token_without_expiry_is_fetched_once_and_placed_as_a_custom_header() {
    let (clock, dyn_clock) = manual();
    let source = CountingSource::new(dyn_clock.clone(), None).with_prefix("session");
    let fetches = source.counter();
    let cache = TokenCache::builder(
        source,
        TokenKey::new("cloudspot", "https://erp.example.org/api/v1", "jdoe"),
    )
    .clock(dyn_clock)
    .placement(Placement::Header("X-ERP-TOKEN".into()))
    .build();
    let mut req = Request::get("artikels", "artikels.list");
    cache.authorize(&mut req).await.unwrap();
    clock.advance(1000 * HOUR);
    let mut req2 = Request::get("artikels", "artikels.list");
    cache.authorize(&mut req2).await.unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    let (name, value) = &req2.headers[0];
    assert_eq!(name, "X-ERP-TOKEN");
    assert_eq!(value.expose(), "session-1");
    assert!(value.is_secret());
}

#[tokio::test]
async fn static_token_and_static_key_authorize_through_the_same_trait() {
    let token_auth: Arc<dyn Auth> = Arc::new(
        TokenCache::builder(
            StaticToken::new(Token::bearer("delegated-token", None)),
            TokenKey::new("pax8", "https://api.example.org/v1/", "delegated"),
        )
        .build(),
    );
    let key_auth: Arc<dyn Auth> = Arc::new(StaticKey::new(
        "api-key-1",
        Placement::FormField("apikey".into()),
    ));
    let mut r1 = Request::get("x", "x");
    token_auth.authorize(&mut r1).await.unwrap();
    assert_eq!(r1.headers[0].1.expose(), "Bearer delegated-token");
    let mut r2 = Request::post("", "getuser");
    key_auth.authorize(&mut r2).await.unwrap();
    assert_eq!(
        r2.body.form_field("apikey").map(|v| v.expose()),
        Some("api-key-1")
    );
}

#[tokio::test]
async fn debug_output_never_shows_token_or_client_secret() {
    let (_clock, dyn_clock) = manual();
    let source = CountingSource::new(dyn_clock.clone(), Some(HOUR));
    let cache = TokenCache::builder(source, key()).clock(dyn_clock).build();
    let t = cache.token().await.unwrap();
    let shown = format!("{cache:?} {t:?} {:?}", cache.key());
    assert!(!shown.contains("at-1"), "{shown}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    // the key shows a hash of the client id, not the id
    let key_shown = format!("{:?} {}", cache.key(), cache.key());
    assert!(!key_shown.contains(CLIENT_ID), "{key_shown}");
}

#[tokio::test]
async fn empty_token_from_the_source_is_an_error_not_a_cached_value() {
    let source = TokenSourceFn::new("empty", || async { Ok(Token::bearer("", None)) });
    let cache = TokenCache::builder(source, key())
        .failure_floor(Duration::ZERO)
        .build();
    assert_eq!(cache.token().await.unwrap_err().kind(), ErrorKind::Token);
}

#[tokio::test]
async fn invalidate_drops_the_token_from_memory_and_store() {
    let (_clock, dyn_clock) = manual();
    let store = Arc::new(MemoryStore::new());
    let source = CountingSource::new(dyn_clock.clone(), Some(HOUR));
    let fetches = source.counter();
    let cache = TokenCache::builder(source, key())
        .clock(dyn_clock)
        .store(store.clone())
        .build();
    cache.token().await.unwrap();
    assert_eq!(store.len(), 1);
    cache.invalidate().await;
    assert!(store.load(&key()).await.unwrap().is_none());
    assert_eq!(cache.token().await.unwrap().value.expose_secret(), "at-2");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

/// A store whose `remove` fails (e.g. a keyring that refuses deletes).
#[derive(Debug, Default)]
struct StickyStore(MemoryStore);

impl TokenStore for StickyStore {
    fn load<'a>(
        &'a self,
        key: &'a TokenKey,
    ) -> futures::future::BoxFuture<'a, Result<Option<Token>, billing_http_core::Error>> {
        self.0.load(key)
    }
    fn save<'a>(
        &'a self,
        key: &'a TokenKey,
        token: &'a Token,
    ) -> futures::future::BoxFuture<'a, Result<(), billing_http_core::Error>> {
        self.0.save(key, token)
    }
    fn remove<'a>(
        &'a self,
        _key: &'a TokenKey,
        _token: &'a Token,
    ) -> futures::future::BoxFuture<'a, Result<(), billing_http_core::Error>> {
        Box::pin(async {
            Err(billing_http_core::Error::new(
                ErrorKind::Token,
                "remove refused",
            ))
        })
    }
}

#[tokio::test]
async fn rejected_token_left_in_a_store_whose_remove_failed_is_not_reused() {
    let (_clock, dyn_clock) = manual();
    let source = CountingSource::new(dyn_clock.clone(), Some(HOUR));
    let fetches = source.counter();
    let store = Arc::new(StickyStore::default());
    let cache = TokenCache::builder(source, key())
        .clock(dyn_clock)
        .store(store.clone())
        .build();
    let (t1, ticket) = cache.token_with_ticket().await.unwrap();
    assert!(cache.unauthorized(ticket).await);
    let still_there = store.load(&key()).await.unwrap().unwrap();
    assert_eq!(still_there.value.expose_secret(), t1.value.expose_secret());
    let t2 = cache.token().await.unwrap();
    assert_eq!(t2.value.expose_secret(), "at-2");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}
