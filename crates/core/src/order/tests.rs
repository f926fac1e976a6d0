use serde_json::json;

use super::*;
use crate::contact::{Email, Phone};
use crate::event::{DeliveryPatch, OrderUpdate};

fn item(sku: &str, qty: u32, price: i64) -> Item {
    Item {
        sku: sku.into(),
        name: format!("Product {sku}"),
        qty,
        price,
        category: None,
    }
}

fn snapshot() -> OrderSnapshot {
    OrderSnapshot {
        order_id: OrderId::parse("A-1001").unwrap(),
        status: "new".into(),
        customer: CustomerContact {
            name: Some("Анна".into()),
            phone: Some(Phone::parse("+79123456789").unwrap()),
            email: None,
        },
        items: vec![item("TEA-001", 2, 45_000)],
        delivery: Delivery {
            kind: Some("courier".into()),
            address: Some("Москва".into()),
            cost: 30_000,
        },
        discount: 0,
        total: 120_000,
        comment: None,
        manager: None,
    }
}

fn empty_update() -> OrderUpdate {
    OrderUpdate {
        order_id: OrderId::parse("A-1001").unwrap(),
        actor: None,
        customer: None,
        items: None,
        delivery: None,
        discount: None,
        total: None,
        comment: None,
        manager: None,
        fields: Vec::new(),
    }
}

fn fields(changes: &[FieldChange]) -> Vec<&str> {
    changes.iter().map(|c| c.field.as_str()).collect()
}

#[test]
fn update_repeating_current_values_changes_nothing() {
    let current = snapshot();
    let update = OrderUpdate {
        customer: Some(current.customer.clone()),
        items: Some(current.items.clone()),
        delivery: Some(DeliveryPatch {
            kind: Some("courier".into()),
            address: None,
            cost: Some(30_000),
        }),
        total: Some(120_000),
        ..empty_update()
    };
    assert!(diff_update(&current, &update).is_empty());
    assert_eq!(apply_update(&current, &update), current);
}

#[test]
fn only_real_changes_are_reported_in_field_order() {
    let update = OrderUpdate {
        manager: Some("m.ivanova".into()),
        total: Some(160_000),
        items: Some(vec![item("TEA-001", 3, 45_000)]),
        customer: Some(CustomerContact {
            name: Some("Анна".into()),
            phone: Some(Phone::parse("+7 912 345 67 00").unwrap()),
            email: Some(Email::parse("anna@example.com").unwrap()),
        }),
        discount: Some(0),
        ..empty_update()
    };
    let changes = diff_update(&snapshot(), &update);
    assert_eq!(
        fields(&changes),
        [
            "customer.phone",
            "customer.email",
            "items",
            "total",
            "manager"
        ]
    );
    assert_eq!(changes[0].from, json!("+79123456789"));
    assert_eq!(changes[0].to, json!("+79123456700"));
    assert_eq!(changes[1].from, json!(null));
    assert_eq!(
        changes[2].to,
        json!([{ "sku": "TEA-001", "name": "Product TEA-001", "qty": 3, "price": 45000, "category": null }])
    );
    assert_eq!(
        (changes[3].from.clone(), changes[3].to.clone()),
        (json!(120000), json!(160000))
    );
}

#[test]
fn delivery_patch_changes_only_the_fields_it_carries() {
    let update = OrderUpdate {
        delivery: Some(DeliveryPatch {
            kind: Some("pickup-point".into()),
            address: Some("ПВЗ СДЭК, ул. Ленина, 5".into()),
            cost: None,
        }),
        ..empty_update()
    };
    let changes = diff_update(&snapshot(), &update);
    assert_eq!(fields(&changes), ["delivery.type", "delivery.address"]);
    let next = apply_update(&snapshot(), &update);
    assert_eq!(next.delivery.cost, 30_000);
    assert_eq!(next.delivery.kind.as_deref(), Some("pickup-point"));
}

#[test]
fn applying_an_update_keeps_absent_fields_and_the_status() {
    let update = OrderUpdate {
        comment: Some("Позвонить".into()),
        discount: Some(5_000),
        ..empty_update()
    };
    let next = apply_update(&snapshot(), &update);
    assert_eq!(next.comment.as_deref(), Some("Позвонить"));
    assert_eq!(next.discount, 5_000);
    assert_eq!(next.status, "new");
    assert_eq!(next.customer, snapshot().customer);
    assert_eq!(next.items, snapshot().items);
}

#[test]
fn reordered_items_are_a_change() {
    let mut current = snapshot();
    current.items.push(item("CUP-010", 1, 120_000));
    let reversed: Vec<Item> = current.items.iter().rev().cloned().collect();
    let update = OrderUpdate {
        items: Some(reversed),
        ..empty_update()
    };
    assert_eq!(fields(&diff_update(&current, &update)), ["items"]);
}

#[test]
fn items_total_multiplies_and_saturates() {
    assert_eq!(items_total(&[]), 0);
    assert_eq!(
        items_total(&[item("A", 2, 45_000), item("B", 1, 120_000)]),
        210_000
    );
    assert_eq!(
        items_total(&[item("A", 1_000_000, i64::MAX / 2), item("B", 1, 1)]),
        i64::MAX
    );
}

#[test]
fn new_order_snapshot_starts_in_status_new() {
    let body = br#"{"type":"order.created","data":{"order_id":"A-7","currency":"RUB",
        "customer":{"email":"a@b.ru"},"items":[{"sku":"S","name":"N","qty":1,"price":100}],"total":100}}"#;
    let Ok(crate::event::OrderEvent::Created(order)) = crate::event::parse_order_event(body) else {
        panic!("example refused");
    };
    let snap = OrderSnapshot::from_new_order(&order);
    assert_eq!(snap.status, INITIAL_STATUS);
    assert_eq!(snap.total, 100);
    assert_eq!(snap.items, order.items);
}
