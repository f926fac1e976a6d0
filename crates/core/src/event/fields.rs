//! The order fields the shop's CRM sets for the automation: `fields` in `order.updated` and
//! `order.status_changed`. Each known key is checked and normalised here (times to UTC), so
//! the triggers see one shape whatever the sender wrote; an unknown key is refused, because a
//! misspelt `callbak_at` would otherwise silently never trigger anything.

use serde_json::{json, Value};

use super::reader::{invalid, Obj};
use super::EventError;
use crate::automation::time::rfc3339;

/// The keys `fields` may carry.
pub const FIELD_NAMES: [&str; 7] = [
    "callback_at",
    "track_number",
    "tracking_url",
    "payment_link",
    "carrier",
    "carrier_integrated",
    "pickup_point",
];

/// Fields to set on an order, normalised: `(name, value)`; `null` clears a field.
pub type OrderFields = Vec<(String, Value)>;

/// Parses the optional `fields` object of `data`.
pub(super) fn parse(data: &Obj) -> Result<OrderFields, EventError> {
    let Some(field) = data.optional("fields") else {
        return Ok(Vec::new());
    };
    let obj = field.object()?;
    let mut out = Vec::new();
    for (name, value) in obj.entries() {
        let path = obj.path_of(name);
        if !FIELD_NAMES.contains(&name) {
            return Err(invalid(
                path,
                format!(
                    "is not a known field; use one of: {}",
                    FIELD_NAMES.join(", ")
                ),
            ));
        }
        let normalised = match (name, value) {
            (_, Value::Null) => Value::Null,
            ("callback_at", Value::String(s)) => {
                match rfc3339::to_unix(s.trim(), rfc3339::Offset::Rfc3339) {
                    Some(secs) => json!(rfc3339::format_utc(secs)),
                    None => {
                        return Err(invalid(
                            path,
                            "must be an RFC 3339 date-time, e.g. 2026-11-24T15:00:00+03:00",
                        ))
                    }
                }
            }
            ("track_number" | "carrier", Value::String(s)) if valid_text(s, 64) => json!(s.trim()),
            ("tracking_url" | "payment_link", Value::String(s)) if valid_url(s) => json!(s.trim()),
            ("carrier_integrated", Value::Bool(b)) => json!(b),
            ("pickup_point", Value::Object(point)) => pickup_point(point, &path)?,
            _ => return Err(invalid(path, rule(name))),
        };
        out.push((name.to_owned(), normalised));
    }
    Ok(out)
}

fn rule(name: &str) -> &'static str {
    match name {
        "track_number" | "carrier" => "must be text of 1–64 characters",
        "tracking_url" | "payment_link" => "must be an http(s) URL of at most 1000 characters",
        "carrier_integrated" => "must be true or false",
        "pickup_point" => "must be an object with address, phone and hours",
        _ => "has the wrong type",
    }
}

fn pickup_point(point: &serde_json::Map<String, Value>, path: &str) -> Result<Value, EventError> {
    let mut out = serde_json::Map::new();
    for key in ["address", "phone", "hours"] {
        match point.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if valid_text(s, 500) => {
                out.insert(key.to_owned(), json!(s.trim()));
            }
            Some(_) => {
                return Err(invalid(
                    format!("{path}.{key}"),
                    "must be text of 1–500 characters",
                ))
            }
        }
    }
    Ok(Value::Object(out))
}

fn valid_text(s: &str, max: usize) -> bool {
    let s = s.trim();
    !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
}

fn valid_url(s: &str) -> bool {
    let s = s.trim();
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() <= 1000
        && !s.chars().any(|c| c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use crate::event::{parse_order_event, EventError, OrderEvent};
    use serde_json::json;

    fn update(fields: serde_json::Value) -> Result<OrderEvent, EventError> {
        let body =
            json!({ "type": "order.updated", "data": { "order_id": "A-1", "fields": fields } });
        parse_order_event(body.to_string().as_bytes())
    }

    #[test]
    fn callback_time_is_normalised_to_utc() {
        let Ok(OrderEvent::Updated(update)) =
            update(json!({ "callback_at": "2026-11-24T15:30:00+03:00" }))
        else {
            panic!("refused");
        };
        assert_eq!(
            update.fields,
            vec![("callback_at".to_owned(), json!("2026-11-24T12:30:00Z"))]
        );
    }

    #[test]
    fn misspelt_field_is_refused_by_name() {
        let Err(EventError::Invalid { field, .. }) = update(json!({ "callbak_at": "x" })) else {
            panic!("accepted");
        };
        assert_eq!(field, "data.fields.callbak_at");
    }

    #[test]
    fn tracking_url_must_be_http() {
        let Err(EventError::Invalid { field, message }) =
            update(json!({ "tracking_url": "javascript:alert(1)" }))
        else {
            panic!("accepted");
        };
        assert_eq!(field, "data.fields.tracking_url");
        assert!(message.contains("URL"));
    }

    #[test]
    fn null_clears_a_field() {
        let Ok(OrderEvent::Updated(update)) = update(json!({ "payment_link": null })) else {
            panic!("refused");
        };
        assert_eq!(
            update.fields,
            vec![("payment_link".to_owned(), serde_json::Value::Null)]
        );
    }
}
