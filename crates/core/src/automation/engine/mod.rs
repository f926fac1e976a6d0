//! The trigger engine: event + facts + configuration → decisions, as data.
//!
//! Triggers run in file order; each one whose `on` and conditions match yields a
//! [`Decision`]. The engine does not cascade: a planned `set_status` becomes an
//! `order.status_changed` event only when the shell applies it and feeds it back into
//! [`evaluate`]. The shell stops feeding back after [`MAX_CASCADE_DEPTH`] rounds, so two
//! triggers that move an order back and forth cannot loop forever.
//!
//! A trigger with a `delay` yields [`Decision::Delay`]; the shell stores the original event
//! with the trigger id and, at `fire_at`, calls [`evaluate_delayed`] with fresh facts. The
//! conditions are checked again: the event-specific ones (`status_from`, `status_to`,
//! `flag`, `timer`, `fields_changed_any`, …) against the stored event, the rest against
//! the fresh facts and the new time.

mod bonus;
mod conditions;
mod http;
mod plan;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_assign;
#[cfg(test)]
mod tests_chat;
#[cfg(test)]
mod tests_http;

use serde::Serialize;
use serde_json::Value;

pub use conditions::conditions_hold;
pub use http::{data_problems, default_data, raw_placeholder, MAX_PAYLOAD_BYTES};

use super::config::{Config, CooldownKey, MessageChannel, StaffMember, Trigger};
use super::event::DomainEvent;
use super::facts::Facts;
use super::time::add_working_time;
use crate::message::Language;

/// How many rounds of `set_status` → `order.status_changed` → `evaluate` the shell runs.
pub const MAX_CASCADE_DEPTH: usize = 5;

/// What to do for one trigger.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Execute these actions in order now.
    Run {
        /// The trigger, for the order history (`trigger:<id>`).
        trigger_id: String,
        /// The actions, resolved.
        actions: Vec<PlannedAction>,
    },
    /// Store a timer; at `fire_at` call [`evaluate_delayed`].
    Delay {
        /// The delayed trigger.
        trigger_id: String,
        /// Unix seconds.
        fire_at: i64,
    },
}

/// One action, ready to execute.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlannedAction {
    /// Queue a message in the outbox.
    Message(PlannedMessage),
    /// Create a task.
    Task {
        /// Rendered title.
        title: String,
        /// Who does it.
        assignee: Assignee,
        /// Unix seconds.
        due_at: i64,
    },
    /// Move the order; the transition was checked against the status path.
    SetStatus {
        /// The status before (after earlier actions of the same trigger).
        from: String,
        /// The new status.
        to: String,
    },
    /// Set an order field.
    SetField {
        /// Field name.
        field: String,
        /// New value.
        value: Value,
    },
    /// A Telegram or email note for one staff member.
    NotifyStaff {
        /// The recipient.
        staff: StaffMember,
        /// Subject, for email.
        subject: Option<String>,
        /// The note.
        text: String,
    },
    /// Add a customer tag.
    TagCustomer {
        /// The tag.
        tag: String,
    },
    /// Remove a customer tag.
    UntagCustomer {
        /// The tag.
        tag: String,
    },
    /// Reserve the order's items.
    ReserveItems,
    /// Release the order's reservations.
    ReleaseItems,
    /// Cancel the order (status `cancelled`, checked against the path) with a reason.
    Cancel {
        /// The status before.
        from: String,
        /// The reason.
        reason: String,
    },
    /// Store (or replace) the order's timer with this name.
    SetTimer {
        /// Timer name.
        name: String,
        /// Unix seconds.
        fire_at: i64,
    },
    /// Delete the order's timer with this name.
    CancelTimer {
        /// Timer name.
        name: String,
    },
    /// Post a signed JSON event to the shop's CRM or ERP, through the outbox.
    HttpRequest(PlannedWebhook),
    /// Issue the customer a code from this pool (once per customer and pool).
    IssuePromoCode {
        /// The pool.
        pool: String,
    },
    /// Take `amount` (minor units, `percent` of the items) off the order.
    ApplyDiscount {
        /// The percentage.
        percent: i64,
        /// The discount, minor units.
        amount: i64,
    },
    /// Answer in the chat the `chat.message` came from (V6).
    ChatReply {
        /// The template name.
        template: String,
        /// The language it was rendered in.
        language: Language,
        /// The reply, plain text.
        text: String,
    },
    /// V1: choose the order's manager by the `[assignment]` rules. The shell loads the staff's
    /// presence and open orders, asks [`crate::assign::choose`] and writes the manager; the
    /// triggers after this one in the file are then evaluated again with the manager
    /// ([`evaluate_after`]).
    AssignManager {
        /// The task to create when nobody can take the order.
        unassigned: Option<PlannedTask>,
    },
    /// Write a staff member's bonus lines to the ledger.
    Bonus(PlannedBonus),
    /// Reverse the order's bonus lines not yet reversed.
    ReverseBonuses {
        /// Only these rules' lines; empty: every rule.
        rules: Vec<String>,
        /// The ledger period the reversal lines go to (`YYYY-MM`, shop time).
        period: String,
    },
    /// A configured action that cannot be carried out for these facts (no email address,
    /// forbidden transition, …); the shell records it in the order history.
    Skipped {
        /// Index in the trigger's `[[trigger.action]]` list.
        action: usize,
        /// Why.
        reason: String,
    },
}

/// A task, rendered, for an action that creates one only in some outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedTask {
    /// Rendered title.
    pub title: String,
    /// Who does it.
    pub assignee: Assignee,
    /// Unix seconds.
    pub due_at: i64,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedMessage {
    /// SMS or email.
    pub channel: MessageChannel,
    /// The template name.
    pub template: String,
    /// The language it was rendered in.
    pub language: Language,
    /// Who gets it.
    pub to: Recipient,
    /// Phone (E.164) or email address.
    pub address: String,
    /// Email subject.
    pub subject: Option<String>,
    /// The SMS text or the email's plain-text part.
    pub text: String,
    /// The email's HTML part.
    pub html: Option<String>,
    /// Customer SMS in quiet hours: not before this time (C11). Email is never held.
    pub not_before: Option<i64>,
    /// Number of SMS parts.
    pub sms_parts: Option<usize>,
    /// A marketing message (the customer consented; an email gets the unsubscribe headers).
    pub marketing: bool,
}

/// An `http_request` ready to queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedWebhook {
    /// `crm` or `erp`.
    pub endpoint: String,
    /// The payload's `type`.
    pub event_type: String,
    /// The JSON payload, exactly as it is to be signed and sent.
    pub payload: String,
}

/// A bonus ready to write: one ledger line per [`crate::bonus::Line`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedBonus {
    /// The rule's name.
    pub rule: String,
    /// Who earns it (a staff id of `shop.toml`).
    pub staff: String,
    /// ISO 4217.
    pub currency: String,
    /// `YYYY-MM` in the shop's time zone.
    pub period: String,
    /// True when the rule counts the items a change added: each change pays. Otherwise the
    /// rule pays a person once per order, however often its trigger runs.
    pub per_change: bool,
    /// What it pays, one line per category; never empty.
    pub lines: Vec<crate::bonus::Line>,
}

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recipient {
    /// The customer (or the caller of a call event).
    Customer {
        /// Name, for the `To:` header.
        name: Option<String>,
    },
    /// A staff member.
    Staff {
        /// Staff id.
        id: String,
        /// Name.
        name: String,
    },
    /// The supplier.
    Supplier,
    /// The carrier.
    Carrier,
}

/// Who a task is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Assignee {
    /// One staff member.
    Staff(String),
    /// Whoever in the role takes it.
    Role(String),
}

/// Runs every enabled trigger for `event.name()` whose conditions hold, in file order.
pub fn evaluate(config: &Config, event: &DomainEvent, facts: &Facts) -> Vec<Decision> {
    evaluate_triggers(config, &config.triggers, event, facts)
}

/// [`evaluate`] for the triggers after `trigger_id` in file order only. After an action that
/// changes what later triggers should see (`assign_manager` sets the manager), the shell
/// loads the facts again and asks for the rest of the event's decisions with them.
pub fn evaluate_after(
    config: &Config,
    trigger_id: &str,
    event: &DomainEvent,
    facts: &Facts,
) -> Vec<Decision> {
    let rest = match config.triggers.iter().position(|t| t.id == trigger_id) {
        Some(i) => &config.triggers[i + 1..],
        None => &[],
    };
    evaluate_triggers(config, rest, event, facts)
}

fn evaluate_triggers(
    config: &Config,
    triggers: &[Trigger],
    event: &DomainEvent,
    facts: &Facts,
) -> Vec<Decision> {
    triggers
        .iter()
        .filter(|t| t.enabled && t.on == event.name())
        .filter(|t| conditions_hold(config, &t.when, event, facts))
        .map(|t| match &t.delay {
            Some(delay) => {
                let secs = delay.resolve(&config.shop.thresholds).unwrap_or(0);
                let fire_at = if t.delay_in_working_hours {
                    let shop = &config.shop;
                    add_working_time(facts.now, secs, &shop.working_hours, &shop.time_zone)
                } else {
                    facts.now.saturating_add(secs)
                };
                Decision::Delay {
                    trigger_id: t.id.clone(),
                    fire_at,
                }
            }
            None => Decision::Run {
                trigger_id: t.id.clone(),
                actions: plan::plan(config, t, event, facts),
            },
        })
        .collect()
}

/// A delayed trigger is due: checks its conditions again with fresh facts and returns its
/// actions, or `None` when it no longer applies (or was removed or switched off).
pub fn evaluate_delayed(
    config: &Config,
    trigger_id: &str,
    event: &DomainEvent,
    facts: &Facts,
) -> Option<Decision> {
    let t = config.trigger(trigger_id).filter(|t| t.enabled)?;
    conditions_hold(config, &t.when, event, facts).then(|| Decision::Run {
        trigger_id: t.id.clone(),
        actions: plan::plan(config, t, event, facts),
    })
}

/// The actions of a trigger that already matched, planned again with fresh facts: the shell
/// calls it when an earlier trigger of the same event changed what later ones show (M3's
/// discount before C1's email). The conditions are not checked again: which triggers run is
/// decided once per event.
pub fn replan(
    config: &Config,
    trigger_id: &str,
    event: &DomainEvent,
    facts: &Facts,
) -> Option<Vec<PlannedAction>> {
    let t = config.trigger(trigger_id)?;
    Some(plan::plan(config, t, event, facts))
}

/// The subject a trigger's cooldown counts, for this event (`per` is the trigger's
/// `cooldown_per`); `None` when the event has no such subject (no cooldown then applies).
/// The shell claims the cooldown under this key; a replay ([`crate::replay`]) simulates it.
pub fn cooldown_subject(
    per: Option<&str>,
    event: &DomainEvent,
    order_id: Option<&str>,
    customer_id: Option<i64>,
) -> Option<String> {
    match CooldownKey::parse(per.unwrap_or("customer")).ok()? {
        CooldownKey::Customer => customer_id.map(|c| format!("customer:{c}")),
        CooldownKey::Order => order_id.map(|o| format!("order:{o}")),
        CooldownKey::Chat => event.chat().map(|c| format!("chat:{}", c.conversation_id)),
        CooldownKey::CustomerAnd(name) => {
            let value = event.customer_event()?.data.get(&name)?;
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            customer_id.map(|c| format!("customer:{c}:{name}={value}"))
        }
    }
}

/// An order past its status's time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeLimitState {
    /// When the limit ran out (unix seconds).
    pub overdue_since: i64,
    /// When to remind (again): the shell raises `order.time_limit_exceeded` once this is
    /// not after now, and passes now as `last_reminder_at` next time. `None`: no more.
    pub next_reminder_at: Option<i64>,
}

/// When an order entering `status` at `entered_at` becomes overdue (the limit counts in
/// working hours), or `None` for a status without a limit.
pub fn time_limit_deadline(config: &Config, status: &str, entered_at: i64) -> Option<i64> {
    let limit = config.statuses.timing(status).time_limit?;
    let shop = &config.shop;
    Some(add_working_time(
        entered_at,
        limit,
        &shop.working_hours,
        &shop.time_zone,
    ))
}

/// P3: `None` while the order is within its status's time limit (or the status has none);
/// otherwise since when it is overdue and when the next reminder is due (first reminder at
/// once, then every `reminder_every` working-hours interval).
pub fn time_limit_due(
    config: &Config,
    status: &str,
    status_entered_at: i64,
    last_reminder_at: Option<i64>,
    now: i64,
) -> Option<TimeLimitState> {
    let deadline = time_limit_deadline(config, status, status_entered_at)?;
    if now < deadline {
        return None;
    }
    let shop = &config.shop;
    let next_reminder_at = match last_reminder_at {
        None => Some(deadline),
        Some(last) => config
            .statuses
            .timing(status)
            .reminder_every
            .map(|every| add_working_time(last, every, &shop.working_hours, &shop.time_zone)),
    };
    Some(TimeLimitState {
        overdue_since: deadline,
        next_reminder_at,
    })
}
