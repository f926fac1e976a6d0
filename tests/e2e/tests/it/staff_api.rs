//! The staff API: tasks behind the admin bearer token.

use bytes::Bytes;
use serde_json::json;

use crate::support::{fixture, json_of, TestApp};

/// An app with one operator task (an email the provider refused for good).
async fn app_with_a_task() -> TestApp {
    let app = TestApp::start().await;
    app.email_api
        .respond(orderpath_harness::Responder::status(422).json(json!({
            "ErrorCode": 300, "Message": "Invalid 'To' address"
        })));
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM tasks"), 1);
    app
}

#[tokio::test]
async fn tasks_need_the_admin_token() {
    let app = app_with_a_task().await;
    let request = http::Request::get("http://orders.shop.example/api/tasks")
        .header("authorization", "Bearer not-the-token")
        .body(Bytes::new())
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status, 401);
    assert!(!response.text().contains("Invalid"), "no task data leaks");
}

#[tokio::test]
async fn the_admin_token_in_the_query_is_not_accepted() {
    let app = app_with_a_task().await;
    for path in ["/api/tasks", "/api/messages", "/api/calls"] {
        let request = http::Request::get(format!(
            "http://orders.shop.example{path}?token={}",
            crate::support::ADMIN_TOKEN
        ))
        .body(Bytes::new())
        .expect("request");

        let response = app.send(request).await;

        assert_eq!(response.status, 401, "{path}: {}", response.text());
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
        assert!(!response.text().contains("Invalid"), "no task data leaks");
    }
    let done = http::Request::post(format!(
        "http://orders.shop.example/api/tasks/1/done?token={}",
        crate::support::ADMIN_TOKEN
    ))
    .body(Bytes::new())
    .expect("request");
    assert_eq!(app.send(done).await.status, 401);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks WHERE status = 'open'"),
        1,
        "the task is still open"
    );
}

#[tokio::test]
async fn tasks_are_listed_and_filtered() {
    let app = app_with_a_task().await;

    let all = json_of(&app.api("GET", "/api/tasks", None).await);
    let tasks = all["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["order_id"], "A-1001");
    assert_eq!(
        tasks[0]["assignee"], "staff:m.ivanova",
        "the order's manager (V1)"
    );
    assert_eq!(tasks[0]["status"], "open");
    assert_eq!(tasks[0]["reason"], "outbox:failed");
    assert_eq!(tasks[0]["due_at"], "2026-11-24T07:00:00Z");

    let other = json_of(
        &app.api("GET", "/api/tasks?assignee=role%3Apurchasing", None)
            .await,
    );
    assert_eq!(other["tasks"], json!([]));
    let mine = json_of(
        &app.api(
            "GET",
            "/api/tasks?assignee=staff%3Am.ivanova&status=open",
            None,
        )
        .await,
    );
    assert_eq!(mine["tasks"].as_array().expect("tasks").len(), 1);
    let early = json_of(
        &app.api("GET", "/api/tasks?due_before=2026-11-24T06:00:00Z", None)
            .await,
    );
    assert_eq!(early["tasks"], json!([]));
    let due = json_of(
        &app.api("GET", "/api/tasks?due_before=2026-11-24T08:00:00Z", None)
            .await,
    );
    assert_eq!(due["tasks"].as_array().expect("tasks").len(), 1);
}

#[tokio::test]
async fn a_task_is_marked_done_once() {
    let app = app_with_a_task().await;
    let id = app.query("SELECT id FROM tasks")[0][0]
        .as_i64()
        .expect("id");

    let done = app
        .api(
            "POST",
            &format!("/api/tasks/{id}/done"),
            Some(json!({ "by": "m.ivanova" })),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(json_of(&done)["status"], "done");
    assert_eq!(json_of(&done)["done_by"], "m.ivanova");

    app.clock.advance(std::time::Duration::from_secs(60));
    let again = app
        .api(
            "POST",
            &format!("/api/tasks/{id}/done"),
            Some(json!({ "by": "someone.else" })),
        )
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(
        json_of(&again)["done_by"],
        "m.ivanova",
        "the first completion stands"
    );
    assert_eq!(
        json_of(&app.api("GET", "/api/tasks?status=open", None).await)["tasks"],
        json!([])
    );
}

#[tokio::test]
async fn bad_requests_are_named() {
    let app = app_with_a_task().await;
    let cases = [
        ("GET", "/api/tasks?status=maybe", 400, "invalid_query"),
        (
            "GET",
            "/api/tasks?due_before=tomorrow",
            400,
            "invalid_query",
        ),
        ("POST", "/api/tasks", 405, "method_not_allowed"),
        ("GET", "/api/tasks/1/done", 405, "method_not_allowed"),
        ("POST", "/api/tasks/999/done", 404, "not_found"),
        ("POST", "/api/tasks/abc/done", 404, "not_found"),
        ("GET", "/api/nothing", 404, "not_found"),
    ];
    for (method, path, status, code) in cases {
        let response = app.api(method, path, None).await;
        assert_eq!(
            response.status,
            status,
            "{method} {path}: {}",
            response.text()
        );
        assert_eq!(json_of(&response)["error"]["code"], code, "{method} {path}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks WHERE status = 'open'"),
        1
    );
}

// ── the outbox: GET /api/messages, POST /api/messages/{id}/resend ──────────────────────

#[tokio::test]
async fn messages_are_listed_with_their_attempts_and_filtered() {
    let app = app_with_a_task().await;

    let failed = json_of(&app.api("GET", "/api/messages?status=failed", None).await);
    let sent = json_of(
        &app.api("GET", "/api/messages?status=sent&order=A-1001", None)
            .await,
    );
    let sms = json_of(&app.api("GET", "/api/messages?channel=sms", None).await);

    let failed = failed["messages"].as_array().expect("messages");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["channel"], "email");
    assert_eq!(failed[0]["order_id"], "A-1001");
    assert_eq!(failed[0]["provider"], "postmark");
    assert_eq!(failed[0]["attempts"][0]["outcome"], "permanent");
    assert_eq!(failed[0]["attempts"][0]["http_status"], 422);
    assert!(failed[0]["last_error"]
        .as_str()
        .is_some_and(|e| e.contains("Invalid 'To' address")));
    assert_eq!(sent["messages"], json!([]));
    assert_eq!(sms["messages"], json!([]));
    let bad = app.api("GET", "/api/messages?status=lost", None).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn a_failed_message_is_resent_at_once_and_only_once() {
    let app = app_with_a_task().await;
    let id = app.query("SELECT id FROM outbox WHERE status = 'failed'")[0][0]
        .as_i64()
        .expect("id");
    app.email_api
        .respond(crate::support::postmark_ok("pm-resent"));

    let response = app
        .api("POST", &format!("/api/messages/{id}/resend"), None)
        .await;
    let again = app
        .api("POST", &format!("/api/messages/{id}/resend"), None)
        .await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(json_of(&response)["resends"], 1);
    assert_eq!(again.status, 409, "already sent: {}", again.text());
    assert_eq!(
        app.email_requests().len(),
        2,
        "the failed attempt, and the resend sent at once by the sender"
    );
    app.tick_after(60).await;
    app.tick_after(60).await;
    assert_eq!(app.email_requests().len(), 2, "the tick sends nothing more");
    assert_eq!(
        app.query("SELECT status, provider_message_id FROM outbox"),
        vec![vec![json!("sent"), json!("pm-resent")]]
    );
    let missing = app.api("POST", "/api/messages/999/resend", None).await;
    assert_eq!(missing.status, 404);
    let sent = app
        .api("POST", &format!("/api/messages/{id}/resend"), None)
        .await;
    assert_eq!(sent.status, 409, "a sent message is not sent twice");
}
