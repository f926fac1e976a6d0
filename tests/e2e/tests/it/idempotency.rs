//! `webhook-id` is the idempotency key: a replay gets the same answer and causes nothing new,
//! also when the copies arrive at the same moment.

use serde_json::json;

use crate::support::{fixture, TestApp};

#[tokio::test]
async fn a_replayed_event_gets_the_same_answer_and_no_second_email() {
    let app = TestApp::start().await;
    let event = fixture("orders/created.json");

    let first = app.post_event("evt-1", &event).await;
    let replay = app.post_event("evt-1", &event).await;

    assert_eq!(first.status, 201);
    assert_eq!(replay.status, first.status);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.footprint(), (1, 1, 1));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_history"),
        2,
        "created, and its manager (V1)"
    );
}

#[tokio::test]
async fn a_replayed_refusal_is_refused_again_and_recorded_once() {
    let app = TestApp::start().await;
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;
    let forbidden = fixture("orders/status_completed.json");

    let first = app.post_event("evt-2", &forbidden).await;
    let replay = app.post_event("evt-2", &forbidden).await;

    assert_eq!((first.status.as_u16(), replay.status.as_u16()), (409, 409));
    assert_eq!(replay.body, first.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_history WHERE outcome = 'refused'"),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_copies_at_once_make_one_order_and_one_email() {
    let app = TestApp::start().await;
    let body = serde_json::to_vec(&fixture("orders/created.json")).expect("json");

    let (a, b) = tokio::join!(
        app.app.request(app.signed("evt-1", &body)),
        app.app.request(app.signed("evt-1", &body)),
    );
    app.app.wait_idle().await;
    let (a, b) = (a.expect("a"), b.expect("b"));

    assert_eq!((a.status.as_u16(), b.status.as_u16()), (201, 201));
    assert_eq!(a.body, b.body);
    assert_eq!(app.footprint(), (1, 1, 1));
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_events"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_copies_of_many_events_at_once_apply_each_event_once() {
    let app = TestApp::start().await;
    let mut requests = Vec::new();
    for n in 0..4 {
        let mut event = fixture("orders/created.json");
        event["data"]["order_id"] = json!(format!("A-{n}"));
        // Four customers: one customer's emails go out one at a time, in order (the later
        // ones would wait for the tick while the first is being sent).
        event["data"]["customer"]["email"] = json!(format!("buyer-{n}@example.com"));
        let body = serde_json::to_vec(&event).expect("json");
        for _ in 0..3 {
            let (harness, request) = (app.app.clone(), app.signed(&format!("evt-{n}"), &body));
            requests.push(async move { harness.request(request).await });
        }
    }

    let responses = futures_join_all(requests).await;
    app.app.wait_idle().await;

    assert!(
        responses.iter().all(|r| r.status == 201),
        "all copies answered 201"
    );
    assert_eq!(app.footprint(), (4, 4, 4));
}

#[tokio::test]
async fn the_same_id_for_a_different_event_is_a_conflict() {
    let app = TestApp::start().await;
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;

    let other = app
        .post_event("evt-1", &fixture("orders/created_phone_only.json"))
        .await;

    assert_eq!(other.status, 409);
    assert!(other.text().contains("idempotency_key_reused"));
    assert_eq!(app.footprint(), (1, 1, 1));
}

async fn futures_join_all<F, T>(futures: Vec<F>) -> Vec<T>
where
    F: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("task").expect("request"));
    }
    out
}
