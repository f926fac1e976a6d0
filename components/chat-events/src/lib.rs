//! `/webhooks/chats/{telegram|generic}`: messages customers write to the shop (V6).
//!
//! `telegram`: updates of the shop's customer-facing bot (Bot API `setWebhook` with
//! `secret_token`), checked by the `X-Telegram-Bot-Api-Secret-Token` header and processed once
//! per `update_id`; anything but a person's new message in a private chat is answered 200 and
//! recorded as ignored. `generic`: our JSON (docs/chat-events.md) for chat widgets and bridges,
//! signed with Standard Webhooks; a reply for the conversation comes back in the answer.
//!
//! Verify → read (`orderpath_wire::chat::telegram`, `orderpath_core::chat::generic`) → in one
//! transaction: claim the key, store the message, run the `chat.message` triggers
//! (`orderpath_shell::chats`) → answer → hand the queued replies to the sender.

use orderpath_core::automation::config::Config;
use orderpath_core::chat::generic::parse_chat_message;
use orderpath_core::chat::IncomingMessage;
use orderpath_core::event::EventError;
use orderpath_shell::chats::{self, Received};
use orderpath_shell::clock::Timestamp;
use orderpath_shell::config;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, Answer, ApiError, Inbound};
use orderpath_shell::inbound::{self, Handled, Notification};
use orderpath_shell::plans::automation::{self, Run};
use orderpath_wire::chat::telegram::{self, Update};
use serde_json::{json, Value};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle_chat_event(request: IncomingRequest, out: ResponseOutparam) {
    inbound::finish(out, process(request));
}

fn process(request: IncomingRequest) -> Result<Handled, ApiError> {
    let inbound = http::read_json_post(request)?;
    let now = Timestamp::now();
    match inbound.path_info() {
        ("telegram", "") => from_telegram(&inbound, now),
        ("generic", "") => from_generic(&inbound, now),
        (other, _) => Err(ApiError::new(
            404,
            "unknown_chat",
            format!("no chat {other:?} here; use /webhooks/chats/{{telegram|generic}}"),
        )),
    }
}

fn from_telegram(inbound: &Inbound, now: Timestamp) -> Result<Handled, ApiError> {
    let secret = inbound::required_secret("telegram_webhook_secret", "Telegram updates")?;
    telegram::verify(inbound.header(telegram::SECRET_HEADER), secret.expose())?;
    let (key, message) = match telegram::read(&inbound.body)? {
        Update::Message { key, message } => (key, Ok(message)),
        Update::Ignored { key, what } => (key, Err(what)),
    };
    let notification = Notification {
        source: "chats:telegram",
        key: &key,
        content: &inbound.body,
        now,
        exact_key: false,
    };
    // Telegram repeats an update until it gets a 2xx: a repeat changes nothing.
    receive(&notification, inbound::duplicate_ack(), message)
}

fn from_generic(inbound: &Inbound, now: Timestamp) -> Result<Handled, ApiError> {
    let id = inbound::verify_signed(inbound, "chats_webhook_secret", "chat messages", now)?;
    let message = parse_chat_message(&inbound.body).map_err(|error| match error {
        EventError::Malformed(reason) => ApiError::new(400, "malformed_json", reason),
        EventError::Invalid { field, message } => {
            ApiError::new(422, "invalid_event", format!("{field}: {message}"))
        }
    })?;
    let notification = Notification {
        source: "chats:generic",
        key: id,
        content: &inbound.body,
        now,
        exact_key: true,
    };
    // A retry gets the first answer again, reply included.
    receive(&notification, None, Ok(message))
}

/// What a post asks for once it is read.
enum Work {
    /// A customer's message, with the configuration its triggers need.
    Message(Box<(IncomingMessage, Config)>),
    /// Nothing: what it was.
    Ignored(String),
}

/// Processes a message (or an ignored update) once per its key.
fn receive(
    notification: &Notification<'_>,
    repeat: Option<Answer>,
    message: Result<IncomingMessage, String>,
) -> Result<Handled, ApiError> {
    let db = Db::open(config::synchronous()?)?;
    if let Some(handled) = inbound::seen_before(&db, notification, repeat.clone())? {
        return Ok(handled);
    }
    let work = match message {
        Ok(message) => Work::Message(Box::new((message, automation::load_config()?))),
        Err(what) => Work::Ignored(what),
    };
    let cause = format!("{}:{}", notification.source, notification.key);
    inbound::once(db, notification, repeat, |db| {
        let (message, automation) = match work {
            Work::Message(work) => *work,
            Work::Ignored(what) => return Ok((ignored(&what), Vec::new())),
        };
        let run = Run {
            db,
            config: &automation,
            now: notification.now,
            cause: &cause,
        };
        let Some(received) = chats::receive(&run, &message)? else {
            return Ok((ignored("a staff member's chat with the bot"), Vec::new()));
        };
        let answer = Answer::json(200, &answer(&received));
        Ok((answer, received.messages))
    })
}

fn ignored(what: &str) -> Answer {
    Answer::json(200, &json!({ "received": true, "ignored": what }))
}

fn answer(received: &Received) -> Value {
    let reply =
        (!received.replies.is_empty()).then(|| json!({ "text": received.replies.join("\n\n") }));
    json!({
        "received": true,
        "duplicate": received.duplicate,
        "conversation_id": received.conversation_id,
        "customer_id": received.customer_id,
        "after_hours": received.timing.after_hours,
        "night": received.timing.night,
        "first_of_night": received.first_of_night,
        "reply": reply,
    })
}
