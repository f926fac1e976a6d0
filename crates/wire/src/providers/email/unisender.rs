//! Unisender classic API `sendEmail`: `POST /ru/api/sendEmail?format=json`, a form with
//! `api_key`, `email`, `sender_name`, `sender_email`, `subject`, `body` (HTML) and `list_id`.
//!
//! An email's extra header fields (`List-Unsubscribe`, `List-Unsubscribe-Post`) are left out:
//! `sendEmail`'s `headers` argument takes only `Reply-To` and `Priority`. Unsubscribing is
//! Unisender's own: every recipient belongs to the list `list_id`, `sendEmail` replaces
//! `{{UnsubscribeUrl}}` in the body with that list's unsubscribe link, and it refuses to send
//! to a recipient who unsubscribed from the list (read below as permanent).
//!
//! The answer is HTTP 200 even when the call failed: success is
//! `{"result":{"email_id":".."}}`, failure `{"error":"..","code":".."}`. The `code` values
//! are Unisender's standard API error codes (Selzy/Unisender "API errors" page): `unspecified`,
//! `invalid_api_key`, `access_denied`, `unknown_method`, `invalid_arg`, `not_enough_money`,
//! `retry_later`, `api_call_limit_exceeded_for_api_key`, `api_call_limit_exceeded_for_ip`.

use serde_json::Value;

use super::{display_name, reason, url, Email};
use crate::providers::{form, Mailbox, Outcome, Request, Response};

/// Codes that no retry fixes: credentials, API access, a bad argument (an invalid address
/// is one), the balance.
const PERMANENT_CODES: &[&str] = &[
    "invalid_api_key",
    "access_denied",
    "unknown_method",
    "invalid_arg",
    "not_enough_money",
];

/// Codes that say "later": a temporary failure and the per-minute call limits.
const RETRYABLE_CODES: &[&str] = &[
    "retry_later",
    "api_call_limit_exceeded_for_api_key",
    "api_call_limit_exceeded_for_ip",
];

/// Words in an `unspecified` error's text that mean the recipient unsubscribed (the
/// `/ru/` API answers in Russian).
const UNSUBSCRIBED_MARKERS: &[&str] = &["unsubscrib", "отпис"];

/// The request for one email. `body` is the HTML part; a text-only email is sent as escaped
/// HTML with its line breaks kept. The API key travels in the body, not the URL. Extra header
/// fields are not sent (see the module).
pub(super) fn request(base_url: &str, api_key: &str, list_id: &str, email: &Email<'_>) -> Request {
    let recipient = recipient(email.to);
    let sender_name = display_name(email.from).unwrap_or(&email.from.address);
    let body = match email.html {
        Some(html) => html.to_owned(),
        None => text_to_html(email.text),
    };
    let form = form::encode(&[
        ("api_key", api_key),
        ("email", &recipient),
        ("sender_name", sender_name),
        ("sender_email", &email.from.address),
        ("subject", email.subject),
        ("body", &body),
        ("list_id", list_id),
    ]);
    Request {
        method: "POST",
        url: url(base_url, "/ru/api/sendEmail?format=json"),
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: form.into_bytes(),
    }
}

/// `Name <address>` as `sendEmail` documents it (name first, one space, no quotes), or the
/// bare address. Characters that would confuse that format (`<`, `>`, `"`, `,`, control
/// characters) are dropped from the name.
fn recipient(to: &Mailbox) -> String {
    let name = display_name(to)
        .map(|name| {
            name.chars()
                .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | '"' | ','))
                .collect::<String>()
        })
        .map(|name| name.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    if name.is_empty() {
        to.address.clone()
    } else {
        format!("{name} <{}>", to.address)
    }
}

/// Plain text as HTML: escaped, each line break (CRLF, CR or LF) as `<br>` followed by a
/// newline (which keeps the lines of the HTML source short).
fn text_to_html(text: &str) -> String {
    let lines: Vec<String> = text
        .split("\r\n")
        .flat_map(|part| part.split(['\r', '\n']))
        .map(orderpath_core::message::escape_html)
        .collect();
    lines.join("<br>\n")
}

/// A 200 with `result.email_id` is sent; a 200 with `error` is classified by its `code`:
/// - [`PERMANENT_CODES`] → permanent;
/// - [`RETRYABLE_CODES`] → retryable;
/// - `unspecified` whose text says the recipient unsubscribed → permanent;
/// - any other code, `unspecified` included → retryable. Unisender reports many conditions
///   only as text (the 60 s per-recipient interval among them), and guessing "permanent"
///   would drop mail that a later attempt delivers. A retry loop cannot run away: the shell
///   fails the message after `message_max_attempts` (1–50) attempts and raises an operator
///   task with this error text.
///
/// Without `error` and without an id, or unreadable, the 200 is permanent (see the module
/// policy in `email`). Other HTTP statuses are read generically: 429, 408 and 5xx retryable,
/// the rest permanent.
pub(super) fn outcome(response: &Response) -> Outcome {
    let status = response.status;
    let body = response.json();
    let error = body.as_ref().and_then(error_of);
    if !(200..300).contains(&status) {
        let said = error.map(|(code, message)| format!("{code}: {message}"));
        return Outcome::from_status(
            response,
            format!("unisender {status}: {}", reason(said, response)),
        );
    }
    let Some(body) = body else {
        return Outcome::permanent(
            Some(status),
            format!(
                "unisender {status}: unreadable answer {}",
                response.excerpt()
            ),
        );
    };
    if let Some((code, message)) = error {
        return classify(status, &code, &message);
    }
    match body.get("result") {
        Some(Value::Array(items)) => match items.first() {
            // The per-recipient shape some clients read: [{"index":0,"email":..,"id":..,
            // "errors":[{"code":..,"message":..}]}].
            Some(item) => match item
                .get("errors")
                .and_then(Value::as_array)
                .and_then(|errors| errors.first())
            {
                Some(first) => classify(
                    status,
                    first.get("code").and_then(Value::as_str).unwrap_or(""),
                    first.get("message").and_then(Value::as_str).unwrap_or(""),
                ),
                None => sent_or_missing_id(status, item.get("id"), response),
            },
            None => sent_or_missing_id(status, None, response),
        },
        Some(result) => sent_or_missing_id(status, result.get("email_id"), response),
        None => sent_or_missing_id(status, None, response),
    }
}

/// `(code, message)` when the answer is an error (`error` present and not null).
fn error_of(body: &Value) -> Option<(String, String)> {
    let error = body.get("error").filter(|e| !e.is_null())?;
    let message = match error {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let code = body
        .get("code")
        .and_then(Value::as_str)
        .filter(|code| !code.is_empty())
        .unwrap_or("none")
        .to_owned();
    Some((code, message))
}

fn classify(status: u16, code: &str, message: &str) -> Outcome {
    let code = if code.is_empty() { "none" } else { code };
    let error = format!("unisender {code}: {message}");
    if is_permanent(code, message) {
        Outcome::permanent(Some(status), error)
    } else {
        Outcome::retryable(Some(status), error)
    }
}

fn is_permanent(code: &str, message: &str) -> bool {
    match code {
        code if PERMANENT_CODES.contains(&code) => true,
        code if RETRYABLE_CODES.contains(&code) => false,
        "unspecified" => {
            let message = message.to_lowercase();
            UNSUBSCRIBED_MARKERS.iter().any(|m| message.contains(m))
        }
        // Unknown codes: retried, within the shell's attempt limit.
        _ => false,
    }
}

/// Sent with the id (a string, or a number rendered as one), or permanent without one.
fn sent_or_missing_id(status: u16, id: Option<&Value>, response: &Response) -> Outcome {
    let id = match id {
        Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
        Some(Value::Number(id)) => Some(id.to_string()),
        _ => None,
    };
    match id {
        Some(id) => Outcome::Sent {
            provider_id: Some(id),
        },
        None => Outcome::permanent(
            Some(status),
            format!(
                "unisender {status}: answer without an email_id: {}",
                response.excerpt()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{answer, shop_and_customer, unsubscribe_headers};
    use super::*;

    fn form_fields(body: &[u8]) -> Vec<(String, String)> {
        std::str::from_utf8(body)
            .expect("ASCII form")
            .split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').expect("name=value");
                (decode(name), decode(value))
            })
            .collect()
    }

    /// Form decoding, independent of the encoder under test.
    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
                    out.push(u8::from_str_radix(hex, 16).expect("hex"));
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).expect("UTF-8")
    }

    fn ok(body: &str) -> Response {
        answer(200, &[], body)
    }

    #[test]
    fn request_is_the_documented_form() {
        let (shop, customer) = shop_and_customer();
        let email = Email {
            from: &shop,
            to: &customer,
            subject: "Заказ A-1",
            text: "unused when there is HTML",
            html: Some("<p>Спасибо & до встречи</p>"),
            headers: &[],
        };

        let request = request("https://api.unisender.com", "us-key", "42", &email);

        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://api.unisender.com/ru/api/sendEmail?format=json"
        );
        assert_eq!(
            request.headers,
            [(
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned()
            )]
        );
        assert_eq!(
            form_fields(&request.body),
            [
                ("api_key", "us-key"),
                ("email", "Анна <anna@example.com>"),
                ("sender_name", "Tea Shop"),
                ("sender_email", "orders@tea.example"),
                ("subject", "Заказ A-1"),
                ("body", "<p>Спасибо & до встречи</p>"),
                ("list_id", "42"),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn extra_headers_cannot_be_carried_and_change_nothing() {
        let (shop, customer) = shop_and_customer();
        let headers = unsubscribe_headers();
        let without = Email {
            from: &shop,
            to: &customer,
            subject: "s",
            text: "t",
            html: None,
            headers: &[],
        };
        let with = Email {
            headers: &headers,
            ..without
        };
        let request_with = request("https://u", "k", "1", &with);
        assert_eq!(request_with, request("https://u", "k", "1", &without));
        assert!(form_fields(&request_with.body)
            .iter()
            .all(|(name, value)| !name.starts_with("headers") && !value.contains("t0k3n")));
    }

    #[test]
    fn a_text_only_email_is_sent_as_escaped_html_with_line_breaks() {
        let (shop, customer) = shop_and_customer();
        let email = Email {
            from: &shop,
            to: &customer,
            subject: "s",
            text: "Заказ <A-1> & \"чай\"\r\nИтого: 5 ₽\nЖдём\rвас 'снова'",
            html: None,
            headers: &[],
        };
        let fields = form_fields(&request("https://u", "k", "1", &email).body);
        assert_eq!(
            fields[5],
            (
                "body".to_owned(),
                "Заказ &lt;A-1&gt; &amp; &quot;чай&quot;<br>\nИтого: 5 ₽<br>\nЖдём<br>\nвас &#39;снова&#39;"
                    .to_owned()
            )
        );
    }

    #[test]
    fn recipient_is_name_then_address_or_the_bare_address() {
        let mailbox = |name: Option<&str>| Mailbox {
            name: name.map(str::to_owned),
            address: "anna@example.com".into(),
        };
        assert_eq!(recipient(&mailbox(None)), "anna@example.com");
        assert_eq!(recipient(&mailbox(Some(""))), "anna@example.com");
        assert_eq!(recipient(&mailbox(Some("<>\",\n"))), "anna@example.com");
        assert_eq!(
            recipient(&mailbox(Some("Анна  \"Смирнова\", <VIP>"))),
            "Анна Смирнова VIP <anna@example.com>"
        );
    }

    #[test]
    fn a_sender_without_a_name_is_named_by_its_address() {
        let shop = Mailbox {
            name: None,
            address: "orders@tea.example".into(),
        };
        let (_, customer) = shop_and_customer();
        let email = Email {
            from: &shop,
            to: &customer,
            subject: "s",
            text: "t",
            html: None,
            headers: &[],
        };
        let fields = form_fields(&request("https://u", "k", "1", &email).body);
        assert_eq!(fields[2].1, "orders@tea.example");
        assert_eq!(fields[3].1, "orders@tea.example");
    }

    #[test]
    fn result_with_an_email_id_is_sent() {
        assert_eq!(
            outcome(&ok(r#"{"result":{"email_id":"17936585"}}"#)),
            Outcome::Sent {
                provider_id: Some("17936585".into())
            }
        );
        assert_eq!(
            outcome(&ok(r#"{"result":{"email_id":17936585},"warnings":[]}"#)),
            Outcome::Sent {
                provider_id: Some("17936585".into())
            }
        );
    }

    #[test]
    fn an_error_with_http_200_is_not_sent() {
        let outcome = outcome(&ok(
            r#"{"error":"Invalid email address \"anna@\"","code":"invalid_arg"}"#,
        ));
        assert_eq!(
            outcome,
            Outcome::permanent(
                Some(200),
                "unisender invalid_arg: Invalid email address \"anna@\""
            )
        );
    }

    #[test]
    fn credential_and_balance_errors_are_permanent() {
        for code in [
            "invalid_api_key",
            "access_denied",
            "unknown_method",
            "not_enough_money",
        ] {
            let body = format!(r#"{{"error":"refused","code":"{code}"}}"#);
            assert_eq!(
                outcome(&ok(&body)),
                Outcome::permanent(Some(200), format!("unisender {code}: refused"))
            );
        }
    }

    #[test]
    fn an_unsubscribed_recipient_is_permanent() {
        for text in [
            "Recipient anna@example.com has unsubscribed",
            "Адресат отписался от рассылки",
        ] {
            let body = serde_json::json!({ "error": text, "code": "unspecified" }).to_string();
            assert!(
                matches!(outcome(&ok(&body)), Outcome::Permanent { .. }),
                "{text}"
            );
        }
    }

    #[test]
    fn temporary_errors_and_call_limits_are_retryable() {
        for code in [
            "retry_later",
            "api_call_limit_exceeded_for_api_key",
            "api_call_limit_exceeded_for_ip",
        ] {
            let body = format!(r#"{{"error":"later","code":"{code}"}}"#);
            assert_eq!(
                outcome(&ok(&body)),
                Outcome::retryable(Some(200), format!("unisender {code}: later"))
            );
        }
    }

    #[test]
    fn unknown_and_unspecified_codes_are_retryable_within_the_attempt_limit() {
        assert_eq!(
            outcome(&ok(
                r#"{"error":"Please wait 60 seconds before sending to this address","code":"unspecified"}"#
            )),
            Outcome::retryable(
                Some(200),
                "unisender unspecified: Please wait 60 seconds before sending to this address"
            )
        );
        assert_eq!(
            outcome(&ok(r#"{"error":"something new"}"#)),
            Outcome::retryable(Some(200), "unisender none: something new")
        );
    }

    #[test]
    fn the_per_recipient_result_shape_is_read_too() {
        assert_eq!(
            outcome(&ok(
                r#"{"result":[{"index":0,"email":"anna@example.com","id":"123"}]}"#
            )),
            Outcome::Sent {
                provider_id: Some("123".into())
            }
        );
        assert_eq!(
            outcome(&ok(
                r#"{"result":[{"index":0,"email":"anna@","errors":[{"code":"invalid_arg","message":"bad address"}]}]}"#
            )),
            Outcome::permanent(Some(200), "unisender invalid_arg: bad address")
        );
    }

    #[test]
    fn a_200_without_an_id_or_unreadable_is_permanent() {
        for body in [
            "",
            "<html>maintenance</html>",
            r#"{"result":{}}"#,
            "{}",
            r#"{"result":[]}"#,
        ] {
            assert!(
                matches!(
                    outcome(&ok(body)),
                    Outcome::Permanent {
                        status: Some(200),
                        ..
                    }
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn http_errors_are_read_by_status() {
        assert_eq!(
            outcome(&answer(
                429,
                &[("Retry-After", "60")],
                r#"{"error":"Too many","code":"api_call_limit_exceeded_for_ip"}"#
            )),
            Outcome::Retryable {
                status: Some(429),
                error: "unisender 429: api_call_limit_exceeded_for_ip: Too many".into(),
                retry_after: Some(60),
            }
        );
        assert_eq!(
            outcome(&answer(503, &[], "")),
            Outcome::retryable(Some(503), "unisender 503: empty body")
        );
        assert_eq!(
            outcome(&answer(403, &[], "Forbidden")),
            Outcome::permanent(Some(403), "unisender 403: \"Forbidden\"")
        );
    }
}
