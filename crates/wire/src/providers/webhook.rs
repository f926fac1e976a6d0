//! Standard Webhooks delivery to the shop's own systems (the `http_request` action).
//!
//! `POST {url}` with the stored JSON payload and the three Standard Webhooks headers:
//! `webhook-id` (the same on every attempt of one delivery, so the receiver can deduplicate),
//! `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
//! (`v1,` + base64 HMAC-SHA256 over `{id}.{timestamp}.{body}` with the endpoint's decoded
//! `whsec_` key). Facts: /work/shared/reference/providers.md §6.1 and §6.3.
//!
//! Outcomes: 2xx is delivered (whatever the body); 410 Gone, or any answer carrying
//! `webhook-delivery: abort-message`, stops for good; every other answer is retried (as
//! Standard Webhooks senders do), honouring `Retry-After` in seconds.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::{Outcome, Request, Response};

/// One configured endpoint. Its `Debug` hides the key.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// Where to post: `scheme://host[:port]` + path.
    pub url: String,
    /// The signing key: the bytes of the base64 after `whsec_`.
    pub key: Vec<u8>,
}

impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("url", &self.url)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// The `webhook-id` of a delivery: `msg_` and the first 24 hex digits of the SHA-256 of the
/// outbox message's dedupe key. The key is unique per database and stays with the message,
/// so every attempt, and a resend, carries the same id.
pub fn webhook_id(dedupe_key: &str) -> String {
    let digest = Sha256::digest(dedupe_key.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("msg_{hex}")
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

impl WebhookEndpoint {
    /// The signed request for one attempt at `timestamp` (Unix seconds, now).
    pub fn request(&self, id: &str, timestamp: i64, payload: &str) -> Request {
        let body = payload.as_bytes().to_vec();
        Request {
            method: "POST",
            url: self.url.clone(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("user-agent".into(), "Orderpath".into()),
                ("webhook-id".into(), id.to_owned()),
                ("webhook-timestamp".into(), timestamp.to_string()),
                (
                    "webhook-signature".into(),
                    signature(&self.key, id, timestamp, &body),
                ),
            ],
            body,
        }
    }

    /// How the attempt ended (see the module's documentation); a delivered one has the
    /// `webhook-id` as its provider id.
    pub fn outcome(id: &str, response: &Response) -> Outcome {
        let status = response.status;
        if (200..300).contains(&status) {
            return Outcome::Sent {
                provider_id: Some(id.to_owned()),
            };
        }
        let error = format!("endpoint answered {status}: {}", response.excerpt());
        let aborted = response
            .header("webhook-delivery")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("abort-message"));
        if status == 410 || aborted {
            return Outcome::permanent(Some(status), error);
        }
        Outcome::Retryable {
            status: Some(status),
            error,
            retry_after: response.retry_after(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification.
    const SPEC_KEY: &str = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TS: i64 = 1_614_265_330;
    const SPEC_BODY: &str = r#"{"test": 2432232314}"#;
    const SPEC_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn endpoint() -> WebhookEndpoint {
        WebhookEndpoint {
            url: "https://crm.shop.example/hooks/orderpath".into(),
            key: BASE64.decode(SPEC_KEY).expect("base64"),
        }
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_signature_matches_the_specification_example() {
        let key = BASE64.decode(SPEC_KEY).expect("base64");
        assert_eq!(
            signature(&key, SPEC_ID, SPEC_TS, SPEC_BODY.as_bytes()),
            SPEC_SIG
        );
    }

    #[test]
    fn the_request_posts_the_payload_with_the_three_headers() {
        let request = endpoint().request(SPEC_ID, SPEC_TS, SPEC_BODY);
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://crm.shop.example/hooks/orderpath");
        assert_eq!(request.body, SPEC_BODY.as_bytes());
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("content-type"), Some("application/json"));
        assert_eq!(header("user-agent"), Some("Orderpath"));
        assert_eq!(header("webhook-id"), Some(SPEC_ID));
        assert_eq!(header("webhook-timestamp"), Some("1614265330"));
        assert_eq!(header("webhook-signature"), Some(SPEC_SIG));
    }

    #[test]
    fn the_debug_output_hides_the_key_and_the_signature() {
        let shown = format!("{:?}", endpoint());
        assert!(shown.contains("[redacted]"), "{shown}");
        assert!(!shown.contains("49, 102"), "{shown}");
        let request = format!("{:?}", endpoint().request(SPEC_ID, SPEC_TS, SPEC_BODY));
        assert!(!request.contains("g0hM9SsE"), "{request}");
    }

    #[test]
    fn webhook_ids_are_stable_and_differ_by_key() {
        let a = webhook_id("orders:evt-1:A-1:x1-crm-mirror-status:0");
        assert_eq!(a, webhook_id("orders:evt-1:A-1:x1-crm-mirror-status:0"));
        assert_ne!(a, webhook_id("orders:evt-1:A-2:x1-crm-mirror-status:0"));
        assert!(a.starts_with("msg_"));
        assert_eq!(a.len(), 4 + 24);
        assert!(a[4..].bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn any_2xx_is_delivered_whatever_the_body() {
        for (status, body) in [(200, "not json"), (202, ""), (204, "")] {
            assert_eq!(
                WebhookEndpoint::outcome("msg_1", &answer(status, &[], body)),
                Outcome::Sent {
                    provider_id: Some("msg_1".into())
                }
            );
        }
    }

    #[test]
    fn gone_and_abort_message_stop_for_good() {
        assert_eq!(
            WebhookEndpoint::outcome("msg_1", &answer(410, &[], "")),
            Outcome::permanent(Some(410), "endpoint answered 410: empty body")
        );
        assert!(matches!(
            WebhookEndpoint::outcome(
                "msg_1",
                &answer(400, &[("Webhook-Delivery", "abort-message")], "bad")
            ),
            Outcome::Permanent {
                status: Some(400),
                ..
            }
        ));
    }

    #[test]
    fn other_answers_are_retried_honouring_retry_after() {
        assert_eq!(
            WebhookEndpoint::outcome("msg_1", &answer(503, &[("Retry-After", "120")], "down")),
            Outcome::Retryable {
                status: Some(503),
                error: "endpoint answered 503: \"down\"".into(),
                retry_after: Some(120),
            }
        );
        for status in [301, 400, 401, 404, 429, 500] {
            assert!(
                matches!(
                    WebhookEndpoint::outcome("msg_1", &answer(status, &[], "")),
                    Outcome::Retryable { .. }
                ),
                "{status}"
            );
        }
    }
}
