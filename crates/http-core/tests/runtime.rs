//! Behaviour of the whole http-core stack against a real HTTP server on 127.0.0.1.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use billing_http_core::classify::{Classifier, RequestInfo, classify_status};
use billing_http_core::clock::ManualClock;
use billing_http_core::rate_limit::{GcraLimiter, Quota};
use billing_http_core::retry::RetryPolicy;
use billing_http_core::transport::{ReqwestTransport, TransportError};
use billing_http_core::{
    Client, Error, ErrorKind, HttpRequest, HttpResponse, Request, Transport, TransportConfig,
};
use futures::future::BoxFuture;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Counts sends and records when each one started, then forwards to the real transport.
#[derive(Debug)]
struct Recorder {
    inner: ReqwestTransport,
    sends: AtomicUsize,
    started: Mutex<Vec<Instant>>,
}

impl Recorder {
    fn new(config: &TransportConfig) -> Arc<Self> {
        Arc::new(Recorder {
            inner: ReqwestTransport::new(config).unwrap(),
            sends: AtomicUsize::new(0),
            started: Mutex::new(Vec::new()),
        })
    }
}

impl Transport for Recorder {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        self.sends.fetch_add(1, Ordering::SeqCst);
        self.started.lock().unwrap().push(Instant::now());
        self.inner.send(request)
    }
}

fn client_for(base: &str, clock: &ManualClock, policy: RetryPolicy) -> Client {
    Client::builder("test", base)
        .clock(Arc::new(clock.clone()))
        .retry(policy)
        .build()
        .unwrap()
}

async fn received(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map(|r| r.len())
        .unwrap_or(0)
}

#[tokio::test]
async fn retries_503_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let client = client_for(&server.uri(), &clock, RetryPolicy::default());
    let resp = client
        .execute(Request::get("items", "items.list"))
        .await
        .unwrap();
    assert_eq!(resp.text().unwrap(), "ok");
    assert_eq!(received(&server).await, 2);
    assert_eq!(
        clock.sleeps().len(),
        1,
        "exactly one backoff between the two attempts"
    );
}

#[tokio::test]
async fn honours_retry_after_seconds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let client = client_for(&server.uri(), &clock, RetryPolicy::default());
    client.execute(Request::get("x", "x.get")).await.unwrap();
    assert_eq!(received(&server).await, 2);
    let waited: Duration = clock.sleeps().iter().sum();
    assert!(waited >= Duration::from_secs(2), "waited only {waited:?}");
    assert!(clock.elapsed() >= Duration::from_secs(2));
}

#[tokio::test]
async fn honours_retry_after_http_date() {
    let server = MockServer::start().await;
    let clock = ManualClock::new();
    let at = httpdate::fmt_http_date(clock_system_now(&clock) + Duration::from_secs(5));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", at.as_str()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), &clock, RetryPolicy::default());
    client.execute(Request::get("x", "x.get")).await.unwrap();
    let waited: Duration = clock.sleeps().iter().sum();
    // HTTP dates have one-second resolution
    assert!(waited >= Duration::from_secs(4), "waited only {waited:?}");
}

fn clock_system_now(clock: &ManualClock) -> SystemTime {
    use billing_http_core::clock::Clock;
    clock.system_now()
}

#[tokio::test]
async fn attempts_exhausted_returns_last_error_with_status_and_snippet() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>maintenance window</html>"))
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let client = client_for(
        &server.uri(),
        &clock,
        RetryPolicy::default().max_attempts(3),
    );
    let err = client
        .execute(Request::get("x", "x.get"))
        .await
        .unwrap_err();
    assert_eq!(received(&server).await, 3);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.attempts(), 3);
    assert!(err.body_snippet().unwrap().contains("maintenance window"));
    assert_eq!(err.operation(), "x.get");
    assert_eq!(err.vendor(), "test");
}

#[tokio::test]
async fn not_idempotent_post_is_not_retried_after_500() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let client = client_for(&server.uri(), &clock, RetryPolicy::default());
    let err = client
        .execute(
            Request::post("orders", "orders.create")
                .json(serde_json::json!({"x": 1}))
                .not_idempotent(),
        )
        .await
        .unwrap_err();
    assert_eq!(received(&server).await, 1);
    assert!(err.may_have_reached_server());
    assert!(
        err.is_outcome_unknown(),
        "a 500 to a create may hide a created object"
    );
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn create_answered_2xx_with_an_unreadable_body_is_outcome_unknown() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>proxy page</html>"))
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let client = client_for(&server.uri(), &clock, RetryPolicy::default());
    let create = client
        .execute(Request::post("orders", "orders.create").not_idempotent())
        .await
        .unwrap();
    let err = create.json::<serde_json::Value>().unwrap_err();
    assert!(err.is_decode(), "{err:?}");
    assert!(
        err.is_outcome_unknown(),
        "the server answered 2xx: it may have created it"
    );
    // the same body on a read (a PUMAPI-style POST read) is a plain decode error
    let read = client
        .execute(Request::post("orders", "orders.list"))
        .await
        .unwrap();
    let err = read.json::<serde_json::Value>().unwrap_err();
    assert!(err.is_decode() && !err.is_outcome_unknown(), "{err:?}");
}

/// A create the server refused with a 4xx was not fulfilled (HTTP's client errors): its outcome
/// is known. A 5xx, and a 408 (a vendor's own processing timeout), leave it unknown.
#[tokio::test]
async fn create_refused_with_a_4xx_is_not_outcome_unknown_but_a_5xx_or_408_is() {
    for (status, unknown) in [
        (400, false),
        (409, false),
        (422, false),
        (408, true),
        (500, true),
        (502, true),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_string("{}"))
            .mount(&server)
            .await;
        let clock = ManualClock::new();
        let client = client_for(&server.uri(), &clock, RetryPolicy::never());
        let err = client
            .execute(Request::post("orders", "orders.create").not_idempotent())
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{err:?}");
        assert!(err.may_have_reached_server(), "{status}: {err:?}");
        assert_eq!(err.is_outcome_unknown(), unknown, "{status}: {err:?}");
    }
}

#[tokio::test]
async fn not_idempotent_post_is_not_retried_after_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let recorder = Recorder::new(&TransportConfig::default().timeout(Duration::from_millis(300)));
    let client = Client::builder("test", server.uri())
        .transport(recorder.clone())
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap();
    let err = client
        .execute(Request::post("orders", "orders.create").not_idempotent())
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.may_have_reached_server());
    assert_eq!(recorder.sends.load(Ordering::SeqCst), 1);

    // the same request marked idempotent is retried after the timeout
    let err = client
        .execute(Request::post("orders", "orders.create"))
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(
        recorder.sends.load(Ordering::SeqCst),
        1 + RetryPolicy::default().max_attempts as usize
    );
}

#[tokio::test]
async fn not_idempotent_post_is_retried_after_connection_refused() {
    // a port that was just free: nothing listens there, so the connection is refused
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let recorder = Recorder::new(&TransportConfig::default());
    let client = Client::builder("test", format!("http://127.0.0.1:{port}/"))
        .transport(recorder.clone())
        .clock(Arc::new(ManualClock::new()))
        .retry(RetryPolicy::default().max_attempts(3))
        .build()
        .unwrap();
    let err = client
        .execute(Request::post("orders", "orders.create").not_idempotent())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert!(!err.may_have_reached_server());
    assert!(
        !err.is_outcome_unknown(),
        "a create that never left cannot exist"
    );
    assert_eq!(
        recorder.sends.load(Ordering::SeqCst),
        3,
        "refused connections are retried"
    );
}

#[tokio::test]
async fn body_over_size_limit_is_a_typed_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 2 * 1024 * 1024]))
        .mount(&server)
        .await;
    let client = Client::builder("test", server.uri())
        .transport_config(TransportConfig::default().max_body_bytes(1024 * 1024))
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap();
    let err = client
        .execute(Request::get("big", "big.get"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BodyTooLarge, "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn malformed_json_body_is_a_decode_error_with_snippet() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Page {
        content: Vec<Item>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        id: String,
    }
    let server = MockServer::start().await;
    Mock::given(path("/truncated"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"content":[{"id":"a"},{"id":"#),
        )
        .mount(&server)
        .await;
    Mock::given(path("/wrong"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"content":[{"id":"a"},{"id":7}]}"#),
        )
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), &ManualClock::new(), RetryPolicy::default());
    let resp = client
        .execute(Request::get("truncated", "items.list"))
        .await
        .unwrap();
    let err = resp.json::<Page>().unwrap_err();
    assert!(err.is_decode());
    assert!(err.body_snippet().unwrap().contains(r#"{"id":"a"}"#));
    assert_eq!(err.operation(), "items.list");

    let resp = client
        .execute(Request::get("wrong", "items.list"))
        .await
        .unwrap();
    let err = resp.json::<Page>().unwrap_err();
    assert!(err.is_decode());
    assert_eq!(err.decode_path(), Some("content[1].id"));
    // bytes that are not UTF-8 give a decode error too, never a panic
    let raw = billing_http_core::Response::new(
        "test",
        "op",
        HttpResponse::new(http::StatusCode::OK, vec![0xff, 0xfe]),
    );
    assert!(raw.text().unwrap_err().is_decode());
}

#[tokio::test]
async fn hundred_concurrent_calls_respect_twenty_per_second() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let recorder = Recorder::new(&TransportConfig::default());
    let client = Client::builder("test", server.uri())
        .transport(recorder.clone())
        .rate_limiter(Arc::new(GcraLimiter::new(Quota::per_second(20))))
        .build()
        .unwrap();
    let start = Instant::now();
    let calls = (0..100).map(|i| {
        let c = client.clone();
        tokio::spawn(async move {
            c.execute(Request::get(format!("r/{i}"), "r.get"))
                .await
                .map(|_| ())
        })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(4900),
        "100 calls at 20/s took only {took:?}"
    );
    let mut started = recorder.started.lock().unwrap().clone();
    started.sort();
    assert_eq!(started.len(), 100);
    for (i, t) in started.iter().enumerate() {
        let in_window = started[i..]
            .iter()
            .take_while(|u| **u < *t + Duration::from_secs(1))
            .count();
        assert!(
            in_window <= 20,
            "{in_window} requests started within one second"
        );
    }
}

/// A PUMAPI-like classifier: HTTP 200 with an error text in the body.
#[derive(Debug)]
struct BodyClassifier;

impl Classifier for BodyClassifier {
    fn classify(
        &self,
        _req: RequestInfo<'_>,
        resp: &HttpResponse,
        now: SystemTime,
    ) -> Result<(), Error> {
        classify_status(resp, now)?;
        let body = String::from_utf8_lossy(&resp.body);
        let kind = match body.trim() {
            "error: request not authorized" => ErrorKind::Auth,
            "error: invalid id" => ErrorKind::NotFound,
            "error: busy" => ErrorKind::Server,
            _ => return Ok(()),
        };
        Err(Error::http(kind, resp.status, &resp.body).with_vendor_message(body.trim()))
    }
}

#[tokio::test]
async fn vendor_hook_classifies_200_error_bodies() {
    let server = MockServer::start().await;
    Mock::given(path("/auth"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string("error: request not authorized\r\n"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/missing"))
        .respond_with(ResponseTemplate::new(200).set_body_string("error: invalid id\r\n"))
        .mount(&server)
        .await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(200).set_body_string("error: busy"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(200).set_body_string("done"))
        .mount(&server)
        .await;
    let client = Client::builder("test", server.uri())
        .classifier(Arc::new(BodyClassifier))
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap();
    let err = client
        .execute(Request::post("auth", "auth"))
        .await
        .unwrap_err();
    assert!(err.is_auth());
    assert_eq!(err.vendor_message(), Some("error: request not authorized"));
    assert_eq!(err.attempts(), 1, "auth failures are not retried");
    let err = client
        .execute(Request::post("missing", "getuser"))
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    let ok = client
        .execute(Request::post("busy", "getuser"))
        .await
        .unwrap();
    assert_eq!(ok.text().unwrap(), "done");
}

/// Rejects every credential with 401 and counts how often it was asked to drop one.
#[derive(Debug, Default)]
struct RejectedToken {
    dropped: AtomicUsize,
}

impl billing_http_core::auth::Auth for RejectedToken {
    fn authorize<'a>(
        &'a self,
        request: &'a mut Request,
    ) -> BoxFuture<'a, Result<billing_http_core::auth::AuthTicket, Error>> {
        request.headers.push((
            "authorization".into(),
            billing_http_core::Value::Secret("Bearer old".to_owned().into()),
        ));
        Box::pin(async { Ok(billing_http_core::auth::AuthTicket(1)) })
    }
    fn unauthorized(&self, _ticket: billing_http_core::auth::AuthTicket) -> BoxFuture<'_, bool> {
        self.dropped.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { true })
    }
}

#[tokio::test]
async fn unauthorized_is_retried_once_but_never_for_a_non_idempotent_create() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let auth = Arc::new(RejectedToken::default());
    let client = Client::builder("test", server.uri())
        .auth(auth.clone())
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap();

    let err = client
        .execute(Request::get("companies", "companies.list"))
        .await
        .unwrap_err();
    assert!(err.is_auth());
    assert_eq!(
        received(&server).await,
        2,
        "one retry with a fresh credential, then stop"
    );
    assert_eq!(auth.dropped.load(Ordering::SeqCst), 1);

    let err = client
        .execute(Request::post("orders", "orders.create").not_idempotent())
        .await
        .unwrap_err();
    assert!(err.is_auth());
    assert_eq!(received(&server).await, 3, "the order is sent exactly once");
    assert_eq!(
        auth.dropped.load(Ordering::SeqCst),
        2,
        "the rejected token is still dropped"
    );
}

#[tokio::test]
async fn redirects_to_another_origin_are_not_followed() {
    let target = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&target)
        .await;
    let origin = MockServer::start().await;
    Mock::given(path("/away"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/stolen", target.uri()).as_str()),
        )
        .mount(&origin)
        .await;
    Mock::given(path("/moved"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "/here"))
        .mount(&origin)
        .await;
    Mock::given(path("/here"))
        .respond_with(ResponseTemplate::new(200).set_body_string("here"))
        .mount(&origin)
        .await;
    let client = client_for(&origin.uri(), &ManualClock::new(), RetryPolicy::default());
    let req = Request::get("away", "away").header(
        "X-ERP-TOKEN",
        billing_http_core::Value::Secret("t".to_owned().into()),
    );
    let err = client.execute(req).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302));
    assert_eq!(
        received(&target).await,
        0,
        "the credential never went to the other host"
    );
    let ok = client
        .execute(Request::get("moved", "moved"))
        .await
        .unwrap();
    assert_eq!(ok.text().unwrap(), "here");
}
