//! T-Bank (T-Kassa) `NotificationPayment` with the fixtures in `tests/fixtures/tbank/`: flat
//! JSON carrying its own `Token` (SHA-256 of the sorted root values with the terminal
//! password), answered with the body `OK`.

use sha2::{Digest, Sha256};

use super::*;
use crate::support::TBANK_PASSWORD;

/// The paid payment in the fixtures.
const PAYMENT: &str = "7104932801";

/// `Token`, computed as the README's Python does: root scalars but `Token`, plus `Password`,
/// sorted by key, values concatenated, SHA-256 hex.
fn token(body: &Value, password: &str) -> String {
    let mut pairs: Vec<(String, String)> = body
        .as_object()
        .expect("a JSON object")
        .iter()
        .filter(|(key, _)| key.as_str() != "Token")
        .filter_map(|(key, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((key.clone(), text))
        })
        .collect();
    pairs.push(("Password".to_owned(), password.to_owned()));
    pairs.sort();
    let joined: String = pairs.into_iter().map(|(_, value)| value).collect();
    hex(&Sha256::digest(joined.as_bytes()))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&raw(&format!("tbank/{name}"))).expect("fixture JSON")
}

/// `body` with its `Token` recomputed with `password`.
fn resigned(mut body: Value, password: &str) -> Vec<u8> {
    body["Token"] = json!(token(&body, password));
    serde_json::to_vec(&body).expect("json")
}

fn request(body: Vec<u8>) -> http::Request<Bytes> {
    http::Request::post(url("tbank"))
        .header("content-type", "application/json")
        .body(Bytes::from(body))
        .expect("request")
}

/// A fixture posted exactly as stored, with its own `Token`.
fn notification(name: &str) -> http::Request<Bytes> {
    request(raw(&format!("tbank/{name}")))
}

/// Posts and checks T-Bank's acknowledgement: `OK` as text.
async fn acknowledged(app: &TestApp, request: http::Request<Bytes>) {
    let response = post(app, request).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.text(), "OK");
    assert_eq!(response.header("content-type"), Some("text/plain"));
}

#[test]
fn the_tests_token_is_the_one_in_the_fixtures() {
    for name in ["confirmed.json", "rejected.json", "new.json"] {
        let body = fixture_json(name);
        assert_eq!(token(&body, TBANK_PASSWORD), body["Token"], "{name}");
    }
}

#[tokio::test]
async fn confirmed_payment_is_acknowledged_ok_and_the_order_goes_to_assembly() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    acknowledged(&app, notification("confirmed.json")).await;

    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    email_about(&app, PAID_EMAIL);
    assert_eq!(sms_texts(&app), [PAID_SMS]);
    // T-Bank sends no currency: the terminal's, taken as the order's.
    assert_eq!(
        payments(&app),
        json!([["tbank", PAYMENT, "succeeded", TOTAL, null, "applied", ORDER]])
    );
    let body = String::from_utf8(raw("tbank/confirmed.json")).expect("UTF-8");
    assert_eq!(
        kept_as_it_came(&app),
        json!([["CONFIRMED", format!("{PAYMENT}:CONFIRMED"), body]])
    );
}

#[tokio::test]
async fn a_repeated_notification_is_acknowledged_and_sends_nothing_again() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    acknowledged(&app, notification("confirmed.json")).await;
    let emails = app.sent_emails().len();

    acknowledged(&app, notification("confirmed.json")).await;

    assert_eq!(app.sent_emails().len(), emails, "no second email");
    assert_eq!(sms_texts(&app), [PAID_SMS], "one SMS");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
}

#[tokio::test]
async fn the_same_notification_twice_at_once_is_processed_once() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let (first, second) = tokio::join!(
        app.app.request(notification("confirmed.json")),
        app.app.request(notification("confirmed.json")),
    );
    app.app.wait_idle().await;

    for answer in [first.expect("first"), second.expect("second")] {
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(answer.text(), "OK");
    }
    assert_eq!(sms_texts(&app), [PAID_SMS]);
    email_about(&app, PAID_EMAIL);
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
}

#[tokio::test]
async fn a_wrong_or_missing_token_is_refused_and_nothing_is_kept() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let confirmed = fixture_json("confirmed.json");
    let mut one_char = confirmed.clone();
    let given = confirmed["Token"].as_str().expect("Token").to_owned();
    let flipped = if given.ends_with('0') { "1" } else { "0" };
    one_char["Token"] = json!(format!("{}{flipped}", &given[..given.len() - 1]));
    let mut other_amount = confirmed.clone();
    other_amount["Amount"] = json!(1_000);
    let mut missing = confirmed.clone();
    missing.as_object_mut().expect("object").remove("Token");

    let answers = [
        post(&app, request(serde_json::to_vec(&one_char).expect("json"))).await,
        post(
            &app,
            request(serde_json::to_vec(&other_amount).expect("json")),
        )
        .await,
        post(&app, request(resigned(confirmed, "another-password"))).await,
        post(&app, request(serde_json::to_vec(&missing).expect("json"))).await,
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
    let mut body = raw("tbank/confirmed.json");
    body.truncate(body.len() / 2);

    let response = post(&app, request(body)).await;

    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(error_code(&response), "malformed");
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn an_intermediate_status_is_acknowledged_and_ignored() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    acknowledged(&app, notification("new.json")).await;

    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 0, "no payment");
    assert_eq!(order_row(&app), json!([["awaiting-payment", "not-paid"]]));
    assert!(sms_texts(&app).is_empty());
    assert_eq!(app.sent_emails().len(), emails);
}

#[tokio::test]
async fn authorised_then_confirmed_pays_the_order_with_one_sms() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    acknowledged(&app, notification("authorized.json")).await;

    assert_eq!(states(&app), json!([["authorised", "applied", ORDER]]));
    assert_eq!(order_row(&app), json!([["awaiting-payment", "not-paid"]]));
    assert!(sms_texts(&app).is_empty());

    acknowledged(&app, notification("confirmed.json")).await;

    assert_eq!(
        states(&app),
        json!([
            ["authorised", "applied", ORDER],
            ["succeeded", "applied", ORDER]
        ])
    );
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    assert_eq!(sms_texts(&app), [PAID_SMS]);
}

#[tokio::test]
async fn a_refund_reported_before_the_confirmation_wins_and_no_payment_message_goes_out() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    acknowledged(&app, notification("refunded.json")).await;
    acknowledged(&app, notification("confirmed.json")).await;

    assert_refund_before_payment_won(&app, emails);
}

#[tokio::test]
async fn a_rejection_reported_after_the_confirmation_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    acknowledged(&app, notification("confirmed.json")).await;
    let emails = app.sent_emails().len();
    // The declined attempt's notification, as if it were about the paid payment.
    let mut rejected = fixture_json("rejected.json");
    rejected["PaymentId"] = json!(PAYMENT.parse::<i64>().expect("number"));

    acknowledged(&app, request(resigned(rejected, TBANK_PASSWORD))).await;

    assert_failure_after_payment_changed_nothing(&app, emails);
}

#[tokio::test]
async fn two_partial_refunds_are_both_kept_and_a_repeated_one_once() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    acknowledged(&app, notification("confirmed.json")).await;
    let partial = |amount: i64| {
        let mut body = fixture_json("refunded.json");
        body["Status"] = json!("PARTIAL_REFUNDED");
        body["Amount"] = json!(amount);
        request(resigned(body, TBANK_PASSWORD))
    };

    acknowledged(&app, partial(300_000)).await;
    acknowledged(&app, partial(300_000)).await;
    acknowledged(&app, partial(200_000)).await;

    assert_two_partial_refunds_kept(
        &app,
        &format!("{PAYMENT}:CONFIRMED"),
        &format!("{PAYMENT}:PARTIAL_REFUNDED:300000"),
        &format!("{PAYMENT}:PARTIAL_REFUNDED:200000"),
    );
}

#[tokio::test]
async fn a_payment_for_an_unknown_order_waits_and_settles_when_the_order_arrives() {
    let app = TestApp::start().await;

    acknowledged(&app, notification("confirmed.unknown-order.json")).await;

    waits_then_settles_with_its_order(&app, json!(["tbank", "7104932900", TOTAL, null])).await;
}

#[tokio::test]
async fn without_its_password_tbank_is_refused_with_the_variable_to_set() {
    let app = TestApp::start_with(|b| b.variable("tbank_password", "")).await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    let response = post(&app, notification("confirmed.json")).await;

    assert_not_configured(&response, "tbank_password");
    assert_nothing_kept_or_sent(&app, emails);
}
