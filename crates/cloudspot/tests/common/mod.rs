//! Shared helpers of the HTTP behaviour tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use billing_http_core::clock::ManualClock;
use cloudspot::Client;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The company token used by every test (invented).
pub const TOKEN: &str = "tok-EXAMPLE-0001";

/// The API base path on the mock server.
pub const BASE: &str = "/api/v1";

/// A client against `server` with a virtual clock (retry delays take no real time).
pub fn client(server: &MockServer) -> Client {
    client_at(&format!("{}{BASE}", server.uri()))
}

/// A client at `base_url` with a virtual clock.
pub fn client_at(base_url: &str) -> Client {
    Client::builder(TOKEN)
        .base_url(base_url)
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap()
}

/// A catch-all that answers 418 and must never be hit: any request the test did not expect
/// fails it loudly (checked when the server drops).
pub async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .expect(0)
        .named("catch-all: unexpected request")
        .mount(server)
        .await;
}

/// A 200 JSON reply.
pub fn json(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// A full path under the API base.
pub fn api(path: &str) -> String {
    format!("{BASE}/{path}")
}
