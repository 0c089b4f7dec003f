//! A Pax8-style OAuth2 client-credentials token source, written outside `http-core` as a vendor
//! crate would write it, plugs into the token cache over real HTTP (a local mock server).
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use billing_http_core::auth::store::{FileStore, TokenKey};
use billing_http_core::auth::{NoAuth, Token, TokenCache, TokenSource};
use billing_http_core::{Client, Error, ErrorKind, ExposeSecret, Request, SecretString};
use futures::future::BoxFuture;
use serde::Deserialize;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT_SECRET: &str = "cs-example-secret-never-stored";

/// What the `pax8` crate would write: JSON body, `expires_in` seconds, 24 h default and cap.
#[derive(Debug)]
struct ClientCredentials {
    http: Client,
    client_id: String,
    client_secret: SecretString,
    audience: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<u64>,
    token_type: Option<String>,
}

impl TokenSource for ClientCredentials {
    fn fetch(&self) -> BoxFuture<'_, Result<Token, Error>> {
        Box::pin(async move {
            let body = serde_json::json!({
                "client_id": self.client_id,
                "client_secret": self.client_secret.expose_secret(),
                "audience": self.audience,
                "grant_type": "client_credentials",
            });
            let resp = self
                .http
                .execute(Request::post("token", "token").json(body))
                .await?;
            let t: TokenResponse = resp.json()?;
            let lifetime = Duration::from_secs(t.expires_in.filter(|s| *s > 0).unwrap_or(86_400));
            Ok(Token::expiring_in(
                SecretString::from(t.access_token),
                t.token_type.unwrap_or_else(|| "Bearer".to_owned()),
                self.http.clock().system_now(),
                lifetime,
            ))
        })
    }
}

async fn setup(server: &MockServer, store_dir: &std::path::Path) -> (Client, TokenCache) {
    let base = format!("{}/v1/", server.uri());
    let token_http = Client::builder("pax8", base.clone())
        .auth(Arc::new(NoAuth))
        .build()
        .unwrap();
    let source = ClientCredentials {
        http: token_http,
        client_id: "example-client-id".to_owned(),
        client_secret: SecretString::from(CLIENT_SECRET.to_owned()),
        audience: "https://api.pax8.com".to_owned(),
    };
    let key = TokenKey::new("pax8", format!("{base}token"), "example-client-id")
        .with_scope("https://api.pax8.com");
    let cache = TokenCache::builder(source, key)
        .store(Arc::new(FileStore::new(store_dir)))
        .max_lifetime(Duration::from_secs(86_400))
        .build();
    let api = Client::builder("pax8", base)
        .auth(Arc::new(cache.clone()))
        .build()
        .unwrap();
    (api, cache)
}

#[tokio::test]
async fn client_credentials_source_over_http_fetches_once_for_many_calls() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/token"))
        .and(body_partial_json(serde_json::json!({
            "client_id": "example-client-id",
            "grant_type": "client_credentials",
            "audience": "https://api.pax8.com",
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(200))
                .set_body_json(serde_json::json!({
                    "access_token": "example.jwt.value",
                    "expires_in": 86400,
                    "token_type": "Bearer",
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/companies"))
        .and(header("authorization", "Bearer example.jwt.value"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"content": []})))
        .expect(20)
        .mount(&server)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let (api, _cache) = setup(&server, tmp.path()).await;
    let calls = (0..20).map(|_| {
        let api = api.clone();
        async move {
            api.execute(Request::get("companies", "companies.list"))
                .await
        }
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    // the token file holds the token and never the secret
    let files: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    let all: Vec<u8> = files.concat();
    let has = |needle: &str| all.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(has("example.jwt.value"));
    assert!(!has(CLIENT_SECRET));
    server.verify().await;
}

#[tokio::test]
async fn rejected_client_secret_is_an_auth_error_without_retry_or_loop() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "access_denied",
            "error_description": "Example description",
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/companies"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let (api, _cache) = setup(&server, tmp.path()).await;
    let err = api
        .execute(Request::get("companies", "companies.list"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    // a second call inside the failure floor does not hit the token endpoint again
    let err2 = api
        .execute(Request::get("companies", "companies.list"))
        .await
        .unwrap_err();
    assert!(err2.is_auth());
    assert!(!format!("{err:?} {err2:?} {err2}").contains(CLIENT_SECRET));
    server.verify().await;
}
