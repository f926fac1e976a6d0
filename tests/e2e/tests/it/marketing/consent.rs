//! M1 (every contact is a customer in a segment), M9's welcome code, consent and the
//! unsubscribe link, and the site webhook's refusals.

use bytes::Bytes;
use serde_json::json;

use super::*;
use crate::support::{PUBLIC_URL, SECRET};

#[tokio::test]
async fn a_subscription_is_a_new_customer_with_consent_and_one_welcome_code() {
    let app = TestApp::start().await;
    let event = site_event(
        &app,
        "customer.subscribed",
        anna(),
        json!({ "source": "footer" }),
    );

    let answer = post_site_as(&app, "evt-sub-1", &event).await;
    // The site retries the same delivery: nothing new happens.
    let again = post_site_as(&app, "evt-sub-1", &event).await;

    assert_eq!(answer["segment"], "new");
    assert_eq!(again, answer);
    let id = anna_id(&app);
    assert_eq!(
        app.query(&format!(
            "SELECT channel, granted, source FROM customer_consents WHERE customer_id = {id}"
        )),
        vec![vec![
            json!("email"),
            json!(1),
            json!("site:subscribed:footer")
        ]],
        "consent by email only, with its source"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer_tags WHERE customer_id = {id} AND tag = 'subscriber'"
        )),
        1
    );
    let codes = app.query("SELECT pool, code, customer_id FROM promo_codes");
    assert_eq!(codes.len(), 1, "one welcome code: {codes:?}");
    let code = codes[0][1].as_str().unwrap().to_owned();
    assert!(code.starts_with("WELCOME-") && code.len() == 14, "{code}");
    let email = email_about(&app, "Добро пожаловать");
    assert_eq!(email["To"], "\"Анна Петрова\" <anna.petrova@example.com>");
    let text = text_of(&email);
    assert!(text.contains(&code), "{text}");
    assert!(text.contains("10%"), "{text}");
    let link = format!("{PUBLIC_URL}/unsubscribe/{id}.");
    assert!(text.contains(&link), "the unsubscribe link: {text}");
    // The same link in List-Unsubscribe, with one-click unsubscribing (RFC 2369, RFC 8058).
    let url = text
        .split_whitespace()
        .find(|w| w.starts_with(&link))
        .unwrap();
    assert_eq!(
        email["Headers"],
        json!([
            { "Name": "List-Unsubscribe", "Value": format!("<{url}>") },
            { "Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click" }
        ])
    );
    assert_eq!(app.sent_emails().len(), 1, "{:?}", subjects(&app));
    assert!(
        crate::support::sms_sent(&app).is_empty(),
        "no SMS without SMS consent"
    );

    // The desk's customer card shows all of it.
    let card = app.api("GET", &format!("/api/customers/{id}"), None).await;
    assert_eq!(card.status, 200, "{}", card.text());
    let card = json_of(&card);
    assert_eq!(card["customer"]["segment"], "new");
    assert_eq!(card["consent"]["email"]["granted"], true);
    assert_eq!(card["consent"]["email"]["source"], "site:subscribed:footer");
    assert!(
        card["consent"].get("sms").is_none(),
        "never asked about SMS"
    );
    assert_eq!(card["promo_codes"][0]["code"], json!(code));
    let fields: Vec<&str> = card["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["field"].as_str().unwrap())
        .collect();
    for field in ["event", "consent.email", "segment", "promo_code", "tags"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
}

#[tokio::test]
async fn a_form_without_consent_is_a_lead_with_a_task_and_no_marketing() {
    let app = TestApp::start().await;
    let customer = json!({ "name": "Олег", "phone": "+7 916 000-11-22" });
    let event = site_event(
        &app,
        "form.submitted",
        customer,
        json!({ "form": "callback", "fields": { "question": "Есть ли пуэр?" },
                "utm": { "utm_source": "yandex" } }),
    );

    let answer = post_site(&app, &event).await;

    assert_eq!(answer["segment"], "new");
    let leads = app.query("SELECT platform, form, phone, fields, utm FROM leads");
    assert_eq!(
        leads,
        vec![vec![
            json!("site"),
            json!("callback"),
            json!("+79160001122"),
            json!("{\"question\":\"Есть ли пуэр?\"}"),
            json!("{\"utm_source\":\"yandex\"}")
        ]]
    );
    let tasks = tasks(&app);
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].1, "m1-form-lead");
    assert_eq!(tasks[0].2, "role:manager");
    assert!(tasks[0].0.contains("+79160001122"), "{:?}", tasks[0]);
    assert_eq!(app.count("SELECT COUNT(*) FROM customer_consents"), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM promo_codes"),
        0,
        "no consent, no welcome code"
    );
    assert!(app.sent_emails().is_empty());
    assert!(crate::support::sms_sent(&app).is_empty());
}

#[tokio::test]
async fn the_unsubscribe_link_stops_marketing_but_not_order_email() {
    let app = TestApp::start().await;
    subscribe_anna(&app, true).await;
    let text = text_of(&email_about(&app, "Добро пожаловать"));
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with(PUBLIC_URL))
        .expect("a link")
        .to_owned();
    let path = link.trim_start_matches(PUBLIC_URL).to_owned();
    let url = format!("http://orders.shop.example{path}");

    // A mail scanner opening the link changes nothing.
    let page = app
        .send(http::Request::get(&url).body(Bytes::new()).unwrap())
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("<form method=\"post\""),
        "{}",
        page.text()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM customer_consents WHERE granted = 1"),
        2
    );

    // RFC 8058 one-click.
    let click = http::Request::post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from_static(b"List-Unsubscribe=One-Click"))
        .unwrap();
    let done = app.send(click).await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(done.text().contains("отписаны"), "{}", done.text());
    let id = anna_id(&app);
    assert_eq!(
        app.query(&format!(
            "SELECT channel, granted, source FROM customer_consents WHERE customer_id = {id} ORDER BY channel"
        )),
        vec![
            vec![json!("email"), json!(0), json!("unsubscribe-link")],
            vec![json!("sms"), json!(0), json!("unsubscribe-link")]
        ]
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer_history WHERE customer_id = {id} AND field LIKE 'consent.%' AND new_value = 'false'"
        )),
        2,
        "the withdrawal is in the customer's history"
    );

    // A cart left now reminds nobody; an order still gets its thank-you email.
    let before = app.sent_emails().len();
    let cart = site_event(
        &app,
        "cart.updated",
        anna(),
        json!({ "cart_id": "c-9", "currency": "RUB",
        "total": 90000, "items": [{ "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 2, "price": 45000 }] }),
    );
    post_site(&app, &cart).await;
    app.tick_after(4 * 3600).await;
    assert_eq!(
        app.sent_emails().len(),
        before,
        "no reminder: {:?}",
        subjects(&app)
    );
    order_event(&app, order("A-1", json!({}))).await;
    assert_eq!(
        emails_about(&app, "Спасибо за заказ").len(),
        1,
        "transactional email still goes"
    );
    assert!(
        crate::support::sms_sent(&app).is_empty(),
        "no marketing SMS after unsubscribing"
    );
}

#[tokio::test]
async fn a_forged_unsubscribe_link_is_not_found_and_changes_nothing() {
    let app = TestApp::start().await;
    subscribe_anna(&app, false).await;
    let id = anna_id(&app);
    for path in [
        format!("/unsubscribe/{id}.AAAAAAAAAAAAAAAAAAAAAA"),
        format!("/unsubscribe/{}.x", id + 1),
        "/unsubscribe/".to_owned(),
    ] {
        let request = http::Request::post(format!("http://orders.shop.example{path}"))
            .body(Bytes::new())
            .unwrap();
        assert_eq!(app.send(request).await.status, 404, "{path}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM customer_consents WHERE granted = 1"),
        1
    );
}

#[tokio::test]
async fn site_events_that_are_not_from_the_site_or_not_events_are_refused() {
    let app = TestApp::start().await;
    let event = site_event(&app, "customer.subscribed", anna(), json!({}));
    let body = serde_json::to_vec(&event).unwrap();

    // Signed with another key (the order webhook's): 401, nothing stored.
    let forged = app.send(site_request(&app, "evt-f", &body, SECRET)).await;
    assert_eq!(forged.status, 401, "{}", forged.text());
    // An unknown type and a customer without contacts: 422 naming the field.
    for (bad, field) in [
        (
            json!({ "type": "customer.deleted", "occurred_at": "2026-11-24T07:00:00Z", "customer": anna() }),
            "type",
        ),
        (
            json!({ "type": "customer.subscribed", "occurred_at": "2026-11-24T07:00:00Z", "customer": { "name": "x" } }),
            "customer",
        ),
    ] {
        let body = serde_json::to_vec(&bad).unwrap();
        let response = app
            .send(site_request(&app, &evt(), &body, SITE_SECRET))
            .await;
        assert_eq!(response.status, 422, "{}", response.text());
        assert!(json_of(&response)["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with(field));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM customers"), 0);
    assert!(app.sent_emails().is_empty());

    // Without the secret the site's events wait (503) rather than being taken unsigned.
    let unset = TestApp::start_with(|b| b.variable("site_webhook_secret", "")).await;
    let response = unset
        .send(site_request(&unset, "evt-u", &body, SITE_SECRET))
        .await;
    assert_eq!(response.status, 503, "{}", response.text());
}

#[tokio::test]
async fn without_an_unsubscribe_key_no_marketing_email_is_sent() {
    let app = TestApp::start_with(|b| b.variable("unsubscribe_secret", "")).await;

    subscribe_anna(&app, false).await;

    assert!(app.sent_emails().is_empty(), "{:?}", subjects(&app));
    let id = anna_id(&app);
    let refused = app.query(&format!(
        "SELECT reason FROM customer_history WHERE customer_id = {id} AND outcome = 'refused'"
    ));
    assert!(
        refused.iter().any(|r| r[0]
            .as_str()
            .unwrap_or_default()
            .contains("unsubscribe link")),
        "{refused:?}"
    );
}
