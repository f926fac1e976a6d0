//! Our `delivery.status` JSON (`generic`) with the fixtures in `tests/fixtures/delivery/`,
//! signed with Standard Webhooks and `delivery_webhook_secret` at the app clock's time, as a
//! job polling Boxberry would post it: the path of a parcel and how its order is found.

use super::*;

#[tokio::test]
async fn an_accepted_parcel_hands_the_order_over_with_the_boxberry_tracking_link() {
    let app = TestApp::start().await;

    boxberry_handed_over(&app, None).await;

    assert_eq!(order_row(&app), json!([["handed-to-carrier", "accepted"]]));
    assert_eq!(field(&app, "carrier"), "boxberry");
    assert_eq!(field(&app, "track_number"), BOXBERRY_TRACK);
    let email = text_of(&email_about(&app, "Трек-номер заказа №A-1001: BB123456789"));
    assert!(email.contains(BOXBERRY_TRACKING_URL), "{email}");
    assert_eq!(
        sms_texts(&app),
        [format!(
            "Заказ {ORDER} в пути. Трек: {BOXBERRY_TRACKING_URL}"
        )]
    );
}

#[tokio::test]
async fn a_parcel_at_the_pickup_point_sends_the_points_address_phone_and_hours() {
    let app = TestApp::start().await;
    boxberry_handed_over(&app, None).await;

    let answer = generic_fixture(&app, "at-pickup-point.json").await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": ORDER, "state": "applied",
                "status": "at-pickup-point" })
    );
    assert_eq!(
        order_row(&app),
        json!([["at-pickup-point", "at-pickup-point"]])
    );
    assert_eq!(
        field(&app, "pickup_point"),
        json!({ "address": POINT, "phone": POINT_PHONE, "hours": POINT_HOURS }).to_string()
    );
    assert_eq!(field(&app, "storage_until"), "2026-12-04");
    let email = text_of(&email_about(&app, AT_POINT_EMAIL));
    for part in [POINT, POINT_PHONE, POINT_HOURS, BOXBERRY_TRACK] {
        assert!(email.contains(part), "{part} in {email}");
    }
    assert_eq!(
        sms_texts(&app).last().map(String::as_str),
        Some(format!("Заказ {ORDER} ждёт в пункте выдачи: {POINT}, {POINT_HOURS}").as_str())
    );
    assert_eq!(
        timers(&app),
        json!([
            ["c5-pickup-reminder", "2026-11-27T07:00:00Z", "pending"],
            ["c6-pickup-call", "2026-11-28T07:00:00Z", "pending"]
        ])
    );
}

#[tokio::test]
async fn a_notice_with_only_the_track_number_finds_the_order_it_was_stored_with() {
    let app = TestApp::start().await;
    boxberry_handed_over(&app, None).await;
    let before = sent(&app);

    let answer = generic_fixture(&app, "by-track-number.json").await;

    assert_eq!(answer["order_id"], ORDER);
    assert_eq!(answer["state"], "applied");
    assert_eq!(
        order_row(&app),
        json!([["handed-to-carrier", "in-transit"]])
    );
    assert_eq!(
        field(&app, "tracking_url"),
        BOXBERRY_TRACKING_URL,
        "a notice without the link keeps the stored one"
    );
    assert_eq!(
        rows(
            &app,
            "SELECT order_ref, track_number, order_id, state FROM deliveries ORDER BY id DESC LIMIT 1"
        ),
        json!([[null, BOXBERRY_TRACK, ORDER, "applied"]])
    );
    assert_eq!(sent(&app), before, "nothing new to tell");
}

#[tokio::test]
async fn a_track_number_no_order_holds_is_an_unknown_parcel() {
    let app = TestApp::start().await;
    assembled(&app, None).await;

    let answer = generic_fixture(&app, "by-track-number.json").await;

    assert_eq!(answer["state"], "unknown_parcel");
    assert_eq!(
        rows(&app, "SELECT title, assignee FROM tasks"),
        json!([[
            "boxberry parcel BB123456789 is not in Orderpath (Отправлено в город назначения): \
             find its order",
            "role:manager"
        ]])
    );
    assert_eq!(order_row(&app), json!([["assembled", null]]));
}

#[tokio::test]
async fn a_problem_with_the_parcel_moves_the_order_and_gives_its_manager_a_task() {
    let app = TestApp::start().await;
    boxberry_handed_over(&app, Some("m.ivanova")).await;
    let before = sent(&app);

    let answer = generic_fixture(&app, "problem.json").await;

    assert_eq!(answer["status"], "problem");
    assert_eq!(order_row(&app), json!([["delivery-problem", "problem"]]));
    assert_eq!(
        rows(&app, "SELECT title, reason, assignee, status FROM tasks"),
        json!([[
            PROBLEM_TASK,
            "d1-delivery-problem",
            "staff:m.ivanova",
            "open"
        ]])
    );
    let after = sent(&app);
    assert_eq!(
        (after.emails, after.sms),
        (before.emails, before.sms),
        "the customer is not told"
    );
}

#[tokio::test]
async fn a_parcel_moves_on_from_a_problem_to_the_point_and_is_delivered() {
    let app = TestApp::start().await;
    boxberry_handed_over(&app, None).await;
    generic_fixture(&app, "problem.json").await;

    generic_fixture(&app, "at-pickup-point.json").await;
    let answer = generic_fixture(&app, "delivered.json").await;

    assert_eq!(answer["state"], "applied");
    assert_eq!(order_row(&app), json!([["completed", "delivered"]]));
    email_about(&app, AT_POINT_EMAIL);
    email_about(&app, COMPLETED_EMAIL);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM timers WHERE status = 'pending'
             AND name IN ('c5-pickup-reminder', 'c6-pickup-call')"
        ),
        0,
        "the pickup reminders stop"
    );
    assert_eq!(
        deliveries(&app),
        json!([
            ["boxberry", "accepted", "accepted", "applied", ORDER],
            [
                "boxberry",
                "Посылка задержана на сортировке",
                "problem",
                "applied",
                ORDER
            ],
            [
                "boxberry",
                "Поступило в пункт выдачи",
                "at-pickup-point",
                "applied",
                ORDER
            ],
            ["boxberry", "Выдано", "delivered", "applied", ORDER]
        ])
    );
}

#[tokio::test]
async fn a_null_field_clears_it_and_the_rest_stay() {
    let app = TestApp::start().await;
    boxberry_handed_over(&app, None).await;
    generic_fixture(&app, "at-pickup-point.json").await;
    let before = sent(&app);
    let cleared = boxberry(
        "at-pickup-point",
        "2026-11-27T13:00:00+03:00",
        json!({ "fields": { "storage_until": null } }),
    );

    let answer = generic_body(&app, cleared).await;

    assert_eq!(answer["state"], "repeat");
    assert_eq!(field(&app, "storage_until"), Value::Null);
    assert_eq!(
        field(&app, "pickup_point"),
        json!({ "address": POINT, "hours": POINT_HOURS, "phone": POINT_PHONE }).to_string()
    );
    assert_eq!(sent(&app), before, "the same status: nothing sent");
}
