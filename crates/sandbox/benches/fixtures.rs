//! Cost of the fixture machinery at PPMS-site scale.
//!
//! Run: `cargo bench -p sandbox --bench fixtures`.
//!
//! * `scrub_5000_users`: scrubbing a cassette of `getusers` plus 5000 `getuser` answers (every
//!   login, name and e-mail pseudonymised, consistently).
//! * `replay_match_1000`: matching 1000 requests against a 1000-interaction cassette with the
//!   replay transport (no sockets).
//! * `sandbox_page_200`: one 200-item Pax8 page from the synthetic data set over HTTP.
#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;

use billing_http_core::cassette::{
    Cassette, Interaction, PersonalKind, RecordedRequest, RecordedResponse, ReplayTransport,
    ScrubConfig,
};
use billing_http_core::{Client, Request};
use billing_sandbox::{Sandbox, Synthetic};
use criterion::{Criterion, criterion_group, criterion_main};

fn users_cassette(n: usize) -> Cassette {
    let mut c = Cassette::new("ppms", "users");
    let logins: Vec<String> = (0..n).map(|i| format!("person{i}")).collect();
    c.interactions.push(Interaction::new(
        RecordedRequest::new("POST", "/pumapi/").with_form("action", "getusers"),
        RecordedResponse::new(200, (logins.join("\r\n") + "\r\n").as_bytes()),
    ));
    for (i, login) in logins.iter().enumerate() {
        c.interactions.push(Interaction::new(
            RecordedRequest::new("POST", "/pumapi/")
                .with_form("action", "getuser")
                .with_form("login", login),
            RecordedResponse::new(
                200,
                format!(
                    "login,lname,fname,email\r\n\"{login}\",\"Family{i}\",\"Given{i}\",\"{login}@corp.eu\"\r\n"
                )
                .as_bytes(),
            ),
        ));
    }
    c
}

fn scrub(c: &mut Criterion) {
    let config = ScrubConfig::new()
        .personal_field("login", PersonalKind::Login)
        .personal_field("lname", PersonalKind::LastName)
        .personal_field("fname", PersonalKind::FirstName)
        .personal_field("email", PersonalKind::Email)
        .line_list("action", "getusers", PersonalKind::Login);
    let cassette = users_cassette(5000);
    c.bench_function("scrub_5000_users", |b| {
        b.iter(|| {
            let mut k = cassette.clone();
            config.scrub(&mut k, &["secret-key"]);
            k
        })
    });
}

fn replay(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let cassette = users_cassette(999);
    c.bench_function("replay_match_1000", |b| {
        b.iter(|| {
            let replay = Arc::new(ReplayTransport::new(cassette.clone()));
            let client = Client::builder("ppms", "http://replay.invalid/")
                .transport(replay)
                .build()
                .unwrap();
            rt.block_on(async {
                client
                    .execute(Request::post("pumapi/", "getusers").form("action", "getusers"))
                    .await
                    .unwrap();
                for i in 0..999 {
                    client
                        .execute(
                            Request::post("pumapi/", "getuser")
                                .form("action", "getuser")
                                .form("login", format!("person{i}")),
                        )
                        .await
                        .unwrap();
                }
            })
        })
    });
}

fn sandbox_page(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sb = rt.block_on(async {
        Sandbox::builder("pax8")
            .synthetic(Synthetic::pax8(100, 45_000, 10))
            .start()
            .await
            .unwrap()
    });
    let http = billing_http_core::TlsConfig::default()
        .reqwest_builder()
        .unwrap()
        .build()
        .unwrap();
    let url = sb.url_for("orders?page=100&size=200");
    c.bench_function("sandbox_page_200", |b| {
        b.iter(|| {
            rt.block_on(async { http.get(&url).send().await.unwrap().bytes().await.unwrap() })
        })
    });
}

criterion_group!(benches, scrub, replay, sandbox_page);
criterion_main!(benches);
