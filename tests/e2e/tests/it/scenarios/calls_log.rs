//! V8: the call log for operators — each call with the customer it came from and their
//! orders in progress (`GET /api/calls`).

use bytes::Bytes;

use super::*;
use crate::support::{signature_with, CALLS_SECRET};

async fn post_call(app: &TestApp, webhook_id: &str, data: Value) {
    let body = serde_json::to_vec(&json!({ "type": "call.ended", "data": data })).expect("json");
    let ts = app.clock.unix_seconds() as i64;
    let request = http::Request::post("http://orders.shop.example/webhooks/calls/generic")
        .header("content-type", "application/json")
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", ts.to_string())
        .header(
            "webhook-signature",
            signature_with(CALLS_SECRET, webhook_id, ts, &body),
        )
        .body(Bytes::from(body))
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

#[tokio::test]
async fn a_known_callers_call_shows_who_they_are_and_their_orders_in_progress() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({ "total": 210000 }))).await;
    create(&app, order("A-2", json!({}))).await;
    move_to(&app, "A-2", "cancelled", Some("changed mind")).await;
    post_call(
        &app,
        "c-1",
        json!({ "call_id": "pbx-1", "direction": "inbound", "customer_number": "8 912 345 67 89",
                "line": "+74951234567", "operator": "101",
                "started_at": "2026-11-24T10:00:00+03:00",
                "answered_at": "2026-11-24T10:00:05+03:00",
                "ended_at": "2026-11-24T10:03:05+03:00", "duration": 180,
                "outcome": "answered" }),
    )
    .await;
    post_call(
        &app,
        "c-2",
        json!({ "call_id": "pbx-2", "direction": "inbound", "customer_number": "+79990001122",
                "started_at": "2026-11-24T10:10:00+03:00",
                "ended_at": "2026-11-24T10:10:30+03:00", "outcome": "answered" }),
    )
    .await;

    let response = app
        .api("GET", "/api/calls?phone=%2B79123456789", None)
        .await;

    assert_eq!(response.status, 200, "{}", response.text());
    let calls = json_of(&response)["calls"].clone();
    assert_eq!(calls.as_array().map(Vec::len), Some(1), "{calls}");
    let call = &calls[0];
    assert_eq!(
        (
            &call["direction"],
            &call["outcome"],
            &call["operator"],
            &call["duration"]
        ),
        (
            &json!("inbound"),
            &json!("answered"),
            &json!("101"),
            &json!(180)
        )
    );
    assert_eq!(call["phone"], "+79123456789");
    assert_eq!(call["customer"]["name"], "Анна Петрова");
    assert_eq!(
        call["customer"]["orders_in_progress"],
        json!([{ "order_id": "A-1", "status": "new", "total": 210000 }]),
        "the cancelled order is not in progress"
    );
    let all = json_of(&app.api("GET", "/api/calls", None).await);
    assert_eq!(all["calls"][0]["customer"], Value::Null, "a stranger");
    assert_eq!(
        app.api("GET", "/api/calls?phone=abc", None).await.status,
        400
    );
}
