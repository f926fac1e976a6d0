//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>), as used by the shop's
//! own order webhook and the `generic` formats of the other webhooks.
//!
//! The signed content is `{webhook-id}.{webhook-timestamp}.{raw body}`, HMAC-SHA256 with the
//! base64-decoded `whsec_` secret. `webhook-signature` holds one or more space-separated
//! `v1,<base64>` values so senders can rotate keys; any match is enough. Comparison is in
//! constant time, and timestamps further than the tolerance from our clock are refused so a
//! captured request cannot be replayed later.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a `webhook-timestamp` may be from our clock, either way.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// A Standard Webhooks signing key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

/// Why a secret could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    /// The variable is empty.
    #[error("the webhook secret is empty")]
    Empty,
    /// Not `whsec_` followed by base64.
    #[error("the webhook secret must be whsec_ followed by base64")]
    NotBase64,
    /// Decodes to fewer than 16 bytes: too weak to trust.
    #[error("the webhook secret is shorter than 16 bytes")]
    TooShort,
}

impl WebhookSecret {
    /// Parses `whsec_<base64>` (the prefix is optional, as in the reference libraries).
    pub fn parse(value: &str) -> Result<Self, SecretError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(SecretError::Empty);
        }
        let encoded = value.strip_prefix("whsec_").unwrap_or(value);
        let key = BASE64.decode(encoded).map_err(|_| SecretError::NotBase64)?;
        if key.len() < 16 {
            return Err(SecretError::TooShort);
        }
        Ok(WebhookSecret(key))
    }

    /// The key's bytes, for signing what we send (`http_request`); never log them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// `v1,<base64>` signature of a message, as a sender would compute it.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", BASE64.encode(self.mac(msg_id, timestamp, body)))
    }

    fn mac(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

/// The three Standard Webhooks headers of a request, as received.
#[derive(Debug, Clone, Copy)]
pub struct SignedHeaders<'a> {
    /// `webhook-id`.
    pub id: Option<&'a str>,
    /// `webhook-timestamp`.
    pub timestamp: Option<&'a str>,
    /// `webhook-signature`.
    pub signature: Option<&'a str>,
}

/// Why a request's signature was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// A required header is absent or empty.
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// `webhook-id` is longer than we store or has characters outside printable ASCII.
    #[error("webhook-id must be 1-255 printable ASCII characters")]
    BadId,
    /// `webhook-timestamp` is not an integer.
    #[error("webhook-timestamp must be Unix seconds")]
    BadTimestamp,
    /// The timestamp is too far from our clock.
    #[error("webhook-timestamp is more than 5 minutes away from the server time")]
    Stale,
    /// No `v1` signature matches.
    #[error("no webhook-signature matches the body")]
    NoMatch,
}

/// Checks a request's signature against `secret` at time `now` (Unix seconds) and returns the
/// verified `webhook-id`, the idempotency key of the event.
pub fn verify<'a>(
    secret: &WebhookSecret,
    headers: SignedHeaders<'a>,
    body: &[u8],
    now: i64,
) -> Result<&'a str, SignatureError> {
    let id = non_empty(headers.id).ok_or(SignatureError::MissingHeader("webhook-id"))?;
    let timestamp =
        non_empty(headers.timestamp).ok_or(SignatureError::MissingHeader("webhook-timestamp"))?;
    let signatures =
        non_empty(headers.signature).ok_or(SignatureError::MissingHeader("webhook-signature"))?;
    if id.len() > 255 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SignatureError::BadId);
    }
    let timestamp: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    // abs_diff: `now - timestamp` overflows for a timestamp near i64::MIN or i64::MAX.
    if now.abs_diff(timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let expected = secret.mac(id, timestamp, body);
    // Check every candidate so the time taken does not depend on which one matched.
    let mut matched = subtle::Choice::from(0);
    for candidate in signatures.split_whitespace() {
        let Some(encoded) = candidate.strip_prefix("v1,") else {
            continue;
        };
        if let Ok(given) = BASE64.decode(encoded) {
            if given.len() == expected.len() {
                matched |= given.ct_eq(&expected);
            }
        }
    }
    if bool::from(matched) {
        Ok(id)
    } else {
        Err(SignatureError::NoMatch)
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example from the Standard Webhooks specification.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TS: i64 = 1_614_265_330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> SignedHeaders<'a> {
        SignedHeaders {
            id: Some(id),
            timestamp: Some(ts),
            signature: Some(sig),
        }
    }

    #[test]
    fn specification_example_verifies() {
        let secret = WebhookSecret::parse(SPEC_SECRET).expect("secret");
        let ts = SPEC_TS.to_string();
        let id = verify(
            &secret,
            headers(SPEC_ID, &ts, SPEC_SIG),
            SPEC_BODY,
            SPEC_TS + 10,
        );
        assert_eq!(id, Ok(SPEC_ID));
        assert_eq!(secret.sign(SPEC_ID, SPEC_TS, SPEC_BODY), SPEC_SIG);
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let secret = WebhookSecret::parse(SPEC_SECRET).expect("secret");
        let ts = SPEC_TS.to_string();
        let sigs = format!("v1,bm90IGl0 v1a,ignored {SPEC_SIG}");
        assert!(verify(&secret, headers(SPEC_ID, &ts, &sigs), SPEC_BODY, SPEC_TS).is_ok());
    }

    #[test]
    fn changed_body_is_refused() {
        let secret = WebhookSecret::parse(SPEC_SECRET).expect("secret");
        let ts = SPEC_TS.to_string();
        let result = verify(&secret, headers(SPEC_ID, &ts, SPEC_SIG), b"{}", SPEC_TS);
        assert_eq!(result, Err(SignatureError::NoMatch));
    }

    #[test]
    fn old_timestamp_is_refused_even_with_a_valid_signature() {
        let secret = WebhookSecret::parse(SPEC_SECRET).expect("secret");
        let ts = SPEC_TS.to_string();
        let result = verify(
            &secret,
            headers(SPEC_ID, &ts, SPEC_SIG),
            SPEC_BODY,
            SPEC_TS + TOLERANCE_SECS + 1,
        );
        assert_eq!(result, Err(SignatureError::Stale));
    }

    #[test]
    fn timestamps_at_the_ends_of_the_range_are_stale_not_an_overflow() {
        let secret = WebhookSecret::parse(SPEC_SECRET).expect("secret");
        for ts in [i64::MIN, i64::MIN + 1, i64::MAX, -1] {
            let text = ts.to_string();
            let result = verify(
                &secret,
                headers(SPEC_ID, &text, SPEC_SIG),
                SPEC_BODY,
                SPEC_TS,
            );
            assert_eq!(result, Err(SignatureError::Stale), "{ts}");
        }
    }

    #[test]
    fn missing_headers_are_named() {
        let secret = WebhookSecret::parse(SPEC_SECRET).expect("secret");
        let none = SignedHeaders {
            id: None,
            timestamp: Some("1"),
            signature: Some("v1,x"),
        };
        assert_eq!(
            verify(&secret, none, b"", 1),
            Err(SignatureError::MissingHeader("webhook-id"))
        );
    }

    #[test]
    fn secret_debug_is_redacted() {
        let secret = WebhookSecret::parse(SPEC_SECRET).expect("secret");
        assert_eq!(format!("{secret:?}"), "WebhookSecret([redacted])");
    }

    #[test]
    fn short_or_garbled_secrets_are_refused() {
        assert_eq!(WebhookSecret::parse("").err(), Some(SecretError::Empty));
        assert_eq!(
            WebhookSecret::parse("whsec_***").err(),
            Some(SecretError::NotBase64)
        );
        assert_eq!(
            WebhookSecret::parse("whsec_YWJj").err(),
            Some(SecretError::TooShort)
        );
    }
}
