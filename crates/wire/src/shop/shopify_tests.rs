//! Tests of the Shopify reader against the fixtures in `tests/fixtures/shopify/`.

use serde_json::{json, Value};

use super::{read, sign};
use crate::shop::{NoticeError, OwnedRequest, ShopNotice, ShopNoticeKind};
use orderpath_core::contact::{Email, Phone};
use orderpath_core::event::{
    CustomerContact, Delivery, Item, NewOrder, OrderId, PaymentOutcome, Utm,
};
use orderpath_core::message::Language;
use orderpath_core::money::Currency;
use orderpath_core::platform::{PlatformOrder, PlatformPayment};

const SECRET: &str = "shpss_test_chaynaya_lavka_secret";
const WEBHOOK_ID: &str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043";

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../../tests/fixtures/shopify/", $name)).as_slice()
    };
}

fn delivery(topic: &str, body: &[u8], secret: &str) -> OwnedRequest {
    OwnedRequest::post(body)
        .header("x-shopify-topic", topic)
        .header("x-shopify-hmac-sha256", &sign(secret, body))
        .header("x-shopify-shop-domain", "chaynaya-lavka.myshopify.com")
        .header("x-shopify-api-version", "2025-10")
        .header("x-shopify-webhook-id", WEBHOOK_ID)
        .header("x-shopify-triggered-at", "2026-11-24T07:15:02.123456789Z")
}

fn read_as(topic: &str, body: &[u8]) -> Result<ShopNotice, NoticeError> {
    read(&delivery(topic, body, SECRET).as_request(), SECRET)
}

fn order_of(result: Result<ShopNotice, NoticeError>) -> PlatformOrder {
    match result.map(|n| n.kind) {
        Ok(ShopNoticeKind::Order(order)) => *order,
        other => panic!("expected an order, got {other:?}"),
    }
}

fn invalid(result: Result<ShopNotice, NoticeError>) -> (String, String) {
    match result {
        Err(NoticeError::Invalid { field, message }) => (field, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// The body with the members at `pointers` (RFC 6901) set to `value`, or removed with `None`.
fn edit(body: &[u8], pointers: &[&str], value: Option<Value>) -> Vec<u8> {
    let mut doc: Value = serde_json::from_slice(body).unwrap();
    for pointer in pointers {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = doc.pointer_mut(parent).unwrap().as_object_mut().unwrap();
        match &value {
            Some(v) => target.insert(key.to_owned(), v.clone()),
            None => target.remove(key),
        };
    }
    serde_json::to_vec(&doc).unwrap()
}

const ALL_PHONES: [&str; 4] = [
    "/phone",
    "/customer/phone",
    "/shipping_address/phone",
    "/billing_address/phone",
];
const ALL_EMAILS: [&str; 3] = ["/email", "/contact_email", "/customer/email"];

fn item(sku: &str, name: &str, qty: u32, price: i64) -> Item {
    Item {
        sku: sku.to_owned(),
        name: name.to_owned(),
        qty,
        price,
        category: None,
    }
}

#[test]
fn signature_matches_an_independent_computation() {
    // openssl dgst -sha256 -hmac shpss_test_chaynaya_lavka_secret -binary orders-create.json | base64
    let body = fixture!("orders-create.json");

    assert_eq!(
        sign(SECRET, body),
        "6ws3I6tkzcU767r2TliN/vw6oYfwH3+lCpeEHvpHbRI="
    );
}

#[test]
fn wrong_signature_is_unauthorized() {
    let body = fixture!("orders-create.json");
    let request = delivery("orders/create", body, "another-secret");

    let result = read(&request.as_request(), SECRET);

    assert!(
        matches!(result, Err(NoticeError::Unauthorized(_))),
        "{result:?}"
    );
}

#[test]
fn a_body_changed_after_signing_is_unauthorized() {
    let body = fixture!("orders-create.json");
    let mut request = delivery("orders/create", body, SECRET);
    request.body = edit(body, &["/total_price"], Some(json!("1.00")));

    let result = read(&request.as_request(), SECRET);

    assert!(
        matches!(result, Err(NoticeError::Unauthorized(_))),
        "{result:?}"
    );
}

#[test]
fn missing_or_garbled_signature_is_unauthorized() {
    let body = fixture!("orders-create.json");
    let mut missing = delivery("orders/create", body, SECRET);
    missing
        .headers
        .retain(|(k, _)| k != "x-shopify-hmac-sha256");
    let garbled = OwnedRequest::post(body)
        .header("x-shopify-topic", "orders/create")
        .header("x-shopify-webhook-id", WEBHOOK_ID)
        .header("x-shopify-hmac-sha256", "not base64!");

    for request in [missing, garbled] {
        let result = read(&request.as_request(), SECRET);
        assert!(
            matches!(result, Err(NoticeError::Unauthorized(_))),
            "{result:?}"
        );
    }
}

#[test]
fn during_a_rotation_either_secret_is_accepted() {
    let body = fixture!("orders-create.json");
    let both = [
        "old-secret,new-secret",
        "old-secret new-secret",
        " old-secret ,\n new-secret ",
    ];

    for configured in both {
        for signer in ["old-secret", "new-secret"] {
            let request = delivery("orders/create", body, signer);
            let result = read(&request.as_request(), configured);
            assert!(
                result.is_ok(),
                "{configured:?} signed by {signer}: {result:?}"
            );
        }
        let stranger = delivery("orders/create", body, "third-secret");
        let result = read(&stranger.as_request(), configured);
        assert!(
            matches!(result, Err(NoticeError::Unauthorized(_))),
            "{result:?}"
        );
    }
}

#[test]
fn a_blank_secret_accepts_nothing() {
    let body = fixture!("orders-create.json");
    let request = delivery("orders/create", body, "");

    let result = read(&request.as_request(), " , ");

    assert!(
        matches!(result, Err(NoticeError::Unauthorized(_))),
        "{result:?}"
    );
}

#[test]
fn created_order_maps_every_field() {
    let notice = read_as("orders/create", fixture!("orders-create.json")).unwrap();

    assert_eq!(notice.key, WEBHOOK_ID);
    assert_eq!(notice.what, "orders/create");
    let ShopNoticeKind::Order(order) = notice.kind else {
        panic!("expected an order, got {:?}", notice.kind);
    };
    let want = PlatformOrder {
        order: NewOrder {
            order_id: OrderId::parse("1001").unwrap(),
            created_at: Some("2026-11-24T10:15:00+03:00".to_owned()),
            currency: Currency::rub(),
            channel: "site".to_owned(),
            order_method: "cart".to_owned(),
            customer_type: "person".to_owned(),
            customer: CustomerContact {
                name: Some("Анна Петрова".to_owned()),
                phone: Some(Phone::parse("+79123456789").unwrap()),
                email: Some(Email::parse("anna.petrova@example.com").unwrap()),
            },
            items: vec![
                item("TEA-DHP-100", "Да Хун Пао — 100 г", 2, 145_000),
                // No sku: the variant's id stands in.
                item("44022222222222", "Гайвань фарфоровая — 150 мл", 1, 120_000),
            ],
            delivery: Delivery {
                kind: Some("cdek-courier".to_owned()),
                address: Some("ул. Пушкина, д. 1, кв. 2, Москва, 101000, Russia".to_owned()),
                cost: 35_000,
            },
            discount: 41_000,
            total: 404_000,
            utm: Utm {
                source: Some("instagram".to_owned()),
                medium: Some("social".to_owned()),
                campaign: Some("осень".to_owned()),
                content: Some("stories".to_owned()),
                term: None,
            },
            comment: Some("Позвоните за час до доставки, пожалуйста".to_owned()),
            manager: None,
            actor: None,
            customer_language: Some(Language::Ru),
            customer_time_zone: None,
        },
        platform_id: "5912345678901".to_owned(),
        updated_at: Some("2026-11-24T10:15:02+03:00".to_owned()),
        state: Some("open".to_owned()),
        payment: None,
        tags: vec!["подарок".to_owned(), "срочно".to_owned()],
        customer_tags: vec!["VIP".to_owned(), "чайный клуб".to_owned()],
    };
    assert_eq!(*order, want);
}

#[test]
fn updated_order_carries_the_new_address_quantity_and_totals() {
    let order = order_of(read_as("orders/updated", fixture!("orders-updated.json")));

    assert_eq!(order.order.order_id.as_str(), "1001");
    assert_eq!(order.platform_id, "5912345678901");
    assert_eq!(
        order.updated_at.as_deref(),
        Some("2026-11-24T11:02:40+03:00")
    );
    assert_eq!(order.order.items[0].qty, 3);
    assert_eq!(
        order.order.delivery.address.as_deref(),
        Some("ул. Лермонтова, д. 5, кв. 12, домофон 12К, Москва, 101001, Russia")
    );
    assert_eq!((order.order.discount, order.order.total), (55_500, 534_500));
    assert_eq!(order.state.as_deref(), Some("open"));
    assert_eq!(order.payment, None);
}

#[test]
fn paid_order_reports_a_succeeded_payment_of_the_total() {
    let notice = read_as("orders/paid", fixture!("orders-paid.json")).unwrap();
    assert_eq!(notice.what, "orders/paid");
    let order = order_of(Ok(notice));

    assert_eq!(
        order.payment,
        Some(PlatformPayment {
            outcome: PaymentOutcome::Succeeded,
            amount: 534_500,
            payment_id: "shopify:5912345678901".to_owned(),
        })
    );
    assert_eq!(order.state.as_deref(), Some("open"));
}

#[test]
fn cancelled_order_is_cancelled_even_when_closed_and_reports_what_was_refunded() {
    let order = order_of(read_as(
        "orders/cancelled",
        fixture!("orders-cancelled.json"),
    ));

    assert_eq!(order.state.as_deref(), Some("cancelled"));
    // The goods came back (4,995.00), the delivery (350.00) did not.
    assert_eq!(
        order.payment,
        Some(PlatformPayment {
            outcome: PaymentOutcome::Refunded,
            amount: 499_500,
            payment_id: "shopify:5912345678901".to_owned(),
        })
    );
}

#[test]
fn refund_counts_only_successful_refund_transactions_and_else_the_total() {
    let body = fixture!("orders-cancelled.json");
    let failed = edit(
        body,
        &["/refunds/0/transactions/0/status"],
        Some(json!("failure")),
    );
    let no_refunds = edit(body, &["/refunds"], Some(json!([])));

    for changed in [failed, no_refunds] {
        let order = order_of(read_as("orders/cancelled", &changed));
        let payment = order.payment.unwrap();
        assert_eq!(
            (payment.outcome, payment.amount),
            (PaymentOutcome::Refunded, 534_500)
        );
    }
}

#[test]
fn fulfilled_and_partially_fulfilled_and_closed_states() {
    let body = fixture!("orders-fulfilled.json");
    let partial = edit(body, &["/fulfillment_status"], Some(json!("partial")));
    let closed = edit(
        &edit(body, &["/fulfillment_status"], None),
        &["/closed_at"],
        Some(json!("2026-11-30T12:00:00+03:00")),
    );

    let state = |b: &[u8]| order_of(read_as("orders/fulfilled", b)).state;
    assert_eq!(state(body).as_deref(), Some("fulfilled"));
    assert_eq!(state(&partial).as_deref(), Some("partially_fulfilled"));
    assert_eq!(state(&closed).as_deref(), Some("closed"));
}

#[test]
fn payment_follows_the_financial_status() {
    let body = fixture!("orders-paid.json");
    let cases = [
        ("paid", Some(PaymentOutcome::Succeeded)),
        ("authorized", Some(PaymentOutcome::Authorised)),
        ("refunded", Some(PaymentOutcome::Refunded)),
        ("pending", None),
        ("partially_paid", None),
        ("voided", None),
    ];

    for (status, want) in cases {
        let changed = edit(body, &["/financial_status"], Some(json!(status)));
        let order = order_of(read_as("orders/updated", &changed));
        assert_eq!(order.payment.map(|p| p.outcome), want, "{status}");
    }
}

#[test]
fn usd_draft_order_without_a_phone_is_read_in_cents_by_email() {
    let order = order_of(read_as(
        "orders/create",
        fixture!("orders-create-usd-no-phone.json"),
    ));
    let new = &order.order;

    assert_eq!(new.order_id.as_str(), "1002");
    assert_eq!(new.currency.as_str(), "USD");
    assert_eq!(
        new.items,
        vec![item("TEA-MOL-50", "Milk Oolong — 50 g", 2, 1_250)]
    );
    assert_eq!(
        (new.delivery.cost, new.discount, new.total),
        (890, 0, 3_390)
    );
    assert_eq!(new.delivery.kind.as_deref(), Some("standard-international"));
    assert_eq!(
        new.customer,
        CustomerContact {
            // The customer has no name: the billing address's.
            name: Some("John Smith".to_owned()),
            phone: None,
            email: Some(Email::parse("john.smith@example.com").unwrap()),
        }
    );
    assert_eq!(
        (new.channel.as_str(), new.order_method.as_str()),
        ("phone", "phone")
    );
    assert_eq!(new.customer_language, Some(Language::En));
    assert_eq!(new.utm, Utm::default());
    assert_eq!(new.comment, None);
    assert_eq!(order.tags, Vec::<String>::new());
    assert_eq!(order.customer_tags, Vec::<String>::new());
    assert_eq!(
        order.payment,
        Some(PlatformPayment {
            outcome: PaymentOutcome::Authorised,
            amount: 3_390,
            payment_id: "shopify:5912345679002".to_owned(),
        })
    );
}

#[test]
fn zero_digit_currencies_are_whole_units() {
    let body = fixture!("orders-create-usd-no-phone.json");
    let yen = edit(body, &["/currency"], Some(json!("JPY")));
    let yen = edit(&yen, &["/line_items/0/price"], Some(json!("1250")));
    let yen = edit(&yen, &["/shipping_lines/0/price"], Some(json!("890.00")));
    let yen = edit(&yen, &["/total_price"], Some(json!("3390")));

    let new = order_of(read_as("orders/create", &yen)).order;

    assert_eq!(
        (new.items[0].price, new.delivery.cost, new.total),
        (1_250, 890, 3_390)
    );
}

#[test]
fn channel_follows_source_name() {
    let body = fixture!("orders-create.json");
    let cases = [
        ("web", "site", "cart"),
        ("pos", "pos", "cart"),
        ("shopify_draft_order", "phone", "phone"),
        ("iphone", "iphone", "cart"),
        ("1830279", "1830279", "cart"),
        ("My Wholesale App", "my-wholesale-app", "cart"),
    ];

    for (source, channel, method) in cases {
        let changed = edit(body, &["/source_name"], Some(json!(source)));
        let new = order_of(read_as("orders/create", &changed)).order;
        assert_eq!(
            (new.channel.as_str(), new.order_method.as_str()),
            (channel, method),
            "{source}"
        );
    }
}

#[test]
fn shipping_title_stands_in_for_a_missing_code_and_costs_add_up() {
    let body = fixture!("orders-create.json");
    let changed = edit(body, &["/shipping_lines/0/code"], Some(Value::Null));
    let mut doc: Value = serde_json::from_slice(&changed).unwrap();
    let mut second = doc["shipping_lines"][0].clone();
    second["price"] = json!("150.00");
    doc["shipping_lines"].as_array_mut().unwrap().push(second);
    doc["shipping_lines"][0]["title"] = json!("Courier (CDEK) — Moscow");

    let new = order_of(read_as("orders/create", &serde_json::to_vec(&doc).unwrap())).order;

    assert_eq!(new.delivery.kind.as_deref(), Some("courier-cdek-moscow"));
    assert_eq!(new.delivery.cost, 50_000);
}

#[test]
fn product_type_becomes_the_category() {
    let body = fixture!("orders-create.json");
    let changed = edit(body, &["/line_items/0/product_type"], Some(json!("tea")));

    let new = order_of(read_as("orders/create", &changed)).order;

    assert_eq!(new.items[0].category.as_deref(), Some("tea"));
    assert_eq!(new.items[1].category, None);
}

#[test]
fn a_phone_that_does_not_parse_is_dropped_when_there_is_an_email() {
    // Shopify's own sample order carries phones like this one.
    let body = edit(
        fixture!("orders-create.json"),
        &ALL_PHONES,
        Some(json!("555-555-SHIP")),
    );

    let customer = order_of(read_as("orders/create", &body)).order.customer;

    assert_eq!(customer.phone, None);
    assert_eq!(customer.email.unwrap().as_str(), "anna.petrova@example.com");
}

#[test]
fn the_first_phone_that_parses_is_taken() {
    let body = edit(
        fixture!("orders-create.json"),
        &["/phone"],
        Some(json!("n/a")),
    );
    let body = edit(&body, &["/customer/phone"], Some(Value::Null));
    let body = edit(
        &body,
        &["/shipping_address/phone"],
        Some(json!("8 (916) 000-11-22")),
    );

    let customer = order_of(read_as("orders/create", &body)).order.customer;

    assert_eq!(customer.phone.unwrap().as_str(), "+79160001122");
}

#[test]
fn a_bad_phone_without_an_email_is_refused_naming_the_phone() {
    let body = edit(
        fixture!("orders-create.json"),
        &ALL_PHONES,
        Some(json!("555-555-SHIP")),
    );
    let body = edit(&body, &ALL_EMAILS, Some(Value::Null));

    let (field, message) = invalid(read_as("orders/create", &body));

    assert_eq!(field, "phone");
    assert!(message.contains("not a phone number"), "{message}");
}

#[test]
fn an_order_without_phone_and_email_is_invalid() {
    let body = edit(
        fixture!("orders-create.json"),
        &ALL_PHONES,
        Some(Value::Null),
    );
    let body = edit(&body, &ALL_EMAILS, None);

    let (field, message) = invalid(read_as("orders/create", &body));

    assert_eq!(field, "customer");
    assert!(message.contains("phone or an email"), "{message}");
}

#[test]
fn core_refusals_name_the_shopify_field() {
    let body = fixture!("orders-create.json");
    let cases = [
        ("/line_items/1/quantity", json!(0), "line_items[1].quantity"),
        (
            "/line_items/0/price",
            json!("12.345"),
            "line_items[0].price",
        ),
        ("/total_price", Value::Null, "total_price"),
        ("/created_at", json!("yesterday"), "created_at"),
        ("/line_items", json!([]), "line_items"),
        ("/currency", json!("roubles"), "currency"),
        ("/updated_at", json!("later"), "updated_at"),
    ];

    for (pointer, value, want) in cases {
        let changed = edit(body, &[pointer], Some(value));
        let (field, _) = invalid(read_as("orders/create", &changed));
        assert_eq!(field, want, "{pointer}");
    }
}

#[test]
fn utm_tags_are_read_from_a_full_landing_url_and_are_optional() {
    let body = fixture!("orders-create.json");
    let full = edit(
        body,
        &["/landing_site"],
        Some(json!("https://chaynaya-lavka.ru/?utm_source=yandex&utm_medium=cpc&utm_term=%D1%87%D0%B0%D0%B9+%D1%83%D0%BB%D1%83%D0%BD#top")),
    );
    let bare = edit(body, &["/landing_site"], Some(json!("/collections/all")));

    let utm = order_of(read_as("orders/create", &full)).order.utm;
    assert_eq!(utm.source.as_deref(), Some("yandex"));
    assert_eq!(utm.medium.as_deref(), Some("cpc"));
    assert_eq!(utm.term.as_deref(), Some("чай улун"));
    assert_eq!(utm.campaign, None);
    assert_eq!(
        order_of(read_as("orders/create", &bare)).order.utm,
        Utm::default()
    );
}

#[test]
fn order_id_is_the_name_without_its_hash() {
    let body = fixture!("orders-create.json");
    let prefixed = edit(body, &["/name"], Some(json!("TEA-1001")));
    let nameless = edit(body, &["/name"], None);

    let id = |b: &[u8]| order_of(read_as("orders/create", b)).order.order_id;
    assert_eq!(id(&prefixed).as_str(), "TEA-1001");
    assert_eq!(id(&nameless).as_str(), "1001");
}

#[test]
fn every_order_topic_is_read_and_any_other_is_ignored() {
    let body = fixture!("orders-create.json");
    for topic in super::ORDER_TOPICS {
        let notice = read_as(topic, body).unwrap();
        assert!(matches!(notice.kind, ShopNoticeKind::Order(_)), "{topic}");
    }

    let notice = read_as("customers/update", b"{\"id\": 1}").unwrap();

    assert_eq!(notice.kind, ShopNoticeKind::Ignored);
    assert_eq!(
        (notice.key.as_str(), notice.what.as_str()),
        (WEBHOOK_ID, "customers/update")
    );
}

#[test]
fn missing_webhook_id_or_topic_is_malformed() {
    let body = fixture!("orders-create.json");
    for header in ["x-shopify-webhook-id", "x-shopify-topic"] {
        let mut request = delivery("orders/create", body, SECRET);
        request.headers.retain(|(k, _)| k != header);

        let result = read(&request.as_request(), SECRET);

        assert!(
            matches!(result, Err(NoticeError::Malformed(_))),
            "{header}: {result:?}"
        );
    }
}

#[test]
fn signed_body_that_is_not_json_is_malformed() {
    let result = read_as("orders/create", b"<order/>");

    assert!(
        matches!(result, Err(NoticeError::Malformed(_))),
        "{result:?}"
    );
}
