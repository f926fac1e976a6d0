//! `fermyon:spin/key-value@2.0.0` as Spin's key-value factor does it: each label has its own
//! store manager — the runtime configuration's `[key_value_store.<label>]` (`spin` or
//! `redis`), else for `default` only Spin's SQLite file `<state_dir>/sqlite_key_value.db`.
//! `open` checks the component's `key_value_stores` first (`access-denied`), then that the
//! label is configured (`no-such-store`), then asks the label's manager. As Spin logs every
//! backend error ("key-value error: …"), the harness notes it in the component's output.

mod redis;
mod sqlite;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use wasmtime::component::Resource;

use crate::bindings::key_value::{self, Error};
use crate::runtime_config::KeyValueConfig;
use crate::state::State;

/// The label every app has without runtime configuration.
pub const DEFAULT_LABEL: &str = "default";

/// One label's store manager.
enum Manager {
    Sqlite(Arc<sqlite::SqliteKv>),
    Redis(redis::RedisKv),
}

/// The app-wide key-value backends, by label.
pub struct KvManager {
    managers: HashMap<String, Manager>,
}

/// An open store (the `store` resource).
#[derive(Clone)]
pub enum KvStore {
    Sqlite(sqlite::SqliteStore),
    Redis(redis::RedisStore),
}

impl KvManager {
    /// The configured stores, plus `default` in `default_file` unless configured otherwise.
    pub fn new(
        default_file: PathBuf,
        configured: &BTreeMap<String, KeyValueConfig>,
    ) -> anyhow::Result<Self> {
        let mut managers = HashMap::new();
        for (label, config) in configured {
            let manager = match config {
                KeyValueConfig::Spin { path } => {
                    Manager::Sqlite(Arc::new(sqlite::SqliteKv::new(path.clone())))
                }
                KeyValueConfig::Redis { url } => Manager::Redis(redis::RedisKv::new(url)?),
            };
            managers.insert(label.clone(), manager);
        }
        managers.entry(DEFAULT_LABEL.to_owned()).or_insert_with(|| {
            Manager::Sqlite(Arc::new(sqlite::SqliteKv::new(Some(default_file))))
        });
        Ok(Self { managers })
    }

    /// Whether a label has a store (Spin refuses to start a component that names another).
    pub fn is_defined(&self, label: &str) -> bool {
        self.managers.contains_key(label)
    }

    /// `(label, backend)` for the stores that are not Spin's SQLite, as `spin up` lists them.
    pub fn summaries(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .managers
            .iter()
            .filter_map(|(label, m)| match m {
                Manager::Redis(r) => Some((label.clone(), r.summary())),
                Manager::Sqlite(_) => None,
            })
            .collect();
        out.sort();
        out
    }

    async fn open(&self, label: &str) -> Result<KvStore, Error> {
        match self.managers.get(label) {
            None => Err(Error::NoSuchStore),
            Some(Manager::Sqlite(m)) => m.open(label.to_owned()).await.map(KvStore::Sqlite),
            Some(Manager::Redis(m)) => m.open().await.map(KvStore::Redis),
        }
    }
}

impl State {
    fn kv_store(&self, store: &Resource<KvStore>) -> wasmtime::Result<KvStore> {
        Ok(self.table.get(store)?.clone())
    }

    /// Hands `result` to the guest, noting a backend error as Spin logs it.
    fn kv_answer<T>(&self, result: Result<T, Error>) -> KvResult<T> {
        if let Err(Error::Other(message)) = &result {
            self.component
                .output
                .note(&format!("key-value error: {message}"));
        }
        Ok(result)
    }
}

type KvResult<T> = wasmtime::Result<Result<T, Error>>;

/// Runs the same operation on whichever backend the store has.
macro_rules! on_store {
    ($store:expr, $s:ident => $op:expr) => {
        match $store {
            KvStore::Sqlite($s) => $op.await,
            KvStore::Redis($s) => $op.await,
        }
    };
}

impl key_value::HostStore for State {
    async fn open(&mut self, label: String) -> KvResult<Resource<KvStore>> {
        let component = self.component.clone();
        if !component.kv_labels.contains(&label) {
            return Ok(Err(Error::AccessDenied));
        }
        match component.shared.kv.open(&label).await {
            Ok(store) => Ok(Ok(self.table.push(store)?)),
            Err(e) => self.kv_answer(Err(e)),
        }
    }

    async fn get(&mut self, store: Resource<KvStore>, key: String) -> KvResult<Option<Vec<u8>>> {
        let store = self.kv_store(&store)?;
        let result = on_store!(store, s => s.get(key));
        self.kv_answer(result)
    }

    async fn set(&mut self, store: Resource<KvStore>, key: String, value: Vec<u8>) -> KvResult<()> {
        let store = self.kv_store(&store)?;
        let result = on_store!(store, s => s.set(key, value));
        self.kv_answer(result)
    }

    async fn delete(&mut self, store: Resource<KvStore>, key: String) -> KvResult<()> {
        let store = self.kv_store(&store)?;
        let result = on_store!(store, s => s.delete(key));
        self.kv_answer(result)
    }

    async fn exists(&mut self, store: Resource<KvStore>, key: String) -> KvResult<bool> {
        let store = self.kv_store(&store)?;
        let result = on_store!(store, s => s.exists(key));
        self.kv_answer(result)
    }

    async fn get_keys(&mut self, store: Resource<KvStore>) -> KvResult<Vec<String>> {
        let store = self.kv_store(&store)?;
        let result = on_store!(store, s => s.get_keys());
        self.kv_answer(result)
    }

    async fn drop(&mut self, store: Resource<KvStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

impl key_value::Host for State {}
