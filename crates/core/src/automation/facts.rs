//! What the shell knows about the order and the customer when an event happens, and how it
//! becomes the template context (`order.*`, `customer.*`, `shop.*`, `event.*`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::config::Config;
use super::event::DomainEvent;
use crate::event::{Item, OrderId};
use crate::message::Language;

/// The input of the engine besides the event and the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Unix seconds, from the shell's clock.
    pub now: i64,
    /// The order, when the event has one.
    pub order: Option<OrderFacts>,
    /// The customer (for calls: the caller, when known).
    pub customer: Option<CustomerFacts>,
}

/// The stored state of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFacts {
    /// The shop's order number.
    pub id: OrderId,
    /// Current status.
    pub status: String,
    /// When the order entered it (unix seconds).
    pub status_entered_at: i64,
    /// `not-paid`, `invoice-sent`, `paid`, `partially-paid`, `failed`, `refunded`.
    pub payment_status: String,
    /// The normalised delivery status, once a carrier reported one.
    pub delivery_status: Option<String>,
    /// `site`, `marketplace`, `phone`, …
    pub channel: String,
    /// `cart`, `one-click`, `phone`, …
    pub order_method: String,
    /// `person` or `company`.
    pub customer_type: String,
    /// `courier`, `pickup-point`, `post`, `self-pickup`, …
    pub delivery_type: Option<String>,
    /// ISO 4217 code of all amounts.
    pub currency: String,
    /// What the customer pays, minor units.
    pub total: i64,
    /// Discount, minor units.
    pub discount: i64,
    /// Delivery cost, minor units.
    pub delivery_cost: i64,
    /// Delivery address, free text.
    pub delivery_address: Option<String>,
    /// Order lines.
    pub items: Vec<Item>,
    /// The responsible staff member's id.
    pub manager: Option<String>,
    /// When to call the customer back (unix seconds).
    pub callback_at: Option<i64>,
    /// The carrier's track number.
    pub track_number: Option<String>,
    /// Tracking link for the customer.
    pub tracking_url: Option<String>,
    /// The carrier's code.
    pub carrier: Option<String>,
    /// True when the carrier is connected by an integration (no manual hand-over email).
    pub carrier_integrated: bool,
    /// Where the parcel waits.
    pub pickup_point: Option<PickupPoint>,
    /// The payment link generated for the order.
    pub payment_link: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// How many times nobody answered the operator's call.
    pub no_answer_attempts: u32,
    /// Operator flags on the order (`carrier-accepted`, `review-received`, …).
    pub flags: Vec<String>,
    /// The shop's own fields and values set by `set_field`.
    pub fields: BTreeMap<String, Value>,
}

impl OrderFacts {
    /// A minimal order in `status`; the rest is filled in by the caller.
    pub fn new(id: OrderId, status: &str) -> OrderFacts {
        OrderFacts {
            id,
            status: status.to_owned(),
            status_entered_at: 0,
            payment_status: "not-paid".to_owned(),
            delivery_status: None,
            channel: "site".to_owned(),
            order_method: "cart".to_owned(),
            customer_type: "person".to_owned(),
            delivery_type: None,
            currency: "RUB".to_owned(),
            total: 0,
            discount: 0,
            delivery_cost: 0,
            delivery_address: None,
            items: Vec::new(),
            manager: None,
            callback_at: None,
            track_number: None,
            tracking_url: None,
            carrier: None,
            carrier_integrated: false,
            pickup_point: None,
            payment_link: None,
            cancel_reason: None,
            no_answer_attempts: 0,
            flags: Vec::new(),
            fields: BTreeMap::new(),
        }
    }

    /// The order as JSON: every field above, the custom `fields` merged in (never
    /// overriding a built-in one), per item its `sum`, and `subtotal` (sum of the items).
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.remove("fields");
            for (k, v) in &self.fields {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
            let subtotal = crate::order::items_total(&self.items);
            map.insert("subtotal".into(), subtotal.into());
            if let Some(Value::Array(items)) = map.get_mut("items") {
                for (item, src) in items.iter_mut().zip(&self.items) {
                    if let Value::Object(item) = item {
                        let sum = i64::from(src.qty).saturating_mul(src.price);
                        item.insert("sum".into(), sum.into());
                    }
                }
            }
        }
        value
    }

    /// A field by name, as conditions and `due_at_field` see it (`Null` when absent).
    pub fn field(&self, name: &str) -> Value {
        self.to_json().get(name).cloned().unwrap_or(Value::Null)
    }
}

/// A pickup point.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupPoint {
    /// Address.
    pub address: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Opening hours, free text.
    pub hours: Option<String>,
}

/// The customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerFacts {
    /// `customers.id`, when the customer is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Name.
    pub name: Option<String>,
    /// Phone, E.164.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Tags (`BAD`, `VIP`, …).
    pub tags: Vec<String>,
    /// Segment (`new`, `regular`, …).
    pub segment: Option<String>,
    /// Preferred language; the shop's when absent.
    pub language: Option<Language>,
    /// Time zone for quiet hours (IANA or `UTC±HH:MM`); the shop's when absent or unknown.
    pub time_zone: Option<String>,
    /// When the customer last placed an order (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_order_at: Option<i64>,
    /// Marketing by email is allowed (the customer consented and did not unsubscribe).
    #[serde(default)]
    pub marketing_email: bool,
    /// Marketing by SMS is allowed.
    #[serde(default)]
    pub marketing_sms: bool,
    /// The signed link that unsubscribes the customer from marketing email (set by the shell
    /// when the app's public address and signing key are configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe_url: Option<String>,
}

/// The template context: `order` ([`OrderFacts::to_json`] plus `status_label`), `customer`,
/// `shop` (name, phone, email, url, hours, language, thresholds) and `event` (the event's
/// JSON with `type`).
pub fn context(config: &Config, event: &DomainEvent, facts: &Facts, lang: Language) -> Value {
    let order = match &facts.order {
        Some(o) => {
            let mut v = o.to_json();
            if let (Value::Object(map), Some(def)) = (&mut v, config.statuses.path.get(&o.status)) {
                map.insert("status_label".into(), def.label(lang).into());
            }
            v
        }
        None => Value::Object(Map::new()),
    };
    let customer = facts
        .customer
        .as_ref()
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or_else(|| Value::Object(Map::new()));
    let info = &config.shop.info;
    let shop = json!({
        "name": info.name, "phone": info.phone, "email": info.email, "url": info.url,
        "hours": info.hours, "language": config.shop.language.as_str(),
        "thresholds": config.shop.thresholds,
    });
    let event = serde_json::to_value(event).unwrap_or(Value::Null);
    json!({ "order": order, "customer": customer, "shop": shop, "event": event })
}
