//! Stand-in ERPs on `127.0.0.1`, for the tests and the tour: real HTTP servers that keep what
//! they are sent, so a test can count pushes and see duplicates.
//!
//! * [`HttpErp`] speaks the generic HTTP adapter's protocol (reference §11): `POST /lines`,
//!   `GET /lines/{unique_id}`; it can honour `Idempotency-Key` or not, and require a bearer
//!   token.
//! * [`PpmsErp`] speaks the two PUMAPI actions the PPMS adapter uses: `createorder` (answers the
//!   new order's number) and `getorders` (the header on line 2, PPMS-Q16, with a staff comments
//!   column), checking the `apikey`. The PPMS adapter's own tests, the tour and the benchmark
//!   use the workspace sandbox (`billing-sandbox`, whose synthetic PPMS orders are stateful);
//!   this stand-in covers the two things the sandbox does not do: hold a committed
//!   `createorder` without answering (the crash test) and refuse a wrong key.
//!
//! Both can add latency, answer a given status instead of working, and **hold** a push: keep it
//! (the ERP has committed the line) and not answer until released — the moment a crash between
//! claim and confirmation is tested at.
//!
//! [`FaultProxy`] sits in front of either and breaks connections the way a network does (the
//! soak's faults, `cargo xtask relay-soak`): it resets a connection before reading the request,
//! or lets the ERP commit and then resets the connection or answers 503.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// What both stand-ins share: latency, injected status, hold, counters.
#[derive(Debug)]
struct Behaviour {
    latency: Mutex<Duration>,
    status: Mutex<Option<u16>>,
    status_after_commit: Mutex<Option<u16>>,
    hold: AtomicBool,
    release: Notify,
    held: watch::Sender<u32>,
    token: Mutex<Option<String>>,
}

impl Behaviour {
    fn new() -> Self {
        Behaviour {
            latency: Mutex::new(Duration::ZERO),
            status: Mutex::new(None),
            status_after_commit: Mutex::new(None),
            hold: AtomicBool::new(false),
            release: Notify::new(),
            held: watch::channel(0).0,
            token: Mutex::new(None),
        }
    }

    /// Waits the latency; `Some(status)` when a status is injected.
    async fn before(&self) -> Option<u16> {
        let latency = *lock(&self.latency);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        *lock(&self.status)
    }

    /// After a commit: holds the answer while holding is on; `Some(status)` when the answer
    /// is to be that status (the ERP kept the line but says it failed).
    async fn after_commit(&self) -> Option<u16> {
        if self.hold.load(Ordering::SeqCst) {
            let released = self.release.notified();
            self.held.send_modify(|n| *n += 1);
            released.await;
        }
        *lock(&self.status_after_commit)
    }

    async fn wait_held(&self, n: u32) {
        let mut rx = self.held.subscribe();
        let _ = rx.wait_for(|h| *h >= n).await;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A stand-in's server on 127.0.0.1; dropping it stops it.
#[derive(Debug)]
struct Server {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    async fn start(router: Router) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Server { addr, task })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

macro_rules! behaviour_methods {
    () => {
        /// Adds `latency` before every answer.
        pub fn set_latency(&self, latency: Duration) {
            *lock(&self.state.behaviour.latency) = latency;
        }

        /// Answers `status` to every request instead of working (`None`: work normally).
        pub fn set_status(&self, status: Option<u16>) {
            *lock(&self.state.behaviour.status) = status;
        }

        /// Answers `status` to every push **after** committing it (`None`: answer normally): the
        /// ERP has the line, the relay sees a failure.
        pub fn set_status_after_commit(&self, status: Option<u16>) {
            *lock(&self.state.behaviour.status_after_commit) = status;
        }

        /// Holds every push after committing it (see the [module docs](self)).
        pub fn set_hold(&self, hold: bool) {
            self.state.behaviour.hold.store(hold, Ordering::SeqCst);
        }

        /// Answers every held push.
        pub fn release(&self) {
            self.state.behaviour.release.notify_waiters();
        }

        /// Waits until `n` pushes are held.
        pub async fn wait_held(&self, n: u32) {
            self.state.behaviour.wait_held(n).await;
        }

        /// The base URL, `http://127.0.0.1:<port>/`.
        pub fn url(&self) -> String {
            format!("http://{}/", self.server.addr)
        }
    };
}

// ───────────────────────────────────────── generic HTTP ─────────────────────────────────────────

#[derive(Debug)]
struct HttpState {
    behaviour: Behaviour,
    honours_key: bool,
    /// unique id → (times the ERP holds it, reference)
    lines: Mutex<HashMap<String, (u32, String)>>,
    /// unique ids in the order the ERP first kept them
    arrivals: Mutex<Vec<String>>,
    pushes: Mutex<HashMap<String, u32>>,
    requests: std::sync::atomic::AtomicU32,
    next: Mutex<u64>,
}

/// A generic-HTTP ERP stand-in. See the [module docs](self). Dropping it stops it.
#[derive(Debug)]
pub struct HttpErp {
    server: Server,
    state: Arc<HttpState>,
}

impl HttpErp {
    /// Starts a stand-in; `honours_key` makes it de-duplicate on `Idempotency-Key`.
    pub async fn start(honours_key: bool) -> std::io::Result<Self> {
        let state = Arc::new(HttpState {
            behaviour: Behaviour::new(),
            honours_key,
            lines: Mutex::new(HashMap::new()),
            arrivals: Mutex::new(Vec::new()),
            pushes: Mutex::new(HashMap::new()),
            requests: std::sync::atomic::AtomicU32::new(0),
            next: Mutex::new(1),
        });
        let router = Router::new()
            .route("/lines", post(http_push))
            .route("/lines/{id}", get(http_lookup))
            .with_state(state.clone());
        let server = Server::start(router).await?;
        Ok(HttpErp { server, state })
    }

    behaviour_methods!();

    /// Requires `Authorization: Bearer <token>` (`None`: no check).
    pub fn set_token(&self, token: Option<&str>) {
        *lock(&self.state.behaviour.token) = token.map(str::to_owned);
    }

    /// The push URL.
    pub fn push_url(&self) -> String {
        format!("{}lines", self.url())
    }

    /// The lookup URL template.
    pub fn lookup_url(&self) -> String {
        format!("{}lines/{{unique_id}}", self.url())
    }

    /// Pushes received for a unique id (whatever was answered).
    pub fn pushes(&self, unique_id: &str) -> u32 {
        lock(&self.state.pushes)
            .get(unique_id)
            .copied()
            .unwrap_or(0)
    }

    /// All requests received (pushes and lookups).
    pub fn requests(&self) -> u32 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// All pushes received.
    pub fn total_pushes(&self) -> u32 {
        lock(&self.state.pushes).values().sum()
    }

    /// How many times the ERP holds the line (more than 1 is a duplicate).
    pub fn held(&self, unique_id: &str) -> u32 {
        lock(&self.state.lines).get(unique_id).map_or(0, |l| l.0)
    }

    /// Lines held (distinct unique ids).
    pub fn distinct_lines(&self) -> usize {
        lock(&self.state.lines).len()
    }

    /// The unique ids the ERP holds, in the order it first kept them.
    pub fn arrivals(&self) -> Vec<String> {
        lock(&self.state.arrivals).clone()
    }

    /// Lines held more than once.
    pub fn duplicates(&self) -> usize {
        lock(&self.state.lines).values().filter(|l| l.0 > 1).count()
    }
}

/// The latency, then an injected status or a credential refusal, if any.
async fn gate(b: &Behaviour, headers: &HeaderMap) -> Option<Response> {
    if let Some(status) = b.before().await {
        return Some(injected(status));
    }
    if !authorized(b, headers) {
        let message = serde_json::json!({"message": "bad credentials"});
        return Some(json(StatusCode::UNAUTHORIZED, message));
    }
    None
}

fn authorized(b: &Behaviour, headers: &HeaderMap) -> bool {
    match lock(&b.token).as_deref() {
        None => true,
        Some(t) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {t}")),
    }
}

fn json(status: StatusCode, v: serde_json::Value) -> Response {
    (status, axum::Json(v)).into_response()
}

/// An injected status with a JSON message (`injected status <code>`).
fn injected(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json(
        code,
        serde_json::json!({"message": format!("injected status {status}")}),
    )
}

async fn http_push(State(s): State<Arc<HttpState>>, headers: HeaderMap, body: Bytes) -> Response {
    s.requests.fetch_add(1, Ordering::SeqCst);
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    *lock(&s.pushes).entry(key.clone()).or_insert(0) += 1;
    if let Some(refused) = gate(&s.behaviour, &headers).await {
        return refused;
    }
    let Ok(line) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return json(
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({"message": "not json"}),
        );
    };
    if line.get("unique_id").and_then(|v| v.as_str()) != Some(key.as_str()) {
        return json(
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({"message": "idempotency-key differs from unique_id"}),
        );
    }
    let reference = {
        let mut lines = lock(&s.lines);
        match lines.get_mut(&key) {
            Some(existing) if s.honours_key => existing.1.clone(),
            Some(existing) => {
                existing.0 += 1;
                existing.1.clone()
            }
            None => {
                let mut next = lock(&s.next);
                let r = format!("ERP-{next}");
                *next += 1;
                lines.insert(key.clone(), (1, r.clone()));
                lock(&s.arrivals).push(key.clone());
                r
            }
        }
    };
    if let Some(status) = s.behaviour.after_commit().await {
        return injected(status);
    }
    json(
        StatusCode::CREATED,
        serde_json::json!({"reference": reference}),
    )
}

async fn http_lookup(
    State(s): State<Arc<HttpState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    s.requests.fetch_add(1, Ordering::SeqCst);
    if let Some(refused) = gate(&s.behaviour, &headers).await {
        return refused;
    }
    match lock(&s.lines).get(&id) {
        Some((_, r)) => json(StatusCode::OK, serde_json::json!({"reference": r})),
        None => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "no such line"}),
        ),
    }
}

// ───────────────────────────────────────────── PPMS ─────────────────────────────────────────────

#[derive(Debug, Clone)]
struct PpmsOrder {
    reference: u64,
    login: String,
    service: String,
    quantity: String,
    project: String,
    staff_comments: String,
}

#[derive(Debug)]
struct PpmsState {
    behaviour: Behaviour,
    api_key: String,
    orders: Mutex<Vec<PpmsOrder>>,
    creates: Mutex<Vec<String>>,
}

/// A PPMS stand-in for `createorder` and `getorders`. See the [module docs](self).
#[derive(Debug)]
pub struct PpmsErp {
    server: Server,
    state: Arc<PpmsState>,
}

impl PpmsErp {
    /// Starts a stand-in accepting `api_key`.
    pub async fn start(api_key: &str) -> std::io::Result<Self> {
        let state = Arc::new(PpmsState {
            behaviour: Behaviour::new(),
            api_key: api_key.to_owned(),
            orders: Mutex::new(Vec::new()),
            creates: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/pumapi/", post(pumapi))
            .with_state(state.clone());
        let server = Server::start(router).await?;
        Ok(PpmsErp { server, state })
    }

    behaviour_methods!();

    /// `createorder` requests whose staff comment contains `text` (whatever was answered).
    pub fn creates_mentioning(&self, text: &str) -> usize {
        lock(&self.state.creates)
            .iter()
            .filter(|c| c.contains(text))
            .count()
    }

    /// All `createorder` requests.
    pub fn total_creates(&self) -> usize {
        lock(&self.state.creates).len()
    }

    /// Orders whose staff comment contains `text`.
    pub fn orders_mentioning(&self, text: &str) -> usize {
        lock(&self.state.orders)
            .iter()
            .filter(|o| o.staff_comments.contains(text))
            .count()
    }

    /// The staff comment of every order, in creation order.
    pub fn staff_comments(&self) -> Vec<String> {
        lock(&self.state.orders)
            .iter()
            .map(|o| o.staff_comments.clone())
            .collect()
    }

    /// All orders.
    pub fn total_orders(&self) -> usize {
        lock(&self.state.orders).len()
    }

    /// `[login, service id, quantity, project id]` of every order, in creation order (an
    /// absent field is empty).
    pub fn orders(&self) -> Vec<[String; 4]> {
        lock(&self.state.orders)
            .iter()
            .map(|o| {
                [
                    o.login.clone(),
                    o.service.clone(),
                    o.quantity.clone(),
                    o.project.clone(),
                ]
            })
            .collect()
    }
}

fn text(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

async fn pumapi(State(s): State<Arc<PpmsState>>, body: Bytes) -> Response {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let action = field("action");
    if action == "createorder" {
        lock(&s.creates).push(field("scomments"));
    }
    if let Some(status) = s.behaviour.before().await {
        return injected(status);
    }
    if field("apikey") != s.api_key {
        return text("error: request not authorized\r\n".into());
    }
    match action.as_str() {
        "createorder" => {
            let order = {
                let mut orders = lock(&s.orders);
                let o = PpmsOrder {
                    reference: 48000 + orders.len() as u64 + 1,
                    login: field("login"),
                    service: field("serviceid"),
                    quantity: field("quantity"),
                    project: field("projectid"),
                    staff_comments: field("scomments"),
                };
                orders.push(o.clone());
                o
            };
            if let Some(status) = s.behaviour.after_commit().await {
                return injected(status);
            }
            text(format!("{}\r\n", order.reference))
        }
        "getorders" => {
            let mut body = String::from(
                "Orders\r\nCore facility ref.,Order ref.,User,Group,Project ref.,Quoted date,Ordered date,Completed date,Status,Invoiced,Comments,Staff comments\r\n",
            );
            for o in lock(&s.orders).iter() {
                body.push_str(&format!(
                    "1,{},{},\"lab\",\"\",\"\",\"2025/01/01\",\"\",\"Ordered\",\"No\",\"\",{}\r\n",
                    o.reference,
                    csv_field(&o.login),
                    csv_field(&o.staff_comments)
                ));
            }
            text(body)
        }
        _ => text(format!("error: unknown action {action}\r\n")),
    }
}

// ────────────────────────────────────────── fault proxy ──────────────────────────────────────────

/// A fault [`FaultProxy`] injects into one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The connection is reset before the request is read: the ERP never sees it, the client
    /// cannot tell whether it did.
    RefusedBeforeReading,
    /// The ERP handles the request (a push is committed), then the connection is reset
    /// instead of the answer.
    ResetAfterCommit,
    /// The ERP handles the request, then the client is answered 503 instead.
    UnavailableAfterCommit,
}

/// What a [`FaultProxy`] has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultCounts {
    /// Requests passed through untouched.
    pub forwarded: u64,
    /// [`Fault::RefusedBeforeReading`] injected.
    pub refused_before_reading: u64,
    /// [`Fault::ResetAfterCommit`] injected.
    pub reset_after_commit: u64,
    /// [`Fault::UnavailableAfterCommit`] injected.
    pub unavailable_after_commit: u64,
}

impl FaultCounts {
    /// All faults injected.
    pub fn faults(&self) -> u64 {
        self.refused_before_reading + self.reset_after_commit + self.unavailable_after_commit
    }
}

#[derive(Debug)]
struct ProxyState {
    upstream: SocketAddr,
    /// Faults per million requests.
    rate_ppm: std::sync::atomic::AtomicU32,
    rng: Mutex<fastrand::Rng>,
    counts: Mutex<FaultCounts>,
}

/// An HTTP/1.1 proxy on 127.0.0.1 in front of a stand-in (or any HTTP/1.1 server on
/// 127.0.0.1) that injects a [`Fault`] into a share of the requests, each of the three kinds
/// equally often. It serves one request per connection (it asks the upstream for
/// `Connection: close`), reads requests with a `Content-Length` body (what the relay's
/// adapters send) and keeps the path, so `proxy.url()` replaces the stand-in's `url()`.
/// Dropping it stops it.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use billing_relay::standin::{FaultProxy, PpmsErp};
///
/// let erp = PpmsErp::start("key").await?;
/// // 20 % of the requests fail; the seed makes the sequence of faults repeatable
/// let proxy = FaultProxy::start(&erp.url(), 0.2, 7).await?;
/// println!("point the tenant at {}", proxy.url());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FaultProxy {
    server: Server,
    state: Arc<ProxyState>,
}

/// Largest request head or response the proxy reads.
const PROXY_MAX_BYTES: usize = 16 * 1024 * 1024;

impl FaultProxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:<port>/`) injecting faults into a
    /// `rate` share of the requests (clamped to 0..=1), drawn from a generator seeded with
    /// `seed`.
    pub async fn start(upstream: &str, rate: f64, seed: u64) -> std::io::Result<Self> {
        let invalid =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, what.to_owned());
        let upstream = url::Url::parse(upstream).map_err(|_| invalid("upstream: not a url"))?;
        let upstream = upstream
            .socket_addrs(|| Some(80))
            .ok()
            .and_then(|a| a.into_iter().next())
            .ok_or_else(|| invalid("upstream: no address"))?;
        let state = Arc::new(ProxyState {
            upstream,
            rate_ppm: std::sync::atomic::AtomicU32::new(0),
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            counts: Mutex::new(FaultCounts::default()),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(proxy_one(shared.clone(), client));
            }
        });
        let proxy = FaultProxy {
            server: Server { addr, task },
            state,
        };
        proxy.set_rate(rate);
        Ok(proxy)
    }

    /// Changes the share of requests that fail (clamped to 0..=1).
    pub fn set_rate(&self, rate: f64) {
        let ppm = (rate.clamp(0.0, 1.0) * 1_000_000.0).round() as u32;
        self.state.rate_ppm.store(ppm, Ordering::SeqCst);
    }

    /// What the proxy has done so far.
    pub fn counts(&self) -> FaultCounts {
        *lock(&self.state.counts)
    }

    /// The base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.server.addr)
    }
}

/// Draws the fault of the next request, if any.
fn draw(state: &ProxyState) -> Option<Fault> {
    let rate = state.rate_ppm.load(Ordering::SeqCst);
    let mut rng = lock(&state.rng);
    if rng.u32(0..1_000_000) >= rate {
        return None;
    }
    Some(match rng.u8(0..3) {
        0 => Fault::RefusedBeforeReading,
        1 => Fault::ResetAfterCommit,
        _ => Fault::UnavailableAfterCommit,
    })
}

fn count(state: &ProxyState, fault: Option<Fault>) {
    let mut c = lock(&state.counts);
    match fault {
        None => c.forwarded += 1,
        Some(Fault::RefusedBeforeReading) => c.refused_before_reading += 1,
        Some(Fault::ResetAfterCommit) => c.reset_after_commit += 1,
        Some(Fault::UnavailableAfterCommit) => c.unavailable_after_commit += 1,
    }
}

/// Closes the connection with a reset (`SO_LINGER` 0) rather than an orderly close.
fn reset(stream: tokio::net::TcpStream) {
    // a zero linger never blocks: the kernel drops the socket at once and sends RST
    #[allow(deprecated)]
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

async fn proxy_one(state: Arc<ProxyState>, mut client: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let fault = draw(&state);
    if fault == Some(Fault::RefusedBeforeReading) {
        count(&state, fault);
        reset(client);
        return;
    }
    let Some(request) = read_request(&mut client).await else {
        return;
    };
    let Ok(mut upstream) = tokio::net::TcpStream::connect(state.upstream).await else {
        return;
    };
    if upstream.write_all(&request).await.is_err() {
        return;
    }
    let mut response = Vec::new();
    let read = (&mut upstream)
        .take(PROXY_MAX_BYTES as u64)
        .read_to_end(&mut response)
        .await;
    if read.is_err() || response.is_empty() {
        return;
    }
    count(&state, fault);
    match fault {
        Some(Fault::ResetAfterCommit) => reset(client),
        Some(Fault::UnavailableAfterCommit) => {
            let body = "injected 503 after commit";
            let answer = format!(
                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = client.write_all(answer.as_bytes()).await;
            let _ = client.shutdown().await;
        }
        _ => {
            let _ = client.write_all(&response).await;
            let _ = client.shutdown().await;
        }
    }
}

/// Reads one request (head and `Content-Length` body) and rewrites it for the upstream with
/// `Connection: close`. `None` when the client closed or sent something else.
async fn read_request(client: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt as _;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > PROXY_MAX_BYTES {
            return None;
        }
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let mut out = String::new();
    let mut length = 0usize;
    for (i, line) in head.split("\r\n").enumerate() {
        let name = line.split(':').next().unwrap_or_default().trim();
        if i > 0 && name.eq_ignore_ascii_case("content-length") {
            length = line.split_once(':')?.1.trim().parse().ok()?;
        }
        if line.is_empty() || (i > 0 && name.eq_ignore_ascii_case("connection")) {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    if length > PROXY_MAX_BYTES {
        return None;
    }
    out.push_str("connection: close\r\n\r\n");
    let mut body = buf.split_off(head_end);
    while body.len() < length {
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let mut request = out.into_bytes();
    request.extend_from_slice(&body);
    Some(request)
}
