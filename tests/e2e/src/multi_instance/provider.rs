//! The message providers the instances send to, on one local port: Postmark (`POST /email`),
//! SMS.ru (`POST /sms/send`) and the Telegram Bot API (`POST /bot<token>/sendMessage`). Every
//! request is kept with the answer it got; an outage makes every answer a 503 until it ends.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use orderpath_harness::{MockServer, RecordedRequest, Responder};
use serde_json::{json, Value};

/// Which provider a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Postmark.
    Email,
    /// SMS.ru.
    Sms,
    /// Telegram (notes to staff).
    Telegram,
}

impl Channel {
    /// The outbox's name for it.
    pub fn outbox_name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Telegram => "telegram",
        }
    }
}

/// One request a provider received.
#[derive(Debug, Clone)]
pub struct Send {
    /// The provider.
    pub channel: Channel,
    /// The address, in the outbox's spelling: the email address, the E.164 phone, the chat id.
    pub to: String,
    /// The text (Postmark's `TextBody`, SMS.ru's `msg`, Telegram's `text`).
    pub text: String,
    /// Taken (2xx and the provider's success body) rather than refused with a 503.
    pub accepted: bool,
    /// The message id answered when taken, which the outbox must have recorded.
    pub provider_id: Option<String>,
}

/// The mock providers.
pub struct Provider {
    server: MockServer,
    outage: Arc<AtomicBool>,
    sends: Arc<Mutex<Vec<Send>>>,
}

impl Provider {
    /// Listens on `addr` (`127.0.0.1:0` for any free port).
    pub async fn start(addr: &str) -> Result<Provider> {
        let server = MockServer::start_on(addr)
            .await
            .with_context(|| format!("the mock provider cannot listen on {addr}"))?;
        let outage = Arc::new(AtomicBool::new(false));
        let sends = Arc::new(Mutex::new(Vec::new()));
        let next_id = Arc::new(AtomicU64::new(1));
        let (down, log) = (outage.clone(), sends.clone());
        server.respond(Responder::computed(move |request| {
            let Some((channel, to, text)) = read(request) else {
                return Responder::status(404).json(json!({ "error": "not a provider route" }));
            };
            let accepted = !down.load(Ordering::SeqCst);
            let provider_id =
                accepted.then(|| format!("mock-{}", next_id.fetch_add(1, Ordering::SeqCst)));
            let answer = match (&provider_id, channel) {
                (None, _) => Responder::status(503).json(json!({ "error": "outage" })),
                (Some(id), Channel::Email) => Responder::status(200).json(json!({
                    "To": to, "SubmittedAt": "2026-11-24T07:00:01Z", "MessageID": id,
                    "ErrorCode": 0, "Message": "OK"
                })),
                (Some(id), Channel::Sms) => {
                    let digits = to.trim_start_matches('+');
                    Responder::status(200).json(json!({
                        "status": "OK", "status_code": 100,
                        "sms": { digits: { "status": "OK", "status_code": 100, "sms_id": id } },
                        "balance": 100.0
                    }))
                }
                (Some(id), Channel::Telegram) => {
                    let number: i64 = id.trim_start_matches("mock-").parse().unwrap_or(1);
                    Responder::status(200).json(json!({
                        "ok": true, "result": { "message_id": number, "chat": { "id": 1 } }
                    }))
                }
            };
            log.lock().unwrap_or_else(|e| e.into_inner()).push(Send {
                channel,
                to,
                text,
                accepted,
                provider_id,
            });
            answer
        }));
        Ok(Provider {
            server,
            outage,
            sends,
        })
    }

    /// `http://127.0.0.1:PORT`: the value of `postmark_url`, `smsru_url` and `telegram_url`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// From now on every request is refused with a 503 (`true`), or taken again (`false`).
    pub fn set_outage(&self, down: bool) {
        self.outage.store(down, Ordering::SeqCst);
    }

    /// Every request so far, in arrival order.
    pub fn sends(&self) -> Vec<Send> {
        self.sends.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The channel, address and text of a provider request; `None` for anything else.
fn read(request: &RecordedRequest) -> Option<(Channel, String, String)> {
    let path = request.path.split('?').next().unwrap_or_default();
    if path == "/email" {
        let body: Value = request.json().ok()?;
        let to = body["To"].as_str()?;
        // `"Name" <address>` or a bare address; the outbox keeps the address.
        let address = match (to.rfind('<'), to.rfind('>')) {
            (Some(open), Some(close)) if open < close => &to[open + 1..close],
            _ => to,
        };
        let text = body["TextBody"].as_str().unwrap_or_default();
        return Some((Channel::Email, address.to_lowercase(), text.to_owned()));
    }
    if path == "/sms/send" {
        let fields: Vec<(String, String)> =
            form_urlencoded::parse(&request.body).into_owned().collect();
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        return Some((Channel::Sms, format!("+{}", field("to")?), field("msg")?));
    }
    if path.starts_with("/bot") && path.ends_with("/sendMessage") {
        let body: Value = request.json().ok()?;
        let chat = match &body["chat_id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return Some((Channel::Telegram, chat, body["text"].as_str()?.to_owned()));
    }
    None
}
