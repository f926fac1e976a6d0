//! Outbound message providers in their real protocols, as data: each client builds the
//! [`Request`] for one message and classifies the provider's [`Response`] into an
//! [`Outcome`]. The shell performs the HTTP call (and classifies transport failures such as
//! time-outs and refused connections itself, as retryable); nothing here does I/O, so every
//! protocol detail is unit-tested natively.
//!
//! SMS: [`sms`] (SMS.ru, SMSC, Twilio). Email: [`email`] (Postmark, SendGrid, Mailgun,
//! Unisender). Staff notes: [`telegram`] (Bot API `sendMessage`). The shop's own CRM or ERP:
//! [`webhook`] (Standard Webhooks).
//! Facts: /work/shared/reference/providers.md §4.

pub mod email;
pub mod form;
pub mod sms;
pub mod telegram;
pub mod webhook;

/// An HTTP request to a provider. It carries credentials (in headers, the body, or the URL's
/// path for Telegram), so its `Debug` shows only the method, the URL's origin, the header
/// names and the body's length.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// `POST` (all providers here send with POST).
    pub method: &'static str,
    /// Absolute URL: the configured base URL (`scheme://host[:port]`, no trailing slash) + path.
    pub url: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The encoded body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        redacted_request(
            f,
            "Request",
            self.method,
            &self.url,
            &self.headers,
            self.body.len(),
        )
    }
}

/// Writes a request's `Debug` without anything that may be a credential: the URL's origin
/// (scheme and host, no path or query), the header names, and the body's length.
pub fn redacted_request(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body_len: usize,
) -> std::fmt::Result {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let origin_end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    let origin = &url[..origin_end];
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    f.debug_struct(name)
        .field("method", &method)
        .field("origin", &origin)
        .field("header_names", &names)
        .field("body_bytes", &body_len)
        .finish_non_exhaustive()
}

/// What the provider answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers; names compared case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body as received.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The start of the raw answer, quoted (or `empty body`), for error texts.
    pub fn excerpt(&self) -> String {
        if self.body.is_empty() {
            "empty body".to_owned()
        } else {
            orderpath_core::text::echo(&String::from_utf8_lossy(&self.body))
        }
    }

    /// `Retry-After` in seconds, when given as a number of seconds.
    pub fn retry_after(&self) -> Option<u64> {
        self.header("retry-after")?.trim().parse().ok()
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The provider took the message.
    Sent {
        /// The provider's id for it, stored with the message.
        provider_id: Option<String>,
    },
    /// Failed in a way a later attempt may not: time-outs, connection errors, 429, 5xx,
    /// temporary provider states.
    Retryable {
        /// HTTP status, when there was a response.
        status: Option<u16>,
        /// What went wrong, as the provider said it.
        error: String,
        /// How long the provider asked us to wait (429 `Retry-After`, Telegram
        /// `retry_after`), in seconds; the shell bounds it.
        retry_after: Option<u64>,
    },
    /// Refused for good (bad number or address, bad credentials, no balance, forbidden
    /// text): no retry; the message is failed with this reason.
    Permanent {
        /// HTTP status.
        status: Option<u16>,
        /// The provider's reason.
        error: String,
    },
}

impl Outcome {
    /// A retryable outcome without a provider-requested delay.
    pub fn retryable(status: Option<u16>, error: impl Into<String>) -> Outcome {
        Outcome::Retryable {
            status,
            error: error.into(),
            retry_after: None,
        }
    }

    /// A permanent outcome.
    pub fn permanent(status: Option<u16>, error: impl Into<String>) -> Outcome {
        Outcome::Permanent {
            status,
            error: error.into(),
        }
    }

    /// The generic reading of an HTTP status a provider answered with and that its own
    /// classifier did not settle: 429 and 5xx (and 408) are retryable, other 4xx permanent.
    pub fn from_status(response: &Response, error: impl Into<String>) -> Outcome {
        let status = response.status;
        if status == 429 || status == 408 || status >= 500 {
            Outcome::Retryable {
                status: Some(status),
                error: error.into(),
                retry_after: response.retry_after(),
            }
        } else {
            Outcome::permanent(Some(status), error)
        }
    }
}

/// A name and address, for `From` and `To` of an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Display name.
    pub name: Option<String>,
    /// Address.
    pub address: String,
}

impl Mailbox {
    /// `"Name" <address>`, or the bare address; quotes and backslashes in the name escaped.
    pub fn to_header(&self) -> String {
        // A name with a line break would start a new header: names are one line here,
        // whatever the caller passed.
        let name = self.name.as_deref().map(orderpath_core::text::one_line);
        match &name {
            Some(name) if !name.is_empty() => {
                let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
                format!("\"{escaped}\" <{}>", self.address)
            }
            _ => self.address.clone(),
        }
    }
}

/// `Authorization: Basic base64(user:password)`.
pub fn basic_auth(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64_encode(format!("{user}:{password}").as_bytes())
    )
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_debug_shows_no_credential() {
        let request = Request {
            method: "POST",
            url: "https://api.telegram.org/bot123456:secret-token/sendMessage".into(),
            headers: vec![("x-postmark-server-token".into(), "pm-secret".into())],
            body: b"api_id=smsru-secret".to_vec(),
        };
        let shown = format!("{request:?}");
        assert!(shown.contains("\"https://api.telegram.org\""), "{shown}");
        assert!(shown.contains("x-postmark-server-token"), "{shown}");
        for secret in ["secret-token", "pm-secret", "smsru-secret", "sendMessage"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, output) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(input.as_bytes()), output);
        }
        assert_eq!(basic_auth("api", "key-1"), "Basic YXBpOmtleS0x");
    }

    #[test]
    fn statuses_without_a_provider_reading_are_classified_generically() {
        let response = |status| Response {
            status,
            headers: vec![("Retry-After".into(), "30".into())],
            body: Vec::new(),
        };
        assert_eq!(
            Outcome::from_status(&response(429), "slow down"),
            Outcome::Retryable {
                status: Some(429),
                error: "slow down".into(),
                retry_after: Some(30)
            }
        );
        assert!(matches!(
            Outcome::from_status(&response(503), "down"),
            Outcome::Retryable { .. }
        ));
        assert_eq!(
            Outcome::from_status(&response(401), "bad token"),
            Outcome::permanent(Some(401), "bad token")
        );
    }

    #[test]
    fn mailbox_names_are_quoted_and_escaped() {
        let mailbox = Mailbox {
            name: Some("Shop \"Tea\"".into()),
            address: "orders@tea.example".into(),
        };
        assert_eq!(
            mailbox.to_header(),
            "\"Shop \\\"Tea\\\"\" <orders@tea.example>"
        );
    }
}
