//! T-Bank (Tinkoff) Internet Acquiring notifications (`NotificationPayment`).
//!
//! A POST with a flat JSON object: `TerminalKey`, `OrderId` (the shop's order), `PaymentId`,
//! `Status`, `Amount` in kopecks, `Success`, `ErrorCode` (`"0"` is fine), `Message`,
//! `Details`, card fields, nested `DATA`, and `Token`. No currency is sent: the terminal's.
//!
//! `Token` is the SHA-256 (hex) of the root-level scalar values — nested objects and arrays
//! and `Token` itself left out — with the terminal's `Password` added as one more key, sorted
//! by key and concatenated without separators. Booleans count as `true`/`false`, numbers as
//! written.
//!
//! The answer must be the body `OK`; otherwise T-Bank re-sends hourly for 24 hours. A
//! one-stage payment sends both `AUTHORIZED` and `CONFIRMED`, so the idempotency key is
//! `PaymentId` with `Status` — and, for refunds, `Amount` too: two partial refunds of one
//! payment both arrive as `PARTIAL_REFUNDED` and differ only there. (Two partial refunds of the
//! same amount cannot be told from a re-delivery; the first is kept.)

use serde_json::Value;

use super::json::{self, Obj};
use super::verify::{same_hex, sha256_hex};
use super::{Notice, NoticeError, NoticeKind, ReportedPayment, Request};
use orderpath_core::event::PaymentOutcome;

/// The `Token` of a notification (or request) body: see the module documentation.
/// `None` when the body is not a JSON object.
pub fn token(body: &Value, password: &str) -> Option<String> {
    let root = body.as_object()?;
    let mut pairs: Vec<(&str, String)> = root
        .iter()
        .filter(|(key, _)| key.as_str() != "Token")
        .filter_map(|(key, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                // Nested values do not take part; `null` adds nothing, as an empty string would.
                Value::Null | Value::Object(_) | Value::Array(_) => return None,
            };
            Some((key.as_str(), text))
        })
        .collect();
    pairs.push(("Password", password.to_owned()));
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let joined: String = pairs.into_iter().map(|(_, v)| v).collect();
    Some(sha256_hex(joined.as_bytes()))
}

/// Checks a notification's `Token` with the terminal password and reads it.
pub fn read(request: &Request<'_>, password: &str) -> Result<Notice, NoticeError> {
    let value = json::parse(request.body)?;
    let root = Obj::root(&value)?;
    let given = match root.value("Token") {
        Some(Value::String(t)) => t.as_str(),
        _ => {
            return Err(NoticeError::Unauthorized(
                "the Token field is missing".to_owned(),
            ))
        }
    };
    let expected = token(&value, password).unwrap_or_default();
    if !same_hex(&expected, given) {
        return Err(NoticeError::Unauthorized(
            "the Token field does not match the notification".to_owned(),
        ));
    }

    let status = root.required_str("Status")?;
    let payment_id = root.required_id("PaymentId")?;
    // Only payments need it: an intermediate status is acknowledged whatever it carries.
    let amount = || root.required_minor("Amount");
    let mut key = format!("{payment_id}:{status}");
    let (outcome, reason) = match status {
        "CONFIRMED" => (PaymentOutcome::Succeeded, None),
        "AUTHORIZED" => (PaymentOutcome::Authorised, None),
        "REJECTED" | "AUTH_FAIL" | "DEADLINE_EXPIRED" | "CANCELED" => {
            (PaymentOutcome::Failed, Some(failure(&root, status)?))
        }
        // The hold was released: the money never left the customer.
        "REVERSED" | "PARTIAL_REVERSED" => (PaymentOutcome::Failed, Some("reversed".to_owned())),
        "REFUNDED" | "PARTIAL_REFUNDED" => {
            key = format!("{key}:{}", amount()?);
            (PaymentOutcome::Refunded, None)
        }
        _ => {
            return Ok(Notice {
                key,
                what: status.to_owned(),
                kind: NoticeKind::Ignored,
            })
        }
    };
    let operation_id = (outcome == PaymentOutcome::Refunded).then(|| key.clone());
    let payment = ReportedPayment {
        order_ref: root.id("OrderId")?,
        payment_id,
        operation_id,
        outcome,
        amount: Some(amount()?),
        currency: None,
        reason,
        test: false,
    };
    Ok(Notice {
        key,
        what: status.to_owned(),
        kind: NoticeKind::Payment(payment),
    })
}

/// `Message` and `Details` as T-Bank wrote them, with `ErrorCode` when it is not `"0"`;
/// the status when there is nothing else.
fn failure(root: &Obj, status: &str) -> Result<String, NoticeError> {
    let mut parts: Vec<String> = Vec::new();
    for key in ["Message", "Details"] {
        if let Some(text) = root.reason(key)? {
            if !parts.contains(&text) {
                parts.push(text);
            }
        }
    }
    if let Some(code) = root.reason("ErrorCode")?.filter(|c| c != "0") {
        parts.push(format!("error code {code}"));
    }
    Ok(if parts.is_empty() {
        status.to_owned()
    } else {
        parts.join("; ")
    })
}
