//! `GET /api/analytics/{name}`: a small known set of orders made through the signed order
//! webhook and moved along the path with the clock, and every report's exact numbers.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{json_of, signature_with, TestApp, CALLS_SECRET};

const ANNA: (&str, &str) = ("+79123456789", "anna@example.com");
const BORIS: (&str, &str) = ("+79160001122", "boris@example.com");

fn created(id: &str, channel: &str, who: (&str, &str), items: Value, total: i64) -> Value {
    json!({ "type": "order.created", "data": {
        "order_id": id, "currency": "RUB", "channel": channel,
        "customer": { "phone": who.0, "email": who.1 },
        "items": items, "total": total,
    } })
}

fn with_utm(mut event: Value, source: &str, campaign: Option<&str>) -> Value {
    event["data"]["utm"] = json!({ "source": source, "campaign": campaign });
    event
}

async fn post(app: &TestApp, id: &str, event: Value, status: u16) {
    let response = app.post_event(id, &event).await;
    assert_eq!(response.status, status, "{id}: {}", response.text());
}

async fn move_to(app: &TestApp, order: &str, status: &str, reason: Option<&str>) {
    let event = json!({ "type": "order.status_changed",
        "data": { "order_id": order, "status": status, "reason": reason } });
    post(app, &format!("evt-{order}-{status}"), event, 200).await;
}

fn advance_to(app: &TestApp, offset: u64) {
    let now = app.clock.unix_seconds();
    let target = crate::support::START + offset;
    assert!(target >= now, "the clock only moves forward");
    app.clock.advance(Duration::from_secs(target - now));
}

/// 2026-11-24 (Tuesday) from 10:00 Moscow (07:00Z):
/// - A-1 site, yandex/tea-autumn, Anna: new 10 min, confirmed 50 min, then an hour each in
///   prepare-for-delivery, assembled, handed-to-carrier, and completed;
/// - A-2 phone, no UTM, Boris: cancelled after 20 min, "Передумал";
/// - A-3 site, yandex/tea-autumn, Anna: new 30 min, confirmed 1 h, cancelled "Нет в наличии";
/// - A-4 chat, vk, Boris: at 23:30 Moscow (20:30Z), still new;
/// - A-5 site, Boris: 2026-11-25 00:30 Moscow (21:30Z), still new.
async fn shop_day() -> TestApp {
    let app = TestApp::start().await;
    let tea_and_cup = json!([
        { "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 2, "price": 45000 },
        { "sku": "CUP-010", "name": "Чашка", "qty": 1, "price": 120000 }
    ]);
    let a1 = created("A-1", "site", ANNA, tea_and_cup.clone(), 210_000);
    post(
        &app,
        "evt-A-1",
        with_utm(a1, "yandex", Some("tea-autumn")),
        201,
    )
    .await;
    let a2 = created(
        "A-2",
        "phone",
        BORIS,
        json!([{ "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 1, "price": 100_000 }]),
        100_000,
    );
    post(&app, "evt-A-2", a2, 201).await;
    let a3 = created("A-3", "site", ANNA, tea_and_cup, 210_000);
    post(
        &app,
        "evt-A-3",
        with_utm(a3, "yandex", Some("tea-autumn")),
        201,
    )
    .await;

    advance_to(&app, 600);
    move_to(&app, "A-1", "confirmed", None).await;
    advance_to(&app, 1200);
    move_to(&app, "A-2", "cancelled", Some("Передумал")).await;
    advance_to(&app, 1800);
    move_to(&app, "A-3", "confirmed", None).await;
    advance_to(&app, 3600);
    move_to(&app, "A-1", "prepare-for-delivery", None).await;
    advance_to(&app, 5400);
    move_to(&app, "A-3", "cancelled", Some("Нет в наличии")).await;
    advance_to(&app, 7200);
    move_to(&app, "A-1", "assembled", None).await;
    advance_to(&app, 10_800);
    move_to(&app, "A-1", "handed-to-carrier", None).await;
    advance_to(&app, 14_400);
    move_to(&app, "A-1", "completed", None).await;

    advance_to(&app, 13 * 3600 + 1800); // 23:30 Moscow
    let a4 = created(
        "A-4",
        "chat",
        BORIS,
        json!([{ "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 1, "price": 30_000 }]),
        30_000,
    );
    post(&app, "evt-A-4", with_utm(a4, "vk", None), 201).await;
    advance_to(&app, 14 * 3600 + 1800); // 00:30 Moscow, the next day
    let a5 = created(
        "A-5",
        "site",
        BORIS,
        json!([{ "sku": "MUG-01", "name": "Кружка", "qty": 1, "price": 45_000 }]),
        45_000,
    );
    post(&app, "evt-A-5", a5, 201).await;
    app
}

/// A finished inbound call at 2026-11-25 00:20 Moscow, posted as the generic PBX format.
async fn post_call(app: &TestApp, call_id: &str, operator: &str, phone: &str, outcome: &str) {
    let data = json!({ "call_id": call_id, "direction": "inbound", "customer_number": phone,
        "operator": operator, "started_at": "2026-11-25T00:20:00+03:00",
        "ended_at": "2026-11-25T00:21:00+03:00", "outcome": outcome });
    let body = serde_json::to_vec(&json!({ "type": "call.ended", "data": data })).expect("json");
    let ts = app.clock.unix_seconds() as i64;
    let request = http::Request::post("http://orders.shop.example/webhooks/calls/generic")
        .header("content-type", "application/json")
        .header("webhook-id", call_id)
        .header("webhook-timestamp", ts.to_string())
        .header(
            "webhook-signature",
            signature_with(CALLS_SECRET, call_id, ts, &body),
        )
        .body(bytes::Bytes::from(body))
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status, 200, "{call_id}: {}", response.text());
}

async fn report(app: &TestApp, name: &str, query: &str) -> Value {
    let response = app
        .api("GET", &format!("/api/analytics/{name}?{query}"), None)
        .await;
    assert_eq!(response.status, 200, "{name}: {}", response.text());
    json_of(&response)
}

const DAY_24: &str = "from=2026-11-24&to=2026-11-24";
const DAYS_24_25: &str = "from=2026-11-24&to=2026-11-25";

#[tokio::test]
async fn every_report_counts_the_known_orders_exactly() {
    let app = shop_day().await;

    let times = report(&app, "status-times", DAY_24).await;
    assert_eq!(times["from"], "2026-11-24");
    assert_eq!(times["to"], "2026-11-24");
    assert_eq!(times["time_zone"], "Europe/Moscow");
    assert_eq!(
        times["statuses"],
        json!([
            { "status": "new", "label": "Новый", "count": 3,
              "median_seconds": 1200, "p90_seconds": 1800 },
            { "status": "confirmed", "label": "Подтверждён", "count": 2,
              "median_seconds": 3000, "p90_seconds": 3600 },
            { "status": "prepare-for-delivery", "label": "Готовится к отправке", "count": 1,
              "median_seconds": 3600, "p90_seconds": 3600 },
            { "status": "assembled", "label": "Собран", "count": 1,
              "median_seconds": 3600, "p90_seconds": 3600 },
            { "status": "handed-to-carrier", "label": "Передан в доставку", "count": 1,
              "median_seconds": 3600, "p90_seconds": 3600 },
        ])
    );

    let funnel = report(&app, "funnel", DAY_24).await;
    let step = |group: &str, label: &str, reached: u64, dropped: u64| json!({ "group": group, "label": label, "reached": reached, "dropped": dropped });
    assert_eq!(
        funnel["groups"],
        json!([
            step("new", "Новые", 4, 1),
            step("approval", "Согласование", 2, 1),
            step("payment", "Оплата", 0, 0),
            step("assembly", "Комплектация", 1, 0),
            step("delivery", "Доставка", 1, 0),
            step("done", "Выполнены", 1, 0),
        ])
    );

    let cancellations = report(&app, "cancellations", DAY_24).await;
    assert_eq!(cancellations["orders"], 4);
    assert_eq!(cancellations["cancelled"], 2);
    assert_eq!(
        cancellations["reasons"],
        json!([{ "reason": "Нет в наличии", "count": 1 }, { "reason": "Передумал", "count": 1 }])
    );

    let conversion = report(&app, "conversion", DAY_24).await;
    assert_eq!(
        (
            &conversion["created"],
            &conversion["completed"],
            &conversion["cancelled"],
            &conversion["in_progress"],
            &conversion["rate"]
        ),
        (&json!(4), &json!(1), &json!(2), &json!(1), &json!(0.25))
    );

    let by_day = report(&app, "revenue", DAYS_24_25).await;
    assert_eq!(by_day["by"], "day");
    assert_eq!(by_day["currency"], "RUB");
    assert_eq!(
        by_day["points"],
        json!([
            { "period": "2026-11-24", "orders": 2, "revenue": 240_000, "average": 120_000 },
            { "period": "2026-11-25", "orders": 1, "revenue": 45_000, "average": 45_000 },
        ])
    );
    let by_week = report(&app, "revenue", &format!("{DAYS_24_25}&by=week")).await;
    assert_eq!(by_week["by"], "week");
    assert_eq!(
        by_week["points"],
        json!([{ "period": "2026-11-23", "orders": 3, "revenue": 285_000, "average": 95_000 }])
    );

    let repeat = report(&app, "repeat-purchases", DAYS_24_25).await;
    assert_eq!(repeat["customers"], 2);
    assert_eq!(repeat["repeat_customers"], 1);
    assert_eq!(repeat["repeat_rate"], 0.5);
    assert_eq!(
        repeat["distribution"],
        json!([{ "orders": 1, "customers": 1 }, { "orders": 2, "customers": 1 }])
    );

    let products = report(&app, "products", DAYS_24_25).await;
    assert_eq!(
        products["products"],
        json!([
            { "sku": "CUP-010", "name": "Чашка", "qty": 1, "revenue": 120_000, "orders": 1 },
            { "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 3, "revenue": 120_000,
              "orders": 2 },
            { "sku": "MUG-01", "name": "Кружка", "qty": 1, "revenue": 45_000, "orders": 1 },
        ])
    );

    let channels = report(&app, "channels", DAY_24).await;
    assert_eq!(
        channels["channels"],
        json!([
            { "channel": "site", "orders": 2, "revenue": 210_000 },
            { "channel": "chat", "orders": 1, "revenue": 30_000 },
            { "channel": "phone", "orders": 1, "revenue": 0 },
        ])
    );
    assert_eq!(
        channels["utm"],
        json!([
            { "source": "yandex", "campaign": "tea-autumn", "orders": 2, "revenue": 210_000,
              "completed": 1 },
            { "source": null, "campaign": null, "orders": 1, "revenue": 0, "completed": 0 },
            { "source": "vk", "campaign": null, "orders": 1, "revenue": 30_000, "completed": 0 },
        ])
    );
}

#[tokio::test]
async fn an_order_at_half_past_eleven_moscow_time_counts_on_that_local_day() {
    let app = shop_day().await;

    let day_24 = report(&app, "conversion", DAY_24).await;
    let day_25 = report(&app, "conversion", "from=2026-11-25&to=2026-11-25").await;
    let day_23 = report(&app, "conversion", "from=2026-11-23&to=2026-11-23").await;

    // A-4 at 2026-11-24T20:30Z is the 24th in Moscow; A-5 at 21:30Z is the 25th there.
    assert_eq!(day_24["created"], 4);
    assert_eq!(day_24["in_progress"], 1);
    assert_eq!(day_25["created"], 1);
    assert_eq!(day_23["created"], 0);
    assert_eq!(day_23["rate"], 0.0);
}

#[tokio::test]
async fn messages_and_calls_are_counted_per_channel_and_operator() {
    let app = shop_day().await;
    // Through the PBX webhook: a missed call of operator 101's line, an answered one of 102.
    post_call(&app, "pbx-1", "101", ANNA.0, "missed").await;
    post_call(&app, "pbx-2", "102", BORIS.0, "answered").await;

    let messages = report(&app, "messages", DAYS_24_25).await;
    let stored = app.query(
        "SELECT channel, SUM(status = 'sent'), SUM(status = 'failed'),
                SUM(status IN ('pending', 'sending'))
         FROM outbox GROUP BY channel ORDER BY channel",
    );
    let counted: Vec<Vec<Value>> = messages["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .filter(|c| c["sent"] != 0 || c["failed"] != 0 || c["pending"] != 0)
        .map(|c| {
            vec![
                c["channel"].clone(),
                c["sent"].clone(),
                c["failed"].clone(),
                c["pending"].clone(),
            ]
        })
        .collect();
    assert_eq!(counted, stored, "{messages}");
    let channels: Vec<&str> = messages["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .map(|c| c["channel"].as_str().expect("channel"))
        .collect();
    assert_eq!(channels, ["email", "sms", "telegram"]);
    assert_eq!(
        report(&app, "messages", "from=2026-11-23&to=2026-11-23").await["channels"],
        json!([
            { "channel": "email", "sent": 0, "failed": 0, "pending": 0 },
            { "channel": "sms", "sent": 0, "failed": 0, "pending": 0 },
            { "channel": "telegram", "sent": 0, "failed": 0, "pending": 0 },
        ])
    );

    let calls = report(&app, "calls", DAYS_24_25).await;
    assert_eq!(
        calls["operators"],
        json!([
            { "operator": "101", "answered": 0, "missed": 1, "outbound_answered": 0,
              "outbound_unanswered": 0 },
            { "operator": "102", "answered": 1, "missed": 0, "outbound_answered": 0,
              "outbound_unanswered": 0 },
        ])
    );
    assert_eq!(calls["callbacks"]["missed"], 1);
    let v9 = json_of(
        &app.api("GET", &format!("/api/reports/calls?{DAYS_24_25}"), None)
            .await,
    );
    assert_eq!(calls, v9, "the same report under both routes");
    assert_eq!(
        report(&app, "calls", "from=2026-11-24&to=2026-11-24").await["operators"],
        json!([])
    );
}

#[tokio::test]
async fn the_default_period_is_the_last_thirty_shop_local_days() {
    let app = shop_day().await;

    // The clock is at 2026-11-25 00:30 Moscow.
    let answer = report(&app, "conversion", "").await;

    assert_eq!(answer["from"], "2026-10-27");
    assert_eq!(answer["to"], "2026-11-25");
    assert_eq!(answer["created"], 5);
    let calls = json_of(&app.api("GET", "/api/reports/calls", None).await);
    assert_eq!(
        (&calls["from"], &calls["to"]),
        (&json!("2026-11-25"), &json!("2026-11-25"))
    );
}

#[tokio::test]
async fn bad_periods_are_refused_and_unknown_reports_are_not_found() {
    let app = TestApp::start().await;
    let cases = [
        ("revenue", "from=2026-13-01", "from"),
        ("revenue", "from=2026-11-24&to=24.11.2026", "to"),
        ("revenue", "by=month", "by"),
        ("funnel", "from=2026-11-25&to=2026-11-24", "from"),
        ("products", "from=2025-11-23&to=2026-11-24", "366"),
        ("calls", "from=2025-11-23&to=2026-11-24", "366"),
    ];
    for (name, query, mentions) in cases {
        let response = app
            .api("GET", &format!("/api/analytics/{name}?{query}"), None)
            .await;
        assert_eq!(response.status, 400, "{name}?{query}");
        let body = json_of(&response);
        assert_eq!(body["error"]["code"], "invalid_query", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(mentions),
            "{body}"
        );
    }
    let response = app.api("GET", "/api/analytics/profit", None).await;
    assert_eq!(response.status, 404);
    assert_eq!(
        app.api(
            "GET",
            "/api/analytics/funnel?from=2025-11-24&to=2026-11-24",
            None
        )
        .await
        .status,
        200,
        "366 days are allowed"
    );
}
