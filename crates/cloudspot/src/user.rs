//! Legacy external-app user login (feature `legacy-user-auth`). **Deprecated.**
//!
//! <div class="warning">
//!
//! **Deprecated by the vendor on 2023-03-14.** Authentication and authorisation for external
//! apps moved to the **Cloudspot License server** (a separate API with its own headers,
//! `X-LICENSE-MODULE` / `X-LICENSE-TOKEN`), which this crate does **not** cover. The ERP
//! `auth/...` endpoints used here may no longer answer. Use this only against an ERP that
//! still serves them.
//!
//! </div>
//!
//! A third-party "external app" (say a time-tracking app with slug `timeapp`) signs its users
//! in with their ERP username and password and reads their permission slugs and profile:
//!
//! * [`UserClient::sign_in`]: `POST auth/signin-external-app/` → session token + permissions;
//! * [`UserClient::permissions`]: `GET auth/get-permissions/`;
//! * [`UserClient::user`]: `GET auth/get-user/`.
//!
//! Every request carries `X-ERP-REQUESTOR` with the app slug, **lower-cased** at construction
//! (CS-Q09). The slug must match the external app's slug in the ERP: with a wrong slug the
//! user still signs in, but the permissions come back empty.
//!
//! The session token goes through the http-core [`TokenCache`] (one `UserClient` per user):
//! calls authorise with the cached token, and when the server answers 401 the token is
//! dropped and, if the client holds the user's credentials (after [`UserClient::sign_in`] or
//! [`UserClientBuilder::credentials`]), fetched again **once** by signing in again
//! (single-flight: concurrent callers share one sign-in). With
//! [`UserClientBuilder::token_store`] the tokens live in any http-core store (file, keyring,
//! encrypted file, Redis), so an app keeps one per user across restarts. Without credentials, a missing token
//! is [`NoValidToken::Missing`] (nothing is sent) and a refused one
//! [`NoValidToken::Rejected`]. Wrong credentials are [`Error::BadCredentials`], a distinct
//! error.
#![allow(deprecated)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, MutexGuard};
use std::{fmt, time::Duration};

use billing_http_core::auth::{
    Auth, AuthTicket, NoAuth, Placement, Token, TokenCache, TokenKey, TokenSource, TokenStore,
};
use billing_http_core::{Request, SecretString};
use futures::future::BoxFuture;
use secrecy::ExposeSecret;
use serde_json::json;

use billing_http_core::settings::Settings;

use crate::client::{check_header_value, default_settings, http_client, normalise_base_url};
use crate::endpoints::{self, REQUESTOR_HEADER, TOKEN_HEADER};
use crate::error::{Detail, Error, Family, NoValidToken, Result, body_error, from_http};
use crate::model::envelope::decode_flat;
use crate::model::{AuthResponse, PermissionsResponse, User};

/// Validates and lower-cases an external-app slug (CS-Q09): empty, padded, or with a control
/// character (CR/LF would break every request's header) is refused.
pub(crate) fn requestor_slug(raw: &str) -> Result<String> {
    check_header_value("requestor slug", raw)?;
    Ok(raw.to_lowercase())
}

/// `POST auth/signin-external-app/` with a JSON body `{"username", "password"}` and the
/// requestor header. Not idempotent: retried only when it provably never reached the server,
/// so a wrong password is never replayed.
pub(crate) fn signin_request(requestor: &str, username: &str, password: &SecretString) -> Request {
    Request::post(endpoints::SIGNIN, "auth.signin")
        .json(json!({ "username": username, "password": password.expose_secret() }))
        .header(REQUESTOR_HEADER, requestor.to_owned())
        .not_idempotent()
}

/// `GET auth/get-permissions/` (the token is added by the session cache).
pub(crate) fn permissions_request(requestor: &str) -> Request {
    endpoints::get(endpoints::PERMISSIONS, "auth.permissions")
        .header(REQUESTOR_HEADER, requestor.to_owned())
}

/// `GET auth/get-user/` (the token is added by the session cache).
pub(crate) fn user_request(requestor: &str) -> Request {
    endpoints::get(endpoints::USER, "auth.user").header(REQUESTOR_HEADER, requestor.to_owned())
}

#[derive(Clone)]
struct Credentials {
    username: String,
    password: SecretString,
}

fn lock<T>(m: &StdMutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Signs in with the user's credentials (the token source of the session cache).
async fn sign_in_call(
    signin: &billing_http_core::Client,
    requestor: &str,
    creds: &Credentials,
) -> Result<AuthResponse> {
    let req = signin_request(requestor, &creds.username, &creds.password);
    let resp = signin
        .execute(req)
        .await
        .map_err(|e| from_http(e, Family::SignIn, "auth"))?;
    decode_flat::<AuthResponse>(&resp.body)
        .map_err(|p| body_error(p, "auth.signin", resp.header("content-type"), &resp.body))
}

/// The [`TokenSource`] behind the session cache: a token given at construction first, then
/// a sign-in with the held credentials.
struct SignInSource {
    requestor: String,
    signin: billing_http_core::Client,
    credentials: StdMutex<Option<Credentials>>,
    seed: StdMutex<Option<SecretString>>,
    last_answer: StdMutex<Option<AuthResponse>>,
    last_token: StdMutex<Option<SecretString>>,
}

impl fmt::Debug for SignInSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInSource")
            .field("requestor", &self.requestor)
            .field("has_credentials", &self.has_credentials())
            .finish_non_exhaustive()
    }
}

impl SignInSource {
    fn has_credentials(&self) -> bool {
        lock(&self.credentials).is_some()
    }
}

impl TokenSource for SignInSource {
    fn fetch(&self) -> BoxFuture<'_, std::result::Result<Token, billing_http_core::Error>> {
        Box::pin(async move {
            let seeded = lock(&self.seed).take();
            let token = match seeded {
                Some(token) => token,
                None => {
                    let creds = lock(&self.credentials).clone().ok_or_else(|| {
                        billing_http_core::Error::new(
                            billing_http_core::ErrorKind::Token,
                            "no session token held",
                        )
                        .with_vendor("cloudspot")
                        .with_reached_server(false)
                        .with_source(MissingToken)
                    })?;
                    let answer = sign_in_call(&self.signin, &self.requestor, &creds)
                        .await
                        .map_err(signin_failure)?;
                    let token = answer.token.clone().ok_or_else(|| {
                        billing_http_core::Error::new(
                            billing_http_core::ErrorKind::Token,
                            "sign-in answered without a token",
                        )
                        .with_vendor("cloudspot")
                        .with_source(MissingToken)
                    })?;
                    *lock(&self.last_answer) = Some(answer);
                    token
                }
            };
            *lock(&self.last_token) = Some(token.clone());
            Ok(Token::new(token, "Session", None))
        })
    }
}

/// Carries a sign-in failure through the token cache as an `billing_http_core::Error`.
fn signin_failure(e: Error) -> billing_http_core::Error {
    match e {
        Error::Transport(inner) => inner,
        other => {
            let api = other.api_error().cloned();
            let mut err = billing_http_core::Error::new(
                billing_http_core::ErrorKind::Token,
                other.to_string(),
            )
            .with_vendor("cloudspot");
            if let Some(api) = api {
                if let Ok(status) = billing_http_core::StatusCode::from_u16(api.status) {
                    err = err.with_status(status);
                }
                err = err.with_operation(api.operation);
                err = err.with_source(Detail {
                    message: api.message,
                    api_status: api.api_status,
                    location: api.location,
                    body: api.body,
                    signin: true,
                });
            }
            err
        }
    }
}

/// Authorises session calls through the http-core [`TokenCache`]; a 401 drops the token, and
/// a retry is worth it only when credentials are held to sign in again.
#[derive(Debug)]
struct SessionAuth {
    cache: TokenCache,
    source: Arc<SignInSource>,
}

impl Auth for SessionAuth {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Request,
    ) -> BoxFuture<'a, std::result::Result<AuthTicket, billing_http_core::Error>> {
        self.cache.authorize(request)
    }

    fn unauthorized(&self, ticket: AuthTicket) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let dropped = self.cache.unauthorized(ticket).await;
            dropped && self.source.has_credentials()
        })
    }
}

/// Marker source: no token was held, nothing was sent.
#[derive(Debug)]
struct MissingToken;

impl fmt::Display for MissingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no session token")
    }
}

impl std::error::Error for MissingToken {}

/// Maps an error of a session call (or of a sign-in made through the cache).
fn session_error(e: billing_http_core::Error) -> Error {
    // no token could be obtained (http-core's `token_unavailable`): the token call's own error
    let e = e.token_error().cloned().unwrap_or(e);
    let source = std::error::Error::source(&e);
    let missing = source.is_some_and(|s| s.is::<MissingToken>())
        || (e.kind() == billing_http_core::ErrorKind::Token && e.status().is_none());
    if missing {
        return Error::NoValidToken(NoValidToken::Missing);
    }
    from_http(e, Family::Session, "auth")
}

static ANONYMOUS: AtomicU64 = AtomicU64::new(0);

/// Builds a [`UserClient`].
#[deprecated(
    note = "Cloudspot deprecated the ERP external-app login on 2023-03-14 in favour \
                     of its License server (not covered by this crate); see `cloudspot::user`"
)]
pub struct UserClientBuilder {
    requestor: String,
    token: Option<SecretString>,
    credentials: Option<Credentials>,
    store: Option<Arc<dyn TokenStore>>,
    settings: Settings,
}

impl fmt::Debug for UserClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserClientBuilder")
            .field("requestor", &self.requestor)
            .field("base_url", &self.settings.base_url)
            .finish_non_exhaustive()
    }
}

impl UserClientBuilder {
    billing_http_core::client_builder_methods!();

    /// Starts with a session token obtained earlier (for example kept by the app per user).
    pub fn session_token(mut self, token: impl Into<SecretString>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Keeps the user's credentials so that a missing or expired session token is fetched by
    /// signing in (once per rejection).
    pub fn credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Self {
        self.credentials = Some(Credentials {
            username: username.into(),
            password: password.into(),
        });
        self
    }

    /// Keeps session tokens in an http-core [`TokenStore`] (file, keyring, encrypted file,
    /// Redis) so that an app keeps one token per user across restarts or workers. The store
    /// key is derived from the vendor, base URL, username and requestor slug (hashed); a
    /// client without credentials gets a key of its own and shares nothing.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Builds the client. Fails, before anything is sent, on a requestor slug (CS-Q09) or a
    /// session token that is empty, padded with white space or contains a control character.
    pub fn build(self) -> Result<UserClient> {
        let requestor = requestor_slug(&self.requestor)?;
        if let Some(token) = &self.token {
            check_header_value("session token", token.expose_secret())?;
        }
        // Sign-in and session calls share one transport (one connection pool) and one limiter.
        let signin = http_client(&self.settings, Arc::new(NoAuth))?;
        let user_id = match &self.credentials {
            Some(c) => format!("user:{}", c.username),
            None => format!(
                "anonymous:{}:{}",
                std::process::id(),
                ANONYMOUS.fetch_add(1, Ordering::Relaxed)
            ),
        };
        let key = TokenKey::new(
            "cloudspot",
            normalise_base_url(&self.settings.base_url),
            user_id,
        )
        .with_scope(&requestor);
        let source = Arc::new(SignInSource {
            requestor: requestor.clone(),
            signin: signin.clone(),
            credentials: StdMutex::new(self.credentials),
            seed: StdMutex::new(self.token),
            last_answer: StdMutex::new(None),
            last_token: StdMutex::new(None),
        });
        let mut cache = TokenCache::builder_arc(source.clone(), key)
            .placement(Placement::Header(TOKEN_HEADER.to_owned()))
            .clock(self.settings.clock())
            // every call may try one sign-in: a wrong password is reported, not cached
            .failure_floor(Duration::ZERO);
        if let Some(store) = self.store {
            cache = cache.store(store);
        }
        let auth = Arc::new(SessionAuth {
            cache: cache.build(),
            source,
        });
        let http = signin.with_auth(auth.clone());
        Ok(UserClient {
            requestor,
            auth,
            http,
        })
    }
}

/// Client for the legacy external-app user login (feature `legacy-user-auth`), one per user.
///
/// Deprecated by the vendor: see the [module docs](self).
#[deprecated(
    note = "Cloudspot deprecated the ERP external-app login on 2023-03-14 in favour \
                     of its License server (not covered by this crate); see `cloudspot::user`"
)]
#[derive(Clone)]
pub struct UserClient {
    requestor: String,
    auth: Arc<SessionAuth>,
    http: billing_http_core::Client,
}

impl fmt::Debug for UserClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserClient")
            .field("requestor", &self.requestor)
            .field("base_url", &self.http.base_url().as_str())
            .finish_non_exhaustive()
    }
}

impl UserClient {
    /// Starts a builder for the external app `requestor` (its slug in the ERP, lower-cased
    /// here, CS-Q09).
    pub fn builder(requestor: impl Into<String>) -> UserClientBuilder {
        UserClientBuilder {
            requestor: requestor.into(),
            token: None,
            credentials: None,
            store: None,
            settings: default_settings(),
        }
    }

    /// The lower-cased requestor slug sent as `X-ERP-REQUESTOR`.
    pub fn requestor(&self) -> &str {
        &self.requestor
    }

    /// E6 `POST auth/signin-external-app/`: signs the user in through the session cache. On
    /// success the session token is cached (and stored, with a token store) and the
    /// credentials are kept, so that an expired token is fetched again once.
    ///
    /// A 400, 401 or 403 is [`Error::BadCredentials`]; an outage keeps its own variant.
    pub async fn sign_in(
        &self,
        username: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Result<AuthResponse> {
        let source = &self.auth.source;
        let previous = lock(&source.credentials).replace(Credentials {
            username: username.into(),
            password: password.into(),
        });
        lock(&source.seed).take();
        lock(&source.last_answer).take();
        self.auth.cache.invalidate().await;
        match self.auth.cache.token().await {
            Ok(token) => Ok(lock(&source.last_answer)
                .take()
                .unwrap_or_else(|| AuthResponse {
                    token: Some(token.value),
                    ..AuthResponse::default()
                })),
            Err(e) => {
                *lock(&source.credentials) = previous;
                Err(session_error(e))
            }
        }
    }

    /// E7 `GET auth/get-permissions/`: the user's permission slugs for this app.
    pub async fn permissions(&self) -> Result<PermissionsResponse> {
        self.call(permissions_request(&self.requestor), "auth.permissions")
            .await
    }

    /// E8 `GET auth/get-user/`: the user's profile.
    pub async fn user(&self) -> Result<User> {
        self.call(user_request(&self.requestor), "auth.user").await
    }

    /// The session token last obtained (given at construction or from a sign-in), if any,
    /// for an app that keeps it itself. It may since have been rejected.
    pub fn session_token(&self) -> Option<SecretString> {
        lock(&self.auth.source.last_token).clone()
    }

    /// Forgets the session token (also in the token store) and the credentials. There is no
    /// logout endpoint.
    pub async fn forget(&self) {
        let source = &self.auth.source;
        lock(&source.credentials).take();
        lock(&source.seed).take();
        lock(&source.last_token).take();
        self.auth.cache.invalidate().await;
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, req: Request, op: &str) -> Result<T> {
        let resp = self.http.execute(req).await.map_err(session_error)?;
        decode_flat::<T>(&resp.body)
            .map_err(|p| body_error(p, op, resp.header("content-type"), &resp.body))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn requestor_is_lowercased_and_validated() {
        assert_eq!(requestor_slug("TimeApp").unwrap(), "timeapp");
        assert_eq!(requestor_slug("ÉTÉ").unwrap(), "été");
        assert!(requestor_slug("").is_err());
        assert!(requestor_slug(" timeapp").is_err());
        assert!(requestor_slug("timeapp\n").is_err());
    }

    #[test]
    fn signin_request_shape() {
        let r = signin_request("timeapp", "jdoe", &SecretString::from("s3cret"));
        assert_eq!(r.method, billing_http_core::Method::POST);
        assert_eq!(r.path, "auth/signin-external-app/");
        assert_eq!(
            r.retry_safety,
            billing_http_core::RetrySafety::NotIdempotent
        );
        assert_eq!(
            r.body,
            billing_http_core::Body::Json(json!({"username": "jdoe", "password": "s3cret"}))
        );
        let h: Vec<(&str, &str)> = r
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose()))
            .collect();
        assert_eq!(h, vec![(REQUESTOR_HEADER, "timeapp")]);
    }

    #[test]
    fn session_requests_carry_requestor_and_content_type() {
        for (r, path) in [
            (permissions_request("timeapp"), "auth/get-permissions/"),
            (user_request("timeapp"), "auth/get-user/"),
        ] {
            assert_eq!(r.path, path);
            assert!(
                r.headers
                    .iter()
                    .any(|(k, v)| k == REQUESTOR_HEADER && v.expose() == "timeapp")
            );
            assert!(
                r.headers
                    .iter()
                    .any(|(k, v)| k == "content-type" && v.expose() == "application/json")
            );
        }
    }
}
