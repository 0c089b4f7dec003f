//! [`Client`] and [`ClientBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use billing_http_core::auth::Placement;
use billing_http_core::auth::store::TokenStore;
use billing_http_core::auth::token::TokenCache;
use billing_http_core::rate_limit::{GcraLimiter, Penalty, Quota, RateLimiter};
use billing_http_core::retry::RetryPolicy;
use billing_http_core::settings::{RateLimit, Settings};
use billing_http_core::{Request, Response, RetrySafety, SecretString, Transport, TransportConfig};
use serde::Serialize;
use serde_json::Value;

use crate::auth::{
    DEFAULT_REFRESH_MARGIN, MAX_TOKEN_LIFETIME, Pax8TokenSource, SecretBodyField, TokenAuth,
    TokenEndpoint, token_key,
};
use crate::error::{Error, Pax8Classifier};
use crate::model::{Model, Page, from_value};

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

/// The environment variables of [`Client::from_env`]: the client id (required).
pub const ENV_CLIENT_ID: &str = "PAX8_CLIENT_ID";
/// The client secret (required).
pub const ENV_CLIENT_SECRET: &str = "PAX8_CLIENT_SECRET";
/// The Partner API base URL (optional, default [`DEFAULT_BASE_URL`]).
pub const ENV_BASE_URL: &str = "PAX8_BASE_URL";
/// The token URL (optional, default the [`TokenEndpoint::Current`] preset's).
pub const ENV_TOKEN_URL: &str = "PAX8_TOKEN_URL";

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
/// wait, `Retry-After` honoured up to 30 s, 120 s total.
pub fn default_retry_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .initial_delay(Duration::from_secs(1))
        .max_delay(Duration::from_secs(30))
        .max_retry_after(Duration::from_secs(30))
        .max_elapsed(Duration::from_secs(120))
}

/// The default client-side quota: the documented 1000 calls per minute less
/// [`DEFAULT_RATE_LIMIT_MARGIN`], i.e. 960 per minute (token calls included, PAX8-Q46).
pub fn default_quota() -> Quota {
    let per_minute =
        (f64::from(DEFAULT_REQUESTS_PER_MINUTE) * (1.0 - DEFAULT_RATE_LIMIT_MARGIN)).floor() as u32;
    Quota::per_minute(per_minute.max(1))
}

/// Checks that a URL is `https`, or plain `http` on a loopback host (tests, PAX8-Q50).
pub fn check_url(what: &str, raw: &str) -> Result<url::Url, Error> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| Error::config(format!("invalid {what} {raw:?}: {e}")))?;
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
                Err(Error::config(format!(
                    "{what} {raw:?} must use https (plain http is allowed only on loopback hosts)"
                )))
            }
        }
        other => Err(Error::config(format!(
            "{what} {raw:?} has unsupported scheme {other:?}"
        ))),
    }
}

/// Refuses an empty credential, or one with control characters (a CR or LF would break every
/// request). A local check until billing-http-core's shared credential validator lands; then
/// this function should call it.
fn check_credential(what: &str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::config(format!("the {what} is empty")));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::config(format!(
            "the {what} contains control characters"
        )));
    }
    Ok(())
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

/// An environment variable that is set and valid UTF-8, or `None`.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Builds a [`Client`]. Every URL and limit is configurable (§1.2); the shared methods
/// (`base_url`, `timeout`, `connect_timeout`, `retry`, `rate_limit`, `rate_limiter`,
/// `no_rate_limit`, `user_agent`, `transport`, `clock`) mean the same in every vendor crate of
/// the workspace (`docs/conventions.md`).
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// # fn run() -> Result<(), pax8::Error> {
/// let client = pax8::Client::builder_from_env()? // PAX8_CLIENT_ID, PAX8_CLIENT_SECRET
///     .timeout(Duration::from_secs(60)) // large tenants answer slowly
///     // keep the 24 h token across process restarts
///     .token_store(Arc::new(pax8::FileStore::default_location().map_err(pax8::Error::Config)?))
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
pub struct ClientBuilder {
    settings: Settings,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    token_endpoint: TokenEndpoint,
    token_url: Option<String>,
    audience: Option<String>,
    webhooks_base_url: String,
    app_api_base_url: String,
    retry_writes: bool,
    token_store: Option<Arc<dyn TokenStore>>,
    refresh_margin: Duration,
    page_size: u32,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("settings", &self.settings)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("token_endpoint", &self.token_endpoint)
            .field("token_url", &self.token_url)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        let mut settings = Settings::new(
            DEFAULT_BASE_URL,
            format!("pax8-rs/{}", env!("CARGO_PKG_VERSION")),
        );
        settings.retry = default_retry_policy();
        Self {
            settings,
            client_id: None,
            client_secret: None,
            token_endpoint: TokenEndpoint::Current,
            token_url: None,
            audience: None,
            webhooks_base_url: DEFAULT_WEBHOOKS_BASE_URL.into(),
            app_api_base_url: DEFAULT_APP_API_BASE_URL.into(),
            retry_writes: false,
            token_store: None,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            page_size: MAX_PAGE_SIZE,
        }
    }
}

impl ClientBuilder {
    billing_http_core::client_builder_methods!();

    /// Sets the API credential (client id and secret). Both are checked at
    /// [`ClientBuilder::build`]: empty values and control characters are refused.
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.client_id = Some(client_id.into());
        self.client_secret = Some(SecretString::from(client_secret.into()));
        self
    }

    /// Shares Pax8's documented quota ([`default_quota`]: 1000 calls a minute per partner
    /// account less the margin, token calls included) with every process that uses the same
    /// client id, through Redis at `redis_url`: a
    /// [`RedisLimiter`](billing_http_core::rate_limit::RedisLimiter) keyed by a hash of the
    /// client id, with a local share of the quota while Redis is out of reach (see
    /// `docs/rate-limits.md`). Call it after [`ClientBuilder::credentials`]; fails without a
    /// client id or on an invalid URL.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), pax8::Error> {
    /// let client = pax8::Client::builder()
    ///     .credentials("client-id", "client-secret")
    ///     .redis_rate_limit("redis://10.0.0.5:6379")?
    ///     .build()?;
    /// # let _ = client; Ok(()) }
    /// ```
    #[cfg(feature = "token-store-redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "token-store-redis")))]
    pub fn redis_rate_limit(self, redis_url: &str) -> Result<Self, Error> {
        use billing_http_core::rate_limit::RedisLimiter;
        let client_id = self.client_id.as_deref().ok_or_else(|| {
            Error::Config(billing_http_core::Error::config(
                "redis_rate_limit needs the client id: call credentials first",
            ))
        })?;
        let limiter = RedisLimiter::builder(redis_url, "pax8", client_id, default_quota())
            .build()
            .map_err(|e| Error::Config(e.with_vendor("pax8")))?;
        Ok(self.rate_limiter(Arc::new(limiter)))
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

    /// Opts `PUT`, `PATCH`, `DELETE` and the company/contact `POST`s into automatic retries after
    /// 5xx, 429 and timeouts (default off, §7.4). A real `POST /orders` is never retried.
    pub fn retry_writes(mut self, yes: bool) -> Self {
        self.retry_writes = yes;
        self
    }

    /// Persists tokens in `store` (default: memory only): [`FileStore`](crate::FileStore), or
    /// behind this crate's features the keyring, encrypted-file and Redis stores (re-exported
    /// at the crate root).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// Refreshes the token when less than `margin` is left (default 300 s).
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Default page size of list calls, clamped to 1..=200 (default 200).
    pub fn default_page_size(mut self, size: u32) -> Self {
        self.page_size = clamp_page_size(size);
        self
    }

    /// Builds the client. Everything is checked here, never on the first call: missing, empty
    /// or control-character credentials, and URLs that are not `https` (plain `http` only on
    /// loopback hosts).
    pub fn build(self) -> Result<Client, Error> {
        let client_id = self.client_id.clone().ok_or_else(|| {
            Error::config("missing client id: set .credentials(id, secret) or PAX8_CLIENT_ID")
        })?;
        let secret = self.client_secret.clone().ok_or_else(|| {
            Error::config(
                "missing client secret: set .credentials(id, secret) or PAX8_CLIENT_SECRET",
            )
        })?;
        check_credential("client id", &client_id)?;
        {
            use billing_http_core::ExposeSecret;
            check_credential("client secret", secret.expose_secret())?;
        }
        let token_url = self
            .token_url
            .clone()
            .unwrap_or_else(|| self.token_endpoint.url().to_owned());
        let audience = self
            .audience
            .clone()
            .unwrap_or_else(|| self.token_endpoint.audience().to_owned());
        check_credential("audience", &audience)?;
        check_url("base url", &self.settings.base_url)?;
        check_url("token url", &token_url)?;
        check_url("webhooks base url", &self.webhooks_base_url)?;
        check_url("app api base url", &self.app_api_base_url)?;
        let s = &self.settings;
        let transport_config = s.transport.is_none().then(|| s.transport_config());
        let transport: Arc<dyn Transport> = match (&s.transport, &transport_config) {
            (Some(t), _) => t.clone(),
            (None, Some(cfg)) => reqwest_transport(cfg)?,
            (None, None) => return Err(Error::config("no transport")),
        };
        let clock = s.clock();
        // The documented quota on a fixed timeline: Pax8 counts over a whole minute and the
        // margin leaves slack, so releasing the full quota beats strict spacing here.
        let limiter: Arc<dyn RateLimiter> = match &s.rate_limit {
            RateLimit::VendorDefault => Arc::new(
                GcraLimiter::with_clock(default_quota(), clock.clone())
                    .strict_spacing(false)
                    .penalty(Penalty::default().max_pause(s.retry.max_retry_after)),
            ),
            // the caller's limiter or quota; with none (`no_rate_limit`) a back-off gate, so a
            // 429's pause is still shared by all clones (docs/conventions.md)
            _ => s.limiter(None, clock.clone()),
        };
        let core = |base: &str| {
            billing_http_core::Client::builder("pax8", base)
                .transport(transport.clone())
                .retry(s.retry.clone())
                .classifier(Arc::new(Pax8Classifier))
                .clock(clock.clone())
                .rate_limiter(limiter.clone())
                .build()
                .map_err(|e| Error::Config(e.with_vendor("pax8")))
        };
        // http-core joins paths onto a base ending in `/`: post the last segment of the token URL
        // to its parent, so `/v1/token` does not become `/v1/token/`.
        let (token_base, token_path) = split_token_url(&token_url)?;
        let token_http = core(&token_base)?.with_auth(Arc::new(SecretBodyField { secret }));
        let key = token_key(&token_url, &audience, &client_id);
        let source = Pax8TokenSource::new(token_http, token_path, client_id, audience);
        let mut cache = TokenCache::builder(source, key)
            .placement(Placement::Bearer)
            .clock(clock.clone())
            .refresh_margin(self.refresh_margin)
            .max_lifetime(MAX_TOKEN_LIFETIME);
        if let Some(store) = self.token_store.clone() {
            cache = cache.store(store);
        }
        let tokens = cache.build();
        let auth = |replay| Arc::new(TokenAuth::new(tokens.clone(), &token_url, replay));
        let api = core(&s.base_url)?;
        let http = api.with_auth(auth(true));
        let http_no_replay = api.with_auth(auth(false));
        let webhooks = core(&self.webhooks_base_url)?.with_auth(auth(true));
        let app = core(&self.app_api_base_url)?.with_auth(auth(true));
        Ok(Client {
            inner: Arc::new(Inner {
                transport_config,
                token_url,
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
    token_url: String,
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
/// use pax8::ListSubscriptions;
///
/// # async fn run() -> Result<(), pax8::Error> {
/// let client = pax8::Client::builder().credentials("client-id", "client-secret").build()?;
/// // one page ...
/// let page = client.subscriptions().list(ListSubscriptions::new()).await?;
/// println!("{} on this page", page.content.len());
/// // ... or every item, two pages fetched ahead
/// let mut all = client.subscriptions().list_all(Default::default()).prefetch(2);
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

    /// A client from the environment: `PAX8_CLIENT_ID` and `PAX8_CLIENT_SECRET` (required),
    /// `PAX8_BASE_URL` and `PAX8_TOKEN_URL` (optional). A missing variable is an
    /// [`Error::Config`] whose `core().and_then(|e| e.missing_env_var())` names it.
    pub fn from_env() -> Result<Client, Error> {
        Self::builder_from_env()?.build()
    }

    /// The builder of [`Client::from_env`], for further settings.
    pub fn builder_from_env() -> Result<ClientBuilder, Error> {
        Self::builder_from_vars(env_var)
    }

    /// [`Client::builder_from_env`] over any lookup of variables (empty values count as unset).
    fn builder_from_vars(var: impl Fn(&str) -> Option<String>) -> Result<ClientBuilder, Error> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let missing = |name: &'static str| {
            Error::Config(billing_http_core::Error::missing_env(name).with_vendor("pax8"))
        };
        let id = var(ENV_CLIENT_ID).ok_or_else(|| missing(ENV_CLIENT_ID))?;
        let secret = var(ENV_CLIENT_SECRET).ok_or_else(|| missing(ENV_CLIENT_SECRET))?;
        let mut b = Self::builder().credentials(id, secret);
        if let Some(url) = var(ENV_BASE_URL) {
            b = b.base_url(url);
        }
        if let Some(url) = var(ENV_TOKEN_URL) {
            b = b.token_url(url);
        }
        Ok(b)
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
        let i = &self.inner;
        let auth = |replay| Arc::new(TokenAuth::new(i.tokens.clone(), &i.token_url, replay));
        Ok(Client {
            inner: Arc::new(Inner {
                transport_config: Some(cfg),
                token_url: i.token_url.clone(),
                http: on_transport(&i.http, t.clone(), auth(true))?,
                http_no_replay: on_transport(&i.http_no_replay, t.clone(), auth(false))?,
                webhooks: on_transport(&i.webhooks, t.clone(), auth(true))?,
                app: on_transport(&i.app, t, auth(true))?,
                tokens: i.tokens.clone(),
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

    /// Sends a request; any 2xx is a success.
    pub(crate) async fn send_on(
        &self,
        api: Api,
        req: Request,
        write: Write,
    ) -> Result<Response, Error> {
        let (http, req) = self.prepare(api, req, write);
        let method = req.method.clone();
        let path = req.path.clone();
        http.execute(req)
            .await
            .map_err(|e| Error::from_core(e, &method, &path))
    }

    /// Sends a request and decodes its JSON answer into a model (see [`Model`]).
    pub(crate) async fn send_json<T: Model>(&self, req: Request, write: Write) -> Result<T, Error> {
        self.send_json_on(Api::V1, req, write).await
    }

    pub(crate) async fn send_json_on<T: Model>(
        &self,
        api: Api,
        req: Request,
        write: Write,
    ) -> Result<T, Error> {
        let resp = self.send_on(api, req, write).await?;
        decode(&resp)
    }

    /// Sends a create and decodes the created object, which must carry an id: a 2xx answer
    /// without one (HTML, an empty body, text, JSON of another shape) cannot confirm the
    /// create, so it is a decode error that is outcome-unknown for a create (issue 16).
    pub(crate) async fn send_create<T: Model>(
        &self,
        req: Request,
        write: Write,
        has_id: fn(&T) -> bool,
    ) -> Result<T, Error> {
        let resp = self.send_on(Api::V1, req, write).await?;
        let created: T = decode(&resp)?;
        if !has_id(&created) {
            return Err(decode_error(
                &resp,
                "the answer has no id: the object may or may not have been created",
                None,
            ));
        }
        Ok(created)
    }

    /// Sends a list request and decodes one page (see [`Page`]).
    pub(crate) async fn send_page<T: Model>(
        &self,
        api: Api,
        req: Request,
    ) -> Result<Page<T>, Error> {
        let resp = self.send_on(api, req, Write::Read).await?;
        decode_page(&resp)
    }

    /// Any 2xx is success; a body, if present, is ignored (PAX8-Q53).
    pub(crate) async fn send_empty(&self, req: Request, write: Write) -> Result<(), Error> {
        self.send_on(Api::V1, req, write).await.map(|_| ())
    }
}

/// The request with `body` as its JSON body.
pub(crate) fn with_body<B: Serialize>(req: Request, body: &B) -> Result<Request, Error> {
    let op = req.operation.clone();
    req.json_body(body)
        .map_err(|e| Error::invalid_input(&op, format!("cannot encode the body: {e}")))
}

fn reqwest_transport(cfg: &TransportConfig) -> Result<Arc<dyn Transport>, Error> {
    Ok(Arc::new(
        billing_http_core::transport::ReqwestTransport::new(cfg)
            .map_err(|e| Error::config(format!("cannot build transport: {e}")))?,
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
        .map_err(|e| Error::Config(e.with_vendor("pax8")))
}

/// A decode error made from `resp` (so it names the operation and is outcome-unknown for a
/// request that is not idempotent).
fn decode_error(resp: &Response, message: &str, path: Option<String>) -> Error {
    let e = resp.tag(billing_http_core::Error::decode(message, &resp.body, path));
    Error::from_core(e, &http::Method::GET, "")
}

/// The answer as JSON; an answer that is not JSON (HTML, text, an empty body) is a decode
/// error made through the runtime's response, so it keeps the outcome-unknown flag.
fn json_of(resp: &Response) -> Result<Value, Error> {
    resp.json::<Value>()
        .map_err(|e| Error::from_core(e, &http::Method::GET, ""))
}

/// Decodes a JSON success answer into a model; see [`Model`] for what is repaired. A body
/// that fits the model is decoded straight from its text.
pub(crate) fn decode<T: Model>(resp: &Response) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(&resp.body);
    if let Ok(t) = serde_path_to_error::deserialize::<_, T>(&mut de)
        && de.end().is_ok()
    {
        return Ok(t);
    }
    let value = json_of(resp)?;
    from_value::<T>(&value).map_err(|u| {
        let path = (!u.path.is_empty()).then_some(u.path);
        decode_error(resp, &format!("unexpected answer: {}", u.message), path)
    })
}

/// Decodes a JSON success answer into a page (never fails on an item or the page block).
pub(crate) fn decode_page<T: Model>(resp: &Response) -> Result<Page<T>, Error> {
    if let Some(page) = Page::from_slice(&resp.body) {
        return Ok(page);
    }
    match json_of(resp)? {
        v @ Value::Array(_) => Ok(Page::from_json(v)),
        _ => Err(decode_error(resp, "a page must be a json object", None)),
    }
}
