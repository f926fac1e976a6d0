mod examples;
mod reports;
mod violations;

use serde_json::{json, Value};

use super::*;

/// A valid `order.created` body to break one field at a time.
fn created() -> Value {
    json!({
        "type": "order.created",
        "timestamp": "2026-11-24T10:15:00Z",
        "data": {
            "order_id": "A-1001",
            "currency": "RUB",
            "customer": { "name": "Анна", "phone": "8 912 345-67-89" },
            "items": [
                { "sku": "TEA-001", "name": "Чай", "qty": 2, "price": 45000 },
                { "sku": "CUP-010", "name": "Чашка", "qty": 1, "price": 120000 }
            ],
            "total": 210000
        }
    })
}

fn parse(body: &Value) -> Result<OrderEvent, EventError> {
    parse_order_event(body.to_string().as_bytes())
}

fn parse_created(body: &Value) -> NewOrder {
    match parse(body) {
        Ok(OrderEvent::Created(order)) => order,
        other => panic!("expected order.created, got {other:?}"),
    }
}

/// `body` with the value at a JSON pointer replaced (or removed when `value` is `None`).
fn with(mut body: Value, pointer: &str, value: Option<Value>) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
    let target = body.pointer_mut(parent).expect("parent exists");
    match (target, value) {
        (Value::Object(map), Some(v)) => {
            map.insert(key.to_owned(), v);
        }
        (Value::Object(map), None) => {
            map.remove(key);
        }
        (Value::Array(items), Some(v)) => items[key.parse::<usize>().expect("index")] = v,
        (Value::Array(items), None) => {
            items.remove(key.parse::<usize>().expect("index"));
        }
        (other, _) => panic!("cannot edit {other}"),
    }
    body
}
