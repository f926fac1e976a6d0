//! Postmark `POST /email`: JSON with `From`, `To`, `Subject`, `TextBody`, `HtmlBody`,
//! `MessageStream` and, when the email has extra header fields, `Headers`
//! (`[{"Name": .., "Value": ..}]`); the server token in `X-Postmark-Server-Token`. The answer carries
//! `ErrorCode` (0 = accepted), `Message` and `MessageID`. Ported from the shell's client.

use serde_json::{json, Value};

use super::{reason, url, Email};
use crate::providers::{Outcome, Request, Response};

/// The request for one email on the transactional (`outbound`) stream.
pub(super) fn request(base_url: &str, token: &str, email: &Email<'_>) -> Request {
    let mut body = json!({
        "From": email.from.to_header(),
        "To": email.to.to_header(),
        "Subject": email.subject,
        "TextBody": email.text,
        "MessageStream": "outbound",
    });
    if let Some(html) = email.html {
        body["HtmlBody"] = json!(html);
    }
    if !email.headers.is_empty() {
        let headers: Vec<Value> = email
            .headers
            .iter()
            .map(|(name, value)| json!({ "Name": name, "Value": value }))
            .collect();
        body["Headers"] = json!(headers);
    }
    Request {
        method: "POST",
        url: url(base_url, "/email"),
        headers: vec![
            ("accept".into(), "application/json".into()),
            ("content-type".into(), "application/json".into()),
            ("x-postmark-server-token".into(), token.to_owned()),
        ],
        body: body.to_string().into_bytes(),
    }
}

/// 200 with `ErrorCode` 0 is sent. 422 is Postmark refusing this message (bad address,
/// inactive recipient 406, ...): permanent, whatever the `ErrorCode`. 401 is a bad token:
/// permanent. 429, 408 and 5xx are retryable. Anything else, a 200 with another code or an
/// unreadable body included, is permanent.
pub(super) fn outcome(response: &Response) -> Outcome {
    let body = response.json().unwrap_or(Value::Null);
    let code = body.get("ErrorCode").and_then(Value::as_i64);
    let message = body
        .get("Message")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let status = response.status;
    match status {
        200 if code == Some(0) => Outcome::Sent {
            provider_id: body
                .get("MessageID")
                .and_then(Value::as_str)
                .map(str::to_owned),
        },
        408 | 429 | 500..=599 => Outcome::from_status(
            response,
            format!("postmark {status}: {}", reason(message, response)),
        ),
        _ => Outcome::permanent(
            Some(status),
            format!(
                "postmark {status} ErrorCode {}: {}",
                code.map_or_else(|| "none".to_owned(), |c| c.to_string()),
                reason(message, response)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{answer, shop_and_customer, unsubscribe_headers};
    use super::*;

    #[test]
    fn request_is_postmark_json_with_the_token_header() {
        let (shop, customer) = shop_and_customer();
        let email = Email {
            from: &shop,
            to: &customer,
            subject: "Заказ A-1",
            text: "Спасибо",
            html: Some("<p>Спасибо</p>"),
            headers: &[],
        };

        let request = request("https://api.postmarkapp.com", "server-token", &email);

        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://api.postmarkapp.com/email");
        assert_eq!(
            request.headers,
            [
                ("accept".to_owned(), "application/json".to_owned()),
                ("content-type".to_owned(), "application/json".to_owned()),
                (
                    "x-postmark-server-token".to_owned(),
                    "server-token".to_owned()
                ),
            ]
        );
        let body: Value = serde_json::from_slice(&request.body).expect("json body");
        assert_eq!(
            body,
            json!({
                "From": "\"Tea Shop\" <orders@tea.example>",
                "To": "\"Анна\" <anna@example.com>",
                "Subject": "Заказ A-1",
                "TextBody": "Спасибо",
                "HtmlBody": "<p>Спасибо</p>",
                "MessageStream": "outbound",
            })
        );
    }

    #[test]
    fn request_without_html_has_no_html_body() {
        let (shop, customer) = shop_and_customer();
        let email = Email {
            from: &shop,
            to: &customer,
            subject: "s",
            text: "t",
            html: None,
            headers: &[],
        };
        let body: Value =
            serde_json::from_slice(&request("https://pm", "t", &email).body).expect("json body");
        assert_eq!(body.get("HtmlBody"), None);
        assert_eq!(body["TextBody"], "t");
        assert_eq!(
            body.get("Headers"),
            None,
            "no Headers without extra headers"
        );
    }

    #[test]
    fn extra_headers_go_in_headers_as_name_and_value() {
        let (shop, customer) = shop_and_customer();
        let headers = unsubscribe_headers();
        let email = Email {
            from: &shop,
            to: &customer,
            subject: "s",
            text: "t",
            html: None,
            headers: &headers,
        };
        let body: Value =
            serde_json::from_slice(&request("https://pm", "t", &email).body).expect("json body");
        assert_eq!(
            body,
            json!({
                "From": "\"Tea Shop\" <orders@tea.example>",
                "To": "\"Анна\" <anna@example.com>",
                "Subject": "s",
                "TextBody": "t",
                "MessageStream": "outbound",
                "Headers": [
                    {
                        "Name": "List-Unsubscribe",
                        "Value": "<https://tea.example/unsubscribe/t0k3n>, <mailto:stop@tea.example>"
                    },
                    { "Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click" },
                ],
            })
        );
    }

    #[test]
    fn error_code_zero_is_sent_with_the_message_id() {
        let outcome = outcome(&answer(
            200,
            &[],
            r#"{"To":"anna@example.com","SubmittedAt":"2024-01-01T00:00:00Z","MessageID":"b7bc2f4a-e38e-4336-af7d-e6c392c2f817","ErrorCode":0,"Message":"OK"}"#,
        ));
        assert_eq!(
            outcome,
            Outcome::Sent {
                provider_id: Some("b7bc2f4a-e38e-4336-af7d-e6c392c2f817".into())
            }
        );
    }

    #[test]
    fn a_refused_message_is_permanent_with_code_and_message() {
        let outcome = outcome(&answer(
            422,
            &[],
            r#"{"ErrorCode":300,"Message":"Invalid 'To' address: 'anna@'."}"#,
        ));
        assert_eq!(
            outcome,
            Outcome::permanent(
                Some(422),
                "postmark 422 ErrorCode 300: Invalid 'To' address: 'anna@'."
            )
        );
    }

    #[test]
    fn an_inactive_recipient_is_permanent() {
        let outcome = outcome(&answer(
            422,
            &[],
            r#"{"ErrorCode":406,"Message":"You tried to send to recipient(s) that have been marked as inactive."}"#,
        ));
        assert!(matches!(
            outcome,
            Outcome::Permanent { status: Some(422), ref error } if error.contains("ErrorCode 406")
        ));
    }

    #[test]
    fn a_bad_token_is_permanent() {
        let outcome = outcome(&answer(
            401,
            &[],
            r#"{"ErrorCode":10,"Message":"The Server Token you provided in the X-Postmark-Server-Token request header was invalid."}"#,
        ));
        assert!(matches!(
            outcome,
            Outcome::Permanent { status: Some(401), ref error } if error.starts_with("postmark 401 ErrorCode 10: The Server Token")
        ));
    }

    #[test]
    fn rate_limiting_is_retryable_after_the_requested_delay() {
        let outcome = outcome(&answer(
            429,
            &[("Retry-After", "120")],
            r#"{"ErrorCode":429,"Message":"Rate limit exceeded"}"#,
        ));
        assert_eq!(
            outcome,
            Outcome::Retryable {
                status: Some(429),
                error: "postmark 429: Rate limit exceeded".into(),
                retry_after: Some(120),
            }
        );
    }

    #[test]
    fn server_errors_are_retryable_even_without_a_body() {
        assert_eq!(
            outcome(&answer(503, &[], "")),
            Outcome::retryable(Some(503), "postmark 503: empty body")
        );
        assert_eq!(
            outcome(&answer(500, &[], "<html>oops</html>")),
            Outcome::retryable(Some(500), "postmark 500: \"<html>oops</html>\"")
        );
    }

    #[test]
    fn an_unreadable_200_is_permanent_not_sent_and_not_retried() {
        assert_eq!(
            outcome(&answer(200, &[], "")),
            Outcome::permanent(Some(200), "postmark 200 ErrorCode none: empty body")
        );
        assert!(matches!(
            outcome(&answer(200, &[], "not json")),
            Outcome::Permanent {
                status: Some(200),
                ..
            }
        ));
    }

    #[test]
    fn a_200_with_a_non_zero_error_code_is_permanent() {
        assert!(matches!(
            outcome(&answer(200, &[], r#"{"ErrorCode":300,"Message":"bad"}"#)),
            Outcome::Permanent { .. }
        ));
    }
}
