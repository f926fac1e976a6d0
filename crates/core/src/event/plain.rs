//! Field readers for our simpler JSON formats (site events, the generic chat format), which
//! read a `serde_json` object directly; the order event has its own reader (`reader.rs`).

use serde_json::{Map, Value};

use super::EventError;

/// A refusal naming the field and the rule it breaks.
pub(crate) fn invalid(field: &str, message: &str) -> EventError {
    EventError::Invalid {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

/// A short single-line text at `path` + `name`: 1–`max` characters without control
/// characters, trimmed; absent or null is `None`.
pub(crate) fn text(
    obj: &Map<String, Value>,
    name: &str,
    path: &str,
    max: usize,
) -> Result<Option<String>, EventError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() || s.chars().count() > max || s.chars().any(char::is_control) {
                Err(invalid(
                    &format!("{path}{name}"),
                    &format!("must be 1–{max} characters without control characters"),
                ))
            } else {
                Ok(Some(s.to_owned()))
            }
        }
        Some(_) => Err(invalid(&format!("{path}{name}"), "must be a string")),
    }
}
