//! Requests refused before anything is kept (docs/delivery-events.md, Errors): wrong or missing
//! token or signature, a stale timestamp, an unset secret, a body that is not the format, a
//! field missing or wrong, another method or carrier. Nothing is stored, claimed or sent.

use super::*;
use crate::support::{CDEK_TOKEN, DELIVERY_SECRET};

// ── CDEK ───────────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_wrong_or_missing_token_is_refused_and_nothing_is_kept() {
    let app = TestApp::start().await;
    assembled(&app, None).await;
    let (before, order) = (sent(&app), order_row(&app));
    let body = || raw("cdek/received-at-warehouse.json");
    let mut wrong = CDEK_TOKEN.to_owned();
    wrong.replace_range(wrong.len() - 1.., "f");

    let answers = [
        app.send(cdek_notice_with(Some(&wrong), body())).await,
        app.send(cdek_notice_with(Some(""), body())).await,
        app.send(cdek_notice_with(None, body())).await,
    ];

    for answer in &answers {
        assert_eq!(answer.status, 401, "{}", answer.text());
        assert_eq!(error_code(answer), "invalid_signature");
    }
    assert_nothing_kept(&app, before, order);
}

#[tokio::test]
async fn without_a_configured_token_cdek_is_refused_until_it_is_set() {
    let app = TestApp::start_with(|b| b.variable("cdek_webhook_token", "")).await;
    assembled(&app, None).await;
    let (before, order) = (sent(&app), order_row(&app));

    let answer = app
        .send(cdek_notice_with(
            Some(""),
            raw("cdek/received-at-warehouse.json"),
        ))
        .await;

    assert_eq!(answer.status, 503, "{}", answer.text());
    assert_eq!(error_code(&answer), "provider_not_configured");
    assert!(
        !answer.text().contains("cdek_webhook_token"),
        "{}",
        answer.text()
    );
    assert!(app
        .app
        .guest_output("delivery-events")
        .contains("cdek_webhook_token is not set"));
    assert_nothing_kept(&app, before, order);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_as_malformed() {
    let app = TestApp::start().await;
    assembled(&app, None).await;
    let (before, order) = (sent(&app), order_row(&app));
    let mut body = raw("cdek/received-at-warehouse.json");
    body.truncate(body.len() / 2);

    let answer = app.send(cdek_notice_with(Some(CDEK_TOKEN), body)).await;

    assert_eq!(answer.status, 400, "{}", answer.text());
    assert_eq!(error_code(&answer), "malformed");
    assert_nothing_kept(&app, before, order);
}

#[tokio::test]
async fn a_status_notice_without_its_code_is_refused_naming_the_field() {
    let app = TestApp::start().await;
    assembled(&app, None).await;
    let (before, order) = (sent(&app), order_row(&app));
    let body = edited("cdek/received-at-warehouse.json", |notice| {
        notice["attributes"]
            .as_object_mut()
            .expect("attributes")
            .remove("code");
    });

    let answer = app.send(cdek_notice_with(Some(CDEK_TOKEN), body)).await;

    assert_eq!(answer.status, 422, "{}", answer.text());
    assert_eq!(error_code(&answer), "invalid_event");
    assert!(
        answer.text().contains("attributes.code"),
        "{}",
        answer.text()
    );
    assert_nothing_kept(&app, before, order);
}

#[tokio::test]
async fn a_get_is_refused_and_an_unknown_carrier_is_not_found() {
    let app = TestApp::start().await;
    let get = http::Request::get(url(&format!("cdek?token={CDEK_TOKEN}")))
        .body(Bytes::new())
        .expect("request");

    let not_post = app.send(get).await;
    let dhl = app
        .send(post_to(
            &url(&format!("dhl?token={CDEK_TOKEN}")),
            raw("cdek/received-at-warehouse.json"),
        ))
        .await;

    assert_eq!(not_post.status, 405, "{}", not_post.text());
    assert_eq!(dhl.status, 404, "{}", dhl.text());
    assert_eq!(error_code(&dhl), "unknown_carrier");
    assert_eq!(app.count("SELECT COUNT(*) FROM deliveries"), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbound_events WHERE source LIKE 'delivery:%'"),
        0
    );
}

// ── Generic ────────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_wrong_signature_or_a_stale_timestamp_is_refused_and_nothing_is_kept() {
    let app = TestApp::start().await;
    assembled(&app, None).await;
    let (before, order) = (sent(&app), order_row(&app));
    let now = app.clock.unix_seconds() as i64;
    let body = || raw("delivery/at-pickup-point.json");
    let other_secret = "whsec_b3RoZXItc2VjcmV0LW5vdC1vdXJzLWF0LWFsbA==";

    let answers = [
        app.send(signed_at(&webhook_id(), now, other_secret, body()))
            .await,
        app.send(signed_at(&webhook_id(), now - 301, DELIVERY_SECRET, body()))
            .await,
        app.send(post_to(&url("generic"), body())).await,
    ];

    for answer in &answers {
        assert_eq!(answer.status, 401, "{}", answer.text());
        assert_eq!(error_code(answer), "invalid_signature");
    }
    assert_nothing_kept(&app, before, order);
}

#[tokio::test]
async fn an_unknown_status_is_refused_naming_it() {
    let app = TestApp::start().await;
    assembled(&app, None).await;
    let (before, order) = (sent(&app), order_row(&app));

    let answer = app
        .send(signed(
            &app,
            &webhook_id(),
            boxberry("on-the-moon", "2026-11-26T09:00:00+03:00", json!({})),
        ))
        .await;

    assert_eq!(answer.status, 422, "{}", answer.text());
    assert_eq!(error_code(&answer), "invalid_event");
    let message = json_of(&answer)["error"]["message"].to_string();
    assert!(
        message.contains("data.status") && message.contains("on-the-moon"),
        "{message}"
    );
    assert_nothing_kept(&app, before, order);
}

#[tokio::test]
async fn without_a_configured_secret_generic_notices_are_refused() {
    let app = TestApp::start_with(|b| b.variable("delivery_webhook_secret", "")).await;
    assembled(&app, None).await;
    let (before, order) = (sent(&app), order_row(&app));

    let answer = app
        .send(signed(
            &app,
            &webhook_id(),
            raw("delivery/at-pickup-point.json"),
        ))
        .await;

    assert_eq!(answer.status, 503, "{}", answer.text());
    assert_eq!(error_code(&answer), "provider_not_configured");
    assert!(
        !answer.text().contains("delivery_webhook_secret"),
        "{}",
        answer.text()
    );
    assert!(app
        .app
        .guest_output("delivery-events")
        .contains("delivery_webhook_secret is not set"));
    assert_nothing_kept(&app, before, order);
}
