//! TLS against a local HTTPS server whose certificate comes from a certificate authority made
//! at test time (rcgen): the on-premises case (PPMS behind an institution's own CA).
#![allow(clippy::unwrap_used, missing_docs)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use billing_http_core::retry::RetryPolicy;
use billing_http_core::transport::ReqwestTransport;
use billing_http_core::{
    Client, Error, ErrorKind, Request, TlsConfig, TransportConfig, TrustRoots,
};
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

mod capture;
use capture::Captured;

/// A certificate authority: its certificate in PEM and what it needs to sign.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// Serves `200 hello over tls` on 127.0.0.1 with a certificate for `127.0.0.1` signed by `ca`.
async fn https_server(ca: &Ca) -> SocketAddr {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca.issuer)
        .unwrap();
    let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // a client that refuses the certificate ends the handshake: nothing to serve
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = service_fn(|_req| async {
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                        b"hello over tls",
                    ))))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr
}

async fn get(addr: SocketAddr, tls: TlsConfig) -> Result<String, Error> {
    let client = Client::builder("tls-test", format!("https://{addr}/"))
        .transport_config(TransportConfig::default().tls(tls))
        .retry(RetryPolicy::never())
        .build()?;
    let response = client.execute(Request::get("hello", "hello")).await?;
    Ok(response.text()?.to_owned())
}

/// The error of a refused certificate: a connect error that says why, and provably never sent.
fn assert_refused_certificate(e: &Error) {
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert!(
        !e.may_have_reached_server(),
        "a failed handshake never sent the request: {e}"
    );
    let text = e.to_string().to_lowercase();
    assert!(text.contains("certificate"), "the message says why: {e}");
}

#[tokio::test]
async fn an_extra_root_from_pem_trusts_the_institutions_ca() {
    let ca = ca("Institution Root CA");
    let addr = https_server(&ca).await;
    let tls = TlsConfig::default()
        .add_root_pem(ca.pem.as_bytes())
        .unwrap();
    assert_eq!(tls.extra_roots(), 1);
    assert_eq!(get(addr, tls).await.unwrap(), "hello over tls");
    // the same CA as the only root
    let only = TlsConfig::default()
        .trust(TrustRoots::ExtraOnly)
        .add_root_pem(ca.pem.as_bytes())
        .unwrap();
    assert_eq!(get(addr, only).await.unwrap(), "hello over tls");
    // and with the bundled Mozilla roots
    let webpki = TlsConfig::default()
        .trust(TrustRoots::WebpkiRoots)
        .add_root_pem(ca.pem.as_bytes())
        .unwrap();
    assert_eq!(get(addr, webpki).await.unwrap(), "hello over tls");
}

#[tokio::test]
async fn the_default_trust_refuses_a_self_made_ca() {
    let ca = ca("Institution Root CA");
    let addr = https_server(&ca).await;
    let e = get(addr, TlsConfig::default()).await.unwrap_err();
    assert_refused_certificate(&e);
    let e = get(addr, TlsConfig::default().trust(TrustRoots::WebpkiRoots))
        .await
        .unwrap_err();
    assert_refused_certificate(&e);
}

#[tokio::test]
async fn a_wrong_ca_is_refused() {
    let right = ca("Institution Root CA");
    let wrong = ca("Someone Else's Root CA");
    let addr = https_server(&right).await;
    for trust in [
        TrustRoots::Platform,
        TrustRoots::WebpkiRoots,
        TrustRoots::ExtraOnly,
    ] {
        let tls = TlsConfig::default()
            .trust(trust)
            .add_root_pem(wrong.pem.as_bytes())
            .unwrap();
        let e = get(addr, tls).await.unwrap_err();
        assert_refused_certificate(&e);
    }
}

#[tokio::test]
async fn accepting_invalid_certificates_is_off_by_default_and_warned_about() {
    let ca = ca("Institution Root CA");
    let addr = https_server(&ca).await;
    assert!(!TlsConfig::default().accepts_invalid_certs());
    assert!(!TransportConfig::default().tls.accepts_invalid_certs());

    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let dangerous = TlsConfig::default().danger_accept_invalid_certs();
    tracing::subscriber::with_default(subscriber, || {
        ReqwestTransport::new(&TransportConfig::default().tls(dangerous.clone())).unwrap();
    });
    let logged = captured.text();
    assert!(
        logged.contains("WARN") && logged.contains("verification is off"),
        "{logged}"
    );
    // and it does what it says
    assert_eq!(get(addr, dangerous).await.unwrap(), "hello over tls");
}
