//! Recording scenarios: declared once, in code, by each vendor crate, run by
//! `cargo xtask record`.
//!
//! A vendor crate exposes `pub fn recording() -> VendorRecording` in its `recording` module:
//! the vendor name, the environment variables holding credentials, its [`ScrubConfig`] and
//! its [`Scenario`]s. Each scenario is an async function that gets a [`ScenarioContext`]
//! (base URL, a recording transport, credentials), builds the vendor's own client on that
//! transport and makes the calls the cassette should contain. One scenario becomes one
//! cassette, `fixtures/<vendor>/<scenario>.json`.
//!
//! ```
//! use billing_http_core::cassette::{CredentialVar, PersonalKind, Scenario, ScenarioContext, ScrubConfig, VendorRecording};
//! use billing_http_core::{Client, Error, Request};
//!
//! async fn users(ctx: ScenarioContext) -> Result<(), Error> {
//!     let key = ctx.secret("PPMS_API_KEY")?;
//!     let client = Client::builder("ppms", ctx.base_url())
//!         .transport(ctx.transport())
//!         .build()?;
//!     let req = Request::post("pumapi/", "getusers")
//!         .form("action", "getusers")
//!         .form("apikey", key);
//!     client.execute(req).await?;
//!     Ok(())
//! }
//!
//! pub fn recording() -> VendorRecording {
//!     VendorRecording::new("ppms", ScrubConfig::new().personal_field("login", PersonalKind::Login))
//!         .base_url_var("PPMS_BASE_URL", None)
//!         .credential(CredentialVar::secret("PPMS_API_KEY", "PUMAPI key"))
//!         .scenario(Scenario::new("users", "getusers", users))
//! }
//! # assert_eq!(recording().scenarios().len(), 1);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use super::format::Cassette;
use super::record::{RecordObserver, RecordingTransport};
use super::scrub::ScrubConfig;
use crate::error::Error;
use crate::transport::Transport;

/// An environment variable a vendor's recording reads.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CredentialVar {
    /// Variable name, e.g. `PAX8_CLIENT_SECRET`.
    pub name: &'static str,
    /// What it holds (shown when it is missing).
    pub help: &'static str,
    /// Secret values are scrubbed wherever they appear and never printed.
    pub secret: bool,
    /// A missing required variable stops the recording with an error naming it.
    pub required: bool,
    /// Value used when recording against a sandbox (`--sandbox` or a loopback `--base-url`)
    /// and the variable is unset: give non-secret values that the committed cassettes
    /// contain (e.g. `example-client-id`), since matching compares them.
    pub sandbox_value: Option<&'static str>,
}

impl CredentialVar {
    /// A required secret (API key, client secret, token, password).
    pub fn secret(name: &'static str, help: &'static str) -> Self {
        CredentialVar {
            name,
            help,
            secret: true,
            required: true,
            sandbox_value: None,
        }
    }

    /// A required non-secret value (client id, requestor slug).
    pub fn plain(name: &'static str, help: &'static str) -> Self {
        CredentialVar {
            name,
            help,
            secret: false,
            required: true,
            sandbox_value: None,
        }
    }

    /// Makes the variable optional.
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// Sets the value used against a sandbox when the variable is unset.
    pub fn sandbox_value(mut self, value: &'static str) -> Self {
        self.sandbox_value = Some(value);
        self
    }

    /// The value used against a sandbox when the variable is unset: [`Self::sandbox_value`],
    /// or `sandbox-<name>` (lower case, `-` for `_`) for a required or secret variable
    /// (secrets are ignored by matching), or none.
    pub fn sandbox_default(&self) -> Option<String> {
        match self.sandbox_value {
            Some(v) => Some(v.to_owned()),
            None if self.required || self.secret => Some(format!(
                "sandbox-{}",
                self.name.to_ascii_lowercase().replace('_', "-")
            )),
            None => None,
        }
    }
}

type ScenarioFn =
    Arc<dyn Fn(ScenarioContext) -> BoxFuture<'static, Result<(), Error>> + Send + Sync>;

/// One recording scenario: a name (the cassette's file stem), a description and the async
/// function making the calls.
#[derive(Clone)]
pub struct Scenario {
    name: &'static str,
    description: &'static str,
    run: ScenarioFn,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

impl Scenario {
    /// A scenario named `name` (lower-case, `[a-z0-9_]`, becomes `<name>.json`) running `run`.
    pub fn new<F, Fut>(name: &'static str, description: &'static str, run: F) -> Self
    where
        F: Fn(ScenarioContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        Scenario {
            name,
            description,
            run: Arc::new(move |ctx| Box::pin(run(ctx))),
        }
    }

    /// The name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The description.
    pub fn description(&self) -> &'static str {
        self.description
    }

    /// Runs the scenario through a [`RecordingTransport`] over `inner` and returns the
    /// scrubbed cassette. `recording` supplies vendor and scrub config; `vars` the credential
    /// values (secret ones are also scrubbed anywhere they appear).
    pub async fn record(
        &self,
        recording: &VendorRecording,
        base_url: &str,
        inner: Arc<dyn Transport>,
        vars: &Vars,
        observer: Option<RecordObserver>,
    ) -> Result<Cassette, Error> {
        let mut rec = RecordingTransport::new(inner, base_url, recording.scrub.clone())?;
        if let Some(o) = observer {
            rec = rec.with_observer(o);
        }
        let rec = Arc::new(rec);
        let ctx = ScenarioContext {
            base_url: base_url.to_owned(),
            transport: rec.clone(),
            vars: vars.clone(),
        };
        (self.run)(ctx).await?;
        let known = vars.secret_values();
        let known: Vec<&str> = known.iter().map(|s| s.expose_secret()).collect();
        Ok(rec.finish(recording.vendor, self.name, &known))
    }
}

/// Credential values for one recording run.
#[derive(Clone, Default)]
pub struct Vars {
    values: BTreeMap<String, (SecretString, bool)>,
}

impl fmt::Debug for Vars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.values.keys()).finish()
    }
}

impl Vars {
    /// No values.
    pub fn new() -> Self {
        Vars::default()
    }

    /// Sets a value; `secret` values are scrubbed from cassettes wherever they appear.
    pub fn set(&mut self, name: &str, value: impl Into<String>, secret: bool) {
        self.values
            .insert(name.to_owned(), (SecretString::from(value.into()), secret));
    }

    /// Reads the recording's variables from the environment with `lookup` (e.g.
    /// `|n| std::env::var(n).ok()`). A missing required variable is a config error naming
    /// every missing one and what it holds.
    pub fn from_lookup(
        recording: &VendorRecording,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let mut vars = Vars::new();
        let mut missing = Vec::new();
        for var in &recording.credentials {
            match lookup(var.name).filter(|v| !v.is_empty()) {
                Some(v) => vars.set(var.name, v, var.secret),
                None if var.required => missing.push(format!("{} ({})", var.name, var.help)),
                None => {}
            }
        }
        if missing.is_empty() {
            Ok(vars)
        } else {
            Err(Error::config(format!(
                "missing credentials for recording {}: set {}",
                recording.vendor,
                missing.join(", ")
            )))
        }
    }

    /// The values of the secret variables (to scrub and to check cassettes with).
    pub fn secret_values(&self) -> Vec<SecretString> {
        self.values
            .values()
            .filter(|(_, secret)| *secret)
            .map(|(v, _)| v.clone())
            .collect()
    }
}

/// What a scenario gets: the base URL, the (recording) transport to build its client on, and
/// the credentials.
#[derive(Clone)]
pub struct ScenarioContext {
    base_url: String,
    transport: Arc<dyn Transport>,
    vars: Vars,
}

impl fmt::Debug for ScenarioContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScenarioContext")
            .field("base_url", &self.base_url)
            .field("vars", &self.vars)
            .finish_non_exhaustive()
    }
}

impl ScenarioContext {
    /// A context over any transport (for testing a scenario without recording).
    pub fn new(base_url: &str, transport: Arc<dyn Transport>, vars: Vars) -> Self {
        ScenarioContext {
            base_url: base_url.to_owned(),
            transport,
            vars,
        }
    }

    /// The base URL to build the vendor client with.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The transport to build the vendor client with (it records).
    pub fn transport(&self) -> Arc<dyn Transport> {
        self.transport.clone()
    }

    /// A credential; a config error naming the variable if it is not set.
    pub fn secret(&self, name: &str) -> Result<SecretString, Error> {
        self.vars
            .values
            .get(name)
            .map(|(v, _)| v.clone())
            .ok_or_else(|| Error::config(format!("environment variable {name} is not set")))
    }

    /// A non-secret variable's value, if set.
    pub fn var(&self, name: &str) -> Option<String> {
        self.vars
            .values
            .get(name)
            .map(|(v, _)| v.expose_secret().to_owned())
    }
}

/// A vendor's recording setup: what `cargo xtask record --vendor <v>` runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VendorRecording {
    /// Vendor name; cassettes go to `fixtures/<vendor>/`.
    pub vendor: &'static str,
    /// Variable holding the base URL (e.g. `PAX8_BASE_URL`); `--base-url` overrides it.
    pub base_url_var: Option<&'static str>,
    /// Base URL used when neither `--base-url` nor the variable is set.
    pub default_base_url: Option<&'static str>,
    /// Credential variables.
    pub credentials: Vec<CredentialVar>,
    /// How cassettes of this vendor are scrubbed (and which fields replay ignores).
    pub scrub: ScrubConfig,
    scenarios: Vec<Scenario>,
}

impl VendorRecording {
    /// A recording for `vendor` with its scrub config and no scenarios yet.
    pub fn new(vendor: &'static str, scrub: ScrubConfig) -> Self {
        VendorRecording {
            vendor,
            base_url_var: None,
            default_base_url: None,
            credentials: Vec::new(),
            scrub,
            scenarios: Vec::new(),
        }
    }

    /// Sets the base URL variable and default.
    pub fn base_url_var(mut self, var: &'static str, default: Option<&'static str>) -> Self {
        self.base_url_var = Some(var);
        self.default_base_url = default;
        self
    }

    /// Adds a credential variable.
    pub fn credential(mut self, var: CredentialVar) -> Self {
        self.credentials.push(var);
        self
    }

    /// Adds a scenario.
    pub fn scenario(mut self, scenario: Scenario) -> Self {
        self.scenarios.push(scenario);
        self
    }

    /// The scenarios, in declaration order.
    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// The scenario called `name`.
    pub fn find(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
    }
}
