//! What the shell records of each trigger evaluation, and the compact form of the decisions it
//! took: enough to re-evaluate the event with another configuration and to compare.

use serde::{Deserialize, Serialize};

use crate::automation::engine::{Assignee, Decision, PlannedAction, Recipient};
use crate::automation::event::DomainEvent;
use crate::automation::facts::Facts;
use crate::automation::time::TimeZone;

/// Which engine call an evaluation was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `evaluate`: every trigger for the event.
    Event,
    /// `evaluate_after`: the triggers after [`Evaluation::trigger`], with the facts its
    /// discount or assignment left; continues the evaluation [`Evaluation::parent`].
    After,
    /// `evaluate_delayed`: the delayed trigger [`Evaluation::trigger`] is due; the evaluation
    /// that delayed it is [`Evaluation::parent`] (when it was recorded).
    Delayed,
}

impl Kind {
    /// `event`, `after` or `delayed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Event => "event",
            Kind::After => "after",
            Kind::Delayed => "delayed",
        }
    }

    /// Reads what [`Kind::as_str`] wrote.
    pub fn parse(text: &str) -> Option<Kind> {
        [Kind::Event, Kind::After, Kind::Delayed]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// What an evaluation was about: an order, a customer, a chat conversation (and its customer).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SubjectRef {
    /// The order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// The customer (an event about a customer; a chat's known sender).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<i64>,
    /// The chat conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
}

impl SubjectRef {
    /// `order 1001`, `chat 3`, `customer 12`.
    pub fn describe(&self) -> String {
        match (&self.order, self.chat, self.customer) {
            (Some(order), _, _) => format!("order {order}"),
            (None, Some(chat), _) => format!("chat {chat}"),
            (None, None, Some(customer)) => format!("customer {customer}"),
            (None, None, None) => "no subject".into(),
        }
    }
}

/// One recorded evaluation: the event and exactly the facts the engine saw, and what was done.
/// A line of `GET /api/replay/evaluations` and of `orderpath-check --replay --events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Increasing in the order the evaluations were made.
    pub id: i64,
    /// When (unix seconds): the facts' `now`.
    pub at: i64,
    /// What caused the run: `orders`, `timer`, `overdue`, `desk`, `yookassa`, ….
    pub source: String,
    /// The inbound event's id within the source (a webhook id, a timer id).
    pub event_id: String,
    /// Which engine call.
    pub kind: Kind,
    /// For a cascaded event: the evaluation whose action raised it; for `after` and
    /// `delayed`: the evaluation it continues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<i64>,
    /// `after`: the trigger whose action changed the facts; `delayed`: the delayed trigger;
    /// a cascaded event: the trigger whose action raised it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// A cascaded event: the action that raised it (a status move, a task, a timer, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raised_by: Option<ActionKey>,
    /// What it was about.
    pub subject: SubjectRef,
    /// The event.
    pub event: DomainEvent,
    /// What the engine saw.
    pub facts: Facts,
    /// What was done, in order.
    pub decisions: Vec<Taken>,
}

/// A decision as it was carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Taken {
    /// The trigger's actions ran.
    Run {
        /// The trigger.
        trigger: String,
        /// Its actions, compactly.
        actions: Vec<ActionKey>,
        /// The subject its cooldown was claimed for (`customer:7`), when it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cooldown: Option<String>,
    },
    /// The trigger was delayed: a timer fires it again at `fire_at`.
    Delay {
        /// The trigger.
        trigger: String,
        /// Unix seconds.
        fire_at: i64,
    },
    /// The trigger matched but its cooldown had not passed: nothing ran.
    Cooldown {
        /// The trigger.
        trigger: String,
        /// The subject whose cooldown had not passed.
        key: String,
    },
}

impl Taken {
    /// The trigger it is about.
    pub fn trigger(&self) -> &str {
        match self {
            Taken::Run { trigger, .. }
            | Taken::Delay { trigger, .. }
            | Taken::Cooldown { trigger, .. } => trigger,
        }
    }

    /// A delay as recorded (a run is recorded with [`Taken::run`] once its cooldown passed).
    pub fn of_delay(decision: &Decision) -> Option<Taken> {
        match decision {
            Decision::Delay {
                trigger_id,
                fire_at,
            } => Some(Taken::Delay {
                trigger: trigger_id.clone(),
                fire_at: *fire_at,
            }),
            Decision::Run { .. } => None,
        }
    }

    /// A run as recorded, with the subject its cooldown was claimed for.
    pub fn run(trigger: &str, actions: &[PlannedAction], cooldown: Option<String>) -> Taken {
        Taken::Run {
            trigger: trigger.to_owned(),
            actions: actions.iter().map(ActionKey::of).collect(),
            cooldown,
        }
    }
}

/// An action, compactly: its kind and the fields that tell two apart. Texts are kept as a
/// digest, so a changed template shows without storing the text twice.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionKey {
    /// A message to the customer, a staff member, the supplier or the carrier.
    Message {
        /// `email` or `sms`.
        channel: String,
        /// The template.
        template: String,
        /// `customer`, `staff:<id>`, `supplier` or `carrier`.
        to: String,
        /// The address or phone.
        address: String,
        /// Held until (customer SMS in quiet hours).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        not_before: Option<i64>,
        /// Digest of the subject and texts.
        digest: String,
    },
    /// A note for a staff member.
    Note {
        /// The staff id.
        staff: String,
        /// Digest of the subject and text.
        digest: String,
    },
    /// A task.
    Task {
        /// The title.
        title: String,
        /// `staff:<id>` or `role:<id>`.
        assignee: String,
        /// Unix seconds.
        due_at: i64,
    },
    /// A status move.
    Status {
        /// From.
        from: String,
        /// To.
        to: String,
    },
    /// A cancellation.
    Cancel {
        /// From.
        from: String,
        /// Why.
        reason: String,
    },
    /// A field set.
    Field {
        /// The field.
        field: String,
        /// The value, as JSON.
        value: String,
    },
    /// A customer tag added.
    Tag {
        /// The tag.
        tag: String,
    },
    /// A customer tag removed.
    Untag {
        /// The tag.
        tag: String,
    },
    /// The items reserved.
    Reserve,
    /// The reservations released.
    Release,
    /// A timer set.
    SetTimer {
        /// Its name.
        name: String,
        /// Unix seconds.
        fire_at: i64,
    },
    /// A timer cancelled.
    CancelTimer {
        /// Its name.
        name: String,
    },
    /// An event for the CRM or ERP.
    Http {
        /// `crm` or `erp`.
        endpoint: String,
        /// The payload's type.
        event_type: String,
        /// Digest of the payload.
        digest: String,
    },
    /// A promo code issued.
    PromoCode {
        /// The pool.
        pool: String,
    },
    /// A discount.
    Discount {
        /// Percent.
        percent: i64,
        /// Minor units.
        amount: i64,
    },
    /// A reply in the customer's chat.
    ChatReply {
        /// The template.
        template: String,
        /// Digest of the text.
        digest: String,
    },
    /// The order's manager chosen.
    AssignManager,
    /// Bonus lines written.
    Bonus {
        /// The rule.
        rule: String,
        /// Who earns it.
        staff: String,
        /// The sum of the lines, minor units.
        amount: i64,
    },
    /// Bonus lines reversed.
    ReverseBonuses {
        /// The rules (empty: every rule).
        rules: Vec<String>,
    },
    /// A configured action that could not be carried out.
    Skipped {
        /// Its index in the trigger.
        action: usize,
        /// Why.
        reason: String,
    },
}

impl ActionKey {
    /// The compact form of a planned action.
    pub fn of(action: &PlannedAction) -> ActionKey {
        match action {
            PlannedAction::Message(m) => ActionKey::Message {
                channel: channel_name(m.channel).into(),
                template: m.template.clone(),
                to: recipient(&m.to),
                address: m.address.clone(),
                not_before: m.not_before,
                digest: digest(&[
                    m.subject.as_deref().unwrap_or_default(),
                    &m.text,
                    m.html.as_deref().unwrap_or_default(),
                ]),
            },
            PlannedAction::NotifyStaff {
                staff,
                subject,
                text,
            } => ActionKey::Note {
                staff: staff.id.clone(),
                digest: digest(&[subject.as_deref().unwrap_or_default(), text]),
            },
            PlannedAction::Task {
                title,
                assignee,
                due_at,
            } => ActionKey::Task {
                title: title.clone(),
                assignee: assignee_name(assignee),
                due_at: *due_at,
            },
            PlannedAction::SetStatus { from, to } => ActionKey::Status {
                from: from.clone(),
                to: to.clone(),
            },
            PlannedAction::Cancel { from, reason } => ActionKey::Cancel {
                from: from.clone(),
                reason: reason.clone(),
            },
            PlannedAction::SetField { field, value } => ActionKey::Field {
                field: field.clone(),
                value: value.to_string(),
            },
            PlannedAction::TagCustomer { tag } => ActionKey::Tag { tag: tag.clone() },
            PlannedAction::UntagCustomer { tag } => ActionKey::Untag { tag: tag.clone() },
            PlannedAction::ReserveItems => ActionKey::Reserve,
            PlannedAction::ReleaseItems => ActionKey::Release,
            PlannedAction::SetTimer { name, fire_at } => ActionKey::SetTimer {
                name: name.clone(),
                fire_at: *fire_at,
            },
            PlannedAction::CancelTimer { name } => ActionKey::CancelTimer { name: name.clone() },
            PlannedAction::HttpRequest(w) => ActionKey::Http {
                endpoint: w.endpoint.clone(),
                event_type: w.event_type.clone(),
                digest: digest(&[&w.payload]),
            },
            PlannedAction::IssuePromoCode { pool } => ActionKey::PromoCode { pool: pool.clone() },
            PlannedAction::ApplyDiscount { percent, amount } => ActionKey::Discount {
                percent: *percent,
                amount: *amount,
            },
            PlannedAction::ChatReply { template, text, .. } => ActionKey::ChatReply {
                template: template.clone(),
                digest: digest(&[text]),
            },
            PlannedAction::AssignManager { .. } => ActionKey::AssignManager,
            PlannedAction::Bonus(b) => ActionKey::Bonus {
                rule: b.rule.clone(),
                staff: b.staff.clone(),
                amount: b.lines.iter().map(|l| l.amount).sum(),
            },
            PlannedAction::ReverseBonuses { rules, .. } => ActionKey::ReverseBonuses {
                rules: rules.clone(),
            },
            PlannedAction::Skipped { action, reason } => ActionKey::Skipped {
                action: *action,
                reason: reason.clone(),
            },
        }
    }

    /// What makes two actions "the same one" when a detail differs: a message's channel,
    /// template and recipient; a task's title and assignee; a status move's target; a
    /// timer's name. Two keys with the same identity and different details are reported as
    /// one changed action.
    pub fn identity(&self) -> String {
        match self {
            ActionKey::Message {
                channel,
                template,
                to,
                address,
                ..
            } => format!("message:{channel}:{template}:{to}:{address}"),
            ActionKey::Note { staff, .. } => format!("note:{staff}"),
            ActionKey::Task {
                title, assignee, ..
            } => format!("task:{assignee}:{title}"),
            ActionKey::Status { to, .. } => format!("status:{to}"),
            ActionKey::Cancel { .. } => "status:cancelled".into(),
            ActionKey::Field { field, .. } => format!("field:{field}"),
            ActionKey::Tag { tag } => format!("tag:+{tag}"),
            ActionKey::Untag { tag } => format!("tag:-{tag}"),
            ActionKey::Reserve => "reserve".into(),
            ActionKey::Release => "release".into(),
            ActionKey::SetTimer { name, .. } => format!("timer:{name}"),
            ActionKey::CancelTimer { name } => format!("cancel_timer:{name}"),
            ActionKey::Http {
                endpoint,
                event_type,
                ..
            } => format!("http:{endpoint}:{event_type}"),
            ActionKey::PromoCode { pool } => format!("promo_code:{pool}"),
            ActionKey::Discount { .. } => "discount".into(),
            ActionKey::ChatReply { template, .. } => format!("chat_reply:{template}"),
            ActionKey::AssignManager => "assign_manager".into(),
            ActionKey::Bonus { rule, staff, .. } => format!("bonus:{rule}:{staff}"),
            ActionKey::ReverseBonuses { rules } => format!("reverse_bonuses:{}", rules.join(",")),
            ActionKey::Skipped { action, .. } => format!("skipped:{action}"),
        }
    }

    /// Which part of the report counts it.
    pub fn category(&self) -> Category {
        match self {
            ActionKey::Message { .. } | ActionKey::Note { .. } | ActionKey::ChatReply { .. } => {
                Category::Message
            }
            ActionKey::Task { .. } => Category::Task,
            ActionKey::Status { .. } | ActionKey::Cancel { .. } => Category::Status,
            _ => Category::Other,
        }
    }

    /// One line for people: `email order-created to customer (anna@example.com)`.
    pub fn describe(&self, tz: &TimeZone) -> String {
        match self {
            ActionKey::Message {
                channel,
                template,
                to,
                address,
                not_before,
                ..
            } => {
                let held = not_before
                    .map(|t| format!(", held until {}", local_time(t, tz)))
                    .unwrap_or_default();
                format!("{channel} {template} to {to} ({address}){held}")
            }
            ActionKey::Note { staff, .. } => format!("note to staff:{staff}"),
            ActionKey::Task {
                title,
                assignee,
                due_at,
            } => format!(
                "task \"{title}\" for {assignee}, due {}",
                local_time(*due_at, tz)
            ),
            ActionKey::Status { from, to } => format!("status {from} → {to}"),
            ActionKey::Cancel { from, reason } => format!("cancel ({from} → cancelled: {reason})"),
            ActionKey::Field { field, value } => format!("set {field} = {value}"),
            ActionKey::Tag { tag } => format!("tag customer +{tag}"),
            ActionKey::Untag { tag } => format!("tag customer -{tag}"),
            ActionKey::Reserve => "reserve the items".into(),
            ActionKey::Release => "release the reservations".into(),
            ActionKey::SetTimer { name, fire_at } => {
                format!("timer {name} at {}", local_time(*fire_at, tz))
            }
            ActionKey::CancelTimer { name } => format!("cancel timer {name}"),
            ActionKey::Http {
                endpoint,
                event_type,
                ..
            } => format!("http_request {event_type} to {endpoint}"),
            ActionKey::PromoCode { pool } => format!("promo code from {pool}"),
            ActionKey::Discount { percent, amount } => {
                format!("discount {percent}% ({amount} minor units)")
            }
            ActionKey::ChatReply { template, .. } => format!("chat reply {template}"),
            ActionKey::AssignManager => "assign a manager".into(),
            ActionKey::Bonus {
                rule,
                staff,
                amount,
            } => format!("bonus {rule} for {staff}: {amount} minor units"),
            ActionKey::ReverseBonuses { rules } if rules.is_empty() => "reverse every bonus".into(),
            ActionKey::ReverseBonuses { rules } => format!("reverse bonuses {}", rules.join(", ")),
            ActionKey::Skipped { action, reason } => format!("action {action} skipped: {reason}"),
        }
    }
}

/// The parts of the report's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Messages, staff notes, chat replies.
    Message,
    /// Tasks.
    Task,
    /// Status moves and cancellations.
    Status,
    /// Everything else.
    Other,
}

fn channel_name(channel: crate::automation::config::MessageChannel) -> &'static str {
    match channel {
        crate::automation::config::MessageChannel::Email => "email",
        crate::automation::config::MessageChannel::Sms => "sms",
    }
}

fn recipient(to: &Recipient) -> String {
    match to {
        Recipient::Customer { .. } => "customer".into(),
        Recipient::Staff { id, .. } => format!("staff:{id}"),
        Recipient::Supplier => "supplier".into(),
        Recipient::Carrier => "carrier".into(),
    }
}

/// `staff:<id>` or `role:<id>`, as tasks store it.
pub fn assignee_name(assignee: &Assignee) -> String {
    match assignee {
        Assignee::Staff(id) => format!("staff:{id}"),
        Assignee::Role(id) => format!("role:{id}"),
    }
}

/// FNV-1a (64 bits) of the parts, separated, as 16 hex digits: a stable digest that tells
/// texts apart (not a security measure).
fn digest(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hash ^= 0x1f;
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        for byte in part.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// The event an action raises when the shell carries it out, as far as the core can tell
/// without the database: a status move's `order.status_changed`, a task's `task.created`.
/// Used for the first-order cascades of a replay.
pub fn raised_event(
    event: &DomainEvent,
    trigger: &str,
    action: &ActionKey,
) -> Option<(DomainEvent, Option<String>)> {
    let order_id = event.order_id()?.clone();
    match action {
        ActionKey::Status { from, to } => Some((
            DomainEvent::StatusChanged {
                order_id,
                from: from.clone(),
                to: to.clone(),
                reason: None,
                actor: None,
            },
            Some(to.clone()),
        )),
        ActionKey::Cancel { from, reason } => Some((
            DomainEvent::StatusChanged {
                order_id,
                from: from.clone(),
                to: "cancelled".into(),
                reason: Some(reason.clone()),
                actor: None,
            },
            Some("cancelled".into()),
        )),
        ActionKey::Task {
            title,
            assignee,
            due_at,
        } => Some((
            DomainEvent::TaskCreated {
                order_id,
                task_id: 0,
                title: title.clone(),
                assignee: assignee.clone(),
                due_at: *due_at,
                trigger: trigger.to_owned(),
            },
            None,
        )),
        _ => None,
    }
}

/// `2026-11-24 10:10` in the shop's zone.
pub fn local_time(t: i64, tz: &TimeZone) -> String {
    let c = tz.civil(t);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute
    )
}
