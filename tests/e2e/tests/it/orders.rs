//! Order events are stored: orders, items, customers (one per phone or email), history (P5).

use serde_json::json;

use crate::support::{fixture, json_of, TestApp};

#[tokio::test]
async fn created_order_is_stored_with_items_customer_and_history() {
    let app = TestApp::start().await;

    let response = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;

    assert_eq!(response.status, 201, "{}", response.text());
    let answer = json_of(&response);
    assert_eq!(answer["order_id"], "A-1001");
    assert_eq!(answer["status"], "new");
    assert_eq!(
        app.query(
            "SELECT status, payment_status, currency, channel, order_method, customer_type,
                    delivery_type, delivery_address, delivery_cost, discount, total,
                    utm_source, utm_medium, utm_campaign, utm_content, comment, placed_at
             FROM orders WHERE id = 'A-1001'"
        ),
        vec![vec![
            json!("new"),
            json!("not-paid"),
            json!("RUB"),
            json!("site"),
            json!("cart"),
            json!("person"),
            json!("courier"),
            json!("Москва, ул. Пушкина, д. 1, кв. 2"),
            json!(30000),
            json!(0),
            json!(240000),
            json!("yandex"),
            json!("cpc"),
            json!("tea-autumn"),
            json!(null),
            json!("Позвонить перед доставкой"),
            json!("2026-11-24T10:14:31+03:00"),
        ]]
    );
    assert_eq!(
        app.query("SELECT line, sku, name, qty, price, category FROM order_items ORDER BY line"),
        vec![
            vec![
                json!(1),
                json!("TEA-001"),
                json!("Чай улун, 100 г"),
                json!(2),
                json!(45000),
                json!("tea")
            ],
            vec![
                json!(2),
                json!("CUP-010"),
                json!("Чашка <глиняная>"),
                json!(1),
                json!(120000),
                json!("dishes")
            ],
        ]
    );
    assert_eq!(
        app.query("SELECT name, phone, email FROM customers"),
        vec![vec![
            json!("Анна Петрова"),
            json!("+79123456789"),
            json!("anna.petrova@example.com")
        ]]
    );
    assert_eq!(
        app.query(
            "SELECT actor, field, old_value, new_value, outcome, event_id FROM order_history"
        ),
        vec![
            vec![
                json!("webhook:orders"),
                json!("created"),
                json!(null),
                json!("\"new\""),
                json!("applied"),
                json!("evt-1"),
            ],
            vec![
                json!("trigger:v1-assign-manager"),
                json!("manager"),
                json!(null),
                json!("\"m.ivanova\""),
                json!("applied"),
                json!("orders:evt-1"),
            ],
        ]
    );
}

#[tokio::test]
async fn same_phone_in_another_format_is_the_same_customer() {
    let app = TestApp::start().await;

    let first = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    let second = app
        .post_event("evt-2", &fixture("orders/created_phone_only.json"))
        .await;

    assert_eq!(second.status, 201, "{}", second.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM customers"), 1);
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT customer_id) FROM orders WHERE customer_id IS NOT NULL"),
        1
    );
    assert_eq!(
        json_of(&first)["customer_id"],
        json_of(&second)["customer_id"]
    );
}

#[tokio::test]
async fn email_only_order_joins_the_customer_with_that_email_and_fills_nothing_twice() {
    let app = TestApp::start().await;
    let mut phone_only = fixture("orders/created_phone_only.json");
    app.post_event("evt-1", &phone_only).await;
    // A second order by e-mail only, then one with both contacts: all one customer.
    phone_only["data"]["order_id"] = json!("A-1003");
    phone_only["data"]["customer"] = json!({ "email": "anna@example.com" });
    app.post_event("evt-2", &phone_only).await;
    phone_only["data"]["order_id"] = json!("A-1004");
    phone_only["data"]["customer"] =
        json!({ "phone": "+79123456789", "email": "anna@example.com" });
    app.post_event("evt-3", &phone_only).await;

    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 3);
    // The phone-only customer could not take the email another customer already has.
    assert_eq!(
        app.query("SELECT phone, email FROM customers ORDER BY id"),
        vec![
            vec![json!("+79123456789"), json!(null)],
            vec![json!(null), json!("anna@example.com")],
        ]
    );
}

#[tokio::test]
async fn update_records_each_changed_field_with_its_actor() {
    let app = TestApp::start().await;
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;

    let response = app
        .post_event("evt-2", &fixture("orders/updated.json"))
        .await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        json_of(&response)["changed"],
        json!(["items", "discount", "total"])
    );
    assert_eq!(
        app.query("SELECT total, discount FROM orders"),
        vec![vec![json!(160000), json!(5000)]]
    );
    assert_eq!(
        app.query("SELECT sku, qty FROM order_items"),
        vec![vec![json!("TEA-001"), json!(3)]]
    );
    // The triggers' own entries aside (S2: the tea m.ivanova added earns her a bonus).
    let history = app.query(
        "SELECT actor, actor_name, field, old_value, new_value FROM order_history
         WHERE field != 'created' AND actor NOT LIKE 'trigger:%' ORDER BY id",
    );
    assert_eq!(history.len(), 3);
    assert_eq!(history[0][0], "staff:m.ivanova");
    assert_eq!(history[0][1], "Мария Иванова");
    assert_eq!(history[2][2], "total");
    assert_eq!(history[2][3], "240000");
    assert_eq!(history[2][4], "160000");
}

#[tokio::test]
async fn update_with_a_new_phone_relinks_the_order_to_that_customer() {
    let app = TestApp::start().await;
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;
    let update = json!({ "type": "order.updated", "data": {
        "order_id": "A-1001", "customer": { "phone": "+7 912 000 00 01" } } });

    let response = app.post_event("evt-2", &update).await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        app.query("SELECT customer_phone FROM orders"),
        vec![vec![json!("+79120000001")]]
    );
    assert_eq!(
        app.query(
            "SELECT field, old_value, new_value FROM order_history WHERE field LIKE 'customer.%'"
        ),
        vec![vec![
            json!("customer.phone"),
            json!("\"+79123456789\""),
            json!("\"+79120000001\"")
        ]]
    );
}

#[tokio::test]
async fn event_for_an_unknown_order_is_refused_and_not_remembered() {
    let app = TestApp::start().await;

    let early = app
        .post_event("evt-status", &fixture("orders/status_confirmed.json"))
        .await;
    assert_eq!(early.status, 404, "{}", early.text());
    assert_eq!(json_of(&early)["error"]["code"], "unknown_order");
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_events"), 0);

    // The shop retries the same event after the order exists: it now applies.
    app.post_event("evt-create", &fixture("orders/created.json"))
        .await;
    let retry = app
        .post_event("evt-status", &fixture("orders/status_confirmed.json"))
        .await;
    assert_eq!(retry.status, 200, "{}", retry.text());
}

#[tokio::test]
async fn creating_an_existing_order_is_a_conflict_without_a_second_email() {
    let app = TestApp::start().await;
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;

    let again = app
        .post_event("evt-2", &fixture("orders/created.json"))
        .await;

    assert_eq!(again.status, 409);
    assert_eq!(json_of(&again)["error"]["code"], "order_exists");
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 1);
    assert_eq!(app.sent_emails().len(), 1);
}
