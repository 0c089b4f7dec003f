//! The recording scenarios run through the real recorder against a mock server: the written
//! cassette holds no secret (CS-Q14) and no personal data in the clear.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use billing_http_core::cassette::{Cassette, Vars};
use billing_http_core::transport::ReqwestTransport;
use billing_http_core::{Transport, TransportConfig};
use billing_sandbox::Sandbox;
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer};

use common::{api, json as reply};

const REAL_TOKEN: &str = "tok-Live-7f3a9c2b1e8d4f6a0b5c9e2d7a1f4b8c";

fn transport() -> Arc<dyn Transport> {
    Arc::new(ReqwestTransport::new(&TransportConfig::default()).unwrap())
}

fn vars() -> Vars {
    let mut v = Vars::new();
    v.set("CLOUDSPOT_TOKEN", REAL_TOKEN, true);
    v.set("CLOUDSPOT_USERNAME", "jdoe.live@mailhost.be", false);
    v.set("CLOUDSPOT_PASSWORD", "Pw-Live-4b8c1e9d", true);
    v.set("CLOUDSPOT_REQUESTOR", "TimeApp", false);
    v
}

#[tokio::test]
async fn cs_q14_recorded_cassette_has_no_token() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(path(api("klanten/")))
        .respond_with(reply(json!({"data": [{
            "klantennummer": 7, "voornaam": "Annelies", "achternaam": "Verhaeghe", "straat": "Kerkstraat",
            "geboortedatum": "1980-02-29", "BTW_nummer": "BE0123456789"
        }]})))
        .expect(1)
        .mount(&server)
        .await;
    let rec = cloudspot::recording::recording();
    let scenario = rec.find("klanten_list").unwrap();
    let base = format!("{}{}", server.uri(), common::BASE);
    let cassette = scenario
        .record(&rec, &base, transport(), &vars(), None)
        .await?;
    let text = cassette.to_json();
    assert!(!text.contains(REAL_TOKEN), "token leaked into the cassette");
    assert!(text.contains("x-erp-token"), "the header is kept, scrubbed");
    for personal in [
        "Annelies",
        "Verhaeghe",
        "Kerkstraat",
        "BE0123456789",
        "1980-02-29",
    ] {
        assert!(
            !text.contains(personal),
            "{personal} kept in the clear:\n{text}"
        );
    }
    // The birth date moves to 1901 but keeps its format, so the scrubbed cassette still decodes.
    assert!(
        text.contains("1901-"),
        "birth date not pseudonymised as a date:\n{text}"
    );
    // The server really received the token, byte for byte.
    let received = server.received_requests().await.unwrap_or_default();
    assert_eq!(
        received[0].headers.get("x-erp-token").map(|v| v.as_bytes()),
        Some(REAL_TOKEN.as_bytes())
    );
    Ok(())
}

#[cfg(feature = "legacy-user-auth")]
#[tokio::test]
async fn legacy_recording_scrubs_password_session_token_and_pin() -> anyhow::Result<()> {
    let session = "SESSION-Live-9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c";
    let server = MockServer::start().await;
    Mock::given(path(api("auth/signin-external-app/")))
        .respond_with(reply(json!({"token": session, "permissions": [{"permission": "timeapp_use"}], "company": "cmp-1"})))
        .mount(&server)
        .await;
    Mock::given(path(api("auth/get-permissions/")))
        .respond_with(reply(
            json!({"permissions": [{"permission": "timeapp_use"}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(path(api("auth/get-user/")))
        .respond_with(reply(json!({"first_name": "Jane", "last_name": "Doe", "email": "jdoe.live@mailhost.be", "pin": 4321})))
        .mount(&server)
        .await;
    let rec = cloudspot::recording::recording();
    let scenario = rec.find("legacy_user_login").unwrap();
    let base = format!("{}{}", server.uri(), common::BASE);
    let cassette = scenario
        .record(&rec, &base, transport(), &vars(), None)
        .await?;
    let text = cassette.to_json();
    for secret in [session, "Pw-Live-4b8c1e9d", "4321", "jdoe.live@mailhost.be"] {
        assert!(
            !text.contains(secret),
            "{secret} kept in the cassette:\n{text}"
        );
    }
    assert!(text.contains("timeapp"), "the requestor header is kept");
    Ok(())
}

/// What `cargo xtask record --vendor cloudspot --sandbox --check` proves, for every scenario
/// compiled in (the legacy one too under `--all-features`): recording against a sandbox that
/// serves only the committed cassette, with the variables' sandbox values, regenerates that
/// cassette exactly. Fails when a sandbox value no longer matches the committed request (the
/// sandbox answers 599) or when the scrubber would rewrite an invented value.
#[tokio::test]
async fn every_scenario_rerecorded_against_its_sandbox_regenerates_its_cassette()
-> anyhow::Result<()> {
    let rec = cloudspot::recording::recording();
    let mut vars = Vars::new();
    for var in &rec.credentials {
        if let Some(value) = var.sandbox_default() {
            vars.set(var.name, value, var.secret);
        }
    }
    assert!(!rec.scenarios().is_empty());
    for scenario in rec.scenarios() {
        let committed = Cassette::load_fixture(&format!("cloudspot/{}.json", scenario.name()))?;
        let sb = Sandbox::builder("cloudspot")
            .scrub_config(rec.scrub.clone())
            .with_cassette(committed.clone())
            .start()
            .await?;
        let recorded = scenario
            .record(&rec, &sb.url(), transport(), &vars, None)
            .await;
        let misses = sb.misses();
        let recorded = recorded.map_err(|e| {
            anyhow::anyhow!(
                "{} failed: {e}; sandbox misses: {misses:?}",
                scenario.name()
            )
        })?;
        assert!(
            committed.same_interactions(&recorded),
            "{} re-records differently (misses: {misses:?}):\n{}",
            scenario.name(),
            recorded.to_json()
        );
    }
    Ok(())
}
