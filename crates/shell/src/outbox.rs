//! The outbox: a message is a row before it is a request.
//!
//! A message is inserted in the same transaction as the event that caused it, so it exists
//! exactly when the event's effects do. It is born claimed by the request that queued it
//! (`status = 'sending'` with a lease), so that request can send it right after answering
//! without another write. Anyone else — the scheduler tick, a resend — claims a row with a
//! conditional `UPDATE … WHERE status = 'pending'` (one statement, atomic on any number of
//! instances). After the call, the attempt and the new state are recorded in one transaction.
//! A message that could not be sent goes back to `pending` with its error and a next attempt
//! time. If a sender dies mid-call, the lease runs out and the row is due again. The
//! `dedupe_key` makes the same logical message (e.g. C1 for one order) impossible to queue
//! twice.

use crate::clock::Timestamp;
use crate::config::EmailConfig;
use crate::db::{get_text, int, opt_text, req_int, req_text, text, Db, DbError};
use crate::email::{self, EmailMessage, SendOutcome};

/// How long a claimed message is reserved for its sender.
const LEASE_SECS: i64 = 120;

/// An email to queue.
#[derive(Debug, Clone)]
pub struct NewEmail<'a> {
    /// Makes the message unique, e.g. `order_created:A-1001`.
    pub dedupe_key: String,
    /// The order it belongs to.
    pub order_id: Option<&'a str>,
    /// Template name, e.g. `order_created`.
    pub template: &'a str,
    /// Recipient address.
    pub to: &'a str,
    /// Recipient name.
    pub to_name: Option<&'a str>,
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text body.
    pub text: &'a str,
    /// HTML body, if any.
    pub html: Option<&'a str>,
}

/// Queues an email, claimed by the caller, who must call [`send_claimed_email`] after the
/// transaction commits. Returns its id, or `None` when a message with the same dedupe key
/// exists.
pub fn enqueue_email(
    db: &Db,
    email: &NewEmail<'_>,
    now: Timestamp,
) -> Result<Option<i64>, DbError> {
    let lease = now.plus_secs(LEASE_SECS).to_rfc3339();
    let now = now.to_rfc3339();
    let row = db.row(
        "INSERT INTO outbox (dedupe_key, order_id, channel, template, recipient, recipient_name,
                             subject, body_text, body_html, status, attempts, lease_until,
                             next_attempt_at, created_at)
         VALUES (?, ?, 'email', ?, ?, ?, ?, ?, ?, 'sending', 1, ?, ?, ?)
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING id",
        &[
            text(email.dedupe_key.clone()),
            opt_text(email.order_id),
            text(email.template),
            text(email.to),
            opt_text(email.to_name),
            text(email.subject),
            text(email.text),
            opt_text(email.html),
            text(lease),
            text(now.clone()),
            text(now),
        ],
    )?;
    row.map(|r| req_int(&r, 0)).transpose()
}

/// What happened to a message on a delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Another sender holds it, or it is no longer pending.
    NotClaimed,
    /// Sent now.
    Sent,
    /// Will be retried.
    Retrying,
    /// Refused for good.
    Failed,
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

/// Ids of emails due for an attempt: pending and due, or abandoned by a sender whose lease ran
/// out. Oldest first, at most `limit`.
pub fn due_emails(db: &Db, now: Timestamp, limit: i64) -> Result<Vec<i64>, DbError> {
    let now = now.to_rfc3339();
    db.execute(
        "SELECT id FROM outbox
         WHERE channel = 'email'
           AND ((status = 'pending' AND next_attempt_at <= ?1)
                OR (status = 'sending' AND lease_until <= ?1))
         ORDER BY next_attempt_at, id LIMIT ?2",
        &[text(now), int(limit)],
    )?
    .rows
    .iter()
    .map(|r| req_int(r, 0))
    .collect()
}

/// Sends the emails this request queued (and so holds), right after its transaction
/// committed. Returns how many the provider took. Without a usable email configuration they
/// stay in the outbox: their lease runs out and the scheduler tick sends them once it is
/// fixed.
pub fn send_queued_emails(db: &Db, ids: &[i64]) -> usize {
    if ids.is_empty() {
        return 0;
    }
    let settings =
        crate::config::email().and_then(|email| Ok((email, crate::config::retry_policy()?)));
    let (email, policy) = match settings {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("emails left in the outbox: {error}");
            return 0;
        }
    };
    let mut sent = 0;
    for &id in ids {
        match send_claimed_email(db, id, &email, policy) {
            Ok(Delivery::Sent) => sent += 1,
            Ok(other) => eprintln!("outbox message {id}: {other:?}"),
            Err(error) => eprintln!("outbox message {id} left pending: {error}"),
        }
    }
    sent
}

/// Claims one due email (pending, or abandoned by a sender whose lease ran out), sends it and
/// records the outcome. The claim is one conditional UPDATE, so of two ticks racing for the
/// same row exactly one gets it.
pub fn deliver_email(
    db: &Db,
    id: i64,
    config: &EmailConfig,
    policy: RetryPolicy,
    now: Timestamp,
) -> Result<Delivery, DbError> {
    let now_text = now.to_rfc3339();
    let claimed = db.row(
        &format!(
            "UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1
             WHERE id = ? AND channel = 'email'
               AND ((status = 'pending' AND next_attempt_at <= ?)
                    OR (status = 'sending' AND lease_until <= ?))
             RETURNING {MESSAGE_COLUMNS}"
        ),
        &[
            text(now.plus_secs(LEASE_SECS).to_rfc3339()),
            int(id),
            text(now_text.clone()),
            text(now_text),
        ],
    )?;
    match claimed {
        Some(row) => send_row(db, id, &row, config, policy),
        None => Ok(Delivery::NotClaimed),
    }
}

/// Sends an email this request queued with [`enqueue_email`] (and so already holds).
pub fn send_claimed_email(
    db: &Db,
    id: i64,
    config: &EmailConfig,
    policy: RetryPolicy,
) -> Result<Delivery, DbError> {
    let row = db.row(
        &format!("SELECT {MESSAGE_COLUMNS} FROM outbox WHERE id = ? AND status = 'sending'"),
        &[int(id)],
    )?;
    match row {
        Some(row) => send_row(db, id, &row, config, policy),
        None => Ok(Delivery::NotClaimed),
    }
}

const MESSAGE_COLUMNS: &str =
    "recipient, recipient_name, subject, body_text, body_html, attempts, order_id";

fn send_row(
    db: &Db,
    id: i64,
    row: &spin_sdk::sqlite::RowResult,
    config: &EmailConfig,
    policy: RetryPolicy,
) -> Result<Delivery, DbError> {
    let recipient = req_text(row, 0)?;
    let recipient_name = get_text(row, 1)?;
    let subject = get_text(row, 2)?.unwrap_or_default();
    let body_text = req_text(row, 3)?;
    let body_html = get_text(row, 4)?;
    let attempts = req_int(row, 5)?;
    let order_id = get_text(row, 6)?;

    let outcome = email::send(
        config,
        &EmailMessage {
            to: &recipient,
            to_name: recipient_name.as_deref(),
            subject: &subject,
            text: &body_text,
            html: body_html.as_deref(),
        },
    );
    let attempt = Attempt {
        id,
        provider: config.provider.name(),
        attempts,
        exhausted: attempts >= policy.max_attempts,
        recipient: &recipient,
        order_id: order_id.as_deref(),
    };
    let finished = Timestamp::now();
    db.transaction(|db| record_outcome(db, &attempt, &outcome, finished))
}

/// One finished attempt, as recorded.
struct Attempt<'a> {
    id: i64,
    provider: &'a str,
    attempts: i64,
    exhausted: bool,
    recipient: &'a str,
    order_id: Option<&'a str>,
}

fn record_outcome(
    db: &Db,
    attempt: &Attempt<'_>,
    outcome: &SendOutcome,
    now: Timestamp,
) -> Result<Delivery, DbError> {
    let id = attempt.id;
    let provider = attempt.provider;
    let at = now.to_rfc3339();
    let (label, status, error, delivery) = match outcome {
        SendOutcome::Sent { provider_id } => {
            db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, provider = ?,
                        provider_message_id = ?, lease_until = NULL, last_error = NULL
                 WHERE id = ?",
                &[
                    text(at.clone()),
                    text(provider),
                    opt_text(provider_id.as_deref()),
                    int(id),
                ],
            )?;
            ("sent", None, None, Delivery::Sent)
        }
        SendOutcome::Retryable { status, error } if !attempt.exhausted => {
            let delay = jittered_backoff_secs(attempt.attempts, random_u64());
            db.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?, provider = ?,
                        lease_until = NULL, last_error = ?
                 WHERE id = ?",
                &[
                    text(now.plus_secs(delay).to_rfc3339()),
                    text(provider),
                    text(error.clone()),
                    int(id),
                ],
            )?;
            ("retryable", *status, Some(error), Delivery::Retrying)
        }
        SendOutcome::Retryable { status, error } | SendOutcome::Permanent { status, error } => {
            let final_error =
                if attempt.exhausted && matches!(outcome, SendOutcome::Retryable { .. }) {
                    format!("gave up after {} attempts: {error}", attempt.attempts)
                } else {
                    error.clone()
                };
            db.execute(
                "UPDATE outbox SET status = 'failed', provider = ?, lease_until = NULL,
                        last_error = ?
                 WHERE id = ?",
                &[text(provider), text(final_error.clone()), int(id)],
            )?;
            operator_task(db, attempt, &final_error, now)?;
            let label = match outcome {
                SendOutcome::Permanent { .. } => "permanent",
                _ => "retryable",
            };
            (label, *status, Some(error), Delivery::Failed)
        }
    };
    db.execute(
        "INSERT INTO outbox_attempts (message_id, at, provider, outcome, http_status, error)
         VALUES (?, ?, ?, ?, ?, ?)",
        &[
            int(id),
            text(at),
            text(provider),
            text(label),
            status.map_or(spin_sdk::sqlite::Value::Null, |s| int(i64::from(s))),
            opt_text(error.map(String::as_str)),
        ],
    )?;
    Ok(delivery)
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
    let assignee = manager.map_or_else(|| "role:manager".to_owned(), |m| format!("staff:{m}"));
    let title = format!(
        "Email to {} was not delivered ({error}); contact the customer another way",
        attempt.recipient
    );
    crate::tasks::create(
        db,
        &crate::tasks::NewTask {
            dedupe_key: Some(format!("outbox-failed:{}", attempt.id)),
            order_id: attempt.order_id,
            kind: "message_failed",
            title: &title,
            reason: "outbox:failed",
            assignee: &assignee,
            due_at: now,
        },
        now,
    )?;
    Ok(())
}

/// Randomness from the host (WASI `random`); only used to spread retries.
fn random_u64() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        wasi::random::random::get_random_u64()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
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

    #[test]
    fn backoff_doubles_from_a_minute_and_is_capped() {
        assert_eq!(backoff_secs(1), 60);
        assert_eq!(backoff_secs(2), 120);
        assert_eq!(backoff_secs(5), 960);
        assert_eq!(backoff_secs(40), 6 * 3600);
    }
}
