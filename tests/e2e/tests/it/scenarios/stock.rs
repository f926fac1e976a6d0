//! Stock levels from the accounting system at `POST /webhooks/stock` (issue 6): V7 (orders
//! waiting for stock are served whole, oldest first, reserved, emailed, then asked to pay),
//! O6 (purchasing hears what ran out, once per change), and reservations that never exceed
//! stock — also when two posts race and when an order reaches assembly.

use std::time::Duration;

use bytes::Bytes;
use orderpath_harness::HarnessResponse;

use super::*;
use crate::support::{signature_with, workspace_root, STOCK_SECRET};

const STOCK_ARRIVED: &str = "Товар для заказа №A-1001 поступил";
const PAYMENT_LINK: &str = "Оплата заказа №A-1001";

fn stock_request(app: &TestApp, webhook_id: &str, body: &[u8]) -> http::Request<Bytes> {
    let ts = app.clock.unix_seconds() as i64;
    http::Request::post("http://orders.shop.example/webhooks/stock")
        .header("content-type", "application/json")
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", ts.to_string())
        .header(
            "webhook-signature",
            signature_with(STOCK_SECRET, webhook_id, ts, body),
        )
        .body(Bytes::copy_from_slice(body))
        .expect("request")
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("tests/fixtures/stock").join(name)).expect("fixture")
}

/// A `stock.changes` post with these levels from the `main` warehouse (as in the fixtures).
fn changes(levels: &[(&str, i64)]) -> Vec<u8> {
    post_body("stock.changes", Some("main"), levels)
}

/// A post of `kind` with these levels, from `warehouse` (or none named).
fn post_body(kind: &str, warehouse: Option<&str>, levels: &[(&str, i64)]) -> Vec<u8> {
    let items: Vec<Value> = levels
        .iter()
        .map(|(sku, available)| json!({ "sku": sku, "available": available }))
        .collect();
    let mut data = json!({ "items": items });
    if let Some(warehouse) = warehouse {
        data["warehouse"] = json!(warehouse);
    }
    serde_json::to_vec(&json!({ "type": kind, "data": data })).expect("json")
}

fn levels_by_warehouse(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT sku, warehouse, available FROM stock_levels ORDER BY sku, warehouse",
    )
}

async fn post_stock(app: &TestApp, webhook_id: &str, body: &[u8]) -> Value {
    let response = app.send(stock_request(app, webhook_id, body)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    json_of(&response)
}

/// An order of Анна (TEA-001 ×2, CUP-010 ×1) waiting for stock.
async fn waiting_order(app: &TestApp, id: &str) {
    create(app, order(id, json!({ "manager": "m.ivanova" }))).await;
    move_to(app, id, "awaiting-stock", None).await;
}

fn reservations_of(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT order_id, sku, qty, status FROM reservations ORDER BY order_id, sku",
    )
}

fn reserved_cups(app: &TestApp) -> i64 {
    app.count(
        "SELECT COALESCE(SUM(qty), 0) FROM reservations
         WHERE sku = 'CUP-010' AND status = 'reserved'",
    )
}

fn o6_tasks(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT title, assignee, order_id FROM tasks WHERE reason = 'o6-out-of-stock' ORDER BY id",
    )
}

#[tokio::test]
async fn stock_for_a_waiting_order_reserves_it_tells_the_customer_and_asks_for_payment() {
    let app = TestApp::start().await;
    waiting_order(&app, "A-1001").await;

    let answer = post_stock(&app, "stock-1", &fixture_bytes("snapshot.json")).await;

    assert_eq!(answer["confirmed"], json!(["A-1001"]));
    assert_eq!(status_of(&app, "A-1001"), "awaiting-payment");
    assert_eq!(
        rows(
            &app,
            "SELECT old_value, new_value FROM order_history
             WHERE field = 'status' AND actor = 'trigger:v7-stock-arrived' ORDER BY id"
        ),
        json!([
            ["\"awaiting-stock\"", "\"availability-confirmed\""],
            ["\"availability-confirmed\"", "\"awaiting-payment\""]
        ])
    );
    assert_eq!(
        reservations_of(&app),
        json!([
            ["A-1001", "CUP-010", 1, "reserved"],
            ["A-1001", "TEA-001", 2, "reserved"]
        ])
    );
    email_about(&app, STOCK_ARRIVED);
    let payment = text_of(&email_about(&app, PAYMENT_LINK));
    assert!(payment.contains("2 100,00 ₽"), "{payment}");
    assert_eq!(
        rows(&app, "SELECT title, assignee, due_at FROM tasks"),
        json!([[
            "Товар для заказа №A-1001 поступил и зарезервирован: проверить оплату",
            "staff:m.ivanova",
            "2026-11-24T08:00:00Z"
        ]])
    );
    assert_eq!(
        rows(&app, "SELECT sku, available FROM stock_levels ORDER BY sku"),
        json!([["CUP-010", 3], ["SPOON-7", 0], ["TEA-001", 10]])
    );
}

#[tokio::test]
async fn an_order_waits_until_everything_it_needs_is_in_stock() {
    let app = TestApp::start().await;
    waiting_order(&app, "A-1001").await;
    let emails = app.sent_emails().len();

    // Only the cups are known (and gone); nothing is known about the tea.
    let first = post_stock(&app, "stock-1", &fixture_bytes("changes.json")).await;
    let second = post_stock(&app, "stock-2", &changes(&[("CUP-010", 5)])).await;

    assert_eq!(first["confirmed"], json!([]));
    assert_eq!(
        second["confirmed"],
        json!([]),
        "the tea is not known to be there"
    );
    assert_eq!(status_of(&app, "A-1001"), "awaiting-stock");
    assert_eq!(app.sent_emails().len(), emails);
    assert_eq!(reservations_of(&app), json!([]));

    // The evening's stock post: the manager's task waits for the morning.
    app.clock.advance(Duration::from_secs(10 * 3600));
    let third = post_stock(&app, "stock-3", &changes(&[("TEA-001", 2)])).await;

    assert_eq!(third["confirmed"], json!(["A-1001"]));
    assert_eq!(status_of(&app, "A-1001"), "awaiting-payment");
    assert_eq!(
        rows(
            &app,
            "SELECT due_at FROM tasks WHERE reason = 'v7-stock-arrived'"
        ),
        json!([["2026-11-25T07:00:00Z"]]),
        "posted at 20:00 Moscow time: due an hour into the next working day"
    );
}

#[tokio::test]
async fn scarce_stock_goes_to_the_order_that_waited_longest() {
    let app = TestApp::start().await;
    waiting_order(&app, "A-2").await;
    app.clock.advance(Duration::from_secs(60));
    waiting_order(&app, "A-1").await;
    app.clock.advance(Duration::from_secs(60));

    let answer = post_stock(
        &app,
        "stock-1",
        &changes(&[("TEA-001", 10), ("CUP-010", 1)]),
    )
    .await;

    assert_eq!(answer["confirmed"], json!(["A-2"]));
    assert_eq!(status_of(&app, "A-1"), "awaiting-stock");
    assert_eq!(reserved_cups(&app), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reservations WHERE order_id = 'A-1'"),
        0,
        "no partial hold for the order that must wait"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stock_posts_at_once_never_reserve_more_than_there_is() {
    let app = TestApp::start().await;
    for id in ["A-1", "A-2", "A-3"] {
        waiting_order(&app, id).await;
        app.clock.advance(Duration::from_secs(1));
    }
    let body = changes(&[("TEA-001", 100), ("CUP-010", 2)]);

    let (first, second) = tokio::join!(
        app.app.request(stock_request(&app, "stock-a", &body)),
        app.app.request(stock_request(&app, "stock-b", &body)),
    );
    app.app.wait_idle().await;

    let answers: Vec<HarnessResponse> = vec![first.expect("a"), second.expect("b")];
    assert!(answers.iter().all(|a| a.status == 200));
    assert_eq!(reserved_cups(&app), 2, "two cups, two orders");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM orders WHERE status = 'awaiting-payment'"),
        2
    );
    assert_eq!(status_of(&app, "A-3"), "awaiting-stock");
}

#[tokio::test]
async fn purchasing_hears_once_when_an_article_an_order_needs_runs_out() {
    let app = TestApp::start().await;
    create(&app, order("A-1001", json!({}))).await;
    move_to(&app, "A-1001", "confirmed", None).await;
    post_stock(&app, "stock-1", &fixture_bytes("snapshot.json")).await;
    assert_eq!(o6_tasks(&app), json!([]), "everything is there");

    let answer = post_stock(&app, "stock-2", &fixture_bytes("changes.json")).await;
    // The hourly snapshot repeats the level: no new task.
    post_stock(&app, "stock-3", &fixture_bytes("changes.json")).await;

    assert_eq!(answer["short"], json!(["A-1001"]));
    assert_eq!(
        o6_tasks(&app),
        json!([[
            "Нет в наличии (CUP-010) для заказа №A-1001: заказать у поставщика",
            "role:purchasing",
            "A-1001"
        ]])
    );
}

#[tokio::test]
async fn assembly_reserves_only_what_is_in_stock_and_sends_the_rest_to_purchasing() {
    let app = TestApp::start().await;
    post_stock(
        &app,
        "stock-1",
        &changes(&[("TEA-001", 10), ("CUP-010", 0)]),
    )
    .await;
    create(&app, order("A-1001", json!({}))).await;

    walk(&app, "A-1001", &["confirmed", "prepare-for-delivery"]).await;

    assert_eq!(
        reservations_of(&app),
        json!([["A-1001", "TEA-001", 2, "reserved"]])
    );
    assert_eq!(
        rows(
            &app,
            "SELECT reason FROM order_history WHERE field = 'reservation' ORDER BY id"
        ),
        json!([["not enough in stock: CUP-010"]])
    );
    assert_eq!(
        o6_tasks(&app).as_array().map(Vec::len),
        Some(1),
        "{}",
        o6_tasks(&app)
    );
    let refused = app
        .post_event(
            &evt(),
            &json!({ "type": "order.status_changed",
                     "data": { "order_id": "A-1001", "status": "assembled" } }),
        )
        .await;
    assert_eq!(refused.status, 409, "P4: the cup is not reserved");
}

#[tokio::test]
async fn each_warehouse_keeps_its_own_levels_and_orders_get_their_sum() {
    let app = TestApp::start().await;
    waiting_order(&app, "A-1001").await;
    let snapshot =
        |warehouse, levels: &[(&str, i64)]| post_body("stock.snapshot", Some(warehouse), levels);

    // One tea in each warehouse: neither alone covers the two the order needs.
    let main = post_stock(
        &app,
        "stock-1",
        &snapshot("main", &[("TEA-001", 1), ("CUP-010", 1)]),
    )
    .await;
    assert_eq!(main["confirmed"], json!([]));
    let north = post_stock(&app, "stock-2", &snapshot("north", &[("TEA-001", 1)])).await;

    assert_eq!(north["changed"], json!(["TEA-001"]));
    assert_eq!(
        north["confirmed"],
        json!(["A-1001"]),
        "1 + 1 teas, main's cup"
    );
    assert_eq!(
        levels_by_warehouse(&app),
        json!([
            ["CUP-010", "main", 1],
            ["TEA-001", "main", 1],
            ["TEA-001", "north", 1]
        ]),
        "north's snapshot did not zero main's cup"
    );
    assert_eq!(
        reservations_of(&app),
        json!([
            ["A-1001", "CUP-010", 1, "reserved"],
            ["A-1001", "TEA-001", 2, "reserved"]
        ])
    );

    // North sells out: only north's level drops; the articles' sums say what changed.
    let empty = post_stock(&app, "stock-3", &snapshot("north", &[])).await;

    assert_eq!(empty["changed"], json!(["TEA-001"]));
    assert_eq!(
        levels_by_warehouse(&app),
        json!([
            ["CUP-010", "main", 1],
            ["TEA-001", "main", 1],
            ["TEA-001", "north", 0]
        ])
    );
}

#[tokio::test]
async fn levels_stored_before_warehouses_were_kept_stay_as_the_unnamed_warehouse() {
    let app = TestApp::start().await;
    waiting_order(&app, "A-1001").await;
    // A database at version 10: the table as migration 9 made it, with a level in it.
    {
        let db = rusqlite::Connection::open(app.app.state_dir().join("sqlite_db.db")).expect("db");
        db.execute_batch(
            "DROP TABLE stock_levels;
             CREATE TABLE stock_levels (
                 sku TEXT PRIMARY KEY,
                 available INTEGER NOT NULL CHECK (available >= 0),
                 updated_at TEXT NOT NULL
             );
             INSERT INTO stock_levels VALUES ('CUP-010', 4, '2026-11-20T10:00:00Z');
             DROP TABLE carrier_polls;
             ALTER TABLE customers DROP COLUMN time_zone;
             ALTER TABLE outbox DROP COLUMN claim_token;
             ALTER TABLE outbox_attempts DROP COLUMN late;
             DROP INDEX customers_segment;
             ALTER TABLE customers DROP COLUMN segment;
             ALTER TABLE customers DROP COLUMN segment_at;
             ALTER TABLE outbox DROP COLUMN headers;
             ALTER TABLE timers DROP COLUMN evaluation_id;
             DELETE FROM schema_migrations WHERE version > 10;",
        )
        .expect("the old schema");
    }

    let answer = post_stock(
        &app,
        "stock-1",
        &post_body("stock.changes", None, &[("TEA-001", 2)]),
    )
    .await;

    assert_eq!(
        answer["confirmed"],
        json!(["A-1001"]),
        "the kept cups count"
    );
    assert_eq!(
        levels_by_warehouse(&app),
        json!([["CUP-010", "", 4], ["TEA-001", "", 2]])
    );
    assert!(app.count("SELECT MAX(version) FROM schema_migrations") >= 11);
}

#[tokio::test]
async fn a_repeated_post_changes_nothing() {
    let app = TestApp::start().await;
    waiting_order(&app, "A-1001").await;
    let body = fixture_bytes("snapshot.json");
    post_stock(&app, "stock-1", &body).await;
    let emails = app.sent_emails().len();

    let again = post_stock(&app, "stock-1", &body).await;

    assert_eq!(again, json!({ "received": true, "duplicate": true }));
    assert_eq!(app.sent_emails().len(), emails);
    assert_eq!(app.count("SELECT COUNT(*) FROM tasks"), 1);
}

#[tokio::test]
async fn bad_posts_are_refused_and_store_nothing() {
    let app = TestApp::start().await;
    let body = fixture_bytes("snapshot.json");

    let mut forged = stock_request(&app, "stock-1", &body);
    *forged.body_mut() = Bytes::from(changes(&[("CUP-010", 1000)]));
    let forged = app.send(forged).await;
    let malformed = app
        .send(stock_request(&app, "stock-2", b"{\"type\":"))
        .await;
    let negative = app
        .send(stock_request(&app, "stock-3", &changes(&[("CUP-010", -1)])))
        .await;
    let unconfigured = TestApp::start_with(|b| b.variable("stock_webhook_secret", "")).await;
    let refused = unconfigured
        .send(stock_request(&unconfigured, "stock-4", &body))
        .await;

    assert_eq!(forged.status, 401, "{}", forged.text());
    assert_eq!(malformed.status, 400, "{}", malformed.text());
    assert_eq!(negative.status, 422, "{}", negative.text());
    assert!(negative.text().contains("available"), "{}", negative.text());
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert!(
        !refused.text().contains("stock_webhook_secret"),
        "{}",
        refused.text()
    );
    assert!(unconfigured
        .app
        .guest_output("stock-events")
        .contains("stock_webhook_secret"));
    assert_eq!(app.count("SELECT COUNT(*) FROM stock_levels"), 0);
}

/// A re-sent post is answered from what is stored before the configuration is read, so it is
/// still acknowledged after a broken configuration was deployed; a new post is not taken.
#[tokio::test]
async fn a_resent_post_is_acknowledged_even_under_a_broken_configuration() {
    let state = tempfile::tempdir().expect("state");
    let good = TestApp::start_with(|b| b.state_dir(state.path())).await;
    let body = changes(&[("TEA-001", 5)]);
    let first = good.send(stock_request(&good, "stock-1", &body)).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let dir = crate::scheduler_work::broken_app_dir();
    let broken =
        TestApp::start_from(&dir.path().join("spin.toml"), |b| b.state_dir(state.path())).await;

    let again = broken.send(stock_request(&broken, "stock-1", &body)).await;
    let new = broken
        .send(stock_request(
            &broken,
            "stock-2",
            &changes(&[("TEA-001", 1)]),
        ))
        .await;

    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(new.status, 503, "{}", new.text());
    assert_eq!(
        levels_by_warehouse(&broken),
        json!([["TEA-001", "main", 5]]),
        "the new post changed nothing"
    );
}

/// A copy of the app where `awaiting-stock` is called `backorder` everywhere, and waits for
/// stock only when `waits` (`waits_for_stock = true` as shipped, or the key removed).
fn backorder_app(waits: bool) -> tempfile::TempDir {
    crate::support::app_with_config(|config| {
        for file in ["statuses.toml", "triggers.toml"] {
            let path = config.join(file);
            let mut text = std::fs::read_to_string(&path).expect("config");
            text = text.replace("\"awaiting-stock\"", "\"backorder\"");
            if !waits {
                text = text
                    .lines()
                    .filter(|line| !line.starts_with("waits_for_stock"))
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            std::fs::write(&path, text).expect("write");
        }
    })
}

#[tokio::test]
async fn the_configured_waiting_status_is_served_when_stock_arrives() {
    let dir = backorder_app(true);
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;
    create(&app, order("A-1001", json!({ "manager": "m.ivanova" }))).await;
    move_to(&app, "A-1001", "backorder", None).await;

    let answer = post_stock(&app, "stock-1", &fixture_bytes("snapshot.json")).await;

    assert_eq!(answer["confirmed"], json!(["A-1001"]));
    assert_eq!(status_of(&app, "A-1001"), "awaiting-payment");
    assert_eq!(
        reservations_of(&app),
        json!([
            ["A-1001", "CUP-010", 1, "reserved"],
            ["A-1001", "TEA-001", 2, "reserved"]
        ])
    );
    email_about(&app, STOCK_ARRIVED);
}

#[tokio::test]
async fn a_status_not_marked_as_waiting_for_stock_is_not_served() {
    let dir = backorder_app(false);
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;
    create(&app, order("A-1001", json!({ "manager": "m.ivanova" }))).await;
    move_to(&app, "A-1001", "backorder", None).await;

    let answer = post_stock(&app, "stock-1", &fixture_bytes("snapshot.json")).await;

    assert_eq!(answer["confirmed"], json!([]));
    assert_eq!(status_of(&app, "A-1001"), "backorder");
    assert_eq!(reservations_of(&app), json!([]));
}
