//! Sending in one place (issue 13, step 4): the webhooks hand what they queued to the private
//! `sender` component right after answering; where the sender cannot be reached (a host
//! without service chaining), the messages stay claimed and the tick sends them once their
//! born lease runs out; the HTTP tick sends through the sender too.

use orderpath_harness::Responder;
use serde_json::json;

use crate::support::{app_copy, fixture, postmark_ok, TestApp, POSTMARK_TOKEN};

#[tokio::test]
async fn the_thank_you_email_leaves_through_the_sender_before_any_tick() {
    let app = TestApp::start().await;

    let response = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    app.app.wait_idle().await;

    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(app.email_requests().len(), 1, "sent before any tick");
    assert_eq!(
        app.query("SELECT status, provider_message_id FROM outbox"),
        vec![vec![json!("sent"), json!("pm-msg-1")]]
    );
    // The webhook holds no provider secret or host: the sender made the call.
    let webhook_log = app.app.guest_output("order-events");
    assert!(
        !webhook_log.contains("not allowed"),
        "the webhook called no provider itself: {webhook_log}"
    );
    assert!(!app.app.guest_output("sender").contains(POSTMARK_TOKEN));
}

#[tokio::test]
async fn the_sender_cannot_be_called_from_outside() {
    let app = TestApp::start().await;
    app.email_api.respond(Responder::status(503));
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;

    for path in ["/queued", "/due"] {
        let request = http::Request::post(format!("http://sender.spin.internal{path}"))
            .header("content-type", "application/json")
            .body(bytes::Bytes::from_static(b"{}"))
            .expect("request");
        let response = app.send(request).await;
        assert_eq!(response.status, 404, "{path}: {}", response.text());
    }
    assert_eq!(app.email_requests().len(), 1);
}

/// The app as a host without service chaining runs it: the webhooks' calls to the sender fail.
fn without_service_chaining() -> tempfile::TempDir {
    app_copy(
        |manifest| {
            let edited = manifest.replace(
                "allowed_outbound_hosts = [\"http://sender.spin.internal\"]",
                "allowed_outbound_hosts = []",
            );
            assert_ne!(edited, manifest);
            edited
        },
        |_| {},
    )
}

#[tokio::test]
async fn without_service_chaining_the_tick_sends_the_first_email_when_its_born_lease_ends() {
    let dir = without_service_chaining();
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;

    let response = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    app.app.wait_idle().await;

    assert_eq!(response.status, 201, "{}", response.text());
    assert!(
        app.email_requests().is_empty(),
        "the sender was not reached"
    );
    assert!(app
        .app
        .guest_output("order-events")
        .contains("wait for the tick"));
    assert_eq!(
        app.query("SELECT status, attempts FROM outbox"),
        vec![vec![json!("sending"), json!(1)]],
        "still claimed under the webhook's token"
    );
    // The born lease (4 × 1 s + 60 s with provider_timeout_ms = 500) is still running.
    assert_eq!(app.tick_after(30).await["messages"]["sent"], 0);
    assert!(app.email_requests().is_empty());

    app.email_api.respond(postmark_ok("pm-late"));
    let tick = app.tick_after(60).await;

    assert_eq!(tick["messages"]["sent"], 1, "{tick}");
    assert_eq!(app.email_requests().len(), 1);
    assert_eq!(
        app.query("SELECT status, provider_message_id FROM outbox"),
        vec![vec![json!("sent"), json!("pm-late")]]
    );
}

#[tokio::test]
async fn the_tick_retries_through_the_sender_and_reports_an_unreachable_one() {
    let app = TestApp::start().await;
    app.email_api.respond(Responder::status(503));
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;
    app.email_api.respond(postmark_ok("pm-retried"));

    let tick = app.tick_after(120).await;

    assert_eq!(tick["messages"]["sent"], 1, "{tick}");
    assert_eq!(app.email_requests().len(), 2);

    // A scheduler that may not reach the sender still does its other work and says why
    // nothing was retried.
    let dir = app_copy(
        |manifest| {
            manifest.replace(
                "allowed_outbound_hosts = [\"http://sender.spin.internal\", \"{{ cdek_api_url }}\", \"{{ woocommerce_url }}\"]",
                "allowed_outbound_hosts = [\"{{ cdek_api_url }}\", \"{{ woocommerce_url }}\"]",
            )
        },
        |_| {},
    );
    let cut_off = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;
    let tick = cut_off.tick().await;
    assert!(tick["messages"]["error"].is_string(), "{tick}");
    assert_eq!(tick["timers_fired"], 0, "{tick}");
}
