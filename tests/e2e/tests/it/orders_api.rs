//! The staff API's read side: `GET /api/orders` (filters, cursor), the order card,
//! customers, and messages with why they wait. Admin token until staff sessions land.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

use crate::support::{json_of, TestApp, START};

fn evt() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("evt-api-{}", N.fetch_add(1, Ordering::Relaxed))
}

fn order(id: &str, name: &str, phone: &str, manager: Option<&str>) -> Value {
    json!({ "type": "order.created", "data": {
        "order_id": id, "currency": "RUB", "manager": manager,
        "customer": { "name": name, "phone": phone,
                      "email": format!("{}@example.com", id.to_lowercase()) },
        "items": [{ "sku": "TEA-001", "name": "Чай", "qty": 1, "price": 45000 },
                  { "sku": "CUP-010", "name": "Чашка", "qty": 2, "price": 1000 }],
        "total": 47000 } })
}

async fn create(app: &TestApp, id: &str, name: &str, phone: &str, manager: Option<&str>) {
    let response = app
        .post_event(&evt(), &order(id, name, phone, manager))
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
}

async fn move_to(app: &TestApp, id: &str, status: &str) {
    let moved = json!({ "type": "order.status_changed",
        "data": { "order_id": id, "status": status } });
    let response = app.post_event(&evt(), &moved).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

async fn get(app: &TestApp, path: &str) -> Value {
    let response = app.api("GET", path, None).await;
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    json_of(&response)
}

fn ids(list: &Value) -> Vec<String> {
    list["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Five orders a minute apart from Tuesday 10:00 Moscow; A-2 moved to no-answer-1.
async fn five_orders() -> TestApp {
    let app = TestApp::start().await;
    for n in 1..=5 {
        let manager = (n == 3).then_some("p.sidorov");
        let name = if n == 4 {
            "Борис Смирнов"
        } else {
            "Анна Петрова"
        };
        create(
            &app,
            &format!("A-{n}"),
            name,
            &format!("+7916000000{n}"),
            manager,
        )
        .await;
        app.clock.advance(std::time::Duration::from_secs(60));
    }
    move_to(&app, "A-2", "no-answer-1").await;
    app
}

#[tokio::test]
async fn the_list_pages_newest_first_without_overlap() {
    let app = five_orders().await;

    let first = get(&app, "/api/orders?limit=2").await;
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = get(&app, &format!("/api/orders?limit=2&cursor={cursor}")).await;
    let cursor = second["next_cursor"].as_str().expect("a last page");
    let third = get(&app, &format!("/api/orders?limit=2&cursor={cursor}")).await;

    assert_eq!(ids(&first), ["A-5", "A-4"]);
    assert_eq!(ids(&second), ["A-3", "A-2"]);
    assert_eq!(ids(&third), ["A-1"]);
    assert_eq!(third["next_cursor"], Value::Null);
    let a2 = &second["orders"][1];
    assert_eq!(a2["status"], "no-answer-1");
    assert_eq!(a2["status_label"], "Недозвон 1");
    assert_eq!(a2["group"], "approval");
    assert_eq!(a2["total"], 47000);
    assert_eq!(a2["customer"]["phone"], "+79160000002");
    assert_eq!(a2["customer"]["name"], "Анна Петрова");
    assert!(a2["customer"]["id"].is_i64());
    assert_eq!(a2["overdue"], false);
    assert_eq!(
        get(&app, "/api/orders").await["orders"]
            .as_array()
            .map(Vec::len),
        Some(5)
    );
}

#[tokio::test]
async fn the_list_filters_by_status_group_manager_contact_text_and_dates() {
    let app = five_orders().await;
    let found = |path: &'static str| {
        let app = &app;
        async move { ids(&get(app, path).await) }
    };

    assert_eq!(found("/api/orders?status=no-answer-1").await, ["A-2"]);
    assert_eq!(found("/api/orders?group=approval").await, ["A-2"]);
    assert_eq!(
        found("/api/orders?group=new").await,
        ["A-5", "A-4", "A-3", "A-1"]
    );
    // A-3 came with p.sidorov; V1 spread the others evenly between the two managers.
    assert_eq!(
        found("/api/orders?manager=p.sidorov").await,
        ["A-5", "A-3", "A-2"]
    );
    assert_eq!(found("/api/orders?manager=m.ivanova").await, ["A-4", "A-1"]);
    assert_eq!(
        found("/api/orders?phone=8%20916%20000-00-04").await,
        ["A-4"]
    );
    assert_eq!(found("/api/orders?email=A-5%40Example.com").await, ["A-5"]);
    assert_eq!(
        found("/api/orders?q=%D0%91%D0%BE%D1%80%D0%B8%D1%81").await,
        ["A-4"]
    );
    assert_eq!(found("/api/orders?q=A-3").await, ["A-3"]);
    assert_eq!(found("/api/orders?q=%2B79160000001").await, ["A-1"]);
    assert_eq!(
        found("/api/orders?channel=site&payment_status=paid").await,
        Vec::<String>::new()
    );
    assert_eq!(
        found("/api/orders?created_from=2026-11-24&limit=10")
            .await
            .len(),
        5
    );
    assert!(found("/api/orders?created_to=2026-11-23").await.is_empty());
    // A-1 was created at 07:00:00Z, A-2 at 07:01:00Z.
    assert_eq!(
        found("/api/orders?created_from=2026-11-24T07:00:30Z&created_to=2026-11-24T07:01:00Z")
            .await,
        ["A-2"]
    );
    assert_eq!(
        found("/api/orders?updated_from=2026-11-24T10:04:30%2B03:00").await,
        ["A-2"],
        "A-2 was updated by its status change at 10:05"
    );
}

#[tokio::test]
async fn overdue_orders_are_those_past_their_status_time_limit() {
    let app = five_orders().await;
    // A-1 entered `new` at 10:00 Moscow, A-5 at 10:04; `new` allows 10 working minutes.
    app.clock.set(START + 12 * 60);

    let overdue = get(&app, "/api/orders?overdue=true").await;

    assert_eq!(
        ids(&overdue),
        ["A-3", "A-1"],
        "A-2 left `new`; A-4, A-5 are in time"
    );
    assert!(overdue["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .all(|o| o["overdue"] == true));
    let all = get(&app, "/api/orders").await;
    assert_eq!(all["orders"][0]["overdue"], false, "A-5");
}

#[tokio::test]
async fn bad_filters_are_refused_naming_the_parameter() {
    let app = five_orders().await;
    for (query, name) in [
        ("status=lost", "status"),
        ("group=nowhere", "group"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=zz", "cursor"),
        ("created_from=yesterday", "created_from"),
        ("updated_to=2026-02-30", "updated_to"),
        ("overdue=yes", "overdue"),
        ("phone=abc", "phone"),
        ("stauts=new", "stauts"),
    ] {
        let response = app.api("GET", &format!("/api/orders?{query}"), None).await;
        assert_eq!(response.status, 400, "{query}: {}", response.text());
        let body = json_of(&response);
        assert_eq!(body["error"]["code"], "invalid_query", "{query}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(&format!("{name}:"))),
            "{query}: {body}"
        );
    }
    let missing = app.api("GET", "/api/orders/NOPE-1", None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(json_of(&missing)["error"]["code"], "not_found");
}

// ── the order card ────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn the_card_shows_history_messages_with_why_they_wait_and_tasks() {
    let app = TestApp::start().await;
    app.email_api
        .respond(orderpath_harness::Responder::status(422).json(json!({
            "ErrorCode": 300, "Message": "Invalid 'To' address"
        })));
    app.clock.set(START + 13 * 3600 + 1800); // 23:30 Moscow: quiet hours
    create(&app, "A-1", "Анна Петрова", "+79123456789", None).await;
    move_to(&app, "A-1", "no-answer-1").await; // O3 texts the customer, held until 09:00

    let card = get(&app, "/api/orders/A-1").await;

    assert_eq!(card["order"]["id"], "A-1");
    assert_eq!(card["order"]["total"], 47000);
    assert_eq!(card["order"]["fields"], json!({}));
    assert_eq!(card["order"]["items"][1]["sku"], "CUP-010");
    assert_eq!(card["order"]["items"][1]["qty"], 2);
    assert_eq!(card["customer"]["phone"], "+79123456789");
    assert_eq!(card["customer"]["segment"], "new");
    assert_eq!(card["customer"]["tags"], json!([]));
    let status = &card["status"];
    assert_eq!(status["code"], "no-answer-1");
    assert_eq!(status["label"], "Недозвон 1");
    assert_eq!(status["group"], "approval");
    assert_eq!(status["entered_at"], "2026-11-24T20:30:00Z");
    assert_eq!(status["seconds_in_status"], 0);
    assert_eq!(status["overdue"], false);
    let allowed: Vec<&str> = card["allowed_transitions"]
        .as_array()
        .expect("transitions")
        .iter()
        .map(|t| t["code"].as_str().expect("code"))
        .collect();
    assert!(allowed.contains(&"no-answer-2"), "{allowed:?}");
    assert!(!allowed.contains(&"no-answer-1"), "{allowed:?}");

    let history = card["history"].as_array().expect("history");
    let status_change = history
        .iter()
        .find(|h| h["field"] == "status")
        .expect("the status change");
    assert_eq!(status_change["from"], "new");
    assert_eq!(status_change["to"], "no-answer-1");
    assert_eq!(status_change["outcome"], "applied");
    assert!(history
        .windows(2)
        .all(|w| w[0]["id"].as_i64() < w[1]["id"].as_i64()));
    for entry in history {
        let by_trigger = entry["actor"]
            .as_str()
            .and_then(|a| a.strip_prefix("trigger:"));
        assert_eq!(entry["trigger_id"].as_str(), by_trigger, "{entry}");
    }

    let messages = card["messages"].as_array().expect("messages");
    let email = messages
        .iter()
        .find(|m| m["channel"] == "email")
        .expect("C1");
    assert_eq!(email["status"], "failed");
    assert_eq!(email["waiting"], Value::Null);
    assert_eq!(email["attempts"][0]["outcome"], "permanent");
    assert_eq!(email["attempts"][0]["http_status"], 422);
    assert!(email["body_text"]
        .as_str()
        .is_some_and(|t| t.contains("A-1")));
    let sms = messages.iter().find(|m| m["channel"] == "sms").expect("O3");
    assert_eq!(sms["status"], "pending");
    assert_eq!(sms["attempts"], json!([]));
    assert_eq!(
        sms["waiting"],
        json!({ "reason": "quiet_hours", "until": "2026-11-25T06:00:00Z" })
    );
    assert!(sms["body_text"]
        .as_str()
        .is_some_and(|t| t.starts_with("Не дозвонились по заказу A-1")));

    let tasks = card["tasks"].as_array().expect("tasks");
    assert!(
        tasks
            .iter()
            .any(|t| t["reason"] == "outbox:failed" && t["status"] == "open"),
        "{tasks:?}"
    );
    for section in ["timers", "payments", "deliveries", "calls", "reservations"] {
        assert!(card[section].is_array(), "{section}");
    }

    // The same message in the outbox listing.
    let listed = get(&app, "/api/messages?channel=sms").await;
    assert_eq!(listed["messages"][0], *sms);
}

#[tokio::test]
async fn a_message_without_a_provider_or_refused_for_now_says_so() {
    let app = TestApp::start_with(|b| b.variable("sms_provider", "")).await;
    create(&app, "A-1", "Анна Петрова", "+79123456789", None).await;
    move_to(&app, "A-1", "no-answer-1").await;

    let listed = get(&app, "/api/messages?channel=sms").await;

    assert_eq!(listed["messages"][0]["waiting"]["reason"], "no_provider");
    assert_eq!(listed["messages"][0]["attempts"][0]["provider"], "none");

    let app = TestApp::start().await;
    app.sms_api
        .respond(orderpath_harness::Responder::status(503).body("maintenance"));
    create(&app, "A-1", "Анна Петрова", "+79123456789", None).await;
    move_to(&app, "A-1", "no-answer-1").await;

    let card = get(&app, "/api/orders/A-1").await;
    let sms = card["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["channel"] == "sms")
        .expect("O3")
        .clone();
    assert_eq!(sms["waiting"]["reason"], "retry", "{sms}");
    assert_eq!(sms["waiting"]["until"], sms["next_attempt_at"]);
    assert_eq!(sms["attempts"][0]["outcome"], "retryable");
    let sent = get(&app, "/api/messages?channel=email").await;
    assert_eq!(sent["messages"][0]["status"], "sent");
    assert_eq!(sent["messages"][0]["waiting"], Value::Null);
}

// ── customers ─────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn customers_are_found_and_their_card_has_orders_tags_and_segment() {
    let app = five_orders().await;
    let customer_id = app.query("SELECT customer_id FROM orders WHERE id = 'A-4'")[0][0]
        .as_i64()
        .expect("customer");

    let by_name = get(&app, "/api/customers?q=%D0%91%D0%BE%D1%80%D0%B8%D1%81").await;
    let by_phone = get(&app, "/api/customers?q=8%20916%20000%2000%2004").await;
    let by_email = get(&app, "/api/customers?q=A-4%40example.com").await;
    for found in [&by_name, &by_phone, &by_email] {
        assert_eq!(
            found["customers"].as_array().map(Vec::len),
            Some(1),
            "{found}"
        );
        assert_eq!(found["customers"][0]["id"], customer_id);
    }
    let card = get(&app, &format!("/api/customers/{customer_id}")).await;
    assert_eq!(card["customer"]["name"], "Борис Смирнов");
    assert_eq!(card["customer"]["segment"], "new");
    assert_eq!(ids(&card), ["A-4"]);
    assert_eq!(card["calls"], json!([]));

    create(&app, "A-6", "Борис Смирнов", "+79160000004", None).await;
    let second = get(&app, &format!("/api/customers/{customer_id}")).await;
    // M9 counts purchases (orders completed), not orders placed: still new.
    assert_eq!(second["customer"]["segment"], "new");
    assert_eq!(second["customer"]["orders"], 2);
    assert_eq!(ids(&second), ["A-6", "A-4"]);

    app.query(&format!(
        "INSERT INTO customer_tags (customer_id, tag, added_at)
         VALUES ({customer_id}, 'BAD', '2026-11-24T08:00:00Z') RETURNING tag"
    ));
    let bad = get(&app, "/api/orders/A-6").await;
    assert_eq!(bad["customer"]["tags"], json!(["BAD"]));
    assert_eq!(bad["customer"]["segment"], "bad");

    assert_eq!(app.api("GET", "/api/customers/999", None).await.status, 404);
    assert_eq!(app.api("GET", "/api/customers/abc", None).await.status, 404);
    assert_eq!(
        app.api("GET", "/api/customers?limit=0", None).await.status,
        400
    );
}

// ── indexes ───────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn the_list_and_its_common_filters_use_indexes() {
    let app = five_orders().await;
    let head = "SELECT o.id FROM orders AS o LEFT JOIN customers AS c ON c.id = o.customer_id";
    let order = "ORDER BY o.created_at DESC, o.id DESC LIMIT 51";
    for (filter, index) in [
        ("1", "orders_created"),
        (
            "(o.created_at, o.id) < ('2026-11-24T07:03:00Z', 'A-4')",
            "orders_created",
        ),
        ("o.status IN ('new')", "orders_status_created"),
        ("o.manager = 'p.sidorov'", "orders_manager"),
        ("o.customer_phone = '+79160000001'", "orders_customer_phone"),
        (
            "o.customer_email = 'a-1@example.com'",
            "orders_customer_email",
        ),
        ("o.customer_id = 1", "orders_customer"),
        ("o.updated_at >= '2026-11-24T07:00:00Z'", "orders_"),
        (
            "((o.status = 'new' AND o.status_entered_at <= '2026-11-24T07:02:00Z')
              OR (o.status = 'payment-error' AND o.status_entered_at <= '2026-11-24T06:00:00Z'))",
            "orders_status_entered",
        ),
        (
            "(o.id = 'A-1' OR o.customer_phone = '+79160000001')",
            "orders_customer_phone",
        ),
    ] {
        let plan: Vec<String> = app
            .query(&format!("EXPLAIN QUERY PLAN {head} WHERE {filter} {order}"))
            .iter()
            .map(|row| row[3].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(
            plan.iter()
                .any(|step| step.contains(&format!("INDEX {index}"))),
            "{filter}: {plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step == "SCAN o"),
            "never a table scan: {filter}: {plan:?}"
        );
        eprintln!("{filter}: {plan:?}");
    }
}
