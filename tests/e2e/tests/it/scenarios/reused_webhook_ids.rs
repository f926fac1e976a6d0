//! A Standard Webhooks `webhook-id` names one event: the sender keeps it for the retries of
//! that very body. Reused for another body it is refused with 409 `idempotency_key_reused` on
//! every signed endpoint, as on the order webhook (issue 12, item 8) — and nothing of the
//! second body is stored.

use bytes::Bytes;
use orderpath_harness::HarnessResponse;

use super::*;
use crate::support::{
    signature_with, workspace_root, CALLS_SECRET, DELIVERY_SECRET, PAYMENTS_SECRET, STOCK_SECRET,
};

fn fixture_json(path: &str) -> Value {
    let file = workspace_root().join("tests/fixtures").join(path);
    serde_json::from_slice(&std::fs::read(&file).expect("fixture")).expect("JSON")
}

fn signed(app: &TestApp, path: &str, secret: &str, id: &str, body: &Value) -> http::Request<Bytes> {
    let body = serde_json::to_vec(body).expect("json");
    let ts = app.clock.unix_seconds() as i64;
    http::Request::post(format!("http://orders.shop.example{path}"))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature_with(secret, id, ts, &body))
        .body(Bytes::from(body))
        .expect("request")
}

/// Posts `first`, then `first` again (a retry: acknowledged as a duplicate), then `second`
/// under the same id (refused); answers the refusal.
async fn reuse(
    app: &TestApp,
    path: &str,
    secret: &str,
    first: &Value,
    second: &Value,
) -> HarnessResponse {
    let ok = app
        .send(signed(app, path, secret, "wh-reused-1", first))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let retry = app
        .send(signed(app, path, secret, "wh-reused-1", first))
        .await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(json_of(&retry)["duplicate"], true, "{}", retry.text());
    let reused = app
        .send(signed(app, path, secret, "wh-reused-1", second))
        .await;
    assert_eq!(reused.status, 409, "{}", reused.text());
    assert_eq!(json_of(&reused)["error"]["code"], "idempotency_key_reused");
    reused
}

#[tokio::test]
async fn generic_payments_refuse_a_reused_webhook_id() {
    let app = TestApp::start().await;
    create(&app, order("A-1001", json!({ "total": 1_290_000 }))).await;
    walk(&app, "A-1001", &["confirmed", "awaiting-payment"]).await;
    let paid = fixture_json("generic/payment.succeeded.json");
    let mut refund = fixture_json("generic/payment.refunded.json");
    refund["data"]["payment_id"] = paid["data"]["payment_id"].clone();

    reuse(
        &app,
        "/webhooks/payments/generic",
        PAYMENTS_SECRET,
        &paid,
        &refund,
    )
    .await;

    assert_eq!(
        rows(&app, "SELECT status FROM payments ORDER BY id"),
        json!([["succeeded"]]),
        "the refund under the reused id is not kept"
    );
    assert_eq!(
        rows(&app, "SELECT payment_status FROM orders"),
        json!([["paid"]])
    );
}

#[tokio::test]
async fn generic_delivery_refuses_a_reused_webhook_id() {
    let app = TestApp::start().await;
    create(&app, order("A-1001", json!({}))).await;
    walk(
        &app,
        "A-1001",
        &["confirmed", "prepare-for-delivery", "assembled"],
    )
    .await;
    let at_point = fixture_json("delivery/at-pickup-point.json");
    let delivered = fixture_json("delivery/delivered.json");

    reuse(
        &app,
        "/webhooks/delivery/generic",
        DELIVERY_SECRET,
        &at_point,
        &delivered,
    )
    .await;

    assert_eq!(app.count("SELECT COUNT(*) FROM deliveries"), 1);
    assert_eq!(
        rows(&app, "SELECT delivery_status FROM orders"),
        json!([["at-pickup-point"]])
    );
}

#[tokio::test]
async fn stock_posts_refuse_a_reused_webhook_id() {
    let app = TestApp::start().await;
    let changes = fixture_json("stock/changes.json");
    let back = fixture_json("stock/changes-back.json");

    reuse(&app, "/webhooks/stock", STOCK_SECRET, &changes, &back).await;

    assert_eq!(
        rows(&app, "SELECT sku, available FROM stock_levels ORDER BY sku"),
        json!([["CUP-010", 0]])
    );
}

#[tokio::test]
async fn generic_calls_refuse_a_reused_webhook_id() {
    let app = TestApp::start().await;
    let started = fixture_json("calls/call.started.json");
    let mut other = started.clone();
    other["data"]["call_id"] = json!("another-call");

    reuse(
        &app,
        "/webhooks/calls/generic",
        CALLS_SECRET,
        &started,
        &other,
    )
    .await;

    assert_eq!(
        rows(&app, "SELECT call_id FROM calls"),
        json!([["1795537800.42"]])
    );
}
