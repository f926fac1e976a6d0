//! Our documented JSON for any other carrier or aggregator: a job that polls ApiShip, Boxberry
//! or Russian Post posts each status it finds, signed with Standard Webhooks (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature`). The caller verifies the signature; this reads
//! the body:
//!
//! ```json
//! {"type": "delivery.status",
//!  "data": {"carrier": "boxberry", "order_id": "A-1001", "carrier_order_id": null,
//!           "track_number": "BB123456789",
//!           "tracking_url": "https://boxberry.ru/tracking-page?id=BB123456789",
//!           "status": "at-pickup-point", "carrier_status": "Поступило в пункт выдачи",
//!           "status_at": "2026-11-25T14:03:11+03:00", "is_return": false,
//!           "fields": {"pickup_point": {"address": "Москва, ул. Тверская, 7",
//!                                       "phone": "+7 495 000-00-07", "hours": "10:00–21:00"},
//!                      "storage_until": "2026-12-02"}}}
//! ```
//!
//! - `carrier` (required): a lower-case name, `[a-z0-9-]`, at most 64 characters.
//! - `order_id`, `carrier_order_id`, `track_number`: at least one, to find the order by (in
//!   that order). A track number has at most 64 characters.
//! - `status` (required): one of [`DELIVERY_STATUSES`]; `carrier_status`: the carrier's own
//!   words for it (a number is taken as text), `status` when left out.
//! - `status_at`: RFC 3339, when the status happened; it orders late reports
//!   (`orderpath_core::delivery::progress`).
//! - `fields`: [`FIELD_NAMES`]. `pickup_point` is the order webhook's field of that name (an
//!   object with `address`, `phone` and `hours`, each 1–500 characters), so the messages that
//!   name the pickup point read it whichever webhook set it; `storage_until` is a date
//!   (`YYYY-MM-DD`), the last day the point keeps the parcel. `null` clears a field; any other
//!   key is refused, so a misspelt one is not silently lost.
//!
//! The idempotency key is `webhook-id`, the same on every retry.

use serde_json::{json, Map, Value};

use super::check::{self, invalid, LONG_TEXT_MAX, SHORT_TEXT_MAX};
use super::{CarrierError, DeliveryKind, DeliveryNotice};
use crate::acquirer::json::{self, Obj};
use orderpath_core::automation::event::DELIVERY_STATUSES;
use orderpath_core::automation::time::rfc3339;
use orderpath_core::text::{echo, is_code};

/// The one accepted `type`.
pub const TYPE: &str = "delivery.status";

/// The keys `data.fields` may carry.
pub const FIELD_NAMES: [&str; 2] = ["pickup_point", "storage_until"];

/// The parts of `pickup_point`, as in the order webhook.
const PICKUP_POINT_PARTS: [&str; 3] = ["address", "phone", "hours"];

/// Reads a verified notification; `webhook_id` is its `webhook-id` header.
pub fn parse(body: &[u8], webhook_id: &str) -> Result<DeliveryKind, CarrierError> {
    let value = json::parse(body)?;
    let root = Obj::root(&value)?;
    let kind = root.required_str("type")?;
    if kind != TYPE {
        return Err(invalid(
            "type",
            format!("must be \"{TYPE}\", got {}", echo(kind)),
        ));
    }
    let data = root.required_object("data")?;
    let carrier = data.required_str("carrier")?;
    if !is_code(carrier, SHORT_TEXT_MAX, false) {
        return Err(invalid(
            data.path_of("carrier"),
            format!(
                "must be a lower-case name of 1–{SHORT_TEXT_MAX} letters, digits and dashes \
                 (e.g. boxberry, russian-post), got {}",
                echo(carrier)
            ),
        ));
    }
    let order_ref = data.id("order_id")?;
    let carrier_order_id = data.id("carrier_order_id")?;
    let track_number = data.id("track_number")?;
    if track_number
        .as_deref()
        .is_some_and(|t| t.chars().count() > SHORT_TEXT_MAX)
    {
        return Err(invalid(
            data.path_of("track_number"),
            format!("must be at most {SHORT_TEXT_MAX} characters"),
        ));
    }
    if order_ref.is_none() && carrier_order_id.is_none() && track_number.is_none() {
        return Err(invalid(
            data.path_of("order_id"),
            "is required when neither carrier_order_id nor track_number is given",
        ));
    }
    let tracking_url = match data.str("tracking_url")? {
        None => None,
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(check::url(s).map(str::to_owned).ok_or_else(|| {
            invalid(
                data.path_of("tracking_url"),
                "must be an http(s) URL of at most 1000 characters",
            )
        })?),
    };
    let status = data.required_str("status")?;
    if !DELIVERY_STATUSES.contains(&status) {
        return Err(invalid(
            data.path_of("status"),
            format!(
                "unknown status {}; must be one of: {}",
                echo(status),
                DELIVERY_STATUSES.join(", ")
            ),
        ));
    }
    let status_at = match data.str("status_at")? {
        None => None,
        Some(s) => Some(
            rfc3339::to_unix(s.trim(), rfc3339::Offset::Rfc3339).ok_or_else(|| {
                invalid(
                    data.path_of("status_at"),
                    "must be an RFC 3339 date-time, e.g. 2026-11-25T14:03:11+03:00",
                )
            })?,
        ),
    };
    Ok(DeliveryKind::Status(DeliveryNotice {
        key: webhook_id.to_owned(),
        carrier: carrier.to_owned(),
        order_ref,
        carrier_order_id,
        track_number,
        tracking_url,
        carrier_status: data
            .reason("carrier_status")?
            .unwrap_or_else(|| status.to_owned()),
        status: Some(status.to_owned()),
        status_at,
        is_return: data.bool("is_return")?.unwrap_or(false),
        fields: match data.object("fields")? {
            Some(fields) => order_fields(&fields)?,
            None => Vec::new(),
        },
    }))
}

/// `data.fields`, checked and trimmed.
fn order_fields(fields: &Obj) -> Result<Vec<(String, Value)>, CarrierError> {
    let mut out = Vec::new();
    for (name, value) in fields.entries() {
        let path = fields.path_of(name);
        let normalised = match (name.as_str(), value) {
            (name, _) if !FIELD_NAMES.contains(&name) => {
                return Err(invalid(
                    path,
                    format!(
                        "is not a known field; use one of: {}",
                        FIELD_NAMES.join(", ")
                    ),
                ))
            }
            (_, Value::Null) => Value::Null,
            ("pickup_point", Value::Object(point)) => pickup_point(point, &path)?,
            ("pickup_point", _) => {
                return Err(invalid(
                    path,
                    "must be an object with address, phone and hours",
                ))
            }
            (_, Value::String(date)) if rfc3339::is_date(date.trim()) => json!(date.trim()),
            _ => return Err(invalid(path, "must be a date, e.g. 2026-12-02")),
        };
        out.push((name.clone(), normalised));
    }
    Ok(out)
}

/// The pickup point's address, phone and hours (each optional); other keys are left out.
fn pickup_point(point: &Map<String, Value>, path: &str) -> Result<Value, CarrierError> {
    let mut out = Map::new();
    for part in PICKUP_POINT_PARTS {
        let text = match point.get(part) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) => check::text(s, LONG_TEXT_MAX),
            Some(_) => None,
        };
        let text = text.ok_or_else(|| {
            invalid(
                format!("{path}.{part}"),
                format!("must be text of 1–{LONG_TEXT_MAX} characters"),
            )
        })?;
        out.insert(part.to_owned(), json!(text));
    }
    Ok(Value::Object(out))
}
