//! What the shop's CRM reports about an order besides editing it: payments, delivery
//! statuses, stock and phone calls. Each is recorded with the order, then raises the domain
//! event the triggers react to — the same events the acquirer, carrier and PBX webhooks raise.

use orderpath_core::automation::event::DomainEvent;
use orderpath_core::crm;
use orderpath_core::event::{CallEnded, DeliveryUpdate, PaymentUpdate, StockUpdate};
use orderpath_core::payment::TestPayments;
use serde_json::{json, Value};

use super::{invalid, unknown_order, Applied, Context};
use crate::clock::Timestamp;
use crate::db::Db;
use crate::http::{Answer, ApiError};
use crate::inbound::calls;
use crate::inbound::deliveries::{self, Moved, StatusUpdate};
use crate::inbound::payments::{self, Receipt, Received};
use crate::repo::facts;
use crate::repo::orders::{self, HistoryEntry, Outcome};

/// `order.payment`: kept once per payment id and outcome and settled like an acquirer's
/// update (see `orderpath_shell::inbound::payments`): the payment triggers run (V2, C7, O5), another
/// amount is held for the manager, a late failure after the success changes nothing.
pub(super) fn payment(
    db: &Db,
    update: &PaymentUpdate,
    cx: &Context<'_>,
) -> Result<Applied, ApiError> {
    let id = update.order_id.as_str();
    let order = order_facts(db, id, cx.now)?;
    let reported = crm::payment(update, &order.currency, cx.event_id).map_err(invalid)?;
    let status = update.status.as_str();
    let receipt = payments::receive(
        &cx.run(db),
        &Received {
            source: "orders",
            event_id: cx.event_id,
            what: "order.payment",
            payment: &reported,
            raw: None,
            // The CRM reports no test payments (`test` is false above).
            tests: TestPayments::Accept,
        },
    )?;
    let (state, messages) = match receipt {
        Receipt::Settled {
            state, messages, ..
        } => (state, messages),
        Receipt::Duplicate => {
            return Ok(Applied::answer(
                200,
                json!({ "order_id": id, "payment": status, "duplicate": true,
                        "status": order.status, "payment_status": order.payment_status }),
            ))
        }
        Receipt::TestIgnored { .. } => ("test_ignored", Vec::new()),
        Receipt::UnknownOrder => return Err(unknown_order(id)),
    };
    let order = order_facts(db, id, cx.now)?;
    Ok(Applied {
        answer: Answer::json(
            200,
            &json!({ "order_id": id, "payment": status, "state": state, "status": order.status,
                     "payment_status": order.payment_status }),
        ),
        messages,
    })
}

/// `order.delivery`: stores the fields (track number, pickup point, …) and the delivery
/// status; a repeated or backward status changes nothing and repeats no message.
pub(super) fn delivery(
    db: &Db,
    update: &DeliveryUpdate,
    cx: &Context<'_>,
) -> Result<Applied, ApiError> {
    let id = update.order_id.as_str();
    if !orders::exists(db, id)? {
        return Err(unknown_order(id));
    }
    let (moved, messages) = deliveries::apply(
        &cx.run(db),
        id,
        &StatusUpdate {
            actor: cx.actor,
            event_id: cx.event_id,
            status: &update.status,
            status_at: None,
            fields: &update.fields,
        },
    )?;
    let order = order_facts(db, id, cx.now)?;
    Ok(Applied {
        answer: Answer::json(
            200,
            &json!({ "order_id": id, "delivery_status": order.delivery_status,
                     "applied": moved == Moved::Forward, "status": order.status }),
        ),
        messages,
    })
}

/// `order.stock`: records what changed and runs the stock triggers (O6).
pub(super) fn stock(db: &Db, update: &StockUpdate, cx: &Context<'_>) -> Result<Applied, ApiError> {
    let id = update.order_id.as_str();
    if !orders::exists(db, id)? {
        return Err(unknown_order(id));
    }
    history(
        db,
        cx,
        id,
        "stock",
        None,
        json!({ "skus": update.skus, "available": update.available }),
        None,
    )?;
    let messages = cx.run_triggers(
        db,
        id,
        DomainEvent::StockChanged {
            order_id: update.order_id.clone(),
            skus: update.skus.clone(),
            available: update.available,
        },
    )?;
    Ok(Applied {
        answer: Answer::json(
            200,
            &json!({ "order_id": id, "available": update.available }),
        ),
        messages,
    })
}

/// `call.ended`: finds the caller's order in progress by phone (or the one named); an
/// unanswered inbound call from a number with none becomes a lead order (O4). Then the call
/// triggers run (`orderpath_shell::inbound::calls::react`): O4 in working hours, C10 outside them, O3
/// for our own unanswered call.
pub(super) fn call_ended(db: &Db, call: &CallEnded, cx: &Context<'_>) -> Result<Applied, ApiError> {
    let started = match &call.started_at {
        Some(at) => Timestamp::parse_rfc3339(at).ok_or_else(|| {
            ApiError::new(
                422,
                "invalid_event",
                "data.started_at: not a valid date-time",
            )
        })?,
        None => cx.now,
    };
    let named = match &call.order_id {
        Some(id) if orders::exists(db, id.as_str())? => Some(id.as_str().to_owned()),
        Some(id) => return Err(unknown_order(id.as_str())),
        None => None,
    };
    let reaction = calls::react(&cx.run(db), call, started, named, (cx.actor, cx.event_id))?;
    Ok(Applied {
        answer: Answer::json(
            200,
            &json!({ "order_id": reaction.order_id, "lead": reaction.lead,
                     "after_hours": reaction.after_hours, "outcome": call.outcome.as_str() }),
        ),
        messages: reaction.messages,
    })
}

/// The order's facts; 404 when it does not exist.
fn order_facts(
    db: &Db,
    id: &str,
    now: Timestamp,
) -> Result<orderpath_core::automation::facts::OrderFacts, ApiError> {
    facts::load(db, id, now)?
        .and_then(|f| f.order)
        .ok_or_else(|| unknown_order(id))
}

/// Appends an applied history entry by the webhook.
fn history(
    db: &Db,
    cx: &Context<'_>,
    order_id: &str,
    field: &str,
    old: Option<Value>,
    new: Value,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    orders::record_history(
        db,
        &HistoryEntry {
            order_id,
            actor: cx.actor,
            actor_name: None,
            field,
            old_value: old.map(|v| v.to_string()),
            new_value: Some(new.to_string()),
            outcome: Outcome::Applied,
            reason,
            event_id: Some(cx.event_id),
        },
        cx.now,
    )?;
    Ok(())
}
