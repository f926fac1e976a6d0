//! Retention, run by the tick: idempotency records and raw notifications older than the
//! retention period (`retention_days`, see [`orderpath_core::retention`]) are deleted or
//! cleared, and recorded trigger evaluations (their facts hold personal data) older than
//! `trigger_evaluations_keep_days` of shop.toml are deleted, [`BATCH`] rows per table per
//! tick, oldest first. Each batch is one statement, so a
//! tick that dies halfway leaves every row either kept or gone, and the next tick goes on.

use orderpath_core::retention::{Retention, BATCH};
use serde_json::{json, Value};

use crate::clock::Timestamp;
use crate::config::{self, ConfigError};
use crate::db::{int, text, Db, DbError};

/// The configured retention period.
pub fn period() -> Result<Retention, ConfigError> {
    Retention::parse(&config::var("retention_days")?).map_err(|reason| ConfigError::Invalid {
        name: "retention_days",
        reason,
    })
}

/// One batch per table; answers how many rows each batch touched.
pub fn enforce(db: &Db, retention: Retention, now: Timestamp) -> Result<Value, DbError> {
    let cutoff = Timestamp::from_unix(retention.cutoff(now.unix())).to_rfc3339();
    // Idempotency records: the key, body digest and stored answer of each notification.
    let keys = count(db.execute(
        "DELETE FROM inbound_events WHERE rowid IN (
             SELECT rowid FROM inbound_events WHERE received_at < ?
             ORDER BY received_at LIMIT ?)
         RETURNING 1",
        &[text(cutoff.clone()), int(BATCH)],
    )?);
    // Raw notifications (payer names, card masks, addresses); the payment or parcel stays.
    let mut cleared = Vec::new();
    for table in ["payments", "deliveries"] {
        let sql = format!(
            "UPDATE {table} SET raw = NULL WHERE id IN (
                 SELECT id FROM {table} WHERE raw IS NOT NULL AND received_at < ?
                 ORDER BY received_at LIMIT ?)
             RETURNING 1"
        );
        cleared.push(count(
            db.execute(&sql, &[text(cutoff.clone()), int(BATCH)])?,
        ));
    }
    Ok(json!({
        "days": retention.days(),
        "idempotency_records_deleted": keys,
        "payment_payloads_cleared": cleared[0],
        "delivery_payloads_cleared": cleared[1],
    }))
}

/// One batch of recorded trigger evaluations older than `keep_days`; answers how many went.
pub fn evaluations(db: &Db, keep_days: i64, now: Timestamp) -> Result<usize, DbError> {
    let cutoff = Timestamp::from_unix(now.unix().saturating_sub(keep_days.saturating_mul(86_400)));
    Ok(count(db.execute(
        "DELETE FROM trigger_evaluations WHERE id IN (
             SELECT id FROM trigger_evaluations WHERE at < ? ORDER BY at LIMIT ?)
         RETURNING 1",
        &[text(cutoff.to_rfc3339()), int(BATCH)],
    )?))
}

fn count(result: spin_sdk::sqlite::QueryResult) -> usize {
    result.rows.len()
}
