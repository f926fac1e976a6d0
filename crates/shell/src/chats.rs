//! Chats with customers (V6): conversations and their log, the night claim, and the replies
//! triggers send.
//!
//! A message is stored in its conversation (found by source, channel and the source's id of
//! it), linked to a stored customer when the sender gave a phone or email we know, measured
//! against the working hours by the core ([`orderpath_core::chat::timing`]) and run through the
//! triggers as `chat.message`. The conversation's first message of each night is claimed with
//! `chat_nights`' primary key inside the request's transaction, so however many messages come
//! in one night, and however many requests at once, one of them is `first_of_night`.
//!
//! A reply goes back where the message came from: a Telegram conversation's through the outbox
//! to the bot's chat with the customer; a generic conversation's in the answer to the post that
//! brought the message (Orderpath cannot reach a widget), which is stored with the post's
//! webhook-id, so a retried post gets the same reply.

use orderpath_core::automation::facts::CustomerFacts;
use orderpath_core::chat::{self, ChatSource, IncomingMessage, Sender, Stored, Timing};
use orderpath_core::message::Language;

use crate::clock::Timestamp;
use crate::db::{get_int, get_text, int, opt_text, req_int, req_text, text, Db, DbError};
use crate::outbound::outbox::{self, NewMessage};
use crate::plans::automation::Run;

/// What receiving a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The conversation (`chat_conversations.id`).
    pub conversation_id: i64,
    /// The sender's stored customer, when known.
    pub customer_id: Option<i64>,
    /// The source had sent this message before (same message id): nothing was done.
    pub duplicate: bool,
    /// When it came, for the shop.
    pub timing: Timing,
    /// It was the conversation's first message of the night.
    pub first_of_night: bool,
    /// Replies for the answer (generic conversations).
    pub replies: Vec<String>,
    /// Messages queued: send them after commit.
    pub messages: Vec<i64>,
}

/// Stores a customer's message and runs the `chat.message` triggers, inside the request's
/// transaction. `None` for a staff member's own chat with the bot (the bot that sends them
/// notes may be the shop's customer bot too): not a customer's conversation, nothing stored.
pub fn receive(run: &Run<'_>, message: &IncomingMessage) -> Result<Option<Received>, DbError> {
    if message.source == ChatSource::Telegram
        && chat::is_staff_chat(&run.config.shop.staff, &message.conversation)
    {
        return Ok(None);
    }
    let db = run.db;
    let now = run.now;
    let known = find_customer(db, &message.sender)?;
    let sender = &message.sender;
    let conversation = db
        .row(
            "INSERT INTO chat_conversations
                (source, channel, external_id, name, username, phone, email, language,
                 customer_id, created_at, last_message_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
             ON CONFLICT (source, channel, external_id) DO UPDATE SET
                name = COALESCE(?4, name), username = COALESCE(?5, username),
                phone = COALESCE(?6, phone), email = COALESCE(?7, email),
                language = COALESCE(?8, language), customer_id = COALESCE(?9, customer_id),
                last_message_at = ?10
             RETURNING id, customer_id",
            &[
                text(message.source.as_str()),
                text(message.channel.clone()),
                text(message.conversation.clone()),
                opt_text(sender.name.as_deref()),
                opt_text(sender.username.as_deref()),
                opt_text(sender.phone.as_ref().map(|p| p.as_str())),
                opt_text(sender.email.as_ref().map(|e| e.as_str())),
                opt_text(sender.language.map(Language::as_str)),
                known.map_or(spin_sdk::sqlite::Value::Null, int),
                text(now.to_rfc3339()),
            ],
        )?
        .ok_or(DbError::Shape("a conversation upsert returned no row"))?;
    let conversation_id = req_int(&conversation, 0)?;
    let customer_id = get_int(&conversation, 1)?;
    let timing = chat::timing(
        now.unix(),
        &run.config.shop.working_hours,
        &run.config.shop.time_zone,
    );
    let mut received = Received {
        conversation_id,
        customer_id,
        duplicate: false,
        timing: timing.clone(),
        first_of_night: false,
        replies: Vec::new(),
        messages: Vec::new(),
    };
    let stored = db.row(
        "INSERT INTO chat_messages
            (conversation_id, direction, external_id, text, sent_at, at, after_hours, night,
             event_id)
         VALUES (?, 'in', ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING
         RETURNING id",
        &[
            int(conversation_id),
            opt_text(message.message_id.as_deref()),
            text(message.text.clone()),
            opt_text(
                message
                    .sent_at
                    .map(|t| Timestamp::from_unix(t).to_rfc3339())
                    .as_deref(),
            ),
            text(now.to_rfc3339()),
            int(i64::from(timing.after_hours)),
            opt_text(timing.night.as_deref()),
            text(run.cause),
        ],
    )?;
    let Some(stored) = stored else {
        received.duplicate = true;
        return Ok(Some(received));
    };
    let message_row = req_int(&stored, 0)?;
    if let Some(night) = &timing.night {
        received.first_of_night = db
            .row(
                "INSERT INTO chat_nights (conversation_id, night, message_id, at)
                 VALUES (?, ?, ?, ?)
                 ON CONFLICT DO NOTHING
                 RETURNING 1",
                &[
                    int(conversation_id),
                    text(night.clone()),
                    int(message_row),
                    text(now.to_rfc3339()),
                ],
            )?
            .is_some();
    }
    let event = chat::event(
        message,
        Stored {
            conversation_id,
            customer_id,
            at: now.unix(),
            first_of_night: received.first_of_night,
        },
        &timing,
    );
    let effects = run.handle_chat(conversation_id, customer_id, event)?;
    received.replies = effects.replies;
    received.messages = effects.messages;
    Ok(Some(received))
}

/// The stored customer a sender's phone, else email, belongs to. Chats make no customers: a
/// stranger stays a conversation until an order or a site event brings their contact.
fn find_customer(db: &Db, sender: &Sender) -> Result<Option<i64>, DbError> {
    let lookups = [
        (
            "SELECT id FROM customers WHERE phone = ?",
            sender.phone.as_ref().map(|p| p.as_str()),
        ),
        (
            "SELECT id FROM customers WHERE email = ?",
            sender.email.as_ref().map(|e| e.as_str()),
        ),
    ];
    for (sql, value) in lookups {
        if let Some(value) = value {
            if let Some(row) = db.row(sql, &[text(value)])? {
                return Ok(Some(req_int(&row, 0)?));
            }
        }
    }
    Ok(None)
}

/// The sender of a conversation as the triggers see them (`customer.*`) when they are not a
/// stored customer; a stored customer's facts get the chat's language when they have none.
pub fn sender_facts(
    db: &Db,
    conversation_id: i64,
    customer: Option<CustomerFacts>,
) -> Result<Option<CustomerFacts>, DbError> {
    let Some(row) = db.row(
        "SELECT name, phone, email, language FROM chat_conversations WHERE id = ?",
        &[int(conversation_id)],
    )?
    else {
        return Ok(customer);
    };
    let language = get_text(&row, 3)?.and_then(|l| Language::parse(&l));
    Ok(Some(match customer {
        Some(mut known) => {
            known.language = known.language.or(language);
            known
        }
        None => CustomerFacts {
            name: get_text(&row, 0)?,
            phone: get_text(&row, 1)?,
            email: get_text(&row, 2)?,
            language,
            ..CustomerFacts::default()
        },
    }))
}

/// A line in the conversation's log about what a trigger could not do.
pub fn note(
    db: &Db,
    conversation_id: i64,
    (actor, reason): (&str, &str),
    event_id: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO chat_messages (conversation_id, direction, text, at, actor, event_id)
         VALUES (?, 'note', ?, ?, ?, ?)",
        &[
            int(conversation_id),
            text(reason),
            text(now.to_rfc3339()),
            text(actor),
            text(event_id),
        ],
    )?;
    Ok(())
}

/// Where a reply went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replied {
    /// Queued in the outbox (Telegram); the id when this request sends it.
    Queued(Option<i64>),
    /// For the answer to the post (generic).
    InAnswer(String),
}

/// A reply a trigger sends in a conversation.
pub struct Reply<'a> {
    /// The conversation.
    pub conversation_id: i64,
    /// The run's step key: the outbox dedupe key.
    pub key: String,
    /// `trigger:<id>`.
    pub actor: &'a str,
    /// The template it was rendered from.
    pub template: &'a str,
    /// The text.
    pub text: &'a str,
}

/// Sends a reply back where the conversation's messages come from, and logs it.
pub fn reply(run: &Run<'_>, reply: &Reply<'_>) -> Result<Replied, DbError> {
    let db = run.db;
    let row = db
        .row(
            "SELECT source, external_id FROM chat_conversations WHERE id = ?",
            &[int(reply.conversation_id)],
        )?
        .ok_or(DbError::Shape(
            "a reply to a conversation that is not stored",
        ))?;
    let source = req_text(&row, 0)?;
    let chat_id = req_text(&row, 1)?;
    let (replied, via, outbox_id) = match ChatSource::parse(&source) {
        Some(ChatSource::Telegram) => {
            let claimed = outbox::enqueue(
                db,
                &NewMessage {
                    dedupe_key: reply.key.clone(),
                    order_id: None,
                    channel: "telegram",
                    template: reply.template,
                    to: &chat_id,
                    to_name: None,
                    subject: None,
                    text: reply.text,
                    html: None,
                    not_before: None,
                    headers: Vec::new(),
                },
                run.now,
            )
            .map_err(|error| match error {
                outbox::EnqueueError::Db(error) => error,
                // Only an email carries header fields, and a reply has none.
                _ => DbError::Shape("a chat reply refused by the outbox"),
            })?;
            let id = db
                .row(
                    "SELECT id FROM outbox WHERE dedupe_key = ?",
                    &[text(reply.key.clone())],
                )?
                .map(|r| req_int(&r, 0))
                .transpose()?;
            (Replied::Queued(claimed), "outbox", id)
        }
        _ => (Replied::InAnswer(reply.text.to_owned()), "answer", None),
    };
    db.execute(
        "INSERT INTO chat_messages
            (conversation_id, direction, text, at, actor, via, outbox_id, event_id)
         VALUES (?, 'out', ?, ?, ?, ?, ?, ?)",
        &[
            int(reply.conversation_id),
            text(reply.text),
            text(run.now.to_rfc3339()),
            text(reply.actor),
            text(via),
            outbox_id.map_or(spin_sdk::sqlite::Value::Null, int),
            text(run.cause),
        ],
    )?;
    Ok(replied)
}
