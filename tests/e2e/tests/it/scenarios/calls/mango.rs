//! Mango Office VPBX at `/webhooks/calls/mango/events/{call|summary|…}` with the fixtures in
//! `tests/fixtures/mango/`: form bodies with `vpbx_api_key`, `sign` and `json`, per-leg events
//! and a final summary folded into one call that reacts once (C10, O3, a lead), and the
//! requests that must store nothing.

use orderpath_harness::HarnessResponse;
use sha2::{Digest, Sha256};

use super::*;
use crate::support::{sms_sent, MANGO_KEY, MANGO_SALT};

const MISSED: [&str; 3] = [
    "inbound-missed.1-appeared",
    "inbound-missed.2-disconnected",
    "inbound-missed.3-summary",
];
const ANSWERED: [&str; 4] = [
    "inbound-answered.1-appeared",
    "inbound-answered.2-connected",
    "inbound-answered.3-disconnected",
    "inbound-answered.4-summary",
];
const OUTBOUND: [&str; 2] = [
    "outbound-no-answer.1-appeared",
    "outbound-no-answer.2-summary",
];

/// The path Mango appends to the base URL for a fixture.
fn path_of(name: &str) -> &'static str {
    if name.contains("summary") {
        "events/summary"
    } else if name.contains("dtmf") {
        "events/dtmf"
    } else {
        "events/call"
    }
}

fn mango_request(path: &str, body: Bytes) -> http::Request<Bytes> {
    http::Request::post(format!(
        "http://orders.shop.example/webhooks/calls/mango/{path}"
    ))
    .header("content-type", "application/x-www-form-urlencoded")
    .body(body)
    .expect("request")
}

/// Posts `tests/fixtures/mango/<name>.form` to its path as it is.
async fn post_fixture(app: &TestApp, name: &str) -> HarnessResponse {
    let body = fixture_bytes(&format!("mango/{name}.form"));
    app.send(mango_request(path_of(name), body)).await
}

/// Posts the fixtures in order, each accepted; returns the answers.
async fn post_all(app: &TestApp, names: &[&str]) -> Vec<Value> {
    let mut answers = Vec::new();
    for name in names {
        let response = post_fixture(app, name).await;
        assert_eq!(response.status, 200, "{name}: {}", response.text());
        answers.push(json_of(&response));
    }
    answers
}

/// A form as Mango builds it, with its own `vpbx_api_key`, `json` and the sign over them.
fn signed_form(key: &str, json: &str) -> Bytes {
    let sign = Sha256::digest(format!("{key}{json}{MANGO_SALT}").as_bytes());
    let sign: String = sign.iter().map(|b| format!("{b:02x}")).collect();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("vpbx_api_key", key)
        .append_pair("sign", &sign)
        .append_pair("json", json)
        .finish();
    Bytes::from(body)
}

/// A fixture with one of its fields replaced.
fn fixture_with(name: &str, field: &str, value: &str) -> Bytes {
    let fields = crate::support::form_fields(&fixture_bytes(&format!("mango/{name}.form")));
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (key, original) in &fields {
        form.append_pair(key, if key == field { value } else { original });
    }
    Bytes::from(form.finish())
}

/// The evening call the fixtures describe: 19:30:00–19:30:25 Moscow, nobody answered.
fn evening_missed_call(order_id: &str, lead: i64) -> Value {
    json!([[
        "inbound",
        ANNA_PHONE,
        "74951234567",
        null,
        "2026-11-24T16:30:00Z",
        null,
        "2026-11-24T16:30:25Z",
        0,
        "missed",
        1,
        order_id,
        lead,
        1
    ]])
}

// ── A missed call, after hours (C10) ───────────────────────────────────────────────────

#[tokio::test]
async fn a_missed_evening_call_is_one_call_with_the_hours_sms_and_a_morning_task() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({ "manager": "m.ivanova" }))).await;
    after_the_evening_call(&app);

    let answers = post_all(&app, &MISSED).await;

    assert_eq!(answers[2]["finished"], true, "{answers:?}");
    assert_eq!(answers[2]["order_id"], "A-1");
    assert_one_evening_call_with_the_hours_sms(&app, evening_missed_call("A-1", 0));
}

#[tokio::test]
async fn a_missed_call_reported_twice_and_backwards_still_reacts_once() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({ "manager": "m.ivanova" }))).await;
    after_the_evening_call(&app);
    let backwards: Vec<&str> = MISSED.iter().rev().copied().collect();

    let first = post_all(&app, &backwards).await;
    let again = post_all(&app, &backwards).await;

    assert_eq!(first[0]["finished"], true, "the summary came first");
    assert!(again.iter().all(|a| a["duplicate"] == true), "{again:?}");
    assert_one_evening_call_with_the_hours_sms(&app, evening_missed_call("A-1", 0));
}

// ── An answered call ───────────────────────────────────────────────────────────────────

#[tokio::test]
async fn an_answered_call_is_logged_with_its_operator_and_needs_no_callback() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({ "manager": "m.ivanova" }))).await;

    post_all(&app, &ANSWERED).await;

    assert_eq!(call_rows(&app), answered_call());
    assert_eq!(reactions(&app), 1);
    assert_eq!(tasks(&app), json!([]));
    assert!(sms_sent(&app).is_empty(), "{:?}", sms_sent(&app));
    assert_eq!(sms_bodies(&app), Vec::<String>::new());
    assert_eq!(app.sent_emails().len(), 1, "only the thank-you email");
    assert_eq!(status_of(&app, "A-1"), "new");
}

/// The answered call the fixtures describe, as the log keeps it.
fn answered_call() -> Value {
    json!([[
        "inbound",
        ANNA_PHONE,
        "74951234567",
        "101",
        "2026-11-24T07:00:00Z",
        "2026-11-24T07:00:08Z",
        "2026-11-24T07:03:08Z",
        180,
        "answered",
        1,
        "A-1",
        0,
        0
    ]])
}

#[tokio::test]
async fn an_answered_call_reported_backwards_is_the_same_call() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({ "manager": "m.ivanova" }))).await;
    let backwards: Vec<&str> = ANSWERED.iter().rev().copied().collect();

    post_all(&app, &backwards).await;

    assert_eq!(call_rows(&app), answered_call());
    assert_eq!(reactions(&app), 1);
    assert_eq!(tasks(&app), json!([]));
    assert!(sms_sent(&app).is_empty(), "{:?}", sms_sent(&app));
}

// ── Our unanswered call (O3) ───────────────────────────────────────────────────────────

#[tokio::test]
async fn our_unanswered_call_moves_the_order_to_the_second_no_answer() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({ "manager": "m.ivanova" }))).await;
    move_to(&app, "A-1", "no-answer-1", None).await;
    let sms_before = sms_sent(&app);
    let emails_before = app.sent_emails().len();

    post_all(&app, &OUTBOUND).await;

    assert_eq!(status_of(&app, "A-1"), "no-answer-2");
    assert_eq!(
        call_rows(&app),
        json!([[
            "outbound",
            ANNA_PHONE,
            "74951234567",
            "101",
            "2026-11-24T07:15:00Z",
            null,
            "2026-11-24T07:15:30Z",
            0,
            "missed",
            1,
            "A-1",
            0,
            0
        ]])
    );
    let titles: Vec<Value> = tasks(&app)
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t[0].clone())
        .collect();
    assert_eq!(
        titles,
        [
            "Перезвонить по заказу №A-1 (недозвон)",
            "Перезвонить по заказу №A-1 (второй недозвон)"
        ]
    );
    // no-answer-2 writes an email; the call itself sends no SMS.
    assert_eq!(sms_sent(&app), sms_before);
    assert_eq!(app.sent_emails().len(), emails_before + 1);
}

// ── A stranger (a lead) ────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_missed_call_from_an_unknown_number_becomes_a_lead_with_the_busy_sms() {
    let app = TestApp::start().await;
    // 10:06: the summary comes after the call (10:05:00–10:05:30).
    app.clock.advance(std::time::Duration::from_secs(360));

    let answers = post_all(&app, &["unknown-number-missed.summary"]).await;

    let lead = "call-79990001122-1795503900";
    assert_eq!(answers[0]["lead"], true, "{answers:?}");
    assert_eq!(answers[0]["order_id"], lead);
    assert_eq!(
        rows(&app, "SELECT id, status, channel, order_method FROM orders"),
        json!([[lead, "new", "phone", "missed-call"]])
    );
    assert_eq!(
        rows(
            &app,
            "SELECT direction, phone, outcome, finished, order_id, lead, after_hours FROM calls"
        ),
        json!([["inbound", "+79990001122", "missed", 1, lead, 1, 0]])
    );
    assert_eq!(sms_sent(&app), one_sms("+79990001122", BUSY_SMS));
    // The lead is an order in progress with no manager yet: O4's callback task for the role.
    assert_eq!(
        tasks(&app),
        json!([[
            format!("Перезвонить +79990001122: пропущенный звонок по заказу №{lead}"),
            "o4-missed-call-task",
            "role:manager",
            "open",
            "2026-11-24T07:11:00Z"
        ]])
    );
    assert!(
        !sms_bodies(&app).contains(&AFTER_HOURS_SMS.to_owned()),
        "in working hours"
    );
    assert!(app.sent_emails().is_empty(), "a lead has no email address");
}

// ── Ignored and refused ────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_key_press_is_acknowledged_and_stores_no_call() {
    let app = TestApp::start().await;

    let response = post_fixture(&app, "dtmf").await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(json_of(&response)["ignored"], "events/dtmf");
    assert_eq!(app.count("SELECT COUNT(*) FROM calls"), 0);
    assert_eq!(app.footprint(), (0, 0, 0));
}

#[tokio::test]
async fn a_wrong_sign_or_key_is_refused_and_stores_nothing() {
    let app = TestApp::start().await;
    let summary = "inbound-missed.3-summary";

    let wrong_sign = fixture_with(summary, "sign", &"0".repeat(64));
    let wrong_sign = app.send(mango_request("events/summary", wrong_sign)).await;
    let wrong_key = fixture_with(summary, "vpbx_api_key", "another-vpbx-key");
    let wrong_key = app.send(mango_request("events/summary", wrong_key)).await;
    // Signed correctly, but with another key than ours.
    let json = crate::support::form_field(&fixture_bytes(&format!("mango/{summary}.form")), "json")
        .expect("json field");
    let other = app
        .send(mango_request(
            "events/summary",
            signed_form("another-vpbx-key", &json),
        ))
        .await;

    for response in [&wrong_sign, &wrong_key, &other] {
        assert_eq!(response.status, 401, "{}", response.text());
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM calls"), 0);
    assert_eq!(app.footprint(), (0, 0, 0));
    assert!(sms_sent(&app).is_empty());
}

#[tokio::test]
async fn a_json_field_that_is_not_json_is_refused_as_malformed() {
    let app = TestApp::start().await;

    let body = signed_form(MANGO_KEY, "{\"entry_id\": \"MToxMDA3NTYz");
    let response = app.send(mango_request("events/summary", body)).await;

    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM calls"), 0);
    assert_eq!(app.footprint(), (0, 0, 0));
}

#[tokio::test]
async fn without_the_api_key_mango_events_wait_with_503() {
    let app = TestApp::start_with(|b| b.variable("mango_api_key", "")).await;

    let response = post_fixture(&app, "inbound-missed.3-summary").await;

    assert_eq!(response.status, 503, "{}", response.text());
    assert_eq!(
        json_of(&response)["error"]["code"],
        "provider_not_configured"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM calls"), 0);
    assert_eq!(app.footprint(), (0, 0, 0));
    assert!(sms_sent(&app).is_empty());
}
