//! The typed content of order events.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::contact::{Email, Phone};
use crate::money::Currency;
use crate::text::{char_len, has_control};

/// Longest order id, in characters.
pub const ORDER_ID_MAX_CHARS: usize = 64;

/// Why an order id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderIdError {
    /// The id is empty.
    #[error("must not be empty")]
    Empty,
    /// The id is longer than 64 characters.
    #[error("must be at most 64 characters")]
    TooLong,
    /// The id contains a control character.
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// The shop's order number: 1–64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderId(String);

impl OrderId {
    /// Checks an order number; it is kept exactly as sent (no trimming), because the shop
    /// looks orders up by it.
    pub fn parse(id: &str) -> Result<OrderId, OrderIdError> {
        if id.is_empty() {
            Err(OrderIdError::Empty)
        } else if char_len(id) > ORDER_ID_MAX_CHARS {
            Err(OrderIdError::TooLong)
        } else if has_control(id) {
            Err(OrderIdError::ControlCharacter)
        } else {
            Ok(OrderId(id.to_owned()))
        }
    }

    /// The order number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OrderId {
    type Error = OrderIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        OrderId::parse(&s)
    }
}

impl From<OrderId> for String {
    fn from(id: OrderId) -> String {
        id.0
    }
}

/// `order.created`: everything about a new order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewOrder {
    /// The shop's order number.
    pub order_id: OrderId,
    /// When the order was placed, RFC 3339 as sent; `None` means "when we received it".
    pub created_at: Option<String>,
    /// The currency of every amount in the order.
    pub currency: Currency,
    /// Where the order came from (`site`, `marketplace`, … or the shop's code); default `site`.
    pub channel: String,
    /// How it was placed (`cart`, `one-click`, … or the shop's code); default `cart`.
    pub order_method: String,
    /// `person` or `company`; default `person`.
    pub customer_type: String,
    /// The customer's name and contacts; at least a phone or an email.
    pub customer: CustomerContact,
    /// 1–500 order lines.
    pub items: Vec<Item>,
    /// Delivery method, address and cost.
    pub delivery: Delivery,
    /// Discount in minor units.
    pub discount: i64,
    /// What the customer pays, in minor units.
    pub total: i64,
    /// Marketing tags.
    pub utm: Utm,
    /// The customer's comment.
    pub comment: Option<String>,
    /// Id of the staff member responsible for the order.
    pub manager: Option<String>,
    /// Who created it (an operator entering a phone order); `None` means the webhook itself.
    pub actor: Option<Actor>,
    /// The customer's own language for messages, when the shop knows it.
    pub customer_language: Option<crate::message::Language>,
    /// The customer's time zone (an IANA name as the time zone database spells it, or
    /// `UTC±HH:MM`), for quiet hours; when the shop knows it.
    pub customer_time_zone: Option<String>,
}

/// A customer's name and contacts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerContact {
    /// Full name, up to 200 characters.
    pub name: Option<String>,
    /// Phone in E.164.
    pub phone: Option<Phone>,
    /// Email, lower-cased.
    pub email: Option<Email>,
}

/// One order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The shop's article number, 1–64 characters.
    pub sku: String,
    /// Product name, 1–500 characters.
    pub name: String,
    /// Quantity, 1 … 1,000,000.
    pub qty: u32,
    /// Unit price in minor units.
    pub price: i64,
    /// The shop's category code.
    pub category: Option<String>,
}

/// How the order is delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// `courier`, `pickup-point`, `post`, `self-pickup` or the shop's code (`type` in JSON).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Free-text address, up to 1,000 characters.
    pub address: Option<String>,
    /// Delivery cost in minor units.
    pub cost: i64,
}

/// UTM tags, stored as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utm {
    /// `utm_source`.
    pub source: Option<String>,
    /// `utm_medium`.
    pub medium: Option<String>,
    /// `utm_campaign`.
    pub campaign: Option<String>,
    /// `utm_content`.
    pub content: Option<String>,
    /// `utm_term`.
    pub term: Option<String>,
}

/// `order.updated`: only the fields that were sent; `None` means unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderUpdate {
    /// The order to change.
    pub order_id: OrderId,
    /// Who changed it; `None` means the webhook itself.
    pub actor: Option<Actor>,
    /// Contact edits; inside, `None` fields are unchanged.
    pub customer: Option<CustomerContact>,
    /// The new list of lines, replacing the old one.
    pub items: Option<Vec<Item>>,
    /// Delivery edits.
    pub delivery: Option<DeliveryPatch>,
    /// New discount.
    pub discount: Option<i64>,
    /// New total.
    pub total: Option<i64>,
    /// New comment.
    pub comment: Option<String>,
    /// New responsible manager.
    pub manager: Option<String>,
    /// Automation fields to set (`callback_at`, `track_number`, …), normalised.
    pub fields: super::OrderFields,
}

/// Delivery edits in an update; `None` fields are unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryPatch {
    /// New delivery method (`type` in JSON).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// New address.
    pub address: Option<String>,
    /// New cost.
    pub cost: Option<i64>,
}

/// `order.status_changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    /// The order to move.
    pub order_id: OrderId,
    /// The requested status code, syntactically valid; whether it exists is the
    /// [`StatusPath`](crate::status::StatusPath)'s business.
    pub status: String,
    /// Who changed it; `None` means the webhook itself.
    pub actor: Option<Actor>,
    /// Why, e.g. the cancellation reason.
    pub reason: Option<String>,
    /// Free-text comment.
    pub comment: Option<String>,
    /// Automation fields set with the change (e.g. `callback_at` for `call-back`).
    pub fields: super::OrderFields,
}

/// `order.flagged`: an operator's mark on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderFlag {
    /// The order.
    pub order_id: OrderId,
    /// The mark: `wrong-phone`, `supplier-chosen`, `carrier-accepted`, `review-received`, …
    pub flag: String,
    /// The supplier's email address, for `supplier-chosen` (default: the shop's supplier).
    pub supplier: Option<String>,
    /// Free-text note.
    pub note: Option<String>,
    /// Who set it.
    pub actor: Option<Actor>,
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// What kind of actor (`type` in JSON).
    #[serde(rename = "type")]
    pub kind: ActorKind,
    /// The actor's id in its system, 1–64 characters.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
}

impl Actor {
    /// The actor as written in the order history, e.g. `staff:m.ivanova`.
    pub fn label(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.id)
    }
}

/// The kinds of actor the format knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// A shop employee.
    Staff,
    /// The customer themself.
    Customer,
    /// The shop's own automation.
    System,
    /// Another service (marketplace, CRM, …).
    Integration,
}

impl ActorKind {
    /// Every kind, in documentation order.
    pub const ALL: [ActorKind; 4] = [
        ActorKind::Staff,
        ActorKind::Customer,
        ActorKind::System,
        ActorKind::Integration,
    ];

    /// The JSON name: `staff`, `customer`, `system`, `integration`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Staff => "staff",
            ActorKind::Customer => "customer",
            ActorKind::System => "system",
            ActorKind::Integration => "integration",
        }
    }

    /// The kind with this JSON name.
    pub fn parse(name: &str) -> Option<ActorKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `order.payment`: what happened to a payment for the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentUpdate {
    /// The order paid for.
    pub order_id: OrderId,
    /// What happened.
    pub status: PaymentOutcome,
    /// Minor units, ≥ 0.
    pub amount: i64,
    /// Must be the order's currency.
    pub currency: Currency,
    /// The acquirer's payment id: the same payment and status twice is one payment.
    pub payment_id: Option<String>,
    /// Why a payment failed, as the acquirer said it.
    pub reason: Option<String>,
}

/// What happened to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentOutcome {
    /// The money arrived.
    Succeeded,
    /// The attempt failed.
    Failed,
    /// The money went back to the customer.
    Refunded,
    /// The money is held, not yet captured.
    Authorised,
}

impl PaymentOutcome {
    /// Every outcome, in documentation order.
    pub const ALL: [PaymentOutcome; 4] = [
        PaymentOutcome::Succeeded,
        PaymentOutcome::Failed,
        PaymentOutcome::Refunded,
        PaymentOutcome::Authorised,
    ];

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentOutcome::Succeeded => "succeeded",
            PaymentOutcome::Failed => "failed",
            PaymentOutcome::Refunded => "refunded",
            PaymentOutcome::Authorised => "authorised",
        }
    }

    /// The outcome with this JSON name.
    pub fn parse(name: &str) -> Option<PaymentOutcome> {
        Self::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

/// `order.delivery`: the carrier's (normalised) delivery status of the order's parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryUpdate {
    /// The order shipped.
    pub order_id: OrderId,
    /// One of the normalised delivery statuses (`at-pickup-point`, `delivered`, …).
    pub status: String,
    /// Track number, tracking link, carrier, pickup point, … set with the status.
    pub fields: super::OrderFields,
}

/// `order.stock`: stock of some of the order's articles changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockUpdate {
    /// The order that needs the articles.
    pub order_id: OrderId,
    /// The articles that changed, 1–500.
    pub skus: Vec<String>,
    /// True when everything the order needs is in stock now; false when something ran out.
    pub available: bool,
}

/// `call.ended`: a phone call with a customer (or a stranger) is over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallEnded {
    /// The other party's phone, E.164.
    pub phone: Phone,
    /// Who called whom.
    pub direction: CallDirection,
    /// How it ended.
    pub outcome: CallOutcome,
    /// When it started, RFC 3339 as sent; `None` means "when we received it".
    pub started_at: Option<String>,
    /// The order it was about, when the sender knows.
    pub order_id: Option<OrderId>,
    /// The caller's name, when the PBX or CRM knows it.
    pub name: Option<String>,
}

/// Who called whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallDirection {
    /// The customer called the shop.
    Inbound,
    /// The shop called the customer.
    Outbound,
}

impl CallDirection {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            CallDirection::Inbound => "inbound",
            CallDirection::Outbound => "outbound",
        }
    }
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallOutcome {
    /// Somebody picked up.
    Answered,
    /// Nobody picked up.
    Missed,
    /// The line was busy.
    Busy,
    /// The call did not go through.
    Failed,
}

impl CallOutcome {
    /// Every outcome, in documentation order.
    pub const ALL: [CallOutcome; 4] = [
        CallOutcome::Answered,
        CallOutcome::Missed,
        CallOutcome::Busy,
        CallOutcome::Failed,
    ];

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Answered => "answered",
            CallOutcome::Missed => "missed",
            CallOutcome::Busy => "busy",
            CallOutcome::Failed => "failed",
        }
    }

    /// The outcome with this JSON name.
    pub fn parse(name: &str) -> Option<CallOutcome> {
        Self::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

/// A payment as the acquirer reported it, before it is matched with an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedPayment {
    /// Our order's id as the provider carried it (`metadata.order_id`, `InvoiceId`, `OrderId`,
    /// `orderNumber`, `client_reference_id`); `None` when the notification has none (a refund
    /// that only names its payment).
    pub order_ref: Option<String>,
    /// The provider's id of the payment. For a refund: the id of the payment refunded, so it
    /// finds the order its payment was for.
    pub payment_id: String,
    /// The provider's id of this operation when it differs from the payment (a refund's own
    /// id), so two partial refunds of one payment are two operations.
    pub operation_id: Option<String>,
    /// What happened.
    pub outcome: PaymentOutcome,
    /// Minor units; `None` when the provider did not say (Sber callbacks without `amount`).
    pub amount: Option<i64>,
    /// ISO 4217 alphabetic code, upper-case, when the provider said; numeric codes are
    /// translated where known, otherwise kept as sent so a mismatch is visible.
    pub currency: Option<String>,
    /// Why it failed, as the provider said it.
    pub reason: Option<String>,
    /// The provider marked it a test (sandbox) payment.
    pub test: bool,
}
