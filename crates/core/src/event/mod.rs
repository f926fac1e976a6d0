//! Order events posted to `/webhooks/orders`, as specified in `docs/order-events.md`.
//!
//! [`parse_order_event`] reads the body into a `serde_json::Value` and then walks it by hand,
//! so every violation names the exact JSON path of the field (`data.items[2].price`) and the
//! rule it breaks. The first violation found is reported. Unknown fields are ignored.
//!
//! Optional fields: `null`, and for strings an empty or whitespace-only value, mean "not
//! given" (default in `order.created`, unchanged in `order.updated`). Optional strings are
//! trimmed; required ones are kept exactly as sent.

mod fields;
mod parse;
pub(crate) mod plain;
mod reader;
#[cfg(test)]
mod tests;
mod types;

pub use fields::{OrderFields, FIELD_NAMES};
pub use types::*;

/// Why an event body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Not UTF-8, not JSON, or the top level is not an object (HTTP 400 `malformed_json`).
    #[error("malformed JSON: {0}")]
    Malformed(String),
    /// Well-formed JSON that breaks the event schema (HTTP 422 `invalid_event`).
    #[error("{field} {message}")]
    Invalid {
        /// JSON path of the offending field, e.g. `data.items[0].qty`.
        field: String,
        /// The rule it breaks, e.g. "must be an integer ≥ 0".
        message: String,
    },
}

/// An order event: the `data` of the envelope, typed by its `type`.
// One event is parsed per request and handled at once, never stored in bulk: a Box around the
// larger new order would add an allocation and save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", content = "data")]
pub enum OrderEvent {
    /// `order.created`: a new order.
    #[serde(rename = "order.created")]
    Created(NewOrder),
    /// `order.updated`: fields of an existing order changed.
    #[serde(rename = "order.updated")]
    Updated(OrderUpdate),
    /// `order.status_changed`: the order moves to another status.
    #[serde(rename = "order.status_changed")]
    StatusChanged(StatusChange),
    /// `order.flagged`: an operator marked the order (wrong phone, supplier chosen, …).
    #[serde(rename = "order.flagged")]
    Flagged(OrderFlag),
    /// `order.payment`: a payment succeeded, failed, was refunded or authorised.
    #[serde(rename = "order.payment")]
    Payment(PaymentUpdate),
    /// `order.delivery`: the parcel's delivery status changed.
    #[serde(rename = "order.delivery")]
    Delivery(DeliveryUpdate),
    /// `order.stock`: stock of the order's articles changed.
    #[serde(rename = "order.stock")]
    Stock(StockUpdate),
    /// `call.ended`: a phone call is over (the order is found by the phone number).
    #[serde(rename = "call.ended")]
    CallEnded(CallEnded),
}

impl OrderEvent {
    /// The `type` names accepted in the envelope.
    pub const TYPE_NAMES: [&'static str; 8] = [
        "order.created",
        "order.updated",
        "order.status_changed",
        "order.flagged",
        "order.payment",
        "order.delivery",
        "order.stock",
        "call.ended",
    ];

    /// The order the event is about; a call names one only when the sender knows it.
    pub fn order_id(&self) -> Option<&OrderId> {
        match self {
            OrderEvent::Created(o) => Some(&o.order_id),
            OrderEvent::Updated(u) => Some(&u.order_id),
            OrderEvent::StatusChanged(s) => Some(&s.order_id),
            OrderEvent::Flagged(f) => Some(&f.order_id),
            OrderEvent::Payment(p) => Some(&p.order_id),
            OrderEvent::Delivery(d) => Some(&d.order_id),
            OrderEvent::Stock(s) => Some(&s.order_id),
            OrderEvent::CallEnded(c) => c.order_id.as_ref(),
        }
    }

    /// The envelope `type`, e.g. `order.created`.
    pub fn type_name(&self) -> &'static str {
        let index = match self {
            OrderEvent::Created(_) => 0,
            OrderEvent::Updated(_) => 1,
            OrderEvent::StatusChanged(_) => 2,
            OrderEvent::Flagged(_) => 3,
            OrderEvent::Payment(_) => 4,
            OrderEvent::Delivery(_) => 5,
            OrderEvent::Stock(_) => 6,
            OrderEvent::CallEnded(_) => 7,
        };
        Self::TYPE_NAMES[index]
    }
}

/// Parses and validates the raw body of `POST /webhooks/orders`.
pub fn parse_order_event(body: &[u8]) -> Result<OrderEvent, EventError> {
    parse::event(body)
}
