//! A scripted in-process transport: answers by (method, path), records every request, and
//! answers anything unexpected with a loud 599 so a test that hits it fails.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use billing_http_core::clock::ManualClock;
use billing_http_core::transport::{TransportError, TransportErrorKind};
use billing_http_core::{HttpRequest, HttpResponse, StatusCode, Transport};
use futures::future::BoxFuture;
use serde_json::{Value, json};

pub const BASE: &str = "https://api.pax8.test/v1";
pub const TOKEN_URL: &str = "https://login.pax8.test/oauth/token";

/// One scripted answer.
#[derive(Clone)]
pub enum Reply {
    Http(HttpResponse),
    Fail(TransportErrorKind),
}

pub fn json_reply(status: u16, body: Value) -> Reply {
    Reply::Http(
        HttpResponse::new(StatusCode::from_u16(status).unwrap(), body.to_string())
            .with_header("content-type", "application/json"),
    )
}

pub fn raw_reply(status: u16, body: &str) -> Reply {
    Reply::Http(HttpResponse::new(
        StatusCode::from_u16(status).unwrap(),
        body.to_owned(),
    ))
}

pub fn token_reply() -> Reply {
    json_reply(
        200,
        json!({"access_token": "tok-1", "expires_in": 86400, "token_type": "Bearer"}),
    )
}

/// A request as seen by the fake.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub raw_query: String,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct Route {
    method: String,
    path: String,
    replies: VecDeque<Reply>,
    last: Option<Reply>,
}

#[derive(Clone, Default)]
pub struct Fake {
    routes: Arc<Mutex<Vec<Route>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl std::fmt::Debug for Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fake")
    }
}

impl Fake {
    /// A fake whose token endpoint always answers with a valid token.
    pub fn new() -> Self {
        let f = Fake::default();
        f.on("POST", "/oauth/token", vec![token_reply()]);
        f
    }

    /// A fake (token endpoint included) that answers `method path` with `reply`.
    pub fn answering(method: &str, path: &str, reply: Reply) -> Self {
        let f = Fake::new();
        f.on(method, path, vec![reply]);
        f
    }

    /// A fake that also answers `GET /v1/companies/c1` with a minimal company.
    pub fn with_company_c1() -> Self {
        let f = Fake::new();
        f.on(
            "GET",
            "/v1/companies/c1",
            vec![json_reply(200, json!({"id": "c1"}))],
        );
        f
    }

    /// Scripts replies for (method, absolute URL path); the last reply repeats.
    pub fn on(&self, method: &str, path: &str, replies: Vec<Reply>) -> &Self {
        let mut routes = self.routes.lock().unwrap();
        routes.retain(|r| !(r.method == method && r.path == path));
        routes.push(Route {
            method: method.into(),
            path: path.into(),
            replies: replies.into(),
            last: None,
        });
        self
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests other than token calls.
    pub fn api_calls(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.path != "/oauth/token")
            .collect()
    }

    pub fn token_calls(&self) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.path == "/oauth/token")
            .count()
    }

    pub fn calls_to(&self, method: &str, path: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method == method && s.path == path)
            .count()
    }
}

impl Transport for Fake {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let seen = Seen {
            method: request.method.to_string(),
            path: request.url.path().to_owned(),
            query: request
                .url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            raw_query: request.url.query().unwrap_or("").to_owned(),
            headers: request.headers.clone(),
            body: request.body.to_vec(),
        };
        let reply = {
            let mut routes = self.routes.lock().unwrap();
            routes
                .iter_mut()
                .find(|r| r.method == seen.method && r.path == seen.path)
                .and_then(|r| {
                    let next = r.replies.pop_front().or_else(|| r.last.clone());
                    if let Some(n) = &next {
                        r.last = Some(n.clone());
                    }
                    next
                })
        };
        self.seen.lock().unwrap().push(seen.clone());
        Box::pin(async move {
            match reply {
                Some(Reply::Http(r)) => Ok(r),
                Some(Reply::Fail(kind)) => Err(TransportError::new(kind, "scripted failure")),
                None => Ok(HttpResponse::new(
                    StatusCode::from_u16(599).unwrap(),
                    format!("unexpected request {} {}", seen.method, seen.path),
                )),
            }
        })
    }
}

/// A client on the fake with a virtual clock, custom token URL and a generous rate limit.
pub fn client_with(fake: &Fake, clock: &ManualClock) -> pax8::ClientBuilder {
    pax8::Client::builder()
        .credentials("example-client-id", "example-client-secret")
        .base_url(BASE)
        .token_endpoint(pax8::TokenEndpoint::Custom {
            url: TOKEN_URL.into(),
            audience: "https://api.pax8.com".into(),
        })
        .transport(Arc::new(fake.clone()))
        .clock(Arc::new(clock.clone()))
        .rate_limit(pax8::Quota::per_minute(60_000))
}

/// A token response body for transports written in a test.
pub const TOKEN_JSON: &str = r#"{"access_token":"tok-1","expires_in":86400,"token_type":"Bearer"}"#;

/// A client on another transport (one that answers `POST /v1/token` itself): base
/// `https://api.pax8.test/v1`, webhooks `https://api.pax8.test/api/v2`, a virtual clock and no
/// client-side quota.
pub fn client_on(transport: Arc<dyn Transport>) -> pax8::Client {
    pax8::Client::builder()
        .credentials("example-client-id", "example-client-secret")
        .base_url("https://api.pax8.test/v1")
        .token_url("https://api.pax8.test/v1/token")
        .webhooks_base_url("https://api.pax8.test/api/v2")
        .transport(transport)
        .clock(Arc::new(ManualClock::new()))
        .no_rate_limit()
        .build()
        .unwrap()
}

pub fn client(fake: &Fake) -> (pax8::Client, ManualClock) {
    let clock = ManualClock::new();
    (client_with(fake, &clock).build().unwrap(), clock)
}

pub fn page(content: Value, size: u32, total: u64, pages: u32, number: u32) -> Value {
    json!({"content": content, "page": {"size": size, "totalElements": total, "totalPages": pages, "number": number}})
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}
