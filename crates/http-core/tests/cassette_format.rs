//! The cassette file format: byte-exact bodies, stable text, version check, refusal to write
//! secrets.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use billing_http_core::cassette::{
    Cassette, CassetteError, Interaction, RecordedRequest, RecordedResponse, ScrubConfig,
};

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir()
        .join(format!("cassette-format-{}-{name}", std::process::id()))
        .join("fixture.json")
}

fn sample() -> Cassette {
    let mut c = Cassette::new("ppms", "users");
    c.interactions.push(Interaction::new(
        RecordedRequest::new("POST", "/pumapi/")
            .with_form("login", "jdoe")
            .with_form("action", "getuser")
            .with_form("apikey", "REDACTED"),
        RecordedResponse::new(
            200,
            b"login,lname\r\n\"jdoe\",\"Doe\"\r\n\"asmith\",\"Smith\" \r\n",
        )
        .with_header("Content-Type", "text/plain"),
    ));
    c.interactions.push(Interaction::new(
        RecordedRequest::new("GET", "/blob"),
        RecordedResponse::new(200, &[0xff, 0x00, 0xfe, b'a', b'\r', b'\n']),
    ));
    c
}

#[test]
fn crlf_body_survives_write_and_read_byte_for_byte() {
    let c = sample();
    let text = c.to_json();
    let back = Cassette::from_json(&text, Path::new("mem")).unwrap();
    assert_eq!(back, c);
    let body = back.interactions[0].response.body.to_bytes().unwrap();
    assert_eq!(
        &body[..],
        b"login,lname\r\n\"jdoe\",\"Doe\"\r\n\"asmith\",\"Smith\" \r\n"
    );
    // One JSON string per line, line ending kept.
    assert!(text.contains(r#""login,lname\r\n","#));
}

#[test]
fn non_utf8_body_is_stored_as_base64_and_round_trips() {
    let c = sample();
    let text = c.to_json();
    assert!(text.contains("\"body_base64\": \"/wD+YQ0K\""));
    let back = Cassette::from_json(&text, Path::new("mem")).unwrap();
    assert_eq!(
        &back.interactions[1].response.body.to_bytes().unwrap()[..],
        &[0xff, 0x00, 0xfe, b'a', b'\r', b'\n']
    );
}

#[test]
fn text_is_stable_sorted_and_ordered_top_down() {
    let c = sample();
    let a = c.to_json();
    let b = Cassette::from_json(&a, Path::new("mem")).unwrap().to_json();
    assert_eq!(a, b, "re-writing a cassette changes nothing");
    let pos = |needle: &str| a.find(needle).unwrap();
    assert!(pos("\"format_version\"") < pos("\"vendor\""));
    assert!(pos("\"vendor\"") < pos("\"interactions\""));
    assert!(pos("\"request\"") < pos("\"response\""));
    // Form pairs are sorted and written one pair per line.
    assert!(pos(r#"["action", "getuser"]"#) < pos(r#"["apikey", "REDACTED"]"#));
    assert!(pos(r#"["apikey", "REDACTED"]"#) < pos(r#"["login", "jdoe"]"#));
    assert!(a.ends_with("}\n"));
}

#[test]
fn unsupported_format_version_is_an_error_naming_it() {
    let text = sample()
        .to_json()
        .replace("\"format_version\": 1", "\"format_version\": 7");
    let err = Cassette::from_json(&text, Path::new("fixtures/x.json")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("format_version 7"), "{msg}");
    assert!(msg.contains("fixtures/x.json"), "{msg}");
}

#[test]
fn hand_written_body_json_is_served_compact() {
    let text = r#"{"format_version": 1, "vendor": "pax8", "scenario": "s", "interactions": [
        {"request": {"method": "GET", "path": "/companies"},
         "response": {"status": 200, "body_json": {"content": [], "page": {"number": 0}}}}]}"#;
    let c = Cassette::from_json(text, Path::new("mem")).unwrap();
    let body = c.interactions[0].response.body.to_bytes().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["page"]["number"], 0);
}

#[test]
fn write_checked_refuses_a_cassette_with_a_secret_and_writes_a_clean_one() {
    let path = temp_path("refuse");
    let mut leaky = sample();
    leaky.interactions[0].request = RecordedRequest::new("POST", "/pumapi/")
        .with_form("action", "getuser")
        .with_form("apikey", "live-key-123");
    let err = leaky
        .write_checked(&path, &ScrubConfig::new(), &[])
        .unwrap_err();
    match &err {
        CassetteError::SecretsLeft { findings, .. } => {
            assert_eq!(findings.len(), 1);
            assert_eq!(findings[0].interaction, Some(0));
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(!err.to_string().contains("live-key-123"), "{err}");
    assert!(!path.exists(), "nothing may be written");

    // A value the recorder knows to be a credential is refused anywhere, even in a body.
    let mut echoed = sample();
    echoed.interactions[0].response = RecordedResponse::new(200, b"your key is tok-98765\n");
    assert!(
        echoed
            .write_checked(&path, &ScrubConfig::new(), &["tok-98765"])
            .is_err()
    );
    assert!(!path.exists());

    sample()
        .write_checked(&path, &ScrubConfig::new(), &[])
        .unwrap();
    assert_eq!(Cassette::load(&path).unwrap(), sample());
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn bearer_tokens_and_jwts_are_found_anywhere() {
    let config = ScrubConfig::new();
    let mut c = Cassette::new("pax8", "s");
    c.interactions.push(Interaction::new(
        RecordedRequest::new("GET", "/companies").with_header("x-debug", "Bearer abcdefgh12345"),
        RecordedResponse::new(
            200,
            br#"{"note": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"}"#,
        ),
    ));
    let findings = billing_http_core::cassette::find_secrets(&c, &config, &[]);
    let reasons: Vec<&str> = findings.iter().map(|f| f.reason.as_str()).collect();
    assert!(reasons.iter().any(|r| r.contains("bearer")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("JWT")), "{reasons:?}");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_body_round_trips_byte_for_byte(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut c = Cassette::new("v", "s");
            c.interactions.push(Interaction::new(
                RecordedRequest::new("GET", "/x"),
                RecordedResponse::new(200, &body),
            ));
            let back = Cassette::from_json(&c.to_json(), Path::new("mem")).unwrap();
            prop_assert_eq!(&back.interactions[0].response.body.to_bytes().unwrap()[..], &body[..]);
            prop_assert_eq!(back.to_json(), c.to_json());
        }

        #[test]
        fn any_text_with_line_endings_round_trips(lines in proptest::collection::vec("[a-zé\",\\t ]{0,12}(\r\n|\n|\r)?", 0..12)) {
            let text: String = lines.concat();
            let mut c = Cassette::new("v", "s");
            c.interactions.push(Interaction::new(
                RecordedRequest::new("POST", "/pumapi/").with_form("action", "getusers"),
                RecordedResponse::new(200, text.as_bytes()),
            ));
            let back = Cassette::from_json(&c.to_json(), Path::new("mem")).unwrap();
            prop_assert_eq!(back.interactions[0].response.body.to_bytes().unwrap(), text.as_bytes());
        }

        #[test]
        fn scrubbing_any_text_never_panics_and_is_idempotent(
            body in "[a-zA-Z0-9é@.,;\"\r\n _-]{0,200}",
            login in "[a-zé]{2,8}",
        ) {
            let config = ScrubConfig::new()
                .personal_field("login", billing_http_core::cassette::PersonalKind::Login)
                .line_list("action", "getusers", billing_http_core::cassette::PersonalKind::Login);
            let mut c = Cassette::new("v", "s");
            c.interactions.push(Interaction::new(
                RecordedRequest::new("POST", "/pumapi/")
                    .with_form("action", "getusers")
                    .with_form("login", &login),
                RecordedResponse::new(200, format!("{body}\r\n{login}\r\n").as_bytes()),
            ));
            config.scrub(&mut c, &[]);
            let once = c.clone();
            config.scrub(&mut c, &[]);
            prop_assert_eq!(once, c);
        }
    }
}
