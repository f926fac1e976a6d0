//! Telegram Bot API updates (`setWebhook`), from the shop's customer-facing bot.
//!
//! Telegram posts one JSON `Update` per request (Bot API "Getting updates"; the `Update`,
//! `Message`, `User`, `Chat` and `Contact` objects) and, when the webhook was set with a
//! `secret_token`, sends it back in the `X-Telegram-Bot-Api-Secret-Token` header: that header is
//! the only proof a request comes from Telegram. Telegram repeats an update until it gets a 2xx
//! answer, so `update_id` is the idempotency key.
//!
//! Only a new `message` in a private chat from a person is a customer's message. Edited
//! messages, channel posts, messages in groups, bots' messages, service messages (a pinned
//! message, a payment, …) and every other kind of update (`callback_query`, `my_chat_member`,
//! …) are read as ignored, so the caller answers 200 and Telegram stops repeating them.

use orderpath_core::chat::{ChatSource, IncomingMessage, Sender, MAX_TEXT_CHARS};
use orderpath_core::contact::Phone;
use orderpath_core::message::Language;
use serde_json::{Map, Value};

use crate::acquirer::verify::same_bytes;
use crate::acquirer::NoticeError;

/// The header carrying the webhook's secret token (lower-case, as the shell keeps headers).
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// What an update is, for us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// A customer's message.
    Message {
        /// `update_id`: the idempotency key.
        key: String,
        /// The message.
        message: IncomingMessage,
    },
    /// Anything else: answered 200, recorded as ignored.
    Ignored {
        /// `update_id`.
        key: String,
        /// What it was, for the answer and the log (`an edited message`).
        what: String,
    },
}

/// Checks the secret token Telegram sends (constant time over its bytes). `secret` is the
/// configured token, never empty (the caller refuses the request when it is not set).
pub fn verify(header: Option<&str>, secret: &str) -> Result<(), NoticeError> {
    match header {
        Some(given) if same_bytes(given.trim().as_bytes(), secret.as_bytes()) => Ok(()),
        Some(_) => Err(NoticeError::Unauthorized(
            "the X-Telegram-Bot-Api-Secret-Token header does not match".into(),
        )),
        None => Err(NoticeError::Unauthorized(
            "no X-Telegram-Bot-Api-Secret-Token header: set the webhook with secret_token".into(),
        )),
    }
}

/// Reads an update (verified by [`verify`] first).
pub fn read(body: &[u8]) -> Result<Update, NoticeError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| NoticeError::Malformed(e.to_string()))?;
    let Value::Object(update) = value else {
        return Err(NoticeError::Malformed("an update is a JSON object".into()));
    };
    let key = update
        .get("update_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| NoticeError::Invalid {
            field: "update_id".into(),
            message: "is required: an integer".into(),
        })?
        .to_string();
    let ignored = |what: &str| {
        Ok(Update::Ignored {
            key: key.clone(),
            what: what.to_owned(),
        })
    };
    let Some(message) = update.get("message") else {
        return match update
            .keys()
            .find(|k| *k != "update_id")
            .map(String::as_str)
        {
            Some("edited_message") => ignored("an edited message"),
            Some("channel_post" | "edited_channel_post") => ignored("a channel post"),
            Some(other) => ignored(&format!("a {other} update")),
            None => ignored("an empty update"),
        };
    };
    let Value::Object(message) = message else {
        return Err(invalid("message", "must be an object"));
    };
    let chat = message
        .get("chat")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("message.chat", "is required"))?;
    let chat_type = chat.get("type").and_then(Value::as_str).unwrap_or_default();
    if chat_type != "private" {
        return ignored(&format!("a message in a {chat_type} chat"));
    }
    let Some(from) = message.get("from").and_then(Value::as_object) else {
        return ignored("a message without a sender");
    };
    if from.get("is_bot").and_then(Value::as_bool) == Some(true) {
        return ignored("a bot's message");
    }
    let Some(text) = content(message, from) else {
        return ignored("a service message");
    };
    let conversation = chat
        .get("id")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid("message.chat.id", "is required: an integer"))?
        .to_string();
    let message_id = message
        .get("message_id")
        .and_then(Value::as_i64)
        .map(|id| id.to_string());
    Ok(Update::Message {
        key,
        message: IncomingMessage {
            source: ChatSource::Telegram,
            channel: "telegram".into(),
            conversation,
            message_id,
            sender: sender(message, from),
            text,
            sent_at: message.get("date").and_then(Value::as_i64),
        },
    })
}

fn invalid(field: &str, message: &str) -> NoticeError {
    NoticeError::Invalid {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

fn string<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    obj.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The message as text: its text, or a placeholder for what it carries with the caption;
/// `None` for a service message.
fn content(message: &Map<String, Value>, from: &Map<String, Value>) -> Option<String> {
    if let Some(text) = string(message, "text") {
        return Some(cut(text));
    }
    const KINDS: [(&str, &str); 13] = [
        ("photo", "[photo]"),
        ("video", "[video]"),
        ("video_note", "[video message]"),
        ("voice", "[voice message]"),
        ("audio", "[audio]"),
        ("animation", "[GIF]"),
        ("document", "[file]"),
        ("sticker", "[sticker]"),
        ("contact", "[contact]"),
        ("location", "[location]"),
        ("venue", "[venue]"),
        ("poll", "[poll]"),
        ("dice", "[dice]"),
    ];
    // An animation also sets `document`, a venue also sets `location`: the first one named wins.
    let (kind, label) = KINDS.iter().find(|(k, _)| message.contains_key(*k))?;
    let mut text = (*label).to_owned();
    match *kind {
        "sticker" => {
            let emoji = message
                .get("sticker")
                .and_then(Value::as_object)
                .and_then(|s| string(s, "emoji"));
            if let Some(emoji) = emoji {
                text = format!("[sticker {emoji}]");
            }
        }
        "contact" => {
            if let Some(phone) = shared_phone(message, from) {
                text = format!("[contact {}]", phone.as_str());
            }
        }
        _ => {}
    }
    if let Some(caption) = string(message, "caption") {
        text.push(' ');
        text.push_str(caption);
    }
    Some(cut(&text))
}

fn cut(text: &str) -> String {
    text.chars().take(MAX_TEXT_CHARS).collect()
}

/// The phone of a contact the sender shared of themselves (`contact.user_id` is theirs): the
/// "share my phone number" button. Someone else's contact tells nothing about the sender.
fn shared_phone(message: &Map<String, Value>, from: &Map<String, Value>) -> Option<Phone> {
    let contact = message.get("contact")?.as_object()?;
    let own = contact.get("user_id").and_then(Value::as_i64)? == from.get("id")?.as_i64()?;
    own.then(|| string(contact, "phone_number"))
        .flatten()
        .and_then(|p| Phone::parse(p).ok())
}

fn sender(message: &Map<String, Value>, from: &Map<String, Value>) -> Sender {
    let name = [string(from, "first_name"), string(from, "last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let name = orderpath_core::text::one_line(&name);
    Sender {
        name: (!name.is_empty()).then(|| name.chars().take(200).collect()),
        username: string(from, "username").map(str::to_owned),
        phone: shared_phone(message, from),
        email: None,
        language: string(from, "language_code").and_then(Language::parse),
    }
}

#[cfg(test)]
mod tests;
