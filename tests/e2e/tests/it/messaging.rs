//! Outbound messages through each provider's real protocol (mock servers answer as the
//! providers do): what was sent, what was stored, and that nothing is lost or sent twice.

use std::sync::atomic::{AtomicUsize, Ordering};

use orderpath_harness::{MockServer, Responder};
use serde_json::{json, Value};

use crate::support::{
    form_field, form_fields, multipart_fields, sms_sent, smsru_ok, smsru_refused, TestApp,
    SMSRU_API_ID, START, TELEGRAM_TOKEN,
};

const ANNA: &str = "+79123456789";

fn order(id: &str, phone: &str) -> Value {
    json!({ "type": "order.created", "data": {
        "order_id": id, "currency": "RUB",
        "customer": { "name": "Анна Петрова", "phone": phone, "email": "anna@example.com" },
        "items": [{ "sku": "TEA-001", "name": "Чай", "qty": 1, "price": 45000 }],
        "total": 45000 } })
}

fn evt() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("evt-m-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Creates the order and moves it to `no-answer-1`, which texts the customer (O3).
async fn not_reached(app: &TestApp, id: &str, phone: &str) {
    assert_eq!(app.post_event(&evt(), &order(id, phone)).await.status, 201);
    let moved = json!({ "type": "order.status_changed",
        "data": { "order_id": id, "status": "no-answer-1" } });
    assert_eq!(app.post_event(&evt(), &moved).await.status, 200);
}

/// Outbox SMS rows: recipient, status, attempts, provider, provider id, last error.
fn sms_rows(app: &TestApp) -> Vec<Vec<Value>> {
    app.query(
        "SELECT recipient, status, attempts, provider, provider_message_id, last_error
         FROM outbox WHERE channel = 'sms' ORDER BY id",
    )
}

// ── SMS.ru ─────────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn sms_goes_to_smsru_as_a_form_and_its_id_is_kept() {
    let app = TestApp::start().await;

    not_reached(&app, "A-1", "8 912 345-67-89").await;

    let requests = app.sms_api.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/sms/send");
    assert_eq!(
        requests[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let fields = form_fields(&requests[0].body);
    let field = |name: &str| form_field(&requests[0].body, name);
    assert_eq!(field("api_id").as_deref(), Some(SMSRU_API_ID), "{fields:?}");
    assert_eq!(field("to").as_deref(), Some("79123456789"));
    assert_eq!(field("json").as_deref(), Some("1"));
    assert!(field("msg").is_some_and(|m| m.starts_with("Не дозвонились по заказу A-1")));
    assert_eq!(
        sms_rows(&app),
        vec![vec![
            json!(ANNA),
            json!("sent"),
            json!(1),
            json!("smsru"),
            json!("000000-79123456789"),
            json!(null)
        ]]
    );
}

#[tokio::test]
async fn smsru_refusing_the_number_inside_a_200_fails_the_sms_with_a_task() {
    let app = TestApp::start().await;
    app.sms_api
        .respond(smsru_refused(207, "На этот номер нет маршрута"));

    not_reached(&app, "A-1", ANNA).await;
    app.tick_after(3600).await;

    let rows = sms_rows(&app);
    assert_eq!(rows[0][1], "failed", "{rows:?}");
    assert!(
        rows[0][5].as_str().is_some_and(|e| e.contains("207")),
        "{rows:?}"
    );
    assert_eq!(app.sms_api.requests().len(), 1, "never retried");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM tasks WHERE kind = 'message_failed'
             AND title LIKE 'SMS to +79123456789 was not delivered%'"
        ),
        1
    );
}

#[tokio::test]
async fn sms_held_by_quiet_hours_is_sent_by_the_first_tick_after_nine() {
    let app = TestApp::start().await;
    app.clock.set(START + 13 * 3600 + 1800); // 23:30 Moscow

    not_reached(&app, "A-1", ANNA).await;
    assert!(sms_sent(&app).is_empty(), "not at night");
    app.tick_after(9 * 3600).await; // 08:30
    assert!(sms_sent(&app).is_empty(), "not before nine");

    app.tick_after(1800).await; // 09:00

    assert_eq!(sms_sent(&app).len(), 1);
    assert_eq!(sms_rows(&app)[0][1], "sent");
}

#[tokio::test]
async fn without_an_sms_provider_sms_wait_with_the_reason_and_go_once_one_is_set() {
    let app = TestApp::start_with(|b| b.variable("sms_provider", "")).await;

    not_reached(&app, "A-1", ANNA).await;

    let rows = sms_rows(&app);
    assert_eq!(rows[0][1], "pending");
    assert!(
        rows[0][5]
            .as_str()
            .is_some_and(|e| e.contains("no SMS provider")),
        "{rows:?}"
    );
    assert!(sms_sent(&app).is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND status = 'sent'"),
        1,
        "email is not held back by SMS"
    );
}

// ── order per recipient, outage and recovery ───────────────────────────────────────────

#[tokio::test]
async fn an_sms_provider_down_for_hours_loses_nothing_and_sends_each_once_in_order() {
    let app = TestApp::start().await;
    app.sms_api
        .respond(Responder::status(503).body("maintenance"));
    // Three customers, two SMS each (O3, then C7), during the outage.
    let phones = ["+79160000001", "+79160000002", "+79160000003"];
    for (n, phone) in phones.iter().enumerate() {
        not_reached(&app, &format!("O-{n}"), phone).await;
    }
    for n in 0..phones.len() {
        let paid = json!({ "type": "order.payment", "data": { "order_id": format!("O-{n}"),
            "status": "succeeded", "amount": 45000, "currency": "RUB" } });
        assert_eq!(app.post_event(&evt(), &paid).await.status, 200);
    }
    let queued = app.count("SELECT COUNT(*) FROM outbox WHERE channel = 'sms'");
    assert_eq!(queued, 6);
    for _ in 0..30 {
        app.tick_after(600).await; // five hours of ticks while it is down
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE channel = 'sms' AND status = 'sent'"),
        0
    );

    let failed_calls = app.sms_api.requests().len();
    assert!(
        failed_calls >= 6,
        "every message was tried during the outage"
    );

    app.sms_api.respond(smsru_ok());
    for _ in 0..24 {
        app.tick_after(1800).await;
    }

    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE channel = 'sms' AND status = 'sent'"),
        6
    );
    let accepted: Vec<(String, String)> = sms_sent(&app).split_off(failed_calls);
    assert_eq!(accepted.len(), 6, "nothing sent twice after recovery");
    for phone in phones {
        let digits = phone.trim_start_matches('+');
        let to_phone: Vec<&str> = accepted
            .iter()
            .filter(|(to, _)| to == digits)
            .map(|(_, msg)| msg.as_str())
            .collect();
        assert_eq!(to_phone.len(), 2, "each message once: {to_phone:?}");
        assert!(
            to_phone[0].starts_with("Не дозвонились") && to_phone[1].starts_with("Оплата"),
            "first queued, first sent: {to_phone:?}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks WHERE kind = 'message_failed'"),
        0
    );
}

// ── Telegram ───────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn staff_note_goes_to_the_telegram_chat_as_plain_text() {
    let app = TestApp::start().await;
    let mut big = order("BIG-1", ANNA);
    big["data"]["total"] = json!(5_000_000);

    assert_eq!(app.post_event(&evt(), &big).await.status, 201);

    let requests = app.telegram_api.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].path,
        format!("/bot{TELEGRAM_TOKEN}/sendMessage")
    );
    let body = requests[0].json().expect("json");
    assert_eq!(body["chat_id"], "100000002");
    assert!(body["text"].as_str().is_some_and(|t| t.contains("BIG-1")));
    assert_eq!(body.get("parse_mode"), None);
    assert!(
        !app.app
            .guest_output("order-events")
            .contains(TELEGRAM_TOKEN),
        "the token is never logged"
    );
}

#[tokio::test]
async fn telegram_flood_limit_is_waited_out_as_it_asks() {
    let app = TestApp::start().await;
    app.telegram_api.push(Responder::status(429).json(json!({
        "ok": false, "error_code": 429, "description": "Too Many Requests: retry after 900",
        "parameters": { "retry_after": 900 } })));
    let mut big = order("BIG-1", ANNA);
    big["data"]["total"] = json!(5_000_000);
    assert_eq!(app.post_event(&evt(), &big).await.status, 201);

    // The head of sales' chat; the manager's chat also gets P3 reminders meanwhile.
    let to_head = |app: &TestApp| {
        app.telegram_api
            .requests()
            .iter()
            .filter(|r| r.json().is_ok_and(|b| b["chat_id"] == "100000002"))
            .count()
    };

    app.tick_after(600).await;
    assert_eq!(to_head(&app), 1, "not before 900 s");
    app.tick_after(360).await;

    assert_eq!(to_head(&app), 2);
    assert_eq!(
        app.query(
            "SELECT status, attempts FROM outbox
             WHERE channel = 'telegram' AND recipient = '100000002' ORDER BY id LIMIT 1"
        ),
        vec![vec![json!("sent"), json!(2)]]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks WHERE kind = 'message_failed'"),
        0
    );
}

// ── the other providers, through the real components ──────────────────────────────────

/// Starts the app with `variables` pointing one channel at `mock`.
async fn app_with(mock: &MockServer, variables: &[(&str, &str)]) -> TestApp {
    let url = mock.url();
    let variables: Vec<(String, String)> = variables
        .iter()
        .map(|(k, v)| (k.to_string(), v.replace("{mock}", &url)))
        .collect();
    TestApp::start_with(move |mut b| {
        for (k, v) in variables {
            b = b.variable(k, v);
        }
        b
    })
    .await
}

#[tokio::test]
async fn smsc_gets_a_form_with_our_message_id_and_its_id_is_kept() {
    let smsc = MockServer::start().await;
    smsc.respond(Responder::status(200).json(json!({ "id": 4711, "cnt": 1 })));
    let app = app_with(
        &smsc,
        &[
            ("sms_provider", "smsc"),
            ("smsc_url", "{mock}"),
            ("smsc_login", "tea-shop"),
            ("smsc_password", "smsc-secret"),
        ],
    )
    .await;

    not_reached(&app, "A-1", ANNA).await;

    let requests = smsc.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/sys/send.php");
    let field = |name: &str| form_field(&requests[0].body, name);
    assert_eq!(field("login").as_deref(), Some("tea-shop"));
    assert_eq!(field("psw").as_deref(), Some("smsc-secret"));
    assert_eq!(field("fmt").as_deref(), Some("3"));
    assert_eq!(field("charset").as_deref(), Some("utf-8"));
    let id: i64 = app.query("SELECT id FROM outbox WHERE channel = 'sms'")[0][0]
        .as_i64()
        .expect("id");
    assert_eq!(field("id"), Some(id.to_string()));
    assert_eq!(sms_rows(&app)[0][3..5], [json!("smsc"), json!("4711")]);
}

#[tokio::test]
async fn twilio_gets_basic_auth_and_a_bad_number_is_not_retried() {
    let twilio = MockServer::start().await;
    twilio.respond(Responder::status(400).json(json!({
        "code": 21211, "message": "The 'To' number +79123456789 is not a valid phone number.",
        "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400 })));
    let app = app_with(
        &twilio,
        &[
            ("sms_provider", "twilio"),
            ("twilio_url", "{mock}"),
            ("twilio_account_sid", "AC0123"),
            ("twilio_auth_token", "twilio-secret"),
            ("sms_sender", "+15005550006"),
        ],
    )
    .await;

    not_reached(&app, "A-1", ANNA).await;
    app.tick_after(3600).await;

    let requests = twilio.requests();
    assert_eq!(requests.len(), 1, "a permanent refusal is not retried");
    assert_eq!(
        requests[0].path,
        "/2010-04-01/Accounts/AC0123/Messages.json"
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some("Basic QUMwMTIzOnR3aWxpby1zZWNyZXQ=")
    );
    assert_eq!(form_field(&requests[0].body, "To").as_deref(), Some(ANNA));
    assert_eq!(
        form_field(&requests[0].body, "From").as_deref(),
        Some("+15005550006")
    );
    let rows = sms_rows(&app);
    assert_eq!(rows[0][1], "failed");
    assert!(
        rows[0][5].as_str().is_some_and(|e| e.contains("21211")),
        "{rows:?}"
    );
}

#[tokio::test]
async fn mailgun_gets_multipart_with_basic_auth() {
    let mailgun = MockServer::start().await;
    mailgun.respond(
        Responder::status(200)
            .json(json!({ "id": "<20261124.1@mg.tea.example>", "message": "Queued. Thank you." })),
    );
    let app = app_with(
        &mailgun,
        &[
            ("email_provider", "mailgun"),
            ("mailgun_url", "{mock}"),
            ("mailgun_domain", "mg.tea.example"),
            ("mailgun_api_key", "key-mailgun"),
        ],
    )
    .await;

    assert_eq!(
        app.post_event(&evt(), &order("A-1", ANNA)).await.status,
        201
    );

    let requests = mailgun.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v3/mg.tea.example/messages");
    assert_eq!(
        requests[0].header("authorization"),
        Some("Basic YXBpOmtleS1tYWlsZ3Vu")
    );
    assert!(requests[0]
        .header("content-type")
        .is_some_and(|c| c.starts_with("multipart/form-data; boundary=")));
    let fields = multipart_fields(&requests[0]);
    let names: Vec<_> = fields.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["from", "to", "subject", "text", "html"],
        "an order email has no h:<Name> header fields"
    );
    assert_eq!(fields[1].1, "\"Анна Петрова\" <anna@example.com>");
    assert_eq!(
        app.query(
            "SELECT status, provider, provider_message_id FROM outbox WHERE channel = 'email'"
        ),
        vec![vec![
            json!("sent"),
            json!("mailgun"),
            json!("<20261124.1@mg.tea.example>")
        ]]
    );
}

#[tokio::test]
async fn unisender_error_inside_a_200_is_not_taken_for_success() {
    let unisender = MockServer::start().await;
    unisender.respond(
        Responder::status(200)
            .json(json!({ "error": "AK100310-02 Invalid api key", "code": "invalid_api_key" })),
    );
    let app = app_with(
        &unisender,
        &[
            ("email_provider", "unisender"),
            ("unisender_url", "{mock}"),
            ("unisender_api_key", "uni-key"),
            ("unisender_list_id", "42"),
        ],
    )
    .await;

    assert_eq!(
        app.post_event(&evt(), &order("A-1", ANNA)).await.status,
        201
    );

    let requests = unisender.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/ru/api/sendEmail?format=json");
    assert_eq!(
        form_field(&requests[0].body, "list_id").as_deref(),
        Some("42")
    );
    assert_eq!(form_field(&requests[0].body, "headers"), None);
    let rows = app.query("SELECT status, provider, last_error FROM outbox WHERE channel = 'email'");
    assert_eq!(rows[0][0], "failed", "{rows:?}");
    assert!(rows[0][2]
        .as_str()
        .is_some_and(|e| e.contains("invalid_api_key")));
}
