//! V6 for chat widgets and bridges: our signed JSON format (`/webhooks/chats/generic`,
//! docs/chat-events.md), whose night reply comes back in the answer.

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use serde_json::{json, Value};

use super::{chat_log, chat_tasks, moscow, telegram_sent};
use crate::support::{json_of, signature_with, TestApp, CHATS_SECRET, SITE_SECRET};

fn evt() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("chat-evt-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A WhatsApp message from Anna through a bridge, sent now on the app's clock.
fn whatsapp(app: &TestApp, message_id: &str, text: &str) -> Value {
    let sent_at = crate::marketing::chrono_like(app.clock.unix_seconds() as i64);
    json!({
        "type": "chat.message",
        "sent_at": sent_at,
        "channel": "whatsapp",
        "conversation_id": "wa-79123456789",
        "message_id": message_id,
        "sender": { "name": "Анна", "phone": "+7 912 345-67-89", "language": "ru" },
        "text": text
    })
}

fn request(app: &TestApp, webhook_id: &str, body: &[u8], secret: &str) -> http::Request<Bytes> {
    let ts = app.clock.unix_seconds() as i64;
    http::Request::post("http://orders.shop.example/webhooks/chats/generic")
        .header("content-type", "application/json")
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", ts.to_string())
        .header(
            "webhook-signature",
            signature_with(secret, webhook_id, ts, body),
        )
        .body(Bytes::copy_from_slice(body))
        .expect("request")
}

async fn post_as(app: &TestApp, webhook_id: &str, message: &Value) -> Value {
    let body = serde_json::to_vec(message).expect("json");
    let response = app
        .send(request(app, webhook_id, &body, CHATS_SECRET))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    json_of(&response)
}

#[tokio::test]
async fn a_generic_night_message_gets_its_reply_in_the_answer_once_a_night() {
    let app = TestApp::start().await;

    moscow(&app, 0, 22, 15);
    let first_id = evt();
    let first_message = whatsapp(&app, "wamid-1", "Добрый вечер! Можно заказать на завтра?");
    let first = post_as(&app, &first_id, &first_message).await;
    assert_eq!(first["after_hours"], true);
    assert_eq!(first["first_of_night"], true);
    let reply = first["reply"]["text"].as_str().expect("a reply").to_owned();
    assert!(
        reply.starts_with("Здравствуйте, Анна!")
            && reply.contains("ответим, как только откроемся: 25.11.2026 в 09:00"),
        "{reply}"
    );
    let tasks = chat_tasks(&app);
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        tasks[0].0,
        "Ответить в чате (whatsapp) Анна +79123456789: писал(а) ночью — \
         «Добрый вечер! Можно заказать на завтра?»"
    );
    assert_eq!(tasks[0].2, "2026-11-25T06:00:00Z");

    // The bridge lost our answer and retries: the same answer, reply included, nothing new.
    let body = serde_json::to_vec(&first_message).expect("json");
    let retry = app
        .send(request(&app, &first_id, &body, CHATS_SECRET))
        .await;
    assert_eq!(retry.status, 200);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(json_of(&retry), first);

    // The same message again under another webhook-id: a duplicate.
    let again = post_as(&app, &evt(), &first_message).await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["reply"], Value::Null);

    // Later that night: logged, no reply.
    moscow(&app, 0, 23, 50);
    let second = post_as(&app, &evt(), &whatsapp(&app, "wamid-2", "Хотя бы к вечеру")).await;
    assert_eq!(second["first_of_night"], false);
    assert_eq!(second["reply"], Value::Null);
    moscow(&app, 1, 0, 30);
    let third = post_as(&app, &evt(), &whatsapp(&app, "wamid-3", "Спасибо!")).await;
    assert_eq!(third["reply"], Value::Null);
    assert_eq!(chat_tasks(&app).len(), 1);

    // Working hours: no reply.
    moscow(&app, 1, 10, 0);
    let day = post_as(&app, &evt(), &whatsapp(&app, "wamid-4", "Вы здесь?")).await;
    assert_eq!(
        (day["after_hours"].clone(), day["reply"].clone()),
        (json!(false), Value::Null)
    );

    // The next night: a reply again.
    moscow(&app, 1, 19, 0);
    let next = post_as(&app, &evt(), &whatsapp(&app, "wamid-5", "Ещё вопрос")).await;
    assert!(
        next["reply"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("26.11.2026 в 09:00")),
        "{next}"
    );
    assert_eq!(chat_tasks(&app).len(), 2);

    // Replies went back in the answers: nothing through a provider.
    assert!(telegram_sent(&app).is_empty());
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox"), 0);
    let log = chat_log(&app);
    let outs: Vec<&String> = log
        .iter()
        .filter(|(d, _)| d == "out")
        .map(|(_, t)| t)
        .collect();
    assert_eq!(outs.len(), 2);
    assert_eq!(outs[0], &reply);
    assert_eq!(log.iter().filter(|(d, _)| d == "in").count(), 5);
}

#[tokio::test]
async fn a_forged_or_malformed_generic_post_is_refused_with_nothing_stored() {
    let app = TestApp::start().await;
    moscow(&app, 0, 22, 0);
    let message = whatsapp(&app, "wamid-1", "Добрый вечер!");
    let body = serde_json::to_vec(&message).expect("json");

    let forged = app.send(request(&app, &evt(), &body, SITE_SECRET)).await;
    assert_eq!(forged.status, 401, "{}", forged.text());

    let mut bad = message.clone();
    bad["sender"]["phone"] = json!("12");
    let bad = serde_json::to_vec(&bad).expect("json");
    let refused = app.send(request(&app, &evt(), &bad, CHATS_SECRET)).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(json_of(&refused)["error"]["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("sender.phone:")));

    let unknown = http::Request::post("http://orders.shop.example/webhooks/chats/viber")
        .header("content-type", "application/json")
        .body(Bytes::from(body))
        .expect("request");
    assert_eq!(app.send(unknown).await.status, 404);

    assert_eq!(app.count("SELECT COUNT(*) FROM chat_messages"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM chat_conversations"), 0);
    assert!(chat_tasks(&app).is_empty());
}
