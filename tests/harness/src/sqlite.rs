//! `fermyon:spin/sqlite@2.0.0` the way Spin's in-process SQLite does it.
//!
//! Every `open` is a new `rusqlite::Connection` (made on first `execute`) to
//! `<state_dir>/sqlite_db.db` for `default`: no pragmas, no WAL, rusqlite's built-in 5000 ms
//! busy timeout. Concurrent requests therefore contend on the file exactly as under Spin.
//! Statements run on tokio's blocking pool. A connection lives as long as its resource, so a
//! transaction opened by one `execute` spans later ones, and dropping the resource (or the
//! whole instance) closes the connection, which rolls an unfinished transaction back.
//! Like Spin 4, `ATTACH` of a file other than `''` / `:memory:` is denied.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::Connection;
use wasmtime::component::Resource;

use crate::bindings::sqlite::{self, Error, QueryResult, RowResult, Value};
use crate::state::State;

/// Spin's limit on connections opened by one instance.
const MAX_CONNECTIONS: u32 = 256;

/// An open connection (the `connection` resource).
pub struct SqliteConnection {
    path: PathBuf,
    conn: Arc<Mutex<Option<Connection>>>,
}

fn io(e: impl ToString) -> Error {
    Error::Io(e.to_string())
}

fn open_connection(path: &PathBuf) -> Result<Connection, Error> {
    let conn = Connection::open(path).map_err(io)?;
    conn.authorizer(Some(|ctx: rusqlite::hooks::AuthContext<'_>| {
        use rusqlite::hooks::{AuthAction, Authorization};
        match ctx.action {
            AuthAction::Attach { filename } if !matches!(filename, "" | ":memory:") => {
                Authorization::Deny
            }
            _ => Authorization::Allow,
        }
    }));
    Ok(conn)
}

/// With `ORDERPATH_SQL_LOG=<file>`, every distinct statement a component runs (that SQLite
/// could prepare) is appended to the file once per process, one JSON object per line:
/// `{"component": "<id>", "sql": "<statement>"}`. `tests/libsql-check` prepares the app's on
/// libSQL's engine.
fn log_statement(component: &str, statement: &str) {
    use std::collections::HashSet;
    use std::io::Write;
    use std::sync::OnceLock;
    /// What was logged, and the file.
    type Log = Mutex<(HashSet<String>, std::fs::File)>;
    static LOG: OnceLock<Option<Log>> = OnceLock::new();
    let log = LOG.get_or_init(|| {
        let path = std::env::var_os("ORDERPATH_SQL_LOG")?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("ORDERPATH_SQL_LOG {path:?}: {e}"));
        Some(Mutex::new((HashSet::new(), file)))
    });
    if let Some(log) = log {
        let mut log = log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if log.0.insert(format!("{component}\n{statement}")) {
            let line = serde_json::json!({ "component": component, "sql": statement });
            let _ = writeln!(log.1, "{line}");
        }
    }
}

fn run(
    conn: &Connection,
    component: &str,
    statement: &str,
    params: Vec<Value>,
) -> Result<QueryResult, Error> {
    let mut stmt = conn.prepare_cached(statement).map_err(io)?;
    log_statement(component, statement);
    let columns: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let width = columns.len();
    let params = params.into_iter().map(|v| match v {
        Value::Null => SqlValue::Null,
        Value::Integer(i) => SqlValue::Integer(i),
        Value::Real(r) => SqlValue::Real(r),
        Value::Text(t) => SqlValue::Text(t),
        Value::Blob(b) => SqlValue::Blob(b),
    });
    let mut rows = stmt.query(rusqlite::params_from_iter(params)).map_err(io)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(io)? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(match row.get_ref(i).map_err(io)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Integer(i),
                ValueRef::Real(r) => Value::Real(r),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            });
        }
        out.push(RowResult { values });
    }
    Ok(QueryResult { columns, rows: out })
}

type SqlResult<T> = wasmtime::Result<Result<T, Error>>;

impl sqlite::HostConnection for State {
    async fn open(&mut self, database: String) -> SqlResult<Resource<SqliteConnection>> {
        if !self.component.sqlite_labels.contains(&database) {
            return Ok(Err(Error::AccessDenied));
        }
        let Some(path) = self.component.shared.sqlite_path(&database) else {
            return Ok(Err(Error::NoSuchDatabase));
        };
        if self.sqlite_open >= MAX_CONNECTIONS {
            return Ok(Err(Error::Io("too many connections opened".into())));
        }
        self.sqlite_open += 1;
        let conn = SqliteConnection {
            path,
            conn: Arc::new(Mutex::new(None)),
        };
        Ok(Ok(self.table.push(conn)?))
    }

    async fn execute(
        &mut self,
        conn: Resource<SqliteConnection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> SqlResult<QueryResult> {
        let c = self.table.get(&conn)?;
        let (path, slot) = (c.path.clone(), c.conn.clone());
        let component = self.component.id.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
            if guard.is_none() {
                *guard = Some(open_connection(&path)?);
            }
            match guard.as_ref() {
                Some(conn) => run(conn, &component, &statement, parameters),
                None => Err(Error::InvalidConnection),
            }
        })
        .await;
        Ok(result.unwrap_or_else(|e| Err(io(format!("internal runtime error: {e}")))))
    }

    async fn drop(&mut self, conn: Resource<SqliteConnection>) -> wasmtime::Result<()> {
        // Closing the connection rolls back a transaction the guest left open.
        drop(self.table.delete(conn)?);
        self.sqlite_open = self.sqlite_open.saturating_sub(1);
        Ok(())
    }
}

impl sqlite::Host for State {}
