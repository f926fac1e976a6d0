//! The status path and transition matrix (P2), with the history of every attempt (P5).

use serde_json::json;

use crate::support::{fixture, json_of, TestApp};

async fn app_with_new_order() -> TestApp {
    let app = TestApp::start().await;
    let created = app
        .post_event("evt-create", &fixture("orders/created.json"))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    app
}

#[tokio::test]
async fn allowed_change_moves_the_order_and_records_who_did_it() {
    let app = app_with_new_order().await;

    let response = app
        .post_event("evt-confirm", &fixture("orders/status_confirmed.json"))
        .await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        json_of(&response),
        json!({ "order_id": "A-1001", "from": "new", "to": "confirmed" })
    );
    assert_eq!(
        app.query("SELECT status FROM orders"),
        vec![vec![json!("confirmed")]]
    );
    assert_eq!(
        app.query(
            "SELECT actor, actor_name, old_value, new_value, outcome, event_id
             FROM order_history WHERE field = 'status'"
        ),
        vec![vec![
            json!("staff:m.ivanova"),
            json!("Мария Иванова"),
            json!("\"new\""),
            json!("\"confirmed\""),
            json!("applied"),
            json!("evt-confirm"),
        ]]
    );
}

#[tokio::test]
async fn new_order_cannot_jump_to_completed() {
    let app = app_with_new_order().await;

    let response = app
        .post_event("evt-complete", &fixture("orders/status_completed.json"))
        .await;

    assert_eq!(response.status, 409, "{}", response.text());
    let error = &json_of(&response)["error"];
    assert_eq!(error["code"], "forbidden_transition");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains("\"new\"") && message.contains("\"completed\""),
        "{message}"
    );
    // Nothing changed, but the refusal is in the history.
    assert_eq!(
        app.query("SELECT status FROM orders"),
        vec![vec![json!("new")]]
    );
    assert_eq!(
        app.query(
            "SELECT actor, old_value, new_value, outcome FROM order_history WHERE field = 'status'"
        ),
        vec![vec![
            json!("staff:m.ivanova"),
            json!("\"new\""),
            json!("\"completed\""),
            json!("refused")
        ]]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_history WHERE outcome = 'refused' AND reason LIKE '%not allowed%'"),
        1
    );
}

#[tokio::test]
async fn a_full_path_to_completion_is_accepted_step_by_step() {
    let app = app_with_new_order().await;
    let path = [
        "confirmed",
        "awaiting-payment",
        "payment-received",
        "prepare-for-delivery",
        "assembled",
        "handed-to-carrier",
        "at-pickup-point",
        "completed",
    ];
    for (i, status) in path.iter().enumerate() {
        let event = json!({ "type": "order.status_changed",
                            "data": { "order_id": "A-1001", "status": status } });
        let response = app.post_event(&format!("evt-{i}"), &event).await;
        assert_eq!(response.status, 200, "to {status}: {}", response.text());
    }
    assert_eq!(
        app.query("SELECT status FROM orders"),
        vec![vec![json!("completed")]]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_history WHERE field = 'status' AND outcome = 'applied' AND actor = 'webhook:orders'"),
        path.len() as i64
    );
}

#[tokio::test]
async fn cancelled_order_is_final() {
    let app = app_with_new_order().await;
    let cancel = json!({ "type": "order.status_changed",
        "data": { "order_id": "A-1001", "status": "cancelled", "reason": "customer changed mind" } });
    assert_eq!(app.post_event("evt-cancel", &cancel).await.status, 200);

    let reopen = json!({ "type": "order.status_changed",
        "data": { "order_id": "A-1001", "status": "new" } });
    let response = app.post_event("evt-reopen", &reopen).await;

    assert_eq!(response.status, 409);
    assert_eq!(
        app.query("SELECT status FROM orders"),
        vec![vec![json!("cancelled")]]
    );
    assert_eq!(
        app.query(
            "SELECT reason FROM order_history WHERE field = 'status' AND outcome = 'applied'"
        ),
        vec![vec![json!("customer changed mind")]]
    );
}

#[tokio::test]
async fn same_status_again_is_a_no_op() {
    let app = app_with_new_order().await;
    let same = json!({ "type": "order.status_changed", "data": { "order_id": "A-1001", "status": "new" } });

    let response = app.post_event("evt-same", &same).await;

    assert_eq!(response.status, 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_history WHERE field = 'status'"),
        0
    );
}

#[tokio::test]
async fn unknown_status_is_a_schema_error() {
    let app = app_with_new_order().await;
    let odd = json!({ "type": "order.status_changed", "data": { "order_id": "A-1001", "status": "teleported" } });

    let response = app.post_event("evt-odd", &odd).await;

    assert_eq!(response.status, 422);
    assert!(json_of(&response)["error"]["message"]
        .as_str()
        .expect("msg")
        .contains("data.status"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_history WHERE field = 'status'"),
        0
    );
}
