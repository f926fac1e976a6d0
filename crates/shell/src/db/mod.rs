//! The app's SQLite database (Spin's `default`), the source of truth.
//!
//! Spin opens a new connection per `open` and leaves the journal mode alone, so every request
//! sets its own connection up: `synchronous` per connection (the WAL switch itself persists in
//! the file and is done by the migrations). Writes of one request go in one explicit
//! `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so concurrent requests
//! queue for it instead of failing on a lock upgrade halfway through.
//!
//! How they queue is ours to decide. The host's connection waits in SQLite's busy handler,
//! which sleeps 1, 2, 5, 10 … 100 ms between tries: a writer that loses a few rounds sleeps
//! long after the lock is free, which is the long tail under concurrent webhooks. So each
//! connection turns that handler off (`busy_timeout = 0`) before its first write and a busy
//! statement is retried here after a short, jittered pause (0.25–2 ms), for at most
//! [`BUSY_DEADLINE`]. The pause is a WASI clock wait, so the host thread is free meanwhile.
//! A connection that only reads (a redelivery answered from what is stored) never waits in
//! WAL mode and skips the pragma. A backend that refuses it (libSQL) keeps its own waiting,
//! which is also correct.

pub mod migrate;
pub mod retention;
use spin_sdk::sqlite::{Connection, Error as SqliteError, QueryResult, RowResult, Value};

/// A database failure, as the handlers need to tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The component may not open the database (not in `sqlite_databases`).
    #[error("the component may not open the database: {0:?}")]
    Open(SqliteError),
    /// Another writer held the lock for longer than the busy timeout.
    #[error("the database is busy")]
    Busy,
    /// A UNIQUE or PRIMARY KEY constraint refused a row.
    #[error("constraint violated: {0}")]
    Constraint(String),
    /// Any other SQL error.
    #[error("sql error: {0}")]
    Sql(String),
    /// A row did not have the shape the code expects (a bug or a hand-edited database).
    #[error("unexpected row shape: {0}")]
    Shape(&'static str),
}

impl From<SqliteError> for DbError {
    fn from(error: SqliteError) -> Self {
        match error {
            SqliteError::Io(message) => {
                let lower = message.to_ascii_lowercase();
                if lower.contains("database is locked") || lower.contains("database is busy") {
                    DbError::Busy
                } else if lower.contains("constraint failed") {
                    DbError::Constraint(message)
                } else {
                    DbError::Sql(message)
                }
            }
            other => DbError::Sql(format!("{other:?}")),
        }
    }
}

/// How hard SQLite works to make each commit survive a power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// `synchronous=FULL`: a commit is on disk before the webhook is answered.
    Full,
    /// `synchronous=NORMAL`: faster in WAL mode; the last commits can be lost on power loss.
    Normal,
}

/// How long a statement keeps trying while another writer holds the lock (the host's own
/// busy timeout was 5 s too).
pub const BUSY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// One connection to the default database, set up for this app.
pub struct Db {
    conn: Connection,
    /// The connection's current `synchronous` setting.
    synchronous: std::cell::Cell<Synchronous>,
    /// SQLite's own busy handler is off on this connection (see the module).
    own_busy_wait: std::cell::Cell<bool>,
    /// A random token naming the request that opened this connection: outbox messages it
    /// queues are born claimed under it (see `outbox::enqueue`).
    holder: String,
}

impl Db {
    /// Opens the default database, applies pending migrations and sets per-connection options.
    pub fn open(synchronous: Synchronous) -> Result<Db, DbError> {
        let db = Db::connect(synchronous, crate::outbound::outbox::claim_token())?;
        crate::db::migrate::ensure_schema(&db)?;
        Ok(db)
    }

    /// Opens the database acting as the request that holds `holder`: the `sender` component
    /// sends the messages another request queued under that claim (see `sender`). That request
    /// opened the database first, so the schema is current: no migration check. What the
    /// sender writes (outcomes) needs no flush, so `synchronous = NORMAL` from the start.
    pub fn open_as_holder(holder: String) -> Result<Db, DbError> {
        Db::connect(Synchronous::Normal, holder)
    }

    fn connect(synchronous: Synchronous, holder: String) -> Result<Db, DbError> {
        let conn = Connection::open_default().map_err(DbError::Open)?;
        let db = Db {
            conn,
            synchronous: std::cell::Cell::new(Synchronous::Full),
            own_busy_wait: std::cell::Cell::new(false),
            holder,
        };
        // FULL is SQLite's default, so only NORMAL costs a statement. libSQL and other remote
        // backends may refuse the pragma; that only costs speed.
        db.set_synchronous(synchronous);
        Ok(db)
    }

    /// From here on, commits of this connection need not survive a power loss
    /// (`synchronous = NORMAL`; a crash of the app loses nothing in WAL mode). For what a
    /// request writes after its answer is durable — a send's outcome, whose loss only means
    /// the message is sent again once its lease runs out — this saves a disk flush.
    pub fn relax_durability(&self) {
        self.set_synchronous(Synchronous::Normal);
    }

    fn set_synchronous(&self, synchronous: Synchronous) {
        if synchronous == Synchronous::Normal && self.synchronous.get() == Synchronous::Full {
            let _ = self.conn.execute("PRAGMA synchronous = NORMAL", &[]);
            self.synchronous.set(Synchronous::Normal);
        }
    }

    /// The token this connection's request holds the messages it queued under.
    pub(crate) fn holder(&self) -> &str {
        &self.holder
    }

    /// Runs one statement; while another writer holds the lock it is tried again after a
    /// short pause, up to [`BUSY_DEADLINE`].
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<QueryResult, DbError> {
        // Before the first statement that may write (or wait for a writer), the busy wait
        // becomes ours; a backend that refuses the pragma keeps its own.
        if !self.own_busy_wait.get() && !sql.trim_start().starts_with("SELECT") {
            let _ = self.conn.execute("PRAGMA busy_timeout = 0", &[]);
            self.own_busy_wait.set(true);
        }
        let mut waited = std::time::Duration::ZERO;
        let mut round = 0;
        loop {
            match self.conn.execute(sql, params).map_err(DbError::from) {
                Err(DbError::Busy) if waited < BUSY_DEADLINE => {
                    let pause = busy_pause(round);
                    pause_for(pause);
                    waited += pause;
                    round += 1;
                }
                result => return result,
            }
        }
    }

    /// Runs a statement expected to return at most one row.
    pub fn row(&self, sql: &str, params: &[Value]) -> Result<Option<RowResult>, DbError> {
        Ok(self.execute(sql, params)?.rows.into_iter().next())
    }

    /// Runs `work` in a `BEGIN IMMEDIATE` transaction: committed when it returns `Ok`, rolled
    /// back when it returns `Err` (and by SQLite itself if the instance dies halfway).
    pub fn transaction<T, E>(&self, work: impl FnOnce(&Db) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError>,
    {
        self.execute("BEGIN IMMEDIATE", &[])?;
        match work(self) {
            Ok(value) => {
                if let Err(error) = self.execute("COMMIT", &[]) {
                    let _ = self.execute("ROLLBACK", &[]);
                    return Err(error.into());
                }
                Ok(value)
            }
            Err(error) => {
                let _ = self.execute("ROLLBACK", &[]);
                Err(error)
            }
        }
    }
}

/// The pause before busy try `round`: 0.25 ms doubling to 2 ms, with jitter so that waiting
/// writers do not retry in step.
fn busy_pause(round: u32) -> std::time::Duration {
    let ceiling_us = (250u64 << round.min(3)).min(2_000);
    let jitter = crate::outbound::outbox::random_u64() % (ceiling_us / 2 + 1);
    std::time::Duration::from_micros(ceiling_us / 2 + jitter)
}

/// Waits on WASI's monotonic clock (the host thread is free meanwhile).
fn pause_for(pause: std::time::Duration) {
    #[cfg(target_arch = "wasm32")]
    {
        let nanos = u64::try_from(pause.as_nanos()).unwrap_or(u64::MAX);
        wasi::clocks::monotonic_clock::subscribe_duration(nanos).block();
    }
    #[cfg(not(target_arch = "wasm32"))]
    std::thread::sleep(pause);
}

/// A text parameter.
pub fn text(value: impl Into<String>) -> Value {
    Value::Text(value.into())
}

/// A text parameter, or NULL.
pub fn opt_text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |v| Value::Text(v.to_owned()))
}

/// An integer parameter.
pub fn int(value: i64) -> Value {
    Value::Integer(value)
}

/// Reads column `index` of a row as text (`None` for NULL).
pub fn get_text(row: &RowResult, index: usize) -> Result<Option<String>, DbError> {
    match row.values.get(index) {
        Some(Value::Text(s)) => Ok(Some(s.clone())),
        Some(Value::Null) => Ok(None),
        _ => Err(DbError::Shape("expected a text column")),
    }
}

/// Reads column `index` of a row as non-null text.
pub fn req_text(row: &RowResult, index: usize) -> Result<String, DbError> {
    get_text(row, index)?.ok_or(DbError::Shape("expected a non-null text column"))
}

/// Reads column `index` of a row as an integer (`None` for NULL).
pub fn get_int(row: &RowResult, index: usize) -> Result<Option<i64>, DbError> {
    match row.values.get(index) {
        Some(Value::Integer(i)) => Ok(Some(*i)),
        Some(Value::Null) => Ok(None),
        _ => Err(DbError::Shape("expected an integer column")),
    }
}

/// Reads column `index` of a row as a non-null integer.
pub fn req_int(row: &RowResult, index: usize) -> Result<i64, DbError> {
    get_int(row, index)?.ok_or(DbError::Shape("expected a non-null integer column"))
}
