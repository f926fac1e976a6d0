//! The order repository: orders, their items, customers and history.
//!
//! Customers are keyed by normalised phone and by email, both UNIQUE: an order is linked to the
//! customer with its phone, else the one with its email, else a new one. A known customer's
//! missing name or contacts are filled in, but never with a contact another customer owns.

use orderpath_core::event::{CustomerContact, Delivery, Item, NewOrder, OrderId};
use orderpath_core::message::Language;
use orderpath_core::order::OrderSnapshot;

use crate::clock::Timestamp;
use crate::db::{get_int, get_text, int, opt_text, req_int, req_text, text, Db, DbError};

/// Whether an order with this id exists.
pub fn exists(db: &Db, order_id: &str) -> Result<bool, DbError> {
    Ok(db
        .row("SELECT 1 FROM orders WHERE id = ?", &[text(order_id)])?
        .is_some())
}

/// Finds the customer for a contact or creates one; `None` when the contact has neither phone
/// nor email. A language or time zone given replaces the stored one.
pub fn find_or_create_customer(
    db: &Db,
    contact: &CustomerContact,
    (language, time_zone): (Option<Language>, Option<&str>),
    now: Timestamp,
) -> Result<Option<i64>, DbError> {
    let phone = contact.phone.as_ref().map(|p| p.as_str().to_owned());
    let email = contact.email.as_ref().map(|e| e.as_str().to_owned());
    let mut found = None;
    if let Some(phone) = &phone {
        found = db.row(
            "SELECT id FROM customers WHERE phone = ?",
            &[text(phone.clone())],
        )?;
    }
    if found.is_none() {
        if let Some(email) = &email {
            found = db.row(
                "SELECT id FROM customers WHERE email = ?",
                &[text(email.clone())],
            )?;
        }
    }
    let now = now.to_rfc3339();
    match found {
        Some(row) => {
            let id = req_int(&row, 0)?;
            db.execute(
                "UPDATE customers SET
                    name = COALESCE(name, ?1),
                    phone = CASE WHEN phone IS NULL AND ?2 IS NOT NULL
                                  AND NOT EXISTS (SELECT 1 FROM customers WHERE phone = ?2)
                             THEN ?2 ELSE phone END,
                    email = CASE WHEN email IS NULL AND ?3 IS NOT NULL
                                  AND NOT EXISTS (SELECT 1 FROM customers WHERE email = ?3)
                             THEN ?3 ELSE email END,
                    updated_at = ?4,
                    language = COALESCE(?6, language),
                    time_zone = COALESCE(?7, time_zone)
                 WHERE id = ?5",
                &[
                    opt_text(contact.name.as_deref()),
                    opt_text(phone.as_deref()),
                    opt_text(email.as_deref()),
                    text(now),
                    int(id),
                    opt_text(language.map(Language::as_str)),
                    opt_text(time_zone),
                ],
            )?;
            Ok(Some(id))
        }
        None if phone.is_none() && email.is_none() => Ok(None),
        None => {
            let row = db
                .row(
                    "INSERT INTO customers
                        (name, phone, email, language, time_zone, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    &[
                        opt_text(contact.name.as_deref()),
                        opt_text(phone.as_deref()),
                        opt_text(email.as_deref()),
                        opt_text(language.map(Language::as_str)),
                        opt_text(time_zone),
                        text(now.clone()),
                        text(now),
                    ],
                )?
                .ok_or(DbError::Shape("customer insert returned no id"))?;
            Ok(Some(req_int(&row, 0)?))
        }
    }
}

/// Stores a new order and its items in status `status`.
pub fn insert(
    db: &Db,
    order: &NewOrder,
    status: &str,
    customer_id: Option<i64>,
    now: Timestamp,
) -> Result<(), DbError> {
    let now = now.to_rfc3339();
    let placed_at = order.created_at.clone().unwrap_or_else(|| now.clone());
    db.execute(
        "INSERT INTO orders (id, customer_id, status, currency, channel, order_method,
            customer_type, customer_name, customer_phone, customer_email, delivery_type,
            delivery_address, delivery_cost, discount, total, utm_source, utm_medium,
            utm_campaign, utm_content, utm_term, comment, manager, placed_at, created_at,
            updated_at, status_entered_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            &[
                text(order.order_id.as_str()),
                customer_id.map_or(spin_sdk::sqlite::Value::Null, int),
                text(status),
                text(order.currency.as_str()),
                text(order.channel.clone()),
                text(order.order_method.clone()),
                text(order.customer_type.clone()),
            ][..],
            &contact_and_sums(
                &order.customer,
                &order.delivery,
                order.discount,
                order.total,
            ),
            &[
                opt_text(order.utm.source.as_deref()),
                opt_text(order.utm.medium.as_deref()),
                opt_text(order.utm.campaign.as_deref()),
                opt_text(order.utm.content.as_deref()),
                opt_text(order.utm.term.as_deref()),
                opt_text(order.comment.as_deref()),
                opt_text(order.manager.as_deref()),
                text(placed_at),
                text(now.clone()),
                text(now.clone()),
                text(now),
            ],
        ]
        .concat(),
    )?;
    insert_items(db, order.order_id.as_str(), &order.items)
}

/// The columns `customer_name` … `total`, in that order, shared by insert and update.
fn contact_and_sums(
    customer: &CustomerContact,
    delivery: &Delivery,
    discount: i64,
    total: i64,
) -> [spin_sdk::sqlite::Value; 8] {
    [
        opt_text(customer.name.as_deref()),
        opt_text(customer.phone.as_ref().map(|p| p.as_str())),
        opt_text(customer.email.as_ref().map(|e| e.as_str())),
        opt_text(delivery.kind.as_deref()),
        opt_text(delivery.address.as_deref()),
        int(delivery.cost),
        int(discount),
        int(total),
    ]
}

/// Replaces an order's items.
fn replace_items(db: &Db, order_id: &str, items: &[Item]) -> Result<(), DbError> {
    db.execute(
        "DELETE FROM order_items WHERE order_id = ?",
        &[text(order_id)],
    )?;
    insert_items(db, order_id, items)
}

/// Inserts all items in one statement: a request's statements all run under the write lock.
fn insert_items(db: &Db, order_id: &str, items: &[Item]) -> Result<(), DbError> {
    if items.is_empty() {
        return Ok(());
    }
    let mut sql = String::from(
        "INSERT INTO order_items (order_id, line, sku, name, qty, price, category) VALUES ",
    );
    let mut params = Vec::with_capacity(items.len() * 7);
    for (line, item) in items.iter().enumerate() {
        sql.push_str(if line == 0 {
            "(?, ?, ?, ?, ?, ?, ?)"
        } else {
            ", (?, ?, ?, ?, ?, ?, ?)"
        });
        params.extend([
            text(order_id),
            int(line as i64 + 1),
            text(item.sku.clone()),
            text(item.name.clone()),
            int(i64::from(item.qty)),
            int(item.price),
            opt_text(item.category.as_deref()),
        ]);
    }
    db.execute(&sql, &params)?;
    Ok(())
}

/// Loads what the core needs to decide about an existing order.
pub fn load(db: &Db, order_id: &str) -> Result<Option<OrderSnapshot>, DbError> {
    // One statement: the items come along as a JSON array, put in line order here (an
    // aggregate's order is not SQL's promise).
    let Some(row) = db.row(
        "SELECT status, customer_name, customer_phone, customer_email, delivery_type,
                delivery_address, delivery_cost, discount, total, comment, manager,
                (SELECT json_group_array(json_array(line, sku, name, qty, price, category))
                 FROM order_items WHERE order_id = orders.id)
         FROM orders WHERE id = ?",
        &[text(order_id)],
    )?
    else {
        return Ok(None);
    };
    let order_id = OrderId::parse(order_id).map_err(|_| DbError::Shape("stored order id"))?;
    let customer = CustomerContact {
        name: get_text(&row, 1)?,
        phone: get_text(&row, 2)?
            .map(|p| orderpath_core::contact::Phone::parse(&p))
            .transpose()
            .map_err(|_| DbError::Shape("stored phone"))?,
        email: get_text(&row, 3)?
            .map(|e| orderpath_core::contact::Email::parse(&e))
            .transpose()
            .map_err(|_| DbError::Shape("stored email"))?,
    };
    let items = items_from_json(&get_text(&row, 11)?.unwrap_or_default())?;
    Ok(Some(OrderSnapshot {
        order_id,
        status: req_text(&row, 0)?,
        customer,
        items,
        delivery: Delivery {
            kind: get_text(&row, 4)?,
            address: get_text(&row, 5)?,
            cost: get_int(&row, 6)?.unwrap_or(0),
        },
        discount: get_int(&row, 7)?.unwrap_or(0),
        total: req_int(&row, 8)?,
        comment: get_text(&row, 9)?,
        manager: get_text(&row, 10)?,
    }))
}

/// Items as `json_group_array(json_array(line, sku, name, qty, price, category))` gives
/// them, in line order.
fn items_from_json(json: &str) -> Result<Vec<Item>, DbError> {
    type Row = (i64, String, String, i64, i64, Option<String>);
    if json.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<Row> =
        serde_json::from_str(json).map_err(|_| DbError::Shape("order items"))?;
    rows.sort_by_key(|row| row.0);
    rows.into_iter()
        .map(|(_, sku, name, qty, price, category)| {
            Ok(Item {
                sku,
                name,
                qty: u32::try_from(qty).map_err(|_| DbError::Shape("qty"))?,
                price,
                category,
            })
        })
        .collect()
}

/// Moves an order to a status.
pub fn set_status(db: &Db, order_id: &str, status: &str, now: Timestamp) -> Result<(), DbError> {
    db.execute(
        "UPDATE orders SET status = ?1, updated_at = ?2, status_entered_at = ?2,
                last_reminder_at = NULL
         WHERE id = ?3",
        &[text(status), text(now.to_rfc3339()), text(order_id)],
    )?;
    Ok(())
}

/// Writes an updated snapshot back (contacts, items, delivery, sums, comment, manager).
pub fn save(
    db: &Db,
    order: &OrderSnapshot,
    customer_id: Option<i64>,
    items_changed: bool,
    now: Timestamp,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE orders SET customer_id = COALESCE(?, customer_id), customer_name = ?,
            customer_phone = ?, customer_email = ?, delivery_type = ?, delivery_address = ?,
            delivery_cost = ?, discount = ?, total = ?, comment = ?, manager = ?, updated_at = ?
         WHERE id = ?",
        &[
            &[customer_id.map_or(spin_sdk::sqlite::Value::Null, int)][..],
            &contact_and_sums(
                &order.customer,
                &order.delivery,
                order.discount,
                order.total,
            ),
            &[
                opt_text(order.comment.as_deref()),
                opt_text(order.manager.as_deref()),
                text(now.to_rfc3339()),
                text(order.order_id.as_str()),
            ],
        ]
        .concat(),
    )?;
    if items_changed {
        replace_items(db, order.order_id.as_str(), &order.items)?;
    }
    Ok(())
}

/// Whether a change took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The change was made.
    Applied,
    /// The change was refused (e.g. a forbidden transition).
    Refused,
}

/// One line of an order's history (scenario P5).
#[derive(Debug, Clone)]
pub struct HistoryEntry<'a> {
    /// The order.
    pub order_id: &'a str,
    /// Who or what: `staff:m.ivanova`, `webhook:orders`, `trigger:<id>`.
    pub actor: &'a str,
    /// The actor's display name.
    pub actor_name: Option<&'a str>,
    /// What changed: `created`, `status`, `items`, …
    pub field: &'a str,
    /// Old value as JSON text.
    pub old_value: Option<String>,
    /// New value as JSON text.
    pub new_value: Option<String>,
    /// Applied or refused.
    pub outcome: Outcome,
    /// Why (refusal reason, cancellation reason).
    pub reason: Option<&'a str>,
    /// The event behind the change.
    pub event_id: Option<&'a str>,
}

/// Appends a history entry.
pub fn record_history(db: &Db, entry: &HistoryEntry<'_>, now: Timestamp) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO order_history (order_id, at, actor, actor_name, field, old_value, new_value,
                                    outcome, reason, event_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            text(entry.order_id),
            text(now.to_rfc3339()),
            text(entry.actor),
            opt_text(entry.actor_name),
            text(entry.field),
            opt_text(entry.old_value.as_deref()),
            opt_text(entry.new_value.as_deref()),
            text(match entry.outcome {
                Outcome::Applied => "applied",
                Outcome::Refused => "refused",
            }),
            opt_text(entry.reason),
            opt_text(entry.event_id),
        ],
    )?;
    Ok(())
}

/// The caller's most recent order that is still in progress (its status is not one of
/// `finished`), found by the order's or the customer's phone.
pub fn active_order_by_phone(
    db: &Db,
    phone: &str,
    finished: &[&str],
) -> Result<Option<String>, DbError> {
    let placeholders = vec!["?"; finished.len()].join(", ");
    let sql = format!(
        "SELECT id FROM orders
         WHERE (customer_phone = ?1
                OR customer_id = (SELECT id FROM customers WHERE phone = ?1))
           AND status NOT IN ({placeholders})
         ORDER BY created_at DESC, rowid DESC LIMIT 1"
    );
    let mut params = vec![text(phone)];
    params.extend(finished.iter().map(|s| text(*s)));
    db.row(&sql, &params)?
        .map(|row| req_text(&row, 0))
        .transpose()
}
