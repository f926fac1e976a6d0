//! S2–S6: staff bonuses through the real components — the CRM's events with a staff actor,
//! the desk's status moves — into the ledger (`bonus_lines`), and the ledger out of the staff
//! API as JSON and CSV. What is written, what is not, and that nothing is written twice.

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use orderpath_harness::HarnessResponse;
use serde_json::{json, Value};

use crate::support::{json_of, TestApp};

const HOST: &str = "http://orders.shop.example";

/// `(staff, order, rule, trigger, kind, category, base, rate, amount, period, reverses)` of
/// every ledger line, oldest first.
const LINES: &str = "SELECT staff_id, order_id, rule, trigger_id, kind, category, base, rate,
                            amount, period, reverses
                     FROM bonus_lines ORDER BY id";

fn evt() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("evt-bonus-{}", N.fetch_add(1, Ordering::Relaxed))
}

fn staff(id: &str) -> Value {
    json!({ "type": "staff", "id": id, "name": id })
}

/// Tea 2 × 450 ₽ and a 1 200 ₽ cup: 2 100 ₽ of items. `patch` overrides `data` keys.
fn order(id: &str, patch: Value) -> Value {
    let mut data = json!({
        "order_id": id, "currency": "RUB", "channel": "site",
        "customer": { "name": "Анна Петрова", "phone": "+7 (912) 345-67-89",
                      "email": "anna.petrova@example.com" },
        "items": [
            { "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 2, "price": 45000, "category": "tea" },
            { "sku": "CUP-010", "name": "Чашка", "qty": 1, "price": 120000, "category": "dishes" }
        ],
        "total": 210000
    });
    for (key, value) in patch.as_object().expect("patch is an object") {
        data[key] = value.clone();
    }
    json!({ "type": "order.created", "data": data })
}

async fn create(app: &TestApp, event: Value) {
    let response = app.post_event(&evt(), &event).await;
    assert_eq!(response.status, 201, "{}", response.text());
}

/// Moves an order with a status event from the CRM, by `actor` when given.
async fn move_to(app: &TestApp, id: &str, status: &str, actor: Option<&str>) {
    let mut data = json!({ "order_id": id, "status": status });
    if let Some(actor) = actor {
        data["actor"] = staff(actor);
    }
    let event = json!({ "type": "order.status_changed", "data": data });
    let response = app.post_event(&evt(), &event).await;
    assert_eq!(response.status, 200, "to {status}: {}", response.text());
}

fn lines(app: &TestApp) -> Value {
    json!(app.query(LINES))
}

/// The upsell: one more tea, a teapot and two strainers (accessories: "*" = 2 %).
fn upsell(actor: Option<&str>) -> Value {
    let mut data = json!({
        "order_id": "A-1",
        "items": [
            { "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 3, "price": 45000, "category": "tea" },
            { "sku": "CUP-010", "name": "Чашка", "qty": 1, "price": 120000, "category": "dishes" },
            { "sku": "POT-020", "name": "Исинский чайник", "qty": 1, "price": 540000, "category": "dishes" },
            { "sku": "ACC-040", "name": "Сито", "qty": 2, "price": 35000, "category": "accessories" }
        ],
        "total": 865000
    });
    if let Some(actor) = actor {
        data["actor"] = staff(actor);
    }
    json!({ "type": "order.updated", "data": data })
}

#[tokio::test]
async fn s2_items_an_operator_adds_earn_a_share_of_their_value_by_category() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    assert_eq!(
        lines(&app),
        json!([]),
        "a site order nobody took earns nothing"
    );

    let response = app
        .post_event("evt-upsell", &upsell(Some("m.ivanova")))
        .await;

    assert_eq!(response.status, 200, "{}", response.text());
    let s2 = |kind: &str, category: &str, base: i64, rate: i64, amount: i64| {
        json!([
            "m.ivanova",
            "A-1",
            "upsell",
            "s2-upsell-bonus",
            kind,
            category,
            base,
            rate,
            amount,
            "2026-11",
            null
        ])
    };
    let expected = json!([
        s2("accrual", "accessories", 70_000, 200, 1_400),
        s2("accrual", "dishes", 540_000, 300, 16_200),
        s2("accrual", "tea", 45_000, 500, 2_250),
    ]);
    assert_eq!(lines(&app), expected);
    let noted = app.query(
        "SELECT actor, new_value FROM order_history WHERE order_id = 'A-1' AND field = 'bonus'",
    );
    assert_eq!(noted.len(), 1, "{noted:?}");
    assert_eq!(noted[0][0], "trigger:s2-upsell-bonus");
    let note: Value = serde_json::from_str(noted[0][1].as_str().expect("text")).expect("json");
    assert_eq!(
        note,
        json!({ "staff": "m.ivanova", "rule": "upsell", "amount": 19_850, "currency": "RUB",
                "period": "2026-11" })
    );

    // The same delivery again, and the same change under a new id: nothing more.
    let again = app
        .post_event("evt-upsell", &upsell(Some("m.ivanova")))
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.text(), response.text(), "the stored answer");
    let replayed = app.post_event(&evt(), &upsell(Some("m.ivanova"))).await;
    assert_eq!(json_of(&replayed)["changed"], json!([]));
    assert_eq!(lines(&app), expected);

    // The site adds a spoon on its own: the webhook is no staff member.
    let mut by_site = upsell(None);
    by_site["data"]["items"]
        .as_array_mut()
        .expect("items")
        .push(
            json!({ "sku": "SPN-1", "name": "Ложка", "qty": 1, "price": 9000, "category": "tea" }),
        );
    let response = app.post_event(&evt(), &by_site).await;
    assert_eq!(json_of(&response)["changed"], json!(["items"]));
    assert_eq!(lines(&app), expected, "nothing for the site's own change");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_history WHERE field = 'trigger'"),
        0,
        "and no refusal noted either"
    );
}

#[tokio::test]
async fn s3_a_phone_order_earns_the_operator_who_took_it_more_than_a_site_order() {
    let app = TestApp::start().await;

    create(&app, order("SITE-1", json!({ "manager": "m.ivanova" }))).await;
    let phone = json!({ "channel": "phone", "order_method": "phone", "manager": "m.ivanova",
                        "actor": staff("p.sidorov") });
    create(&app, order("PHONE-1", phone)).await;

    // A line per category: the cup (1 200 ₽, dishes), then the tea (900 ₽).
    assert_eq!(
        json!(app.query(
            "SELECT order_id, staff_id, rule, trigger_id, category, base, rate, amount
             FROM bonus_lines ORDER BY id"
        )),
        json!([
            // The site order: 1 % of 2 100 ₽ for its manager.
            [
                "SITE-1",
                "m.ivanova",
                "order-taken",
                "s3-order-bonus",
                "dishes",
                120_000,
                100,
                1_200
            ],
            [
                "SITE-1",
                "m.ivanova",
                "order-taken",
                "s3-order-bonus",
                "tea",
                90_000,
                100,
                900
            ],
            // The phone order: its taker (who created it), not its manager; 1 % + 1.5 %, and
            // the phone rule once although its channel and its method both say phone.
            [
                "PHONE-1",
                "p.sidorov",
                "order-taken",
                "s3-order-bonus",
                "dishes",
                120_000,
                100,
                1_200
            ],
            [
                "PHONE-1",
                "p.sidorov",
                "order-taken",
                "s3-order-bonus",
                "tea",
                90_000,
                100,
                900
            ],
            [
                "PHONE-1",
                "p.sidorov",
                "phone-order",
                "s3-phone-order-bonus",
                "dishes",
                120_000,
                150,
                1_800
            ],
            [
                "PHONE-1",
                "p.sidorov",
                "phone-order",
                "s3-phone-order-bonus",
                "tea",
                90_000,
                150,
                1_350
            ],
        ])
    );
    let earned = |order: &str| {
        app.count(&format!(
            "SELECT SUM(amount) FROM bonus_lines WHERE order_id = '{order}'"
        ))
    };
    assert_eq!((earned("SITE-1"), earned("PHONE-1")), (2_100, 5_250));
    assert_eq!(
        app.query(
            "SELECT actor, actor_name FROM order_history
             WHERE order_id = 'PHONE-1' AND field = 'created'"
        ),
        vec![vec![json!("staff:p.sidorov"), json!("p.sidorov")]],
        "the creator is in the history"
    );
}

#[tokio::test]
async fn s4_the_picker_earns_per_unit_once_per_order() {
    let app = TestApp::start().await;
    create(&app, order("A-1", json!({}))).await;
    for status in ["confirmed", "prepare-for-delivery"] {
        move_to(&app, "A-1", status, None).await;
    }

    move_to(&app, "A-1", "assembled", Some("warehouse")).await;

    let picked = json!([
        [
            "warehouse",
            "A-1",
            "picking",
            "s4-picker-bonus",
            "accrual",
            "dishes",
            1,
            1_000,
            1_000,
            "2026-11",
            null
        ],
        [
            "warehouse",
            "A-1",
            "picking",
            "s4-picker-bonus",
            "accrual",
            "tea",
            2,
            1_000,
            2_000,
            "2026-11",
            null
        ],
    ]);
    assert_eq!(lines(&app), picked);

    // Back to preparing and assembled again: the order was picked once.
    move_to(&app, "A-1", "prepare-for-delivery", Some("m.ivanova")).await;
    move_to(&app, "A-1", "assembled", Some("warehouse")).await;
    assert_eq!(lines(&app), picked);
}

async fn set_password(app: &TestApp, id: &str, password: &str) {
    let set = app
        .api(
            "PUT",
            &format!("/api/staff/{id}/password"),
            Some(json!({ "password": password })),
        )
        .await;
    assert_eq!(set.status, 204, "{}", set.text());
}

/// Signs `id` in (setting their password first) and returns the session cookie.
async fn session(app: &TestApp, id: &str) -> String {
    let password = format!("{id}-long-password");
    set_password(app, id, &password).await;
    let request = http::Request::post(format!("{HOST}/api/session"))
        .header("content-type", "application/json")
        .body(Bytes::from(
            json!({ "staff": id, "password": password }).to_string(),
        ))
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let cookie = response.header("set-cookie").expect("a cookie");
    cookie.split(';').next().expect("name=value").to_owned()
}

async fn as_cookie(
    app: &TestApp,
    cookie: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> HarnessResponse {
    let request = http::Request::builder()
        .method(method)
        .uri(format!("{HOST}{path}"))
        .header("cookie", cookie)
        .header("content-type", "application/json")
        .body(body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string())))
        .expect("request");
    app.send(request).await
}

#[tokio::test]
async fn s5_each_hand_over_from_the_desk_earns_a_bonus_and_a_carrier_scan_earns_none() {
    let app = TestApp::start().await;
    for id in ["A-1", "A-2"] {
        create(&app, order(id, json!({}))).await;
        for status in ["confirmed", "prepare-for-delivery", "assembled"] {
            move_to(&app, id, status, None).await;
        }
    }
    let warehouse = session(&app, "warehouse").await;

    let moved = as_cookie(
        &app,
        &warehouse,
        "POST",
        "/api/orders/A-1/status",
        Some(json!({ "to": "handed-to-carrier" })),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    // A-2 goes to the carrier by the carrier's own scan: no person did it.
    move_to(&app, "A-2", "handed-to-carrier", None).await;

    assert_eq!(
        lines(&app),
        json!([[
            "warehouse",
            "A-1",
            "handover",
            "s5-handover-bonus",
            "accrual",
            null,
            1,
            3_000,
            3_000,
            "2026-11",
            null
        ]])
    );
}

/// Order A-1 upsold by m.ivanova (19 850 kopecks, three lines) and picked by warehouse
/// (7 units: 70 ₽, three lines) in November.
async fn november_ledger(app: &TestApp) {
    create(app, order("A-1", json!({}))).await;
    let response = app.post_event(&evt(), &upsell(Some("m.ivanova"))).await;
    assert_eq!(response.status, 200, "{}", response.text());
    for status in ["confirmed", "prepare-for-delivery"] {
        move_to(app, "A-1", status, None).await;
    }
    move_to(app, "A-1", "assembled", Some("warehouse")).await;
}

#[tokio::test]
async fn s6_a_cancelled_order_reverses_its_lines_in_the_month_of_the_cancellation() {
    let app = TestApp::start().await;
    november_ledger(&app).await;
    let accruals = app.query("SELECT id, amount FROM bonus_lines ORDER BY id");
    assert_eq!(accruals.len(), 6);
    // 1 December, 10:00 in Moscow.
    app.clock
        .advance(std::time::Duration::from_secs(7 * 86_400));

    let cancel = json!({ "type": "order.status_changed",
        "data": { "order_id": "A-1", "status": "cancelled", "reason": "передумал" } });
    let response = app.post_event("evt-cancel", &cancel).await;
    assert_eq!(response.status, 200, "{}", response.text());

    let reversals = app.query(
        "SELECT reverses, amount, kind, period, trigger_id FROM bonus_lines
         WHERE kind = 'reversal' ORDER BY id",
    );
    let expected: Vec<Vec<Value>> = accruals
        .iter()
        .map(|a| {
            vec![
                a[0].clone(),
                json!(-a[1].as_i64().expect("amount")),
                json!("reversal"),
                json!("2026-12"),
                json!("s6-reverse-bonuses"),
            ]
        })
        .collect();
    assert_eq!(reversals, expected);
    assert_eq!(
        app.query("SELECT id, amount FROM bonus_lines WHERE kind = 'accrual' ORDER BY id"),
        accruals,
        "nothing deleted or changed"
    );

    // The cancellation delivered again, and reported again under another id: nothing more.
    let again = app.post_event("evt-cancel", &cancel).await;
    assert_eq!(again.status, 200);
    let replayed = app.post_event(&evt(), &cancel).await;
    assert_eq!(replayed.status, 200, "{}", replayed.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM bonus_lines"), 12);
    assert_eq!(app.count("SELECT SUM(amount) FROM bonus_lines"), 0);
}

#[tokio::test]
async fn s6_the_ledger_per_person_and_period_in_the_api_and_as_csv() {
    let app = TestApp::start().await;
    november_ledger(&app).await;
    app.clock
        .advance(std::time::Duration::from_secs(7 * 86_400));
    move_to(&app, "A-1", "cancelled", None).await;

    let november = app.api("GET", "/api/bonuses?period=2026-11", None).await;

    assert_eq!(november.status, 200, "{}", november.text());
    let body = json_of(&november);
    assert_eq!(body["period"], "2026-11");
    assert_eq!(
        body["rules"]["upsell"],
        "S2: items an operator added to an order"
    );
    let people = body["people"].as_array().expect("people");
    let summary: Vec<(&str, &str, i64, usize)> = people
        .iter()
        .map(|p| {
            (
                p["staff"].as_str().unwrap_or_default(),
                p["name"].as_str().unwrap_or_default(),
                p["total"].as_i64().unwrap_or_default(),
                p["lines"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("m.ivanova", "Мария Иванова", 19_850, 3),
            ("warehouse", "Склад", 7_000, 3),
        ]
    );
    let line = &people[0]["lines"][0];
    assert_eq!(
        (
            &line["order_id"],
            &line["rule"],
            &line["trigger"],
            &line["kind"],
            &line["amount"],
            &line["currency"]
        ),
        (
            &json!("A-1"),
            &json!("upsell"),
            &json!("s2-upsell-bonus"),
            &json!("accrual"),
            &json!(1_400),
            &json!("RUB")
        )
    );
    assert!(line["at"]
        .as_str()
        .is_some_and(|at| at.starts_with("2026-11-24T")));

    // December holds the reversals; the current month is the default.
    let december = json_of(&app.api("GET", "/api/bonuses", None).await);
    assert_eq!(december["period"], "2026-12");
    let totals: Vec<(Value, Value)> = december["people"]
        .as_array()
        .expect("people")
        .iter()
        .map(|p| (p["staff"].clone(), p["total"].clone()))
        .collect();
    assert_eq!(
        totals,
        vec![
            (json!("m.ivanova"), json!(-19_850)),
            (json!("warehouse"), json!(-7_000))
        ]
    );
    assert!(december["people"][0]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .all(|l| l["kind"] == "reversal" && l["reverses"].is_i64()));

    // CSV: a header and one row per line, as a download.
    for path in [
        "/api/bonuses.csv?period=2026-11",
        "/api/bonuses?period=2026-11&format=csv",
    ] {
        let csv = app.api("GET", path, None).await;
        assert_eq!(csv.status, 200, "{}", csv.text());
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        assert_eq!(
            csv.header("content-disposition"),
            Some("attachment; filename=\"bonuses-2026-11.csv\"")
        );
        let text = csv.text();
        let rows: Vec<&str> = text.split("\r\n").filter(|r| !r.is_empty()).collect();
        assert_eq!(rows.len(), 7, "{text}");
        assert!(rows[0].starts_with("period,staff,name,line,at,order_id,rule,trigger,kind,"));
        assert!(
            rows[1].starts_with("2026-11,m.ivanova,Мария Иванова,")
                && rows[1].contains(",A-1,upsell,s2-upsell-bonus,accrual,percent,accessories,70000,200,1400,14.00,RUB,"),
            "{}",
            rows[1]
        );
    }
}

#[tokio::test]
async fn s6_staff_see_their_own_bonuses_and_supervisors_everyone() {
    let app = TestApp::start().await;
    november_ledger(&app).await;
    let maria = session(&app, "m.ivanova").await;
    let petr = session(&app, "p.sidorov").await;

    let own = json_of(&as_cookie(&app, &maria, "GET", "/api/bonuses?period=2026-11", None).await);
    let all = json_of(&as_cookie(&app, &petr, "GET", "/api/bonuses?period=2026-11", None).await);
    let others = as_cookie(
        &app,
        &maria,
        "GET",
        "/api/bonuses?period=2026-11&staff=warehouse",
        None,
    )
    .await;
    let csv = as_cookie(&app, &maria, "GET", "/api/bonuses.csv?period=2026-11", None).await;

    let staff_of = |body: &Value| -> Vec<Value> {
        body["people"]
            .as_array()
            .expect("people")
            .iter()
            .map(|p| p["staff"].clone())
            .collect()
    };
    assert_eq!(staff_of(&own), vec![json!("m.ivanova")]);
    assert_eq!(staff_of(&all), vec![json!("m.ivanova"), json!("warehouse")]);
    assert_eq!(others.status, 403);
    assert_eq!(json_of(&others)["error"]["code"], "forbidden");
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"bonuses-2026-11-m.ivanova.csv\"")
    );
    assert!(!csv.text().contains("warehouse"), "{}", csv.text());
}

#[tokio::test]
async fn s6_bad_ledger_queries_are_named() {
    let app = TestApp::start().await;

    for (path, code, needle) in [
        ("/api/bonuses?period=2026-13", "invalid_query", "period"),
        ("/api/bonuses?period=november", "invalid_query", "period"),
        ("/api/bonuses.csv?period=2026-1", "invalid_query", "period"),
        ("/api/bonuses?format=xml", "invalid_query", "format"),
    ] {
        let response = app.api("GET", path, None).await;
        assert_eq!(response.status, 400, "{path}: {}", response.text());
        let body = json_of(&response);
        assert_eq!(body["error"]["code"], code, "{path}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(needle)),
            "{path}: {body}"
        );
    }
    let posted = app.api("POST", "/api/bonuses", None).await;
    assert_eq!(posted.status, 405);
    assert_eq!(posted.header("allow"), Some("GET"));
    let anonymous = app
        .send(
            http::Request::get(format!("{HOST}/api/bonuses"))
                .body(Bytes::new())
                .expect("request"),
        )
        .await;
    assert_eq!(anonymous.status, 401);
}
