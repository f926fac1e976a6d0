//! Payments as they were reported, one row per payment and outcome.

use crate::clock::Timestamp;
use crate::db::{int, opt_text, text, Db, DbError};

/// A payment report to keep.
pub struct NewPayment<'a> {
    /// Who reported it (`orders`, later an acquirer's name).
    pub source: &'a str,
    /// The acquirer's payment id, when known.
    pub payment_id: Option<&'a str>,
    /// Our order.
    pub order_id: &'a str,
    /// `succeeded`, `failed`, `refunded`, `authorised`.
    pub status: &'a str,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// Why it failed, as reported.
    pub reason: Option<&'a str>,
    /// The inbound event behind it.
    pub event_id: &'a str,
}

/// Stores the report; `false` when this payment already has this outcome (a duplicate
/// report under another event id), so its effects must not run again.
pub fn record(db: &Db, payment: &NewPayment<'_>, now: Timestamp) -> Result<bool, DbError> {
    let inserted = db.execute(
        "INSERT INTO payments (source, payment_id, order_id, status, amount, currency, reason,
                               event_id, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (source, payment_id, status) WHERE payment_id IS NOT NULL DO NOTHING
         RETURNING id",
        &[
            text(payment.source),
            opt_text(payment.payment_id),
            text(payment.order_id),
            text(payment.status),
            int(payment.amount),
            text(payment.currency),
            opt_text(payment.reason),
            text(payment.event_id),
            text(now.to_rfc3339()),
        ],
    )?;
    Ok(!inserted.rows.is_empty())
}
