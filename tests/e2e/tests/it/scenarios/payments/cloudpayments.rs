//! CloudPayments with the fixtures in `tests/fixtures/cloudpayments/`: form (or JSON)
//! notifications signed with `Content-HMAC`, one URL per notification type, answered
//! `{"code":0}` (for `Check`, another code refuses the payment).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::*;
use crate::support::CLOUDPAYMENTS_SECRET;

/// The paid transaction in the fixtures.
const PAID: &str = "3093418";
const CODE_0: &str = "{\"code\":0}";

/// `Content-HMAC`: base64 of the body's HMAC-SHA256 keyed with the API secret.
fn content_hmac(secret: &str, body: &[u8]) -> String {
    BASE64.encode(hmac_sha256(secret.as_bytes(), &[body]))
}

/// `body` posted to the URL of notification type `kind`, with `Content-HMAC` when given.
fn request(kind: &str, body: Vec<u8>, hmac: Option<String>, json: bool) -> http::Request<Bytes> {
    let content_type = if json {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    };
    let mut builder = http::Request::post(url(&format!("cloudpayments/{kind}")))
        .header("content-type", content_type);
    if let Some(hmac) = hmac {
        builder = builder.header("content-hmac", hmac);
    }
    builder.body(Bytes::from(body)).expect("request")
}

/// `body` signed with the API secret, as CloudPayments sends it.
fn signed(kind: &str, body: Vec<u8>, json: bool) -> http::Request<Bytes> {
    let hmac = content_hmac(CLOUDPAYMENTS_SECRET, &body);
    request(kind, body, Some(hmac), json)
}

/// A form fixture posted, signed, to the URL of `kind`.
fn notification(kind: &str, fixture: &str) -> http::Request<Bytes> {
    signed(kind, raw(&format!("cloudpayments/{fixture}")), false)
}

/// The paid transaction, kept and applied to A-1001, as [`payments`] shows it.
fn paid_and_applied() -> Value {
    json!([[
        "cloudpayments",
        PAID,
        "succeeded",
        TOTAL,
        "RUB",
        "applied",
        ORDER
    ]])
}

/// Posts and returns CloudPayments' answer, checking it is a 200 JSON one.
async fn answer(app: &TestApp, request: http::Request<Bytes>) -> String {
    let response = post(app, request).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    response.text()
}

#[tokio::test]
async fn a_completed_pay_is_answered_code_0_and_the_order_goes_to_assembly() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let ack = answer(&app, notification("pay", "pay.form")).await;

    assert_eq!(ack, CODE_0);
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    email_about(&app, PAID_EMAIL);
    assert_eq!(sms_texts(&app), [PAID_SMS]);
    assert_eq!(payments(&app), paid_and_applied());
    assert_eq!(
        kept_as_it_came(&app),
        json!([[
            "Pay",
            format!("pay:{PAID}"),
            raw_line("cloudpayments/pay.form")
        ]])
    );
}

#[tokio::test]
async fn the_same_pay_as_json_works_too() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let body = raw("cloudpayments/pay.json");

    let ack = answer(&app, signed("pay", body.clone(), true)).await;

    assert_eq!(ack, CODE_0);
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    assert_eq!(sms_texts(&app), [PAID_SMS]);
    assert_eq!(payments(&app), paid_and_applied());
    assert_eq!(
        kept_as_it_came(&app)[0][2],
        String::from_utf8(body).expect("UTF-8")
    );
}

#[tokio::test]
async fn x_content_hmac_and_the_type_inferred_from_the_fields_work_too() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let body = raw("cloudpayments/pay.form");
    let hmac = content_hmac(CLOUDPAYMENTS_SECRET, &body);
    // Posted to /cloudpayments without the type: Status=Completed makes it a Pay.
    let request = http::Request::post(url("cloudpayments"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-content-hmac", hmac)
        .body(Bytes::from(body))
        .expect("request");

    let ack = answer(&app, request).await;

    assert_eq!(ack, CODE_0);
    assert_eq!(
        rows(&app, "SELECT what, event_id FROM payments"),
        json!([["Pay", format!("pay:{PAID}")]])
    );
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
}

/// `body` posted to `/cloudpayments/pay` with `X-Content-HMAC: hmac`.
fn with_x_content_hmac(body: Vec<u8>, hmac: String) -> http::Request<Bytes> {
    http::Request::post(url("cloudpayments/pay"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-content-hmac", hmac)
        .body(Bytes::from(body))
        .expect("request")
}

#[tokio::test]
async fn x_content_hmac_over_the_decoded_form_is_refused_and_over_the_raw_body_accepted() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let body = raw("cloudpayments/pay.form");
    // Signed over the form as a decoder reads it ('%40' → '@', '+' → ' '), not the bytes sent.
    let decoded = form_urlencoded::parse(&body)
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    assert_ne!(decoded.as_bytes(), body.as_slice());
    let over_decoded = content_hmac(CLOUDPAYMENTS_SECRET, decoded.as_bytes());

    let refused = post(&app, with_x_content_hmac(body.clone(), over_decoded)).await;

    assert_eq!(refused.status, 401, "{}", refused.text());
    assert_eq!(error_code(&refused), "invalid_signature");
    assert_nothing_kept_or_sent(&app, emails);

    let over_raw = content_hmac(CLOUDPAYMENTS_SECRET, &body);
    let ack = answer(&app, with_x_content_hmac(body, over_raw)).await;

    assert_eq!(ack, CODE_0);
    assert_eq!(payments(&app), paid_and_applied());
}

#[tokio::test]
async fn a_test_mode_pay_is_answered_code_0_and_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let body = raw_line("cloudpayments/pay.form").replacen("TestMode=0", "TestMode=1", 1);
    assert!(body.contains("TestMode=1"));

    let ack = answer(&app, signed("pay", body.into_bytes(), false)).await;

    assert_eq!(ack, CODE_0);
    assert_test_payment_changed_nothing(&app, "cloudpayments", emails);
}

#[tokio::test]
async fn a_repeated_pay_form_or_json_is_answered_code_0_and_sends_nothing_again() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    answer(&app, notification("pay", "pay.form")).await;
    let emails = app.sent_emails().len();

    let again = answer(&app, notification("pay", "pay.form")).await;
    let as_json = answer(&app, signed("pay", raw("cloudpayments/pay.json"), true)).await;

    assert_eq!([again, as_json], [CODE_0, CODE_0]);
    assert_eq!(app.sent_emails().len(), emails, "no second email");
    assert_eq!(sms_texts(&app), [PAID_SMS], "one SMS");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
}

#[tokio::test]
async fn a_wrong_or_missing_content_hmac_is_refused_and_nothing_is_kept() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let body = raw("cloudpayments/pay.form");
    let other_secret = content_hmac("another-api-secret", &body);
    // Signed, then one byte changed on the way: 12900.00 → 12900.01.
    let text = raw_line("cloudpayments/pay.form");
    let tampered = text.replacen("Amount=12900.00", "Amount=12900.01", 1);
    let original_hmac = content_hmac(CLOUDPAYMENTS_SECRET, &body);

    let requests = [
        request("pay", body.clone(), Some(other_secret), false),
        request("pay", tampered.into(), Some(original_hmac), false),
        request("pay", body, None, false),
    ];

    let mut answers = Vec::new();
    for request in requests {
        answers.push(post(&app, request).await);
    }

    for answer in &answers {
        assert_eq!(answer.status, 401, "{}", answer.text());
        assert_eq!(error_code(answer), "invalid_signature");
    }
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn a_truncated_json_body_is_refused_as_malformed() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let mut body = raw("cloudpayments/pay.json");
    body.truncate(body.len() / 2);

    let response = post(&app, signed("pay", body, true)).await;

    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(error_code(&response), "malformed");
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn check_says_whether_the_payment_may_go_ahead_and_keeps_no_payment() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    let ours = answer(&app, notification("check", "check.form")).await;
    let unknown = answer(&app, notification("check", "pay.unknown-order.form")).await;
    let other_amount = answer(&app, notification("check", "pay.amount-mismatch.form")).await;

    assert_eq!(ours, CODE_0);
    assert_eq!(unknown, "{\"code\":10}");
    assert_eq!(other_amount, "{\"code\":12}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM payments"),
        0,
        "a check is no payment"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM tasks"), 0);
    assert_eq!(order_row(&app), json!([["awaiting-payment", "not-paid"]]));
    assert!(sms_texts(&app).is_empty());
    assert_eq!(app.sent_emails().len(), emails);
}

#[tokio::test]
async fn check_refuses_a_payment_for_a_cancelled_order() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    move_to(&app, ORDER, "cancelled", None).await;

    let ack = answer(&app, notification("check", "check.form")).await;

    assert_eq!(ack, "{\"code\":13}");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 0);
}

#[tokio::test]
async fn a_check_then_its_pay_pays_the_order() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    answer(&app, notification("check", "check.form")).await;

    let ack = answer(&app, notification("pay", "pay.form")).await;

    assert_eq!(ack, CODE_0);
    assert_eq!(states(&app), json!([["succeeded", "applied", ORDER]]));
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    assert_eq!(sms_texts(&app), [PAID_SMS]);
}

#[tokio::test]
async fn a_repeated_check_gets_its_first_answer_again() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    answer(&app, notification("check", "pay.unknown-order.form")).await;
    answer(&app, notification("check", "pay.amount-mismatch.form")).await;

    let unknown = answer(&app, notification("check", "pay.unknown-order.form")).await;
    let other_amount = answer(&app, notification("check", "pay.amount-mismatch.form")).await;

    assert_eq!(unknown, "{\"code\":10}");
    assert_eq!(other_amount, "{\"code\":12}");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 0);
}

#[tokio::test]
async fn a_two_stage_payment_is_authorised_then_paid_on_confirm() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let hold = answer(&app, notification("pay", "pay.authorized.form")).await;

    assert_eq!(hold, CODE_0);
    assert_eq!(states(&app), json!([["authorised", "applied", ORDER]]));
    assert_eq!(order_row(&app), json!([["awaiting-payment", "not-paid"]]));
    assert!(sms_texts(&app).is_empty());

    let confirm = answer(&app, notification("confirm", "confirm.form")).await;

    assert_eq!(confirm, CODE_0);
    assert_eq!(
        rows(
            &app,
            "SELECT payment_id, status, amount, state FROM payments ORDER BY id"
        ),
        json!([
            ["3093431", "authorised", TOTAL, "applied"],
            ["3093431", "succeeded", TOTAL, "applied"]
        ])
    );
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    assert_eq!(sms_texts(&app), [PAID_SMS]);
}

#[tokio::test]
async fn another_amount_is_held_for_the_manager_and_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, Some("m.ivanova")).await;
    let emails = app.sent_emails().len();

    let ack = answer(&app, notification("pay", "pay.amount-mismatch.form")).await;

    assert_eq!(ack, CODE_0, "kept, so acknowledged");
    assert_eq!(
        rows(
            &app,
            "SELECT payment_id, status, amount, state, order_id FROM payments"
        ),
        json!([["3093450", "succeeded", 100_000, "amount_mismatch", ORDER]])
    );
    assert_eq!(
        task_rows(&app),
        json!([["payments:amount_mismatch", "staff:m.ivanova", "open"]])
    );
    assert_eq!(order_row(&app), json!([["awaiting-payment", "not-paid"]]));
    assert!(sms_texts(&app).is_empty());
    assert_eq!(app.sent_emails().len(), emails);
}

#[tokio::test]
async fn a_refund_reported_before_the_pay_wins_and_no_payment_message_goes_out() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    answer(&app, notification("refund", "refund.form")).await;
    answer(&app, notification("pay", "pay.form")).await;

    assert_eq!(order_row(&app), json!([["awaiting-payment", "refunded"]]));
    assert_eq!(
        rows(
            &app,
            "SELECT payment_id, operation_id, status, amount, currency, state FROM payments ORDER BY id"
        ),
        json!([
            [PAID, "3093425", "refunded", TOTAL, null, "applied"],
            [PAID, "", "succeeded", TOTAL, "RUB", "superseded"]
        ])
    );
    assert!(sms_texts(&app).is_empty(), "no 'payment received' SMS");
    assert_eq!(
        app.sent_emails().len(),
        emails,
        "no 'payment received' email"
    );
}

#[tokio::test]
async fn a_failure_reported_after_the_pay_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    answer(&app, notification("pay", "pay.form")).await;
    let emails = app.sent_emails().len();
    // The declined attempt's notification, as if it were about the paid transaction.
    let fail = raw_line("cloudpayments/fail.form").replacen(
        "TransactionId=3093410",
        &format!("TransactionId={PAID}"),
        1,
    );

    let ack = answer(&app, signed("fail", fail.into(), false)).await;

    assert_eq!(ack, CODE_0);
    assert_failure_after_payment_changed_nothing(&app, emails);
}

#[tokio::test]
async fn a_pay_for_an_unknown_order_waits_and_settles_when_the_order_arrives() {
    let app = TestApp::start().await;

    let ack = answer(&app, notification("pay", "pay.unknown-order.form")).await;

    assert_eq!(ack, CODE_0);
    waits_then_settles_with_its_order(&app, json!(["cloudpayments", "3093440", TOTAL, "RUB"]))
        .await;
}

#[tokio::test]
async fn without_its_api_secret_cloudpayments_is_refused_with_the_variable_to_set() {
    let app = TestApp::start_with(|b| b.variable("cloudpayments_api_secret", "")).await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    let response = post(&app, notification("pay", "pay.form")).await;

    assert_not_configured(&response, "cloudpayments_api_secret");
    assert_nothing_kept_or_sent(&app, emails);
}
