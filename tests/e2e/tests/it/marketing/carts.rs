//! M4 (abandoned carts) and M7 (long browsing of one category).

use serde_json::json;

use super::*;
use crate::support::sms_sent;

fn cart(app: &TestApp, id: &str, qty: u32) -> Value {
    site_event(
        app,
        "cart.updated",
        anna(),
        json!({ "cart_id": id, "currency": "RUB", "total": 45000 * i64::from(qty),
                "url": "https://tea.example/cart",
                "items": [{ "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": qty, "price": 45000 }] }),
    )
}

const HOUR: u64 = 3600;

#[tokio::test]
async fn an_abandoned_cart_gets_a_reminder_then_a_discount_once_a_week() {
    let app = TestApp::start().await;
    subscribe_anna(&app, true).await;
    let welcome = app.sent_emails().len();
    post_site(&app, &cart(&app, "c-1", 1)).await;
    // Touched again an hour later: the reminder counts from the last touch.
    app.clock.advance(std::time::Duration::from_secs(HOUR));
    post_site(&app, &cart(&app, "c-1", 2)).await;

    app.tick_after(2 * HOUR + 59 * 60).await;
    assert_eq!(
        app.sent_emails().len(),
        welcome,
        "not yet: {:?}",
        subjects(&app)
    );

    app.tick_after(60).await;
    let reminder = email_about(&app, "оставили товары");
    let text = text_of(&reminder);
    assert!(
        text.contains("Чай улун, 100 г — 2 ×"),
        "the cart as last reported: {text}"
    );
    assert!(text.contains("https://tea.example/cart"), "{text}");
    assert!(text.contains("/unsubscribe/"), "{text}");
    let sms = sms_sent(&app);
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert!(sms[0].1.contains("корзине"), "{sms:?}");

    // Two days after the cart: still no order, so a time-limited code.
    app.tick_after(45 * HOUR).await;
    let discount = email_about(&app, "на вашу корзину");
    let code = app.query("SELECT code, valid_until FROM promo_codes WHERE pool = 'cart-comeback'");
    assert_eq!(code.len(), 1, "{code:?}");
    assert!(text_of(&discount).contains(code[0][0].as_str().unwrap()));
    assert!(code[0][1].as_str().is_some(), "the code runs out");

    // A new cart the same week: the cooldown holds both stages back.
    let sent = app.sent_emails().len();
    post_site(&app, &cart(&app, "c-2", 1)).await;
    app.tick_after(50 * HOUR).await;
    assert_eq!(app.sent_emails().len(), sent, "{:?}", subjects(&app));
    assert_eq!(sms_sent(&app).len(), 1);
    let held = app.count(
        "SELECT COUNT(*) FROM customer_history WHERE outcome = 'refused' AND reason LIKE '%cooldown%'",
    );
    assert_eq!(held, 2, "both stages recorded as held by the cooldown");
}

#[tokio::test]
async fn no_reminder_once_the_customer_ordered() {
    let app = TestApp::start().await;
    subscribe_anna(&app, true).await;
    post_site(&app, &cart(&app, "c-1", 1)).await;
    app.clock.advance(std::time::Duration::from_secs(HOUR));
    order_event(&app, order("A-1", json!({}))).await;
    let sent = app.sent_emails().len();

    app.tick_after(2 * HOUR + 60).await;
    app.tick_after(48 * HOUR).await;

    assert_eq!(app.sent_emails().len(), sent, "{:?}", subjects(&app));
    assert!(sms_sent(&app).is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM promo_codes WHERE pool = 'cart-comeback'"),
        0
    );
}

#[tokio::test]
async fn no_reminder_without_consent_to_marketing() {
    let app = TestApp::start().await;
    post_site(&app, &cart(&app, "c-1", 1)).await;

    app.tick_after(3 * HOUR + 60).await;
    app.tick_after(48 * HOUR).await;

    assert!(app.sent_emails().is_empty(), "{:?}", subjects(&app));
    assert!(sms_sent(&app).is_empty());
    assert_eq!(app.count("SELECT COUNT(*) FROM promo_codes"), 0);
    // The cart is kept for the desk all the same.
    assert_eq!(app.count("SELECT COUNT(*) FROM carts"), 1);
}

fn view(app: &TestApp, sku: &str, category: &str) -> Value {
    site_event(
        app,
        "product.viewed",
        anna(),
        json!({ "sku": sku, "category": category }),
    )
}

#[tokio::test]
async fn long_browsing_of_one_category_gets_one_buying_guide() {
    let app = TestApp::start().await;
    subscribe_anna(&app, false).await;
    let welcome = app.sent_emails().len();
    for i in 0..4 {
        post_site(&app, &view(&app, &format!("PUER-{i}"), "puer")).await;
    }
    app.tick_after(3 * HOUR).await;
    assert_eq!(
        app.sent_emails().len(),
        welcome,
        "four views are not long browsing"
    );

    for i in 4..8 {
        post_site(&app, &view(&app, &format!("PUER-{i}"), "puer")).await;
    }
    app.tick_after(2 * HOUR + 60).await;
    let guide = email_about(&app, "Как выбрать: puer");
    assert!(text_of(&guide).contains("https://tea.example/guides/puer"));

    // More views of the same category within the month: no second guide; another category
    // browsed as long gets its own.
    for i in 0..5 {
        post_site(&app, &view(&app, &format!("PUER-{i}"), "puer")).await;
        post_site(&app, &view(&app, &format!("OOL-{i}"), "oolong")).await;
    }
    app.tick_after(2 * HOUR + 60).await;
    assert_eq!(emails_about(&app, "Как выбрать: puer").len(), 1);
    assert_eq!(
        emails_about(&app, "Как выбрать: oolong").len(),
        1,
        "{:?}",
        subjects(&app)
    );
}

#[tokio::test]
async fn browsing_followed_by_an_order_gets_no_guide() {
    let app = TestApp::start().await;
    subscribe_anna(&app, false).await;
    for i in 0..5 {
        post_site(&app, &view(&app, &format!("PUER-{i}"), "puer")).await;
    }
    order_event(&app, order("A-1", json!({}))).await;

    app.tick_after(2 * HOUR + 60).await;

    assert!(
        emails_about(&app, "Как выбрать").is_empty(),
        "{:?}",
        subjects(&app)
    );
}

#[tokio::test]
async fn a_reminder_due_at_night_sends_the_email_and_holds_the_sms_till_morning() {
    let app = TestApp::start().await;
    subscribe_anna(&app, true).await;
    // 19:30 in Moscow: the reminder is due at 22:30, inside the quiet hours (21:00–09:00).
    app.clock
        .advance(std::time::Duration::from_secs(9 * HOUR + 30 * 60));
    post_site(&app, &cart(&app, "c-1", 1)).await;

    app.tick_after(3 * HOUR + 60).await;

    assert_eq!(
        emails_about(&app, "оставили товары").len(),
        1,
        "email is never held"
    );
    assert!(sms_sent(&app).is_empty(), "no SMS at night");
    assert_eq!(
        app.query("SELECT status, next_attempt_at FROM outbox WHERE channel = 'sms'"),
        vec![vec![json!("pending"), json!("2026-11-25T06:00:00Z")]],
        "held until 09:00 Moscow time"
    );
    // 08:31: still held; 09:01: sent.
    app.tick_after(10 * HOUR).await;
    assert!(sms_sent(&app).is_empty());
    app.tick_after(30 * 60).await;
    assert_eq!(sms_sent(&app).len(), 1);
}
