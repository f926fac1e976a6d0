//! Reading `spin.toml` (manifest version 2) and checking it the way Spin's loader does.
//!
//! The schema mirrors `spin_manifest::schema::v2`: unknown fields are errors everywhere, as
//! they are in Spin. Fields the harness has no use for (`targets`, `tool`, `ai_models`, ...)
//! are accepted and ignored; features it cannot imitate (remote sources, component
//! dependencies, inline trigger components) are rejected with a clear message instead of
//! being silently mis-run.

mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The parsed manifest plus where it came from.
#[derive(Debug, Clone)]
pub struct LoadedManifest {
    /// Path of the `spin.toml` file.
    pub path: PathBuf,
    /// Directory of the manifest; relative paths in it are relative to this.
    pub dir: PathBuf,
    /// The manifest itself.
    pub manifest: Manifest,
}

/// `spin.toml`, version 2.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Must be 2.
    pub spin_manifest_version: u32,
    /// `[application]`.
    pub application: Application,
    /// `[variables]`.
    #[serde(default)]
    pub variables: BTreeMap<String, Variable>,
    /// `[[trigger.<type>]]`.
    #[serde(default, rename = "trigger")]
    pub triggers: Triggers,
    /// `[component.<id>]`.
    #[serde(default, rename = "component")]
    pub components: BTreeMap<String, Component>,
}

/// `[application]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Application name.
    pub name: String,
    /// Version string.
    #[serde(default)]
    pub version: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Authors.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Target environments (checked by `spin build`; ignored here).
    #[serde(default)]
    pub targets: Vec<toml::Value>,
    /// `[application.trigger.<type>]` settings.
    #[serde(default)]
    pub trigger: BTreeMap<String, toml::Table>,
    /// `[application.tool.<x>]`, ignored by Spin.
    #[serde(default)]
    pub tool: BTreeMap<String, toml::Value>,
}

/// An entry of `[variables]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Must be given a value at startup.
    #[serde(default)]
    pub required: bool,
    /// Value when no provider has one.
    #[serde(default)]
    pub default: Option<String>,
    /// Sensitive; Spin only records this.
    #[serde(default)]
    pub secret: bool,
}

/// All `[[trigger.<type>]]` tables.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Triggers {
    /// `[[trigger.http]]`, in manifest order.
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
    /// `[[trigger.cron]]` of the cron trigger plugin: the harness fires them on demand
    /// ([`App::fire_cron`](crate::App::fire_cron)); it keeps no schedule.
    #[serde(default)]
    pub cron: Vec<CronTrigger>,
    /// Other trigger types; the harness runs none of them.
    #[serde(flatten)]
    pub other: BTreeMap<String, toml::Value>,
}

/// One `[[trigger.cron]]`: the plugin accepts exactly these two fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CronTrigger {
    /// Component id.
    pub component: String,
    /// `sec min hour day-of-month month day-of-week [year]`.
    pub cron_expression: String,
}

/// One `[[trigger.http]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTrigger {
    /// Optional trigger id.
    #[serde(default)]
    pub id: Option<String>,
    /// Route pattern or `{ private = true }`.
    #[serde(default)]
    pub route: RouteConfig,
    /// Component id (inline components are not supported).
    #[serde(default)]
    pub component: Option<ComponentRef>,
    /// Trigger-specific extra components (unused by HTTP).
    #[serde(default)]
    pub components: Option<toml::Value>,
    /// `{ type = "http" }` or `{ type = "wagi", ... }`.
    #[serde(default)]
    pub executor: Option<toml::Value>,
    /// Spin 4's fixed answer instead of a component.
    #[serde(default)]
    pub static_response: Option<StaticResponse>,
}

/// `route = "/path"` or `route = { private = true }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RouteConfig {
    /// A routable pattern.
    Route(String),
    /// A private endpoint, reachable only by service chaining.
    Private(PrivateEndpoint),
}

impl Default for RouteConfig {
    fn default() -> Self {
        RouteConfig::Route(String::new())
    }
}

/// `{ private = true }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateEndpoint {
    /// Must be true.
    pub private: bool,
}

/// `component = "id"` or an inline component table.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ComponentRef {
    /// Reference to `[component.<id>]`.
    Id(String),
    /// Inline definition (not supported by the harness).
    Inline(toml::Table),
}

/// `static_response = { status_code, headers, body }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticResponse {
    /// Defaults to 200.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// Response headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Response body.
    #[serde(default)]
    pub body: Option<String>,
}

/// `[component.<id>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Path of the `.wasm`, relative to the manifest directory.
    pub source: toml::Value,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Component variables: name → template over app variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// WASI environment variables.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Files made readable to the guest.
    #[serde(default)]
    pub files: Vec<FilesMount>,
    /// Globs removed from `files`.
    #[serde(default)]
    pub exclude_files: Vec<String>,
    /// Deprecated predecessor of `allowed_outbound_hosts` (rejected here).
    #[serde(default)]
    pub allowed_http_hosts: Vec<String>,
    /// Outbound network allow-list.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Key-value store labels the component may open.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// SQLite database labels the component may open.
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    /// LLM models (unused).
    #[serde(default)]
    pub ai_models: Vec<String>,
    /// Per-component target environments (unused).
    #[serde(default)]
    pub targets: Option<Vec<toml::Value>>,
    /// `[component.<id>.build]`.
    #[serde(default)]
    pub build: Option<BuildConfig>,
    /// Tool settings, ignored by Spin.
    #[serde(default)]
    pub tool: BTreeMap<String, toml::Value>,
    /// Spin 3 dependency setting (unused).
    #[serde(default)]
    pub dependencies_inherit_configuration: Option<bool>,
    /// Component dependencies (not supported by the harness).
    #[serde(default)]
    pub dependencies: BTreeMap<String, toml::Value>,
    /// Spin 4 profiles (ignored).
    #[serde(default)]
    pub profile: BTreeMap<String, toml::Value>,
}

/// An entry of `files`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FilesMount {
    /// A glob or path relative to the manifest directory, mounted at the same path under `/`.
    Pattern(String),
    /// `{ source = "dir", destination = "/abs" }`.
    Placement {
        /// Host file or directory, relative to the manifest directory.
        source: String,
        /// Absolute guest path.
        destination: String,
    },
}

/// `[component.<id>.build]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildConfig {
    /// One command or several, run in order.
    pub command: Commands,
    /// Working directory relative to the manifest directory.
    #[serde(default)]
    pub workdir: Option<String>,
    /// Globs for `spin watch` (unused here).
    #[serde(default)]
    pub watch: Vec<String>,
}

/// `command = "..."` or `command = ["...", "..."]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Commands {
    /// One command.
    Single(String),
    /// Several commands, run left to right.
    Multiple(Vec<String>),
}

impl BuildConfig {
    /// The commands to run, in order.
    pub fn commands(&self) -> Vec<&str> {
        match &self.command {
            Commands::Single(c) => vec![c.as_str()],
            Commands::Multiple(cs) => cs.iter().map(String::as_str).collect(),
        }
    }
}

impl Component {
    /// The local `.wasm` path, relative to the manifest directory.
    pub fn source_path(&self) -> Result<&str> {
        match &self.source {
            toml::Value::String(s) => Ok(s),
            other => bail!(
                "only local `source = \"path.wasm\"` is supported by the harness, found {other}"
            ),
        }
    }
}

impl LoadedManifest {
    /// Reads and validates a manifest file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read manifest {}", path.display()))?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let manifest = Self::parse(&text)
            .with_context(|| format!("failed to load manifest {}", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
            dir,
            manifest,
        })
    }

    /// Parses and validates manifest text.
    pub fn parse(text: &str) -> Result<Manifest> {
        let manifest: Manifest = toml::from_str(text)?;
        validate::validate(&manifest)?;
        Ok(manifest)
    }
}
