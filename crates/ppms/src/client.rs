//! [`Client`] and [`ClientBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use billing_http_core::auth::{Auth, AuthTicket, Placement, StaticKey};
use billing_http_core::clock::Clock;
use billing_http_core::settings::Settings;
use billing_http_core::{ErrorKind, Request, RetrySafety, SecretString, Value};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::ExposeSecret;
use url::Url;

use crate::cache::UserCache;
use crate::error::{Error, PumapiClassifier, bounded};
use crate::model::{Reports, SystemId};
use crate::parse::{
    self, BodyClass, FromRow, Lines, ParseError, Parsed, RowPolicy, ServerError, Table,
};

type CoreError = billing_http_core::Error;

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
    fn secret(&self) -> (&'static str, &SecretString) {
        match self {
            Self::ApiKey(k) => ("api key", k),
            Self::MasterPassword(k) => ("master password", k),
            Self::System { code, .. } => ("system code", code),
        }
    }

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

/// Refuses an empty secret, one padded with white space or one with control characters (a CR
/// or LF in a key would break every request's form): billing-http-core's shared rule. The
/// message names the credential, never its value.
fn check_secret(what: &str, secret: &SecretString) -> Result<(), Error> {
    billing_http_core::auth::validate_secret(&format!("the {what}"), secret.expose_secret())
        .map_err(|e| Error::config(e.message()))
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
    ) -> BoxFuture<'a, Result<AuthTicket, CoreError>> {
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
    /// `/pumapi/` is accepted too. Base URLs that are not absolute http(s), or that have a query
    /// string, a fragment or credentials, are rejected.
    pub fn from_base(base: &str) -> Result<Self, Error> {
        let mut url = billing_http_core::client::parse_base_url(base)
            .map_err(|e| Error::Http(e.with_vendor("ppms").with_operation("client")))?;
        let mut path = url.path().trim_end_matches('/').to_owned();
        for suffix in ["/pumapi", "/api2"] {
            if path.to_ascii_lowercase().ends_with(suffix) {
                path.truncate(path.len() - suffix.len());
            }
        }
        url.set_path(&format!("{path}/"));
        let join = |p: &str| {
            url.join(p)
                .map_err(|e| Error::config(format!("invalid base url: {e}")))
        };
        Ok(Self {
            pumapi: join("pumapi/")?,
            api2: join("API2/")?,
            site: url.clone(),
        })
    }
}

/// Builds a [`Client`]. Every setting has a documented default; the shared ones (`base_url`,
/// `timeout`, `connect_timeout`, `retry`, `rate_limit`, `rate_limiter`, `no_rate_limit`,
/// `user_agent`, `transport`, `clock`) mean the same in every vendor crate of the workspace.
///
/// Defaults: 30 s per attempt, 10 s to connect, the runtime's retry policy (4 attempts, 200 ms
/// to 10 s full jitter, `Retry-After` honoured up to 60 s, 120 s per call), **no client-side
/// quota** (PUMAPI documents none; see [`DEFAULT_BULK_CONCURRENCY`] for what bounds the load
/// instead), 429 and 503 answers backing off through the retry policy and a back-off gate
/// shared by clones.
///
/// ```no_run
/// use std::time::Duration;
///
/// # fn run() -> Result<(), ppms::Error> {
/// let client = ppms::Client::builder("https://ppms.eu/my-site/") // `pumapi/` is derived
///     .api_key(std::env::var("PPMS_API_KEY").unwrap_or_default())
///     .api2_key(std::env::var("PPMS_API2_KEY").unwrap_or_default()) // optional
///     .timeout(Duration::from_secs(20))
///     .rate_limit(ppms::Quota::per_second(5)) // a quota, if your site wants one
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[must_use]
pub struct ClientBuilder {
    settings: Settings,
    credentials: Option<Credentials>,
    api2_key: Option<SecretString>,
    api2_base_url: Option<String>,
    api2_falls_back_to_pumapi_key: bool,
    large_body_timeout: Option<Duration>,
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
            .field("settings", &self.settings)
            .field("credentials", &self.credentials)
            .field("api2_key", &self.api2_key.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

/// The default number of requests a bulk helper keeps in flight (the only bound on the load the
/// client puts on a site by default; PUMAPI documents no rate limit). 16 makes fetching every
/// active user's e-mail 12–14× faster than one request after another at 10 ms per request for
/// 2,000 users, about 10× for 200, where 8 gave 6–7× (`docs/benchmarks.md`, "ppms"), while
/// staying a small, fixed load for the server.
pub const DEFAULT_BULK_CONCURRENCY: usize = 16;

/// The environment variables of [`Client::from_env`].
pub mod env {
    /// The site's base URL (required), e.g. `https://ppms.eu/my-site/`.
    pub const URL: &str = "PPMS_URL";
    /// The PUMAPI key (required).
    pub const API_KEY: &str = "PPMS_API_KEY";
    /// The API2 key (optional, PPMS-Q47).
    pub const API2_KEY: &str = "PPMS_API2_KEY";
    /// The API2 endpoint, when it is not `<site>/API2/` (optional).
    pub const API2_URL: &str = "PPMS_API2_URL";
}

impl ClientBuilder {
    fn new(base_url: impl Into<String>) -> Self {
        let user_agent = concat!("billing-sdk-ppms/", env!("CARGO_PKG_VERSION"));
        Self {
            settings: Settings::new(base_url, user_agent),
            credentials: None,
            api2_key: None,
            api2_base_url: None,
            api2_falls_back_to_pumapi_key: false,
            large_body_timeout: None,
            row_policy: RowPolicy::default(),
            staff_comment_field: "scomments".into(),
            incident_action: "createinc".into(),
            reports: Reports::new(),
            user_cache: None,
            bulk_concurrency: DEFAULT_BULK_CONCURRENCY,
        }
    }

    billing_http_core::client_builder_methods!();

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

    /// A longer per-attempt timeout for the actions with large bodies (`getinvoicedetails`,
    /// `getrunningsheet`, `getuserexp` without a filter); default: the normal timeout. It applies
    /// to the default transport only.
    pub fn large_body_timeout(mut self, timeout: Duration) -> Self {
        self.large_body_timeout = Some(timeout);
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

    /// Requests kept in flight by the bulk helpers (default [`DEFAULT_BULK_CONCURRENCY`], at
    /// least 1).
    pub fn bulk_concurrency(mut self, n: usize) -> Self {
        self.bulk_concurrency = n.max(1);
        self
    }

    /// Builds the client. Everything that can be checked is checked here, not on the first
    /// call: the base URL (absolute http or https, no query, fragment or credentials), the
    /// credentials (a PUMAPI key, other [`Credentials`] or an API2 key must be set; none may be
    /// empty or contain control characters), the API2 URL.
    pub fn build(self) -> Result<Client, Error> {
        let mut endpoints = Endpoints::from_base(&self.settings.base_url)?;
        if let Some(api2) = &self.api2_base_url {
            endpoints.api2 = billing_http_core::client::parse_base_url(api2)
                .map_err(|e| Error::config(format!("invalid API2 base url: {}", e.message())))?;
        }
        if self.credentials.is_none() && self.api2_key.is_none() {
            return Err(Error::config(
                "no credentials: set .api_key(key), .credentials(..) or .api2_key(key)",
            ));
        }
        if let Some(c) = &self.credentials {
            let (what, secret) = c.secret();
            check_secret(what, secret)?;
        }
        if let Some(k) = &self.api2_key {
            check_secret("API2 key", k)?;
        }
        let clock = self.settings.clock();
        // PUMAPI documents no rate limit: no quota by default (`None`); the runtime's shared
        // back-off gate still pauses every clone after a 429 or 503
        let limiter = self.settings.limiter(None, clock.clone());
        let pumapi_key = match &self.credentials {
            Some(Credentials::ApiKey(k)) => Some(k.clone()),
            _ => None,
        };
        // an API2-only client has no PUMAPI credentials (PUMAPI calls answer "not authorized")
        let auth = self.credentials.map(Credentials::into_auth);
        let make = |timeout: Duration| {
            let config = self.settings.transport_config().timeout(timeout);
            let mut builder = self
                .settings
                .core_builder("ppms", endpoints.pumapi.as_str(), config)
                .classifier(Arc::new(PumapiClassifier));
            if let Some(a) = &auth {
                builder = builder.auth(a.clone());
            }
            builder.rate_limiter(limiter.clone()).build()
        };
        let http = make(self.settings.timeout)?;
        let http_large = match self.large_body_timeout {
            Some(t) => Some(make(t)?),
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
/// share the connection pool, the limiter or back-off gate and the user cache.
///
/// The calls are grouped by area: [`Client::users`], [`Client::groups`], [`Client::systems`],
/// [`Client::bookings`], [`Client::projects`], [`Client::orders`], [`Client::invoices`],
/// [`Client::incidents`], [`Client::api2`]; undocumented actions go through
/// [`Client::raw_action`].
///
/// ```no_run
/// # async fn run() -> Result<(), ppms::Error> {
/// let client = ppms::Client::builder("https://ppms.eu/my-site/").api_key("my-key").build()?;
/// match client.users().get("jdoe").await {
///     Ok(user) => println!("{} is in group {}", user.full_name(), user.unitlogin),
///     Err(e) if e.is_not_found() => println!("no such login"), // PUMAPI's empty body
///     Err(e) => return Err(e),
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
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RawResponse {
    /// The body, trimmed.
    pub text: String,
}

impl RawResponse {
    /// A response with this text (for tests of your own code).
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }

    /// The body text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A received body, with the moment it arrived. Every error made from it goes through the
/// runtime's [`billing_http_core::Response::tag`], so the answer to a not-idempotent request
/// that cannot be read is outcome-unknown (the server answered 200 and may well have done it).
pub(crate) struct Received {
    pub(crate) action: String,
    response: billing_http_core::Response,
    pub(crate) received_at: DateTime<Utc>,
}

impl Received {
    /// `e` with this response's vendor, operation, status and idempotency.
    fn tagged(&self, e: CoreError) -> CoreError {
        self.response.tag(e).with_status(self.response.status)
    }

    pub(crate) fn text(&self) -> Result<&str, Error> {
        parse::body_text(&self.response.body).map_err(|e| self.parse_error(e))
    }

    /// A body that does not have the action's shape.
    pub(crate) fn parse_error(&self, error: ParseError) -> Error {
        let path = error.line.map(|l| match &error.column {
            Some(c) => format!("line {l}, column {c:?}"),
            None => format!("line {l}"),
        });
        let message = format!("cannot parse response: {}", bounded(&error.reason));
        let core = self.tagged(CoreError::decode(message, &self.response.body, path));
        Error::from_decoded(&self.action, core, |core| Error::Parse {
            action: self.action.clone(),
            error,
            core,
        })
    }

    /// A body that is not the action's answer. Its first line is kept as the message when it
    /// reads as one (a command's refusal such as `Invalid service`), never an HTML page.
    pub(crate) fn unexpected(&self, text: &str) -> Error {
        let message = Some(bounded(text)).filter(|m| !m.is_empty() && !looks_like_html(m));
        let mut core = CoreError::decode("unexpected response", &self.response.body, None);
        if let Some(m) = &message {
            core = core.with_vendor_message(m.clone());
        }
        let core = self.tagged(core);
        Error::from_decoded(&self.action, core, |core| Error::UnexpectedResponse {
            action: self.action.clone(),
            message,
            core,
        })
    }

    /// The empty body of a single-object lookup: `what` (e.g. `login jdoe`) does not exist.
    pub(crate) fn not_found(&self, what: String) -> Error {
        let core = self.tagged(CoreError::new(ErrorKind::NotFound, "not found"));
        Error::from_decoded(&self.action, core, |core| Error::NotFound {
            action: self.action.clone(),
            what: bounded(&what),
            core,
        })
    }

    fn server(&self, e: ServerError) -> Error {
        let core = CoreError::new(ErrorKind::Vendor, "pumapi error")
            .with_vendor_message(bounded(&e.to_string()))
            .with_body(&self.response.body);
        Error::from_server(&self.action, e, self.tagged(core))
    }

    /// `None` for an empty body, the text otherwise; `error:` bodies are errors, and so is an
    /// HTML page (a proxy's or a maintenance page sent with status 200), which would otherwise
    /// read as a list of logins.
    pub(crate) fn data(&self) -> Result<Option<&str>, Error> {
        let text = self.text()?;
        if looks_like_html(text) {
            return Err(self.unexpected(text));
        }
        match parse::classify(text) {
            BodyClass::Empty => Ok(None),
            BodyClass::Error(e) => Err(self.server(e)),
            BodyClass::Data(d) => Ok(Some(d)),
        }
    }

    /// The text of a command's answer (empty for an empty body).
    pub(crate) fn answer(&self) -> Result<&str, Error> {
        Ok(self.data()?.unwrap_or_default())
    }

    pub(crate) fn wrap<T>(&self, r: Result<T, ParseError>) -> Result<T, Error> {
        r.map_err(|e| self.parse_error(e))
    }

    pub(crate) fn table<T: FromRow>(&self, policy: RowPolicy) -> Result<Parsed<T>, Error> {
        match self.data()? {
            None => Ok(Parsed::default()),
            Some(d) => self.wrap(parse::parse_table(d, policy)),
        }
    }

    /// The rows of a table body as a [`Table`]: the body's own buffer, shared, and where each
    /// row starts.
    pub(crate) fn lazy_table<T: FromRow>(&self, policy: RowPolicy) -> Result<Table<T>, Error> {
        self.lazy_with(|body| Table::parse(body, policy))
    }

    /// The values of a line list body as [`Lines`]: the body's own buffer, shared, and where
    /// each value starts.
    pub(crate) fn lazy_lines(&self) -> Result<Lines, Error> {
        self.lazy_with(Lines::parse)
    }

    /// A lazy form ([`Table`], [`Lines`]) read by `parse` from the data of this body, without
    /// copying it; its empty value for an empty body.
    pub(crate) fn lazy_with<L: Default>(
        &self,
        parse: impl FnOnce(bytes::Bytes) -> Result<L, ParseError>,
    ) -> Result<L, Error> {
        match self.data()? {
            None => Ok(L::default()),
            Some(d) => self.wrap(parse(self.shared(d))),
        }
    }

    /// The bytes of `part`, a slice of this response's body, sharing the body's buffer.
    fn shared(&self, part: &str) -> bytes::Bytes {
        let body = &self.response.body;
        let (whole, part) = (body.as_ptr_range(), part.as_bytes());
        let within = whole.start <= part.as_ptr() && part.as_ptr_range().end <= whole.end;
        if within {
            // `Bytes::slice_ref` panics on a slice from elsewhere: checked just above
            body.slice_ref(part)
        } else {
            // `part` always comes from the body; a copy keeps this right if that ever changes
            bytes::Bytes::copy_from_slice(part)
        }
    }

    /// The one row of a single-object lookup; an empty body (or no row) is
    /// [`Error::NotFound`] naming `what`.
    pub(crate) fn single<T: FromRow>(&self, what: impl FnOnce() -> String) -> Result<T, Error> {
        let row = match self.data()? {
            None => None,
            Some(d) => self
                .wrap(parse::parse_table(d, RowPolicy::Strict))?
                .items
                .into_iter()
                .next(),
        };
        row.ok_or_else(|| self.not_found(what()))
    }

    pub(crate) fn lines(&self) -> Result<Vec<String>, Error> {
        match self.data()? {
            None => Ok(Vec::new()),
            Some(d) => self.wrap(parse::parse_lines(d)),
        }
    }

    pub(crate) fn raw(&self) -> Result<RawResponse, Error> {
        Ok(RawResponse {
            text: self.answer()?.trim().to_owned(),
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

/// Form names a raw call may not set: the action and the credentials. Compared trimmed and
/// case-insensitively, because servers that trim names and keep the last duplicate would
/// otherwise run `action= createorder` instead of the action asked for.
const RESERVED_PARAMETERS: &[&str] = &["action", "apikey", "psapwd"];

/// Checks the action name and parameter names of a raw call: not empty, no control characters,
/// no reserved name.
fn check_raw(action: &str, params: &[(&str, &str)]) -> Result<(), Error> {
    let bad = |m: String| Err(Error::validation("raw", m));
    if action.is_empty() || action.chars().any(char::is_control) {
        return bad(format!("invalid action name {action:?}"));
    }
    for (name, _) in params {
        let trimmed = name.trim();
        if trimmed.is_empty() || name.chars().any(char::is_control) {
            return bad(format!("invalid parameter name {name:?}"));
        }
        if RESERVED_PARAMETERS
            .iter()
            .any(|r| r.eq_ignore_ascii_case(trimmed))
        {
            return bad(format!("reserved parameter name {name:?}"));
        }
    }
    Ok(())
}

impl Client {
    /// Starts a builder for the site at `base_url` (e.g. `https://ppms.eu/site/`; the
    /// `pumapi/` and `API2/` paths are derived from it, PPMS-Q08).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url)
    }

    /// A client from the environment: `PPMS_URL` and `PPMS_API_KEY` (required),
    /// `PPMS_API2_KEY` and `PPMS_API2_URL` (optional). See [`Client::builder_from_env`].
    pub fn from_env() -> Result<Client, Error> {
        Self::builder_from_env()?.build()
    }

    /// A builder from the environment, for further settings: `PPMS_URL` and `PPMS_API_KEY`
    /// (required), `PPMS_API2_KEY` and `PPMS_API2_URL` (optional; see [`mod@env`]). A missing or
    /// empty required variable is an error whose `core().and_then(|e| e.missing_env_var())`
    /// names it and whose [`Error::is_invalid_input`] is true.
    pub fn builder_from_env() -> Result<ClientBuilder, Error> {
        let var = |name: &'static str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let required = |name: &'static str| {
            var(name).ok_or_else(|| Error::Http(CoreError::missing_env(name).with_vendor("ppms")))
        };
        let mut b = Client::builder(required(env::URL)?).api_key(required(env::API_KEY)?);
        if let Some(k) = var(env::API2_KEY) {
            b = b.api2_key(k);
        }
        if let Some(u) = var(env::API2_URL) {
            b = b.api2_base_url(u);
        }
        Ok(b)
    }

    /// The endpoints in use.
    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    /// The underlying runtime client (PUMAPI endpoint).
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
        self.inner
            .http
            .to_http(request)
            .map_err(|e| Error::from_core(&request.operation, e))
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
    /// may have reached the server. Use [`Client::raw_read`] for reads. The action and the
    /// parameter names may not contain control characters, and `action`, `apikey` and `psapwd`
    /// (in any case, padded or not) are refused: nothing is sent.
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
        check_raw(action, params)?;
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
            Some(body) => Err(r.unexpected(body)),
        }
    }
}

pub(crate) async fn send_on(
    http: &billing_http_core::Client,
    request: Request,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<Received, Error> {
    let action = request.operation.to_string();
    match http.execute(request).await {
        Ok(response) => Ok(Received {
            action,
            response,
            received_at: now(),
        }),
        Err(e) => Err(Error::from_core(&action, e)),
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
        for bad in [
            "https://h/site?x=1",
            "https://h/site#frag",
            "ftp://h/site",
            "site",
        ] {
            let e = Endpoints::from_base(bad).unwrap_err();
            assert!(e.is_invalid_input(), "{bad}: {e:?}");
        }
    }

    #[test]
    fn api2_base_url_can_be_overridden() {
        let c = Client::builder("https://h/site")
            .api_key("k")
            .api2_base_url("https://other/x/API2")
            .build()
            .unwrap();
        assert_eq!(c.endpoints().api2.as_str(), "https://other/x/API2/");
        assert_eq!(c.endpoints().pumapi.as_str(), "https://h/site/pumapi/");
        assert!(
            Client::builder("https://h/site")
                .api_key("k")
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

    #[test]
    fn build_refuses_missing_empty_and_control_character_credentials() {
        let base = || Client::builder("https://h/site");
        let cases = [
            ("none", base()),
            ("empty", base().api_key("")),
            ("blank", base().api_key("  ")),
            ("lf", base().api_key("key\nx-injected: 1")),
            ("cr", base().api_key("key\r")),
            ("nul", base().api_key("k\u{0}")),
            ("api2 lf", base().api_key("k").api2_key("a\n")),
            (
                "system code",
                base().credentials(Credentials::System {
                    id: SystemId(1),
                    code: SecretString::from("1\r\n2"),
                }),
            ),
        ];
        for (name, b) in cases {
            let e = b.build().unwrap_err();
            assert!(e.is_invalid_input(), "{name}: {e:?}");
            assert!(!e.to_string().contains("injected"), "{name}: {e}");
        }
        assert!(base().api_key("k-1").build().is_ok());
    }
}
