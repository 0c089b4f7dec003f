//! [`TlsConfig`]: how the production transport verifies a server's certificate.
//!
//! PPMS in particular is often self-hosted behind an institution's own certificate authority.
//! Three ways to trust it, from best to worst:
//!
//! 1. install the institution's CA in the operating system: the default trust,
//!    [`TrustRoots::Platform`], picks it up with no code;
//! 2. add it in code: [`TlsConfig::add_root_pem`] (on top of the platform's roots, or on its own
//!    with [`TrustRoots::ExtraOnly`]);
//! 3. for a lab test only: [`TlsConfig::danger_accept_invalid_certs`].
//!
//! ```no_run
//! use billing_http_core::TlsConfig;
//!
//! # fn run() -> Result<(), billing_http_core::Error> {
//! let pem = std::fs::read("/etc/my-institution/ca.pem").map_err(|e| {
//!     billing_http_core::Error::config(format!("cannot read the CA file: {e}"))
//! })?;
//! let tls = TlsConfig::default().add_root_pem(&pem)?;
//! // every vendor builder takes it: ppms::Client::builder(url).tls(tls)
//! # let _ = tls;
//! # Ok(()) }
//! ```
//!
//! ## Why these defaults
//!
//! * **Trust: the platform verifier** ([`rustls-platform-verifier`]): on macOS and Windows the
//!   operating system itself verifies the chain, so enterprise-installed roots, group policy
//!   and revocation apply as in a browser; on Linux the system CA bundle is read (through
//!   `rustls-native-certs`: `/etc/ssl/certs`, or `SSL_CERT_FILE` / `SSL_CERT_DIR`). An
//!   on-premises server whose CA the administrators installed works without any setting. The
//!   bundled Mozilla roots ([`TrustRoots::WebpkiRoots`]) are there for minimal containers that
//!   have no CA bundle.
//! * **Crypto: rustls with the `ring` provider.** reqwest 0.13's default is `aws-lc-rs`, whose
//!   build needs more than a C compiler on some targets (CMake, NASM or libclang for bindings);
//!   `ring` builds with a C compiler alone and is smaller. The provider is passed to each
//!   connection's configuration, never installed process-wide, so a program's own rustls
//!   setup is left alone. (If your own code builds reqwest clients and enables no reqwest TLS
//!   feature of its own, it now sees reqwest's `rustls-no-provider` feature: enable reqwest's
//!   `rustls` feature, or configure its clients with [`TlsConfig::reqwest_builder`].)
//!
//! [`rustls-platform-verifier`]: https://docs.rs/rustls-platform-verifier

use std::fmt;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::Error;

/// Which root certificates a server's chain must lead to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustRoots {
    /// The operating system's verifier and trust store (the default; see the
    /// [module docs](self)), plus the extra roots.
    #[default]
    Platform,
    /// The Mozilla root program as bundled in the `webpki-roots` crate (whatever the machine
    /// trusts), plus the extra roots.
    WebpkiRoots,
    /// Only the roots added with [`TlsConfig::add_root_pem`], e.g. to accept nothing but the
    /// institution's own CA.
    ExtraOnly,
}

/// How the production transport verifies servers (see the [module docs](self)). The default
/// is the platform's trust store with certificate verification on.
#[derive(Clone, Default)]
pub struct TlsConfig {
    roots: TrustRoots,
    extra_roots: Vec<CertificateDer<'static>>,
    accept_invalid_certs: bool,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("roots", &self.roots)
            .field("extra_roots", &self.extra_roots.len())
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish()
    }
}

impl TlsConfig {
    /// The default: the platform's trust store, verification on.
    pub fn new() -> Self {
        Self::default()
    }

    /// Chooses the root certificates (default [`TrustRoots::Platform`]).
    pub fn trust(mut self, roots: TrustRoots) -> Self {
        self.roots = roots;
        self
    }

    /// The root set chosen.
    pub fn roots(&self) -> TrustRoots {
        self.roots
    }

    /// Adds every certificate of a PEM file (`-----BEGIN CERTIFICATE-----` blocks; other blocks
    /// are skipped) as a trusted root, e.g. an institution's own CA.
    ///
    /// Errors (a configuration error) when the bytes hold no certificate, when a block is not
    /// valid PEM or base64, or when a certificate cannot serve as a trust anchor.
    pub fn add_root_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let mut found = Vec::new();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| Error::config(format!("tls: invalid PEM: {e}")))?;
            RootCertStore::empty().add(cert.clone()).map_err(|e| {
                Error::config(format!(
                    "tls: PEM certificate {} is not a usable root certificate: {e}",
                    found.len() + 1
                ))
            })?;
            found.push(cert);
        }
        if found.is_empty() {
            return Err(Error::config(
                "tls: no certificate found in the PEM data (expected `-----BEGIN CERTIFICATE-----`)",
            ));
        }
        self.extra_roots.extend(found);
        Ok(self)
    }

    /// The number of extra root certificates added.
    pub fn extra_roots(&self) -> usize {
        self.extra_roots.len()
    }

    /// **Dangerous**: accepts any certificate, for any host name, from anyone: a
    /// man-in-the-middle can read and change everything, credentials included. Only for a lab
    /// test against a throw-away server; prefer [`TlsConfig::add_root_pem`] with the server's
    /// CA. Off by default; the transport logs a warning (`tracing`) each time it is built with
    /// it.
    pub fn danger_accept_invalid_certs(mut self) -> Self {
        self.accept_invalid_certs = true;
        self
    }

    /// Whether certificate verification is off.
    pub fn accepts_invalid_certs(&self) -> bool {
        self.accept_invalid_certs
    }

    /// A `reqwest` client builder using this configuration, for a client of your own (for
    /// example with a proxy) to pass to
    /// [`ReqwestTransport::from_client`](crate::transport::ReqwestTransport::from_client).
    pub fn reqwest_builder(&self) -> Result<reqwest::ClientBuilder, Error> {
        Ok(reqwest::Client::builder().tls_backend_preconfigured(self.client_config()?))
    }

    /// The rustls configuration: the `ring` provider, safe protocol versions, the chosen
    /// verifier, no client certificate.
    pub(crate) fn client_config(&self) -> Result<ClientConfig, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::config(format!("tls: {e}")))?;
        let builder = if self.accept_invalid_certs {
            tracing::warn!(
                "tls certificate verification is off (TlsConfig::danger_accept_invalid_certs): \
                 any server can impersonate the API and read the credentials"
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        } else {
            match self.roots {
                TrustRoots::Platform => builder
                    .dangerous()
                    .with_custom_certificate_verifier(self.platform_verifier(provider)?),
                TrustRoots::WebpkiRoots => {
                    let mut store = RootCertStore {
                        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                    };
                    self.add_extra_roots(&mut store)?;
                    builder.with_root_certificates(store)
                }
                TrustRoots::ExtraOnly => {
                    if self.extra_roots.is_empty() {
                        return Err(Error::config(
                            "tls: TrustRoots::ExtraOnly needs at least one root certificate \
                             (TlsConfig::add_root_pem)",
                        ));
                    }
                    let mut store = RootCertStore::empty();
                    self.add_extra_roots(&mut store)?;
                    builder.with_root_certificates(store)
                }
            }
        };
        Ok(builder.with_no_client_auth())
    }

    fn add_extra_roots(&self, store: &mut RootCertStore) -> Result<(), Error> {
        for cert in &self.extra_roots {
            store
                .add(cert.clone())
                .map_err(|e| Error::config(format!("tls: unusable root certificate: {e}")))?;
        }
        Ok(())
    }

    /// The platform verifier. Without extra roots it is built once per process: on Linux it
    /// reads and parses the system's CA bundle, which need not happen for every client.
    fn platform_verifier(
        &self,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<dyn ServerCertVerifier>, Error> {
        static PLAIN: OnceLock<Arc<rustls_platform_verifier::Verifier>> = OnceLock::new();
        let unavailable = |e: rustls::Error| {
            Error::config(format!(
                "tls: the platform's trust store is unavailable ({e}); install the system CA \
                 certificates, or use TrustRoots::WebpkiRoots or TlsConfig::add_root_pem"
            ))
        };
        if self.extra_roots.is_empty() {
            if let Some(v) = PLAIN.get() {
                return Ok(v.clone());
            }
            let v =
                Arc::new(rustls_platform_verifier::Verifier::new(provider).map_err(unavailable)?);
            return Ok(PLAIN.get_or_init(|| v).clone());
        }
        #[cfg(any(all(unix, not(target_os = "android")), windows))]
        {
            let v = rustls_platform_verifier::Verifier::new_with_extra_roots(
                self.extra_roots.iter().cloned(),
                provider,
            )
            .map_err(unavailable)?;
            Ok(Arc::new(v))
        }
        #[cfg(not(any(all(unix, not(target_os = "android")), windows)))]
        {
            let _ = provider;
            Err(Error::config(
                "tls: extra root certificates cannot be added to this platform's verifier; \
                 use TrustRoots::WebpkiRoots or TrustRoots::ExtraOnly",
            ))
        }
    }
}

/// The verifier of [`TlsConfig::danger_accept_invalid_certs`]: any certificate chain and host
/// name is accepted; the handshake signatures are still checked (with the provider's
/// algorithms), so the connection is at least to whoever holds the presented key.
///
/// Hand-written because reqwest's own `tls_danger_accept_invalid_certs` applies only to the
/// configuration reqwest builds itself, which needs a process-wide crypto provider.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_pem_is_a_clear_configuration_error() {
        let none = TlsConfig::default()
            .add_root_pem(b"not a certificate")
            .expect_err("no certificate");
        assert!(none.message().contains("no certificate found"), "{none}");
        let broken = TlsConfig::default()
            .add_root_pem(b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
            .expect_err("bad base64");
        assert!(broken.message().contains("invalid PEM"), "{broken}");
        let not_a_cert = TlsConfig::default()
            .add_root_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .expect_err("not a certificate");
        assert!(
            not_a_cert
                .message()
                .contains("not a usable root certificate"),
            "{not_a_cert}"
        );
    }

    #[test]
    fn extra_only_without_roots_is_refused() {
        let e = TlsConfig::default()
            .trust(TrustRoots::ExtraOnly)
            .client_config()
            .expect_err("nothing to trust");
        assert!(e.message().contains("at least one root"), "{e}");
    }
}
