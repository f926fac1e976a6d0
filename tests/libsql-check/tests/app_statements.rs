//! The migrations, and every statement the e2e suite ran, on libSQL's engine (see the
//! crate's docs).
//! `scripts/test.sh` runs the suite with `ORDERPATH_SQL_LOG` and then this test with the same
//! variable; without it the test fails and says how to make the log.

use std::path::PathBuf;

#[tokio::test]
async fn every_statement_the_suite_ran_is_accepted_by_libsql() {
    let log = std::env::var_os("ORDERPATH_SQL_LOG")
        .map(PathBuf::from)
        .expect(
            "set ORDERPATH_SQL_LOG to the statement log of an e2e run \
         (scripts/test.sh does: ORDERPATH_SQL_LOG=$PWD/target/sql-statements.jsonl)",
        );
    // The app's components (each has its folder under components/); not the harness's probe.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../components");
    let components: Vec<String> = std::fs::read_dir(&root)
        .expect("components/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    assert!(
        components.iter().any(|c| c == "order-events"),
        "{components:?}"
    );
    let statements =
        orderpath_libsql_check::read_log(&log, &components).expect("the statement log");
    assert!(
        statements.len() > 200,
        "only {} statements in {}: was the e2e suite run with ORDERPATH_SQL_LOG?",
        statements.len(),
        log.display()
    );
    let dir = std::env::temp_dir().join(format!("orderpath-libsql-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    // As ensure_schema runs them: its own table, then every migration in order.
    let mut migrations = vec![
        "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )",
    ];
    let latest = orderpath_shell::db::migrate::latest_version();
    for (_, _, statements) in orderpath_shell::db::migrate::up_to(latest) {
        migrations.extend_from_slice(statements);
    }
    let report = orderpath_libsql_check::replay(&dir.join("libsql.db"), &migrations, &statements)
        .await
        .expect("libSQL opens a database");
    std::fs::remove_dir_all(&dir).ok();
    println!(
        "libSQL: {} migration statements executed, {} statements of the suite prepared, {} refused",
        report.executed,
        report.prepared,
        report.refused.len()
    );
    assert!(
        report.refused.is_empty(),
        "libSQL refused {} statement(s):\n{}",
        report.refused.len(),
        report
            .refused
            .iter()
            .map(|r| format!("- {}\n  {}", r.statement, r.error))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
