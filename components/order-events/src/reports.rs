//! What the shop's CRM reports about an order besides editing it: payments, delivery
//! statuses, stock and phone calls. Each is recorded with the order, then raises the domain
//! event the triggers react to — the same events the acquirer, carrier and PBX webhooks raise.

use orderpath_core::automation::event::{Call, DomainEvent, Payment};
use orderpath_core::automation::time;
use orderpath_core::event::{
    CallDirection, CallEnded, CallOutcome, CustomerContact, Delivery, DeliveryUpdate, NewOrder,
    OrderId, PaymentOutcome, PaymentUpdate, StockUpdate, Utm,
};
use orderpath_core::money::Currency;
use orderpath_shell::clock::Timestamp;
use orderpath_shell::db::Db;
use orderpath_shell::facts;
use orderpath_shell::http::{Answer, ApiError};
use orderpath_shell::orders::{self, HistoryEntry, Outcome};
use orderpath_shell::payments::{self, NewPayment};
use serde_json::{json, Value};

use crate::apply::{record_changes, set_fields, unknown_order, Applied, Context, WEBHOOK_ACTOR};

/// Status groups of orders that are over: a call is never about them.
const FINISHED_GROUPS: [&str; 2] = ["done", "cancel"];

/// `order_method` of an order made from a missed call (O4).
const LEAD_METHOD: &str = "missed-call";

/// `order.payment`: keeps the payment once per payment id and outcome, then runs the
/// payment triggers (V2, C7, O5).
pub fn payment(db: &Db, report: &PaymentUpdate, cx: &Context<'_>) -> Result<Applied, ApiError> {
    let id = report.order_id.as_str();
    let order = order_facts(db, id, cx.now)?;
    if order.currency != report.currency.as_str() {
        return Err(ApiError::new(
            422,
            "invalid_event",
            format!(
                "data.currency: the order is in {}, the payment in {}",
                order.currency,
                report.currency.as_str()
            ),
        ));
    }
    let status = report.status.as_str();
    let fresh = payments::record(
        db,
        &NewPayment {
            source: "orders",
            payment_id: report.payment_id.as_deref(),
            order_id: id,
            status,
            amount: report.amount,
            currency: report.currency.as_str(),
            reason: report.reason.as_deref(),
            event_id: cx.event_id,
        },
        cx.now,
    )?;
    if !fresh {
        let order = order_facts(db, id, cx.now)?;
        return Ok(Applied::answer(
            200,
            json!({ "order_id": id, "payment": status, "duplicate": true,
                    "status": order.status, "payment_status": order.payment_status }),
        ));
    }
    history(
        db,
        cx,
        id,
        "payment",
        None,
        json!({ "status": status, "amount": report.amount,
                "currency": report.currency.as_str(), "payment_id": report.payment_id }),
        report.reason.as_deref(),
    )?;
    let body = Payment {
        order_id: report.order_id.clone(),
        amount: report.amount,
        currency: report.currency.as_str().to_owned(),
    };
    let event = match report.status {
        PaymentOutcome::Succeeded => DomainEvent::PaymentSucceeded(body),
        PaymentOutcome::Failed => DomainEvent::PaymentFailed(body),
        PaymentOutcome::Refunded => DomainEvent::PaymentRefunded(body),
        PaymentOutcome::Authorised => DomainEvent::PaymentAuthorised(body),
    };
    let messages = cx.run_triggers(db, id, event)?;
    let order = order_facts(db, id, cx.now)?;
    Ok(Applied {
        answer: Answer::json(
            200,
            &json!({ "order_id": id, "payment": status, "status": order.status,
                     "payment_status": order.payment_status }),
        ),
        messages,
    })
}

/// `order.delivery`: stores the fields (track number, pickup point, …) and the delivery
/// status; the same status again changes nothing and repeats no message.
pub fn delivery(db: &Db, report: &DeliveryUpdate, cx: &Context<'_>) -> Result<Applied, ApiError> {
    let id = report.order_id.as_str();
    let before = order_facts(db, id, cx.now)?;
    let changes = set_fields(db, id, &report.fields)?;
    record_changes(db, id, &changes, (WEBHOOK_ACTOR, None), cx)?;
    let mut messages = Vec::new();
    if !changes.is_empty() {
        let fields = changes.iter().map(|c| c.field.clone()).collect();
        let event = DomainEvent::OrderChanged {
            order_id: report.order_id.clone(),
            fields,
        };
        messages.extend(cx.run_triggers(db, id, event)?);
    }
    let from = before.delivery_status.clone();
    if from.as_deref() != Some(report.status.as_str()) {
        facts::set_field(db, id, "delivery_status", &json!(report.status))?;
        history(
            db,
            cx,
            id,
            "delivery_status",
            from.as_ref().map(|f| json!(f)),
            json!(report.status),
            None,
        )?;
        let now = order_facts(db, id, cx.now)?;
        let event = DomainEvent::DeliveryStatusChanged {
            order_id: report.order_id.clone(),
            from,
            to: report.status.clone(),
            track_number: now.track_number,
            tracking_url: now.tracking_url,
        };
        messages.extend(cx.run_triggers(db, id, event)?);
    }
    let order = order_facts(db, id, cx.now)?;
    Ok(Applied {
        answer: Answer::json(
            200,
            &json!({ "order_id": id, "delivery_status": report.status, "status": order.status }),
        ),
        messages,
    })
}

/// `order.stock`: records what changed and runs the stock triggers (O6).
pub fn stock(db: &Db, report: &StockUpdate, cx: &Context<'_>) -> Result<Applied, ApiError> {
    let id = report.order_id.as_str();
    if !orders::exists(db, id)? {
        return Err(unknown_order(id));
    }
    history(
        db,
        cx,
        id,
        "stock",
        None,
        json!({ "skus": report.skus, "available": report.available }),
        None,
    )?;
    let messages = cx.run_triggers(
        db,
        id,
        DomainEvent::StockChanged {
            order_id: report.order_id.clone(),
            skus: report.skus.clone(),
            available: report.available,
        },
    )?;
    Ok(Applied {
        answer: Answer::json(
            200,
            &json!({ "order_id": id, "available": report.available }),
        ),
        messages,
    })
}

/// `call.ended`: finds the caller's order in progress by phone (or the one named); an
/// unanswered inbound call from a number with none becomes a lead order (O4). Then the call
/// triggers run: O4 in working hours, C10 outside them.
pub fn call_ended(db: &Db, call: &CallEnded, cx: &Context<'_>) -> Result<Applied, ApiError> {
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
    let shop = &cx.config.shop;
    let after_hours = !time::is_open(started.unix(), &shop.working_hours, &shop.time_zone);
    let missed = call.outcome != CallOutcome::Answered;
    let inbound = call.direction == CallDirection::Inbound;
    let mut order_id = match &call.order_id {
        Some(id) if orders::exists(db, id.as_str())? => Some(id.as_str().to_owned()),
        Some(id) => return Err(unknown_order(id.as_str())),
        None => orders::active_order_by_phone(db, call.phone.as_str(), &finished_statuses(cx))?,
    };
    let mut lead = false;
    if order_id.is_none() && inbound && missed {
        order_id = Some(create_lead(db, call, started, cx)?);
        lead = true;
    }
    let answer = json!({ "order_id": order_id, "lead": lead, "after_hours": after_hours,
                         "outcome": call.outcome.as_str() });
    let Some(id) = order_id else {
        // An answered call or our own call to a number we do not know: nothing to react to.
        return Ok(Applied::answer(200, answer));
    };
    history(
        db,
        cx,
        &id,
        "call",
        None,
        json!({ "direction": call.direction.as_str(), "outcome": call.outcome.as_str(),
                "phone": call.phone.as_str(), "started_at": started.to_rfc3339() }),
        None,
    )?;
    let event_call = Call {
        order_id: Some(parse_id(&id)?),
        direction: call.direction.as_str().to_owned(),
        phone: call.phone.as_str().to_owned(),
        after_hours,
    };
    let event = match (inbound, missed) {
        (true, true) => DomainEvent::CallMissed(event_call),
        (_, false) => DomainEvent::CallAnswered(event_call),
        // An unanswered call of ours is an operator's attempt, kept in the history.
        (false, true) => return Ok(Applied::answer(200, answer)),
    };
    let messages = cx.run_triggers(db, &id, event)?;
    Ok(Applied {
        answer: Answer::json(200, &answer),
        messages,
    })
}

/// The statuses of the configured path whose group means the order is over.
fn finished_statuses<'a>(cx: &'a Context<'_>) -> Vec<&'a str> {
    cx.config
        .statuses
        .path
        .statuses()
        .iter()
        .filter(|s| FINISHED_GROUPS.contains(&s.group.as_str()))
        .map(|s| s.code.as_str())
        .collect()
}

/// A new order in `new` for a caller nobody answered: channel `phone`, method
/// `missed-call`, no items yet. Its id says where it came from: `call-<phone>-<unix time>`.
fn create_lead(
    db: &Db,
    call: &CallEnded,
    started: Timestamp,
    cx: &Context<'_>,
) -> Result<String, ApiError> {
    let digits = call.phone.as_str().trim_start_matches('+');
    let id = parse_id(&format!("call-{digits}-{}", started.unix()))?;
    let contact = CustomerContact {
        name: call.name.clone(),
        phone: Some(call.phone.clone()),
        email: None,
    };
    let customer_id = orders::find_or_create_customer(db, &contact, None, cx.now)?;
    let lead = NewOrder {
        order_id: id.clone(),
        created_at: Some(started.to_rfc3339()),
        currency: Currency::rub(),
        channel: "phone".to_owned(),
        order_method: LEAD_METHOD.to_owned(),
        customer_type: "person".to_owned(),
        customer: contact,
        items: Vec::new(),
        delivery: Delivery::default(),
        discount: 0,
        total: 0,
        utm: Utm::default(),
        comment: None,
        manager: None,
        customer_language: None,
    };
    let status = orderpath_core::order::INITIAL_STATUS;
    orders::insert(db, &lead, status, customer_id, cx.now)?;
    history(
        db,
        cx,
        id.as_str(),
        "created",
        None,
        json!(status),
        Some("lead from a missed call"),
    )?;
    Ok(id.as_str().to_owned())
}

fn parse_id(id: &str) -> Result<OrderId, ApiError> {
    OrderId::parse(id).map_err(|e| ApiError::internal(&format!("order id {id:?}: {e}")))
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
            actor: WEBHOOK_ACTOR,
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
