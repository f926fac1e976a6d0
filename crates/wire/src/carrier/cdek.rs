//! CDEK API v2 webhooks (`POST /v2/webhooks` subscriptions).
//!
//! CDEK signs nothing and never retries a failed delivery. Authenticity is a secret in the
//! subscribed URL, `…/webhooks/delivery/cdek?token=<secret>`, compared in constant time; what
//! a failure loses is recovered by polling the order, not by a retry.
//!
//! ```json
//! {"type": "ORDER_STATUS", "date_time": "2026-11-25T14:03:11+0700",
//!  "uuid": "72753031-2c5a-4d2b-8b71-1b3c5d7e9f01",
//!  "attributes": {"is_return": false, "cdek_number": "1106394783", "number": "A-1001",
//!                 "code": "ACCEPTED_AT_PICK_UP_POINT", "status_code": "12",
//!                 "status_date_time": "2026-11-25T14:03:11+0700", "city_name": "Москва"}}
//! ```
//!
//! `uuid` is CDEK's order (the shipment), `number` our order number when the shop sent it at
//! creation, `cdek_number` the track number. The idempotency key is
//! `{uuid}:{code}:{status_date_time}`. Every other webhook `type` (`PRINT_FORM`,
//! `ORDER_MODIFIED`, …) is acknowledged and ignored under `{uuid}:{type}:{date_time}`.
//!
//! The status's time is `attributes.status_date_time`, or the webhook's `date_time` when a
//! payload leaves it out; CDEK writes offsets as `+0700` (`+07:00` and `Z` are read too).
//!
//! # Polling
//!
//! What a lost webhook would have said is asked for with `GET /v2/orders/{uuid}` (OAuth 2
//! client credentials: `POST /v2/oauth/token`, read by [`read_token`]). [`read_order`] turns the
//! answer's `entity` — `uuid`, `number`, `cdek_number`, the return flags and `statuses`
//! (`code`, `date_time`) — into the notice its newest status would have been, with the
//! webhook's key, so a webhook and a poll of the same status are one notice.
//!
//! # Status codes
//!
//! The string `code` (the numeric `status_code` is deprecated) maps to our delivery statuses:
//!
//! | CDEK `code` | No. | Ours |
//! |---|---|---|
//! | `ACCEPTED` (pre-validation), `CREATED` | –, 1 | `created` |
//! | `RECEIVED_AT_SHIPMENT_WAREHOUSE` | 3 | `accepted` |
//! | `READY_FOR_SHIPMENT_IN_SENDER_CITY`, `RETURNED_TO_SENDER_CITY_WAREHOUSE`, `TAKEN_BY_TRANSPORTER_FROM_SENDER_CITY`, `SENT_TO_TRANSIT_CITY`, `ACCEPTED_IN_TRANSIT_CITY`, `ACCEPTED_AT_TRANSIT_WAREHOUSE`, `RETURNED_TO_TRANSIT_WAREHOUSE`, `READY_FOR_SHIPMENT_IN_TRANSIT_CITY`, `TAKEN_BY_TRANSPORTER_FROM_TRANSIT_CITY`, `SENT_TO_RECIPIENT_CITY`, `ACCEPTED_IN_RECIPIENT_CITY`, `ACCEPTED_AT_RECIPIENT_CITY_WAREHOUSE`, `RETURNED_TO_RECIPIENT_CITY_WAREHOUSE` | 6, 16, 7, 21, 22, 13, 17, 19, 20, 8, 9, 10, 18 | `in-transit` |
//! | `ACCEPTED_AT_PICK_UP_POINT`, `POSTOMAT_POSTED` | 12, – | `at-pickup-point` |
//! | `TAKEN_BY_COURIER` | 11 | `out-for-delivery` |
//! | `DELIVERED`, `POSTOMAT_RECEIVED` | 4, – | `delivered` |
//! | `NOT_DELIVERED` | 5 | `not-delivered` |
//! | `SENT_TO_SENDER_CITY`, `ACCEPTED_IN_SENDER_CITY`, `POSTOMAT_SEIZED` | 27, 28, – | `returning` |
//! | `REMOVED`, `INVALID` | 2, – | `problem` |
//! | anything else (customs codes, codes added later) | | none: kept, not acted on |
//!
//! `RETURNED_TO_SENDER_CITY_WAREHOUSE` is not a return to the shop (CDEK's own note), and
//! `RETURNED_TO_RECIPIENT_CITY_WAREHOUSE` is a failed delivery attempt that another follows:
//! both stay `in-transit`.
//!
//! A return shipment travels to the shop: `is_return`, and likewise `is_reverse` and
//! `is_client_return` (a parcel the customer sends back). Its known codes read `returning`,
//! except that `DELIVERED`/`POSTOMAT_RECEIVED` read `returned` (the shop has it back) and
//! `REMOVED`/`INVALID` stay `problem` (a stuck return needs a person as much as a stuck
//! delivery).

use super::check::invalid;
use super::{CarrierError, DeliveryKind, DeliveryNotice};
use crate::acquirer::json::{self, Obj};
use crate::acquirer::verify::same_bytes;
use crate::acquirer::Request;
use orderpath_core::automation::time::rfc3339::{self, Offset};
use orderpath_core::text::echo;

/// Our `carrier` name for CDEK.
pub const CARRIER: &str = "cdek";

/// The one webhook type that reports a parcel's status.
pub const ORDER_STATUS: &str = "ORDER_STATUS";

/// Every status code we know, with our status for a shipment to the customer (see the module
/// docs; [`status_for`] applies the return rules).
pub const STATUS_CODES: [(&str, &str); 27] = [
    ("ACCEPTED", "created"),
    ("CREATED", "created"),
    ("REMOVED", "problem"),
    ("RECEIVED_AT_SHIPMENT_WAREHOUSE", "accepted"),
    ("READY_FOR_SHIPMENT_IN_SENDER_CITY", "in-transit"),
    ("RETURNED_TO_SENDER_CITY_WAREHOUSE", "in-transit"),
    ("TAKEN_BY_TRANSPORTER_FROM_SENDER_CITY", "in-transit"),
    ("SENT_TO_TRANSIT_CITY", "in-transit"),
    ("ACCEPTED_IN_TRANSIT_CITY", "in-transit"),
    ("ACCEPTED_AT_TRANSIT_WAREHOUSE", "in-transit"),
    ("RETURNED_TO_TRANSIT_WAREHOUSE", "in-transit"),
    ("READY_FOR_SHIPMENT_IN_TRANSIT_CITY", "in-transit"),
    ("TAKEN_BY_TRANSPORTER_FROM_TRANSIT_CITY", "in-transit"),
    ("SENT_TO_SENDER_CITY", "returning"),
    ("SENT_TO_RECIPIENT_CITY", "in-transit"),
    ("ACCEPTED_IN_SENDER_CITY", "returning"),
    ("ACCEPTED_IN_RECIPIENT_CITY", "in-transit"),
    ("ACCEPTED_AT_RECIPIENT_CITY_WAREHOUSE", "in-transit"),
    ("ACCEPTED_AT_PICK_UP_POINT", "at-pickup-point"),
    ("TAKEN_BY_COURIER", "out-for-delivery"),
    ("RETURNED_TO_RECIPIENT_CITY_WAREHOUSE", "in-transit"),
    ("DELIVERED", "delivered"),
    ("NOT_DELIVERED", "not-delivered"),
    ("INVALID", "problem"),
    ("POSTOMAT_POSTED", "at-pickup-point"),
    ("POSTOMAT_SEIZED", "returning"),
    ("POSTOMAT_RECEIVED", "delivered"),
];

/// The customer-facing tracking page of a CDEK track number.
const TRACKING_PAGE: &str = "https://www.cdek.ru/ru/tracking?order_id=";

/// Our delivery status for a CDEK status `code`; `is_return` for a shipment back to the shop.
/// `None` for a code we do not know.
pub fn status_for(code: &str, is_return: bool) -> Option<&'static str> {
    let (_, ours) = STATUS_CODES.iter().find(|(known, _)| *known == code)?;
    Some(match *ours {
        "delivered" if is_return => "returned",
        "problem" => "problem",
        _ if is_return => "returning",
        ours => ours,
    })
}

/// Checks a webhook (`token` is the secret expected in the `token` query parameter) and reads
/// it.
pub fn read(request: &Request<'_>, token: &str) -> Result<DeliveryKind, CarrierError> {
    let given = request.param("token").ok_or_else(|| {
        CarrierError::Unauthorized("the token query parameter is missing".to_owned())
    })?;
    // An unset token must not let an empty parameter in.
    if token.is_empty() || !same_bytes(given.as_bytes(), token.as_bytes()) {
        return Err(CarrierError::Unauthorized(
            "the token query parameter does not match".to_owned(),
        ));
    }
    parse(request.body)
}

/// Reads an already authenticated webhook body.
fn parse(body: &[u8]) -> Result<DeliveryKind, CarrierError> {
    let value = json::parse(body)?;
    let root = Obj::root(&value)?;
    let kind = json::id_text("type", root.required_str("type")?)?;
    if kind != ORDER_STATUS {
        let part = |key: &str| root.id(key).map(Option::unwrap_or_default);
        let key = format!("{}:{kind}:{}", part("uuid")?, part("date_time")?);
        return Ok(DeliveryKind::Ignored { key, what: kind });
    }
    let uuid = root.required_id("uuid")?;
    let attributes = root.required_object("attributes")?;
    let code = json::id_text(
        &attributes.path_of("code"),
        attributes.required_str("code")?,
    )?;
    let (time_field, time) = match attributes.str("status_date_time")? {
        Some(time) => (attributes.path_of("status_date_time"), time),
        None => match root.str("date_time")? {
            Some(time) => ("date_time".to_owned(), time),
            None => {
                return Err(invalid(
                    attributes.path_of("status_date_time"),
                    "is required",
                ))
            }
        },
    };
    let time = time.trim();
    let status_at = rfc3339::to_unix(time, Offset::Compact).ok_or_else(|| {
        invalid(
            &time_field,
            format!(
                "must be a date-time such as 2026-11-25T14:03:11+0700, got {}",
                echo(time)
            ),
        )
    })?;
    let notice = status_notice(&attributes, uuid, code, time, status_at)?;
    Ok(DeliveryKind::Status(notice))
}

/// The notice of CDEK order `uuid`'s status `code` at `time` (`status_at` in unix seconds),
/// with what `order` says of the shipment — a webhook's `attributes` or a polled `entity`:
/// our number, the track number and the return flags. The key is the webhook's.
fn status_notice(
    order: &Obj<'_>,
    uuid: String,
    code: String,
    time: &str,
    status_at: i64,
) -> Result<DeliveryNotice, CarrierError> {
    let mut is_return = false;
    for flag in ["is_return", "is_reverse", "is_client_return"] {
        is_return |= order.bool(flag)?.unwrap_or(false);
    }
    let track_number = order.id("cdek_number")?;
    Ok(DeliveryNotice {
        key: format!("{uuid}:{code}:{time}"),
        carrier: CARRIER.to_owned(),
        order_ref: order.id("number")?,
        carrier_order_id: Some(uuid),
        tracking_url: track_number.as_deref().map(tracking_url),
        track_number,
        status: status_for(&code, is_return).map(str::to_owned),
        carrier_status: code,
        status_at: Some(status_at),
        is_return,
        fields: Vec::new(),
    })
}

/// The `access_token` of an OAuth answer (`POST /v2/oauth/token`).
pub fn read_token(body: &[u8]) -> Result<String, CarrierError> {
    let value = json::parse(body)?;
    let root = Obj::root(&value)?;
    let token = root.required_str("access_token")?.trim();
    let printable = token.bytes().all(|b| b.is_ascii_graphic());
    if token.is_empty() || !printable {
        return Err(invalid("access_token", "must be a token"));
    }
    Ok(token.to_owned())
}

/// How long an OAuth answer's token lives (`expires_in`, seconds): `None` when the answer
/// does not say so plainly (a positive whole number up to a day), and the token is then
/// used once and not kept.
pub fn read_token_lifetime(body: &[u8]) -> Option<i64> {
    let value = json::parse(body).ok()?;
    value
        .get("expires_in")?
        .as_i64()
        .filter(|secs| (1..=86_400).contains(secs))
}

/// The notice the newest status of an order (`GET /v2/orders/{uuid}`) stands for; `None` when
/// CDEK lists no status yet. Statuses are compared by time, whatever order CDEK lists them in.
pub fn read_order(body: &[u8]) -> Result<Option<DeliveryNotice>, CarrierError> {
    let value = json::parse(body)?;
    let root = Obj::root(&value)?;
    let entity = root.required_object("entity")?;
    let uuid = entity.required_id("uuid")?;
    let statuses_path = entity.path_of("statuses");
    let statuses = match entity.value("statuses") {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Array(statuses)) => statuses,
        Some(_) => return Err(invalid(statuses_path, "must be an array")),
    };
    let mut newest: Option<(i64, String, String)> = None;
    for (index, status) in statuses.iter().enumerate() {
        let path = format!("{statuses_path}[{index}]");
        let status = match status {
            serde_json::Value::Object(_) => Obj::root(status)?,
            _ => return Err(invalid(path, "must be an object with code and date_time")),
        };
        let code = json::id_text(&format!("{path}.code"), status.required_str("code")?)?;
        let time = status
            .str("date_time")?
            .ok_or_else(|| invalid(format!("{path}.date_time"), "is required"))?
            .trim();
        let at = rfc3339::to_unix(time, Offset::Compact).ok_or_else(|| {
            invalid(
                format!("{path}.date_time"),
                format!(
                    "must be a date-time such as 2026-11-25T14:03:11+0700, got {}",
                    echo(time)
                ),
            )
        })?;
        if newest.as_ref().is_none_or(|(best, _, _)| at > *best) {
            newest = Some((at, code, time.to_owned()));
        }
    }
    let Some((status_at, code, time)) = newest else {
        return Ok(None);
    };
    status_notice(&entity, uuid, code, &time, status_at).map(Some)
}

/// CDEK's tracking page for a track number (encoded, though CDEK's are digits).
pub fn tracking_url(cdek_number: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(cdek_number.as_bytes()).collect();
    format!("{TRACKING_PAGE}{encoded}")
}
