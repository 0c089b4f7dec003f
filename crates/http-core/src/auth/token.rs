//! Tokens, token sources and the [`TokenCache`].
//!
//! A [`TokenSource`] fetches a new [`Token`] (Pax8: an OAuth2 client-credentials call;
//! Cloudspot: a user sign-in). A [`TokenCache`] sits in front of it and implements
//! [`Auth`], so a vendor client authorises requests with it like with a static key:
//!
//! * **single-flight**: N concurrent callers with no valid token cause exactly one fetch; the
//!   others wait for it (and across processes/machines too, through the store's refresh lock);
//! * **refresh-ahead**: a token is replaced when its remaining lifetime falls below a margin
//!   (default 5 min) plus a random jitter (default up to 1 min), so a fleet does not refresh at
//!   the same instant; while one caller refreshes, the others keep using the still-valid token;
//! * **one retry on 401**: [`Auth::unauthorized`] drops the rejected token (only if it is still
//!   the current one) from memory and from the store, and the client retries exactly once;
//! * **failure floor**: after a failed fetch, callers get that failure again (without a new
//!   token request) until a floor (default 5 s) has passed;
//! * **stores**: memory by default, or any [`TokenStore`] (file, keyring, encrypted file,
//!   Redis), read before fetching and written after;
//! * **clock**: all time comes from an injectable [`Clock`].
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, SystemTime};
//! use billing_http_core::auth::{Placement, token::{Token, TokenCache, TokenSourceFn}, store::TokenKey};
//!
//! let source = TokenSourceFn::new("example", || async {
//!     // call the vendor's token endpoint here
//!     Ok(Token::bearer("example-token", Some(SystemTime::now() + Duration::from_secs(86_400))))
//! });
//! let cache = TokenCache::builder(source, TokenKey::new("pax8", "https://api.pax8.com/v1/token", "client-id"))
//!     .placement(Placement::Bearer)
//!     .build();
//! let auth: Arc<dyn billing_http_core::auth::Auth> = Arc::new(cache);
//! # let _ = auth;
//! ```

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use crate::auth::store::{LockAttempt, MemoryStore, TokenKey, TokenStore};
use crate::auth::{Auth, AuthTicket, Placement};
use crate::clock::{Clock, TokioClock, instant_after, system_time_after};
use crate::error::{Error, ErrorKind};
use crate::request::Request;

/// An access token: its secret value, its type and when it expires.
///
/// `Debug` never shows the value.
#[derive(Clone)]
#[non_exhaustive]
pub struct Token {
    /// The secret token value, sent as e.g. `Authorization: Bearer <value>`.
    pub value: SecretString,
    /// The token type as the server named it (`Bearer`); compare case-insensitively.
    pub token_type: String,
    /// Wall-clock expiry; `None` for tokens that live until rejected (a Cloudspot session).
    pub expires_at: Option<SystemTime>,
}

impl Token {
    /// A token of `token_type` expiring at `expires_at`.
    pub fn new(
        value: impl Into<SecretString>,
        token_type: impl Into<String>,
        expires_at: Option<SystemTime>,
    ) -> Self {
        Token {
            value: value.into(),
            token_type: token_type.into(),
            expires_at,
        }
    }

    /// A `Bearer` token.
    pub fn bearer(value: impl Into<String>, expires_at: Option<SystemTime>) -> Self {
        Token::new(SecretString::from(value.into()), "Bearer", expires_at)
    }

    /// `expires_at` computed as `now + expires_in` (OAuth2's `expires_in` seconds), saturating:
    /// a lifetime too long to represent ends in about a century (and a cache with a maximum
    /// lifetime clamps it further), it never means "does not expire".
    pub fn expiring_in(
        value: impl Into<SecretString>,
        token_type: impl Into<String>,
        now: SystemTime,
        expires_in: Duration,
    ) -> Self {
        Token::new(value, token_type, Some(system_time_after(now, expires_in)))
    }

    /// Remaining lifetime at `now` (`None` if the token does not expire; zero once expired).
    pub fn remaining(&self, now: SystemTime) -> Option<Duration> {
        self.expires_at
            .map(|e| e.duration_since(now).unwrap_or(Duration::ZERO))
    }

    /// Same secret value as `other`.
    pub fn same_value(&self, other: &Token) -> bool {
        self.value.expose_secret() == other.value.expose_secret()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &"[REDACTED]")
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Fetches a new token (an OAuth2 client-credentials call, a sign-in, ...).
///
/// The source is called by a [`TokenCache`] only; it should not cache by itself. Errors keep
/// their kind: a rejected client secret is [`ErrorKind::Auth`] (not retried by the client), a
/// network failure is retryable, and so on. Sources that call an HTTP endpoint usually do so
/// through a [`crate::Client`] with [`crate::auth::NoAuth`], so token calls share the rate
/// limiter and the retry policy.
pub trait TokenSource: Send + Sync + fmt::Debug {
    /// Fetches a new token.
    fn fetch(&self) -> BoxFuture<'_, Result<Token, Error>>;
}

impl<T: TokenSource + ?Sized> TokenSource for Arc<T> {
    fn fetch(&self) -> BoxFuture<'_, Result<Token, Error>> {
        (**self).fetch()
    }
}

/// A token obtained elsewhere (a delegated OAuth flow, a session token from an earlier
/// sign-in, an API key used as a token), served through the same interface as fetched ones.
///
/// `Debug` never shows the value.
#[derive(Clone, Debug)]
pub struct StaticToken {
    token: Token,
}

impl StaticToken {
    /// Serves `token` on every fetch.
    pub fn new(token: Token) -> Self {
        StaticToken { token }
    }
}

impl TokenSource for StaticToken {
    fn fetch(&self) -> BoxFuture<'_, Result<Token, Error>> {
        Box::pin(futures::future::ready(Ok(self.token.clone())))
    }
}

/// A token source from an async closure.
pub struct TokenSourceFn<F> {
    name: &'static str,
    f: F,
}

impl<F, Fut> TokenSourceFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Token, Error>> + Send + 'static,
{
    /// A source named `name` (for `Debug`) that calls `f` to fetch.
    pub fn new(name: &'static str, f: F) -> Self {
        TokenSourceFn { name, f }
    }
}

impl<F> fmt::Debug for TokenSourceFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSourceFn")
            .field("name", &self.name)
            .finish()
    }
}

impl<F, Fut> TokenSource for TokenSourceFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Token, Error>> + Send + 'static,
{
    fn fetch(&self) -> BoxFuture<'_, Result<Token, Error>> {
        Box::pin((self.f)())
    }
}

/// Default TTL of a store's refresh lock (Redis): 5 seconds, renewed by the holder while its
/// refresh runs, so a holder that is killed stalls the others for at most this long.
pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(5);

/// Reads an OAuth2 `expires_in` (seconds) from its text, leniently: a positive number (integer,
/// decimal or exponent form, surrounding white space allowed) is rounded up to whole seconds
/// and saturates (`1e30` and values beyond `u64` are simply very long); zero, negative, `NaN`
/// and anything that is not a number give `None` — "not given". Never fails.
pub fn parse_expires_in(text: &str) -> Option<Duration> {
    let secs: f64 = text.trim().parse().ok()?;
    // `!(secs > 0.0)` also catches NaN; `as` saturates at u64::MAX (and maps +inf there)
    if secs.is_nan() || secs <= 0.0 {
        return None;
    }
    Some(Duration::from_secs(secs.ceil() as u64))
}

/// [`parse_expires_in`] for a JSON value: a number or a numeric string; `null`, booleans,
/// arrays and objects give `None`.
pub fn expires_in_from_json(value: &serde_json::Value) -> Option<Duration> {
    match value {
        serde_json::Value::Number(n) => parse_expires_in(&n.to_string()),
        serde_json::Value::String(s) => parse_expires_in(s),
        _ => None,
    }
}

/// `#[serde(default, deserialize_with = "billing_http_core::auth::token::deserialize_expires_in")]`
/// for an `Option<Duration>` field holding a token response's `expires_in`: reads any JSON value
/// with [`expires_in_from_json`] and never fails, so a strange lifetime never breaks auth.
pub fn deserialize_expires_in<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    use serde::Deserialize;
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.as_ref().and_then(expires_in_from_json))
}

/// The lifetime to give a fetched token: `expires_in` when given and positive, else `default`
/// (the vendor's documented lifetime), and never more than `max`. With
/// [`Token::expiring_in`] this is the whole documented rule "missing or non-positive → the
/// default, everything clamped to the maximum".
pub fn clamp_lifetime(expires_in: Option<Duration>, default: Duration, max: Duration) -> Duration {
    expires_in
        .filter(|d| !d.is_zero())
        .unwrap_or(default)
        .min(max)
}

/// Default refresh-ahead margin: 5 minutes.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Default jitter added to the margin: up to 1 minute.
pub const DEFAULT_REFRESH_JITTER: Duration = Duration::from_secs(60);
/// Default floor between failed refresh attempts: 5 seconds.
pub const DEFAULT_FAILURE_FLOOR: Duration = Duration::from_secs(5);

/// Builds a [`TokenCache`].
pub struct TokenCacheBuilder {
    source: Arc<dyn TokenSource>,
    key: TokenKey,
    store: Option<Arc<dyn TokenStore>>,
    clock: Arc<dyn Clock>,
    placement: Placement,
    margin: Duration,
    jitter: Duration,
    failure_floor: Duration,
    max_lifetime: Option<Duration>,
    lock_ttl: Duration,
    lock_poll: Duration,
    lock_wait: Duration,
}

impl TokenCacheBuilder {
    /// Where tokens are kept beyond this cache (default: a private [`MemoryStore`]).
    pub fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }
    /// The clock (default [`TokioClock`]). Use the client's clock in tests.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
    /// Where the token goes on a request (default [`Placement::Bearer`]).
    pub fn placement(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }
    /// Refresh a token when its remaining lifetime is at or below `margin` (default 5 min).
    /// For a token living less than twice the margin, half its lifetime is used instead.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }
    /// Up to `jitter` (uniformly random, chosen per token) is added to the margin (default 1
    /// min), so that processes sharing a store do not all refresh at the same moment.
    pub fn refresh_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }
    /// Minimum time between two failed fetches (default 5 s); in between, callers get the last
    /// failure again at once.
    pub fn failure_floor(mut self, floor: Duration) -> Self {
        self.failure_floor = floor;
        self
    }
    /// Longest lifetime believed (Pax8: 24 h). Fetched tokens are clamped to it; stored ones
    /// that claim to live longer (clock skew, tampering) are a miss. Default: no limit.
    pub fn max_lifetime(mut self, max: Duration) -> Self {
        self.max_lifetime = Some(max);
        self
    }
    /// How long a store's refresh lock lives before it expires on its own (stores with expiry,
    /// e.g. Redis, whose holder renews it while the refresh runs; default
    /// [`DEFAULT_LOCK_TTL`]), and how long to wait for another holder (default 35 s) before
    /// fetching anyway, polling the store every `poll` (default 100 ms).
    pub fn lock_timing(mut self, ttl: Duration, wait: Duration, poll: Duration) -> Self {
        self.lock_ttl = ttl;
        self.lock_wait = wait;
        self.lock_poll = poll.max(Duration::from_millis(1));
        self
    }

    /// Builds the cache.
    pub fn build(self) -> TokenCache {
        TokenCache {
            inner: Arc::new(CacheInner {
                source: self.source,
                key: self.key,
                store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
                clock: self.clock,
                placement: self.placement,
                margin: self.margin,
                jitter: self.jitter,
                failure_floor: self.failure_floor,
                max_lifetime: self.max_lifetime,
                lock_ttl: self.lock_ttl,
                lock_poll: self.lock_poll,
                lock_wait: self.lock_wait,
                state: Mutex::new(State::default()),
                refresh: tokio::sync::Mutex::new(()),
                next_ticket: AtomicU64::new(1),
                fetches: AtomicU64::new(0),
            }),
        }
    }
}

/// A caching, single-flight [`Auth`] provider in front of a [`TokenSource`].
/// See the [module docs](self).
///
/// Cheap to clone; clones share the cached token.
#[derive(Clone)]
pub struct TokenCache {
    inner: Arc<CacheInner>,
}

struct CacheInner {
    source: Arc<dyn TokenSource>,
    key: TokenKey,
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    placement: Placement,
    margin: Duration,
    jitter: Duration,
    failure_floor: Duration,
    max_lifetime: Option<Duration>,
    lock_ttl: Duration,
    lock_poll: Duration,
    lock_wait: Duration,
    state: Mutex<State>,
    refresh: tokio::sync::Mutex<()>,
    next_ticket: AtomicU64,
    fetches: AtomicU64,
}

#[derive(Default)]
struct State {
    current: Option<Entry>,
    last_failure: Option<Failure>,
    /// Bumped after every refresh outcome, so waiters know one happened while they waited.
    generation: u64,
    /// The last token the server rejected.
    rejected: Option<Token>,
}

#[derive(Clone)]
struct Entry {
    token: Token,
    ticket: u64,
    /// Monotonic instant from which a refresh is due (`None`: never).
    refresh_at: Option<Instant>,
    /// Monotonic expiry (`None`: never).
    expires_at: Option<Instant>,
}

impl Entry {
    fn fresh(&self, now: Instant) -> bool {
        self.refresh_at.is_none_or(|r| now < r)
    }
    fn valid(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|e| now < e)
    }
}

struct Failure {
    at: Instant,
    /// The token call's error, repeated (with its kind, status, operation and source) to the
    /// callers that come within the floor.
    error: Error,
}

impl TokenCache {
    /// Starts a builder for tokens from `source`, stored under `key`.
    pub fn builder(source: impl TokenSource + 'static, key: TokenKey) -> TokenCacheBuilder {
        Self::builder_arc(Arc::new(source), key)
    }

    /// Like [`TokenCache::builder`] for a shared source.
    pub fn builder_arc(source: Arc<dyn TokenSource>, key: TokenKey) -> TokenCacheBuilder {
        TokenCacheBuilder {
            source,
            key,
            store: None,
            clock: Arc::new(TokioClock),
            placement: Placement::Bearer,
            margin: DEFAULT_REFRESH_MARGIN,
            jitter: DEFAULT_REFRESH_JITTER,
            failure_floor: DEFAULT_FAILURE_FLOOR,
            max_lifetime: None,
            lock_ttl: DEFAULT_LOCK_TTL,
            lock_poll: Duration::from_millis(100),
            lock_wait: Duration::from_secs(35),
        }
    }

    /// The key the tokens are stored under.
    pub fn key(&self) -> &TokenKey {
        &self.inner.key
    }

    /// How many times this cache called its token source (successful or not).
    pub fn fetch_count(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// A valid token: the cached one, one from the store, or a freshly fetched one.
    pub async fn token(&self) -> Result<Token, Error> {
        self.token_with_ticket().await.map(|(t, _)| t)
    }

    /// Drops the cached token from memory and from the store, whatever it is.
    pub async fn invalidate(&self) {
        let old = self.inner.lock_state().current.take();
        if let Some(e) = old {
            self.inner.remove_from_store(&e.token).await;
        }
    }

    /// A valid token and the ticket identifying it (for [`Auth::unauthorized`]).
    pub async fn token_with_ticket(&self) -> Result<(Token, AuthTicket), Error> {
        let inner = &*self.inner;
        let seen_generation = {
            let st = inner.lock_state();
            if let Some(e) = &st.current
                && e.fresh(inner.clock.now())
            {
                return Ok((e.token.clone(), AuthTicket(e.ticket)));
            }
            st.generation
        };
        let _guard = match inner.refresh.try_lock() {
            Ok(g) => g,
            Err(_) => {
                // a refresh is under way: serve the still-valid token meanwhile
                if let Some(e) = inner.current_valid() {
                    return Ok(e);
                }
                inner.refresh.lock().await
            }
        };
        let now = inner.clock.now();
        {
            let st = inner.lock_state();
            if let Some(e) = &st.current {
                // fresh, or fetched by the refresh we waited for (even if born stale)
                if e.fresh(now) || (st.generation != seen_generation && e.valid(now)) {
                    return Ok((e.token.clone(), AuthTicket(e.ticket)));
                }
            }
            if let Some(f) = &st.last_failure {
                let since = now.saturating_duration_since(f.at);
                if since < inner.failure_floor
                    || (st.generation != seen_generation && st.current.is_none())
                {
                    if let Some(e) = st.current.as_ref().filter(|e| e.valid(now)) {
                        return Ok((e.token.clone(), AuthTicket(e.ticket)));
                    }
                    return Err(inner.floor_error(f, since));
                }
            }
        }
        let result = inner.refresh_locked().await;
        let mut st = inner.lock_state();
        st.generation = st.generation.wrapping_add(1);
        match result {
            Ok(entry) => {
                st.last_failure = None;
                let out = (entry.token.clone(), AuthTicket(entry.ticket));
                st.current = Some(entry);
                Ok(out)
            }
            Err(e) => {
                st.last_failure = Some(Failure {
                    at: inner.clock.now(),
                    error: e.clone(),
                });
                let now = inner.clock.now();
                if let Some(cur) = st.current.as_ref().filter(|c| c.valid(now)) {
                    tracing::warn!(
                        vendor = %inner.key.vendor(),
                        error = %e,
                        "token refresh failed; using the current token until it expires"
                    );
                    return Ok((cur.token.clone(), AuthTicket(cur.ticket)));
                }
                Err(e)
            }
        }
    }
}

impl CacheInner {
    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn current_valid(&self) -> Option<(Token, AuthTicket)> {
        let now = self.clock.now();
        let st = self.lock_state();
        st.current
            .as_ref()
            .filter(|e| e.valid(now))
            .map(|e| (e.token.clone(), AuthTicket(e.ticket)))
    }

    /// The last failure again, for a caller within the floor: same kind, status, operation and
    /// source (so a vendor maps it as it mapped the original), no new token request.
    fn floor_error(&self, f: &Failure, since: Duration) -> Error {
        let wait = self.failure_floor.saturating_sub(since);
        let message = format!(
            "token refresh failed recently, next attempt in {} ms: {}",
            wait.as_millis(),
            f.error.message()
        );
        f.error
            .clone()
            .with_message(message)
            .with_retry_after(Some(wait))
            .with_reached_server(false)
    }

    /// Makes an entry for `token`, with the refresh point placed `margin + jitter` before its
    /// expiry (at most half its remaining lifetime).
    fn entry_for(&self, token: Token) -> Entry {
        let now = self.clock.now();
        let now_wall = self.clock.system_now();
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        let (refresh_at, expires_at) = match token.remaining(now_wall) {
            None => (None, None),
            Some(remaining) => {
                let jitter = self.jitter.mul_f64(fastrand::f64());
                let margin = self.margin.saturating_add(jitter).min(remaining / 2);
                (
                    Some(instant_after(now, remaining.saturating_sub(margin))),
                    Some(instant_after(now, remaining)),
                )
            }
        };
        Entry {
            token,
            ticket,
            refresh_at,
            expires_at,
        }
    }

    /// A stored token is usable if it is not the one being replaced, lives longer than the
    /// margin, and does not claim to live longer than the maximum lifetime.
    fn acceptable(&self, token: &Token, replacing: &[Token]) -> bool {
        if replacing.iter().any(|r| r.same_value(token)) {
            return false;
        }
        match token.remaining(self.clock.system_now()) {
            None => self.max_lifetime.is_none(),
            Some(rem) => {
                rem > self.margin
                    && self
                        .max_lifetime
                        .is_none_or(|max| rem <= max.saturating_add(Duration::from_secs(60)))
            }
        }
    }

    async fn load_acceptable(&self, replacing: &[Token]) -> Option<Token> {
        match self.store.load(&self.key).await {
            Ok(Some(t)) if self.acceptable(&t, replacing) => Some(t),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(vendor = %self.key.vendor(), store = ?self.store, error = %e, "token store load failed; treating as a miss");
                None
            }
        }
    }

    async fn remove_from_store(&self, token: &Token) {
        if let Err(e) = self.store.remove(&self.key, token).await {
            tracing::warn!(vendor = %self.key.vendor(), error = %e, "token store remove failed");
        }
    }

    /// Called with the in-process refresh mutex held: store, cross-process lock, fetch.
    async fn refresh_locked(&self) -> Result<Entry, Error> {
        // the token being replaced and the last one the server rejected are misses even if a
        // store still has them (a remove may have failed, or raced with another process)
        let replacing: Vec<Token> = {
            let st = self.lock_state();
            st.current
                .iter()
                .map(|e| e.token.clone())
                .chain(st.rejected.iter().cloned())
                .collect()
        };
        let replacing = replacing.as_slice();
        if let Some(t) = self.load_acceptable(replacing).await {
            tracing::debug!(vendor = %self.key.vendor(), "token loaded from store");
            return Ok(self.entry_for(t));
        }
        let started = self.clock.now();
        loop {
            let attempt = match self.store.try_lock(&self.key, self.lock_ttl).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(vendor = %self.key.vendor(), error = %e, "token store lock failed; fetching without it");
                    LockAttempt::Unsupported
                }
            };
            match attempt {
                LockAttempt::Acquired(lock) => {
                    // someone may have refreshed between our read and our lock
                    if let Some(t) = self.load_acceptable(replacing).await {
                        lock.release().await;
                        return Ok(self.entry_for(t));
                    }
                    let result = self.fetch_and_save().await;
                    lock.release().await;
                    return result;
                }
                LockAttempt::Busy => {
                    let waited = self.clock.now().saturating_duration_since(started);
                    if waited >= self.lock_wait {
                        tracing::warn!(vendor = %self.key.vendor(), "token refresh lock still held; fetching without it");
                        return self.fetch_and_save().await;
                    }
                    self.clock.sleep(self.lock_poll).await;
                    if let Some(t) = self.load_acceptable(replacing).await {
                        return Ok(self.entry_for(t));
                    }
                }
                LockAttempt::Unsupported => return self.fetch_and_save().await,
            }
        }
    }

    async fn fetch_and_save(&self) -> Result<Entry, Error> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(vendor = %self.key.vendor(), "fetching a new token");
        let mut token = self.source.fetch().await?;
        if token.value.expose_secret().is_empty() {
            return Err(Error::new(
                ErrorKind::Token,
                "token source returned an empty token",
            ));
        }
        if let Some(max) = self.max_lifetime {
            let limit = system_time_after(self.clock.system_now(), max);
            token.expires_at = Some(token.expires_at.map_or(limit, |e| e.min(limit)));
        }
        if let Err(e) = self.store.save(&self.key, &token).await {
            tracing::warn!(vendor = %self.key.vendor(), error = %e, "token store save failed; token kept in memory only");
        }
        Ok(self.entry_for(token))
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &*self.inner;
        f.debug_struct("TokenCache")
            .field("key", &i.key)
            .field("source", &i.source)
            .field("store", &i.store)
            .field("placement", &i.placement)
            .field("refresh_margin", &i.margin)
            .field("has_token", &i.lock_state().current.is_some())
            .finish()
    }
}

impl Auth for TokenCache {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Request,
    ) -> BoxFuture<'a, Result<AuthTicket, Error>> {
        Box::pin(async move {
            // the request is never sent without a token: say so, and keep the token call's own
            // error (POST token, its status) inside
            let (token, ticket) = self
                .token_with_ticket()
                .await
                .map_err(Error::token_unavailable)?;
            self.inner.placement.apply(request, &token.value);
            Ok(ticket)
        })
    }

    fn unauthorized(&self, ticket: AuthTicket) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            if ticket.0 == 0 {
                return false;
            }
            let dropped = {
                let mut st = self.inner.lock_state();
                let dropped = match &st.current {
                    Some(e) if e.ticket == ticket.0 => st.current.take(),
                    // already replaced (or dropped) by another task: a retry uses the new one
                    _ => None,
                };
                if let Some(e) = &dropped {
                    st.rejected = Some(e.token.clone());
                }
                dropped
            };
            if let Some(e) = dropped {
                tracing::info!(vendor = %self.inner.key.vendor(), "token rejected by the server; dropping it");
                self.inner.remove_from_store(&e.token).await;
            }
            true
        })
    }
}
