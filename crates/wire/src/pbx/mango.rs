//! Mango Office VPBX (ВАТС) API events.
//!
//! Mango POSTs a form with `vpbx_api_key`, `sign` and `json` (the event as a JSON string) to
//! `<base URL>/events/call`, `/events/summary`, `/events/dtmf`, …; `request.rest` is that tail
//! (`events/call`; `call` alone is read the same). The request is authentic when
//! `vpbx_api_key` is the configured key and `sign` is the lower-case hex SHA-256 of
//! `api_key + json + api_salt` ([`sign`]; either letter case, compared in constant time).
//!
//! **`events/call`**, one per leg and state change, becomes one [`CallEvent`] keyed
//! `{entry_id}:{call_id}:{seq}`; the call is the `entry_id`:
//!
//! - `Appeared` → [`Stage::Started`] (`started_at` = `timestamp`).
//! - `Connected` → [`Stage::Answered`] (`answered_at` = `timestamp`), except at `location`
//!   `ivr` or `queue`, where a machine took the call and nobody talked yet: there it is
//!   [`Stage::Started`].
//! - `Disconnected` → [`Stage::LegEnded`], with an outcome when `disconnect_reason` tells one
//!   on its own: 1111, 1122, 1123, 1163, 1164 → missed; 1121 → busy; 1100, 1110, 1120 (normal
//!   clearing) → none, since the leg was answered only if it was `Connected` before, which
//!   [`super::CallState`] knows; any other code → failed. Only the summary is final.
//! - `OnHold` and any state Mango may add → [`PbxRequest::Ignored`].
//!
//! A leg's direction is read from its ends (judgement: the legs carry no direction field):
//! both `from.extension` and `to.extension` → internal; `from.extension` and an external
//! `to.number` → outbound; otherwise `to.line_number` or `to.extension` → inbound. The
//! customer is `from.number` (inbound) or `to.number` (outbound); the operator is the
//! extension on the shop's side (`to.extension` inbound and internal, `from.extension`
//! outbound); the line is `to.line_number` (`from.line_number` if Mango sends one outbound).
//!
//! **`events/summary`**, the final event of a call, becomes [`Stage::Finished`] keyed
//! `{entry_id}:summary`:
//!
//! - direction from `call_direction`: 1 inbound, 2 outbound, 0 internal. Only the field is
//!   confirmed; this **value mapping is unverified**. Without the field, or with another value,
//!   the direction is read from the ends as for a leg.
//! - the customer, operator and line as for a leg, the line from the top-level `line_number`.
//! - `create_time` → `started_at`; `end_time` → `at` (the end). `talk_time` is read as the unix
//!   time the call was answered (the field's description: «время ответа на вызов»), not a
//!   length: when above 0 it is `answered_at` and the talk lasted `end_time − talk_time`.
//!   `forward_time` (when the call was forwarded) is not an answer and is not used. Times of 0
//!   mean "did not happen".
//! - outcome: answered when `talk_time` > 0 or `entry_result` = 1 (1 = success is also
//!   **unverified**); otherwise by `disconnect_reason`: 1121 → busy; the normal clearing and
//!   no-answer codes above (1100, 1110, 1111, 1120, 1122, 1123, 1163, 1164) or none → missed;
//!   any other code → failed. An unanswered call lasted 0 seconds of talk.
//!
//! Any other path (`events/dtmf`, `events/recording`, command results) is authentic but unused:
//! [`PbxRequest::Ignored`] keyed `{path}:{first 16 hex digits of the json's SHA-256}`, so its
//! re-deliveries are recognised.
//!
//! A form without `json` is malformed; so is a `json` that is not a JSON object. A missing or
//! wrong field is refused naming its place in the form (`json.entry_id`, `json.from.number`).
//! Mango expects HTTP 200.

use serde_json::Value;

use super::fields::{json_integer, json_number};
use super::{CallEvent, Direction, NoticeError, Outcome, PbxRequest, Stage};
use crate::acquirer::json::{id_text, invalid, Obj};
use crate::acquirer::verify::{form_pairs, same_bytes, same_hex, sha256_hex};
use crate::acquirer::Request;

/// Disconnect reasons of calls that ended normally or went unanswered (not a failure).
const NORMAL_REASONS: [i64; 8] = [1100, 1110, 1111, 1120, 1122, 1123, 1163, 1164];
/// Normal clearing: the leg was answered if it had been connected.
const CLEARING_REASONS: [i64; 3] = [1100, 1110, 1120];
/// The callee was busy.
const BUSY_REASON: i64 = 1121;

/// The `sign` Mango puts on `json`: lower-case hex SHA-256 of `api_key + json + api_salt`.
pub fn sign(api_key: &str, json: &str, api_salt: &str) -> String {
    sha256_hex(format!("{api_key}{json}{api_salt}").as_bytes())
}

/// Checks an event's key and sign and reads it; `request.rest` is the path after the
/// provider (`events/call`).
pub fn read(
    request: &Request<'_>,
    api_key: &str,
    api_salt: &str,
) -> Result<PbxRequest, NoticeError> {
    let form = form_pairs(request.body);
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let json = field("json").ok_or_else(|| {
        NoticeError::Malformed(
            "expected a form with vpbx_api_key, sign and json; there is no json field".to_owned(),
        )
    })?;
    let (Some(given_key), Some(given_sign)) = (field("vpbx_api_key"), field("sign")) else {
        return Err(NoticeError::Unauthorized(
            "the vpbx_api_key or sign field is missing".to_owned(),
        ));
    };
    let key_ok = same_bytes(given_key.trim().as_bytes(), api_key.as_bytes());
    let sign_ok = same_hex(&sign(api_key, json, api_salt), given_sign);
    if !(key_ok && sign_ok) {
        return Err(NoticeError::Unauthorized(
            "vpbx_api_key or sign does not match this PBX's key and salt".to_owned(),
        ));
    }

    let path = request.rest.trim_matches('/');
    let event = path.strip_prefix("events/").unwrap_or(path);
    if event != "call" && event != "summary" {
        return Ok(PbxRequest::Ignored {
            key: format!("{path}:{}", &sha256_hex(json.as_bytes())[..16]),
            what: path.to_owned(),
        });
    }
    let value: Value = serde_json::from_str(json)
        .map_err(|e| NoticeError::Malformed(format!("the json field is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(NoticeError::Malformed(
            "the json field is not a JSON object".to_owned(),
        ));
    }
    let root = Obj::root(&value)?;
    let read = if event == "call" {
        call(&root)
    } else {
        summary(&root)
    };
    read.map_err(in_json)
}

/// A refusal naming the field inside the form's `json`.
fn in_json(error: NoticeError) -> NoticeError {
    match error {
        NoticeError::Invalid { field, message } => NoticeError::Invalid {
            field: format!("json.{field}"),
            message,
        },
        other => other,
    }
}

/// One end of a call, as Mango writes `from` and `to`.
#[derive(Debug, Default)]
struct End {
    number: Option<String>,
    extension: Option<String>,
    line_number: Option<String>,
}

impl End {
    fn read(root: &Obj<'_>, key: &str) -> Result<End, NoticeError> {
        match root.object(key)? {
            None => Ok(End::default()),
            Some(end) => Ok(End {
                number: json_number(&end, "number")?,
                extension: json_number(&end, "extension")?,
                line_number: json_number(&end, "line_number")?,
            }),
        }
    }
}

/// The direction the ends tell (see the module documentation).
fn direction_from_ends(from: &End, to: &End) -> Option<Direction> {
    match (&from.extension, &to.extension) {
        (Some(_), Some(_)) => Some(Direction::Internal),
        (Some(_), None) if to.number.is_some() => Some(Direction::Outbound),
        (Some(_), None) => None,
        (None, _) if to.line_number.is_some() || to.extension.is_some() => Some(Direction::Inbound),
        (None, _) => None,
    }
}

/// The customer's number and the operator's extension for a direction.
fn who(direction: Option<Direction>, from: &End, to: &End) -> (Option<String>, Option<String>) {
    match direction {
        Some(Direction::Inbound) => (from.number.clone(), to.extension.clone()),
        Some(Direction::Outbound) => (to.number.clone(), from.extension.clone()),
        Some(Direction::Internal) => (None, to.extension.clone().or(from.extension.clone())),
        None => (None, to.extension.clone().or(from.extension.clone())),
    }
}

/// A time field; 0 (and below) means it did not happen.
fn time(root: &Obj<'_>, key: &str) -> Result<Option<i64>, NoticeError> {
    Ok(json_integer(root, key)?.filter(|t| *t > 0))
}

/// `events/call`: one leg's state change.
fn call(root: &Obj<'_>) -> Result<PbxRequest, NoticeError> {
    let entry_id = root.required_id("entry_id")?;
    let leg = root.required_id("call_id")?;
    let seq =
        json_integer(root, "seq")?.ok_or_else(|| invalid(root.path_of("seq"), "is required"))?;
    let state = id_text(
        &root.path_of("call_state"),
        root.required_str("call_state")?,
    )?;
    let key = format!("{entry_id}:{leg}:{seq}");
    let what = format!("events/call:{state}");
    let machine = matches!(root.str("location")?.map(str::trim), Some("ivr" | "queue"));
    let stage = match state.as_str() {
        "Appeared" => Stage::Started,
        "Connected" if machine => Stage::Started,
        "Connected" => Stage::Answered,
        "Disconnected" => Stage::LegEnded,
        _ => return Ok(PbxRequest::Ignored { key, what }),
    };
    let at = time(root, "timestamp")?;
    let (from, to) = (End::read(root, "from")?, End::read(root, "to")?);
    let direction = direction_from_ends(&from, &to);
    let (customer_number, operator) = who(direction, &from, &to);
    let outcome = match stage {
        Stage::LegEnded => json_integer(root, "disconnect_reason")?.and_then(leg_outcome),
        _ => None,
    };
    Ok(PbxRequest::Event(CallEvent {
        key,
        call_id: entry_id,
        what,
        stage,
        seq: Some(seq),
        direction,
        customer_number,
        line: to.line_number.or(from.line_number),
        operator,
        at,
        started_at: if stage == Stage::Started { at } else { None },
        answered_at: if stage == Stage::Answered { at } else { None },
        duration: None,
        outcome,
    }))
}

/// How a leg ended, when its disconnect reason tells it on its own.
fn leg_outcome(reason: i64) -> Option<Outcome> {
    if CLEARING_REASONS.contains(&reason) {
        None
    } else {
        Some(unanswered_outcome(Some(reason)))
    }
}

/// The outcome of a call or leg nobody talked on.
fn unanswered_outcome(reason: Option<i64>) -> Outcome {
    match reason {
        Some(BUSY_REASON) => Outcome::Busy,
        Some(code) if !NORMAL_REASONS.contains(&code) => Outcome::Failed,
        _ => Outcome::Missed,
    }
}

/// `events/summary`: the call is over.
fn summary(root: &Obj<'_>) -> Result<PbxRequest, NoticeError> {
    let entry_id = root.required_id("entry_id")?;
    let (from, to) = (End::read(root, "from")?, End::read(root, "to")?);
    let direction = match json_integer(root, "call_direction")? {
        Some(0) => Some(Direction::Internal),
        Some(1) => Some(Direction::Inbound),
        Some(2) => Some(Direction::Outbound),
        _ => direction_from_ends(&from, &to),
    };
    let (customer_number, operator) = who(direction, &from, &to);
    let created = time(root, "create_time")?;
    let talk_start = time(root, "talk_time")?;
    let end = time(root, "end_time")?;
    let succeeded = json_integer(root, "entry_result")? == Some(1);
    let reason = json_integer(root, "disconnect_reason")?;
    let answered = talk_start.is_some() || succeeded;
    let (outcome, duration) = if answered {
        let talked = talk_start
            .zip(end)
            .map(|(talk, end)| end.saturating_sub(talk).max(0));
        (Outcome::Answered, talked)
    } else {
        (unanswered_outcome(reason), Some(0))
    };
    Ok(PbxRequest::Event(CallEvent {
        key: format!("{entry_id}:summary"),
        call_id: entry_id,
        what: "events/summary".to_owned(),
        stage: Stage::Finished,
        seq: None,
        direction,
        customer_number,
        line: json_number(root, "line_number")?.or(to.line_number),
        operator,
        at: end,
        started_at: created,
        answered_at: talk_start,
        duration,
        outcome: Some(outcome),
    }))
}
