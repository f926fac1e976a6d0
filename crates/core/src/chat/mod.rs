//! Chats with customers (V6): a message read from the shop's Telegram bot or from our generic
//! format, and what its arrival means for the shop — whether it came while the shop was closed
//! and which night it belongs to.
//!
//! A night is keyed by the next opening: its shop-local date. A message on Friday at 19:00
//! (closed from 18:00, open on Saturday at 10:00) belongs to the night `Saturday's date`; one on
//! Saturday at 17:00 and one on Sunday at 03:00 both belong to Monday's, because the shop does
//! not open in between. So "one auto-reply per conversation per night" means one per
//! closure, however long. The shell claims the first message of each night per conversation
//! with a UNIQUE key, and the triggers see it as `first_of_night`.
//!
//! Arrival, not the sender's clock, decides: a message sent at 17:59 that reaches us at 18:01
//! finds the shop closed; a backlog delivered in the morning finds it open and is answered by
//! people.

pub mod generic;
#[cfg(test)]
mod tests;

use crate::automation::config::StaffMember;
use crate::automation::event::{ChatMessage, ChatSender, DomainEvent};
use crate::automation::time::{next_open, TimeZone, WorkingHours};
use crate::contact::{Email, Phone};
use crate::message::Language;

/// Characters of a message's one-line preview (task titles, notes).
pub const PREVIEW_CHARS: usize = 100;

/// The longest message text kept, in characters (WhatsApp allows 65 536; a longer text is
/// refused by the generic format and cut by the Telegram reader, which never sees one: Telegram
/// caps texts at 4096).
pub const MAX_TEXT_CHARS: usize = 10_000;

/// The longest reply a `chat_reply` action may send: Telegram refuses longer texts.
pub const MAX_REPLY_CHARS: usize = 4096;

/// Where a chat message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatSource {
    /// The shop's own Telegram bot (Bot API webhook).
    Telegram,
    /// Our signed JSON format, for chat widgets and bridges (docs/chat-events.md).
    Generic,
}

impl ChatSource {
    /// `telegram` or `generic`, as stored and shown to triggers.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatSource::Telegram => "telegram",
            ChatSource::Generic => "generic",
        }
    }

    /// The source named `name`.
    pub fn parse(name: &str) -> Option<ChatSource> {
        [ChatSource::Telegram, ChatSource::Generic]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// A message a customer wrote, read from its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    /// Where it came from.
    pub source: ChatSource,
    /// `telegram`, or the generic sender's channel name (`whatsapp`, `jivo`, `site-widget`).
    pub channel: String,
    /// The conversation as the source names it (the Telegram chat id).
    pub conversation: String,
    /// The source's id of the message, when it gives one (a repeat of it is a duplicate).
    pub message_id: Option<String>,
    /// Who wrote.
    pub sender: Sender,
    /// What they wrote; never empty (a placeholder such as `[photo]` for a message without
    /// text).
    pub text: String,
    /// When the sender says it was written (unix seconds).
    pub sent_at: Option<i64>,
}

/// The sender of an incoming message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sender {
    /// Display name.
    pub name: Option<String>,
    /// Telegram `@username`, without the `@`.
    pub username: Option<String>,
    /// Phone (given in a generic message, or shared as a Telegram contact).
    pub phone: Option<Phone>,
    /// Email.
    pub email: Option<Email>,
    /// The language their app or the widget reports.
    pub language: Option<Language>,
}

/// A message's arrival measured against the shop's working hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// The shop was closed.
    pub after_hours: bool,
    /// After hours: the night's key, the shop-local date (`YYYY-MM-DD`) of the next opening.
    pub night: Option<String>,
    /// When the shop opens next (unix seconds); the arrival itself while it is open.
    pub opens_at: i64,
}

/// Where a message that arrived at `at` (unix seconds) falls: in working hours, or in which
/// night. A shop without working hours is always open, so nothing is ever after hours.
pub fn timing(at: i64, hours: &WorkingHours, tz: &TimeZone) -> Timing {
    let opens_at = next_open(at, hours, tz);
    if opens_at <= at {
        return Timing {
            after_hours: false,
            night: None,
            opens_at: at,
        };
    }
    let day = tz.civil(opens_at);
    Timing {
        after_hours: true,
        night: Some(format!("{:04}-{:02}-{:02}", day.year, day.month, day.day)),
        opens_at,
    }
}

/// The text on one line, cut to [`PREVIEW_CHARS`] characters (with `…` when cut).
pub fn preview(text: &str) -> String {
    let line = crate::text::one_line(text);
    if crate::text::char_len(&line) <= PREVIEW_CHARS {
        return line;
    }
    let mut cut: String = line.chars().take(PREVIEW_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// True when a Telegram chat is a staff member's own chat with the bot (the bot that sends
/// them notes may be the shop's customer bot too): not a customer conversation.
pub fn is_staff_chat(staff: &[StaffMember], chat_id: &str) -> bool {
    staff
        .iter()
        .any(|s| s.telegram_chat_id.as_deref().map(str::trim) == Some(chat_id))
}

/// What the shell stored about a message, for its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The conversation (`chat_conversations.id`).
    pub conversation_id: i64,
    /// The sender's stored customer, when their phone or email is known.
    pub customer_id: Option<i64>,
    /// The arrival (unix seconds).
    pub at: i64,
    /// The conversation's first message of the night (the shell's claim succeeded).
    pub first_of_night: bool,
}

/// The `chat.message` event for a stored message.
pub fn event(message: &IncomingMessage, stored: Stored, timing: &Timing) -> DomainEvent {
    let sender = &message.sender;
    DomainEvent::ChatMessage(Box::new(ChatMessage {
        conversation_id: stored.conversation_id,
        source: message.source.as_str().to_owned(),
        channel: message.channel.clone(),
        customer_id: stored.customer_id,
        sender: ChatSender {
            name: sender.name.clone(),
            username: sender.username.clone(),
            phone: sender.phone.as_ref().map(|p| p.as_str().to_owned()),
            email: sender.email.as_ref().map(|e| e.as_str().to_owned()),
        },
        text: message.text.clone(),
        preview: preview(&message.text),
        at: stored.at,
        after_hours: timing.after_hours,
        night: timing.night.clone(),
        first_of_night: stored.first_of_night && timing.after_hours,
        opens_at: timing.opens_at,
    }))
}
