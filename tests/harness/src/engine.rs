//! The process-wide wasmtime `Engine`, linker and compiled-component cache.
//!
//! Compiling a component dominates start-up, so each `.wasm` is compiled once per process
//! (keyed by path, modification time and size) however many apps a test binary builds, and
//! additionally cached on disk by wasmtime (`target/wasmtime-cache`, override with
//! `HARNESS_CACHE_DIR`, disable with `HARNESS_CACHE_DIR=`), so separate test binaries share
//! the work. Like Spin, the engine uses the pooling instance allocator when it can
//! (`HARNESS_POOLING=0` turns it off).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use anyhow::{Context, Result};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, HasSelf, InstancePre, Linker, ResourceType};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::bindings;
use crate::state::State;

type CacheKey = (PathBuf, SystemTime, u64);
/// One compilation, shared by everyone who asked for the same file while it ran.
type CompileCell = Arc<OnceLock<Result<Component, String>>>;

struct Runtime {
    engine: Engine,
    linker: Linker<State>,
    components: Mutex<HashMap<CacheKey, CompileCell>>,
}

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

fn runtime() -> Result<&'static Runtime> {
    RUNTIME
        .get_or_init(|| Runtime::new().map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| anyhow::anyhow!("failed to set up wasmtime: {e}"))
}

impl Runtime {
    fn new() -> Result<Self> {
        let engine = match std::env::var("HARNESS_POOLING").as_deref() {
            Ok("0") => Engine::new(&base_config()?)?,
            _ => {
                let mut config = base_config()?;
                config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling()));
                // Like Spin: fall back to on-demand allocation if the pool cannot be reserved.
                match Engine::new(&config) {
                    Ok(engine) => engine,
                    Err(_) => Engine::new(&base_config()?)?,
                }
            }
        };
        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        bindings::key_value::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
        bindings::sqlite::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
        bindings::variables::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
        Ok(Self {
            engine,
            linker,
            components: Mutex::default(),
        })
    }
}

fn base_config() -> Result<Config> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    let cache_dir = match std::env::var("HARNESS_CACHE_DIR") {
        Ok(dir) if dir.is_empty() => None,
        Ok(dir) => Some(PathBuf::from(dir)),
        Err(_) => Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/wasmtime-cache")),
    };
    if let Some(dir) = cache_dir {
        let mut cache = wasmtime::CacheConfig::new();
        cache.with_directory(dir);
        if let Ok(cache) = wasmtime::Cache::new(cache) {
            config.cache(Some(cache));
        }
    }
    Ok(config)
}

/// Spin's pool shape (`spin_core`), with fewer slots: tests never run 1000 instances at once.
fn pooling() -> PoolingAllocationConfig {
    let mut p = PoolingAllocationConfig::default();
    p.total_component_instances(256)
        .total_memories(256)
        .total_tables(512)
        .total_stacks(256)
        .total_core_instances(1024)
        .max_component_instance_size(10 << 20)
        .max_core_instance_size(10 << 20)
        .max_core_instances_per_component(200)
        .max_tables_per_component(64)
        .max_memories_per_component(32)
        .max_tables_per_module(2)
        .max_memories_per_module(2)
        .table_elements(100_000)
        .max_memory_size(4 << 30)
        .linear_memory_keep_resident(2 << 20)
        .table_keep_resident(512 << 10);
    p
}

/// Compiles (or fetches from the cache) the component at `path`.
pub fn load_component(path: &Path) -> Result<Component> {
    let rt = runtime()?;
    let meta = std::fs::metadata(path).with_context(|| {
        format!(
            "component file {} is missing — build the app first (spin-harness build)",
            path.display()
        )
    })?;
    let key = (
        path.canonicalize()?,
        meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        meta.len(),
    );
    let cell = rt
        .components
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_default()
        .clone();
    cell.get_or_init(|| Component::from_file(&rt.engine, path).map_err(|e| format!("{e:?}")))
        .clone()
        .map_err(|e| anyhow::anyhow!("failed to compile {}: {e}", path.display()))
}

/// Links a component: our host interfaces, WASI and wasi-http, and traps for every other
/// import (Spin interfaces the harness does not implement).
pub(crate) fn prepare(component: &Component) -> Result<InstancePre<State>> {
    let rt = runtime()?;
    let mut linker = rt.linker.clone();
    stub_unknown_imports(&mut linker, component, &rt.engine)?;
    Ok(linker.instantiate_pre(component)?)
}

/// The `wasi:http` handler of a linked component.
pub(crate) fn http_handler(pre: &InstancePre<State>) -> Result<ProxyPre<State>> {
    ProxyPre::new(pre.clone())
        .map_err(anyhow::Error::from)
        .context("component does not export wasi:http/incoming-handler@0.2.x")
}

/// Whether the linker already provides `import` (WASI 0.2.x and our three Spin interfaces;
/// the linker matches 0.2.x versions semver-compatibly).
fn is_provided(import: &str) -> bool {
    const SPIN: [&str; 3] = [
        "fermyon:spin/key-value@2.0.0",
        "fermyon:spin/sqlite@2.0.0",
        "fermyon:spin/variables@2.0.0",
    ];
    const WASI: [&str; 7] = [
        "cli",
        "clocks",
        "filesystem",
        "io",
        "random",
        "sockets",
        "http",
    ];
    if SPIN.contains(&import) {
        return true;
    }
    let Some(rest) = import.strip_prefix("wasi:") else {
        return false;
    };
    let Some((package, version)) = rest.split_once('@') else {
        return false;
    };
    let package = package.split('/').next().unwrap_or_default();
    WASI.contains(&package) && version.starts_with("0.2.") && !version.contains('-')
}

/// Links every import the harness does not implement (other Spin interfaces such as redis,
/// mqtt, llm) to functions that trap when called, like `define_unknown_imports_as_traps` but
/// without re-defining WASI interfaces that the linker serves under another 0.2.x version.
fn stub_unknown_imports(
    linker: &mut Linker<State>,
    component: &Component,
    engine: &Engine,
) -> Result<()> {
    let ty = component.component_type();
    for (name, item) in ty.imports(engine) {
        if is_provided(name) {
            continue;
        }
        let ComponentItem::ComponentInstance(instance) = item else {
            anyhow::bail!("unsupported top-level import {name:?}");
        };
        let mut li = linker.instance(name)?;
        for (export, item) in instance.exports(engine) {
            match item {
                ComponentItem::ComponentFunc(_) => {
                    let full = format!("{name}#{export}");
                    li.func_new(export, move |_, _, _, _| {
                        wasmtime::bail!(
                            "unknown import: `{full}` is not implemented by the harness"
                        )
                    })?;
                }
                ComponentItem::Resource(_) => {
                    li.resource(export, ResourceType::host::<()>(), |_, _| Ok(()))?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}
