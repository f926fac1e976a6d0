//! Runs the shop's triggers for a domain event and executes what the engine decides.
//!
//! The configuration is the compiled file Spin mounts at `/config` (spin.toml `files`). A
//! configuration that does not validate stops the component: it answers 503 naming the first
//! problem and records nothing, so senders retry once the shop fixes it — a broken
//! configuration never silently does nothing.
//!
//! Execution happens inside the request's transaction. `set_status` and `cancel` produce
//! `order.status_changed` events, and a `task` that creates a task `task.created`; they are
//! fed back to the engine, at most [`MAX_CASCADE_DEPTH`] rounds, so "paid → payment-received →
//! prepare-for-delivery" runs in one request without a trigger loop being able to run for ever.

use std::collections::VecDeque;

use orderpath_core::automation::config::Config;
use orderpath_core::automation::engine::{
    evaluate, evaluate_delayed, Assignee, Decision, PlannedAction, PlannedMessage, Recipient,
    MAX_CASCADE_DEPTH,
};
use orderpath_core::automation::event::DomainEvent;
use orderpath_core::automation::facts::Facts;
use orderpath_core::message::Language;
use serde_json::{json, Value};

use crate::clock::Timestamp;
use crate::db::{opt_text, text, Db, DbError};
use crate::outbound::outbox::{self, NewMessage};
use crate::repo::orders::{self, HistoryEntry, Outcome};
use crate::{repo::facts, repo::tasks};

pub use crate::config_source::{load_config, CONFIG_ROOT};

/// What a run left to do after the transaction commits.
#[derive(Debug, Default)]
pub struct Effects {
    /// Messages queued (and held) by this run: send them after commit.
    pub messages: Vec<i64>,
}

/// One run of the triggers for an event and everything it cascades into.
pub struct Run<'a> {
    /// The database, inside the request's transaction.
    pub db: &'a Db,
    /// The validated configuration.
    pub config: &'a Config,
    /// Now.
    pub now: Timestamp,
    /// What caused the run (`orders:<webhook-id>`, `timer:<id>`): makes message keys unique.
    pub cause: &'a str,
}

impl Run<'_> {
    /// Evaluates `event` for `order_id` and executes the decisions, with cascades.
    pub fn handle(&self, order_id: &str, event: DomainEvent) -> Result<Effects, DbError> {
        self.run(order_id, Work::Event(event))
    }

    /// A delayed trigger is due: re-checks it against fresh facts (the engine's
    /// `evaluate_delayed`) and executes it, with cascades.
    pub fn handle_delayed(
        &self,
        order_id: &str,
        trigger_id: &str,
        event: DomainEvent,
    ) -> Result<Effects, DbError> {
        self.run(order_id, Work::Delayed(trigger_id.to_owned(), event))
    }

    fn run(&self, order_id: &str, first: Work) -> Result<Effects, DbError> {
        let mut effects = Effects::default();
        let mut queue = VecDeque::from([(first, 0_usize)]);
        while let Some((work, depth)) = queue.pop_front() {
            let Some(facts) = facts::load(self.db, order_id, self.now)? else {
                return Ok(effects);
            };
            let (event, decisions) = match work {
                Work::Event(event) => {
                    let decisions = evaluate(self.config, &event, &facts);
                    (event, decisions)
                }
                Work::Delayed(trigger_id, event) => {
                    let decision = evaluate_delayed(self.config, &trigger_id, &event, &facts);
                    (event, decision.into_iter().collect())
                }
            };
            for decision in decisions {
                match decision {
                    Decision::Run {
                        trigger_id,
                        actions,
                    } => {
                        for (index, action) in actions.into_iter().enumerate() {
                            let step = Step {
                                order_id,
                                trigger_id: &trigger_id,
                                index,
                            };
                            let Some(next) = self.execute(&step, action, &facts, &mut effects)?
                            else {
                                continue;
                            };
                            if depth + 1 < MAX_CASCADE_DEPTH {
                                queue.push_back((Work::Event(next), depth + 1));
                            } else {
                                eprintln!(
                                    "trigger cascade stopped at depth {MAX_CASCADE_DEPTH} for order {order_id}"
                                );
                            }
                        }
                    }
                    Decision::Delay {
                        trigger_id,
                        fire_at,
                    } => {
                        let event = serde_json::to_string(&event).unwrap_or_default();
                        set_timer(
                            self.db,
                            order_id,
                            &format!("delay:{trigger_id}"),
                            Some((&trigger_id, &event)),
                            Timestamp::from_unix(fire_at),
                            self.now,
                        )?;
                    }
                }
            }
        }
        Ok(effects)
    }

    /// Executes one action; returns the event it causes, if any.
    fn execute(
        &self,
        step: &Step<'_>,
        action: PlannedAction,
        facts: &Facts,
        effects: &mut Effects,
    ) -> Result<Option<DomainEvent>, DbError> {
        let order_id = step.order_id;
        let actor = format!("trigger:{}", step.trigger_id);
        let history =
            |field: &str, old: Option<Value>, new: Option<Value>, outcome, reason: Option<&str>| {
                orders::record_history(
                    self.db,
                    &HistoryEntry {
                        order_id,
                        actor: &actor,
                        actor_name: None,
                        field,
                        old_value: old.map(|v| v.to_string()),
                        new_value: new.map(|v| v.to_string()),
                        outcome,
                        reason,
                        event_id: Some(self.cause),
                    },
                    self.now,
                )
            };
        match action {
            PlannedAction::Message(message) => {
                self.queue_message(step, &message, effects)?;
            }
            PlannedAction::NotifyStaff {
                staff,
                subject,
                text,
            } => {
                let note = PlannedMessage {
                    channel: orderpath_core::automation::config::MessageChannel::Email,
                    template: "staff-note".into(),
                    language: Language::Ru,
                    to: Recipient::Staff {
                        id: staff.id.clone(),
                        name: staff.name.clone(),
                    },
                    address: staff.email.clone().unwrap_or_default(),
                    subject: subject.or_else(|| Some(format!("Заказ {order_id}"))),
                    text,
                    html: None,
                    not_before: None,
                    sms_parts: None,
                };
                if let Some(chat) = staff.telegram_chat_id.as_deref() {
                    self.queue_other(step, "telegram", chat, &note, effects)?;
                } else if !note.address.is_empty() {
                    self.queue_message(step, &note, effects)?;
                } else {
                    let reason =
                        format!("staff {} has neither telegram_chat_id nor email", staff.id);
                    history("notify_staff", None, None, Outcome::Refused, Some(&reason))?;
                }
            }
            PlannedAction::Task {
                title,
                assignee,
                due_at,
            } => {
                let assignee = match assignee {
                    Assignee::Staff(id) => format!("staff:{id}"),
                    Assignee::Role(id) => format!("role:{id}"),
                };
                let created = tasks::create(
                    self.db,
                    &tasks::NewTask {
                        dedupe_key: Some(step.key(self.cause)),
                        order_id: Some(order_id),
                        kind: "trigger",
                        title: &title,
                        reason: step.trigger_id,
                        assignee: &assignee,
                        due_at: Timestamp::from_unix(due_at),
                    },
                    self.now,
                )?;
                // Only a task a trigger created is an event: the system's own tasks (a message
                // that was not delivered) are not, so a broken CRM feed cannot feed itself.
                if let Some(task_id) = created {
                    return Ok(Some(DomainEvent::TaskCreated {
                        order_id: parse_order_id(order_id)?,
                        task_id,
                        title,
                        assignee,
                        due_at,
                        trigger: step.trigger_id.to_owned(),
                    }));
                }
            }
            PlannedAction::HttpRequest(webhook) => {
                let dedupe_key = step.key(self.cause);
                // The order's history names the delivery as the receiver sees it.
                let delivery = json!({
                    "endpoint": webhook.endpoint,
                    "type": webhook.event_type,
                    "webhook_id": orderpath_wire::providers::webhook::webhook_id(&dedupe_key),
                });
                history("http_request", None, Some(delivery), Outcome::Applied, None)?;
                let queued = outbox::enqueue(
                    self.db,
                    &NewMessage {
                        dedupe_key,
                        order_id: Some(order_id),
                        channel: "webhook",
                        template: &webhook.event_type,
                        to: &webhook.endpoint,
                        to_name: None,
                        subject: None,
                        text: &webhook.payload,
                        html: None,
                        not_before: None,
                    },
                    self.now,
                )?;
                effects.messages.extend(queued);
            }
            PlannedAction::SetStatus { from, to } => {
                let items = facts.order.as_ref().map_or(&[][..], |o| &o.items[..]);
                let path = &self.config.statuses.path;
                let guard = (from.as_str(), to.as_str());
                if let Some(reason) = crate::repo::reservations::assembly_guard(
                    self.db, path, order_id, items, guard,
                )? {
                    let new = Some(json!(to));
                    history(
                        "status",
                        Some(json!(from)),
                        new,
                        Outcome::Refused,
                        Some(&reason),
                    )?;
                    return Ok(None);
                }
                orders::set_status(self.db, order_id, &to, self.now)?;
                history(
                    "status",
                    Some(json!(from)),
                    Some(json!(to)),
                    Outcome::Applied,
                    None,
                )?;
                return status_changed(order_id, from, to, None).map(Some);
            }
            PlannedAction::Cancel { from, reason } => {
                orders::set_status(self.db, order_id, "cancelled", self.now)?;
                facts::set_field(self.db, order_id, "cancel_reason", &json!(reason))?;
                history(
                    "status",
                    Some(json!(from)),
                    Some(json!("cancelled")),
                    Outcome::Applied,
                    Some(&reason),
                )?;
                return status_changed(order_id, from, "cancelled".into(), Some(reason)).map(Some);
            }
            PlannedAction::SetField { field, value } => {
                let old = facts.order.as_ref().map(|o| o.field(&field));
                facts::set_field(self.db, order_id, &field, &value)?;
                history(&field, old, Some(value), Outcome::Applied, None)?;
            }
            PlannedAction::TagCustomer { tag } | PlannedAction::UntagCustomer { tag }
                if facts::customer_id(self.db, order_id)?.is_none() =>
            {
                history(
                    "customer.tags",
                    None,
                    Some(json!(tag)),
                    Outcome::Refused,
                    Some("the order has no customer"),
                )?;
            }
            PlannedAction::TagCustomer { tag } => {
                facts::tag_customer(self.db, order_id, &tag, true, self.now)?;
                history(
                    "customer.tags",
                    None,
                    Some(json!(format!("+{tag}"))),
                    Outcome::Applied,
                    None,
                )?;
            }
            PlannedAction::UntagCustomer { tag } => {
                facts::tag_customer(self.db, order_id, &tag, false, self.now)?;
                history(
                    "customer.tags",
                    None,
                    Some(json!(format!("-{tag}"))),
                    Outcome::Applied,
                    None,
                )?;
            }
            PlannedAction::ReserveItems | PlannedAction::ReleaseItems => {
                let reserve = matches!(action, PlannedAction::ReserveItems);
                let mut short = Vec::new();
                if reserve {
                    let items = facts.order.as_ref().map_or(&[][..], |o| &o.items[..]);
                    short = crate::repo::reservations::reserve(self.db, order_id, items, self.now)?;
                } else {
                    crate::repo::reservations::release(self.db, order_id, self.now)?;
                }
                let state = if reserve { "reserved" } else { "released" };
                let reason = (!short.is_empty())
                    .then(|| format!("not enough in stock: {}", short.join(", ")));
                history(
                    "reservation",
                    None,
                    Some(json!(state)),
                    Outcome::Applied,
                    reason.as_deref(),
                )?;
                if !short.is_empty() {
                    // O6: what the stock cannot cover goes to purchasing.
                    let id = facts.order.as_ref().map(|o| o.id.clone());
                    return Ok(id.map(|order_id| DomainEvent::StockChanged {
                        order_id,
                        skus: short,
                        available: false,
                    }));
                }
            }
            PlannedAction::Bonus(bonus) => {
                let source = crate::repo::bonuses::Source {
                    order_id,
                    trigger_id: step.trigger_id,
                    cause: self.cause,
                };
                let written = crate::repo::bonuses::accrue(self.db, &bonus, &source, self.now)?;
                if written != 0 {
                    let entry = json!({ "staff": bonus.staff, "rule": bonus.rule,
                        "amount": written, "currency": bonus.currency, "period": bonus.period });
                    history("bonus", None, Some(entry), Outcome::Applied, None)?;
                }
            }
            PlannedAction::ReverseBonuses { rules, period } => {
                let source = crate::repo::bonuses::Source {
                    order_id,
                    trigger_id: step.trigger_id,
                    cause: self.cause,
                };
                let reversed =
                    crate::repo::bonuses::reverse(self.db, &rules, &source, &period, self.now)?;
                for (staff, amount) in reversed.per_staff {
                    let entry = json!({ "staff": staff, "amount": amount, "period": period,
                        "reversal": true });
                    history("bonus", None, Some(entry), Outcome::Applied, None)?;
                }
            }
            PlannedAction::SetTimer { name, fire_at } => {
                set_timer(
                    self.db,
                    order_id,
                    &name,
                    None,
                    Timestamp::from_unix(fire_at),
                    self.now,
                )?;
            }
            PlannedAction::CancelTimer { name } => {
                self.db.execute(
                    "UPDATE timers SET status = 'cancelled'
                     WHERE order_id = ? AND name = ? AND status = 'pending'",
                    &[text(order_id), text(name)],
                )?;
            }
            PlannedAction::Skipped { action, reason } => {
                history(
                    "trigger",
                    None,
                    Some(json!({ "action": action })),
                    Outcome::Refused,
                    Some(&reason),
                )?;
            }
        }
        Ok(None)
    }

    fn queue_message(
        &self,
        step: &Step<'_>,
        message: &PlannedMessage,
        effects: &mut Effects,
    ) -> Result<(), DbError> {
        use orderpath_core::automation::config::MessageChannel;
        if message.channel != MessageChannel::Email {
            return self.queue_other(step, "sms", &message.address, message, effects);
        }
        // Invalid contacts never reach a provider: the refusal is kept in the history.
        let Ok(address) = orderpath_core::contact::Email::parse(&message.address) else {
            return self.refuse(
                step,
                &format!("not an email address: {:?}", message.address),
            );
        };
        let to_name = match &message.to {
            Recipient::Customer { name } => name.clone(),
            Recipient::Staff { name, .. } => Some(name.clone()),
            Recipient::Supplier | Recipient::Carrier => None,
        };
        let queued = outbox::enqueue(
            self.db,
            &NewMessage {
                dedupe_key: step.key(self.cause),
                order_id: Some(step.order_id),
                channel: "email",
                template: &message.template,
                to: address.as_str(),
                to_name: to_name.as_deref(),
                subject: Some(message.subject.as_deref().unwrap_or_default()),
                text: &message.text,
                html: message.html.as_deref(),
                not_before: None,
            },
            self.now,
        )?;
        effects.messages.extend(queued);
        Ok(())
    }

    fn refuse(&self, step: &Step<'_>, reason: &str) -> Result<(), DbError> {
        orders::record_history(
            self.db,
            &HistoryEntry {
                order_id: step.order_id,
                actor: &format!("trigger:{}", step.trigger_id),
                actor_name: None,
                field: "trigger",
                old_value: None,
                new_value: Some(json!({ "action": step.index }).to_string()),
                outcome: Outcome::Refused,
                reason: Some(reason),
                event_id: Some(self.cause),
            },
            self.now,
        )
    }

    /// Queues an SMS (held until quiet hours end for a customer, C11) or a Telegram note;
    /// one due now is sent right after the request commits.
    fn queue_other(
        &self,
        step: &Step<'_>,
        channel: &str,
        address: &str,
        message: &PlannedMessage,
        effects: &mut Effects,
    ) -> Result<(), DbError> {
        let address = if channel == "sms" {
            match orderpath_core::contact::Phone::parse(address) {
                Ok(phone) => phone.as_str().to_owned(),
                Err(_) => return self.refuse(step, &format!("not a phone number: {address:?}")),
            }
        } else {
            address.to_owned()
        };
        let queued = outbox::enqueue(
            self.db,
            &NewMessage {
                dedupe_key: step.key(self.cause),
                order_id: Some(step.order_id),
                channel,
                template: &message.template,
                to: &address,
                to_name: None,
                subject: message.subject.as_deref(),
                text: &message.text,
                html: None,
                not_before: message.not_before.map(Timestamp::from_unix),
            },
            self.now,
        )?;
        effects.messages.extend(queued);
        Ok(())
    }
}

/// What starts a run.
enum Work {
    /// An event: evaluate every trigger for it.
    Event(DomainEvent),
    /// A delayed trigger whose timer fired, with the event that started it.
    Delayed(String, DomainEvent),
}

/// Which action of which trigger for which order.
struct Step<'a> {
    order_id: &'a str,
    trigger_id: &'a str,
    index: usize,
}

impl Step<'_> {
    /// Unique per cause, trigger and action: a replayed cause queues nothing new.
    fn key(&self, cause: &str) -> String {
        format!(
            "{cause}:{}:{}:{}",
            self.order_id, self.trigger_id, self.index
        )
    }
}

fn parse_order_id(order_id: &str) -> Result<orderpath_core::event::OrderId, DbError> {
    orderpath_core::event::OrderId::parse(order_id).map_err(|_| DbError::Shape("stored order id"))
}

fn status_changed(
    order_id: &str,
    from: String,
    to: String,
    reason: Option<String>,
) -> Result<DomainEvent, DbError> {
    let order_id = parse_order_id(order_id)?;
    Ok(DomainEvent::StatusChanged {
        order_id,
        from,
        to,
        reason,
        actor: None,
    })
}

/// Stores (or replaces) the order's pending timer with this name.
fn set_timer(
    db: &Db,
    order_id: &str,
    name: &str,
    delayed: Option<(&str, &str)>,
    fire_at: Timestamp,
    now: Timestamp,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE timers SET status = 'cancelled' WHERE order_id = ? AND name = ? AND status = 'pending'",
        &[text(order_id), text(name)],
    )?;
    db.execute(
        "INSERT INTO timers (order_id, name, trigger_id, event, fire_at, status, created_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?)",
        &[
            text(order_id),
            text(name),
            opt_text(delayed.map(|d| d.0)),
            opt_text(delayed.map(|d| d.1)),
            text(fire_at.to_rfc3339()),
            text(now.to_rfc3339()),
        ],
    )?;
    Ok(())
}
