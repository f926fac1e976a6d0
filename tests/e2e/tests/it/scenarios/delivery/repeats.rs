//! Never twice, never backwards (docs/delivery-events.md): a notice is processed once per its
//! key; the same status again, a report older than the stored one, or — without the carrier's
//! time — a status behind it changes nothing, sends nothing and is kept in the history as
//! refused; a final status is never left.

use super::*;

// ── CDEK: the key is uuid + code + status time ─────────────────────────────────────────

#[tokio::test]
async fn the_same_notice_twice_is_acknowledged_as_a_duplicate_and_sends_nothing_again() {
    let app = TestApp::start().await;
    cdek_at_pickup_point(&app).await;
    let before = sent(&app);

    let again = cdek_fixture(&app, "at-pickup-point.json").await;

    assert_eq!(again, json!({ "received": true, "duplicate": true }));
    assert_eq!(sent(&app), before);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM deliveries WHERE carrier_status = 'ACCEPTED_AT_PICK_UP_POINT'"
        ),
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM timers WHERE name = 'c5-pickup-reminder'"),
        1
    );
}

#[tokio::test]
async fn an_older_report_after_delivery_is_kept_as_late_and_changes_nothing() {
    let app = TestApp::start().await;
    cdek_handed_over(&app, None).await;
    choose_pickup_point(&app).await; // so a C4 would have had something to say
    cdek_fixture(&app, "delivered.json").await;
    let before = sent(&app);

    let answer = cdek_fixture(&app, "at-pickup-point.json").await;

    assert_eq!(answer["state"], "late");
    assert_eq!(order_row(&app), json!([["completed", "delivered"]]));
    assert_eq!(sent(&app), before, "no C4 email or SMS");
    assert!(!subjects(&app).iter().any(|s| s.contains(AT_POINT_EMAIL)));
    assert_eq!(timers(&app), json!([]), "no pickup reminders");
    assert_eq!(
        rows(
            &app,
            "SELECT status, state FROM deliveries ORDER BY id DESC LIMIT 1"
        ),
        json!([["at-pickup-point", "late"]])
    );
    assert_eq!(
        delivery_history(&app).as_array().and_then(|h| h.last()),
        Some(&json!([
            "\"at-pickup-point\"",
            "refused",
            "older than or behind the stored delivery status"
        ]))
    );
}

#[tokio::test]
async fn the_same_status_at_a_later_time_is_kept_as_a_repeat_and_sends_nothing() {
    let app = TestApp::start().await;
    cdek_at_pickup_point(&app).await;
    let before = sent(&app);
    let later = cdek_with_status(
        "at-pickup-point.json",
        "ACCEPTED_AT_PICK_UP_POINT",
        "2026-11-25T14:30:00+0300",
    );

    let answer = cdek_body(&app, later).await;

    assert_eq!(answer["state"], "repeat");
    assert_eq!(
        answer["duplicate"],
        Value::Null,
        "a new key, not a duplicate"
    );
    assert_eq!(sent(&app), before);
    assert_eq!(
        rows(
            &app,
            "SELECT state FROM deliveries ORDER BY id DESC LIMIT 1"
        ),
        json!([["repeat"]])
    );
    assert_eq!(
        delivery_history(&app).as_array().and_then(|h| h.last()),
        Some(&json!([
            "\"at-pickup-point\"",
            "refused",
            "the same delivery status again"
        ]))
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM timers WHERE status = 'pending'"),
        2,
        "the reminders are not started again"
    );
}

#[tokio::test]
async fn a_delivered_parcel_is_never_left_even_for_a_later_status() {
    let app = TestApp::start().await;
    cdek_handed_over(&app, None).await;
    cdek_fixture(&app, "delivered.json").await;
    let before = sent(&app);

    let answer = cdek_fixture(&app, "returned.json").await; // 18:00, after 16:00's delivery

    assert_eq!(answer["state"], "late");
    assert_eq!(order_row(&app), json!([["completed", "delivered"]]));
    assert_eq!(sent(&app), before);
}

// ── Generic: the key is webhook-id ─────────────────────────────────────────────────────

#[tokio::test]
async fn the_same_webhook_id_twice_is_a_duplicate_and_sends_nothing_again() {
    let app = TestApp::start().await;
    boxberry_handed_over(&app, None).await;
    let id = webhook_id();
    let first = app
        .send(signed(&app, &id, raw("delivery/at-pickup-point.json")))
        .await;
    let before = sent(&app);

    let again = app
        .send(signed(&app, &id, raw("delivery/at-pickup-point.json")))
        .await;

    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(
        json_of(&again),
        json!({ "received": true, "duplicate": true })
    );
    assert_eq!(sent(&app), before);
}

#[tokio::test]
async fn without_the_carriers_times_a_status_behind_the_stored_one_is_late() {
    let app = TestApp::start().await;
    assembled(&app, None).await;
    let untimed = |status: &str| {
        let notice = json!({ "type": "delivery.status", "data": { "carrier": "boxberry",
            "order_id": ORDER, "track_number": BOXBERRY_TRACK, "status": status } });
        serde_json::to_vec(&notice).expect("json")
    };
    generic_body(&app, untimed("accepted")).await;
    generic_body(&app, untimed("at-pickup-point")).await;
    let before = sent(&app);

    let behind = generic_body(&app, untimed("in-transit")).await;

    assert_eq!(behind["state"], "late");
    assert_eq!(
        order_row(&app),
        json!([["at-pickup-point", "at-pickup-point"]])
    );
    assert_eq!(sent(&app), before);

    // Beside it, not behind: a problem at the point moves the parcel on.
    let problem = generic_body(&app, untimed("problem")).await;

    assert_eq!(problem["state"], "applied");
    assert_eq!(order_row(&app), json!([["delivery-problem", "problem"]]));
}

#[tokio::test]
async fn a_late_report_neither_stores_its_older_track_number_nor_sends_it() {
    let app = TestApp::start().await;
    boxberry_handed_over(&app, None).await;
    let new_track = json!({ "track_number": "BB987654321",
        "tracking_url": "https://boxberry.ru/tracking-page?id=BB987654321" });
    generic_body(
        &app,
        boxberry("in-transit", "2026-11-26T10:00:00+03:00", new_track),
    )
    .await; // a new track number: C3 again, rightly
    let before = sent(&app);

    // The polling job re-posts what it saw at 08:00, under a new webhook-id.
    let late = boxberry("accepted", "2026-11-26T08:00:00+03:00", json!({}));
    let answer = generic_body(&app, late).await;

    assert_eq!(answer["state"], "late");
    assert_eq!(
        order_row(&app),
        json!([["handed-to-carrier", "in-transit"]])
    );
    assert_eq!(field(&app, "track_number"), "BB987654321");
    assert_eq!(sent(&app), before, "no C3 with the old track number");
}
