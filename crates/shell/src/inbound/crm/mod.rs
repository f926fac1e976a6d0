//! The order webhook (`order-events`): executes what the core decides for each event from
//! the shop's site or CRM (`orderpath_core::decide`, `orderpath_core::crm`, the triggers),
//! inside the request's transaction.

mod updates;

use orderpath_core::automation::config::Config;
use orderpath_core::automation::event::DomainEvent;
use orderpath_core::bonus;
use orderpath_core::crm;
use orderpath_core::decide::{self, StatusDecision};
use orderpath_core::event::{Actor, NewOrder, OrderEvent, OrderFlag, OrderUpdate, StatusChange};
use orderpath_core::order;
use serde_json::{json, Value};

use crate::clock::Timestamp;
use crate::db::Db;
use crate::http::{Answer, ApiError};
use crate::plans::automation::Run;
use crate::repo::facts;
use crate::repo::orders::{self, HistoryEntry, Outcome};
use crate::{inbound::payments, repo::reservations};

/// Who is acting when an event from the order webhook names nobody.
pub const WEBHOOK_ACTOR: &str = "webhook:orders";

/// What the handler knows besides the event.
pub struct Context<'a> {
    /// The `webhook-id`.
    pub event_id: &'a str,
    /// Now.
    pub now: Timestamp,
    /// The shop's automation configuration.
    pub config: &'a Config,
    /// `orders:<webhook-id>`: what the triggers' effects are keyed by.
    pub cause: String,
    /// Who is acting when the event names nobody: [`WEBHOOK_ACTOR`], or the platform
    /// (`integration:shopify`).
    pub actor: &'a str,
}

impl Context<'_> {
    /// Runs the shop's triggers for an event about `order_id`; returns the messages to send.
    pub(crate) fn run_triggers(
        &self,
        db: &Db,
        order_id: &str,
        event: DomainEvent,
    ) -> Result<Vec<i64>, ApiError> {
        Ok(self.run(db).handle(order_id, event)?.messages)
    }

    /// A trigger run inside this request's transaction.
    pub(crate) fn run<'a>(&'a self, db: &'a Db) -> Run<'a> {
        Run {
            db,
            config: self.config,
            now: self.now,
            cause: &self.cause,
        }
    }
}

/// The answer to store and send, and the outbox messages to send after answering.
pub struct Applied {
    /// The answer.
    pub answer: Answer,
    /// Queued outbox messages.
    pub messages: Vec<i64>,
}

impl Applied {
    pub(crate) fn answer(status: u16, body: Value) -> Applied {
        Applied {
            answer: Answer::json(status, &body),
            messages: Vec::new(),
        }
    }
}

/// Applies one event. An `Err` rolls the whole transaction back, the event claim included.
pub fn apply(db: &Db, event: &OrderEvent, cx: &Context<'_>) -> Result<Applied, ApiError> {
    match event {
        OrderEvent::Created(order) => created(db, order, cx),
        OrderEvent::Updated(update) => updated(db, update, cx),
        OrderEvent::StatusChanged(change) => status_changed(db, change, cx),
        OrderEvent::Flagged(flag) => flagged(db, flag, cx),
        OrderEvent::Payment(payment) => updates::payment(db, payment, cx),
        OrderEvent::Delivery(delivery) => updates::delivery(db, delivery, cx),
        OrderEvent::Stock(stock) => updates::stock(db, stock, cx),
        OrderEvent::CallEnded(call) => updates::call_ended(db, call, cx),
    }
}

/// Applies the events a shop platform's snapshot makes (created, updated, a status move, a
/// payment), without linking the rest of [`apply`] (flags, parcels, stock, calls) into the
/// components that only need these.
pub fn apply_snapshot_event(
    db: &Db,
    event: &OrderEvent,
    cx: &Context<'_>,
) -> Result<Applied, ApiError> {
    match event {
        OrderEvent::Created(order) => created(db, order, cx),
        OrderEvent::Updated(update) => updated(db, update, cx),
        OrderEvent::StatusChanged(change) => status_changed(db, change, cx),
        OrderEvent::Payment(payment) => updates::payment(db, payment, cx),
        other => Err(ApiError::internal(&format!(
            "{} is not an event a platform snapshot makes",
            other.type_name()
        ))),
    }
}

fn created(db: &Db, order: &NewOrder, cx: &Context<'_>) -> Result<Applied, ApiError> {
    let id = order.order_id.as_str();
    if orders::exists(db, id)? {
        return Ok(Applied::answer(
            409,
            json!({ "error": { "code": "order_exists", "message":
                format!("order {id} already exists; send order.updated to change it") } }),
        ));
    }
    let Some(status) = crm::initial_status(&cx.config.statuses.path) else {
        return Err(ApiError::internal(
            &"the configured status path has no \"new\" status",
        ));
    };
    let status = status.to_owned();
    let customer_id = orders::find_or_create_customer(
        db,
        &order.customer,
        (order.customer_language, order.customer_time_zone.as_deref()),
        cx.now,
    )?;
    orders::insert(db, order, &status, customer_id, cx.now)?;
    let (actor, actor_name) = actor_of(order.actor.as_ref(), cx);
    orders::record_history(
        db,
        &HistoryEntry {
            order_id: id,
            actor: &actor,
            actor_name,
            field: "created",
            old_value: None,
            new_value: Some(json!(status).to_string()),
            outcome: Outcome::Applied,
            reason: None,
            event_id: Some(cx.event_id),
        },
        cx.now,
    )?;
    let mut messages = cx.run_triggers(
        db,
        id,
        DomainEvent::OrderCreated {
            order_id: order.order_id.clone(),
            actor: order.actor.clone(),
        },
    )?;
    // Payments that arrived before the order (issue: "nothing is dropped") settle now.
    messages.extend(payments::link_waiting(&cx.run(db), id)?);
    // Triggers may have moved it already (P6: marketplace orders go straight to assembly).
    let status = orders::load(db, id)?.map_or(status, |order| order.status);
    Ok(Applied {
        answer: Answer::json(
            201,
            &json!({ "order_id": id, "status": status, "customer_id": customer_id }),
        ),
        messages,
    })
}

fn updated(db: &Db, update: &OrderUpdate, cx: &Context<'_>) -> Result<Applied, ApiError> {
    let id = update.order_id.as_str();
    let current = orders::load(db, id)?.ok_or_else(|| unknown_order(id))?;
    let mut changes = order::diff_update(&current, update);
    let next = order::apply_update(&current, update);
    if !changes.is_empty() {
        let contact_changed = changes.iter().any(|c| c.field.starts_with("customer."));
        let customer_id = if contact_changed {
            orders::find_or_create_customer(db, &next.customer, (None, None), cx.now)?
        } else {
            None
        };
        let items_changed = changes.iter().any(|c| c.field == "items");
        orders::save(db, &next, customer_id, items_changed, cx.now)?;
    }
    changes.extend(set_fields(db, id, &update.fields)?);
    let (actor, actor_name) = actor_of(update.actor.as_ref(), cx);
    record_changes(db, id, &changes, (&actor, actor_name), cx)?;
    let changed: Vec<String> = changes.iter().map(|c| c.field.clone()).collect();
    // S2: what the change added, for the bonus of whoever made it.
    let added_items = if changed.iter().any(|f| f == "items") {
        bonus::added_items(&current.items, &next.items)
    } else {
        Vec::new()
    };
    let answer = json!({ "order_id": id, "status": next.status, "changed": changed });
    if changed.is_empty() {
        return Ok(Applied::answer(200, answer));
    }
    let messages = cx.run_triggers(
        db,
        id,
        DomainEvent::OrderChanged {
            order_id: update.order_id.clone(),
            fields: changed,
            actor: update.actor.clone(),
            added_items,
        },
    )?;
    Ok(Applied {
        answer: Answer::json(200, &answer),
        messages,
    })
}

/// Sets the automation fields; returns what changed, like `diff_update` does.
pub(crate) fn set_fields(
    db: &Db,
    id: &str,
    fields: &[(String, Value)],
) -> Result<Vec<order::FieldChange>, ApiError> {
    Ok(facts::apply_fields(db, id, fields)?
        .into_iter()
        .map(|(field, from, to)| order::FieldChange { field, from, to })
        .collect())
}

pub(crate) fn record_changes(
    db: &Db,
    id: &str,
    changes: &[order::FieldChange],
    (actor, actor_name): (&str, Option<&str>),
    cx: &Context<'_>,
) -> Result<(), ApiError> {
    for change in changes {
        orders::record_history(
            db,
            &HistoryEntry {
                order_id: id,
                actor,
                actor_name,
                field: &change.field,
                old_value: Some(change.from.to_string()),
                new_value: Some(change.to.to_string()),
                outcome: Outcome::Applied,
                reason: None,
                event_id: Some(cx.event_id),
            },
            cx.now,
        )?;
    }
    Ok(())
}

fn flagged(db: &Db, flag: &OrderFlag, cx: &Context<'_>) -> Result<Applied, ApiError> {
    let id = flag.order_id.as_str();
    if !orders::exists(db, id)? {
        return Err(unknown_order(id));
    }
    let answer = json!({ "order_id": id, "flag": flag.flag });
    if !facts::add_flag(db, id, &flag.flag)? {
        return Ok(Applied::answer(200, answer));
    }
    let mut fields = Vec::new();
    if let Some(supplier) = &flag.supplier {
        fields.push(("supplier".to_owned(), json!(supplier)));
    }
    for (name, value) in &fields {
        facts::set_field(db, id, name, value)?;
    }
    let (actor, actor_name) = actor_of(flag.actor.as_ref(), cx);
    let change = order::FieldChange {
        field: "flags".into(),
        from: Value::Null,
        to: json!(flag.flag),
    };
    record_changes(db, id, &[change], (&actor, actor_name), cx)?;
    let messages = cx.run_triggers(
        db,
        id,
        DomainEvent::OperatorFlag {
            order_id: flag.order_id.clone(),
            flag: flag.flag.clone(),
            supplier: flag.supplier.clone(),
            note: flag.note.clone(),
        },
    )?;
    Ok(Applied {
        answer: Answer::json(200, &answer),
        messages,
    })
}

fn status_changed(db: &Db, change: &StatusChange, cx: &Context<'_>) -> Result<Applied, ApiError> {
    let id = change.order_id.as_str();
    let current = orders::load(db, id)?.ok_or_else(|| unknown_order(id))?;
    crm::named_status(&cx.config.statuses, &change.status).map_err(invalid)?;
    let path = &cx.config.statuses.path;
    let (actor, actor_name) = actor_of(change.actor.as_ref(), cx);
    let mut entry = HistoryEntry {
        order_id: id,
        actor: &actor,
        actor_name,
        field: "status",
        old_value: Some(json!(current.status).to_string()),
        new_value: Some(json!(change.status).to_string()),
        outcome: Outcome::Applied,
        reason: change.reason.as_deref(),
        event_id: Some(cx.event_id),
    };
    match decide::on_status_changed(&current.status, change, path) {
        StatusDecision::Unchanged => {
            let changes = set_fields(db, id, &change.fields)?;
            record_changes(db, id, &changes, (&actor, actor_name), cx)?;
            let answer = json!({ "order_id": id, "from": current.status, "to": current.status });
            let messages = if changes.is_empty() {
                Vec::new()
            } else {
                let fields = changes.iter().map(|c| c.field.clone()).collect();
                let event = DomainEvent::OrderChanged {
                    order_id: change.order_id.clone(),
                    fields,
                    actor: change.actor.clone(),
                    added_items: Vec::new(),
                };
                cx.run_triggers(db, id, event)?
            };
            Ok(Applied {
                answer: Answer::json(200, &answer),
                messages,
            })
        }
        StatusDecision::Apply { from, to } => {
            let guard = (from.as_str(), to.as_str());
            if let Some(reason) = reservations::assembly_guard(db, path, id, &current.items, guard)?
            {
                entry.outcome = Outcome::Refused;
                entry.reason = Some(&reason);
                orders::record_history(db, &entry, cx.now)?;
                return Ok(Applied::answer(
                    409,
                    json!({ "error": { "code": "items_not_reserved", "message": reason,
                                       "from": from, "to": to } }),
                ));
            }
            // Fields first: the status's triggers see them (callback_at for call-back).
            let changes = set_fields(db, id, &change.fields)?;
            record_changes(db, id, &changes, (&actor, actor_name), cx)?;
            orders::set_status(db, id, &to, cx.now)?;
            orders::record_history(db, &entry, cx.now)?;
            let answer = json!({ "order_id": id, "from": from, "to": to });
            let messages = cx.run_triggers(
                db,
                id,
                DomainEvent::StatusChanged {
                    order_id: change.order_id.clone(),
                    from,
                    to,
                    reason: change.reason.clone(),
                    actor: change.actor.clone(),
                },
            )?;
            Ok(Applied {
                answer: Answer::json(200, &answer),
                messages,
            })
        }
        StatusDecision::Refuse { from, to, error } => {
            let message = error.to_string();
            entry.outcome = Outcome::Refused;
            entry.reason = Some(&message);
            orders::record_history(db, &entry, cx.now)?;
            Ok(Applied::answer(
                409,
                json!({ "error": { "code": "forbidden_transition", "message": message,
                                   "from": from, "to": to } }),
            ))
        }
    }
}

fn actor_of<'a>(actor: Option<&'a Actor>, cx: &Context<'_>) -> (String, Option<&'a str>) {
    match actor {
        Some(actor) => (actor.label(), actor.name.as_deref()),
        None => (cx.actor.to_owned(), None),
    }
}

/// `422 invalid_event`: the core refused a field of the event.
pub(crate) fn invalid(refusal: crm::Invalid) -> ApiError {
    ApiError::new(422, "invalid_event", refusal.to_string())
}

/// Not remembered under the event id, so the sender's retry succeeds once the order exists.
pub(crate) fn unknown_order(id: &str) -> ApiError {
    ApiError::new(404, "unknown_order", format!("order {id} does not exist"))
}
