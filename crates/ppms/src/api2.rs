//! API2: a separate endpoint (`<site>/API2/`) with its own per-user key, CamelCase actions and
//! `outformat=json` (PPMS-Q47).

use billing_http_core::Request;
use chrono::NaiveDate;
use serde::de::DeserializeOwned;

use crate::client::{Client, Received, send_on};
use crate::error::Error;
use crate::model::{
    Api2Account, Api2Group, Api2Session, Api2User, CoreFacilityId, ReportId, SystemId,
};

/// API2 calls; see [`Client::api2`].
#[derive(Debug, Clone, Copy)]
pub struct Api2<'a> {
    pub(crate) client: &'a Client,
}

impl Client {
    /// API2 calls. They fail with a validation error when no API2 key is configured.
    pub fn api2(&self) -> Api2<'_> {
        Api2 { client: self }
    }
}

impl Api2<'_> {
    /// The start of an API2 request: `action`, `outformat=json`.
    pub fn request(action: &str) -> Request {
        Request::post("", action.to_owned())
            .form("action", action.to_owned())
            .form("outformat", "json")
    }

    async fn send(&self, req: Request) -> Result<Received, Error> {
        let Some(http) = &self.client.inner.api2 else {
            return Err(Error::validation(&req.operation, "no API2 key configured"));
        };
        send_on(http, req, || self.client.now()).await
    }

    /// Sends any API2 request and decodes a JSON array of `T` (an empty body is an empty list;
    /// a body that is not JSON is [`Error::UnexpectedResponse`]).
    pub async fn call<T: DeserializeOwned>(&self, req: Request) -> Result<Vec<T>, Error> {
        let r = self.send(req).await?;
        let Some(text) = r.data()? else {
            return Ok(Vec::new());
        };
        decode_json_rows(&r, text)
    }

    /// `GetSessionsList` for one day (`filter=day`).
    pub async fn sessions(
        &self,
        day: NaiveDate,
        core: impl Into<CoreFacilityId>,
        system: Option<SystemId>,
    ) -> Result<Vec<Api2Session>, Error> {
        let core = core.into();
        let req = Self::request("GetSessionsList")
            .form("date", day.format("%Y-%m-%d").to_string())
            .form("filter", "day")
            .form("coreid", core.to_string())
            .form_opt("systemid", system.map(|s| s.to_string()));
        self.call(req).await
    }

    /// `GetUsersList` (`filter=active`).
    pub async fn users(&self, core: impl Into<CoreFacilityId>) -> Result<Vec<Api2User>, Error> {
        let core = core.into();
        let req = Self::request("GetUsersList")
            .form("coreid", core.to_string())
            .form("filter", "active");
        self.call(req).await
    }

    /// `GetGroupsList`.
    pub async fn groups(&self) -> Result<Vec<Api2Group>, Error> {
        self.call(Self::request("GetGroupsList")).await
    }

    /// `GetPPMSAccounts` (`coreId`, spelt that way, plus `format=json` as one site needs).
    pub async fn accounts(
        &self,
        core: impl Into<CoreFacilityId>,
    ) -> Result<Vec<Api2Account>, Error> {
        let core = core.into();
        let req = Self::request("GetPPMSAccounts")
            .form("coreId", core.to_string())
            .form("format", "json");
        self.call(req).await
    }

    /// `SetSessionBooking`: books a session. The parameters (`coreid`, `systemid`, `projectid`,
    /// `user`, `start`, `end` as `YYYY-MM-DDTHH:MM:SS`, ...) are passed as given; the answer is an
    /// unrecorded JSON array, returned as values. Not idempotent.
    pub async fn book_session(
        &self,
        params: &[(&str, &str)],
    ) -> Result<Vec<serde_json::Value>, Error> {
        let mut req = Self::request("SetSessionBooking").not_idempotent();
        for (k, v) in params {
            req = req.form(*k, *v);
        }
        self.call(req).await
    }

    /// `SetSessionDelete`: deletes a session. The answer is undocumented and returned as text.
    pub async fn delete_session(
        &self,
        core: impl Into<CoreFacilityId>,
        session_id: &str,
    ) -> Result<crate::RawResponse, Error> {
        let core = core.into();
        let req = Self::request("SetSessionDelete")
            .form("coreid", core.to_string())
            .form("sessionid", session_id)
            .retry_safety(billing_http_core::RetrySafety::Idempotent);
        self.send(req).await?.raw()
    }

    /// Runs a numbered report (`ReportNNNN`, PPMS-Q49) with report-specific parameters and
    /// decodes its rows into `T` (use `serde_json::Map<String, Value>` for plain maps).
    pub async fn run_report<T: DeserializeOwned>(
        &self,
        id: &ReportId,
        params: &[(&str, &str)],
    ) -> Result<Vec<T>, Error> {
        if !id.is_well_formed() {
            return Err(Error::validation(&id.0, "report ids look like Report1234"));
        }
        let mut req = Self::request(&id.0);
        for (k, v) in params {
            req = req.form(*k, *v);
        }
        self.call(req).await
    }

    /// Runs a report by its logical name from the client's [`crate::Reports`] map; an
    /// unconfigured name is a validation error and nothing is sent (PPMS-Q49).
    pub async fn report<T: DeserializeOwned>(
        &self,
        name: &str,
        params: &[(&str, &str)],
    ) -> Result<Vec<T>, Error> {
        let Some(id) = self.client.inner.reports.get(name).cloned() else {
            return Err(Error::validation(
                name,
                format!("no report id configured for {name:?}"),
            ));
        };
        self.run_report(&id, params).await
    }
}

/// Decodes an API2 JSON body: an array of rows, or one object taken as a single row. A body
/// that is not JSON (an HTML page, plain text) is [`Error::UnexpectedResponse`], JSON of the
/// wrong shape [`Error::Parse`].
fn decode_json_rows<T: DeserializeOwned>(r: &Received, text: &str) -> Result<Vec<T>, Error> {
    let value: serde_json::Value =
        serde_json::from_str(text.trim()).map_err(|_| r.unexpected(text))?;
    let value = match value {
        serde_json::Value::Array(_) => value,
        serde_json::Value::Object(_) => serde_json::Value::Array(vec![value]),
        _ => return Err(r.unexpected(text)),
    };
    serde_json::from_value(value).map_err(|e| {
        r.parse_error(crate::parse::ParseError::new(format!(
            "unexpected JSON: {e}"
        )))
    })
}
