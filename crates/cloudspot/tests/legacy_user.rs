//! Legacy external-app user login (feature `legacy-user-auth`): CS-Q09, CS-Q17 over HTTP,
//! distinct bad-credentials / invalid-token errors, and the session-token cache.
#![cfg(feature = "legacy-user-auth")]
#![allow(deprecated, clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use billing_http_core::clock::ManualClock;
use cloudspot::{Error, NoValidToken, UserClient};
use common::*;
use secrecy::ExposeSecret;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SESSION: &str = "SESSION-EXAMPLE-000000000000000000000000000000000001";
const SESSION2: &str = "SESSION-EXAMPLE-000000000000000000000000000000000002";

fn user_client(server: &MockServer, requestor: &str) -> UserClient {
    UserClient::builder(requestor)
        .base_url(format!("{}{BASE}", server.uri()))
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap()
}

async fn mount_signin(server: &MockServer, token: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path(api("auth/signin-external-app/")))
        .and(body_json(json!({"username": "jdoe", "password": "s3cret"})))
        .respond_with(json(json!({
            "token": token,
            "permissions": [{"permission": "timeapp_use"}, {"permission": "timeapp_timetracking_create"}],
            "company": "cmp-0001-example"
        })))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn cs_q09_requestor_lowercased() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    mount_signin(&server, SESSION, 1).await;
    for p in ["auth/get-permissions/", "auth/get-user/"] {
        Mock::given(method("GET"))
            .and(path(api(p)))
            .and(header("x-erp-requestor", "timeapp"))
            .and(header("x-erp-token", SESSION))
            .and(header("content-type", "application/json"))
            .respond_with(json(json!({"permissions": [], "first_name": "Jane"})))
            .expect(1)
            .mount(&server)
            .await;
    }
    catch_all(&server).await;
    let client = user_client(&server, "TimeApp");
    assert_eq!(client.requestor(), "timeapp");
    client.sign_in("jdoe", "s3cret").await?;
    client.permissions().await?;
    client.user().await?;
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 3);
    for r in &requests {
        assert_eq!(
            r.headers.get("x-erp-requestor").map(|v| v.as_bytes()),
            Some(&b"timeapp"[..])
        );
    }
    // Company-data requests never send the requestor header; sign-in sends no token.
    assert!(requests[0].headers.get("x-erp-token").is_none());

    for bad in ["", " timeapp", "timeapp "] {
        assert!(
            UserClient::builder(bad).build().is_err(),
            "{bad:?} accepted"
        );
    }
    Ok(())
}

#[tokio::test]
async fn cs_q17_permissions_shapes_over_http() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("auth/get-permissions/")))
        .respond_with(json(json!({"permissions": {"permission": "timeapp_use"}})))
        .mount(&server)
        .await;
    let client = UserClient::builder("timeapp")
        .base_url(format!("{}{BASE}", server.uri()))
        .session_token(SESSION)
        .build()?;
    assert_eq!(client.permissions().await?.slugs(), vec!["timeapp_use"]);
    Ok(())
}

#[tokio::test]
async fn sign_in_returns_token_permissions_and_caches_the_session() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    mount_signin(&server, SESSION, 1).await;
    Mock::given(path(api("auth/get-user/")))
        .and(header("x-erp-token", SESSION))
        .respond_with(json(
            json!({"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@example.org",
                                  "company": "cmp-0001-example", "pin": 1234}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = user_client(&server, "timeapp");
    let auth = client.sign_in("jdoe", "s3cret").await?;
    assert_eq!(
        auth.slugs(),
        vec!["timeapp_use", "timeapp_timetracking_create"]
    );
    assert_eq!(auth.company.as_deref(), Some("cmp-0001-example"));
    assert_eq!(
        client
            .session_token()
            .map(|t| t.expose_secret().to_owned())
            .as_deref(),
        Some(SESSION)
    );
    let user = client.user().await?;
    assert_eq!(user.email.as_deref(), Some("jane.doe@example.org"));
    assert_eq!(user.pin.as_ref().map(|p| p.expose_secret()), Some("1234"));
    Ok(())
}

#[tokio::test]
async fn bad_credentials_and_invalid_token_are_distinct_errors() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("auth/signin-external-app/")))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"message": "Verkeerde gebruikersnaam of wachtwoord."})),
        )
        .expect(1) // a wrong password is never replayed
        .mount(&server)
        .await;
    Mock::given(path(api("auth/get-user/")))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "Token ongeldig."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = user_client(&server, "timeapp");
    let err = client.sign_in("jdoe", "wrong").await.unwrap_err();
    assert!(matches!(err, Error::BadCredentials(_)), "{err:?}");
    assert_eq!(
        err.server_message(),
        Some("Verkeerde gebruikersnaam of wachtwoord.")
    );
    assert!(!err.to_string().contains("wrong"));

    // A token obtained earlier and now refused (no credentials to refetch with).
    let client = UserClient::builder("timeapp")
        .base_url(format!("{}{BASE}", server.uri()))
        .session_token("EXPIRED-SESSION")
        .build()?;
    let err = client.user().await.unwrap_err();
    assert!(
        matches!(err, Error::NoValidToken(NoValidToken::Rejected(_))),
        "{err:?}"
    );
    assert_eq!(err.server_message(), Some("Token ongeldig."));
    Ok(())
}

#[tokio::test]
async fn sign_in_outage_is_not_reported_as_bad_credentials() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("auth/signin-external-app/")))
        .respond_with(ResponseTemplate::new(503).set_body_raw("<html>down</html>", "text/html"))
        .expect(1) // POST that reached the server: not retried
        .mount(&server)
        .await;
    let err = user_client(&server, "timeapp")
        .sign_in("jdoe", "s3cret")
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Api(a) if a.status == 503), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn missing_token_fails_before_sending_anything() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = user_client(&server, "timeapp");
    let err = client.permissions().await.unwrap_err();
    assert!(
        matches!(err, Error::NoValidToken(NoValidToken::Missing)),
        "{err:?}"
    );
    let err = client.user().await.unwrap_err();
    assert!(
        matches!(err, Error::NoValidToken(NoValidToken::Missing)),
        "{err:?}"
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn expired_session_token_is_refetched_once() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    // First sign-in gives SESSION, the re-sign-in after the 401 gives SESSION2.
    Mock::given(method("POST"))
        .and(path(api("auth/signin-external-app/")))
        .respond_with(json(json!({"token": SESSION, "permissions": []})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_signin(&server, SESSION2, 1).await;
    Mock::given(path(api("auth/get-permissions/")))
        .and(header("x-erp-token", SESSION))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "Token verlopen."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(api("auth/get-permissions/")))
        .and(header("x-erp-token", SESSION2))
        .respond_with(json(
            json!({"permissions": [{"permission": "timeapp_use"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = user_client(&server, "timeapp");
    client.sign_in("jdoe", "s3cret").await?;
    assert_eq!(client.permissions().await?.slugs(), vec!["timeapp_use"]);
    assert_eq!(
        client
            .session_token()
            .map(|t| t.expose_secret().to_owned())
            .as_deref(),
        Some(SESSION2)
    );
    Ok(())
}

#[tokio::test]
async fn refetched_token_refused_again_gives_rejected_after_one_refetch() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    mount_signin(&server, SESSION, 2).await; // initial sign-in + exactly one refetch
    Mock::given(path(api("auth/get-user/")))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "Token ongeldig."})),
        )
        .expect(2)
        .mount(&server)
        .await;
    let client = user_client(&server, "timeapp");
    client.sign_in("jdoe", "s3cret").await?;
    let err = client.user().await.unwrap_err();
    assert!(
        matches!(err, Error::NoValidToken(NoValidToken::Rejected(_))),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn refetch_with_changed_password_is_bad_credentials() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("auth/signin-external-app/")))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"message": "Ongeldige login."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = UserClient::builder("timeapp")
        .base_url(format!("{}{BASE}", server.uri()))
        .credentials("jdoe", "old-password")
        .build()?;
    let err = client.user().await.unwrap_err();
    assert!(matches!(err, Error::BadCredentials(_)), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn concurrent_callers_share_one_sign_in() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    mount_signin(&server, SESSION, 1).await;
    Mock::given(path(api("auth/get-user/")))
        .and(header("x-erp-token", SESSION))
        .respond_with(json(json!({"first_name": "Jane"})))
        .expect(8)
        .mount(&server)
        .await;
    let client = UserClient::builder("timeapp")
        .base_url(format!("{}{BASE}", server.uri()))
        .credentials("jdoe", "s3cret")
        .build()?;
    let calls = (0..8).map(|_| client.user());
    for r in futures::future::join_all(calls).await {
        assert_eq!(r?.first_name.as_deref(), Some("Jane"));
    }
    Ok(())
}

#[test]
fn debug_never_shows_password_or_token() -> anyhow::Result<()> {
    let b = UserClient::builder("timeapp")
        .session_token("SECRET-TOKEN-1")
        .credentials("jdoe", "PASSWORD-1");
    let dbg = format!("{b:?}");
    assert!(
        !dbg.contains("SECRET-TOKEN-1") && !dbg.contains("PASSWORD-1"),
        "{dbg}"
    );
    let c = b.build()?;
    let dbg = format!("{c:?}");
    assert!(
        !dbg.contains("SECRET-TOKEN-1") && !dbg.contains("PASSWORD-1"),
        "{dbg}"
    );
    Ok(())
}

#[tokio::test]
async fn token_store_keeps_one_session_per_user_across_clients() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    mount_signin(&server, SESSION, 1).await; // only the first client signs in
    Mock::given(path(api("auth/get-user/")))
        .and(header("x-erp-token", SESSION))
        .respond_with(json(json!({"first_name": "Jane"})))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let store: Arc<dyn billing_http_core::auth::TokenStore> =
        Arc::new(billing_http_core::auth::store::memory::MemoryStore::new());
    for _ in 0..2 {
        let client = UserClient::builder("timeapp")
            .base_url(format!("{}{BASE}", server.uri()))
            .credentials("jdoe", "s3cret")
            .token_store(store.clone())
            .build()?;
        assert_eq!(client.user().await?.first_name.as_deref(), Some("Jane"));
    }
    Ok(())
}
