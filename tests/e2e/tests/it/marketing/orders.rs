//! Order-side marketing: M2 (just below free delivery), M3 (a discount threshold), M5 (a
//! review request, and a code for a review) and V5 (a gift in the next order after a review).

use serde_json::json;

use super::*;

const DAY: u64 = 86_400;

fn lines(price: i64) -> Value {
    json!([{ "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 1, "price": price, "category": "tea" }])
}

#[tokio::test]
async fn an_order_just_below_free_delivery_gets_a_note_for_the_manager() {
    let app = TestApp::start().await;
    order_event(
        &app,
        order("A-1", json!({ "items": lines(260_000), "total": 260_000 })),
    )
    .await;
    order_event(
        &app,
        order("A-2", json!({ "items": lines(240_000), "total": 240_000 })),
    )
    .await;
    order_event(
        &app,
        order("A-3", json!({ "items": lines(300_000), "total": 300_000 })),
    )
    .await;

    let notes: Vec<_> = tasks(&app)
        .into_iter()
        .filter(|t| t.1 == "m2-near-free-delivery-note")
        .collect();
    assert_eq!(notes.len(), 1, "only A-1 is just below: {notes:?}");
    assert!(
        notes[0].0.contains("A-1") && notes[0].0.contains("3 000"),
        "{:?}",
        notes[0]
    );
    assert_eq!(
        notes[0].2, "staff:m.ivanova",
        "for the manager V1 gave the order"
    );
    assert!(
        emails_about(&app, "бесплатной доставки").is_empty(),
        "not in assembly yet"
    );
}

#[tokio::test]
async fn an_order_in_assembly_just_below_free_delivery_gets_suggestions_by_email_with_consent() {
    let app = TestApp::start().await;
    subscribe_anna(&app, false).await;
    // Marketplace orders go straight to assembly (P6).
    let patch = json!({ "channel": "marketplace", "items": lines(260_000), "total": 260_000 });
    order_event(&app, order("A-1", patch)).await;

    let email = email_about(&app, "До бесплатной доставки заказа №A-1");
    assert!(text_of(&email).contains("/unsubscribe/"));
    assert!(
        tasks(&app)
            .iter()
            .all(|t| t.1 != "m2-near-free-delivery-note"),
        "no note once in assembly"
    );

    // Without consent, the same order sends nothing.
    let other = TestApp::start().await;
    let patch = json!({ "channel": "marketplace", "items": lines(260_000), "total": 260_000 });
    order_event(&other, order("A-1", patch)).await;
    assert!(
        emails_about(&other, "бесплатной доставки").is_empty(),
        "{:?}",
        subjects(&other)
    );
}

#[tokio::test]
async fn an_order_reaching_the_discount_threshold_gets_the_discount_once() {
    let app = TestApp::start().await;
    let items = json!([
        { "sku": "PUER-1", "name": "Пуэр 2008", "qty": 2, "price": 500_000 },
        { "sku": "CUP-010", "name": "Чашка", "qty": 1, "price": 120_000 }
    ]);
    let phoned =
        json!({ "items": items, "total": 1_120_000, "order_method": "phone", "channel": "phone" });
    order_event(&app, order("A-1", phoned)).await;

    // 5 % of the items (11 200 ₽) = 560 ₽ off.
    assert_eq!(
        app.query("SELECT discount, total FROM orders WHERE id = 'A-1'"),
        vec![vec![json!(56_000), json!(1_064_000)]]
    );
    let history = app.query(
        "SELECT actor, old_value, new_value, reason FROM order_history WHERE order_id = 'A-1' AND field = 'discount'",
    );
    assert_eq!(
        history,
        vec![vec![
            json!("trigger:m3-discount-threshold"),
            json!("0"),
            json!("56000"),
            json!("5% of the items")
        ]]
    );
    let note: Vec<_> = tasks(&app)
        .into_iter()
        .filter(|t| t.1 == "m3-discount-threshold")
        .collect();
    assert_eq!(note.len(), 1);
    assert!(note[0].0.contains("скидка 5%"), "{:?}", note[0]);
    // The thank-you email, sent by a later trigger of the same event, shows the new sums.
    let thanks = text_of(&email_about(&app, "Спасибо за заказ"));
    assert!(thanks.contains("Скидка: −560,00 ₽"), "{thanks}");
    assert!(thanks.contains("Итого к оплате: 10 640,00 ₽"), "{thanks}");

    // Below the threshold, or a site cart (its payment is made for the sum the site sent):
    // no discount, no note.
    order_event(&app, order("A-2", json!({ "order_method": "phone" }))).await;
    let cart = json!({ "items": items, "total": 1_120_000 });
    order_event(&app, order("A-3", cart)).await;
    assert_eq!(
        app.query("SELECT id, discount, total FROM orders WHERE id IN ('A-2', 'A-3') ORDER BY id"),
        vec![
            vec![json!("A-2"), json!(0), json!(210_000)],
            vec![json!("A-3"), json!(0), json!(1_120_000)]
        ]
    );
    assert_eq!(
        tasks(&app)
            .iter()
            .filter(|t| t.1 == "m3-discount-threshold")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_completed_order_without_problems_gets_a_review_request_days_later() {
    let app = TestApp::start().await;
    order_event(&app, order("A-1", json!({}))).await;
    order_event(
        &app,
        order(
            "A-2",
            json!({ "customer": { "name": "Олег", "email": "oleg@example.com" } }),
        ),
    )
    .await;
    complete(&app, "A-1").await;
    complete(&app, "A-2").await;
    // The operator marks A-2 as having had a complaint.
    let flag =
        json!({ "type": "order.flagged", "data": { "order_id": "A-2", "flag": "complaint" } });
    order_event(&app, flag).await;

    app.tick_after(3 * DAY - 60).await;
    assert!(emails_about(&app, "Как вам заказ").is_empty());
    app.tick_after(120).await;

    let request = email_about(&app, "Как вам заказ №A-1");
    assert!(text_of(&request).contains("промокод"));
    assert!(
        request.get("Headers").is_none(),
        "not marketing: no unsubscribe headers"
    );
    assert!(
        emails_about(&app, "Как вам заказ №A-2").is_empty(),
        "a complaint: no request"
    );
}

#[tokio::test]
async fn a_review_earns_a_code_and_a_gift_in_the_next_order() {
    let app = TestApp::start().await;
    order_event(&app, order("A-1", json!({}))).await;
    complete(&app, "A-1").await;
    let flag = json!({ "type": "order.flagged", "data": { "order_id": "A-1", "flag": "review-received" } });
    order_event(&app, flag.clone()).await;
    // The operator marks it twice: still one code.
    order_event(&app, flag).await;

    let thanks = email_about(&app, "Спасибо за отзыв");
    let code = app.query("SELECT code FROM promo_codes WHERE pool = 'review-thanks'");
    assert_eq!(code.len(), 1, "{code:?}");
    assert!(text_of(&thanks).contains(code[0][0].as_str().unwrap()));

    order_event(&app, order("A-2", json!({}))).await;
    order_event(&app, order("A-3", json!({}))).await;

    let gifts: Vec<_> = tasks(&app)
        .into_iter()
        .filter(|t| t.1 == "v5-gift-on-next-order")
        .collect();
    assert_eq!(gifts.len(), 1, "only the next order: {gifts:?}");
    assert!(
        gifts[0].0.contains("A-2") && gifts[0].0.contains("подарок"),
        "{:?}",
        gifts[0]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM customer_tags WHERE tag = 'gift-due'"),
        0
    );
}
