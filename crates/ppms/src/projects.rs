//! Projects and billing codes: `getprojects`, `getuserprojects`, `getprojectusers`,
//! `getprojectgroups`, `getbcodes`.

use crate::model::Login;
use billing_http_core::Request;
use chrono::NaiveDate;

use crate::client::{Client, RawResponse, read, write};
use crate::error::Error;
use crate::model::{BillingCode, CoreFacilityId, Project, ProjectId};
use crate::parse::{Lines, Parsed, Table, parse_id_lines};

/// Project and billing-code calls; see [`Client::projects`].
#[derive(Debug, Clone, Copy)]
pub struct Projects<'a> {
    pub(crate) client: &'a Client,
}

impl Client {
    /// Project and billing-code calls.
    pub fn projects(&self) -> Projects<'_> {
        Projects { client: self }
    }
}

/// The fields of `newproject` / `updproject`; only set fields are sent. Which of them the server
/// requires is undocumented.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProjectParams {
    /// `plateformid`: the core facility (spelt that way, PPMS-Q30).
    pub core: Option<CoreFacilityId>,
    /// `name`.
    pub name: Option<String>,
    /// `bcode`.
    pub bcode: Option<String>,
    /// `phase`.
    pub phase: Option<String>,
    /// `affiliation`.
    pub affiliation: Option<String>,
    /// `ptype`: the project type.
    pub project_type: Option<String>,
    /// `active`.
    pub active: Option<bool>,
}

impl ProjectParams {
    fn apply(&self, mut req: Request) -> Request {
        req = req.form_opt("plateformid", self.core.map(|c| c.to_string()));
        for (k, v) in [
            ("name", &self.name),
            ("bcode", &self.bcode),
            ("phase", &self.phase),
            ("affiliation", &self.affiliation),
            ("ptype", &self.project_type),
        ] {
            req = req.form_opt(k, v.clone());
        }
        req.form_opt("active", self.active.map(|a| a.to_string()))
    }
}

impl Projects<'_> {
    /// `newproject` (not idempotent; the success body is undocumented).
    pub async fn create(&self, params: &ProjectParams) -> Result<RawResponse, Error> {
        self.client
            .send(params.apply(write("newproject")))
            .await?
            .raw()
    }

    /// `updproject` (the success body is undocumented).
    pub async fn update(
        &self,
        project: impl Into<ProjectId>,
        params: &ProjectParams,
    ) -> Result<RawResponse, Error> {
        let project = project.into();
        let req = params
            .apply(write("updproject").form("projectid", project.to_string()))
            .retry_safety(billing_http_core::RetrySafety::Idempotent);
        self.client.send(req).await?.raw()
    }

    /// `addprojectentry`: adds a journal entry to a project (not idempotent).
    pub async fn add_entry(
        &self,
        project: impl Into<ProjectId>,
        title: &str,
        content: &str,
    ) -> Result<RawResponse, Error> {
        let project = project.into();
        let req = write("addprojectentry")
            .form("projectid", project.to_string())
            .form("title", title)
            .form("content", content);
        self.client.send(req).await?.raw()
    }

    /// `addvalidbcode`: declares an account number valid until `expiration`.
    pub async fn add_valid_bcode(
        &self,
        bcode: &str,
        expiration: NaiveDate,
    ) -> Result<RawResponse, Error> {
        let req = write("addvalidbcode")
            .form("bcode", bcode)
            .form("expirationdate", expiration.format("%Y-%m-%d").to_string())
            .retry_safety(billing_http_core::RetrySafety::Idempotent);
        self.client.send(req).await?.raw()
    }

    /// `delvalidbcode`: removes an account number from the valid ones.
    pub async fn remove_valid_bcode(&self, bcode: &str) -> Result<RawResponse, Error> {
        let req = write("delvalidbcode")
            .form("bcode", bcode)
            .retry_safety(billing_http_core::RetrySafety::Idempotent);
        self.client.send(req).await?.raw()
    }

    /// `getprojects`: every project.
    ///
    /// Memory: one [`Project`] per row, however short the row. For large tables use
    /// [`Projects::list_table`], which keeps the body and 4 bytes per row.
    pub async fn list(&self) -> Result<Parsed<Project>, Error> {
        self.client
            .send(read("getprojects"))
            .await?
            .table(self.client.row_policy())
    }

    /// `getprojects` as a [`Table`]: the same rows and warnings as [`Projects::list`], kept as
    /// the body plus 4 bytes per row and decoded when read.
    pub async fn list_table(&self) -> Result<Table<Project>, Error> {
        self.client
            .send(read("getprojects"))
            .await?
            .lazy_table(self.client.row_policy())
    }

    /// `getuserprojects`: the ids of a user's projects.
    pub async fn of_user(&self, login: impl Into<Login>) -> Result<Vec<ProjectId>, Error> {
        let login: Login = login.into();
        let login = login.as_str();
        let r = self
            .client
            .send(read("getuserprojects").form("login", login))
            .await?;
        match r.data()? {
            None => Ok(Vec::new()),
            Some(d) => Ok(r
                .wrap(parse_id_lines(d))?
                .into_iter()
                .map(ProjectId)
                .collect()),
        }
    }

    /// `getprojectusers`: the logins of a project's members.
    ///
    /// Memory: one `String` per login; [`Projects::users_lines`] keeps the body and 4 bytes
    /// per login.
    pub async fn users(&self, project: impl Into<ProjectId>) -> Result<Vec<String>, Error> {
        self.client
            .send(users_request(project.into()))
            .await?
            .lines()
    }

    /// `getprojectusers` as [`Lines`]: the same logins as [`Projects::users`], kept as the
    /// body plus 4 bytes per login and decoded when read.
    pub async fn users_lines(&self, project: impl Into<ProjectId>) -> Result<Lines, Error> {
        let req = users_request(project.into());
        self.client.send(req).await?.lazy_lines()
    }

    /// `getprojectgroups`: the body is undocumented (probably one unitlogin per line).
    pub async fn groups(&self, project: impl Into<ProjectId>) -> Result<RawResponse, Error> {
        let project = project.into();
        self.client
            .send(read("getprojectgroups").form("projectid", project.to_string()))
            .await?
            .raw()
    }

    /// `getbcodes`: billing codes, columns matched by name with aliases (PPMS-Q15).
    pub async fn billing_codes(&self) -> Result<Parsed<BillingCode>, Error> {
        self.client
            .send(read("getbcodes"))
            .await?
            .table(self.client.row_policy())
    }
}

/// `getprojectusers` for `project`.
fn users_request(project: ProjectId) -> Request {
    read("getprojectusers").form("projectid", project.to_string())
}
