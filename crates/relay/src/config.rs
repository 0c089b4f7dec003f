//! Configuration: one TOML file, every value overridable by an environment variable.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//!
//! [database]
//! url = "sqlite:///var/lib/relay/relay.db"   # created on first start; or postgres://…
//! synchronous = "full"                       # or "normal" (see docs/relay.md)
//!
//! [operators.alice]                          # the management API's credential
//! key = { file = "/etc/relay/alice.key" }    # a reference (env or 0600 file), never the key
//!
//! [ingest.clients.hall-1]                    # one dispensing system
//! sha256 = ["<hex of the key>"]              # `relay gen-key`; two during a rotation
//! tenants = ["ws-a"]                         # or ["*"]
//!
//! [tenants.ws-a]
//! erp = "ppms"                               # ppms | http (cloudspot cannot create lines)
//! [tenants.ws-a.ppms]
//! url = "https://ppms.example/site/"
//! api_key = { env = "RELAY_WS_A_PPMS_KEY" }
//! case_is = "login"
//! ```
//!
//! The whole vocabulary, with defaults, is in docs/relay.md.
//!
//! ## Environment overrides
//!
//! `RELAY__<PATH>` sets the value at `<PATH>`, whose segments are separated by `__` and matched
//! case-insensitively, with `_` matching `-` (environment variable names cannot hold `-`):
//!
//! | variable | sets |
//! |---|---|
//! | `RELAY__LISTEN=0.0.0.0:8080` | `listen` |
//! | `RELAY__DATABASE__URL=sqlite:///data/relay.db` | `database.url` |
//! | `RELAY__TENANTS__WS_A__ACTIVE=false` | `tenants.ws-a.active` |
//! | `RELAY__TENANTS__WS_A__RETRY__MAX_ATTEMPTS=12` | `tenants.ws-a.retry.max_attempts` |
//! | `RELAY__TENANTS__WS_A__PPMS__API_KEY='{ env = "K" }'` | a credential *reference* |
//!
//! A value is read as a TOML value (`false`, `12`, `["a", "b"]`, `{ env = "K" }`), or as a
//! string when it does not parse as one or when the value it replaces is a string. Two tenants
//! whose names differ only by `-` and `_` (or letter case) are refused, so every tenant has one
//! unambiguous variable name. A path that does not exist yet is created (a new tenant can be
//! configured entirely from the environment). Credentials stay references in the environment
//! too: an inline value is refused like in the file.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::ingest::Limits;
use crate::secret::SecretRef;
use crate::store::sqlite::Synchronous;

/// The prefix of environment overrides.
pub const ENV_PREFIX: &str = "RELAY__";

/// A configuration that cannot be used. The message never holds a credential.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn err(msg: impl Into<String>) -> ConfigError {
    ConfigError(msg.into())
}

/// The relay's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// The listen address (default `127.0.0.1:8080`; port 0 picks a free one).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The store.
    pub database: DatabaseConfig,
    /// Request size limits.
    #[serde(default)]
    pub limits: Limits,
    /// Ingest credentials.
    #[serde(default)]
    pub ingest: IngestConfig,
    /// Operator credentials for the management API, by name.
    #[serde(default)]
    pub operators: BTreeMap<String, OperatorConfig>,
    /// Lease timing of claimed lines.
    #[serde(default)]
    pub leases: LeaseConfig,
    /// Retention of finished lines.
    #[serde(default)]
    pub retention: RetentionConfig,
    /// The tenants, by name (the name is the `{tenant}` of the API paths).
    #[serde(default)]
    pub tenants: BTreeMap<String, TenantConfig>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

/// Where the store lives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DatabaseConfig {
    /// `sqlite://path/to/relay.db` (created if missing; one relay process per file) or
    /// `postgres://user@host/db` (shared by any number of relay nodes).
    pub url: String,
    /// SQLite's sync mode (default `full`: every acknowledged line survives a power loss).
    #[serde(default)]
    pub synchronous: Synchronous,
    /// SQLite: read-only connections for status queries (default 4).
    #[serde(default = "default_readers")]
    pub read_connections: u32,
    /// Postgres: the schema of the relay's tables, created if missing (default: the role's
    /// `search_path`).
    #[serde(default)]
    pub schema: Option<String>,
    /// Postgres: connections of this node's pool (default: see [`Config::pool_size`]).
    #[serde(default)]
    pub max_connections: Option<u32>,
}

fn default_readers() -> u32 {
    4
}

impl DatabaseConfig {
    /// `true` for a Postgres URL.
    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres://") || self.url.starts_with("postgresql://")
    }
}

/// Operator credentials (reference §9, §10): one entry per operator or tool, separate from the
/// ingest keys; the name is what the audit log records as "who".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct OperatorConfig {
    /// Where the operator's bearer key lives: `{ env = "VAR" }` or `{ file = "/path" }` (mode
    /// 0600). Never the key itself: an inline value is refused like every credential.
    pub key: SecretRef,
}

/// How long records of finished lines are kept (reference §7).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct RetentionConfig {
    /// `completed` and `failed` records are deleted this long after their last change (default
    /// 90 days). De-duplication works only while a record exists: this must be longer than the
    /// dispensing side may resend a line, or a late resend is accepted (and pushed) again.
    #[serde(with = "humantime_serde")]
    pub keep: Duration,
    /// How often the purge runs (default 1 h).
    #[serde(with = "humantime_serde")]
    pub purge_every: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            keep: Duration::from_secs(90 * 24 * 3600),
            purge_every: Duration::from_secs(3600),
        }
    }
}

/// Ingest credentials: one entry per dispensing system.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct IngestConfig {
    /// The clients, by name (the name appears in logs, never the key).
    #[serde(default)]
    pub clients: BTreeMap<String, IngestClient>,
}

/// One dispensing system's ingest credential.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct IngestClient {
    /// Hex SHA-256 of each valid bearer key: one, or two while a key is rotated.
    pub sha256: Vec<String>,
    /// The tenants this client may submit to and query; `"*"` for all.
    pub tenants: Vec<String>,
}

/// Lease timing (the reference's §11.1).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct LeaseConfig {
    /// How long a claim holds a line without renewal (default 30 s); renewed every third of it
    /// while the push runs, so a dead holder's line is recovered within a minute.
    #[serde(with = "humantime_serde")]
    pub duration: Duration,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        LeaseConfig {
            duration: Duration::from_secs(30),
        }
    }
}

/// The ERP kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErpKind {
    /// Stratocore PPMS: `createorder` through the `ppms` crate.
    Ppms,
    /// A generic HTTP endpoint (reference §11).
    Http,
    /// Cloudspot ERP: read-only, refused for creating lines (use `[tenants.x.cloudspot]` to
    /// check product numbers against its article SKUs instead).
    Cloudspot,
}

/// A tenant: one workshop and its integration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TenantConfig {
    /// An inactive tenant's lines are accepted and held in `received`; no worker runs.
    #[serde(default = "yes")]
    pub active: bool,
    /// The ERP the lines are pushed to.
    pub erp: ErpKind,
    /// Product number mapping.
    #[serde(default)]
    pub products: ProductMapping,
    /// Retries of transient failures.
    #[serde(default)]
    pub retry: RetryConfig,
    /// When failures are a tenant outage (circuit breaker).
    #[serde(default)]
    pub outage: OutageConfig,
    /// Lines in flight at once (default 1: one line at a time keeps dispense order).
    #[serde(default = "one")]
    pub max_in_flight: u32,
    /// Time allowed for one push or lookup (default 30 s).
    #[serde(default = "default_push_timeout", with = "humantime_serde")]
    pub push_timeout: Duration,
    /// Requests per second to this tenant's ERP (default 10; 0 for none).
    #[serde(default = "default_rate")]
    pub rate_limit_per_second: u32,
    /// Attempts of one ERP request by the SDK (default 2): reads, and pushes whose ERP honours
    /// the idempotency key; a push that may not be repeated is re-sent only when it provably
    /// never left. The relay's own retries (below) come on top and survive restarts.
    #[serde(default = "two")]
    pub request_attempts: u32,
    /// PPMS settings (`erp = "ppms"`).
    pub ppms: Option<PpmsConfig>,
    /// Generic HTTP settings (`erp = "http"`).
    pub http: Option<HttpConfig>,
    /// Check product numbers against Cloudspot article SKUs before pushing.
    pub cloudspot: Option<CloudspotCheckConfig>,
}

fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}
fn two() -> u32 {
    2
}
fn default_rate() -> u32 {
    10
}
fn default_push_timeout() -> Duration {
    Duration::from_secs(30)
}

/// Maps dispensing product numbers to ERP product ids.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProductMapping {
    /// Dispensing product number → ERP product id, exact and case-sensitive.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
    /// What a product number without an entry becomes (default: itself).
    #[serde(default)]
    pub unmapped: Unmapped,
}

/// The rule for product numbers without a mapping entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Unmapped {
    /// The product number itself (exact, case-sensitive).
    #[default]
    Identity,
    /// `failed` with `invalid_product`.
    Reject,
}

impl ProductMapping {
    /// The ERP product id of `product_nr`, or `None` (→ `invalid_product`).
    pub fn map(&self, product_nr: &str) -> Option<String> {
        match (self.map.get(product_nr), self.unmapped) {
            (Some(p), _) => Some(p.clone()),
            (None, Unmapped::Identity) => Some(product_nr.to_owned()),
            (None, Unmapped::Reject) => None,
        }
    }
}

/// Bounded retries of transient failures (reference §7).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Push attempts of one line before `retries_exhausted` (default 10).
    pub max_attempts: u32,
    /// Age of a line after which a transient failure fails it (default 3 days).
    #[serde(with = "humantime_serde")]
    pub max_age: Duration,
    /// First backoff ceiling (default 1 s), doubled per attempt, full jitter.
    #[serde(with = "humantime_serde")]
    pub initial_delay: Duration,
    /// Largest backoff (default 5 min).
    #[serde(with = "humantime_serde")]
    pub max_delay: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 10,
            max_age: Duration::from_secs(3 * 24 * 3600),
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
        }
    }
}

/// The circuit breaker: when transient failures become a tenant outage (reference §11.1).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct OutageConfig {
    /// Consecutive transient failures that pause the tenant (default 5).
    pub after_failures: u32,
    /// Or this long of transient failures without a success (default 2 min).
    #[serde(with = "humantime_serde")]
    pub after: Duration,
    /// How often a paused tenant probes its ERP (default 30 s), or looks for new credentials.
    #[serde(with = "humantime_serde")]
    pub probe_every: Duration,
}

impl Default for OutageConfig {
    fn default() -> Self {
        OutageConfig {
            after_failures: 5,
            after: Duration::from_secs(120),
            probe_every: Duration::from_secs(30),
        }
    }
}

/// What a line's case number names in PPMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CaseTarget {
    /// The PPMS login the order is for.
    Login,
    /// The PPMS project id (orders are placed for the configured `login`).
    Project,
}

/// PPMS settings of a tenant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PpmsConfig {
    /// The site URL (`pumapi/` is derived).
    pub url: String,
    /// The PUMAPI key (a reference; see [`SecretRef`]).
    pub api_key: SecretRef,
    /// What the case number names.
    pub case_is: CaseTarget,
    /// The login orders are placed for when `case_is = "project"`.
    pub login: Option<String>,
    /// The staff-comment field name (default `scomments`; PPMS-Q40).
    pub staff_comment_field: Option<String>,
}

/// How the generic HTTP adapter authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HttpAuth {
    /// No credentials.
    #[default]
    None,
    /// `Authorization: Bearer <secret>`.
    Bearer,
    /// `Authorization: Basic` with `username` and the secret as password.
    Basic,
}

/// Generic HTTP settings of a tenant (reference §11).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct HttpConfig {
    /// Where lines are POSTed.
    pub url: String,
    /// Where a line is looked up; contains `{unique_id}`. Enables crash recovery by checking.
    pub lookup_url: Option<String>,
    /// The credential kind.
    #[serde(default)]
    pub auth: HttpAuth,
    /// The basic-auth user name.
    pub username: Option<String>,
    /// The bearer token or basic password (a reference).
    pub secret: Option<SecretRef>,
    /// The ERP de-duplicates on `Idempotency-Key` (default false): an uncertain push may then
    /// be re-sent without a lookup.
    #[serde(default)]
    pub honours_idempotency_key: bool,
}

/// Cloudspot as a product catalogue for a tenant that pushes elsewhere.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CloudspotCheckConfig {
    /// The company token (a reference).
    pub token: SecretRef,
    /// The API base URL (default Cloudspot's).
    pub url: Option<String>,
    /// How long the article list is reused (default 10 min).
    #[serde(default = "default_refresh", with = "humantime_serde")]
    pub refresh: Duration,
}

fn default_refresh() -> Duration {
    Duration::from_secs(600)
}

/// Connections a node keeps for ingest and management on top of its workers' (see
/// [`Config::pool_size`]).
pub const POOL_FOR_REQUESTS: u32 = 10;

impl Config {
    /// The Postgres pool of this node: `database.max_connections`, or by default
    /// [`POOL_FOR_REQUESTS`] plus one per in-flight slot of every active tenant (each slot's
    /// worker holds a connection while it claims or settles), so that workers never wait
    /// behind ingest for a connection. With the relay's defaults and 10 tenants: 20.
    pub fn pool_size(&self) -> u32 {
        self.database.max_connections.unwrap_or_else(|| {
            let slots: u32 = self
                .tenants
                .values()
                .filter(|t| t.active)
                .map(|t| t.max_in_flight)
                .sum();
            POOL_FOR_REQUESTS.saturating_add(slots)
        })
    }

    /// Reads `path`, applies the `RELAY__…` variables of `env` and validates.
    pub fn load(
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
        Self::from_toml(&text, env).map_err(|e| err(format!("{}: {e}", path.display())))
    }

    /// Parses TOML text, applies the `RELAY__…` variables of `env` and validates.
    pub fn from_toml(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        apply_env(&mut table, env)?;
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| err(e.message().to_owned()))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what the types cannot: names, required sections, URLs, hashes, ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if !self.database.url.starts_with("sqlite:") && !self.database.is_postgres() {
            problems.push(format!(
                "database.url: sqlite://PATH or postgres://…, got scheme {:?}",
                self.database.url.split(':').next().unwrap_or_default()
            ));
        }
        if let Some(schema) = &self.database.schema
            && !crate::store::postgres::valid_schema(schema)
        {
            problems.push("database.schema: a lower-case name of a-z, 0-9 and `_`".into());
        }
        for name in self.operators.keys() {
            if !valid_name(name) {
                problems.push(format!("operators.{name}: a name of a-z, 0-9, `-` and `_`"));
            }
        }
        if self.retention.keep < Duration::from_secs(3600) {
            problems.push(
                "retention.keep: at least 1h (and longer than the dispensing side may resend)"
                    .into(),
            );
        }
        if self.retention.purge_every.is_zero() {
            problems.push("retention.purge_every: must be positive".into());
        }
        let mut env_names: BTreeMap<String, &str> = BTreeMap::new();
        for (name, t) in &self.tenants {
            let at = format!("tenants.{name}");
            if !valid_name(name) {
                problems.push(format!(
                    "{at}: a tenant name has 1-64 characters of a-z, A-Z, 0-9, `-` and `_`"
                ));
            }
            if let Some(other) = env_names.insert(env_segment(name), name) {
                problems.push(format!("{at}: the name is the same as `{other}` in environment variables (`-`/`_`, letter case)"));
            }
            problems.extend(t.problems(&at));
        }
        for (name, c) in &self.ingest.clients {
            let at = format!("ingest.clients.{name}");
            problems.extend(key_hash_problems(&at, &c.sha256));
            for t in &c.tenants {
                if t != "*" && !self.tenants.contains_key(t) {
                    problems.push(format!("{at}.tenants: unknown tenant `{t}`"));
                }
            }
        }
        if self.leases.duration < Duration::from_secs(1) {
            problems.push("leases.duration: at least 1s".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(err(problems.join("; ")))
        }
    }
}

impl TenantConfig {
    fn problems(&self, at: &str) -> Vec<String> {
        let mut p = Vec::new();
        match self.erp {
            ErpKind::Cloudspot => p.push(format!(
                "{at}.erp: cloudspot cannot create order lines (its known API is read-only); \
                 push to another erp and add [{at}.cloudspot] to check product numbers against \
                 Cloudspot article SKUs"
            )),
            ErpKind::Ppms => match &self.ppms {
                None => p.push(format!("{at}: erp = \"ppms\" needs a [{at}.ppms] section")),
                Some(ppms) => {
                    check_url(&mut p, &format!("{at}.ppms.url"), &ppms.url);
                    if ppms.case_is == CaseTarget::Project
                        && ppms.login.as_deref().is_none_or(|l| l.trim().is_empty())
                    {
                        p.push(format!("{at}.ppms.login: case_is = \"project\" needs the login orders are placed for"));
                    }
                }
            },
            ErpKind::Http => match &self.http {
                None => p.push(format!("{at}: erp = \"http\" needs a [{at}.http] section")),
                Some(h) => {
                    check_url(&mut p, &format!("{at}.http.url"), &h.url);
                    if let Some(l) = &h.lookup_url {
                        if !l.contains("{unique_id}") {
                            p.push(format!("{at}.http.lookup_url: must contain {{unique_id}}"));
                        }
                        check_url(
                            &mut p,
                            &format!("{at}.http.lookup_url"),
                            &l.replace("{unique_id}", "x"),
                        );
                    }
                    match (h.auth, &h.username, &h.secret) {
                        (HttpAuth::None, _, Some(_)) => p.push(format!(
                            "{at}.http.secret: set auth = \"bearer\" or \"basic\" to use it"
                        )),
                        (HttpAuth::Bearer, _, None) | (HttpAuth::Basic, _, None) => p.push(
                            format!("{at}.http.secret: auth needs a credential reference"),
                        ),
                        (HttpAuth::Basic, None, _) => {
                            p.push(format!("{at}.http.username: basic auth needs a user name"))
                        }
                        _ => {}
                    }
                }
            },
        }
        if self.ppms.is_some() && self.erp != ErpKind::Ppms {
            p.push(format!("{at}.ppms: only used with erp = \"ppms\""));
        }
        if self.http.is_some() && self.erp != ErpKind::Http {
            p.push(format!("{at}.http: only used with erp = \"http\""));
        }
        if let Some(c) = &self.cloudspot
            && let Some(u) = &c.url
        {
            check_url(&mut p, &format!("{at}.cloudspot.url"), u);
        }
        if !(1..=16).contains(&self.max_in_flight) {
            p.push(format!("{at}.max_in_flight: 1 to 16"));
        }
        if self.retry.max_attempts == 0 {
            p.push(format!("{at}.retry.max_attempts: at least 1"));
        }
        if self.request_attempts == 0 {
            p.push(format!("{at}.request_attempts: at least 1"));
        }
        if self.outage.after_failures == 0 {
            p.push(format!("{at}.outage.after_failures: at least 1"));
        }
        if self.push_timeout.is_zero() || self.outage.probe_every.is_zero() {
            p.push(format!(
                "{at}: push_timeout and outage.probe_every must be positive"
            ));
        }
        if self
            .products
            .map
            .iter()
            .any(|(k, v)| k.is_empty() || v.trim().is_empty())
        {
            p.push(format!("{at}.products.map: empty product numbers"));
        }
        p
    }
}

/// The rules of an ingest key's hashes.
fn key_hash_problems(at: &str, hashes: &[String]) -> Vec<String> {
    let mut p = Vec::new();
    if hashes.is_empty() || hashes.len() > 2 {
        p.push(format!("{at}.sha256: one key hash, or two while rotating"));
    }
    if hashes
        .iter()
        .any(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        p.push(format!(
            "{at}.sha256: each entry is 64 hex digits (`relay hash-key`)"
        ));
    }
    p
}

fn check_url(problems: &mut Vec<String>, at: &str, raw: &str) {
    match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            if !u.username().is_empty() || u.password().is_some() {
                problems.push(format!(
                    "{at}: credentials never go in a url; use a secret reference"
                ));
            }
        }
        _ => problems.push(format!("{at}: an absolute http(s) url")),
    }
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A name as an environment-variable segment matches it: lower case, `-` as `_`.
fn env_segment(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

/// A TOML syntax error as "line L, column C: message", without the source snippet that
/// `toml`'s `Display` would print (it could show a credential written inline by mistake).
fn toml_error(text: &str, e: &toml::de::Error) -> ConfigError {
    let at = e
        .span()
        .map(|s| {
            let before = text.get(..s.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {col}: ")
        })
        .unwrap_or_default();
    err(format!("{at}{}", e.message()))
}

/// Applies `RELAY__…` overrides (see the [module docs](self)).
fn apply_env(
    root: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX))
        .collect();
    vars.sort();
    for (var, value) in vars {
        let path = &var[ENV_PREFIX.len()..];
        let segments: Vec<String> = path.split("__").map(|s| s.to_ascii_lowercase()).collect();
        if segments.iter().any(String::is_empty) {
            return Err(err(format!("{var}: empty path segment")));
        }
        let mut table = &mut *root;
        for (i, seg) in segments.iter().enumerate() {
            let key = table
                .keys()
                .find(|k| env_segment(k) == *seg)
                .cloned()
                .unwrap_or_else(|| seg.clone());
            if i + 1 == segments.len() {
                let parsed = match table.get(&key) {
                    Some(toml::Value::String(_)) => toml::Value::String(value.clone()),
                    _ => parse_value(&value).unwrap_or_else(|| toml::Value::String(value.clone())),
                };
                table.insert(key, parsed);
                break;
            }
            let next = table
                .entry(key.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            table = match next {
                toml::Value::Table(t) => t,
                _ => return Err(err(format!("{var}: `{key}` is not a table"))),
            };
        }
    }
    Ok(())
}

fn parse_value(text: &str) -> Option<toml::Value> {
    let t: toml::Table = toml::from_str(&format!("v = {text}")).ok()?;
    t.get("v").cloned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const BASE: &str = r#"
        [database]
        url = "sqlite:///tmp/relay.db"
        [ingest.clients.hall-1]
        sha256 = ["0000000000000000000000000000000000000000000000000000000000000000"]
        tenants = ["ws-a"]
        [tenants.ws-a]
        erp = "http"
        [tenants.ws-a.http]
        url = "https://erp.example/lines"
    "#;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_follow_the_reference() {
        let c = Config::from_toml(BASE, env(&[])).unwrap();
        let t = &c.tenants["ws-a"];
        assert!(t.active);
        assert_eq!(t.max_in_flight, 1);
        assert_eq!(c.limits.body_bytes, 65536);
        assert_eq!(c.leases.duration, Duration::from_secs(30));
        assert_eq!(t.outage.after_failures, 5);
        assert_eq!(t.outage.after, Duration::from_secs(120));
        assert_eq!(t.outage.probe_every, Duration::from_secs(30));
        assert_eq!(c.database.synchronous, Synchronous::Full);
    }

    #[test]
    fn the_postgres_pool_grows_with_the_active_tenants_slots_unless_set() {
        let more = format!(
            "{BASE}\n[tenants.ws-b]\nerp = \"http\"\nmax_in_flight = 4\n[tenants.ws-b.http]\nurl = \"https://erp.example/lines\"\n\
             [tenants.ws-c]\nerp = \"http\"\nactive = false\nmax_in_flight = 8\n[tenants.ws-c.http]\nurl = \"https://erp.example/lines\"\n"
        );
        let c = Config::from_toml(&more, env(&[])).unwrap();
        // ws-a one slot, ws-b four, ws-c inactive
        assert_eq!(c.pool_size(), POOL_FOR_REQUESTS + 5);
        let set =
            Config::from_toml(&more, env(&[("RELAY__DATABASE__MAX_CONNECTIONS", "7")])).unwrap();
        assert_eq!(set.pool_size(), 7);
    }

    #[test]
    fn environment_overrides_reach_dashed_tenants_and_new_paths() {
        let c = Config::from_toml(
            BASE,
            env(&[
                ("RELAY__LISTEN", "0.0.0.0:9000"),
                ("RELAY__TENANTS__WS_A__ACTIVE", "false"),
                ("RELAY__TENANTS__WS_A__RETRY__MAX_ATTEMPTS", "3"),
                ("RELAY__TENANTS__WS_A__PUSH_TIMEOUT", "5s"),
                ("RELAY__TENANTS__WS_A__HTTP__URL", "https://other.example/x"),
                ("RELAY__TENANTS__WS_B__ERP", "http"),
                ("RELAY__TENANTS__WS_B__HTTP__URL", "https://b.example/"),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        let a = &c.tenants["ws-a"];
        assert!(!a.active);
        assert_eq!(a.retry.max_attempts, 3);
        assert_eq!(a.push_timeout, Duration::from_secs(5));
        assert_eq!(a.http.as_ref().unwrap().url, "https://other.example/x");
        assert!(c.tenants.contains_key("ws_b"));
    }

    #[test]
    fn cloudspot_is_refused_for_creating_lines() {
        let text = BASE.replace("erp = \"http\"", "erp = \"cloudspot\"");
        let e = Config::from_toml(&text, env(&[])).unwrap_err().to_string();
        assert!(e.contains("cloudspot cannot create order lines"), "{e}");
    }

    #[test]
    fn inline_credentials_are_refused_without_echo_in_file_and_env() {
        let text = format!("{BASE}\nauth = \"bearer\"\nsecret = \"hunter2-file\"\n");
        let e = Config::from_toml(&text, env(&[])).unwrap_err().to_string();
        assert!(e.contains("never written"), "{e}");
        assert!(!e.contains("hunter2"));
        let e = Config::from_toml(
            BASE,
            env(&[
                ("RELAY__TENANTS__WS_A__HTTP__AUTH", "bearer"),
                ("RELAY__TENANTS__WS_A__HTTP__SECRET", "hunter2-env"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("hunter2"), "{e}");
        let e = Config::from_toml("x = \"hunter2-syntax\" y", env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn tenants_that_share_an_environment_name_are_refused() {
        let text = format!(
            "{BASE}\n[tenants.WS_A]\nerp = \"http\"\n[tenants.WS_A.http]\nurl = \"https://x.example/\"\n"
        );
        let e = Config::from_toml(&text, env(&[])).unwrap_err().to_string();
        assert!(e.contains("same as"), "{e}");
    }

    #[test]
    fn product_mapping_is_exact_with_identity_default() {
        let mut m = ProductMapping::default();
        m.map.insert("OIL-5W30".into(), "112".into());
        assert_eq!(m.map("OIL-5W30").as_deref(), Some("112"));
        assert_eq!(m.map("oil-5w30").as_deref(), Some("oil-5w30"));
        m.unmapped = Unmapped::Reject;
        assert_eq!(m.map("oil-5w30"), None);
    }
}
