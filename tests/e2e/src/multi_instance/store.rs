//! The driver's own access to the shared database: reading what the instances stored, and
//! making the run's waiting rows due instead of waiting out real time.
//!
//! A retry waits a minute or more (backoff with jitter) and the pickup timers days; the driver
//! does not wait for them. It moves the due time (`outbox.next_attempt_at`, `timers.fire_at`)
//! of its own pending rows to a moment already past — what the clock would do to them — and
//! then ticks. Claiming, sending and recording are left entirely to the instances. Only the
//! run's rows (orders `MI-<run>-…`) are touched, in a `BEGIN IMMEDIATE` transaction like the
//! app's own writes.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use orderpath_core::automation::time::rfc3339::format_utc;
use rusqlite::{params, Connection, TransactionBehavior};

/// The database file the instances share.
pub struct Store {
    conn: Connection,
    /// `MI-<run>-%`: the run's orders.
    like: String,
}

/// A message as the outbox keeps it.
#[derive(Debug, Clone)]
pub struct Message {
    /// `outbox.id`.
    pub id: i64,
    /// `email`, `sms`, `telegram`.
    pub channel: String,
    /// Address as stored.
    pub recipient: String,
    /// The text sent.
    pub text: String,
    /// What made it (`dedupe_key`, which starts with the cause).
    pub dedupe_key: String,
    /// `sent`, `pending`, …
    pub status: String,
    /// Attempts counted on the row.
    pub attempts: i64,
    /// Rows in `outbox_attempts`, late ones included.
    pub attempt_rows: i64,
    /// Of those, answers that came after another sender took the message over.
    pub late_rows: i64,
    /// The provider's id recorded with the sent message.
    pub provider_id: Option<String>,
}

impl Store {
    /// Opens the database the instances share, for the run `MI-<run>-…`.
    pub fn open(path: &Path, run: &str) -> Result<Store> {
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(10))?;
        Ok(Store {
            conn,
            like: format!("MI-{run}-%"),
        })
    }

    /// One number.
    pub fn count(&self, sql: &str) -> Result<i64> {
        self.conn
            .query_row(sql, params![self.like], |row| row.get(0))
            .with_context(|| sql.to_owned())
    }

    /// `(key, number)` rows of a grouping query over the run's rows (`?1` is the pattern).
    pub fn grouped(&self, sql: &str) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn.prepare(sql).with_context(|| sql.to_owned())?;
        let rows = stmt
            .query_map(params![self.like], |row| {
                Ok((
                    row.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    row.get(1)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The run's timers: id, name, order.
    pub fn timers(&self) -> Result<Vec<(i64, String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, order_id FROM timers WHERE order_id LIKE ?1")?;
        let rows = stmt
            .query_map(params![self.like], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Messages queued for the run's orders and those still on their way (`sending`).
    pub fn unsettled(&self) -> Result<(i64, i64)> {
        Ok((
            self.count(
                "SELECT COUNT(*) FROM outbox WHERE order_id LIKE ?1 AND status = 'pending'",
            )?,
            self.count(
                "SELECT COUNT(*) FROM outbox WHERE order_id LIKE ?1 AND status = 'sending'",
            )?,
        ))
    }

    /// The run's pending messages become due at `now` (a second before it); how many.
    pub fn make_messages_due(&mut self, now: i64) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE outbox SET next_attempt_at = ?2
             WHERE order_id LIKE ?1 AND status = 'pending' AND next_attempt_at > ?2",
            params![self.like, format_utc(now - 1)],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// The run's pending timers become due at `now`; how many.
    pub fn make_timers_due(&mut self, now: i64) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE timers SET fire_at = ?2
             WHERE order_id LIKE ?1 AND status = 'pending' AND fire_at > ?2",
            params![self.like, format_utc(now - 1)],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Every message of the run's orders, with its attempts.
    pub fn messages(&self) -> Result<Vec<Message>> {
        let mut stmt = self.conn.prepare(
            "SELECT o.id, o.channel, o.recipient, o.body_text, o.dedupe_key, o.status,
                    o.attempts, o.provider_message_id,
                    (SELECT COUNT(*) FROM outbox_attempts a WHERE a.message_id = o.id),
                    (SELECT COUNT(*) FROM outbox_attempts a WHERE a.message_id = o.id
                                                             AND a.late = 1)
             FROM outbox o WHERE o.order_id LIKE ?1 ORDER BY o.id",
        )?;
        let rows = stmt
            .query_map(params![self.like], |row| {
                Ok(Message {
                    id: row.get(0)?,
                    channel: row.get(1)?,
                    recipient: row.get(2)?,
                    text: row.get(3)?,
                    dedupe_key: row.get(4)?,
                    status: row.get(5)?,
                    attempts: row.get(6)?,
                    provider_id: row.get(7)?,
                    attempt_rows: row.get(8)?,
                    late_rows: row.get(9)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
