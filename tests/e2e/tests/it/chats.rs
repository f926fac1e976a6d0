//! V6: night auto-reply in chats. Messages from the shop's Telegram bot
//! (`/webhooks/chats/telegram`, the fixtures in `tests/fixtures/telegram/`) and from widgets
//! and bridges in our format (`/webhooks/chats/generic`, in `chats/generic.rs`) through the
//! shipped `v6-night-auto-reply` and `v6-morning-chat-task` triggers: what is stored, what is
//! sent — and what is not (a second message the same night, a daytime message, a retry, a
//! forged request).

use bytes::Bytes;
use orderpath_harness::HarnessResponse;
use serde_json::{json, Value};

use crate::support::{
    json_of, workspace_root, TestApp, START, TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_SECRET,
};

mod generic;

/// Anna's private chat with the shop's bot.
pub const ANNA_CHAT: &str = "555000111";

/// Puts the clock at `hh:mm` Moscow time, `days` after Tuesday 24 November 2026.
pub fn moscow(app: &TestApp, days: u64, hh: u64, mm: u64) {
    app.clock
        .set(START + days * 86_400 + hh * 3_600 + mm * 60 - 10 * 3_600);
}

/// A fixture's bytes, exactly as Telegram would post them.
fn update(name: &str) -> Vec<u8> {
    let path = workspace_root().join("tests/fixtures/telegram").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn telegram_request(body: &[u8], secret: Option<&str>) -> http::Request<Bytes> {
    let mut request = http::Request::post("http://orders.shop.example/webhooks/chats/telegram")
        .header("content-type", "application/json");
    if let Some(secret) = secret {
        request = request.header("x-telegram-bot-api-secret-token", secret);
    }
    request.body(Bytes::copy_from_slice(body)).expect("request")
}

/// Posts a fixture update as Telegram does; asserts 200 and returns the answer.
async fn post_update(app: &TestApp, name: &str) -> Value {
    let response = send_update(app, name, Some(TELEGRAM_WEBHOOK_SECRET)).await;
    assert_eq!(response.status, 200, "{name}: {}", response.text());
    json_of(&response)
}

async fn send_update(app: &TestApp, name: &str, secret: Option<&str>) -> HarnessResponse {
    app.send(telegram_request(&update(name), secret)).await
}

/// What the Telegram Bot API mock received: `(chat_id, text)`.
pub fn telegram_sent(app: &TestApp) -> Vec<(String, String)> {
    app.telegram_api
        .requests()
        .iter()
        .map(|r| {
            assert_eq!(r.path, format!("/bot{TELEGRAM_TOKEN}/sendMessage"));
            let body = r.json().expect("json");
            let field = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
            (field("chat_id"), field("text"))
        })
        .collect()
}

/// The chat tasks: `(title, assignee, due_at)`.
pub fn chat_tasks(app: &TestApp) -> Vec<(String, String, String)> {
    app.query(
        "SELECT title, assignee, due_at FROM tasks WHERE reason = 'v6-morning-chat-task'
         ORDER BY id",
    )
    .into_iter()
    .map(|r| {
        let s = |i: usize| r[i].as_str().unwrap_or_default().to_owned();
        (s(0), s(1), s(2))
    })
    .collect()
}

/// The conversation's log: `(direction, text)`.
pub fn chat_log(app: &TestApp) -> Vec<(String, String)> {
    app.query("SELECT direction, text FROM chat_messages ORDER BY id")
        .into_iter()
        .map(|r| {
            let s = |i: usize| r[i].as_str().unwrap_or_default().to_owned();
            (s(0), s(1))
        })
        .collect()
}

#[tokio::test]
async fn a_night_message_gets_one_reply_and_one_morning_task_and_the_next_night_another() {
    let app = TestApp::start().await;

    // Tuesday 20:00: the shop closed at 18:00 and opens on Wednesday at 09:00.
    moscow(&app, 0, 20, 0);
    let first = post_update(&app, "message.1-evening.json").await;
    assert_eq!(first["after_hours"], true);
    assert_eq!(first["first_of_night"], true);
    assert_eq!(first["night"], "2026-11-25");
    let sent = telegram_sent(&app);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, ANNA_CHAT);
    assert!(
        sent[0]
            .1
            .starts_with("Здравствуйте, Анна Петрова! Спасибо за сообщение.")
            && sent[0]
                .1
                .contains("ответим, как только откроемся: 25.11.2026 в 09:00"),
        "{}",
        sent[0].1
    );
    let tasks = chat_tasks(&app);
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        tasks[0].0,
        "Ответить в чате (telegram) Анна Петрова @anna_petrova: писал(а) ночью — \
         «Здравствуйте! Есть ли в наличии улун «Те Гуань Инь»?»"
    );
    assert_eq!(tasks[0].1, "role:chat");
    assert_eq!(tasks[0].2, "2026-11-25T06:00:00Z", "due at the opening");
    assert_eq!(
        app.query("SELECT status, recipient, template FROM outbox"),
        vec![vec![
            json!("sent"),
            json!(ANNA_CHAT),
            json!("chat-night-reply")
        ]]
    );

    // More messages the same night: logged, nothing sent, no more tasks.
    moscow(&app, 0, 20, 5);
    let second = post_update(&app, "message.2-evening.json").await;
    assert_eq!(
        (
            second["after_hours"].clone(),
            second["first_of_night"].clone()
        ),
        (json!(true), json!(false))
    );
    moscow(&app, 0, 23, 40);
    post_update(&app, "message.3-photo-night.json").await;
    assert_eq!(telegram_sent(&app).len(), 1);
    assert_eq!(chat_tasks(&app).len(), 1);

    // Wednesday 11:00, working hours: logged, nothing sent.
    moscow(&app, 1, 11, 0);
    let day = post_update(&app, "message.4-daytime.json").await;
    assert_eq!(day["after_hours"], false);
    assert_eq!(day["night"], Value::Null);
    assert_eq!(telegram_sent(&app).len(), 1);
    assert_eq!(chat_tasks(&app).len(), 1);

    // Wednesday 21:00: another night, another reply and task.
    moscow(&app, 1, 21, 0);
    let next = post_update(&app, "message.5-next-night.json").await;
    assert_eq!(next["first_of_night"], true);
    assert_eq!(next["night"], "2026-11-26");
    let sent = telegram_sent(&app);
    assert_eq!(sent.len(), 2);
    assert!(sent[1].1.contains("26.11.2026 в 09:00"), "{}", sent[1].1);
    let tasks = chat_tasks(&app);
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[1].2, "2026-11-26T06:00:00Z");

    assert_eq!(
        chat_log(&app),
        [
            ("in", "Здравствуйте! Есть ли в наличии улун «Те Гуань Инь»?"),
            ("out", sent[0].1.as_str()),
            ("in", "И сколько стоит доставка в Казань?"),
            ("in", "[photo] Вот такой, как на фото"),
            ("in", "Спасибо, жду ответа"),
            ("in", "Добрый вечер, ещё вопрос про пуэр"),
            ("out", sent[1].1.as_str()),
        ]
        .map(|(d, t)| (d.to_owned(), t.to_owned()))
        .to_vec()
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM chat_conversations"), 1);
    assert!(app.sent_emails().is_empty() && app.sms_api.requests().is_empty());
}

#[tokio::test]
async fn telegrams_retry_of_an_update_changes_nothing() {
    let app = TestApp::start().await;
    moscow(&app, 0, 20, 0);
    post_update(&app, "message.1-evening.json").await;

    // Telegram did not get our 200 in time and sends the same update again, twice.
    for _ in 0..2 {
        let again = post_update(&app, "message.1-evening.json").await;
        assert_eq!(again, json!({ "received": true, "duplicate": true }));
    }

    assert_eq!(telegram_sent(&app).len(), 1);
    assert_eq!(chat_tasks(&app).len(), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM chat_messages WHERE direction = 'in'"),
        1
    );
}

#[tokio::test]
async fn a_request_without_the_webhooks_secret_token_is_refused_with_nothing_stored() {
    let app = TestApp::start().await;
    moscow(&app, 0, 20, 0);

    for secret in [Some("telegram-webhook-secret-e2f"), Some(""), None] {
        let response = send_update(&app, "message.1-evening.json", secret).await;
        assert_eq!(response.status, 401, "{secret:?}: {}", response.text());
        assert_eq!(json_of(&response)["error"]["code"], "invalid_signature");
    }

    assert_eq!(app.count("SELECT COUNT(*) FROM chat_messages"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM chat_conversations"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_events"), 0);
    assert!(telegram_sent(&app).is_empty());
    assert!(chat_tasks(&app).is_empty());
}

#[tokio::test]
async fn without_a_configured_secret_telegram_updates_wait() {
    let app = TestApp::start_with(|b| b.variable("telegram_webhook_secret", "")).await;
    moscow(&app, 0, 20, 0);

    let response = send_update(&app, "message.1-evening.json", Some("anything")).await;

    assert_eq!(response.status, 503, "{}", response.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM chat_messages"), 0);
    assert!(telegram_sent(&app).is_empty());
}

#[tokio::test]
async fn updates_that_are_not_a_customers_message_are_acknowledged_and_ignored() {
    let app = TestApp::start().await;
    moscow(&app, 0, 20, 0);

    for (name, what) in [
        ("edited-message.json", "an edited message"),
        ("channel-post.json", "a channel post"),
        ("group-message.json", "a message in a supergroup chat"),
        ("service-message.json", "a service message"),
        ("my-chat-member-blocked.json", "a my_chat_member update"),
        (
            "staff-chat-message.json",
            "a staff member's chat with the bot",
        ),
    ] {
        let answer = post_update(&app, name).await;
        assert_eq!(
            answer,
            json!({ "received": true, "ignored": what }),
            "{name}"
        );
    }

    assert_eq!(app.count("SELECT COUNT(*) FROM chat_messages"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM chat_conversations"), 0);
    assert!(telegram_sent(&app).is_empty());
    assert!(chat_tasks(&app).is_empty());
}

#[tokio::test]
async fn a_shared_phone_links_the_chat_to_the_customer_and_an_english_sender_is_answered_in_english(
) {
    let app = TestApp::start().await;
    // Anna is a customer: she ordered by phone.
    let order = json!({ "type": "order.created", "data": {
        "order_id": "CHAT-1", "currency": "RUB", "channel": "phone",
        "customer": { "name": "Анна Петрова", "phone": "+7 912 345-67-89" },
        "items": [{ "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 1, "price": 45000 }],
        "total": 45000 } });
    assert_eq!(app.post_event("evt-chat-order", &order).await.status, 201);
    let anna = app.count("SELECT id FROM customers WHERE phone = '+79123456789'");
    let sent_before = telegram_sent(&app).len();

    // At night she shares her phone with the bot, then writes.
    moscow(&app, 0, 20, 10);
    let shared = post_update(&app, "message-contact.json").await;
    assert_eq!(shared["customer_id"], anna);
    moscow(&app, 0, 20, 15);
    let later = post_update(&app, "message.2-evening.json").await;
    assert_eq!(later["customer_id"], anna, "the conversation stays linked");
    assert_eq!(
        app.count("SELECT customer_id FROM chat_conversations WHERE external_id = '555000111'"),
        anna
    );

    // John writes /start in English the same night: his own conversation, his own reply.
    let john = post_update(&app, "message-start-en.json").await;
    assert_eq!(john["first_of_night"], true);
    assert_eq!(john["customer_id"], Value::Null);
    let replies: Vec<(String, String)> = telegram_sent(&app).split_off(sent_before);
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert_eq!(replies[0].0, ANNA_CHAT);
    assert_eq!(replies[1].0, "555000222");
    assert!(
        replies[1]
            .1
            .starts_with("Hello John, thank you for your message!")
            && replies[1].1.contains("25.11.2026 at 09:00"),
        "{}",
        replies[1].1
    );
    assert_eq!(chat_tasks(&app).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_arriving_together_at_night_get_one_reply_and_one_task() {
    let app = TestApp::start().await;
    moscow(&app, 0, 20, 0);

    let mut tasks = Vec::new();
    for name in [
        "message.1-evening.json",
        "message.2-evening.json",
        "message.3-photo-night.json",
    ] {
        let (harness, request) = (
            app.app.clone(),
            telegram_request(&update(name), Some(TELEGRAM_WEBHOOK_SECRET)),
        );
        tasks.push(tokio::spawn(async move { harness.request(request).await }));
    }
    let mut first = 0;
    for task in tasks {
        let response = task.await.expect("task").expect("request");
        assert_eq!(response.status, 200, "{}", response.text());
        if json_of(&response)["first_of_night"] == true {
            first += 1;
        }
    }
    app.app.wait_idle().await;

    assert_eq!(first, 1, "one of them is the night's first");
    assert_eq!(telegram_sent(&app).len(), 1);
    assert_eq!(chat_tasks(&app).len(), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM chat_messages WHERE direction = 'in'"),
        3
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM chat_conversations"), 1);
}
