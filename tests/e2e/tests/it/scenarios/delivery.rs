//! Carriers' delivery webhooks at `/webhooks/delivery/{cdek|generic}` (docs/delivery-events.md):
//! fixtures from `tests/fixtures/cdek/` and `tests/fixtures/delivery/`, through the default
//! triggers (V4, C3, C4, C5, C6, C8, D1, M9) — and the notices that must change nothing:
//! repeats, late reports, parcels we do not know, refused requests.

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use orderpath_harness::HarnessResponse;

use super::*;
use crate::support::{signature_with, sms_sent, workspace_root, CDEK_TOKEN, DELIVERY_SECRET};

mod cdek;
mod generic;
mod polling;
mod refused;
mod repeats;

/// Our order in the fixtures (TEA-001 ×2, CUP-010 ×1).
pub(crate) const ORDER: &str = "A-1001";
const POINT: &str = "Москва, ул. Тверская, 7";
const POINT_PHONE: &str = "+7 495 000-00-07";
const POINT_HOURS: &str = "10:00–21:00";
/// C4's email subject (and C5's, C8's, C3's), for `email_about`.
const AT_POINT_EMAIL: &str = "ждёт вас в пункте выдачи";
const REMINDER_EMAIL: &str = "всё ещё ждёт вас";
const COMPLETED_EMAIL: &str = "Спасибо за покупку";
const TRACK_EMAIL: &str = "Трек-номер заказа №A-1001";
const PROBLEM_TASK: &str =
    "Проблема с доставкой заказа №A-1001: связаться с перевозчиком и клиентом";

/// A fixture's bytes, exactly as stored.
pub(crate) fn raw(path: &str) -> Vec<u8> {
    let file = workspace_root().join("tests/fixtures").join(path);
    std::fs::read(&file).unwrap_or_else(|e| panic!("fixture {}: {e}", file.display()))
}

/// A fixture with `edit` applied to its JSON, for notices the carrier could send but the
/// fixtures do not hold.
fn edited(path: &str, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(&raw(path)).expect("fixture is JSON");
    edit(&mut value);
    serde_json::to_vec(&value).expect("json")
}

fn url(rest: &str) -> String {
    format!("http://orders.shop.example/webhooks/delivery/{rest}")
}

/// A POST of `body` to `url`.
fn post_to(url: &str, body: Vec<u8>) -> http::Request<Bytes> {
    http::Request::post(url)
        .header("content-type", "application/json")
        .body(Bytes::from(body))
        .expect("request")
}

// ── CDEK: the token in the subscribed URL ──────────────────────────────────────────────

/// CDEK's shipment (`uuid`) and track number (`cdek_number`) of A-1001 in the fixtures.
pub(crate) const CDEK_UUID: &str = "72753031-2c5a-4d2b-8b71-1b3c5d7e9f01";
const CDEK_TRACK: &str = "1106394783";
const CDEK_TRACKING_URL: &str = "https://www.cdek.ru/ru/tracking?order_id=1106394783";

/// A CDEK notice posted to the URL carrying `token`, as CDEK does.
fn cdek_notice_with(token: Option<&str>, body: Vec<u8>) -> http::Request<Bytes> {
    match token {
        Some(token) => post_to(&url(&format!("cdek?token={token}")), body),
        None => post_to(&url("cdek"), body),
    }
}

/// Posts a CDEK notice with the right token and expects it acknowledged.
pub(crate) async fn cdek_body(app: &TestApp, body: Vec<u8>) -> Value {
    let response = app.send(cdek_notice_with(Some(CDEK_TOKEN), body)).await;
    assert_eq!(
        response.status,
        200,
        "{} {}",
        response.text(),
        app.app.guest_output("delivery-events")
    );
    json_of(&response)
}

/// Posts a CDEK fixture as it is and expects it acknowledged.
pub(crate) async fn cdek_fixture(app: &TestApp, fixture: &str) -> Value {
    cdek_body(app, raw(&format!("cdek/{fixture}"))).await
}

/// A CDEK fixture with its status code and time replaced.
pub(crate) fn cdek_with_status(fixture: &str, code: &str, at: &str) -> Vec<u8> {
    edited(&format!("cdek/{fixture}"), |notice| {
        notice["attributes"]["code"] = json!(code);
        notice["attributes"]["status_date_time"] = json!(at);
    })
}

/// A-1001 assembled, registered at CDEK and received at its warehouse: handed to the carrier
/// with the track number (C3 sent).
async fn cdek_handed_over(app: &TestApp, manager: Option<&str>) {
    assembled(app, manager).await;
    cdek_fixture(app, "created.json").await;
    cdek_fixture(app, "received-at-warehouse.json").await;
}

/// A-1001 handed over by CDEK, with its chosen pickup point, and arrived there (C4 sent).
pub(crate) async fn cdek_at_pickup_point(app: &TestApp) {
    cdek_handed_over(app, None).await;
    choose_pickup_point(app).await;
    cdek_fixture(app, "at-pickup-point.json").await;
}

// ── Generic: Standard Webhooks ─────────────────────────────────────────────────────────

const BOXBERRY_TRACK: &str = "BB123456789";
const BOXBERRY_TRACKING_URL: &str = "https://boxberry.ru/tracking-page?id=BB123456789";

/// A fresh `webhook-id` for every generic notice.
fn webhook_id() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("msg_delivery_{}", N.fetch_add(1, Ordering::Relaxed))
}

/// `body` signed with `secret` at `ts` (unix seconds) under `id`.
fn signed_at(id: &str, ts: i64, secret: &str, body: Vec<u8>) -> http::Request<Bytes> {
    let signature = signature_with(secret, id, ts, &body);
    let mut request = post_to(&url("generic"), body);
    let headers = request.headers_mut();
    headers.insert("webhook-id", id.parse().expect("header"));
    headers.insert("webhook-timestamp", ts.to_string().parse().expect("header"));
    headers.insert("webhook-signature", signature.parse().expect("header"));
    request
}

/// `body` signed at the app clock's time with the right secret.
fn signed(app: &TestApp, id: &str, body: Vec<u8>) -> http::Request<Bytes> {
    signed_at(id, app.clock.unix_seconds() as i64, DELIVERY_SECRET, body)
}

/// Posts a generic notice signed under a fresh id and expects it acknowledged.
async fn generic_body(app: &TestApp, body: Vec<u8>) -> Value {
    let response = app.send(signed(app, &webhook_id(), body)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    json_of(&response)
}

/// Posts a generic fixture and expects it acknowledged.
async fn generic_fixture(app: &TestApp, fixture: &str) -> Value {
    generic_body(app, raw(&format!("delivery/{fixture}"))).await
}

/// A Boxberry notice about A-1001 by our order number, with the track number and link;
/// `extra` adds or overrides `data` keys.
fn boxberry(status: &str, at: &str, extra: Value) -> Vec<u8> {
    let mut data = json!({ "carrier": "boxberry", "order_id": ORDER,
        "track_number": BOXBERRY_TRACK, "tracking_url": BOXBERRY_TRACKING_URL,
        "status": status, "status_at": at });
    for (key, value) in extra.as_object().expect("extra is an object") {
        data[key] = value.clone();
    }
    serde_json::to_vec(&json!({ "type": "delivery.status", "data": data })).expect("json")
}

/// A-1001 assembled, then accepted by Boxberry: handed to the carrier with its track (C3).
async fn boxberry_handed_over(app: &TestApp, manager: Option<&str>) {
    assembled(app, manager).await;
    let accepted = boxberry("accepted", "2026-11-26T08:00:00+03:00", json!({}));
    let answer = generic_body(app, accepted).await;
    assert_eq!(answer["state"], "applied", "{answer}");
}

// ── Shared ─────────────────────────────────────────────────────────────────────────────

/// Order A-1001 of Анна waiting in `assembled` (V4's starting point), with `manager`.
async fn assembled(app: &TestApp, manager: Option<&str>) {
    create(app, order(ORDER, json!({ "manager": manager }))).await;
    walk(
        app,
        ORDER,
        &["confirmed", "prepare-for-delivery", "assembled"],
    )
    .await;
}

/// The shop's CRM names the pickup point the customer chose (as `order.updated` does).
async fn choose_pickup_point(app: &TestApp) {
    let point = json!({ "address": POINT, "phone": POINT_PHONE, "hours": POINT_HOURS });
    set_fields(app, ORDER, json!({ "pickup_point": point })).await;
}

/// The order's status and delivery status.
fn order_row(app: &TestApp) -> Value {
    rows(
        app,
        &format!("SELECT status, delivery_status FROM orders WHERE id = '{ORDER}'"),
    )
}

/// One of the order's `fields`.
fn field(app: &TestApp, name: &str) -> Value {
    rows(
        app,
        &format!("SELECT json_extract(fields, '$.{name}') FROM orders WHERE id = '{ORDER}'"),
    )[0][0]
        .clone()
}

/// Kept notices: carrier, carrier's status, our status, state, order.
fn deliveries(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT carrier, carrier_status, status, state, order_id FROM deliveries ORDER BY id",
    )
}

/// The delivery-status history: new value, outcome, reason.
fn delivery_history(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT new_value, outcome, reason FROM order_history
         WHERE field = 'delivery_status' ORDER BY id",
    )
}

/// The texts SMS.ru received, in order.
fn sms_texts(app: &TestApp) -> Vec<String> {
    sms_sent(app).into_iter().map(|(_, text)| text).collect()
}

/// Timers: name, fire_at, status.
fn timers(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT name, fire_at, status FROM timers WHERE name LIKE 'c_-pickup-%' ORDER BY name",
    )
}

/// The error code of a refusal (`{"error": {"code": ...}}`).
fn error_code(response: &HarnessResponse) -> Value {
    json_of(response)["error"]["code"].clone()
}

/// What the app has sent and queued so far, for "nothing new" checks.
#[derive(Debug, PartialEq, Eq)]
struct Sent {
    /// Emails the email API received.
    emails: usize,
    /// SMS the SMS API received.
    sms: usize,
    /// Messages queued in the outbox (any channel, any state).
    outbox: i64,
    tasks: i64,
}

fn sent(app: &TestApp) -> Sent {
    Sent {
        emails: app.sent_emails().len(),
        sms: app.sms_api.requests().len(),
        outbox: app.count("SELECT COUNT(*) FROM outbox"),
        tasks: app.count("SELECT COUNT(*) FROM tasks"),
    }
}

/// A refused request left no trace: no notice, no claimed key, and the order is as it was.
fn assert_nothing_kept(app: &TestApp, before: Sent, order: Value) {
    assert_eq!(app.count("SELECT COUNT(*) FROM deliveries"), 0, "no notice");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbound_events WHERE source LIKE 'delivery:%'"),
        0,
        "no key claimed"
    );
    assert_eq!(sent(app), before, "nothing sent or queued");
    assert_eq!(order_row(app), order);
}
