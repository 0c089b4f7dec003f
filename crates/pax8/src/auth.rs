//! OAuth2 client credentials for the Pax8 Partner API (§2).
//!
//! # Why a hand-written token call instead of the `oauth2` crate
//!
//! What is hand-written is small: one `POST` with a JSON body and the decoding of its answer
//! ([`Pax8TokenSource`]). Caching, single-flight refresh, refresh-ahead, the failure floor and
//! the token stores are the workspace's shared `TokenCache`, not code of this crate. The
//! `oauth2` crate was considered for the request itself and does not fit, for these reasons
//! (checked against its documented API):
//!
//! 1. **The body.** Pax8 documents a JSON token request (`{"client_id", "client_secret",
//!    "audience", "grant_type"}`, PAX8-Q26). The `oauth2` crate builds the RFC 6749 request,
//!    which is form-encoded, and offers no way to choose the body's encoding; using it would
//!    mean an HTTP-client adapter that parses its form body and re-encodes it as JSON, more
//!    code than the request it replaces. (The `audience` parameter itself would not be a
//!    reason: `add_extra_param` can send it.)
//! 2. **The shared runtime.** Token calls count against the same 1000-calls-per-minute budget
//!    as API calls (PAX8-Q46), so they must go through the client's rate limiter, retry policy,
//!    transport (the sandbox and replay transports in tests) and tracing. `oauth2` sends through
//!    its own HTTP-client trait, which would need a second adapter to reach that stack.
//! 3. **Errors and caching.** `oauth2` neither caches nor refreshes tokens (the shared
//!    `TokenCache` would still be needed), and its error types would have to be mapped onto
//!    this crate's [`Error::Auth`](crate::Error::Auth) and [`Error::Token`](crate::Error::Token)
//!    anyway.
//!
//! So the token call is an ordinary `billing_http_core::Request` sent through an
//! `billing_http_core::Client` that shares the API client's transport and limiter. The client
//! secret is added to the JSON body only at the auth stage of each attempt, so it never appears
//! in the request value that is logged or kept in errors.
//!
//! # Caching and refresh
//!
//! The token source is wrapped in http-core's [`TokenCache`]: single-flight refresh,
//! refresh-ahead (default margin 300 s), lifetime clamped to 24 h, failure floor, pluggable
//! stores (memory by default; file, keyring, encrypted file and Redis through http-core's
//! features) and one invalidate-and-retry on 401 (§2.5, §2.6, PAX8-Q54). The store key is
//! [`token_key`]: a hash over the vendor, the token URL, the audience and the client id, so a
//! change of credentials, URL or audience never reuses another account's token. The client
//! secret is never stored.

use std::fmt;
use std::time::{Duration, SystemTime};

use billing_http_core::auth::store::TokenKey;
use billing_http_core::auth::token::{Token, TokenCache, TokenSource};
use billing_http_core::auth::{Auth, AuthTicket};
use billing_http_core::{ExposeSecret, Request, SecretString};
use futures::future::BoxFuture;
use serde::Deserialize;

/// The documented token lifetime (24 h), used when `expires_in` is missing or not positive.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(86_400);

/// The default refresh margin (300 s).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Audience of the partner endpoints today.
pub const AUDIENCE_PARTNER: &str = "https://api.pax8.com";
/// Audience used by older clients (`Legacy` preset).
pub const AUDIENCE_LEGACY: &str = "api://p8p.client";

/// Token URL and audience presets (§2.2, PAX8-Q26). The two values are independent settings;
/// a preset only fills both at once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenEndpoint {
    /// `https://api.pax8.com/v1/token` with `https://api.pax8.com` (documented today; default).
    #[default]
    Current,
    /// `https://token-manager.pax8.com/oauth/token` with `https://api.pax8.com` (the specs'
    /// `securitySchemes`).
    TokenManager,
    /// `https://login.pax8.com/oauth/token` with `api://p8p.client` (py-pax8 and older clients).
    Legacy,
    /// Any URL and audience (test servers, gateways).
    Custom {
        /// Token URL.
        url: String,
        /// Audience.
        audience: String,
    },
}

impl TokenEndpoint {
    /// The token URL.
    pub fn url(&self) -> &str {
        match self {
            Self::Current => "https://api.pax8.com/v1/token",
            Self::TokenManager => "https://token-manager.pax8.com/oauth/token",
            Self::Legacy => "https://login.pax8.com/oauth/token",
            Self::Custom { url, .. } => url,
        }
    }

    /// The audience.
    pub fn audience(&self) -> &str {
        match self {
            Self::Current | Self::TokenManager => AUDIENCE_PARTNER,
            Self::Legacy => AUDIENCE_LEGACY,
            Self::Custom { audience, .. } => audience,
        }
    }
}

/// The token response (§2.3).
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: SecretString,
    /// Lifetime in whole seconds (86400 in practice). Read leniently, never a decode error
    /// (issue 16): a positive number or numeric string is rounded up and saturates at
    /// `u64::MAX`; zero, negative, non-numeric or missing values are `None`, which
    /// [`TokenResponse::lifetime`] turns into the documented 24 h.
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub expires_in: Option<u64>,
    /// `Bearer` (compared case-insensitively).
    #[serde(default, deserialize_with = "crate::model::de::lenient_opt_string")]
    pub token_type: Option<String>,
    /// Scope, when sent.
    #[serde(default, deserialize_with = "crate::model::de::lenient_opt_string")]
    pub scope: Option<String>,
    /// Absolute expiry, when sent (a value that is not a string is ignored).
    #[serde(default, deserialize_with = "lenient_datetime")]
    pub expires_at: Option<crate::model::Pax8DateTime>,
}

/// `expires_in` from any JSON value: see [`TokenResponse::expires_in`].
fn lenient_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    use billing_http_core::lenient::Scalar;
    // a number as its text: even one beyond f64's range (`1e400`) is read, and saturates
    let text = match Scalar::deserialize(d)? {
        Scalar::Number(n) => n,
        Scalar::String(s) => s.trim().to_owned(),
        _ => return Ok(None),
    };
    let secs: f64 = match text.parse() {
        Ok(f) => f,
        Err(_) => return Ok(None),
    };
    // NaN and non-positive values mean "not given"; `as` saturates at u64::MAX
    Ok((secs > 0.0).then(|| secs.ceil() as u64))
}

fn lenient_datetime<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<crate::model::Pax8DateTime>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(crate::model::Pax8DateTime::parse(s)),
        _ => None,
    })
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[REDACTED]")
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl TokenResponse {
    /// A response carrying `access_token` and nothing else (for tests and custom token
    /// sources); the lifetime is then the documented 24 h.
    pub fn new(access_token: impl Into<String>) -> Self {
        Self {
            access_token: SecretString::from(access_token.into()),
            expires_in: None,
            token_type: None,
            scope: None,
            expires_at: None,
        }
    }

    /// Lifetime to use: `expires_in` (or 24 h when missing, zero, negative or unreadable),
    /// shortened by `expires_at` when that is earlier, and clamped to 24 h (§2.4). Never
    /// overflows, whatever the server sent.
    pub fn lifetime(&self, now: SystemTime) -> Duration {
        let mut life = match self.expires_in {
            Some(s) if s > 0 => Duration::from_secs(s),
            _ => MAX_TOKEN_LIFETIME,
        };
        if let Some(at) = self.expires_at.as_ref().and_then(|a| a.to_utc()) {
            let at: SystemTime = at.into();
            if let Ok(d) = at.duration_since(now) {
                life = life.min(d);
            }
        }
        life.min(MAX_TOKEN_LIFETIME)
    }
}

/// The token-cache key of this crate: vendor `pax8`, the token URL, and the client id with
/// the audience as scope (§2.4).
pub fn token_key(token_url: &str, audience: &str, client_id: &str) -> TokenKey {
    TokenKey::new("pax8", token_url, client_id).with_scope(audience)
}

/// The client-credentials [`TokenSource`] of Pax8: one JSON `POST` to the token URL through an
/// http-core client that shares the API client's transport, rate limiter and retry policy.
#[derive(Clone)]
pub struct Pax8TokenSource {
    http: billing_http_core::Client,
    path: String,
    client_id: String,
    audience: String,
}

impl fmt::Debug for Pax8TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pax8TokenSource")
            .field("base", &self.http.base_url().as_str())
            .field("path", &self.path)
            .field("client_id", &self.client_id)
            .field("audience", &self.audience)
            .finish()
    }
}

/// Adds `client_secret` to the token request's JSON body at the auth stage, so the secret never
/// sits in the request value that errors and logs may show.
pub(crate) struct SecretBodyField {
    pub(crate) secret: SecretString,
}

impl fmt::Debug for SecretBodyField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBodyField([REDACTED])")
    }
}

impl Auth for SecretBodyField {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Request,
    ) -> BoxFuture<'a, Result<AuthTicket, billing_http_core::Error>> {
        if let billing_http_core::Body::Json(serde_json::Value::Object(map)) = &mut request.body {
            map.insert(
                "client_secret".into(),
                serde_json::Value::String(self.secret.expose_secret().to_owned()),
            );
        }
        Box::pin(futures::future::ready(Ok(AuthTicket::default())))
    }
}

impl Pax8TokenSource {
    /// A source posting to `http`'s base URL (the token URL). `http` must authorise with the
    /// client secret; [`crate::ClientBuilder`] sets this up.
    pub(crate) fn new(
        http: billing_http_core::Client,
        path: String,
        client_id: String,
        audience: String,
    ) -> Self {
        Self {
            http,
            path,
            client_id,
            audience,
        }
    }

    /// The token request without the secret (the auth stage adds `client_secret`). The body
    /// has exactly `client_id`, `client_secret`, `audience` and `grant_type` on the wire
    /// (PAX8-Q26).
    pub fn request(&self) -> Request {
        Request::post(self.path.clone(), "token")
            .json(serde_json::json!({
                "client_id": self.client_id,
                "audience": self.audience,
                "grant_type": "client_credentials",
            }))
            .header("accept", "application/json")
    }

    /// Calls the token endpoint once (the retry policy still applies to transient failures).
    pub async fn fetch_token(&self) -> Result<TokenResponse, billing_http_core::Error> {
        let resp = self.http.execute(self.request()).await?;
        // no body snippet in this error: a token response holds a secret
        let token: TokenResponse = serde_json::from_slice(&resp.body).map_err(|_| {
            resp.tag(billing_http_core::Error::decode(
                "the token response is not a json object with an access_token string",
                b"",
                None,
            ))
        })?;
        if let Some(tt) = &token.token_type
            && !tt.eq_ignore_ascii_case("bearer")
        {
            tracing::warn!(token_type = %tt, "pax8: unexpected token type");
        }
        Ok(token)
    }
}

impl TokenSource for Pax8TokenSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Token, billing_http_core::Error>> {
        Box::pin(async move {
            let now = self.http.clock().system_now();
            let resp = self.fetch_token().await?;
            let lifetime = resp.lifetime(now);
            Ok(Token::expiring_in(
                resp.access_token,
                resp.token_type.unwrap_or_else(|| "Bearer".into()),
                now,
                lifetime,
            ))
        })
    }
}

/// The bearer auth of the API clients: tokens from the cache, and a failure to obtain one
/// reported as such (`no token could be obtained, the request was not sent`, never as an HTTP
/// error of the API call, and never outcome-unknown, issue 16). For a real `POST /orders`
/// (`replay_on_401 == false`) a 401 drops the token (so the caller's own retry uses a fresh
/// one) but the order is **not** re-sent (PAX8-Q14, §2.6).
#[derive(Debug, Clone)]
pub(crate) struct TokenAuth {
    tokens: TokenCache,
    token_url: String,
    replay_on_401: bool,
}

impl TokenAuth {
    pub(crate) fn new(tokens: TokenCache, token_url: &str, replay_on_401: bool) -> Self {
        Self {
            tokens,
            token_url: token_url.to_owned(),
            replay_on_401,
        }
    }
}

impl Auth for TokenAuth {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Request,
    ) -> BoxFuture<'a, Result<AuthTicket, billing_http_core::Error>> {
        Box::pin(async move {
            self.tokens
                .authorize(request)
                .await
                .map_err(|e| crate::error::token_failure(&self.token_url, e))
        })
    }

    fn unauthorized(&self, ticket: AuthTicket) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let dropped = self.tokens.unauthorized(ticket).await;
            dropped && self.replay_on_401
        })
    }
}
