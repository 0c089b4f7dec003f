//! The generic HTTP adapter, for the many workshop ERPs without an SDK crate (reference §11),
//! built on `billing_http_core::Client` (transport, rate limiter, retries, typed errors).
//!
//! **Push:** `POST <url>` with `Content-Type: application/json`, `Idempotency-Key: <unique_id>`
//! and the canonical line as the body: `unique_id`, `case_nr`, `product_nr` (after mapping),
//! `product_amount` (a decimal string), `workshop` (the tenant) and `dispensed_at` (when
//! known). The request's retry safety is `IdempotentWithKey` when the tenant declares
//! `honours_idempotency_key`, else `NotIdempotent` (re-sent by the SDK only when it provably
//! never left).
//!
//! | answer | result |
//! |---|---|
//! | any 2xx | created; the reference is the reply's `reference` or `id` (JSON), else `Location`, else none |
//! | 409 | the ERP already has the line: completed |
//! | 401, 403 | `Auth`: the tenant is paused |
//! | 404, 422, other 4xx | `erp_rejected` with the ERP's `message` / `error` / `detail` |
//! | 408, 429, refused before sending | transient |
//! | 5xx, timeout or reset after sending | uncertain, or transient when the key is honoured |
//!
//! **Lookup** (`can_check_existing` when `lookup_url` is set): `GET <lookup_url>` with
//! `{unique_id}` percent-encoded: 200 → the ERP has the line (reference as above), 404 → it
//! does not, anything else → transient (checked again later).

use std::fmt;
use std::sync::Arc;

use billing_http_core::auth::{Placement, StaticKey};
use billing_http_core::rate_limit::{GcraLimiter, Quota};
use billing_http_core::retry::RetryPolicy;
use billing_http_core::{Client, Request, Response, RetrySafety, TransportConfig};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::{Adapter, AdapterError, Capabilities, Failure, Found, PushLine, Pushed};
use crate::config::{ConfigError, HttpAuth, HttpConfig};

/// Call settings shared by the SDK-backed adapters: from the tenant's configuration. The SDK
/// clients keep their own (real) clock for their retries and rate limiter; the relay's clock
/// governs the relay's decisions (backoff between attempts, leases, pauses).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct CallSettings {
    /// Time allowed for one request.
    pub timeout: std::time::Duration,
    /// Requests per second (0: no limit).
    pub rate_limit_per_second: u32,
    /// Attempts of one request by the SDK.
    pub request_attempts: u32,
}

impl CallSettings {
    /// Settings with these values.
    pub fn new(
        timeout: std::time::Duration,
        rate_limit_per_second: u32,
        request_attempts: u32,
    ) -> Self {
        CallSettings {
            timeout,
            rate_limit_per_second,
            request_attempts,
        }
    }

    /// The SDK retry policy: `request_attempts`, within the timeout.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::default()
            .max_attempts(self.request_attempts)
            .max_elapsed(self.timeout)
    }

    /// The quota, if any.
    pub fn quota(&self) -> Option<Quota> {
        (self.rate_limit_per_second > 0).then(|| Quota::per_second(self.rate_limit_per_second))
    }
}

/// The generic HTTP adapter. See the [module docs](self).
pub struct HttpAdapter {
    push: Client,
    push_path: String,
    lookup: Option<(Client, String)>,
    honours_key: bool,
}

impl fmt::Debug for HttpAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpAdapter")
            .field(
                "url",
                &format!("{}{}", self.push.base_url(), self.push_path),
            )
            .field(
                "lookup",
                &self
                    .lookup
                    .as_ref()
                    .map(|(c, p)| format!("{}{p}", c.base_url())),
            )
            .field("honours_idempotency_key", &self.honours_key)
            .finish_non_exhaustive()
    }
}

/// Splits an absolute URL into its origin (`scheme://host:port/`) and the rest (path and
/// query, without the leading `/`).
fn split(raw: &str) -> Result<(String, String), ConfigError> {
    let url = Url::parse(raw).map_err(|e| ConfigError(format!("invalid url: {e}")))?;
    let origin = format!("{}/", url.origin().ascii_serialization());
    let rest = &url[url::Position::BeforePath..];
    Ok((origin, rest.trim_start_matches('/').to_owned()))
}

impl HttpAdapter {
    /// The adapter for a tenant's `[http]` section and its resolved secret.
    pub fn new(
        config: &HttpConfig,
        secret: Option<SecretString>,
        settings: CallSettings,
    ) -> Result<Self, ConfigError> {
        let (origin, push_path) = split(&config.url)?;
        let mut builder = Client::builder("erp", origin)
            .transport_config(
                TransportConfig::default()
                    .timeout(settings.timeout)
                    .connect_timeout(settings.timeout.min(std::time::Duration::from_secs(10)))
                    .max_body_bytes(1024 * 1024)
                    .user_agent(concat!("billing-relay/", env!("CARGO_PKG_VERSION"))),
            )
            .retry(settings.retry_policy());
        if let Some(q) = settings.quota() {
            builder = builder.rate_limiter(Arc::new(GcraLimiter::new(q)));
        }
        let auth = match (config.auth, secret) {
            (HttpAuth::Bearer, Some(s)) => Some(StaticKey::new(s, Placement::Bearer)),
            (HttpAuth::Basic, Some(s)) => {
                use base64::Engine as _;
                let user = config.username.as_deref().unwrap_or_default();
                let pair = format!("{user}:{}", s.expose_secret());
                let value = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                );
                Some(StaticKey::new(
                    SecretString::from(value),
                    Placement::Header("authorization".into()),
                ))
            }
            (HttpAuth::None, _) => None,
            (_, None) => return Err(ConfigError("the http adapter's auth needs a secret".into())),
        };
        if let Some(a) = auth {
            builder = builder.auth(Arc::new(a));
        }
        let push = builder
            .build()
            .map_err(|e| ConfigError(format!("http adapter: {e}")))?;
        let lookup = match &config.lookup_url {
            None => None,
            Some(template) => {
                let (origin, path) = split(&template.replace("{unique_id}", "UNIQUE_ID_SLOT"))?;
                let client = push
                    .with_base_url(&origin)
                    .map_err(|e| ConfigError(format!("http adapter lookup_url: {e}")))?;
                Some((client, path.replace("UNIQUE_ID_SLOT", "{unique_id}")))
            }
        };
        Ok(HttpAdapter {
            push,
            push_path,
            lookup,
            honours_key: config.honours_idempotency_key,
        })
    }

    fn classify(
        &self,
        e: &billing_http_core::Error,
        pushing: bool,
    ) -> Result<Pushed, AdapterError> {
        let status = e.status().map(|s| s.as_u16());
        let what = if pushing { "push" } else { "lookup" };
        let said = erp_message(e);
        let msg = |head: String| match &said {
            Some(m) => format!("{head}: {m}"),
            None => head,
        };
        let failure = match status {
            Some(401 | 403) => Failure::Auth,
            Some(409) if pushing => {
                return Ok(Pushed {
                    reference: e
                        .body_snippet()
                        .and_then(|b| reference_in(b.as_bytes(), None)),
                });
            }
            Some(408 | 429) => Failure::Transient {
                retry_after: e.retry_after(),
            },
            Some(s) if s >= 500 => {
                if pushing && !self.honours_key {
                    Failure::Uncertain
                } else {
                    Failure::Transient {
                        retry_after: e.retry_after(),
                    }
                }
            }
            Some(s) if pushing && (400..500).contains(&s) => {
                Failure::Permanent(crate::model::ReasonCode::ErpRejected)
            }
            Some(_) => Failure::Transient { retry_after: None },
            None if pushing && e.may_have_reached_server() && !self.honours_key => {
                Failure::Uncertain
            }
            None => Failure::Transient {
                retry_after: e.retry_after(),
            },
        };
        let head = match status {
            Some(s) => format!("erp {what} answered http {s}"),
            None => format!("erp {what} failed: {}", e.message()),
        };
        Err(AdapterError::new(failure, msg(head)))
    }
}

/// The ERP's own message from an error reply: `message`, `error` or `detail` of a JSON body,
/// else its first line; bounded, control characters removed.
fn erp_message(e: &billing_http_core::Error) -> Option<String> {
    let body = e.body_snippet()?;
    let text = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => ["message", "error", "detail"]
            .iter()
            .find_map(|k| v.get(*k).and_then(|m| m.as_str()).map(str::to_owned))?,
        Err(_) => body.lines().next().unwrap_or_default().to_owned(),
    };
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    (!clean.is_empty()).then(|| crate::model::bounded(clean, 200))
}

/// The ERP's reference: `reference` or `id` of a JSON body, else the `Location` header.
fn reference_in(body: &[u8], location: Option<&str>) -> Option<String> {
    let from_body = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            ["reference", "id"].iter().find_map(|k| match v.get(*k)? {
                serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        });
    from_body
        .or_else(|| location.map(str::to_owned))
        .map(|r| crate::model::bounded(&r, 200))
}

fn reference_of(r: &Response) -> Option<String> {
    reference_in(&r.body, r.header("location"))
}

/// Percent-encodes a unique id for a path segment or a query value.
fn encode(id: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(id, SET).to_string()
}

impl Adapter for HttpAdapter {
    fn kind(&self) -> &'static str {
        "http"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(true, self.lookup.is_some(), self.honours_key)
    }

    fn push<'a>(&'a self, line: PushLine<'a>) -> BoxFuture<'a, Result<Pushed, AdapterError>> {
        Box::pin(async move {
            let l = line.line;
            let mut body = serde_json::json!({
                "unique_id": l.unique_id,
                "case_nr": l.case_nr,
                "product_nr": line.erp_product,
                "product_amount": l.amount_text(),
                "workshop": line.tenant,
            });
            if let Some(at) = l.dispensed_at_text() {
                body["dispensed_at"] = serde_json::Value::String(at);
            }
            let safety = if self.honours_key {
                RetrySafety::IdempotentWithKey(l.unique_id.clone())
            } else {
                RetrySafety::NotIdempotent
            };
            let req = Request::post(self.push_path.clone(), "push line")
                .header("idempotency-key", l.unique_id.clone())
                .json(body)
                .retry_safety(safety);
            match self.push.execute(req).await {
                Ok(r) => Ok(Pushed {
                    reference: reference_of(&r),
                }),
                Err(e) => self.classify(&e, true),
            }
        })
    }

    fn check<'a>(&'a self, line: PushLine<'a>) -> BoxFuture<'a, Result<Found, AdapterError>> {
        Box::pin(async move {
            let Some((client, template)) = &self.lookup else {
                return Err(AdapterError::transient("this tenant has no lookup_url"));
            };
            let path = template.replace("{unique_id}", &encode(&line.line.unique_id));
            match client.execute(Request::get(path, "look up line")).await {
                Ok(r) => Ok(Found::Yes {
                    reference: reference_of(&r),
                }),
                Err(e) if e.status().map(|s| s.as_u16()) == Some(404) => Ok(Found::No),
                Err(e) => match self.classify(&e, false) {
                    Ok(_) => Err(AdapterError::transient("unexpected lookup answer")),
                    Err(a) => Err(a),
                },
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_split_into_origin_and_path() {
        assert_eq!(
            split("https://erp.example:8443/api/lines?x=1").unwrap(),
            (
                "https://erp.example:8443/".to_owned(),
                "api/lines?x=1".to_owned()
            )
        );
        assert_eq!(split("http://h/").unwrap().1, "");
    }

    #[test]
    fn unique_ids_keep_the_path_shape() {
        assert_eq!(encode("a/../b c?"), "a%2F..%2Fb%20c%3F");
    }

    #[test]
    fn references_come_from_body_then_location() {
        assert_eq!(
            reference_in(br#"{"reference":"R1","id":2}"#, None).as_deref(),
            Some("R1")
        );
        assert_eq!(
            reference_in(br#"{"id":42}"#, Some("/x")).as_deref(),
            Some("42")
        );
        assert_eq!(
            reference_in(b"not json", Some("/lines/9")).as_deref(),
            Some("/lines/9")
        );
        assert_eq!(reference_in(b"", None), None);
    }
}
