//! Credentials: how a request is authorised.
//!
//! Every vendor crate authorises requests through one trait, [`Auth`], whatever the vendor
//! uses: a static API key in the form body (PPMS `apikey`), a token header (Cloudspot
//! `X-ERP-TOKEN`) or an OAuth2 bearer token (Pax8). [`Placement`] says where the secret goes.
//!
//! The client calls [`Auth::authorize`] before every attempt; when the server answers with an
//! auth failure it calls [`Auth::unauthorized`] with the [`AuthTicket`] of the credential that
//! was used. A static key answers `false` (retrying cannot help); a token cache drops that token
//! and answers `true`, and the client retries exactly once with a fresh token.
//!
//! ## Tokens
//!
//! Vendors that issue tokens (Pax8 client credentials, Cloudspot user sign-in) implement a
//! [`TokenSource`]; a [`TokenCache`] in front of it is the [`Auth`] the client uses. It
//! fetches single-flight (N concurrent callers, one token request), refreshes ahead of expiry
//! (margin plus jitter), drops a token the server rejected and lets the client retry once,
//! waits a floor between failed fetches, and keeps tokens in a [`TokenStore`]. A token
//! obtained elsewhere is served through the same interface by [`StaticToken`]; a plain API key
//! stays a [`StaticKey`].
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::{Duration, SystemTime};
//! use billing_http_core::auth::{Placement, Token, TokenCache, TokenSourceFn};
//! use billing_http_core::auth::store::{FileStore, TokenKey};
//!
//! # fn run() -> Result<(), billing_http_core::Error> {
//! let source = TokenSourceFn::new("pax8-client-credentials", || async {
//!     // POST the token endpoint (through a `Client` with `NoAuth`), then:
//!     Ok(Token::bearer("example", Some(SystemTime::now() + Duration::from_secs(86_400))))
//! });
//! let key = TokenKey::new("pax8", "https://api.pax8.com/v1/token", "my-client-id")
//!     .with_scope("https://api.pax8.com");
//! let cache = TokenCache::builder(source, key)
//!     .store(Arc::new(FileStore::default_location()?))
//!     .max_lifetime(Duration::from_secs(86_400))
//!     .placement(Placement::Bearer)
//!     .build();
//! let client = billing_http_core::Client::builder("pax8", "https://api.pax8.com/v1/")
//!     .auth(Arc::new(cache))
//!     .build()?;
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
//!
//! ## Choosing a token store
//!
//! A store is keyed by vendor + base URL + a SHA-256 hash of the client id; the client secret
//! is never stored anywhere, only the access token, its type and its expiry.
//!
//! | store | use it when | security trade-off |
//! |---|---|---|
//! | [`MemoryStore`](store::MemoryStore) (default) | long-running services; tests | nothing at rest; every process start costs one token request |
//! | [`FileStore`](store::FileStore) | CLIs started many times a day, several worker processes of one user | token in clear text in a 0600 file in a 0700 folder: readable by the same user, by root, and by anything that copies the home folder (backups, sync) until it expires |
//! | [`KeyringStore`](store::keyring::KeyringStore) (`keyring`) | workstations and servers where the OS keyring is available (Linux kernel keyutils works headless) | out of the file system; readable by processes of the same user; Linux keyutils forgets on reboot; no cross-process refresh lock |
//! | [`EncryptedFileStore`](store::encrypted::EncryptedFileStore) (`encrypted`) | like the file store, when home folders are backed up or shared | XChaCha20-Poly1305 with a key from an env var or the keyring: a copied or tampered file is useless/a miss; whoever holds the key can read it |
//! | [`RedisStore`](store::redis::RedisStore) (`redis`) | a fleet of machines sharing one account and its rate limit | one token per fleet and a Redis-side refresh lock; everyone who can read the database can use the token: protect it with ACLs and TLS |
//!
//! The guide `docs/token-storage.md` in the repository says more.

use std::fmt;

use futures::future::BoxFuture;
use secrecy::SecretString;

use crate::error::Error;
use crate::request::{Request, Value};

pub mod store;
pub mod token;

pub use store::{TokenKey, TokenStore};
pub use token::{StaticToken, Token, TokenCache, TokenCacheBuilder, TokenSource, TokenSourceFn};

/// Checks a credential (API key, client id or secret, token) at a builder's `build()`: refuses an
/// empty value, white space at either end, and any control character (CR, LF, NUL, TAB, DEL, …):
/// CR or LF in a header value would break every request — or inject a header — so it fails once,
/// at `build()`, with an [`Error::is_invalid_input`] config error that names `name` and never
/// shows the value.
///
/// ```
/// use billing_http_core::auth::validate_secret;
/// assert!(validate_secret("api key", "k-123").is_ok());
/// let e = validate_secret("api key", "k-123\r\nX-Evil: 1").unwrap_err();
/// assert!(e.is_invalid_input());
/// assert!(!e.to_string().contains("k-123"));
/// ```
pub fn validate_secret(name: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::config(format!("{name} is empty")));
    }
    if value.trim() != value {
        return Err(Error::config(format!(
            "{name} starts or ends with white space"
        )));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(Error::config(format!(
            "{name} contains a control character ({})",
            c.escape_unicode()
        )));
    }
    Ok(())
}

/// Checks a slug that becomes one path segment of every request (a company or tenant name)
/// at `build()`: everything [`validate_secret`] refuses, and also `/`, `\`, `?`, `#`, `%`,
/// white space, and the dot segments `.` and `..`, any of which would change the shape of the
/// request path.
pub fn validate_slug(name: &str, value: &str) -> Result<(), Error> {
    validate_secret(name, value)?;
    if value == "." || value == ".." {
        return Err(Error::config(format!("{name} must not be a dot segment")));
    }
    if let Some(c) = value
        .chars()
        .find(|c| matches!(c, '/' | '\\' | '?' | '#' | '%') || c.is_whitespace())
    {
        return Err(Error::config(format!(
            "{name} must not contain {c:?}: it becomes a path segment"
        )));
    }
    Ok(())
}

/// Where a credential goes on the request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Placement {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// A header with the raw value (e.g. `X-ERP-TOKEN`).
    Header(String),
    /// A form field (e.g. PUMAPI's `apikey`); the request body becomes a form if empty.
    FormField(String),
    /// A query parameter.
    Query(String),
}

impl Placement {
    /// Puts `secret` onto `request` at this place.
    pub fn apply(&self, request: &mut Request, secret: &SecretString) {
        let value = Value::Secret(secret.clone());
        match self {
            Placement::Bearer => {
                use secrecy::ExposeSecret;
                let bearer = SecretString::from(format!("Bearer {}", secret.expose_secret()));
                request
                    .headers
                    .push(("authorization".to_owned(), Value::Secret(bearer)));
            }
            Placement::Header(name) => request.headers.push((name.clone(), value)),
            Placement::FormField(name) => request.push_form(name.clone(), value),
            Placement::Query(name) => request.query.push((name.clone(), value)),
        }
    }
}

/// Identifies the credential used for one attempt, so that a rejection invalidates that
/// credential and not a newer one fetched meanwhile by another task.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AuthTicket(pub u64);

/// Authorises requests.
pub trait Auth: Send + Sync + fmt::Debug {
    /// Adds credentials to `request` and returns the ticket of the credential used.
    fn authorize<'a>(
        &'a self,
        request: &'a mut Request,
    ) -> BoxFuture<'a, Result<AuthTicket, Error>>;

    /// The server rejected the credential of `ticket`. Returns `true` if retrying with a fresh
    /// credential can help (the rejected one has then been dropped).
    fn unauthorized(&self, ticket: AuthTicket) -> BoxFuture<'_, bool> {
        let _ = ticket;
        Box::pin(futures::future::ready(false))
    }
}

/// No credentials (token endpoints, public calls).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAuth;

impl Auth for NoAuth {
    fn authorize<'a>(
        &'a self,
        _request: &'a mut Request,
    ) -> BoxFuture<'a, Result<AuthTicket, Error>> {
        Box::pin(futures::future::ready(Ok(AuthTicket::default())))
    }
}

/// A static secret (API key, master password) placed on every request.
///
/// `Debug` never shows the secret.
#[derive(Clone)]
pub struct StaticKey {
    secret: SecretString,
    placement: Placement,
}

impl StaticKey {
    /// A static key placed at `placement`.
    pub fn new(secret: impl Into<SecretString>, placement: Placement) -> Self {
        StaticKey {
            secret: secret.into(),
            placement,
        }
    }
}

impl fmt::Debug for StaticKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticKey")
            .field("secret", &"[REDACTED]")
            .field("placement", &self.placement)
            .finish()
    }
}

impl Auth for StaticKey {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Request,
    ) -> BoxFuture<'a, Result<AuthTicket, Error>> {
        self.placement.apply(request, &self.secret);
        Box::pin(futures::future::ready(Ok(AuthTicket::default())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Body;
    use secrecy::ExposeSecret;

    #[tokio::test]
    async fn static_key_goes_into_the_form_and_is_redacted() {
        let auth = StaticKey::new("k-123".to_owned(), Placement::FormField("apikey".into()));
        let mut req = Request::post("", "getuser").form("action", "getuser");
        auth.authorize(&mut req)
            .await
            .expect("static key never fails");
        assert_eq!(
            req.body.form_field("apikey").map(|v| v.expose()),
            Some("k-123")
        );
        assert!(matches!(req.body, Body::Form(ref f) if f.len() == 2));
        assert!(!format!("{req:?}").contains("k-123"));
        assert!(!format!("{auth:?}").contains("k-123"));
        assert!(!auth.unauthorized(AuthTicket::default()).await);
    }

    #[test]
    fn credentials_with_crlf_nul_or_other_control_characters_are_refused() {
        for bad in [
            "k\r\nX-Injected: 1",
            "k\n",
            "k\0",
            "k\tk",
            "k\u{7f}",
            "k\u{85}",
            "",
            " k",
            "k ",
        ] {
            let e = validate_secret("api key", bad).expect_err(bad);
            assert!(e.is_invalid_input(), "{bad:?}");
            assert!(!e.may_have_reached_server());
            assert!(e.to_string().contains("api key"), "{e}");
        }
        let e = validate_secret("api key", "topsecret\n").expect_err("a newline is refused");
        assert!(!format!("{e} {e:?}").contains("topsecret"));
        for good in ["k-123", "eyJhbGciOi.x_y-z", "clé-ünïcode"] {
            validate_secret("api key", good).expect(good);
        }
        for bad in [".", "..", "a/b", "a\\b", "a?b", "a#b", "a%2F", "a b", "a\r"] {
            assert!(
                validate_slug("slug", bad)
                    .expect_err(bad)
                    .is_invalid_input(),
                "{bad:?}"
            );
        }
        validate_slug("slug", "my-company_1.be").expect("an ordinary slug");
    }

    #[test]
    fn bearer_placement_builds_authorization_header() {
        let mut req = Request::get("companies", "companies.list");
        Placement::Bearer.apply(&mut req, &SecretString::from("tok"));
        let (name, value) = &req.headers[0];
        assert_eq!(name, "authorization");
        assert_eq!(value.expose(), "Bearer tok");
        let Value::Secret(s) = value else {
            panic!("bearer must be secret")
        };
        assert_eq!(s.expose_secret(), "Bearer tok");
    }
}
