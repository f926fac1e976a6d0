//! Scenarios driven by what the CRM reports besides edits: payments (V2, C7, O5), delivery
//! statuses (C4, C5, C6, V4), stock (O6) and phone calls (O4, C10), each posted to the order
//! webhook with the default configuration.

use super::*;

/// Posts a report event and expects `200 OK`; returns the answer.
async fn report(app: &TestApp, kind: &str, data: Value) -> Value {
    let response = app
        .post_event(&evt(), &json!({ "type": kind, "data": data }))
        .await;
    assert_eq!(response.status, 200, "{kind}: {}", response.text());
    json_of(&response)
}

fn paid(payment_id: &str) -> Value {
    json!({ "order_id": "A-1", "status": "succeeded", "amount": 210000, "currency": "RUB",
            "payment_id": payment_id })
}

/// Status history rows (actor, from, to) in order.
fn status_history(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT actor, old_value, new_value FROM order_history
         WHERE field = 'status' AND outcome = 'applied' ORDER BY id",
    )
}

const PAYMENT_SMS: &str = "Оплата заказа A-1 получена. Спасибо!";

// ── V2, C7, O5: payments ───────────────────────────────────────────────────────────────

#[tokio::test]
async fn paid_order_gets_the_payment_email_and_sms_and_goes_to_assembly() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    walk(&app, "A-1", &["confirmed", "awaiting-payment"]).await;

    let answer = report(&app, "order.payment", paid("pay-1")).await;

    assert_eq!(
        answer,
        json!({ "order_id": "A-1", "payment": "succeeded", "state": "applied",
                "status": "prepare-for-delivery", "payment_status": "paid" })
    );
    let history = status_history(&app);
    assert_eq!(
        history.as_array().expect("rows")[2..],
        json!([
            [
                "trigger:v2-paid-to-assembly",
                "\"awaiting-payment\"",
                "\"payment-received\""
            ],
            [
                "trigger:v2-paid-to-assembly",
                "\"payment-received\"",
                "\"prepare-for-delivery\""
            ]
        ])
        .as_array()
        .expect("rows")[..]
    );
    let email = email_about(&app, "Оплата заказа №A-1 получена");
    assert!(
        text_of(&email).contains("2 100,00 ₽"),
        "{}",
        text_of(&email)
    );
    assert_eq!(
        queued(&app),
        json!([[
            "sms",
            "payment-received-sms",
            ANNA_PHONE,
            PAYMENT_SMS,
            "sent",
            "2026-11-24T07:00:00Z"
        ]])
    );
    assert_eq!(
        trigger_history(&app, "reservation"),
        json!([reservation("p4-reserve-items", "reserved")]),
        "P4: assembly reserves the items"
    );
    assert_eq!(
        rows(
            &app,
            "SELECT payment_id, status, amount, currency FROM payments"
        ),
        json!([["pay-1", "succeeded", 210000, "RUB"]])
    );
}

#[tokio::test]
async fn the_same_payment_reported_twice_sends_nothing_twice() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    walk(&app, "A-1", &["confirmed", "awaiting-payment"]).await;
    report(&app, "order.payment", paid("pay-1")).await;
    let emails = app.sent_emails().len();

    // Another webhook id, the same payment: the CRM's retry after a lost answer.
    let again = report(&app, "order.payment", paid("pay-1")).await;

    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(again["status"], "prepare-for-delivery");
    assert_eq!(app.sent_emails().len(), emails);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE channel = 'sms'"),
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_history WHERE field = 'payment'"),
        1
    );
}

#[tokio::test]
async fn prepayment_of_a_new_order_is_confirmed_by_sms_and_waits_for_the_manager() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;

    let answer = report(&app, "order.payment", paid("pay-1")).await;

    assert_eq!(answer["status"], "new", "a manager still approves it");
    assert_eq!(answer["payment_status"], "paid");
    assert_eq!(
        queued(&app),
        json!([[
            "sms",
            "payment-received-sms",
            ANNA_PHONE,
            PAYMENT_SMS,
            "sent",
            "2026-11-24T07:00:00Z"
        ]])
    );
    assert_eq!(
        subjects(&app).len(),
        1,
        "only the thank-you email: {:?}",
        subjects(&app)
    );
}

#[tokio::test]
async fn failed_payment_moves_to_payment_error_with_a_task_and_no_message() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({ "manager": "m.ivanova" }))).await;
    walk(&app, "A-1", &["confirmed", "awaiting-payment"]).await;
    let emails = app.sent_emails().len();

    let mut failed = paid("pay-1");
    failed["status"] = json!("failed");
    failed["reason"] = json!("insufficient funds");
    let answer = report(&app, "order.payment", failed).await;

    assert_eq!(answer["status"], "payment-error");
    assert_eq!(answer["payment_status"], "failed");
    assert_eq!(
        tasks(&app),
        json!([[
            "Помочь клиенту оплатить заказ №A-1",
            "v2-payment-failed",
            "staff:m.ivanova",
            "open",
            "2026-11-24T07:30:00Z"
        ]])
    );
    assert_eq!(queued(&app), json!([]), "no SMS about a failed payment");
    assert_eq!(app.sent_emails().len(), emails, "no email either");
    assert_eq!(
        rows(
            &app,
            "SELECT reason FROM order_history WHERE field = 'payment'"
        ),
        json!([["insufficient funds"]])
    );
}

#[tokio::test]
async fn paid_invoice_is_not_chased_when_the_payment_check_comes() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    move_to(&app, "A-1", "invoice-sent", None).await;
    report(&app, "order.payment", paid("pay-1")).await;
    let emails = app.sent_emails().len();

    app.tick_after(3 * 86_400).await; // past invoice_check_days

    assert_eq!(
        rows(
            &app,
            "SELECT name, status FROM timers WHERE name = 'o5-invoice-check'"
        ),
        json!([["o5-invoice-check", "cancelled"]])
    );
    assert_eq!(app.sent_emails().len(), emails, "no payment reminder");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks WHERE reason = 'o5-invoice-unpaid'"),
        0
    );
}

#[tokio::test]
async fn refund_marks_the_payment_refunded_and_is_kept_in_the_history() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    report(&app, "order.payment", paid("pay-1")).await;
    let mut refund = paid("pay-1");
    refund["status"] = json!("refunded");

    let answer = report(&app, "order.payment", refund).await;

    assert_eq!(answer["payment_status"], "refunded");
    assert_eq!(
        rows(&app, "SELECT status FROM payments ORDER BY id"),
        json!([["succeeded"], ["refunded"]])
    );
}

#[tokio::test]
async fn payment_in_another_currency_is_refused_and_changes_nothing() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    let mut usd = paid("pay-1");
    usd["currency"] = json!("USD");

    let response = app
        .post_event(&evt(), &json!({ "type": "order.payment", "data": usd }))
        .await;

    assert_eq!(response.status, 422, "{}", response.text());
    assert!(
        response.text().contains("data.currency"),
        "{}",
        response.text()
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 0);
    assert_eq!(
        rows(&app, "SELECT payment_status FROM orders"),
        json!([["not-paid"]])
    );
    assert_eq!(queued(&app), json!([]));
}

#[tokio::test]
async fn payment_for_an_unknown_order_is_404_and_stores_nothing() {
    let app = TestApp::start().await;

    let response = app
        .post_event(
            &evt(),
            &json!({ "type": "order.payment", "data": paid("pay-1") }),
        )
        .await;

    assert_eq!(response.status, 404, "{}", response.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 0);
}

// ── C4, C5, C6, V4: delivery ───────────────────────────────────────────────────────────

const POINT: &str = "Москва, ул. Тверская, 7";

fn at_pickup_point() -> Value {
    json!({ "order_id": "A-1", "status": "at-pickup-point",
            "fields": { "pickup_point": { "address": POINT, "phone": "+7 495 000-00-07",
                                          "hours": "10:00–21:00" } } })
}

/// An order handed to the carrier with a track number (C3 already sent).
async fn shipped_order(app: &TestApp) {
    assembled_order(app).await;
    move_with_fields(
        app,
        "A-1",
        "handed-to-carrier",
        json!({ "track_number": "1020304050", "carrier_integrated": true }),
    )
    .await;
}

#[tokio::test]
async fn carrier_picking_up_an_assembled_order_hands_it_over_with_the_track_number() {
    let app = TestApp::start().await;
    assembled_order(&app).await;

    let answer = report(
        &app,
        "order.delivery",
        json!({ "order_id": "A-1", "status": "accepted",
                "fields": { "track_number": "1020304050",
                            "tracking_url": "https://track.example/1020304050" } }),
    )
    .await;

    assert_eq!(answer["status"], "handed-to-carrier");
    let track = email_about(&app, "Трек-номер");
    assert!(text_of(&track).contains("https://track.example/1020304050"));
    let sms = queued(&app);
    assert_eq!(sms.as_array().map(Vec::len), Some(1), "{sms}");
    assert_eq!(sms[0][1], "track-number-sms");
    assert_eq!(
        rows(&app, "SELECT delivery_status FROM orders"),
        json!([["accepted"]])
    );
}

#[tokio::test]
async fn parcel_at_the_pickup_point_sends_address_phone_and_hours_by_email_and_sms() {
    let app = TestApp::start().await;
    shipped_order(&app).await;
    let sms_before = queued(&app).as_array().map_or(0, Vec::len);

    let answer = report(&app, "order.delivery", at_pickup_point()).await;

    assert_eq!(
        answer,
        json!({ "order_id": "A-1", "delivery_status": "at-pickup-point", "applied": true,
                "status": "at-pickup-point" })
    );
    let email = text_of(&email_about(&app, "ждёт вас в пункте выдачи"));
    for part in [POINT, "+7 495 000-00-07", "10:00–21:00", "1020304050"] {
        assert!(email.contains(part), "{part} in {email}");
    }
    let sms = queued(&app);
    assert_eq!(sms.as_array().map(Vec::len), Some(sms_before + 1), "{sms}");
    assert_eq!(
        sms[sms_before],
        json!([
            "sms",
            "at-pickup-point-sms",
            ANNA_PHONE,
            format!("Заказ A-1 ждёт в пункте выдачи: {POINT}, 10:00–21:00"),
            "sent",
            "2026-11-24T07:00:00Z"
        ])
    );
    assert_eq!(
        rows(
            &app,
            "SELECT name, fire_at FROM timers WHERE status = 'pending' ORDER BY name"
        ),
        json!([
            ["c5-pickup-reminder", "2026-11-27T07:00:00Z"],
            ["c6-pickup-call", "2026-11-28T07:00:00Z"]
        ])
    );
}

#[tokio::test]
async fn the_same_delivery_status_twice_repeats_no_message() {
    let app = TestApp::start().await;
    shipped_order(&app).await;
    report(&app, "order.delivery", at_pickup_point()).await;
    let (emails, sms) = (app.sent_emails().len(), queued(&app));

    let again = report(&app, "order.delivery", at_pickup_point()).await;

    assert_eq!(again["applied"], false);
    assert_eq!(app.sent_emails().len(), emails);
    assert_eq!(queued(&app), sms);
    assert_eq!(
        rows(
            &app,
            "SELECT outcome, reason FROM order_history WHERE field = 'delivery_status' ORDER BY id"
        ),
        json!([
            ["applied", null],
            ["refused", "the same delivery status again"]
        ])
    );
}

#[tokio::test]
async fn uncollected_parcel_gets_a_reminder_after_three_days_and_a_call_task_after_four() {
    let app = TestApp::start().await;
    shipped_order(&app).await;
    report(&app, "order.delivery", at_pickup_point()).await;

    app.tick_after(3 * 86_400 - 60).await;
    assert!(
        !subjects(&app).iter().any(|s| s.contains("всё ещё ждёт")),
        "not before pickup_reminder_days"
    );

    app.tick_after(60).await; // C5

    let email = text_of(&email_about(&app, "всё ещё ждёт вас"));
    assert!(
        email.contains("уже 3 дн. Через 4 дн. он вернётся на склад"),
        "{email}"
    );
    assert_eq!(
        queued(&app).as_array().expect("rows").last(),
        Some(&json!([
            "sms",
            "pickup-reminder-sms",
            ANNA_PHONE,
            "Заказ A-1 ждёт вас 3 дн., через 4 дн. вернётся на склад",
            "sent",
            "2026-11-27T07:00:00Z"
        ]))
    );
    assert_eq!(tasks(&app), json!([]), "no call yet");

    app.tick_after(86_400).await; // C6, Saturday 10:00 Moscow: open

    assert_eq!(
        tasks(&app),
        json!([[
            "Позвонить клиенту: заказ №A-1 ждёт в пункте выдачи",
            "c6-pickup-call",
            "staff:m.ivanova",
            "open",
            "2026-11-28T08:00:00Z"
        ]])
    );
}

#[tokio::test]
async fn parcel_collected_in_time_completes_the_order_and_stops_the_reminders() {
    let app = TestApp::start().await;
    shipped_order(&app).await;
    report(&app, "order.delivery", at_pickup_point()).await;
    app.clock.advance(std::time::Duration::from_secs(86_400));

    let answer = report(
        &app,
        "order.delivery",
        json!({ "order_id": "A-1", "status": "delivered" }),
    )
    .await;
    app.tick_after(5 * 86_400).await;

    assert_eq!(answer["status"], "completed");
    email_about(&app, "Спасибо за покупку"); // C8
    assert!(!subjects(&app).iter().any(|s| s.contains("всё ещё ждёт")));
    assert_eq!(tasks(&app), json!([]));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM timers WHERE status = 'pending'"),
        0
    );
}

// ── O6: stock ──────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn an_item_running_out_gives_purchasing_a_task() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    move_to(&app, "A-1", "confirmed", None).await;

    report(
        &app,
        "order.stock",
        json!({ "order_id": "A-1", "skus": ["CUP-010"], "available": false }),
    )
    .await;
    report(
        &app,
        "order.stock",
        json!({ "order_id": "A-1", "skus": ["TEA-001"], "available": true }),
    )
    .await;

    assert_eq!(
        tasks(&app),
        json!([[
            "Нет в наличии (CUP-010) для заказа №A-1: заказать у поставщика",
            "o6-out-of-stock",
            "role:purchasing",
            "open",
            "2026-11-24T09:00:00Z"
        ]])
    );
    assert_eq!(queued(&app), json!([]), "the customer is not told");
}

// ── O4, C10: calls ─────────────────────────────────────────────────────────────────────

const BUSY_SMS: &str = "Все операторы заняты. Перезвоним вам через несколько минут";

fn missed_call(phone: &str) -> Value {
    json!({ "phone": phone, "direction": "inbound", "outcome": "missed" })
}

#[tokio::test]
async fn missed_call_from_a_customer_gives_their_manager_a_callback_task_and_one_sms() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({ "manager": "m.ivanova" }))).await;
    move_to(&app, "A-1", "confirmed", None).await;
    let call = json!({ "type": "call.ended", "data": missed_call("8 912 345 67 89") });

    let first = app.post_event("call-1", &call).await;
    let replay = app.post_event("call-1", &call).await;

    assert_eq!(
        json_of(&first),
        json!({ "order_id": "A-1", "lead": false, "after_hours": false, "outcome": "missed" })
    );
    assert_eq!(replay.status, 200);
    assert_eq!(
        tasks(&app),
        json!([[
            "Перезвонить +79123456789: пропущенный звонок по заказу №A-1",
            "o4-missed-call-task",
            "staff:m.ivanova",
            "open",
            "2026-11-24T07:05:00Z"
        ]])
    );
    assert_eq!(
        queued(&app),
        json!([[
            "sms",
            "operators-busy-sms",
            ANNA_PHONE,
            BUSY_SMS,
            "sent",
            "2026-11-24T07:00:00Z"
        ]])
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 1, "no lead");
}

#[tokio::test]
async fn missed_call_from_an_unknown_number_becomes_a_lead_order() {
    let app = TestApp::start().await;

    let answer = report(&app, "call.ended", missed_call("+79001112233")).await;

    let lead = "call-79001112233-1795503600";
    assert_eq!(
        answer,
        json!({ "order_id": lead, "lead": true, "after_hours": false, "outcome": "missed" })
    );
    assert_eq!(
        rows(
            &app,
            "SELECT o.id, o.status, o.channel, o.order_method, o.total, c.phone
             FROM orders o JOIN customers c ON c.id = o.customer_id"
        ),
        json!([[lead, "new", "phone", "missed-call", 0, "+79001112233"]])
    );
    assert_eq!(
        queued(&app),
        json!([[
            "sms",
            "operators-busy-sms",
            "+79001112233",
            BUSY_SMS,
            "sent",
            "2026-11-24T07:00:00Z"
        ]])
    );
    assert_eq!(tasks(&app)[0][2], "role:manager");
    assert_eq!(
        app.sent_emails(),
        Vec::<Value>::new(),
        "no thank-you for a lead"
    );

    // A second missed call from the same number belongs to the lead, not to a new one.
    app.clock.advance(std::time::Duration::from_secs(120));
    let again = report(&app, "call.ended", missed_call("+79001112233")).await;
    assert_eq!(again["order_id"], lead);
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 1);
}

#[tokio::test]
async fn call_after_hours_gets_the_hours_by_sms_and_a_task_for_the_morning() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    app.clock.set(START + 9 * 3600 + 1800); // 19:30 Moscow, Tuesday: closed, not yet quiet

    let answer = report(&app, "call.ended", missed_call(ANNA_PHONE)).await;

    assert_eq!(answer["after_hours"], true);
    let sms = queued(&app);
    assert_eq!(sms.as_array().map(Vec::len), Some(1), "{sms}");
    assert_eq!(sms[0][1], "after-hours-call-sms");
    assert_eq!(
        sms[0][5], "2026-11-24T16:30:00Z",
        "sent now, before quiet hours"
    );
    assert!(
        sms[0][3]
            .as_str()
            .expect("text")
            .starts_with("Мы работаем "),
        "{sms}"
    );
    assert_eq!(
        tasks(&app),
        json!([[
            "Перезвонить +79123456789 (заказ №A-1): звонил в нерабочее время",
            "c10-after-hours-call",
            "staff:m.ivanova",
            "open",
            "2026-11-25T06:00:00Z"
        ]])
    );
}

#[tokio::test]
async fn answered_call_from_an_unknown_number_stores_and_sends_nothing() {
    let app = TestApp::start().await;

    let answer = report(
        &app,
        "call.ended",
        json!({ "phone": "+79001112233", "outcome": "answered" }),
    )
    .await;

    assert_eq!(answer["order_id"], Value::Null);
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM tasks"), 0);
}

#[tokio::test]
async fn unanswered_call_of_ours_is_kept_in_the_history_without_a_reaction() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;

    report(
        &app,
        "call.ended",
        json!({ "phone": ANNA_PHONE, "direction": "outbound", "outcome": "missed" }),
    )
    .await;

    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_history WHERE field = 'call'"),
        1
    );
    assert_eq!(queued(&app), json!([]));
    assert_eq!(tasks(&app), json!([]));
}
