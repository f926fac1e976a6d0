//! Time-based trigger work for the scheduler tick: due timers (delayed triggers and named
//! timers such as `invoice-check`) and status time limits (P3).
//!
//! Each piece of work is claimed and carried out in one `BEGIN IMMEDIATE` transaction: the
//! claim is a conditional UPDATE (`status = 'pending'` → `'fired'`, or the reminder time moving
//! from the value read), so two ticks running at once serialise on the lock and the second
//! finds nothing left to claim. Effects and claim commit together — exactly once.

use orderpath_core::automation::config::Config;
use orderpath_core::automation::engine::time_limit_due;
use orderpath_core::automation::event::DomainEvent;
use orderpath_core::event::OrderId;

use crate::clock::Timestamp;
use crate::db::{get_int, get_text, int, opt_text, req_int, req_text, text, Db, DbError};
use crate::plans::automation::{Effects, Run};

/// Ids of timers due now, oldest first.
pub fn due_timers(db: &Db, now: Timestamp, limit: i64) -> Result<Vec<i64>, DbError> {
    db.execute(
        "SELECT id FROM timers WHERE status = 'pending' AND fire_at <= ?
         ORDER BY fire_at, id LIMIT ?",
        &[text(now.to_rfc3339()), int(limit)],
    )?
    .rows
    .iter()
    .map(|r| req_int(r, 0))
    .collect()
}

/// Fires one timer if it is still pending; `None` when another tick took it.
pub fn fire(db: &Db, config: &Config, id: i64, now: Timestamp) -> Result<Option<Effects>, DbError> {
    db.transaction(|db| {
        let Some(row) = db.row(
            "UPDATE timers SET status = 'fired', fired_at = ?1
             WHERE id = ?2 AND status = 'pending' AND fire_at <= ?1
             RETURNING order_id, name, trigger_id, event, evaluation_id, fire_at",
            &[text(now.to_rfc3339()), int(id)],
        )?
        else {
            return Ok(None);
        };
        let order_id = req_text(&row, 0)?;
        let name = req_text(&row, 1)?;
        let cause = format!("timer:{id}");
        let run = Run {
            db,
            config,
            now,
            cause: &cause,
        };
        let delayed = get_text(&row, 2)?.zip(get_text(&row, 3)?);
        // The recorded evaluation that set it (none for timers set before migration 27).
        let evaluation = get_int(&row, 4)?;
        let effects = match delayed {
            Some((trigger_id, event)) => {
                let event: DomainEvent = serde_json::from_str(&event)
                    .map_err(|_| DbError::Shape("stored timer event"))?;
                run.handle_delayed(&order_id, &trigger_id, event, evaluation)?
            }
            None => {
                let order = OrderId::parse(&order_id).map_err(|_| DbError::Shape("order id"))?;
                let fire_at = get_text(&row, 5)?
                    .and_then(|t| Timestamp::parse_rfc3339(&t))
                    .unwrap_or(now);
                run.handle_timer(order, name, (evaluation, fire_at))?
            }
        };
        Ok(Some(effects))
    })
}

/// An order that may be past its status's time limit.
#[derive(Debug, Clone)]
pub struct Candidate {
    order_id: String,
    status: String,
}

/// Orders in statuses that have a time limit, longest waiting first.
pub fn time_limit_candidates(
    db: &Db,
    config: &Config,
    limit: i64,
) -> Result<Vec<Candidate>, DbError> {
    let limited: Vec<String> = config
        .statuses
        .path
        .statuses()
        .iter()
        .map(|s| s.code.clone())
        .filter(|code| config.statuses.timing(code).time_limit.is_some())
        .collect();
    if limited.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = vec!["?"; limited.len()].join(", ");
    let mut params: Vec<_> = limited.into_iter().map(text).collect();
    params.push(int(limit));
    db.execute(
        &format!(
            "SELECT id, status FROM orders WHERE status IN ({placeholders})
             ORDER BY status_entered_at LIMIT ?"
        ),
        &params,
    )?
    .rows
    .iter()
    .map(|r| {
        Ok(Candidate {
            order_id: req_text(r, 0)?,
            status: req_text(r, 1)?,
        })
    })
    .collect()
}

/// Raises `order.time_limit_exceeded` for an overdue order whose reminder is due (P3); the
/// next reminder follows the status's `reminder_every` until the order moves on.
pub fn remind_if_overdue(
    db: &Db,
    config: &Config,
    candidate: &Candidate,
    now: Timestamp,
) -> Result<Option<Effects>, DbError> {
    db.transaction(|db| {
        let Some(row) = db.row(
            "SELECT status_entered_at, last_reminder_at FROM orders WHERE id = ? AND status = ?",
            &[
                text(candidate.order_id.clone()),
                text(candidate.status.clone()),
            ],
        )?
        else {
            return Ok(None);
        };
        let entered = get_text(&row, 0)?
            .and_then(|t| Timestamp::parse_rfc3339(&t))
            .unwrap_or(now);
        let last_text = get_text(&row, 1)?;
        let last = last_text.as_deref().and_then(Timestamp::parse_rfc3339);
        let Some(state) = time_limit_due(
            config,
            &candidate.status,
            entered.unix(),
            last.map(Timestamp::unix),
            now.unix(),
        ) else {
            return Ok(None);
        };
        if state.next_reminder_at.is_none_or(|at| at > now.unix()) {
            return Ok(None);
        }
        let claimed = db.row(
            "UPDATE orders SET last_reminder_at = ?
             WHERE id = ? AND status = ? AND last_reminder_at IS ?
             RETURNING id",
            &[
                text(now.to_rfc3339()),
                text(candidate.order_id.clone()),
                text(candidate.status.clone()),
                opt_text(last_text.as_deref()),
            ],
        )?;
        if claimed.is_none() {
            return Ok(None);
        }
        let order = OrderId::parse(&candidate.order_id).map_err(|_| DbError::Shape("order id"))?;
        let cause = format!("overdue:{}:{}", candidate.order_id, now.to_rfc3339());
        let run = Run {
            db,
            config,
            now,
            cause: &cause,
        };
        let event = DomainEvent::TimeLimitExceeded {
            order_id: order,
            status: candidate.status.clone(),
            overdue_for: now.unix() - state.overdue_since,
        };
        run.handle(&candidate.order_id, event).map(Some)
    })
}
