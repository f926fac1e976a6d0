//! Retention (issue 12, item 9): the tick deletes idempotency records and clears raw provider
//! notifications once they are older than `retention_days`; what the events did stays, and
//! anything younger — including every redelivery a sender may still make — is kept.

use bytes::Bytes;

use super::*;
use crate::support::{workspace_root, CDEK_TOKEN, YOOKASSA_TOKEN};

const DAY: u64 = 86_400;

fn fixture_bytes(path: &str) -> Bytes {
    let file = workspace_root().join("tests/fixtures").join(path);
    Bytes::from(std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())))
}

fn yookassa_paid() -> http::Request<Bytes> {
    http::Request::post(format!(
        "http://orders.shop.example/webhooks/payments/yookassa?token={YOOKASSA_TOKEN}"
    ))
    .header("content-type", "application/json")
    .body(fixture_bytes("yookassa/payment.succeeded.json"))
    .expect("request")
}

fn cdek_created() -> http::Request<Bytes> {
    http::Request::post(format!(
        "http://orders.shop.example/webhooks/delivery/cdek?token={CDEK_TOKEN}"
    ))
    .header("content-type", "application/json")
    .body(fixture_bytes("cdek/created.json"))
    .expect("request")
}

/// A-1001 created, paid through YooKassa and registered at CDEK: idempotency records for
/// each, raw notifications on the payment and the parcel.
async fn a_paid_and_shipped_order(app: &TestApp) {
    create(app, order("A-1001", json!({ "total": 1_290_000 }))).await;
    walk(app, "A-1001", &["confirmed", "awaiting-payment"]).await;
    assert_eq!(app.send(yookassa_paid()).await.status, 200);
    walk(app, "A-1001", &["assembled"]).await;
    assert_eq!(app.send(cdek_created()).await.status, 200);
}

fn kept(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("SELECT COUNT(*) FROM inbound_events"),
        app.count("SELECT COUNT(*) FROM payments WHERE raw IS NOT NULL"),
        app.count("SELECT COUNT(*) FROM deliveries WHERE raw IS NOT NULL"),
    )
}

#[tokio::test]
async fn records_younger_than_the_period_are_kept_and_older_ones_removed() {
    let app = TestApp::start().await;
    a_paid_and_shipped_order(&app).await;
    let events = app.count("SELECT COUNT(*) FROM inbound_events");
    assert!(events >= 5, "{events}");
    assert_eq!(kept(&app), (events, 1, 1));

    let report = app.tick_after(89 * DAY).await;

    assert_eq!(report["retention"]["days"], 90);
    assert_eq!(report["retention"]["idempotency_records_deleted"], 0);
    assert_eq!(kept(&app), (events, 1, 1), "89 days: everything kept");

    let report = app.tick_after(2 * DAY).await;

    assert_eq!(report["retention"]["idempotency_records_deleted"], events);
    assert_eq!(report["retention"]["payment_payloads_cleared"], 1);
    assert_eq!(report["retention"]["delivery_payloads_cleared"], 1);
    assert_eq!(kept(&app), (0, 0, 0));
    // What the events did stays.
    assert_eq!(
        rows(&app, "SELECT status, payment_status FROM orders"),
        json!([["assembled", "paid"]])
    );
    assert_eq!(
        rows(&app, "SELECT status, amount, state FROM payments"),
        json!([["succeeded", 1_290_000, "applied"]])
    );
    assert_eq!(
        rows(&app, "SELECT carrier, state FROM deliveries"),
        json!([["cdek", "applied"]])
    );
    assert!(app.count("SELECT COUNT(*) FROM order_history") > 0);

    let again = app.tick_after(60).await;
    assert_eq!(again["retention"]["idempotency_records_deleted"], 0);
}

#[tokio::test]
async fn a_shorter_period_is_refused_and_the_tick_still_does_its_work() {
    let app = TestApp::start_with(|b| b.variable("retention_days", "7")).await;
    a_paid_and_shipped_order(&app).await;
    let before = kept(&app);

    let report = app.tick_after(40 * DAY).await;

    let error = report["retention"]["error"].as_str().expect("error");
    assert!(
        error.contains("retention_days") && error.contains("30 to 3650"),
        "{error}"
    );
    assert_eq!(kept(&app), before, "nothing removed on a bad setting");
    assert!(report["messages"].is_object(), "{report}");
}

#[tokio::test]
async fn within_the_period_a_redelivery_is_still_recognised() {
    let app = TestApp::start_with(|b| b.variable("retention_days", "30")).await;
    a_paid_and_shipped_order(&app).await;
    let emails = app.sent_emails().len();
    app.tick_after(29 * DAY).await;

    let again = app.send(yookassa_paid()).await;

    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(json_of(&again)["duplicate"], true, "{}", again.text());
    assert_eq!(app.sent_emails().len(), emails, "nothing sent again");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
}
