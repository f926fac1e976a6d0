use super::*;

/// Every complete example payload of the specification (the JSON blocks with a `data`
/// object), read from the document itself so the two cannot drift apart.
fn documented_examples() -> Vec<String> {
    let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/order-events.md");
    let doc = std::fs::read_to_string(doc_path).expect("docs/order-events.md is readable");
    doc.split("```json")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter(|block| serde_json::from_str::<Value>(block).is_ok_and(|v| v["data"].is_object()))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_documented_example_parses() {
    let examples = documented_examples();
    let types: Vec<&str> = examples
        .iter()
        .map(|body| match parse_order_event(body.as_bytes()) {
            Ok(event) => event.type_name(),
            Err(e) => panic!("documented example refused: {e}\n{body}"),
        })
        .collect();
    assert_eq!(types, OrderEvent::TYPE_NAMES);
}

#[test]
fn documented_order_created_example_is_read_field_by_field() {
    let body = &documented_examples()[0];
    let Ok(OrderEvent::Created(order)) = parse_order_event(body.as_bytes()) else {
        panic!("not an order.created");
    };
    assert_eq!(order.order_id.as_str(), "A-1001");
    assert_eq!(
        order.created_at.as_deref(),
        Some("2026-11-24T10:15:00+03:00")
    );
    assert_eq!(order.currency.as_str(), "RUB");
    assert_eq!(
        (order.channel.as_str(), order.order_method.as_str()),
        ("site", "cart")
    );
    assert_eq!(order.customer_type, "person");
    assert_eq!(order.customer.name.as_deref(), Some("Анна Петрова"));
    assert_eq!(
        order.customer.phone.as_ref().map(|p| p.as_str()),
        Some("+79123456789")
    );
    assert_eq!(
        order.customer.email.as_ref().map(|e| e.as_str()),
        Some("anna@example.com")
    );
    assert_eq!(order.items.len(), 2);
    assert_eq!(order.items[0].qty, 2);
    assert_eq!(order.items[1].price, 120_000);
    assert_eq!(order.items[1].category.as_deref(), Some("dishes"));
    assert_eq!(order.delivery.kind.as_deref(), Some("courier"));
    assert_eq!(order.delivery.cost, 30_000);
    assert_eq!((order.discount, order.total), (0, 240_000));
    assert_eq!(order.utm.campaign.as_deref(), Some("tea-autumn"));
    assert_eq!(order.utm.content, None);
    assert_eq!(order.comment.as_deref(), Some("Позвонить перед доставкой"));
    assert_eq!(order.manager, None);
}

#[test]
fn documented_update_and_status_examples_keep_actor_and_changes() {
    let examples = documented_examples();
    let Ok(OrderEvent::Updated(update)) = parse_order_event(examples[1].as_bytes()) else {
        panic!("not an order.updated");
    };
    let actor = update.actor.as_ref().expect("actor");
    assert_eq!(actor.label(), "staff:m.ivanova");
    assert_eq!(actor.name.as_deref(), Some("Мария Иванова"));
    let customer = update.customer.expect("customer");
    assert_eq!(
        customer.phone.map(|p| p.to_string()).as_deref(),
        Some("+79123456700")
    );
    assert_eq!(customer.name, None);
    assert_eq!(update.items.as_ref().map(Vec::len), Some(1));
    let delivery = update.delivery.expect("delivery");
    assert_eq!(delivery.kind.as_deref(), Some("pickup-point"));
    assert_eq!(delivery.cost, None);
    assert_eq!((update.discount, update.total), (Some(5000), Some(160_000)));

    let Ok(OrderEvent::StatusChanged(change)) = parse_order_event(examples[2].as_bytes()) else {
        panic!("not an order.status_changed");
    };
    assert_eq!(change.status, "confirmed");
    assert_eq!(change.reason, None);
    assert_eq!(change.actor.map(|a| a.kind), Some(ActorKind::Staff));
}

#[test]
fn optional_fields_take_their_documented_defaults() {
    let order = parse_created(&created());
    assert_eq!(order.channel, "site");
    assert_eq!(order.order_method, "cart");
    assert_eq!(order.customer_type, "person");
    assert_eq!(order.delivery, Delivery::default());
    assert_eq!(order.discount, 0);
    assert_eq!(order.utm, Utm::default());
    assert_eq!(order.created_at, None);
}

#[test]
fn null_and_blank_optional_fields_mean_not_given() {
    let body = with(created(), "/data/customer/email", Some(json!("  ")));
    let body = with(body, "/data/comment", Some(json!("")));
    let body = with(body, "/data/delivery", Some(Value::Null));
    let body = with(body, "/data/channel", Some(Value::Null));
    let order = parse_created(&body);
    assert_eq!(order.customer.email, None);
    assert_eq!(order.comment, None);
    assert_eq!(order.channel, "site");
}

#[test]
fn blank_timestamps_mean_not_given() {
    let body = with(created(), "/timestamp", Some(json!("")));
    let body = with(body, "/data/created_at", Some(json!(" ")));
    assert_eq!(parse_created(&body).created_at, None);
    let body = with(
        created(),
        "/data/created_at",
        Some(json!(" 2026-11-24T10:15:00+03:00 ")),
    );
    assert_eq!(
        parse_created(&body).created_at.as_deref(),
        Some("2026-11-24T10:15:00+03:00")
    );
}

#[test]
fn unknown_fields_are_ignored() {
    let body = with(created(), "/data/loyalty_card", Some(json!({"no": 5})));
    let body = with(body, "/data/items/0/weight_g", Some(json!(100)));
    let body = with(body, "/extra", Some(json!([1, 2])));
    assert!(parse(&body).is_ok());
}

#[test]
fn whole_floats_count_as_integers() {
    let body = with(created(), "/data/items/0/price", Some(json!(45000.0)));
    assert_eq!(parse_created(&body).items[0].price, 45000);
}

#[test]
fn optional_text_is_trimmed_and_the_limit_counts_characters() {
    let body = with(
        created(),
        "/data/customer/name",
        Some(json!(format!("  {}  ", "Ж".repeat(200)))),
    );
    assert_eq!(
        parse_created(&body)
            .customer
            .name
            .map(|n| n.chars().count()),
        Some(200)
    );
}

#[test]
fn email_only_customer_is_enough() {
    let body = with(
        created(),
        "/data/customer",
        Some(json!({"email": "Anna@Example.com"})),
    );
    let order = parse_created(&body);
    assert_eq!(
        order.customer.email.map(|e| e.to_string()).as_deref(),
        Some("anna@example.com")
    );
    assert_eq!(order.customer.phone, None);
}

#[test]
fn byte_order_mark_before_the_json_is_tolerated() {
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(created().to_string().bytes());
    assert!(parse_order_event(&body).is_ok());
}

#[test]
fn event_knows_its_type_name_and_order() {
    let event = parse(&created()).unwrap();
    assert_eq!(event.type_name(), "order.created");
    assert_eq!(event.order_id().map(OrderId::as_str), Some("A-1001"));
}

#[test]
fn status_change_with_a_well_formed_unknown_status_is_left_to_the_path() {
    let body = json!({"type": "order.status_changed", "data": {"order_id": "A-1", "status": "teleported"}});
    let Ok(OrderEvent::StatusChanged(change)) = parse(&body) else {
        panic!("refused");
    };
    assert_eq!(change.status, "teleported");
    assert_eq!(change.actor, None);
}
