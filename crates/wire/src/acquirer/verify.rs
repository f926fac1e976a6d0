//! Small helpers the acquirers' modules share: digests, constant-time comparison, decimal
//! amounts and form bodies.
//!
//! Comparisons of signatures run in constant time over the bytes compared (`subtle`), so the
//! time an answer takes does not tell a forger how many leading bytes were right. The length
//! of a digest is public, so unequal lengths may return early.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// HMAC-SHA256 of `message` keyed with `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    hmac_sha256_parts(key, &[message])
}

/// HMAC-SHA256 of the concatenation of `parts`, without building it in memory
/// (Stripe signs `"{t}." + body`).
pub fn hmac_sha256_parts(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// SHA-256 of `data`, lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// True when `a` and `b` are the same bytes; the content is compared in constant time.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// True when `given` is the hex digest `expected` (lower-case) in either letter case.
pub fn same_hex(expected: &str, given: &str) -> bool {
    same_bytes(
        expected.as_bytes(),
        given.trim().to_ascii_lowercase().as_bytes(),
    )
}

/// Why a decimal amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not digits with an optional dot and fraction (`12900`, `12900.00`).
    #[error("is not a decimal amount (digits with an optional dot, e.g. 12900.00)")]
    NotDecimal,
    /// Below zero.
    #[error("must not be negative")]
    Negative,
    /// Finer than the currency's minor unit (`12.345` roubles).
    #[error("has more than {0} digits after the dot")]
    TooPrecise(u32),
    /// More than an `i64` of minor units.
    #[error("is too large")]
    TooLarge,
}

/// A decimal amount such as `"12900.00"`, `"12900"` or `"12900.5"` in minor units of a
/// currency with `minor_digits` digits after the dot.
///
/// Trailing zeros beyond the currency's digits are accepted (`"500.00"` yen is 500): they
/// change nothing, and some acquirers always write two digits. Any other extra digit is
/// refused rather than rounded.
pub fn minor_units(text: &str, minor_digits: u32) -> Result<i64, AmountError> {
    if text.starts_with('-') {
        return Err(AmountError::Negative);
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || (text.contains('.') && fraction.is_empty())
    {
        return Err(AmountError::NotDecimal);
    }
    let digits = usize::try_from(minor_digits).unwrap_or(usize::MAX);
    let (kept, dropped) = fraction.split_at(fraction.len().min(digits));
    if dropped.bytes().any(|b| b != b'0') {
        return Err(AmountError::TooPrecise(minor_digits));
    }
    let mut minor: i64 = 0;
    let padding = std::iter::repeat_n(b'0', digits - kept.len());
    for b in whole.bytes().chain(kept.bytes()).chain(padding) {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(b - b'0')))
            .ok_or(AmountError::TooLarge)?;
    }
    Ok(minor)
}

/// The pairs of an `application/x-www-form-urlencoded` body, decoded, in order.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// `body` with its `%XX` escapes decoded, and `+` read as a space when `plus_is_space`:
/// the bytes a sender signs when it signs a form body before URL-encoding it.
pub fn percent_decoded(body: &[u8], plus_is_space: bool) -> Vec<u8> {
    let hex_value = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'%' if i + 2 < body.len() => match (hex_value(body[i + 1]), hex_value(body[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}
