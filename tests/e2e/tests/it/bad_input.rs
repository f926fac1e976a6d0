//! Bad input gets a clear JSON error, the right status, and no effect.

use bytes::Bytes;
use serde_json::{json, Value};

use crate::support::{fixture, json_of, signed_request, TestApp};

/// Sends a request and checks status, error code and that nothing was stored or sent.
async fn assert_rejected(
    app: &TestApp,
    request: http::Request<Bytes>,
    status: u16,
    code: &str,
) -> Value {
    let before = app.footprint();
    let response = app.send(request).await;
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    let error = json_of(&response)["error"].clone();
    assert_eq!(error["code"], code, "{error}");
    assert!(!error["message"].as_str().unwrap_or("").is_empty());
    assert_eq!(
        app.footprint(),
        before,
        "a rejected request changes nothing"
    );
    error
}

/// A started app with one accepted order, so "nothing changed" is checked against a real
/// database and a real outbox.
async fn app_with_one_order() -> TestApp {
    let app = TestApp::start().await;
    let response = app
        .post_event("evt-0", &fixture("orders/created_phone_only.json"))
        .await;
    assert_eq!(response.status, 201);
    app
}

fn signed_now(app: &TestApp, body: &[u8]) -> http::Request<Bytes> {
    signed_request("evt-bad", app.clock.unix_seconds() as i64, body)
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = app_with_one_order().await;
    let request = signed_now(&app, br#"{"type": "order.created", "data": {"#);
    assert_rejected(&app, request, 400, "malformed_json").await;
}

#[tokio::test]
async fn schema_violations_are_422_naming_the_field() {
    let app = app_with_one_order().await;
    type Breakage = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Breakage)> = vec![
        (
            "data.items[1].qty",
            Box::new(|e| e["data"]["items"][1]["qty"] = json!(0)),
        ),
        (
            "data.items[0].price",
            Box::new(|e| e["data"]["items"][0]["price"] = json!(-5)),
        ),
        (
            "data.total",
            Box::new(|e| {
                e["data"].as_object_mut().expect("obj").remove("total");
            }),
        ),
        (
            "data.customer.phone",
            Box::new(|e| e["data"]["customer"]["phone"] = json!("call me")),
        ),
        (
            "data.customer.email",
            Box::new(|e| e["data"]["customer"]["email"] = json!("anna@")),
        ),
        (
            "data.currency",
            Box::new(|e| e["data"]["currency"] = json!("rubles")),
        ),
        ("data.items", Box::new(|e| e["data"]["items"] = json!([]))),
        ("type", Box::new(|e| e["type"] = json!("order.teleported"))),
    ];
    for (field, break_it) in cases {
        let mut event = fixture("orders/created.json");
        break_it(&mut event);
        let body = serde_json::to_vec(&event).expect("json");
        let error = assert_rejected(&app, signed_now(&app, &body), 422, "invalid_event").await;
        let message = error["message"].as_str().expect("message");
        assert!(
            message.starts_with(field),
            "expected {field} in {message:?}"
        );
    }
}

#[tokio::test]
async fn non_json_content_type_is_415() {
    let app = app_with_one_order().await;
    let body = serde_json::to_vec(&fixture("orders/created.json")).expect("json");
    let mut request = signed_now(&app, &body);
    request.headers_mut().insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().expect("h"),
    );
    assert_rejected(&app, request, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn body_over_one_mebibyte_is_413() {
    let app = app_with_one_order().await;
    let mut event = fixture("orders/created.json");
    event["data"]["comment"] = json!("x".repeat(1 << 20));
    let body = serde_json::to_vec(&event).expect("json");
    assert_rejected(&app, signed_now(&app, &body), 413, "payload_too_large").await;
}

#[tokio::test]
async fn body_over_the_limit_without_content_length_is_413_too() {
    let app = app_with_one_order().await;
    let body = vec![b' '; (1 << 20) + 1];
    let mut request = signed_now(&app, &body);
    request.headers_mut().remove("content-length");
    assert_rejected(&app, request, 413, "payload_too_large").await;
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let app = app_with_one_order().await;
    let request = http::Request::get("http://orders.shop.example/webhooks/orders")
        .body(Bytes::new())
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("POST"));
    assert_eq!(json_of(&response)["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn unknown_route_is_a_json_404() {
    let app = app_with_one_order().await;
    let request = http::Request::post("http://orders.shop.example/webhooks/order")
        .header("content-type", "application/json")
        .body(Bytes::from_static(b"{}"))
        .expect("request");
    assert_rejected(&app, request, 404, "not_found").await;
}

#[tokio::test]
async fn unsigned_garbage_is_refused_for_the_signature_before_parsing() {
    let app = app_with_one_order().await;
    let request = http::Request::post("http://orders.shop.example/webhooks/orders")
        .header("content-type", "application/json")
        .body(Bytes::from_static(b"not json"))
        .expect("request");
    assert_rejected(&app, request, 401, "invalid_signature").await;
}
