//! Sberbank acquiring callbacks (уведомления обратного вызова).
//!
//! A GET with query parameters by default (a POST form when so configured): `mdOrder` (the
//! gateway's order id), `orderNumber` (the shop's order), `operation` (`approved`,
//! `deposited`, `declinedByTimeout`, `reversed`, `refunded`), `status` (`1` done, `0`
//! failed), optionally `amount` (kopecks) and `currency`, and `checksum`.
//!
//! `checksum` (symmetric variant) is the HMAC-SHA256, hex, keyed with the callback key, of
//! every parameter but `checksum` and `sign_alias`, sorted by name and written `name;value;`.
//! The gateway sends upper-case hex; either case is accepted. Unsigned callbacks are refused,
//! as is the asymmetric (RSA) variant, which needs the bank's public key.
//!
//! HTTP 200 acknowledges. The idempotency key is `mdOrder` with `operation` and `status` —
//! and, for refunds, `amount` too: two partial refunds of one order differ only there. (Without
//! `amount` in the callbacks, or with two refunds of the same amount, a second refund cannot be
//! told from a re-delivery; the first is kept.)

use super::json::{self, id_text};
use super::verify::{form_pairs, hex, hmac_sha256, same_hex};
use super::{Notice, NoticeError, NoticeKind, ReportedPayment, Request};
use orderpath_core::event::PaymentOutcome;
use orderpath_core::text::echo;

/// The `checksum` of callback parameters, lower-case hex: see the module documentation.
pub fn checksum(params: &[(String, String)], key: &str) -> String {
    let mut signed: Vec<&(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "checksum" && name != "sign_alias")
        .collect();
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::new();
    for (name, value) in signed {
        text.push_str(name);
        text.push(';');
        text.push_str(value);
        text.push(';');
    }
    hex(&hmac_sha256(key.as_bytes(), text.as_bytes()))
}

/// Checks a callback's `checksum` with the callback key and reads it.
pub fn read(request: &Request<'_>, key: &str) -> Result<Notice, NoticeError> {
    let body_params;
    let params: &[(String, String)] = if request.method == "POST" && !request.body.is_empty() {
        body_params = form_pairs(request.body);
        &body_params
    } else {
        request.query
    };
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let given = get("checksum")
        .ok_or_else(|| NoticeError::Unauthorized("the checksum parameter is missing".to_owned()))?;
    if !same_hex(&checksum(params, key), given) {
        return Err(NoticeError::Unauthorized(
            "the checksum does not match the parameters".to_owned(),
        ));
    }

    let required = |name: &str| get(name).ok_or_else(|| json::invalid(name, "is required"));
    let md_order = id_text("mdOrder", required("mdOrder")?)?;
    let order_number = id_text("orderNumber", required("orderNumber")?)?;
    let operation = required("operation")?;
    let done = match required("status")? {
        "1" => true,
        "0" => false,
        other => {
            return Err(json::invalid(
                "status",
                format!("must be 1 or 0, got {}", echo(other)),
            ))
        }
    };
    let amount = match get("amount") {
        Some(text) if text.bytes().all(|b| b.is_ascii_digit()) => Some(
            text.parse::<i64>()
                .map_err(|_| json::invalid("amount", "is too large"))?,
        ),
        Some(text) => {
            return Err(json::invalid(
                "amount",
                format!("must be an integer ≥ 0 (kopecks), got {}", echo(text)),
            ))
        }
        None => None,
    };
    let mut key = format!("{md_order}:{operation}:{}", if done { 1 } else { 0 });
    if operation == "refunded" {
        key = format!(
            "{key}:{}",
            amount.map(|a| a.to_string()).unwrap_or_default()
        );
    }

    let failed = |reason: &str| Some((PaymentOutcome::Failed, Some(reason.to_owned())));
    let mapped = match (operation, done) {
        ("deposited", true) => Some((PaymentOutcome::Succeeded, None)),
        ("deposited", false) => failed("payment declined"),
        ("approved", true) => Some((PaymentOutcome::Authorised, None)),
        ("approved", false) => failed("authorisation declined"),
        ("declinedByTimeout", _) => failed("declined by timeout"),
        // A failed reversal or refund leaves the payment as it was.
        ("reversed", true) => failed("reversed"),
        ("refunded", true) => Some((PaymentOutcome::Refunded, None)),
        _ => None,
    };
    let kind = match mapped {
        None => NoticeKind::Ignored,
        Some((outcome, reason)) => NoticeKind::Payment(ReportedPayment {
            order_ref: Some(order_number),
            operation_id: (outcome == PaymentOutcome::Refunded).then(|| {
                let amount = amount.map(|a| a.to_string()).unwrap_or_default();
                format!("{md_order}:refunded:{amount}")
            }),
            payment_id: md_order,
            outcome,
            amount,
            currency: get("currency").map(currency).transpose()?,
            reason,
            test: false,
        }),
    };
    Ok(Notice {
        key,
        what: operation.to_owned(),
        kind,
    })
}

/// An ISO 4217 code as the gateway sent it: numeric codes translated where known (with or
/// without leading zeros), unknown ones kept as sent so a mismatch shows; letters upper-cased.
fn currency(code: &str) -> Result<String, NoticeError> {
    let refused = || {
        json::invalid(
            "currency",
            format!("must be an ISO 4217 code (643 or RUB), got {}", echo(code)),
        )
    };
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Ok(code.to_ascii_uppercase());
    }
    if code.is_empty() || code.len() > 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused());
    }
    let known = match code.parse::<u32>() {
        Ok(643) => "RUB",
        Ok(840) => "USD",
        Ok(978) => "EUR",
        Ok(933) => "BYN",
        Ok(398) => "KZT",
        Ok(156) => "CNY",
        Ok(51) => "AMD",
        Ok(860) => "UZS",
        _ => code,
    };
    Ok(known.to_owned())
}
