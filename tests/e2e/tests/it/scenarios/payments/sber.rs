//! Sber acquiring callbacks with the fixtures in `tests/fixtures/sber/`: a GET with the query
//! (the gateway's default) or the same text as a POST form, carrying its own `checksum`
//! (HMAC-SHA256 of the sorted `name;value;` pairs, upper-case hex).

use super::*;
use crate::support::SBER_KEY;

/// The gateway's id of the paid order (`mdOrder`) in the fixtures.
const MD_ORDER: &str = "7a3f9c2e-5b1d-7e4a-9c8f-2d6b1e0a4f37";

/// `checksum` of the parameters, as the README's Python computes it.
fn checksum(params: &[(String, String)], key: &str) -> String {
    let mut signed: Vec<&(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "checksum" && name != "sign_alias")
        .collect();
    signed.sort();
    let text: String = signed
        .iter()
        .map(|(name, value)| format!("{name};{value};"))
        .collect();
    hex(&hmac_sha256(key.as_bytes(), &[text.as_bytes()])).to_uppercase()
}

fn params(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// `query` with `changes` applied (a value of `None` removes the parameter) and its
/// `checksum` recomputed with `key`.
fn resigned(query: &str, changes: &[(&str, Option<&str>)], key: &str) -> String {
    let mut params = params(query);
    for (name, value) in changes {
        params.retain(|(k, _)| k != name);
        if let Some(value) = value {
            params.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    params.retain(|(k, _)| k != "checksum");
    let sum = checksum(&params, key);
    params.push(("checksum".to_owned(), sum));
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

fn query(fixture: &str) -> String {
    raw_line(&format!("sber/{fixture}"))
}

/// The callback as the gateway sends it by default: a GET without a body.
fn get(query: &str) -> http::Request<Bytes> {
    http::Request::get(url(&format!("sber?{query}")))
        .body(Bytes::new())
        .expect("request")
}

/// The same text as a POST form body.
fn post_form(query: &str) -> http::Request<Bytes> {
    http::Request::post(url("sber"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from(query.to_owned()))
        .expect("request")
}

/// Sends and returns the JSON acknowledgement.
async fn acknowledged(app: &TestApp, request: http::Request<Bytes>) -> Value {
    let response = post(app, request).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    json_of(&response)
}

#[test]
fn the_tests_checksum_is_the_one_in_the_fixtures() {
    for fixture in ["approved.query", "deposited.query", "declined.query"] {
        let given = params(&query(fixture));
        let sum = given
            .iter()
            .find(|(k, _)| k == "checksum")
            .expect("checksum");
        assert_eq!(checksum(&given, SBER_KEY), sum.1, "{fixture}");
    }
}

#[tokio::test]
async fn deposited_callback_is_acknowledged_and_the_order_goes_to_assembly() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let answer = acknowledged(&app, get(&query("deposited.query"))).await;

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
            "sber",
            MD_ORDER,
            "succeeded",
            TOTAL,
            "RUB",
            "applied",
            ORDER
        ]])
    );
    assert_eq!(
        kept_as_it_came(&app),
        json!([[
            "deposited",
            format!("{MD_ORDER}:deposited:1"),
            query("deposited.query")
        ]])
    );
}

#[tokio::test]
async fn the_same_callback_as_a_post_form_works_too() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let answer = acknowledged(&app, post_form(&query("deposited.query"))).await;

    assert_eq!(answer["state"], "applied");
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    assert_eq!(sms_texts(&app), [PAID_SMS]);
    assert_eq!(
        payments(&app),
        json!([[
            "sber",
            MD_ORDER,
            "succeeded",
            TOTAL,
            "RUB",
            "applied",
            ORDER
        ]])
    );
    assert_eq!(kept_as_it_came(&app)[0][2], query("deposited.query"));
}

#[tokio::test]
async fn a_lower_case_checksum_is_accepted_too() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let deposited = query("deposited.query");
    let sum = params(&deposited)
        .into_iter()
        .find(|(k, _)| k == "checksum")
        .expect("checksum")
        .1;
    let lower = deposited.replacen(&sum, &sum.to_lowercase(), 1);

    let answer = acknowledged(&app, get(&lower)).await;

    assert_eq!(answer["state"], "applied");
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
}

#[tokio::test]
async fn a_repeated_callback_get_or_post_is_acknowledged_and_sends_nothing_again() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    acknowledged(&app, get(&query("deposited.query"))).await;
    let emails = app.sent_emails().len();

    let again = acknowledged(&app, get(&query("deposited.query"))).await;
    let as_form = acknowledged(&app, post_form(&query("deposited.query"))).await;

    let duplicate = json!({ "received": true, "duplicate": true });
    assert_eq!([again, as_form], [duplicate.clone(), duplicate]);
    assert_eq!(app.sent_emails().len(), emails, "no second email");
    assert_eq!(sms_texts(&app), [PAID_SMS], "one SMS");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
}

#[tokio::test]
async fn a_wrong_or_missing_checksum_is_refused_and_nothing_is_kept() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let deposited = query("deposited.query");
    let one_char = deposited.replacen("checksum=2", "checksum=3", 1);
    let other_amount = deposited.replacen("amount=1290000", "amount=1290001", 1);
    let other_key = resigned(&deposited, &[], "another-callback-key");
    let missing = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            params(&deposited)
                .into_iter()
                .filter(|(k, _)| k != "checksum"),
        )
        .finish();

    let answers = [
        post(&app, get(&one_char)).await,
        post(&app, get(&other_amount)).await,
        post(&app, get(&other_key)).await,
        post(&app, get(&missing)).await,
        post(&app, post_form(&other_key)).await,
    ];

    for answer in &answers {
        assert_eq!(answer.status, 401, "{}", answer.text());
        assert_eq!(error_code(answer), "invalid_signature");
    }
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn a_signed_callback_missing_or_misstating_a_field_is_refused_naming_it() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let deposited = query("deposited.query");
    let no_md_order = resigned(&deposited, &[("mdOrder", None)], SBER_KEY);
    let odd_status = resigned(&deposited, &[("status", Some("7"))], SBER_KEY);

    let answers = [
        post(&app, get(&no_md_order)).await,
        post(&app, post_form(&odd_status)).await,
    ];

    for (answer, field) in answers.iter().zip(["mdOrder", "status"]) {
        assert_eq!(answer.status, 422, "{}", answer.text());
        assert_eq!(error_code(answer), "invalid_event");
        assert!(answer.text().contains(field), "{}", answer.text());
    }
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn a_declined_payment_moves_to_payment_error_with_a_task_for_the_manager() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, Some("m.ivanova")).await;
    let emails = app.sent_emails().len();

    let answer = acknowledged(&app, get(&query("declined.query"))).await;

    assert_eq!(answer["state"], "applied");
    assert_eq!(order_row(&app), json!([["payment-error", "failed"]]));
    assert_eq!(
        rows(&app, "SELECT status, reason, state FROM payments"),
        json!([["failed", "payment declined", "applied"]])
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
    assert_eq!(app.sent_emails().len(), emails, "no email about a failure");
}

#[tokio::test]
async fn approved_then_deposited_pays_the_order_with_one_sms() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    acknowledged(&app, get(&query("approved.query"))).await;

    assert_eq!(states(&app), json!([["authorised", "applied", ORDER]]));
    assert_eq!(order_row(&app), json!([["awaiting-payment", "not-paid"]]));
    assert!(sms_texts(&app).is_empty());

    acknowledged(&app, get(&query("deposited.query"))).await;

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
async fn a_refund_reported_before_the_deposit_wins_and_no_payment_message_goes_out() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    let refund = acknowledged(&app, get(&query("refunded.query"))).await;
    let deposit = acknowledged(&app, get(&query("deposited.query"))).await;

    assert_eq!(refund["state"], "applied");
    assert_eq!(deposit["state"], "superseded");
    assert_refund_before_payment_won(&app, emails);
}

#[tokio::test]
async fn two_partial_refunds_are_both_kept_and_a_repeated_one_once() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    acknowledged(&app, get(&query("deposited.query"))).await;
    let partial = |amount: &str| {
        get(&resigned(
            &query("refunded.query"),
            &[("amount", Some(amount))],
            SBER_KEY,
        ))
    };

    acknowledged(&app, partial("300000")).await;
    acknowledged(&app, partial("300000")).await;
    acknowledged(&app, partial("200000")).await;

    assert_two_partial_refunds_kept(
        &app,
        &format!("{MD_ORDER}:deposited:1"),
        &format!("{MD_ORDER}:refunded:1:300000"),
        &format!("{MD_ORDER}:refunded:1:200000"),
    );
}

#[tokio::test]
async fn a_decline_reported_after_the_deposit_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    acknowledged(&app, get(&query("deposited.query"))).await;
    let emails = app.sent_emails().len();

    // The same mdOrder as the deposit: a late report of a declined attempt.
    let answer = acknowledged(&app, get(&query("declined.query"))).await;

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
async fn a_deposit_for_an_unknown_order_waits_and_settles_when_the_order_arrives() {
    let app = TestApp::start().await;

    let answer = acknowledged(&app, get(&query("deposited.unknown-order.query"))).await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": null, "state": "unknown_order" })
    );
    let md_order = "0c5e81b4-2f6a-7d3c-8e1b-9a4f2c7d6e05";
    waits_then_settles_with_its_order(&app, json!(["sber", md_order, TOTAL, "RUB"])).await;
}

#[tokio::test]
async fn without_its_callback_key_sber_is_refused_with_the_variable_to_set() {
    let app = TestApp::start_with(|b| b.variable("sber_callback_key", "")).await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    let response = post(&app, get(&query("deposited.query"))).await;

    assert_not_configured(&response, "sber_callback_key");
    assert_nothing_kept_or_sent(&app, emails);
}

#[tokio::test]
async fn a_deposit_without_an_amount_is_held_for_the_manager_to_check_in_sbers_cabinet() {
    // Issue 12, item 8b: callbacks configured without `amount` say nothing of how much arrived.
    let app = TestApp::start().await;
    order_awaiting_payment(&app, Some("m.ivanova")).await;
    let emails = app.sent_emails().len();
    let without_amount = resigned(
        &query("deposited.query"),
        &[("amount", None), ("currency", None)],
        SBER_KEY,
    );

    let answer = acknowledged(&app, get(&without_amount)).await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": ORDER, "state": "amount_unknown" })
    );
    assert_eq!(
        rows(&app, "SELECT source, status, amount, state FROM payments"),
        json!([["sber", "succeeded", null, "amount_unknown"]])
    );
    assert_eq!(
        order_row(&app),
        json!([["awaiting-payment", "not-paid"]]),
        "not taken as paid"
    );
    assert_eq!(
        rows(
            &app,
            "SELECT kind, reason, assignee, status, title FROM tasks"
        ),
        json!([[
            "payment_check",
            "payments:amount_unknown",
            "staff:m.ivanova",
            "open",
            format!(
                "Payment for order №{ORDER} needs checking: the acquirer did not say how much \
                 was paid: check the payment in its merchant cabinet before marking the order \
                 paid (sber payment {MD_ORDER})"
            )
        ]])
    );
    assert!(sms_texts(&app).is_empty(), "no SMS");
    assert_eq!(app.sent_emails().len(), emails, "no email");
}
