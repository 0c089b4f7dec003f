//! Users: `getusers`, `getuser`, `getadmins`, `newuser`, `upduser`, `auth` (user check).

use crate::model::Login;
use billing_http_core::{ExposeSecret, OptionalExt, Request, SecretString, Value};

use crate::cache::Fetched;
use crate::client::{Client, RawResponse, read, write};
use crate::error::Error;
use crate::model::{ActiveFilter, AuthOutcome, User};
use crate::parse::{Lines, token};

pub use crate::model::UserParams;

/// User calls; see [`Client::users`].
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    pub(crate) client: &'a Client,
}

impl Client {
    /// User calls.
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }
}

pub(crate) fn with_active(req: Request, filter: ActiveFilter) -> Request {
    req.form_opt("active", filter.wire_value())
}

impl Users<'_> {
    /// `getusers`: logins, filtered by the `active` tri-state (PPMS-Q37: `Inactive` returns only
    /// inactive users; `All` sends no parameter).
    ///
    /// Memory: one `String` per login (24 bytes plus its own allocation, however short the
    /// login): 6.6× the body for 3 M logins of 8 characters, 20–29× for one-character logins.
    /// For large lists use [`Users::list_lines`], which keeps the body and 4 bytes per login.
    pub async fn list(&self, filter: ActiveFilter) -> Result<Vec<String>, Error> {
        self.client
            .send(with_active(read("getusers"), filter))
            .await?
            .lines()
    }

    /// `getusers` as [`Lines`]: the same logins as [`Users::list`], kept as the body plus 4
    /// bytes per login and decoded when read: about 3× the body for the narrowest list (`a\n`
    /// repeated), 1.4× for logins of 8 characters (`docs/benchmarks.md`, "ppms" (c)).
    pub async fn list_lines(&self, filter: ActiveFilter) -> Result<Lines, Error> {
        self.client
            .send(with_active(read("getusers"), filter))
            .await?
            .lazy_lines()
    }

    /// `getadmins`: the logins of the administrators.
    ///
    /// Memory: one `String` per login, as [`Users::list`]; [`Users::admins_lines`] keeps the
    /// body and 4 bytes per login.
    pub async fn admins(&self) -> Result<Vec<String>, Error> {
        self.client.send(read("getadmins")).await?.lines()
    }

    /// `getadmins` as [`Lines`]: the same logins as [`Users::admins`], kept as the body plus 4
    /// bytes per login and decoded when read.
    pub async fn admins_lines(&self) -> Result<Lines, Error> {
        self.client.send(read("getadmins")).await?.lazy_lines()
    }

    fn cache_key(&self, login: &str) -> String {
        format!("{}|{}", self.client.inner.endpoints.site, login)
    }

    /// `getuser`: one user. An unknown login (PUMAPI's empty body, PPMS-Q05/Q06) is
    /// [`Error::NotFound`] (`is_not_found()`); write `.await.optional()?` (with
    /// [`crate::OptionalExt`]) for an `Option`.
    ///
    /// Served from the user cache when one is configured and holds a fresh entry.
    pub async fn get(&self, login: impl Into<Login>) -> Result<User, Error> {
        let login: Login = login.into();
        let login = login.as_str();
        self.get_fetched(login, false).await.map(|f| f.value)
    }

    /// `getuser`, saying whether the answer came from the cache; `force_refresh` skips the
    /// cache lookup (the fresh answer is stored).
    ///
    /// Only successfully parsed users are stored; errors and "not found" never are (PPMS-Q50).
    pub async fn get_fetched(
        &self,
        login: impl Into<Login>,
        force_refresh: bool,
    ) -> Result<Fetched<User>, Error> {
        let login: Login = login.into();
        let login = login.as_str();
        if login.trim().is_empty() {
            return Err(Error::validation("getuser", "empty login"));
        }
        let cache = self.client.inner.user_cache.as_ref();
        let key = self.cache_key(login);
        if let (Some(cache), false) = (cache, force_refresh)
            && let Some(user) = cache.get(&key)
        {
            return Ok(Fetched {
                value: user,
                from_cache: true,
            });
        }
        let user = self
            .client
            .send(read("getuser").form("login", login))
            .await?
            .single::<User>(|| format!("login {login}"))?;
        if let Some(cache) = cache {
            cache.put(&key, &user);
        }
        Ok(Fetched {
            value: user,
            from_cache: false,
        })
    }

    /// Drops one login from the user cache.
    pub fn invalidate_cached(&self, login: impl Into<Login>) {
        let login: Login = login.into();
        let login = login.as_str();
        if let Some(cache) = &self.client.inner.user_cache {
            cache.invalidate(&self.cache_key(login));
        }
    }

    /// Empties the user cache.
    pub fn clear_cache(&self) {
        if let Some(cache) = &self.client.inner.user_cache {
            cache.clear();
        }
    }

    /// `auth` with `login` and `pwd`: checks a user's password; `rightcheck` also checks the
    /// user's right on the system (with system authentication). Never cached.
    pub async fn authenticate(
        &self,
        login: impl Into<Login>,
        password: &SecretString,
        rightcheck: bool,
    ) -> Result<AuthOutcome, Error> {
        let login: Login = login.into();
        let login = login.as_str();
        let mut req = read("auth").form("login", login);
        req.push_form("pwd".into(), Value::Secret(password.clone()));
        if rightcheck {
            req = req.form("rightcheck", "true");
        }
        let r = self.client.send(req).await?;
        let body = r.answer()?;
        token::parse_auth_outcome(body).ok_or_else(|| r.unexpected(body))
    }

    /// `newuser` after checking that the login is free and the group exists (PPMS-Q35:
    /// `newuser` is an upsert and creates unknown groups on the server).
    ///
    /// Returns [`Error::AlreadyExists`] or [`Error::GroupNotFound`] without sending `newuser`.
    pub async fn create(&self, params: &UserParams) -> Result<(), Error> {
        Self::check_new(params)?;
        if self
            .get_fetched(&params.login, true)
            .await
            .optional()?
            .is_some()
        {
            return Err(Error::AlreadyExists {
                login: params.login.clone(),
            });
        }
        let unitlogin = params.unitlogin.clone().unwrap_or_default();
        if self
            .client
            .groups()
            .get(&unitlogin)
            .await
            .optional()?
            .is_none()
        {
            return Err(Error::GroupNotFound { unitlogin });
        }
        self.upsert(params).await
    }

    fn check_new(params: &UserParams) -> Result<(), Error> {
        let missing = [
            ("login", Some(&params.login)),
            ("lname", params.last_name.as_ref()),
            ("fname", params.first_name.as_ref()),
            ("email", params.email.as_ref()),
            ("unitlogin", params.unitlogin.as_ref()),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_none_or(|v| v.trim().is_empty()))
        .map(|(k, _)| k)
        .collect::<Vec<_>>();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::validation(
                "newuser",
                format!("missing {}", missing.join(", ")),
            ))
        }
    }

    /// `newuser` without checks: creates the user, or **updates** it if the login exists, and
    /// creates the group if it does not exist (PPMS-Q35). Success is a body containing
    /// `OK newuser`.
    pub async fn upsert(&self, params: &UserParams) -> Result<(), Error> {
        Self::check_new(params)?;
        let r = self
            .client
            .send(user_form(write("newuser"), params, false))
            .await?;
        let body = r.answer()?;
        if token::is_ok_newuser(body) {
            Ok(())
        } else {
            Err(r.unexpected(body))
        }
    }

    /// `upduser`: updates the set fields (creates the user if it does not exist, PPMS-Q35).
    /// The success body is undocumented; any body that is not an error is success.
    pub async fn update(&self, params: &UserParams) -> Result<RawResponse, Error> {
        if params.login.trim().is_empty() {
            return Err(Error::validation("upduser", "empty login"));
        }
        let r = self
            .client
            .send(user_form(write("upduser"), params, true))
            .await?;
        self.invalidate_cached(&params.login);
        r.raw()
    }
}

fn user_form(mut req: Request, params: &UserParams, with_active: bool) -> Request {
    for (k, v) in params.fields(with_active) {
        req = req.form(k, v);
    }
    if let Some(pwd) = &params.password
        && !pwd.expose_secret().is_empty()
    {
        req.push_form("pwd".into(), Value::Secret(pwd.clone()));
    }
    req
}
