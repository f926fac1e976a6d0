//! Stripe events with the fixtures in `tests/fixtures/stripe/`, signed here with
//! `Stripe-Signature: t=<now>,v1=<hex HMAC-SHA256 of "{t}.{body}">` (the whole `whsec_…`
//! secret is the key) at the app clock's time: `t` must be within 300 s of it.

use super::*;
use crate::support::STRIPE_SECRET;

/// The paid PaymentIntent in the fixtures.
const INTENT: &str = "pi_3QfLw2KZ8aBcDeFg1mN0pQ4r";

/// The hex `v1` signature of `body` sent at `t`.
fn v1(secret: &str, t: i64, body: &[u8]) -> String {
    hex(&hmac_sha256(
        secret.as_bytes(),
        &[format!("{t}.").as_bytes(), body],
    ))
}

fn request(body: Vec<u8>, signature: Option<String>) -> http::Request<Bytes> {
    let mut builder = http::Request::post(url("stripe")).header("content-type", "application/json");
    if let Some(signature) = signature {
        builder = builder.header("stripe-signature", signature);
    }
    builder.body(Bytes::from(body)).expect("request")
}

fn now(app: &TestApp) -> i64 {
    app.clock.unix_seconds() as i64
}

/// `body` signed at `t` with the endpoint secret.
fn signed_at(t: i64, body: Vec<u8>) -> http::Request<Bytes> {
    let signature = format!("t={t},v1={}", v1(STRIPE_SECRET, t, &body));
    request(body, Some(signature))
}

/// `body` signed now, as Stripe sends it.
fn signed(app: &TestApp, body: Vec<u8>) -> http::Request<Bytes> {
    signed_at(now(app), body)
}

/// A fixture, signed now.
fn event(app: &TestApp, fixture: &str) -> http::Request<Bytes> {
    signed(app, raw(&format!("stripe/{fixture}")))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&raw(&format!("stripe/{name}"))).expect("fixture JSON")
}

/// Posts and returns the JSON acknowledgement.
async fn acknowledged(app: &TestApp, request: http::Request<Bytes>) -> Value {
    let response = post(app, request).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    json_of(&response)
}

#[test]
fn the_tests_signature_is_the_one_in_the_readme() {
    let body = raw("stripe/payment_intent.succeeded.json");

    assert_eq!(
        v1(STRIPE_SECRET, 1_795_515_670, &body),
        "19b9cd09950047d41f0964092d0853d973c7e03dd809a37d3891af560ac684a6"
    );
}

#[tokio::test]
async fn succeeded_payment_intent_is_acknowledged_and_the_order_goes_to_assembly() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let answer = acknowledged(&app, event(&app, "payment_intent.succeeded.json")).await;

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
            "stripe",
            INTENT,
            "succeeded",
            TOTAL,
            "RUB",
            "applied",
            ORDER
        ]])
    );
    let body = String::from_utf8(raw("stripe/payment_intent.succeeded.json")).expect("UTF-8");
    assert_eq!(
        kept_as_it_came(&app),
        json!([[
            "payment_intent.succeeded",
            "evt_3QfLw2KZ8aBcDeFg1x0Ab2Cd",
            body
        ]])
    );
}

#[tokio::test]
async fn a_repeated_event_is_acknowledged_and_sends_nothing_again() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    acknowledged(&app, event(&app, "payment_intent.succeeded.json")).await;
    let emails = app.sent_emails().len();

    let again = acknowledged(&app, event(&app, "payment_intent.succeeded.json")).await;

    assert_eq!(again, json!({ "received": true, "duplicate": true }));
    assert_eq!(app.sent_emails().len(), emails, "no second email");
    assert_eq!(sms_texts(&app), [PAID_SMS], "one SMS");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
}

#[tokio::test]
async fn the_same_event_twice_at_once_is_processed_once() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let (first, second) = tokio::join!(
        app.app
            .request(event(&app, "payment_intent.succeeded.json")),
        app.app
            .request(event(&app, "payment_intent.succeeded.json")),
    );
    app.app.wait_idle().await;

    let answers = [first.expect("first"), second.expect("second")];
    assert!(answers.iter().all(|a| a.status == 200), "both acknowledged");
    let duplicates = answers
        .iter()
        .filter(|a| json_of(a)["duplicate"] == true)
        .count();
    assert_eq!(duplicates, 1, "exactly one of them did the work");
    assert_eq!(sms_texts(&app), [PAID_SMS]);
    email_about(&app, PAID_EMAIL);
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
}

#[tokio::test]
async fn a_wrong_or_missing_signature_is_refused_and_nothing_is_kept() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let body = raw("stripe/payment_intent.succeeded.json");
    let t = now(&app);
    let right = v1(STRIPE_SECRET, t, &body);
    let flipped = if right.ends_with('0') { "1" } else { "0" };
    let one_char = format!("t={t},v1={}{flipped}", &right[..right.len() - 1]);
    let other_secret = format!("t={t},v1={}", v1("whsec_another_secret", t, &body));

    let answers = [
        post(&app, request(body.clone(), Some(one_char))).await,
        post(&app, request(body.clone(), Some(other_secret))).await,
        post(&app, request(body, None)).await,
    ];

    for answer in &answers {
        assert_eq!(answer.status, 401, "{}", answer.text());
        assert_eq!(error_code(answer), "invalid_signature");
    }
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn a_signature_older_or_newer_than_five_minutes_is_refused() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let body = || raw("stripe/payment_intent.succeeded.json");

    let stale = post(&app, signed_at(now(&app) - 301, body())).await;
    let future = post(&app, signed_at(now(&app) + 301, body())).await;

    for answer in [&stale, &future] {
        assert_eq!(answer.status, 401, "{}", answer.text());
        assert_eq!(error_code(answer), "invalid_signature");
    }
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn a_signature_exactly_five_minutes_old_is_still_accepted() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let body = raw("stripe/payment_intent.succeeded.json");

    let answer = acknowledged(&app, signed_at(now(&app) - 300, body)).await;

    assert_eq!(answer["state"], "applied");
}

#[tokio::test]
async fn any_v1_signature_may_match_while_the_secret_is_rolled() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let body = raw("stripe/payment_intent.succeeded.json");
    let t = now(&app);
    let header = format!(
        "t={t},v1={},v1={}",
        v1("whsec_the_old_secret", t, &body),
        v1(STRIPE_SECRET, t, &body)
    );

    let answer = acknowledged(&app, request(body, Some(header))).await;

    assert_eq!(answer["state"], "applied");
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
}

#[tokio::test]
async fn a_truncated_body_is_refused_as_malformed() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let mut body = raw("stripe/payment_intent.succeeded.json");
    body.truncate(body.len() / 2);

    let response = post(&app, signed(&app, body)).await;

    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(error_code(&response), "malformed");
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn the_checkout_session_and_its_payment_intent_are_one_payment() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let session = acknowledged(&app, event(&app, "checkout.session.completed.json")).await;
    let intent = acknowledged(&app, event(&app, "payment_intent.succeeded.json")).await;

    assert_eq!(session["state"], "applied");
    assert_eq!(intent, json!({ "received": true, "duplicate": true }));
    assert_eq!(
        payments(&app),
        json!([[
            "stripe",
            INTENT,
            "succeeded",
            TOTAL,
            "RUB",
            "applied",
            ORDER
        ]])
    );
    assert_eq!(
        kept_as_it_came(&app)[0][0],
        "checkout.session.completed",
        "the first report is the one kept"
    );
    email_about(&app, PAID_EMAIL);
    assert_eq!(sms_texts(&app), [PAID_SMS], "one SMS");
}

#[tokio::test]
async fn the_checkout_session_and_its_payment_intent_at_once_are_one_payment() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let (session, intent) = tokio::join!(
        app.app
            .request(event(&app, "checkout.session.completed.json")),
        app.app
            .request(event(&app, "payment_intent.succeeded.json")),
    );
    app.app.wait_idle().await;

    let answers = [session.expect("session"), intent.expect("intent")];
    assert!(answers.iter().all(|a| a.status == 200), "both acknowledged");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
    assert_eq!(sms_texts(&app), [PAID_SMS], "one SMS");
    email_about(&app, PAID_EMAIL);
}

#[tokio::test]
async fn an_event_type_we_do_not_use_is_acknowledged_and_ignored() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    let answer = acknowledged(&app, event(&app, "customer.created.json")).await;

    assert_eq!(
        answer,
        json!({ "received": true, "ignored": "customer.created" })
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 0, "no payment");
    assert_eq!(order_row(&app), json!([["awaiting-payment", "not-paid"]]));
    assert!(sms_texts(&app).is_empty());
    assert_eq!(app.sent_emails().len(), emails);
}

#[tokio::test]
async fn a_refund_reported_before_the_payment_wins_and_no_payment_message_goes_out() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    let refund = acknowledged(&app, event(&app, "charge.refunded.json")).await;
    let success = acknowledged(&app, event(&app, "payment_intent.succeeded.json")).await;

    assert_eq!(refund["state"], "applied");
    assert_eq!(success["state"], "superseded");
    assert_eq!(order_row(&app), json!([["awaiting-payment", "refunded"]]));
    assert_eq!(
        rows(
            &app,
            "SELECT payment_id, operation_id, status, amount, state FROM payments ORDER BY id"
        ),
        json!([
            [
                INTENT,
                "ch_3QfLw2KZ8aBcDeFg1aB2cD3e:1290000",
                "refunded",
                TOTAL,
                "applied"
            ],
            [INTENT, "", "succeeded", TOTAL, "superseded"]
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
async fn a_failure_reported_after_the_payment_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    acknowledged(&app, event(&app, "payment_intent.succeeded.json")).await;
    let emails = app.sent_emails().len();
    // The earlier attempt's failure, as if it were about the paid PaymentIntent.
    let mut failed = fixture_json("payment_intent.payment_failed.json");
    failed["data"]["object"]["id"] = json!(INTENT);
    let body = serde_json::to_vec(&failed).expect("json");

    let answer = acknowledged(&app, signed(&app, body)).await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": ORDER, "state": "superseded" })
    );
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    assert_eq!(app.count("SELECT COUNT(*) FROM tasks"), 0, "no task");
    assert_eq!(app.sent_emails().len(), emails);
    assert_eq!(sms_texts(&app), [PAID_SMS]);
}

#[tokio::test]
async fn a_payment_for_an_unknown_order_waits_and_settles_when_the_order_arrives() {
    let app = TestApp::start().await;
    // Stripe's fixtures have no unknown-order event: the paid one, for order A-9999.
    let mut paid = fixture_json("payment_intent.succeeded.json");
    paid["data"]["object"]["metadata"]["order_id"] = json!(UNKNOWN_ORDER);
    let body = serde_json::to_vec(&paid).expect("json");

    let answer = acknowledged(&app, signed(&app, body)).await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": null, "state": "unknown_order" })
    );
    waits_then_settles_with_its_order(&app, json!(["stripe", INTENT, TOTAL, "RUB"])).await;
}

#[tokio::test]
async fn without_its_endpoint_secret_stripe_is_refused_with_the_variable_to_set() {
    let app = TestApp::start_with(|b| b.variable("stripe_webhook_secret", "")).await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    let response = post(&app, event(&app, "payment_intent.succeeded.json")).await;

    assert_not_configured(&response, "stripe_webhook_secret");
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn a_test_mode_event_is_kept_and_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let mut body = fixture_json("payment_intent.succeeded.json");
    body["livemode"] = json!(false);
    body["data"]["object"]["livemode"] = json!(false);

    let answer = acknowledged(&app, signed(&app, serde_json::to_vec(&body).expect("json"))).await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": ORDER, "state": "test_ignored" })
    );
    assert_test_payment_changed_nothing(&app, "stripe", emails);
}
