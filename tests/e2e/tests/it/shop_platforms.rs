//! Orders from shop platforms (`/webhooks/shop/{shopify,woocommerce,tilda}`), with the
//! platforms' own payloads from `tests/fixtures/<platform>/`: a new order sends C1 once, an
//! update changes the order, a state the shop maps moves its status, a redelivery does
//! nothing, and a delivery that is not from the platform is refused with nothing stored.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use orderpath_harness::HarnessResponse;
use serde_json::Value;
use sha2::Sha256;

use crate::support::{
    fixture, json_of, workspace_root, TestApp, SHOPIFY_SECRET, TILDA_TOKEN, WOOCOMMERCE_SECRET,
};

fn hmac_b64(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    BASE64.encode(mac.finalize().into_bytes())
}

fn body_of(path: &str) -> Vec<u8> {
    serde_json::to_vec(&fixture(path)).expect("json")
}

/// A Shopify delivery of `topic`, signed with `secret`.
fn shopify(topic: &str, webhook_id: &str, body: &[u8], secret: &str) -> http::Request<Bytes> {
    http::Request::post("http://orders.shop.example/webhooks/shop/shopify")
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-hmac-sha256", hmac_b64(secret, body))
        .header("x-shopify-shop-domain", "tea-shop.myshopify.com")
        .header("x-shopify-webhook-id", webhook_id)
        .header("x-shopify-api-version", "2025-04")
        .header("x-shopify-triggered-at", "2026-11-24T07:15:03.000Z")
        .body(Bytes::copy_from_slice(body))
        .expect("request")
}

/// A WooCommerce delivery of `topic`, signed with `secret`.
fn woocommerce(topic: &str, delivery: &str, body: &[u8], secret: &str) -> http::Request<Bytes> {
    let (resource, event) = topic.split_once('.').expect("topic");
    http::Request::post("http://orders.shop.example/webhooks/shop/woocommerce")
        .header("content-type", "application/json")
        .header("user-agent", "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)")
        .header("x-wc-webhook-source", "https://tea.example/")
        .header("x-wc-webhook-topic", topic)
        .header("x-wc-webhook-resource", resource)
        .header("x-wc-webhook-event", event)
        .header("x-wc-webhook-signature", hmac_b64(secret, body))
        .header("x-wc-webhook-id", "12")
        .header("x-wc-webhook-delivery-id", delivery)
        .body(Bytes::copy_from_slice(body))
        .expect("request")
}

/// A signed WooCommerce delivery of a fixture, answered 200; its answer.
async fn woocommerce_fixture(app: &TestApp, topic: &str, delivery: &str, path: &str) -> Value {
    ok(&app
        .send(woocommerce(
            topic,
            delivery,
            &body_of(path),
            WOOCOMMERCE_SECRET,
        ))
        .await)
}

/// A signed Shopify delivery of a fixture, answered 200; its answer.
async fn shopify_fixture(app: &TestApp, topic: &str, webhook_id: &str, path: &str) -> Value {
    ok(&app
        .send(shopify(topic, webhook_id, &body_of(path), SHOPIFY_SECRET))
        .await)
}

fn tilda(token: &str, body: &[u8]) -> http::Request<Bytes> {
    http::Request::post(format!(
        "http://orders.shop.example/webhooks/shop/tilda?token={token}"
    ))
    .header("content-type", "application/x-www-form-urlencoded")
    .body(Bytes::copy_from_slice(body))
    .expect("request")
}

fn tilda_body(name: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("tests/fixtures/tilda").join(name)).expect("fixture")
}

fn status_of(app: &TestApp, id: &str) -> String {
    let rows = app.query(&format!("SELECT status FROM orders WHERE id = '{id}'"));
    rows.first()
        .and_then(|r| r[0].as_str())
        .unwrap_or("(none)")
        .to_owned()
}

fn ok(response: &HarnessResponse) -> Value {
    assert_eq!(response.status, 200, "{}", response.text());
    json_of(response)
}

#[tokio::test]
async fn shopify_order_is_created_updated_paid_and_cancelled_with_one_thank_you() {
    let app = TestApp::start().await;
    let create = body_of("shopify/orders-create.json");

    let first = ok(&app
        .send(shopify("orders/create", "wh-1", &create, SHOPIFY_SECRET))
        .await);
    assert_eq!(first["order_id"], "1001", "{first}");
    assert_eq!(status_of(&app, "1001"), "new");
    let emails = app.sent_emails();
    assert_eq!(emails.len(), 1, "C1 once");
    assert!(emails[0]["To"]
        .as_str()
        .unwrap_or("")
        .contains("anna.petrova@example.com"));
    assert!(emails[0]["Subject"].as_str().unwrap_or("").contains("1001"));
    // Money in minor units, the channel and UTM from landing_site.
    let row =
        &app.query("SELECT total, currency, channel, utm_source FROM orders WHERE id = '1001'")[0];
    assert_eq!(row[0], 404_000);
    assert_eq!(row[1], "RUB");
    assert_eq!(row[2], "site");
    assert!(row[3].is_string(), "utm_source from landing_site: {row:?}");

    // The same delivery again (Shopify's retry keeps the webhook id): nothing new.
    let again = ok(&app
        .send(shopify("orders/create", "wh-1", &create, SHOPIFY_SECRET))
        .await);
    assert_eq!(again["duplicate"], true, "{again}");
    // orders/updated of the same moment under another id: no change, no second C1.
    let same = ok(&app
        .send(shopify("orders/updated", "wh-1b", &create, SHOPIFY_SECRET))
        .await);
    assert_eq!(
        same["events"],
        serde_json::json!(["order.updated"]),
        "{same}"
    );
    assert_eq!(app.sent_emails().len(), 1);

    // An edit: new address and quantity.
    let updated = shopify_fixture(
        &app,
        "orders/updated",
        "wh-2",
        "shopify/orders-updated.json",
    )
    .await;
    assert_eq!(updated["status"], "new", "{updated}");
    let changed = app.count(
        "SELECT COUNT(*) FROM order_history WHERE order_id = '1001'
           AND actor = 'integration:shopify' AND field IN ('items', 'delivery.address', 'total')",
    );
    assert!(changed >= 2, "the edit is in the history");

    // Paid: a payment of the order's total, recorded once.
    let paid = body_of("shopify/orders-paid.json");
    ok(&app
        .send(shopify("orders/paid", "wh-3", &paid, SHOPIFY_SECRET))
        .await);
    ok(&app
        .send(shopify("orders/updated", "wh-3b", &paid, SHOPIFY_SECRET))
        .await);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM payments WHERE order_id = '1001' AND status = 'succeeded'"),
        1
    );

    // A late snapshot (the first one, delivered again under a new id) changes nothing back.
    let stale = ok(&app
        .send(shopify(
            "orders/updated",
            "wh-late",
            &create,
            SHOPIFY_SECRET,
        ))
        .await);
    assert_eq!(stale["stale"], true, "{stale}");

    // Cancelled on Shopify → the shop's mapping moves the order to "cancelled".
    let cancelled = shopify_fixture(
        &app,
        "orders/cancelled",
        "wh-4",
        "shopify/orders-cancelled.json",
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(status_of(&app, "1001"), "cancelled");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM orders"),
        1,
        "every delivery was about one order"
    );
}

#[tokio::test]
async fn shopify_delivery_with_a_bad_signature_is_refused_with_nothing_stored() {
    let app = TestApp::start().await;
    let create = body_of("shopify/orders-create.json");
    let forged = app
        .send(shopify("orders/create", "wh-x", &create, "not-the-secret"))
        .await;
    assert_eq!(forged.status, 401, "{}", forged.text());
    let mut tampered = shopify("orders/create", "wh-y", &create, SHOPIFY_SECRET);
    *tampered.body_mut() = Bytes::from(
        String::from_utf8(create.clone())
            .expect("utf8")
            .replace("4040.00", "40.00"),
    );
    assert_eq!(app.send(tampered).await.status, 401);
    assert_eq!(app.footprint(), (0, 0, 0));
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_events"), 0);
}

#[tokio::test]
async fn shopify_fulfilled_order_goes_to_the_carrier_status_by_the_mapping() {
    let app = TestApp::start().await;
    shopify_fixture(&app, "orders/create", "wh-1", "shopify/orders-create.json").await;
    // "new" → "handed-to-carrier" is not an allowed move: the platform is answered 200, the
    // refusal is in the order's history, and nothing is retried.
    let fulfilled = shopify_fixture(
        &app,
        "orders/fulfilled",
        "wh-2",
        "shopify/orders-fulfilled.json",
    )
    .await;
    assert_eq!(
        fulfilled["refused"][0]["event"], "order.status_changed",
        "{fulfilled}"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM order_history WHERE order_id = '1001' AND field = 'status'
               AND outcome = 'refused'"
        ),
        1
    );
}

#[tokio::test]
async fn woocommerce_order_flows_and_its_ping_is_answered() {
    let app = TestApp::start().await;

    // The activation ping: exactly 200, nothing stored.
    let ping = app
        .send(
            http::Request::post("http://orders.shop.example/webhooks/shop/woocommerce")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Bytes::from_static(b"webhook_id=12"))
                .expect("request"),
        )
        .await;
    assert_eq!(ping.status, 200, "{}", ping.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_events"), 0);

    let created = body_of("woocommerce/order-created.json");
    let first = ok(&app
        .send(woocommerce(
            "order.created",
            "d-1",
            &created,
            WOOCOMMERCE_SECRET,
        ))
        .await);
    assert_eq!(first["order_id"], "4127", "{first}");
    assert_eq!(app.sent_emails().len(), 1, "C1");
    // A repeated delivery id: nothing new.
    ok(&app
        .send(woocommerce(
            "order.created",
            "d-1",
            &created,
            WOOCOMMERCE_SECRET,
        ))
        .await);
    assert_eq!(app.sent_emails().len(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 1);

    // Paid (processing, date_paid): one payment.
    woocommerce_fixture(&app, "order.updated", "d-2", "woocommerce/order-paid.json").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM payments WHERE order_id = '4127' AND status = 'succeeded'"),
        1
    );
    // Cancelled → "cancelled" by the shipped mapping.
    let cancelled = woocommerce_fixture(
        &app,
        "order.updated",
        "d-3",
        "woocommerce/order-cancelled.json",
    )
    .await;
    assert_eq!(status_of(&app, "4127"), "cancelled", "{cancelled}");
    // Deleted after that: already cancelled, nothing moves, still 200.
    woocommerce_fixture(
        &app,
        "order.deleted",
        "d-4",
        "woocommerce/order-deleted.json",
    )
    .await;
    assert_eq!(status_of(&app, "4127"), "cancelled");
}

#[tokio::test]
async fn woocommerce_deleted_order_is_cancelled() {
    let app = TestApp::start().await;
    woocommerce_fixture(
        &app,
        "order.created",
        "d-1",
        "woocommerce/order-created.json",
    )
    .await;
    let deleted = woocommerce_fixture(
        &app,
        "order.deleted",
        "d-2",
        "woocommerce/order-deleted.json",
    )
    .await;
    assert_eq!(deleted["status"], "cancelled", "{deleted}");
}

#[tokio::test]
async fn woocommerce_order_we_cannot_take_is_kept_with_a_task_and_answered_200() {
    let app = TestApp::start().await;
    // An order entered in the admin without a phone or an email.
    let mut order = fixture("woocommerce/order-created.json");
    order["billing"]["phone"] = "".into();
    order["billing"]["email"] = "".into();
    order["shipping"]["phone"] = "".into();
    let body = serde_json::to_vec(&order).expect("json");
    let answer = ok(&app
        .send(woocommerce(
            "order.created",
            "d-9",
            &body,
            WOOCOMMERCE_SECRET,
        ))
        .await);
    assert!(answer["refused"].is_string(), "{answer}");
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks WHERE kind = 'order_check' AND status = 'open'"),
        1
    );
    // Sent again: still one task.
    ok(&app
        .send(woocommerce(
            "order.created",
            "d-10",
            &body,
            WOOCOMMERCE_SECRET,
        ))
        .await);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks WHERE kind = 'order_check'"),
        1
    );
}

#[tokio::test]
async fn woocommerce_delivery_with_a_bad_signature_is_refused_with_nothing_stored() {
    let app = TestApp::start().await;
    let created = body_of("woocommerce/order-created.json");
    let forged = app
        .send(woocommerce("order.created", "d-1", &created, "wrong"))
        .await;
    assert_eq!(forged.status, 401);
    assert_eq!(app.footprint(), (0, 0, 0));
    assert_eq!(app.count("SELECT COUNT(*) FROM tasks"), 0);
}

#[tokio::test]
async fn tilda_cart_becomes_an_order_and_its_retry_does_nothing() {
    let app = TestApp::start().await;
    let test = app.send(tilda(TILDA_TOKEN, &tilda_body("test.form"))).await;
    assert_eq!(test.status, 200, "{}", test.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_events"), 0);

    let cart = tilda_body("cart.form");
    let first = ok(&app.send(tilda(TILDA_TOKEN, &cart)).await);
    assert_eq!(first["order_id"], "1836275231", "{first}");
    assert_eq!(app.sent_emails().len(), 1, "C1");
    let row = &app.query("SELECT currency, channel, customer_phone FROM orders")[0];
    assert_eq!(row[0], "RUB");
    assert_eq!(row[1], "site");
    assert_eq!(row[2], "+79123456789");
    // Tilda's retries (same tranid): nothing new.
    ok(&app.send(tilda(TILDA_TOKEN, &cart)).await);
    assert_eq!(app.sent_emails().len(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 1);
}

#[tokio::test]
async fn tilda_form_without_a_cart_is_a_lead() {
    let app = TestApp::start().await;
    let lead = ok(&app
        .send(tilda(TILDA_TOKEN, &tilda_body("form-lead.form")))
        .await);
    assert!(lead["lead_id"].as_i64().is_some(), "{lead}");
    let row = &app.query("SELECT form, phone, customer_id, utm FROM leads")[0];
    assert_eq!(row[0], "form598765432");
    assert_eq!(row[1], "+79031234567");
    assert!(row[2].is_i64(), "a customer record: {row:?}");
    assert!(row[3].as_str().unwrap_or("").contains("gift-sets"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM customers WHERE phone = '+79031234567'"),
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 0);
    assert!(app.sent_emails().is_empty());
}

#[tokio::test]
async fn tilda_delivery_with_a_wrong_token_is_refused_with_nothing_stored() {
    let app = TestApp::start().await;
    let wrong = app.send(tilda("guess", &tilda_body("cart.form"))).await;
    assert_eq!(wrong.status, 401);
    let none = app
        .send(
            http::Request::post("http://orders.shop.example/webhooks/shop/tilda")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Bytes::from(tilda_body("cart.form")))
                .expect("request"),
        )
        .await;
    assert_eq!(none.status, 401);
    assert_eq!(app.footprint(), (0, 0, 0));
    assert_eq!(app.count("SELECT COUNT(*) FROM leads"), 0);
}

#[tokio::test]
async fn an_unknown_platform_is_404() {
    let app = TestApp::start().await;
    let response = app
        .send(
            http::Request::post("http://orders.shop.example/webhooks/shop/magento")
                .body(Bytes::from_static(b"{}"))
                .expect("request"),
        )
        .await;
    assert_eq!(response.status, 404);
}

/// WooCommerce never retries: the tick's poll of the REST orders list brings what the
/// webhooks missed, once, and what they brought is not taken twice.
#[tokio::test]
async fn woocommerce_poll_brings_missed_orders_once() {
    use orderpath_harness::{MockServer, Responder};
    let store = MockServer::start().await;
    store.respond(Responder::status(200).json(fixture("woocommerce/orders-list.json")));
    let app = TestApp::start_with(|b| {
        b.variable("woocommerce_url", store.url())
            .variable("woocommerce_consumer_key", "ck_e2e")
            .variable("woocommerce_consumer_secret", "cs_e2e")
    })
    .await;
    // Order 4127 came by webhook (still unpaid); its "paid" delivery and order 4131 were lost.
    woocommerce_fixture(
        &app,
        "order.created",
        "d-1",
        "woocommerce/order-created.json",
    )
    .await;
    assert_eq!(app.sent_emails().len(), 1);

    let tick = app.tick().await;
    let polled = &tick["woocommerce_orders_polled"];
    assert_eq!(polled["created"], 1, "{tick}");
    assert_eq!(polled["checked"], 2, "{tick}");
    let requests = store.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert!(
        request
            .path
            .starts_with("/wp-json/wc/v3/orders?modified_after=2026-11-23T07:00:00"),
        "{}",
        request.path
    );
    assert!(request.path.contains("dates_are_gmt=true"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Basic {}", BASE64.encode("ck_e2e:cs_e2e")).as_str())
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 2);
    assert_eq!(
        status_of(&app, "4131"),
        "awaiting-payment",
        "on-hold by the mapping"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM payments WHERE order_id = '4127' AND status = 'succeeded'"),
        1,
        "the missed payment"
    );

    // Not due again for ten minutes.
    app.tick_after(60).await;
    assert_eq!(store.requests().len(), 1);
    // Then the same list: nothing new, no second email or payment.
    let again = app.tick_after(600).await;
    assert_eq!(store.requests().len(), 2);
    assert_eq!(
        again["woocommerce_orders_polled"]["already_seen"], 2,
        "{again}"
    );
    assert!(
        store.requests()[1]
            .path
            .contains("modified_after=2026-11-24T06:50:00"),
        "the next scan starts at the first one, less the overlap: {}",
        store.requests()[1].path
    );
    // The lost delivery arrives after all: the same modification, nothing changes.
    let late =
        woocommerce_fixture(&app, "order.updated", "d-2", "woocommerce/order-paid.json").await;
    assert_eq!(
        late["events"],
        serde_json::json!(["order.updated"]),
        "{late}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM payments"), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 2);
    // C1 went once, to the customer of 4127 (4131 has no email address).
    assert_eq!(app.sent_emails().len(), 1);
}

#[tokio::test]
async fn woocommerce_poll_is_off_without_credentials_and_survives_a_store_outage() {
    use orderpath_harness::{MockServer, Responder};
    let app = TestApp::start().await;
    assert_eq!(app.tick().await["woocommerce_orders_polled"], "off");

    let store = MockServer::start().await;
    store.respond(Responder::status(503));
    let app = TestApp::start_with(|b| {
        b.variable("woocommerce_url", store.url())
            .variable("woocommerce_consumer_key", "ck_e2e")
            .variable("woocommerce_consumer_secret", "cs_e2e")
    })
    .await;
    let tick = app.tick().await;
    assert!(
        tick["woocommerce_orders_polled"]["error"].is_string(),
        "{tick}"
    );
    // The store is back: the next poll (ten minutes on) asks from the same point.
    store.respond(Responder::status(200).json(fixture("woocommerce/orders-list.json")));
    app.tick_after(600).await;
    let requests = store.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].path.split('&').next(),
        requests[1].path.split('&').next(),
        "same modified_after"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 2);
}

/// A shop selling on two platforms: Shopify's #4127 is not WooCommerce's 4127.
#[tokio::test]
async fn the_same_number_on_two_platforms_is_two_orders() {
    let app = TestApp::start().await;
    woocommerce_fixture(
        &app,
        "order.created",
        "d-1",
        "woocommerce/order-created.json",
    )
    .await;
    let mut order = fixture("shopify/orders-create.json");
    order["name"] = "#4127".into();
    let body = serde_json::to_vec(&order).expect("json");
    let created = ok(&app
        .send(shopify("orders/create", "wh-1", &body, SHOPIFY_SECRET))
        .await);
    assert_eq!(created["order_id"], "shopify-4127", "{created}");
    assert_eq!(created["events"], serde_json::json!(["order.created"]));
    // Its update finds it again under that id; WooCommerce's order is untouched.
    order["note"] = "Позвоните до 18:00".into();
    order["updated_at"] = "2026-11-24T11:30:00+03:00".into();
    let body = serde_json::to_vec(&order).expect("json");
    let updated = ok(&app
        .send(shopify("orders/updated", "wh-2", &body, SHOPIFY_SECRET))
        .await);
    assert_eq!(updated["order_id"], "shopify-4127", "{updated}");
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 2);
    assert_eq!(
        app.query("SELECT total FROM orders WHERE id = '4127'")[0][0],
        212_300,
        "WooCommerce's order keeps its total"
    );
    assert_eq!(app.sent_emails().len(), 2, "a thank-you for each");
}
