//! The domain events the trigger engine reacts to, with dotted names.

use serde::{Deserialize, Serialize};

use crate::event::{Actor, ActorKind, Item, OrderId};

/// An event about an order (or a call that may have none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum DomainEvent {
    /// A new order was stored.
    #[serde(rename = "order.created")]
    OrderCreated {
        /// The order.
        order_id: OrderId,
        /// Who created it, when the sender named someone (an operator taking a phone order).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// Fields of an order changed (`items`, `total`, `track_number`, `callback_at`, …).
    #[serde(rename = "order.changed")]
    OrderChanged {
        /// The order.
        order_id: OrderId,
        /// Names of the changed fields.
        fields: Vec<String>,
        /// Who changed it, when the sender named someone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
        /// When the items changed: the lines that are new or whose quantity grew, each with
        /// the quantity added ([`crate::bonus::added_items`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        added_items: Vec<Item>,
    },
    /// The order moved from one status to another.
    #[serde(rename = "order.status_changed")]
    StatusChanged {
        /// The order.
        order_id: OrderId,
        /// The previous status.
        from: String,
        /// The new status.
        to: String,
        /// Why, e.g. a cancellation reason.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// Who moved it, when the sender named someone; `None` for a trigger's move.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// Money arrived.
    #[serde(rename = "payment.succeeded")]
    PaymentSucceeded(Payment),
    /// A payment attempt failed.
    #[serde(rename = "payment.failed")]
    PaymentFailed(Payment),
    /// Money went back to the customer.
    #[serde(rename = "payment.refunded")]
    PaymentRefunded(Payment),
    /// Money is held, not yet captured.
    #[serde(rename = "payment.authorised")]
    PaymentAuthorised(Payment),
    /// The carrier reported a new (normalised) delivery status.
    #[serde(rename = "delivery.status_changed")]
    DeliveryStatusChanged {
        /// The order.
        order_id: OrderId,
        /// The previous delivery status, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// The new delivery status (see [`DELIVERY_STATUSES`]).
        to: String,
        /// The carrier's track number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        track_number: Option<String>,
        /// Where the customer can follow the parcel.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tracking_url: Option<String>,
    },
    /// A call nobody answered.
    #[serde(rename = "call.missed")]
    CallMissed(Call),
    /// A call that was answered.
    #[serde(rename = "call.answered")]
    CallAnswered(Call),
    /// Stock of some of the order's items changed (one event per affected order).
    #[serde(rename = "stock.changed")]
    StockChanged {
        /// The order.
        order_id: OrderId,
        /// The articles that changed.
        skus: Vec<String>,
        /// True when all of the order's items are available now.
        available: bool,
    },
    /// The order stayed in its status longer than the status's time limit.
    #[serde(rename = "order.time_limit_exceeded")]
    TimeLimitExceeded {
        /// The order.
        order_id: OrderId,
        /// The status it is stuck in.
        status: String,
        /// Seconds of working time past the limit.
        overdue_for: i64,
    },
    /// A timer set by a `set_timer` action is due.
    #[serde(rename = "timer.fired")]
    TimerFired {
        /// The order.
        order_id: OrderId,
        /// The timer's name.
        name: String,
    },
    /// An operator marked the order (`wrong-phone`, `supplier-chosen`, `carrier-accepted`, …).
    #[serde(rename = "order.operator_flag")]
    OperatorFlag {
        /// The order.
        order_id: OrderId,
        /// The flag.
        flag: String,
        /// For `supplier-chosen`: the supplier's email.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        supplier: Option<String>,
        /// A free-text note.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A trigger's `task` action created a task (not raised for the system's own tasks, such
    /// as the one for a message that could not be delivered).
    #[serde(rename = "task.created")]
    TaskCreated {
        /// The order.
        order_id: OrderId,
        /// The task's id.
        task_id: i64,
        /// Its title.
        title: String,
        /// `staff:<id>` or `role:<id>`.
        assignee: String,
        /// When it is due (unix seconds).
        due_at: i64,
        /// The trigger that created it.
        trigger: String,
    },
    /// The customer subscribed on the site (M1).
    #[serde(rename = "customer.subscribed")]
    CustomerSubscribed(CustomerEvent),
    /// The customer sent a form on the site (M1).
    #[serde(rename = "form.submitted")]
    FormSubmitted(CustomerEvent),
    /// The customer's cart on the site changed, or they began checking out
    /// (`data.stage`: `cart` or `checkout`) (M4).
    #[serde(rename = "cart.updated")]
    CartUpdated(CustomerEvent),
    /// The customer looked at products of one category often enough to count (M7).
    #[serde(rename = "customer.browsed_category")]
    BrowsedCategory(CustomerEvent),
    /// A date the customer told us is near (M6).
    #[serde(rename = "customer.date_approaching")]
    DateApproaching(CustomerEvent),
    /// A product the customer buys on a cycle is due again (M8).
    #[serde(rename = "customer.repeat_due")]
    RepeatDue(CustomerEvent),
    /// The customer moved to another segment (M9).
    #[serde(rename = "customer.segment_changed")]
    SegmentChanged(CustomerEvent),
    /// A promo code was issued to the customer (M9, M4).
    #[serde(rename = "promo_code.issued")]
    PromoCodeIssued(CustomerEvent),
    /// Someone wrote to the shop in a chat: its Telegram bot, or a chat widget or bridge (V6).
    #[serde(rename = "chat.message")]
    ChatMessage(Box<ChatMessage>),
}

/// The body of an event about a customer rather than an order: who, when, and what the
/// event says (`data`: the cart, the category, the date, the code…; see docs/site-events.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerEvent {
    /// The customer (`customers.id`).
    pub customer_id: i64,
    /// When it happened (unix seconds).
    pub at: i64,
    /// What the event carries, by name.
    #[serde(default)]
    pub data: serde_json::Map<String, serde_json::Value>,
}

/// The body of a `chat.message` event: who wrote in which conversation, what, and when
/// that was for the shop (V6; see docs/chat-events.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// The conversation (`chat_conversations.id`).
    pub conversation_id: i64,
    /// Where it came from: `telegram` (the shop's bot) or `generic` (a widget or bridge).
    pub source: String,
    /// The chat's channel: `telegram`, or the name a generic sender gives (`whatsapp`, `jivo`).
    pub channel: String,
    /// The stored customer whose phone or email the sender gave, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
    /// The sender as the chat knows them.
    #[serde(default)]
    pub sender: ChatSender,
    /// What they wrote (a caption, or a placeholder such as `[photo]` for a message without
    /// text).
    pub text: String,
    /// The text on one line, at most [`crate::chat::PREVIEW_CHARS`] characters: for task
    /// titles and notes.
    pub preview: String,
    /// When it arrived (unix seconds).
    pub at: i64,
    /// True when it arrived while the shop was closed.
    pub after_hours: bool,
    /// The night it belongs to, after hours: the shop-local date of the next opening
    /// (`2026-12-07`), so a Saturday evening and all of Sunday are one night.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub night: Option<String>,
    /// True for the conversation's first message of that night (claimed once).
    #[serde(default)]
    pub first_of_night: bool,
    /// When the shop opens next (unix seconds); `at` itself while it is open.
    pub opens_at: i64,
}

/// Who wrote a chat message, as far as the chat tells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatSender {
    /// The name the chat shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A Telegram `@username` (without the `@`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Phone, E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// What an event is about, which decides what its triggers may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Always an order.
    Order,
    /// An order when one is known (calls).
    MaybeOrder,
    /// A customer, never an order.
    Customer,
    /// A chat conversation (and its customer, when known), never an order.
    Chat,
}

impl Subject {
    /// True for subjects that never have an order.
    pub fn without_order(self) -> bool {
        matches!(self, Subject::Customer | Subject::Chat)
    }
}

/// The body of a payment event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The order.
    pub order_id: OrderId,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
}

/// The body of a call event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The caller's active order, when the shell found one by phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// The other party's phone, E.164.
    pub phone: String,
    /// True when the call came outside working hours.
    #[serde(default)]
    pub after_hours: bool,
}

/// Every event name with what it is about.
pub const EVENTS: &[(&str, Subject)] = &[
    ("order.created", Subject::Order),
    ("order.changed", Subject::Order),
    ("order.status_changed", Subject::Order),
    ("payment.succeeded", Subject::Order),
    ("payment.failed", Subject::Order),
    ("payment.refunded", Subject::Order),
    ("payment.authorised", Subject::Order),
    ("delivery.status_changed", Subject::Order),
    ("call.missed", Subject::MaybeOrder),
    ("call.answered", Subject::MaybeOrder),
    ("stock.changed", Subject::Order),
    ("order.time_limit_exceeded", Subject::Order),
    ("timer.fired", Subject::Order),
    ("order.operator_flag", Subject::Order),
    ("task.created", Subject::Order),
    ("customer.subscribed", Subject::Customer),
    ("form.submitted", Subject::Customer),
    ("cart.updated", Subject::Customer),
    ("customer.browsed_category", Subject::Customer),
    ("customer.date_approaching", Subject::Customer),
    ("customer.repeat_due", Subject::Customer),
    ("customer.segment_changed", Subject::Customer),
    ("promo_code.issued", Subject::Customer),
    ("chat.message", Subject::Chat),
];

/// The normalised delivery statuses.
pub const DELIVERY_STATUSES: &[&str] = &[
    "created",
    "accepted",
    "in-transit",
    "at-pickup-point",
    "out-for-delivery",
    "delivered",
    "not-delivered",
    "returning",
    "returned",
    "problem",
    "lost",
];

/// The payment statuses.
pub const PAYMENT_STATUSES: &[&str] = &[
    "not-paid",
    "invoice-sent",
    "paid",
    "partially-paid",
    "failed",
    "refunded",
];

impl DomainEvent {
    /// The dotted name, e.g. `payment.succeeded`.
    pub fn name(&self) -> &'static str {
        match self {
            DomainEvent::OrderCreated { .. } => "order.created",
            DomainEvent::OrderChanged { .. } => "order.changed",
            DomainEvent::StatusChanged { .. } => "order.status_changed",
            DomainEvent::PaymentSucceeded(_) => "payment.succeeded",
            DomainEvent::PaymentFailed(_) => "payment.failed",
            DomainEvent::PaymentRefunded(_) => "payment.refunded",
            DomainEvent::PaymentAuthorised(_) => "payment.authorised",
            DomainEvent::DeliveryStatusChanged { .. } => "delivery.status_changed",
            DomainEvent::CallMissed(_) => "call.missed",
            DomainEvent::CallAnswered(_) => "call.answered",
            DomainEvent::StockChanged { .. } => "stock.changed",
            DomainEvent::TimeLimitExceeded { .. } => "order.time_limit_exceeded",
            DomainEvent::TimerFired { .. } => "timer.fired",
            DomainEvent::OperatorFlag { .. } => "order.operator_flag",
            DomainEvent::TaskCreated { .. } => "task.created",
            DomainEvent::CustomerSubscribed(_) => "customer.subscribed",
            DomainEvent::FormSubmitted(_) => "form.submitted",
            DomainEvent::CartUpdated(_) => "cart.updated",
            DomainEvent::BrowsedCategory(_) => "customer.browsed_category",
            DomainEvent::DateApproaching(_) => "customer.date_approaching",
            DomainEvent::RepeatDue(_) => "customer.repeat_due",
            DomainEvent::SegmentChanged(_) => "customer.segment_changed",
            DomainEvent::PromoCodeIssued(_) => "promo_code.issued",
            DomainEvent::ChatMessage(_) => "chat.message",
        }
    }

    /// The customer event's body, for events about a customer.
    pub fn customer_event(&self) -> Option<&CustomerEvent> {
        match self {
            DomainEvent::CustomerSubscribed(e)
            | DomainEvent::FormSubmitted(e)
            | DomainEvent::CartUpdated(e)
            | DomainEvent::BrowsedCategory(e)
            | DomainEvent::DateApproaching(e)
            | DomainEvent::RepeatDue(e)
            | DomainEvent::SegmentChanged(e)
            | DomainEvent::PromoCodeIssued(e) => Some(e),
            _ => None,
        }
    }

    /// The message, for `chat.message`.
    pub fn chat(&self) -> Option<&ChatMessage> {
        match self {
            DomainEvent::ChatMessage(m) => Some(m.as_ref()),
            _ => None,
        }
    }

    /// The order it concerns; `None` for a call from an unknown number and for events about
    /// a customer or a chat.
    pub fn order_id(&self) -> Option<&OrderId> {
        match self {
            DomainEvent::OrderCreated { order_id, .. }
            | DomainEvent::OrderChanged { order_id, .. }
            | DomainEvent::StatusChanged { order_id, .. }
            | DomainEvent::DeliveryStatusChanged { order_id, .. }
            | DomainEvent::StockChanged { order_id, .. }
            | DomainEvent::TimeLimitExceeded { order_id, .. }
            | DomainEvent::TimerFired { order_id, .. }
            | DomainEvent::OperatorFlag { order_id, .. }
            | DomainEvent::TaskCreated { order_id, .. } => Some(order_id),
            DomainEvent::PaymentSucceeded(p)
            | DomainEvent::PaymentFailed(p)
            | DomainEvent::PaymentRefunded(p)
            | DomainEvent::PaymentAuthorised(p) => Some(&p.order_id),
            DomainEvent::CallMissed(c) | DomainEvent::CallAnswered(c) => c.order_id.as_ref(),
            _ => None,
        }
    }

    /// `(from, to)` of a status change (order or delivery).
    pub fn status_change(&self) -> Option<(Option<&str>, &str)> {
        match self {
            DomainEvent::StatusChanged { from, to, .. } => Some((Some(from), to)),
            DomainEvent::DeliveryStatusChanged { from, to, .. } => Some((from.as_deref(), to)),
            _ => None,
        }
    }

    /// Who caused the event, for the order events that carry one.
    pub fn actor(&self) -> Option<&Actor> {
        match self {
            DomainEvent::OrderCreated { actor, .. }
            | DomainEvent::OrderChanged { actor, .. }
            | DomainEvent::StatusChanged { actor, .. } => actor.as_ref(),
            _ => None,
        }
    }

    /// The staff id of the person who caused the event, when it was a staff member.
    pub fn staff_actor(&self) -> Option<&str> {
        self.actor()
            .filter(|a| a.kind == ActorKind::Staff)
            .map(|a| a.id.as_str())
    }

    /// The call, for call events.
    pub fn call(&self) -> Option<&Call> {
        match self {
            DomainEvent::CallMissed(c) | DomainEvent::CallAnswered(c) => Some(c),
            _ => None,
        }
    }
}

/// True for a known event name.
pub fn is_event_name(name: &str) -> bool {
    EVENTS.iter().any(|(n, _)| *n == name)
}

/// True when events of this name always concern an order.
pub fn event_has_order(name: &str) -> bool {
    event_subject(name) == Some(Subject::Order)
}

/// What events of this name are about.
pub fn event_subject(name: &str) -> Option<Subject> {
    EVENTS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}
