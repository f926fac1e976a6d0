//! CloudPayments notifications: `Check`, `Pay`, `Fail`, `Confirm`, `Refund`, `Cancel`,
//! `Recurrent`.
//!
//! Each type has its own URL in the merchant panel, so the type is the last part of ours:
//! `/webhooks/payments/cloudpayments/pay`. Without it the type is guessed from the fields,
//! which cannot tell `Check` or `Confirm` from `Pay`.
//!
//! The body is `application/x-www-form-urlencoded` unless JSON was chosen in the panel.
//! `Content-HMAC` and `X-Content-HMAC` are base64(HMAC-SHA256(body, API secret)); either
//! header is accepted, and both only over the raw body exactly as it came: a signature that
//! matches only the percent-decoded form is refused. Amounts are decimals with a dot (`12900.00`).
//!
//! The answer is `{"code":0}` ([`answer`]); for `Check` another code refuses the payment.
//! Anything else than code 0 with HTTP 200 makes CloudPayments re-send.

use base64::Engine as _;

use super::json::{self, id_text, reason_text};
use super::verify::{hmac_sha256, minor_units, same_bytes, sha256_hex};
use super::{Ack, Notice, NoticeError, NoticeKind, ReportedPayment, Request};
use orderpath_core::event::PaymentOutcome;

/// Accepted (for `Check`: the payment may go ahead).
pub const CODE_OK: i32 = 0;
/// `Check`: no such order (`InvoiceId`).
pub const CODE_UNKNOWN_ORDER: i32 = 10;
/// `Check`: the amount is not the order's.
pub const CODE_AMOUNT_MISMATCH: i32 = 12;
/// `Check`: the payment cannot be accepted.
pub const CODE_REFUSED: i32 = 13;

/// What a `Check` needs to know of the order it names.
#[derive(Debug, Clone, Copy)]
pub struct CheckedOrder<'a> {
    /// The order's currency, total and id.
    pub order: orderpath_core::payment::PaidOrder<'a>,
    /// It is in a finished status (done or cancelled).
    pub finished: bool,
}

/// The answer to `Check` ("may this payment go ahead?"): [`CODE_UNKNOWN_ORDER`] when the order
/// is not known, [`CODE_REFUSED`] when it is finished, [`CODE_AMOUNT_MISMATCH`] for another
/// amount or currency, else [`CODE_OK`].
pub fn check_code(payment: &ReportedPayment, order: Option<CheckedOrder<'_>>) -> i32 {
    let Some(checked) = order else {
        return CODE_UNKNOWN_ORDER;
    };
    if checked.finished {
        return CODE_REFUSED;
    }
    let notice = orderpath_core::payment::PaymentNotice {
        outcome: payment.outcome,
        amount: payment.amount,
        currency: payment.currency.as_deref(),
    };
    match orderpath_core::payment::check_payment(notice, checked.order) {
        Ok(()) => CODE_OK,
        Err(_) => CODE_AMOUNT_MISMATCH,
    }
}

/// The answer CloudPayments expects: `{"code":N}`.
pub fn answer(code: i32) -> Ack {
    Ack {
        content_type: "application/json",
        body: format!("{{\"code\":{code}}}"),
    }
}

/// The `Content-HMAC` header value for `body`: base64 of its HMAC-SHA256 with the API secret.
pub fn content_hmac(api_secret: &str, body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac_sha256(api_secret.as_bytes(), body))
}

/// The notification types, in CloudPayments' order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Check,
    Pay,
    Fail,
    Confirm,
    Refund,
    Cancel,
    Recurrent,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::Check,
        Kind::Pay,
        Kind::Fail,
        Kind::Confirm,
        Kind::Refund,
        Kind::Cancel,
        Kind::Recurrent,
    ];

    /// The provider's name of the type.
    fn name(self) -> &'static str {
        match self {
            Kind::Check => "Check",
            Kind::Pay => "Pay",
            Kind::Fail => "Fail",
            Kind::Confirm => "Confirm",
            Kind::Refund => "Refund",
            Kind::Cancel => "Cancel",
            Kind::Recurrent => "Recurrent",
        }
    }

    fn from_path(rest: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(rest))
    }
}

/// Checks a notification's `Content-HMAC` with the API secret and reads it.
pub fn read(request: &Request<'_>, api_secret: &str) -> Result<Notice, NoticeError> {
    authenticate(request, api_secret)?;
    let fields = Fields::read(request)?;
    let kind = if request.rest.is_empty() {
        infer(&fields)?
    } else {
        Kind::from_path(request.rest).ok_or_else(|| {
            let names: Vec<String> = Kind::ALL.iter().map(|k| k.name().to_lowercase()).collect();
            NoticeError::Malformed(format!(
                "unknown notification type {} in the URL; expected one of: {}",
                orderpath_core::text::echo(request.rest),
                names.join(", ")
            ))
        })?
    };
    if kind == Kind::Recurrent {
        return recurrent(&fields, request.body);
    }
    let transaction = fields.transaction_id("TransactionId")?;
    let key = format!("{}:{transaction}", kind.name().to_lowercase());
    let payment = payment(kind, &fields, transaction)?;
    Ok(Notice {
        key,
        what: kind.name().to_owned(),
        kind: if kind == Kind::Check {
            NoticeKind::Check(payment)
        } else {
            NoticeKind::Payment(payment)
        },
    })
}

/// A subscription's change, which no order waits for. It has no transaction; its
/// re-deliveries are the same bytes, so the subscription's id with the body's digest
/// recognises them.
fn recurrent(fields: &Fields, body: &[u8]) -> Result<Notice, NoticeError> {
    let id = match fields.get("Id") {
        Some(id) => id_text("Id", id)?,
        None => String::new(),
    };
    let digest = sha256_hex(body);
    Ok(Notice {
        key: format!("recurrent:{id}:{}", &digest[..16]),
        what: Kind::Recurrent.name().to_owned(),
        kind: NoticeKind::Ignored,
    })
}

fn authenticate(request: &Request<'_>, api_secret: &str) -> Result<(), NoticeError> {
    let plain = request.header("content-hmac");
    let x = request.header("x-content-hmac");
    if plain.is_none() && x.is_none() {
        return Err(NoticeError::Unauthorized(
            "the Content-HMAC header is missing".to_owned(),
        ));
    }
    // CloudPayments signs the bytes it sends: both headers are checked over the raw body
    // only. A signature over a decoded form would let a body be re-encoded on the way.
    let over_raw = hmac_sha256(api_secret.as_bytes(), request.body);
    let decode = |h: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(h.trim())
            .unwrap_or_default()
    };
    let ok = [plain, x]
        .into_iter()
        .flatten()
        .any(|h| same_bytes(&decode(h), &over_raw));
    if ok {
        Ok(())
    } else {
        Err(NoticeError::Unauthorized(
            "the Content-HMAC header does not match the body".to_owned(),
        ))
    }
}

/// The type of a notification that came to the URL without one.
fn infer(fields: &Fields) -> Result<Kind, NoticeError> {
    let status = fields.get("Status").unwrap_or("");
    let settled =
        status.eq_ignore_ascii_case("Completed") || status.eq_ignore_ascii_case("Authorized");
    if fields
        .get("OperationType")
        .is_some_and(|t| t.eq_ignore_ascii_case("Refund"))
    {
        Ok(Kind::Refund)
    } else if (fields.get("Reason").is_some() || fields.get("ReasonCode").is_some()) && !settled {
        Ok(Kind::Fail)
    } else if settled {
        Ok(Kind::Pay)
    } else {
        Err(NoticeError::Malformed(
            "cannot tell the notification type; put it in the URL, e.g. \
             /webhooks/payments/cloudpayments/pay"
                .to_owned(),
        ))
    }
}

fn payment(kind: Kind, fields: &Fields, transaction: i64) -> Result<ReportedPayment, NoticeError> {
    let currency = match fields.get("Currency") {
        Some(code) => Some(json::currency("Currency", code)?),
        None => None,
    };
    let digits = currency.as_ref().map_or(2, |c| c.minor_digits());
    let amount = match fields.get("Amount") {
        Some(text) => {
            Some(minor_units(text, digits).map_err(|e| json::invalid("Amount", e.to_string()))?)
        }
        None if kind == Kind::Cancel => None,
        None => return Err(json::invalid("Amount", "is required")),
    };
    let mut payment_id = transaction.to_string();
    let mut operation_id = None;
    let mut reason = None;
    let outcome = match kind {
        Kind::Pay => {
            let status = fields.get("Status").unwrap_or("");
            if status.eq_ignore_ascii_case("Completed") {
                PaymentOutcome::Succeeded
            } else if status.eq_ignore_ascii_case("Authorized") {
                PaymentOutcome::Authorised
            } else {
                return Err(json::invalid(
                    "Status",
                    "must be Completed or Authorized in Pay",
                ));
            }
        }
        Kind::Confirm => PaymentOutcome::Succeeded,
        Kind::Check => PaymentOutcome::Authorised,
        Kind::Fail => {
            reason = fail_reason(fields);
            PaymentOutcome::Failed
        }
        Kind::Cancel => {
            reason = Some("cancelled".to_owned());
            PaymentOutcome::Failed
        }
        Kind::Refund => {
            if fields.get("PaymentTransactionId").is_some() {
                payment_id = fields.transaction_id("PaymentTransactionId")?.to_string();
            }
            operation_id = Some(transaction.to_string());
            PaymentOutcome::Refunded
        }
        // Answered by `recurrent` before a payment is looked for.
        Kind::Recurrent => {
            return Err(NoticeError::Malformed(
                "a Recurrent notification reports no payment".to_owned(),
            ))
        }
    };
    Ok(ReportedPayment {
        order_ref: fields
            .get("InvoiceId")
            .map(|v| id_text("InvoiceId", v))
            .transpose()?,
        payment_id,
        operation_id,
        outcome,
        amount,
        currency: currency.map(|c| c.as_str().to_owned()),
        reason,
        test: fields.test_mode()?,
    })
}

/// `Reason` with `ReasonCode`: `InsufficientFunds (5051)`.
fn fail_reason(fields: &Fields) -> Option<String> {
    let reason = fields.get("Reason").and_then(reason_text);
    let code = fields.get("ReasonCode").and_then(reason_text);
    match (reason, code) {
        (Some(r), Some(c)) => Some(format!("{r} ({c})")),
        (Some(r), None) => Some(r),
        (None, Some(c)) => Some(format!("reason code {c}")),
        (None, None) => None,
    }
}

/// The notification's fields as text, from a form or a JSON body.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn read(request: &Request<'_>) -> Result<Fields, NoticeError> {
        let is_json = request
            .header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().contains("json"))
            || request.body.trim_ascii_start().starts_with(b"{");
        if !is_json {
            return Ok(Fields(super::verify::form_pairs(request.body)));
        }
        let value = json::parse(request.body)?;
        let root = json::Obj::root(&value)?;
        let pairs = root
            .entries()
            .filter_map(|(k, v)| {
                let text = match v {
                    serde_json::Value::Null => return None,
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Some((k.clone(), text))
            })
            .collect();
        Ok(Fields(pairs))
    }

    /// The field, `None` when absent or blank.
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn transaction_id(&self, key: &str) -> Result<i64, NoticeError> {
        let text = self
            .get(key)
            .ok_or_else(|| json::invalid(key, "is required"))?;
        text.parse().map_err(|_| {
            json::invalid(
                key,
                format!(
                    "must be an integer, got {}",
                    orderpath_core::text::echo(text)
                ),
            )
        })
    }

    fn test_mode(&self) -> Result<bool, NoticeError> {
        match self.get("TestMode") {
            None => Ok(false),
            Some(v) if v == "1" || v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v == "0" || v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(json::invalid(
                "TestMode",
                format!(
                    "must be 1, 0, true or false, got {}",
                    orderpath_core::text::echo(v)
                ),
            )),
        }
    }
}
