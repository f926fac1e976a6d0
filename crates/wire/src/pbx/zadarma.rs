//! Zadarma call notifications.
//!
//! **URL check.** When the URL is saved, Zadarma sends a request (GET or POST) with
//! `zd_echo=<value>` (in the query or the form) and expects exactly that value back:
//! [`PbxRequest::Echo`]. It is unsigned; the value must be 1–128 visible ASCII characters, so
//! the check cannot make us echo arbitrary text.
//!
//! **Notifications** are POSTed forms with an `event` field. The `Signature` header is the
//! base64 of the lower-case hex (40 characters, not the raw digest) HMAC-SHA1, keyed with the
//! API secret, of a string made of the event's fields ([`signature`]); it is compared in
//! constant time, hex in either case:
//!
//! | Event | Signed string |
//! |---|---|
//! | `NOTIFY_START`, `NOTIFY_INTERNAL`, `NOTIFY_END`, `NOTIFY_IVR` | `caller_id` `called_did` `call_start` |
//! | `NOTIFY_ANSWER` | `caller_id` `destination` `call_start` |
//! | `NOTIFY_OUT_START`, `NOTIFY_OUT_END` | `internal` `destination` `call_start` |
//! | `NOTIFY_RECORD` | `pbx_call_id` `call_id_with_rec` |
//!
//! Only those fields are signed: an end's `disposition` and `duration` are not, nor is
//! `pbx_call_id`, and events of one call with the same signed fields share a signature. That
//! is Zadarma's scheme; the secret still keeps out anyone who has not seen one of the call's
//! notifications. Someone who has could replay its signature with another call id or
//! outcome, so the signed `call_start` bounds when that works: a notification whose
//! `call_start` is more than [`MAX_AGE`] (3 hours) before our clock or more than
//! [`MAX_AHEAD`] (1 hour) after it is refused (422 naming `call_start`). A call longer than
//! 3 hours therefore loses its end notification.
//!
//! (`NOTIFY_IVR` is signed like `NOTIFY_START`, per Zadarma's own library.) Other events (SMS,
//! speech recognition) have other signed strings; they are refused as unverifiable rather
//! than acknowledged unchecked: do not send them to this URL.
//!
//! **Mapping**, the call being `pbx_call_id` and the key `{pbx_call_id}:{event}`:
//!
//! - `NOTIFY_START` → [`Stage::Started`], inbound: customer `caller_id`, line `called_did`.
//! - `NOTIFY_INTERNAL` (ringing an extension) → [`Stage::Started`], inbound, operator
//!   `internal`.
//! - `NOTIFY_ANSWER` → [`Stage::Answered`], inbound: operator `internal`, else `destination`
//!   (the number that answered). It carries no answer time.
//! - `NOTIFY_END` → [`Stage::Finished`], inbound: operator `internal`, talk time `duration`.
//! - `NOTIFY_OUT_START` / `NOTIFY_OUT_END` → [`Stage::Started`] / [`Stage::Finished`],
//!   outbound: customer `destination`, operator `internal`, line `caller_id` (the number shown
//!   to the customer) when sent.
//! - `NOTIFY_RECORD`, `NOTIFY_IVR` → [`PbxRequest::Ignored`].
//!
//! `disposition` gives the outcome: `answered` → answered; `busy` → busy; `no answer`,
//! `cancel` → missed; `failed`, `no money`, `unallocated number`, `no limit`, `no day limit`,
//! `line limit`, `no money, no limit` → failed; anything else → none (the call's state decides
//! from whether it was answered).
//!
//! `call_start` is `YYYY-MM-DD HH:MM:SS` in the PBX account's time zone, which the
//! notification does not name: [`read`] takes the zone (the `zadarma_time_zone` variable, or
//! the shop's), daylight saving time included. It is every event's
//! `started_at`, and the `at` of the two start events. Zadarma sends no end or answer time.
//! `duration` is read as talk seconds (Zadarma says only "length in seconds"; presumably 0 for
//! unanswered calls), so the end is not derived from it. Zadarma expects HTTP 200.

use base64::Engine as _;

use super::fields::{number, seconds};
use super::sha1::hmac_sha1;
use super::{CallEvent, Direction, NoticeError, Outcome, PbxRequest, Stage};
use crate::acquirer::json::{id_text, invalid};
use crate::acquirer::verify::{form_pairs, hex, same_hex};
use crate::acquirer::Request;
use orderpath_core::automation::time::{days_from_civil, TimeZone};

/// How long after a call started its notifications are taken, in seconds.
pub const MAX_AGE: i64 = 3 * 3600;

/// How far ahead of our clock a `call_start` may be, in seconds (clocks drift; a zone
/// set wrong by an hour still works).
pub const MAX_AHEAD: i64 = 3600;

/// Longest `zd_echo` answered.
const ECHO_MAX: usize = 128;

/// The `Signature` header for a signed string: base64 of the lower-case hex HMAC-SHA1.
pub fn signature(api_secret: &str, signed: &str) -> String {
    let digest = hex(&hmac_sha1(api_secret.as_bytes(), signed.as_bytes()));
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// Answers Zadarma's URL check, or checks a notification's `Signature` with the API secret
/// and reads it; `zone` is the account's time zone, `now` Unix seconds (a notification
/// whose `call_start` is not within [`MAX_AGE`] / [`MAX_AHEAD`] of it is refused).
pub fn read(
    request: &Request<'_>,
    api_secret: &str,
    zone: &TimeZone,
    now: i64,
) -> Result<PbxRequest, NoticeError> {
    let form = if request.method == "POST" {
        form_pairs(request.body)
    } else {
        Vec::new()
    };
    let fields = Fields(form);
    if let Some(value) = request.param("zd_echo").or(fields.raw("zd_echo")) {
        return echo(value);
    }
    let event = fields.get("event").ok_or_else(|| {
        NoticeError::Malformed(
            "expected a POST form with an event field, or a zd_echo check".to_owned(),
        )
    })?;
    let event = id_text("event", event)?;
    let kind = Kind::parse(&event).ok_or_else(|| {
        NoticeError::Unauthorized(format!(
            "the signature of a {} notification cannot be checked here: \
             only call notifications (NOTIFY_*) are read",
            orderpath_core::text::echo(&event)
        ))
    })?;
    authenticate(request, api_secret, &kind.signed_string(&fields))?;
    notification(kind, event, &fields, (zone, now))
}

/// The URL check's answer.
fn echo(value: &str) -> Result<PbxRequest, NoticeError> {
    let visible = value.bytes().all(|b| b.is_ascii_graphic());
    if value.is_empty() || value.len() > ECHO_MAX || !visible {
        return Err(NoticeError::Malformed(format!(
            "zd_echo must be 1–{ECHO_MAX} visible ASCII characters"
        )));
    }
    Ok(PbxRequest::Echo(value.to_owned()))
}

fn authenticate(request: &Request<'_>, api_secret: &str, signed: &str) -> Result<(), NoticeError> {
    let given = request
        .header("signature")
        .ok_or_else(|| NoticeError::Unauthorized("the Signature header is missing".to_owned()))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(given.trim())
        .unwrap_or_default();
    let given_hex = String::from_utf8(decoded).unwrap_or_default();
    let expected = hex(&hmac_sha1(api_secret.as_bytes(), signed.as_bytes()));
    if same_hex(&expected, &given_hex) {
        Ok(())
    } else {
        Err(NoticeError::Unauthorized(
            "the Signature header does not match the notification".to_owned(),
        ))
    }
}

/// The notifications read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Start,
    Internal,
    Answer,
    End,
    OutStart,
    OutEnd,
    Record,
    Ivr,
}

impl Kind {
    fn parse(event: &str) -> Option<Kind> {
        Some(match event {
            "NOTIFY_START" => Kind::Start,
            "NOTIFY_INTERNAL" => Kind::Internal,
            "NOTIFY_ANSWER" => Kind::Answer,
            "NOTIFY_END" => Kind::End,
            "NOTIFY_OUT_START" => Kind::OutStart,
            "NOTIFY_OUT_END" => Kind::OutEnd,
            "NOTIFY_RECORD" => Kind::Record,
            "NOTIFY_IVR" => Kind::Ivr,
            _ => return None,
        })
    }

    /// The fields the signature covers, as sent (a missing one counts as empty, as in the
    /// sender's concatenation).
    fn signed_string(self, fields: &Fields) -> String {
        let names: &[&str] = match self {
            Kind::Start | Kind::Internal | Kind::End | Kind::Ivr => {
                &["caller_id", "called_did", "call_start"]
            }
            Kind::Answer => &["caller_id", "destination", "call_start"],
            Kind::OutStart | Kind::OutEnd => &["internal", "destination", "call_start"],
            Kind::Record => &["pbx_call_id", "call_id_with_rec"],
        };
        names
            .iter()
            .map(|name| fields.raw(name).unwrap_or(""))
            .collect()
    }
}

/// An authentic notification, read.
fn notification(
    kind: Kind,
    event: String,
    fields: &Fields,
    (zone, now): (&TimeZone, i64),
) -> Result<PbxRequest, NoticeError> {
    let call_id = id_text(
        "pbx_call_id",
        fields
            .get("pbx_call_id")
            .ok_or_else(|| invalid("pbx_call_id", "is required"))?,
    )?;
    let key = format!("{call_id}:{event}");
    if matches!(kind, Kind::Record | Kind::Ivr) {
        return Ok(PbxRequest::Ignored { key, what: event });
    }
    let call_start = fields
        .get("call_start")
        .ok_or_else(|| invalid("call_start", "is required"))?;
    let started_at = local_time("call_start", call_start, zone)?;
    fresh(started_at, now, call_start, zone)?;
    let text = |name: &str| number(name, fields.get(name).unwrap_or(""));
    let inbound = !matches!(kind, Kind::OutStart | Kind::OutEnd);
    let (customer_number, line) = if inbound {
        (text("caller_id")?, text("called_did")?)
    } else {
        (text("destination")?, text("caller_id")?)
    };
    let operator = match kind {
        Kind::Answer => text("internal")?.or(text("destination")?),
        Kind::Start => None,
        _ => text("internal")?,
    };
    let stage = match kind {
        Kind::Answer => Stage::Answered,
        Kind::End | Kind::OutEnd => Stage::Finished,
        _ => Stage::Started,
    };
    let (duration, outcome) = if stage == Stage::Finished {
        let disposition = fields.get("disposition").unwrap_or("");
        (
            seconds("duration", fields.get("duration").unwrap_or(""))?,
            outcome(disposition),
        )
    } else {
        (None, None)
    };
    let starts = matches!(kind, Kind::Start | Kind::OutStart);
    Ok(PbxRequest::Event(CallEvent {
        key,
        call_id,
        what: event,
        stage,
        seq: None,
        direction: Some(if inbound {
            Direction::Inbound
        } else {
            Direction::Outbound
        }),
        customer_number,
        line,
        operator,
        at: starts.then_some(started_at),
        started_at: Some(started_at),
        answered_at: None,
        duration,
        outcome,
    }))
}

/// The outcome a `disposition` names; `None` for one not known.
fn outcome(disposition: &str) -> Option<Outcome> {
    match disposition.trim().to_ascii_lowercase().as_str() {
        "answered" => Some(Outcome::Answered),
        "busy" => Some(Outcome::Busy),
        "no answer" | "cancel" => Some(Outcome::Missed),
        "failed" | "no money" | "unallocated number" | "no limit" | "no day limit"
        | "line limit" | "no money, no limit" => Some(Outcome::Failed),
        _ => None,
    }
}

/// Refuses a notification about a call that started too long ago or not yet: see
/// [`MAX_AGE`].
fn fresh(started_at: i64, now: i64, call_start: &str, zone: &TimeZone) -> Result<(), NoticeError> {
    // Saturating: a clock or a call_start at the ends of i64 is stale, not an overflow.
    let (age, zone) = (now.saturating_sub(started_at), zone.name());
    if age > MAX_AGE {
        Err(invalid(
            "call_start",
            format!(
                "{call_start} ({zone}) is {} minutes ago: notifications more than {} hours \
                 after a call started are refused, since their outcome is not signed",
                age / 60,
                MAX_AGE / 3600
            ),
        ))
    } else if age.saturating_neg() > MAX_AHEAD {
        Err(invalid(
            "call_start",
            format!(
                "{call_start} ({zone}) is {} minutes ahead of our clock (at most {} allowed); \
                 check zadarma_time_zone",
                age.saturating_neg() / 60,
                MAX_AHEAD / 60
            ),
        ))
    } else {
        Ok(())
    }
}

/// Unix seconds of the wall time `YYYY-MM-DD HH:MM:SS` in `zone`.
fn local_time(field: &str, value: &str, zone: &TimeZone) -> Result<i64, NoticeError> {
    let value = value.trim();
    let shaped =
        value.len() == 19 && value.is_ascii() && matches!(value.as_bytes()[10], b' ' | b'T');
    shaped
        .then(|| wall_time(value, zone))
        .flatten()
        .ok_or_else(|| {
            invalid(
                field,
                format!(
                    "must be a date and time YYYY-MM-DD HH:MM:SS, got {}",
                    orderpath_core::text::echo(value)
                ),
            )
        })
}

/// The form's fields, decoded, in order.
struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first field of this name, exactly as sent.
    fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The field trimmed; `None` when absent or blank.
    fn get(&self, name: &str) -> Option<&str> {
        self.raw(name).map(str::trim).filter(|v| !v.is_empty())
    }
}

/// `YYYY-MM-DD HH:MM:SS` (checked shape) in `zone`, when it is a real date and time.
fn wall_time(value: &str, zone: &TimeZone) -> Option<i64> {
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = &value[range];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let b = value.as_bytes();
    if b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let days = days_from_civil(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?);
    let real_date =
        orderpath_core::automation::time::civil_from_days(days) == (year, month as u32, day as u32);
    (real_date && (1..=12).contains(&month) && hour < 24 && minute < 60 && second < 60)
        .then(|| zone.wall_time(days, hour * 3600 + minute * 60 + second))
}
