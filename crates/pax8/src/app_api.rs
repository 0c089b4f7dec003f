//! The undocumented Partner Portal app API (feature `unstable-app-api`, PAX8-Q49).
//!
//! One endpoint is known: `GET {app_api_base_url}/companies/{companyId}/msTenantId`, which
//! answers an object with the company's Microsoft `tenantId`. It is used by older clients with
//! the v1 bearer token, but Pax8 does not document it and it may disappear or stop accepting
//! API-credential tokens at any time. Prefer the `msTenantId` provisioning key of Microsoft
//! products where it serves.

use billing_http_core::Request;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Api, Client, Write};
use crate::error::Error;
use crate::model::CompanyId;
use crate::paths::seg;

/// Answer of the tenant id lookup.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MsTenant {
    /// The Microsoft tenant id.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Anything else in the answer.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

crate::model::models!(MsTenant);

impl Client {
    /// The Microsoft tenant id of a company, from the undocumented app API (unstable).
    pub async fn ms_tenant_id(&self, company: impl Into<CompanyId>) -> Result<MsTenant, Error> {
        let company = company.into();
        let req = Request::get(
            format!("companies/{}/msTenantId", seg(&company)?),
            "app.ms_tenant_id",
        );
        self.send_json_on(Api::App, req, Write::Read).await
    }
}
