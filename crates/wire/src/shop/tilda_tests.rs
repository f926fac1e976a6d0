//! The Tilda reader against `tests/fixtures/tilda/` (see its README).

use super::*;
use crate::shop::OwnedRequest;

const TOKEN: &str = "tilda-test-token-5Jq8";

macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!("../../../../tests/fixtures/tilda/", $path)).as_slice()
    };
}

fn form(body: &[u8]) -> OwnedRequest {
    OwnedRequest::post(body)
        .param("token", TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
}

fn json_body(body: &[u8]) -> OwnedRequest {
    OwnedRequest::post(body)
        .param("token", TOKEN)
        .header("content-type", "application/json")
}

fn read_rub(request: &OwnedRequest) -> Result<ShopNotice, NoticeError> {
    read(&request.as_request(), TOKEN, &Currency::rub())
}

fn order_of(notice: ShopNotice) -> PlatformOrder {
    match notice.kind {
        ShopNoticeKind::Order(order) => *order,
        other => panic!("expected an order, got {other:?}"),
    }
}

#[test]
fn a_cart_reads_into_our_terms() {
    let notice = read_rub(&form(fixture!("cart.form"))).unwrap();
    assert_eq!(notice.key, "3215617:1836275231");
    assert_eq!(notice.what, "cart");
    let order = order_of(notice);

    assert_eq!(order.platform_id, "1836275231");
    assert_eq!(order.updated_at, None);
    assert_eq!(order.state, None);
    assert_eq!(order.payment, None, "Tilda does not say the cart was paid");
    let o = &order.order;
    assert_eq!(o.order_id.as_str(), "1836275231");
    assert_eq!(o.created_at, None);
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
            (
                "PU-100",
                "Пуэр Шу, 100 г (Упаковка: Крафт-пакет)",
                2,
                69_000
            ),
            // No SKU: Tilda's external id of the product.
            ("k9gjeIlUdA36PVIfCbbt", "Улун Те Гуань Инь, 50 г", 1, 59_000),
        ]
    );
    assert_eq!(o.delivery.kind.as_deref(), Some("kurer-po-moskve"));
    assert_eq!(
        o.delivery.address.as_deref(),
        Some("RU: Москва, ул. Пушкина, д. 1, кв. 2")
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
fn the_json_variant_reads_as_the_same_order() {
    let from_form = read_rub(&form(fixture!("cart.form"))).unwrap();
    let from_json = read_rub(&json_body(fixture!("cart.json"))).unwrap();
    assert_eq!(from_form, from_json);
}

#[test]
fn without_a_content_type_the_body_is_sniffed() {
    let mut json = json_body(fixture!("cart.json"));
    json.headers.clear();
    let mut form_body = form(fixture!("cart.form"));
    form_body.headers.clear();
    assert_eq!(read_rub(&json).unwrap(), read_rub(&form_body).unwrap());
}

#[test]
fn payment_as_a_json_string_inside_json_is_read_too() {
    let mut body: Value = serde_json::from_slice(fixture!("cart.json")).unwrap();
    body["payment"] = json!(body["payment"].to_string());
    let request = json_body(&serde_json::to_vec(&body).unwrap());
    assert_eq!(
        read_rub(&request).unwrap(),
        read_rub(&form(fixture!("cart.form"))).unwrap()
    );
}

#[test]
fn a_form_without_a_cart_is_a_lead() {
    let notice = read_rub(&form(fixture!("form-lead.form"))).unwrap();
    assert_eq!(notice.key, "3215617:1836275300");
    assert_eq!(notice.what, "form");
    let ShopNoticeKind::Lead(lead) = notice.kind else {
        panic!("expected a lead, got {:?}", notice.kind);
    };
    assert_eq!(lead.form, "form598765432");
    assert_eq!(lead.contact.name.as_deref(), Some("Игорь"));
    assert_eq!(
        lead.contact.phone.as_ref().map(|p| p.as_str()),
        Some("+79031234567")
    );
    assert_eq!(lead.contact.email, None);
    let fields: Vec<(&str, &str)> = lead
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            (
                "Comments",
                "Перезвоните после 18:00, нужен подарочный набор"
            ),
            ("Checkbox", "yes"),
            ("formname", "Обратный звонок"),
        ]
    );
    assert_eq!(
        lead.utm,
        Utm {
            source: Some("vk".into()),
            medium: Some("social".into()),
            campaign: Some("gift-sets".into()),
            content: None,
            term: None,
        }
    );
}

#[test]
fn a_lead_without_a_phone_or_an_email_is_invalid() {
    let request = form(b"Name=%D0%98%D0%B2%D0%B0%D0%BD&tranid=1%3A2&formid=form1");
    assert!(matches!(
        read_rub(&request),
        Err(NoticeError::Invalid { .. })
    ));
}

#[test]
fn field_names_are_matched_ignoring_case() {
    let request = form(b"name=Olga&email=OLGA%40example.com&tranid=1%3A3&formid=form1");
    let ShopNoticeKind::Lead(lead) = read_rub(&request).unwrap().kind else {
        panic!("expected a lead");
    };
    assert_eq!(lead.contact.name.as_deref(), Some("Olga"));
    assert_eq!(
        lead.contact.email.as_ref().map(|e| e.as_str()),
        Some("olga@example.com")
    );
    assert!(lead.fields.is_empty());
}

#[test]
fn the_connection_test_is_a_ping() {
    let notice = read_rub(&form(fixture!("test.form"))).unwrap();
    assert_eq!(notice.kind, ShopNoticeKind::Ping);
    assert_eq!(notice.key, "test");
}

#[test]
fn a_wrong_or_missing_token_is_refused() {
    let body = fixture!("cart.form");
    let missing = OwnedRequest::post(body);
    let wrong = OwnedRequest::post(body).param("token", "tilda-test-token-5Jq9");
    let longer = OwnedRequest::post(body).param("token", &format!("{TOKEN}x"));
    for request in [missing, wrong, longer] {
        assert!(matches!(
            read_rub(&request),
            Err(NoticeError::Unauthorized(_))
        ));
    }
    // Even the connection test needs the token.
    assert!(matches!(
        read_rub(&OwnedRequest::post(fixture!("test.form"))),
        Err(NoticeError::Unauthorized(_))
    ));
}

#[test]
fn a_submission_without_tranid_is_malformed() {
    let request = form(b"Phone=%2B79123456789&formid=form1");
    assert!(matches!(read_rub(&request), Err(NoticeError::Malformed(_))));
}

#[test]
fn a_payment_that_is_not_json_is_invalid_naming_it() {
    let request = form(b"Phone=%2B79123456789&formid=form1&tranid=1%3A4&payment=%7Bbroken");
    assert!(matches!(
        read_rub(&request),
        Err(NoticeError::Invalid { field, .. }) if field == "payment"
    ));
}

#[test]
fn an_older_cart_sends_products_as_name_equals_amount() {
    let payment = r#"{"orderid":"1487047237","products":["Набор «Осень»=1000"],"promocode":"OSEN50","discountvalue":"50%","discount":"500","subtotal":"1000","amount":"500"}"#;
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("Email", "buyer@example.com")
        .append_pair("payment", payment)
        .append_pair("formid", "form1510234761")
        .append_pair("tranid", "3215617:1487047237")
        .finish();
    let order = order_of(read_rub(&form(body.as_bytes())).unwrap());
    let item = &order.order.items[0];
    assert_eq!(
        (item.sku.as_str(), item.name.as_str(), item.qty, item.price),
        ("Набор «Осень»", "Набор «Осень»", 1, 100_000)
    );
    assert_eq!(order.order.discount, 50_000);
    assert_eq!(order.order.total, 50_000);
}

#[test]
fn amounts_follow_the_shops_currency_passed_in() {
    let request = form(fixture!("cart.form"));
    let yen = Currency::parse("JPY").unwrap();
    let order = order_of(read(&request.as_request(), TOKEN, &yen).unwrap());
    assert_eq!(order.order.currency.as_str(), "JPY");
    assert_eq!(order.order.total, 2_123);
}

#[test]
fn utm_fields_win_over_the_cookie() {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("Phone", "+79123456789")
        .append_pair("utm_source", "telegram")
        .append_pair(
            "COOKIES",
            "a=1; TILDAUTM=utm_source%3Dyandex%7C%7C%7Cutm_term%3D%D1%87%D0%B0%D0%B9%7C%7C%7C",
        )
        .append_pair("formid", "form1")
        .append_pair("tranid", "1:5")
        .finish();
    let ShopNoticeKind::Lead(lead) = read_rub(&form(body.as_bytes())).unwrap().kind else {
        panic!("expected a lead");
    };
    assert_eq!(lead.utm.source.as_deref(), Some("telegram"));
    assert_eq!(lead.utm.term.as_deref(), Some("чай"));
    assert!(
        lead.fields.iter().all(|(k, _)| k != "COOKIES"),
        "cookies are not kept as an answer"
    );
}
