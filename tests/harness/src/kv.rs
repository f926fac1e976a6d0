//! `fermyon:spin/key-value@2.0.0`, backed like Spin's default `spin` store: one SQLite file
//! `<state_dir>/sqlite_key_value.db` with table `spin_key_value(store, key, value)`, one shared
//! connection per app (opened on first use, no pragmas), stores told apart by the `store`
//! column. Database work runs on tokio's blocking pool.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use rusqlite::Connection;
use wasmtime::component::Resource;

use crate::bindings::key_value::{self, Error};
use crate::state::State;

/// The labels every app has without runtime configuration.
pub const DEFAULT_LABEL: &str = "default";

/// The app-wide key-value backend.
#[derive(Debug)]
pub struct KvManager {
    path: PathBuf,
    conn: OnceLock<Arc<Mutex<Connection>>>,
}

/// An open store (the `store` resource).
pub struct KvStore {
    name: String,
    conn: Arc<Mutex<Connection>>,
}

impl KvManager {
    /// A backend using the SQLite file at `path` (created on first use).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            conn: OnceLock::new(),
        }
    }

    /// Whether a label is configured (only `default` is, as in Spin without runtime config).
    pub fn is_defined(&self, label: &str) -> bool {
        label == DEFAULT_LABEL
    }

    fn connection(&self) -> Result<Arc<Mutex<Connection>>, Error> {
        if let Some(c) = self.conn.get() {
            return Ok(c.clone());
        }
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::Other(format!("{e:?}")))?;
        }
        let conn = Connection::open(&self.path).map_err(other)?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL,
                key   TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (store, key)
            )",
            [],
        )
        .map_err(other)?;
        Ok(self.conn.get_or_init(|| Arc::new(Mutex::new(conn))).clone())
    }
}

fn other(e: rusqlite::Error) -> Error {
    Error::Other(format!("{e:?}"))
}

/// Runs `f` with the store's connection on the blocking pool.
async fn with_conn<T: Send + 'static>(
    conn: Arc<Mutex<Connection>>,
    f: impl FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(move || {
        let guard = conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&guard)
    })
    .await
    .map_err(|e| Error::Other(format!("internal runtime error: {e}")))?
}

impl State {
    fn kv_store(
        &self,
        store: &Resource<KvStore>,
    ) -> wasmtime::Result<(String, Arc<Mutex<Connection>>)> {
        let s = self.table.get(store)?;
        Ok((s.name.clone(), s.conn.clone()))
    }
}

type KvResult<T> = wasmtime::Result<Result<T, Error>>;

impl key_value::HostStore for State {
    async fn open(&mut self, label: String) -> KvResult<Resource<KvStore>> {
        let component = self.component.clone();
        if !component.kv_labels.contains(&label) {
            return Ok(Err(Error::AccessDenied));
        }
        let shared = component.shared.clone();
        if !shared.kv.is_defined(&label) {
            return Ok(Err(Error::NoSuchStore));
        }
        let conn = tokio::task::spawn_blocking(move || shared.kv.connection()).await?;
        let conn = match conn {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let store = KvStore { name: label, conn };
        Ok(Ok(self.table.push(store)?))
    }

    async fn get(&mut self, store: Resource<KvStore>, key: String) -> KvResult<Option<Vec<u8>>> {
        let (name, conn) = self.kv_store(&store)?;
        Ok(with_conn(conn, move |c| {
            let mut stmt = c
                .prepare_cached("SELECT value FROM spin_key_value WHERE store=$1 AND key=$2")
                .map_err(other)?;
            let mut rows = stmt
                .query_map([&name, &key], |row| row.get::<_, Vec<u8>>(0))
                .map_err(other)?;
            rows.next().transpose().map_err(other)
        })
        .await)
    }

    async fn set(&mut self, store: Resource<KvStore>, key: String, value: Vec<u8>) -> KvResult<()> {
        let (name, conn) = self.kv_store(&store)?;
        Ok(with_conn(conn, move |c| {
            c.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3)
                 ON CONFLICT(store, key) DO UPDATE SET value=$3",
            )
            .map_err(other)?
            .execute(rusqlite::params![name, key, value])
            .map_err(other)
            .map(drop)
        })
        .await)
    }

    async fn delete(&mut self, store: Resource<KvStore>, key: String) -> KvResult<()> {
        let (name, conn) = self.kv_store(&store)?;
        Ok(with_conn(conn, move |c| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store=$1 AND key=$2")
                .map_err(other)?
                .execute([&name, &key])
                .map_err(other)
                .map(drop)
        })
        .await)
    }

    async fn exists(&mut self, store: Resource<KvStore>, key: String) -> KvResult<bool> {
        Ok(self.get(store, key).await?.map(|v| v.is_some()))
    }

    async fn get_keys(&mut self, store: Resource<KvStore>) -> KvResult<Vec<String>> {
        let (name, conn) = self.kv_store(&store)?;
        Ok(with_conn(conn, move |c| {
            let mut stmt = c
                .prepare_cached("SELECT key FROM spin_key_value WHERE store=$1")
                .map_err(other)?;
            let keys = stmt
                .query_map([&name], |row| row.get::<_, String>(0))
                .map_err(other)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(other);
            keys
        })
        .await)
    }

    async fn drop(&mut self, store: Resource<KvStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

impl key_value::Host for State {}
