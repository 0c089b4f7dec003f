//! Shared helpers of the `token_*` tests: counting token sources and a scripted transport.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use billing_http_core::auth::{Token, TokenKey, TokenSource, TokenStore};
use billing_http_core::clock::Clock;
use billing_http_core::transport::{HttpRequest, HttpResponse, TransportError};
use billing_http_core::{Error, ErrorKind, ExposeSecret, SecretString, StatusCode, Transport};
use futures::future::BoxFuture;

/// The client secret every test source holds; it must never reach a store.
pub const CLIENT_SECRET: &str = "cs-NEVER-STORE-7f3a9c1e5b";
/// The client id of the test sources; stores may only hold its hash.
pub const CLIENT_ID: &str = "client-id-jdoe-example";

/// A Pax8-style client-credentials source: holds a client id and secret, counts its fetches,
/// and issues `at-<n>` tokens living `lifetime` from the clock's now.
#[derive(Debug)]
pub struct CountingSource {
    pub client_id: String,
    pub client_secret: SecretString,
    pub fetches: Arc<AtomicUsize>,
    pub lifetime: Option<Duration>,
    pub delay: Duration,
    pub clock: Arc<dyn Clock>,
    /// When set, fetches fail with this kind (and still count).
    pub fail: Arc<Mutex<Option<ErrorKind>>>,
    pub prefix: String,
}

impl CountingSource {
    pub fn new(clock: Arc<dyn Clock>, lifetime: Option<Duration>) -> Self {
        CountingSource {
            client_id: CLIENT_ID.to_owned(),
            client_secret: SecretString::from(CLIENT_SECRET.to_owned()),
            fetches: Arc::new(AtomicUsize::new(0)),
            lifetime,
            delay: Duration::ZERO,
            clock,
            fail: Arc::new(Mutex::new(None)),
            prefix: "at".to_owned(),
        }
    }

    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_owned();
        self
    }

    pub fn counter(&self) -> Arc<AtomicUsize> {
        self.fetches.clone()
    }

    pub fn failer(&self) -> Arc<Mutex<Option<ErrorKind>>> {
        self.fail.clone()
    }
}

impl TokenSource for CountingSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Token, Error>> {
        Box::pin(async move {
            // a real source would send these; make sure they are "used"
            assert!(!self.client_id.is_empty() && !self.client_secret.expose_secret().is_empty());
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            if !self.delay.is_zero() {
                self.clock.sleep(self.delay).await;
            }
            let fail = *self.fail.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(kind) = fail {
                return Err(Error::new(kind, "token endpoint said no"));
            }
            let now = self.clock.system_now();
            Ok(Token::new(
                SecretString::from(format!("{}-{n}", self.prefix)),
                "Bearer",
                self.lifetime.map(|l| now + l),
            ))
        })
    }
}

/// A transport answering 200 to requests whose `authorization` header is in `accepted`, and
/// 401 otherwise; it records the authorization header of every request.
#[derive(Debug, Default)]
pub struct BearerCheckTransport {
    pub accepted: Mutex<Vec<String>>,
    pub seen: Mutex<Vec<Option<String>>>,
}

impl BearerCheckTransport {
    pub fn accepting(tokens: &[&str]) -> Self {
        BearerCheckTransport {
            accepted: Mutex::new(tokens.iter().map(|t| format!("Bearer {t}")).collect()),
            seen: Mutex::new(Vec::new()),
        }
    }

    pub fn seen(&self) -> Vec<Option<String>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Transport for BearerCheckTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(auth.clone());
        let ok = auth.is_some_and(|a| {
            self.accepted
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(&a)
        });
        let resp = if ok {
            HttpResponse::new(StatusCode::OK, "{}")
        } else {
            HttpResponse::new(StatusCode::UNAUTHORIZED, r#"{"message":"invalid token"}"#)
        };
        Box::pin(futures::future::ready(Ok(resp)))
    }
}

/// `true` if `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The value of the token `store` holds under `key` (the test fails if it holds none).
pub async fn stored_value<S: TokenStore + ?Sized>(store: &S, key: &TokenKey) -> String {
    let token = store
        .load(key)
        .await
        .expect("store readable")
        .expect("store holds a token");
    token.value.expose_secret().to_owned()
}
