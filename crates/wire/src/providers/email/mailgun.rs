//! Mailgun `POST /v3/{domain}/messages`: `multipart/form-data` with `from`, `to`, `subject`,
//! `text`, `html`, and an `h:<Name>` field for each extra header field; HTTP Basic auth, user `api`, the API key as password. Success is 200
//! with `{"id":"<...>","message":"Queued. Thank you."}`; errors carry `{"message":..}` (or a
//! plain-text body such as `Forbidden`).

use serde_json::Value;

use super::{multipart, reason, url, Email};
use crate::providers::{basic_auth, Outcome, Request, Response};

/// The request for one email. `from` and `to` are RFC 5322 mailboxes (`"Name" <address>`);
/// Mailgun encodes non-ASCII names itself.
pub(super) fn request(base_url: &str, domain: &str, api_key: &str, email: &Email<'_>) -> Request {
    let from = email.from.to_header();
    let to = email.to.to_header();
    let mut fields = vec![
        ("from", from.as_str()),
        ("to", to.as_str()),
        ("subject", email.subject),
        ("text", email.text),
    ];
    if let Some(html) = email.html {
        fields.push(("html", html));
    }
    // `h:X-My-Header` adds that header to the message (Mailgun's messages API).
    let header_fields: Vec<(String, &str)> = email
        .headers
        .iter()
        .map(|(name, value)| (format!("h:{name}"), value.as_str()))
        .collect();
    fields.extend(
        header_fields
            .iter()
            .map(|(name, value)| (name.as_str(), *value)),
    );
    let form = multipart::encode(&fields);
    Request {
        method: "POST",
        url: url(base_url, &format!("/v3/{domain}/messages")),
        headers: vec![
            ("authorization".into(), basic_auth("api", api_key)),
            ("content-type".into(), form.content_type),
        ],
        body: form.body,
    }
}

/// 2xx with an `id` is sent. A 2xx without one is permanent (see the module policy in
/// `email`). 429, 408 and 5xx are retryable; 400 (bad field), 401/403 (bad key), 404
/// (unknown domain) and the other statuses are permanent.
pub(super) fn outcome(response: &Response) -> Outcome {
    let status = response.status;
    let body = response.json().unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        return match body.get("id").and_then(Value::as_str) {
            Some(id) => Outcome::Sent {
                provider_id: Some(id.to_owned()),
            },
            None => Outcome::permanent(
                Some(status),
                format!(
                    "mailgun {status}: answer without a message id: {}",
                    response.excerpt()
                ),
            ),
        };
    }
    let said = body
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Outcome::from_status(
        response,
        format!("mailgun {status}: {}", reason(said, response)),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{answer, shop_and_customer, unsubscribe_headers};
    use super::*;

    fn header<'r>(request: &'r Request, name: &str) -> &'r str {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .expect("header present")
    }

    #[test]
    fn request_is_a_multipart_form_with_basic_auth() {
        let (shop, customer) = shop_and_customer();
        let email = Email {
            from: &shop,
            to: &customer,
            subject: "Заказ A-1",
            text: "Спасибо!\r\nВаш заказ принят.",
            html: Some("<p>Спасибо!</p>"),
            headers: &[],
        };

        let request = request(
            "https://api.eu.mailgun.net",
            "mg.tea.example",
            "key-1",
            &email,
        );

        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://api.eu.mailgun.net/v3/mg.tea.example/messages"
        );
        assert_eq!(request.headers.len(), 2);
        assert_eq!(header(&request, "authorization"), "Basic YXBpOmtleS0x");
        let content_type = header(&request, "content-type");
        assert!(content_type.starts_with("multipart/form-data; boundary="));
        assert_eq!(
            multipart::parse(content_type, &request.body),
            [
                ("from", "\"Tea Shop\" <orders@tea.example>"),
                ("to", "\"Анна\" <anna@example.com>"),
                ("subject", "Заказ A-1"),
                ("text", "Спасибо!\r\nВаш заказ принят."),
                ("html", "<p>Спасибо!</p>"),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn request_without_html_has_no_html_part() {
        let (shop, mut customer) = shop_and_customer();
        customer.name = None;
        let email = Email {
            from: &shop,
            to: &customer,
            subject: "s",
            text: "t",
            html: None,
            headers: &[],
        };
        let request = request("https://api.mailgun.net", "d", "k", &email);
        let fields = multipart::parse(header(&request, "content-type"), &request.body);
        let names: Vec<_> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["from", "to", "subject", "text"]);
        assert_eq!(fields[1].1, "anna@example.com");
    }

    #[test]
    fn extra_headers_are_h_prefixed_fields() {
        let (shop, customer) = shop_and_customer();
        let headers = unsubscribe_headers();
        let email = Email {
            from: &shop,
            to: &customer,
            subject: "s",
            text: "t",
            html: Some("<p>t</p>"),
            headers: &headers,
        };
        let request = request("https://api.mailgun.net", "d", "k", &email);
        assert_eq!(
            multipart::parse(header(&request, "content-type"), &request.body),
            [
                ("from", "\"Tea Shop\" <orders@tea.example>"),
                ("to", "\"Анна\" <anna@example.com>"),
                ("subject", "s"),
                ("text", "t"),
                ("html", "<p>t</p>"),
                (
                    "h:List-Unsubscribe",
                    "<https://tea.example/unsubscribe/t0k3n>, <mailto:stop@tea.example>"
                ),
                ("h:List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn queued_is_sent_with_the_message_id() {
        assert_eq!(
            outcome(&answer(
                200,
                &[],
                r#"{"id":"<20240101.1@mg.tea.example>","message":"Queued. Thank you."}"#
            )),
            Outcome::Sent {
                provider_id: Some("<20240101.1@mg.tea.example>".into())
            }
        );
    }

    #[test]
    fn a_refused_message_is_permanent() {
        assert_eq!(
            outcome(&answer(
                400,
                &[],
                r#"{"message":"to parameter is not a valid address. please check documentation"}"#
            )),
            Outcome::permanent(
                Some(400),
                "mailgun 400: to parameter is not a valid address. please check documentation"
            )
        );
        assert!(matches!(
            outcome(&answer(404, &[], r#"{"message":"Domain not found: mg.x"}"#)),
            Outcome::Permanent {
                status: Some(404),
                ..
            }
        ));
    }

    #[test]
    fn a_bad_key_is_permanent() {
        assert_eq!(
            outcome(&answer(401, &[], "Forbidden")),
            Outcome::permanent(Some(401), "mailgun 401: \"Forbidden\"")
        );
        assert!(matches!(
            outcome(&answer(
                403,
                &[],
                r#"{"message":"Domain mg.x is not allowed to send"}"#
            )),
            Outcome::Permanent {
                status: Some(403),
                ..
            }
        ));
    }

    #[test]
    fn rate_limiting_is_retryable_after_the_requested_delay() {
        assert_eq!(
            outcome(&answer(
                429,
                &[("Retry-After", "15")],
                r#"{"message":"Too many requests"}"#
            )),
            Outcome::Retryable {
                status: Some(429),
                error: "mailgun 429: Too many requests".into(),
                retry_after: Some(15),
            }
        );
    }

    #[test]
    fn server_errors_are_retryable() {
        assert_eq!(
            outcome(&answer(502, &[], "")),
            Outcome::retryable(Some(502), "mailgun 502: empty body")
        );
    }

    #[test]
    fn a_200_without_an_id_is_permanent() {
        assert_eq!(
            outcome(&answer(200, &[], "")),
            Outcome::permanent(
                Some(200),
                "mailgun 200: answer without a message id: empty body"
            )
        );
        assert!(matches!(
            outcome(&answer(200, &[], r#"{"message":"Queued. Thank you."}"#)),
            Outcome::Permanent {
                status: Some(200),
                ..
            }
        ));
    }
}
