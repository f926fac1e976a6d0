//! The outbox: a message — email, SMS or Telegram note — is a row before it is a request.
//!
//! A message is inserted in the same transaction as the event that caused it, so it exists
//! exactly when the event's effects do. It is born claimed by the request that queued it
//! (`status = 'sending'`, `claim_token` = the request's token, see [`Db::holder`]), so that
//! request can send it right after answering. Anyone else — the scheduler tick, a resend —
//! claims a row with a conditional `UPDATE … WHERE status = 'pending'` (one statement, atomic
//! on any number of instances).
//!
//! **Claims have an owner.** Every claim writes a fresh random `claim_token`, and the lease
//! starts when sending starts: the request that queued a message re-claims it (its token for a
//! new one, a new lease) right before the call, and only if it still holds it. The lease is
//! long enough for one provider call ([`crate::outbound::channels::send_lease_secs`]). After the call,
//! the attempt and the new state are recorded in one transaction, again only while the token
//! still matches. A sender that lost its claim — its lease ran out and another sender took the
//! message over — sends nothing if it had not started, and if its call was already under way,
//! its outcome is kept as an attempt marked `late` that never changes the row.
//!
//! A message that could not be sent goes back to `pending` with its error and a next attempt
//! time. If a sender dies mid-call, the lease runs out and the row is due again. The
//! `dedupe_key` makes the same logical message (e.g. C1 for one order) impossible to queue
//! twice. Towards a provider delivery is at least once (a call that outlives its lease, or
//! whose answer is lost, is repeated); inside Orderpath each outcome is recorded once.

use orderpath_wire::providers::email::headers::{checked_headers, HeaderError};
use orderpath_wire::providers::Outcome;

use crate::clock::Timestamp;
use crate::db::{get_text, int, opt_text, req_int, req_text, text, Db, DbError};
use crate::outbound::channels::{Channels, StoredMessage};

/// The longest wait a provider may ask for (`Retry-After`, Telegram's `retry_after`).
const MAX_PROVIDER_WAIT_SECS: i64 = 6 * 3600;

/// Messages to the same recipient on the same channel go out in the order they were queued:
/// a message waits while an older one to that recipient is still pending or being sent.
/// Events for the shop's CRM or ERP (`webhook`) keep their order per order: one order whose
/// event the endpoint refuses holds back that order's later events, not every other order's.
const NO_OLDER_UNSENT: &str = "NOT EXISTS (
    SELECT 1 FROM outbox AS earlier
    WHERE earlier.channel = outbox.channel AND earlier.recipient = outbox.recipient
      AND (outbox.channel <> 'webhook' OR earlier.order_id IS outbox.order_id)
      AND earlier.id < outbox.id AND earlier.status IN ('pending', 'sending'))";

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// Makes the message unique, e.g. `orders:evt-1:A-1001:c1-thank-you:0`.
    pub dedupe_key: String,
    /// The order it belongs to.
    pub order_id: Option<&'a str>,
    /// `email`, `sms`, `telegram` or `webhook` (an `http_request` to the shop's CRM or ERP).
    pub channel: &'a str,
    /// Template name, e.g. `order-created`.
    pub template: &'a str,
    /// Address, E.164 phone or chat id.
    pub to: &'a str,
    /// Recipient name.
    pub to_name: Option<&'a str>,
    /// Subject line (email).
    pub subject: Option<&'a str>,
    /// Plain-text body.
    pub text: &'a str,
    /// HTML body (email), if any.
    pub html: Option<&'a str>,
    /// Not before this time (C11 quiet hours); `None` means now.
    pub not_before: Option<Timestamp>,
    /// Extra header fields of an email, `(name, value)`: `List-Unsubscribe` and
    /// `List-Unsubscribe-Post` only (see `orderpath_wire::providers::email::headers`). Empty
    /// for most messages, and always for other channels.
    pub headers: Vec<(String, String)>,
}

/// Why a message was not queued.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// Its header fields cannot be sent (a bug in the code that built them): the message is
    /// refused rather than sent with a broken header.
    #[error("message {dedupe_key} not queued: {source}")]
    Headers {
        /// The message.
        dedupe_key: String,
        /// What is wrong with them.
        source: HeaderError,
    },
    /// Header fields on a message that is not an email.
    #[error("message {dedupe_key} not queued: only an email has header fields, not {channel}")]
    HeadersOffEmail {
        /// The message.
        dedupe_key: String,
        /// Its channel.
        channel: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Queues a message. One that is due now, with nothing older waiting for the same recipient,
/// is born claimed by the caller, who must call [`send_queued`] with the returned id after the
/// transaction commits; any other waits for the tick and `None` is returned. Nothing is
/// queued when a message with the same dedupe key exists, nor when its header fields cannot
/// be sent ([`EnqueueError::Headers`]).
pub fn enqueue(
    db: &Db,
    message: &NewMessage<'_>,
    now: Timestamp,
) -> Result<Option<i64>, EnqueueError> {
    let headers = stored_headers(message)?;
    let due = message.not_before.filter(|at| at.unix() > now.unix());
    // Older messages to the recipient go first, also while another sender has one on its way;
    // those this request queued itself it sends in order.
    let waiting = db
        .row(
            "SELECT 1 FROM outbox WHERE channel = ?1 AND recipient = ?2
               AND (?1 <> 'webhook' OR order_id IS ?4)
               AND (status = 'pending' OR (status = 'sending' AND claim_token IS NOT ?3))",
            &[
                text(message.channel),
                text(message.to),
                text(db.holder()),
                opt_text(message.order_id),
            ],
        )?
        .is_some();
    let claim = due.is_none() && !waiting;
    let next_attempt = due.unwrap_or(now).to_rfc3339();
    let row = db.row(
        "INSERT INTO outbox (dedupe_key, order_id, channel, template, recipient, recipient_name,
                             subject, body_text, body_html, status, attempts, lease_until,
                             claim_token, next_attempt_at, created_at, headers)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING id",
        &[
            text(message.dedupe_key.clone()),
            opt_text(message.order_id),
            text(message.channel),
            text(message.template),
            text(message.to),
            opt_text(message.to_name),
            opt_text(message.subject),
            text(message.text),
            opt_text(message.html),
            text(if claim { "sending" } else { "pending" }),
            int(i64::from(claim)),
            if claim {
                text(now.plus_secs(born_lease_secs()).to_rfc3339())
            } else {
                spin_sdk::sqlite::Value::Null
            },
            if claim {
                text(db.holder())
            } else {
                spin_sdk::sqlite::Value::Null
            },
            text(next_attempt),
            text(now.to_rfc3339()),
            opt_text(headers.as_deref()),
        ],
    )?;
    let id = row.map(|r| req_int(&r, 0)).transpose()?;
    Ok(id.filter(|_| claim))
}

/// The message's header fields as stored: a JSON array of `[name, value]` pairs with the
/// names spelled canonically, or `None` when there are none.
fn stored_headers(message: &NewMessage<'_>) -> Result<Option<String>, EnqueueError> {
    if message.headers.is_empty() {
        return Ok(None);
    }
    if message.channel != "email" {
        return Err(EnqueueError::HeadersOffEmail {
            dedupe_key: message.dedupe_key.clone(),
            channel: message.channel.to_owned(),
        });
    }
    let checked = checked_headers(&message.headers).map_err(|source| EnqueueError::Headers {
        dedupe_key: message.dedupe_key.clone(),
        source,
    })?;
    Ok(Some(json_pairs(&checked)))
}

/// `[["name","value"],...]`.
fn json_pairs(pairs: &[(String, String)]) -> String {
    serde_json::Value::from(
        pairs
            .iter()
            .map(|(name, value)| serde_json::json!([name, value]))
            .collect::<Vec<_>>(),
    )
    .to_string()
}

/// A message born claimed waits for the request's earlier messages before its own lease
/// starts; if this runs out first, the tick takes it over and the request sends nothing.
fn born_lease_secs() -> i64 {
    let timeout =
        crate::outbound::channels::provider_timeout().unwrap_or(std::time::Duration::from_secs(60));
    crate::outbound::channels::send_lease_secs(timeout)
}

/// What happened to a message on a delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Another sender holds it, it is no longer pending, or an older message to the same
    /// recipient goes first.
    NotClaimed,
    /// Sent now.
    Sent,
    /// Will be retried.
    Retrying,
    /// Refused for good.
    Failed,
    /// The call finished after the lease had passed to another sender: kept as a late
    /// attempt, the message's state left to that sender.
    Late,
}

/// Delay before attempt `attempts + 1`: one minute, doubling, at most six hours.
pub fn backoff_secs(attempts: i64) -> i64 {
    let exponent = attempts.clamp(1, 20) - 1;
    (60_i64 << exponent).min(6 * 3600)
}

/// The backoff spread by up to ±20 % (`random` is any u64), so messages that failed together
/// do not all come back in the same second.
pub fn jittered_backoff_secs(attempts: i64, random: u64) -> i64 {
    let base = backoff_secs(attempts);
    let spread = base / 5;
    let offset = (random % (2 * spread as u64 + 1)) as i64 - spread;
    base + offset
}

/// How delivery retries end.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts after which a retryable failure becomes final.
    pub max_attempts: i64,
}

/// Ids of messages due for an attempt — pending and due, or abandoned by a sender whose lease
/// ran out — that no older message to the same recipient holds back. Oldest first, at most
/// `limit`.
pub fn due_messages(db: &Db, now: Timestamp, limit: i64) -> Result<Vec<i64>, DbError> {
    let now = now.to_rfc3339();
    db.execute(
        &format!(
            "SELECT id FROM outbox
             WHERE ((status = 'pending' AND next_attempt_at <= ?1)
                    OR (status = 'sending' AND lease_until <= ?1))
               AND {NO_OLDER_UNSENT}
             ORDER BY next_attempt_at, id LIMIT ?2"
        ),
        &[text(now), int(limit)],
    )?
    .rows
    .iter()
    .map(|r| req_int(r, 0))
    .collect()
}

/// Sends the messages this request queued (and so holds), in order, right after its
/// transaction committed. Returns how many the providers took. Without a usable
/// configuration they stay in the outbox: their lease runs out and the tick sends them.
pub fn send_queued(db: &Db, ids: &[i64]) -> usize {
    if ids.is_empty() {
        return 0;
    }
    let policy = match crate::config::retry_policy() {
        Ok(policy) => policy,
        Err(error) => {
            eprintln!("messages left in the outbox: {error}");
            return 0;
        }
    };
    let channels = Channels::load();
    // What the request had to make durable is committed; outcomes are cheap to lose.
    db.relax_durability();
    let mut sent = 0;
    for &id in ids {
        match send_claimed(db, id, &channels, policy) {
            Ok(Delivery::Sent) => sent += 1,
            Ok(other) => eprintln!("outbox message {id}: {other:?}"),
            Err(error) => eprintln!("outbox message {id} left pending: {error}"),
        }
    }
    sent
}

/// Claims one due message (pending, or abandoned by a sender whose lease ran out), sends it
/// and records the outcome. The claim is one conditional UPDATE with a fresh token, so of two
/// ticks racing for the same row exactly one gets it, and only that one records the outcome.
pub fn deliver(
    db: &Db,
    id: i64,
    channels: &Channels,
    policy: RetryPolicy,
    now: Timestamp,
) -> Result<Delivery, DbError> {
    let token = claim_token();
    let claimed = db.row(
        &format!(
            "UPDATE outbox SET status = 'sending', lease_until = ?1, claim_token = ?2,
                    attempts = attempts + 1
             WHERE id = ?3
               AND ((status = 'pending' AND next_attempt_at <= ?4)
                    OR (status = 'sending' AND lease_until <= ?4))
               AND {NO_OLDER_UNSENT}
             RETURNING {MESSAGE_COLUMNS}"
        ),
        &[
            text(now.plus_secs(channels.lease_secs()).to_rfc3339()),
            text(token.clone()),
            int(id),
            text(now.to_rfc3339()),
        ],
    )?;
    match claimed {
        Some(row) => send_row(db, id, &token, &row, channels, policy),
        None => Ok(Delivery::NotClaimed),
    }
}

/// Sends a message this request queued with [`enqueue`]: re-claims it under a fresh token
/// with a lease that starts now, if the request still holds it. A message whose claim was
/// taken over (its lease ran out before the request got to it) is not sent; one that an older
/// message to the same recipient now holds back goes back to the queue.
///
/// While the claim it was born with still has a whole send's lease left — always so for the
/// first message a request sends — it is sent under that claim, checked by a read: no write,
/// so no wait for the lock and no disk flush before the provider is called.
pub fn send_claimed(
    db: &Db,
    id: i64,
    channels: &Channels,
    policy: RetryPolicy,
) -> Result<Delivery, DbError> {
    let now = Timestamp::now();
    let still_fresh = db.row(
        &format!(
            "SELECT {MESSAGE_COLUMNS} FROM outbox
             WHERE id = ?1 AND status = 'sending' AND claim_token = ?2 AND lease_until >= ?3
               AND {NO_OLDER_UNSENT}"
        ),
        &[
            int(id),
            text(db.holder()),
            // A whole send's lease, less a margin of half a minute (the born lease has one
            // minute more than a send can take), so a message queued in the same request a
            // moment ago qualifies.
            text(
                now.plus_secs(channels.lease_secs() - BORN_CLAIM_MARGIN_SECS)
                    .to_rfc3339(),
            ),
        ],
    )?;
    if let Some(row) = still_fresh {
        let holder = db.holder().to_owned();
        return send_row(db, id, &holder, &row, channels, policy);
    }
    let token = claim_token();
    let claimed = db.row(
        &format!(
            "UPDATE outbox SET claim_token = ?1, lease_until = ?2
             WHERE id = ?3 AND status = 'sending' AND claim_token = ?4 AND {NO_OLDER_UNSENT}
             RETURNING {MESSAGE_COLUMNS}"
        ),
        &[
            text(token.clone()),
            text(now.plus_secs(channels.lease_secs()).to_rfc3339()),
            int(id),
            text(db.holder()),
        ],
    )?;
    if let Some(row) = claimed {
        return send_row(db, id, &token, &row, channels, policy);
    }
    // Not tried, so the attempt it was born with is not counted.
    db.execute(
        "UPDATE outbox SET status = 'pending', claim_token = NULL, lease_until = NULL,
                attempts = attempts - 1
         WHERE id = ? AND status = 'sending' AND claim_token = ?",
        &[int(id), text(db.holder())],
    )?;
    Ok(Delivery::NotClaimed)
}

/// How much of its born lease a message may have used up and still be sent under it.
const BORN_CLAIM_MARGIN_SECS: i64 = 30;

const MESSAGE_COLUMNS: &str = "recipient, recipient_name, subject, body_text, body_html, \
                               attempts, order_id, channel, template, dedupe_key, headers";

fn send_row(
    db: &Db,
    id: i64,
    token: &str,
    row: &spin_sdk::sqlite::RowResult,
    channels: &Channels,
    policy: RetryPolicy,
) -> Result<Delivery, DbError> {
    let message = StoredMessage {
        id,
        recipient: req_text(row, 0)?,
        recipient_name: get_text(row, 1)?,
        subject: get_text(row, 2)?.unwrap_or_default(),
        text: req_text(row, 3)?,
        html: get_text(row, 4)?,
        channel: req_text(row, 7)?,
        dedupe_key: req_text(row, 9)?,
        headers: get_text(row, 10)?,
    };
    let attempts = req_int(row, 5)?;
    let order_id = get_text(row, 6)?;
    let template = req_text(row, 8)?;
    let (provider, outcome) = channels.send(&message);
    let attempt = Attempt {
        id,
        token,
        provider,
        attempts,
        exhausted: attempts >= policy.max_attempts,
        channel: &message.channel,
        recipient: &message.recipient,
        order_id: order_id.as_deref(),
        for_staff: template == STAFF_NOTE_TEMPLATE,
    };
    let finished = Timestamp::now();
    db.transaction(|db| record_outcome(db, &attempt, &outcome, finished))
}

/// The template of notes to staff: a failed one makes no customer-contact task.
const STAFF_NOTE_TEMPLATE: &str = "staff-note";

/// One finished attempt, as recorded.
struct Attempt<'a> {
    id: i64,
    /// The claim the sender held; the outcome changes the row only while it still does.
    token: &'a str,
    provider: &'a str,
    attempts: i64,
    exhausted: bool,
    channel: &'a str,
    recipient: &'a str,
    order_id: Option<&'a str>,
    for_staff: bool,
}

fn record_outcome(
    db: &Db,
    attempt: &Attempt<'_>,
    outcome: &Outcome,
    now: Timestamp,
) -> Result<Delivery, DbError> {
    let (label, status, error) = match outcome {
        Outcome::Sent { .. } => ("sent", None, None),
        Outcome::Retryable { status, error, .. } => ("retryable", *status, Some(error.as_str())),
        Outcome::Permanent { status, error } => ("permanent", *status, Some(error.as_str())),
    };
    let written = write_outcome(db, attempt, outcome, now)?;
    db.execute(
        "INSERT INTO outbox_attempts (message_id, at, provider, outcome, http_status, error, late)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        &[
            int(attempt.id),
            text(now.to_rfc3339()),
            text(attempt.provider),
            text(label),
            status.map_or(spin_sdk::sqlite::Value::Null, |s| int(i64::from(s))),
            opt_text(error),
            int(i64::from(written.is_none())),
        ],
    )?;
    Ok(written.unwrap_or_else(|| {
        eprintln!(
            "outbox message {}: the {label} outcome came after another sender took the message \
             over; kept as a late attempt",
            attempt.id
        );
        Delivery::Late
    }))
}

/// Moves the message to the state the outcome calls for, if the sender still holds it
/// (`None` when its claim was taken over).
fn write_outcome(
    db: &Db,
    attempt: &Attempt<'_>,
    outcome: &Outcome,
    now: Timestamp,
) -> Result<Option<Delivery>, DbError> {
    let id = attempt.id;
    let provider = attempt.provider;
    let holds = |sql: &str, mut params: Vec<spin_sdk::sqlite::Value>| {
        params.extend([int(id), text(attempt.token)]);
        let sql =
            format!("{sql} WHERE id = ? AND status = 'sending' AND claim_token = ? RETURNING id");
        Ok::<_, DbError>(db.row(&sql, &params)?.is_some())
    };
    match outcome {
        Outcome::Sent { provider_id } => {
            let written = holds(
                "UPDATE outbox SET status = 'sent', sent_at = ?, provider = ?,
                        provider_message_id = ?, lease_until = NULL, claim_token = NULL,
                        last_error = NULL",
                vec![
                    text(now.to_rfc3339()),
                    text(provider),
                    opt_text(provider_id.as_deref()),
                ],
            )?;
            Ok(written.then_some(Delivery::Sent))
        }
        Outcome::Retryable {
            error, retry_after, ..
        } if !attempt.exhausted => {
            let asked = retry_after.map_or(0, |s| i64::try_from(s).unwrap_or(i64::MAX));
            let delay = jittered_backoff_secs(attempt.attempts, random_u64())
                .max(asked.min(MAX_PROVIDER_WAIT_SECS));
            let written = holds(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?, provider = ?,
                        lease_until = NULL, claim_token = NULL, last_error = ?",
                vec![
                    text(now.plus_secs(delay).to_rfc3339()),
                    text(provider),
                    text(error.clone()),
                ],
            )?;
            Ok(written.then_some(Delivery::Retrying))
        }
        Outcome::Retryable { error, .. } | Outcome::Permanent { error, .. } => {
            let final_error = if attempt.exhausted && matches!(outcome, Outcome::Retryable { .. }) {
                format!("gave up after {} attempts: {error}", attempt.attempts)
            } else {
                error.clone()
            };
            let written = holds(
                "UPDATE outbox SET status = 'failed', provider = ?, lease_until = NULL,
                        claim_token = NULL, last_error = ?",
                vec![text(provider), text(final_error.clone())],
            )?;
            if written && !attempt.for_staff {
                operator_task(db, attempt, &final_error, now)?;
            }
            Ok(written.then_some(Delivery::Failed))
        }
    }
}

/// A message that will never arrive becomes a task, so a person contacts the customer
/// another way. It goes to the order's manager when there is one.
fn operator_task(
    db: &Db,
    attempt: &Attempt<'_>,
    error: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    let manager = match attempt.order_id {
        Some(order_id) => db
            .row("SELECT manager FROM orders WHERE id = ?", &[text(order_id)])?
            .map(|row| get_text(&row, 0))
            .transpose()?
            .flatten(),
        None => None,
    };
    let assignee = crate::repo::tasks::manager_or_role(manager.as_deref());
    let plan =
        orderpath_core::task::message_failed(attempt.id, attempt.channel, attempt.recipient, error);
    crate::repo::tasks::create_planned(db, &plan, (attempt.order_id, &assignee), now)?;
    Ok(())
}

pub use crate::views::messages::MessageFilter;

/// Messages, newest first, at most `limit`; each with its attempts and why it waits (see
/// [`crate::views::messages`]).
pub fn list(
    db: &Db,
    filter: &MessageFilter,
    limit: i64,
) -> Result<Vec<serde_json::Value>, DbError> {
    crate::views::messages::list(db, filter, limit, Timestamp::now())
}

/// Why a message cannot be sent again.
#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    /// No such message.
    #[error("no message {0}")]
    NotFound(i64),
    /// Only a failed message is sent again; others are sent or on their way.
    #[error("message {id} is {status}; only a failed message can be sent again")]
    NotFailed {
        /// The message.
        id: i64,
        /// Its status.
        status: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Puts a failed message back in the queue with a fresh set of attempts. When nothing older
/// waits for the same recipient it is claimed by the caller, like a new message (see
/// [`enqueue`]): the caller hands it to the sender after the commit, so it goes out at once;
/// otherwise the tick sends it after the older ones. Returns it as listed, and whether it is
/// the caller's to hand over.
pub fn resend(db: &Db, id: i64, now: Timestamp) -> Result<(serde_json::Value, bool), ResendError> {
    let updated = db.row(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?1,
                lease_until = NULL, claim_token = NULL, resends = resends + 1
         WHERE id = ?2 AND status = 'failed'
         RETURNING (SELECT COUNT(*) FROM outbox o
                    WHERE o.channel = outbox.channel AND o.recipient = outbox.recipient
                      AND (outbox.channel <> 'webhook' OR o.order_id IS outbox.order_id)
                      AND o.id <> outbox.id AND o.status IN ('pending', 'sending'))",
        &[text(now.to_rfc3339()), int(id)],
    )?;
    let claimed = match &updated {
        Some(row) if req_int(row, 0)? == 0 => {
            db.execute(
                "UPDATE outbox SET status = 'sending', attempts = 1, lease_until = ?,
                        claim_token = ?
                 WHERE id = ?",
                &[
                    text(now.plus_secs(born_lease_secs()).to_rfc3339()),
                    text(db.holder()),
                    int(id),
                ],
            )?;
            true
        }
        _ => false,
    };
    let message = crate::views::messages::one(db, id, now)?.ok_or(ResendError::NotFound(id))?;
    if updated.is_none() {
        return Err(ResendError::NotFailed {
            id,
            status: message["status"].as_str().unwrap_or_default().to_owned(),
        });
    }
    Ok((message, claimed))
}

/// A fresh claim token: 128 random bits, as hex.
pub fn claim_token() -> String {
    format!("{:016x}{:016x}", random_u64(), random_u64())
}

/// Randomness from the host (WASI `random`): claim tokens, and spreading retries.
pub(crate) fn random_u64() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        wasi::random::random::get_random_u64()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        // Native builds only run the unit tests, which need distinct values, not secret ones.
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_fifth_of_the_backoff() {
        for random in [0, 1, 47, u64::MAX / 3, u64::MAX] {
            let secs = jittered_backoff_secs(3, random);
            assert!((192..=288).contains(&secs), "{secs}");
        }
        assert_ne!(jittered_backoff_secs(3, 0), jittered_backoff_secs(3, 96));
    }

    fn message(channel: &str, headers: &[(&str, &str)]) -> NewMessage<'static> {
        NewMessage {
            dedupe_key: "marketing:1".into(),
            order_id: None,
            channel: if channel == "email" { "email" } else { "sms" },
            template: "newsletter",
            to: "anna@example.com",
            to_name: None,
            subject: Some("s"),
            text: "t",
            html: None,
            not_before: None,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn headers_are_stored_as_json_pairs_with_canonical_names() {
        let stored = stored_headers(&message(
            "email",
            &[
                ("list-unsubscribe", "<https://tea.example/u/1>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ],
        ))
        .expect("valid");
        assert_eq!(
            stored.as_deref(),
            Some(
                r#"[["List-Unsubscribe","<https://tea.example/u/1>"],["List-Unsubscribe-Post","List-Unsubscribe=One-Click"]]"#
            )
        );
    }

    #[test]
    fn no_headers_store_null() {
        assert_eq!(stored_headers(&message("email", &[])).expect("valid"), None);
        assert_eq!(stored_headers(&message("sms", &[])).expect("valid"), None);
    }

    #[test]
    fn a_header_that_cannot_be_sent_refuses_the_message() {
        let refused = stored_headers(&message(
            "email",
            &[(
                "List-Unsubscribe",
                "<https://tea.example/u>\r\nBcc: x@example.com",
            )],
        ));
        assert!(
            matches!(
                refused,
                Err(EnqueueError::Headers {
                    source: HeaderError::ControlCharacter("List-Unsubscribe"),
                    ..
                })
            ),
            "{refused:?}"
        );
        let refused = stored_headers(&message("email", &[("Subject", "free tea")]));
        assert!(
            matches!(
                refused,
                Err(EnqueueError::Headers {
                    source: HeaderError::NotAllowed(_),
                    ..
                })
            ),
            "{refused:?}"
        );
    }

    #[test]
    fn only_an_email_has_header_fields() {
        let refused = stored_headers(&message(
            "sms",
            &[("List-Unsubscribe", "<https://tea.example/u>")],
        ));
        assert!(
            matches!(refused, Err(EnqueueError::HeadersOffEmail { ref channel, .. }) if channel == "sms"),
            "{refused:?}"
        );
    }

    #[test]
    fn backoff_doubles_from_a_minute_and_is_capped() {
        assert_eq!(backoff_secs(1), 60);
        assert_eq!(backoff_secs(2), 120);
        assert_eq!(backoff_secs(5), 960);
        assert_eq!(backoff_secs(40), 6 * 3600);
    }
}
