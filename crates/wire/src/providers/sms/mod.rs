//! SMS providers: SMS.ru ([`smsru`]), SMSC ([`smsc`]) and Twilio ([`twilio`]).
//!
//! One request carries one message to one number; the outbox row id travels as `client_ref`.
//! Reading an answer follows one rule across providers: an answer that says the provider
//! refused the message is classified by its code; an answer we cannot read is retryable,
//! because the duplicate guards (SMS.ru 231/232, SMSC 9) turn an accidental second send of the
//! same text into a "duplicate" answer, which we read as sent. (Twilio has no such guard, so a
//! 201 Created whose body we cannot read counts as sent.) Error texts carry the
//! provider's name, its code, our reading of the code and the provider's own words, e.g.
//! `SMS.ru 207: no route to the number (…)`.
//! Facts: /work/shared/reference/providers.md §4.1–4.3.

use std::fmt;

use super::{Outcome, Request, Response};

pub mod smsc;
pub mod smsru;
pub mod twilio;

/// One SMS to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sms<'a> {
    /// The recipient in E.164 with the leading `+`, already validated.
    pub to: &'a str,
    /// The text, UTF-8.
    pub text: &'a str,
}

impl Sms<'_> {
    /// The number as digits only (E.164 without the `+`), the form SMS.ru and SMSC use.
    fn digits(&self) -> &str {
        self.to.strip_prefix('+').unwrap_or(self.to)
    }
}

/// Which SMS provider and its settings. Credentials are plain strings here; the shell keeps
/// them secret, and [`fmt::Debug`] prints them as `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub enum SmsProvider {
    /// SMS.ru: `POST {base_url}/sms/send`.
    SmsRu {
        /// `https://sms.ru` in production; no trailing slash.
        base_url: String,
        /// The account's `api_id`.
        api_id: String,
        /// An approved sender name; the account default when `None`.
        from: Option<String>,
    },
    /// SMSC.ru: `POST {base_url}/sys/send.php`.
    Smsc {
        /// `https://smsc.ru` in production; no trailing slash.
        base_url: String,
        /// The account login; empty when `password` is an API key.
        login: String,
        /// The password (or its lowercase MD5), or the API key when `login` is empty.
        password: String,
        /// An approved sender name; the account default when `None`.
        sender: Option<String>,
    },
    /// Twilio Messages: `POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`.
    Twilio {
        /// `https://api.twilio.com` in production; no trailing slash.
        base_url: String,
        /// `AC…`, the Basic auth user and part of the path.
        account_sid: String,
        /// The Basic auth password.
        auth_token: String,
        /// The sending number or alphanumeric sender; used when no messaging service is set.
        from: Option<String>,
        /// `MG…`; takes precedence over `from` when both are set.
        messaging_service_sid: Option<String>,
    },
}

impl SmsProvider {
    /// `"smsru"`, `"smsc"` or `"twilio"`.
    pub fn name(&self) -> &'static str {
        match self {
            SmsProvider::SmsRu { .. } => "smsru",
            SmsProvider::Smsc { .. } => "smsc",
            SmsProvider::Twilio { .. } => "twilio",
        }
    }

    /// The request for one message. `client_ref` is our stable message id (the outbox row
    /// id); SMSC receives it as the message `id`, the others have no field for it.
    pub fn request(&self, sms: &Sms<'_>, client_ref: i64) -> Request {
        match self {
            SmsProvider::SmsRu {
                base_url,
                api_id,
                from,
            } => smsru::request(base_url, api_id, from.as_deref(), sms),
            SmsProvider::Smsc {
                base_url,
                login,
                password,
                sender,
            } => smsc::request(
                base_url,
                login,
                password,
                sender.as_deref(),
                sms,
                client_ref,
            ),
            SmsProvider::Twilio {
                base_url,
                account_sid,
                auth_token,
                from,
                messaging_service_sid,
            } => twilio::request(
                base_url,
                account_sid,
                auth_token,
                twilio::Sender::pick(from.as_deref(), messaging_service_sid.as_deref()),
                sms,
            ),
        }
    }

    /// Classifies the provider's answer to [`SmsProvider::request`] for the same `sms`.
    pub fn outcome(&self, sms: &Sms<'_>, response: &Response) -> Outcome {
        match self {
            SmsProvider::SmsRu { .. } => smsru::outcome(sms, response),
            SmsProvider::Smsc { .. } => smsc::outcome(response),
            SmsProvider::Twilio { .. } => twilio::outcome(response),
        }
    }
}

impl fmt::Debug for SmsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const REDACTED: &str = "[redacted]";
        match self {
            SmsProvider::SmsRu { base_url, from, .. } => f
                .debug_struct("SmsRu")
                .field("base_url", base_url)
                .field("api_id", &REDACTED)
                .field("from", from)
                .finish(),
            SmsProvider::Smsc {
                base_url,
                login,
                sender,
                ..
            } => f
                .debug_struct("Smsc")
                .field("base_url", base_url)
                .field("login", login)
                .field("password", &REDACTED)
                .field("sender", sender)
                .finish(),
            SmsProvider::Twilio {
                base_url,
                account_sid,
                from,
                messaging_service_sid,
                ..
            } => f
                .debug_struct("Twilio")
                .field("base_url", base_url)
                .field("account_sid", account_sid)
                .field("auth_token", &REDACTED)
                .field("from", from)
                .field("messaging_service_sid", messaging_service_sid)
                .finish(),
        }
    }
}

/// How a provider's code reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// The provider already holds this exact message (a duplicate guard fired): sent.
    Duplicate,
    /// Temporary; a later attempt may succeed.
    Retryable,
    /// Refused for good.
    Permanent,
}

/// A refusal carrying a provider code, as an [`Outcome`].
fn refusal(
    class: Class,
    status: u16,
    provider: &str,
    code: i64,
    meaning: Option<&str>,
    text: &str,
) -> Outcome {
    match class {
        Class::Duplicate => Outcome::Sent { provider_id: None },
        Class::Retryable => {
            Outcome::retryable(Some(status), describe(provider, code, meaning, text))
        }
        Class::Permanent => {
            Outcome::permanent(Some(status), describe(provider, code, meaning, text))
        }
    }
}

/// `"SMS.ru 207: no route to the number (provider's text)"`; either part may be missing.
fn describe(provider: &str, code: i64, meaning: Option<&str>, text: &str) -> String {
    let text = text.trim();
    match (meaning, text.is_empty()) {
        (Some(meaning), true) => format!("{provider} {code}: {meaning}"),
        (Some(meaning), false) => format!("{provider} {code}: {meaning} ({text})"),
        (None, false) => format!("{provider} {code}: {text}"),
        (None, true) => format!("{provider} {code}: unknown code"),
    }
}

/// An answer we cannot read, as a retryable outcome naming what was expected.
fn unreadable(provider: &str, response: &Response, expected: &str) -> Outcome {
    Outcome::retryable(
        Some(response.status),
        format!(
            "{provider}: unexpected answer (HTTP {}, expected {expected}): {}",
            response.status,
            response.excerpt()
        ),
    )
}

/// A non-2xx answer the provider's own reading does not cover: 429/5xx retryable (with
/// `Retry-After`), other 4xx permanent.
fn http_error(provider: &str, response: &Response) -> Outcome {
    Outcome::from_status(
        response,
        format!(
            "{provider}: HTTP {}: {}",
            response.status,
            response.excerpt()
        ),
    )
}

/// An integer given as a JSON number or a numeric string (SMS.ru and SMSC use both).
fn json_int(value: Option<&serde_json::Value>) -> Option<i64> {
    match value? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An id given as a JSON string or number, as text; empty strings are no id.
fn json_id(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A JSON string field, or `""`.
fn json_str<'v>(value: &'v serde_json::Value, key: &str) -> &'v str {
    value.get(key).and_then(|v| v.as_str()).unwrap_or("")
}

/// The form content type, shared by all three providers.
const FORM: &str = "application/x-www-form-urlencoded";

/// A form POST to `url`.
fn form_post(
    url: String,
    extra_headers: Vec<(String, String)>,
    fields: &[(&str, &str)],
) -> Request {
    let mut headers = vec![("content-type".to_string(), FORM.to_string())];
    headers.extend(extra_headers);
    Request {
        method: "POST",
        url,
        headers,
        body: super::form::encode(fields).into_bytes(),
    }
}

#[cfg(test)]
mod test_support;

#[cfg(test)]
mod tests {
    use super::*;

    fn providers() -> [SmsProvider; 3] {
        [
            SmsProvider::SmsRu {
                base_url: "https://sms.ru".into(),
                api_id: "SECRET-API-ID".into(),
                from: None,
            },
            SmsProvider::Smsc {
                base_url: "https://smsc.ru".into(),
                login: "shop".into(),
                password: "SECRET-PSW".into(),
                sender: None,
            },
            SmsProvider::Twilio {
                base_url: "https://api.twilio.com".into(),
                account_sid: "AC123".into(),
                auth_token: "SECRET-TOKEN".into(),
                from: Some("+15005550006".into()),
                messaging_service_sid: None,
            },
        ]
    }

    #[test]
    fn providers_are_named_for_configuration() {
        let names = providers().map(|p| p.name());
        assert_eq!(names, ["smsru", "smsc", "twilio"]);
    }

    #[test]
    fn debug_output_hides_credentials() {
        for provider in providers() {
            let printed = format!("{provider:?}");
            assert!(!printed.contains("SECRET"), "{printed}");
            assert!(printed.contains("[redacted]"), "{printed}");
        }
    }

    #[test]
    fn error_texts_carry_provider_code_meaning_and_words() {
        assert_eq!(
            describe(
                "SMS.ru",
                207,
                Some("no route to the number"),
                " Нет маршрута "
            ),
            "SMS.ru 207: no route to the number (Нет маршрута)"
        );
        assert_eq!(
            describe("SMSC", 4, Some("IP blocked"), ""),
            "SMSC 4: IP blocked"
        );
        assert_eq!(
            describe("Twilio", 30001, None, "Queue overflow"),
            "Twilio 30001: Queue overflow"
        );
        assert_eq!(describe("SMSC", 42, None, ""), "SMSC 42: unknown code");
    }
}
