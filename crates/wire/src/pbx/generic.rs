//! Our documented JSON for any other PBX (an Asterisk AMI or dialplan bridge, UIS notification
//! templates, …), signed with Standard Webhooks (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`). The caller verifies the signature; this reads the body:
//!
//! ```json
//! {"type": "call.ended",
//!  "data": {"call_id": "1795537800.42", "direction": "inbound",
//!           "customer_number": "+7 912 345-67-89", "line": "+74951234567", "operator": "101",
//!           "started_at": "2026-11-24T19:30:00+03:00", "answered_at": null,
//!           "ended_at": "2026-11-24T19:30:25+03:00", "duration": 0, "outcome": "missed"}}
//! ```
//!
//! - `type`: `call.started`, `call.answered` or `call.ended` (the whole call is over).
//! - `call_id` (required): the same for every event of the call (Asterisk's `Linkedid`).
//! - `direction` (required): `inbound`, `outbound` or `internal`.
//! - `customer_number`: the caller of an inbound call, the callee of an outbound one, as the
//!   PBX wrote it (normalised later); required unless the call is internal.
//! - `line`, `operator` (optional): the shop's number and the operator's extension; a string
//!   or an integer.
//! - `started_at` (required on `call.started` and `call.ended`), `answered_at`, `ended_at`
//!   (required on `call.ended`): RFC 3339. Neither answer nor end may precede the start.
//! - `duration` (optional): talk seconds, an integer ≥ 0.
//! - `outcome` (required on `call.ended`, refused elsewhere): `answered`, `missed`, `busy` or
//!   `failed`.
//!
//! The idempotency key is `webhook-id`, the same on every retry.

use super::fields::json_number;
use super::{CallEvent, Direction, NoticeError, Outcome, PbxRequest, Stage};
use crate::acquirer::json::{self, invalid, Obj};
use orderpath_core::automation::time::rfc3339::{to_unix, Offset};
use orderpath_core::text::echo;

/// The accepted `type`s, in the order a call goes.
pub const TYPES: [&str; 3] = ["call.started", "call.answered", "call.ended"];
/// The accepted `direction`s.
pub const DIRECTIONS: [&str; 3] = ["inbound", "outbound", "internal"];
/// The accepted `outcome`s.
pub const OUTCOMES: [&str; 4] = ["answered", "missed", "busy", "failed"];

/// Reads a verified event; `webhook_id` is its `webhook-id` header.
pub fn parse(body: &[u8], webhook_id: &str) -> Result<PbxRequest, NoticeError> {
    let value = json::parse(body)?;
    let root = Obj::root(&value)?;
    let kind = root.required_str("type")?;
    let stage = match kind {
        "call.started" => Stage::Started,
        "call.answered" => Stage::Answered,
        "call.ended" => Stage::Finished,
        other => {
            return Err(invalid(
                "type",
                format!(
                    "unknown type {}; must be one of: {}",
                    echo(other),
                    TYPES.join(", ")
                ),
            ))
        }
    };
    let data = root.required_object("data")?;
    let call_id = data.required_id("call_id")?;
    let given = data.required_str("direction")?;
    let direction = Direction::parse(given).ok_or_else(|| {
        invalid(
            data.path_of("direction"),
            format!(
                "unknown direction {}; must be one of: {}",
                echo(given),
                DIRECTIONS.join(", ")
            ),
        )
    })?;
    let customer_number = json_number(&data, "customer_number")?;
    if customer_number.is_none() && direction != Direction::Internal {
        return Err(invalid(
            data.path_of("customer_number"),
            "is required unless the call is internal",
        ));
    }
    if customer_number
        .as_deref()
        .is_some_and(|n| !n.bytes().any(|b| b.is_ascii_digit()))
    {
        return Err(invalid(
            data.path_of("customer_number"),
            "must be a phone number, e.g. +7 912 345-67-89",
        ));
    }
    let ended = stage == Stage::Finished;
    let started_at = time(&data, "started_at", stage != Stage::Answered)?;
    let answered_at = time(&data, "answered_at", false)?;
    let ended_at = time(&data, "ended_at", ended)?;
    for (name, later) in [("answered_at", answered_at), ("ended_at", ended_at)] {
        if let (Some(start), Some(later)) = (started_at, later) {
            if later < start {
                return Err(invalid(data.path_of(name), "must not be before started_at"));
            }
        }
    }
    let outcome = outcome(&data, ended)?;
    Ok(PbxRequest::Event(CallEvent {
        key: webhook_id.to_owned(),
        call_id,
        what: kind.to_owned(),
        stage,
        seq: None,
        direction: Some(direction),
        customer_number,
        line: json_number(&data, "line")?,
        operator: json_number(&data, "operator")?,
        at: match stage {
            Stage::Started => started_at,
            Stage::Answered => answered_at,
            _ => ended_at,
        },
        started_at,
        answered_at,
        duration: duration(&data)?,
        outcome,
    }))
}

/// An RFC 3339 member as unix seconds.
fn time(data: &Obj<'_>, key: &str, required: bool) -> Result<Option<i64>, NoticeError> {
    let text = match data.str(key)? {
        Some(text) if !text.trim().is_empty() => text.trim(),
        _ if required => return Err(invalid(data.path_of(key), "is required")),
        _ => return Ok(None),
    };
    to_unix(text, Offset::Rfc3339).map(Some).ok_or_else(|| {
        invalid(
            data.path_of(key),
            format!(
                "must be an RFC 3339 date-time, e.g. 2026-11-24T19:30:00+03:00, got {}",
                echo(text)
            ),
        )
    })
}

/// Talk seconds: an integer ≥ 0.
fn duration(data: &Obj<'_>) -> Result<Option<i64>, NoticeError> {
    match data.value("duration") {
        None => Ok(None),
        Some(serde_json::Value::Number(n)) if n.as_i64().is_some_and(|s| s >= 0) => Ok(n.as_i64()),
        Some(other) => Err(invalid(
            data.path_of("duration"),
            format!(
                "must be a whole number of seconds ≥ 0, got {}",
                echo(&other.to_string())
            ),
        )),
    }
}

/// The outcome: required when the call ended, refused before.
fn outcome(data: &Obj<'_>, ended: bool) -> Result<Option<Outcome>, NoticeError> {
    let path = data.path_of("outcome");
    let given = match data.str("outcome")? {
        None if ended => return Err(invalid(path, "is required on call.ended")),
        None => return Ok(None),
        Some(_) if !ended => return Err(invalid(path, "is only given on call.ended")),
        Some(given) => given,
    };
    Outcome::parse(given).map(Some).ok_or_else(|| {
        invalid(
            path,
            format!(
                "unknown outcome {}; must be one of: {}",
                echo(given),
                OUTCOMES.join(", ")
            ),
        )
    })
}
