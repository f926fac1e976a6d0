//! Phone calls: the call log (V8) and what a finished call does (O4, C10, O3, callbacks).
//!
//! A PBX reports a call in several events (Mango per leg and a summary, Zadarma start/answer/
//! end). Each event is folded into one `calls` row ([`CallState::apply`]), whatever their order
//! or repetition; the row is linked to the customer and their order in progress by phone. The
//! call reacts exactly once, when it first becomes finished: the row is claimed with a
//! conditional UPDATE (`reacted_at`), so a repeated or concurrent final event reacts nothing.
//!
//! The reaction is the one `call.ended` on the order webhook has ([`react`]): a missed inbound
//! call finds the caller's order or becomes a lead, then `call.missed` / `call.answered` run
//! the triggers (O4 in working hours, C10 outside; O3 for our unanswered calls). An answered
//! call of ours closes the order's open tasks whose trigger marks them `done_on_callback`
//! ([`call::tasks_done_by_call`]).

use orderpath_core::call;
use orderpath_core::call_report::LoggedCall;
use orderpath_core::contact::Phone;
use orderpath_core::event::{CallDirection, CallEnded, CallOutcome, OrderId};
use orderpath_wire::pbx::{CallEvent, CallState, Direction, Outcome};
use serde_json::json;
use spin_sdk::sqlite::{RowResult, Value as SqlValue};

use crate::clock::Timestamp;
use crate::db::{get_int, get_text, int, opt_text, req_int, req_text, text, Db, DbError};
use crate::plans::automation::Run;
use crate::repo::orders::{self, HistoryEntry, Outcome as HistoryOutcome};

/// What a finished call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reaction {
    /// The order it concerned, if any (possibly a new lead).
    pub order_id: Option<String>,
    /// A lead order was made for the caller.
    pub lead: bool,
    /// It started outside working hours.
    pub after_hours: bool,
    /// Callback tasks it closed (an answered call of ours).
    pub closed_tasks: usize,
    /// Messages the triggers queued.
    pub messages: Vec<i64>,
}

/// Reacts to a finished call: finds (or, for a missed inbound call from a stranger, makes) the
/// order, records the call in its history and runs the call triggers. `order_id` is the order
/// the sender named, already checked to exist.
pub fn react(
    run: &Run<'_>,
    call: &CallEnded,
    started: Timestamp,
    order_id: Option<String>,
    (actor, event_id): (&str, &str),
) -> Result<Reaction, DbError> {
    let shop = &run.config.shop;
    let decision = call::on_call(call, started.unix(), (&shop.working_hours, &shop.time_zone));
    let finished = run.config.statuses.path.finished();
    let mut order_id = match order_id {
        Some(id) => Some(id),
        None => orders::active_order_by_phone(run.db, call.phone.as_str(), &finished)?,
    };
    let lead = order_id.is_none() && decision.lead_if_unknown;
    if lead {
        order_id = Some(create_lead(run, call, started, (actor, event_id))?);
    }
    let mut reaction = Reaction {
        order_id: order_id.clone(),
        lead,
        after_hours: decision.after_hours,
        ..Reaction::default()
    };
    let Some(id) = order_id else {
        // An answered call or our own call to a number we do not know: nothing to react to.
        return Ok(reaction);
    };
    history(
        run,
        &id,
        "call",
        json!({ "direction": call.direction.as_str(), "outcome": call.outcome.as_str(),
                "phone": call.phone.as_str(), "started_at": started.to_rfc3339() }),
        None,
        (actor, event_id),
    )?;
    let done = call::tasks_done_by_call(call, &run.config.triggers);
    if !done.is_empty() {
        reaction.closed_tasks = close_tasks(run, &id, &done, actor)?;
    }
    let order = OrderId::parse(&id).map_err(|_| DbError::Shape("stored order id is invalid"))?;
    if let Some(event) = decision.event(call, order) {
        reaction.messages = run.handle(&id, event)?.messages;
    }
    Ok(reaction)
}

/// Stores the lead order the core makes for a caller nobody answered (O4), in `new`.
fn create_lead(
    run: &Run<'_>,
    call: &CallEnded,
    started: Timestamp,
    who: (&str, &str),
) -> Result<String, DbError> {
    let lead = call::lead_order(call, started.unix())
        .map_err(|_| DbError::Shape("a lead order id from a phone number is invalid"))?;
    let id = lead.order_id.as_str().to_owned();
    let customer_id =
        orders::find_or_create_customer(run.db, &lead.customer, (None, None), run.now)?;
    let status = orderpath_core::order::INITIAL_STATUS;
    orders::insert(run.db, &lead, status, customer_id, run.now)?;
    history(
        run,
        &id,
        "created",
        json!(status),
        Some("lead from a missed call"),
        who,
    )?;
    Ok(id)
}

/// A returned call: the order's open tasks of these reasons (the core's choice) are done.
fn close_tasks(
    run: &Run<'_>,
    order_id: &str,
    reasons: &[&str],
    actor: &str,
) -> Result<usize, DbError> {
    let closed = run.db.execute(
        "UPDATE tasks SET status = 'done', done_at = ?, done_by = ?
         WHERE order_id = ? AND status = 'open'
           AND reason IN (SELECT value FROM json_each(?))
         RETURNING id",
        &[
            text(run.now.to_rfc3339()),
            text(actor),
            text(order_id),
            text(json!(reasons).to_string()),
        ],
    )?;
    Ok(closed.rows.len())
}

fn history(
    run: &Run<'_>,
    order_id: &str,
    field: &str,
    new: serde_json::Value,
    reason: Option<&str>,
    (actor, event_id): (&str, &str),
) -> Result<(), DbError> {
    orders::record_history(
        run.db,
        &HistoryEntry {
            order_id,
            actor,
            actor_name: None,
            field,
            old_value: None,
            new_value: Some(new.to_string()),
            outcome: HistoryOutcome::Applied,
            reason,
            event_id: Some(event_id),
        },
        run.now,
    )
}

/// What became of a PBX event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// The call's row in `calls`.
    pub call: i64,
    /// The call is over.
    pub finished: bool,
    /// This event finished it and it reacted (once).
    pub reaction: Option<Reaction>,
}

const COLUMNS: &str = "id, direction, raw_number, line, operator, started_at, answered_at,
                       ended_at, duration, outcome, finished, answered, operator_answered";

/// Folds one PBX event into its call and reacts when the call has just finished.
pub fn receive(run: &Run<'_>, source: &str, event: &CallEvent) -> Result<Logged, DbError> {
    let db = run.db;
    let row = db.row(
        &format!("SELECT {COLUMNS} FROM calls WHERE source = ? AND call_id = ?"),
        &[text(source), text(event.call_id.as_str())],
    )?;
    let (id, before) = match &row {
        Some(row) => (Some(req_int(row, 0)?), state_of(row)?),
        None => (None, CallState::default()),
    };
    let mut state = before.clone();
    state.apply(event);
    let phone = state
        .customer_number
        .as_deref()
        .and_then(|n| Phone::parse(n).ok());
    // The caller is identified once, when their number first becomes known (V8); the call's
    // other events keep what was found (the UPDATE below leaves it when given NULL).
    let newly_known = state.customer_number != before.customer_number;
    let finished = run.config.statuses.path.finished();
    let (customer_id, order_id) = match &phone {
        Some(phone) if newly_known => (
            customer_of(run, phone.as_str())?,
            orders::active_order_by_phone(db, phone.as_str(), &finished)?,
        ),
        _ => (None, None),
    };
    let values = [
        text(state.direction.map_or("unknown", Direction::as_str)),
        opt_text(phone.as_ref().map(Phone::as_str)),
        opt_text(state.customer_number.as_deref()),
        opt_text(state.line.as_deref()),
        opt_text(state.operator.as_deref()),
        opt_time(state.started_at),
        opt_time(state.answered_at),
        opt_time(state.ended_at),
        state.duration.map_or(SqlValue::Null, int),
        opt_text(state.outcome.map(Outcome::as_str)),
        int(i64::from(state.finished)),
        int(i64::from(state.answered)),
        int(i64::from(state.operator_answered)),
        customer_id.map_or(SqlValue::Null, int),
        opt_text(order_id.as_deref()),
        text(run.now.to_rfc3339()),
    ];
    let id = match id {
        Some(id) => {
            let mut params = values.to_vec();
            params.push(int(id));
            db.execute(
                "UPDATE calls SET direction = ?, phone = ?, raw_number = ?, line = ?,
                        operator = ?, started_at = ?, answered_at = ?, ended_at = ?,
                        duration = ?, outcome = ?, finished = ?, answered = ?,
                        operator_answered = ?, customer_id = COALESCE(?, customer_id),
                        order_id = COALESCE(order_id, ?), updated_at = ?
                 WHERE id = ?",
                &params,
            )?;
            id
        }
        None => {
            let mut params = vec![text(source), text(event.call_id.as_str())];
            params.extend(values.iter().cloned());
            params.push(text(run.now.to_rfc3339()));
            let row = db
                .row(
                    "INSERT INTO calls (source, call_id, direction, phone, raw_number, line,
                                        operator, started_at, answered_at, ended_at, duration,
                                        outcome, finished, answered, operator_answered,
                                        customer_id, order_id, updated_at, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                     RETURNING id",
                    &params,
                )?
                .ok_or(DbError::Shape("INSERT … RETURNING gave no row"))?;
            req_int(&row, 0)?
        }
    };
    let reaction = if orderpath_wire::pbx::state::finished_now(&before, &state) {
        claim_and_react(run, id, source, event, &state, phone)?
    } else {
        None
    };
    Ok(Logged {
        call: id,
        finished: state.finished,
        reaction,
    })
}

/// Reacts once: the first to set `reacted_at` does it.
fn claim_and_react(
    run: &Run<'_>,
    id: i64,
    source: &str,
    event: &CallEvent,
    state: &CallState,
    phone: Option<Phone>,
) -> Result<Option<Reaction>, DbError> {
    let claimed = run.db.execute(
        "UPDATE calls SET reacted_at = ? WHERE id = ? AND reacted_at IS NULL RETURNING id",
        &[text(run.now.to_rfc3339()), int(id)],
    )?;
    if claimed.rows.is_empty() {
        return Ok(None);
    }
    let direction = match state.direction {
        Some(Direction::Inbound) => CallDirection::Inbound,
        Some(Direction::Outbound) => CallDirection::Outbound,
        // Between our own extensions, or unknown: nothing to react to.
        _ => return Ok(None),
    };
    let Some(phone) = phone else {
        return Ok(None);
    };
    let outcome = match state.outcome {
        Some(Outcome::Answered) => CallOutcome::Answered,
        Some(Outcome::Busy) => CallOutcome::Busy,
        Some(Outcome::Failed) => CallOutcome::Failed,
        _ => CallOutcome::Missed,
    };
    let started = Timestamp::from_unix(
        state
            .started_at
            .or(state.ended_at)
            .unwrap_or(run.now.unix()),
    );
    let call = CallEnded {
        phone,
        direction,
        outcome,
        started_at: Some(started.to_rfc3339()),
        order_id: None,
        name: None,
    };
    let actor = format!("pbx:{source}");
    let reaction = react(run, &call, started, None, (&actor, &event.key))?;
    run.db.execute(
        "UPDATE calls SET order_id = COALESCE(?, order_id), lead = ?, after_hours = ?
         WHERE id = ?",
        &[
            opt_text(reaction.order_id.as_deref()),
            int(i64::from(reaction.lead)),
            int(i64::from(reaction.after_hours)),
            int(id),
        ],
    )?;
    Ok(Some(reaction))
}

fn customer_of(run: &Run<'_>, phone: &str) -> Result<Option<i64>, DbError> {
    Ok(run
        .db
        .row("SELECT id FROM customers WHERE phone = ?", &[text(phone)])?
        .map(|r| get_int(&r, 0))
        .transpose()?
        .flatten())
}

fn state_of(row: &RowResult) -> Result<CallState, DbError> {
    let time = |i: usize| -> Result<Option<i64>, DbError> {
        Ok(get_text(row, i)?
            .and_then(|t| Timestamp::parse_rfc3339(&t))
            .map(Timestamp::unix))
    };
    Ok(CallState {
        direction: get_text(row, 1)?.as_deref().and_then(Direction::parse),
        customer_number: get_text(row, 2)?,
        line: get_text(row, 3)?,
        operator: get_text(row, 4)?,
        started_at: time(5)?,
        answered_at: time(6)?,
        ended_at: time(7)?,
        duration: get_int(row, 8)?,
        outcome: get_text(row, 9)?.as_deref().and_then(Outcome::parse),
        finished: get_int(row, 10)? == Some(1),
        answered: get_int(row, 11)? == Some(1),
        operator_answered: get_int(row, 12)? == Some(1),
    })
}

fn opt_time(unix: Option<i64>) -> SqlValue {
    unix.map_or(SqlValue::Null, |t| {
        text(Timestamp::from_unix(t).to_rfc3339())
    })
}

/// Finished calls for the V9 report of `[start, end)` (unix seconds): those that started in
/// the range, and our outbound calls after it (they may still return a missed call in it).
pub fn for_report(db: &Db, (start, end): (i64, i64)) -> Result<Vec<LoggedCall>, DbError> {
    let rows = db.execute(
        "SELECT direction, phone, operator, started_at, answered FROM calls
         WHERE finished = 1 AND started_at >= ?
           AND (started_at < ? OR direction = 'outbound')",
        &[
            text(Timestamp::from_unix(start).to_rfc3339()),
            text(Timestamp::from_unix(end).to_rfc3339()),
        ],
    )?;
    let mut calls = Vec::with_capacity(rows.rows.len());
    for row in &rows.rows {
        let Some(started) = get_text(row, 3)?.and_then(|t| Timestamp::parse_rfc3339(&t)) else {
            continue;
        };
        calls.push(LoggedCall {
            direction: req_text(row, 0)?,
            phone: get_text(row, 1)?,
            operator: get_text(row, 2)?,
            started_at: started.unix(),
            answered: get_int(row, 4)? == Some(1),
        });
    }
    Ok(calls)
}

/// V8: calls newest first (only `phone`'s when given), each with the caller's customer and
/// their orders not in a `finished` status.
pub fn list(
    db: &Db,
    phone: Option<&str>,
    limit: i64,
    finished: &[&str],
) -> Result<Vec<serde_json::Value>, DbError> {
    let rows = db.execute(
        "SELECT c.id, c.source, c.direction, c.phone, c.line, c.operator, c.started_at,
                c.answered_at, c.ended_at, c.duration, c.outcome, c.finished, c.order_id,
                c.lead, cu.id, cu.name,
                (SELECT json_group_array(json_object('order_id', o.id, 'status', o.status,
                                                     'total', o.total))
                 FROM orders o
                 WHERE o.customer_id = cu.id
                   AND o.status NOT IN (SELECT value FROM json_each(?1)))
         FROM calls c LEFT JOIN customers cu ON cu.id = c.customer_id
         WHERE (?2 IS NULL OR c.phone = ?2)
         ORDER BY c.id DESC LIMIT ?3",
        &[
            text(json!(finished).to_string()),
            opt_text(phone),
            int(limit),
        ],
    )?;
    rows.rows
        .iter()
        .map(|row| {
            let orders: serde_json::Value = get_text(row, 16)?
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_else(|| json!([]));
            let customer = get_int(row, 14)?
                .map(|id| -> Result<_, DbError> {
                    Ok(json!({ "id": id, "name": get_text(row, 15)?,
                               "orders_in_progress": orders }))
                })
                .transpose()?;
            Ok(json!({
                "id": req_int(row, 0)?,
                "source": get_text(row, 1)?,
                "direction": get_text(row, 2)?,
                "phone": get_text(row, 3)?,
                "line": get_text(row, 4)?,
                "operator": get_text(row, 5)?,
                "started_at": get_text(row, 6)?,
                "answered_at": get_text(row, 7)?,
                "ended_at": get_text(row, 8)?,
                "duration": get_int(row, 9)?,
                "outcome": get_text(row, 10)?,
                "finished": get_int(row, 11)? == Some(1),
                "order_id": get_text(row, 12)?,
                "lead": get_int(row, 13)? == Some(1),
                "customer": customer,
            }))
        })
        .collect()
}
