//! Twilio Messages: `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json` with Basic
//! auth `AccountSid:AuthToken` and a form of `To`, `Body` and `From` or
//! `MessagingServiceSid`. Success is 201 with the message resource (`sid` = `SM…`); errors are
//! `{"code":N,"message":"…","more_info":"…","status":S}` with the HTTP status S.
//! Facts: providers.md §4.3.

use super::{describe, form_post, http_error, json_id, json_int, json_str, unreadable, Sms};
use crate::providers::{basic_auth, Outcome, Request, Response};

const PROVIDER: &str = "Twilio";

/// Twilio's "too many requests" code; it may come with a `Retry-After`.
const RATE_LIMITED: i64 = 20429;

/// Who sends: a messaging service (which picks the number), a number or sender id, or
/// neither (Twilio then refuses the request, a permanent error the outbox reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sender<'a> {
    /// `MessagingServiceSid`.
    Service(&'a str),
    /// `From`.
    From(&'a str),
    /// Nothing configured.
    None,
}

impl<'a> Sender<'a> {
    /// The service when configured, else `from`. Twilio takes either; when both are sent it
    /// uses `From` as the sender and the service only for its settings, so sending just the
    /// service lets it choose the number (geo-match, sender pool) it was set up to choose.
    pub(super) fn pick(from: Option<&'a str>, messaging_service_sid: Option<&'a str>) -> Self {
        match (messaging_service_sid, from) {
            (Some(service), _) => Sender::Service(service),
            (None, Some(from)) => Sender::From(from),
            (None, None) => Sender::None,
        }
    }
}

/// The send request; `To` keeps its `+` (Twilio wants E.164).
pub(super) fn request(
    base_url: &str,
    account_sid: &str,
    auth_token: &str,
    sender: Sender<'_>,
    sms: &Sms<'_>,
) -> Request {
    let mut fields = vec![("To", sms.to), ("Body", sms.text)];
    match sender {
        Sender::Service(sid) => fields.push(("MessagingServiceSid", sid)),
        Sender::From(from) => fields.push(("From", from)),
        Sender::None => {}
    }
    form_post(
        format!("{base_url}/2010-04-01/Accounts/{account_sid}/Messages.json"),
        vec![(
            "authorization".to_string(),
            basic_auth(account_sid, auth_token),
        )],
        &fields,
    )
}

/// Classifies the answer to [`request`].
pub(super) fn outcome(response: &Response) -> Outcome {
    let status = response.status;
    let json = response.json();
    if (200..300).contains(&status) {
        if let Some(sid) = json.as_ref().and_then(|j| json_id(j.get("sid"))) {
            return Outcome::Sent {
                provider_id: Some(sid),
            };
        }
        // 201 Created means the message resource exists and will be sent; Twilio has no
        // idempotency key, so retrying would send it twice. Sent, without an id.
        if status == 201 {
            return Outcome::Sent { provider_id: None };
        }
        return unreadable(PROVIDER, response, "a message sid");
    }
    let Some((code, message)) = json
        .as_ref()
        .and_then(|j| Some((json_int(j.get("code"))?, json_str(j, "message"))))
    else {
        return http_error(PROVIDER, response);
    };
    let error = describe(PROVIDER, code, meaning(code), message);
    if code == RATE_LIMITED {
        return Outcome::Retryable {
            status: Some(status),
            error,
            retry_after: response.retry_after(),
        };
    }
    // Auth (20003, 401), the number (21211, 21614), the sender (21606), an opt-out (21610)
    // and any other 4xx are permanent; 429 and 5xx retryable, with `Retry-After`.
    Outcome::from_status(response, error)
}

/// Our reading of the common codes (providers.md §4.3), shown next to Twilio's message.
fn meaning(code: i64) -> Option<&'static str> {
    Some(match code {
        20003 => "authentication failed",
        20429 => "too many requests",
        21211 => "invalid To number",
        21606 => "From number cannot send SMS",
        21610 => "recipient unsubscribed",
        21614 => "To number is not a mobile number",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{answer, answer_retry_after, form_fields, headers, pairs};
    use super::super::SmsProvider;
    use super::*;

    const SID: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    const SMS: Sms<'static> = Sms {
        to: "+15558675310",
        text: "Order A-1001 is ready for pickup",
    };

    fn provider(from: Option<&str>, service: Option<&str>) -> SmsProvider {
        SmsProvider::Twilio {
            base_url: "https://api.twilio.com".into(),
            account_sid: SID.into(),
            auth_token: "your_auth_token".into(),
            from: from.map(Into::into),
            messaging_service_sid: service.map(Into::into),
        }
    }

    fn outcome_of(response: Response) -> Outcome {
        provider(Some("+15005550006"), None).outcome(&SMS, &response)
    }

    fn error_body(code: i64, message: &str, status: u16) -> String {
        format!(
            r#"{{"code":{code},"message":"{message}","more_info":"https://www.twilio.com/docs/errors/{code}","status":{status}}}"#
        )
    }

    #[test]
    fn request_posts_the_form_with_basic_auth() {
        let request = provider(Some("+15005550006"), None).request(&SMS, 1001);

        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://api.twilio.com/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages.json"
        );
        assert_eq!(
            headers(&request),
            [
                ("content-type", "application/x-www-form-urlencoded"),
                (
                    "authorization",
                    // base64("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:your_auth_token")
                    "Basic QUNhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYTp5b3VyX2F1dGhfdG9rZW4="
                ),
            ]
        );
        assert_eq!(
            pairs(&form_fields(&request)),
            [
                ("To", "+15558675310"),
                ("Body", "Order A-1001 is ready for pickup"),
                ("From", "+15005550006"),
            ]
        );
    }

    #[test]
    fn messaging_service_is_sent_instead_of_from() {
        let service = "MGbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        let request = provider(Some("+15005550006"), Some(service)).request(&SMS, 1);

        assert_eq!(
            pairs(&form_fields(&request)[2..]),
            [("MessagingServiceSid", service)]
        );
    }

    #[test]
    fn created_message_is_sent_with_its_sid() {
        let body = r#"{"account_sid":"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","api_version":"2010-04-01","body":"Order A-1001 is ready for pickup","date_created":"Thu, 24 Aug 2023 05:01:45 +0000","direction":"outbound-api","error_code":null,"error_message":null,"from":"+15005550006","messaging_service_sid":null,"num_segments":"1","price":null,"sid":"SM1f0e8ae6ade43cb3c0ce4525424e404f","status":"queued","to":"+15558675310","uri":"/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/SM1f0e8ae6ade43cb3c0ce4525424e404f.json"}"#;

        assert_eq!(
            outcome_of(answer(201, body)),
            Outcome::Sent {
                provider_id: Some("SM1f0e8ae6ade43cb3c0ce4525424e404f".into())
            }
        );
    }

    #[test]
    fn invalid_number_is_permanent() {
        let body = error_body(
            21211,
            "The 'To' number +15558675310 is not a valid phone number.",
            400,
        );

        assert_eq!(
            outcome_of(answer(400, &body)),
            Outcome::permanent(
                Some(400),
                "Twilio 21211: invalid To number (The 'To' number +15558675310 is not a valid \
                 phone number.)"
            )
        );
    }

    #[test]
    fn bad_credentials_are_permanent() {
        let body = error_body(20003, "Authenticate", 401);

        assert_eq!(
            outcome_of(answer(401, &body)),
            Outcome::permanent(
                Some(401),
                "Twilio 20003: authentication failed (Authenticate)"
            )
        );
    }

    #[test]
    fn unsubscribed_non_mobile_and_unknown_client_errors_are_permanent() {
        for (code, message) in [
            (21610, "Attempt to send to unsubscribed recipient"),
            (21614, "'To' number is not a valid mobile number"),
            (
                21606,
                "The 'From' phone number provided is not a valid, message-capable Twilio phone number.",
            ),
            (21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"),
        ] {
            let outcome = outcome_of(answer(400, &error_body(code, message, 400)));
            assert!(
                matches!(&outcome, Outcome::Permanent { status: Some(400), error }
                    if error.starts_with(&format!("Twilio {code}: ")) && error.contains(message)),
                "{code}: {outcome:?}"
            );
        }
    }

    #[test]
    fn rate_limit_is_retryable_with_retry_after() {
        let body = error_body(20429, "Too Many Requests", 429);

        assert_eq!(
            outcome_of(answer_retry_after(429, &body, "5")),
            Outcome::Retryable {
                status: Some(429),
                error: "Twilio 20429: too many requests (Too Many Requests)".into(),
                retry_after: Some(5),
            }
        );
    }

    #[test]
    fn server_errors_are_retryable() {
        let with_code = error_body(20500, "An internal server error has occurred", 500);
        assert_eq!(
            outcome_of(answer(500, &with_code)),
            Outcome::retryable(
                Some(500),
                "Twilio 20500: An internal server error has occurred"
            )
        );

        assert_eq!(
            outcome_of(answer_retry_after(
                503,
                "<html>Service Unavailable</html>",
                "30"
            )),
            Outcome::Retryable {
                status: Some(503),
                error: "Twilio: HTTP 503: \"<html>Service Unavailable</html>\"".into(),
                retry_after: Some(30),
            }
        );
    }

    #[test]
    fn created_without_a_readable_sid_is_still_sent() {
        assert_eq!(
            outcome_of(answer(201, "not json")),
            Outcome::Sent { provider_id: None }
        );
    }

    #[test]
    fn other_success_without_a_sid_is_retryable() {
        let outcome = outcome_of(answer(200, "<html>captive portal</html>"));

        assert_eq!(
            outcome,
            Outcome::retryable(
                Some(200),
                "Twilio: unexpected answer (HTTP 200, expected a message sid): \
                 \"<html>captive portal</html>\""
            )
        );
    }

    #[test]
    fn client_error_without_json_is_permanent() {
        assert_eq!(
            outcome_of(answer(404, "Not Found")),
            Outcome::permanent(Some(404), "Twilio: HTTP 404: \"Not Found\"")
        );
    }
}
