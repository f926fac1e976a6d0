//! Carrying out one planned action of a trigger: messages, notes, tasks, status moves,
//! fields, tags, reservations, timers, codes, discounts and chat replies, for an order, a
//! customer or a chat conversation.

use orderpath_core::automation::engine::{Assignee, PlannedAction, PlannedMessage, Recipient};
use orderpath_core::automation::event::DomainEvent;
use orderpath_core::automation::facts::Facts;
use orderpath_core::message::Language;
use serde_json::{json, Value};

use super::{parse_order_id, set_timer, status_changed, Effects, Run, Step, Subject};
use crate::clock::Timestamp;
use crate::db::{int, text, DbError};
use crate::marketing;
use crate::outbound::outbox::{self, NewMessage};
use crate::repo::orders::{self, HistoryEntry, Outcome};
use crate::{repo::facts, repo::tasks};

impl Run<'_> {
    /// Executes one action; returns the event it causes, if any.
    pub(super) fn execute(
        &self,
        step: &Step<'_>,
        action: PlannedAction,
        facts: &Facts,
        effects: &mut Effects,
    ) -> Result<Option<DomainEvent>, DbError> {
        let order_id = match step.subject {
            Subject::Order(id) => id.as_str(),
            Subject::Customer(customer_id) => {
                return self.execute_for_customer(step, Some(*customer_id), action, effects);
            }
            Subject::Chat { customer, .. } => {
                return self.execute_for_customer(step, *customer, action, effects);
            }
        };
        let history =
            |field: &str, old: Option<Value>, new: Option<Value>, outcome, reason: Option<&str>| {
                self.record((order_id, step), field, (old, new), outcome, reason)
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
                self.notify_staff(step, &staff, subject, text, effects)?;
            }
            PlannedAction::IssuePromoCode { pool } => {
                let Some(customer_id) = facts::customer_id(self.db, order_id)? else {
                    let reason = "the order has no customer";
                    history(
                        "promo_code",
                        None,
                        Some(json!(pool)),
                        Outcome::Refused,
                        Some(reason),
                    )?;
                    return Ok(None);
                };
                return self.issue_code(step, customer_id, &pool);
            }
            PlannedAction::ApplyDiscount { percent, amount } => {
                let old = facts.order.as_ref().map_or(0, |o| o.discount);
                self.db.execute(
                    "UPDATE orders SET discount = ?1, total = MAX(total - ?1, 0), updated_at = ?2
                     WHERE id = ?3 AND discount = 0",
                    &[int(amount), text(self.now.to_rfc3339()), text(order_id)],
                )?;
                let reason = format!("{percent}% of the items");
                history(
                    "discount",
                    Some(json!(old)),
                    Some(json!(amount)),
                    Outcome::Applied,
                    Some(&reason),
                )?;
                return Ok(Some(DomainEvent::OrderChanged {
                    order_id: parse_order_id(order_id)?,
                    fields: vec!["discount".into(), "total".into()],
                    actor: None,
                    added_items: Vec::new(),
                }));
            }
            PlannedAction::Task {
                title,
                assignee,
                due_at,
            } => {
                return self.task(step, title, assignee, due_at);
            }
            PlannedAction::AssignManager { unassigned } => {
                return super::assign::assign_manager(self, step, order_id, facts, unassigned);
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
                self.enqueue(
                    step,
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
                        headers: Vec::new(),
                    },
                    effects,
                )?;
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
                    (None, Some(step.evaluation)),
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
            PlannedAction::ChatReply { template, .. } => {
                let reason = "chat_reply answers a chat message, not an order's event";
                history(
                    "chat_reply",
                    None,
                    Some(json!(template)),
                    Outcome::Refused,
                    Some(reason),
                )?;
            }
        }
        Ok(None)
    }

    /// A customer's or a chat's event: messages, notes, tasks, tags and codes (for a chat, when
    /// its sender is a known customer), chat replies; nothing that needs an order.
    fn execute_for_customer(
        &self,
        step: &Step<'_>,
        customer_id: Option<i64>,
        action: PlannedAction,
        effects: &mut Effects,
    ) -> Result<Option<DomainEvent>, DbError> {
        let unknown = "the chat's sender is not a stored customer";
        match action {
            PlannedAction::ChatReply { template, text, .. } => {
                self.chat_reply(step, &template, &text, effects)?;
            }
            PlannedAction::Message(message) => self.queue_message(step, &message, effects)?,
            PlannedAction::NotifyStaff {
                staff,
                subject,
                text,
            } => self.notify_staff(step, &staff, subject, text, effects)?,
            PlannedAction::Task {
                title,
                assignee,
                due_at,
            } => return self.task(step, title, assignee, due_at),
            PlannedAction::TagCustomer { ref tag } | PlannedAction::UntagCustomer { ref tag } => {
                let Some(customer_id) = customer_id else {
                    self.note(step.subject, step.trigger_id, "tags", None, unknown)?;
                    return Ok(None);
                };
                let add = matches!(action, PlannedAction::TagCustomer { .. });
                facts::tag_customer_id(self.db, customer_id, tag, add, self.now)?;
                let sign = if add { "+" } else { "-" };
                let actor = format!("trigger:{}", step.trigger_id);
                let entry = marketing::CustomerLine {
                    customer_id,
                    actor: &actor,
                    field: "tags",
                    old: None,
                    new: Some(json!(format!("{sign}{tag}"))),
                    applied: true,
                    reason: None,
                    event_id: Some(self.cause),
                };
                marketing::record(self.db, &entry, self.now)?;
            }
            PlannedAction::IssuePromoCode { pool } => {
                let Some(customer_id) = customer_id else {
                    self.note(step.subject, step.trigger_id, "promo_code", None, unknown)?;
                    return Ok(None);
                };
                return self.issue_code(step, customer_id, &pool);
            }
            PlannedAction::Skipped { action, reason } => {
                let new = Some(json!({ "action": action }));
                self.note(step.subject, step.trigger_id, "trigger", new, &reason)?;
            }
            other => {
                let reason = format!("{other:?} needs an order");
                self.note(step.subject, step.trigger_id, "trigger", None, &reason)?;
            }
        }
        Ok(None)
    }

    /// V6: the reply goes back to the chat the message came from.
    fn chat_reply(
        &self,
        step: &Step<'_>,
        template: &str,
        text: &str,
        effects: &mut Effects,
    ) -> Result<(), DbError> {
        let Subject::Chat { conversation, .. } = step.subject else {
            let reason = "chat_reply answers a chat message";
            return self.note(step.subject, step.trigger_id, "chat_reply", None, reason);
        };
        let actor = format!("trigger:{}", step.trigger_id);
        let reply = crate::chats::Reply {
            conversation_id: *conversation,
            key: step.key(self.cause),
            actor: &actor,
            template,
            text,
        };
        match crate::chats::reply(self, &reply)? {
            crate::chats::Replied::Queued(queued) => effects.messages.extend(queued),
            crate::chats::Replied::InAnswer(text) => effects.replies.push(text),
        }
        Ok(())
    }

    /// A line in the order's history by the step's trigger.
    pub(super) fn record(
        &self,
        (order_id, step): (&str, &Step<'_>),
        field: &str,
        (old, new): (Option<Value>, Option<Value>),
        outcome: Outcome,
        reason: Option<&str>,
    ) -> Result<(), DbError> {
        orders::record_history(
            self.db,
            &HistoryEntry {
                order_id,
                actor: &format!("trigger:{}", step.trigger_id),
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
    }

    fn notify_staff(
        &self,
        step: &Step<'_>,
        staff: &orderpath_core::automation::config::StaffMember,
        subject: Option<String>,
        text: String,
        effects: &mut Effects,
    ) -> Result<(), DbError> {
        let about = match step.subject {
            Subject::Order(id) => format!("Заказ {id}"),
            Subject::Customer(id) => format!("Клиент {id}"),
            Subject::Chat { conversation, .. } => format!("Чат {conversation}"),
        };
        let note = PlannedMessage {
            channel: orderpath_core::automation::config::MessageChannel::Email,
            template: "staff-note".into(),
            language: Language::Ru,
            to: Recipient::Staff {
                id: staff.id.clone(),
                name: staff.name.clone(),
            },
            address: staff.email.clone().unwrap_or_default(),
            subject: subject.or(Some(about)),
            text,
            html: None,
            not_before: None,
            sms_parts: None,
            marketing: false,
        };
        if let Some(chat) = staff.telegram_chat_id.as_deref() {
            self.queue_other(step, "telegram", chat, &note, effects)
        } else if !note.address.is_empty() {
            self.queue_message(step, &note, effects)
        } else {
            let reason = format!("staff {} has neither telegram_chat_id nor email", staff.id);
            self.note(step.subject, step.trigger_id, "notify_staff", None, &reason)
        }
    }

    pub(super) fn task(
        &self,
        step: &Step<'_>,
        title: String,
        assignee: Assignee,
        due_at: i64,
    ) -> Result<Option<DomainEvent>, DbError> {
        let assignee = match assignee {
            Assignee::Staff(id) => format!("staff:{id}"),
            Assignee::Role(id) => format!("role:{id}"),
        };
        let created = tasks::create(
            self.db,
            &tasks::NewTask {
                dedupe_key: Some(step.key(self.cause)),
                order_id: step.subject.order_id(),
                kind: "trigger",
                title: &title,
                reason: step.trigger_id,
                assignee: &assignee,
                due_at: Timestamp::from_unix(due_at),
            },
            self.now,
        )?;
        // Only a task a trigger created for an order is an event: the system's own tasks (a
        // message that was not delivered) are not, so a broken CRM feed cannot feed itself.
        match (created, step.subject.order_id()) {
            (Some(task_id), Some(order_id)) => Ok(Some(DomainEvent::TaskCreated {
                order_id: parse_order_id(order_id)?,
                task_id,
                title,
                assignee,
                due_at,
                trigger: step.trigger_id.to_owned(),
            })),
            _ => Ok(None),
        }
    }

    /// Issues a promo code; the `promo_code.issued` event it raises runs for the customer.
    fn issue_code(
        &self,
        step: &Step<'_>,
        customer_id: i64,
        pool: &str,
    ) -> Result<Option<DomainEvent>, DbError> {
        let actor = format!("trigger:{}", step.trigger_id);
        let run_key = step.key(self.cause);
        let issue = marketing::Issue {
            customer_id,
            pool,
            actor: &actor,
            run_key: &run_key,
            about: step.event.customer_event().map(|e| &e.data),
        };
        match marketing::issue_code(self.db, self.config, &issue, self.now)? {
            Ok(event) => Ok(event),
            Err(reason) => {
                let new = Some(json!({ "pool": pool }));
                self.note(step.subject, step.trigger_id, "promo_code", new, &reason)?;
                Ok(None)
            }
        }
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
        let headers = if message.marketing {
            match self.unsubscribe_headers(step)? {
                Some(headers) => headers,
                None => {
                    let reason = "marketing email needs the unsubscribe link: set public_url \
                                  and unsubscribe_secret";
                    return self.refuse(step, reason);
                }
            }
        } else {
            Vec::new()
        };
        self.enqueue(
            step,
            &NewMessage {
                dedupe_key: step.key(self.cause),
                order_id: step.subject.order_id(),
                channel: "email",
                template: &message.template,
                to: address.as_str(),
                to_name: to_name.as_deref(),
                subject: Some(message.subject.as_deref().unwrap_or_default()),
                text: &message.text,
                html: message.html.as_deref(),
                not_before: None,
                headers,
            },
            effects,
        )
    }

    /// RFC 2369 / RFC 8058 headers with the customer's signed unsubscribe link; `None` when
    /// the link cannot be made (the key or the public address is not set).
    fn unsubscribe_headers(
        &self,
        step: &Step<'_>,
    ) -> Result<Option<Vec<(String, String)>>, DbError> {
        let customer_id = match step.subject {
            Subject::Customer(id) => Some(*id),
            Subject::Chat { customer, .. } => *customer,
            Subject::Order(order_id) => facts::customer_id(self.db, order_id)?,
        };
        let signer = marketing::unsubscribe::Signer::from_variables();
        Ok(customer_id
            .zip(signer)
            .map(|(id, signer)| signer.headers(id)))
    }

    /// Queues a message in the outbox. One the outbox refuses — header fields that cannot be
    /// sent, a bug in the code that built them — is refused in the order's history and logged;
    /// the rest of the event's effects still apply.
    fn enqueue(
        &self,
        step: &Step<'_>,
        message: &NewMessage<'_>,
        effects: &mut Effects,
    ) -> Result<(), DbError> {
        match outbox::enqueue(self.db, message, self.now) {
            Ok(queued) => {
                effects.messages.extend(queued);
                Ok(())
            }
            Err(outbox::EnqueueError::Db(error)) => Err(error),
            Err(refused) => {
                eprintln!("trigger {}: {refused}", step.trigger_id);
                self.refuse(step, &refused.to_string())
            }
        }
    }

    fn refuse(&self, step: &Step<'_>, reason: &str) -> Result<(), DbError> {
        let new = Some(json!({ "action": step.index }));
        self.note(step.subject, step.trigger_id, "trigger", new, reason)
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
        self.enqueue(
            step,
            &NewMessage {
                dedupe_key: step.key(self.cause),
                order_id: step.subject.order_id(),
                channel,
                template: &message.template,
                to: &address,
                to_name: None,
                subject: message.subject.as_deref(),
                text: &message.text,
                html: None,
                not_before: message.not_before.map(Timestamp::from_unix),
                headers: Vec::new(),
            },
            effects,
        )
    }
}
