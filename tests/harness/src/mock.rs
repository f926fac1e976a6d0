//! A scriptable HTTP/1.1 server on loopback that stands in for a provider API (email, SMS, ...).
//!
//! Every request is recorded, whatever the answer. The answer is, in order: the next one-shot
//! [`MockServer::push`]ed responder, a responder set for the method and path with
//! [`MockServer::respond_on`], or the default ([`MockServer::respond`]; initially `200` with an
//! empty body). [`Responder::hang`] never answers (until shutdown) and [`Responder::close`]
//! drops the connection without an answer. [`Responder::held`] answers only once its [`Gate`]
//! is opened, so a test can act while a provider call is under way.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// A request the mock received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: Method,
    /// Path with query, e.g. `/email?x=1`.
    pub path: String,
    /// Request headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The body as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
    }

    /// A header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// How the mock answers a request.
#[derive(Debug, Clone)]
pub struct Responder {
    kind: Kind,
}

/// Builds the answer from the request, as a provider that echoes its input does.
type Compute = Arc<dyn Fn(&RecordedRequest) -> Responder + Send + Sync>;

#[derive(Clone)]
enum Kind {
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: Bytes,
    },
    Hang,
    Close,
    Computed(Compute),
    Held(Gate, Box<Responder>),
}

/// Holds the answers of [`Responder::held`] until [`Gate::open`]; a test waits with
/// [`Gate::reached`] until the requests it expects are being held.
#[derive(Debug, Clone)]
pub struct Gate {
    open: Arc<tokio::sync::watch::Sender<bool>>,
    arrived: Arc<tokio::sync::watch::Sender<usize>>,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Self {
            open: Arc::new(tokio::sync::watch::channel(false).0),
            arrived: Arc::new(tokio::sync::watch::channel(0).0),
        }
    }

    /// Lets every held request (and any later one) through.
    pub fn open(&self) {
        self.open.send_replace(true);
    }

    /// Waits until `count` requests have reached the gate.
    pub async fn reached(&self, count: usize) {
        let mut arrived = self.arrived.subscribe();
        let _ = arrived.wait_for(|n| *n >= count).await;
    }

    async fn pass(&self) {
        let mut open = self.open.subscribe();
        self.arrived.send_modify(|n| *n += 1);
        let _ = open.wait_for(|is_open| *is_open).await;
    }
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kind::Answer { status, .. } => write!(f, "Answer({status})"),
            Kind::Hang => f.write_str("Hang"),
            Kind::Close => f.write_str("Close"),
            Kind::Computed(_) => f.write_str("Computed"),
            Kind::Held(_, then) => write!(f, "Held({:?})", then.kind),
        }
    }
}

impl Responder {
    /// Answers with `status` (headers and body follow with the builder methods).
    pub fn status(status: u16) -> Self {
        Self {
            kind: Kind::Answer {
                status,
                headers: Vec::new(),
                body: Bytes::new(),
            },
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        if let Kind::Answer { headers, .. } = &mut self.kind {
            headers.push((name.into(), value.into()));
        }
        self
    }

    /// Sets the body.
    pub fn body(mut self, bytes: impl Into<Bytes>) -> Self {
        if let Kind::Answer { body, .. } = &mut self.kind {
            *body = bytes.into();
        }
        self
    }

    /// Sets a JSON body and `content-type: application/json`.
    pub fn json(self, value: impl serde::Serialize) -> Self {
        let body = serde_json::to_vec(&value).unwrap_or_default();
        self.header("content-type", "application/json").body(body)
    }

    /// Accepts the request and never answers (until the mock shuts down).
    pub fn hang() -> Self {
        Self { kind: Kind::Hang }
    }

    /// Drops the connection without answering.
    pub fn close() -> Self {
        Self { kind: Kind::Close }
    }

    /// Answers as `then` does once `gate` is opened (a provider that takes its time).
    pub fn held(gate: &Gate, then: Responder) -> Self {
        Self {
            kind: Kind::Held(gate.clone(), Box::new(then)),
        }
    }

    /// Answers with what `compute` makes of the request (e.g. an answer keyed by the phone
    /// number that was sent).
    pub fn computed(
        compute: impl Fn(&RecordedRequest) -> Responder + Send + Sync + 'static,
    ) -> Self {
        Self {
            kind: Kind::Computed(Arc::new(compute)),
        }
    }
}

#[derive(Debug)]
struct Script {
    requests: Vec<RecordedRequest>,
    queue: VecDeque<Responder>,
    routes: Vec<(Method, String, Responder)>,
    default: Responder,
}

impl Script {
    fn choose(&mut self, method: &Method, path: &str) -> Responder {
        if let Some(r) = self.queue.pop_front() {
            return r;
        }
        let bare = path.split('?').next().unwrap_or(path);
        self.routes
            .iter()
            .rev()
            .find(|(m, p, _)| m == method && (p == path || p == bare))
            .map(|(_, _, r)| r.clone())
            .unwrap_or_else(|| self.default.clone())
    }
}

/// The mock server; stops when shut down or dropped.
pub struct MockServer {
    addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Starts a mock on `127.0.0.1:0`.
    ///
    /// # Panics
    /// If no loopback port can be bound.
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0")
            .await
            .expect("mock server: bind 127.0.0.1:0")
    }

    /// Starts a mock on `addr`, e.g. `127.0.0.1:3900`: a fixed port that an app started
    /// elsewhere (a real `spin up`) was told to call.
    pub async fn start_on(addr: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let script = Arc::new(Mutex::new(Script {
            requests: Vec::new(),
            queue: VecDeque::new(),
            routes: Vec::new(),
            default: Responder::status(200),
        }));
        let task = tokio::spawn(accept_loop(listener, script.clone()));
        Ok(Self {
            addr,
            script,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Sets the default answer.
    pub fn respond(&self, responder: Responder) {
        self.lock().default = responder;
    }

    /// Sets the answer for `method` and `path` (matched with or without the query string).
    pub fn respond_on(&self, method: &str, path: &str, responder: Responder) {
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        self.lock()
            .routes
            .push((method, path.to_string(), responder));
    }

    /// Queues a one-shot answer, used before any other.
    pub fn push(&self, responder: Responder) {
        self.lock().queue.push_back(responder);
    }

    /// Stops the server and drops all connections (also ending hung requests).
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[derive(Debug)]
struct CloseConnection;

impl std::fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("mock: closing connection")
    }
}

impl std::error::Error for CloseConnection {}

async fn accept_loop(listener: TcpListener, script: Arc<Mutex<Script>>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let script = script.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| answer(req, script.clone()));
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn answer(
    req: hyper::Request<Incoming>,
    script: Arc<Mutex<Script>>,
) -> Result<Response<Full<Bytes>>, CloseConnection> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let recorded = RecordedRequest {
        method: parts.method,
        path,
        headers: parts.headers,
        body,
    };
    let responder = {
        let mut s = script.lock().unwrap_or_else(|e| e.into_inner());
        let r = s.choose(&recorded.method, &recorded.path);
        s.requests.push(recorded.clone());
        r
    };
    let responder = match responder.kind {
        Kind::Held(gate, then) => {
            gate.pass().await;
            *then
        }
        _ => responder,
    };
    let responder = match responder.kind {
        Kind::Computed(compute) => compute(&recorded),
        _ => responder,
    };
    match responder.kind {
        Kind::Hang => {
            std::future::pending::<Infallible>().await;
            Err(CloseConnection)
        }
        Kind::Close | Kind::Computed(_) | Kind::Held(..) => Err(CloseConnection),
        Kind::Answer {
            status,
            headers,
            body,
        } => {
            let mut resp = Response::new(Full::new(body));
            *resp.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) = (
                    HeaderName::from_bytes(k.as_bytes()),
                    HeaderValue::from_str(&v),
                ) {
                    resp.headers_mut().append(k, v);
                }
            }
            Ok(resp)
        }
    }
}
