//! Handling one HTTP request the way Spin's HTTP trigger does (`spin_trigger_http::server` and
//! `::wasi`): reserved `/.well-known/spin/` paths, routing, an empty 404 when nothing matches,
//! header injection, and a fresh `Store` + instance of the component for every request. A
//! guest that traps or returns without a response yields an empty 500; the error goes into
//! the component's captured output.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use http::header::HOST;
use http::uri::{Authority, Scheme as UriScheme};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full};
use tokio::sync::Notify;
use wasmtime::Store;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::p2::WasiHttpView;

use crate::headers::guest_headers;
use crate::manifest::StaticResponse;
use crate::router::{RouteMatch, Router};
use crate::state::{ComponentCtx, Shared, State};

/// Request and response bodies inside the harness (wasi-http's body type).
pub type Body = HyperOutgoingBody;

const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

/// Everything a running app needs; shared by `App` clones, servers and outbound hooks.
pub(crate) struct AppInner {
    pub name: String,
    pub version: Option<String>,
    pub router: Router,
    pub statics: HashMap<String, StaticResponse>,
    pub components: HashMap<String, Arc<ComponentCtx>>,
    pub shared: Arc<Shared>,
    pub self_authority: Mutex<String>,
    pub active: Arc<Activity>,
    pub _files: Vec<tempfile::TempDir>,
}

/// Counts running guest instances so tests can wait until an app is idle.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    running: AtomicUsize,
    idle: Notify,
}

/// Held by a running instance; dropping it (however the task ends) counts it out.
struct Running(Arc<Activity>);

impl Activity {
    fn enter(self: &Arc<Self>) -> Running {
        self.running.fetch_add(1, Ordering::SeqCst);
        Running(self.clone())
    }

    /// Resolves once no instance is running.
    pub async fn wait_idle(&self) {
        self.wait_at_most(0).await;
    }

    /// Resolves once at most `count` instances are running.
    pub async fn wait_at_most(&self, count: usize) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.running.load(Ordering::SeqCst) <= count {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
        self.0.idle.notify_waiters();
    }
}

impl AppInner {
    /// The `Host` used for relative ("self") outbound requests.
    pub fn self_authority(&self) -> String {
        self.self_authority
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A body from bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn empty(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(Empty::new().map_err(|never| match never {}).boxed_unsync());
    *r.status_mut() = status;
    r
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Handles a request from outside (`client` is the TCP peer).
pub(crate) fn handle(
    app: Arc<AppInner>,
    mut req: Request<Body>,
    client: SocketAddr,
) -> BoxFuture<Response<Body>> {
    Box::pin(async move {
        let chaining_host = req
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| {
                h.split(':')
                    .next()
                    .is_some_and(|h| h.ends_with(".spin.internal"))
            });
        if chaining_host {
            req.headers_mut().remove(HOST);
        }
        let path = req.uri().path().to_string();
        if let Some(well_known) = path.strip_prefix(WELL_KNOWN_PREFIX) {
            return match well_known {
                "health" => Response::new(full("OK")),
                "info" => app_info(&app),
                _ => empty(StatusCode::NOT_FOUND),
            };
        }
        let Some(m) = app.router.route(&path) else {
            return empty(StatusCode::NOT_FOUND);
        };
        respond(&app, req, m, client).await
    })
}

/// Handles a service-chaining request (`http://<component>.spin.internal/...`): the component
/// gets it directly, as if matched by `/...`, even if its route is private.
pub(crate) fn handle_chained(
    app: Arc<AppInner>,
    req: Request<Body>,
    component: String,
    path: String,
) -> BoxFuture<Response<Body>> {
    Box::pin(async move {
        if !app.components.contains_key(&component) {
            return empty(StatusCode::NOT_FOUND);
        }
        let m = RouteMatch {
            target: component,
            based_route: "/...".into(),
            raw_route: "/...".into(),
            raw_route_or_prefix: String::new(),
            path_info: path,
            captures: Vec::new(),
        };
        respond(&app, req, m, SocketAddr::from(([0, 0, 0, 0], 0))).await
    })
}

async fn respond(
    app: &Arc<AppInner>,
    req: Request<Body>,
    m: RouteMatch,
    client: SocketAddr,
) -> Response<Body> {
    if let Some(sr) = app.statics.get(&m.target) {
        return static_response(sr);
    }
    let Some(component) = app.components.get(&m.target) else {
        return empty(StatusCode::INTERNAL_SERVER_ERROR);
    };
    match execute(app, component, req, &m, client).await {
        Ok(resp) => resp,
        Err(e) => {
            component
                .output
                .note(&format!("Error processing request: {e:?}"));
            empty(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

async fn execute(
    app: &Arc<AppInner>,
    component: &Arc<ComponentCtx>,
    mut req: Request<Body>,
    m: &RouteMatch,
    client: SocketAddr,
) -> Result<Response<Body>> {
    set_req_uri(&mut req)?;
    let headers = guest_headers(req.headers(), req.uri(), "http", m, client)?;
    *req.headers_mut() = headers;

    let state = State::new(component, Arc::downgrade(app))?;
    let mut store = Store::new(component.pre.engine(), state);
    let incoming = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, req)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let outparam = store.data_mut().http().new_response_outparam(tx)?;
    let pre = component
        .proxy
        .clone()
        .ok_or_else(|| anyhow!("component {:?} has no HTTP trigger", component.id))?;
    let running = app.active.enter();
    let task = tokio::spawn(async move {
        let mut store = store;
        let result = match pre.instantiate_async(&mut store).await {
            Ok(proxy) => {
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, outparam)
                    .await
            }
            Err(e) => Err(e),
        };
        // The instance (and the SQLite connections it holds) is gone before it counts as idle.
        drop(store);
        drop(running);
        result
    });
    match rx.await {
        Ok(resp) => {
            let output = component.output.clone();
            tokio::spawn(async move {
                match task.await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        output.note(&format!("Component error after response started: {e:?}"))
                    }
                    Err(e) => output.note(&format!("guest invocation panicked: {e}")),
                }
            });
            resp.map_err(|code| anyhow!("guest failed to produce a response: {code:?}"))
        }
        Err(_) => {
            task.await
                .context("guest invocation panicked")?
                .map_err(anyhow::Error::from)
                .context("guest invocation failed")?;
            bail!("guest failed to produce a response prior to returning")
        }
    }
}

/// Spin's `set_req_uri`: authority from `Host` or the URI (they must agree), server scheme.
fn set_req_uri(req: &mut Request<Body>) -> Result<()> {
    let header = req
        .headers()
        .get(HOST)
        .map(|h| -> Result<Authority> {
            let s = h.to_str().context("'Host' header is not valid UTF-8")?;
            s.parse()
                .context("'Host' header contains an invalid authority")
        })
        .transpose()?;
    let mut parts = req.uri().clone().into_parts();
    let authority = match (header, parts.authority.take()) {
        (None, None) => bail!("no 'Host' header present in request"),
        (Some(a), None) | (None, Some(a)) => a,
        (Some(a), Some(b)) if a == b => a,
        _ => bail!("authority in 'Host' header does not match authority in URI"),
    };
    parts.scheme = Some(UriScheme::HTTP);
    parts.authority = Some(authority);
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some("/".parse()?);
    }
    *req.uri_mut() = Uri::from_parts(parts)?;
    Ok(())
}

fn static_response(sr: &StaticResponse) -> Response<Body> {
    let mut builder = Response::builder().status(sr.status_code.unwrap_or(200));
    for (k, v) in &sr.headers {
        builder = builder.header(k, v);
    }
    let body = sr
        .body
        .clone()
        .map(full)
        .unwrap_or_else(|| full(Bytes::new()));
    builder
        .body(body)
        .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR))
}

fn app_info(app: &AppInner) -> Response<Body> {
    let mut info = serde_json::Map::new();
    info.insert("name".into(), app.name.clone().into());
    if let Some(v) = &app.version {
        info.insert("version".into(), v.clone().into());
    }
    let body = serde_json::to_vec_pretty(&info).unwrap_or_default();
    let mut r = Response::new(full(body));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

/// Runs a cron-triggered component once, as the cron trigger plugin does when its schedule
/// fires: a fresh instance, `handle-cron-event` with the firing time. The guest's own error is
/// the inner `Err`.
pub(crate) async fn fire_cron(
    app: &Arc<AppInner>,
    component_id: &str,
) -> Result<Result<(), String>> {
    use crate::bindings::cron::fermyon::spin_cron::cron_types::{Error as CronError, Metadata};
    use crate::bindings::cron::SpinCronPre;
    let component = app
        .components
        .get(component_id)
        .ok_or_else(|| anyhow!("component {component_id:?} has no cron trigger"))?
        .clone();
    let timestamp = component.shared.clock.unix_seconds();
    let state = State::new(&component, Arc::downgrade(app))?;
    let mut store = Store::new(component.pre.engine(), state);
    let _running = app.active.enter();
    let cron = SpinCronPre::new(component.pre.clone())
        .map_err(anyhow::Error::from)
        .context("component does not export handle-cron-event (fermyon:spin-cron)")?
        .instantiate_async(&mut store)
        .await?;
    let result = cron
        .call_handle_cron_event(&mut store, Metadata { timestamp })
        .await?;
    Ok(result.map_err(|CronError::Other(message)| message))
}
