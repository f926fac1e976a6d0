//! Our documented JSON for any other acquirer, sent through a relay that signs it with
//! Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). The caller
//! verifies the signature; this reads the body:
//!
//! ```json
//! {"type": "payment.succeeded", "timestamp": "2026-11-24T10:21:05Z",
//!  "data": {"order_id": "A-1001", "payment_id": "pay_8f2c41", "amount": 1290000,
//!           "currency": "RUB", "reason": null, "refund_id": null, "test": false}}
//! ```
//!
//! `type` is `payment.succeeded`, `payment.failed`, `payment.refunded` or
//! `payment.authorised` (`payment.authorized` too). `amount` is in minor units. `order_id` may
//! be left out of a refund, which finds its order by `payment_id`; `refund_id` tells two
//! partial refunds apart. The idempotency key is `webhook-id`, the same on every retry.

use super::json::{self, Obj};
use super::{Notice, NoticeError, NoticeKind, ReportedPayment};
use orderpath_core::event::PaymentOutcome;
use orderpath_core::text::echo;

/// The accepted `type`s, in documentation order.
pub const TYPES: [&str; 4] = [
    "payment.succeeded",
    "payment.failed",
    "payment.refunded",
    "payment.authorised",
];

/// Reads a verified notification; `webhook_id` is its `webhook-id` header.
pub fn parse(body: &[u8], webhook_id: &str) -> Result<Notice, NoticeError> {
    let value = json::parse(body)?;
    let root = Obj::root(&value)?;
    let kind = root.required_str("type")?;
    let outcome = match kind {
        "payment.succeeded" => PaymentOutcome::Succeeded,
        "payment.failed" => PaymentOutcome::Failed,
        "payment.refunded" => PaymentOutcome::Refunded,
        "payment.authorised" | "payment.authorized" => PaymentOutcome::Authorised,
        other => {
            return Err(json::invalid(
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
    let order_ref = match data.str("order_id")? {
        Some(_) => data.id("order_id")?,
        None => None,
    };
    if order_ref.is_none() && outcome != PaymentOutcome::Refunded {
        return Err(json::invalid(data.path_of("order_id"), "is required"));
    }
    let payment_id = data.required_str("payment_id")?;
    let payment_id = json::id_text(&data.path_of("payment_id"), payment_id)?;
    let currency_path = data.path_of("currency");
    let currency = data.required_str("currency")?;
    if orderpath_core::money::Currency::parse(currency).is_err() {
        return Err(json::invalid(
            currency_path,
            format!(
                "must be three upper-case letters (e.g. RUB), got {}",
                echo(currency)
            ),
        ));
    }
    let operation_id = match data.str("refund_id")? {
        Some(id) if !id.trim().is_empty() => Some(json::id_text(&data.path_of("refund_id"), id)?),
        _ => None,
    };
    let payment = ReportedPayment {
        order_ref,
        payment_id,
        operation_id,
        outcome,
        amount: Some(data.required_minor("amount")?),
        currency: Some(currency.to_owned()),
        reason: match data.str("reason")? {
            Some(text) => json::reason_text(text),
            None => None,
        },
        test: data.bool("test")?.unwrap_or(false),
    };
    Ok(Notice {
        key: webhook_id.to_owned(),
        what: kind.to_owned(),
        kind: NoticeKind::Payment(payment),
    })
}
