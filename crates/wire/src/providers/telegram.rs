//! Telegram Bot API `sendMessage`, for staff notifications.
//!
//! `POST {base_url}/bot<token>/sendMessage` with JSON `{"chat_id": .., "text": ..}`. The
//! answer is `{"ok":true,"result":{Message}}` or
//! `{"ok":false,"error_code":N,"description":"..","parameters":{"retry_after":S}}`; on 429 the
//! bot must wait `retry_after` seconds. Facts: /work/shared/reference/providers.md §4.8.

use std::fmt;

use serde_json::{json, Value};

use super::{Outcome, Request, Response};

/// A bot that posts staff notes. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct TelegramBot {
    /// `https://api.telegram.org` (or a local Bot API server).
    pub base_url: String,
    /// The bot token from @BotFather.
    pub token: String,
}

impl fmt::Debug for TelegramBot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramBot")
            .field("base_url", &self.base_url)
            .field("token", &"[redacted]")
            .finish()
    }
}

impl TelegramBot {
    /// The request that posts `text` to `chat_id` (a numeric chat id such as `-1001234567890`,
    /// or `@channelusername`).
    ///
    /// The text is sent as plain text: no `parse_mode`, so Telegram interprets no markup and
    /// nothing in `text` (`<`, `&`, `*`, `_`, ...) needs escaping. Telegram refuses texts over
    /// 4096 characters (400, permanent); keeping notes shorter is the caller's business.
    ///
    /// The token is part of the URL: do not log the request or its URL.
    pub fn request(&self, chat_id: &str, text: &str) -> Request {
        let body = json!({ "chat_id": chat_id, "text": text });
        Request {
            method: "POST",
            url: format!(
                "{}/bot{}/sendMessage",
                self.base_url.trim_end_matches('/'),
                self.token
            ),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    /// How the attempt ended:
    /// - `ok: true` → sent, with `result.message_id`;
    /// - `ok: false` is read by `error_code` (the HTTP status when it is missing): 429 →
    ///   retryable after `parameters.retry_after` (or `Retry-After`); 408 and 5xx →
    ///   retryable; 400 (`chat not found`, text too long, group migrated), 401 (bad token),
    ///   403 (`bot was blocked by the user`, kicked from the group), 404 and the rest →
    ///   permanent. The error text carries `error_code`, `description`, and
    ///   `migrate_to_chat_id` when Telegram gives the group's new id;
    /// - no readable answer: 429/408/5xx retryable; a 2xx is permanent (the note may have
    ///   been posted, so it is not sent again; the operator sees the answer); other statuses
    ///   permanent.
    pub fn outcome(&self, response: &Response) -> Outcome {
        let status = response.status;
        let Some(body) = response.json().filter(|body| body.get("ok").is_some()) else {
            let error = format!("telegram {status}: {}", response.excerpt());
            return if (200..300).contains(&status) {
                Outcome::permanent(Some(status), error)
            } else {
                Outcome::from_status(response, error)
            };
        };
        if body["ok"] == Value::Bool(true) {
            let provider_id = body
                .get("result")
                .and_then(|result| result.get("message_id"))
                .and_then(|id| match id {
                    Value::Number(id) => Some(id.to_string()),
                    Value::String(id) => Some(id.clone()),
                    _ => None,
                });
            return Outcome::Sent { provider_id };
        }
        let code = body
            .get("error_code")
            .and_then(Value::as_u64)
            .and_then(|code| u16::try_from(code).ok())
            .unwrap_or(status);
        let description = body
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("no description");
        let parameters = body.get("parameters");
        let mut error = format!("telegram {code}: {description}");
        if let Some(chat) = parameters.and_then(|p| p.get("migrate_to_chat_id")) {
            error.push_str(&format!(" (migrate_to_chat_id {chat})"));
        }
        match code {
            429 | 408 | 500..=599 => Outcome::Retryable {
                status: Some(status),
                error,
                retry_after: parameters
                    .and_then(|p| p.get("retry_after"))
                    .and_then(Value::as_u64)
                    .or_else(|| response.retry_after()),
            },
            _ => Outcome::permanent(Some(status), error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bot() -> TelegramBot {
        TelegramBot {
            base_url: "https://api.telegram.org".into(),
            token: "123456:ABC-DEF".into(),
        }
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn request_posts_plain_json_to_send_message() {
        let request = bot().request("-1001234567890", "Заказ <A-1> & *срочно*");

        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://api.telegram.org/bot123456:ABC-DEF/sendMessage"
        );
        assert_eq!(
            request.headers,
            [("content-type".to_owned(), "application/json".to_owned())]
        );
        let body: Value = serde_json::from_slice(&request.body).expect("json body");
        assert_eq!(
            body,
            json!({ "chat_id": "-1001234567890", "text": "Заказ <A-1> & *срочно*" })
        );
    }

    #[test]
    fn debug_output_hides_the_token() {
        let debug = format!("{:?}", bot());
        assert!(!debug.contains("ABC-DEF"), "{debug}");
    }

    #[test]
    fn ok_is_sent_with_the_message_id() {
        let outcome = bot().outcome(&answer(
            200,
            &[],
            r#"{"ok":true,"result":{"message_id":4242,"chat":{"id":-1001234567890,"type":"supergroup"},"date":1700000000,"text":"hi"}}"#,
        ));
        assert_eq!(
            outcome,
            Outcome::Sent {
                provider_id: Some("4242".into())
            }
        );
    }

    #[test]
    fn flood_control_is_retryable_after_retry_after() {
        let outcome = bot().outcome(&answer(
            429,
            &[],
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}"#,
        ));
        assert_eq!(
            outcome,
            Outcome::Retryable {
                status: Some(429),
                error: "telegram 429: Too Many Requests: retry after 35".into(),
                retry_after: Some(35),
            }
        );
    }

    #[test]
    fn flood_control_without_parameters_falls_back_to_the_header() {
        let outcome = bot().outcome(&answer(
            429,
            &[("Retry-After", "5")],
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests"}"#,
        ));
        assert!(matches!(
            outcome,
            Outcome::Retryable {
                retry_after: Some(5),
                ..
            }
        ));
    }

    #[test]
    fn an_unknown_chat_is_permanent() {
        let outcome = bot().outcome(&answer(
            400,
            &[],
            r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
        ));
        assert_eq!(
            outcome,
            Outcome::permanent(Some(400), "telegram 400: Bad Request: chat not found")
        );
    }

    #[test]
    fn a_migrated_group_is_permanent_and_names_the_new_chat() {
        let outcome = bot().outcome(&answer(
            400,
            &[],
            r#"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1009876543210}}"#,
        ));
        assert_eq!(
            outcome,
            Outcome::permanent(
                Some(400),
                "telegram 400: Bad Request: group chat was upgraded to a supergroup chat \
                 (migrate_to_chat_id -1009876543210)"
            )
        );
    }

    #[test]
    fn a_blocked_bot_is_permanent() {
        let outcome = bot().outcome(&answer(
            403,
            &[],
            r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#,
        ));
        assert_eq!(
            outcome,
            Outcome::permanent(
                Some(403),
                "telegram 403: Forbidden: bot was blocked by the user"
            )
        );
    }

    #[test]
    fn a_bad_token_is_permanent() {
        assert_eq!(
            bot().outcome(&answer(
                401,
                &[],
                r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#
            )),
            Outcome::permanent(Some(401), "telegram 401: Unauthorized")
        );
        assert!(matches!(
            bot().outcome(&answer(
                404,
                &[],
                r#"{"ok":false,"error_code":404,"description":"Not Found"}"#
            )),
            Outcome::Permanent { .. }
        ));
    }

    #[test]
    fn server_errors_are_retryable() {
        assert_eq!(
            bot().outcome(&answer(
                502,
                &[],
                r#"{"ok":false,"error_code":502,"description":"Bad Gateway"}"#
            )),
            Outcome::retryable(Some(502), "telegram 502: Bad Gateway")
        );
        assert_eq!(
            bot().outcome(&answer(504, &[], "<html>504 Gateway Time-out</html>")),
            Outcome::retryable(
                Some(504),
                "telegram 504: \"<html>504 Gateway Time-out</html>\""
            )
        );
    }

    #[test]
    fn an_unreadable_answer_is_not_taken_for_sent() {
        for body in ["", "not json", r#"{"result":{"message_id":1}}"#] {
            assert!(
                matches!(
                    bot().outcome(&answer(200, &[], body)),
                    Outcome::Permanent {
                        status: Some(200),
                        ..
                    }
                ),
                "{body}"
            );
        }
        assert_eq!(
            bot().outcome(&answer(400, &[], "")),
            Outcome::permanent(Some(400), "telegram 400: empty body")
        );
    }

    #[test]
    fn the_error_code_is_read_without_a_description() {
        assert_eq!(
            bot().outcome(&answer(500, &[], r#"{"ok":false}"#)),
            Outcome::retryable(Some(500), "telegram 500: no description")
        );
    }
}
