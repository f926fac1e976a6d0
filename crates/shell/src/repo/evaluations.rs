//! `trigger_evaluations` (migration 27): every evaluation the automation run asks the engine
//! for, written in the request's transaction — the event, the facts exactly as the engine saw
//! them, and the decisions carried out — so that an edited configuration can be replayed
//! against them (`orderpath_core::replay`). The facts hold personal data: the tick's retention
//! pass deletes rows older than `trigger_evaluations_keep_days` (shop.toml `[thresholds]`).

use orderpath_core::automation::event::DomainEvent;
use orderpath_core::automation::facts::Facts;
use orderpath_core::replay::{
    split_cause, ActionKey, Evaluation, Kind, StoredRow, Taken, COUNT_PERIOD, SELECT_PERIOD,
};
use spin_sdk::sqlite::Value;

use crate::clock::Timestamp;
use crate::db::{get_int, get_text, int, opt_text, req_int, req_text, text, Db, DbError};

/// An evaluation about to be made.
pub struct NewEvaluation<'a> {
    /// Which engine call.
    pub kind: Kind,
    /// What caused the run (`orders:<webhook-id>`, `timer:<id>`).
    pub cause: &'a str,
    /// The evaluation it follows or continues.
    pub parent: Option<i64>,
    /// The trigger it continues (`after`), is (`delayed`) or was raised by.
    pub trigger: Option<&'a str>,
    /// The action that raised its event.
    pub raised_by: Option<&'a ActionKey>,
    /// The order.
    pub order_id: Option<&'a str>,
    /// The customer.
    pub customer_id: Option<i64>,
    /// The chat conversation.
    pub conversation_id: Option<i64>,
    /// The event.
    pub event: &'a DomainEvent,
    /// What the engine sees.
    pub facts: &'a Facts,
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, DbError> {
    serde_json::to_string(value).map_err(|_| DbError::Shape("an evaluation that is not JSON"))
}

fn opt_int(value: Option<i64>) -> Value {
    value.map_or(Value::Null, int)
}

/// Records an evaluation (its decisions follow with [`set_decisions`]); answers its id.
pub fn insert(db: &Db, new: &NewEvaluation<'_>, now: Timestamp) -> Result<i64, DbError> {
    let (source, event_id) = split_cause(new.cause);
    let raised_by = new.raised_by.map(json).transpose()?;
    let row = db.row(
        "INSERT INTO trigger_evaluations (at, source, event_id, kind, parent_id, trigger_id,
             raised_by, order_id, customer_id, conversation_id, event_type, event, facts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING id",
        &[
            text(now.to_rfc3339()),
            text(source),
            text(event_id),
            text(new.kind.as_str()),
            opt_int(new.parent),
            opt_text(new.trigger),
            opt_text(raised_by.as_deref()),
            opt_text(new.order_id),
            opt_int(new.customer_id),
            opt_int(new.conversation_id),
            text(new.event.name()),
            text(json(new.event)?),
            text(json(new.facts)?),
        ],
    )?;
    row.as_ref()
        .map(|r| req_int(r, 0))
        .unwrap_or(Err(DbError::Shape("no id for the evaluation")))
}

/// The decisions carried out for an evaluation.
pub fn set_decisions(db: &Db, id: i64, decisions: &[Taken]) -> Result<(), DbError> {
    if decisions.is_empty() {
        return Ok(());
    }
    db.execute(
        "UPDATE trigger_evaluations SET decisions = ? WHERE id = ?",
        &[text(json(&decisions)?), int(id)],
    )?;
    Ok(())
}

/// How many evaluations a period `[from, to)` brings (with what followed them).
pub fn count(db: &Db, from: Timestamp, to: Timestamp) -> Result<i64, DbError> {
    let row = db.row(
        COUNT_PERIOD,
        &[text(from.to_rfc3339()), text(to.to_rfc3339())],
    )?;
    row.as_ref().map_or(Ok(0), |r| req_int(r, 0))
}

/// The evaluations of `[from, to)` and what followed them, ids above `after`, at most `limit`.
/// A row that cannot be read back is a [`DbError::Shape`].
pub fn load(
    db: &Db,
    (from, to): (Timestamp, Timestamp),
    after: i64,
    limit: i64,
) -> Result<Vec<Evaluation>, DbError> {
    let rows = db.execute(
        SELECT_PERIOD,
        &[
            text(from.to_rfc3339()),
            text(to.to_rfc3339()),
            int(after),
            int(limit),
        ],
    )?;
    rows.rows
        .iter()
        .map(|r| {
            let stored = StoredRow {
                id: req_int(r, 0)?,
                at: req_text(r, 1)?,
                source: req_text(r, 2)?,
                event_id: req_text(r, 3)?,
                kind: req_text(r, 4)?,
                parent_id: get_int(r, 5)?,
                trigger_id: get_text(r, 6)?,
                raised_by: get_text(r, 7)?,
                order_id: get_text(r, 8)?,
                customer_id: get_int(r, 9)?,
                conversation_id: get_int(r, 10)?,
                event: req_text(r, 11)?,
                facts: req_text(r, 12)?,
                decisions: req_text(r, 13)?,
            };
            stored.into_evaluation().map_err(|error| {
                eprintln!("trigger_evaluations: {error}");
                DbError::Shape("a recorded evaluation that cannot be read")
            })
        })
        .collect()
}
