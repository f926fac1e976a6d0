//! Schema migrations run on first use, once, even when the first requests arrive together.

use serde_json::json;

use crate::support::{fixture, TestApp};

/// The newest schema version (`migrate::latest_version`).
const LATEST: i64 = 15;

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
        (1..=LATEST)
            .map(|version| vec![json!(version)])
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
