//! Spin's `redis` key-value store (`spin-key-value-redis`, redis crate 0.32 as in Spin 4.0.2):
//!
//! - A key is the Redis key as it is: no label prefix, so every label configured with the
//!   same URL shares one keyspace, and `get-keys` is `KEYS *` over the whole database.
//!   `get`/`set`/`delete`/`exists` are `GET`/`SET`/`DEL`/`EXISTS`.
//! - One connection manager per configured store, made on the first `open`; a failure to
//!   connect is not kept, so the next `open` tries again. After opening, a `PING` whose
//!   failure is ignored (the manager reconnects on its own).
//! - Every Redis error reaches the guest as `other("<the error's Debug text>")`; a value or key
//!   list over 128 MiB as `other("query result exceeds limit of … bytes")`.
//!
//! One difference, on purpose: Spin's connection manager retries a refused connection with the
//! redis crate's default backoff (1 s, then 60 s capped, six retries, with jitter, through
//! `backon`): measured with redis 0.32.5 as Spin 4.0.2 builds it, an `open` of a store whose
//! server refuses connections fails after 473 s. The harness tries once, so a test of Redis
//! being down sees the same `other(..)` error at once.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands as _;
use tokio::sync::OnceCell;

use crate::bindings::key_value::Error;

/// Spin's limit on what one host call buffers (`spin_world::MAX_HOST_BUFFERED_BYTES`).
const MAX_RESULT_BYTES: usize = 128 << 20;

/// One configured `redis` store (Spin's store manager).
pub struct RedisKv {
    url: url::Url,
    conn: OnceCell<ConnectionManager>,
}

/// An open store: a handle on the shared connection.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
}

/// As Spin's `log_error`: the error's `Debug` text as `other`.
fn other(e: impl std::fmt::Debug) -> Error {
    Error::Other(format!("{e:?}"))
}

impl RedisKv {
    /// A store at `url` (checked here; connected on first open).
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let url =
            redis::parse_redis_url(url).ok_or_else(|| anyhow::anyhow!("Invalid Redis URL"))?;
        Ok(Self {
            url,
            conn: OnceCell::new(),
        })
    }

    /// `host:port` (or socket path) for start-up summaries, without credentials.
    pub fn summary(&self) -> String {
        match self.url.host_str() {
            Some(host) => format!("Redis at {host}:{}", self.url.port().unwrap_or(6379)),
            None => format!("Redis at {}", self.url.path()),
        }
    }

    pub async fn open(&self) -> Result<RedisStore, Error> {
        let conn = self
            .conn
            .get_or_try_init(|| async {
                let client = redis::Client::open(self.url.clone())?;
                let config = ConnectionManagerConfig::new().set_number_of_retries(0);
                ConnectionManager::new_with_config(client, config).await
            })
            .await
            .map_err(other)?
            .clone();
        let _ = conn.clone().ping::<()>().await;
        Ok(RedisStore { conn })
    }
}

impl RedisStore {
    pub async fn get(&self, key: String) -> Result<Option<Vec<u8>>, Error> {
        let value: Option<Vec<u8>> = self.conn.clone().get(key).await.map_err(other)?;
        let size = std::mem::size_of::<Option<Vec<u8>>>() + value.as_ref().map_or(0, Vec::len);
        if size > MAX_RESULT_BYTES {
            return Err(too_big());
        }
        Ok(value)
    }

    pub async fn set(&self, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.conn.clone().set(key, value).await.map_err(other)
    }

    pub async fn delete(&self, key: String) -> Result<(), Error> {
        self.conn.clone().del(key).await.map_err(other)
    }

    pub async fn exists(&self, key: String) -> Result<bool, Error> {
        self.conn.clone().exists(key).await.map_err(other)
    }

    pub async fn get_keys(&self) -> Result<Vec<String>, Error> {
        let keys: Vec<String> = self.conn.clone().keys("*").await.map_err(other)?;
        let size = std::mem::size_of::<Vec<String>>()
            + keys
                .iter()
                .map(|k| std::mem::size_of::<String>() + k.len())
                .sum::<usize>();
        if size > MAX_RESULT_BYTES {
            return Err(too_big());
        }
        Ok(keys)
    }
}

fn too_big() -> Error {
    Error::Other(format!(
        "query result exceeds limit of {MAX_RESULT_BYTES} bytes"
    ))
}
