//! V1: each new order is assigned a manager by the `[assignment]` rules of `shop.toml`, in the
//! real components. The shipped trigger `v1-assign-manager` is switched on in a copy of the
//! configuration whose team is made for the rules: chats, phone sales and companies have
//! their own people; three managers (two experienced differently, one on an evening shift)
//! take the rest, at most two open orders each. The clock starts on Tuesday 10:00 Moscow time.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

use crate::support::{app_with_config, json_of, TestApp};

/// The test team and rules, in place of the shipped staff and `[assignment]` (the `chat` role
/// is the shipped one, V6's).
const TEAM: &str = r#"
[roles.phone-sales]
name = "Телефонные продажи"

[roles.b2b]
name = "Корпоративные клиенты"

[[staff]]
id = "head"
name = "Руководитель"
roles = ["head-of-sales"]
email = "head@shop.example"

[[staff]]
id = "chat.op"
name = "Оператор чатов"
roles = ["chat"]

[[staff]]
id = "phone.op"
name = "Оператор телефона"
roles = ["phone-sales"]

[[staff]]
id = "b2b.mgr"
name = "Менеджер по компаниям"
roles = ["b2b"]

[[staff]]
id = "senior"
name = "Старший менеджер"
roles = ["manager"]
since = "2015-04-01"
capacity = 2

[[staff]]
id = "junior"
name = "Младший менеджер"
roles = ["manager"]
since = "2023-02-01"
capacity = 2

[[staff]]
id = "evening"
name = "Вечерний менеджер"
roles = ["manager"]
capacity = 2
[staff.working_hours]
tue = "14:00-22:00"

[[assignment.rule]]
when = { channel = "chat" }
pick = "least_loaded"
group = "chat"

[[assignment.rule]]
when = { order_method = "phone" }
pick = "least_loaded"
group = "phone-sales"

[[assignment.rule]]
when = { customer_type = "company" }
pick = "least_loaded"
group = "b2b"

[[assignment.rule]]
pick = "previous_manager"
group = "manager"

[[assignment.rule]]
when = { vip = true }
pick = "most_experienced"
group = "manager"

[[assignment.rule]]
pick = "least_loaded"
group = "manager"

"#;

/// After the assignment in the file: a call task for the order's manager.
const CALL_TASK: &str = r#"
[[trigger]]
id = "welcome-call"
on = "order.created"
[trigger.when]
fields_set = "manager"
[[trigger.action]]
type = "task"
title = "Позвонить клиенту по заказу №{{ order.id }}"
assignee = "manager"
"#;

/// The shipped staff and `[assignment]` replaced by `team`.
fn with_team(config: &Path, team: &str) {
    let file = config.join("shop.toml");
    let text = std::fs::read_to_string(&file).expect("shop.toml");
    let start = text.find("# V1 (automatic assignment").expect("the staff");
    let end = text.find("[contacts]").expect("[contacts]");
    std::fs::write(file, format!("{}{team}{}", &text[..start], &text[end..])).expect("write");
}

async fn app_with_team(extra_triggers: &str) -> (TestApp, tempfile::TempDir) {
    let extra = extra_triggers.to_owned();
    let dir = app_with_config(move |config| {
        with_team(config, TEAM);
        let triggers = config.join("triggers.toml");
        let text = std::fs::read_to_string(&triggers).expect("triggers.toml");
        std::fs::write(triggers, format!("{text}{extra}")).expect("write");
    });
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;
    (app, dir)
}

fn evt() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("evt-v1-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A site cart order of a person; `customer` is a number that makes the contacts;
/// `patch` overrides top-level `data` keys.
fn order(id: &str, customer: u32, patch: Value) -> Value {
    let mut data = json!({
        "order_id": id, "currency": "RUB", "channel": "site", "order_method": "cart",
        "customer_type": "person",
        "customer": { "name": format!("Клиент {customer}"),
                      "phone": format!("+7916{customer:07}"),
                      "email": format!("buyer-{customer}@example.com") },
        "items": [{ "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 1, "price": 45000 }],
        "total": 45000
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

fn manager(app: &TestApp, id: &str) -> Value {
    app.query(&format!("SELECT manager FROM orders WHERE id = '{id}'"))
        .first()
        .map_or(Value::Null, |row| row[0].clone())
}

/// The order's `manager` history line: (outcome, new value, actor, reason).
fn assignment_line(app: &TestApp, id: &str) -> (String, Value, String, String) {
    let rows = app.query(&format!(
        "SELECT outcome, new_value, actor, reason FROM order_history
         WHERE order_id = '{id}' AND field = 'manager'"
    ));
    assert_eq!(rows.len(), 1, "one assignment line for {id}: {rows:?}");
    let row = &rows[0];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let new = row[1].as_str().map_or(Value::Null, |v| {
        serde_json::from_str(v).expect("JSON value")
    });
    (text(&row[0]), new, text(&row[2]), text(&row[3]))
}

/// Asserts the order went to `staff` by a rule whose reason contains `why`.
fn assert_assigned(app: &TestApp, id: &str, staff: &str, why: &str) {
    assert_eq!(manager(app, id), json!(staff), "{id}");
    let (outcome, new, actor, reason) = assignment_line(app, id);
    assert_eq!(
        (outcome.as_str(), new, actor.as_str()),
        ("applied", json!(staff), "trigger:v1-assign-manager"),
        "{id}: {reason}"
    );
    assert!(reason.contains(why), "{id}: {reason:?} lacks {why:?}");
}

async fn minutes(app: &TestApp, n: u64) {
    app.clock.advance(std::time::Duration::from_secs(60 * n));
}

#[tokio::test]
async fn chats_phone_orders_and_companies_go_to_their_own_people() {
    let (app, _dir) = app_with_team("").await;

    create(&app, order("V-1", 1, json!({ "channel": "chat" }))).await;
    create(&app, order("V-2", 2, json!({ "order_method": "phone" }))).await;
    create(&app, order("V-3", 3, json!({ "customer_type": "company" }))).await;
    create(&app, order("V-4", 4, json!({}))).await;

    assert_assigned(
        &app,
        "V-1",
        "chat.op",
        "rule 1 (least_loaded of role chat): chat.op has the fewest open orders (0 open orders)",
    );
    assert_assigned(
        &app,
        "V-2",
        "phone.op",
        "rule 2 (least_loaded of role phone-sales)",
    );
    assert_assigned(&app, "V-3", "b2b.mgr", "rule 3 (least_loaded of role b2b)");
    assert_assigned(
        &app,
        "V-4",
        "senior",
        "rule 6 (least_loaded of role manager)",
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks"),
        0,
        "nobody had to assign by hand"
    );
    assert_eq!(app.email_requests().len(), 4, "each order's C1 email");
}

#[tokio::test]
async fn a_returning_customer_keeps_their_manager_and_a_vip_gets_the_most_experienced() {
    let (app, _dir) = app_with_team("").await;
    create(&app, order("V-1", 1, json!({}))).await;
    minutes(&app, 1).await;
    create(&app, order("V-2", 2, json!({}))).await;
    minutes(&app, 1).await;

    // Customer 2 again: senior and junior have one order each and senior's is older, so the
    // load alone would choose senior; the previous manager rule comes first.
    create(&app, order("V-3", 2, json!({}))).await;
    // Customer 3's first order came with a manager outside the group (the head of sales);
    // tagged VIP since, their next order goes to the most experienced, busier or not.
    create(&app, order("V-4", 3, json!({ "manager": "head" }))).await;
    app.query(
        "INSERT INTO customer_tags (customer_id, tag, added_at)
         SELECT customer_id, 'VIP', '2026-11-24T07:05:00Z' FROM orders WHERE id = 'V-4'
         RETURNING tag",
    );
    minutes(&app, 1).await;
    create(&app, order("V-5", 3, json!({}))).await;

    assert_assigned(&app, "V-1", "senior", "senior has the fewest open orders");
    assert_assigned(&app, "V-2", "junior", "junior has the fewest open orders");
    assert_assigned(
        &app,
        "V-3",
        "junior",
        "rule 4 (previous_manager of role manager): junior managed the customer's previous \
         order (1 open order of 2)",
    );
    assert_eq!(manager(&app, "V-4"), json!("head"), "given by the shop");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM order_history WHERE order_id = 'V-4' AND field = 'manager'"
        ),
        0,
        "an order with a manager is not assigned"
    );
    assert_assigned(
        &app,
        "V-5",
        "senior",
        "rule 5 (most_experienced of role manager): senior is the most experienced available \
         (since 2015-04-01; 1 open order of 2)",
    );
}

#[tokio::test]
async fn managers_fill_up_evenly_to_their_capacity_then_the_head_of_sales_assigns_by_hand() {
    let (app, _dir) = app_with_team("").await;
    for (n, id) in ["V-1", "V-2", "V-3", "V-4"].into_iter().enumerate() {
        create(&app, order(id, n as u32, json!({}))).await;
        minutes(&app, 1).await;
    }

    create(&app, order("V-5", 5, json!({}))).await;

    for (id, staff) in [
        ("V-1", "senior"),
        ("V-2", "junior"),
        ("V-3", "senior"),
        ("V-4", "junior"),
    ] {
        assert_assigned(&app, id, staff, "has the fewest open orders");
    }
    assert_eq!(manager(&app, "V-5"), Value::Null, "nobody could take it");
    let (outcome, new, actor, reason) = assignment_line(&app, "V-5");
    assert_eq!(
        (outcome.as_str(), new, actor.as_str()),
        ("refused", Value::Null, "trigger:v1-assign-manager")
    );
    assert_eq!(
        reason,
        "nobody can take the order: rule 4 (previous_manager of role manager): the customer \
         has no earlier order with a manager; rule 6 (least_loaded of role manager): senior is \
         at capacity (2 open orders of 2), junior is at capacity (2 open orders of 2), evening \
         is off shift"
    );
    assert_eq!(
        app.query("SELECT order_id, title, assignee, reason, due_at FROM tasks"),
        vec![vec![
            json!("V-5"),
            json!("Назначить менеджера заказу №V-5: свободных менеджеров нет"),
            json!("role:head-of-sales"),
            json!("v1-assign-manager"),
            json!("2026-11-24T07:19:00Z"),
        ]],
        "the head of sales assigns it, due in 15 working minutes"
    );
    assert_eq!(
        app.email_requests().len(),
        5,
        "the order is taken all the same"
    );

    // An order that is over no longer counts: senior takes the next one.
    let cancel = json!({ "type": "order.status_changed",
        "data": { "order_id": "V-1", "status": "cancelled", "reason": "test" } });
    assert_eq!(app.post_event(&evt(), &cancel).await.status, 200);
    create(&app, order("V-6", 6, json!({}))).await;
    assert_assigned(
        &app,
        "V-6",
        "senior",
        "senior has the fewest open orders (1 open order of 2)",
    );
}

#[tokio::test]
async fn a_status_set_in_the_api_overrides_the_working_hours_until_it_runs_out() {
    let (app, _dir) = app_with_team("").await;
    let put = |id: &'static str, body: Value| {
        let app = &app;
        async move {
            let path = format!("/api/staff/{id}/presence");
            let response = app.api("PUT", &path, Some(body)).await;
            assert_eq!(response.status, 200, "{}", response.text());
            json_of(&response)
        }
    };
    // 10:00: evening's shift starts at 14:00, but they are online; senior is away until
    // 10:30 (written with an offset), junior gone for the day.
    let evening = put("evening", json!({ "status": "online" })).await;
    put(
        "senior",
        json!({ "status": "away", "until": "2026-11-24T10:30:00.000+03:00" }),
    )
    .await;
    put("junior", json!({ "status": "offline" })).await;

    create(&app, order("V-1", 1, json!({}))).await;
    let deleted = app.api("DELETE", "/api/staff/evening/presence", None).await;
    create(&app, order("V-2", 2, json!({}))).await;
    minutes(&app, 30).await;
    create(&app, order("V-3", 3, json!({}))).await;

    assert_eq!(
        evening,
        json!({ "staff": "evening", "name": "Вечерний менеджер", "status": "online",
                "until": null, "set_at": "2026-11-24T07:00:00Z", "set_by": "integration:admin",
                "on_shift": false, "available": true, "open_orders": 0, "capacity": 2 })
    );
    assert_assigned(&app, "V-1", "evening", "evening has the fewest open orders");
    assert_eq!(deleted.status, 200);
    assert_eq!(json_of(&deleted)["status"], Value::Null);
    assert_eq!(json_of(&deleted)["available"], false, "off shift again");
    assert_eq!(json_of(&deleted)["open_orders"], 1);
    assert_eq!(manager(&app, "V-2"), Value::Null);
    let (_, _, _, reason) = assignment_line(&app, "V-2");
    assert!(
        reason.ends_with("senior is away, junior is offline, evening is off shift"),
        "{reason}"
    );
    assert_assigned(
        &app,
        "V-3",
        "senior",
        "senior has the fewest open orders (0 open orders of 2)",
    );
    let senior = json_of(&app.api("GET", "/api/staff/senior/presence", None).await);
    assert_eq!(
        (
            &senior["status"],
            &senior["available"],
            &senior["open_orders"]
        ),
        (&Value::Null, &json!(true), &json!(1)),
        "the away ran out: {senior}"
    );
}

#[tokio::test]
async fn the_presence_api_refuses_what_it_cannot_store() {
    let (app, _dir) = app_with_team("").await;
    let put = |path: &'static str, body: Value| {
        let app = &app;
        async move { app.api("PUT", path, Some(body)).await }
    };

    let unknown_status = put("/api/staff/senior/presence", json!({ "status": "busy" })).await;
    let past = put(
        "/api/staff/senior/presence",
        json!({ "status": "away", "until": "2026-11-24T06:00:00Z" }),
    )
    .await;
    let not_a_time = put(
        "/api/staff/senior/presence",
        json!({ "status": "away", "until": "tomorrow" }),
    )
    .await;
    let unknown_person = put("/api/staff/nobody/presence", json!({ "status": "online" })).await;
    let admin_me = app.api("GET", "/api/staff/me/presence", None).await;
    let post = app.api("POST", "/api/staff/senior/presence", None).await;

    for (response, status, code) in [
        (&unknown_status, 422, "invalid_request"),
        (&past, 422, "invalid_request"),
        (&not_a_time, 422, "invalid_request"),
        (&unknown_person, 404, "not_found"),
        (&admin_me, 404, "not_found"),
        (&post, 405, "method_not_allowed"),
    ] {
        assert_eq!(response.status, status, "{}", response.text());
        assert_eq!(json_of(response)["error"]["code"], code);
    }
    assert!(unknown_status.text().contains("online, away, offline"));
    assert!(past
        .text()
        .contains("until: must be an RFC 3339 time in the future"));
    assert_eq!(app.count("SELECT COUNT(*) FROM staff_presence"), 0);
}

#[tokio::test]
async fn the_triggers_after_the_assignment_see_the_manager() {
    let (app, _dir) = app_with_team(CALL_TASK).await;

    create(&app, order("V-1", 1, json!({}))).await;
    let card = json_of(&app.api("GET", "/api/orders/V-1", None).await);

    assert_eq!(
        app.query("SELECT title, assignee, reason FROM tasks"),
        vec![vec![
            json!("Позвонить клиенту по заказу №V-1"),
            json!("staff:senior"),
            json!("welcome-call"),
        ]]
    );
    let line = card["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|h| h["field"] == "manager")
        .cloned()
        .expect("the assignment in the card's history");
    assert_eq!(
        (&line["to"], &line["trigger_id"], &line["outcome"]),
        (
            &json!("senior"),
            &json!("v1-assign-manager"),
            &json!("applied")
        ),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_never_overfill_a_manager_and_spread_evenly() {
    let (app, _dir) = app_with_team("").await;
    // Everyone on shift: evening is online.
    let online = app
        .api(
            "PUT",
            "/api/staff/evening/presence",
            Some(json!({ "status": "online" })),
        )
        .await;
    assert_eq!(online.status, 200, "{}", online.text());

    // Nine orders at once for three managers with room for two each.
    let mut posts = Vec::new();
    for n in 0..9 {
        let body = serde_json::to_vec(&order(&format!("C-{n}"), 100 + n, json!({}))).expect("json");
        let (harness, request) = (app.app.clone(), app.signed(&format!("evt-c-{n}"), &body));
        posts.push(tokio::spawn(async move { harness.request(request).await }));
    }
    for post in posts {
        let response = post.await.expect("task").expect("request");
        assert_eq!(response.status, 201, "{}", response.text());
    }
    app.app.wait_idle().await;

    assert_eq!(
        app.query(
            "SELECT manager, COUNT(*) FROM orders WHERE manager IS NOT NULL
             GROUP BY manager ORDER BY manager"
        ),
        vec![
            vec![json!("evening"), json!(2)],
            vec![json!("junior"), json!(2)],
            vec![json!("senior"), json!(2)],
        ],
        "each manager exactly at capacity, none above"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM orders"),
        9,
        "every order kept"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM orders WHERE manager IS NULL"),
        3
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM tasks WHERE assignee = 'role:head-of-sales'
             AND order_id IN (SELECT id FROM orders WHERE manager IS NULL)"
        ),
        3,
        "one hand-assignment task per order nobody could take"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM order_history WHERE field = 'manager' AND outcome = 'applied'"
        ),
        6
    );
}

#[tokio::test]
async fn the_shipped_rules_give_companies_to_the_head_of_sales_and_the_rest_evenly() {
    let app = TestApp::start().await;

    create(&app, order("V-1", 1, json!({ "customer_type": "company" }))).await;
    create(&app, order("V-2", 2, json!({}))).await;
    create(&app, order("V-3", 3, json!({}))).await;

    assert_assigned(
        &app,
        "V-1",
        "p.sidorov",
        "rule 1 (least_loaded of role head-of-sales)",
    );
    assert_assigned(
        &app,
        "V-2",
        "m.ivanova",
        "rule 4 (least_loaded of role manager)",
    );
    assert_assigned(
        &app,
        "V-3",
        "m.ivanova",
        "m.ivanova has the fewest open orders (1 open order of 30)",
    );
}
