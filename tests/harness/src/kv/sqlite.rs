//! Spin's `spin` key-value store: SQLite, table `spin_key_value(store, key, value)`, one
//! shared connection per configured store (opened on first use, no pragmas), stores told apart
//! by the `store` column. The `default` store without runtime configuration is the file
//! `<state_dir>/sqlite_key_value.db`; a configured one without `path` lives in memory.
//! Database work runs on tokio's blocking pool.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use rusqlite::Connection;

use crate::bindings::key_value::Error;

/// One configured `spin` store (Spin's store manager).
#[derive(Debug)]
pub struct SqliteKv {
    /// The file, or `None` for memory.
    path: Option<PathBuf>,
    conn: OnceLock<Arc<Mutex<Connection>>>,
}

/// An open store: its label (the `store` column) and the shared connection.
#[derive(Clone)]
pub struct SqliteStore {
    name: String,
    conn: Arc<Mutex<Connection>>,
}

impl SqliteKv {
    /// A store kept in the file at `path` (created on first use), or in memory.
    pub fn new(path: Option<PathBuf>) -> Self {
        Self {
            path,
            conn: OnceLock::new(),
        }
    }

    /// Opens the store `name` (on the blocking pool: the first open creates the file).
    pub async fn open(self: &Arc<Self>, name: String) -> Result<SqliteStore, Error> {
        let manager = self.clone();
        let conn = tokio::task::spawn_blocking(move || manager.connection())
            .await
            .map_err(|e| Error::Other(format!("internal runtime error: {e}")))??;
        Ok(SqliteStore { name, conn })
    }

    fn connection(&self) -> Result<Arc<Mutex<Connection>>, Error> {
        if let Some(c) = self.conn.get() {
            return Ok(c.clone());
        }
        let conn = match &self.path {
            Some(path) => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| Error::Other(format!("{e:?}")))?;
                }
                Connection::open(path)
            }
            None => Connection::open_in_memory(),
        }
        .map_err(other)?;
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

impl SqliteStore {
    /// Runs `f` with the store's name and connection on the blocking pool.
    async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&str, &Connection) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let (name, conn) = (self.name.clone(), self.conn.clone());
        tokio::task::spawn_blocking(move || {
            let guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&name, &guard)
        })
        .await
        .map_err(|e| Error::Other(format!("internal runtime error: {e}")))?
    }

    pub async fn get(&self, key: String) -> Result<Option<Vec<u8>>, Error> {
        self.with_conn(move |name, c| {
            let mut stmt = c
                .prepare_cached("SELECT value FROM spin_key_value WHERE store=$1 AND key=$2")
                .map_err(other)?;
            let mut rows = stmt
                .query_map([name, &key], |row| row.get::<_, Vec<u8>>(0))
                .map_err(other)?;
            rows.next().transpose().map_err(other)
        })
        .await
    }

    pub async fn set(&self, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.with_conn(move |name, c| {
            c.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3)
                 ON CONFLICT(store, key) DO UPDATE SET value=$3",
            )
            .map_err(other)?
            .execute(rusqlite::params![name, key, value])
            .map_err(other)
            .map(drop)
        })
        .await
    }

    pub async fn delete(&self, key: String) -> Result<(), Error> {
        self.with_conn(move |name, c| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store=$1 AND key=$2")
                .map_err(other)?
                .execute([name, &key])
                .map_err(other)
                .map(drop)
        })
        .await
    }

    pub async fn exists(&self, key: String) -> Result<bool, Error> {
        Ok(self.get(key).await?.is_some())
    }

    pub async fn get_keys(&self) -> Result<Vec<String>, Error> {
        self.with_conn(move |name, c| {
            let mut stmt = c
                .prepare_cached("SELECT key FROM spin_key_value WHERE store=$1")
                .map_err(other)?;
            let keys = stmt
                .query_map([name], |row| row.get::<_, String>(0))
                .map_err(other)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(other);
            keys
        })
        .await
    }
}
