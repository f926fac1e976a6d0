//! SendGrid v3 `POST /v3/mail/send`: JSON `personalizations`/`from`/`subject`/`content`, and a
//! top-level `headers` object (name → value) when the email has extra header fields;
//! `Authorization: Bearer <key>`. Success is 202 with an empty body and the id in
//! `X-Message-Id`; errors carry `{"errors":[{"field":..,"message":..}]}`. Ported from the
//! shell's client.

use serde_json::{json, Value};

use super::{display_name, reason, url, Email};
use crate::providers::{Mailbox, Outcome, Request, Response};

/// The request for one email: one personalization with one recipient, the text part and
/// the HTML part when there is one (SendGrid wants `text/plain` first).
pub(super) fn request(base_url: &str, api_key: &str, email: &Email<'_>) -> Request {
    let mut content = vec![json!({ "type": "text/plain", "value": email.text })];
    if let Some(html) = email.html {
        content.push(json!({ "type": "text/html", "value": html }));
    }
    let mut body = json!({
        "personalizations": [{ "to": [address(email.to)] }],
        "from": address(email.from),
        "subject": email.subject,
        "content": content,
    });
    if !email.headers.is_empty() {
        // Names are unique (checked), so the object keeps every field.
        let headers: serde_json::Map<String, Value> = email
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), json!(value)))
            .collect();
        body["headers"] = Value::Object(headers);
    }
    Request {
        method: "POST",
        url: url(base_url, "/v3/mail/send"),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {api_key}")),
        ],
        body: body.to_string().into_bytes(),
    }
}

/// `{"email": .., "name": ..}`, the name only when there is one.
fn address(mailbox: &Mailbox) -> Value {
    let mut value = json!({ "email": mailbox.address });
    if let Some(name) = display_name(mailbox) {
        value["name"] = json!(name);
    }
    value
}

/// 2xx is sent, with `X-Message-Id`. Otherwise the error messages are joined into the
/// error text; 429, 408 and 5xx are retryable, other statuses (400, 401, 403, 413, ...)
/// permanent.
pub(super) fn outcome(response: &Response) -> Outcome {
    let status = response.status;
    if (200..300).contains(&status) {
        return Outcome::Sent {
            provider_id: response.header("x-message-id").map(str::to_owned),
        };
    }
    let body = response.json().unwrap_or(Value::Null);
    let messages: Vec<&str> = body
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let said = Some(messages.join("; "));
    Outcome::from_status(
        response,
        format!("sendgrid {status}: {}", reason(said, response)),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{answer, shop_and_customer, unsubscribe_headers};
    use super::*;

    #[test]
    fn request_is_sendgrid_json_with_a_bearer_key() {
        let (shop, customer) = shop_and_customer();
        let email = Email {
            from: &shop,
            to: &customer,
            subject: "Заказ A-1",
            text: "Спасибо",
            html: Some("<p>Спасибо</p>"),
            headers: &[],
        };

        let request = request("https://api.sendgrid.com", "SG.key", &email);

        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://api.sendgrid.com/v3/mail/send");
        assert_eq!(
            request.headers,
            [
                ("content-type".to_owned(), "application/json".to_owned()),
                ("authorization".to_owned(), "Bearer SG.key".to_owned()),
            ]
        );
        let body: Value = serde_json::from_slice(&request.body).expect("json body");
        assert_eq!(
            body,
            json!({
                "personalizations": [{ "to": [{ "email": "anna@example.com", "name": "Анна" }] }],
                "from": { "email": "orders@tea.example", "name": "Tea Shop" },
                "subject": "Заказ A-1",
                "content": [
                    { "type": "text/plain", "value": "Спасибо" },
                    { "type": "text/html", "value": "<p>Спасибо</p>" },
                ],
            })
        );
    }

    #[test]
    fn request_without_names_or_html_has_neither() {
        let shop = Mailbox {
            name: None,
            address: "orders@tea.example".into(),
        };
        let customer = Mailbox {
            name: Some(String::new()),
            address: "anna@example.com".into(),
        };
        let email = Email {
            from: &shop,
            to: &customer,
            subject: "s",
            text: "t",
            html: None,
            headers: &[],
        };
        let body: Value =
            serde_json::from_slice(&request("https://sg", "k", &email).body).expect("json body");
        assert_eq!(body["from"], json!({ "email": "orders@tea.example" }));
        assert_eq!(
            body["personalizations"][0]["to"][0],
            json!({ "email": "anna@example.com" })
        );
        assert_eq!(
            body["content"],
            json!([{ "type": "text/plain", "value": "t" }])
        );
        assert_eq!(
            body.get("headers"),
            None,
            "no headers without extra headers"
        );
    }

    #[test]
    fn extra_headers_go_in_the_top_level_headers_object() {
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
            serde_json::from_slice(&request("https://sg", "k", &email).body).expect("json body");
        assert_eq!(
            body,
            json!({
                "personalizations": [{ "to": [{ "email": "anna@example.com", "name": "Анна" }] }],
                "from": { "email": "orders@tea.example", "name": "Tea Shop" },
                "subject": "s",
                "content": [{ "type": "text/plain", "value": "t" }],
                "headers": {
                    "List-Unsubscribe": "<https://tea.example/unsubscribe/t0k3n>, <mailto:stop@tea.example>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            })
        );
    }

    #[test]
    fn accepted_is_sent_with_the_header_id() {
        assert_eq!(
            outcome(&answer(202, &[("X-Message-Id", "sg-abc123")], "")),
            Outcome::Sent {
                provider_id: Some("sg-abc123".into())
            }
        );
    }

    #[test]
    fn accepted_without_an_id_header_is_still_sent() {
        // 202 is SendGrid's only success signal; the id is a nice-to-have.
        assert_eq!(
            outcome(&answer(202, &[], "")),
            Outcome::Sent { provider_id: None }
        );
    }

    #[test]
    fn a_refused_message_is_permanent_with_all_messages() {
        let outcome = outcome(&answer(
            400,
            &[],
            r#"{"errors":[{"field":"personalizations.0.to.0.email","message":"Does not contain a valid address."},{"field":"subject","message":"The subject is required."}]}"#,
        ));
        assert_eq!(
            outcome,
            Outcome::permanent(
                Some(400),
                "sendgrid 400: Does not contain a valid address.; The subject is required."
            )
        );
    }

    #[test]
    fn a_bad_key_is_permanent() {
        let outcome = outcome(&answer(
            401,
            &[],
            r#"{"errors":[{"field":null,"message":"The provided authorization grant is invalid, expired, or revoked"}]}"#,
        ));
        assert_eq!(
            outcome,
            Outcome::permanent(
                Some(401),
                "sendgrid 401: The provided authorization grant is invalid, expired, or revoked"
            )
        );
    }

    #[test]
    fn rate_limiting_is_retryable_after_the_requested_delay() {
        assert_eq!(
            outcome(&answer(
                429,
                &[("retry-after", "30")],
                r#"{"errors":[{"message":"too many requests"}]}"#
            )),
            Outcome::Retryable {
                status: Some(429),
                error: "sendgrid 429: too many requests".into(),
                retry_after: Some(30),
            }
        );
    }

    #[test]
    fn server_errors_are_retryable() {
        assert_eq!(
            outcome(&answer(500, &[], "")),
            Outcome::retryable(Some(500), "sendgrid 500: empty body")
        );
    }

    #[test]
    fn an_unreadable_error_body_is_quoted() {
        assert_eq!(
            outcome(&answer(403, &[], "Forbidden")),
            Outcome::permanent(Some(403), "sendgrid 403: \"Forbidden\"")
        );
        assert_eq!(
            outcome(&answer(413, &[], r#"{"errors":[]}"#)),
            Outcome::permanent(Some(413), "sendgrid 413: \"{\\\"errors\\\":[]}\"")
        );
    }
}
