//! Cloudspot: a product catalogue, not a push target.
//!
//! Cloudspot's known API is read-only (vendor reference `cloudspot.md` §8), so `erp =
//! "cloudspot"` is refused when the configuration is loaded: a clear error at start-up, never
//! a failure per line. What Cloudspot *can* do for a tenant that pushes elsewhere is tell
//! whether a product number exists: with a `[tenants.<t>.cloudspot]` section, every line's ERP
//! product id (after the tenant's mapping) is matched exactly and case-sensitively against the
//! `SKU` of Cloudspot's articles before the push, and a line whose product is not there fails
//! with `invalid_product` instead of reaching the ERP.
//!
//! ```toml
//! [tenants.ws-a.cloudspot]
//! token = { env = "RELAY_WS_A_CLOUDSPOT_TOKEN" }   # the company token, a reference
//! refresh = "10m"                                  # the article list is reused this long
//! ```
//!
//! There is no SKU filter in the API (CS-Q02), so the check lists `artikels/` once and keeps
//! the SKUs for `refresh`. When Cloudspot cannot be reached, the last list is used; with no
//! list at all the line waits (a transient failure), because pushing an unchecked line is
//! what the tenant asked not to do. A rejected token (`is_auth()`) pauses the tenant like
//! rejected ERP credentials.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use billing_http_core::clock::Clock;
use secrecy::SecretString;

use super::http::CallSettings;
use super::{AdapterError, Failure};
use crate::config::{CloudspotCheckConfig, ConfigError};
use crate::model::ReasonCode;

/// Checks product ids against Cloudspot article SKUs. See the [module docs](self).
pub struct CloudspotProducts {
    client: cloudspot::Client,
    refresh: std::time::Duration,
    clock: Arc<dyn Clock>,
    cache: tokio::sync::Mutex<Option<(Instant, Arc<HashSet<String>>)>>,
}

impl fmt::Debug for CloudspotProducts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudspotProducts")
            .field("client", &self.client)
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

impl CloudspotProducts {
    /// The checker for a tenant's `[cloudspot]` section and its resolved token.
    pub fn new(
        config: &CloudspotCheckConfig,
        token: SecretString,
        settings: CallSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        let mut builder = cloudspot::Client::builder(token)
            .timeout(settings.timeout)
            .retry(settings.retry_policy());
        if let Some(url) = &config.url {
            builder = builder.base_url(url);
        }
        let client = builder
            .build()
            .map_err(|e| ConfigError(format!("cloudspot: {e}")))?;
        Ok(CloudspotProducts {
            client,
            refresh: config.refresh,
            clock,
            cache: tokio::sync::Mutex::new(None),
        })
    }

    /// `Ok(())` when `sku` is an article's SKU; `invalid_product` when it is not; a transient
    /// failure when no article list could ever be read.
    pub async fn check(&self, sku: &str) -> Result<(), AdapterError> {
        let skus = self.skus().await?;
        if skus.contains(sku) {
            Ok(())
        } else {
            Err(AdapterError::new(
                Failure::Permanent(ReasonCode::InvalidProduct),
                "no cloudspot article has this product number as its sku",
            ))
        }
    }

    async fn skus(&self) -> Result<Arc<HashSet<String>>, AdapterError> {
        let mut cache = self.cache.lock().await;
        let now = self.clock.now();
        if let Some((at, skus)) = cache.as_ref()
            && now.saturating_duration_since(*at) < self.refresh
        {
            return Ok(skus.clone());
        }
        match self.client.articles().list().await {
            Ok(articles) => {
                let skus: Arc<HashSet<String>> =
                    Arc::new(articles.into_iter().filter_map(|a| a.sku).collect());
                *cache = Some((now, skus.clone()));
                Ok(skus)
            }
            Err(e) if e.is_auth() => Err(AdapterError::new(
                Failure::Auth,
                format!("product check: cloudspot refused the token: {e}"),
            )),
            Err(e) => match cache.as_ref() {
                Some((_, stale)) => {
                    tracing::warn!(error = %e, "cloudspot article list unavailable, using the last one");
                    Ok(stale.clone())
                }
                None => Err(AdapterError::transient(format!(
                    "product check: cloudspot articles unavailable: {e}"
                ))),
            },
        }
    }
}
