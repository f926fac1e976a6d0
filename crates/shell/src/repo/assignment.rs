//! V1: what assigning a new order's manager reads and writes — the staff's presence (the
//! status a person sets), their open orders, the customer's previous manager — and the
//! conditional write of the manager. Called inside the request's transaction, so concurrent
//! orders are assigned one after the other, each seeing the managers given before it.

use std::collections::BTreeMap;

use orderpath_core::assign::{Presence, PresenceStatus, StaffState};
use serde_json::json;

use crate::clock::Timestamp;
use crate::db::{get_int, get_text, req_text, text, Db, DbError};

/// Per staff id in `ids`: the presence they set, their open orders (managed, status not in
/// `finished`) and when they last got an order. Everyone in `ids` gets an entry.
pub fn staff_states(
    db: &Db,
    ids: &[&str],
    finished: &[&str],
) -> Result<BTreeMap<String, StaffState>, DbError> {
    // One statement; each count and maximum is a seek in the orders' (manager, status) and
    // (manager, created_at) indexes.
    let rows = db.execute(
        "SELECT s.value,
                (SELECT COUNT(*) FROM orders AS o
                 WHERE o.manager = s.value
                   AND o.status NOT IN (SELECT value FROM json_each(?2))),
                (SELECT MAX(o.created_at) FROM orders AS o WHERE o.manager = s.value),
                p.status, p.until
         FROM json_each(?1) AS s LEFT JOIN staff_presence AS p ON p.staff_id = s.value",
        &[
            text(json!(ids).to_string()),
            text(json!(finished).to_string()),
        ],
    )?;
    let mut states = BTreeMap::new();
    for row in &rows.rows {
        let id = req_text(row, 0)?;
        let until = parse_time(get_text(row, 4)?);
        let presence = get_text(row, 3)?
            .and_then(|s| PresenceStatus::parse(&s))
            .map(|status| Presence { status, until });
        let state = StaffState {
            presence,
            open_orders: u32::try_from(get_int(row, 1)?.unwrap_or(0)).unwrap_or(u32::MAX),
            last_assigned_at: parse_time(get_text(row, 2)?),
        };
        states.insert(id, state);
    }
    Ok(states)
}

/// The manager of the customer's latest other order that has one.
pub fn previous_manager(db: &Db, order_id: &str) -> Result<Option<String>, DbError> {
    let row = db.row(
        "SELECT o.manager FROM orders AS o
         WHERE o.customer_id = (SELECT customer_id FROM orders WHERE id = ?1)
           AND o.id != ?1 AND o.manager IS NOT NULL AND o.manager != ''
         ORDER BY o.created_at DESC, o.rowid DESC LIMIT 1",
        &[text(order_id)],
    )?;
    row.map(|r| req_text(&r, 0)).transpose()
}

/// Makes `staff` the order's manager unless it has one; false when it had.
pub fn set_manager(db: &Db, order_id: &str, staff: &str, now: Timestamp) -> Result<bool, DbError> {
    let row = db.row(
        "UPDATE orders SET manager = ?, updated_at = ?
         WHERE id = ? AND (manager IS NULL OR manager = '')
         RETURNING id",
        &[text(staff), text(now.to_rfc3339()), text(order_id)],
    )?;
    Ok(row.is_some())
}

/// The status a person set, if any (whether it still holds is the core's question).
pub fn presence(db: &Db, staff_id: &str) -> Result<Option<SetPresence>, DbError> {
    let row = db.row(
        "SELECT status, until, set_at, set_by FROM staff_presence WHERE staff_id = ?",
        &[text(staff_id)],
    )?;
    let Some(row) = row else { return Ok(None) };
    let Some(status) = PresenceStatus::parse(&req_text(&row, 0)?) else {
        return Err(DbError::Shape("presence status"));
    };
    Ok(Some(SetPresence {
        presence: Presence {
            status,
            until: parse_time(get_text(&row, 1)?),
        },
        set_at: req_text(&row, 2)?,
        set_by: req_text(&row, 3)?,
    }))
}

/// A stored presence with who set it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetPresence {
    /// The status and until when.
    pub presence: Presence,
    /// RFC 3339.
    pub set_at: String,
    /// `staff:<id>` or `admin`.
    pub set_by: String,
}

/// Stores (or replaces) the status a person set.
pub fn set_presence(
    db: &Db,
    staff_id: &str,
    presence: Presence,
    set_by: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    let until = presence.until.map(|u| Timestamp::from_unix(u).to_rfc3339());
    db.execute(
        "INSERT INTO staff_presence (staff_id, status, until, set_at, set_by)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (staff_id) DO UPDATE SET
             status = excluded.status, until = excluded.until,
             set_at = excluded.set_at, set_by = excluded.set_by",
        &[
            text(staff_id),
            text(presence.status.as_str()),
            crate::db::opt_text(until.as_deref()),
            text(now.to_rfc3339()),
            text(set_by),
        ],
    )?;
    Ok(())
}

/// Forgets the status a person set: their working hours decide again.
pub fn clear_presence(db: &Db, staff_id: &str) -> Result<(), DbError> {
    db.execute(
        "DELETE FROM staff_presence WHERE staff_id = ?",
        &[text(staff_id)],
    )?;
    Ok(())
}

fn parse_time(value: Option<String>) -> Option<i64> {
    value
        .and_then(|t| Timestamp::parse_rfc3339(&t))
        .map(Timestamp::unix)
}
