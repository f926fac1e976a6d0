//! Checks the PBX readers share: phone numbers and extensions kept as sent but bounded, and
//! integers that PBXes write either as JSON numbers or as digit strings.

use serde_json::Value;

use super::NoticeError;
use crate::acquirer::json::{invalid, Obj};
use orderpath_core::text::{char_len, echo, has_control};

/// Longest phone number, extension or line taken from a PBX (an E.164 number with spaces,
/// dashes and a SIP prefix fits easily).
pub(crate) const NUMBER_MAX: usize = 64;

/// A number or extension as sent, trimmed; `None` when blank. Normalisation to E.164 is left
/// to the caller: PBXes write `79123456789`, `+7 912 345-67-89` or `sip:101@…`.
pub(crate) fn number(field: &str, value: &str) -> Result<Option<String>, NoticeError> {
    let value = value.trim();
    if value.is_empty() {
        Ok(None)
    } else if char_len(value) > NUMBER_MAX || has_control(value) {
        Err(invalid(
            field,
            format!("must be a number of at most {NUMBER_MAX} printable characters"),
        ))
    } else {
        Ok(Some(value.to_owned()))
    }
}

/// A JSON member that is a number or extension (a string or an integer); `None` when absent,
/// `null` or blank.
pub(crate) fn json_number(obj: &Obj<'_>, key: &str) -> Result<Option<String>, NoticeError> {
    let text = match obj.value(key) {
        None => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(_) => return Err(invalid(obj.path_of(key), "must be a string or an integer")),
    };
    number(&obj.path_of(key), &text)
}

/// A JSON member that is an integer, written as a number or as a string of digits with an
/// optional minus; `None` when absent, `null` or a blank string.
pub(crate) fn json_integer(obj: &Obj<'_>, key: &str) -> Result<Option<i64>, NoticeError> {
    let parsed = match obj.value(key) {
        None => return Ok(None),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => integer_text(s),
        Some(_) => None,
    };
    parsed.map(Some).ok_or_else(|| {
        let shown = obj.value(key).map(Value::to_string).unwrap_or_default();
        invalid(
            obj.path_of(key),
            format!("must be an integer, got {}", echo(&shown)),
        )
    })
}

/// A count of seconds written as digits (`"180"`); `None` when blank.
pub(crate) fn seconds(field: &str, value: &str) -> Result<Option<i64>, NoticeError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match integer_text(value) {
        Some(n) if n >= 0 => Ok(Some(n)),
        _ => Err(invalid(
            field,
            format!("must be a whole number of seconds, got {}", echo(value)),
        )),
    }
}

/// Digits with an optional leading minus, within `i64`.
fn integer_text(s: &str) -> Option<i64> {
    let s = s.trim();
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}
