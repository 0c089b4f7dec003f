//! Groups: `getgroups`, `getgroup`, `getgroupusers`, `newgroup`, `updgroup`.

use crate::model::UnitLogin;
use billing_http_core::Request;

use crate::client::{Client, RawResponse, read, write};
use crate::error::Error;
use crate::model::{ActiveFilter, Group};
use crate::parse::Lines;
use crate::users::with_active;

pub use crate::model::GroupParams;

/// Group calls; see [`Client::groups`].
#[derive(Debug, Clone, Copy)]
pub struct Groups<'a> {
    pub(crate) client: &'a Client,
}

impl Client {
    /// Group calls.
    pub fn groups(&self) -> Groups<'_> {
        Groups { client: self }
    }
}

impl Groups<'_> {
    /// `getgroups`: unitlogins, filtered by the `active` tri-state (PPMS-Q37).
    ///
    /// Memory: one `String` per unitlogin; [`Groups::list_lines`] keeps the body and 4 bytes
    /// per unitlogin.
    pub async fn list(&self, filter: ActiveFilter) -> Result<Vec<String>, Error> {
        self.client
            .send(with_active(read("getgroups"), filter))
            .await?
            .lines()
    }

    /// `getgroups` as [`Lines`]: the same unitlogins as [`Groups::list`], kept as the body plus
    /// 4 bytes per unitlogin and decoded when read.
    pub async fn list_lines(&self, filter: ActiveFilter) -> Result<Lines, Error> {
        self.client
            .send(with_active(read("getgroups"), filter))
            .await?
            .lazy_lines()
    }

    /// `getgroup`: one group. An unknown group (PUMAPI's empty body) is [`Error::NotFound`]
    /// (`is_not_found()`); an empty unitlogin is refused before sending.
    pub async fn get(&self, unitlogin: impl Into<UnitLogin>) -> Result<Group, Error> {
        let unitlogin: UnitLogin = unitlogin.into();
        let unitlogin = unitlogin.as_str();
        if unitlogin.trim().is_empty() {
            return Err(Error::validation("getgroup", "empty unitlogin"));
        }
        self.client
            .send(read("getgroup").form("unitlogin", unitlogin))
            .await?
            .single(|| format!("group {unitlogin}"))
    }

    /// `getgroupusers`: the members' logins. An unknown group and an empty group both give an
    /// empty list (PPMS-Q36); see [`Groups::members_checked`].
    ///
    /// Memory: one `String` per login; [`Groups::members_lines`] keeps the body and 4 bytes per
    /// login.
    pub async fn members(
        &self,
        unitlogin: impl Into<UnitLogin>,
        filter: ActiveFilter,
    ) -> Result<Vec<String>, Error> {
        let unitlogin: UnitLogin = unitlogin.into();
        let unitlogin = unitlogin.as_str();
        self.client
            .send(members_request(unitlogin, filter))
            .await?
            .lines()
    }

    /// `getgroupusers` as [`Lines`]: the same logins as [`Groups::members`], kept as the body
    /// plus 4 bytes per login and decoded when read.
    pub async fn members_lines(
        &self,
        unitlogin: impl Into<UnitLogin>,
        filter: ActiveFilter,
    ) -> Result<Lines, Error> {
        let unitlogin: UnitLogin = unitlogin.into();
        let req = members_request(unitlogin.as_str(), filter);
        self.client.send(req).await?.lazy_lines()
    }

    /// Confirms the group with `getgroup` first: an unknown group is [`Error::NotFound`]
    /// (`is_not_found()`), a known one gives its members, possibly none (PPMS-Q36).
    pub async fn members_checked(
        &self,
        unitlogin: impl Into<UnitLogin>,
        filter: ActiveFilter,
    ) -> Result<Vec<String>, Error> {
        let unitlogin: UnitLogin = unitlogin.into();
        let unitlogin = unitlogin.as_str();
        self.get(unitlogin).await?;
        self.members(unitlogin, filter).await
    }

    /// `newgroup` (an upsert on the server, PPMS-Q35). The success body is undocumented.
    pub async fn create(&self, params: &GroupParams) -> Result<RawResponse, Error> {
        self.send(write("newgroup"), params, false).await
    }

    /// `updgroup` (an upsert on the server, PPMS-Q35). The success body is undocumented.
    pub async fn update(&self, params: &GroupParams) -> Result<RawResponse, Error> {
        self.send(write("updgroup"), params, true).await
    }

    async fn send(
        &self,
        mut req: Request,
        params: &GroupParams,
        active: bool,
    ) -> Result<RawResponse, Error> {
        if params.unitlogin.trim().is_empty() {
            return Err(Error::validation(&req.operation, "empty unitlogin"));
        }
        for (k, v) in params.fields(active) {
            req = req.form(k, v);
        }
        self.client.send(req).await?.raw()
    }
}

/// `getgroupusers` for `unitlogin`, filtered by the `active` tri-state.
fn members_request(unitlogin: &str, filter: ActiveFilter) -> Request {
    with_active(read("getgroupusers").form("unitlogin", unitlogin), filter)
}
