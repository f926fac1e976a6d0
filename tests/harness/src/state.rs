//! What one instance (one request) owns, and what it shares with the rest of the app.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Weak};

use wasmtime::component::{InstancePre, ResourceTable};
use wasmtime_wasi::{DirPerms, FilePerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::{WasiHttpCtxView, WasiHttpView};
use wasmtime_wasi_http::WasiHttpCtx;

use crate::allowed_hosts::AllowList;
use crate::bindings::variables;
use crate::clock::Clock;
use crate::kv::KvManager;
use crate::outbound::OutboundHooks;
use crate::output::OutputSink;
use crate::variables::{VarError, Variables};

/// App-wide state shared by every component and instance.
pub(crate) struct Shared {
    pub vars: Variables,
    pub kv: KvManager,
    /// The file behind each SQLite label (`default` and the runtime configuration's).
    pub sqlite: BTreeMap<String, PathBuf>,
    pub clock: Clock,
}

impl Shared {
    /// The file behind a SQLite label, if the label is configured.
    pub fn sqlite_path(&self, label: &str) -> Option<PathBuf> {
        self.sqlite.get(label).cloned()
    }
}

/// Everything about one component that does not change between requests.
pub(crate) struct ComponentCtx {
    pub id: String,
    /// The linked component.
    pub pre: InstancePre<State>,
    /// Its `wasi:http` handler, for components an HTTP trigger uses.
    pub proxy: Option<ProxyPre<State>>,
    pub env: Vec<(String, String)>,
    pub files_root: Option<PathBuf>,
    pub kv_labels: HashSet<String>,
    pub sqlite_labels: HashSet<String>,
    pub allow: AllowList,
    pub output: OutputSink,
    pub shared: Arc<Shared>,
}

/// The data of one `Store`: a fresh one per request, as Spin does for WASI 0.2 components.
pub struct State {
    pub(crate) table: ResourceTable,
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) hooks: OutboundHooks,
    pub(crate) component: Arc<ComponentCtx>,
    pub(crate) sqlite_open: u32,
}

impl State {
    /// Fresh per-request state for `component`.
    pub(crate) fn new(
        component: &Arc<ComponentCtx>,
        app: Weak<crate::exec::AppInner>,
    ) -> anyhow::Result<Self> {
        let mut b = WasiCtx::builder();
        b.envs(&component.env)
            .stdout(component.output.clone())
            .stderr(component.output.clone())
            .wall_clock(component.shared.clock.clone());
        if let Some(root) = &component.files_root {
            b.preopened_dir(root, "/", DirPerms::READ, FilePerms::READ)?;
        }
        Ok(Self {
            table: ResourceTable::new(),
            wasi: b.build(),
            http: WasiHttpCtx::new(),
            hooks: OutboundHooks::new(component.clone(), app),
            component: component.clone(),
            sqlite_open: 0,
        })
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

impl variables::Host for State {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        let c = &self.component;
        Ok(c.shared.vars.get(&c.id, &name).map_err(|e| match e {
            VarError::InvalidName(m) => variables::Error::InvalidName(m),
            VarError::Undefined(m) => variables::Error::Undefined(m),
            VarError::Provider(m) => variables::Error::Provider(m),
            e @ VarError::InvalidTemplate(_) => variables::Error::Other(e.to_string()),
        }))
    }
}
