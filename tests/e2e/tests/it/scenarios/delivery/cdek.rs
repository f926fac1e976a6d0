//! CDEK (API v2 `ORDER_STATUS` webhooks) with the fixtures in `tests/fixtures/cdek/`: unsigned
//! JSON, authenticated by the `token` in the subscribed URL, each notice kept and answered at
//! once. The path of a parcel (V4, C3, C4, C5, C6, C8, M9, D1) and how its order is found.

use super::*;

// ── V4, C3 ─────────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_registered_parcel_stores_the_track_number_and_leaves_the_order_assembled() {
    let app = TestApp::start().await;
    assembled(&app, None).await;
    let before = sent(&app);

    let answer = cdek_fixture(&app, "created.json").await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": ORDER, "state": "applied", "status": "created" })
    );
    assert_eq!(order_row(&app), json!([["assembled", "created"]]));
    assert_eq!(field(&app, "track_number"), CDEK_TRACK);
    assert_eq!(field(&app, "carrier"), "cdek");
    assert_eq!(field(&app, "carrier_order_id"), CDEK_UUID);
    assert_eq!(field(&app, "tracking_url"), CDEK_TRACKING_URL);
    assert_eq!(
        deliveries(&app),
        json!([["cdek", "CREATED", "created", "applied", ORDER]])
    );
    assert_eq!(sent(&app), before, "no track number before the hand-over");
}

#[tokio::test]
async fn the_warehouse_receiving_the_parcel_hands_the_order_over_with_the_tracking_link() {
    let app = TestApp::start().await;
    assembled(&app, None).await;
    cdek_fixture(&app, "created.json").await;

    let answer = cdek_fixture(&app, "received-at-warehouse.json").await;

    assert_eq!(answer["status"], "accepted");
    assert_eq!(order_row(&app), json!([["handed-to-carrier", "accepted"]]));
    let email = text_of(&email_about(&app, TRACK_EMAIL));
    assert!(
        email.contains(CDEK_TRACK) && email.contains(CDEK_TRACKING_URL),
        "{email}"
    );
    assert_eq!(
        sms_texts(&app),
        [format!("Заказ {ORDER} в пути. Трек: {CDEK_TRACKING_URL}")]
    );
    assert!(
        !subjects(&app)
            .iter()
            .any(|s| s.contains("передан в доставку")),
        "V4's email without a track number is not sent: {:?}",
        subjects(&app)
    );
    let before = sent(&app);

    let moving = cdek_fixture(&app, "in-transit.json").await;

    assert_eq!(moving["state"], "applied");
    assert_eq!(
        order_row(&app),
        json!([["handed-to-carrier", "in-transit"]])
    );
    assert_eq!(sent(&app), before, "nothing new to tell");
}

#[tokio::test]
async fn a_track_number_arriving_after_a_hand_over_by_hand_is_sent_then() {
    let app = TestApp::start().await;
    assembled(&app, None).await;
    move_to(&app, ORDER, "handed-to-carrier", None).await; // V4's email without a track
    email_about(&app, "передан в доставку");

    cdek_fixture(&app, "created.json").await;

    assert_eq!(order_row(&app), json!([["handed-to-carrier", "created"]]));
    let email = text_of(&email_about(&app, TRACK_EMAIL));
    assert!(email.contains(CDEK_TRACKING_URL), "{email}");
    assert_eq!(
        sms_texts(&app),
        [format!("Заказ {ORDER} в пути. Трек: {CDEK_TRACKING_URL}")]
    );
}

// ── C4, C5, C6, V4 ─────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_parcel_at_the_pickup_point_sends_where_it_waits_and_starts_the_reminders() {
    let app = TestApp::start().await;
    cdek_handed_over(&app, None).await;
    choose_pickup_point(&app).await;

    let answer = cdek_fixture(&app, "at-pickup-point.json").await;

    assert_eq!(answer["state"], "applied");
    assert_eq!(
        order_row(&app),
        json!([["at-pickup-point", "at-pickup-point"]])
    );
    let email = text_of(&email_about(&app, AT_POINT_EMAIL));
    for part in [POINT, POINT_PHONE, POINT_HOURS] {
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
async fn a_parcel_at_a_point_the_shop_did_not_name_sends_no_sms_with_blanks() {
    let app = TestApp::start().await;
    cdek_handed_over(&app, None).await;

    cdek_fixture(&app, "at-pickup-point.json").await;

    assert_eq!(
        order_row(&app),
        json!([["at-pickup-point", "at-pickup-point"]])
    );
    email_about(&app, AT_POINT_EMAIL);
    assert_eq!(
        sms_texts(&app).last().map(String::as_str),
        Some("Заказ A-1001 ждёт в пункте выдачи. Трек-номер 1106394783"),
        "no blanks where the point would be"
    );
}

#[tokio::test]
async fn an_uncollected_parcel_gets_a_reminder_then_a_call_task_then_completes_on_delivery() {
    let app = TestApp::start().await;
    cdek_at_pickup_point(&app).await;

    app.tick_after(3 * 86_400).await; // C5

    let reminder = text_of(&email_about(&app, REMINDER_EMAIL));
    assert!(reminder.contains(POINT), "{reminder}");
    assert_eq!(
        sms_texts(&app).last().map(String::as_str),
        Some("Заказ A-1001 ждёт вас 3 дн., через 4 дн. вернётся на склад")
    );
    assert_eq!(tasks(&app), json!([]), "no call yet");

    app.tick_after(86_400).await; // C6

    assert_eq!(
        tasks(&app),
        json!([[
            "Позвонить клиенту: заказ №A-1001 ждёт в пункте выдачи",
            "c6-pickup-call",
            "staff:m.ivanova",
            "open",
            "2026-11-28T08:00:00Z"
        ]])
    );

    let answer = cdek_fixture(&app, "delivered.json").await;

    assert_eq!(answer["state"], "applied");
    assert_eq!(order_row(&app), json!([["completed", "delivered"]]));
    email_about(&app, COMPLETED_EMAIL); // C8
}

#[tokio::test]
async fn a_parcel_collected_in_time_completes_the_order_and_stops_the_reminders() {
    let app = TestApp::start().await;
    cdek_at_pickup_point(&app).await;
    app.clock.advance(std::time::Duration::from_secs(86_400));

    cdek_fixture(&app, "delivered.json").await;
    app.tick_after(5 * 86_400).await;

    assert_eq!(order_row(&app), json!([["completed", "delivered"]]));
    email_about(&app, COMPLETED_EMAIL);
    assert!(!subjects(&app).iter().any(|s| s.contains(REMINDER_EMAIL)));
    assert_eq!(tasks(&app), json!([]), "no call task");
    assert_eq!(
        timers(&app),
        json!([
            ["c5-pickup-reminder", "2026-11-27T07:00:00Z", "cancelled"],
            ["c6-pickup-call", "2026-11-28T07:00:00Z", "cancelled"]
        ])
    );
}

// ── Finding the order ──────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_parcel_we_do_not_know_is_kept_and_becomes_one_task_for_the_managers() {
    let app = TestApp::start().await;
    assembled(&app, None).await;
    let emails = app.sent_emails().len();

    let answer = cdek_fixture(&app, "unknown-parcel.json").await;
    let courier = cdek_with_status(
        "unknown-parcel.json",
        "TAKEN_BY_COURIER",
        "2026-11-25T15:00:00+0300",
    );
    let next = cdek_body(&app, courier).await;

    assert_eq!(
        answer,
        json!({ "received": true, "order_id": null, "state": "unknown_parcel",
                "status": "at-pickup-point" })
    );
    assert_eq!(next["state"], "unknown_parcel");
    assert_eq!(
        deliveries(&app),
        json!([
            [
                "cdek",
                "ACCEPTED_AT_PICK_UP_POINT",
                "at-pickup-point",
                "unknown_parcel",
                null
            ],
            [
                "cdek",
                "TAKEN_BY_COURIER",
                "out-for-delivery",
                "unknown_parcel",
                null
            ]
        ])
    );
    assert_eq!(
        rows(
            &app,
            "SELECT title, assignee, status, order_id FROM tasks ORDER BY id"
        ),
        json!([[
            "cdek parcel 1106398812 for order №A-9999 is not in Orderpath \
             (ACCEPTED_AT_PICK_UP_POINT): find its order",
            "role:manager",
            "open",
            null
        ]])
    );
    assert_eq!(app.sent_emails().len(), emails, "nobody is emailed");
    assert!(sms_texts(&app).is_empty());
    assert_eq!(
        order_row(&app),
        json!([["assembled", null]]),
        "A-1001 untouched"
    );
}

#[tokio::test]
async fn a_notice_without_our_order_number_finds_the_order_by_the_cdek_shipment() {
    let app = TestApp::start().await;
    assembled(&app, None).await;
    cdek_fixture(&app, "created.json").await;

    let answer = cdek_fixture(&app, "no-number.json").await;

    assert_eq!(answer["order_id"], ORDER);
    assert_eq!(answer["state"], "applied");
    assert_eq!(
        order_row(&app),
        json!([["handed-to-carrier", "in-transit"]])
    );
    email_about(&app, TRACK_EMAIL);
    assert_eq!(
        rows(
            &app,
            "SELECT order_ref, order_id, state FROM deliveries ORDER BY id DESC LIMIT 1"
        ),
        json!([[null, ORDER, "applied"]])
    );
}

#[tokio::test]
async fn a_notice_with_another_shipment_finds_the_order_by_the_track_number() {
    let app = TestApp::start().await;
    assembled(&app, None).await;
    cdek_fixture(&app, "created.json").await;
    let body = edited("cdek/no-number.json", |notice| {
        notice["uuid"] = json!("0b6f1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d");
    });

    let answer = cdek_body(&app, body).await;

    assert_eq!(answer["order_id"], ORDER);
    assert_eq!(answer["state"], "applied");
    assert_eq!(
        order_row(&app),
        json!([["handed-to-carrier", "in-transit"]])
    );
}

// ── M9, D1 ─────────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_parcel_not_collected_makes_the_order_not_bought_out_and_tags_the_customer_bad() {
    let app = TestApp::start().await;
    cdek_at_pickup_point(&app).await;
    let before = sent(&app);

    let answer = cdek_fixture(&app, "not-delivered.json").await;

    assert_eq!(answer["state"], "applied");
    assert_eq!(
        order_row(&app),
        json!([["not-bought-out", "not-delivered"]])
    );
    assert_eq!(
        rows(
            &app,
            &format!(
                "SELECT t.tag FROM customer_tags t JOIN orders o ON o.customer_id = t.customer_id
                 WHERE o.id = '{ORDER}'"
            )
        ),
        json!([["BAD"]])
    );
    assert_eq!(
        timers(&app),
        json!([
            ["c5-pickup-reminder", "2026-11-27T07:00:00Z", "cancelled"],
            ["c6-pickup-call", "2026-11-28T07:00:00Z", "cancelled"]
        ])
    );
    app.tick_after(5 * 86_400).await;
    assert_eq!(sent(&app), before, "no reminder, no call task");
}

#[tokio::test]
async fn a_parcel_taken_back_from_the_locker_stops_the_reminders_and_is_not_bought_out() {
    let app = TestApp::start().await;
    cdek_at_pickup_point(&app).await;
    let before = sent(&app);

    let body = cdek_with_status(
        "at-pickup-point.json",
        "POSTOMAT_SEIZED",
        "2026-11-29T10:00:00+0300",
    );
    let answer = cdek_body(&app, body).await;

    assert_eq!(answer["status"], "returning");
    assert_eq!(order_row(&app), json!([["not-bought-out", "returning"]]));
    app.tick_after(5 * 86_400).await;
    assert_eq!(
        sent(&app),
        before,
        "no 'still waiting for you' after it left the point"
    );
}

#[tokio::test]
async fn an_invalid_shipment_is_a_delivery_problem_for_the_orders_manager() {
    let app = TestApp::start().await;
    cdek_handed_over(&app, Some("m.ivanova")).await;
    let before = sent(&app);

    let answer = cdek_fixture(&app, "invalid.json").await;

    assert_eq!(answer["status"], "problem");
    assert_eq!(order_row(&app), json!([["delivery-problem", "problem"]]));
    assert_eq!(
        rows(
            &app,
            "SELECT title, reason, assignee, status, order_id FROM tasks"
        ),
        json!([[
            PROBLEM_TASK,
            "d1-delivery-problem",
            "staff:m.ivanova",
            "open",
            ORDER
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
async fn a_print_form_notice_is_acknowledged_and_ignored() {
    let app = TestApp::start().await;
    cdek_handed_over(&app, None).await;
    let (before, order) = (sent(&app), order_row(&app));

    let answer = cdek_fixture(&app, "print-form.json").await;

    assert_eq!(answer, json!({ "received": true, "ignored": "PRINT_FORM" }));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM deliveries"),
        2,
        "created, accepted"
    );
    assert_eq!(order_row(&app), order);
    assert_eq!(sent(&app), before);
    assert_eq!(
        rows(
            &app,
            "SELECT event_id, status FROM inbound_events WHERE source = 'delivery:cdek'
             ORDER BY received_at DESC, rowid DESC LIMIT 1"
        ),
        json!([[
            "c3f1e2d4-5b6a-4c7d-8e9f-0a1b2c3d4e5f:PRINT_FORM:2026-11-25T10:05:12+0300",
            200
        ]]),
        "its key is claimed, so a repeat is a duplicate"
    );
}
