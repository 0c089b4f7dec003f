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
//! The session token is held in a small token cache per `UserClient` (one client per user):
//! calls authorise with the cached token, and when the server answers 401 the token is
//! dropped and, if the client holds the user's credentials (after [`UserClient::sign_in`] or
//! [`UserClientBuilder::credentials`]), fetched again **once** by signing in again
//! (single-flight: concurrent callers share one sign-in). Without credentials, a missing token
//! is [`NoValidToken::Missing`] (nothing is sent) and a refused one
//! [`NoValidToken::Rejected`]. Wrong credentials are [`Error::BadCredentials`], a distinct
//! error.
#![allow(deprecated)]

use std::{fmt, sync::Arc};

use futures::future::BoxFuture;
use http_core::auth::{Auth, AuthTicket, NoAuth};
use http_core::{Request, SecretString};
use secrecy::ExposeSecret;
use serde_json::json;
use tokio::sync::Mutex;

use crate::client::{Settings, settings_setters};
use crate::endpoints::{self, REQUESTOR_HEADER, TOKEN_HEADER};
use crate::error::{Detail, Error, Family, NoValidToken, Result, body_error, from_http};
use crate::model::envelope::decode_flat;
use crate::model::{AuthResponse, PermissionsResponse, User};

/// Validates and lower-cases an external-app slug (CS-Q09).
pub(crate) fn requestor_slug(raw: &str) -> Result<String> {
    if raw.is_empty() || raw.trim() != raw {
        return Err(Error::Transport(
            http_core::Error::config("requestor slug is empty or padded with whitespace")
                .with_vendor("cloudspot"),
        ));
    }
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

#[derive(Default)]
struct State {
    token: Option<SecretString>,
    ticket: u64,
    credentials: Option<Credentials>,
}

/// The session-token cache: one token per client (per user), refetched by signing in again.
struct Session {
    requestor: String,
    signin: http_core::Client,
    state: Mutex<State>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("requestor", &self.requestor)
            .field("token", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Signs in and returns the decoded answer (does not touch the state).
    async fn sign_in(&self, creds: &Credentials) -> Result<AuthResponse> {
        let req = signin_request(&self.requestor, &creds.username, &creds.password);
        let resp = self
            .signin
            .execute(req)
            .await
            .map_err(|e| from_http(e, Family::SignIn, "auth"))?;
        decode_flat::<AuthResponse>(&resp.body)
            .map_err(|p| body_error(p, "auth.signin", resp.header("content-type"), &resp.body))
    }

    fn store(state: &mut State, token: Option<SecretString>) -> u64 {
        state.ticket += 1;
        state.token = token;
        state.ticket
    }
}

/// Carries a sign-in failure that happened while authorising through `http-core`.
fn signin_failure(e: Error) -> http_core::Error {
    match e {
        Error::Transport(inner) => inner,
        other => {
            let api = other.api_error().cloned();
            let mut err = http_core::Error::new(http_core::ErrorKind::Token, other.to_string())
                .with_vendor("cloudspot");
            if let Some(api) = api {
                if let Ok(status) = http_core::StatusCode::from_u16(api.status) {
                    err = err.with_status(status);
                }
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

impl Auth for Session {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Request,
    ) -> BoxFuture<'a, std::result::Result<AuthTicket, http_core::Error>> {
        Box::pin(async move {
            let mut state = self.state.lock().await;
            if state.token.is_none() {
                let Some(creds) = state.credentials.clone() else {
                    return Err(http_core::Error::new(
                        http_core::ErrorKind::Token,
                        "no session token held",
                    )
                    .with_vendor("cloudspot")
                    .with_reached_server(false)
                    .with_source(MissingToken));
                };
                // Single-flight: the lock is held while signing in.
                let answer = self.sign_in(&creds).await.map_err(signin_failure)?;
                Session::store(&mut state, answer.token);
            }
            let Some(token) = state.token.clone() else {
                return Err(http_core::Error::new(
                    http_core::ErrorKind::Token,
                    "sign-in answered without a token",
                )
                .with_vendor("cloudspot")
                .with_source(MissingToken));
            };
            request
                .headers
                .push((TOKEN_HEADER.to_owned(), http_core::Value::Secret(token)));
            Ok(AuthTicket(state.ticket))
        })
    }

    fn unauthorized(&self, ticket: AuthTicket) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let mut state = self.state.lock().await;
            if state.ticket == ticket.0 {
                Session::store(&mut state, None);
            }
            // A fresh token can only be fetched with credentials.
            state.credentials.is_some()
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

/// Maps an error of a session call.
fn session_error(e: http_core::Error) -> Error {
    let source = std::error::Error::source(&e);
    if source.is_some_and(|s| s.is::<MissingToken>()) {
        return Error::NoValidToken(NoValidToken::Missing);
    }
    from_http(e, Family::Session, "auth")
}

/// Builds a [`UserClient`].
#[deprecated(
    note = "Cloudspot deprecated the ERP external-app login on 2023-03-14 in favour \
                     of its License server (not covered by this crate); see `cloudspot::user`"
)]
pub struct UserClientBuilder {
    requestor: String,
    token: Option<SecretString>,
    credentials: Option<Credentials>,
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
    settings_setters!();

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

    /// Builds the client. Fails on an empty or whitespace-padded requestor slug (CS-Q09).
    pub fn build(self) -> Result<UserClient> {
        let requestor = requestor_slug(&self.requestor)?;
        let signin = self.settings.http_client(Arc::new(NoAuth))?;
        let session = Arc::new(Session {
            requestor: requestor.clone(),
            signin,
            state: Mutex::new(State {
                token: self.token,
                ticket: 1,
                credentials: self.credentials,
            }),
        });
        let http = self.settings.http_client(session.clone())?;
        Ok(UserClient {
            requestor,
            session,
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
    session: Arc<Session>,
    http: http_core::Client,
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
            settings: Settings::default(),
        }
    }

    /// The lower-cased requestor slug sent as `X-ERP-REQUESTOR`.
    pub fn requestor(&self) -> &str {
        &self.requestor
    }

    /// E6 `POST auth/signin-external-app/`: signs the user in. On success the session token
    /// is cached (and the credentials kept, so that an expired token is fetched again once).
    ///
    /// A 400, 401 or 403 is [`Error::BadCredentials`]; an outage keeps its own variant.
    pub async fn sign_in(
        &self,
        username: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Result<AuthResponse> {
        let creds = Credentials {
            username: username.into(),
            password: password.into(),
        };
        let answer = self.session.sign_in(&creds).await?;
        let mut state = self.session.state.lock().await;
        Session::store(&mut state, answer.token.clone());
        state.credentials = Some(creds);
        Ok(answer)
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

    /// The cached session token, if any (to store it per user in the app).
    pub async fn session_token(&self) -> Option<SecretString> {
        self.session.state.lock().await.token.clone()
    }

    /// Forgets the cached session token and credentials locally (there is no logout
    /// endpoint).
    pub async fn forget(&self) {
        let mut state = self.session.state.lock().await;
        Session::store(&mut state, None);
        state.credentials = None;
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
        assert_eq!(r.method, http_core::Method::POST);
        assert_eq!(r.path, "auth/signin-external-app/");
        assert_eq!(r.retry_safety, http_core::RetrySafety::NotIdempotent);
        assert_eq!(
            r.body,
            http_core::Body::Json(json!({"username": "jdoe", "password": "s3cret"}))
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
