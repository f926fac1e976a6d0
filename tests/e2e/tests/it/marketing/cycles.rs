//! M6 (important dates), M8 (repeat purchases) and M9 (segments), from the tick.

use serde_json::json;

use super::*;

const DAY: u64 = 86_400;

#[tokio::test]
async fn a_date_gets_one_personal_offer_a_week_before_each_year() {
    let app = TestApp::start().await;
    // The tests' clock starts on Tuesday 24 November 2026, 10:00 in Moscow.
    subscribe_anna(&app, false).await;
    let date = site_event(
        &app,
        "customer.date_added",
        anna(),
        json!({ "kind": "child_birthday", "label": "день рождения Маши", "date": "2015-12-08" }),
    );
    post_site(&app, &date).await;
    let welcome = app.sent_emails().len();

    // 30 November, 10:00: not yet (the offer goes out on 1 December at 11:00).
    app.tick_after(6 * DAY).await;
    assert_eq!(app.sent_emails().len(), welcome, "{:?}", subjects(&app));
    // 1 December, 11:00.
    app.tick_after(DAY + 3600).await;
    let offer = email_about(&app, "особенный день");
    let text = text_of(&offer);
    assert!(text.contains("день рождения Маши (12-08)"), "{text}");
    assert!(text.contains("Через 7 дн."), "{text}");
    let code = app.query("SELECT code FROM promo_codes WHERE pool = 'date-gift'");
    assert_eq!(code.len(), 1);
    assert!(text.contains(code[0][0].as_str().unwrap()), "{text}");

    // Ticks later that day and week offer nothing more; the next one is a year away.
    app.tick_after(3600).await;
    app.tick_after(10 * DAY).await;
    assert_eq!(emails_about(&app, "особенный день").len(), 1);
    assert_eq!(
        app.query("SELECT offer_year FROM customer_dates"),
        vec![vec![json!(2027)]]
    );
    app.tick_after(356 * DAY).await;
    assert_eq!(
        emails_about(&app, "особенный день").len(),
        2,
        "again the next year"
    );
}

#[tokio::test]
async fn a_date_is_not_offered_without_consent() {
    let app = TestApp::start().await;
    let date = site_event(
        &app,
        "customer.date_added",
        anna(),
        json!({ "kind": "birthday", "date": "12-01" }),
    );
    post_site(&app, &date).await;

    app.tick_after(10 * DAY).await;

    assert!(app.sent_emails().is_empty(), "{:?}", subjects(&app));
    assert_eq!(app.count("SELECT COUNT(*) FROM promo_codes"), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM customer_dates"),
        1,
        "the date is kept"
    );
}

#[tokio::test]
async fn a_product_on_a_cycle_is_reminded_before_it_runs_out_unless_bought_again() {
    let app = TestApp::start().await;
    subscribe_anna(&app, false).await;
    order_event(&app, order("A-1", json!({}))).await;
    complete(&app, "A-1").await;
    // The tea category's cycle is 45 days; the reminder goes 3 days before.
    assert_eq!(
        app.query("SELECT sku, cycle_days, source, status FROM repeat_reminders"),
        vec![vec![
            json!("TEA-001"),
            json!(45),
            json!("configured"),
            json!("pending")
        ]],
        "the cup has no cycle and no history"
    );

    app.tick_after(41 * DAY).await;
    assert!(emails_about(&app, "Пора пополнить").is_empty());
    app.tick_after(DAY + 60).await;
    let reminder = email_about(&app, "Пора пополнить запасы: Чай улун, 100 г");
    assert!(text_of(&reminder).contains("примерно на 45 дн."));
    app.tick_after(DAY).await;
    assert_eq!(emails_about(&app, "Пора пополнить").len(), 1, "once");

    // Bought again: the new purchase restarts the clock, and the cup, bought twice now, gets
    // the customer's own rhythm (43 days between the two orders). An order of the tea placed
    // before its reminder is due cancels that reminder.
    order_event(&app, order("A-2", json!({}))).await;
    complete(&app, "A-2").await;
    assert_eq!(
        app.query("SELECT sku, cycle_days, source, status FROM repeat_reminders ORDER BY sku"),
        vec![
            vec![
                json!("CUP-010"),
                json!(43),
                json!("history"),
                json!("pending")
            ],
            vec![
                json!("TEA-001"),
                json!(45),
                json!("configured"),
                json!("pending")
            ]
        ]
    );
    app.clock.advance(std::time::Duration::from_secs(DAY));
    let tea = json!([{ "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 1, "price": 45000,
                       "category": "tea" }]);
    let patch = json!({ "channel": "phone", "items": tea, "total": 45000 });
    order_event(&app, order("A-3", patch)).await;
    app.tick_after(42 * DAY).await;
    let about = |what: &str| emails_about(&app, &format!("Пора пополнить запасы: {what}")).len();
    assert_eq!(about("Чай улун"), 1, "{:?}", subjects(&app));
    assert_eq!(about("Чашка"), 1, "{:?}", subjects(&app));
    assert_eq!(
        app.query("SELECT sku, status FROM repeat_reminders ORDER BY sku"),
        vec![
            vec![json!("CUP-010"), json!("sent")],
            vec![json!("TEA-001"), json!("bought_again")]
        ]
    );
}

#[tokio::test]
async fn segments_follow_purchases_and_lapse_on_the_tick() {
    let app = TestApp::start().await;
    order_event(&app, order("A-1", json!({}))).await;
    let segment = || {
        app.query(&format!(
            "SELECT segment FROM customers WHERE id = {}",
            anna_id(&app)
        ))
    };
    assert_eq!(segment(), vec![vec![json!("new")]]);
    complete(&app, "A-1").await;
    assert_eq!(segment(), vec![vec![json!("new")]], "one purchase");
    order_event(&app, order("A-2", json!({}))).await;
    complete(&app, "A-2").await;
    assert_eq!(segment(), vec![vec![json!("regular")]], "two purchases");

    app.tick_after(179 * DAY).await;
    assert_eq!(segment(), vec![vec![json!("regular")]]);
    let tick = app.tick_after(DAY).await;
    assert_eq!(tick["marketing"]["segments_moved"], 1, "{tick}");
    assert_eq!(segment(), vec![vec![json!("lapsed")]]);
    let history = app.query(&format!(
        "SELECT old_value, new_value FROM customer_history WHERE customer_id = {} AND field = 'segment' ORDER BY id",
        anna_id(&app)
    ));
    assert_eq!(
        history,
        vec![
            vec![json!(null), json!("\"new\"")],
            vec![json!("\"new\""), json!("\"regular\"")],
            vec![json!("\"regular\""), json!("\"lapsed\"")]
        ]
    );
    // A tick later moves nobody again.
    assert_eq!(app.tick_after(DAY).await["marketing"]["segments_moved"], 0);
}

#[tokio::test]
async fn a_big_spender_becomes_vip_with_a_note_and_bad_wins_over_everything() {
    let app = TestApp::start().await;
    // 110 000 ₽, 104 500 ₽ after M3's 5 %: over the 100 000 ₽ that make a VIP.
    let big = json!({ "items": [{ "sku": "SAMOVAR", "name": "Самовар", "qty": 1, "price": 11_000_000 }],
                      "total": 11_000_000 });
    order_event(&app, order("A-1", big)).await;
    complete(&app, "A-1").await;

    let id = anna_id(&app);
    assert_eq!(
        app.query(&format!("SELECT segment FROM customers WHERE id = {id}")),
        vec![vec![json!("vip")]]
    );
    let notes = app.query("SELECT recipient, subject FROM outbox WHERE template = 'staff-note' AND subject LIKE 'Новый VIP%'");
    assert_eq!(notes.len(), 1, "{notes:?}");

    order_event(&app, order("A-2", json!({}))).await;
    for status in [
        "confirmed",
        "prepare-for-delivery",
        "assembled",
        "handed-to-carrier",
        "not-bought-out",
    ] {
        move_to(&app, "A-2", status).await;
    }
    assert_eq!(
        app.query(&format!("SELECT segment FROM customers WHERE id = {id}")),
        vec![vec![json!("bad")]]
    );
}
