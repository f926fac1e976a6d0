//! Payment acquirers' webhooks at `/webhooks/payments/{provider}` (issue 5): each provider in
//! its own format, fixtures from `tests/fixtures/<provider>/`, through the default triggers
//! (V2, C7, O5, refunds) — and what happens to payments that do not fit: unknown orders,
//! other amounts, late or repeated reports.

use std::net::SocketAddr;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::*;
use crate::support::{signature_with, workspace_root, PAYMENTS_SECRET};
use orderpath_harness::HarnessResponse;

mod cloudpayments;
mod flows;
mod generic;
mod sber;
mod stripe;
mod tbank;
mod yookassa;

/// Our order in the fixtures: 12 900,00 ₽.
const ORDER: &str = "A-1001";
const TOTAL: i64 = 1_290_000;
const PAID_SMS: &str = "Оплата заказа A-1001 получена. Спасибо!";
const PAID_EMAIL: &str = "Оплата заказа №A-1001 получена";

/// A fixture's bytes, exactly as stored.
fn raw(path: &str) -> Vec<u8> {
    let file = workspace_root().join("tests/fixtures").join(path);
    std::fs::read(&file).unwrap_or_else(|e| panic!("fixture {}: {e}", file.display()))
}

/// A fixture as text with its trailing newline removed (query strings, form bodies).
fn raw_line(path: &str) -> String {
    String::from_utf8(raw(path))
        .expect("UTF-8 fixture")
        .trim_end()
        .to_owned()
}

fn url(rest: &str) -> String {
    format!("http://orders.shop.example/webhooks/payments/{rest}")
}

/// Order A-1001 of Анна, created and moved to `awaiting-payment` (V2's starting point).
async fn order_awaiting_payment(app: &TestApp, manager: Option<&str>) {
    create(
        app,
        order(ORDER, json!({ "total": TOTAL, "manager": manager })),
    )
    .await;
    walk(app, ORDER, &["confirmed", "awaiting-payment"]).await;
}

/// Sends and returns the answer, waiting for the component's follow-up work.
async fn post(app: &TestApp, request: http::Request<Bytes>) -> HarnessResponse {
    app.send(request).await
}

/// Sends from a given client address (`spin-client-addr`).
async fn post_from(app: &TestApp, request: http::Request<Bytes>, from: &str) -> HarnessResponse {
    let addr: SocketAddr = from.parse().expect("socket address");
    let response = app.app.request_from(request, addr).await.expect("request");
    app.app.wait_idle().await;
    response
}

/// Kept payments: source, payment id, status, amount, currency, state, order.
fn payments(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT source, payment_id, status, amount, currency, state, order_id
         FROM payments ORDER BY id",
    )
}

fn order_row(app: &TestApp) -> Value {
    rows(
        app,
        &format!("SELECT status, payment_status FROM orders WHERE id = '{ORDER}'"),
    )
}

fn sms_texts(app: &TestApp) -> Vec<String> {
    app.query("SELECT body_text FROM outbox WHERE channel = 'sms' ORDER BY id")
        .into_iter()
        .map(|row| row[0].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("key");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Our generic format, signed with Standard Webhooks as an acquirer's bridge would.
fn generic_request(app: &TestApp, webhook_id: &str, body: &[u8]) -> http::Request<Bytes> {
    let ts = app.clock.unix_seconds() as i64;
    http::Request::post(url("generic"))
        .header("content-type", "application/json")
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", ts.to_string())
        .header(
            "webhook-signature",
            signature_with(PAYMENTS_SECRET, webhook_id, ts, body),
        )
        .body(Bytes::copy_from_slice(body))
        .expect("request")
}

/// A generic notification about order A-1001's payment `payment_id`.
fn generic(kind: &str, payment_id: &str, amount: i64) -> Vec<u8> {
    serde_json::to_vec(&json!({ "type": kind, "data": {
        "order_id": ORDER, "payment_id": payment_id, "amount": amount, "currency": "RUB" } }))
    .expect("json")
}

/// Posts a generic notification and expects it acknowledged.
async fn post_generic(app: &TestApp, webhook_id: &str, body: &[u8]) -> Value {
    let response = post(app, generic_request(app, webhook_id, body)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    json_of(&response)
}

// ── Shared by the per-provider files ────────────────────────────────────────────────────

/// The order the `*unknown-order*` fixtures name, which the tests create only later.
const UNKNOWN_ORDER: &str = "A-9999";
const UNKNOWN_ORDER_PAID_SMS: &str = "Оплата заказа A-9999 получена. Спасибо!";

/// The error code of a refusal (`{"error": {"code": ...}}`).
fn error_code(response: &HarnessResponse) -> Value {
    json_of(response)["error"]["code"].clone()
}

/// Kept payments' outcome, state and order, in order (the short form of [`payments`]).
fn states(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT status, state, order_id FROM payments ORDER BY id",
    )
}

/// How each payment was kept: the provider's name for it, its key and the raw notification.
fn kept_as_it_came(app: &TestApp) -> Value {
    rows(app, "SELECT what, event_id, raw FROM payments ORDER BY id")
}

/// Tasks: reason, assignee, status.
fn task_rows(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT reason, assignee, status FROM tasks ORDER BY id",
    )
}

/// A payment for A-9999 (not here yet) waits with an open task for the managers; nothing sent.
fn assert_waits_with_a_task_to_find_its_order(app: &TestApp) {
    assert_eq!(
        rows(app, "SELECT order_ref, order_id, state FROM payments"),
        json!([[UNKNOWN_ORDER, null, "unknown_order"]])
    );
    assert_eq!(
        task_rows(app),
        json!([["payments:unknown_order", "role:manager", "open"]])
    );
    assert!(sms_texts(app).is_empty());
}

/// A paid order then refunded in two parts (`first`, `second`: the refunds' keys), a repeat of
/// the first among them: the payment and both refunds kept once each, applied, both refunds in
/// the history, no message about them.
fn assert_two_partial_refunds_kept(app: &TestApp, paid: &str, first: &str, second: &str) {
    assert_eq!(
        rows(
            app,
            "SELECT status, amount, state, event_id FROM payments ORDER BY id"
        ),
        json!([
            ["succeeded", TOTAL, "applied", paid],
            ["refunded", 300_000, "applied", first],
            ["refunded", 200_000, "applied", second]
        ])
    );
    assert_eq!(
        order_row(app),
        json!([["prepare-for-delivery", "refunded"]])
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM order_history
             WHERE order_id = '{ORDER}' AND field = 'payment' AND new_value LIKE '%refunded%'"
        )),
        2,
        "each refund once in the history"
    );
    assert_eq!(sms_texts(app), [PAID_SMS], "refunds send nothing");
}

/// A payment for A-9999 (`payment`: its source, id, amount and currency as stored) waits with a
/// task, then settles once the order arrives.
async fn waits_then_settles_with_its_order(app: &TestApp, payment: Value) {
    assert_eq!(
        rows(
            app,
            "SELECT source, payment_id, amount, currency FROM payments"
        ),
        json!([payment])
    );
    assert_waits_with_a_task_to_find_its_order(app);

    create(app, order(UNKNOWN_ORDER, json!({ "total": TOTAL }))).await;

    assert_settled_with_its_order(app);
}

/// A failure reported after the payment changed nothing: kept as superseded, the order still
/// paid, no task, no email since `emails`, only the one payment SMS.
fn assert_failure_after_payment_changed_nothing(app: &TestApp, emails: usize) {
    assert_eq!(
        states(app),
        json!([
            ["succeeded", "applied", ORDER],
            ["failed", "superseded", ORDER]
        ])
    );
    assert_eq!(order_row(app), json!([["prepare-for-delivery", "paid"]]));
    assert_eq!(app.count("SELECT COUNT(*) FROM tasks"), 0, "no task");
    assert_eq!(app.sent_emails().len(), emails);
    assert_eq!(sms_texts(app), [PAID_SMS]);
}

/// A test payment (from `source`) was kept as `test_ignored` and changed nothing: order
/// A-1001 still awaits its money, no task, no SMS, no email since `emails`, no history.
fn assert_test_payment_changed_nothing(app: &TestApp, source: &str, emails: usize) {
    assert_eq!(
        rows(app, "SELECT source, status, state, test FROM payments"),
        json!([[source, "succeeded", "test_ignored", 1]])
    );
    assert_eq!(order_row(app), json!([["awaiting-payment", "not-paid"]]));
    assert_eq!(app.count("SELECT COUNT(*) FROM tasks"), 0, "no task");
    assert!(sms_texts(app).is_empty(), "no SMS");
    assert_eq!(app.sent_emails().len(), emails, "no email");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE template LIKE 'payment%'"),
        0,
        "no payment message queued"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_history WHERE field = 'payment'"),
        0,
        "the order is untouched"
    );
}

/// A refund reported before its payment won: the payment kept as superseded, the order
/// refunded and still awaiting payment, no payment SMS or email since `emails`.
fn assert_refund_before_payment_won(app: &TestApp, emails: usize) {
    assert_eq!(order_row(app), json!([["awaiting-payment", "refunded"]]));
    assert_eq!(
        states(app),
        json!([
            ["refunded", "applied", ORDER],
            ["succeeded", "superseded", ORDER]
        ])
    );
    assert!(sms_texts(app).is_empty(), "no 'payment received' SMS");
    assert_eq!(
        app.sent_emails().len(),
        emails,
        "no 'payment received' email"
    );
}

/// Once order A-9999 arrived, its waiting payment was settled like a fresh one: applied, the
/// task closed, C7's prepayment SMS sent.
fn assert_settled_with_its_order(app: &TestApp) {
    assert_eq!(
        states(app),
        json!([["succeeded", "applied", UNKNOWN_ORDER]])
    );
    assert_eq!(
        task_rows(app),
        json!([["payments:unknown_order", "role:manager", "done"]])
    );
    assert_eq!(sms_texts(app), [UNKNOWN_ORDER_PAID_SMS], "C7");
}

/// A refused notification left no trace: no payment, no claimed key, no message, and order
/// A-1001 still waits for its money. `emails` is how many had gone out before.
fn assert_nothing_kept_or_sent(app: &TestApp, emails: usize) {
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 0, "no payment");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbound_events WHERE source LIKE 'payments:%'"),
        0,
        "no key claimed"
    );
    assert!(sms_texts(app).is_empty(), "no SMS");
    assert_eq!(app.sent_emails().len(), emails, "no email");
    assert_eq!(order_row(app), json!([["awaiting-payment", "not-paid"]]));
}

/// A provider refused for its empty secret: 503, retried in an hour; the answer does not
/// tell the caller which variable is unset (the component's log does).
fn assert_not_configured(response: &HarnessResponse, variable: &str) {
    assert_eq!(response.status, 503, "{}", response.text());
    assert_eq!(error_code(response), "provider_not_configured");
    assert!(!response.text().contains(variable), "{}", response.text());
    assert_eq!(response.header("retry-after"), Some("3600"));
}
