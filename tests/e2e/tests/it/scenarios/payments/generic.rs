//! Our generic format with the fixtures in `tests/fixtures/generic/`, signed with Standard
//! Webhooks as an acquirer's bridge would (the flows themselves are in `flows.rs`).

use super::*;

/// The paid payment in the fixtures.
const PAYMENT: &str = "pay_8f2c41d07b";

fn fixture_body(name: &str) -> Vec<u8> {
    raw(&format!("generic/{name}"))
}

#[tokio::test]
async fn the_succeeded_fixture_pays_the_order_and_is_kept_as_it_came() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let answer = post_generic(&app, "gen-f1", &fixture_body("payment.succeeded.json")).await;

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
            "generic",
            PAYMENT,
            "succeeded",
            TOTAL,
            "RUB",
            "applied",
            ORDER
        ]])
    );
    let body = String::from_utf8(fixture_body("payment.succeeded.json")).expect("UTF-8");
    assert_eq!(
        kept_as_it_came(&app),
        json!([["payment.succeeded", "gen-f1", body]])
    );
}

#[tokio::test]
async fn the_succeeded_fixture_delivered_again_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let body = fixture_body("payment.succeeded.json");
    post_generic(&app, "gen-f1", &body).await;
    let emails = app.sent_emails().len();

    let again = post_generic(&app, "gen-f1", &body).await;

    assert_eq!(again, json!({ "received": true, "duplicate": true }));
    assert_eq!(app.sent_emails().len(), emails, "no second email");
    assert_eq!(sms_texts(&app), [PAID_SMS], "one SMS");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
}

#[tokio::test]
async fn a_failed_attempt_keeps_its_reason_and_the_next_payment_still_pays() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    post_generic(&app, "gen-f0", &fixture_body("payment.failed.json")).await;

    assert_eq!(order_row(&app), json!([["payment-error", "failed"]]));
    assert_eq!(
        rows(&app, "SELECT payment_id, status, reason FROM payments"),
        json!([["pay_8f2c3e9a55", "failed", "insufficient funds"]])
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

    post_generic(&app, "gen-f1", &fixture_body("payment.succeeded.json")).await;

    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    assert_eq!(sms_texts(&app), [PAID_SMS]);
    assert_eq!(
        rows(
            &app,
            "SELECT outcome, reason, event_id FROM order_history
             WHERE field = 'payment' ORDER BY id"
        ),
        json!([
            ["applied", "insufficient funds", "gen-f0"],
            ["applied", null, "gen-f1"]
        ]),
        "the failure and its reason are in the history"
    );
}

#[tokio::test]
async fn the_refund_fixture_marks_the_paid_order_refunded() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    post_generic(&app, "gen-f1", &fixture_body("payment.succeeded.json")).await;
    let emails = app.sent_emails().len();

    let answer = post_generic(&app, "gen-f2", &fixture_body("payment.refunded.json")).await;

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
            "SELECT payment_id, operation_id, status, amount, state FROM payments ORDER BY id"
        ),
        json!([
            [PAYMENT, "", "succeeded", TOTAL, "applied"],
            [PAYMENT, "rf_1c77e2a940", "refunded", TOTAL, "applied"]
        ])
    );
    assert_eq!(app.sent_emails().len(), emails, "no email about a refund");
    assert_eq!(sms_texts(&app), [PAID_SMS], "no SMS about a refund");
}
