//! Standard Webhooks authenticity: a missing, wrong or stale signature is refused with 401 and
//! leaves no trace.

use std::time::Duration;

use bytes::Bytes;

use crate::support::{fixture, json_of, signature, signed_request, TestApp};

fn body() -> Vec<u8> {
    serde_json::to_vec(&fixture("orders/created.json")).expect("json")
}

async fn assert_refused(app: &TestApp, request: http::Request<Bytes>, reason: &str) {
    let before = app.footprint();
    let response = app.send(request).await;
    assert_eq!(response.status, 401, "{reason}: {}", response.text());
    let error = &json_of(&response)["error"];
    assert_eq!(error["code"], "invalid_signature");
    assert!(
        error["message"].as_str().expect("message").contains(reason),
        "{reason}: {error}"
    );
    assert_eq!(app.footprint(), before, "a refused request changes nothing");
}

#[tokio::test]
async fn each_missing_header_is_named() {
    let app = TestApp::start().await;
    for header in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let mut request = app.signed("evt-1", &body());
        request.headers_mut().remove(header);
        assert_refused(&app, request, header).await;
    }
}

#[tokio::test]
async fn a_tampered_body_is_refused() {
    let app = TestApp::start().await;
    let mut request = app.signed("evt-1", &body());
    let tampered = String::from_utf8(body())
        .expect("utf8")
        .replace("240000", "1");
    *request.body_mut() = Bytes::from(tampered);
    assert_refused(&app, request, "no webhook-signature matches").await;
}

#[tokio::test]
async fn a_signature_made_with_another_secret_is_refused() {
    let app = TestApp::start_with(|b| {
        b.variable(
            "orders_webhook_secret",
            "whsec_c2hvcC1yb3RhdGVkLXRoZS1rZXktMjAyNg==",
        )
    })
    .await;
    let request = app.signed("evt-1", &body());
    assert_refused(&app, request, "no webhook-signature matches").await;
}

#[tokio::test]
async fn a_stale_timestamp_is_refused_even_when_signed() {
    let app = TestApp::start().await;
    let signed_at = app.clock.unix_seconds() as i64;
    app.clock.advance(Duration::from_secs(5 * 60 + 1));
    let request = signed_request("evt-1", signed_at, &body());
    assert_refused(&app, request, "5 minutes").await;
}

#[tokio::test]
async fn a_timestamp_from_the_future_is_refused_too() {
    let app = TestApp::start().await;
    let future = app.clock.unix_seconds() as i64 + 301;
    let request = signed_request("evt-1", future, &body());
    assert_refused(&app, request, "5 minutes").await;
}

#[tokio::test]
async fn a_slightly_late_delivery_within_tolerance_is_accepted() {
    let app = TestApp::start().await;
    let signed_at = app.clock.unix_seconds() as i64;
    app.clock.advance(Duration::from_secs(4 * 60));
    let response = app.send(signed_request("evt-1", signed_at, &body())).await;
    assert_eq!(response.status, 201, "{}", response.text());
}

#[tokio::test]
async fn rotated_keys_any_matching_signature_is_enough() {
    let app = TestApp::start().await;
    let ts = app.clock.unix_seconds() as i64;
    let mut request = signed_request("evt-1", ts, &body());
    let good = signature("evt-1", ts, &body());
    let both = format!("v1,b2xkLWtleS1zaWduYXR1cmUtbm90LXZhbGlkLWF0LWFsbA== {good}");
    request
        .headers_mut()
        .insert("webhook-signature", both.parse().expect("header"));
    let response = app.send(request).await;
    assert_eq!(response.status, 201, "{}", response.text());
}

#[tokio::test]
async fn secrets_pasted_with_a_trailing_newline_still_verify() {
    let app = TestApp::start_with(|b| {
        b.variable(
            "orders_webhook_secret",
            format!("{}\n", crate::support::SECRET),
        )
        .variable(
            "cdek_webhook_token",
            format!(" {}\r\n", crate::support::CDEK_TOKEN),
        )
    })
    .await;

    let created = app.send(app.signed("evt-1", &body())).await;

    assert_eq!(created.status, 201, "{}", created.text());
    let cdek = http::Request::post(format!(
        "http://orders.shop.example/webhooks/delivery/cdek?token={}",
        crate::support::CDEK_TOKEN
    ))
    .header("content-type", "application/json")
    .body(Bytes::from(
        std::fs::read(crate::support::workspace_root().join("tests/fixtures/cdek/created.json"))
            .expect("fixture"),
    ))
    .expect("request");
    let answer = app.send(cdek).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(json_of(&answer)["state"], "applied");
}
