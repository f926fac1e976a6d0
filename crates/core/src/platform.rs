//! Orders from shop platforms (Shopify, WooCommerce, Tilda): what a platform says about an
//! order, in our terms, and how that becomes the same order events `POST /webhooks/orders`
//! takes, so every trigger works unchanged.
//!
//! A platform does not send changes; it sends the whole order as it is now, every time, in any
//! order and more than once. [`plan`] compares that snapshot with what Orderpath has seen from
//! the platform before ([`Seen`]) and returns the events that bring the order up to date:
//! `order.created` for an order it has not seen, `order.updated` with every field (the
//! order's own diff keeps only what changed), `order.status_changed` when the platform's state
//! moved to one the shop maps to a status, and `order.payment` when its payment changed. A
//! snapshot older than the last one applied changes nothing.

use std::collections::BTreeMap;

use crate::automation::time::rfc3339;
use crate::event::{
    Actor, ActorKind, CustomerContact, DeliveryPatch, NewOrder, OrderEvent, OrderId, OrderUpdate,
    PaymentOutcome, PaymentUpdate, StatusChange, Utm,
};

/// The order as the platform has it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformOrder {
    /// Everything `order.created` carries, read from the platform's order.
    pub order: NewOrder,
    /// The platform's own id of the order (Shopify's numeric `id`, WooCommerce's `id`,
    /// Tilda's `orderid`), which never changes even when the shop renumbers.
    pub platform_id: String,
    /// When the platform last changed the order, RFC 3339; `None` when it does not say.
    pub updated_at: Option<String>,
    /// The platform's state of the order in its own words — Shopify: `open`, `fulfilled`,
    /// `partially_fulfilled`, `cancelled`, `closed`; WooCommerce: its `status` (`processing`,
    /// `completed`, `cancelled`, …). The shop maps states to its statuses in `shop.toml`.
    pub state: Option<String>,
    /// The payment as the platform reports it.
    pub payment: Option<PlatformPayment>,
    /// The order's tags on the platform (kept as order flags).
    pub tags: Vec<String>,
    /// The customer's tags on the platform (added to the customer).
    pub customer_tags: Vec<String>,
}

/// A payment the platform reports on the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformPayment {
    /// What happened.
    pub outcome: PaymentOutcome,
    /// Minor units, in the order's currency.
    pub amount: i64,
    /// The platform's id for it (a transaction id, or the order's id with the outcome), so a
    /// snapshot repeating it is one payment.
    pub payment_id: String,
}

/// A form sent without a cart: a contact, not an order (Tilda forms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    /// The form's id on the platform (`formid`).
    pub form: String,
    /// Name, phone, email as the form carried them; at least a phone or an email.
    pub contact: CustomerContact,
    /// The other fields of the form, as sent, in order.
    pub fields: Vec<(String, String)>,
    /// UTM tags the form carried.
    pub utm: Utm,
}

/// What Orderpath has seen of an order from its platform.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// The order's status in Orderpath now.
    pub status: String,
    /// The platform state of the last snapshot applied.
    pub state: Option<String>,
    /// The `updated_at` of the last snapshot applied.
    pub updated_at: Option<String>,
    /// `payment_id:outcome` of the last payment applied.
    pub payment: Option<String>,
}

/// The events a snapshot makes, and what to remember of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Events to apply in order; empty for a stale snapshot.
    pub events: Vec<OrderEvent>,
    /// The snapshot is older than the last one applied: nothing changes.
    pub stale: bool,
    /// What to store as [`Seen`] after applying (`status` is left to the events).
    pub remember: Seen,
}

/// The key a payment is remembered by.
pub fn payment_key(payment: &PlatformPayment) -> String {
    format!("{}:{}", payment.payment_id, payment.outcome.as_str())
}

/// Decides what a snapshot changes. `seen` is `None` for an order Orderpath does not have;
/// `statuses` maps the platform's states to the shop's status codes (`[platforms.<name>]` in
/// `shop.toml`); `platform` names the actor in the history (`integration:shopify`).
pub fn plan(
    platform: &str,
    snapshot: &PlatformOrder,
    seen: Option<&Seen>,
    statuses: &BTreeMap<String, String>,
) -> Plan {
    let remember = Seen {
        status: String::new(),
        state: snapshot.state.clone(),
        updated_at: snapshot.updated_at.clone(),
        payment: snapshot.payment.as_ref().map(payment_key),
    };
    if let Some(seen) = seen {
        if is_older(snapshot.updated_at.as_deref(), seen.updated_at.as_deref()) {
            return Plan {
                events: Vec::new(),
                stale: true,
                remember: seen.clone(),
            };
        }
    }
    let order_id = &snapshot.order.order_id;
    let mut events = Vec::new();
    match seen {
        None => events.push(OrderEvent::Created(snapshot.order.clone())),
        Some(_) => events.push(OrderEvent::Updated(update_of(platform, &snapshot.order))),
    }
    let state_moved = seen.is_none_or(|s| s.state != snapshot.state);
    let target = snapshot
        .state
        .as_deref()
        .and_then(|state| statuses.get(state));
    if let (true, Some(target)) = (state_moved, target) {
        if seen.is_none_or(|s| &s.status != target) {
            events.push(OrderEvent::StatusChanged(StatusChange {
                order_id: order_id.clone(),
                status: target.clone(),
                actor: Some(actor(platform)),
                reason: snapshot.state.clone(),
                comment: None,
                fields: Vec::new(),
            }));
        }
    }
    if let Some(payment) = &snapshot.payment {
        let key = payment_key(payment);
        if seen.is_none_or(|s| s.payment.as_deref() != Some(key.as_str())) {
            events.push(OrderEvent::Payment(PaymentUpdate {
                order_id: order_id.clone(),
                status: payment.outcome,
                amount: payment.amount,
                currency: snapshot.order.currency.clone(),
                payment_id: Some(payment.payment_id.clone()),
                reason: None,
            }));
        }
    }
    Plan {
        events,
        stale: false,
        remember,
    }
}

/// The order deleted on the platform: moved to the status the shop maps `deleted` to, when
/// it maps it and the order is not there yet.
pub fn deleted(
    platform: &str,
    order_id: &OrderId,
    seen: &Seen,
    statuses: &BTreeMap<String, String>,
) -> Option<OrderEvent> {
    let target = statuses.get("deleted")?;
    (seen.status != *target).then(|| {
        OrderEvent::StatusChanged(StatusChange {
            order_id: order_id.clone(),
            status: target.clone(),
            actor: Some(actor(platform)),
            reason: Some("deleted".to_owned()),
            comment: None,
            fields: Vec::new(),
        })
    })
}

/// The ids a new platform order may take, in order of preference: the platform's number;
/// `<platform>-<number>` when another platform's order (or a renumbered one of the same
/// platform) already has it; `<platform>-<platform id>` last. Only valid order ids.
pub fn candidate_ids(platform: &str, number: &OrderId, platform_id: &str) -> Vec<OrderId> {
    [
        number.as_str().to_owned(),
        format!("{platform}-{number}"),
        format!("{platform}-{platform_id}"),
    ]
    .iter()
    .filter_map(|id| OrderId::parse(id).ok())
    .collect()
}

/// `integration:<platform>`, who made the platform's changes.
pub fn actor(platform: &str) -> Actor {
    Actor {
        kind: ActorKind::Integration,
        id: platform.to_owned(),
        name: None,
    }
}

/// Every field of the snapshot as an update; the order's diff keeps what changed.
fn update_of(platform: &str, order: &NewOrder) -> OrderUpdate {
    OrderUpdate {
        order_id: order.order_id.clone(),
        actor: Some(actor(platform)),
        customer: Some(order.customer.clone()),
        items: Some(order.items.clone()),
        delivery: Some(DeliveryPatch {
            kind: order.delivery.kind.clone(),
            address: order.delivery.address.clone(),
            cost: Some(order.delivery.cost),
        }),
        discount: Some(order.discount),
        total: Some(order.total),
        comment: order.comment.clone(),
        manager: None,
        fields: Vec::new(),
    }
}

/// True when `time` is known to be before `than` (both RFC 3339; unknown is never older).
fn is_older(time: Option<&str>, than: Option<&str>) -> bool {
    let unix = |t: &str| rfc3339::to_unix(t, rfc3339::Offset::Rfc3339);
    match (time.and_then(unix), than.and_then(unix)) {
        (Some(time), Some(than)) => time < than,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
