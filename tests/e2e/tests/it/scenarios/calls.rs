//! Phone calls at `/webhooks/calls/{pbx}` (issue 7), shown with the generic format: one call
//! however many events, one reaction however often the end is reported; O4, C10, O3, a
//! returned call closing its callback task, and the V9 report.

mod mango;
mod zadarma;

use bytes::Bytes;

use super::*;
use crate::support::{signature_with, sms_sent, CALLS_SECRET};

/// 2026-11-24 10:00 Moscow (the test clock's start).
const MORNING: &str = "2026-11-24T10:00:00+03:00";
const BUSY_SMS: &str = "Все операторы заняты. Перезвоним вам через несколько минут";

fn call_request(app: &TestApp, webhook_id: &str, body: &[u8]) -> http::Request<Bytes> {
    let ts = app.clock.unix_seconds() as i64;
    http::Request::post("http://orders.shop.example/webhooks/calls/generic")
        .header("content-type", "application/json")
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", ts.to_string())
        .header(
            "webhook-signature",
            signature_with(CALLS_SECRET, webhook_id, ts, body),
        )
        .body(Bytes::copy_from_slice(body))
        .expect("request")
}

/// Posts a generic call event; returns the answer.
async fn post_call(app: &TestApp, webhook_id: &str, kind: &str, data: Value) -> Value {
    let body = serde_json::to_vec(&json!({ "type": kind, "data": data })).expect("json");
    let response = app.send(call_request(app, webhook_id, &body)).await;
    assert_eq!(response.status, 200, "{kind}: {}", response.text());
    json_of(&response)
}

fn started(call_id: &str, direction: &str, at: &str) -> Value {
    json!({ "call_id": call_id, "direction": direction, "customer_number": "+7 912 345-67-89",
            "line": "+74951234567", "started_at": at })
}

fn ended(call_id: &str, direction: &str, at: &str, outcome: &str) -> Value {
    let mut data = started(call_id, direction, at);
    data["ended_at"] = json!(at);
    data["outcome"] = json!(outcome);
    if outcome == "answered" {
        data["operator"] = json!("101");
        data["answered_at"] = json!(at);
    }
    data
}

fn calls_log(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT direction, phone, outcome, finished, order_id, lead FROM calls ORDER BY id",
    )
}

fn sms_bodies(app: &TestApp) -> Vec<String> {
    app.query("SELECT body_text FROM outbox WHERE channel = 'sms' ORDER BY id")
        .into_iter()
        .map(|row| row[0].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_missed_call_from_a_customer_is_one_call_one_task_and_one_sms() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({ "manager": "m.ivanova" }))).await;

    post_call(
        &app,
        "c-1",
        "call.started",
        started("pbx-1", "inbound", MORNING),
    )
    .await;
    let end = post_call(
        &app,
        "c-2",
        "call.ended",
        ended("pbx-1", "inbound", MORNING, "missed"),
    )
    .await;
    // The PBX reports the end again under another id, and a stray start arrives late.
    post_call(
        &app,
        "c-3",
        "call.ended",
        ended("pbx-1", "inbound", MORNING, "missed"),
    )
    .await;
    post_call(
        &app,
        "c-4",
        "call.started",
        started("pbx-1", "inbound", MORNING),
    )
    .await;

    assert_eq!(end["order_id"], "A-1");
    assert_eq!(
        calls_log(&app),
        json!([["inbound", "+79123456789", "missed", 1, "A-1", 0]])
    );
    assert_eq!(
        rows(&app, "SELECT title, assignee FROM tasks"),
        json!([[
            "Перезвонить +79123456789: пропущенный звонок по заказу №A-1",
            "staff:m.ivanova"
        ]])
    );
    assert_eq!(
        sms_bodies(&app)
            .iter()
            .filter(|b| b.as_str() == BUSY_SMS)
            .count(),
        1,
        "{:?}",
        sms_bodies(&app)
    );
}

#[tokio::test]
async fn a_stranger_who_was_not_answered_becomes_a_lead() {
    let app = TestApp::start().await;

    let end = post_call(
        &app,
        "c-1",
        "call.ended",
        ended("pbx-1", "inbound", MORNING, "busy"),
    )
    .await;

    assert_eq!(end["lead"], true);
    let lead = end["order_id"].as_str().expect("lead order").to_owned();
    assert!(lead.starts_with("call-79123456789-"), "{lead}");
    assert_eq!(status_of(&app, &lead), "new");
    assert_eq!(sms_bodies(&app), [BUSY_SMS]);
}

#[tokio::test]
async fn a_call_after_hours_gets_the_hours_sms_and_a_task_for_the_morning() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    let evening = "2026-11-24T19:30:00+03:00";
    app.clock
        .advance(std::time::Duration::from_secs(9 * 3600 + 31 * 60)); // 19:31 Moscow

    post_call(
        &app,
        "c-1",
        "call.ended",
        ended("pbx-1", "inbound", evening, "missed"),
    )
    .await;

    assert_eq!(
        rows(&app, "SELECT reason, due_at FROM tasks"),
        json!([["c10-after-hours-call", "2026-11-25T06:00:00Z"]])
    );
    assert!(
        !sms_bodies(&app).contains(&BUSY_SMS.to_owned()),
        "not 'operators are busy' at night"
    );
    assert_eq!(rows(&app, "SELECT after_hours FROM calls"), json!([[1]]));
}

#[tokio::test]
async fn our_unanswered_calls_count_as_attempts_until_the_order_is_cancelled() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    move_to(&app, "A-1", "no-answer-1", None).await;

    post_call(
        &app,
        "c-1",
        "call.ended",
        ended("out-1", "outbound", MORNING, "missed"),
    )
    .await;
    assert_eq!(
        status_of(&app, "A-1"),
        "no-answer-2",
        "the second failed attempt"
    );
    post_call(
        &app,
        "c-2",
        "call.ended",
        ended("out-2", "outbound", MORNING, "busy"),
    )
    .await;

    assert_eq!(
        status_of(&app, "A-1"),
        "cancelled",
        "third attempt: no answer"
    );
    assert_eq!(
        rows(
            &app,
            "SELECT reason FROM order_history WHERE field = 'status' ORDER BY id DESC LIMIT 1"
        ),
        json!([["no answer"]])
    );
}

#[tokio::test]
async fn calling_the_customer_back_closes_the_callback_task() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    post_call(
        &app,
        "c-1",
        "call.ended",
        ended("pbx-1", "inbound", MORNING, "missed"),
    )
    .await;
    app.clock.advance(std::time::Duration::from_secs(300));

    let later = "2026-11-24T10:05:00+03:00";
    post_call(
        &app,
        "c-2",
        "call.ended",
        ended("out-1", "outbound", later, "answered"),
    )
    .await;

    assert_eq!(
        rows(&app, "SELECT status, done_by FROM tasks"),
        json!([["done", "pbx:generic"]])
    );
    let response = app
        .api(
            "GET",
            "/api/reports/calls?from=2026-11-24&to=2026-11-24",
            None,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let report = json_of(&response);
    assert_eq!(report["callbacks"]["called_back"], 1, "{report}");
    assert_eq!(report["callbacks"]["median_seconds"], 300);
    assert_eq!(
        report["operators"],
        json!([
            { "operator": "101", "answered": 0, "missed": 0, "outbound_answered": 1,
              "outbound_unanswered": 0 },
            { "operator": "none", "answered": 0, "missed": 1, "outbound_answered": 0,
              "outbound_unanswered": 0 }
        ])
    );
    assert_eq!(report["days"][0]["date"], "2026-11-24");
    assert_eq!(report["time_zone"], "Europe/Moscow");
}

#[tokio::test]
async fn bad_call_events_are_refused_and_store_nothing() {
    let app = TestApp::start().await;
    let body = serde_json::to_vec(&json!({ "type": "call.ended",
        "data": ended("pbx-1", "inbound", MORNING, "missed") }))
    .expect("json");

    let mut forged = call_request(&app, "c-1", &body);
    *forged.body_mut() = Bytes::from_static(b"{\"type\":\"call.ended\",\"data\":{}}");
    let forged = app.send(forged).await;
    let malformed = app.send(call_request(&app, "c-2", b"{\"type\":")).await;
    let unknown = app
        .send(
            http::Request::post("http://orders.shop.example/webhooks/calls/asterisk")
                .body(Bytes::new())
                .expect("request"),
        )
        .await;
    let unconfigured = TestApp::start_with(|b| b.variable("calls_webhook_secret", "")).await;
    let refused = unconfigured
        .send(call_request(&unconfigured, "c-3", &body))
        .await;

    assert_eq!(forged.status, 401, "{}", forged.text());
    assert_eq!(malformed.status, 400, "{}", malformed.text());
    assert_eq!(unknown.status, 404, "{}", unknown.text());
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM calls"), 0);
}

// ── Shared by the PBX formats (calls/mango.rs, calls/zadarma.rs) ───────────────────────

/// C10's SMS with the shop's hours.
const AFTER_HOURS_SMS: &str = "Мы работаем Пн–Пт 09:00–18:00. Перезвоним вам в рабочее время";

/// The bytes of `tests/fixtures/<path>`, exactly as the PBX sends them.
fn fixture_bytes(path: &str) -> Bytes {
    let file = crate::support::workspace_root()
        .join("tests/fixtures")
        .join(path);
    Bytes::from(std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())))
}

/// Everything the call log keeps of each call: direction, phone, line, operator, started,
/// answered, ended, talk seconds, outcome, finished, order, lead, after hours.
fn call_rows(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT direction, phone, line, operator, started_at, answered_at, ended_at, duration,
                outcome, finished, order_id, lead, after_hours FROM calls ORDER BY id",
    )
}

/// How many calls have reacted.
fn reactions(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM calls WHERE reacted_at IS NOT NULL")
}

/// 19:31 Moscow, just after the fixtures' 19:30 calls (their reaction's due times use the
/// clock).
fn after_the_evening_call(app: &TestApp) {
    app.clock
        .advance(std::time::Duration::from_secs(9 * 3600 + 31 * 60));
}

/// C10's callback task for an evening call about `order_id`, due when the shop opens.
fn c10_task(order_id: &str) -> Value {
    json!([
        format!("Перезвонить +79123456789 (заказ №{order_id}): звонил в нерабочее время"),
        "c10-after-hours-call",
        "staff:m.ivanova",
        "open",
        "2026-11-25T06:00:00Z"
    ])
}

/// A-1's customer's missed evening call, as `expected` (the PBX's row): one call, one reaction,
/// C10's morning task and the working-hours SMS — no "operators are busy" — and no email but
/// the order's thank-you.
fn assert_one_evening_call_with_the_hours_sms(app: &TestApp, expected: Value) {
    assert_eq!(call_rows(app), expected);
    assert_eq!(reactions(app), 1);
    assert_eq!(tasks(app), json!([c10_task("A-1")]));
    assert_eq!(sms_sent(app), one_sms(ANNA_PHONE, AFTER_HOURS_SMS));
    assert_eq!(
        sms_bodies(app),
        [AFTER_HOURS_SMS],
        "no 'operators are busy'"
    );
    assert_eq!(app.sent_emails().len(), 1, "only the thank-you email");
}

/// One SMS as SMS.ru receives it (the number without its `+`) with its text.
fn one_sms(phone: &str, text: &str) -> [(String, String); 1] {
    [(phone.trim_start_matches('+').to_owned(), text.to_owned())]
}

/// A copy of the app whose O4 trigger has another id, and whose task is a callback only when
/// `callback` (`done_on_callback = true` as shipped, or the key removed).
fn o4_renamed(callback: bool) -> tempfile::TempDir {
    crate::support::app_with_config(|config| {
        let path = config.join("triggers.toml");
        let text = std::fs::read_to_string(&path).expect("triggers");
        let mut text = text.replacen(
            "id = \"o4-missed-call-task\"",
            "id = \"o4-call-the-customer\"",
            1,
        );
        if !callback {
            let o4 = text.find("id = \"o4-call-the-customer\"").expect("o4");
            let key = o4 + text[o4..].find("done_on_callback = true\n").expect("key");
            text.replace_range(key..key + "done_on_callback = true\n".len(), "");
        }
        std::fs::write(&path, text).expect("write");
    })
}

/// A missed call in the morning, then our answered call five minutes later.
async fn missed_then_called_back(app: &TestApp) {
    create(app, order("A-1", json!({}))).await;
    post_call(
        app,
        "c-1",
        "call.ended",
        ended("pbx-1", "inbound", MORNING, "missed"),
    )
    .await;
    app.clock.advance(std::time::Duration::from_secs(300));
    let later = "2026-11-24T10:05:00+03:00";
    post_call(
        app,
        "c-2",
        "call.ended",
        ended("out-1", "outbound", later, "answered"),
    )
    .await;
}

#[tokio::test]
async fn the_configuration_says_which_tasks_a_returned_call_closes() {
    let renamed = o4_renamed(true);
    let app = TestApp::start_from(&renamed.path().join("spin.toml"), |b| b).await;

    missed_then_called_back(&app).await;

    assert_eq!(
        rows(&app, "SELECT reason, status, done_by FROM tasks"),
        json!([["o4-call-the-customer", "done", "pbx:generic"]]),
        "the renamed trigger's task is still a callback"
    );
}

#[tokio::test]
async fn a_task_not_marked_as_a_callback_stays_open_after_the_call() {
    let plain = o4_renamed(false);
    let app = TestApp::start_from(&plain.path().join("spin.toml"), |b| b).await;

    missed_then_called_back(&app).await;

    assert_eq!(
        rows(&app, "SELECT reason, status, done_by FROM tasks"),
        json!([["o4-call-the-customer", "open", null]])
    );
}
