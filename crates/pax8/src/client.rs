//! [`Client`] and [`ClientBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use billing_http_core::clock::{Clock, TokioClock};
use billing_http_core::rate_limit::{GcraLimiter, Quota, RateLimiter};
use billing_http_core::retry::RetryPolicy;
use billing_http_core::{Method, Request, RetrySafety, SecretString, Transport, TransportConfig};
use serde::de::DeserializeOwned;

use billing_http_core::auth::Placement;
use billing_http_core::auth::store::TokenStore;
use billing_http_core::auth::token::TokenCache;

use crate::auth::{
    DEFAULT_REFRESH_MARGIN, MAX_TOKEN_LIFETIME, NoReplayOn401, Pax8TokenSource, SecretBodyField,
    TokenEndpoint, token_key,
};
use crate::error::{Error, Pax8Classifier};

/// Default Partner API v1 base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.pax8.com/v1";
/// Default Webhooks API v2 base URL (note the `/api/v2` prefix, PAX8-Q47).
pub const DEFAULT_WEBHOOKS_BASE_URL: &str = "https://api.pax8.com/api/v2";
/// Default base URL of the undocumented Partner Portal app API (feature `unstable-app-api`).
pub const DEFAULT_APP_API_BASE_URL: &str = "https://app.pax8.com/p8p/api/v3";
/// Documented rate limit: 1000 calls per minute, token calls included (PAX8-Q46).
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 1000;
/// Share of the quota the client leaves unused by default (4 %). Pax8 counts calls in windows of
/// its own; a window that opens on one of our calls holds `quota × window + 1` evenly paced
/// calls, so pacing at exactly the quota leaves no room for arrival-time jitter. In the
/// throughput benchmark (`docs/benchmarks.md`, section "pax8") a 2 % margin still drew a 429
/// now and then, 4 % drew none and used 96 % of the quota.
pub const DEFAULT_RATE_LIMIT_MARGIN: f64 = 0.04;
/// Documented maximum page size, and the default this crate sends (PAX8-Q20, PAX8-Q32).
pub const MAX_PAGE_SIZE: u32 = 200;

/// Clamps a page size to 1..=200, with a warning when it had to change (PAX8-Q20).
pub fn clamp_page_size(size: u32) -> u32 {
    let clamped = size.clamp(1, MAX_PAGE_SIZE);
    if clamped != size {
        tracing::warn!(
            requested = size,
            sent = clamped,
            "pax8: page size clamped to 1..=200"
        );
    }
    clamped
}

/// The default retry policy (§7.4): 3 attempts, backoff from 1 s with full jitter, 30 s cap per
/// wait, 120 s total.
pub fn default_retry_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .initial_delay(Duration::from_secs(1))
        .max_delay(Duration::from_secs(30))
        .max_retry_after(Duration::from_secs(30))
        .max_elapsed(Duration::from_secs(120))
}

/// Checks that a URL is `https`, or plain `http` on a loopback host (tests, PAX8-Q50).
pub fn check_url(what: &str, raw: &str) -> Result<url::Url, Error> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| Error::Config(format!("invalid {what} {raw:?}: {e}")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(url)
            } else {
                Err(Error::Config(format!(
                    "{what} {raw:?} must use https (plain http is allowed only on loopback hosts)"
                )))
            }
        }
        other => Err(Error::Config(format!(
            "{what} {raw:?} has unsupported scheme {other:?}"
        ))),
    }
}

/// Splits a token URL into (parent ending in `/`, last segment).
fn split_token_url(raw: &str) -> Result<(String, String), Error> {
    let url = check_url("token url", raw)?;
    let path = url.path().trim_end_matches('/');
    let (parent, last) = path.rsplit_once('/').unwrap_or(("", path));
    let mut base = url.clone();
    base.set_path(&format!("{parent}/"));
    Ok((base.to_string(), last.to_owned()))
}

/// Builds a [`Client`]. Every URL and limit is configurable (§1.2).
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = pax8::Client::builder()
///     .credentials_from_env() // PAX8_CLIENT_ID, PAX8_CLIENT_SECRET
///     .timeout(Duration::from_secs(60)) // large tenants answer slowly
///     // keep the 24 h token across process restarts
///     .token_store(Arc::new(billing_http_core::auth::store::FileStore::default_location()?))
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
pub struct ClientBuilder {
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    token_endpoint: TokenEndpoint,
    token_url: Option<String>,
    audience: Option<String>,
    base_url: String,
    webhooks_base_url: String,
    app_api_base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    requests_per_minute: u32,
    rate_limiter: Option<Arc<dyn RateLimiter>>,
    limiter_margin: f64,
    retry: RetryPolicy,
    retry_writes: bool,
    token_store: Option<Arc<dyn TokenStore>>,
    refresh_margin: Duration,
    transport: Option<Arc<dyn Transport>>,
    clock: Arc<dyn Clock>,
    page_size: u32,
    user_agent: String,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("token_endpoint", &self.token_endpoint)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("requests_per_minute", &self.requests_per_minute)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            client_id: None,
            client_secret: None,
            token_endpoint: TokenEndpoint::Current,
            token_url: None,
            audience: None,
            base_url: DEFAULT_BASE_URL.into(),
            webhooks_base_url: DEFAULT_WEBHOOKS_BASE_URL.into(),
            app_api_base_url: DEFAULT_APP_API_BASE_URL.into(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            requests_per_minute: DEFAULT_REQUESTS_PER_MINUTE,
            rate_limiter: None,
            limiter_margin: DEFAULT_RATE_LIMIT_MARGIN,
            retry: default_retry_policy(),
            retry_writes: false,
            token_store: None,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            transport: None,
            clock: Arc::new(TokioClock),
            page_size: MAX_PAGE_SIZE,
            user_agent: format!("pax8-rs/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

impl ClientBuilder {
    /// Sets the API credential (client id and secret).
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.client_id = Some(client_id.into());
        self.client_secret = Some(SecretString::from(client_secret.into()));
        self
    }

    /// Reads `PAX8_CLIENT_ID` and `PAX8_CLIENT_SECRET` from the environment, when both are set.
    pub fn credentials_from_env(self) -> Self {
        match (
            std::env::var("PAX8_CLIENT_ID"),
            std::env::var("PAX8_CLIENT_SECRET"),
        ) {
            (Ok(id), Ok(secret)) if !id.is_empty() && !secret.is_empty() => {
                self.credentials(id, secret)
            }
            _ => self,
        }
    }

    /// Chooses a token URL + audience preset (default [`TokenEndpoint::Current`]).
    pub fn token_endpoint(mut self, preset: TokenEndpoint) -> Self {
        self.token_endpoint = preset;
        self
    }

    /// Overrides the token URL only.
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// Overrides the audience only.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sets the Partner API v1 base URL (default `https://api.pax8.com/v1`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Sets the Webhooks API v2 base URL (default `https://api.pax8.com/api/v2`).
    pub fn webhooks_base_url(mut self, url: impl Into<String>) -> Self {
        self.webhooks_base_url = url.into();
        self
    }

    /// Sets the base URL of the undocumented app API (default
    /// `https://app.pax8.com/p8p/api/v3`; feature `unstable-app-api`, PAX8-Q49).
    pub fn app_api_base_url(mut self, url: impl Into<String>) -> Self {
        self.app_api_base_url = url.into();
        self
    }

    /// Time allowed for one attempt (default 30 s; large tenants need more, PAX8-Q45).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Time allowed to connect (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Client-side rate limit, shared by all clones and counting token calls (default 1000).
    pub fn requests_per_minute(mut self, n: u32) -> Self {
        self.requests_per_minute = n.max(1);
        self
    }

    /// Share of the quota left unused as a safety margin, 0.0 to 0.5 (default 0.04: at 1000 calls
    /// per minute the client sends at most 960).
    pub fn rate_limit_margin(mut self, margin: f64) -> Self {
        self.limiter_margin = if margin.is_finite() {
            margin.clamp(0.0, 0.5)
        } else {
            0.0
        };
        self
    }

    /// Uses a caller-supplied limiter (for example one shared by several clients).
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.rate_limiter = Some(limiter);
        self
    }

    /// Sets the retry policy (default: [`default_retry_policy`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Opts `PUT`, `PATCH`, `DELETE` and the company/contact `POST`s into automatic retries after
    /// 5xx, 429 and timeouts (default off, §7.4). A real `POST /orders` is never retried.
    pub fn retry_writes(mut self, yes: bool) -> Self {
        self.retry_writes = yes;
        self
    }

    /// Persists tokens in `store` (default: memory only). http-core provides a file store
    /// ([`billing_http_core::auth::store::FileStore`]) and, behind its features, keyring, encrypted-file
    /// and Redis stores.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// Refreshes the token when less than `margin` is left (default 300 s).
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Uses a custom transport (replay transport, sandbox, fakes).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Uses a custom clock (virtual time in tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Default page size of list calls, clamped to 1..=200 (default 200).
    pub fn default_page_size(mut self, size: u32) -> Self {
        self.page_size = clamp_page_size(size);
        self
    }

    /// Sets the `User-Agent` (default `pax8-rs/<version>`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Builds the client. Fails without credentials, or on a non-https URL that is not loopback.
    pub fn build(self) -> Result<Client, Error> {
        let client_id = self
            .client_id
            .clone()
            .ok_or_else(|| Error::Config("missing client id (PAX8_CLIENT_ID)".into()))?;
        let secret = self
            .client_secret
            .clone()
            .ok_or_else(|| Error::Config("missing client secret (PAX8_CLIENT_SECRET)".into()))?;
        let token_url = self
            .token_url
            .clone()
            .unwrap_or_else(|| self.token_endpoint.url().to_owned());
        let audience = self
            .audience
            .clone()
            .unwrap_or_else(|| self.token_endpoint.audience().to_owned());
        check_url("base url", &self.base_url)?;
        check_url("token url", &token_url)?;
        check_url("webhooks base url", &self.webhooks_base_url)?;
        check_url("app api base url", &self.app_api_base_url)?;

        let transport_config = self.transport.is_none().then(|| {
            TransportConfig::default()
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                .user_agent(self.user_agent.clone())
        });
        let transport: Arc<dyn Transport> = match (&self.transport, &transport_config) {
            (Some(t), _) => t.clone(),
            (None, Some(cfg)) => reqwest_transport(cfg)?,
            (None, None) => return Err(Error::Config("no transport".into())),
        };
        let limiter: Arc<dyn RateLimiter> = match self.rate_limiter.clone() {
            Some(l) => l,
            None => {
                let per_minute = ((f64::from(self.requests_per_minute)
                    * (1.0 - self.limiter_margin))
                    .floor() as u32)
                    .max(1);
                // Pax8 counts over a whole minute and the margin leaves slack, so the fixed
                // timeline (full quota) beats strict release spacing here
                Arc::new(
                    GcraLimiter::with_clock(Quota::per_minute(per_minute), self.clock.clone())
                        .strict_spacing(false),
                )
            }
        };
        let core = |base: &str| {
            billing_http_core::Client::builder("pax8", base)
                .transport(transport.clone())
                .rate_limiter(limiter.clone())
                .retry(self.retry.clone())
                .classifier(Arc::new(Pax8Classifier))
                .clock(self.clock.clone())
                .build()
                .map_err(|e| Error::Config(e.to_string()))
        };
        // http-core joins paths onto a base ending in `/`: post the last segment of the token URL
        // to its parent, so `/v1/token` does not become `/v1/token/`.
        let (token_base, token_path) = split_token_url(&token_url)?;
        let token_http = core(&token_base)?.with_auth(Arc::new(SecretBodyField { secret }));
        let key = token_key(&token_url, &audience, &client_id);
        let source = Pax8TokenSource::new(token_http, token_path, client_id, audience);
        let mut cache = TokenCache::builder(source, key)
            .placement(Placement::Bearer)
            .clock(self.clock.clone())
            .refresh_margin(self.refresh_margin)
            .max_lifetime(MAX_TOKEN_LIFETIME);
        if let Some(store) = self.token_store.clone() {
            cache = cache.store(store);
        }
        let tokens = cache.build();
        let api = core(&self.base_url)?;
        let http = api.with_auth(Arc::new(tokens.clone()));
        let http_no_replay = api.with_auth(Arc::new(NoReplayOn401(tokens.clone())));
        let webhooks = core(&self.webhooks_base_url)?.with_auth(Arc::new(tokens.clone()));
        let app = core(&self.app_api_base_url)?.with_auth(Arc::new(tokens.clone()));
        Ok(Client {
            inner: Arc::new(Inner {
                transport_config,
                http,
                http_no_replay,
                webhooks,
                app,
                tokens,
                page_size: self.page_size,
                retry_writes: self.retry_writes,
            }),
        })
    }
}

struct Inner {
    /// Transport settings, to build a transport with another timeout (`None`: custom transport).
    transport_config: Option<TransportConfig>,
    http: billing_http_core::Client,
    http_no_replay: billing_http_core::Client,
    #[cfg_attr(not(feature = "webhooks"), allow(dead_code))]
    webhooks: billing_http_core::Client,
    #[cfg_attr(not(feature = "unstable-app-api"), allow(dead_code))]
    app: billing_http_core::Client,
    tokens: TokenCache,
    page_size: u32,
    retry_writes: bool,
}

/// The Pax8 Partner API client. Cheap to clone; clones share the transport, the rate limiter
/// and the token cache.
///
/// ```no_run
/// use futures::StreamExt;
/// use pax8::subscriptions::ListSubscriptions;
///
/// # async fn run() -> Result<(), pax8::Error> {
/// let client = pax8::Client::builder().credentials("client-id", "client-secret").build()?;
/// // one page ...
/// let page = client.subscriptions().list(&ListSubscriptions::new()).await?;
/// println!("{} on this page", page.content.len());
/// // ... or every item, two pages fetched ahead
/// let mut all = client.subscriptions().list_all(ListSubscriptions::new()).prefetch(2);
/// while let Some(sub) = all.next().await {
///     println!("{:?}", sub?.product_name);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.http.base_url().as_str())
            .field("tokens", &self.inner.tokens)
            .field("page_size", &self.inner.page_size)
            .finish_non_exhaustive()
    }
}

/// Which API surface a request goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    /// Partner API v1.
    V1,
    /// Webhooks API v2.
    #[cfg_attr(not(feature = "webhooks"), allow(dead_code))]
    Webhooks,
    /// The undocumented app API.
    #[cfg_attr(not(feature = "unstable-app-api"), allow(dead_code))]
    App,
}

/// How a write may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Write {
    /// Reads and dry runs: retried like any idempotent call.
    Read,
    /// `PUT`/`PATCH`/`DELETE` and the company/contact creates: retried only when opted in.
    OptIn,
    /// A real `POST /orders`: never re-sent, not even after a 401 (PAX8-Q14).
    Never,
}

impl Client {
    /// Starts a builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The token cache (token request count via `fetch_count()`, cache key).
    pub fn tokens(&self) -> &TokenCache {
        &self.inner.tokens
    }

    /// A client identical to this one (same limiter, token cache and settings) whose attempts
    /// may take up to `timeout`: for the slow calls of large tenants (PAX8-Q45), e.g.
    /// `client.with_timeout(Duration::from_secs(300))?.orders().list_all(..)`. With a custom
    /// transport (tests, sandbox) the transport is kept and the timeout does not apply. Token
    /// calls keep the timeout the client was built with.
    pub fn with_timeout(&self, timeout: Duration) -> Result<Client, Error> {
        let Some(cfg) = &self.inner.transport_config else {
            return Ok(self.clone());
        };
        let cfg = cfg.clone().timeout(timeout);
        let t = reqwest_transport(&cfg)?;
        let tokens = self.inner.tokens.clone();
        let i = &self.inner;
        Ok(Client {
            inner: Arc::new(Inner {
                transport_config: Some(cfg),
                http: on_transport(&i.http, t.clone(), Arc::new(tokens.clone()))?,
                http_no_replay: on_transport(
                    &i.http_no_replay,
                    t.clone(),
                    Arc::new(NoReplayOn401(tokens.clone())),
                )?,
                webhooks: on_transport(&i.webhooks, t.clone(), Arc::new(tokens.clone()))?,
                app: on_transport(&i.app, t, Arc::new(tokens.clone()))?,
                tokens,
                page_size: i.page_size,
                retry_writes: i.retry_writes,
            }),
        })
    }

    /// The default page size of list calls.
    pub fn page_size(&self) -> u32 {
        self.inner.page_size
    }

    /// The http-core client of the v1 API (for advanced use and request-shape tests).
    pub fn http(&self) -> &billing_http_core::Client {
        &self.inner.http
    }

    pub(crate) fn prepare(
        &self,
        api: Api,
        req: Request,
        write: Write,
    ) -> (billing_http_core::Client, Request) {
        let http = match (api, write) {
            (Api::V1, Write::Never) => self.inner.http_no_replay.clone(),
            (Api::V1, _) => self.inner.http.clone(),
            (Api::Webhooks, _) => self.inner.webhooks.clone(),
            (Api::App, _) => self.inner.app.clone(),
        };
        let req = req.header("accept", "application/json");
        let req = match write {
            Write::Read => req.retry_safety(RetrySafety::Idempotent),
            Write::OptIn if self.inner.retry_writes => req.retry_safety(RetrySafety::Idempotent),
            Write::OptIn | Write::Never => req.not_idempotent(),
        };
        (http, req)
    }

    pub(crate) async fn send_with(
        &self,
        http: &billing_http_core::Client,
        req: Request,
    ) -> Result<billing_http_core::Response, Error> {
        let method = req.method.clone();
        let path = req.path.clone();
        http.execute(req)
            .await
            .map_err(|e| Error::from_core(e, &method, &path))
    }

    pub(crate) async fn send_on(
        &self,
        api: Api,
        req: Request,
        write: Write,
    ) -> Result<billing_http_core::Response, Error> {
        let (http, req) = self.prepare(api, req, write);
        self.send_with(&http, req).await
    }

    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        req: Request,
        write: Write,
    ) -> Result<T, Error> {
        self.send_json_on(Api::V1, req, write).await
    }

    pub(crate) async fn send_json_on<T: DeserializeOwned>(
        &self,
        api: Api,
        req: Request,
        write: Write,
    ) -> Result<T, Error> {
        let method = req.method.clone();
        let path = req.path.clone();
        let resp = self.send_on(api, req, write).await?;
        decode(&resp, &method, &path)
    }

    /// Any 2xx is success; a body, if present, is ignored (PAX8-Q53).
    pub(crate) async fn send_empty(&self, req: Request, write: Write) -> Result<(), Error> {
        self.send_on(Api::V1, req, write).await.map(|_| ())
    }
}

fn reqwest_transport(cfg: &TransportConfig) -> Result<Arc<dyn Transport>, Error> {
    Ok(Arc::new(
        billing_http_core::transport::ReqwestTransport::new(cfg)
            .map_err(|e| Error::Config(format!("cannot build transport: {e}")))?,
    ))
}

/// The same http-core client on another transport (same base URL, limiter, retry policy,
/// classifier, clock and auth).
fn on_transport(
    c: &billing_http_core::Client,
    transport: Arc<dyn Transport>,
    auth: Arc<dyn billing_http_core::auth::Auth>,
) -> Result<billing_http_core::Client, Error> {
    billing_http_core::Client::builder("pax8", c.base_url().as_str())
        .transport(transport)
        .retry(c.retry_policy().clone())
        .classifier(Arc::new(Pax8Classifier))
        .clock(c.clock())
        .auth(auth)
        .rate_limiter(c.rate_limiter())
        .build()
        .map_err(|e| Error::Config(e.to_string()))
}

/// Decodes a JSON success body; an empty body decodes as JSON `null`.
pub(crate) fn decode<T: DeserializeOwned>(
    resp: &billing_http_core::Response,
    method: &Method,
    path: &str,
) -> Result<T, Error> {
    resp.json::<T>()
        .map_err(|e| Error::from_core(e, method, path))
}
