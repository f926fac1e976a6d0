//! Stock levels from the accounting system, and what they do to orders.
//!
//! A post stores the levels it carries for its warehouse (a snapshot also zeroes every article
//! of that warehouse it leaves out); an article's stock is the sum over the warehouses. Then,
//! in the same transaction:
//! - V7: the orders in a status that `waits_for_stock` (`awaiting-stock` as shipped; see
//!   `config/statuses.toml`), oldest first, get what is available — an order is
//!   served whole or not at all ([`stock::allocate`]) — and their items are reserved before
//!   `stock.changed` (in stock) runs the triggers. Two posts racing serialise on SQLite's write
//!   lock, and each allocates only what the other left, so reservations never exceed stock.
//! - O6: an unfinished order that needs an article whose level just changed, does not hold it
//!   reserved, and cannot be covered any more raises `stock.changed` (out of stock) once per
//!   change.

use std::collections::{BTreeMap, BTreeSet};

use orderpath_core::automation::event::DomainEvent;
use orderpath_core::event::OrderId;
use orderpath_wire::carrier::stock::{self, StockPost, WaitingOrder};
use serde_json::json;

use crate::db::{req_int, req_text, text, DbError};
use crate::plans::automation::Run;
use crate::repo::orders::{self, HistoryEntry, Outcome};
use crate::repo::reservations;

/// What a stock post did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt {
    /// Articles whose level changed.
    pub changed: Vec<String>,
    /// Orders served from a status that waits for stock (V7), their items reserved.
    pub confirmed: Vec<String>,
    /// Orders told that something they need ran out (O6).
    pub short: Vec<String>,
    /// Messages the triggers queued: send them after commit.
    pub messages: Vec<i64>,
}

/// Stores the levels and runs V7 and O6.
pub fn receive(run: &Run<'_>, post: &StockPost) -> Result<Receipt, DbError> {
    let mut places = known_levels(run)?;
    let before = totals(&places);
    store(run, post, &mut places)?;
    let levels = totals(&places);
    // An article changed when its stock over all warehouses did (or became known).
    let changed: BTreeSet<String> = levels
        .iter()
        .filter(|(sku, level)| before.get(*sku) != Some(*level))
        .map(|(sku, _)| sku.clone())
        .collect();
    let mut receipt = Receipt {
        changed: changed.iter().cloned().collect(),
        ..Receipt::default()
    };
    confirm_waiting(run, &levels, &mut receipt)?;
    if !changed.is_empty() {
        warn_short(run, &levels, &changed, &mut receipt)?;
    }
    Ok(receipt)
}

/// A stored level: `(sku, warehouse)` → available.
type Levels = BTreeMap<(String, String), i64>;

/// Every known level, per article and warehouse.
fn known_levels(run: &Run<'_>) -> Result<Levels, DbError> {
    let rows = run
        .db
        .execute("SELECT sku, warehouse, available FROM stock_levels", &[])?;
    rows.rows
        .iter()
        .map(|row| Ok(((req_text(row, 0)?, req_text(row, 1)?), req_int(row, 2)?)))
        .collect()
}

/// Each known article's stock over all warehouses.
fn totals(places: &Levels) -> BTreeMap<String, i64> {
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for ((sku, _), available) in places {
        let total = totals.entry(sku.clone()).or_insert(0);
        *total = total.saturating_add(*available);
    }
    totals
}

/// Writes the post's warehouse levels and brings `places` (what was stored) up to date.
fn store(run: &Run<'_>, post: &StockPost, places: &mut Levels) -> Result<(), DbError> {
    let now = run.now.to_rfc3339();
    let warehouse = post.warehouse.as_str();
    for (sku, available) in &post.levels {
        let place = (sku.clone(), warehouse.to_owned());
        if places.insert(place, *available) == Some(*available) {
            continue;
        }
        run.db.execute(
            "INSERT INTO stock_levels (sku, warehouse, available, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (sku, warehouse) DO UPDATE SET
                available = excluded.available, updated_at = excluded.updated_at",
            &[
                text(sku.as_str()),
                text(warehouse),
                crate::db::int(*available),
                text(now.as_str()),
            ],
        )?;
    }
    if post.full {
        let listed: BTreeSet<&str> = post.levels.iter().map(|(s, _)| s.as_str()).collect();
        let gone: Vec<String> = places
            .iter_mut()
            .filter(|((sku, place), level)| {
                place == warehouse && **level != 0 && !listed.contains(sku.as_str())
            })
            .map(|((sku, _), level)| {
                *level = 0;
                sku.clone()
            })
            .collect();
        if !gone.is_empty() {
            run.db.execute(
                "UPDATE stock_levels SET available = 0, updated_at = ?
                 WHERE warehouse = ? AND sku IN (SELECT value FROM json_each(?))",
                &[
                    text(now.as_str()),
                    text(warehouse),
                    text(json!(gone).to_string()),
                ],
            )?;
        }
    }
    Ok(())
}

/// What is reserved, per order and article.
fn reserved(run: &Run<'_>) -> Result<BTreeMap<String, BTreeMap<String, i64>>, DbError> {
    let rows = run.db.execute(
        "SELECT order_id, sku, qty FROM reservations WHERE status = 'reserved'",
        &[],
    )?;
    let mut reserved: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for row in &rows.rows {
        let (order, sku, qty) = (req_text(row, 0)?, req_text(row, 1)?, req_int(row, 2)?);
        *reserved.entry(order).or_default().entry(sku).or_insert(0) += qty;
    }
    Ok(reserved)
}

/// Quantities held per article by every order but `except`.
fn held(
    reserved: &BTreeMap<String, BTreeMap<String, i64>>,
    except: Option<&str>,
) -> BTreeMap<String, i64> {
    let mut held = BTreeMap::new();
    for (order, skus) in reserved {
        if Some(order.as_str()) == except {
            continue;
        }
        for (sku, qty) in skus {
            *held.entry(sku.clone()).or_insert(0) += qty;
        }
    }
    held
}

/// Each order's quantities per article, for orders matching `filter` (SQL on `orders o`).
fn order_items(
    run: &Run<'_>,
    filter: &str,
    params: &[spin_sdk::sqlite::Value],
) -> Result<Vec<WaitingOrder>, DbError> {
    let rows = run.db.execute(
        &format!(
            "SELECT o.id, i.sku, SUM(i.qty) FROM orders o JOIN order_items i ON i.order_id = o.id
             WHERE {filter}
             GROUP BY o.id, i.sku ORDER BY o.status_entered_at, o.id, i.sku"
        ),
        params,
    )?;
    let mut orders: Vec<WaitingOrder> = Vec::new();
    for row in &rows.rows {
        let (id, sku, qty) = (req_text(row, 0)?, req_text(row, 1)?, req_int(row, 2)?);
        match orders.last_mut() {
            Some(order) if order.order_id == id => order.items.push((sku, qty)),
            _ => orders.push(WaitingOrder {
                order_id: id,
                items: vec![(sku, qty)],
            }),
        }
    }
    Ok(orders)
}

/// V7: serves the orders waiting for stock, oldest first, and raises "in stock" for them.
fn confirm_waiting(
    run: &Run<'_>,
    levels: &BTreeMap<String, i64>,
    receipt: &mut Receipt,
) -> Result<(), DbError> {
    let statuses = run.config.statuses.path.waiting_for_stock();
    if statuses.is_empty() {
        return Ok(());
    }
    let waiting = order_items(
        run,
        "o.status IN (SELECT value FROM json_each(?1))",
        &[text(json!(statuses).to_string())],
    )?;
    if waiting.is_empty() {
        return Ok(());
    }
    let held = held(&reserved(run)?, None);
    for allocation in stock::allocate(levels, &held, &waiting) {
        let id = allocation.order_id.as_str();
        reservations::reserve_quantities(run.db, id, &allocation.items, run.now)?;
        note(run, id, "reservation", json!("reserved"), "stock arrived")?;
        let skus = allocation.items.iter().map(|(s, _)| s.clone()).collect();
        raise(run, id, skus, true, receipt)?;
        receipt.confirmed.push(id.to_owned());
    }
    Ok(())
}

/// O6: unfinished orders that need a changed article they cannot get any more.
fn warn_short(
    run: &Run<'_>,
    levels: &BTreeMap<String, i64>,
    changed: &BTreeSet<String>,
    receipt: &mut Receipt,
) -> Result<(), DbError> {
    let path = &run.config.statuses.path;
    let (finished, waiting) = (path.finished(), path.waiting_for_stock());
    let changed_list: Vec<&String> = changed.iter().collect();
    let candidates = order_items(
        run,
        "o.status NOT IN (SELECT value FROM json_each(?1))
         AND o.id IN (SELECT order_id FROM order_items WHERE sku IN (SELECT value FROM json_each(?2)))
         AND o.status NOT IN (SELECT value FROM json_each(?3))",
        &[
            text(json!(finished).to_string()),
            text(json!(changed_list).to_string()),
            text(json!(waiting).to_string()),
        ],
    )?;
    let reserved = reserved(run)?;
    let none = BTreeMap::new();
    for order in candidates {
        if receipt.confirmed.contains(&order.order_id) {
            continue;
        }
        let own = reserved.get(&order.order_id).unwrap_or(&none);
        let needed: Vec<(String, i64)> = order
            .items
            .iter()
            .filter(|(sku, _)| changed.contains(sku) && !own.contains_key(sku))
            .cloned()
            .collect();
        let held = held(&reserved, Some(&order.order_id));
        let short = stock::short(levels, &held, &needed);
        if short.is_empty() {
            continue;
        }
        raise(run, &order.order_id, short, false, receipt)?;
        receipt.short.push(order.order_id.clone());
    }
    Ok(())
}

fn raise(
    run: &Run<'_>,
    order_id: &str,
    skus: Vec<String>,
    available: bool,
    receipt: &mut Receipt,
) -> Result<(), DbError> {
    note(
        run,
        order_id,
        "stock",
        json!({ "skus": skus, "available": available }),
        if available {
            "in stock"
        } else {
            "out of stock"
        },
    )?;
    let id = OrderId::parse(order_id).map_err(|_| DbError::Shape("stored order id is invalid"))?;
    let event = DomainEvent::StockChanged {
        order_id: id,
        skus,
        available,
    };
    receipt
        .messages
        .extend(run.handle(order_id, event)?.messages);
    Ok(())
}

fn note(
    run: &Run<'_>,
    order_id: &str,
    field: &str,
    value: serde_json::Value,
    reason: &str,
) -> Result<(), DbError> {
    orders::record_history(
        run.db,
        &HistoryEntry {
            order_id,
            actor: "webhook:stock",
            actor_name: None,
            field,
            old_value: None,
            new_value: Some(value.to_string()),
            outcome: Outcome::Applied,
            reason: Some(reason),
            event_id: None,
        },
        run.now,
    )
}
