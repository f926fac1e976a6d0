//! Schema migrations run on first use, once, even when the first requests arrive together.

use serde_json::json;

use crate::support::{fixture, TestApp};

/// The newest schema version (`migrate::latest_version`).
const LATEST: i64 = 27;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_migrate_once_and_all_succeed() {
    let app = TestApp::start().await;
    let mut tasks = Vec::new();
    for n in 0..6 {
        let mut event = fixture("orders/created.json");
        event["data"]["order_id"] = json!(format!("M-{n}"));
        let body = serde_json::to_vec(&event).expect("json");
        let (harness, request) = (app.app.clone(), app.signed(&format!("evt-{n}"), &body));
        tasks.push(tokio::spawn(async move { harness.request(request).await }));
    }
    for task in tasks {
        let response = task.await.expect("task").expect("request");
        assert_eq!(response.status, 201, "{}", response.text());
    }
    app.app.wait_idle().await;

    assert_eq!(
        app.query("SELECT version FROM schema_migrations ORDER BY version"),
        orderpath_shell::db::migrate::up_to(LATEST)
            .map(|(version, _, _)| vec![json!(version)])
            .collect::<Vec<_>>(),
        "each migration applied exactly once"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 6);
    assert_eq!(app.query("PRAGMA journal_mode"), vec![vec![json!("wal")]]);
}

#[tokio::test]
async fn a_database_that_is_already_current_is_left_alone() {
    let app = TestApp::start().await;
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;
    let applied_at = app.query("SELECT applied_at FROM schema_migrations");

    app.clock.advance(std::time::Duration::from_secs(3600));
    app.post_event("evt-2", &fixture("orders/created_phone_only.json"))
        .await;

    assert_eq!(
        app.query("SELECT applied_at FROM schema_migrations"),
        applied_at
    );
}

#[tokio::test]
async fn payments_kept_before_migration_16_keep_their_rows_and_indexes() {
    // A database at version 15, as its migrations left it, with a payment.
    let state = tempfile::tempdir().expect("state");
    {
        let db = database_at(state.path(), 15);
        db.execute_batch(
            "INSERT INTO payments (source, payment_id, order_ref, status, amount, currency,
                                   state, what, raw, event_id, received_at)
             VALUES ('sber', 'md-1', 'A-404', 'succeeded', 100, 'RUB', 'unknown_order',
                     'deposited', 'mdOrder=md-1', 'md-1:deposited:1', '2026-11-20T10:00:00Z');",
        )
        .expect("a payment");
    }
    let app = TestApp::start_with(|b| b.state_dir(state.path())).await;

    let mut next = fixture("orders/created.json");
    next["data"]["order_id"] = json!("M-2");
    let response = app.post_event("evt-2", &next).await;

    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(
        app.query(
            "SELECT source, payment_id, order_ref, status, amount, state, raw, event_id
             FROM payments"
        ),
        vec![vec![
            json!("sber"),
            json!("md-1"),
            json!("A-404"),
            json!("succeeded"),
            json!(100),
            json!("unknown_order"),
            json!("mdOrder=md-1"),
            json!("md-1:deposited:1")
        ]]
    );
    assert_eq!(
        app.query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'payments'
             ORDER BY name"
        ),
        [
            "payments_once",
            "payments_order",
            "payments_raw_kept",
            "payments_waiting"
        ]
        .map(|name| vec![json!(name)])
        .to_vec()
    );
    assert!(
        app.query("SELECT sql FROM sqlite_master WHERE name = 'payments'")[0][0]
            .as_str()
            .is_some_and(|sql| sql.contains("'test_ignored'") && sql.contains("'amount_unknown'")),
        "the new states are allowed"
    );
    assert_eq!(
        app.count("SELECT MAX(version) FROM schema_migrations"),
        LATEST
    );
}

/// `sqlite_db.db` in `state_dir` as release `version` left it: the app's own migrations up to
/// that number, replayed in order (so no test repeats an old schema by hand).
pub(crate) fn database_at(state_dir: &std::path::Path, version: i64) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(state_dir.join("sqlite_db.db")).expect("db");
    db.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE schema_migrations (
             version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .expect("schema_migrations");
    for (number, name, statements) in orderpath_shell::db::migrate::up_to(version) {
        for statement in statements {
            db.execute_batch(statement)
                .unwrap_or_else(|e| panic!("migration {number}: {e}"));
        }
        db.execute(
            "INSERT INTO schema_migrations (version, name, applied_at)
             VALUES (?1, ?2, '2026-11-01T00:00:00Z')",
            rusqlite::params![number, name],
        )
        .expect("recorded");
    }
    db
}

/// Migration 21 rebuilds the outbox to allow the `webhook` channel: a database from before
/// keeps its messages, their ids and their attempts, and takes webhook rows afterwards.
#[tokio::test]
async fn the_outbox_rebuilt_for_webhooks_keeps_its_messages() {
    let state = tempfile::tempdir().expect("dir");
    let db = database_at(state.path(), 19);
    db.execute_batch(
        "INSERT INTO outbox (id, dedupe_key, order_id, channel, template, recipient, body_text,
                             status, attempts, next_attempt_at, created_at, resends, claim_token)
         VALUES (7, 'k-7', 'A-1', 'email', 't', 'a@example.com', 'hi', 'sent', 1,
                 '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', 2, NULL);
         INSERT INTO outbox_attempts (message_id, at, provider, outcome)
         VALUES (7, '2026-11-01T00:00:01Z', 'postmark', 'sent');",
    )
    .expect("old rows");
    assert!(db
        .execute_batch(
            "INSERT INTO outbox (dedupe_key, channel, template, recipient, body_text, status,
                                 next_attempt_at, created_at)
             VALUES ('w', 'webhook', 't', 'crm', '{}', 'pending', 'x', 'x')"
        )
        .is_err());
    drop(db);
    let app = TestApp::start_with(|b| b.state_dir(state.path())).await;

    let response = app
        .post_event("evt-1", &crate::support::fixture("orders/created.json"))
        .await;
    assert_eq!(
        response.status,
        201,
        "{} {}",
        response.text(),
        app.app.guest_output("order-events")
    );

    assert_eq!(
        app.query(
            "SELECT o.id, o.channel, o.resends, a.provider FROM outbox o
             JOIN outbox_attempts a ON a.message_id = o.id WHERE o.id = 7"
        ),
        vec![vec![json!(7), json!("email"), json!(2), json!("postmark")]]
    );
    let db = rusqlite::Connection::open(state.path().join("sqlite_db.db")).expect("db");
    db.execute_batch(
        "INSERT INTO outbox (dedupe_key, channel, template, recipient, body_text, status,
                             next_attempt_at, created_at)
         VALUES ('w', 'webhook', 't', 'crm', '{}', 'sent', 'x', 'x')",
    )
    .expect("webhook rows are allowed");
    assert!(
        app.query("SELECT sql FROM sqlite_master WHERE name = 'outbox_attempts'")[0][0]
            .as_str()
            .is_some_and(|sql| sql.contains("REFERENCES \"outbox\"(id)")
                || sql.contains("REFERENCES outbox(id)")),
        "the attempts still belong to the outbox"
    );
    let indexes = app.query(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'
           AND name NOT LIKE 'sqlite_%' ORDER BY name",
    );
    assert_eq!(
        indexes,
        [
            "outbox_created",
            "outbox_due",
            "outbox_order",
            "outbox_recipient"
        ]
        .map(|name| vec![json!(name)])
        .to_vec()
    );
}

/// Migration 25 adds the outbox's `headers`: an email queued before it is sent as it was,
/// without header fields.
#[tokio::test]
async fn an_email_queued_before_header_fields_existed_is_sent_without_them() {
    let state = tempfile::tempdir().expect("dir");
    let db = database_at(state.path(), 21);
    db.execute_batch(
        "INSERT INTO outbox (id, dedupe_key, channel, template, recipient, recipient_name,
                             subject, body_text, status, attempts, next_attempt_at, created_at)
         VALUES (3, 'k-3', 'email', 'order-created', 'anna@example.com', 'Анна', 'Заказ',
                 'Спасибо', 'pending', 1, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z');",
    )
    .expect("an old row");
    drop(db);
    let app = TestApp::start_with(|b| b.state_dir(state.path())).await;

    app.tick().await;

    let emails = app.sent_emails();
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(emails[0]["To"], "\"Анна\" <anna@example.com>");
    assert_eq!(emails[0]["Subject"], "Заказ");
    assert_eq!(emails[0].get("Headers"), None);
    assert_eq!(
        app.query("SELECT status, headers FROM outbox WHERE id = 3"),
        vec![vec![json!("sent"), json!(null)]]
    );
}
