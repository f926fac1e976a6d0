//! Sending in one place: the private `sender` component is the only HTTP component that holds
//! the message providers' code, hosts and secrets.
//!
//! A webhook queues its messages born claimed under its connection's holder token (see
//! `outbox::enqueue`), answers, and then hands the ids and that token to the sender over
//! Spin's service chaining (`http://sender.spin.internal/queued`): the sender opens the
//! database as that holder and sends them exactly as the webhook itself used to
//! ([`crate::outbound::outbox::send_queued`]), so the customer's first email still leaves right after
//! the answer. The HTTP scheduler tick asks the sender for the due retries the same way
//! (`/due`, behind the cron token). What the sender is told is trusted for one thing only:
//! which rows claimed under that token to send; a wrong id or token sends nothing.
//!
//! Where service chaining is unavailable (a host without it, such as Fermyon Cloud) the
//! hand-over fails, the messages stay claimed, and the tick takes them over once their born
//! lease runs out (a minute or a few later). The cron plugin's `cron-tick` cannot chain
//! either (Spin routes `*.spin.internal` inside the HTTP trigger), so it sends itself.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::Db;
use crate::http::{Answer, ApiError, Inbound};
use crate::outbound::{self, HttpRequest};

/// The sender's address inside the app.
pub const SENDER_URL: &str = "http://sender.spin.internal";

/// At most this many message ids per hand-over; more go in several.
pub const MAX_IDS: usize = 500;

/// How long a caller waits for the sender: it answers after its provider calls, each bounded
/// by `provider_timeout_ms` (the caller has answered its own sender long before).
const SENDER_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Messages a request queued, to be sent under the claim they were born with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// The claim token of the request that queued them (`Db::holder`).
    pub holder: String,
    /// Their ids, in the order they were queued.
    pub messages: Vec<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueuedWire {
    holder: String,
    messages: Vec<i64>,
}

impl Queued {
    /// Reads a `/queued` body strictly: `{"holder": <32 lower-case hex digits>, "messages":
    /// [1 to MAX_IDS distinct positive ids]}` and nothing else; anything other is a 400.
    pub fn parse(body: &[u8]) -> Result<Queued, ApiError> {
        let bad = |reason: &str| ApiError::new(400, "invalid_request", reason.to_owned());
        let wire: QueuedWire = serde_json::from_slice(body).map_err(|e| bad(&e.to_string()))?;
        if !is_claim_token(&wire.holder) {
            return Err(bad("holder must be 32 lower-case hex digits"));
        }
        if wire.messages.is_empty() || wire.messages.len() > MAX_IDS {
            return Err(bad(&format!("messages must hold 1 to {MAX_IDS} ids")));
        }
        if wire.messages.iter().any(|&id| id <= 0) {
            return Err(bad("message ids are positive"));
        }
        let mut seen = wire.messages.clone();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != wire.messages.len() {
            return Err(bad("message ids must not repeat"));
        }
        Ok(Queued {
            holder: wire.holder,
            messages: wire.messages,
        })
    }
}

/// A claim token as `outbox::claim_token` makes them.
fn is_claim_token(value: &str) -> bool {
    value.len() == 32
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Why the sender could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum HandOverError {
    /// No answer (no service chaining on this host, `allowed_outbound_hosts`, a crash).
    #[error("the sender is not reachable: {0}")]
    Unreachable(#[from] outbound::HttpError),
    /// It answered with an error.
    #[error("the sender answered {status}: {body}")]
    Refused {
        /// Its status.
        status: u16,
        /// Its (error) body.
        body: String,
    },
}

/// Hands the messages this request queued (held under `db`'s holder) to the sender; returns
/// how many the providers took. On failure they stay claimed and the tick sends them once
/// their born lease runs out.
pub fn hand_over(db: &Db, messages: &[i64]) -> Result<usize, HandOverError> {
    let mut sent = 0;
    for chunk in messages.chunks(MAX_IDS) {
        let body = json!({ "holder": db.holder(), "messages": chunk });
        let answer = call("/queued", Vec::new(), &body)?;
        sent += answer["sent"].as_u64().unwrap_or(0) as usize;
    }
    Ok(sent)
}

/// Asks the sender to send the messages due for another attempt (the tick's retries); returns
/// its summary (`sent`, `retrying`, `failed`, `taken_by_others`, `late`).
pub fn send_due(cron_token: &crate::config::Secret) -> Result<Value, HandOverError> {
    let auth = vec![(
        "authorization".to_owned(),
        format!("Bearer {}", cron_token.expose()),
    )];
    call("/due", auth, &json!({}))
}

fn call(
    path: &str,
    mut headers: Vec<(String, String)>,
    body: &Value,
) -> Result<Value, HandOverError> {
    headers.push(("content-type".to_owned(), "application/json".to_owned()));
    let response = outbound::send(&HttpRequest {
        method: "POST",
        url: format!("{SENDER_URL}{path}"),
        headers,
        body: body.to_string().into_bytes(),
        timeout: SENDER_WAIT,
    })?;
    if !(200..300).contains(&response.status) {
        return Err(HandOverError::Refused {
            status: response.status,
            body: String::from_utf8_lossy(&response.body)
                .chars()
                .take(300)
                .collect(),
        });
    }
    Ok(serde_json::from_slice(&response.body).unwrap_or(Value::Null))
}

/// `POST /queued` in the sender: sends the messages claimed under the given holder, in order,
/// exactly as the request that queued them would have.
pub fn serve_queued(inbound: &Inbound) -> Result<Answer, ApiError> {
    let queued = Queued::parse(&inbound.body)?;
    let db = Db::open_as_holder(queued.holder)?;
    let sent = crate::outbound::outbox::send_queued(&db, &queued.messages);
    Ok(Answer::json(200, &json!({ "sent": sent })))
}

/// `POST /due` in the sender (behind the cron token): the tick's retries.
pub fn serve_due(inbound: &Inbound) -> Result<Answer, ApiError> {
    if !matches!(inbound.body.as_slice(), b"" | b"{}") {
        return Err(ApiError::new(
            400,
            "invalid_request",
            "the body must be empty or {}",
        ));
    }
    let db = Db::open(crate::config::synchronous()?)?;
    let summary = crate::plans::tick::retry_messages(&db, crate::clock::Timestamp::now())?;
    Ok(Answer::json(200, &summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOLDER: &str = "0123456789abcdef0123456789abcdef";

    fn status(body: &str) -> u16 {
        Queued::parse(body.as_bytes()).map_or_else(|e| e.status, |_| 200)
    }

    #[test]
    fn a_hand_over_names_a_holder_and_its_messages() {
        let body = format!(r#"{{"holder":"{HOLDER}","messages":[7,3,12]}}"#);
        assert_eq!(
            Queued::parse(body.as_bytes()).expect("valid"),
            Queued {
                holder: HOLDER.into(),
                messages: vec![7, 3, 12]
            }
        );
    }

    #[test]
    fn anything_else_is_a_bad_request() {
        for body in [
            "",
            "[]",
            "{}",
            r#"{"holder":"0123456789abcdef0123456789abcdef"}"#,
            r#"{"holder":"0123456789abcdef0123456789abcdef","messages":[]}"#,
            r#"{"holder":"0123456789ABCDEF0123456789ABCDEF","messages":[1]}"#,
            r#"{"holder":"0123456789abcdef","messages":[1]}"#,
            r#"{"holder":"' OR 1=1 --                     ","messages":[1]}"#,
            r#"{"holder":"0123456789abcdef0123456789abcdef","messages":[0]}"#,
            r#"{"holder":"0123456789abcdef0123456789abcdef","messages":[-4]}"#,
            r#"{"holder":"0123456789abcdef0123456789abcdef","messages":[1,1]}"#,
            r#"{"holder":"0123456789abcdef0123456789abcdef","messages":["1"]}"#,
            r#"{"holder":"0123456789abcdef0123456789abcdef","messages":[1.5]}"#,
            r#"{"holder":"0123456789abcdef0123456789abcdef","messages":[1],"status":"sent"}"#,
        ] {
            assert_eq!(status(body), 400, "{body}");
        }
    }

    #[test]
    fn a_hand_over_has_a_size_limit() {
        let ids: Vec<String> = (1..=MAX_IDS as i64 + 1).map(|i| i.to_string()).collect();
        let too_many = format!(r#"{{"holder":"{HOLDER}","messages":[{}]}}"#, ids.join(","));
        assert_eq!(status(&too_many), 400);
        let most = format!(
            r#"{{"holder":"{HOLDER}","messages":[{}]}}"#,
            ids[..MAX_IDS].join(",")
        );
        assert_eq!(status(&most), 200);
    }

    #[test]
    fn claim_tokens_are_what_the_outbox_makes() {
        assert!(is_claim_token(&crate::outbound::outbox::claim_token()));
    }
}
