//! A tenant's integration, built from its configuration: the adapter, the product mapping and
//! check, the worker's settings, and the credential fingerprint that tells a paused tenant its
//! credentials were changed.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use billing_http_core::clock::Clock;
use secrecy::SecretString;

use crate::adapters::Adapter;
use crate::adapters::cloudspot::CloudspotProducts;
use crate::adapters::http::{CallSettings, HttpAdapter};
use crate::adapters::ppms::PpmsAdapter;
use crate::config::{
    ConfigError, ErpKind, OutageConfig, ProductMapping, RetryConfig, TenantConfig,
};
use crate::secret::{SecretRef, fingerprint};

/// The worker's settings of a tenant.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct WorkerSettings {
    /// Lines in flight at once.
    pub max_in_flight: u32,
    /// Time allowed for one ERP request.
    pub push_timeout: Duration,
    /// Attempts of one request by the SDK.
    pub request_attempts: u32,
    /// Line retries.
    pub retry: RetryConfig,
    /// The breaker.
    pub outage: OutageConfig,
    /// How often an idle worker looks at the store (new lines also wake it at once).
    pub poll_every: Duration,
}

impl WorkerSettings {
    /// The settings of a tenant's configuration.
    pub fn of(config: &TenantConfig) -> Self {
        WorkerSettings {
            max_in_flight: config.max_in_flight,
            push_timeout: config.push_timeout,
            request_attempts: config.request_attempts,
            retry: config.retry,
            outage: config.outage,
            poll_every: Duration::from_secs(1),
        }
    }
}

struct Built {
    adapter: Arc<dyn Adapter>,
    product_check: Option<Arc<CloudspotProducts>>,
    fingerprint: String,
}

enum Source {
    Config {
        tenant: String,
        config: Box<TenantConfig>,
        clock: Arc<dyn Clock>,
    },
    Fixed,
}

/// A tenant's integration. See the [module docs](self).
pub struct Integration {
    built: Mutex<Built>,
    source: Source,
    /// Product number → ERP product id.
    pub products: ProductMapping,
    /// The worker's settings.
    pub settings: WorkerSettings,
}

impl fmt::Debug for Integration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.lock();
        f.debug_struct("Integration")
            .field("adapter", &b.adapter)
            .field("product_check", &b.product_check)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Integration {
    /// Builds the integration of `tenant` from its configuration: resolves its credentials and
    /// creates its adapter. Fails (at start-up) for a missing or unsafe credential, or an ERP
    /// kind that cannot create lines.
    pub async fn from_config(
        tenant: &str,
        config: &TenantConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        let built = build(tenant, config, clock.clone()).await?;
        Ok(Integration {
            built: Mutex::new(built),
            source: Source::Config {
                tenant: tenant.to_owned(),
                config: Box::new(config.clone()),
                clock,
            },
            products: config.products.clone(),
            settings: WorkerSettings::of(config),
        })
    }

    /// An integration around a given adapter (tests, embedding), with the settings and product
    /// mapping of `config`; its credentials never change.
    pub fn with_adapter(adapter: Arc<dyn Adapter>, config: &TenantConfig) -> Self {
        Integration {
            built: Mutex::new(Built {
                adapter,
                product_check: None,
                fingerprint: String::new(),
            }),
            source: Source::Fixed,
            products: config.products.clone(),
            settings: WorkerSettings::of(config),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Built> {
        self.built.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The adapter.
    pub fn adapter(&self) -> Arc<dyn Adapter> {
        self.lock().adapter.clone()
    }

    /// The Cloudspot product check, if configured.
    pub fn product_check(&self) -> Option<Arc<CloudspotProducts>> {
        self.lock().product_check.clone()
    }

    /// Re-reads the credential references; when they hold other values than the ones in use,
    /// rebuilds the adapter with them and answers `true`.
    pub async fn credentials_changed(&self) -> bool {
        let Source::Config {
            tenant,
            config,
            clock,
        } = &self.source
        else {
            return false;
        };
        let current = self.lock().fingerprint.clone();
        match secrets_fingerprint(config).await {
            Ok(f) if f != current => match build(tenant, config, clock.clone()).await {
                Ok(built) => {
                    *self.lock() = built;
                    true
                }
                Err(e) => {
                    tracing::warn!(tenant = %tenant, error = %e, "new credentials, but the integration cannot be built");
                    false
                }
            },
            Ok(_) => false,
            Err(e) => {
                tracing::warn!(tenant = %tenant, error = %e, "cannot read the credentials");
                false
            }
        }
    }
}

fn refs(config: &TenantConfig) -> Vec<&SecretRef> {
    let mut v = Vec::new();
    if let Some(p) = &config.ppms {
        v.push(&p.api_key);
    }
    if let Some(s) = config.http.as_ref().and_then(|h| h.secret.as_ref()) {
        v.push(s);
    }
    if let Some(c) = &config.cloudspot {
        v.push(&c.token);
    }
    v
}

async fn resolve(r: &SecretRef) -> Result<SecretString, ConfigError> {
    r.resolve()
        .await
        .map_err(|e| ConfigError(format!("credential from {r}: {e}")))
}

async fn secrets_fingerprint(config: &TenantConfig) -> Result<String, ConfigError> {
    let mut parts = Vec::new();
    for r in refs(config) {
        parts.push(fingerprint(&resolve(r).await?));
    }
    Ok(parts.join(":"))
}

async fn build(
    tenant: &str,
    config: &TenantConfig,
    clock: Arc<dyn Clock>,
) -> Result<Built, ConfigError> {
    let at = |e: ConfigError| ConfigError(format!("tenants.{tenant}: {}", e.0));
    let settings = CallSettings::new(
        config.push_timeout,
        config.rate_limit_per_second,
        config.request_attempts,
    );
    let adapter: Arc<dyn Adapter> =
        match config.erp {
            ErpKind::Ppms => {
                let p = config.ppms.as_ref().ok_or_else(|| {
                    at(ConfigError("erp = \"ppms\" needs a [ppms] section".into()))
                })?;
                let key = resolve(&p.api_key).await.map_err(at)?;
                Arc::new(PpmsAdapter::new(p, key, settings).map_err(at)?)
            }
            ErpKind::Http => {
                let h = config.http.as_ref().ok_or_else(|| {
                    at(ConfigError("erp = \"http\" needs an [http] section".into()))
                })?;
                let secret = match &h.secret {
                    Some(r) => Some(resolve(r).await.map_err(at)?),
                    None => None,
                };
                Arc::new(HttpAdapter::new(h, secret, settings).map_err(at)?)
            }
            ErpKind::Cloudspot => {
                return Err(at(ConfigError(
                    "cloudspot cannot create order lines (its known API is read-only)".into(),
                )));
            }
        };
    if !adapter.capabilities().can_create {
        return Err(at(ConfigError(format!(
            "the {} adapter cannot create order lines",
            adapter.kind()
        ))));
    }
    let product_check = match &config.cloudspot {
        Some(c) => {
            let token = resolve(&c.token).await.map_err(at)?;
            Some(Arc::new(
                CloudspotProducts::new(c, token, settings, clock).map_err(at)?,
            ))
        }
        None => None,
    };
    Ok(Built {
        adapter,
        product_check,
        fingerprint: secrets_fingerprint(config).await.map_err(at)?,
    })
}
