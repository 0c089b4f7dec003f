//! Systems and rights: `getsystems`, `getsysrights`, `getuserrights`, `setright`.

use crate::client::{Client, read, write};
use crate::error::Error;
use crate::model::Login;
use crate::model::{RightType, System, SystemId, SystemRight, UserRight, systems_matching};
use crate::parse::{Parsed, Table, parse_rights, parse_rights_lenient, token};

/// System and rights calls; see [`Client::systems`].
#[derive(Debug, Clone, Copy)]
pub struct Systems<'a> {
    pub(crate) client: &'a Client,
}

impl Client {
    /// System and rights calls.
    pub fn systems(&self) -> Systems<'_> {
        Systems { client: self }
    }
}

impl Systems<'_> {
    /// `getsystems`: every system. Rows with an unparsable id are skipped and reported in
    /// [`Parsed::warnings`] (PPMS-Q44) unless the client is strict.
    ///
    /// Memory: one [`System`] per row (about 130 bytes, however short the row). For large
    /// tables use [`Systems::list_table`], which keeps the body and 4 bytes per row.
    pub async fn list(&self) -> Result<Parsed<System>, Error> {
        self.client
            .send(read("getsystems"))
            .await?
            .table(self.client.row_policy())
    }

    /// `getsystems` as a [`Table`]: the same rows and warnings as [`Systems::list`], kept as
    /// the body plus 4 bytes per row and decoded when read: at most about 3× the body for the
    /// narrowest rows, 1.0–1.3× for real ones (`docs/benchmarks.md`, "ppms" (c)).
    pub async fn list_table(&self) -> Result<Table<System>, Error> {
        self.client
            .send(read("getsystems"))
            .await?
            .lazy_table(self.client.row_policy())
    }

    /// `getsystems` with `id`: one system. An unknown id (no row with that id; some servers
    /// answer every system for an id they do not know) is [`Error::NotFound`]
    /// (`is_not_found()`).
    pub async fn get(&self, id: impl Into<SystemId>) -> Result<System, Error> {
        let id = id.into();
        let r = self
            .client
            .send(read("getsystems").form("id", id.to_string()))
            .await?;
        r.table::<System>(self.client.row_policy())?
            .into_iter()
            .find(|s| s.system_id == id)
            .ok_or_else(|| r.not_found(format!("system {id}")))
    }

    /// `getsystems`, then the systems whose `Localisation` contains `location_contains` and whose
    /// name contains `name_contains` (case-insensitive, trimmed; an empty needle does not filter),
    /// as pyppms' `get_systems_matching` offers. A substring search for people: to map exact
    /// names (the running sheet's) to ids, use [`crate::resolve_system`], where `Confocal 1`
    /// never matches `Confocal 10`.
    pub async fn matching(
        &self,
        location_contains: &str,
        name_contains: &str,
    ) -> Result<Vec<System>, Error> {
        let systems = self.list().await?;
        Ok(systems_matching(&systems, location_contains, name_contains)
            .into_iter()
            .cloned()
            .collect())
    }

    /// `getsysrights`: every rights line of a system, in order; one login may appear twice and
    /// `D` lines are deactivated rights (PPMS-Q32, see [`crate::SystemRightsExt`]). A malformed
    /// line is a parse error naming the line (PPMS-Q33).
    pub async fn rights(&self, id: impl Into<SystemId>) -> Result<Vec<SystemRight>, Error> {
        let id = id.into();
        let r = self
            .client
            .send(read("getsysrights").form("id", id.to_string()))
            .await?;
        match r.data()? {
            None => Ok(Vec::new()),
            Some(d) => Ok(r
                .wrap(parse_rights(d))?
                .into_iter()
                .map(SystemRight::from_line)
                .collect()),
        }
    }

    /// `getsysrights` in lenient mode: malformed lines are skipped and reported in
    /// [`Parsed::warnings`] instead of failing the call (PPMS-Q33).
    pub async fn rights_lenient(
        &self,
        id: impl Into<SystemId>,
    ) -> Result<Parsed<SystemRight>, Error> {
        let id = id.into();
        let r = self
            .client
            .send(read("getsysrights").form("id", id.to_string()))
            .await?;
        Ok(match r.data()? {
            None => Parsed::default(),
            Some(d) => parse_rights_lenient(d).map(SystemRight::from_line),
        })
    }

    /// `getuserrights`: the rights of one user on every system.
    pub async fn user_rights(&self, login: impl Into<Login>) -> Result<Vec<UserRight>, Error> {
        let login: Login = login.into();
        let login = login.as_str();
        let r = self
            .client
            .send(read("getuserrights").form("login", login))
            .await?;
        match r.data()? {
            None => Ok(Vec::new()),
            Some(d) => {
                let lines = r.wrap(parse_rights(d))?;
                r.wrap(lines.into_iter().map(UserRight::from_line).collect())
            }
        }
    }

    /// `setright`: only the four valid letters can be sent (PPMS-Q31); success is exactly
    /// `done`, anything else is an error.
    pub async fn set_right(
        &self,
        id: impl Into<SystemId>,
        login: impl Into<Login>,
        right: RightType,
    ) -> Result<(), Error> {
        let login: Login = login.into();
        let login = login.as_str();
        let id = id.into();
        if login.trim().is_empty() {
            return Err(Error::validation("setright", "empty login"));
        }
        let req = write("setright")
            .form("id", id.to_string())
            .form("login", login)
            .form("type", right.letter())
            .retry_safety(billing_http_core::RetrySafety::Idempotent);
        let r = self.client.send(req).await?;
        let body = r.answer()?;
        if token::is_done(body) {
            Ok(())
        } else {
            Err(r.unexpected(body))
        }
    }
}
