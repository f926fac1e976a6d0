//! What the shop platforms' readers share: their signature (base64 HMAC-SHA256 of the body),
//! decimal amounts in the platform's own spelling, codes made of titles, and the documented
//! `order.created` data read with the core's parser.
//!
//! Platforms write money as decimals (`"1490.00"`, `22.4`), sometimes with more digits than
//! the currency has (a WooCommerce line of three at 833.333). An order must not be lost over
//! a fraction of a kopeck, so amounts here are rounded half up to the currency's minor unit —
//! unlike the acquirers' amounts ([`crate::acquirer::verify::minor_units`]), where a payment
//! is refused rather than rounded.

use serde_json::{json, Value};

use crate::acquirer::json::invalid;
use crate::acquirer::NoticeError;
use orderpath_core::contact::{Email, Phone};
use orderpath_core::event::{NewOrder, OrderEvent};
use orderpath_core::text::echo;
use orderpath_core::EventError;

/// base64 of the HMAC-SHA256 of `body` with `secret`: Shopify's `X-Shopify-Hmac-Sha256` and
/// WooCommerce's `X-WC-Webhook-Signature`.
pub(crate) fn signature(secret: &str, body: &[u8]) -> String {
    use base64::Engine as _;
    let mac = crate::acquirer::verify::hmac_sha256(secret.as_bytes(), body);
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// Longest code the order format takes (`delivery.type`, `channel`).
const CODE_MAX: usize = 32;

/// A decimal such as `"1490.00"`, `"-10.00"`, `"22.4"` or `"833.333"` in minor units of a
/// currency with `digits` digits after the dot, rounded half up (away from zero).
pub(crate) fn decimal_minor(field: &str, text: &str, digits: u32) -> Result<i64, NoticeError> {
    let refuse = || {
        invalid(
            field,
            format!("must be a decimal amount, got {}", echo(text)),
        )
    };
    let trimmed = text.trim();
    let (negative, unsigned) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err(refuse());
    }
    let digits = usize::try_from(digits).unwrap_or(usize::MAX);
    let kept_len = fraction.len().min(digits);
    let (kept, dropped) = fraction.split_at(kept_len);
    let mut minor: i64 = 0;
    let padding = std::iter::repeat_n(b'0', digits - kept_len);
    for b in whole.bytes().chain(kept.bytes()).chain(padding) {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(b - b'0')))
            .ok_or_else(|| invalid(field, "is too large"))?;
    }
    if dropped.bytes().next().is_some_and(|b| b >= b'5') {
        minor = minor
            .checked_add(1)
            .ok_or_else(|| invalid(field, "is too large"))?;
    }
    Ok(if negative { -minor } else { minor })
}

/// An amount sent as a JSON string or number; `None` when absent, `null` or blank.
pub(crate) fn value_minor(
    field: &str,
    value: Option<&Value>,
    digits: u32,
) -> Result<Option<i64>, NoticeError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => decimal_minor(field, s, digits).map(Some),
        // serde_json writes a float in the shortest form that reads back (22.4, 0.1), and
        // an exponent (1e21) only for values no order has; those are refused as not decimal.
        Some(Value::Number(n)) => decimal_minor(field, &n.to_string(), digits).map(Some),
        Some(_) => Err(invalid(field, "must be a decimal amount")),
    }
}

/// `sum / count` rounded half up; `sum` when `count` is 0.
pub(crate) fn per_unit(sum: i64, count: i64) -> i64 {
    if count <= 0 {
        return sum;
    }
    // In i128: `2 * sum` of a huge (refused later by the core) amount must not overflow.
    let unit = (2 * i128::from(sum) + i128::from(count)).div_euclid(2 * i128::from(count));
    i64::try_from(unit).unwrap_or(if unit < 0 { i64::MIN } else { i64::MAX })
}

/// A title or a platform's method id as a code of the order format: Cyrillic spelled in
/// Latin letters, lower-case, every run of other characters one `-`, at most 32 characters
/// cut at a word's end where possible. `flat_rate` → `flat-rate`, `Курьер по Москве` →
/// `kurer-po-moskve`. `None` when nothing is left.
pub(crate) fn code_of(title: &str) -> Option<String> {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        let latin = if c.is_ascii_alphanumeric() {
            Some(c.to_string())
        } else {
            cyrillic_in_latin(c).map(str::to_owned)
        };
        match latin {
            Some(s) => out.push_str(&s),
            None if !out.ends_with('-') => out.push('-'),
            None => {}
        }
    }
    let mut code = out.trim_matches('-').to_owned();
    if code.len() > CODE_MAX {
        // Everything here is ASCII, so any byte index is a character boundary.
        code.truncate(CODE_MAX);
        if let Some(cut) = code.rfind('-').filter(|&i| i >= CODE_MAX / 2) {
            code.truncate(cut);
        }
        code = code.trim_matches('-').to_owned();
    }
    (!code.is_empty()).then_some(code)
}

/// Russian letters in a plain Latin spelling (hard and soft signs dropped).
fn cyrillic_in_latin(c: char) -> Option<&'static str> {
    const TABLE: [(char, &str); 33] = [
        ('а', "a"),
        ('б', "b"),
        ('в', "v"),
        ('г', "g"),
        ('д', "d"),
        ('е', "e"),
        ('ё', "e"),
        ('ж', "zh"),
        ('з', "z"),
        ('и', "i"),
        ('й', "y"),
        ('к', "k"),
        ('л', "l"),
        ('м', "m"),
        ('н', "n"),
        ('о', "o"),
        ('п', "p"),
        ('р', "r"),
        ('с', "s"),
        ('т', "t"),
        ('у', "u"),
        ('ф', "f"),
        ('х', "kh"),
        ('ц', "ts"),
        ('ч', "ch"),
        ('ш', "sh"),
        ('щ', "shch"),
        ('ъ', ""),
        ('ы', "y"),
        ('ь', ""),
        ('э', "e"),
        ('ю', "yu"),
        ('я', "ya"),
    ];
    TABLE.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
}

/// The phone as the platform wrote it when the order format can read it. A platform's
/// checkout lets a customer type anything into the phone field; an unreadable phone beside
/// a good email must not lose the order, so it is left out here. With no email it is kept, and
/// the order format refuses it, naming the field.
pub(crate) fn usable_phone(phone: Option<&str>, email: Option<&str>) -> Option<String> {
    let phone = phone.map(str::trim).filter(|p| !p.is_empty())?;
    let email_ok = email.is_some_and(|e| Email::parse(e).is_ok());
    (Phone::parse(phone).is_ok() || !email_ok).then(|| phone.to_owned())
}

/// `data` (our documented `order.created` data) read with the core's own parser, so a
/// platform's order is checked exactly as an order posted to `/webhooks/orders` is.
/// A refusal names the field as `field` renders our path (`data.items[0].qty`; Shopify names
/// its own) and the platform.
pub(crate) fn new_order(
    platform: &str,
    data: Value,
    field: impl Fn(&str) -> String,
) -> Result<NewOrder, NoticeError> {
    let envelope = json!({ "type": "order.created", "data": data });
    let body = serde_json::to_vec(&envelope)
        .map_err(|e| NoticeError::Malformed(format!("the {platform} order: {e}")))?;
    match orderpath_core::parse_order_event(&body) {
        Ok(OrderEvent::Created(order)) => Ok(order),
        Ok(other) => Err(NoticeError::Malformed(format!(
            "the {platform} order read as {}",
            other.type_name()
        ))),
        Err(EventError::Malformed(message)) => Err(NoticeError::Malformed(format!(
            "the {platform} order: {message}"
        ))),
        Err(EventError::Invalid {
            field: path,
            message,
        }) => Err(NoticeError::Invalid {
            field: field(&path),
            message: format!("{message} (in the order read from {platform})"),
        }),
    }
}

/// A JSON member as trimmed text (strings as they are, numbers written out); `None` when
/// absent, `null`, blank or another type.
pub(crate) fn text_of(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_become_minor_units_rounded_half_up() {
        assert_eq!(decimal_minor("f", "1490.00", 2), Ok(149_000));
        assert_eq!(decimal_minor("f", "1490", 2), Ok(149_000));
        assert_eq!(decimal_minor("f", "22.4", 2), Ok(2_240));
        assert_eq!(decimal_minor("f", "833.335", 2), Ok(83_334));
        assert_eq!(decimal_minor("f", "833.334", 2), Ok(83_333));
        assert_eq!(decimal_minor("f", "-10.00", 2), Ok(-1_000));
        assert_eq!(decimal_minor("f", "500.4", 0), Ok(500));
        assert!(decimal_minor("f", "1,5", 2).is_err());
        assert!(decimal_minor("f", "", 2).is_err());
        assert!(decimal_minor("f", "1e21", 2).is_err());
        assert!(decimal_minor("f", "99999999999999999999", 2).is_err());
    }

    #[test]
    fn json_numbers_and_strings_read_alike() {
        let n = serde_json::json!(22.4);
        let s = serde_json::json!("22.40");
        assert_eq!(value_minor("f", Some(&n), 2), Ok(Some(2_240)));
        assert_eq!(value_minor("f", Some(&s), 2), Ok(Some(2_240)));
        assert_eq!(value_minor("f", Some(&Value::Null), 2), Ok(None));
        assert_eq!(value_minor("f", None, 2), Ok(None));
    }

    #[test]
    fn unit_price_is_rounded_half_up() {
        assert_eq!(per_unit(100_000, 3), 33_333);
        assert_eq!(per_unit(200_000, 3), 66_667);
        assert_eq!(per_unit(90_000, 2), 45_000);
        assert_eq!(per_unit(90_000, 0), 90_000);
    }

    #[test]
    fn titles_become_short_codes() {
        assert_eq!(code_of("flat_rate").as_deref(), Some("flat-rate"));
        assert_eq!(code_of("local_pickup:4").as_deref(), Some("local-pickup-4"));
        assert_eq!(
            code_of("Курьер по Москве").as_deref(),
            Some("kurer-po-moskve")
        );
        assert_eq!(
            code_of("  СДЭК: пункт выдачи  ").as_deref(),
            Some("sdek-punkt-vydachi")
        );
        let long = code_of("Доставка курьером по Москве в пределах МКАД").unwrap();
        assert!(long.len() <= 32, "{long}");
        assert!(!long.ends_with('-'));
        assert_eq!(code_of("—"), None);
    }

    #[test]
    fn an_unreadable_phone_is_dropped_only_beside_a_good_email() {
        assert_eq!(
            usable_phone(Some("+7 912 345-67-89"), None).as_deref(),
            Some("+7 912 345-67-89")
        );
        assert_eq!(usable_phone(Some("позвонить"), Some("a@example.com")), None);
        assert_eq!(
            usable_phone(Some("позвонить"), None).as_deref(),
            Some("позвонить")
        );
        assert_eq!(usable_phone(Some("  "), None), None);
    }
}

#[cfg(test)]
mod per_unit_tests {
    use super::per_unit;

    #[test]
    fn per_unit_rounds_half_up_and_never_overflows() {
        assert_eq!(per_unit(1000, 3), 333);
        assert_eq!(per_unit(1001, 2), 501);
        assert_eq!(per_unit(500, 0), 500);
        assert_eq!(per_unit(i64::MAX, 1), i64::MAX);
        assert_eq!(per_unit(i64::MAX, 2), i64::MAX / 2 + 1);
        assert_eq!(per_unit(i64::MIN, 1), i64::MIN);
    }
}
