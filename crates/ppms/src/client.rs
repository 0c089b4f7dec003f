//! [`Client`] and [`ClientBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use billing_http_core::auth::{Auth, AuthTicket, Placement, StaticKey};
use billing_http_core::clock::{Clock, TokioClock};
use billing_http_core::rate_limit::{GcraLimiter, Quota, RateLimiter};
use billing_http_core::retry::RetryPolicy;
use billing_http_core::{Request, RetrySafety, SecretString, Transport, TransportConfig, Value};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use url::Url;

use crate::cache::UserCache;
use crate::error::{Error, PumapiClassifier};
use crate::model::{Reports, SystemId};
use crate::parse::{self, BodyClass, FromRow, Parsed, RowPolicy};

/// How requests authenticate (reference section 1.4). Secrets are redacted in every `Debug`.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// A PUMAPI key, sent as the form field `apikey` (the normal mode).
    ApiKey(SecretString),
    /// The master password, sent as `psapwd`.
    MasterPassword(SecretString),
    /// System-based authentication (`id` + `code`); valid only for `auth`, `getbooking`,
    /// `nextbooking`, `createinc`, `getinc` and `getsysrights`.
    System {
        /// The system id.
        id: SystemId,
        /// The system's code.
        code: SecretString,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiKey(_) => f.write_str("ApiKey([REDACTED])"),
            Self::MasterPassword(_) => f.write_str("MasterPassword([REDACTED])"),
            Self::System { id, .. } => write!(f, "System {{ id: {id}, code: [REDACTED] }}"),
        }
    }
}

impl Credentials {
    fn into_auth(self) -> Arc<dyn Auth> {
        match self {
            Self::ApiKey(k) => Arc::new(StaticKey::new(k, Placement::FormField("apikey".into()))),
            Self::MasterPassword(k) => {
                Arc::new(StaticKey::new(k, Placement::FormField("psapwd".into())))
            }
            Self::System { id, code } => Arc::new(SystemAuth { id, code }),
        }
    }
}

/// System-based authentication: adds `id` (unless the action already sends it) and `code`.
struct SystemAuth {
    id: SystemId,
    code: SecretString,
}

impl fmt::Debug for SystemAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemAuth")
            .field("id", &self.id)
            .field("code", &"[REDACTED]")
            .finish()
    }
}

impl Auth for SystemAuth {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Request,
    ) -> BoxFuture<'a, Result<AuthTicket, billing_http_core::Error>> {
        if request.body.form_field("id").is_none() {
            request.push_form("id".into(), Value::Plain(self.id.to_string()));
        }
        request.push_form("code".into(), Value::Secret(self.code.clone()));
        Box::pin(futures::future::ready(Ok(AuthTicket::default())))
    }
}

/// The URLs derived from a site's base URL (PPMS-Q08).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoints {
    /// The site, ending in exactly one `/` (e.g. `https://ppms.eu/site/`).
    pub site: Url,
    /// `<site>pumapi/` (lower case, trailing slash).
    pub pumapi: Url,
    /// `<site>API2/` (upper case, trailing slash).
    pub api2: Url,
}

impl Endpoints {
    /// Derives both endpoints from a site base URL. A base that already ends in `/pumapi` or
    /// `/pumapi/` is accepted too. Base URLs with a query string, a fragment or credentials are
    /// rejected.
    pub fn from_base(base: &str) -> Result<Self, Error> {
        let bad = |m: String| Error::validation("client", m);
        let mut url = Url::parse(base.trim()).map_err(|e| bad(format!("invalid base url: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("base url must be http or https".into()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("base url must not have a query or fragment".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("base url must not carry credentials".into()));
        }
        let mut path = url.path().trim_end_matches('/').to_owned();
        for suffix in ["/pumapi", "/api2"] {
            if path.to_ascii_lowercase().ends_with(suffix) {
                path.truncate(path.len() - suffix.len());
            }
        }
        url.set_path(&format!("{path}/"));
        let join = |p: &str| {
            url.join(p)
                .map_err(|e| bad(format!("invalid base url: {e}")))
        };
        Ok(Self {
            pumapi: join("pumapi/")?,
            api2: join("API2/")?,
            site: url.clone(),
        })
    }
}

enum LimiterChoice {
    Default,
    None,
    Quota(Quota),
    Custom(Arc<dyn RateLimiter>),
}

/// Builds a [`Client`]. Every setting has a documented default.
///
/// ```no_run
/// use std::time::Duration;
/// use billing_http_core::rate_limit::Quota;
///
/// # fn run() -> Result<(), ppms::Error> {
/// let client = ppms::Client::builder("https://ppms.eu/my-site/") // `pumapi/` is derived
///     .api_key(std::env::var("PPMS_API_KEY").unwrap_or_default())
///     .api2_key(std::env::var("PPMS_API2_KEY").unwrap_or_default()) // optional
///     .timeout(Duration::from_secs(20))
///     .rate_limit(Quota::per_second(5))
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[must_use]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    api2_key: Option<SecretString>,
    api2_base_url: Option<String>,
    api2_falls_back_to_pumapi_key: bool,
    transport: Option<Arc<dyn Transport>>,
    transport_config: TransportConfig,
    large_body_timeout: Option<Duration>,
    retry: RetryPolicy,
    limiter: LimiterChoice,
    clock: Option<Arc<dyn Clock>>,
    row_policy: RowPolicy,
    staff_comment_field: String,
    incident_action: String,
    reports: Reports,
    user_cache: Option<Arc<dyn UserCache>>,
    bulk_concurrency: usize,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("api2_key", &self.api2_key.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

/// The default rate limit: 10 requests per second with bursts of 10, conservative for a
/// facility's shared server. Change it with [`ClientBuilder::rate_limit`].
pub const DEFAULT_RATE_LIMIT_PER_SECOND: u32 = 10;
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default number of requests a bulk helper keeps in flight.
pub const DEFAULT_BULK_CONCURRENCY: usize = 8;

impl ClientBuilder {
    fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            credentials: None,
            api2_key: None,
            api2_base_url: None,
            api2_falls_back_to_pumapi_key: false,
            transport: None,
            transport_config: TransportConfig::default()
                .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
                .timeout(DEFAULT_TIMEOUT),
            large_body_timeout: None,
            retry: RetryPolicy::default(),
            limiter: LimiterChoice::Default,
            clock: None,
            row_policy: RowPolicy::default(),
            staff_comment_field: "scomments".into(),
            incident_action: "createinc".into(),
            reports: Reports::new(),
            user_cache: None,
            bulk_concurrency: DEFAULT_BULK_CONCURRENCY,
        }
    }

    /// Authenticates with a PUMAPI key (form field `apikey`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::ApiKey(SecretString::from(key.into())));
        self
    }

    /// Authenticates with any [`Credentials`].
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The API2 key: a separate, per-user key from the PPMS profile page (PPMS-Q47).
    pub fn api2_key(mut self, key: impl Into<String>) -> Self {
        self.api2_key = Some(SecretString::from(key.into()));
        self
    }

    /// The API2 endpoint, when it is not `<site>/API2/` (a trailing slash is added if missing).
    pub fn api2_base_url(mut self, url: impl Into<String>) -> Self {
        self.api2_base_url = Some(url.into());
        self
    }

    /// Use the PUMAPI key for API2 too when no API2 key is set (some sites use one key).
    pub fn api2_falls_back_to_pumapi_key(mut self, yes: bool) -> Self {
        self.api2_falls_back_to_pumapi_key = yes;
        self
    }

    /// The transport (default: reqwest with rustls). Tests plug in replay transports here.
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The per-request timeout of the default transport (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.transport_config = self.transport_config.timeout(timeout);
        self
    }

    /// A longer per-request timeout for the actions with large bodies (`getinvoicedetails`,
    /// `getrunningsheet`, `getuserexp` without a filter); default: the normal timeout. It applies
    /// to the default transport only.
    pub fn large_body_timeout(mut self, timeout: Duration) -> Self {
        self.large_body_timeout = Some(timeout);
        self
    }

    /// The connect timeout of the default transport (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport_config = self.transport_config.connect_timeout(timeout);
        self
    }

    /// The retry policy (default: http-core's, 4 attempts). Reads are retried after timeouts,
    /// resets, 5xx and 429; writes only when they provably never reached the server.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The client-side rate limit (default [`DEFAULT_RATE_LIMIT_PER_SECOND`] per second).
    pub fn rate_limit(mut self, quota: Quota) -> Self {
        self.limiter = LimiterChoice::Quota(quota);
        self
    }

    /// A shared rate limiter (e.g. one budget for a fleet).
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = LimiterChoice::Custom(limiter);
        self
    }

    /// No client-side rate limit.
    pub fn no_rate_limit(mut self) -> Self {
        self.limiter = LimiterChoice::None;
        self
    }

    /// The clock for retries, rate limiting and booking receive times (PPMS-Q25).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How table rows that do not parse are treated (default: skipped with a warning,
    /// PPMS-Q44).
    pub fn row_policy(mut self, policy: RowPolicy) -> Self {
        self.row_policy = policy;
        self
    }

    /// The wire name of the staff comment of `createorder` (default `scomments`; one client
    /// sends `Scomments`, PPMS-Q40).
    pub fn staff_comment_field(mut self, name: impl Into<String>) -> Self {
        self.staff_comment_field = name.into();
        self
    }

    /// The incident action name (default `createinc`; the 2014 document says `creatinc`,
    /// PPMS-Q46).
    pub fn incident_action(mut self, name: impl Into<String>) -> Self {
        self.incident_action = name.into();
        self
    }

    /// The site's API2 report ids by logical name (PPMS-Q49).
    pub fn reports(mut self, reports: Reports) -> Self {
        self.reports = reports;
        self
    }

    /// A cache for `getuser` results (off by default; PPMS-Q50 rules apply).
    pub fn user_cache(mut self, cache: Arc<dyn UserCache>) -> Self {
        self.user_cache = Some(cache);
        self
    }

    /// Requests kept in flight by the bulk helpers (default 8, at least 1).
    pub fn bulk_concurrency(mut self, n: usize) -> Self {
        self.bulk_concurrency = n.max(1);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let mut endpoints = Endpoints::from_base(&self.base_url)?;
        if let Some(api2) = &self.api2_base_url {
            endpoints.api2 = billing_http_core::client::parse_base_url(api2)
                .map_err(|e| Error::validation("client", format!("invalid API2 base url: {e}")))?;
        }
        let clock: Arc<dyn Clock> = self.clock.unwrap_or_else(|| Arc::new(TokioClock));
        let limiter: Option<Arc<dyn RateLimiter>> = match self.limiter {
            LimiterChoice::Default => Some(Arc::new(GcraLimiter::with_clock(
                Quota::per_second(DEFAULT_RATE_LIMIT_PER_SECOND)
                    .with_burst(DEFAULT_RATE_LIMIT_PER_SECOND),
                clock.clone(),
            ))),
            LimiterChoice::None => None,
            LimiterChoice::Quota(q) => Some(Arc::new(GcraLimiter::with_clock(q, clock.clone()))),
            LimiterChoice::Custom(l) => Some(l),
        };
        let pumapi_key = match &self.credentials {
            Some(Credentials::ApiKey(k)) => Some(k.clone()),
            _ => None,
        };
        let auth = self.credentials.map(Credentials::into_auth);
        let make = |config: TransportConfig| {
            let mut builder = billing_http_core::Client::builder("ppms", endpoints.pumapi.as_str())
                .transport_config(config)
                .retry(self.retry.clone())
                .classifier(Arc::new(PumapiClassifier))
                .clock(clock.clone());
            if let Some(t) = &self.transport {
                builder = builder.transport(t.clone());
            }
            if let Some(l) = &limiter {
                builder = builder.rate_limiter(l.clone());
            }
            if let Some(a) = &auth {
                builder = builder.auth(a.clone());
            }
            builder.build()
        };
        let http = make(self.transport_config.clone())?;
        let http_large = match self.large_body_timeout {
            Some(t) => Some(make(self.transport_config.clone().timeout(t))?),
            None => None,
        };
        let api2_key = self.api2_key.or(if self.api2_falls_back_to_pumapi_key {
            pumapi_key
        } else {
            None
        });
        let api2 = match api2_key {
            Some(k) => Some(
                http.with_base_url(endpoints.api2.as_str())?
                    .with_auth(Arc::new(StaticKey::new(
                        k,
                        Placement::FormField("apikey".into()),
                    ))),
            ),
            None => None,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                http_large,
                api2,
                endpoints,
                clock,
                row_policy: self.row_policy,
                staff_comment_field: self.staff_comment_field,
                incident_action: self.incident_action,
                reports: self.reports,
                user_cache: self.user_cache,
                bulk_concurrency: self.bulk_concurrency,
            }),
        })
    }
}

pub(crate) struct Inner {
    pub(crate) http: billing_http_core::Client,
    pub(crate) http_large: Option<billing_http_core::Client>,
    pub(crate) api2: Option<billing_http_core::Client>,
    pub(crate) endpoints: Endpoints,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) row_policy: RowPolicy,
    pub(crate) staff_comment_field: String,
    pub(crate) incident_action: String,
    pub(crate) reports: Reports,
    pub(crate) user_cache: Option<Arc<dyn UserCache>>,
    pub(crate) bulk_concurrency: usize,
}

/// A PPMS client: PUMAPI, plus API2 when an API2 key is configured. Cheap to clone; clones
/// share the connection pool, the rate limiter and the user cache.
///
/// The calls are grouped by area: [`Client::users`], [`Client::groups`], [`Client::systems`],
/// [`Client::bookings`], [`Client::projects`], [`Client::orders`], [`Client::invoices`],
/// [`Client::incidents`], [`Client::api2`]; undocumented actions go through
/// [`Client::raw_action`].
///
/// ```no_run
/// # async fn run() -> Result<(), ppms::Error> {
/// let client = ppms::Client::builder("https://ppms.eu/my-site/").api_key("my-key").build()?;
/// match client.users().get("jdoe").await? {
///     Some(user) => println!("{} is in group {}", user.full_name(), user.unitlogin),
///     None => println!("no such login"), // PUMAPI answers an empty body, not an error
/// }
/// for order in client.orders().list().await?.iter() {
///     println!("order #{} {:?}", order.order_ref, order.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("pumapi", &self.inner.endpoints.pumapi.as_str())
            .field(
                "api2",
                &self
                    .inner
                    .api2
                    .as_ref()
                    .map(|_| self.inner.endpoints.api2.as_str()),
            )
            .finish_non_exhaustive()
    }
}

/// The trimmed text of a response whose success shape is undocumented. It has passed error
/// classification (reference section 2.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RawResponse {
    /// The body, trimmed.
    pub text: String,
}

impl RawResponse {
    /// The body text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A received body, with the moment it arrived.
pub(crate) struct Received {
    pub(crate) action: String,
    pub(crate) body: Bytes,
    pub(crate) received_at: DateTime<Utc>,
}

impl Received {
    pub(crate) fn text(&self) -> Result<&str, Error> {
        parse::body_text(&self.body)
            .map_err(|e| Error::parse(&self.action, e, &String::from_utf8_lossy(&self.body)))
    }

    /// `None` for an empty body, the text otherwise; `error:` bodies are errors, and so is an
    /// HTML page (a proxy's or a maintenance page sent with status 200), which would otherwise
    /// read as a list of logins.
    pub(crate) fn data(&self) -> Result<Option<&str>, Error> {
        let text = self.text()?;
        if looks_like_html(text) {
            return Err(Error::unexpected(&self.action, text));
        }
        match parse::classify(text) {
            BodyClass::Empty => Ok(None),
            BodyClass::Error(e) => Err(Error::from_server(&self.action, e)),
            BodyClass::Data(d) => Ok(Some(d)),
        }
    }

    pub(crate) fn wrap<T>(&self, r: Result<T, parse::ParseError>) -> Result<T, Error> {
        r.map_err(|e| Error::parse(&self.action, e, self.text().unwrap_or_default()))
    }

    pub(crate) fn table<T: FromRow>(&self, policy: RowPolicy) -> Result<Parsed<T>, Error> {
        match self.data()? {
            None => Ok(Parsed::default()),
            Some(d) => self.wrap(parse::parse_table(d, policy)),
        }
    }

    pub(crate) fn single<T: FromRow>(&self) -> Result<Option<T>, Error> {
        match self.data()? {
            None => Ok(None),
            Some(d) => Ok(self
                .wrap(parse::parse_table(d, RowPolicy::Strict))?
                .items
                .into_iter()
                .next()),
        }
    }

    pub(crate) fn lines(&self) -> Result<Vec<String>, Error> {
        match self.data()? {
            None => Ok(Vec::new()),
            Some(d) => self.wrap(parse::parse_lines(d)),
        }
    }

    pub(crate) fn raw(&self) -> Result<RawResponse, Error> {
        Ok(RawResponse {
            text: self.data()?.unwrap_or_default().trim().to_owned(),
        })
    }
}

fn looks_like_html(text: &str) -> bool {
    let head = text.trim_start();
    let head = head
        .get(..head.len().min(16))
        .unwrap_or(head)
        .to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html") || head.starts_with("<?xml")
}

/// The start of a PUMAPI request: `POST <site>/pumapi/` with `action=<name>`.
pub(crate) fn pumapi(action: &'static str, safety: RetrySafety) -> Request {
    Request::post("", action)
        .form("action", action)
        .retry_safety(safety)
}

/// A read action (idempotent although it is a POST, PPMS-Q09).
pub(crate) fn read(action: &'static str) -> Request {
    pumapi(action, RetrySafety::Idempotent)
}

/// A write action that must not be replayed once it may have reached the server (PPMS-Q09).
pub(crate) fn write(action: &'static str) -> Request {
    pumapi(action, RetrySafety::NotIdempotent)
}

impl Client {
    /// Starts a builder for the site at `base_url` (e.g. `https://ppms.eu/site/`; the
    /// `pumapi/` and `API2/` paths are derived from it, PPMS-Q08).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url)
    }

    /// The endpoints in use.
    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    /// The underlying http-core client (PUMAPI endpoint).
    pub fn http(&self) -> &billing_http_core::Client {
        &self.inner.http
    }

    pub(crate) fn row_policy(&self) -> RowPolicy {
        self.inner.row_policy
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        DateTime::<Utc>::from(self.inner.clock.system_now())
    }

    /// Builds the wire request of `request` without sending it (for request-shape tests).
    pub fn to_http(&self, request: &Request) -> Result<billing_http_core::HttpRequest, Error> {
        Ok(self.inner.http.to_http(request)?)
    }

    /// Sends a PUMAPI request and returns the body with its receive time.
    pub(crate) async fn send(&self, request: Request) -> Result<Received, Error> {
        send_on(&self.inner.http, request, || self.now()).await
    }

    /// Sends a request whose answer may be very large, with the large-body timeout if set.
    pub(crate) async fn send_large(&self, request: Request) -> Result<Received, Error> {
        let http = self.inner.http_large.as_ref().unwrap_or(&self.inner.http);
        send_on(http, request, || self.now()).await
    }

    /// Runs any PUMAPI action by name, for actions the crate does not type yet (reference
    /// section 3.10). The body goes through error classification; the trimmed text is returned.
    ///
    /// The call is treated as **not idempotent** (it may be a write): it is not retried once it
    /// may have reached the server. Use [`Client::raw_read`] for reads.
    pub async fn raw_action(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<RawResponse, Error> {
        self.raw(action, params, RetrySafety::NotIdempotent).await
    }

    /// Like [`Client::raw_action`] for an action known to be a read (retried as usual).
    pub async fn raw_read(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<RawResponse, Error> {
        self.raw(action, params, RetrySafety::Idempotent).await
    }

    async fn raw(
        &self,
        action: &str,
        params: &[(&str, &str)],
        safety: RetrySafety,
    ) -> Result<RawResponse, Error> {
        let action = action.trim();
        if action.is_empty() || params.iter().any(|(k, _)| *k == "action" || *k == "apikey") {
            return Err(Error::validation(
                action,
                "empty action name or reserved parameter",
            ));
        }
        let mut req = Request::post("", action.to_owned())
            .form("action", action.to_owned())
            .retry_safety(safety);
        for (k, v) in params {
            req = req.form(*k, *v);
        }
        self.send(req).await?.raw()
    }

    /// Checks the key with `action=auth` (PPMS-Q04): an empty body means the key is accepted.
    ///
    /// A key can be limited per action or facility, so success here does not prove that every
    /// other action is allowed; `NotAuthorized` on a later call is that call's outcome.
    pub async fn check_key(&self) -> Result<(), Error> {
        let r = self.send(read("auth")).await?;
        match r.data()? {
            None => Ok(()),
            Some(body) => Err(Error::unexpected("auth", body)),
        }
    }
}

pub(crate) async fn send_on(
    http: &billing_http_core::Client,
    request: Request,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<Received, Error> {
    let action = request.operation.to_string();
    let replay_safe = request.retry_safety.is_replay_safe();
    match http.execute(request).await {
        Ok(resp) => Ok(Received {
            action,
            body: resp.body,
            received_at: now(),
        }),
        Err(e) => {
            let mapped = Error::from_http(&action, e);
            match mapped {
                Error::Http(source) if !replay_safe && source.may_have_reached_server() => {
                    Err(Error::OutcomeUnknown { action, source })
                }
                other => Err(other),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ppms_q08_base_urls_normalise_to_both_endpoints() {
        for base in [
            "https://h/site",
            "https://h/site/",
            "https://h/site/pumapi",
            "https://h/site/pumapi/",
        ] {
            let e = Endpoints::from_base(base).unwrap();
            assert_eq!(e.pumapi.as_str(), "https://h/site/pumapi/", "{base}");
            assert_eq!(e.api2.as_str(), "https://h/site/API2/", "{base}");
        }
        assert!(Endpoints::from_base("https://h/site?x=1").is_err());
        assert!(Endpoints::from_base("https://h/site#frag").is_err());
        assert!(Endpoints::from_base("ftp://h/site").is_err());
    }

    #[test]
    fn api2_base_url_can_be_overridden() {
        let c = Client::builder("https://h/site")
            .api2_base_url("https://other/x/API2")
            .build()
            .unwrap();
        assert_eq!(c.endpoints().api2.as_str(), "https://other/x/API2/");
        assert_eq!(c.endpoints().pumapi.as_str(), "https://h/site/pumapi/");
        assert!(
            Client::builder("https://h/site")
                .api2_base_url("not a url")
                .build()
                .is_err()
        );
    }

    #[test]
    fn credentials_debug_is_redacted() {
        let c = Credentials::System {
            id: SystemId(17),
            code: SecretString::from("123456"),
        };
        assert!(!format!("{c:?}").contains("123456"));
        let c = Credentials::ApiKey(SecretString::from("k-secret"));
        assert!(!format!("{c:?}").contains("k-secret"));
        let b = Client::builder("https://h/site")
            .api_key("k-secret")
            .api2_key("a2-secret");
        assert!(!format!("{b:?}").contains("secret\""));
        assert!(!format!("{b:?}").contains("k-secret"));
    }
}
