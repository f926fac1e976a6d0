//! Our own chat format (docs/chat-events.md, JSON Schema in docs/chat-event.schema.json), for
//! chat widgets and bridges (JivoChat, Talk-Me, WhatsApp bridges…): one message per post,
//! signed with Standard Webhooks by the shell. Anything off the format is refused with the
//! field it concerns.

use serde_json::{Map, Value};

use super::{ChatSource, IncomingMessage, Sender, MAX_TEXT_CHARS};
use crate::automation::time::rfc3339;
use crate::contact::{Email, Phone};
use crate::event::plain::{invalid, text};
use crate::event::EventError;
use crate::message::Language;

/// The one type of the format.
pub const TYPE: &str = "chat.message";

/// An id: a string as [`text`] reads it, or an integer (bridges often send numbers).
fn id(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, EventError> {
    match obj.get(name) {
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        Some(Value::Number(_)) => Err(invalid(name, "must be a string or an integer")),
        _ => text(obj, name, "", 200),
    }
}

/// Reads a chat message in our format.
pub fn parse_chat_message(body: &[u8]) -> Result<IncomingMessage, EventError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| EventError::Malformed(e.to_string()))?;
    let Value::Object(top) = value else {
        return Err(EventError::Malformed(
            "the body must be a JSON object".into(),
        ));
    };
    if text(&top, "type", "", 64)?.as_deref() != Some(TYPE) {
        return Err(invalid("type", "must be \"chat.message\""));
    }
    let channel = text(&top, "channel", "", 32)?
        .ok_or_else(|| invalid("channel", "is required (whatsapp, jivo, site-widget…)"))?;
    if !crate::text::is_code(&channel, 32, true) {
        return Err(invalid(
            "channel",
            "must be 1–32 characters of a-z, 0-9, - and _",
        ));
    }
    let conversation =
        id(&top, "conversation_id")?.ok_or_else(|| invalid("conversation_id", "is required"))?;
    let message_id = id(&top, "message_id")?;
    let at = text(&top, "sent_at", "", 64)?.ok_or_else(|| invalid("sent_at", "is required"))?;
    let sent_at = rfc3339::to_unix(&at, rfc3339::Offset::Rfc3339)
        .ok_or_else(|| invalid("sent_at", "must be an RFC 3339 time with an offset"))?;
    let sender = match top.get("sender") {
        None | Some(Value::Null) => Sender::default(),
        Some(Value::Object(s)) => sender(s)?,
        Some(_) => return Err(invalid("sender", "must be an object")),
    };
    let text = message_text(top.get("text"))?;
    Ok(IncomingMessage {
        source: ChatSource::Generic,
        channel,
        conversation,
        message_id,
        sender,
        text,
        sent_at: Some(sent_at),
    })
}

fn sender(s: &Map<String, Value>) -> Result<Sender, EventError> {
    let phone = text(s, "phone", "sender.", 32)?
        .map(|p| Phone::parse(&p).map_err(|e| invalid("sender.phone", &e.to_string())))
        .transpose()?;
    let email = text(s, "email", "sender.", 254)?
        .map(|e| Email::parse(&e).map_err(|e| invalid("sender.email", &e.to_string())))
        .transpose()?;
    let language = match text(s, "language", "sender.", 8)? {
        None => None,
        Some(tag) => Some(
            Language::parse(&tag)
                .filter(|l| l.as_str() == tag)
                .ok_or_else(|| invalid("sender.language", "must be ru or en"))?,
        ),
    };
    Ok(Sender {
        name: text(s, "name", "sender.", 200)?,
        username: None,
        phone,
        email,
        language,
    })
}

/// The message's text: 1–[`MAX_TEXT_CHARS`] characters; line breaks and tabs are the only
/// control characters it may hold.
fn message_text(value: Option<&Value>) -> Result<String, EventError> {
    let rule = format!(
        "must be 1–{MAX_TEXT_CHARS} characters; line breaks and tabs are the only control characters allowed"
    );
    let Some(Value::String(s)) = value else {
        return Err(invalid("text", &rule));
    };
    let s = s.trim();
    let allowed = |c: char| !c.is_control() || matches!(c, '\n' | '\r' | '\t');
    if s.is_empty() || s.chars().count() > MAX_TEXT_CHARS || !s.chars().all(allowed) {
        return Err(invalid("text", &rule));
    }
    Ok(s.to_owned())
}
