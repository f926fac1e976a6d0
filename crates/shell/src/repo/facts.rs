//! What the trigger engine knows about an order and its customer, loaded from the database,
//! and the small writes its actions make (fields, tags).

use std::collections::BTreeMap;

use orderpath_core::automation::facts::{CustomerFacts, Facts, OrderFacts, PickupPoint};
use orderpath_core::event::OrderId;
use serde_json::{Map, Value};

use crate::clock::Timestamp;
use crate::db::{get_int, get_text, int, req_text, text, Db, DbError};

/// Order columns the engine may set directly; any other field goes to the `fields` JSON.
const COLUMN_FIELDS: &[&str] = &["payment_status", "delivery_status", "manager", "comment"];

/// Loads the facts for an order, `None` if it does not exist.
pub fn load(db: &Db, order_id: &str, now: Timestamp) -> Result<Option<Facts>, DbError> {
    let Some(snapshot) = crate::repo::orders::load(db, order_id)? else {
        return Ok(None);
    };
    // One statement for the rest: the order's columns, its no-answer count (O3), and its
    // customer's language, zone, tags, segment, last order and consent.
    let row = db
        .row(
            "SELECT o.payment_status, o.delivery_status, o.channel, o.order_method,
                    o.customer_type, o.currency, o.status_entered_at, o.fields, o.customer_id,
                    (SELECT COUNT(*) FROM order_history AS h
                     WHERE h.order_id = o.id AND h.field = 'status' AND h.outcome = 'applied'
                       AND h.new_value IN ('\"no-answer-1\"', '\"no-answer-2\"')),
                    c.language, c.time_zone,
                    (SELECT json_group_array(t.tag) FROM customer_tags AS t
                     WHERE t.customer_id = o.customer_id),
                    c.segment,
                    (SELECT MAX(unixepoch(co.created_at)) FROM orders AS co
                     WHERE co.customer_id = o.customer_id),
                    (SELECT granted FROM customer_consents
                     WHERE customer_id = o.customer_id AND channel = 'email'),
                    (SELECT granted FROM customer_consents
                     WHERE customer_id = o.customer_id AND channel = 'sms')
             FROM orders AS o LEFT JOIN customers AS c ON c.id = o.customer_id
             WHERE o.id = ?",
            &[text(order_id)],
        )?
        .ok_or(DbError::Shape("order vanished"))?;
    let fields: Map<String, Value> = get_text(&row, 7)?
        .and_then(|f| serde_json::from_str(&f).ok())
        .unwrap_or_default();
    let id = OrderId::parse(order_id).map_err(|_| DbError::Shape("stored order id"))?;
    let mut order = OrderFacts::new(id, &snapshot.status);
    order.status_entered_at = get_text(&row, 6)?
        .and_then(|t| Timestamp::parse_rfc3339(&t))
        .map_or(now.unix(), Timestamp::unix);
    order.payment_status = req_text(&row, 0)?;
    order.delivery_status = get_text(&row, 1)?;
    order.channel = req_text(&row, 2)?;
    order.order_method = req_text(&row, 3)?;
    order.customer_type = req_text(&row, 4)?;
    order.currency = req_text(&row, 5)?;
    order.delivery_type = snapshot.delivery.kind.clone();
    order.delivery_address = snapshot.delivery.address.clone();
    order.delivery_cost = snapshot.delivery.cost;
    order.total = snapshot.total;
    order.discount = snapshot.discount;
    order.items = snapshot.items.clone();
    order.manager = snapshot.manager.clone();
    let text_field = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
    order.callback_at = text_field("callback_at")
        .and_then(|t| Timestamp::parse_rfc3339(&t))
        .map(Timestamp::unix);
    order.track_number = text_field("track_number");
    order.tracking_url = text_field("tracking_url");
    order.carrier = text_field("carrier");
    order.carrier_integrated = fields
        .get("carrier_integrated")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    order.pickup_point = fields
        .get("pickup_point")
        .and_then(|p| serde_json::from_value::<PickupPoint>(p.clone()).ok());
    order.payment_link = text_field("payment_link");
    order.cancel_reason = text_field("cancel_reason");
    order.flags = fields
        .get("flags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    order.no_answer_attempts = u32::try_from(get_int(&row, 9)?.unwrap_or(0)).unwrap_or(u32::MAX);
    order.fields = fields.into_iter().collect::<BTreeMap<_, _>>();

    let language = get_text(&row, 10)?.and_then(|l| orderpath_core::message::Language::parse(&l));
    let time_zone = get_text(&row, 11)?;
    let mut tags: Vec<String> = get_text(&row, 12)?
        .map(|json| serde_json::from_str(&json).map_err(|_| DbError::Shape("customer tags")))
        .transpose()?
        .unwrap_or_default();
    tags.sort();
    let customer = CustomerFacts {
        name: snapshot.customer.name.clone(),
        phone: snapshot
            .customer
            .phone
            .as_ref()
            .map(|p| p.as_str().to_owned()),
        email: snapshot
            .customer
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned()),
        tags,
        language,
        time_zone,
        // The marketing facts (M4, M9, consent) ride in the same statement.
        id: get_int(&row, 8)?,
        segment: get_text(&row, 13)?,
        last_order_at: get_int(&row, 14)?,
        marketing_email: get_int(&row, 15)? == Some(1),
        marketing_sms: get_int(&row, 16)? == Some(1),
        unsubscribe_url: None,
    };
    Ok(Some(Facts {
        now: now.unix(),
        order: Some(order),
        customer: Some(customer),
    }))
}

/// Sets an order field: a column for the built-in ones, else a key of the `fields` JSON.
pub fn set_field(db: &Db, order_id: &str, field: &str, value: &Value) -> Result<(), DbError> {
    if COLUMN_FIELDS.contains(&field) {
        let value = match value {
            Value::Null => spin_sdk::sqlite::Value::Null,
            Value::String(s) => text(s.clone()),
            other => text(other.to_string()),
        };
        db.execute(
            &format!("UPDATE orders SET {field} = ? WHERE id = ?"),
            &[value, text(order_id)],
        )?;
        return Ok(());
    }
    db.execute(
        "UPDATE orders SET fields = json_set(fields, '$.' || json_quote(?), json(?)) WHERE id = ?",
        &[text(field), text(value.to_string()), text(order_id)],
    )?;
    Ok(())
}

/// The order's customer id, if it has a customer.
pub fn customer_id(db: &Db, order_id: &str) -> Result<Option<i64>, DbError> {
    Ok(db
        .row(
            "SELECT customer_id FROM orders WHERE id = ?",
            &[text(order_id)],
        )?
        .map(|r| get_int(&r, 0))
        .transpose()?
        .flatten())
}

/// Adds or removes a tag of the order's customer.
pub fn tag_customer(
    db: &Db,
    order_id: &str,
    tag: &str,
    add: bool,
    now: Timestamp,
) -> Result<(), DbError> {
    let Some(customer) = customer_id(db, order_id)? else {
        return Ok(());
    };
    tag_customer_id(db, customer, tag, add, now)
}

/// Adds or removes a customer's tag.
pub fn tag_customer_id(
    db: &Db,
    customer: i64,
    tag: &str,
    add: bool,
    now: Timestamp,
) -> Result<(), DbError> {
    if add {
        db.execute(
            "INSERT INTO customer_tags (customer_id, tag, added_at) VALUES (?, ?, ?)
             ON CONFLICT DO NOTHING",
            &[int(customer), text(tag), text(now.to_rfc3339())],
        )?;
    } else {
        db.execute(
            "DELETE FROM customer_tags WHERE customer_id = ? AND tag = ?",
            &[int(customer), text(tag)],
        )?;
    }
    Ok(())
}

/// Sets the automation fields an event carries; returns `(name, old, new)` for each that
/// really changed.
pub fn apply_fields(
    db: &Db,
    order_id: &str,
    fields: &[(String, Value)],
) -> Result<Vec<(String, Value, Value)>, DbError> {
    if fields.is_empty() {
        return Ok(Vec::new());
    }
    let current: Map<String, Value> = db
        .row("SELECT fields FROM orders WHERE id = ?", &[text(order_id)])?
        .map(|r| get_text(&r, 0))
        .transpose()?
        .flatten()
        .and_then(|f| serde_json::from_str(&f).ok())
        .unwrap_or_default();
    let mut changed = Vec::new();
    for (name, value) in fields {
        let old = current.get(name).cloned().unwrap_or(Value::Null);
        if &old == value {
            continue;
        }
        if value.is_null() {
            db.execute(
                "UPDATE orders SET fields = json_remove(fields, '$.' || json_quote(?)) WHERE id = ?",
                &[text(name.clone()), text(order_id)],
            )?;
        } else {
            set_field(db, order_id, name, value)?;
        }
        changed.push((name.clone(), old, value.clone()));
    }
    Ok(changed)
}

/// Adds an operator's flag to the order; false when it already had it.
pub fn add_flag(db: &Db, order_id: &str, flag: &str) -> Result<bool, DbError> {
    let row = db.row(
        "UPDATE orders SET fields = json_set(fields, '$.flags',
             json_insert(COALESCE(json_extract(fields, '$.flags'), json('[]')), '$[#]', ?1))
         WHERE id = ?2
           AND NOT EXISTS (SELECT 1 FROM json_each(COALESCE(json_extract(fields, '$.flags'), '[]'))
                           WHERE value = ?1)
         RETURNING id",
        &[text(flag), text(order_id)],
    )?;
    Ok(row.is_some())
}
