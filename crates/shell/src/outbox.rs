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
    /// HTML body.
    pub html: &'a str,
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
            text(email.html),
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

/// Claims one due email (pending, or abandoned by a sender whose lease ran out), sends it and
/// records the outcome.
pub fn deliver_email(
    db: &Db,
    id: i64,
    config: &EmailConfig,
    now: Timestamp,
) -> Result<Delivery, DbError> {
    let now_text = now.to_rfc3339();
    let claimed = db.row(
        "UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1
         WHERE id = ? AND channel = 'email'
           AND ((status = 'pending' AND next_attempt_at <= ?)
                OR (status = 'sending' AND lease_until <= ?))
         RETURNING recipient, recipient_name, subject, body_text, body_html, attempts",
        &[
            text(now.plus_secs(LEASE_SECS).to_rfc3339()),
            int(id),
            text(now_text.clone()),
            text(now_text),
        ],
    )?;
    match claimed {
        Some(row) => send_row(db, id, &row, config),
        None => Ok(Delivery::NotClaimed),
    }
}

/// Sends an email this request queued with [`enqueue_email`] (and so already holds).
pub fn send_claimed_email(db: &Db, id: i64, config: &EmailConfig) -> Result<Delivery, DbError> {
    let row = db.row(
        "SELECT recipient, recipient_name, subject, body_text, body_html, attempts
         FROM outbox WHERE id = ? AND status = 'sending'",
        &[int(id)],
    )?;
    match row {
        Some(row) => send_row(db, id, &row, config),
        None => Ok(Delivery::NotClaimed),
    }
}

fn send_row(
    db: &Db,
    id: i64,
    row: &spin_sdk::sqlite::RowResult,
    config: &EmailConfig,
) -> Result<Delivery, DbError> {
    let recipient = req_text(row, 0)?;
    let recipient_name = get_text(row, 1)?;
    let subject = get_text(row, 2)?.unwrap_or_default();
    let body_text = req_text(row, 3)?;
    let body_html = get_text(row, 4)?;
    let attempts = req_int(row, 5)?;

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
    let provider = config.provider.name();
    let finished = Timestamp::now();
    db.transaction(|db| record_outcome(db, id, provider, attempts, &outcome, finished))
}

fn record_outcome(
    db: &Db,
    id: i64,
    provider: &str,
    attempts: i64,
    outcome: &SendOutcome,
    now: Timestamp,
) -> Result<Delivery, DbError> {
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
        SendOutcome::Retryable { status, error } => {
            let next = now.plus_secs(backoff_secs(attempts)).to_rfc3339();
            db.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?, provider = ?,
                        lease_until = NULL, last_error = ?
                 WHERE id = ?",
                &[text(next), text(provider), text(error.clone()), int(id)],
            )?;
            ("retryable", *status, Some(error), Delivery::Retrying)
        }
        SendOutcome::Permanent { status, error } => {
            db.execute(
                "UPDATE outbox SET status = 'failed', provider = ?, lease_until = NULL,
                        last_error = ?
                 WHERE id = ?",
                &[text(provider), text(error.clone()), int(id)],
            )?;
            ("permanent", *status, Some(error), Delivery::Failed)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_minute_and_is_capped() {
        assert_eq!(backoff_secs(1), 60);
        assert_eq!(backoff_secs(2), 120);
        assert_eq!(backoff_secs(5), 960);
        assert_eq!(backoff_secs(40), 6 * 3600);
    }
}
