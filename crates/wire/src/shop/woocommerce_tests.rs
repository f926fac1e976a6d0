//! The WooCommerce reader against `tests/fixtures/woocommerce/` (see its README).

use super::*;
use crate::shop::OwnedRequest;
use orderpath_core::event::Utm;

const SECRET: &str = "wc-test-webhook-secret";

macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!("../../../../tests/fixtures/woocommerce/", $path)).as_slice()
    };
}

/// A delivery as WooCommerce makes it: the body, its signature and the headers.
fn delivery(topic: &str, body: &[u8]) -> OwnedRequest {
    OwnedRequest::post(body)
        .header("content-type", "application/json")
        .header("x-wc-webhook-source", "https://chai-dom.example/")
        .header("x-wc-webhook-topic", topic)
        .header("x-wc-webhook-resource", "order")
        .header("x-wc-webhook-event", topic.split('.').nth(1).unwrap_or(""))
        .header("x-wc-webhook-signature", &sign(SECRET, body))
        .header("x-wc-webhook-id", "7")
        .header(
            "x-wc-webhook-delivery-id",
            "9b1c0e7d5a3f4e21a0b6c8d2e4f60718",
        )
}

fn order_of(notice: ShopNotice) -> PlatformOrder {
    match notice.kind {
        ShopNoticeKind::Order(order) => *order,
        other => panic!("expected an order, got {other:?}"),
    }
}

fn read_fixture(topic: &str, body: &[u8]) -> PlatformOrder {
    order_of(read(&delivery(topic, body).as_request(), SECRET).expect("reads"))
}

#[test]
fn a_created_order_reads_into_our_terms() {
    let order = read_fixture("order.created", fixture!("order-created.json"));

    assert_eq!(order.platform_id, "4127");
    assert_eq!(order.state.as_deref(), Some("pending"));
    assert_eq!(order.updated_at.as_deref(), Some("2026-11-24T07:15:04Z"));
    assert_eq!(order.payment, None, "a pending order is not paid");
    let o = &order.order;
    assert_eq!(o.order_id.as_str(), "4127");
    assert_eq!(o.created_at.as_deref(), Some("2026-11-24T07:15:00Z"));
    assert_eq!(o.currency.as_str(), "RUB");
    assert_eq!(
        (o.channel.as_str(), o.order_method.as_str()),
        ("site", "cart")
    );
    assert_eq!(o.customer.name.as_deref(), Some("Анна Петрова"));
    assert_eq!(
        o.customer.phone.as_ref().map(|p| p.as_str()),
        Some("+79123456789")
    );
    assert_eq!(
        o.customer.email.as_ref().map(|e| e.as_str()),
        Some("anna.petrova@example.com")
    );
    let items: Vec<(&str, &str, u32, i64)> = o
        .items
        .iter()
        .map(|i| (i.sku.as_str(), i.name.as_str(), i.qty, i.price))
        .collect();
    assert_eq!(
        items,
        [
            ("PU-100", "Пуэр Шу, 100 г", 2, 69_000),
            // No SKU: the product's id.
            ("215", "Улун Те Гуань Инь, 50 г", 1, 59_000),
        ]
    );
    assert_eq!(o.delivery.kind.as_deref(), Some("flat-rate"));
    assert_eq!(
        o.delivery.address.as_deref(),
        Some("ул. Пушкина, д. 1, кв. 2, подъезд 3, Москва, 101000, RU")
    );
    assert_eq!(o.delivery.cost, 35_000);
    assert_eq!(o.discount, 19_700);
    assert_eq!(o.total, 212_300);
    assert_eq!(o.comment.as_deref(), Some("Позвонить перед доставкой"));
    assert_eq!(
        o.utm,
        Utm {
            source: Some("yandex".into()),
            medium: Some("cpc".into()),
            campaign: Some("tea-autumn".into()),
            content: Some("puer-banner".into()),
            term: None,
        }
    );
}

#[test]
fn the_key_is_the_delivery_id_and_what_is_the_topic() {
    let notice = read(
        &delivery("order.created", fixture!("order-created.json")).as_request(),
        SECRET,
    )
    .unwrap();
    assert_eq!(notice.key, "9b1c0e7d5a3f4e21a0b6c8d2e4f60718");
    assert_eq!(notice.what, "order.created");
}

#[test]
fn without_a_delivery_id_the_key_is_the_webhook_the_order_and_its_modification() {
    let mut request = delivery("order.updated", fixture!("order-updated.json"));
    request
        .headers
        .retain(|(k, _)| k != "x-wc-webhook-delivery-id");
    let notice = read(&request.as_request(), SECRET).unwrap();
    assert_eq!(notice.key, "7:4127:2026-11-25T13:40:12Z");
}

#[test]
fn a_paid_order_reports_the_payment_with_its_transaction() {
    let order = read_fixture("order.updated", fixture!("order-paid.json"));
    assert_eq!(order.state.as_deref(), Some("processing"));
    assert_eq!(
        order.payment,
        Some(PlatformPayment {
            outcome: PaymentOutcome::Succeeded,
            amount: 212_300,
            payment_id: "woocommerce:4127:2ec3f1a7-000f-5000-a000-1f3e5d7c9b21".into(),
        })
    );
}

#[test]
fn an_updated_order_carries_the_new_state_and_address() {
    let order = read_fixture("order.updated", fixture!("order-updated.json"));
    assert_eq!(order.state.as_deref(), Some("completed"));
    assert_eq!(order.updated_at.as_deref(), Some("2026-11-25T13:40:12Z"));
    assert_eq!(
        order.order.delivery.address.as_deref(),
        Some("ул. Тверская, д. 7, кв. 15, Москва, 125009, RU")
    );
    assert_eq!(
        order.payment.map(|p| p.outcome),
        Some(PaymentOutcome::Succeeded)
    );
}

#[test]
fn a_cancelled_unpaid_order_has_its_state_and_no_payment() {
    let order = read_fixture("order.updated", fixture!("order-cancelled.json"));
    assert_eq!(order.state.as_deref(), Some("cancelled"));
    assert_eq!(order.payment, None);
}

#[test]
fn a_refunded_order_reports_the_refunds_sum() {
    let mut order: Value = serde_json::from_slice(fixture!("order-paid.json")).unwrap();
    order["status"] = json!("refunded");
    order["refunds"] = json!([
        {"id": 4150, "reason": "", "total": "-1000.00"},
        {"id": 4151, "reason": "брак", "total": "-1123.00"}
    ]);
    let payment = read_order(&order).unwrap().payment.unwrap();
    assert_eq!(payment.outcome, PaymentOutcome::Refunded);
    assert_eq!(payment.amount, 212_300);
    assert_eq!(
        payment.payment_id,
        "woocommerce:4127:2ec3f1a7-000f-5000-a000-1f3e5d7c9b21"
    );
}

#[test]
fn a_deleted_order_is_only_its_id() {
    let notice = read(
        &delivery("order.deleted", fixture!("order-deleted.json")).as_request(),
        SECRET,
    )
    .unwrap();
    assert_eq!(notice.what, "order.deleted");
    assert_eq!(
        notice.kind,
        ShopNoticeKind::Deleted {
            order_id: OrderId::parse("4127").unwrap(),
            platform_id: "4127".into(),
        }
    );
}

#[test]
fn a_restored_order_is_read_as_an_order() {
    let order = read_fixture("order.restored", fixture!("order-cancelled.json"));
    assert_eq!(order.platform_id, "4127");
}

#[test]
fn other_topics_are_ignored_but_authenticated() {
    let body = br#"{"id":88,"code":"chai10"}"#;
    let notice = read(&delivery("coupon.updated", body).as_request(), SECRET).unwrap();
    assert_eq!(notice.kind, ShopNoticeKind::Ignored);
    assert_eq!(notice.what, "coupon.updated");

    let mut forged = delivery("coupon.updated", body);
    forged
        .headers
        .retain(|(k, _)| k != "x-wc-webhook-signature");
    assert!(matches!(
        read(&forged.as_request(), SECRET),
        Err(NoticeError::Unauthorized(_))
    ));
}

#[test]
fn the_activation_ping_is_answered_without_a_signature() {
    // deliver_ping() posts this form with no X-WC-* headers at all.
    let request = OwnedRequest::post("webhook_id=7");
    let notice = read(&request.as_request(), SECRET).unwrap();
    assert_eq!(notice.kind, ShopNoticeKind::Ping);
    assert_eq!(notice.key, "ping:7");
}

#[test]
fn a_ping_look_alike_with_more_fields_needs_a_signature() {
    for body in ["webhook_id=7&x=1", "webhook_id=abc", "webhook_id="] {
        assert!(
            matches!(
                read(&OwnedRequest::post(body).as_request(), SECRET),
                Err(NoticeError::Unauthorized(_))
            ),
            "{body}"
        );
    }
}

#[test]
fn a_wrong_or_missing_signature_is_refused() {
    let body = fixture!("order-created.json");
    let mut wrong = delivery("order.created", body);
    wrong.headers.retain(|(k, _)| k != "x-wc-webhook-signature");
    let missing = wrong.clone();
    let wrong = wrong.header("x-wc-webhook-signature", &sign("another-secret", body));
    let garbage = missing
        .clone()
        .header("x-wc-webhook-signature", "not base64!");
    for request in [wrong, missing, garbage] {
        assert!(matches!(
            read(&request.as_request(), SECRET),
            Err(NoticeError::Unauthorized(_))
        ));
    }
}

#[test]
fn a_signature_over_other_bytes_is_refused() {
    // The same order re-encoded (pretty-printed) is not what was signed.
    let body = fixture!("order-created.json");
    let value: Value = serde_json::from_slice(body).unwrap();
    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    let mut request = delivery("order.created", &pretty);
    request
        .headers
        .retain(|(k, _)| k != "x-wc-webhook-signature");
    let request = request.header("x-wc-webhook-signature", &sign(SECRET, body));
    assert!(matches!(
        read(&request.as_request(), SECRET),
        Err(NoticeError::Unauthorized(_))
    ));
}

#[test]
fn the_signature_matches_an_independent_computation() {
    // printf '%s' '{"id":4127}' | openssl dgst -sha256 -hmac wc-test-webhook-secret -binary | base64
    assert_eq!(
        sign(SECRET, br#"{"id":4127}"#),
        "n8c9/GVjDF+WM08HFY0mzUb3sCfBy+8bI8+MNgWG7eE="
    );
}

#[test]
fn a_missing_topic_is_malformed() {
    let body = fixture!("order-created.json");
    let mut request = delivery("order.created", body);
    request.headers.retain(|(k, _)| k != "x-wc-webhook-topic");
    assert!(matches!(
        read(&request.as_request(), SECRET),
        Err(NoticeError::Malformed(_))
    ));
}

#[test]
fn the_rest_list_reads_order_by_order() {
    let list: Value = serde_json::from_slice(fixture!("orders-list.json")).unwrap();
    let orders: Vec<PlatformOrder> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| read_order(o).unwrap())
        .collect();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].state.as_deref(), Some("processing"));

    // Typed in by staff: a phone order, picked up, paid on receipt.
    let phone = &orders[1];
    assert_eq!(phone.platform_id, "4131");
    assert_eq!(phone.state.as_deref(), Some("on-hold"));
    assert_eq!(phone.payment, None);
    let o = &phone.order;
    assert_eq!(
        (o.channel.as_str(), o.order_method.as_str()),
        ("phone", "phone")
    );
    assert_eq!(o.customer.name.as_deref(), Some("Игорь Смирнов"));
    assert_eq!(
        o.customer.phone.as_ref().map(|p| p.as_str()),
        Some("+79031234567")
    );
    assert_eq!(o.customer.email, None);
    // A variation without an SKU: the variation's id.
    assert_eq!(o.items[0].sku, "231");
    assert_eq!(o.items[0].price, 149_000);
    assert_eq!(o.delivery.kind.as_deref(), Some("local-pickup"));
    assert_eq!(o.delivery.address, None);
    assert_eq!(o.utm, Utm::default());
}

#[test]
fn the_number_is_the_order_id_when_a_plugin_renumbers() {
    let mut order: Value = serde_json::from_slice(fixture!("order-created.json")).unwrap();
    order["number"] = json!("ЧД-2026-0415");
    let read = read_order(&order).unwrap();
    assert_eq!(read.order.order_id.as_str(), "ЧД-2026-0415");
    assert_eq!(read.platform_id, "4127");
}

#[test]
fn an_unreadable_phone_beside_an_email_does_not_lose_the_order() {
    let mut order: Value = serde_json::from_slice(fixture!("order-created.json")).unwrap();
    order["billing"]["phone"] = json!("звоните в домофон");
    let read = read_order(&order).unwrap();
    assert_eq!(read.order.customer.phone, None);
    assert!(read.order.customer.email.is_some());
}

#[test]
fn an_order_without_contacts_is_invalid_naming_the_field() {
    let mut order: Value = serde_json::from_slice(fixture!("order-created.json")).unwrap();
    order["billing"]["phone"] = json!("");
    order["billing"]["email"] = json!("");
    match read_order(&order) {
        Err(NoticeError::Invalid { field, .. }) => assert_eq!(field, "data.customer"),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn broken_money_is_invalid_naming_the_woocommerce_field() {
    let mut order: Value = serde_json::from_slice(fixture!("order-created.json")).unwrap();
    order["total"] = json!("2 123,00");
    assert!(matches!(
        read_order(&order),
        Err(NoticeError::Invalid { field, .. }) if field == "total"
    ));
}

#[test]
fn a_body_that_is_not_json_is_malformed() {
    let request = delivery("order.created", b"<html>");
    assert!(matches!(
        read(&request.as_request(), SECRET),
        Err(NoticeError::Malformed(_))
    ));
}

#[test]
fn amounts_of_a_zero_digit_currency_are_whole() {
    let mut order: Value = serde_json::from_slice(fixture!("order-created.json")).unwrap();
    order["currency"] = json!("JPY");
    let read = read_order(&order).unwrap();
    assert_eq!(read.order.total, 2_123);
    assert_eq!(read.order.items[0].price, 690);
}
