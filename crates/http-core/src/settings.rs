//! The settings every vendor client builder shares, and
//! [`client_builder_methods!`](crate::client_builder_methods) which gives each vendor builder
//! the same methods with the same meanings.
//!
//! The three vendor crates (`ppms`, `pax8`, `cloudspot`) speak one builder vocabulary:
//!
//! | method | meaning |
//! |---|---|
//! | `.base_url(url)` | where the vendor's API lives (each crate documents its default) |
//! | `.timeout(d)` | time allowed for one whole attempt |
//! | `.connect_timeout(d)` | time allowed to open a connection |
//! | `.retry(RetryPolicy)` | the retry policy |
//! | `.rate_limit(Quota)` | a client-side quota shared by all clones |
//! | `.rate_limiter(Arc<dyn RateLimiter>)` | a limiter of your own (e.g. one shared by a fleet) |
//! | `.no_rate_limit()` | no client-side quota (429/503 back-off is still shared by clones) |
//! | `.user_agent(s)` | the `User-Agent` header |
//! | `.tls(TlsConfig)` | certificate trust: the platform's store (default), extra roots from PEM, … |
//! | `.transport(Arc<dyn Transport>)` | another transport (tests, replay, a custom reqwest client) |
//! | `.clock(Arc<dyn Clock>)` | another clock (virtual time in tests) |
//!
//! A vendor builder keeps a [`Settings`] in a field named `settings` and expands
//! [`client_builder_methods!`](crate::client_builder_methods) in its `impl` block, so none of
//! these methods can drift apart between crates.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::client::ClientBuilder;
use crate::clock::{Clock, TokioClock};
use crate::rate_limit::{BackoffGate, GcraLimiter, Penalty, Quota, RateLimiter};
use crate::retry::RetryPolicy;
use crate::tls::TlsConfig;
use crate::transport::{Transport, TransportConfig};

/// The default time allowed for one whole attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which client-side rate limiter a builder will install.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum RateLimit {
    /// The vendor crate's documented default (which may be "none").
    #[default]
    VendorDefault,
    /// A GCRA quota of this shape.
    Quota(Quota),
    /// A limiter supplied by the caller.
    Limiter(Arc<dyn RateLimiter>),
    /// No client-side quota; the shared 429/503 back-off stays (a [`BackoffGate`]).
    Off,
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateLimit::VendorDefault => f.write_str("VendorDefault"),
            RateLimit::Quota(q) => f.debug_tuple("Quota").field(q).finish(),
            RateLimit::Limiter(l) => f.debug_tuple("Limiter").field(l).finish(),
            RateLimit::Off => f.write_str("Off"),
        }
    }
}

/// The settings shared by every vendor client builder. See the [module docs](self).
#[derive(Clone)]
#[non_exhaustive]
pub struct Settings {
    /// The API's base URL.
    pub base_url: String,
    /// Time allowed for one whole attempt.
    pub timeout: Duration,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// How the default transport verifies servers' certificates.
    pub tls: TlsConfig,
    /// The retry policy.
    pub retry: RetryPolicy,
    /// The client-side rate limiter to install.
    pub rate_limit: RateLimit,
    /// A transport replacing the default reqwest one.
    pub transport: Option<Arc<dyn Transport>>,
    /// A clock replacing tokio's.
    pub clock: Option<Arc<dyn Clock>>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .field("tls", &self.tls)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Settings with the given base URL and `User-Agent`, and the shared defaults:
    /// [`DEFAULT_TIMEOUT`], [`DEFAULT_CONNECT_TIMEOUT`], the default [`RetryPolicy`], the
    /// vendor's default rate limit, reqwest transport, tokio clock.
    pub fn new(base_url: impl Into<String>, user_agent: impl Into<String>) -> Self {
        Settings {
            base_url: base_url.into(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: user_agent.into(),
            tls: TlsConfig::default(),
            retry: RetryPolicy::default(),
            rate_limit: RateLimit::VendorDefault,
            transport: None,
            clock: None,
        }
    }

    /// The clock to use: the configured one, else tokio's.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone().unwrap_or_else(|| Arc::new(TokioClock))
    }

    /// The settings of the default reqwest transport (timeouts, `User-Agent`, TLS).
    pub fn transport_config(&self) -> TransportConfig {
        TransportConfig::default()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.clone())
            .tls(self.tls.clone())
    }

    /// The limiter to install, to be shared by every http-core client the vendor client builds
    /// (API and token calls alike): the caller's own limiter; else a GCRA limiter on `clock` for
    /// the caller's quota or `vendor_default`; else — no quota anywhere, or `.no_rate_limit()` —
    /// a [`BackoffGate`] on `clock`, so a client without a quota still shares 429/503 back-off
    /// across its clones (issue 16). Only a caller's own limiter replaces the back-off; every
    /// limiter of this crate also caps a pause at the retry policy's `max_retry_after`.
    pub fn limiter(
        &self,
        vendor_default: Option<Quota>,
        clock: Arc<dyn Clock>,
    ) -> Arc<dyn RateLimiter> {
        let quota = match &self.rate_limit {
            RateLimit::Limiter(l) => return l.clone(),
            RateLimit::Quota(q) => Some(*q),
            RateLimit::VendorDefault => vendor_default,
            RateLimit::Off => None,
        };
        let penalty = Penalty::default().max_pause(self.retry.max_retry_after);
        match quota {
            Some(q) => Arc::new(GcraLimiter::with_clock(q, clock).penalty(penalty)),
            None => Arc::new(BackoffGate::with_clock(clock).penalty(penalty)),
        }
    }

    /// An http-core [`ClientBuilder`] for `vendor` at `base_url` with this transport (or the
    /// default transport built from `transport_config`), retry policy and clock. The caller adds
    /// the limiter, classifier and auth.
    pub fn core_builder(
        &self,
        vendor: &'static str,
        base_url: &str,
        transport_config: TransportConfig,
    ) -> ClientBuilder {
        let mut b = crate::Client::builder(vendor, base_url)
            .transport_config(transport_config)
            .retry(self.retry.clone())
            .clock(self.clock());
        if let Some(t) = &self.transport {
            b = b.transport(t.clone());
        }
        b
    }
}

/// Expands the shared builder methods (see the [module docs](crate::settings)) inside a vendor
/// builder's `impl` block. The builder must have a field `settings: `[`Settings`].
#[macro_export]
macro_rules! client_builder_methods {
    () => {
        /// Sets the API's base URL (the crate docs name the default).
        pub fn base_url(mut self, url: impl Into<::std::string::String>) -> Self {
            self.settings.base_url = url.into();
            self
        }
        /// Sets the time allowed for one whole attempt (default 30 s). Each attempt is also
        /// capped by what is left of the retry policy's total budget.
        pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.settings.timeout = timeout;
            self
        }
        /// Sets the time allowed to open a connection (default 10 s).
        pub fn connect_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.settings.connect_timeout = timeout;
            self
        }
        /// Sets the retry policy. Reads are retried after timeouts, resets, 5xx and 429;
        /// creates without an idempotency key only when they provably never reached the server.
        pub fn retry(mut self, policy: $crate::retry::RetryPolicy) -> Self {
            self.settings.retry = policy;
            self
        }
        /// Sets a client-side quota, shared by all clones of the client (the crate docs name
        /// the default).
        pub fn rate_limit(mut self, quota: $crate::rate_limit::Quota) -> Self {
            self.settings.rate_limit = $crate::settings::RateLimit::Quota(quota);
            self
        }
        /// Uses a limiter of your own, e.g. one shared by several clients or by a fleet.
        pub fn rate_limiter(
            mut self,
            limiter: ::std::sync::Arc<dyn $crate::rate_limit::RateLimiter>,
        ) -> Self {
            self.settings.rate_limit = $crate::settings::RateLimit::Limiter(limiter);
            self
        }
        /// No client-side quota. 429 answers (and 503 answers with `Retry-After`) still pause
        /// every clone of the client, for at most the retry policy's `max_retry_after`.
        pub fn no_rate_limit(mut self) -> Self {
            self.settings.rate_limit = $crate::settings::RateLimit::Off;
            self
        }
        /// Sets the `User-Agent` header.
        pub fn user_agent(mut self, user_agent: impl Into<::std::string::String>) -> Self {
            self.settings.user_agent = user_agent.into();
            self
        }
        /// Sets how servers' certificates are verified: the platform's trust store (default),
        /// extra root certificates (an institution's own CA), the bundled Mozilla roots; see
        /// [`TlsConfig`](billing_http_core::TlsConfig).
        pub fn tls(mut self, tls: $crate::TlsConfig) -> Self {
            self.settings.tls = tls;
            self
        }
        /// Replaces the transport (tests, replay of cassettes, a custom reqwest client).
        /// Timeouts, `User-Agent` and TLS set on this builder apply only to the default
        /// transport.
        pub fn transport(
            mut self,
            transport: ::std::sync::Arc<dyn $crate::transport::Transport>,
        ) -> Self {
            self.settings.transport = ::std::option::Option::Some(transport);
            self
        }
        /// Replaces the clock used for retry delays, rate limiting and token lifetimes
        /// (virtual time in tests).
        pub fn clock(mut self, clock: ::std::sync::Arc<dyn $crate::clock::Clock>) -> Self {
            self.settings.clock = ::std::option::Option::Some(clock);
            self
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Builder {
        settings: Settings,
    }
    #[allow(dead_code)] // the test builder does not call every generated method
    impl Builder {
        crate::client_builder_methods!();
    }

    #[test]
    fn the_macro_sets_every_shared_setting() {
        let b = Builder {
            settings: Settings::new("https://example.test/", "ua/1"),
        }
        .base_url("https://other.test/")
        .timeout(Duration::from_secs(3))
        .connect_timeout(Duration::from_secs(2))
        .user_agent("me/2")
        .tls(TlsConfig::default().trust(crate::TrustRoots::WebpkiRoots))
        .rate_limit(Quota::per_second(7));
        assert_eq!(b.settings.base_url, "https://other.test/");
        assert_eq!(b.settings.timeout, Duration::from_secs(3));
        assert_eq!(b.settings.connect_timeout, Duration::from_secs(2));
        assert_eq!(b.settings.user_agent, "me/2");
        assert_eq!(
            b.settings.transport_config().tls.roots(),
            crate::TrustRoots::WebpkiRoots,
            "the TLS choice reaches the transport"
        );
        let clock = b.settings.clock();
        let limiter = b.settings.limiter(None, clock.clone());
        assert!(
            format!("{limiter:?}").starts_with("GcraLimiter"),
            "an explicit quota installs a quota: {limiter:?}"
        );
        let off = b.no_rate_limit();
        let limiter = off.settings.limiter(Some(Quota::per_second(1)), clock);
        assert!(
            format!("{limiter:?}").starts_with("BackoffGate"),
            "no_rate_limit overrides the vendor default, back-off stays: {limiter:?}"
        );
    }

    #[test]
    fn the_vendor_default_applies_only_when_nothing_was_chosen() {
        let s = Settings::new("https://example.test/", "ua/1");
        let clock = s.clock();
        let debug = |l: Arc<dyn RateLimiter>| format!("{l:?}");
        assert!(debug(s.limiter(None, clock.clone())).starts_with("BackoffGate"));
        assert!(debug(s.limiter(Some(Quota::per_second(5)), clock)).starts_with("GcraLimiter"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_without_a_quota_still_caps_its_pause_at_max_retry_after() {
        let mut s = Settings::new("https://example.test/", "ua/1");
        s.retry = RetryPolicy::default().max_retry_after(Duration::from_secs(30));
        let limiter = s.limiter(None, s.clock());
        limiter.penalize(Some(Duration::from_secs(999_999))).await;
        let start = tokio::time::Instant::now();
        limiter
            .acquire(Duration::MAX)
            .await
            .expect("no budget limit");
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }
}
