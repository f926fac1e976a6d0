//! Stripe webhook events.
//!
//! A POST with an Event: `{"id":"evt_…","type":"payment_intent.succeeded","livemode":true,
//! "created":…,"data":{"object":{…}}}`. Amounts are integers in minor units, currencies
//! lower-case ISO codes, the shop's order id is in `metadata.order_id` (or a Checkout
//! Session's `client_reference_id`).
//!
//! `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`: each `v1` is the hex HMAC-SHA256 of
//! `"{t}.{raw body}"` keyed with the endpoint secret exactly as shown (`whsec_…`, not
//! decoded). Any `v1` may match (several appear while a secret is rolled); `v0` is ignored;
//! `t` must be within [`TOLERANCE_SECS`] of now, so a captured request cannot be replayed
//! later.
//!
//! Any 2xx acknowledges; Stripe re-sends for up to three days, in no particular order, so the
//! event id is the idempotency key.

use super::json::{self, Obj};
use super::verify::{hex, hmac_sha256_parts, same_hex};
use super::{Notice, NoticeError, NoticeKind, ReportedPayment, Request};
use orderpath_core::event::PaymentOutcome;

/// Largest distance between the signature's `t` and now, in seconds (Stripe's libraries'
/// default).
pub const TOLERANCE_SECS: u64 = 300;

/// The hex `v1` signature of `body` sent at `timestamp`.
pub fn signature(endpoint_secret: &str, timestamp: i64, body: &[u8]) -> String {
    let prefix = format!("{timestamp}.");
    hex(&hmac_sha256_parts(
        endpoint_secret.as_bytes(),
        &[prefix.as_bytes(), body],
    ))
}

/// Checks an event's `Stripe-Signature` with the endpoint secret at `now` (unix seconds) and
/// reads it.
pub fn read(request: &Request<'_>, endpoint_secret: &str, now: i64) -> Result<Notice, NoticeError> {
    authenticate(request, endpoint_secret, now)?;
    let value = json::parse(request.body)?;
    let event = Obj::root(&value)?;
    let id = event.required_id("id")?;
    let kind = event.required_str("type")?;
    let test = !event.bool("livemode")?.unwrap_or(false);
    let object = || event.required_object("data")?.required_object("object");
    let reported = match kind {
        "payment_intent.succeeded" => {
            let object = object()?;
            let amount = match object.minor("amount_received")? {
                Some(received) => received,
                None => object.required_minor("amount")?,
            };
            Some(intent(&object, PaymentOutcome::Succeeded, amount, None)?)
        }
        "payment_intent.payment_failed" => {
            let object = object()?;
            let amount = object.required_minor("amount")?;
            let reason = intent_failure(&object)?;
            Some(intent(
                &object,
                PaymentOutcome::Failed,
                amount,
                Some(reason),
            )?)
        }
        "payment_intent.amount_capturable_updated" => {
            let object = object()?;
            let amount = object.required_minor("amount_capturable")?;
            Some(intent(&object, PaymentOutcome::Authorised, amount, None)?)
        }
        "payment_intent.canceled" => {
            let object = object()?;
            let amount = object.required_minor("amount")?;
            let reason = object
                .reason("cancellation_reason")?
                .unwrap_or_else(|| "canceled".to_owned());
            Some(intent(
                &object,
                PaymentOutcome::Failed,
                amount,
                Some(reason),
            )?)
        }
        "checkout.session.completed" => {
            let object = object()?;
            // Asynchronous methods (bank transfers) complete unpaid and report later.
            match object.required_str("payment_status")? {
                "paid" => Some(session(&object, PaymentOutcome::Succeeded, None)?),
                _ => None,
            }
        }
        "checkout.session.async_payment_succeeded" => {
            Some(session(&object()?, PaymentOutcome::Succeeded, None)?)
        }
        "checkout.session.async_payment_failed" => Some(session(
            &object()?,
            PaymentOutcome::Failed,
            Some("async payment failed".to_owned()),
        )?),
        "charge.refunded" => Some(refund(&object()?)?),
        _ => None,
    };
    Ok(Notice {
        key: id,
        what: kind.to_owned(),
        kind: match reported {
            Some(payment) => NoticeKind::Payment(ReportedPayment { test, ..payment }),
            None => NoticeKind::Ignored,
        },
    })
}

fn authenticate(request: &Request<'_>, secret: &str, now: i64) -> Result<(), NoticeError> {
    let unauthorized = |m: &str| NoticeError::Unauthorized(m.to_owned());
    let header = request
        .header("stripe-signature")
        .ok_or_else(|| unauthorized("the Stripe-Signature header is missing"))?;
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v1)) => candidates.push(v1),
            _ => {}
        }
    }
    let timestamp = timestamp
        .ok_or_else(|| unauthorized("the Stripe-Signature header has no timestamp (t=)"))?;
    if candidates.is_empty() {
        return Err(unauthorized(
            "the Stripe-Signature header has no v1 signature",
        ));
    }
    let expected = signature(secret, timestamp, request.body);
    // Every candidate is compared, so the time taken does not tell which one matched.
    let matched = candidates
        .iter()
        .fold(false, |found, given| same_hex(&expected, given) | found);
    if !matched {
        return Err(unauthorized("no v1 signature matches the body"));
    }
    if now.abs_diff(timestamp) > TOLERANCE_SECS {
        return Err(NoticeError::Unauthorized(format!(
            "the Stripe-Signature timestamp is outside the tolerance of {TOLERANCE_SECS} s"
        )));
    }
    Ok(())
}

/// A PaymentIntent.
fn intent(
    object: &Obj,
    outcome: PaymentOutcome,
    amount: i64,
    reason: Option<String>,
) -> Result<ReportedPayment, NoticeError> {
    Ok(ReportedPayment {
        order_ref: metadata_order(object)?,
        payment_id: object.required_id("id")?,
        operation_id: None,
        outcome,
        amount: Some(amount),
        currency: Some(currency(object)?),
        reason,
        test: false,
    })
}

/// `last_payment_error.message` with its `code`: `Your card was declined. (card_declined)`.
fn intent_failure(object: &Obj) -> Result<String, NoticeError> {
    let Some(error) = object.object("last_payment_error")? else {
        return Ok("payment failed".to_owned());
    };
    Ok(match (error.reason("message")?, error.reason("code")?) {
        (Some(message), Some(code)) => format!("{message} ({code})"),
        (Some(text), None) | (None, Some(text)) => text,
        (None, None) => "payment failed".to_owned(),
    })
}

/// A Checkout Session: its payment is the PaymentIntent it created, when there is one.
fn session(
    object: &Obj,
    outcome: PaymentOutcome,
    reason: Option<String>,
) -> Result<ReportedPayment, NoticeError> {
    let payment_id = match linked_id(object, "payment_intent")? {
        Some(id) => id,
        None => object.required_id("id")?,
    };
    let order_ref = match object.id("client_reference_id")? {
        Some(reference) => Some(reference),
        None => metadata_order(object)?,
    };
    Ok(ReportedPayment {
        order_ref,
        payment_id,
        operation_id: None,
        outcome,
        amount: Some(object.required_minor("amount_total")?),
        currency: Some(currency(object)?),
        reason,
        test: false,
    })
}

/// A refunded Charge. `amount_refunded` is cumulative, so with the charge id it names this
/// refund: a second partial refund is another operation.
fn refund(object: &Obj) -> Result<ReportedPayment, NoticeError> {
    let charge = object.required_id("id")?;
    let refunded = object.required_minor("amount_refunded")?;
    Ok(ReportedPayment {
        order_ref: metadata_order(object)?,
        payment_id: linked_id(object, "payment_intent")?.unwrap_or_else(|| charge.clone()),
        operation_id: Some(format!("{charge}:{refunded}")),
        outcome: PaymentOutcome::Refunded,
        amount: Some(refunded),
        currency: Some(currency(object)?),
        reason: None,
        test: false,
    })
}

/// Another object's id: a string, or the `id` of the object when Stripe expanded it.
fn linked_id(object: &Obj, key: &str) -> Result<Option<String>, NoticeError> {
    match object.value(key) {
        Some(serde_json::Value::Object(_)) => match object.object(key)? {
            Some(expanded) => expanded.id("id"),
            None => Ok(None),
        },
        _ => object.id(key),
    }
}

fn metadata_order(object: &Obj) -> Result<Option<String>, NoticeError> {
    match object.object("metadata")? {
        Some(metadata) => metadata.id("order_id"),
        None => Ok(None),
    }
}

fn currency(object: &Obj) -> Result<String, NoticeError> {
    let code = object.required_str("currency")?;
    Ok(json::currency(&object.path_of("currency"), code)?
        .as_str()
        .to_owned())
}
