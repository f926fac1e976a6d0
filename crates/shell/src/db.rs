//! The app's SQLite database (Spin's `default`), the source of truth.
//!
//! Spin opens a new connection per `open` and leaves the journal mode alone, so every request
//! sets its own connection up: `synchronous` per connection (the WAL switch itself persists in
//! the file and is done by the migrations). Writes of one request go in one explicit
//! `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so concurrent requests queue
//! on SQLite's busy handler instead of failing on a lock upgrade halfway through.

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

/// One connection to the default database, set up for this app.
pub struct Db {
    conn: Connection,
    /// A random token naming the request that opened this connection: outbox messages it
    /// queues are born claimed under it (see `outbox::enqueue`).
    holder: String,
}

impl Db {
    /// Opens the default database, applies pending migrations and sets per-connection options.
    pub fn open(synchronous: Synchronous) -> Result<Db, DbError> {
        let conn = Connection::open_default().map_err(DbError::Open)?;
        let db = Db {
            conn,
            holder: crate::outbox::claim_token(),
        };
        // FULL is SQLite's default, so only NORMAL costs a statement. libSQL and other remote
        // backends may refuse the pragma; that only costs speed.
        if synchronous == Synchronous::Normal {
            let _ = db.conn.execute("PRAGMA synchronous = NORMAL", &[]);
        }
        crate::migrate::ensure_schema(&db)?;
        Ok(db)
    }

    /// The token this connection's request holds the messages it queued under.
    pub(crate) fn holder(&self) -> &str {
        &self.holder
    }

    /// Runs one statement.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<QueryResult, DbError> {
        Ok(self.conn.execute(sql, params)?)
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
