//! SMSC.ru: `POST {base}/sys/send.php`, a form with `login`, `psw`, `phones`, `mes`,
//! `charset=utf-8`, `fmt=3` (JSON answers), our message `id` and an optional `sender`.
//! A refusal is `{"error":"…","error_code":N}` (codes 3, 6, 7, 8 add the `id`); otherwise the
//! answer carries the message `id` (and `cnt`). Facts: providers.md §4.2.

use super::{form_post, http_error, json_id, json_int, json_str, refusal, unreadable, Class, Sms};
use crate::providers::{Outcome, Request, Response};

const PROVIDER: &str = "SMSC";

/// The largest message `id` SMSC takes: ids are 1..=2147483647 (32-bit signed).
const MAX_ID: i64 = 2_147_483_647;

/// The send request. `password` is the API key when `login` is empty (SMSC reads `psw` as
/// the key then). `phones` is the number as digits, SMSC's international format.
pub(super) fn request(
    base_url: &str,
    login: &str,
    password: &str,
    sender: Option<&str>,
    sms: &Sms<'_>,
    client_ref: i64,
) -> Request {
    let id = message_id(client_ref).to_string();
    let mut fields = vec![
        ("login", login),
        ("psw", password),
        ("phones", sms.digits()),
        ("mes", sms.text),
        ("charset", "utf-8"),
        ("fmt", "3"),
        ("id", id.as_str()),
    ];
    if let Some(sender) = sender {
        fields.push(("sender", sender));
    }
    form_post(format!("{base_url}/sys/send.php"), Vec::new(), &fields)
}

/// Our `client_ref` as an SMSC message id in 1..=2147483647. Refs in that range (every outbox
/// row id for the foreseeable future) pass unchanged; larger ones wrap around rather than
/// clamp, so they stay distinct from their neighbours. The id only labels the message for
/// status look-ups (SMSC does not require it to be unique and reports on the latest message
/// with a repeated id); the duplicate guard (error 9) compares the request, not the id, so a
/// wrapped id cannot make SMSC drop a message.
fn message_id(client_ref: i64) -> i64 {
    match client_ref.rem_euclid(MAX_ID) {
        0 => MAX_ID,
        id => id,
    }
}

/// Classifies the answer to [`request`].
pub(super) fn outcome(response: &Response) -> Outcome {
    let status = response.status;
    if !(200..300).contains(&status) {
        return http_error(PROVIDER, response);
    }
    let Some(json) = response.json() else {
        return unreadable(PROVIDER, response, "JSON (fmt=3)");
    };
    // The error check comes first: refusals 3, 6, 7 and 8 carry an `id` too.
    if let Some(code) = json_int(json.get("error_code")) {
        let text = json_str(&json, "error");
        return refusal(class(code), status, PROVIDER, code, meaning(code), text);
    }
    if json.get("error").is_some() {
        return unreadable(PROVIDER, response, "an error_code with the error");
    }
    match json_id(json.get("id")) {
        Some(id) => Outcome::Sent {
            provider_id: Some(id),
        },
        None => unreadable(PROVIDER, response, "an id or an error"),
    }
}

/// How an error code reads. Codes we do not know are retryable: a refusal means nothing was
/// sent, and the outbox's attempt limit ends a code that keeps coming back.
fn class(code: i64) -> Class {
    match code {
        // 9: the same send request within a minute. SMSC took the first one, which was an
        // earlier attempt of this message whose answer we lost, so the customer has it: sent.
        // The refusal carries no id.
        9 => Class::Duplicate,
        // 4: SMSC blocks a client IP for a while (after too many errors or requests); it is
        // lifted by itself.
        4 => Class::Retryable,
        // 1 and 5 are errors in a request we build (we never send `time`, so 5 means a broken
        // request); 2 credentials or an IP not on the allow-list; 3 balance; 6 the text; 7 and
        // 8 the number. The same request will be refused again.
        1..=3 | 5..=8 => Class::Permanent,
        _ => Class::Retryable,
    }
}

/// Our reading of a code (providers.md §4.2), shown next to SMSC's own text.
fn meaning(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "bad parameters",
        2 => "bad login or password, or IP not allowed",
        3 => "insufficient funds",
        4 => "IP temporarily blocked",
        5 => "bad date format",
        6 => "message forbidden",
        7 => "bad phone number format",
        8 => "message cannot be delivered to the number",
        9 => "duplicate send request within a minute",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{answer, answer_retry_after, form_fields, headers, pairs};
    use super::super::SmsProvider;
    use super::*;

    const SMS: Sms<'static> = Sms {
        to: "+79061234567",
        text: "Заказ A-1001 в пункте выдачи до 12.05",
    };

    fn provider(login: &str, password: &str, sender: Option<&str>) -> SmsProvider {
        SmsProvider::Smsc {
            base_url: "https://smsc.ru".into(),
            login: login.into(),
            password: password.into(),
            sender: sender.map(Into::into),
        }
    }

    fn outcome_of(body: &str) -> Outcome {
        provider("shop", "pw", None).outcome(&SMS, &answer(200, body))
    }

    #[test]
    fn request_is_a_form_post_to_send_php_with_json_answers_and_our_id() {
        let request = provider("teashop", "s3cret&pw", Some("TeaShop")).request(&SMS, 1001);

        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://smsc.ru/sys/send.php");
        assert_eq!(
            headers(&request),
            [("content-type", "application/x-www-form-urlencoded")]
        );
        assert_eq!(
            pairs(&form_fields(&request)),
            [
                ("login", "teashop"),
                ("psw", "s3cret&pw"),
                ("phones", "79061234567"),
                ("mes", "Заказ A-1001 в пункте выдачи до 12.05"),
                ("charset", "utf-8"),
                ("fmt", "3"),
                ("id", "1001"),
                ("sender", "TeaShop"),
            ]
        );
    }

    #[test]
    fn api_key_goes_in_psw_with_an_empty_login() {
        let request = provider("", "APIKEY123", None).request(&SMS, 7);

        let fields = form_fields(&request);
        assert_eq!(pairs(&fields[..2]), [("login", ""), ("psw", "APIKEY123")]);
        assert!(fields.iter().all(|(name, _)| name != "sender"));
    }

    #[test]
    fn message_ids_stay_within_smsc_range() {
        assert_eq!(message_id(1), 1);
        assert_eq!(message_id(MAX_ID), MAX_ID);
        assert_eq!(message_id(MAX_ID + 1), 1);
        assert_eq!(message_id(MAX_ID + 5), 5);
        assert_eq!(message_id(0), MAX_ID);
        for client_ref in [i64::MAX, i64::MIN, -1] {
            assert!(
                (1..=MAX_ID).contains(&message_id(client_ref)),
                "{client_ref}"
            );
        }
    }

    #[test]
    fn accepted_message_is_sent_with_its_id() {
        assert_eq!(
            outcome_of(r#"{"id":1001,"cnt":1}"#),
            Outcome::Sent {
                provider_id: Some("1001".into())
            }
        );
    }

    #[test]
    fn bad_phone_is_permanent_even_though_the_answer_has_an_id() {
        assert_eq!(
            outcome_of(r#"{"error":"invalid number","error_code":7,"id":1001}"#),
            Outcome::permanent(
                Some(200),
                "SMSC 7: bad phone number format (invalid number)"
            )
        );
    }

    #[test]
    fn bad_credentials_are_permanent() {
        assert_eq!(
            outcome_of(r#"{"error":"authorise error","error_code":2}"#),
            Outcome::permanent(
                Some(200),
                "SMSC 2: bad login or password, or IP not allowed (authorise error)"
            )
        );
    }

    #[test]
    fn empty_balance_is_permanent() {
        assert_eq!(
            outcome_of(r#"{"error":"no money","error_code":3,"id":1001}"#),
            Outcome::permanent(Some(200), "SMSC 3: insufficient funds (no money)")
        );
    }

    #[test]
    fn other_documented_refusals_are_permanent() {
        for (code, text) in [
            (1, "parameters error"),
            (5, "invalid time format"),
            (6, "message is denied"),
            (8, "can't deliver"),
        ] {
            let outcome = outcome_of(&format!(
                r#"{{"error":"{text}","error_code":{code},"id":1001}}"#
            ));
            assert!(
                matches!(&outcome, Outcome::Permanent { error, .. }
                    if error.starts_with(&format!("SMSC {code}: ")) && error.contains(text)),
                "{code}: {outcome:?}"
            );
        }
    }

    #[test]
    fn blocked_ip_is_retryable() {
        assert_eq!(
            outcome_of(r#"{"error":"ip is blocked","error_code":4}"#),
            Outcome::retryable(Some(200), "SMSC 4: IP temporarily blocked (ip is blocked)")
        );
    }

    #[test]
    fn duplicate_request_means_smsc_already_has_the_message() {
        assert_eq!(
            outcome_of(r#"{"error":"duplicate request, wait a minute","error_code":9}"#),
            Outcome::Sent { provider_id: None }
        );
    }

    #[test]
    fn server_errors_and_rate_limits_are_retryable_with_retry_after() {
        let provider = provider("shop", "pw", None);
        for status in [429, 502] {
            let outcome = provider.outcome(&SMS, &answer_retry_after(status, "Bad Gateway", "60"));
            assert_eq!(
                outcome,
                Outcome::Retryable {
                    status: Some(status),
                    error: format!("SMSC: HTTP {status}: \"Bad Gateway\""),
                    retry_after: Some(60),
                }
            );
        }
    }

    #[test]
    fn csv_answer_is_retryable() {
        // The default (non-JSON) format, as if `fmt=3` had been lost.
        let outcome = outcome_of("OK - 1 SMS, ID - 1001");

        assert_eq!(
            outcome,
            Outcome::retryable(
                Some(200),
                "SMSC: unexpected answer (HTTP 200, expected JSON (fmt=3)): \"OK - 1 SMS, ID - 1001\""
            )
        );
    }

    #[test]
    fn json_without_id_or_code_is_retryable() {
        for body in [r#"{"cnt":1}"#, r#"{"error":"something"}"#] {
            let outcome = outcome_of(body);
            assert!(
                matches!(outcome, Outcome::Retryable { .. }),
                "{body}: {outcome:?}"
            );
        }
    }

    #[test]
    fn unknown_error_codes_are_retryable_with_the_providers_text() {
        assert_eq!(
            outcome_of(r#"{"error":"new error","error_code":"12"}"#),
            Outcome::retryable(Some(200), "SMSC 12: new error")
        );
    }
}
