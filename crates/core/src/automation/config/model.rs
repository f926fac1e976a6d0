//! The trigger file's data model, read with serde straight from `triggers.toml`.
//!
//! Values that can be wrong in ways serde cannot see (durations, threshold references,
//! template strings, recipients) are kept as written and checked by the validator, so one
//! run reports every problem instead of the first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::automation::template::{Template, TemplateError};
use crate::automation::time::parse_duration;

/// `triggers.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggersFile {
    /// `[[trigger]]` tables, in file order.
    #[serde(default)]
    pub trigger: Vec<Trigger>,
}

/// One `[[trigger]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Kebab-case, unique; starts with the scenario id in the shipped configuration.
    pub id: String,
    /// What it is for, for people.
    #[serde(default)]
    pub description: String,
    /// Switched-off triggers are loaded and checked but never run.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The event name, e.g. `order.status_changed`.
    pub on: String,
    /// Conditions that must all hold.
    #[serde(default)]
    pub when: Conditions,
    /// Run the actions this long after the event (conditions are checked again then).
    pub delay: Option<DurationSpec>,
    /// Count the delay in working hours.
    #[serde(default)]
    pub delay_in_working_hours: bool,
    /// Run at most once per `cooldown_per` within this period (checked when it runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<DurationSpec>,
    /// What the cooldown counts per: `customer` (the default), `order`, `chat` (per chat
    /// conversation), or `customer:<name>` — per customer and the value of the event's
    /// `data.<name>` (`customer:category`: once per customer and category).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown_per: Option<String>,
    /// `[[trigger.action]]` entries, in order.
    #[serde(default, rename = "action")]
    pub actions: Vec<Action>,
}

fn yes() -> bool {
    true
}

/// `[trigger.when]`: every given condition must hold; a list means "any of".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// The status an `order.status_changed` (or delivery status a `delivery.status_changed`)
    /// came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_from: Option<AnyOf>,
    /// The status it went to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_to: Option<AnyOf>,
    /// The order's current status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AnyOf>,
    /// The group of the order's current status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_group: Option<AnyOf>,
    /// The order's payment status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_status: Option<AnyOf>,
    /// The order's delivery status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_status: Option<AnyOf>,
    /// The order's channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<AnyOf>,
    /// The order's channel is none of these.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_none: Option<AnyOf>,
    /// How the order was placed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_method: Option<AnyOf>,
    /// `person` or `company`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_type: Option<AnyOf>,
    /// The delivery method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_type: Option<AnyOf>,
    /// Total at least this (minor units or `threshold:<name>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_at_least: Option<IntRef>,
    /// Total below this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_below: Option<IntRef>,
    /// The customer has one of these tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_tags_any: Option<AnyOf>,
    /// The customer has none of these tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_tags_none: Option<AnyOf>,
    /// The customer's segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<AnyOf>,
    /// Some item is in one of these categories.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_categories_any: Option<AnyOf>,
    /// `order.changed` changed one of these fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields_changed_any: Option<AnyOf>,
    /// Every named order field has exactly this value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_equals: Option<BTreeMap<String, Value>>,
    /// Every named order field is set (not null, not empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields_set: Option<AnyOf>,
    /// Every named order field is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields_empty: Option<AnyOf>,
    /// The flag of an `order.operator_flag`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<AnyOf>,
    /// The order carries none of these operator flags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags_none: Option<AnyOf>,
    /// The timer name of a `timer.fired`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timer: Option<AnyOf>,
    /// The shop is open (or closed) now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_working_hours: Option<bool>,
    /// Shop-local time of day is in `[start, end)`; may wrap midnight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_between: Option<Vec<String>>,
    /// A call event came outside working hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_after_hours: Option<bool>,
    /// A call event's direction: `inbound` (the customer called) or `outbound` (we did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_direction: Option<AnyOf>,
    /// A `chat.message` came while the shop was closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_after_hours: Option<bool>,
    /// A `chat.message` is its conversation's first of the night (claimed once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_first_of_night: Option<bool>,
    /// The event has an order (calls from unknown numbers have none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_order: Option<bool>,
    /// `stock.changed`: all items available (true) or not (false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_stock: Option<bool>,
    /// The order reached at least this many unanswered calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_answer_attempts_at_least: Option<IntRef>,
    /// The order has fewer unanswered calls than this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_answer_attempts_below: Option<IntRef>,
    /// The customer placed an order after the (customer) event happened (M4: checked again
    /// when a delayed reminder is due).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_ordered_since_event: Option<bool>,
    /// The customer allows marketing on one of these channels (`email`, `sms`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marketing_consent: Option<AnyOf>,
    /// Every named value of a customer event's `data` is exactly this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_data: Option<BTreeMap<String, Value>>,
}

/// What a trigger's cooldown counts per.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CooldownKey {
    /// Per customer.
    Customer,
    /// Per order.
    Order,
    /// Per chat conversation.
    Chat,
    /// Per customer and one value of the event's data.
    CustomerAnd(String),
}

impl CooldownKey {
    /// Reads `customer`, `order`, `chat` or `customer:<data name>`.
    pub fn parse(text: &str) -> Result<CooldownKey, String> {
        match text {
            "customer" => Ok(CooldownKey::Customer),
            "order" => Ok(CooldownKey::Order),
            "chat" => Ok(CooldownKey::Chat),
            _ => text
                .strip_prefix("customer:")
                .filter(|name| crate::text::is_code(&name.replace('_', "-"), 64, false))
                .map(|name| CooldownKey::CustomerAnd(name.to_owned()))
                .ok_or_else(|| {
                    format!("{text:?} is not customer, order, chat or customer:<event data name>")
                }),
        }
    }
}

/// One value or a list of values ("any of").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "OneOrMany")]
pub struct AnyOf(pub Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl From<OneOrMany> for AnyOf {
    fn from(v: OneOrMany) -> AnyOf {
        match v {
            OneOrMany::One(s) => AnyOf(vec![s]),
            OneOrMany::Many(v) => AnyOf(v),
        }
    }
}

impl AnyOf {
    /// True when `value` is one of the listed values.
    pub fn matches(&self, value: &str) -> bool {
        self.0.iter().any(|v| v == value)
    }
}

/// An integer, or `"threshold:<name>"` naming one of the shop's thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntRef {
    /// A literal value.
    Value(i64),
    /// `threshold:<name>` (or anything else, reported by the validator).
    Ref(String),
}

/// Prefix of a threshold reference.
pub const THRESHOLD_PREFIX: &str = "threshold:";

impl IntRef {
    /// The value, looking thresholds up.
    pub fn resolve(&self, thresholds: &BTreeMap<String, i64>) -> Result<i64, String> {
        match self {
            IntRef::Value(v) => Ok(*v),
            IntRef::Ref(r) => {
                let name = r.strip_prefix(THRESHOLD_PREFIX).ok_or_else(|| {
                    format!("{r:?} is neither an integer nor \"threshold:<name>\"")
                })?;
                thresholds.get(name).copied().ok_or_else(|| {
                    format!("unknown threshold {name:?} (not in [thresholds] of shop.toml)")
                })
            }
        }
    }
}

/// A duration as written: `"10m"`, `"1h30m"`, or `"threshold:<name>"` whose name ends in
/// `_days`, `_hours`, `_minutes` or `_seconds` (the unit of the threshold's value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DurationSpec(pub String);

impl DurationSpec {
    /// Seconds.
    pub fn resolve(&self, thresholds: &BTreeMap<String, i64>) -> Result<i64, String> {
        let Some(name) = self.0.strip_prefix(THRESHOLD_PREFIX) else {
            return parse_duration(&self.0).map_err(|e| e.to_string());
        };
        let unit = [("_days", 86_400), ("_hours", 3_600), ("_minutes", 60), ("_seconds", 1)]
            .into_iter()
            .find(|(suffix, _)| name.ends_with(suffix))
            .map(|(_, unit)| unit)
            .ok_or_else(|| {
                format!("threshold {name:?} used as a duration must end in _days, _hours, _minutes or _seconds")
            })?;
        let value = IntRef::Ref(self.0.clone()).resolve(thresholds)?;
        if value < 0 {
            return Err(format!("threshold {name:?} is negative"));
        }
        Ok(value.saturating_mul(unit))
    }
}

/// An inline template string (task titles), parsed when read. The compiled configuration
/// keeps the parsed template, so reading it back parses nothing.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "WrittenOrParsed")]
pub struct TemplateText {
    /// As written.
    pub source: String,
    /// The parsed template or why it cannot be parsed.
    pub parsed: Result<Template, TemplateError>,
}

impl From<String> for TemplateText {
    fn from(source: String) -> TemplateText {
        let parsed = Template::parse(&source);
        TemplateText { source, parsed }
    }
}

/// A template string as written in `triggers.toml`, or as the compiled configuration keeps it.
#[derive(Deserialize)]
#[serde(untagged)]
enum WrittenOrParsed {
    Written(String),
    Parsed { parsed: Template },
}

impl From<WrittenOrParsed> for TemplateText {
    fn from(value: WrittenOrParsed) -> TemplateText {
        match value {
            WrittenOrParsed::Written(source) => TemplateText::from(source),
            WrittenOrParsed::Parsed { parsed } => TemplateText {
                source: parsed.source().to_owned(),
                parsed: Ok(parsed),
            },
        }
    }
}

/// A parsed template is kept parsed; one that did not parse (never in a compiled, valid
/// configuration) is kept as written.
impl Serialize for TemplateText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        match &self.parsed {
            Ok(parsed) => {
                let mut out = serializer.serialize_struct("TemplateText", 1)?;
                out.serialize_field("parsed", parsed)?;
                out.end()
            }
            Err(_) => serializer.serialize_str(&self.source),
        }
    }
}

/// The channel of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageChannel {
    /// A text message.
    Sms,
    /// An email.
    Email,
}

/// One `[[trigger.action]]`, selected by `type`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Send a message from a template.
    Message {
        /// `sms` or `email`.
        channel: MessageChannel,
        /// Template name (`templates/<lang>/<name>.toml`).
        template: String,
        /// `customer`, `manager`, `role:<id>`, `staff:<id>`, `supplier` or `carrier`.
        to: String,
        /// A marketing message: sent only to a customer who consented to marketing on this
        /// channel; an email carries the unsubscribe link and `List-Unsubscribe` headers.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        marketing: bool,
    },
    /// Create a task for staff.
    Task {
        /// The title, a template string.
        title: TemplateText,
        /// `manager`, `role:<id>` or `staff:<id>`.
        assignee: String,
        /// Due this long after now.
        due_in: Option<DurationSpec>,
        /// Due at the time in this order field (unix seconds), e.g. `callback_at`.
        due_at_field: Option<String>,
        /// Count `due_in` in working hours.
        #[serde(default)]
        in_working_hours: bool,
        /// The task is a callback: an answered call of ours to the order's customer does it
        /// (the open task is closed; see [`crate::call::tasks_done_by_call`]).
        #[serde(default)]
        done_on_callback: bool,
    },
    /// Move the order to a status.
    SetStatus {
        /// The target status.
        status: String,
    },
    /// Set an order field.
    SetField {
        /// The field name.
        field: String,
        /// The new value.
        value: Value,
    },
    /// A Telegram or email note for staff.
    NotifyStaff {
        /// `manager`, `role:<id>` or `staff:<id>`.
        to: String,
        /// Template name.
        template: String,
    },
    /// Add a tag to the customer.
    TagCustomer {
        /// The tag.
        tag: String,
    },
    /// Remove a tag from the customer.
    UntagCustomer {
        /// The tag.
        tag: String,
    },
    /// Reserve the order's items.
    ReserveItems,
    /// Release the order's reservations.
    ReleaseItems,
    /// Cancel the order.
    Cancel {
        /// The reason recorded and shown to the customer.
        reason: String,
    },
    /// Start (or restart) a named timer for the order.
    SetTimer {
        /// Timer name; `timer.fired` carries it.
        name: String,
        /// Fire this long after now (or after `at_field`'s time when both are given).
        after: Option<DurationSpec>,
        /// Fire at the time in this order field.
        at_field: Option<String>,
        /// Count `after` in working hours.
        #[serde(default)]
        in_working_hours: bool,
    },
    /// Stop a named timer.
    CancelTimer {
        /// Timer name.
        name: String,
    },
    /// Post a signed JSON event to one of the shop's own systems (its CRM or ERP), through
    /// the outbox (docs/http-request-action.md).
    HttpRequest {
        /// One of [`HTTP_ENDPOINTS`]; its URL and secret are Spin variables
        /// (`<endpoint>_webhook_url`, `_path`, `_secret`).
        endpoint: String,
        /// The payload's `type`; the trigger's `on` event when absent.
        event: Option<String>,
        /// The payload's `data`: string values (also nested) are templates; a string that is
        /// one `{{ path }}` and nothing else gives the value at that path as it is (a number
        /// stays a number). The default payload when absent.
        data: Option<serde_json::Map<String, Value>>,
    },
    /// Issue the customer a code from a promo-code pool (`[promo_codes.<pool>]` in
    /// shop.toml), once per customer and pool; raises `promo_code.issued`.
    IssuePromoCode {
        /// The pool.
        pool: String,
    },
    /// Take a percentage off the order's items (M3), once: an order with a discount already
    /// keeps it.
    ApplyDiscount {
        /// Percent of the items' sum (an integer or `threshold:<name>`).
        percent: IntRef,
    },
    /// Answer in the chat a `chat.message` came from (V6): through the shop's Telegram bot, or
    /// in the answer to a generic chat post.
    ChatReply {
        /// A `kind = "chat"` template.
        template: String,
    },
    /// V1: choose the order's manager by the `[assignment]` rules of `shop.toml`.
    AssignManager {
        /// The task when nobody can take the order; without it only the history says so.
        unassigned: Option<UnassignedTask>,
    },
    /// Write a bonus to the ledger (S2–S5): a rule of `[bonuses.rules]` in `shop.toml` says
    /// how much; `to` says who earns it.
    Bonus {
        /// The rule's name.
        rule: String,
        /// Who earns it, the first of these that names a staff member of `shop.toml`:
        /// [`BONUS_TARGETS`] — `actor`, `manager`, `staff:<id>` or `field:<name>`.
        to: AnyOf,
    },
    /// Reverse the order's bonuses (S6): a negative line for each accrual not yet reversed.
    ReverseBonuses {
        /// Only these rules' lines; every rule when absent.
        rules: Option<AnyOf>,
    },
}

/// `[trigger.action.unassigned]` of `assign_manager`: the task for whoever assigns by hand
/// when no rule finds anyone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnassignedTask {
    /// The title, a template string.
    pub title: TemplateText,
    /// `role:<id>` or `staff:<id>`.
    pub assignee: String,
    /// Due this long after now (now when absent).
    pub due_in: Option<DurationSpec>,
    /// Count `due_in` in working hours.
    #[serde(default)]
    pub in_working_hours: bool,
}

/// Who can earn a bonus: the staff member who made the change that raised the event, the
/// order's manager, a named staff member, or the staff member an order field names.
pub const BONUS_TARGETS: &str = "actor, manager, staff:<id>, field:<name>";

/// Who earns a bonus, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Earner {
    /// The staff member who made the change (the event's actor of type `staff`).
    Actor,
    /// The order's manager.
    Manager,
    /// One staff member.
    Staff(String),
    /// The staff id in this order field.
    Field(String),
}

impl Earner {
    /// Reads `actor`, `manager`, `staff:<id>`, `field:<name>`.
    pub fn parse(text: &str) -> Option<Earner> {
        match text {
            "actor" => Some(Earner::Actor),
            "manager" => Some(Earner::Manager),
            _ => {
                if let Some(id) = text.strip_prefix("staff:").filter(|s| !s.is_empty()) {
                    Some(Earner::Staff(id.to_owned()))
                } else {
                    text.strip_prefix("field:")
                        .filter(|s| !s.is_empty())
                        .map(|f| Earner::Field(f.to_owned()))
                }
            }
        }
    }
}

/// The endpoints an `http_request` action may post to.
pub const HTTP_ENDPOINTS: &[&str] = &["crm", "erp"];

impl Action {
    /// The `type` as written.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Message { .. } => "message",
            Action::Task { .. } => "task",
            Action::SetStatus { .. } => "set_status",
            Action::SetField { .. } => "set_field",
            Action::NotifyStaff { .. } => "notify_staff",
            Action::TagCustomer { .. } => "tag_customer",
            Action::UntagCustomer { .. } => "untag_customer",
            Action::ReserveItems => "reserve_items",
            Action::ReleaseItems => "release_items",
            Action::Cancel { .. } => "cancel",
            Action::SetTimer { .. } => "set_timer",
            Action::CancelTimer { .. } => "cancel_timer",
            Action::HttpRequest { .. } => "http_request",
            Action::IssuePromoCode { .. } => "issue_promo_code",
            Action::ApplyDiscount { .. } => "apply_discount",
            Action::ChatReply { .. } => "chat_reply",
            Action::AssignManager { .. } => "assign_manager",
            Action::Bonus { .. } => "bonus",
            Action::ReverseBonuses { .. } => "reverse_bonuses",
        }
    }

    /// Actions that change an order, which events about a customer cannot have.
    pub fn needs_order(&self) -> bool {
        matches!(
            self,
            Action::SetStatus { .. }
                | Action::SetField { .. }
                | Action::ReserveItems
                | Action::ReleaseItems
                | Action::Cancel { .. }
                | Action::SetTimer { .. }
                | Action::CancelTimer { .. }
                | Action::HttpRequest { .. }
                | Action::ApplyDiscount { .. }
                | Action::AssignManager { .. }
                | Action::Bonus { .. }
                | Action::ReverseBonuses { .. }
        )
    }
}

/// Who a message or task is for, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The order's customer (or the caller).
    Customer,
    /// The order's manager; the `manager` role when the order has none.
    Manager,
    /// Everyone with a role.
    Role(String),
    /// One staff member.
    Staff(String),
    /// The supplier (from the event or `[contacts]`).
    Supplier,
    /// The carrier (`[contacts]`).
    Carrier,
}

impl Target {
    /// Reads `customer`, `manager`, `role:<id>`, `staff:<id>`, `supplier`, `carrier`.
    pub fn parse(text: &str) -> Option<Target> {
        match text {
            "customer" => Some(Target::Customer),
            "manager" => Some(Target::Manager),
            "supplier" => Some(Target::Supplier),
            "carrier" => Some(Target::Carrier),
            _ => {
                if let Some(role) = text.strip_prefix("role:").filter(|r| !r.is_empty()) {
                    Some(Target::Role(role.to_owned()))
                } else {
                    text.strip_prefix("staff:")
                        .filter(|s| !s.is_empty())
                        .map(|s| Target::Staff(s.to_owned()))
                }
            }
        }
    }
}
