//! Portability of the app's SQL to libSQL (Turso, `sqld`), which Spin reaches with
//! `[sqlite_database.default] type = "libsql"` in the runtime config.
//!
//! On a fresh database of libSQL's own engine (its fork of SQLite, built from source), the
//! app's migrations are executed in order, exactly as `ensure_schema` runs them, so the schema
//! is the one libSQL builds. Then every other statement the app's components ran in the e2e
//! suite (logged by the harness with `ORDERPATH_SQL_LOG`) is prepared against it. Preparing
//! checks the syntax, every table, column and function, and the query plan; it does not run
//! the statement.

use std::path::Path;

/// A statement libSQL refused, with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The statement as the app runs it.
    pub statement: String,
    /// libSQL's error.
    pub error: String,
}

/// The result of replaying a log.
#[derive(Debug, Default)]
pub struct Report {
    /// Migration statements executed.
    pub executed: usize,
    /// Statements prepared.
    pub prepared: usize,
    /// Statements refused.
    pub refused: Vec<Refusal>,
}

/// Reads a statement log (one `{"component", "sql"}` object per line) and keeps the
/// statements of `components` (the same text twice counts once).
///
/// # Errors
/// The file cannot be read, or a line is not such an object.
pub fn read_log(path: &Path, components: &[String]) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut seen = std::collections::HashSet::new();
    let mut statements = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let entry: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
        let (Some(component), Some(sql)) = (entry["component"].as_str(), entry["sql"].as_str())
        else {
            return Err(format!(
                "{}:{}: not {{component, sql}}",
                path.display(),
                n + 1
            ));
        };
        if components.iter().any(|c| c == component) && seen.insert(sql.to_owned()) {
            statements.push(sql.to_owned());
        }
    }
    Ok(statements)
}

/// Builds the schema from `migrations` on a new libSQL database in the file `db`, then
/// prepares every statement of `statements` that is not one of the migrations.
///
/// # Errors
/// libSQL cannot open the database.
pub async fn replay(
    db: &Path,
    migrations: &[&str],
    statements: &[String],
) -> Result<Report, String> {
    let database = libsql::Builder::new_local(db)
        .build()
        .await
        .map_err(|e| format!("libSQL cannot open {}: {e}", db.display()))?;
    let conn = database.connect().map_err(|e| e.to_string())?;
    let mut report = Report::default();
    let mut refuse = |statement: &str, error: libsql::Error| {
        report.refused.push(Refusal {
            statement: statement.to_owned(),
            error: error.to_string(),
        });
    };
    for statement in migrations {
        match conn.execute(statement, ()).await {
            Ok(_) => report.executed += 1,
            Err(e) => refuse(statement, e),
        }
    }
    for statement in statements
        .iter()
        .filter(|s| !migrations.contains(&s.as_str()))
    {
        match conn.prepare(statement).await {
            Ok(_) => report.prepared += 1,
            Err(e) => refuse(statement, e),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_statement_libsql_refuses_is_reported_with_its_error() {
        let dir = std::env::temp_dir().join(format!("libsql-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let migrations = ["CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)"];
        let statements = [
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)",
            "INSERT INTO t (a) VALUES (?) ON CONFLICT (id) DO NOTHING RETURNING id",
            "SELECT nope FROM t WHERE id = ?",
            "BEGIN IMMEDIATE",
        ]
        .map(String::from);
        let report = replay(&dir.join("t.db"), &migrations, &statements)
            .await
            .expect("replay");
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!((report.executed, report.prepared), (1, 2));
        assert_eq!(report.refused.len(), 1);
        assert!(
            report.refused[0].error.contains("nope"),
            "{:?}",
            report.refused
        );
    }
}
