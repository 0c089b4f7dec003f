//! The PPMS adapter: `createorder` through the `ppms` crate. Everything the relay does with
//! `ppms` is in this file.
//!
//! * **Mapping.** The ERP product id (after the tenant's mapping) is the PPMS **service id**
//!   (a number; anything else is `invalid_product`). The case number is the PPMS **login** the
//!   order is for (`case_is = "login"`), or the **project id** (`case_is = "project"`, a
//!   number, else `invalid_case`) with the tenant's configured `login`. The quantity is the
//!   exact decimal.
//! * **Idempotency.** PPMS has no idempotency key (PPMS-Q38), so the unique id travels as a
//!   marker in the staff comment (`scomments`, or the tenant's `staff_comment_field`,
//!   PPMS-Q40): one token, `relay/<tenant>/<unique id>` (percent-encoded) or a hash of both
//!   when that would be longer than the crate allows (see [`marker`]); the crate finds whole
//!   tokens only, so `A1` is never found in an order marked for `A12`.
//! * **Checking** (`can_check_existing`): the crate's `orders().find_by_marker(..)`, which
//!   reads `getorders`. It lists every order of the site, so it is run only after an uncertain
//!   push or in crash recovery, never before each push.
//! * **Errors** (the predicates of docs/conventions.md): `is_auth()` pauses the tenant — note
//!   that PUMAPI also says "not authorized" for some bad parameters (PPMS-Q03), in which case
//!   reconfiguring is the fix anyway; `is_outcome_unknown()` is an uncertain push (never
//!   re-sent before `getorders` says the order is not there); an unknown login is
//!   `invalid_case` (when the case is the login); an unknown id is `invalid_product` (login
//!   mode) or `erp_rejected`; any other answer that is not an order number is `erp_rejected`
//!   with the server's text; retryable failures are transient.

use std::fmt;

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use super::http::CallSettings;
use super::{Adapter, AdapterError, Capabilities, Failure, Found, PushLine, Pushed, classify_sdk};
use crate::config::{CaseTarget, ConfigError, PpmsConfig};
use crate::model::ReasonCode;

/// The PPMS adapter. See the [module docs](self).
pub struct PpmsAdapter {
    client: ppms::Client,
    case_is: CaseTarget,
    login: Option<String>,
}

impl fmt::Debug for PpmsAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PpmsAdapter")
            .field("client", &self.client)
            .field("case_is", &self.case_is)
            .finish_non_exhaustive()
    }
}

impl PpmsAdapter {
    /// The adapter for a tenant's `[ppms]` section and its resolved API key.
    pub fn new(
        config: &PpmsConfig,
        api_key: SecretString,
        settings: CallSettings,
    ) -> Result<Self, ConfigError> {
        let mut builder = ppms::Client::builder(&config.url)
            .api_key(api_key.expose_secret())
            .timeout(settings.timeout)
            .retry(settings.retry_policy());
        builder = match settings.quota() {
            Some(q) => builder.rate_limit(q),
            None => builder.no_rate_limit(),
        };
        if let Some(field) = &config.staff_comment_field {
            builder = builder.staff_comment_field(field);
        }
        let client = builder
            .build()
            .map_err(|e| ConfigError(format!("ppms: {e}")))?;
        Ok(PpmsAdapter {
            client,
            case_is: config.case_is,
            login: config.login.clone(),
        })
    }

    fn order(&self, line: &PushLine<'_>) -> Result<ppms::NewOrder, AdapterError> {
        let service: ppms::ServiceId = line.erp_product.parse().map_err(|_| {
            AdapterError::new(
                Failure::Permanent(ReasonCode::InvalidProduct),
                "the ppms service id (mapped product number) is not a number",
            )
        })?;
        let l = line.line;
        let order = match self.case_is {
            CaseTarget::Login => ppms::NewOrder::new(service, l.case_nr.clone(), l.product_amount),
            CaseTarget::Project => {
                let project: ppms::ProjectId = l.case_nr.parse().map_err(|_| {
                    AdapterError::new(
                        Failure::Permanent(ReasonCode::InvalidCase),
                        "the case number (a ppms project id) is not a number",
                    )
                })?;
                let login = self.login.clone().unwrap_or_default();
                ppms::NewOrder::new(service, login, l.product_amount).project(project)
            }
        };
        Ok(order.staff_comments(marker(line.tenant, &l.unique_id)))
    }

    fn classify(&self, e: &ppms::Error) -> AdapterError {
        let failure = match (classify_sdk(e), e) {
            (Some(f), _) => f,
            (None, ppms::Error::InvalidUser { .. }) if self.case_is == CaseTarget::Login => {
                Failure::Permanent(ReasonCode::InvalidCase)
            }
            (None, ppms::Error::InvalidId { .. }) if self.case_is == CaseTarget::Login => {
                Failure::Permanent(ReasonCode::InvalidProduct)
            }
            (None, _) => Failure::Permanent(ReasonCode::ErpRejected),
        };
        AdapterError::new(failure, e.to_string())
    }
}

/// The marker carried in the staff comment: one token for the crate's marker lookup
/// (`ppms::check_marker`: at most 100 characters, no whitespace or separators).
///
/// * `relay/<tenant>/<unique id>` with the unique id percent-encoded (only `A-Z a-z 0-9 - _ .`
///   stay as they are), when that fits in 100 characters — readable in PPMS;
/// * else `relay#` and 40 hex digits of the SHA-256 of tenant and unique id. The short form
///   never holds `#` (it is encoded), so the two forms never meet.
pub fn marker(tenant: &str, unique_id: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.');
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, SET).to_string();
    let readable = format!("relay/{}/{}", enc(tenant), enc(unique_id));
    if readable.len() <= 100 {
        return readable;
    }
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(tenant.as_bytes());
    h.update([0]);
    h.update(unique_id.as_bytes());
    format!("relay#{}", &hex::encode(h.finalize())[..40])
}

impl Adapter for PpmsAdapter {
    fn kind(&self) -> &'static str {
        "ppms"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(true, true, false)
    }

    fn push<'a>(&'a self, line: PushLine<'a>) -> BoxFuture<'a, Result<Pushed, AdapterError>> {
        Box::pin(async move {
            let order = self.order(&line)?;
            match self.client.orders().create(&order).await {
                Ok(r) => Ok(Pushed {
                    reference: Some(r.to_string()),
                }),
                Err(e) => Err(self.classify(&e)),
            }
        })
    }

    fn check<'a>(&'a self, line: PushLine<'a>) -> BoxFuture<'a, Result<Found, AdapterError>> {
        Box::pin(async move {
            let m = marker(line.tenant, &line.line.unique_id);
            match self.client.orders().find_by_marker(&m).await {
                Ok(Some(order)) => Ok(Found::Yes {
                    reference: Some(order.order_ref.to_string()),
                }),
                Ok(None) => Ok(Found::No),
                Err(e) => {
                    let mut a = self.classify(&e);
                    if matches!(a.failure, Failure::Permanent(_) | Failure::Uncertain) {
                        // a read that failed proves nothing about the order: look again later
                        a.failure = Failure::Transient { retry_after: None };
                    }
                    Err(a)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppms_q38_markers_are_valid_tokens_and_never_found_for_another_line() {
        let long = "x".repeat(128);
        let long2 = format!("{}y", "x".repeat(127));
        let ids = [
            "A1",
            "A12",
            "A1]",
            "x] [relay t/A1",
            "a b",
            "A%31",
            "#1",
            &long,
            &long2,
        ];
        for a in ids {
            let m = marker("t", a);
            assert!(ppms::check_marker(&m).is_ok(), "{m}");
            for b in ids {
                if a != b {
                    assert!(!ppms::marker_in(&marker("t", b), &m), "{a} found as {b}");
                }
            }
            assert!(!ppms::marker_in(&marker("t-2", a), &m));
        }
        assert_eq!(marker("ws-a", "A 1/2"), "relay/ws-a/A%201%2F2");
        assert!(marker("t", &long).starts_with("relay#"));
    }
}
