//! Scrubbing at write time: secrets become the placeholder, personal data becomes stable
//! pseudonyms, consistently across a cassette.
#![allow(clippy::unwrap_used)]

use billing_http_core::cassette::{
    Cassette, Interaction, PersonalKind, RecordedRequest, RecordedResponse, ScrubConfig,
    find_secrets,
};

const REAL_EMAIL: &str = "marie.curie@sorbonne.fr";
const SECRET: &str = "sk_live_4f9aQ2";

fn config() -> ScrubConfig {
    ScrubConfig::new()
        .personal_field("email", PersonalKind::Email)
        .personal_field("login", PersonalKind::Login)
        .personal_field("lname", PersonalKind::LastName)
        .personal_field("fname", PersonalKind::FirstName)
        .personal_field("heademail", PersonalKind::Email)
        .line_list("action", "getusers", PersonalKind::Login)
}

fn body(c: &Cassette, i: usize) -> String {
    c.interactions[i].response.body.text().unwrap()
}

fn planted() -> Cassette {
    let mut c = Cassette::new("ppms", "planted");
    // Secret in a response header.
    c.interactions.push(Interaction::new(
        RecordedRequest::new("POST", "/pumapi/")
            .with_form("action", "getusers")
            .with_form("apikey", SECRET),
        RecordedResponse::new(200, b"mcurie\r\npcurie\r\n")
            .with_header("x-erp-token", SECRET)
            .with_header("content-type", "text/plain"),
    ));
    // Secret and e-mail in a CSV body; the login from the line list comes back.
    c.interactions.push(Interaction::new(
        RecordedRequest::new("POST", "/pumapi/")
            .with_form("action", "getuser")
            .with_form("login", "mcurie")
            .with_form("apikey", SECRET),
        RecordedResponse::new(
            200,
            format!(
                "login,lname,fname,email,token\r\n\"mcurie\",\"Curie\",\"Marie\",\"{REAL_EMAIL}\",\"{SECRET}\"\r\n"
            )
            .as_bytes(),
        ),
    ));
    // Secret in a JSON body, and the same e-mail again in another field and in free text.
    c.interactions.push(Interaction::new(
        RecordedRequest::new("POST", "/token").with_json(serde_json::json!({
            "client_id": "my-client",
            "client_secret": SECRET,
        })),
        RecordedResponse::new(
            200,
            format!(
                r#"{{"access_token":"{SECRET}","heademail":"{REAL_EMAIL}","note":"contact {REAL_EMAIL} today"}}"#
            )
            .as_bytes(),
        ),
    ));
    c
}

#[test]
fn secret_in_response_header_json_body_and_csv_body_is_scrubbed() {
    let mut c = planted();
    assert!(!find_secrets(&c, &config(), &[SECRET]).is_empty());
    config().scrub(&mut c, &[]);
    let text = c.to_json();
    assert!(!text.contains(SECRET), "{text}");
    assert_eq!(
        c.interactions[0].response.headers["x-erp-token"],
        "REDACTED"
    );
    let form = c.interactions[1].request.form.clone().unwrap();
    assert!(form.contains(&("apikey".to_owned(), "REDACTED".to_owned())));
    assert!(body(&c, 1).contains("\"REDACTED\"\r\n"), "{}", body(&c, 1));
    let json: serde_json::Value = serde_json::from_str(&body(&c, 2)).unwrap();
    assert_eq!(json["access_token"], "REDACTED");
    assert_eq!(
        c.interactions[2].request.json.as_ref().unwrap()["client_secret"],
        "REDACTED"
    );
    assert!(find_secrets(&c, &config(), &[SECRET]).is_empty());
}

#[test]
fn same_email_becomes_the_same_pseudonym_everywhere() {
    let mut c = planted();
    config().scrub(&mut c, &[]);
    let text = c.to_json();
    assert!(!text.contains("marie.curie"), "{text}");
    let pseudo = config().pseudonym(PersonalKind::Email, REAL_EMAIL);
    assert!(pseudo.ends_with("@example.org"));
    // CSV cell, JSON field and free text all carry the same pseudonym.
    assert!(body(&c, 1).contains(&format!("\"{pseudo}\"")));
    let json: serde_json::Value = serde_json::from_str(&body(&c, 2)).unwrap();
    assert_eq!(json["heademail"], pseudo.as_str());
    assert_eq!(json["note"], format!("contact {pseudo} today").as_str());
    assert_eq!(text.matches(&pseudo).count(), 3);
}

#[test]
fn login_from_a_line_list_maps_to_the_pseudonym_used_in_later_requests() {
    let mut c = planted();
    config().scrub(&mut c, &[]);
    let alias = config().pseudonym(PersonalKind::Login, "mcurie");
    assert_ne!(alias, "mcurie");
    assert!(
        body(&c, 0).starts_with(&format!("{alias}\r\n")),
        "{}",
        body(&c, 0)
    );
    let form = c.interactions[1].request.form.clone().unwrap();
    assert!(form.contains(&("login".to_owned(), alias.clone())));
    assert!(body(&c, 1).contains(&format!("\"{alias}\",")));
    // Names in configured CSV columns are replaced too; CRLF line endings survive.
    assert!(!body(&c, 1).contains("Curie"));
    assert!(body(&c, 1).ends_with("\r\n"));
}

#[test]
fn scrubbing_twice_changes_nothing_the_second_time() {
    let mut once = planted();
    config().scrub(&mut once, &[]);
    let mut twice = once.clone();
    config().scrub(&mut twice, &[]);
    assert_eq!(once, twice);
}

#[test]
fn invented_values_are_kept() {
    let mut c = Cassette::new("ppms", "kept");
    c.interactions.push(Interaction::new(
        RecordedRequest::new("POST", "/pumapi/").with_form("login", "jdoe"),
        RecordedResponse::new(200, b"email\r\njane.doe@example.org\r\n"),
    ));
    config().keep_value("jdoe").scrub(&mut c, &[]);
    assert_eq!(
        c.interactions[0].request.form.as_ref().unwrap()[0].1,
        "jdoe"
    );
    assert!(body(&c, 0).contains("jane.doe@example.org"));
}

#[test]
fn known_credentials_are_scrubbed_wherever_they_appear() {
    let mut c = Cassette::new("cloudspot", "echo");
    c.interactions.push(Interaction::new(
        RecordedRequest::new("GET", "/artikels/"),
        RecordedResponse::new(200, b"{\"debug\":\"token was tok-abc-777\"}"),
    ));
    ScrubConfig::new().scrub(&mut c, &["tok-abc-777"]);
    assert!(!c.to_json().contains("tok-abc-777"));
}
