//! YooKassa (API v3 HTTP notifications) with the fixtures in `tests/fixtures/yookassa/`:
//! unsigned JSON, authenticated by the `token` in the notification URL and, optionally, by the
//! sender's address.

use super::*;
use crate::support::YOOKASSA_TOKEN;

/// The paid payment (and the hold before it) in the fixtures.
const PAYMENT: &str = "2f5a8c1e-000f-5000-9000-1b3c5d7e9f01";

/// A notification posted to the URL carrying `token`, as YooKassa does.
fn notification_with(token: Option<&str>, body: Vec<u8>) -> http::Request<Bytes> {
    let target = match token {
        Some(token) => url(&format!("yookassa?token={token}")),
        None => url("yookassa"),
    };
    http::Request::post(target)
        .header("content-type", "application/json")
        .body(Bytes::from(body))
        .expect("request")
}

/// A fixture posted with the right token.
fn notification(fixture: &str) -> http::Request<Bytes> {
    notification_with(Some(YOOKASSA_TOKEN), raw(&format!("yookassa/{fixture}")))
}

async fn acknowledged(app: &TestApp, fixture: &str) -> Value {
    let response = post(app, notification(fixture)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    json_of(&response)
}

#[tokio::test]
async fn paid_notification_is_acknowledged_and_the_order_goes_to_assembly() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let answer = acknowledged(&app, "payment.succeeded.json").await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": ORDER, "state": "applied" })
    );
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    email_about(&app, PAID_EMAIL);
    assert_eq!(sms_texts(&app), [PAID_SMS]);
    assert_eq!(
        payments(&app),
        json!([[
            "yookassa",
            PAYMENT,
            "succeeded",
            TOTAL,
            "RUB",
            "applied",
            ORDER
        ]])
    );
    let body = String::from_utf8(raw("yookassa/payment.succeeded.json")).expect("UTF-8");
    assert_eq!(
        kept_as_it_came(&app),
        json!([[
            "payment.succeeded",
            format!("{PAYMENT}:payment.succeeded"),
            body
        ]])
    );
}

#[tokio::test]
async fn a_repeated_notification_is_acknowledged_and_sends_nothing_again() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    acknowledged(&app, "payment.succeeded.json").await;
    let emails = app.sent_emails().len();

    let again = acknowledged(&app, "payment.succeeded.json").await;

    assert_eq!(again, json!({ "received": true, "duplicate": true }));
    assert_eq!(app.sent_emails().len(), emails, "no second email");
    assert_eq!(sms_texts(&app), [PAID_SMS], "one SMS");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
}

#[tokio::test]
async fn a_wrong_or_missing_token_is_refused_and_nothing_is_kept() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let body = || raw("yookassa/payment.succeeded.json");
    let mut wrong = YOOKASSA_TOKEN.to_owned();
    wrong.replace_range(wrong.len() - 1.., "d");

    let answers = [
        post(&app, notification_with(Some(&wrong), body())).await,
        post(&app, notification_with(Some(""), body())).await,
        post(&app, notification_with(None, body())).await,
    ];

    for answer in &answers {
        assert_eq!(answer.status, 401, "{}", answer.text());
        assert_eq!(error_code(answer), "invalid_signature");
    }
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn a_truncated_body_is_refused_as_malformed() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let mut body = raw("yookassa/payment.succeeded.json");
    body.truncate(body.len() / 2);

    let answer = post(&app, notification_with(Some(YOOKASSA_TOKEN), body)).await;

    assert_eq!(answer.status, 400, "{}", answer.text());
    assert_eq!(error_code(&answer), "malformed");
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn a_hold_is_recorded_as_authorised_and_the_capture_pays_the_order() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let hold = acknowledged(&app, "payment.waiting_for_capture.json").await;

    assert_eq!(hold["state"], "applied");
    assert_eq!(
        order_row(&app),
        json!([["awaiting-payment", "not-paid"]]),
        "held, not paid yet"
    );
    assert_eq!(states(&app), json!([["authorised", "applied", ORDER]]));
    assert!(sms_texts(&app).is_empty());

    acknowledged(&app, "payment.succeeded.json").await;

    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    assert_eq!(
        states(&app),
        json!([
            ["authorised", "applied", ORDER],
            ["succeeded", "applied", ORDER]
        ])
    );
    assert_eq!(sms_texts(&app), [PAID_SMS]);
}

#[tokio::test]
async fn a_refund_naming_only_its_payment_finds_the_order() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    acknowledged(&app, "payment.succeeded.json").await;

    let answer = acknowledged(&app, "refund.succeeded.json").await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": ORDER, "state": "applied" })
    );
    assert_eq!(
        order_row(&app),
        json!([["prepare-for-delivery", "refunded"]])
    );
    assert_eq!(
        rows(
            &app,
            "SELECT payment_id, operation_id, status, amount, order_ref, order_id
             FROM payments WHERE status = 'refunded'"
        ),
        json!([[
            PAYMENT,
            "2f5b31d7-0015-5000-a000-1c2d3e4f5a6b",
            "refunded",
            TOTAL,
            null,
            ORDER
        ]])
    );
    assert_eq!(sms_texts(&app), [PAID_SMS], "nothing more sent");
}

#[tokio::test]
async fn a_refund_reported_before_the_success_wins_and_no_payment_message_goes_out() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    acknowledged(&app, "refund.succeeded.json").await;
    let success = acknowledged(&app, "payment.succeeded.json").await;

    assert_eq!(success["state"], "superseded");
    assert_refund_before_payment_won(&app, emails);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks WHERE status = 'open'"),
        0,
        "nothing left for a person to find"
    );
}

#[tokio::test]
async fn a_cancellation_reported_after_the_success_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    acknowledged(&app, "payment.succeeded.json").await;
    let emails = app.sent_emails().len();
    // The declined attempt's notification, as if it were about the paid payment.
    let mut canceled: Value =
        serde_json::from_slice(&raw("yookassa/payment.canceled.json")).expect("fixture JSON");
    canceled["object"]["id"] = json!(PAYMENT);
    let body = serde_json::to_vec(&canceled).expect("json");

    let response = post(&app, notification_with(Some(YOOKASSA_TOKEN), body)).await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(json_of(&response)["state"], "superseded");
    assert_failure_after_payment_changed_nothing(&app, emails);
}

#[tokio::test]
async fn an_abandoned_payment_expiring_after_another_one_paid_changes_nothing() {
    // Issue 12, item 3: the customer abandons pay_1 (the fixture's canceled payment), pays
    // with pay_2, then pay_1 expires.
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    acknowledged(&app, "payment.succeeded.json").await;
    let emails = app.sent_emails().len();

    let answer = acknowledged(&app, "payment.canceled.json").await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": ORDER, "state": "superseded" })
    );
    assert_failure_after_payment_changed_nothing(&app, emails);
    assert_eq!(
        rows(
            &app,
            "SELECT outcome, reason, new_value LIKE '%2f5a8b02-%' FROM order_history
             WHERE field = 'payment' ORDER BY id"
        ),
        json!([["applied", null, 0], ["refused", "already succeeded", 1]]),
        "the failure of the abandoned payment is in the history"
    );
}

#[tokio::test]
async fn a_test_payment_is_kept_and_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let mut body: Value =
        serde_json::from_slice(&raw("yookassa/payment.succeeded.json")).expect("fixture JSON");
    body["object"]["test"] = json!(true);

    let response = post(
        &app,
        notification_with(
            Some(YOOKASSA_TOKEN),
            serde_json::to_vec(&body).expect("json"),
        ),
    )
    .await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        json_of(&response),
        json!({ "received": true, "order_id": ORDER, "state": "test_ignored" })
    );
    assert_test_payment_changed_nothing(&app, "yookassa", emails);
}

#[tokio::test]
async fn a_declined_attempt_moves_the_order_to_payment_error_with_its_reason() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    acknowledged(&app, "payment.canceled.json").await;

    assert_eq!(order_row(&app), json!([["payment-error", "failed"]]));
    assert_eq!(
        rows(&app, "SELECT payment_id, status, reason FROM payments"),
        json!([[
            "2f5a8b02-000f-5000-8000-17a9c4e2d5b3",
            "failed",
            "insufficient_funds (payment_network)"
        ]])
    );
    assert_eq!(
        rows(&app, "SELECT title, assignee, status FROM tasks"),
        json!([[
            "Помочь клиенту оплатить заказ №A-1001",
            "staff:m.ivanova",
            "open"
        ]])
    );
    assert!(sms_texts(&app).is_empty());
}

#[tokio::test]
async fn a_payment_for_an_unknown_order_waits_and_settles_when_the_order_arrives() {
    let app = TestApp::start().await;

    let answer = acknowledged(&app, "payment.succeeded.unknown-order.json").await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": null, "state": "unknown_order" })
    );
    let payment = "2f5a9e44-000f-5000-9000-1f0e2d3c4b5a";
    waits_then_settles_with_its_order(&app, json!(["yookassa", payment, TOTAL, "RUB"])).await;
}

#[tokio::test]
async fn without_its_token_yookassa_is_refused_with_the_variable_to_set() {
    let app = TestApp::start_with(|b| b.variable("yookassa_webhook_token", "")).await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    let response = post(
        &app,
        notification_with(Some(""), raw("yookassa/payment.succeeded.json")),
    )
    .await;

    assert_not_configured(&response, "yookassa_webhook_token");
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn with_an_address_list_only_yookassa_addresses_are_accepted() {
    let app = TestApp::start_with(|b| b.variable("yookassa_allowed_ips", "185.71.76.0/27")).await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    let outsider = post_from(
        &app,
        notification("payment.succeeded.json"),
        "10.0.0.1:1234",
    )
    .await;

    assert_eq!(outsider.status, 403, "{}", outsider.text());
    assert_eq!(error_code(&outsider), "forbidden_source");
    assert_nothing_kept_or_sent(&app, emails);

    let yookassa = post_from(
        &app,
        notification("payment.succeeded.json"),
        "185.71.76.5:40000",
    )
    .await;

    assert_eq!(yookassa.status, 200, "{}", yookassa.text());
    assert_eq!(json_of(&yookassa)["state"], "applied");
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
}
