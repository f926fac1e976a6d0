use super::*;

/// The field and message of the violation `body` is refused for.
fn violation(body: &Value) -> (String, String) {
    match parse(body) {
        Err(EventError::Invalid { field, message }) => (field, message),
        other => panic!("expected a schema violation, got {other:?}"),
    }
}

fn assert_violation(body: Value, field: &str, message: &str) {
    let (got_field, got_message) = violation(&body);
    assert_eq!(got_field, field, "message: {got_message}");
    assert!(
        got_message.contains(message),
        "{field}: {got_message:?} does not mention {message:?}"
    );
}

fn status_change(data: Value) -> Value {
    json!({ "type": "order.status_changed", "data": data })
}

fn update(data: Value) -> Value {
    json!({ "type": "order.updated", "data": data })
}

#[test]
fn body_that_is_not_utf8_is_malformed() {
    let err = parse_order_event(b"{\"type\": \"\xff\"}").unwrap_err();
    assert!(matches!(err, EventError::Malformed(m) if m.contains("UTF-8")));
}

#[test]
fn body_that_is_not_json_is_malformed() {
    for body in [&b""[..], b"{", b"type=order.created", b"{\"type\": 1,}"] {
        assert!(matches!(
            parse_order_event(body),
            Err(EventError::Malformed(_))
        ));
    }
}

#[test]
fn json_that_is_not_an_object_is_malformed() {
    for body in ["[]", "\"order.created\"", "null", "42"] {
        let err = parse_order_event(body.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            EventError::Malformed("the body must be a JSON object".into())
        );
    }
}

#[test]
fn missing_type_is_reported_as_required() {
    assert_violation(with(created(), "/type", None), "type", "is required");
}

#[test]
fn unknown_type_lists_the_known_ones() {
    let (field, message) = violation(&with(created(), "/type", Some(json!("order.deleted"))));
    assert_eq!(field, "type");
    assert_eq!(
        message,
        "must be one of: order.created, order.updated, order.status_changed, order.flagged, \
         order.payment, order.delivery, order.stock, call.ended"
    );
}

#[test]
fn unknown_type_is_reported_before_the_data() {
    let body = json!({ "type": "order.deleted" });
    assert_violation(body, "type", "must be one of");
}

#[test]
fn data_must_be_an_object() {
    assert_violation(
        with(created(), "/data", Some(json!([]))),
        "data",
        "must be an object",
    );
    assert_violation(with(created(), "/data", None), "data", "is required");
}

#[test]
fn timestamp_must_be_rfc3339() {
    let body = with(created(), "/timestamp", Some(json!("24.11.2026 10:15")));
    assert_violation(body, "timestamp", "RFC 3339");
}

#[test]
fn order_id_rules_name_data_order_id() {
    let cases = [
        (None, "is required"),
        (Some(json!("")), "must not be empty"),
        (Some(json!("A".repeat(65))), "at most 64 characters"),
        (Some(json!("A-1\n")), "control characters"),
        (Some(json!(1001)), "must be a string"),
    ];
    for (value, message) in cases {
        assert_violation(
            with(created(), "/data/order_id", value),
            "data.order_id",
            message,
        );
    }
}

#[test]
fn created_at_must_be_rfc3339() {
    let body = with(created(), "/data/created_at", Some(json!("yesterday")));
    assert_violation(body, "data.created_at", "RFC 3339");
}

#[test]
fn currency_must_be_three_upper_case_letters() {
    let body = with(created(), "/data/currency", Some(json!("rub")));
    assert_violation(body, "data.currency", "three upper-case letters");
    assert_violation(
        with(created(), "/data/currency", None),
        "data.currency",
        "is required",
    );
}

#[test]
fn channel_and_order_method_must_be_codes() {
    let body = with(created(), "/data/channel", Some(json!("Web Site")));
    assert_violation(body, "data.channel", "must be a code");
    let body = with(created(), "/data/order_method", Some(json!("x".repeat(33))));
    assert_violation(body, "data.order_method", "must be a code");
}

#[test]
fn customer_type_is_person_or_company() {
    let body = with(created(), "/data/customer_type", Some(json!("robot")));
    let (field, message) = violation(&body);
    assert_eq!(field, "data.customer_type");
    assert_eq!(message, "must be one of: person, company");
}

#[test]
fn customer_needs_a_phone_or_an_email() {
    let body = with(
        created(),
        "/data/customer",
        Some(json!({ "name": "Анна", "phone": "" })),
    );
    assert_violation(body, "data.customer", "phone or an email");
    assert_violation(
        with(created(), "/data/customer", None),
        "data.customer",
        "is required",
    );
}

#[test]
fn bad_phone_and_email_name_their_field() {
    let body = with(created(), "/data/customer/phone", Some(json!("call me")));
    assert_violation(body, "data.customer.phone", "is not a phone number");
    let body = with(
        created(),
        "/data/customer/email",
        Some(json!("anna-at-example.com")),
    );
    assert_violation(body, "data.customer.email", "is not an email address");
    let body = with(
        created(),
        "/data/customer/name",
        Some(json!("Я".repeat(201))),
    );
    assert_violation(body, "data.customer.name", "at most 200 characters");
}

#[test]
fn items_must_be_a_list_of_1_to_500() {
    let item = json!({ "sku": "S", "name": "N", "qty": 1, "price": 1 });
    assert_violation(
        with(created(), "/data/items", Some(json!([]))),
        "data.items",
        "at least 1",
    );
    let many = Value::Array(vec![item; 501]);
    assert_violation(
        with(created(), "/data/items", Some(many)),
        "data.items",
        "at most 500",
    );
    assert_violation(
        with(created(), "/data/items", Some(json!({}))),
        "data.items",
        "must be an array",
    );
    assert_violation(
        with(created(), "/data/items", None),
        "data.items",
        "is required",
    );
    let body = with(created(), "/data/items/1", Some(json!("CUP-010")));
    assert_violation(body, "data.items[1]", "must be an object");
}

#[test]
fn item_quantity_is_between_one_and_a_million() {
    for qty in [
        json!(0),
        json!(-1),
        json!(1_000_001),
        json!("2"),
        json!(1.5),
    ] {
        let body = with(created(), "/data/items/0/qty", Some(qty));
        assert_violation(
            body,
            "data.items[0].qty",
            "must be an integer from 1 to 1000000",
        );
    }
}

#[test]
fn item_price_must_be_a_whole_non_negative_amount() {
    let body = with(created(), "/data/items/1/price", Some(json!(1.5)));
    assert_violation(body, "data.items[1].price", "must be an integer ≥ 0");
    let body = with(created(), "/data/items/1/price", Some(json!(-100)));
    assert_violation(body, "data.items[1].price", "must be an integer ≥ 0");
    let body = with(
        created(),
        "/data/items/1/price",
        Some(json!(9_223_372_036_854_775_808u64)),
    );
    assert_violation(body, "data.items[1].price", "too large");
    let body = with(created(), "/data/items/1/price", Some(json!(1e300)));
    assert_violation(body, "data.items[1].price", "too large");
}

#[test]
fn item_sku_and_name_are_required_and_bounded() {
    let body = with(created(), "/data/items/0/sku", Some(json!("")));
    assert_violation(body, "data.items[0].sku", "must not be empty");
    let body = with(created(), "/data/items/1/name", None);
    assert_violation(body, "data.items[1].name", "is required");
    let body = with(
        created(),
        "/data/items/1/name",
        Some(json!("n".repeat(501))),
    );
    assert_violation(body, "data.items[1].name", "at most 500 characters");
}

#[test]
fn delivery_fields_are_checked() {
    let delivery = json!({ "type": "courier", "address": "a".repeat(1001) });
    let body = with(created(), "/data/delivery", Some(delivery));
    assert_violation(body, "data.delivery.address", "at most 1000 characters");
    let body = with(created(), "/data/delivery", Some(json!({ "cost": -5 })));
    assert_violation(body, "data.delivery.cost", "must be an integer ≥ 0");
    let body = with(
        created(),
        "/data/delivery",
        Some(json!({ "type": "Курьер" })),
    );
    assert_violation(body, "data.delivery.type", "must be a code");
    let body = with(created(), "/data/delivery", Some(json!("courier")));
    assert_violation(body, "data.delivery", "must be an object");
}

#[test]
fn discount_and_total_are_integers_in_minor_units() {
    let body = with(created(), "/data/discount", Some(json!("0")));
    assert_violation(body, "data.discount", "must be an integer ≥ 0");
    assert_violation(
        with(created(), "/data/total", None),
        "data.total",
        "is required",
    );
    let body = with(created(), "/data/total", Some(json!(2100.5)));
    assert_violation(body, "data.total", "must be an integer ≥ 0");
}

#[test]
fn utm_comment_and_manager_are_bounded() {
    let body = with(
        created(),
        "/data/utm",
        Some(json!({ "source": "s".repeat(201) })),
    );
    assert_violation(body, "data.utm.source", "at most 200 characters");
    let body = with(created(), "/data/utm", Some(json!({ "term": 5 })));
    assert_violation(body, "data.utm.term", "must be a string");
    let body = with(created(), "/data/comment", Some(json!("c".repeat(2001))));
    assert_violation(body, "data.comment", "at most 2000 characters");
    let body = with(created(), "/data/manager", Some(json!("m".repeat(65))));
    assert_violation(body, "data.manager", "at most 64 characters");
}

#[test]
fn status_must_be_a_status_code() {
    for status in ["Confirmed", "on_hold", "", "x".repeat(41).as_str()] {
        let body = status_change(json!({ "order_id": "A-1", "status": status }));
        assert_violation(body, "data.status", "must be a status code");
    }
    let body = status_change(json!({ "order_id": "A-1" }));
    assert_violation(body, "data.status", "is required");
}

#[test]
fn actor_needs_a_known_type_and_an_id() {
    let body = status_change(json!({
        "order_id": "A-1", "status": "confirmed", "actor": { "type": "robot", "id": "r2" }
    }));
    let (field, message) = violation(&body);
    assert_eq!(field, "data.actor.type");
    assert_eq!(
        message,
        "must be one of: staff, customer, system, integration"
    );
    let body = status_change(json!({
        "order_id": "A-1", "status": "confirmed", "actor": { "type": "staff" }
    }));
    assert_violation(body, "data.actor.id", "is required");
}

#[test]
fn update_checks_the_fields_it_carries() {
    let body = update(
        json!({ "order_id": "A-1", "items": [{ "sku": "S", "name": "N", "qty": 0, "price": 1 }] }),
    );
    assert_violation(body, "data.items[0].qty", "from 1 to 1000000");
    let body = update(json!({ "order_id": "A-1", "customer": { "phone": "12" } }));
    assert_violation(body, "data.customer.phone", "is not a phone number");
    let body = update(json!({ "order_id": "A-1", "total": -1 }));
    assert_violation(body, "data.total", "must be an integer ≥ 0");
    let body = update(json!({ "items": [] }));
    assert_violation(body, "data.order_id", "is required");
}

#[test]
fn update_with_only_an_order_id_changes_nothing() {
    let Ok(OrderEvent::Updated(u)) = parse(&update(json!({ "order_id": "A-1" }))) else {
        panic!("refused");
    };
    assert_eq!(
        (u.customer, u.items, u.total, u.comment),
        (None, None, None, None)
    );
}

#[test]
fn invalid_error_displays_field_and_message() {
    let err = EventError::Invalid {
        field: "data.items[0].qty".into(),
        message: "must be an integer from 1 to 1000000".into(),
    };
    assert_eq!(
        err.to_string(),
        "data.items[0].qty must be an integer from 1 to 1000000"
    );
}

#[test]
fn customer_time_zone_must_be_a_known_zone() {
    let body = with(
        created(),
        "/data/customer/time_zone",
        Some(json!("Asia/Vladivostock")),
    );
    assert_violation(body, "data.customer.time_zone", "unknown time zone");
    let body = with(created(), "/data/customer/time_zone", Some(json!(10)));
    violation(&body);
}

#[test]
fn customer_time_zone_is_kept_as_the_database_names_it() {
    let body = with(
        created(),
        "/data/customer/time_zone",
        Some(json!(" Asia/Vladivostok ")),
    );
    assert_eq!(
        parse_created(&body).customer_time_zone.as_deref(),
        Some("Asia/Vladivostok")
    );
    assert_eq!(parse_created(&created()).customer_time_zone, None);
}
