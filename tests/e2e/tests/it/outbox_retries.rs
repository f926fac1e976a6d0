//! The scheduler tick retries emails the provider did not take, with backoff, exactly once per
//! message even when ticks overlap, and gives up into an operator task.

use orderpath_harness::Responder;
use serde_json::json;

use crate::support::{fixture, json_of, postmark_ok, tick_request, TestApp};

/// An order whose thank-you email met a provider outage.
async fn app_with_undelivered_email(extra: &[(&str, &str)]) -> TestApp {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let app = TestApp::start_with(move |mut b| {
        for (k, v) in extra {
            b = b.variable(k, v);
        }
        b
    })
    .await;
    app.email_api.respond(Responder::status(503));
    let response = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    assert_eq!(response.status, 201);
    assert_eq!(
        app.query("SELECT status FROM outbox"),
        vec![vec![json!("pending")]]
    );
    app
}

#[tokio::test]
async fn tick_requires_the_cron_token() {
    let app = TestApp::start().await;
    for token in [None, Some("wrong")] {
        let response = app.send(tick_request(token)).await;
        assert_eq!(response.status, 401);
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
        assert_eq!(json_of(&response)["error"]["code"], "unauthorized");
    }
    let by_query = http::Request::post(format!(
        "http://orders.shop.example/cron/tick?token={}",
        crate::support::CRON_TOKEN
    ))
    .body(bytes::Bytes::new())
    .expect("request");
    assert_eq!(app.send(by_query).await.status, 200);
}

#[tokio::test]
async fn message_is_not_retried_before_its_time() {
    let app = app_with_undelivered_email(&[]).await;
    app.email_api.respond(postmark_ok("pm-2"));

    let report = app.tick_after(30).await;

    assert_eq!(report["messages"]["sent"], 0);
    assert_eq!(
        app.email_requests().len(),
        1,
        "only the first, failed attempt"
    );
}

#[tokio::test]
async fn outage_then_recovery_delivers_the_email_once() {
    let app = app_with_undelivered_email(&[]).await;
    // Still down at the first retry.
    let report = app.tick_after(75).await;
    assert_eq!(report["messages"]["retrying"], 1);
    app.email_api.respond(postmark_ok("pm-after-outage"));

    // The second backoff is two minutes ± 20 %.
    let report = app.tick_after(150).await;
    assert_eq!(report["messages"]["sent"], 1);
    app.tick_after(3600).await;

    assert_eq!(app.email_requests().len(), 3);
    assert_eq!(
        app.query("SELECT status, attempts, provider_message_id, last_error FROM outbox WHERE channel = 'email'"),
        vec![vec![
            json!("sent"),
            json!(3),
            json!("pm-after-outage"),
            json!(null)
        ]]
    );
    assert_eq!(
        app.query(
            "SELECT a.outcome FROM outbox_attempts a JOIN outbox o ON o.id = a.message_id
             WHERE o.channel = 'email' ORDER BY a.id"
        ),
        vec![
            vec![json!("retryable")],
            vec![json!("retryable")],
            vec![json!("sent")]
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_ticks_send_each_message_once() {
    let app = app_with_undelivered_email(&[]).await;
    app.email_api.respond(postmark_ok("pm-2"));
    app.clock.advance(std::time::Duration::from_secs(600));

    let ticks: Vec<_> = (0..4)
        .map(|_| {
            let harness = app.app.clone();
            tokio::spawn(async move {
                harness
                    .request(tick_request(Some(crate::support::CRON_TOKEN)))
                    .await
            })
        })
        .collect();
    for tick in ticks {
        assert_eq!(tick.await.expect("task").expect("tick").status, 200);
    }
    app.app.wait_idle().await;

    assert_eq!(
        app.email_requests().len(),
        2,
        "the failed attempt and one retry"
    );
    assert_eq!(
        app.query("SELECT status FROM outbox WHERE channel = 'email'"),
        vec![vec![json!("sent")]]
    );
}

#[tokio::test]
async fn last_attempt_marks_the_email_failed_and_creates_an_operator_task() {
    let app = app_with_undelivered_email(&[("message_max_attempts", "2")]).await;

    let report = app.tick_after(600).await;

    assert_eq!(report["messages"]["failed"], 1);
    assert_eq!(
        app.query("SELECT status, attempts FROM outbox WHERE channel = 'email'"),
        vec![vec![json!("failed"), json!(2)]]
    );
    let last_error =
        app.query("SELECT last_error FROM outbox WHERE channel = 'email'")[0][0].clone();
    assert!(last_error
        .as_str()
        .expect("error")
        .starts_with("gave up after 2 attempts"));
    assert_eq!(
        app.query("SELECT order_id, kind, reason, assignee, status FROM tasks WHERE kind = 'message_failed'"),
        vec![vec![
            json!("A-1001"),
            json!("message_failed"),
            json!("outbox:failed"),
            json!("staff:m.ivanova"),
            json!("open"),
        ]]
    );
    // Nothing more is tried.
    app.tick_after(24 * 3600).await;
    assert_eq!(app.email_requests().len(), 2);
}

#[tokio::test]
async fn message_abandoned_by_a_dead_sender_is_sent_when_its_lease_ends() {
    let app = TestApp::start().await;
    app.email_api.respond(Responder::status(503));
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;
    // As if the instance that queued it died before sending: claimed, never finished.
    let db = rusqlite::Connection::open(app.app.state_dir().join("sqlite_db.db")).expect("db");
    db.execute(
        "UPDATE outbox SET status = 'sending', lease_until = '2026-11-24T07:02:00Z'",
        [],
    )
    .expect("update");
    app.email_api.respond(postmark_ok("pm-rescued"));

    assert_eq!(
        app.tick_after(60).await["messages"]["sent"],
        0,
        "lease still running"
    );
    assert_eq!(app.tick_after(120).await["messages"]["sent"], 1);
    assert_eq!(
        app.query("SELECT status, provider_message_id FROM outbox WHERE channel = 'email'"),
        vec![vec![json!("sent"), json!("pm-rescued")]]
    );
}
