//! Email API clients: Postmark and SendGrid, each in its real protocol.
//!
//! A send ends in one of three outcomes. `Sent` carries the provider's message id. `Retryable`
//! covers what may pass by itself (time-outs, connection errors, 429, 5xx). `Permanent` is
//! what no retry can fix (a refused address, a bad token): the message is marked failed with
//! the provider's reason instead of being retried for ever.

use serde_json::{json, Value};

use crate::config::{EmailConfig, EmailProvider, Mailbox};
use crate::outbound::{self, HttpError, HttpRequest, HttpResponse};

/// One email to send.
#[derive(Debug, Clone)]
pub struct EmailMessage<'a> {
    /// Recipient address.
    pub to: &'a str,
    /// Recipient name, if known.
    pub to_name: Option<&'a str>,
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text body.
    pub text: &'a str,
    /// HTML body.
    pub html: Option<&'a str>,
}

/// The result of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted by the provider.
    Sent {
        /// The provider's id for the message.
        provider_id: Option<String>,
    },
    /// Failed in a way a later attempt may not.
    Retryable {
        /// HTTP status, when there was a response.
        status: Option<u16>,
        /// What went wrong.
        error: String,
    },
    /// Refused for good.
    Permanent {
        /// HTTP status.
        status: Option<u16>,
        /// The provider's reason.
        error: String,
    },
}

/// Sends one email with the configured provider.
pub fn send(config: &EmailConfig, message: &EmailMessage<'_>) -> SendOutcome {
    let request = match &config.provider {
        EmailProvider::Postmark { url, token } => HttpRequest {
            method: "POST",
            url: format!("{url}/email"),
            headers: vec![
                ("accept".into(), "application/json".into()),
                ("content-type".into(), "application/json".into()),
                ("x-postmark-server-token".into(), token.expose().to_owned()),
            ],
            body: postmark_body(&config.from, message)
                .to_string()
                .into_bytes(),
            timeout: config.timeout,
        },
        EmailProvider::SendGrid { url, api_key } => HttpRequest {
            method: "POST",
            url: format!("{url}/v3/mail/send"),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (
                    "authorization".into(),
                    format!("Bearer {}", api_key.expose()),
                ),
            ],
            body: sendgrid_body(&config.from, message)
                .to_string()
                .into_bytes(),
            timeout: config.timeout,
        },
    };
    match outbound::send(&request) {
        Ok(response) => match &config.provider {
            EmailProvider::Postmark { .. } => postmark_outcome(&response),
            EmailProvider::SendGrid { .. } => sendgrid_outcome(&response),
        },
        Err(HttpError::Denied) => SendOutcome::Permanent {
            status: None,
            error: "the provider's host is not in allowed_outbound_hosts".into(),
        },
        Err(HttpError::InvalidUrl(url)) => SendOutcome::Permanent {
            status: None,
            error: format!("invalid provider url {url}"),
        },
        Err(error) => SendOutcome::Retryable {
            status: None,
            error: error.to_string(),
        },
    }
}

fn postmark_body(from: &Mailbox, message: &EmailMessage<'_>) -> Value {
    let to = Mailbox {
        name: message.to_name.map(str::to_owned),
        address: message.to.to_owned(),
    };
    let mut body = json!({
        "From": from.to_header(),
        "To": to.to_header(),
        "Subject": message.subject,
        "TextBody": message.text,
        "MessageStream": "outbound",
    });
    if let Some(html) = message.html {
        body["HtmlBody"] = json!(html);
    }
    body
}

/// Postmark answers 200 with `ErrorCode: 0` on success and 422 with a non-zero `ErrorCode`
/// when it refuses the message; 401 is a bad token.
fn postmark_outcome(response: &HttpResponse) -> SendOutcome {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let code = body.get("ErrorCode").and_then(Value::as_i64);
    let message = body
        .get("Message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let status = Some(response.status);
    match response.status {
        200 if code == Some(0) => SendOutcome::Sent {
            provider_id: body
                .get("MessageID")
                .and_then(Value::as_str)
                .map(str::to_owned),
        },
        429 | 500..=599 => SendOutcome::Retryable {
            status,
            error: format!("postmark {}: {message}", response.status),
        },
        _ => SendOutcome::Permanent {
            status,
            error: format!(
                "postmark {} ErrorCode {}: {message}",
                response.status,
                code.map_or_else(|| "none".to_owned(), |c| c.to_string())
            ),
        },
    }
}

fn sendgrid_body(from: &Mailbox, message: &EmailMessage<'_>) -> Value {
    let mut to = json!({ "email": message.to });
    if let Some(name) = message.to_name {
        to["name"] = json!(name);
    }
    let mut from_json = json!({ "email": from.address });
    if let Some(name) = &from.name {
        from_json["name"] = json!(name);
    }
    let mut content = vec![json!({ "type": "text/plain", "value": message.text })];
    if let Some(html) = message.html {
        content.push(json!({ "type": "text/html", "value": html }));
    }
    json!({
        "personalizations": [{ "to": [to] }],
        "from": from_json,
        "subject": message.subject,
        "content": content,
    })
}

/// SendGrid answers 202 with an empty body and the id in `X-Message-Id`; errors carry
/// `{"errors": [{"message": ...}]}`.
fn sendgrid_outcome(response: &HttpResponse) -> SendOutcome {
    let status = Some(response.status);
    if (200..300).contains(&response.status) {
        return SendOutcome::Sent {
            provider_id: response.header("x-message-id").map(str::to_owned),
        };
    }
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let reasons: Vec<&str> = body
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let error = format!("sendgrid {}: {}", response.status, reasons.join("; "));
    match response.status {
        429 | 500..=599 => SendOutcome::Retryable { status, error },
        _ => SendOutcome::Permanent { status, error },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("x-message-id".into(), "sg-1".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn postmark_error_code_zero_is_sent() {
        let outcome = postmark_outcome(&response(
            200,
            r#"{"ErrorCode":0,"Message":"OK","MessageID":"pm-1"}"#,
        ));
        assert_eq!(
            outcome,
            SendOutcome::Sent {
                provider_id: Some("pm-1".into())
            }
        );
    }

    #[test]
    fn postmark_invalid_address_is_permanent() {
        let outcome = postmark_outcome(&response(
            422,
            r#"{"ErrorCode":300,"Message":"Invalid 'To' address"}"#,
        ));
        assert!(matches!(
            outcome,
            SendOutcome::Permanent {
                status: Some(422),
                ..
            }
        ));
    }

    #[test]
    fn postmark_server_error_is_retryable() {
        assert!(matches!(
            postmark_outcome(&response(503, "")),
            SendOutcome::Retryable { .. }
        ));
    }

    #[test]
    fn sendgrid_202_is_sent_with_the_header_id() {
        assert_eq!(
            sendgrid_outcome(&response(202, "")),
            SendOutcome::Sent {
                provider_id: Some("sg-1".into())
            }
        );
    }

    #[test]
    fn sendgrid_rate_limit_is_retryable() {
        assert!(matches!(
            sendgrid_outcome(&response(429, r#"{"errors":[{"message":"slow down"}]}"#)),
            SendOutcome::Retryable { .. }
        ));
    }

    #[test]
    fn postmark_body_has_both_parts_and_the_stream() {
        let from = Mailbox::parse("Shop <shop@example.com>").expect("mailbox");
        let message = EmailMessage {
            to: "anna@example.com",
            to_name: Some("Анна"),
            subject: "s",
            text: "t",
            html: Some("<p>h</p>"),
        };
        let body = postmark_body(&from, &message);
        assert_eq!(body["From"], "\"Shop\" <shop@example.com>");
        assert_eq!(body["To"], "\"Анна\" <anna@example.com>");
        assert_eq!(body["MessageStream"], "outbound");
        assert_eq!(body["HtmlBody"], "<p>h</p>");
    }
}
