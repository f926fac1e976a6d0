//! Marketing (M1–M9, V5) and consent, driven through the site's customer events
//! (`/webhooks/site`), order events and the tick with the default configuration: what the
//! shipped `m*`/`v5-*` triggers store and send — and what they must not (no consent, an order
//! placed meanwhile, a cooldown, an unsubscribe).

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use serde_json::{json, Value};

use crate::support::{json_of, signature_with, TestApp, SITE_SECRET};

mod carts;
mod consent;
mod cycles;
mod orders;

pub const ANNA_EMAIL: &str = "anna.petrova@example.com";
pub const ANNA_PHONE: &str = "+79123456789";

/// A fresh webhook id for every event.
pub fn evt() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("evt-m-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A site event of `kind` about `customer`, happening now on the app's clock.
pub fn site_event(app: &TestApp, kind: &str, customer: Value, data: Value) -> Value {
    let now = app.clock.unix_seconds() as i64;
    let at = chrono_like(now);
    json!({ "type": kind, "occurred_at": at, "customer": customer, "data": data })
}

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds (the tests' clock).
pub fn chrono_like(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Anna, with both contacts.
pub fn anna() -> Value {
    json!({ "name": "Анна Петрова", "email": ANNA_EMAIL, "phone": ANNA_PHONE })
}

/// A signed post to `/webhooks/site`.
pub fn site_request(
    app: &TestApp,
    webhook_id: &str,
    body: &[u8],
    secret: &str,
) -> http::Request<Bytes> {
    let ts = app.clock.unix_seconds() as i64;
    http::Request::post("http://orders.shop.example/webhooks/site")
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

/// Posts a site event under `webhook_id`; asserts 200 and returns the answer.
pub async fn post_site_as(app: &TestApp, webhook_id: &str, event: &Value) -> Value {
    let body = serde_json::to_vec(event).expect("json");
    let response = app
        .send(site_request(app, webhook_id, &body, SITE_SECRET))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    json_of(&response)
}

/// Posts a site event with a fresh id.
pub async fn post_site(app: &TestApp, event: &Value) -> Value {
    post_site_as(app, &evt(), event).await
}

/// Anna subscribes to the newsletter by email (and by SMS when `sms`).
pub async fn subscribe_anna(app: &TestApp, sms: bool) -> Value {
    let mut event = site_event(
        app,
        "customer.subscribed",
        anna(),
        json!({ "source": "footer" }),
    );
    if sms {
        event["consent"] = json!({ "email": true, "sms": true });
    }
    post_site(app, &event).await
}

/// Posts an order event with a fresh id; asserts 200/201.
pub async fn order_event(app: &TestApp, event: Value) -> Value {
    let response = app.post_event(&evt(), &event).await;
    assert!(
        response.status == 200 || response.status == 201,
        "{}: {}",
        response.status,
        response.text()
    );
    json_of(&response)
}

/// A site order of Anna; `patch` overrides top-level `data` keys.
pub fn order(id: &str, patch: Value) -> Value {
    let mut data = json!({
        "order_id": id, "currency": "RUB", "channel": "site",
        "customer": { "name": "Анна Петрова", "phone": "+7 (912) 345-67-89", "email": ANNA_EMAIL },
        "items": [
            { "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 2, "price": 45000, "category": "tea" },
            { "sku": "CUP-010", "name": "Чашка", "qty": 1, "price": 120000, "category": "ware" }
        ],
        "total": 210000
    });
    for (key, value) in patch.as_object().expect("patch is an object") {
        data[key] = value.clone();
    }
    json!({ "type": "order.created", "data": data })
}

/// Moves an order to `status`.
pub async fn move_to(app: &TestApp, id: &str, status: &str) {
    let event = json!({ "type": "order.status_changed",
        "data": { "order_id": id, "status": status } });
    let response = app.post_event(&evt(), &event).await;
    assert_eq!(response.status, 200, "to {status}: {}", response.text());
}

/// Walks an order to `completed`.
pub async fn complete(app: &TestApp, id: &str) {
    for status in [
        "confirmed",
        "prepare-for-delivery",
        "assembled",
        "handed-to-carrier",
        "completed",
    ] {
        move_to(app, id, status).await;
    }
}

/// Subjects of the emails sent so far.
pub fn subjects(app: &TestApp) -> Vec<String> {
    let subject = |e: &Value| e["Subject"].as_str().unwrap_or_default().to_owned();
    app.sent_emails().iter().map(subject).collect()
}

/// The sent emails whose subject contains `needle`.
pub fn emails_about(app: &TestApp, needle: &str) -> Vec<Value> {
    app.sent_emails()
        .into_iter()
        .filter(|e| e["Subject"].as_str().unwrap_or_default().contains(needle))
        .collect()
}

/// The one sent email whose subject contains `needle`.
pub fn email_about(app: &TestApp, needle: &str) -> Value {
    let mut found = emails_about(app, needle);
    assert_eq!(
        found.len(),
        1,
        "one email about {needle:?}: {:?}",
        subjects(app)
    );
    found.remove(0)
}

pub fn text_of(email: &Value) -> String {
    email["TextBody"].as_str().expect("text body").to_owned()
}

/// Tasks: title, reason (the trigger), assignee.
pub fn tasks(app: &TestApp) -> Vec<(String, String, String)> {
    app.query("SELECT title, reason, assignee FROM tasks ORDER BY id")
        .into_iter()
        .map(|r| {
            let s = |i: usize| r[i].as_str().unwrap_or_default().to_owned();
            (s(0), s(1), s(2))
        })
        .collect()
}

/// Anna's customer id.
pub fn anna_id(app: &TestApp) -> i64 {
    app.count(&format!(
        "SELECT id FROM customers WHERE email = '{ANNA_EMAIL}'"
    ))
}
