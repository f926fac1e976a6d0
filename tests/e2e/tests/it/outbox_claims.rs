//! Outbox claims have an owner (issue 12, item 2): a sender holds a message under its own
//! token, with a lease that starts when it starts sending; one that lost its claim neither
//! sends nor changes the message, and messages to one recipient keep their order while an
//! earlier one is on its way. Providers are held at a [`Gate`] to make senders overlap.

use orderpath_harness::{Gate, HarnessResponse, Responder};
use serde_json::{json, Value};

use crate::support::{fixture, json_of, postmark_ok, tick_request, TestApp, CRON_TOKEN};

/// A held tick runs as two instances: the scheduler, and the sender it asked for the retries.
const TICK_AND_SENDER: usize = 2;

/// Providers may take a minute per phase: a sender's lease is 4 × 60 s + 60 s = 300 s.
const SLOW_PROVIDERS: &str = "60000";

/// An app whose providers may be slow, with the thank-you email of A-1001 waiting after an
/// outage (the retry is due within 72 s).
async fn app_with_undelivered_email() -> TestApp {
    let app = TestApp::start_with(|b| b.variable("provider_timeout_ms", SLOW_PROVIDERS)).await;
    app.email_api.respond(Responder::status(503));
    let response = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(
        app.query("SELECT status FROM outbox"),
        vec![vec![json!("pending")]]
    );
    app
}

/// Starts a tick that may not finish yet (its provider is held).
fn start_tick(app: &TestApp) -> tokio::task::JoinHandle<HarnessResponse> {
    let harness = app.app.clone();
    tokio::spawn(async move {
        harness
            .request(tick_request(Some(CRON_TOKEN)))
            .await
            .expect("tick")
    })
}

async fn finished(tick: tokio::task::JoinHandle<HarnessResponse>) -> Value {
    let response = tick.await.expect("tick task");
    assert_eq!(response.status, 200, "{}", response.text());
    json_of(&response)
}

/// An order event, answered; what the request sends after answering may still be going on.
async fn post_without_waiting(app: &TestApp, webhook_id: &str, event: &Value) {
    let body = serde_json::to_vec(event).expect("json");
    let response = app
        .app
        .request(app.signed(webhook_id, &body))
        .await
        .expect("request");
    assert_eq!(response.status, 201, "{}", response.text());
}

fn email_row(app: &TestApp, order: &str) -> Vec<Value> {
    app.query(&format!(
        "SELECT status, provider_message_id FROM outbox
         WHERE channel = 'email' AND order_id = '{order}'"
    ))
    .remove(0)
}

#[tokio::test]
async fn a_slow_send_is_not_taken_over_by_an_overlapping_tick() {
    let app = app_with_undelivered_email().await;
    let gate = Gate::new();
    app.email_api
        .push(Responder::held(&gate, postmark_ok("pm-slow")));
    app.email_api.respond(postmark_ok("pm-twice"));
    app.clock.advance(std::time::Duration::from_secs(120));
    let first = start_tick(&app);
    gate.reached(1).await;

    // 200 s into the call: long for a provider, still inside the sender's lease.
    app.clock.advance(std::time::Duration::from_secs(200));
    let second = finished(start_tick(&app)).await;
    gate.open();
    let first = finished(first).await;
    app.app.wait_idle().await;

    assert_eq!(second["messages"]["sent"], 0, "{second}");
    assert_eq!(first["messages"]["sent"], 1, "{first}");
    assert_eq!(app.email_requests().len(), 2, "the failed try and one send");
    assert_eq!(
        email_row(&app, "A-1001"),
        vec![json!("sent"), json!("pm-slow")]
    );
}

#[tokio::test]
async fn a_sender_that_outlived_its_lease_does_not_overwrite_the_message() {
    let app = app_with_undelivered_email().await;
    let gate = Gate::new();
    app.email_api
        .push(Responder::held(&gate, Responder::status(503)));
    app.email_api.respond(postmark_ok("pm-taken-over"));
    app.clock.advance(std::time::Duration::from_secs(120));
    let stale = start_tick(&app);
    gate.reached(1).await;

    // The lease (300 s) runs out: the next tick takes the message over and sends it.
    app.clock.advance(std::time::Duration::from_secs(400));
    let next = finished(start_tick(&app)).await;
    assert_eq!(next["messages"]["sent"], 1, "{next}");
    // Then the stale sender's provider answers, with an error.
    gate.open();
    let stale = finished(stale).await;
    app.app.wait_idle().await;

    assert_eq!(stale["messages"]["late"], 1, "{stale}");
    assert_eq!(stale["messages"]["retrying"], 0, "{stale}");
    assert_eq!(
        email_row(&app, "A-1001"),
        vec![json!("sent"), json!("pm-taken-over")],
        "not set back to pending"
    );
    assert_eq!(
        app.query("SELECT outcome, late FROM outbox_attempts ORDER BY id"),
        vec![
            vec![json!("retryable"), json!(0)],
            vec![json!("sent"), json!(0)],
            vec![json!("retryable"), json!(1)],
        ]
    );
    let history = app.api("GET", "/api/messages", None).await;
    assert_eq!(
        json_of(&history)["messages"][0]["attempts"][2]["late"],
        true,
        "{}",
        history.text()
    );
    // Nothing is sent again.
    app.tick_after(3600).await;
    assert_eq!(app.email_requests().len(), 3);
}

#[tokio::test]
async fn a_request_whose_claim_was_taken_over_does_not_send() {
    let app = TestApp::start_with(|b| b.variable("provider_timeout_ms", SLOW_PROVIDERS)).await;
    let (email_gate, telegram_gate) = (Gate::new(), Gate::new());
    app.email_api
        .push(Responder::held(&email_gate, postmark_ok("pm-stale")));
    app.email_api.respond(postmark_ok("pm-tick"));
    app.telegram_api.push(Responder::held(
        &telegram_gate,
        Responder::status(200).json(json!({ "ok": true, "result": { "message_id": 7 } })),
    ));
    // A large order: the customer's thank-you, then a note to the head of sales, both queued
    // by the request and sent by it after answering. The thank-you takes its time.
    let mut order = fixture("orders/created.json");
    order["data"]["order_id"] = json!("BIG-1");
    order["data"]["total"] = json!(5_000_000);
    post_without_waiting(&app, "evt-big", &order).await;
    email_gate.reached(1).await;

    // Past both leases (300 s): a tick takes both messages over; it is sending the note.
    app.clock.advance(std::time::Duration::from_secs(400));
    let tick = start_tick(&app);
    telegram_gate.reached(1).await;
    // The request's thank-you call ends, and it gets to the note while the tick's call is
    // under way.
    email_gate.open();
    // Running then: only the held tick and the sender it waits for.
    app.app.wait_running_at_most(TICK_AND_SENDER).await;

    assert_eq!(
        app.telegram_api.requests().len(),
        1,
        "the request did not send the note"
    );
    telegram_gate.open();
    let report = finished(tick).await;
    app.app.wait_idle().await;
    assert_eq!(report["messages"]["sent"], 2, "{report}");
    assert_eq!(app.telegram_api.requests().len(), 1);
    assert_eq!(
        app.query("SELECT channel, status, provider_message_id FROM outbox ORDER BY id"),
        vec![
            vec![json!("email"), json!("sent"), json!("pm-tick")],
            vec![json!("telegram"), json!("sent"), json!("7")],
        ]
    );
    // The thank-you did reach Postmark twice (its call outlived its lease); the request's
    // answer is kept as a late attempt.
    assert_eq!(app.email_requests().len(), 2);
    assert_eq!(
        app.query(
            "SELECT outbox.channel, outcome, late FROM outbox_attempts
             JOIN outbox ON outbox.id = message_id ORDER BY outbox_attempts.id"
        ),
        vec![
            vec![json!("email"), json!("sent"), json!(0)],
            vec![json!("email"), json!("sent"), json!(1)],
            vec![json!("telegram"), json!("sent"), json!(0)],
        ]
    );
}

#[tokio::test]
async fn a_message_waits_while_an_earlier_one_to_the_recipient_is_being_sent() {
    let app = app_with_undelivered_email().await;
    let gate = Gate::new();
    app.email_api
        .push(Responder::held(&gate, postmark_ok("pm-first")));
    app.email_api.respond(postmark_ok("pm-second"));
    app.clock.advance(std::time::Duration::from_secs(120));
    let first = start_tick(&app);
    gate.reached(1).await;

    // A second order by the same customer while the first thank-you is on its way.
    let mut second = fixture("orders/created.json");
    second["data"]["order_id"] = json!("A-1002");
    post_without_waiting(&app, "evt-2", &second).await;
    app.app.wait_running_at_most(TICK_AND_SENDER).await;
    assert_eq!(email_row(&app, "A-1002")[0], "pending");
    // Neither does a tick send it yet.
    let meanwhile = finished(start_tick(&app)).await;
    assert_eq!(meanwhile["messages"]["sent"], 0, "{meanwhile}");
    assert_eq!(
        app.email_requests().len(),
        2,
        "the failed try and the held one"
    );

    gate.open();
    finished(first).await;
    app.app.wait_idle().await;
    let after = app.tick().await;
    assert_eq!(after["messages"]["sent"], 1, "{after}");

    let orders: Vec<String> = app
        .sent_emails()
        .iter()
        .map(|email| email["TextBody"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(orders.len(), 3);
    assert!(orders[1].contains("A-1001"), "{}", orders[1]);
    assert!(orders[2].contains("A-1002"), "{}", orders[2]);
    assert_eq!(
        email_row(&app, "A-1001"),
        vec![json!("sent"), json!("pm-first")]
    );
    assert_eq!(
        email_row(&app, "A-1002"),
        vec![json!("sent"), json!("pm-second")]
    );
}
