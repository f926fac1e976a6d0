//! Item reservations (P4): what the warehouse holds for each order, per article.
//!
//! Reserving holds every line of the order at its current quantity (lines of the same
//! article add up); releasing lets all of them go. Where the stock webhook told us an
//! article's level, a reservation never takes more than is free; an article we know nothing
//! about is held, and what it records is what the warehouse must set aside.

use std::collections::BTreeMap;

use orderpath_core::event::Item;

use crate::clock::Timestamp;
use crate::db::{int, req_int, req_text, text, Db, DbError};

/// Holds the order's items; an article no longer in the order is released. Returns the
/// articles that could not be held (see [`reserve_quantities`]).
pub fn reserve(
    db: &Db,
    order_id: &str,
    items: &[Item],
    now: Timestamp,
) -> Result<Vec<String>, DbError> {
    let wanted: Vec<(String, i64)> = quantities(items).into_iter().collect();
    reserve_quantities(db, order_id, &wanted, now)
}

/// Holds these quantities per article for the order (and nothing else). An article whose
/// known stock level, less what other orders hold, cannot cover it is not held: it is
/// returned, so reservations never exceed stock. An article without a known level is held.
pub fn reserve_quantities(
    db: &Db,
    order_id: &str,
    wanted: &[(String, i64)],
    now: Timestamp,
) -> Result<Vec<String>, DbError> {
    release(db, order_id, now)?;
    let mut short = Vec::new();
    for (sku, qty) in wanted {
        // The article's stock over all warehouses, less what other orders hold; no row when
        // no warehouse ever reported it.
        let free = db.row(
            "SELECT SUM(s.available) - COALESCE((SELECT SUM(r.qty) FROM reservations r
                 WHERE r.sku = ? AND r.status = 'reserved' AND r.order_id <> ?), 0)
             FROM stock_levels s WHERE s.sku = ? HAVING COUNT(*) > 0",
            &[text(sku.clone()), text(order_id), text(sku.clone())],
        )?;
        if let Some(free) = free {
            if req_int(&free, 0)? < *qty {
                short.push(sku.clone());
                continue;
            }
        }
        db.execute(
            "INSERT INTO reservations (order_id, sku, qty, status, changed_at)
             VALUES (?, ?, ?, 'reserved', ?)
             ON CONFLICT (order_id, sku) DO UPDATE SET
                qty = excluded.qty, status = 'reserved', changed_at = excluded.changed_at",
            &[
                text(order_id),
                text(sku.clone()),
                int(*qty),
                text(now.to_rfc3339()),
            ],
        )?;
    }
    Ok(short)
}

/// Lets every reserved item of the order go.
pub fn release(db: &Db, order_id: &str, now: Timestamp) -> Result<(), DbError> {
    db.execute(
        "UPDATE reservations SET status = 'released', changed_at = ?
         WHERE order_id = ? AND status = 'reserved'",
        &[text(now.to_rfc3339()), text(order_id)],
    )?;
    Ok(())
}

/// The articles of `items` not (fully) reserved for the order, in article order.
pub fn missing(db: &Db, order_id: &str, items: &[Item]) -> Result<Vec<String>, DbError> {
    let held: BTreeMap<String, i64> = db
        .execute(
            "SELECT sku, qty FROM reservations WHERE order_id = ? AND status = 'reserved'",
            &[text(order_id)],
        )?
        .rows
        .iter()
        .map(|row| Ok((req_text(row, 0)?, req_int(row, 1)?)))
        .collect::<Result<_, DbError>>()?;
    Ok(quantities(items)
        .into_iter()
        .filter(|(sku, qty)| held.get(sku).is_none_or(|have| have < qty))
        .map(|(sku, _)| sku)
        .collect())
}

fn quantities(items: &[Item]) -> BTreeMap<String, i64> {
    let mut wanted = BTreeMap::new();
    for item in items {
        *wanted.entry(item.sku.clone()).or_insert(0) += i64::from(item.qty);
    }
    wanted
}

/// P4 ([`StatusPath::needs_reserved_items`]): why moving `from` → `to` is refused, if the
/// move needs every item reserved and some are not.
///
/// [`StatusPath::needs_reserved_items`]: orderpath_core::status::StatusPath::needs_reserved_items
pub fn assembly_guard(
    db: &Db,
    path: &orderpath_core::status::StatusPath,
    order_id: &str,
    items: &[Item],
    (from, to): (&str, &str),
) -> Result<Option<String>, DbError> {
    if !path.needs_reserved_items(from, to) {
        return Ok(None);
    }
    let missing = missing(db, order_id, items)?;
    Ok((!missing.is_empty()).then(|| {
        format!(
            "items not reserved: {}; an order goes on from assembly only with every item reserved",
            missing.join(", ")
        )
    }))
}
