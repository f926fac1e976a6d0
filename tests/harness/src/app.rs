//! The public face of the harness: build an app from `spin.toml`, send it requests in-process
//! or serve it over real HTTP.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::BodyExt;

use crate::allowed_hosts::AllowList;
use crate::clock::Clock;
use crate::exec::{self, AppInner};
use crate::kv::KvManager;
use crate::manifest::{ComponentRef, LoadedManifest, RouteConfig};
use crate::output::OutputSink;
use crate::router::{RouteEntry, Router};
use crate::runtime_config::RuntimeConfig;
use crate::state::{ComponentCtx, Shared};
use crate::variables::{AppVariable, Variables};
use crate::{engine, files};

/// A running Spin app. Cheap to clone; use it from as many tasks as you like.
#[derive(Clone)]
pub struct App {
    inner: Arc<AppInner>,
    state_dir: Arc<PathBuf>,
    stores: Arc<Vec<(String, String)>>,
}

/// Settings for [`App`]; see [`App::builder`].
#[derive(Debug, Clone)]
pub struct AppBuilder {
    manifest: PathBuf,
    state_dir: Option<PathBuf>,
    variables: HashMap<String, String>,
    env: Vec<(String, String)>,
    clock: Clock,
    runtime_config: Option<PathBuf>,
}

/// A complete response, body read to the end.
#[derive(Debug, Clone)]
pub struct HarnessResponse {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl HarnessResponse {
    /// The body as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body)
            .with_context(|| format!("response body is not the expected JSON: {}", self.text()))
    }

    /// A header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl App {
    /// Starts configuring an app from the manifest at `manifest`.
    pub fn builder(manifest: impl AsRef<Path>) -> AppBuilder {
        AppBuilder {
            manifest: manifest.as_ref().to_path_buf(),
            state_dir: None,
            variables: HashMap::new(),
            env: Vec::new(),
            clock: Clock::system(),
            runtime_config: None,
        }
    }

    /// Sends a request in-process, as if from `127.0.0.1:0`.
    ///
    /// A request without a `Host` header gets one from its URI's authority, or `localhost`, as
    /// an HTTP client would add it; everything else is passed on unchanged.
    pub async fn request(&self, req: http::Request<Bytes>) -> Result<HarnessResponse> {
        self.request_from(req, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
    }

    /// Like [`App::request`] with the given client address (`spin-client-addr`).
    pub async fn request_from(
        &self,
        req: http::Request<Bytes>,
        client_addr: SocketAddr,
    ) -> Result<HarnessResponse> {
        let (mut parts, body) = req.into_parts();
        if !parts.headers.contains_key(http::header::HOST) {
            let host = parts
                .uri
                .authority()
                .map(|a| a.as_str().to_string())
                .unwrap_or_else(|| "localhost".into());
            parts
                .headers
                .insert(http::header::HOST, HeaderValue::from_str(&host)?);
        }
        let req = http::Request::from_parts(parts, exec::full(body));
        let resp = exec::handle(self.inner.clone(), req, client_addr).await;
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| anyhow::anyhow!("response body failed: {e:?}"))?
            .to_bytes();
        Ok(HarnessResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// Fires the `[[trigger.cron]]` of `component_id` once, as the cron trigger plugin does on
    /// its schedule; waits for the run to end. The inner `Err` is the guest's own error.
    pub async fn fire_cron(&self, component_id: &str) -> Result<Result<(), String>> {
        exec::fire_cron(&self.inner, component_id).await
    }

    /// What the component's instances have written to stdout and stderr so far, plus the
    /// harness's notes about it (errors, denied outbound requests).
    pub fn guest_output(&self, component_id: &str) -> String {
        self.inner
            .components
            .get(component_id)
            .map(|c| c.output.contents())
            .unwrap_or_default()
    }

    /// Waits until no instance of the app is running, including work a guest does after it
    /// has sent its response (Spin lets it finish; the client has its answer already).
    pub async fn wait_idle(&self) {
        self.inner.active.wait_idle().await;
    }

    /// Waits until at most `count` instances are running: a test that holds some requests
    /// (e.g. at a [`crate::Gate`]) waits for the others to finish.
    pub async fn wait_running_at_most(&self, count: usize) {
        self.inner.active.wait_at_most(count).await;
    }

    /// Serves the app over HTTP/1.1 on `addr` (e.g. `"127.0.0.1:0"`) until the server is
    /// shut down or dropped.
    pub async fn serve(&self, addr: &str) -> Result<crate::server::Server> {
        crate::server::Server::start(self.inner.clone(), addr).await
    }

    /// The state directory (KV and SQLite files).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The key-value stores the runtime configuration put elsewhere than Spin's SQLite, as
    /// `(label, backend)` (e.g. `("default", "Redis at 127.0.0.1:6379")`).
    pub fn key_value_backends(&self) -> &[(String, String)] {
        &self.stores
    }

    /// The clock guests see.
    pub fn clock(&self) -> Clock {
        self.inner.shared.clock.clone()
    }

    /// Routes in manifest order as `(component, path, is_wildcard)`.
    pub fn routes(&self) -> &[(String, String, bool)] {
        self.inner.router.routes()
    }
}

impl AppBuilder {
    /// Where KV and SQLite files live (`spin up --state-dir`); default `<manifest dir>/.spin`.
    pub fn state_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.state_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Gives an application variable a value, like `spin up --variable name=value`.
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// Adds a WASI environment variable for every component, like `spin up -e K=V`.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Reads Spin's runtime configuration from `path`, like `spin up --runtime-config-file`:
    /// key-value stores (`spin`, `redis`) and SQLite databases (`spin` with a `path`); see
    /// [`RuntimeConfig`]. The file is read by [`AppBuilder::build`].
    pub fn runtime_config_file(mut self, path: impl AsRef<Path>) -> Self {
        self.runtime_config = Some(path.as_ref().to_path_buf());
        self
    }

    /// The wall clock guests see (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Loads the manifest, checks it as `spin up` does at start-up, and compiles the
    /// components that HTTP triggers use.
    pub async fn build(self) -> Result<App> {
        // Relative paths in the manifest resolve against its directory, so work from an
        // absolute manifest path whatever the caller's working directory.
        let manifest = std::fs::canonicalize(&self.manifest)
            .with_context(|| format!("manifest {} not found", self.manifest.display()))?;
        let loaded = LoadedManifest::load(&manifest)?;
        let m = &loaded.manifest;
        let state_dir = self
            .state_dir
            .clone()
            .unwrap_or_else(|| loaded.dir.join(".spin"));

        let app_vars: BTreeMap<String, AppVariable> = m
            .variables
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    AppVariable {
                        default: v.default.clone(),
                        secret: v.secret,
                    },
                )
            })
            .collect();
        let mut vars =
            Variables::new(app_vars, self.variables.clone()).map_err(anyhow::Error::new)?;
        for (id, c) in &m.components {
            vars.add_component(id, &c.variables)
                .map_err(anyhow::Error::new)
                .with_context(|| format!("component {id:?} variables"))?;
        }
        vars.ensure_required_resolvable()?;
        let runtime = match &self.runtime_config {
            Some(path) => RuntimeConfig::load(path)?,
            None => RuntimeConfig::default(),
        };
        let kv = KvManager::new(
            state_dir.join("sqlite_key_value.db"),
            &runtime.key_value_stores,
        )?;
        let mut sqlite = runtime.sqlite_databases.clone();
        sqlite
            .entry("default".to_owned())
            .or_insert_with(|| state_dir.join("sqlite_db.db"));
        check_labels(&loaded, &kv, &sqlite)?;
        std::fs::create_dir_all(&state_dir)
            .with_context(|| format!("failed to create state dir {}", state_dir.display()))?;
        let stores = Arc::new(kv.summaries());

        let shared = Arc::new(Shared {
            vars,
            kv,
            sqlite,
            clock: self.clock.clone(),
        });

        let http_used: HashSet<&str> = m
            .triggers
            .http
            .iter()
            .filter_map(|t| match &t.component {
                Some(ComponentRef::Id(id)) => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let mut used = http_used.clone();
        used.extend(m.triggers.cron.iter().map(|t| t.component.as_str()));
        let mut components = HashMap::new();
        let mut staged = Vec::new();
        for (id, c) in &m.components {
            let allow = AllowList::parse(&c.allowed_outbound_hosts, &shared.vars)
                .with_context(|| format!("component {id:?}: invalid allowed_outbound_hosts"))?;
            if !used.contains(id.as_str()) {
                continue;
            }
            let files_root = if c.files.is_empty() {
                None
            } else {
                let dir = tempfile::Builder::new()
                    .prefix("harness-files-")
                    .tempdir()?;
                files::stage(&loaded.dir, c, dir.path())
                    .with_context(|| format!("component {id:?}: files"))?;
                let root = dir.path().to_path_buf();
                staged.push(dir);
                Some(root)
            };
            let wasm = loaded.dir.join(c.source_path()?);
            let component =
                tokio::task::spawn_blocking(move || engine::load_component(&wasm)).await??;
            let pre = engine::prepare(&component).with_context(|| format!("component {id:?}"))?;
            let proxy = if http_used.contains(id.as_str()) {
                Some(engine::http_handler(&pre).with_context(|| format!("component {id:?}"))?)
            } else {
                None
            };
            let mut env: Vec<(String, String)> = c.environment.clone().into_iter().collect();
            env.extend(self.env.iter().cloned());
            components.insert(
                id.clone(),
                Arc::new(ComponentCtx {
                    id: id.clone(),
                    pre,
                    proxy,
                    env,
                    files_root,
                    kv_labels: c.key_value_stores.iter().cloned().collect(),
                    sqlite_labels: c.sqlite_databases.iter().cloned().collect(),
                    allow,
                    output: OutputSink::new(id),
                    shared: shared.clone(),
                }),
            );
        }

        let (router, statics) = build_router(&loaded)?;
        let inner = AppInner {
            name: m.application.name.clone(),
            version: m.application.version.clone(),
            router,
            statics,
            components,
            shared,
            self_authority: Mutex::new("localhost".into()),
            active: Arc::default(),
            _files: staged,
        };
        Ok(App {
            inner: Arc::new(inner),
            state_dir: Arc::new(state_dir),
            stores,
        })
    }
}

fn check_labels(
    loaded: &LoadedManifest,
    kv: &KvManager,
    sqlite: &BTreeMap<String, PathBuf>,
) -> Result<()> {
    let mut sqlite_errors = Vec::new();
    for (id, c) in &loaded.manifest.components {
        for label in &c.key_value_stores {
            if !kv.is_defined(label) {
                bail!("unknown key_value_stores label {label:?} for component {id:?}");
            }
        }
        for label in c
            .sqlite_databases
            .iter()
            .filter(|l| !sqlite.contains_key(*l))
        {
            sqlite_errors.push(format!("- Component {id} uses database '{label}'"));
        }
    }
    if !sqlite_errors.is_empty() {
        bail!(
            "One or more components use SQLite databases which are not defined.\nCheck the spelling, or pass a runtime configuration file that defines these stores.\nDetails:\n{}",
            sqlite_errors.join("\n")
        );
    }
    Ok(())
}

type Statics = HashMap<String, crate::manifest::StaticResponse>;

fn build_router(loaded: &LoadedManifest) -> Result<(Router, Statics)> {
    let mut entries = Vec::new();
    let mut statics = HashMap::new();
    for (i, t) in loaded.manifest.triggers.http.iter().enumerate() {
        let target = match (&t.component, &t.static_response) {
            (Some(ComponentRef::Id(id)), _) => id.clone(),
            (_, Some(sr)) => {
                let key = format!("#static-{i}");
                statics.insert(key.clone(), sr.clone());
                key
            }
            _ => continue,
        };
        let route = match &t.route {
            RouteConfig::Route(r) => Some(r.clone()),
            RouteConfig::Private(_) => None,
        };
        entries.push(RouteEntry { target, route });
    }
    let (router, duplicates) = Router::build(&entries)?;
    if !duplicates.is_empty() {
        eprintln!("The following component routes are duplicates and will never be used:");
        for d in &duplicates {
            eprintln!(
                "  {}: {} (duplicate of {})",
                d.replaced, d.route, d.effective
            );
        }
    }
    if router
        .routes()
        .iter()
        .any(|(_, p, _)| p.starts_with("/.well-known/spin/") || p == "/.well-known/spin")
    {
        eprintln!("Routes under /.well-known/spin/ are handled by the Spin runtime and will never be reached");
    }
    Ok((router, statics))
}
