//! What every acquirer's payment goes through, shown with the generic format: V2, C7, O5,
//! refunds, repeats (also concurrent), and payments that do not fit an order.

use super::*;

#[tokio::test]
async fn paid_order_gets_the_email_and_sms_and_goes_to_assembly() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;

    let answer = post_generic(&app, "gen-1", &generic("payment.succeeded", "gp-1", TOTAL)).await;

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
            "gp-1",
            "succeeded",
            TOTAL,
            "RUB",
            "applied",
            ORDER
        ]])
    );
}

#[tokio::test]
async fn a_repeated_notification_is_acknowledged_and_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let body = generic("payment.succeeded", "gp-1", TOTAL);
    post_generic(&app, "gen-1", &body).await;
    let emails = app.sent_emails().len();

    let again = post_generic(&app, "gen-1", &body).await;
    // The same payment under another delivery id (a bridge that lost its state).
    let copy = post_generic(&app, "gen-2", &body).await;

    assert_eq!(again, json!({ "received": true, "duplicate": true }));
    assert_eq!(copy, json!({ "received": true, "duplicate": true }));
    assert_eq!(app.sent_emails().len(), emails);
    assert_eq!(sms_texts(&app), [PAID_SMS], "one SMS");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_history WHERE field = 'payment'"),
        1
    );
}

#[tokio::test]
async fn the_same_notification_twice_at_once_is_processed_once() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let body = generic("payment.succeeded", "gp-1", TOTAL);

    let (first, second) = tokio::join!(
        app.app.request(generic_request(&app, "gen-1", &body)),
        app.app.request(generic_request(&app, "gen-1", &body)),
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
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
}

#[tokio::test]
async fn a_payment_before_its_order_waits_and_settles_when_the_order_arrives() {
    let app = TestApp::start().await;

    let answer = post_generic(&app, "gen-1", &generic("payment.succeeded", "gp-1", TOTAL)).await;

    assert_eq!(answer["state"], "unknown_order");
    assert_eq!(
        payments(&app),
        json!([[
            "generic",
            "gp-1",
            "succeeded",
            TOTAL,
            "RUB",
            "unknown_order",
            null
        ]])
    );
    assert_eq!(
        rows(&app, "SELECT title, assignee, status FROM tasks"),
        json!([[
            "generic payment gp-1 (succeeded, ₽12,900.00) for order №A-1001, which is not in \
             Orderpath yet: find the order",
            "role:manager",
            "open"
        ]])
    );
    assert!(sms_texts(&app).is_empty());
    let raw: String = app.query("SELECT raw FROM payments")[0][0]
        .as_str()
        .expect("raw kept")
        .to_owned();
    assert!(raw.contains("\"gp-1\""), "kept as it came: {raw}");

    create(&app, order(ORDER, json!({ "total": TOTAL }))).await;

    assert_eq!(
        order_row(&app),
        json!([["new", "paid"]]),
        "C7: still new, paid"
    );
    assert_eq!(sms_texts(&app), [PAID_SMS], "the prepayment SMS");
    assert_eq!(
        payments(&app),
        json!([[
            "generic",
            "gp-1",
            "succeeded",
            TOTAL,
            "RUB",
            "applied",
            ORDER
        ]])
    );
    assert_eq!(
        rows(&app, "SELECT status, done_by FROM tasks"),
        json!([["done", "orderpath"]]),
        "the task closes itself"
    );
}

#[tokio::test]
async fn another_amount_is_held_for_the_manager_and_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, Some("m.ivanova")).await;
    let emails = app.sent_emails().len();

    let answer = post_generic(
        &app,
        "gen-1",
        &generic("payment.succeeded", "gp-1", 100_000),
    )
    .await;

    assert_eq!(answer["state"], "amount_mismatch");
    assert_eq!(order_row(&app), json!([["awaiting-payment", "not-paid"]]));
    assert_eq!(
        rows(&app, "SELECT title, reason, assignee, order_id FROM tasks"),
        json!([[
            "Payment for order №A-1001 needs checking: paid ₽1,000.00, the order total is \
             ₽12,900.00 (generic payment gp-1)",
            "payments:amount_mismatch",
            "staff:m.ivanova",
            ORDER
        ]])
    );
    assert!(sms_texts(&app).is_empty());
    assert_eq!(app.sent_emails().len(), emails);
}

#[tokio::test]
async fn another_currency_is_held_too() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let body = serde_json::to_vec(&json!({ "type": "payment.succeeded", "data": {
        "order_id": ORDER, "payment_id": "gp-1", "amount": TOTAL, "currency": "USD" } }))
    .expect("json");

    let answer = post_generic(&app, "gen-1", &body).await;

    assert_eq!(answer["state"], "currency_mismatch");
    assert_eq!(order_row(&app), json!([["awaiting-payment", "not-paid"]]));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks WHERE reason = 'payments:currency_mismatch'"),
        1
    );
}

#[tokio::test]
async fn a_failure_reported_after_the_success_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    post_generic(&app, "gen-1", &generic("payment.succeeded", "gp-1", TOTAL)).await;

    let answer = post_generic(&app, "gen-2", &generic("payment.failed", "gp-1", TOTAL)).await;

    assert_eq!(answer["state"], "superseded");
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks"),
        0,
        "no task to help pay"
    );
    assert_eq!(
        rows(
            &app,
            "SELECT outcome, reason FROM order_history WHERE field = 'payment' ORDER BY id"
        ),
        json!([["applied", null], ["refused", "already succeeded"]])
    );
}

#[tokio::test]
async fn the_crms_copy_of_a_failure_after_the_acquirers_success_changes_nothing() {
    // Issue 12, item 3: the CRM forwards the failure of the payment (or of an abandoned one)
    // as `order.payment` after the acquirer reported the success.
    let app = TestApp::start().await;
    order_awaiting_payment(&app, Some("m.ivanova")).await;
    post_generic(&app, "gen-1", &generic("payment.succeeded", "gp-1", TOTAL)).await;
    let emails = app.sent_emails().len();

    let mut answers = Vec::new();
    for payment_id in ["gp-1", "gp-0"] {
        let response = app
            .post_event(
                &evt(),
                &json!({ "type": "order.payment", "data": {
                    "order_id": ORDER, "status": "failed", "amount": TOTAL, "currency": "RUB",
                    "payment_id": payment_id, "reason": "expired" } }),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
        answers.push(json_of(&response));
    }

    for answer in &answers {
        assert_eq!(answer["state"], "superseded", "{answer}");
        assert_eq!(answer["payment_status"], "paid", "{answer}");
    }
    assert_eq!(
        rows(
            &app,
            "SELECT source, payment_id, status, state FROM payments ORDER BY id"
        ),
        json!([
            ["generic", "gp-1", "succeeded", "applied"],
            ["orders", "gp-1", "failed", "superseded"],
            ["orders", "gp-0", "failed", "superseded"]
        ])
    );
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks"),
        0,
        "no task to help pay"
    );
    assert_eq!(app.sent_emails().len(), emails, "no email");
    assert_eq!(sms_texts(&app), [PAID_SMS], "only the payment SMS");
    assert_eq!(
        rows(
            &app,
            "SELECT actor, outcome, reason FROM order_history WHERE field = 'payment' ORDER BY id"
        ),
        json!([
            ["webhook:generic", "applied", null],
            ["webhook:orders", "refused", "already succeeded"],
            ["webhook:orders", "refused", "already succeeded"]
        ])
    );
}

#[tokio::test]
async fn a_test_payment_settles_the_order_when_test_payments_are_accepted() {
    let app = TestApp::start_with(|b| b.variable("accept_test_payments", "true")).await;
    order_awaiting_payment(&app, None).await;
    let mut body: Value =
        serde_json::from_slice(&generic("payment.succeeded", "gp-1", TOTAL)).expect("json");
    body["data"]["test"] = json!(true);

    let answer = post_generic(&app, "gen-1", &serde_json::to_vec(&body).expect("json")).await;

    assert_eq!(answer["state"], "applied");
    assert_eq!(
        rows(&app, "SELECT state, test FROM payments"),
        json!([["applied", 1]])
    );
    assert_eq!(order_row(&app), json!([["prepare-for-delivery", "paid"]]));
    email_about(&app, PAID_EMAIL);
    assert_eq!(sms_texts(&app), [PAID_SMS]);
}

#[tokio::test]
async fn a_generic_test_payment_is_kept_and_changes_nothing() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();
    let mut body: Value =
        serde_json::from_slice(&generic("payment.succeeded", "gp-1", TOTAL)).expect("json");
    body["data"]["test"] = json!(true);

    let answer = post_generic(&app, "gen-1", &serde_json::to_vec(&body).expect("json")).await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": ORDER, "state": "test_ignored" })
    );
    assert_test_payment_changed_nothing(&app, "generic", emails);
}

#[tokio::test]
async fn a_test_payment_for_an_unknown_order_makes_no_task() {
    let app = TestApp::start().await;
    let mut body: Value =
        serde_json::from_slice(&generic("payment.succeeded", "gp-1", TOTAL)).expect("json");
    body["data"]["test"] = json!(true);

    let answer = post_generic(&app, "gen-1", &serde_json::to_vec(&body).expect("json")).await;

    assert_eq!(answer["state"], "test_ignored");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks"),
        0,
        "no task to find the order"
    );
    create(&app, order(ORDER, json!({ "total": TOTAL }))).await;
    assert_eq!(
        rows(&app, "SELECT state, order_id FROM payments"),
        json!([["test_ignored", null]]),
        "the order's arrival does not settle it"
    );
    assert!(sms_texts(&app).is_empty());
}

#[tokio::test]
async fn a_refund_reported_before_the_success_wins_and_no_payment_message_goes_out() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let emails = app.sent_emails().len();

    let refund = post_generic(&app, "gen-2", &generic("payment.refunded", "gp-1", TOTAL)).await;
    let success = post_generic(&app, "gen-1", &generic("payment.succeeded", "gp-1", TOTAL)).await;

    assert_eq!(refund["state"], "applied");
    assert_eq!(success["state"], "superseded");
    assert_eq!(order_row(&app), json!([["awaiting-payment", "refunded"]]));
    assert!(sms_texts(&app).is_empty(), "no 'payment received' SMS");
    assert_eq!(
        app.sent_emails().len(),
        emails,
        "no 'payment received' email"
    );
}

#[tokio::test]
async fn a_refund_naming_only_its_payment_finds_the_order() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    post_generic(&app, "gen-1", &generic("payment.succeeded", "gp-1", TOTAL)).await;
    let body = serde_json::to_vec(&json!({ "type": "payment.refunded", "data": {
        "payment_id": "gp-1", "refund_id": "gr-1", "amount": 50_000, "currency": "RUB" } }))
    .expect("json");

    let answer = post_generic(&app, "gen-2", &body).await;

    assert_eq!(answer["order_id"], ORDER);
    assert_eq!(answer["state"], "applied");
    assert_eq!(
        order_row(&app),
        json!([["prepare-for-delivery", "refunded"]])
    );
    assert_eq!(
        rows(
            &app,
            "SELECT new_value FROM order_history WHERE field = 'payment' ORDER BY id"
        )[1][0]
            .as_str()
            .map(|v| v.contains("\"refunded\"") && v.contains("50000")),
        Some(true),
        "the refund is in the history"
    );
}

#[tokio::test]
async fn failed_payment_moves_to_payment_error_with_a_task() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, Some("m.ivanova")).await;

    post_generic(&app, "gen-1", &generic("payment.failed", "gp-1", TOTAL)).await;

    assert_eq!(order_row(&app), json!([["payment-error", "failed"]]));
    assert_eq!(
        rows(&app, "SELECT title, assignee FROM tasks"),
        json!([["Помочь клиенту оплатить заказ №A-1001", "staff:m.ivanova"]])
    );
    assert!(sms_texts(&app).is_empty());
}

#[tokio::test]
async fn a_paid_invoice_is_not_chased() {
    let app = TestApp::start().await;
    create(&app, order(ORDER, json!({ "total": TOTAL }))).await;
    move_to(&app, ORDER, "invoice-sent", None).await;
    post_generic(&app, "gen-1", &generic("payment.succeeded", "gp-1", TOTAL)).await;
    let emails = app.sent_emails().len();

    app.tick_after(3 * 86_400).await;

    assert_eq!(
        rows(
            &app,
            "SELECT status FROM timers WHERE name = 'o5-invoice-check'"
        ),
        json!([["cancelled"]])
    );
    assert_eq!(app.sent_emails().len(), emails, "no reminder");
}

#[tokio::test]
async fn a_provider_without_its_secret_is_refused_and_the_log_names_the_variable() {
    let app = TestApp::start_with(|b| b.variable("payments_webhook_secret", "")).await;
    order_awaiting_payment(&app, None).await;
    let body = generic("payment.succeeded", "gp-1", TOTAL);

    let response = post(&app, generic_request(&app, "gen-1", &body)).await;

    assert_eq!(response.status, 503, "{}", response.text());
    assert_eq!(
        json_of(&response)["error"]["code"],
        "provider_not_configured"
    );
    assert!(
        !response.text().contains("payments_webhook_secret"),
        "unauthenticated callers do not learn the configuration: {}",
        response.text()
    );
    assert!(app
        .app
        .guest_output("payment-events")
        .contains("payments_webhook_secret is not set"));
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 0);
    assert_eq!(order_row(&app), json!([["awaiting-payment", "not-paid"]]));
}

#[tokio::test]
async fn bad_signature_stale_timestamp_and_malformed_body_are_refused() {
    let app = TestApp::start().await;
    order_awaiting_payment(&app, None).await;
    let body = generic("payment.succeeded", "gp-1", TOTAL);

    let mut forged = generic_request(&app, "gen-1", &body);
    *forged.body_mut() = Bytes::from(generic("payment.succeeded", "gp-1", 1));
    let forged = post(&app, forged).await;

    let stale_ts = app.clock.unix_seconds() as i64 - 600;
    let stale = http::Request::post(url("generic"))
        .header("content-type", "application/json")
        .header("webhook-id", "gen-2")
        .header("webhook-timestamp", stale_ts.to_string())
        .header(
            "webhook-signature",
            signature_with(PAYMENTS_SECRET, "gen-2", stale_ts, &body),
        )
        .body(Bytes::copy_from_slice(&body))
        .expect("request");
    let stale = post(&app, stale).await;

    let malformed = post(
        &app,
        generic_request(&app, "gen-3", b"{\"type\": \"payment."),
    )
    .await;

    assert_eq!(forged.status, 401, "{}", forged.text());
    assert_eq!(stale.status, 401, "{}", stale.text());
    assert_eq!(malformed.status, 400, "{}", malformed.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 0);
    assert!(sms_texts(&app).is_empty());
}

#[tokio::test]
async fn unknown_providers_and_wrong_methods_are_refused() {
    let app = TestApp::start().await;

    let unknown = post(
        &app,
        http::Request::post(url("paypal"))
            .body(Bytes::from_static(b"{}"))
            .expect("request"),
    )
    .await;
    let get = post(
        &app,
        http::Request::get(url("stripe"))
            .body(Bytes::new())
            .expect("request"),
    )
    .await;

    assert_eq!(unknown.status, 404, "{}", unknown.text());
    assert!(unknown
        .text()
        .contains("yookassa|cloudpayments|tbank|stripe|sber|generic"));
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST"));
}
