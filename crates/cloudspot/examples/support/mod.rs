//! Shared by the examples: a live client when `CLOUDSPOT_TOKEN` is set, else an offline
//! mock server on 127.0.0.1 that serves the hand-built cassettes of `fixtures/cloudspot/`.

use std::path::Path;

use cloudspot::Client;
use wiremock::matchers::{method, path, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Keeps the offline server alive as long as the client is used.
pub struct Backend {
    pub client: Client,
    _server: Option<MockServer>,
}

/// A live client from `CLOUDSPOT_TOKEN` (and optional `CLOUDSPOT_BASE_URL`), or an offline one.
pub async fn backend() -> Result<Backend, Box<dyn std::error::Error>> {
    if let Some(builder) = Client::builder_from_env() {
        eprintln!("live: using CLOUDSPOT_TOKEN");
        return Ok(Backend {
            client: builder.build()?,
            _server: None,
        });
    }
    let server = MockServer::start().await;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cloudspot");
    for scenario in ["artikels_list", "klanten_list", "categories_list"] {
        let text = std::fs::read_to_string(fixtures.join(format!("{scenario}.json")))?;
        let cassette: serde_json::Value = serde_json::from_str(&text)?;
        for interaction in cassette["interactions"].as_array().into_iter().flatten() {
            let req = &interaction["request"];
            let resp = &interaction["response"];
            let body: String = resp["body_lines"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l.as_str())
                .collect();
            let status = resp["status"].as_u64().unwrap_or(500) as u16;
            Mock::given(method(req["method"].as_str().unwrap_or("GET")))
                .and(path(format!(
                    "/api/v1{}",
                    req["path"].as_str().unwrap_or("/")
                )))
                .and(query_param_is_missing("id"))
                .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
                .mount(&server)
                .await;
        }
    }
    eprintln!(
        "offline: serving fixtures/cloudspot on {} (set CLOUDSPOT_TOKEN to go live)",
        server.uri()
    );
    let client = Client::builder("offline-example-token")
        .base_url(format!("{}/api/v1", server.uri()))
        .build()?;
    Ok(Backend {
        client,
        _server: Some(server),
    })
}
