//! Projects and billing codes: `getprojects`, `getuserprojects`, `getprojectusers`,
//! `getprojectgroups`, `getbcodes`.

use crate::client::{Client, RawResponse, read};
use crate::error::Error;
use crate::model::{BillingCode, Project, ProjectId};
use crate::parse::{Parsed, parse_id_lines};

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

impl Projects<'_> {
    /// `getprojects`: every project.
    pub async fn list(&self) -> Result<Parsed<Project>, Error> {
        self.client
            .send(read("getprojects"))
            .await?
            .table(self.client.row_policy())
    }

    /// `getuserprojects`: the ids of a user's projects.
    pub async fn of_user(&self, login: &str) -> Result<Vec<ProjectId>, Error> {
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
    pub async fn users(&self, project: ProjectId) -> Result<Vec<String>, Error> {
        self.client
            .send(read("getprojectusers").form("projectid", project.to_string()))
            .await?
            .lines()
    }

    /// `getprojectgroups`: the body is undocumented (probably one unitlogin per line).
    pub async fn groups(&self, project: ProjectId) -> Result<RawResponse, Error> {
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
