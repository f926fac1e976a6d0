//! The stored state of an order and what an `order.updated` event does to it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::{CustomerContact, Delivery, Item, NewOrder, OrderId, OrderUpdate};

/// The status every new order starts in.
pub const INITIAL_STATUS: &str = "new";

/// What is stored about an order, as the shell loads it from the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSnapshot {
    /// The shop's order number.
    pub order_id: OrderId,
    /// Current status code.
    pub status: String,
    /// The order's customer contact.
    pub customer: CustomerContact,
    /// Current order lines.
    pub items: Vec<Item>,
    /// Delivery method, address and cost.
    pub delivery: Delivery,
    /// Discount in minor units.
    pub discount: i64,
    /// What the customer pays, in minor units.
    pub total: i64,
    /// The customer's comment.
    pub comment: Option<String>,
    /// Responsible staff member.
    pub manager: Option<String>,
}

impl OrderSnapshot {
    /// The state of a freshly created order, in status [`INITIAL_STATUS`].
    pub fn from_new_order(order: &NewOrder) -> OrderSnapshot {
        OrderSnapshot {
            order_id: order.order_id.clone(),
            status: INITIAL_STATUS.to_owned(),
            customer: order.customer.clone(),
            items: order.items.clone(),
            delivery: order.delivery.clone(),
            discount: order.discount,
            total: order.total,
            comment: order.comment.clone(),
            manager: order.manager.clone(),
        }
    }
}

/// One field an update changes, with its old and new value as JSON (`null` for none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// `customer.name`, `items`, `delivery.cost`, `total`, …
    pub field: String,
    /// The value before.
    pub from: Value,
    /// The value after.
    pub to: Value,
}

/// The changes an update would make: one entry per field that really differs (fields:
/// "customer.name", "customer.phone", "customer.email", "items", "delivery.type",
/// "delivery.address", "delivery.cost", "discount", "total", "comment", "manager"), in that
/// order. Values are JSON (items as an array of objects with sku, name, qty, price,
/// category; phone/email as strings; null for none).
pub fn diff_update(current: &OrderSnapshot, update: &OrderUpdate) -> Vec<FieldChange> {
    let updated = apply_update(current, update);
    let mut changes = Vec::new();
    let mut compare = |field: &str, from: Value, to: Value| {
        if from != to {
            changes.push(FieldChange {
                field: field.to_owned(),
                from,
                to,
            });
        }
    };
    let (a, b) = (current, &updated);
    compare(
        "customer.name",
        json(&a.customer.name),
        json(&b.customer.name),
    );
    compare(
        "customer.phone",
        json(&a.customer.phone),
        json(&b.customer.phone),
    );
    compare(
        "customer.email",
        json(&a.customer.email),
        json(&b.customer.email),
    );
    compare("items", json(&a.items), json(&b.items));
    compare(
        "delivery.type",
        json(&a.delivery.kind),
        json(&b.delivery.kind),
    );
    compare(
        "delivery.address",
        json(&a.delivery.address),
        json(&b.delivery.address),
    );
    compare(
        "delivery.cost",
        json(&a.delivery.cost),
        json(&b.delivery.cost),
    );
    compare("discount", json(&a.discount), json(&b.discount));
    compare("total", json(&a.total), json(&b.total));
    compare("comment", json(&a.comment), json(&b.comment));
    compare("manager", json(&a.manager), json(&b.manager));
    changes
}

/// Strings, integers and the derived item structs always serialise; `Null` is unreachable.
fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Applies the changes to a snapshot (returns the new snapshot). Absent fields stay as
/// they are; `items` replaces the whole list. The status is not touched.
pub fn apply_update(current: &OrderSnapshot, update: &OrderUpdate) -> OrderSnapshot {
    let mut next = current.clone();
    if let Some(customer) = &update.customer {
        set(&mut next.customer.name, &customer.name);
        set(&mut next.customer.phone, &customer.phone);
        set(&mut next.customer.email, &customer.email);
    }
    if let Some(items) = &update.items {
        next.items = items.clone();
    }
    if let Some(delivery) = &update.delivery {
        set(&mut next.delivery.kind, &delivery.kind);
        set(&mut next.delivery.address, &delivery.address);
        next.delivery.cost = delivery.cost.unwrap_or(next.delivery.cost);
    }
    next.discount = update.discount.unwrap_or(next.discount);
    next.total = update.total.unwrap_or(next.total);
    set(&mut next.comment, &update.comment);
    set(&mut next.manager, &update.manager);
    next
}

fn set<T: Clone>(target: &mut Option<T>, new: &Option<T>) {
    if new.is_some() {
        target.clone_from(new);
    }
}

/// Sum of `qty × price` over the lines, saturating instead of overflowing.
pub fn items_total(items: &[Item]) -> i64 {
    items.iter().fold(0i64, |sum, item| {
        sum.saturating_add(i64::from(item.qty).saturating_mul(item.price))
    })
}

#[cfg(test)]
mod tests;
