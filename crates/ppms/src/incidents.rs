//! Incidents: `createinc` (spelt `creatinc` in 2014, PPMS-Q46) and `getinc`.

use crate::client::{Client, RawResponse, read};
use crate::error::Error;
use crate::model::SystemId;

/// Incident calls; see [`Client::incidents`].
#[derive(Debug, Clone, Copy)]
pub struct Incidents<'a> {
    pub(crate) client: &'a Client,
}

impl Client {
    /// Incident calls.
    pub fn incidents(&self) -> Incidents<'_> {
        Incidents { client: self }
    }
}

/// Incident severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Severity {
    /// 1: low.
    Low,
    /// 2: medium.
    Medium,
    /// 3: high, system down (the server's default).
    #[default]
    High,
}

impl Severity {
    /// An English label for people (`Low`, `Medium`, `High`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Low => "Low",
            Self::Medium => "Medium",
            Self::High => "High",
        }
    }

    fn wire(self) -> &'static str {
        match self {
            Self::Low => "1",
            Self::Medium => "2",
            Self::High => "3",
        }
    }
}

impl Client {
    /// `addsampleresult`: attaches a result to a sample (not idempotent; the success body is
    /// undocumented).
    pub async fn add_sample_result(
        &self,
        sample_id: &str,
        title: &str,
        value: &str,
    ) -> Result<RawResponse, Error> {
        let req = crate::client::write("addsampleresult")
            .form("sampleID", sample_id)
            .form("title", title)
            .form("value", value);
        self.send(req).await?.raw()
    }
}

impl Incidents<'_> {
    /// Reports an incident on a system. The action name is `createinc` unless the client was
    /// built with another one ([`crate::ClientBuilder::incident_action`]). Not idempotent.
    pub async fn create(
        &self,
        system: impl Into<SystemId>,
        severity: Severity,
        description: &str,
    ) -> Result<RawResponse, Error> {
        let system = system.into();
        let action = self.client.inner.incident_action.clone();
        let req = billing_http_core::Request::post("", action.clone())
            .form("action", action)
            .form("id", system.to_string())
            .form("severity", severity.wire())
            .form("descr", description)
            .not_idempotent();
        self.client.send(req).await?.raw()
    }

    /// `getinc`: the incidents of a system (body undocumented).
    pub async fn list(&self, system: impl Into<SystemId>) -> Result<RawResponse, Error> {
        let system = system.into();
        self.client
            .send(read("getinc").form("id", system.to_string()))
            .await?
            .raw()
    }
}
