//! SMS.ru: `POST {base}/sms/send`, a form with `api_id`, `to`, `msg`, `json=1` and an optional
//! `from`. With `json=1` the answer is
//! `{"status":"OK","status_code":100,"sms":{"79061234567":{"status":"OK","status_code":100,"sms_id":"…"}},"balance":…}`;
//! a refusal is `{"status":"ERROR","status_code":N,"status_text":"…"}`, either at the top level
//! (the whole request, e.g. a bad `api_id`) or as the number's entry in `sms`. Both levels are
//! checked. Facts: providers.md §4.1.

use super::{form_post, http_error, json_id, json_int, json_str, refusal, unreadable, Class, Sms};
use crate::providers::{Outcome, Request, Response};

const PROVIDER: &str = "SMS.ru";

/// The send request. `to` is the number as digits (E.164 without `+`), the form SMS.ru
/// documents and the key it uses in the answer's `sms` object.
pub(super) fn request(base_url: &str, api_id: &str, from: Option<&str>, sms: &Sms<'_>) -> Request {
    let mut fields = vec![
        ("api_id", api_id),
        ("to", sms.digits()),
        ("msg", sms.text),
        ("json", "1"),
    ];
    if let Some(from) = from {
        fields.push(("from", from));
    }
    form_post(format!("{base_url}/sms/send"), Vec::new(), &fields)
}

/// Classifies the answer to [`request`] for `sms`.
pub(super) fn outcome(sms: &Sms<'_>, response: &Response) -> Outcome {
    let status = response.status;
    if !(200..300).contains(&status) {
        return http_error(PROVIDER, response);
    }
    let Some(json) = response.json() else {
        return unreadable(PROVIDER, response, "JSON (json=1)");
    };
    match read_status(&json) {
        Status::Ok => {}
        Status::Refused { code, text } => return refused(status, code, text),
        Status::Unreadable => return unreadable(PROVIDER, response, "a top-level status"),
    }
    let number = sms.digits();
    let Some(entry) = json.get("sms").and_then(|all| all.get(number)) else {
        return Outcome::retryable(
            Some(status),
            format!(
                "{PROVIDER}: the answer has no entry for {number} in `sms`: {}",
                response.excerpt()
            ),
        );
    };
    match read_status(entry) {
        Status::Ok => Outcome::Sent {
            provider_id: json_id(entry.get("sms_id")),
        },
        Status::Refused { code, text } => refused(status, code, text),
        Status::Unreadable => unreadable(PROVIDER, response, "a status for the number"),
    }
}

/// A `status`/`status_code` pair, at the top level or for one number.
enum Status<'v> {
    Ok,
    Refused { code: i64, text: &'v str },
    Unreadable,
}

fn read_status(value: &serde_json::Value) -> Status<'_> {
    let status = value.get("status").and_then(|s| s.as_str());
    match (status, json_int(value.get("status_code"))) {
        (Some("OK"), _) | (None, Some(100)) => Status::Ok,
        (_, Some(code)) => Status::Refused {
            code,
            text: json_str(value, "status_text"),
        },
        (_, None) => Status::Unreadable,
    }
}

fn refused(status: u16, code: i64, text: &str) -> Outcome {
    refusal(class(code), status, PROVIDER, code, meaning(code), text)
}

/// How a refusal code reads. Codes we do not know are retryable: a refusal means nothing was
/// sent, so another attempt cannot duplicate the message, and the outbox's attempt limit
/// turns a code that keeps coming back into an operator task.
fn class(code: i64) -> Class {
    match code {
        // 231/232: SMS.ru refuses the same text to the same number twice within a minute or a
        // day. The copy it already took came from an earlier attempt of this message whose
        // answer we lost (a time-out, a crash before recording), so the customer has it: sent.
        // The refusal does not repeat the first `sms_id`, so there is no provider id. (An
        // intentionally repeated identical text would be refused the same way, and retrying
        // could not change that either.)
        231 | 232 => Class::Duplicate,
        // Temporary: the service is down, or a daily limit resets.
        206 | 220 | 230 | 233 => Class::Retryable,
        // Credentials, balance, the number, the text or the sender: the same request will be
        // refused again. 208/210–213 are errors in a request we build, equally permanent.
        150 | 200..=205 | 207..=216 | 300..=302 => Class::Permanent,
        _ => Class::Retryable,
    }
}

/// Our reading of a code (providers.md §4.1), shown next to SMS.ru's own text.
fn meaning(code: i64) -> Option<&'static str> {
    Some(match code {
        150 => "no route",
        200 => "bad api_id",
        201 => "insufficient funds",
        202 => "bad phone number",
        203 => "no message text",
        204 => "sender name not approved",
        205 => "message too long",
        206 => "daily message limit reached",
        207 => "no route to the number",
        208 => "bad send time",
        209 => "number on the stop-list",
        210 => "wrong HTTP method",
        211 => "no such method",
        212 => "bad text encoding",
        213 => "more than 100 numbers",
        214 => "foreign number",
        215 => "number on the spam list",
        216 => "forbidden text",
        220 => "service temporarily unavailable",
        230 => "daily limit for this number reached",
        231 => "duplicate message within a minute",
        232 => "duplicate message within a day",
        233 => "too many code attempts",
        300 => "bad token",
        301 => "bad credentials",
        302 => "account not confirmed",
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
        text: "Заказ A-1001 собран & ждёт вас",
    };

    fn provider(from: Option<&str>) -> SmsProvider {
        SmsProvider::SmsRu {
            base_url: "https://sms.ru".into(),
            api_id: "A1B2C3D4-1111-2222-3333-444455556666".into(),
            from: from.map(Into::into),
        }
    }

    fn outcome_of(body: &str) -> Outcome {
        provider(None).outcome(&SMS, &answer(200, body))
    }

    fn per_number(entry: &str) -> String {
        format!(
            r#"{{"status":"OK","status_code":100,"sms":{{"79061234567":{entry}}},"balance":4122.56}}"#
        )
    }

    #[test]
    fn request_is_a_form_post_to_sms_send_with_digits_and_json() {
        let request = provider(Some("TeaShop")).request(&SMS, 42);

        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://sms.ru/sms/send");
        assert_eq!(
            headers(&request),
            [("content-type", "application/x-www-form-urlencoded")]
        );
        assert_eq!(
            pairs(&form_fields(&request)),
            [
                ("api_id", "A1B2C3D4-1111-2222-3333-444455556666"),
                ("to", "79061234567"),
                ("msg", "Заказ A-1001 собран & ждёт вас"),
                ("json", "1"),
                ("from", "TeaShop"),
            ]
        );
    }

    #[test]
    fn request_without_sender_leaves_from_out() {
        let request = provider(None).request(&SMS, 42);

        let fields = form_fields(&request);
        assert!(fields.iter().all(|(name, _)| name != "from"));
        assert_eq!(fields.len(), 4);
    }

    #[test]
    fn accepted_number_is_sent_with_its_sms_id() {
        let outcome = outcome_of(&per_number(
            r#"{"status":"OK","status_code":100,"sms_id":"000000-10000000"}"#,
        ));

        assert_eq!(
            outcome,
            Outcome::Sent {
                provider_id: Some("000000-10000000".into())
            }
        );
    }

    #[test]
    fn refused_number_under_an_ok_request_is_permanent() {
        let outcome = outcome_of(&per_number(
            r#"{"status":"ERROR","status_code":207,"status_text":"На этот номер (или один из номеров) нельзя отправлять сообщения, либо указано более 100 номеров в списке получателей"}"#,
        ));

        assert_eq!(
            outcome,
            Outcome::permanent(
                Some(200),
                "SMS.ru 207: no route to the number (На этот номер (или один из номеров) нельзя \
                 отправлять сообщения, либо указано более 100 номеров в списке получателей)"
            )
        );
    }

    #[test]
    fn bad_number_is_permanent() {
        let outcome = outcome_of(&per_number(
            r#"{"status":"ERROR","status_code":202,"status_text":"Неправильно указан номер телефона получателя, либо на него нет маршрута"}"#,
        ));

        assert!(
            matches!(&outcome, Outcome::Permanent { error, .. } if error.starts_with("SMS.ru 202: bad phone number (")),
            "{outcome:?}"
        );
    }

    #[test]
    fn bad_api_id_at_the_top_level_is_permanent() {
        let outcome = outcome_of(
            r#"{"status":"ERROR","status_code":200,"status_text":"Неправильный api_id"}"#,
        );

        assert_eq!(
            outcome,
            Outcome::permanent(Some(200), "SMS.ru 200: bad api_id (Неправильный api_id)")
        );
    }

    #[test]
    fn empty_balance_is_permanent() {
        let outcome = outcome_of(
            r#"{"status":"ERROR","status_code":201,"status_text":"Не хватает средств на лицевом счету"}"#,
        );

        assert_eq!(
            outcome,
            Outcome::permanent(
                Some(200),
                "SMS.ru 201: insufficient funds (Не хватает средств на лицевом счету)"
            )
        );
    }

    #[test]
    fn service_unavailable_and_daily_limits_are_retryable() {
        let outcome = outcome_of(
            r#"{"status":"ERROR","status_code":220,"status_text":"Сервис временно недоступен, попробуйте чуть позже"}"#,
        );
        assert_eq!(
            outcome,
            Outcome::retryable(
                Some(200),
                "SMS.ru 220: service temporarily unavailable (Сервис временно недоступен, \
                 попробуйте чуть позже)"
            )
        );

        for code in [206, 230] {
            let outcome = outcome_of(&per_number(&format!(
                r#"{{"status":"ERROR","status_code":{code},"status_text":"Превышен лимит"}}"#
            )));
            assert!(
                matches!(outcome, Outcome::Retryable { .. }),
                "{code}: {outcome:?}"
            );
        }
    }

    #[test]
    fn duplicate_guards_mean_the_provider_already_has_the_message() {
        for (code, text) in [
            (
                231,
                "Превышен лимит одинаковых сообщений на этот номер в минуту",
            ),
            (
                232,
                "Превышен лимит одинаковых сообщений на этот номер за день",
            ),
        ] {
            let outcome = outcome_of(&per_number(&format!(
                r#"{{"status":"ERROR","status_code":{code},"status_text":"{text}"}}"#
            )));
            assert_eq!(outcome, Outcome::Sent { provider_id: None }, "{code}");
        }
    }

    #[test]
    fn server_errors_and_rate_limits_are_retryable_with_retry_after() {
        let provider = provider(None);
        for status in [429, 503] {
            let outcome =
                provider.outcome(&SMS, &answer_retry_after(status, "<html>busy</html>", "20"));
            assert_eq!(
                outcome,
                Outcome::Retryable {
                    status: Some(status),
                    error: format!("SMS.ru: HTTP {status}: \"<html>busy</html>\""),
                    retry_after: Some(20),
                }
            );
        }
    }

    #[test]
    fn plain_text_answer_is_retryable() {
        // What SMS.ru answers when `json=1` is lost: the code, the ids, the balance.
        let outcome = outcome_of("100\n000000-10000000\nbalance=4122.56");

        assert!(
            matches!(&outcome, Outcome::Retryable { status: Some(200), error, retry_after: None }
                if error.starts_with("SMS.ru: unexpected answer (HTTP 200, expected JSON (json=1)): \"100\\n")),
            "{outcome:?}"
        );
    }

    #[test]
    fn answer_without_our_number_is_retryable() {
        let outcome = outcome_of(
            r#"{"status":"OK","status_code":100,"sms":{"79990000000":{"status":"OK","status_code":100,"sms_id":"1"}},"balance":1}"#,
        );

        assert!(
            matches!(&outcome, Outcome::Retryable { error, .. }
                if error.starts_with("SMS.ru: the answer has no entry for 79061234567 in `sms`")),
            "{outcome:?}"
        );
    }

    #[test]
    fn answer_without_any_status_is_retryable() {
        let outcome = outcome_of(r#"{"balance":4122.56}"#);

        assert!(matches!(outcome, Outcome::Retryable { .. }), "{outcome:?}");
    }

    #[test]
    fn unknown_refusal_codes_are_retryable_with_the_providers_text() {
        let outcome = outcome_of(&per_number(
            r#"{"status":"ERROR","status_code":"250","status_text":"Новая ошибка"}"#,
        ));

        assert_eq!(
            outcome,
            Outcome::retryable(Some(200), "SMS.ru 250: Новая ошибка")
        );
    }

    #[test]
    fn every_documented_code_has_a_class_and_a_meaning() {
        let permanent = [
            150, 200, 201, 202, 203, 204, 205, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216,
            300, 301, 302,
        ];
        for code in permanent {
            assert_eq!(class(code), Class::Permanent, "{code}");
            assert!(meaning(code).is_some(), "{code}");
        }
        for code in [206, 220, 230, 233] {
            assert_eq!(class(code), Class::Retryable, "{code}");
            assert!(meaning(code).is_some(), "{code}");
        }
        for code in [231, 232] {
            assert_eq!(class(code), Class::Duplicate, "{code}");
        }
    }
}
