//! Waiting for the write lock. Components turn SQLite's own busy handler off and wait for the
//! lock themselves in short pauses (see `orderpath_shell::db`): these tests hold the lock from
//! outside, as another instance's transaction would, and check what a webhook then does.

use std::time::Duration;

use crate::support::{fixture, TestApp};

/// Holds the database's write lock from another connection until `release` is sent.
fn hold_write_lock(app: &TestApp) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let path = app.app.state_dir().join("sqlite_db.db");
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (locked, is_locked) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(path).expect("open");
        conn.execute_batch("BEGIN IMMEDIATE").expect("lock");
        locked.send(()).expect("tell");
        let _ = released.recv();
        conn.execute_batch("COMMIT").expect("unlock");
    });
    is_locked.recv().expect("locked");
    (release, holder)
}

/// An order other than `orders/created.json`'s.
fn another_order() -> serde_json::Value {
    let mut order = fixture("orders/created.json");
    order["data"]["order_id"] = "A-0999".into();
    order
}

#[tokio::test]
async fn an_event_waits_for_another_writer_and_is_stored_once() {
    let app = TestApp::start().await;
    // Creates the schema, so the next request only waits for the lock.
    let first = app.post_event("evt-0", &another_order()).await;
    assert_eq!(first.status, 201, "{}", first.text());

    let (release, holder) = hold_write_lock(&app);
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        let _ = release.send(());
    });
    let response = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    releaser.join().expect("releaser");
    holder.join().expect("holder");

    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbound_events WHERE event_id = 'evt-1'"),
        1
    );
    assert_eq!(app.email_requests().len(), 2, "each order's C1 email, once");
}

#[tokio::test]
async fn a_writer_holding_the_lock_past_the_deadline_gets_503_with_nothing_stored() {
    let app = TestApp::start().await;
    let first = app.post_event("evt-0", &another_order()).await;
    assert_eq!(first.status, 201, "{}", first.text());

    let (release, holder) = hold_write_lock(&app);
    let response = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    let _ = release.send(());
    holder.join().expect("holder");

    assert_eq!(response.status, 503, "{}", response.text());
    assert!(response.text().contains("busy"), "{}", response.text());
    assert_eq!(
        app.footprint(),
        (1, 1, 1),
        "only the first order and its email"
    );

    // The sender's retry, once the lock is free, goes through.
    let retry = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    assert_eq!(retry.status, 201, "{}", retry.text());
    assert_eq!(app.footprint(), (2, 2, 2));
}
