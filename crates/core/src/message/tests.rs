use super::*;
use crate::event::{parse_order_event, OrderEvent};

fn order(data: serde_json::Value) -> NewOrder {
    let mut body = serde_json::json!({
        "type": "order.created",
        "data": {
            "order_id": "A-1001",
            "currency": "RUB",
            "customer": { "name": "Анна Петрова", "email": "anna@example.com" },
            "items": [
                { "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 2, "price": 45000 },
                { "sku": "CUP-010", "name": "Чашка", "qty": 1, "price": 120000 }
            ],
            "delivery": { "type": "courier", "address": "Москва, ул. Пушкина, д. 1", "cost": 30000 },
            "total": 240000
        }
    });
    if let (Some(target), serde_json::Value::Object(extra)) = (body["data"].as_object_mut(), data) {
        target.extend(extra);
    }
    match parse_order_event(body.to_string().as_bytes()) {
        Ok(OrderEvent::Created(order)) => order,
        other => panic!("fixture refused: {other:?}"),
    }
}

fn shop() -> ShopInfo {
    ShopInfo {
        name: "Чайная лавка".into(),
        phone: "+7 (495) 123-45-67".into(),
        email: "hello@tea.example".into(),
        hours: "Пн–Пт 9:00–18:00".into(),
        url: "tea.example".into(),
    }
}

/// Checks that every non-void element is closed in order: enough to catch a broken
/// document or an unescaped `<` sneaking in.
fn assert_balanced_html(html: &str) {
    const VOID: [&str; 3] = ["meta", "br", "!doctype"];
    let mut open: Vec<String> = Vec::new();
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().expect("tag is closed with >");
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if VOID.contains(&name.as_str()) {
            continue;
        }
        if tag.starts_with('/') {
            assert_eq!(
                open.pop().as_deref(),
                Some(name.as_str()),
                "unbalanced </{name}>"
            );
        } else {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "unclosed elements: {open:?}");
}

#[test]
fn russian_email_thanks_the_customer_by_name() {
    let email = order_created_email(&order(serde_json::json!({})), &shop(), Language::Ru);
    assert_eq!(email.subject, "Спасибо за заказ №A-1001 — Чайная лавка");
    assert!(email.text.starts_with("Здравствуйте, Анна Петрова!"));
    assert!(email.html.contains("Здравствуйте, Анна Петрова!"));
    assert!(email.html.contains("<html lang=\"ru\">"));
}

#[test]
fn email_lists_items_delivery_and_total() {
    let email = order_created_email(&order(serde_json::json!({})), &shop(), Language::Ru);
    assert!(
        email
            .text
            .contains("1. Чай улун, 100 г — 2 × 450,00 ₽ = 900,00 ₽"),
        "{}",
        email.text
    );
    assert!(email
        .text
        .contains("2. Чашка — 1 × 1 200,00 ₽ = 1 200,00 ₽"));
    assert!(email.text.contains("Товары: 2 100,00 ₽"));
    assert!(email.text.contains("Доставка: 300,00 ₽"));
    assert!(email.text.contains("Итого к оплате: 2 400,00 ₽"));
    assert!(email.text.contains("Способ доставки: Курьером"));
    assert!(email
        .text
        .contains("Адрес доставки: Москва, ул. Пушкина, д. 1"));
    assert!(!email.text.contains("Скидка"));
    for part in [
        "Чай улун, 100 г",
        "2 × 450,00 ₽",
        "900,00 ₽",
        "2 400,00 ₽",
        "Курьером",
    ] {
        assert!(email.html.contains(part), "HTML lacks {part}");
    }
}

#[test]
fn email_explains_what_happens_next_and_gives_the_shop_contacts() {
    let email = order_created_email(&order(serde_json::json!({})), &shop(), Language::Ru);
    assert!(email
        .text
        .contains("Что дальше:\n1. Менеджер позвонит или напишет вам"));
    for line in [
        "Телефон: +7 (495) 123-45-67",
        "Эл. почта: hello@tea.example",
        "Сайт: tea.example",
        "Часы работы: Пн–Пт 9:00–18:00",
    ] {
        assert!(email.text.contains(line), "text lacks {line}");
    }
    assert!(email.html.contains("href=\"tel:+74951234567\""));
    assert!(email.html.contains("href=\"mailto:hello@tea.example\""));
    assert!(email.html.contains("href=\"https://tea.example\""));
    assert!(email.text.ends_with("С уважением,\nЧайная лавка\n"));
}

#[test]
fn unset_shop_details_leave_no_empty_lines() {
    let shop = ShopInfo {
        phone: "+7 495 123-45-67".into(),
        ..ShopInfo::default()
    };
    let email = order_created_email(&order(serde_json::json!({})), &shop, Language::Ru);
    assert_eq!(email.subject, "Спасибо за заказ №A-1001");
    assert!(email.text.contains("Телефон: +7 495 123-45-67"));
    for absent in ["Эл. почта", "Сайт", "Часы работы", "«"] {
        assert!(!email.text.contains(absent), "text has {absent}");
    }
    let bare = order_created_email(
        &order(serde_json::json!({})),
        &ShopInfo::default(),
        Language::Ru,
    );
    assert!(!bare.text.contains("Контакты магазина"));
    assert!(!bare.html.contains("Контакты магазина"));
}

#[test]
fn customer_without_a_name_gets_a_plain_greeting() {
    let order = order(serde_json::json!({ "customer": { "phone": "89123456789" } }));
    let email = order_created_email(&order, &shop(), Language::Ru);
    assert!(email.text.starts_with("Здравствуйте!\n"));
}

#[test]
fn discount_is_shown_when_given() {
    let order = order(serde_json::json!({ "discount": 5000, "total": 235000 }));
    let email = order_created_email(&order, &shop(), Language::Ru);
    assert!(email.text.contains("Скидка: −50,00 ₽"));
    assert!(email.text.contains("Итого к оплате: 2 350,00 ₽"));
}

#[test]
fn delivery_cost_and_subtotal_are_left_out_when_free() {
    let order = order(serde_json::json!({ "delivery": { "type": "self-pickup" } }));
    let email = order_created_email(&order, &shop(), Language::Ru);
    assert!(!email.text.contains("Доставка:"));
    assert!(!email.text.contains("Товары:"));
    assert!(email.text.contains("Способ доставки: Самовывоз"));
}

#[test]
fn english_email_uses_english_words_and_money() {
    let order = order(serde_json::json!({ "currency": "USD" }));
    let email = order_created_email(&order, &shop(), Language::En);
    assert_eq!(
        email.subject,
        "Thank you for your order A-1001 — Чайная лавка"
    );
    assert!(email.text.starts_with("Hello, Анна Петрова!"));
    assert!(email
        .text
        .contains("1. Чай улун, 100 г — 2 × $450.00 = $900.00"));
    assert!(email.text.contains("Total to pay: $2,400.00"));
    assert!(email.text.contains("Delivery method: Courier"));
    assert!(email
        .text
        .contains("What happens next:\n1. A manager will call or write to you"));
    assert!(email.text.contains("Opening hours: Пн–Пт 9:00–18:00"));
    assert!(email.html.contains("<html lang=\"en\">"));
}

#[test]
fn user_strings_are_html_escaped() {
    let order = order(serde_json::json!({
        "customer": { "name": "<b>Анна</b>", "email": "anna@example.com" },
        "items": [ { "sku": "X", "name": "<script>alert('x')</script> & \"чай\"", "qty": 1, "price": 100 } ],
        "delivery": { "address": "ул. <img src=x onerror=alert(1)>" },
        "total": 100
    }));
    let shop = ShopInfo {
        name: "Tea & <Co>".into(),
        url: "javascript:alert(1)".into(),
        ..shop()
    };
    let email = order_created_email(&order, &shop, Language::Ru);
    assert!(!email.html.contains("<script>"));
    assert!(!email.html.contains("<img"));
    assert!(!email.html.contains("<b>"));
    assert!(!email.html.contains("href=\"javascript"));
    assert!(email
        .html
        .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;чай&quot;"));
    assert!(email.html.contains("Tea &amp; &lt;Co&gt;"));
    assert_balanced_html(&email.html);
    // The plain-text body carries the strings as they are.
    assert!(email.text.contains("<script>alert('x')</script>"));
}

#[test]
fn html_body_is_a_complete_balanced_document() {
    let email = order_created_email(&order(serde_json::json!({})), &shop(), Language::Ru);
    assert!(email
        .html
        .starts_with("<!DOCTYPE html>\n<html lang=\"ru\">"));
    assert!(email.html.contains("<meta charset=\"utf-8\">"));
    assert!(email
        .html
        .contains("<title>Спасибо за заказ №A-1001 — Чайная лавка</title>"));
    assert_balanced_html(&email.html);
}

#[test]
fn subject_stays_on_one_line_whatever_the_shop_name() {
    let shop = ShopInfo {
        name: "Tea\r\nBcc: victim@example.com".into(),
        ..ShopInfo::default()
    };
    let email = order_created_email(&order(serde_json::json!({})), &shop, Language::Ru);
    assert!(!email.subject.contains(['\r', '\n']));
}

#[test]
fn escape_html_replaces_the_five_special_characters() {
    assert_eq!(
        escape_html(r#"<a href="x">Tom's & Jerry</a>"#),
        "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; Jerry&lt;/a&gt;"
    );
    assert_eq!(escape_html("Чай"), "Чай");
}

#[test]
fn language_is_read_from_common_tags() {
    assert_eq!(Language::parse("ru"), Some(Language::Ru));
    assert_eq!(Language::parse("EN"), Some(Language::En));
    assert_eq!(Language::parse("en-GB"), Some(Language::En));
    assert_eq!(Language::parse("de"), None);
    assert_eq!(Language::parse(""), None);
    assert_eq!(Language::default(), Language::Ru);
}
