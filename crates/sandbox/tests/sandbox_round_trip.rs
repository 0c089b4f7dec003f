//! Record through the sandbox (standing in for a live server) with a recording scenario,
//! scrub, replay: the replay gives the same responses, and re-recording against a sandbox
//! that serves the scrubbed cassette regenerates it identically.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use billing_http_core::cassette::{
    Cassette, CredentialVar, Interaction, PersonalKind, RecordedRequest, RecordedResponse,
    ReplayTransport, Scenario, ScenarioContext, ScrubConfig, Vars, VendorRecording,
};
use billing_http_core::transport::{ReqwestTransport, Transport, TransportConfig};
use billing_http_core::{Client, Request};
use billing_sandbox::Sandbox;

const KEY: &str = "live-ppms-key-31337";

/// A "live" PUMAPI with real-looking personal data.
fn live_data() -> Cassette {
    let mut c = Cassette::new("ppms", "live");
    c.interactions.push(Interaction::new(
        RecordedRequest::new("POST", "/pumapi/").with_form("action", "getusers"),
        RecordedResponse::new(200, b"mcurie\r\nanobel\r\n")
            .with_header("content-type", "text/plain"),
    ));
    for (login, last, first, email) in [
        ("mcurie", "Curie", "Marie", "marie.curie@sorbonne.fr"),
        ("anobel", "Nobel", "Alfred", "alfred@dynamite.se"),
    ] {
        c.interactions.push(Interaction::new(
            RecordedRequest::new("POST", "/pumapi/")
                .with_form("action", "getuser")
                .with_form("login", login),
            RecordedResponse::new(
                200,
                format!(
                    "login,lname,fname,email,active\r\n\"{login}\",\"{last}\",\"{first}\",\"{email}\",true\r\n"
                )
                .as_bytes(),
            )
            .with_header("content-type", "text/plain"),
        ));
    }
    c
}

fn client(ctx_base: &str, transport: Arc<dyn Transport>) -> Client {
    Client::builder("ppms", ctx_base)
        .transport(transport)
        .build()
        .unwrap()
}

fn getusers(key: billing_http_core::SecretString) -> Request {
    Request::post("pumapi/", "getusers")
        .form("action", "getusers")
        .form("apikey", key)
}

fn getuser(key: billing_http_core::SecretString, login: &str) -> Request {
    Request::post("pumapi/", "getuser")
        .form("action", "getuser")
        .form("login", login)
        .form("apikey", key)
}

/// The scenario a vendor crate would declare: list users, then fetch each one.
async fn users(ctx: ScenarioContext) -> Result<(), billing_http_core::Error> {
    let key = ctx.secret("PPMS_API_KEY")?;
    let c = client(ctx.base_url(), ctx.transport());
    let list = c.execute(getusers(key.clone())).await?;
    let logins: Vec<String> = list
        .text()?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    for login in logins {
        c.execute(getuser(key.clone(), &login)).await?;
    }
    Ok(())
}

fn recording() -> VendorRecording {
    VendorRecording::new(
        "ppms",
        ScrubConfig::new()
            .personal_field("login", PersonalKind::Login)
            .personal_field("lname", PersonalKind::LastName)
            .personal_field("fname", PersonalKind::FirstName)
            .personal_field("email", PersonalKind::Email)
            .line_list("action", "getusers", PersonalKind::Login),
    )
    .credential(CredentialVar::secret("PPMS_API_KEY", "PUMAPI key"))
    .scenario(Scenario::new(
        "users",
        "getusers, then getuser per login",
        users,
    ))
}

async fn record_against(sb: &Sandbox) -> Cassette {
    let rec = recording();
    let mut vars = Vars::new();
    vars.set("PPMS_API_KEY", KEY, true);
    let transport: Arc<dyn Transport> =
        Arc::new(ReqwestTransport::new(&TransportConfig::default()).unwrap());
    rec.find("users")
        .unwrap()
        .record(&rec, &sb.url(), transport, &vars, None)
        .await
        .unwrap()
}

#[tokio::test]
async fn record_through_sandbox_scrub_and_replay_round_trip() {
    let live = Sandbox::builder("ppms")
        .with_cassette(live_data())
        .start()
        .await
        .unwrap();
    let recorded = record_against(&live).await;
    assert_eq!(recorded.interactions.len(), 3);
    assert_eq!(live.count("POST /pumapi/ getuser"), 2);
    let text = recorded.to_json();
    for real in [
        "mcurie",
        "Curie",
        "marie.curie",
        "sorbonne",
        "anobel",
        "Nobel",
        KEY,
    ] {
        assert!(!text.contains(real), "{real} left in {text}");
    }
    // CRLF survived and the secret was replaced, not dropped.
    assert!(text.contains("\\r\\n"));
    assert!(text.contains(r#"["apikey", "REDACTED"]"#), "{text}");
    assert!(
        billing_http_core::cassette::find_secrets(&recorded, &recording().scrub, &[KEY]).is_empty()
    );

    // Serve the scrubbed cassette; record again: identical interactions.
    let scrubbed = Sandbox::builder("ppms")
        .with_cassette(recorded.clone())
        .start()
        .await
        .unwrap();
    let again = record_against(&scrubbed).await;
    assert_eq!(again.interactions, recorded.interactions);

    // Replay (no sockets) gives the same responses as the server that serves the cassette.
    let replay = Arc::new(ReplayTransport::new(recorded.clone()));
    let over_http = client(
        &scrubbed.url(),
        Arc::new(ReqwestTransport::new(&TransportConfig::default()).unwrap()),
    );
    let offline = client("http://replay.invalid/", replay.clone());
    let key = || billing_http_core::SecretString::from("any-key");
    let a = offline.execute(getusers(key())).await.unwrap();
    let b = over_http.execute(getusers(key())).await.unwrap();
    assert_eq!((a.status, &a.body), (b.status, &b.body));
    for login in a.text().unwrap().lines() {
        let a = offline.execute(getuser(key(), login)).await.unwrap();
        let b = over_http.execute(getuser(key(), login)).await.unwrap();
        assert_eq!((a.status, &a.body), (b.status, &b.body));
        assert_eq!(a.header("content-type"), b.header("content-type"));
    }
    replay.assert_all_used();
}

#[tokio::test]
async fn missing_credentials_are_a_clear_error() {
    let err = Vars::from_lookup(&recording(), |_| None).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("PPMS_API_KEY"), "{msg}");
    assert!(msg.contains("PUMAPI key"), "{msg}");
}

/// 1500 synthetic users recorded and scrubbed: every login keeps its own pseudonym (no two
/// people merge), requests still match answers, and the cassette replays completely.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_users_keep_distinct_pseudonyms_and_replay() {
    let live = Sandbox::builder("ppms")
        .synthetic(billing_sandbox::Synthetic::ppms_users(1500))
        .start()
        .await
        .unwrap();
    let recorded = record_against(&live).await;
    assert_eq!(recorded.interactions.len(), 1501);
    let listed: Vec<String> = recorded.interactions[0]
        .response
        .body
        .text()
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let distinct: std::collections::HashSet<&String> = listed.iter().collect();
    assert_eq!(distinct.len(), 1500, "two users share a pseudonym");
    assert!(!listed.contains(&billing_sandbox::ppms_login(0)));
    for (i, interaction) in recorded.interactions[1..].iter().enumerate() {
        let form = interaction.request.form.as_ref().unwrap();
        let login = &form.iter().find(|(k, _)| k == "login").unwrap().1;
        assert_eq!(login, &listed[i]);
        let body = interaction.response.body.text().unwrap();
        assert!(body.contains(&format!("\"{login}\",")), "{body}");
    }
    let replay = Arc::new(ReplayTransport::new(recorded));
    let offline = client("http://replay.invalid/", replay.clone());
    let key = billing_http_core::SecretString::from("k");
    offline.execute(getusers(key.clone())).await.unwrap();
    for login in &listed {
        offline.execute(getuser(key.clone(), login)).await.unwrap();
    }
    replay.assert_all_used();
}
