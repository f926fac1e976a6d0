//! The bonus ledger (`bonus_lines`, S6): lines in as the engine planned them, reversals, and a
//! period's lines out for the staff API.
//!
//! Idempotency is the `dedupe_key` (UNIQUE), written in the request's transaction with
//! `ON CONFLICT DO NOTHING`: a provider's retry, a replayed event or two instances racing on
//! the same change write each line once. The key of a rule that pays once per order is
//! (order, rule, person, category); one counting added items adds the cause (the webhook id),
//! so each change pays. A reversal's key is `reversal:<id of the line>`, so a line is reversed
//! at most once. Rows are never updated or deleted.

use orderpath_core::automation::engine::PlannedBonus;
use orderpath_core::bonus::LedgerLine;
use serde_json::json;

use crate::clock::Timestamp;
use crate::db::{get_int, get_text, int, opt_text, req_int, req_text, text, Db, DbError};

/// Where a bonus comes from: the order, the trigger and what caused the run.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The order.
    pub order_id: &'a str,
    /// The trigger whose action it is.
    pub trigger_id: &'a str,
    /// The run's cause (`orders:<webhook-id>`, `desk:<key>`).
    pub cause: &'a str,
}

/// The dedupe key of one line of a planned bonus.
pub fn line_key(bonus: &PlannedBonus, category: Option<&str>, source: &Source<'_>) -> String {
    let mut parts = vec![
        json!(source.order_id),
        json!(bonus.rule),
        json!(bonus.staff),
        json!(category),
    ];
    if bonus.per_change {
        parts.push(json!(source.cause));
    }
    format!("bonus:{}", serde_json::Value::Array(parts))
}

/// Writes a bonus's lines; returns the sum of those written now (0 when every line was
/// already there).
pub fn accrue(
    db: &Db,
    bonus: &PlannedBonus,
    source: &Source<'_>,
    now: Timestamp,
) -> Result<i64, DbError> {
    let mut written = 0_i64;
    for line in &bonus.lines {
        let key = line_key(bonus, line.category.as_deref(), source);
        let row = db.row(
            "INSERT INTO bonus_lines (dedupe_key, staff_id, order_id, trigger_id, rule, kind,
                                      calculation, category, base, rate, amount, currency,
                                      period, reverses, event_id, created_at)
             VALUES (?, ?, ?, ?, ?, 'accrual', ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
             ON CONFLICT (dedupe_key) DO NOTHING
             RETURNING amount",
            &[
                text(key),
                text(bonus.staff.as_str()),
                text(source.order_id),
                text(source.trigger_id),
                text(bonus.rule.as_str()),
                text(line.calculation.as_str()),
                opt_text(line.category.as_deref()),
                int(line.base),
                int(line.rate),
                int(line.amount),
                text(bonus.currency.as_str()),
                text(bonus.period.as_str()),
                text(source.cause),
                text(now.to_rfc3339()),
            ],
        )?;
        if let Some(row) = row {
            written = written.saturating_add(req_int(&row, 0)?);
        }
    }
    Ok(written)
}

/// What a reversal wrote: lines and their sum (negative), per person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reversed {
    /// (staff id, sum of their reversal lines).
    pub per_staff: Vec<(String, i64)>,
    /// Lines written.
    pub lines: usize,
}

/// Writes a negative line for each of the order's accruals (of `rules`, every rule when
/// empty) that has no reversal yet, in `period`.
pub fn reverse(
    db: &Db,
    rules: &[String],
    source: &Source<'_>,
    period: &str,
    now: Timestamp,
) -> Result<Reversed, DbError> {
    let rows = db.execute(
        "INSERT INTO bonus_lines (dedupe_key, staff_id, order_id, trigger_id, rule, kind,
                                  calculation, category, base, rate, amount, currency, period,
                                  reverses, event_id, created_at)
         SELECT 'reversal:' || b.id, b.staff_id, b.order_id, ?, b.rule, 'reversal',
                b.calculation, b.category, b.base, b.rate, -b.amount, b.currency, ?, b.id, ?, ?
         FROM bonus_lines AS b
         WHERE b.order_id = ? AND b.kind = 'accrual'
           AND (json_array_length(?) = 0 OR b.rule IN (SELECT value FROM json_each(?)))
         ORDER BY b.id
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING staff_id, amount",
        &[
            text(source.trigger_id),
            text(period),
            text(source.cause),
            text(now.to_rfc3339()),
            text(source.order_id),
            text(json!(rules).to_string()),
            text(json!(rules).to_string()),
        ],
    )?;
    let mut out = Reversed::default();
    for row in &rows.rows {
        let staff = req_text(row, 0)?;
        let amount = req_int(row, 1)?;
        out.lines += 1;
        match out.per_staff.iter_mut().find(|(s, _)| *s == staff) {
            Some((_, sum)) => *sum = sum.saturating_add(amount),
            None => out.per_staff.push((staff, amount)),
        }
    }
    Ok(out)
}

/// A period's lines, oldest first; only `staff`'s when given.
pub fn period_lines(
    db: &Db,
    period: &str,
    staff: Option<&str>,
) -> Result<Vec<LedgerLine>, DbError> {
    let rows = db.execute(
        "SELECT id, staff_id, order_id, rule, trigger_id, kind, calculation, category, base,
                rate, amount, currency, period, reverses, created_at
         FROM bonus_lines
         WHERE period = ?1 AND (?2 IS NULL OR staff_id = ?2)
         ORDER BY id",
        &[text(period), opt_text(staff)],
    )?;
    rows.rows
        .iter()
        .map(|row| {
            Ok(LedgerLine {
                id: req_int(row, 0)?,
                staff: req_text(row, 1)?,
                order_id: req_text(row, 2)?,
                rule: req_text(row, 3)?,
                trigger: req_text(row, 4)?,
                kind: req_text(row, 5)?,
                calculation: req_text(row, 6)?,
                category: get_text(row, 7)?,
                base: req_int(row, 8)?,
                rate: req_int(row, 9)?,
                amount: req_int(row, 10)?,
                currency: req_text(row, 11)?,
                period: req_text(row, 12)?,
                reverses: get_int(row, 13)?,
                at: req_text(row, 14)?,
            })
        })
        .collect()
}
