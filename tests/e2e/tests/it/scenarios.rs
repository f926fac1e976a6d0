//! The scenario catalogue (docs/scenarios.md) driven through order events with the
//! default configuration in `config/`: what the shipped triggers store, send and queue — and
//! what they must not.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

use crate::support::{json_of, TestApp, START};

mod calls;
mod calls_log;
pub(crate) mod delivery;
mod payments;
mod reports;
mod retention;
mod reused_webhook_ids;
mod spin_headers;
mod stock;

const ANNA_PHONE: &str = "+79123456789";
const ANNA_EMAIL: &str = "anna.petrova@example.com";
const ANNA_TO: &str = "\"Анна Петрова\" <anna.petrova@example.com>";
const NO_ANSWER_SMS: &str = "Не дозвонились по заказу A-1. Перезвоните: +7 495 123-45-67";

/// A site order of Анна with both contacts; `patch` overrides top-level `data` keys.
fn order(id: &str, patch: Value) -> Value {
    let mut data = json!({
        "order_id": id, "currency": "RUB", "channel": "site",
        "customer": { "name": "Анна Петрова", "phone": "+7 (912) 345-67-89", "email": ANNA_EMAIL },
        "items": [
            { "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 2, "price": 45000 },
            { "sku": "CUP-010", "name": "Чашка", "qty": 1, "price": 120000 }
        ],
        "total": 210000
    });
    for (key, value) in patch.as_object().expect("patch is an object") {
        data[key] = value.clone();
    }
    json!({ "type": "order.created", "data": data })
}

/// A fresh webhook id for every event.
fn evt() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("evt-s-{}", N.fetch_add(1, Ordering::Relaxed))
}

async fn create(app: &TestApp, event: Value) -> Value {
    let response = app.post_event(&evt(), &event).await;
    assert_eq!(response.status, 201, "{}", response.text());
    crate::support::json_of(&response)
}

/// Moves order A-1 (or `id`) to `status`; returns the webhook id used.
async fn move_to(app: &TestApp, id: &str, status: &str, reason: Option<&str>) -> String {
    let webhook_id = evt();
    let event = json!({ "type": "order.status_changed",
        "data": { "order_id": id, "status": status, "reason": reason } });
    let response = app.post_event(&webhook_id, &event).await;
    assert_eq!(response.status, 200, "to {status}: {}", response.text());
    webhook_id
}

/// Walks the order along a path of statuses, one status event each.
async fn walk(app: &TestApp, id: &str, path: &[&str]) {
    for status in path {
        move_to(app, id, status, None).await;
    }
}

/// An order waiting in `assembled`, ready to hand to the carrier.
async fn assembled_order(app: &TestApp) {
    create(app, order("A-1", json!({}))).await;
    walk(
        app,
        "A-1",
        &["confirmed", "prepare-for-delivery", "assembled"],
    )
    .await;
}

/// Query rows as one JSON value, for compact comparisons with `json!([[...]])`.
fn rows(app: &TestApp, sql: &str) -> Value {
    json!(app.query(sql))
}

/// Subjects of the emails the email API received, in order.
fn subjects(app: &TestApp) -> Vec<String> {
    let subject = |e: &Value| e["Subject"].as_str().unwrap_or_default().to_owned();
    app.sent_emails().iter().map(subject).collect()
}

/// The one sent email whose subject contains `needle`.
fn email_about(app: &TestApp, needle: &str) -> Value {
    let mut found: Vec<Value> = app
        .sent_emails()
        .into_iter()
        .filter(|e| e["Subject"].as_str().unwrap_or_default().contains(needle))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one email about {needle:?}: {:?}",
        subjects(app)
    );
    found.remove(0)
}

fn text_of(email: &Value) -> String {
    email["TextBody"].as_str().expect("text body").to_owned()
}

/// Queued non-email messages: channel, template, recipient, body, status, next attempt.
fn queued(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT channel, template, recipient, body_text, status, next_attempt_at
               FROM outbox WHERE channel <> 'email' ORDER BY id",
    )
}

/// Tasks: title, reason, assignee, status, due_at.
fn tasks(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT title, reason, assignee, status, due_at FROM tasks ORDER BY id",
    )
}

/// History rows written by triggers for `field`: actor, old, new, outcome.
fn trigger_history(app: &TestApp, field: &str) -> Value {
    rows(
        app,
        &format!(
            "SELECT actor, old_value, new_value, outcome FROM order_history
         WHERE field = '{field}' AND actor LIKE 'trigger:%' ORDER BY id"
        ),
    )
}

/// How many actions of `trigger` were skipped (recorded as refused).
fn skipped(app: &TestApp, trigger: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM order_history WHERE field = 'trigger' AND outcome = 'refused'
         AND actor = 'trigger:{trigger}'"
    ))
}

fn reservation(trigger: &str, state: &str) -> Value {
    json!([
        format!("trigger:{trigger}"),
        null,
        format!("\"{state}\""),
        "applied"
    ])
}

fn status_of(app: &TestApp, id: &str) -> Value {
    app.query(&format!("SELECT status FROM orders WHERE id = '{id}'"))[0][0].clone()
}

/// Sets automation fields through the webhook, as the shop's CRM would (`order.updated`).
async fn set_fields(app: &TestApp, id: &str, fields: Value) {
    let event = json!({ "type": "order.updated", "data": { "order_id": id, "fields": fields } });
    let response = app.post_event(&evt(), &event).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

/// Moves an order to a status together with its fields, in one `order.status_changed`.
async fn move_with_fields(app: &TestApp, id: &str, status: &str, fields: Value) {
    let event = json!({ "type": "order.status_changed",
        "data": { "order_id": id, "status": status, "fields": fields } });
    let response = app.post_event(&evt(), &event).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

// ── P4, P5, P6: the order path ─────────────────────────────────────────────────────────

#[tokio::test]
async fn prepare_for_delivery_reserves_the_items_and_records_the_trigger() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    move_to(&app, "A-1", "confirmed", None).await;

    let webhook_id = move_to(&app, "A-1", "prepare-for-delivery", None).await;

    assert_eq!(
        trigger_history(&app, "reservation"),
        json!([reservation("p4-reserve-items", "reserved")])
    );
    // P5: the history names the event that caused the trigger's change.
    assert_eq!(
        rows(
            &app,
            "SELECT event_id FROM order_history WHERE field = 'reservation'"
        ),
        json!([[format!("orders:{webhook_id}")]])
    );
    assert_eq!(status_of(&app, "A-1"), "prepare-for-delivery");
    assert_eq!(
        reservations(&app),
        json!([["CUP-010", 1, "reserved"], ["TEA-001", 2, "reserved"]])
    );
}

/// What the warehouse holds for A-1: sku, qty, status.
fn reservations(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT sku, qty, status FROM reservations WHERE order_id = 'A-1' ORDER BY sku",
    )
}

#[tokio::test]
async fn items_added_during_assembly_are_reserved_too() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    walk(&app, "A-1", &["confirmed", "prepare-for-delivery"]).await;
    let items = json!([
        { "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 3, "price": 45000 },
        { "sku": "BOX-1", "name": "Коробка", "qty": 1, "price": 10000 }
    ]);
    let update = json!({ "type": "order.updated",
        "data": { "order_id": "A-1", "items": items, "total": 145000 } });
    assert_eq!(app.post_event(&evt(), &update).await.status, 200);

    assert_eq!(
        reservations(&app),
        json!([
            ["BOX-1", 1, "reserved"],
            ["CUP-010", 1, "released"],
            ["TEA-001", 3, "reserved"]
        ])
    );
    move_to(&app, "A-1", "assembled", None).await;
}

#[tokio::test]
async fn an_order_without_reserved_items_cannot_go_on_from_assembly() {
    // A shop that switched the reserving trigger off (or, with stock, could not reserve).
    let dir = crate::support::app_with_config(|config| {
        let path = config.join("triggers.toml");
        let text = std::fs::read_to_string(&path).expect("triggers");
        let text = text.replacen(
            "id = \"p4-reserve-items\"\n",
            "id = \"p4-reserve-items\"\nenabled = false\n",
            1,
        );
        std::fs::write(&path, text).expect("write");
    });
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;
    create(&app, order("A-1", json!({}))).await;
    walk(&app, "A-1", &["confirmed", "prepare-for-delivery"]).await;

    let event = json!({ "type": "order.status_changed",
        "data": { "order_id": "A-1", "status": "assembled" } });
    let refused = app.post_event(&evt(), &event).await;

    assert_eq!(refused.status, 409, "{}", refused.text());
    let body = json_of(&refused);
    assert_eq!(body["error"]["code"], "items_not_reserved");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("CUP-010, TEA-001")),
        "{body}"
    );
    assert_eq!(status_of(&app, "A-1"), "prepare-for-delivery");
    assert_eq!(
        rows(
            &app,
            "SELECT new_value, outcome FROM order_history WHERE field = 'status' ORDER BY id DESC LIMIT 1"
        ),
        json!([["\"assembled\"", "refused"]])
    );
}

#[tokio::test]
async fn awaiting_stock_releases_what_preparing_reserved() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;

    walk(
        &app,
        "A-1",
        &["confirmed", "prepare-for-delivery", "awaiting-stock"],
    )
    .await;

    assert_eq!(
        trigger_history(&app, "reservation"),
        json!([
            reservation("p4-reserve-items", "reserved"),
            reservation("p4-release-items", "released")
        ])
    );
    assert_eq!(
        reservations(&app),
        json!([["CUP-010", 1, "released"], ["TEA-001", 2, "released"]])
    );
}

#[tokio::test]
async fn marketplace_order_goes_straight_to_assembly_with_its_items_reserved() {
    let app = TestApp::start().await;

    let answer = create(&app, order("MP-1", json!({ "channel": "marketplace" }))).await;

    assert_eq!(status_of(&app, "MP-1"), "prepare-for-delivery");
    assert_eq!(
        answer["status"], "prepare-for-delivery",
        "the answer tells where it is now"
    );
    // P5: the trigger's status change is in the history, by the trigger, and it cascaded.
    assert_eq!(
        trigger_history(&app, "status"),
        json!([[
            "trigger:p6-marketplace-to-assembly",
            "\"new\"",
            "\"prepare-for-delivery\"",
            "applied"
        ]])
    );
    assert_eq!(
        trigger_history(&app, "reservation"),
        json!([reservation("p4-reserve-items", "reserved")])
    );
    // The thank-you email still goes out; no confirmation email (approval was skipped).
    assert_eq!(subjects(&app).len(), 1, "{:?}", subjects(&app));
    assert!(subjects(&app)[0].contains("Спасибо за заказ"));
}

#[tokio::test]
async fn site_and_phone_orders_wait_for_a_manager_in_new() {
    let app = TestApp::start().await;

    create(&app, order("A-1", json!({ "channel": "site" }))).await;
    create(&app, order("PH-1", json!({ "channel": "phone" }))).await;

    assert_eq!(
        [status_of(&app, "A-1"), status_of(&app, "PH-1")],
        ["new", "new"]
    );
    assert_eq!(trigger_history(&app, "status"), json!([]));
    assert_eq!(trigger_history(&app, "reservation"), json!([]));
}

// ── C: customer communication ──────────────────────────────────────────────────────────

#[tokio::test]
async fn confirmation_email_lists_the_final_items_without_a_payment_line() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    // The operator changed the items before confirming.
    let update = json!({ "type": "order.updated", "data": { "order_id": "A-1",
        "items": [ { "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 3, "price": 45000 } ],
        "total": 135000 } });
    assert_eq!(app.post_event(&evt(), &update).await.status, 200);

    move_to(&app, "A-1", "confirmed", None).await;

    let email = email_about(&app, "подтверждён");
    assert_eq!(email["To"], ANNA_TO);
    assert_eq!(email["Subject"], "Заказ №A-1 подтверждён");
    let text = text_of(&email);
    for expected in [
        "Чай улун, 100 г — 3 × 450,00 ₽ = 1 350,00 ₽",
        "Итого к оплате: 1 350,00 ₽",
    ] {
        assert!(text.contains(expected), "lacks {expected:?}:\n{text}");
    }
    assert!(
        !text.contains("Чашка"),
        "the removed item is not listed:\n{text}"
    );
    assert!(
        !text.contains("Оплатить"),
        "no payment link, no payment line:\n{text}"
    );
    assert_eq!(app.sent_emails().len(), 2, "thank-you + confirmation only");
    assert_eq!(queued(&app), json!([]), "no SMS for a confirmation");
}

#[tokio::test]
async fn completed_order_gets_the_thank_you_warranty_and_returns_email() {
    let app = TestApp::start().await;
    assembled_order(&app).await;
    move_to(&app, "A-1", "handed-to-carrier", None).await;
    let before = app.sent_emails().len();

    move_to(&app, "A-1", "completed", None).await;

    assert_eq!(app.sent_emails().len(), before + 1, "{:?}", subjects(&app));
    let email = email_about(&app, "Спасибо за покупку");
    assert_eq!(email["To"], ANNA_TO);
    let text = text_of(&email);
    for expected in [
        "выполнен",
        "Гарантия",
        "Обмен и возврат",
        "Отзыв",
        "лояльности",
        "vk.com",
    ] {
        assert!(text.contains(expected), "lacks {expected:?}:\n{text}");
    }
    assert_eq!(queued(&app), json!([]), "no SMS on completion");
}

#[tokio::test]
async fn cancelled_order_email_carries_the_reason() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;

    move_to(&app, "A-1", "cancelled", Some("товара нет у поставщика")).await;

    let email = email_about(&app, "отменён");
    assert_eq!(email["Subject"], "Заказ №A-1 отменён");
    assert!(
        text_of(&email).contains("Причина: товара нет у поставщика."),
        "{}",
        text_of(&email)
    );
    assert_eq!(queued(&app), json!([]), "no SMS on cancellation");
}

#[tokio::test]
async fn cancellation_without_a_reason_has_no_reason_line() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;

    move_to(&app, "A-1", "cancelled", None).await;

    let text = text_of(&email_about(&app, "отменён"));
    assert!(!text.contains("Причина"), "{text}");
}

#[tokio::test]
async fn phone_only_customer_gets_no_email_when_cancelled() {
    let app = TestApp::start().await;
    let customer = json!({ "name": "Анна", "phone": "8 912 345 67 89" });
    create(&app, order("A-1", json!({ "customer": customer }))).await;

    move_to(&app, "A-1", "cancelled", Some("дубль")).await;

    assert!(app.sent_emails().is_empty());
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox"), 0);
    // The skipped message is in the history rather than silently dropped.
    assert_eq!(skipped(&app, "c9-cancelled"), 1);
}

#[tokio::test]
async fn handed_over_without_a_track_number_emails_the_customer_now() {
    let app = TestApp::start().await;
    assembled_order(&app).await;

    move_to(&app, "A-1", "handed-to-carrier", None).await;

    let email = email_about(&app, "передан в доставку");
    assert_eq!(email["To"], ANNA_TO);
    assert!(
        text_of(&email).contains("Трек-номер пришлём"),
        "{}",
        text_of(&email)
    );
    let track_emails = subjects(&app)
        .into_iter()
        .filter(|s| s.contains("Трек-номер"))
        .count();
    assert_eq!(
        track_emails, 0,
        "no track-number email without a track number"
    );
    assert_eq!(
        queued(&app),
        json!([]),
        "no tracking SMS without a track number"
    );
    // O9: no carrier integration on this order, so the carrier is asked by email too.
    assert_eq!(
        email_about(&app, "Передача заказа")["To"],
        "orders@carrier.example"
    );
    assert_eq!(
        rows(
            &app,
            "SELECT name, fire_at FROM timers WHERE status = 'pending'"
        ),
        json!([["o9-carrier-reply", "2026-11-24T08:00:00Z"]])
    );
}

#[tokio::test]
async fn track_number_known_at_hand_over_sends_email_and_sms_instead() {
    let app = TestApp::start().await;
    assembled_order(&app).await;
    set_fields(&app, "A-1", json!({ "track_number": "10012345678" })).await;

    move_to(&app, "A-1", "handed-to-carrier", None).await;

    assert!(text_of(&email_about(&app, "Трек-номер")).contains("10012345678"));
    assert!(!subjects(&app)
        .iter()
        .any(|s| s.contains("передан в доставку")));
    assert_eq!(
        queued(&app),
        json!([[
            "sms",
            "track-number-sms",
            ANNA_PHONE,
            "Заказ A-1 в пути. Трек: 10012345678",
            "sent",
            "2026-11-24T07:00:00Z"
        ]])
    );
}

#[tokio::test]
async fn sms_triggered_at_night_waits_for_nine_in_the_morning_but_email_does_not() {
    let app = TestApp::start().await;
    app.clock.set(START + 13 * 3600 + 1800); // 23:30 Moscow, Tuesday
    create(&app, order("A-1", json!({}))).await;

    move_to(&app, "A-1", "no-answer-1", None).await;

    // 09:00 Moscow on Wednesday.
    assert_eq!(
        queued(&app),
        json!([[
            "sms",
            "no-answer-sms",
            ANNA_PHONE,
            NO_ANSWER_SMS,
            "pending",
            "2026-11-25T06:00:00Z"
        ]])
    );
    // Transactional email is not held: the thank-you letter went out at 23:30.
    assert_eq!(app.sent_emails().len(), 1);
    // The callback task counts working hours: an hour after Wednesday's 09:00 opening.
    let tasks = tasks(&app);
    let callback = tasks
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t[1] == "o3-no-answer-1");
    assert_eq!(
        callback.expect("the callback task")[4],
        "2026-11-25T07:00:00Z"
    );
    // Nobody was on shift at 23:30: V1 left the order to the head of sales, by 09:15.
    let assign = tasks
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t[1] == "v1-assign-manager");
    assert_eq!(
        assign.map(|t| (t[2].clone(), t[4].clone())),
        Some((json!("role:head-of-sales"), json!("2026-11-25T06:15:00Z")))
    );
}

// ── O: operator assistance ─────────────────────────────────────────────────────────────

#[tokio::test]
async fn first_no_answer_makes_a_callback_task_in_an_hour_and_queues_an_sms() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;

    move_to(&app, "A-1", "no-answer-1", None).await;

    assert_eq!(
        tasks(&app),
        json!([[
            "Перезвонить по заказу №A-1 (недозвон)",
            "o3-no-answer-1",
            "staff:m.ivanova",
            "open",
            "2026-11-24T08:00:00Z"
        ]])
    );
    assert_eq!(
        queued(&app),
        json!([[
            "sms",
            "no-answer-sms",
            ANNA_PHONE,
            NO_ANSWER_SMS,
            "sent",
            "2026-11-24T07:00:00Z"
        ]])
    );
    assert_eq!(
        app.sent_emails().len(),
        1,
        "no email on the first miss (thank-you only)"
    );
    assert_eq!(status_of(&app, "A-1"), "no-answer-1");
    assert_eq!(
        trigger_history(&app, "reservation"),
        json!([]),
        "P4: one miss keeps them"
    );
}

#[tokio::test]
async fn email_only_customer_gets_no_sms_when_not_reached() {
    let app = TestApp::start().await;
    let customer = json!({ "name": "Анна", "email": ANNA_EMAIL });
    create(&app, order("A-1", json!({ "customer": customer }))).await;

    move_to(&app, "A-1", "no-answer-1", None).await;

    assert_eq!(queued(&app), json!([]));
    assert_eq!(
        tasks(&app).as_array().map(Vec::len),
        Some(1),
        "the callback task is still made"
    );
    assert_eq!(skipped(&app, "o3-no-answer-1"), 1);
}

#[tokio::test]
async fn second_no_answer_makes_a_task_in_two_hours_emails_and_releases() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    move_to(&app, "A-1", "no-answer-1", None).await;

    move_to(&app, "A-1", "no-answer-2", None).await;

    assert_eq!(
        tasks(&app)[1],
        json!([
            "Перезвонить по заказу №A-1 (второй недозвон)",
            "o3-no-answer-2",
            "staff:m.ivanova",
            "open",
            "2026-11-24T09:00:00Z"
        ])
    );
    assert!(text_of(&email_about(&app, "Не можем связаться")).contains("дважды"));
    assert_eq!(
        queued(&app).as_array().map(Vec::len),
        Some(1),
        "only the first miss's SMS"
    );
    assert_eq!(
        trigger_history(&app, "reservation"),
        json!([reservation("p4-release-items", "released")])
    );
}

#[tokio::test]
async fn third_unanswered_call_cancels_the_order_with_reason_no_answer() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    walk(&app, "A-1", &["no-answer-1", "no-answer-2"]).await;
    let (tasks_before, sms_before) = (tasks(&app), queued(&app));

    move_to(&app, "A-1", "no-answer-1", None).await; // no_answer_attempts = 3

    assert_eq!(status_of(&app, "A-1"), "cancelled");
    assert_eq!(
        rows(
            &app,
            "SELECT actor, old_value, new_value, outcome, reason FROM order_history
                    WHERE field = 'status' AND actor LIKE 'trigger:%'"
        ),
        json!([[
            "trigger:o3-no-answer-cancel",
            "\"no-answer-1\"",
            "\"cancelled\"",
            "applied",
            "no answer"
        ]])
    );
    // The cancellation email (C9) carries the reason; no further callback task or SMS.
    assert!(text_of(&email_about(&app, "отменён")).contains("Причина: no answer."));
    assert_eq!(tasks(&app), tasks_before);
    assert_eq!(queued(&app), sms_before);
}

#[tokio::test]
async fn operator_flags_wrong_phone_and_the_customer_is_asked_to_get_in_touch() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    let emails_before = app.sent_emails().len();
    let flag = json!({ "type": "order.flagged", "data": { "order_id": "A-1", "flag": "wrong-phone",
        "actor": { "type": "staff", "id": "m.ivanova" } } });

    let first = app.post_event(&evt(), &flag).await;
    let again = app.post_event(&evt(), &flag).await;

    assert_eq!((first.status.as_u16(), again.status.as_u16()), (200, 200));
    assert_eq!(
        app.sent_emails().len(),
        emails_before + 1,
        "one O1 email, not two"
    );
    assert_eq!(
        rows(&app, "SELECT json_extract(fields, '$.flags') FROM orders"),
        json!([["[\"wrong-phone\"]"]])
    );
    assert_eq!(
        rows(
            &app,
            "SELECT actor, new_value FROM order_history WHERE field = 'flags'"
        ),
        json!([["staff:m.ivanova", "\"wrong-phone\""]])
    );
}

#[tokio::test]
async fn a_misspelt_field_is_refused_naming_it() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    let event = json!({ "type": "order.updated",
        "data": { "order_id": "A-1", "fields": { "callbak_at": "2026-11-25T12:00:00Z" } } });

    let response = app.post_event(&evt(), &event).await;

    assert_eq!(response.status, 422);
    assert!(
        response.text().contains("data.fields.callbak_at"),
        "{}",
        response.text()
    );
    assert_eq!(rows(&app, "SELECT fields FROM orders"), json!([["{}"]]));
}

#[tokio::test]
async fn call_back_requested_with_a_time_makes_a_task_at_that_time() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    move_with_fields(
        &app,
        "A-1",
        "call-back",
        json!({ "callback_at": "2026-11-25T15:00:00+03:00" }),
    )
    .await;

    assert_eq!(
        tasks(&app).as_array().map(Vec::len),
        Some(1),
        "{}",
        tasks(&app)
    );
    assert_eq!(tasks(&app)[0][1], "o2-call-back");
    assert_eq!(tasks(&app)[0][4], "2026-11-25T12:00:00Z");
}

#[tokio::test]
async fn thinking_customer_gets_a_call_on_the_agreed_date_then_a_discount_sms() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    set_fields(
        &app,
        "A-1",
        json!({ "callback_at": "2026-11-25T12:00:00Z" }),
    )
    .await;

    move_to(&app, "A-1", "thinking", None).await;

    assert_eq!(
        tasks(&app),
        json!([[
            "Клиент думает: позвонить по заказу №A-1",
            "o8-thinking-callback",
            "staff:m.ivanova",
            "open",
            "2026-11-25T12:00:00Z"
        ]])
    );
    assert_eq!(
        rows(&app, "SELECT name, fire_at, status FROM timers"),
        json!([["o10-still-thinking", "2026-11-26T12:00:00Z", "pending"]])
    );
    assert_eq!(queued(&app), json!([]), "no discount yet");

    app.tick_after(53 * 3600).await; // 2026-11-26T12:00:00Z, 15:00 Moscow

    assert_eq!(
        queued(&app),
        json!([[
            "sms",
            "thinking-discount-sms",
            ANNA_PHONE,
            "Скидка 5% на заказ A-1 ещё 3 дн. Звоните: +7 495 123-45-67",
            "sent",
            "2026-11-26T12:00:00Z"
        ]])
    );
}

#[tokio::test]
async fn invoice_sent_marks_the_payment_status_and_starts_the_payment_check() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;

    move_to(&app, "A-1", "invoice-sent", None).await;

    assert_eq!(
        rows(&app, "SELECT payment_status FROM orders"),
        json!([["invoice-sent"]])
    );
    assert_eq!(
        trigger_history(&app, "payment_status"),
        json!([[
            "trigger:o5-invoice-sent",
            "\"not-paid\"",
            "\"invoice-sent\"",
            "applied"
        ]])
    );
    // invoice_check_days = 2
    assert_eq!(
        rows(&app, "SELECT order_id, name, fire_at, status FROM timers"),
        json!([["A-1", "o5-invoice-check", "2026-11-26T07:00:00Z", "pending"]])
    );
    assert_eq!(
        tasks(&app),
        json!([]),
        "the reminder task waits for the check"
    );
    assert_eq!(app.sent_emails().len(), 1, "only the thank-you email");
}

#[tokio::test]
async fn carrier_that_does_not_reply_within_an_hour_gets_a_phone_call_task() {
    let app = TestApp::start().await;
    assembled_order(&app).await;
    move_to(&app, "A-1", "handed-to-carrier", None).await;
    app.tick_after(59 * 60).await;
    assert_eq!(tasks(&app), json!([]), "not before carrier_reply_hours");

    app.tick_after(60).await;

    assert_eq!(
        tasks(&app),
        json!([[
            "Позвонить в службу доставки: заказ №A-1 не подтверждён",
            "o9-carrier-no-reply",
            "role:courier-desk",
            "open",
            "2026-11-24T08:15:00Z"
        ]])
    );
    assert_eq!(
        rows(
            &app,
            "SELECT status FROM timers WHERE name = 'o9-carrier-reply'"
        ),
        json!([["fired"]])
    );
}

// ── S: staff control ───────────────────────────────────────────────────────────────────

#[tokio::test]
async fn large_order_queues_a_note_for_the_head_of_sales() {
    let app = TestApp::start().await;

    create(&app, order("BIG-1", json!({ "total": 5_000_000 }))).await; // 50 000 ₽

    let notes = queued(&app);
    assert_eq!(notes.as_array().map(Vec::len), Some(1), "{notes}");
    // p.sidorov, the head of sales, has a Telegram chat.
    assert_eq!(notes[0][0], "telegram");
    assert_eq!(notes[0][1], "staff-note");
    assert_eq!(notes[0][2], "100000002");
    let text = notes[0][3].as_str().expect("text");
    assert!(
        text.contains("BIG-1") && text.contains("50 000,00 ₽"),
        "{text}"
    );
    assert_eq!(notes[0][4], "sent");
    assert_eq!(app.sent_emails().len(), 1, "the customer's thank-you only");
}

#[tokio::test]
async fn order_just_below_the_threshold_notifies_nobody() {
    let app = TestApp::start().await;

    create(&app, order("A-1", json!({ "total": 4_999_999 }))).await;

    assert_eq!(queued(&app), json!([]));
    assert_eq!(
        rows(&app, "SELECT recipient FROM outbox"),
        json!([[ANNA_EMAIL]])
    );
}

#[tokio::test]
async fn replayed_status_event_repeats_no_trigger_effects() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    let event = json!({ "type": "order.status_changed",
        "data": { "order_id": "A-1", "status": "no-answer-1" } });
    let first = app.post_event("evt-na1", &event).await;
    let (tasks_before, sms_before) = (tasks(&app), queued(&app));

    let again = app.post_event("evt-na1", &event).await;

    assert_eq!(json_of(&again), json_of(&first));
    assert_eq!(tasks(&app), tasks_before);
    assert_eq!(queued(&app), sms_before);
}

// ── P1, O7, V3 ─────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_shop_adds_its_own_status_and_its_transitions_are_enforced() {
    let dir = crate::support::app_with_config(|config| {
        let path = config.join("statuses.toml");
        let text = std::fs::read_to_string(&path).expect("statuses");
        let text = text.replacen(
            "\"new\" = [\"no-answer-1\",",
            "\"new\" = [\"awaiting-photo\", \"no-answer-1\",",
            1,
        );
        let extra = "\n[[status]]\ncode = \"awaiting-photo\"\ngroup = \"approval\"\nlabel_ru = \"Ждём фото\"\nlabel_en = \"Waiting for a photo\"\n";
        let text = text.replacen("\n[transitions]", &format!("{extra}\n[transitions]"), 1)
            + "\"awaiting-photo\" = [\"confirmed\", \"cancelled\"]\n";
        std::fs::write(&path, text).expect("write");
    });
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;
    create(&app, order("A-1", json!({}))).await;

    move_to(&app, "A-1", "awaiting-photo", None).await;
    let event = json!({ "type": "order.status_changed",
        "data": { "order_id": "A-1", "status": "completed" } });
    let refused = app.post_event(&evt(), &event).await;

    assert_eq!(status_of(&app, "A-1"), "awaiting-photo");
    assert_eq!(refused.status, 409, "{}", refused.text());
}

/// `statuses.toml` with `delivery-problem` switched off; `and_unnamed` also removes it from
/// the transitions, as docs/configuration.md asks.
fn without_delivery_problem(and_unnamed: bool) -> tempfile::TempDir {
    crate::support::app_with_config(|config| {
        let path = config.join("statuses.toml");
        let mut text = std::fs::read_to_string(&path).expect("statuses");
        text = text.replacen(
            "code = \"delivery-problem\"\n",
            "code = \"delivery-problem\"\nenabled = false\n",
            1,
        );
        if and_unnamed {
            text = text
                .lines()
                .filter(|line| !line.starts_with("\"delivery-problem\" ="))
                .map(|line| line.replace("\"delivery-problem\", ", ""))
                .collect::<Vec<_>>()
                .join("\n");
        }
        std::fs::write(&path, text).expect("write");
        // The trigger that moves parcels with a problem there goes too.
        let path = config.join("triggers.toml");
        let triggers = std::fs::read_to_string(&path).expect("triggers");
        let start = triggers
            .find("id = \"d1-delivery-problem\"")
            .expect("d1 trigger");
        let start = triggers[..start].rfind("[[trigger]]").expect("its header");
        let end = start
            + 1
            + triggers[start + 1..]
                .find("[[trigger]]")
                .expect("next trigger");
        let triggers = format!("{}{}", &triggers[..start], &triggers[end..]);
        std::fs::write(&path, triggers).expect("write");
    })
}

#[tokio::test]
async fn a_shop_switches_a_status_off_and_orders_can_no_longer_enter_it() {
    let dir = without_delivery_problem(true);
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;
    assembled_order(&app).await;
    move_to(&app, "A-1", "handed-to-carrier", None).await;

    let event = json!({ "type": "order.status_changed",
        "data": { "order_id": "A-1", "status": "delivery-problem" } });
    let refused = app.post_event(&evt(), &event).await;

    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(
        refused.text().contains("switched off"),
        "{}",
        refused.text()
    );
    assert_eq!(status_of(&app, "A-1"), "handed-to-carrier");
    // The rest of the path still works.
    move_to(&app, "A-1", "completed", None).await;
}

#[tokio::test]
async fn a_status_switched_off_but_still_named_stops_the_app_with_the_reason() {
    let dir = without_delivery_problem(false);
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;

    let response = app.post_event(&evt(), &order("A-1", json!({}))).await;

    assert_eq!(response.status, 503, "{}", response.text());
    let text = response.text();
    assert!(
        text.contains("statuses.toml") && text.contains("disabled status \\\"delivery-problem\\\""),
        "{text}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 0);
}

fn emails_to(app: &TestApp, address: &str) -> Vec<Value> {
    app.sent_emails()
        .into_iter()
        .filter(|e| e["To"].as_str().is_some_and(|to| to.contains(address)))
        .collect()
}

#[tokio::test]
async fn chosen_supplier_is_asked_for_an_invoice() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    let flag = json!({ "type": "order.flagged", "data": { "order_id": "A-1",
        "flag": "supplier-chosen", "supplier": "Orders@ChaiDom.example" } });

    let response = app.post_event(&evt(), &flag).await;

    assert_eq!(response.status, 200, "{}", response.text());
    let requests = emails_to(&app, "orders@chaidom.example");
    assert_eq!(requests.len(), 1, "{:?}", app.sent_emails());
    assert!(text_of(&requests[0]).contains("TEA-001"));
    assert!(emails_to(&app, "supplier@example.com").is_empty());
}

#[tokio::test]
async fn without_a_named_supplier_the_shops_supplier_is_asked() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    let flag = json!({ "type": "order.flagged", "data": { "order_id": "A-1", "flag": "supplier-chosen" } });

    app.post_event(&evt(), &flag).await;

    assert_eq!(emails_to(&app, "supplier@example.com").len(), 1);
}

#[tokio::test]
async fn a_supplier_that_is_not_an_email_address_is_refused() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    let flag = json!({ "type": "order.flagged", "data": { "order_id": "A-1",
        "flag": "supplier-chosen", "supplier": "Чайный дом" } });

    let response = app.post_event(&evt(), &flag).await;

    assert_eq!(response.status, 422);
    assert!(
        response.text().contains("data.supplier"),
        "{}",
        response.text()
    );
}

#[tokio::test]
async fn confirmation_email_carries_the_payment_link_when_the_shop_set_one() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    set_fields(
        &app,
        "A-1",
        json!({ "payment_link": "https://pay.example/i/A-1" }),
    )
    .await;

    move_to(&app, "A-1", "confirmed", None).await;

    let confirmation = email_about(&app, "подтвержд");
    assert!(
        text_of(&confirmation).contains("https://pay.example/i/A-1"),
        "{}",
        text_of(&confirmation)
    );
}
