//! Quiet hours (C11) in the customer's time zone, and a shop zone with daylight saving time:
//! an SMS planned at night where the customer lives waits for their morning.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

use crate::support::{sms_sent, TestApp, START};

/// Unix seconds of a UTC date and time (as the harness clock takes them).
fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> u64 {
    let days = {
        // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
        let y = i64::from(if mo <= 2 { y - 1 } else { y });
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(mo);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
        era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
    };
    (days * 86_400) as u64 + u64::from(h) * 3600 + u64::from(mi) * 60
}

fn evt() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("evt-tz-{}", N.fetch_add(1, Ordering::Relaxed))
}

fn order(id: &str, phone: &str, time_zone: Option<&str>) -> Value {
    let mut customer = json!({ "name": "Анна Петрова", "phone": phone });
    if let Some(zone) = time_zone {
        customer["time_zone"] = json!(zone);
    }
    json!({ "type": "order.created", "data": {
        "order_id": id, "currency": "RUB", "customer": customer,
        "items": [{ "sku": "TEA-001", "name": "Чай", "qty": 1, "price": 45000 }],
        "total": 45000 } })
}

/// Creates the order and moves it to `no-answer-1`, which texts the customer (O3).
async fn not_reached(app: &TestApp, id: &str, phone: &str, time_zone: Option<&str>) {
    let created = app.post_event(&evt(), &order(id, phone, time_zone)).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let moved = json!({ "type": "order.status_changed",
        "data": { "order_id": id, "status": "no-answer-1" } });
    assert_eq!(app.post_event(&evt(), &moved).await.status, 200);
}

/// The numbers SMS.ru was asked to text (without the `+`).
fn texted(app: &TestApp) -> Vec<String> {
    sms_sent(app).into_iter().map(|(to, _)| to).collect()
}

#[tokio::test]
async fn a_vladivostok_customer_of_a_moscow_shop_gets_no_sms_in_their_night() {
    let app = TestApp::start().await;
    // 15:30 in Moscow (the shop's zone), 22:30 in Vladivostok.
    app.clock.set(START + 5 * 3600 + 1800);

    not_reached(&app, "V-1", "+79140000001", Some("Asia/Vladivostok")).await;
    not_reached(&app, "M-1", "+79160000001", None).await;

    assert_eq!(texted(&app), ["79160000001"], "the Moscow customer at once");
    assert_eq!(
        app.query("SELECT time_zone FROM customers ORDER BY id"),
        vec![vec![json!("Asia/Vladivostok")], vec![Value::Null]]
    );
    // 08:59 in Vladivostok is 22:59 UTC.
    app.clock.set(utc(2026, 11, 24, 22, 59));
    app.tick().await;
    assert_eq!(texted(&app), ["79160000001"], "not before nine there");
    app.clock.set(utc(2026, 11, 24, 23, 0));
    app.tick().await;
    assert_eq!(texted(&app), ["79160000001", "79140000001"]);
}

#[tokio::test]
async fn the_customers_zone_is_kept_for_their_later_orders() {
    let app = TestApp::start().await;
    not_reached(&app, "V-1", "+79140000001", Some("Asia/Vladivostok")).await;
    app.clock.set(START + 5 * 3600 + 1800); // 22:30 in Vladivostok

    // The next order says nothing of the zone.
    not_reached(&app, "V-2", "+79140000001", None).await;

    assert_eq!(
        texted(&app),
        ["79140000001"],
        "only the first, sent at 17:00 there"
    );
}

#[tokio::test]
async fn an_unknown_customer_zone_is_refused_and_nothing_is_stored() {
    let app = TestApp::start().await;

    let response = app
        .post_event(
            &evt(),
            &order("X-1", "+79140000001", Some("Asia/Vladivostock")),
        )
        .await;

    assert_eq!(response.status, 422, "{}", response.text());
    let text = response.text();
    assert!(text.contains("data.customer.time_zone"), "{text}");
    assert!(text.contains("unknown time zone"), "{text}");
    assert_eq!(app.footprint(), (0, 0, 0));
    assert_eq!(app.count("SELECT COUNT(*) FROM customers"), 0);
}

/// A copy of the app whose shop is in Berlin.
fn berlin_shop() -> tempfile::TempDir {
    crate::support::app_with_config(|config| {
        let path = config.join("shop.toml");
        let text = std::fs::read_to_string(&path).expect("shop.toml");
        assert!(text.contains("\"Europe/Moscow\""));
        let text = text.replacen("\"Europe/Moscow\"", "\"Europe/Berlin\"", 1);
        std::fs::write(&path, text).expect("write");
    })
}

#[tokio::test]
async fn a_berlin_shops_quiet_hours_end_at_nine_local_on_both_sides_of_each_change() {
    let dir = berlin_shop();
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;
    // 08:30 Berlin time each day, queued; the SMS goes at 09:00 Berlin time, which is 08:00
    // UTC in winter (CET) and 07:00 UTC in summer (CEST). 2027 changes: 28 March, 31 October.
    let days = [
        ("+79160000001", (2027, 3, 27), 8), // Saturday before the March change: CET
        ("+79160000002", (2027, 3, 29), 7), // Monday after it: CEST
        ("+79160000003", (2027, 10, 30), 7), // Saturday before the October change: CEST
        ("+79160000004", (2027, 11, 1), 8), // Monday after it: CET
    ];
    for (n, (phone, (y, m, d), nine_utc)) in days.into_iter().enumerate() {
        app.clock.set(utc(y, m, d, nine_utc - 1, 30));
        not_reached(&app, &format!("B-{n}"), phone, None).await;
        assert_eq!(texted(&app).len(), n, "{y}-{m}-{d}: held at 08:30 local");
        app.clock.set(utc(y, m, d, nine_utc - 1, 59));
        app.tick().await;
        assert_eq!(texted(&app).len(), n, "{y}-{m}-{d}: not at 08:59 local");
        app.clock.set(utc(y, m, d, nine_utc, 0));
        app.tick().await;
        assert_eq!(
            texted(&app).last().map(String::as_str),
            Some(phone.trim_start_matches('+')),
            "{y}-{m}-{d}: sent at 09:00 local"
        );
        assert_eq!(texted(&app).len(), n + 1);
    }
}
