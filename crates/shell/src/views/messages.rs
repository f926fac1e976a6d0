//! Outbox messages as the staff API shows them, in the list and on the order card alike:
//! the rendered text, every attempt, and why a message still waits
//! ([`orderpath_core::desk::waiting`]). Each message comes out of SQL as one JSON object
//! with its attempts inside, so a page of messages is one query.

use orderpath_core::automation::time::rfc3339::{format_utc, parse_utc};
use orderpath_core::desk::{self, OutboxState};
use serde_json::{json, Value};

use crate::clock::Timestamp;
use crate::db::{int, opt_text, req_text, Db, DbError};

/// One message (table alias `m`) as a JSON object; pass it through [`finish`].
pub const MESSAGE_JSON: &str = message_json!();

/// Which messages to list.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: Option<String>,
    /// The order's id.
    pub order_id: Option<String>,
    /// `email`, `sms` or `telegram`.
    pub channel: Option<String>,
}

/// Messages, newest first, at most `limit`.
pub fn list(
    db: &Db,
    filter: &MessageFilter,
    limit: i64,
    now: Timestamp,
) -> Result<Vec<Value>, DbError> {
    let rows = db.execute(
        &format!(
            "SELECT {MESSAGE_JSON} FROM outbox AS m
             WHERE (?1 IS NULL OR m.status = ?1) AND (?2 IS NULL OR m.order_id = ?2)
               AND (?3 IS NULL OR m.channel = ?3)
             ORDER BY m.id DESC LIMIT ?4"
        ),
        &[
            opt_text(filter.status.as_deref()),
            opt_text(filter.order_id.as_deref()),
            opt_text(filter.channel.as_deref()),
            int(limit),
        ],
    )?;
    rows.rows
        .iter()
        .map(|row| Ok(finish(parse(&req_text(row, 0)?)?, now)))
        .collect()
}

/// One message by id.
pub fn one(db: &Db, id: i64, now: Timestamp) -> Result<Option<Value>, DbError> {
    db.row(
        &format!("SELECT {MESSAGE_JSON} FROM outbox AS m WHERE m.id = ?"),
        &[int(id)],
    )?
    .map(|row| Ok(finish(parse(&req_text(&row, 0)?)?, now)))
    .transpose()
}

/// JSON text from SQLite.
pub(crate) fn parse(text: &str) -> Result<Value, DbError> {
    serde_json::from_str(text).map_err(|_| DbError::Shape("JSON from SQLite"))
}

/// Orders the attempts and adds `waiting`: `null`, or `{"reason", "until"}`.
pub fn finish(mut message: Value, now: Timestamp) -> Value {
    if let Some(attempts) = message["attempts"].as_array_mut() {
        attempts.sort_by_key(|a| a["id"].as_i64());
    }
    let last = message["attempts"].as_array().and_then(|attempts| {
        attempts
            .iter()
            .rev()
            .find(|a| a["late"] != Value::Bool(true))
    });
    let at = |field: &str| message[field].as_str().and_then(parse_utc);
    let state = OutboxState {
        status: message["status"].as_str().unwrap_or_default(),
        next_attempt_at: at("next_attempt_at").unwrap_or(0),
        lease_until: at("lease_until"),
        last_attempt: last.map(|a| {
            (
                a["provider"].as_str().unwrap_or_default(),
                a["outcome"].as_str().unwrap_or_default(),
            )
        }),
    };
    let waiting = desk::waiting(&state, now.unix())
        .map(|w| json!({ "reason": w.reason, "until": w.until.map(format_utc) }));
    message["waiting"] = waiting.unwrap_or(Value::Null);
    if let Some(object) = message.as_object_mut() {
        object.remove("lease_until");
    }
    message
}
