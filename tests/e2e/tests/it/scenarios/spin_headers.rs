//! Spin passes a client's headers on and appends its own `spin-*` values after them, so a
//! client can send `spin-client-addr` or `spin-path-info` of its own (issue 12, item 1). Every
//! component that reads such a header must take the one Spin set: the last value. Each test
//! puts a client's copy first and checks that the request is read as Spin routed it.

use std::net::SocketAddr;

use bytes::Bytes;
use orderpath_harness::HarnessResponse;

use super::*;
use crate::support::{workspace_root, CDEK_TOKEN, YOOKASSA_TOKEN};

fn fixture_bytes(path: &str) -> Bytes {
    let file = workspace_root().join("tests/fixtures").join(path);
    Bytes::from(std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())))
}

/// `request` with a client's own headers added (before the ones Spin appends).
fn with_client_headers(
    mut request: http::Request<Bytes>,
    headers: &[(&str, &str)],
) -> http::Request<Bytes> {
    for (name, value) in headers {
        request.headers_mut().append(
            http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            http::HeaderValue::from_str(value).expect("value"),
        );
    }
    request
}

async fn send_from(app: &TestApp, request: http::Request<Bytes>, from: &str) -> HarnessResponse {
    let addr: SocketAddr = from.parse().expect("socket address");
    let response = app.app.request_from(request, addr).await.expect("request");
    app.app.wait_idle().await;
    response
}

// ── payment-events: `spin-client-addr` (YooKassa's address list) and `spin-path-info` ──

/// YooKassa's paid notification for A-1001 (12 900,00 ₽), posted with the right token.
fn yookassa_paid() -> http::Request<Bytes> {
    http::Request::post(format!(
        "http://orders.shop.example/webhooks/payments/yookassa?token={YOOKASSA_TOKEN}"
    ))
    .header("content-type", "application/json")
    .body(fixture_bytes("yookassa/payment.succeeded.json"))
    .expect("request")
}

/// A-1001 waiting for its 12 900,00 ₽.
async fn awaiting_payment(app: &TestApp) {
    create(app, order("A-1001", json!({ "total": 1_290_000 }))).await;
    walk(app, "A-1001", &["confirmed", "awaiting-payment"]).await;
}

fn payment_status(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT status, payment_status FROM orders WHERE id = 'A-1001'",
    )
}

#[tokio::test]
async fn a_client_claiming_a_yookassa_address_in_spin_client_addr_is_refused() {
    let app = TestApp::start_with(|b| b.variable("yookassa_allowed_ips", "185.71.76.0/27")).await;
    awaiting_payment(&app).await;
    let emails = app.sent_emails().len();

    let spoofed = send_from(
        &app,
        with_client_headers(yookassa_paid(), &[("spin-client-addr", "185.71.76.1:1")]),
        "127.0.0.1:41000",
    )
    .await;

    assert_eq!(spoofed.status, 403, "{}", spoofed.text());
    assert_eq!(json_of(&spoofed)["error"]["code"], "forbidden_source");
    assert!(
        spoofed.text().contains("127.0.0.1:41000"),
        "{}",
        spoofed.text()
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbound_events WHERE source LIKE 'payments:%'"),
        0
    );
    assert_eq!(app.sent_emails().len(), emails, "no payment email");
    assert_eq!(
        payment_status(&app),
        json!([["awaiting-payment", "not-paid"]])
    );
}

#[tokio::test]
async fn a_client_copy_of_spin_client_addr_cannot_lock_yookassa_out() {
    let app = TestApp::start_with(|b| b.variable("yookassa_allowed_ips", "185.71.76.0/27")).await;
    awaiting_payment(&app).await;

    let yookassa = send_from(
        &app,
        with_client_headers(yookassa_paid(), &[("spin-client-addr", "10.0.0.1:1")]),
        "185.71.76.5:40000",
    )
    .await;

    assert_eq!(yookassa.status, 200, "{}", yookassa.text());
    assert_eq!(json_of(&yookassa)["state"], "applied");
    assert_eq!(
        payment_status(&app),
        json!([["prepare-for-delivery", "paid"]])
    );
}

#[tokio::test]
async fn a_client_copy_of_spin_path_info_does_not_pick_the_acquirer() {
    let app = TestApp::start().await;
    awaiting_payment(&app).await;

    let response = app
        .send(with_client_headers(
            yookassa_paid(),
            &[("spin-path-info", "/generic")],
        ))
        .await;

    assert_eq!(
        response.status,
        200,
        "read as YooKassa's: {}",
        response.text()
    );
    assert_eq!(json_of(&response)["state"], "applied");
    assert_eq!(
        rows(&app, "SELECT source FROM payments"),
        json!([["yookassa"]])
    );
    assert_eq!(
        payment_status(&app),
        json!([["prepare-for-delivery", "paid"]])
    );
}

// ── delivery-events: `spin-path-info` picks the carrier ───────────────────────────────

#[tokio::test]
async fn a_client_copy_of_spin_path_info_does_not_pick_the_carrier() {
    let app = TestApp::start().await;
    create(&app, order("A-1001", json!({}))).await;
    walk(
        &app,
        "A-1001",
        &["confirmed", "prepare-for-delivery", "assembled"],
    )
    .await;
    let cdek = http::Request::post(format!(
        "http://orders.shop.example/webhooks/delivery/cdek?token={CDEK_TOKEN}"
    ))
    .header("content-type", "application/json")
    .body(fixture_bytes("cdek/created.json"))
    .expect("request");

    let response = app
        .send(with_client_headers(cdek, &[("spin-path-info", "/generic")]))
        .await;

    assert_eq!(response.status, 200, "read as CDEK's: {}", response.text());
    assert_eq!(json_of(&response)["state"], "applied");
    assert_eq!(
        rows(&app, "SELECT carrier, state FROM deliveries"),
        json!([["cdek", "applied"]])
    );
}

#[tokio::test]
async fn a_client_copy_of_spin_path_info_cannot_reach_another_carrier() {
    let app = TestApp::start().await;
    // A CDEK notice with a client path naming CDEK, sent to the generic (signed) route
    // without a signature: the route Spin matched decides, and it wants a signature.
    let unsigned = http::Request::post(format!(
        "http://orders.shop.example/webhooks/delivery/generic?token={CDEK_TOKEN}"
    ))
    .header("content-type", "application/json")
    .body(fixture_bytes("cdek/created.json"))
    .expect("request");

    let response = app
        .send(with_client_headers(
            unsigned,
            &[("spin-path-info", "/cdek")],
        ))
        .await;

    assert_eq!(response.status, 401, "{}", response.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM deliveries"), 0);
}

// ── call-events: `spin-path-info` picks the PBX ─────────────────────────────────────────

#[tokio::test]
async fn a_client_copy_of_spin_path_info_does_not_pick_the_pbx() {
    let app = TestApp::start().await;
    let mango = http::Request::post("http://orders.shop.example/webhooks/calls/mango/events/call")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fixture_bytes("mango/inbound-missed.1-appeared.form"))
        .expect("request");

    let response = app
        .send(with_client_headers(
            mango,
            &[("spin-path-info", "/generic")],
        ))
        .await;

    assert_eq!(response.status, 200, "read as Mango's: {}", response.text());
    assert_eq!(rows(&app, "SELECT source FROM calls"), json!([["mango"]]));
}

#[tokio::test]
async fn a_client_copy_of_spin_path_info_cannot_reach_another_pbx() {
    let app = TestApp::start().await;
    // Signed for Mango, posted to the generic route with a client path naming Mango.
    let generic = http::Request::post("http://orders.shop.example/webhooks/calls/generic")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fixture_bytes("mango/inbound-missed.1-appeared.form"))
        .expect("request");

    let response = app
        .send(with_client_headers(
            generic,
            &[("spin-path-info", "/mango/events/call")],
        ))
        .await;

    assert_ne!(response.status, 200, "{}", response.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM calls"), 0);
}
