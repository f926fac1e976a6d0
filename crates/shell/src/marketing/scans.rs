//! The tick's marketing work: dates coming up (M6), products due again (M8) and customers who
//! stopped buying (M9's `lapsed`). Each piece is claimed with a conditional UPDATE and carried
//! out in its own `BEGIN IMMEDIATE` transaction with the triggers it runs, so overlapping ticks
//! never raise the same event twice, and a bounded number is done per tick.

use orderpath_core::automation::config::Config;
use orderpath_core::automation::event::{CustomerEvent, DomainEvent};
use orderpath_core::marketing::{self as core, defaults, threshold, MonthDay, Purchase};
use serde_json::{Map, Value};

use crate::clock::Timestamp;
use crate::db::{get_text, int, opt_text, req_int, req_text, text, Db, DbError};
use crate::plans::automation::{Effects, Run};

/// At most this many of each kind per tick.
const PER_TICK: i64 = 100;

/// What a tick's marketing pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Scanned {
    /// M6 offers raised.
    pub dates: usize,
    /// M8 reminders raised.
    pub repeats: usize,
    /// Customers whose segment moved (M9).
    pub segments: usize,
}

/// Runs the three scans.
pub fn run(
    db: &Db,
    config: &Config,
    now: Timestamp,
    queued: &mut Effects,
) -> Result<Scanned, DbError> {
    Ok(Scanned {
        dates: dates(db, config, now, queued)?,
        repeats: repeats(db, config, now, queued)?,
        segments: lapsed(db, config, now, queued)?,
    })
}

/// Runs the customer's triggers for an event the tick raised, keyed by `cause`.
fn raise(
    db: &Db,
    config: &Config,
    (now, cause): (Timestamp, &str),
    customer_id: i64,
    event: DomainEvent,
) -> Result<Effects, DbError> {
    let run = Run {
        db,
        config,
        now,
        cause,
    };
    run.handle_customer(customer_id, event)
}

fn ids(db: &Db, sql: &str, params: &[spin_sdk::sqlite::Value]) -> Result<Vec<i64>, DbError> {
    db.execute(sql, params)?
        .rows
        .iter()
        .map(|r| req_int(r, 0))
        .collect()
}

/// M6: each date whose offer time has come raises `customer.date_approaching` once, and its
/// next offer moves to the next year.
fn dates(db: &Db, config: &Config, now: Timestamp, queued: &mut Effects) -> Result<usize, DbError> {
    let due = ids(
        db,
        "SELECT id FROM customer_dates WHERE offer_at <= ? ORDER BY offer_at LIMIT ?",
        &[int(now.unix()), int(PER_TICK)],
    )?;
    let t = &config.shop.thresholds;
    let days_before = threshold(t, defaults::DATE_DAYS_BEFORE);
    let mut raised = 0;
    for id in due {
        let effects = db.transaction(|db| -> Result<Option<Effects>, DbError> {
            let Some(row) = db.row(
                "SELECT customer_id, kind, label, month, day, offer_at, offer_year
                 FROM customer_dates WHERE id = ? AND offer_at <= ?",
                &[int(id), int(now.unix())],
            )?
            else {
                return Ok(None);
            };
            let customer_id = req_int(&row, 0)?;
            let month = u32::try_from(req_int(&row, 3)?).unwrap_or(1);
            let day = u32::try_from(req_int(&row, 4)?).unwrap_or(1);
            let (offer_at, year) = (req_int(&row, 5)?, req_int(&row, 6)?);
            let date = MonthDay { month, day };
            let (next_at, next_year) = core::next_date_offer(
                date,
                days_before,
                threshold(t, defaults::SEND_HOUR),
                &config.shop.time_zone,
                now.unix().max(offer_at),
            );
            let claimed = db.row(
                "UPDATE customer_dates SET offer_at = ?, offer_year = ?
                 WHERE id = ? AND offer_at = ? RETURNING id",
                &[
                    int(next_at),
                    int(i64::from(next_year)),
                    int(id),
                    int(offer_at),
                ],
            )?;
            if claimed.is_none() {
                return Ok(None);
            }
            let mut data = Map::new();
            data.insert("kind".into(), req_text(&row, 1)?.into());
            data.insert(
                "label".into(),
                get_text(&row, 2)?.map_or(Value::Null, Value::from),
            );
            data.insert("date".into(), format!("{month:02}-{day:02}").into());
            data.insert("year".into(), year.into());
            data.insert("days_before".into(), days_before.into());
            let event = DomainEvent::DateApproaching(CustomerEvent {
                customer_id,
                at: now.unix(),
                data,
            });
            raise(
                db,
                config,
                (now, &format!("m6:{id}:{year}")),
                customer_id,
                event,
            )
            .map(Some)
        })?;
        if let Some(effects) = effects {
            raised += 1;
            queued.messages.extend(effects.messages);
        }
    }
    Ok(raised)
}

/// M8: an order bought (its status in the `done` group) sets, per item with a cycle, when to
/// remind its customer; a newer purchase of the article replaces the reminder.
pub fn plan_repeats(
    db: &Db,
    config: &Config,
    order_id: &str,
    items: &[orderpath_core::event::Item],
    now: Timestamp,
) -> Result<(), DbError> {
    let Some(row) = db.row(
        "SELECT customer_id, unixepoch(created_at) FROM orders WHERE id = ? AND customer_id IS NOT NULL",
        &[text(order_id)],
    )?
    else {
        return Ok(());
    };
    let customer_id = req_int(&row, 0)?;
    let bought_at = crate::db::get_int(&row, 1)?.unwrap_or(now.unix());
    let earlier: Vec<Purchase> = db
        .execute(
            "SELECT i.sku, unixepoch(o.created_at) FROM orders AS o
             JOIN order_items AS i ON i.order_id = o.id
             WHERE o.customer_id = ? AND o.id <> ?
               AND o.status IN (SELECT value FROM json_each(?))",
            &[
                int(customer_id),
                text(order_id),
                text(super::bought_statuses(config)),
            ],
        )?
        .rows
        .iter()
        .filter_map(|r| {
            Some(Purchase {
                sku: req_text(r, 0).ok()?,
                at: crate::db::get_int(r, 1).ok().flatten()?,
            })
        })
        .collect();
    let t = &config.shop.thresholds;
    let due = core::repeat_reminders(
        items,
        bought_at,
        &earlier,
        &config.shop.repeat_cycles,
        threshold(t, defaults::REPEAT_DAYS_BEFORE),
    );
    for r in due {
        db.execute(
            "INSERT INTO repeat_reminders (customer_id, sku, name, category, order_id, bought_at,
                                           cycle_days, source, remind_at, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending')
             ON CONFLICT (customer_id, sku) DO UPDATE SET
                name = ?3, category = ?4, order_id = ?5, bought_at = ?6, cycle_days = ?7,
                source = ?8, remind_at = ?9, status = 'pending'
             WHERE repeat_reminders.bought_at <= ?6",
            &[
                int(customer_id),
                text(r.sku),
                text(r.name),
                opt_text(r.category.as_deref()),
                text(order_id),
                int(bought_at),
                int(r.cycle_days),
                text(r.source),
                int(r.remind_at),
            ],
        )?;
    }
    Ok(())
}

/// M8: each reminder come due raises `customer.repeat_due` once, unless the customer has
/// ordered the article again since (checked now, when it fires).
fn repeats(
    db: &Db,
    config: &Config,
    now: Timestamp,
    queued: &mut Effects,
) -> Result<usize, DbError> {
    let due = db.execute(
        "SELECT customer_id, sku FROM repeat_reminders
         WHERE status = 'pending' AND remind_at <= ? ORDER BY remind_at LIMIT ?",
        &[int(now.unix()), int(PER_TICK)],
    )?;
    let mut raised = 0;
    for row in &due.rows {
        let (customer_id, sku) = (req_int(row, 0)?, req_text(row, 1)?);
        let effects = db.transaction(|db| -> Result<Option<Effects>, DbError> {
            let Some(row) = db.row(
                "UPDATE repeat_reminders SET status =
                    CASE WHEN EXISTS (
                        SELECT 1 FROM orders AS o JOIN order_items AS i ON i.order_id = o.id
                        WHERE o.customer_id = ?1 AND i.sku = ?2
                          AND unixepoch(o.created_at) > repeat_reminders.bought_at)
                    THEN 'bought_again' ELSE 'sent' END
                 WHERE customer_id = ?1 AND sku = ?2 AND status = 'pending' AND remind_at <= ?3
                 RETURNING status, name, category, order_id, bought_at, cycle_days, source",
                &[int(customer_id), text(sku.clone()), int(now.unix())],
            )?
            else {
                return Ok(None);
            };
            if req_text(&row, 0)? != "sent" {
                return Ok(None);
            }
            let mut data = Map::new();
            data.insert("sku".into(), sku.clone().into());
            data.insert("name".into(), req_text(&row, 1)?.into());
            data.insert(
                "category".into(),
                get_text(&row, 2)?.map_or(Value::Null, Value::from),
            );
            data.insert("order_id".into(), req_text(&row, 3)?.into());
            data.insert("bought_at".into(), req_int(&row, 4)?.into());
            data.insert("cycle_days".into(), req_int(&row, 5)?.into());
            data.insert("source".into(), req_text(&row, 6)?.into());
            let cause = format!("m8:{customer_id}:{sku}:{}", req_int(&row, 4)?);
            let event = DomainEvent::RepeatDue(CustomerEvent {
                customer_id,
                at: now.unix(),
                data,
            });
            raise(db, config, (now, &cause), customer_id, event).map(Some)
        })?;
        if let Some(effects) = effects {
            raised += 1;
            queued.messages.extend(effects.messages);
        }
    }
    Ok(raised)
}

/// M9: customers who bought but not within the lapse period move to `lapsed` (the segment is
/// recomputed whole, so a VIP or BAD customer stays what they are).
fn lapsed(
    db: &Db,
    config: &Config,
    now: Timestamp,
    queued: &mut Effects,
) -> Result<usize, DbError> {
    let days = threshold(&config.shop.thresholds, defaults::LAPSED_DAYS);
    let cutoff = now.unix() - days.saturating_mul(86_400);
    let candidates = ids(
        db,
        "SELECT c.id FROM customers AS c
         WHERE c.segment IN ('new', 'regular')
           AND (SELECT MAX(unixepoch(o.created_at)) FROM orders AS o
                WHERE o.customer_id = c.id AND o.status IN (SELECT value FROM json_each(?1))) <= ?2
         LIMIT ?3",
        &[
            text(super::bought_statuses(config)),
            int(cutoff),
            int(PER_TICK),
        ],
    )?;
    let mut moved = 0;
    for customer_id in candidates {
        let effects = db.transaction(|db| -> Result<Option<Effects>, DbError> {
            let Some(event) = super::refresh_segment(db, config, customer_id, now)? else {
                return Ok(None);
            };
            let cause = format!("m9:{customer_id}:{}", now.unix());
            raise(db, config, (now, &cause), customer_id, event).map(Some)
        })?;
        if let Some(effects) = effects {
            moved += 1;
            queued.messages.extend(effects.messages);
        }
    }
    Ok(moved)
}
