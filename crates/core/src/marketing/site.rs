//! Events from the shop's site about a customer (docs/site-events.md, with the JSON Schema in
//! docs/site-event.schema.json): subscriptions, forms, carts, checkouts, product views and
//! important dates. Read here into typed values; anything off the format is refused with the
//! field it concerns.

use serde_json::{Map, Value};

use super::MonthDay;
use crate::automation::time::rfc3339;
use crate::contact::{Email, Phone};
use crate::event::plain::{invalid, text};
use crate::event::{CustomerContact, EventError, Item};

/// The event types the site may send.
pub const SITE_EVENT_TYPES: [&str; 6] = [
    "customer.subscribed",
    "form.submitted",
    "cart.updated",
    "checkout.started",
    "product.viewed",
    "customer.date_added",
];

/// One site event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteEvent {
    /// What happened.
    pub kind: SiteEventKind,
    /// When (unix seconds).
    pub occurred_at: i64,
    /// Who: at least a phone or an email.
    pub contact: CustomerContact,
    /// `ru` or `en`, when the site knows.
    pub language: Option<String>,
    /// Consent to marketing the customer gave (or withdrew) with this event, per channel.
    pub consent: Consent,
    /// The event's `data` as sent (after checking), for the triggers' `event.data`.
    pub data: Map<String, Value>,
}

/// Marketing consent given or withdrawn with an event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Consent {
    /// By email.
    pub email: Option<bool>,
    /// By SMS.
    pub sms: Option<bool>,
}

/// The typed part of each event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteEventKind {
    /// `customer.subscribed`: consent to marketing on the listed channels.
    Subscribed {
        /// Where (a form's name, `footer`, `popup`…).
        source: String,
    },
    /// `form.submitted`.
    FormSubmitted {
        /// The form's name.
        form: String,
    },
    /// `cart.updated` or `checkout.started`.
    Cart {
        /// `checkout.started`.
        checkout: bool,
        /// The site's cart id.
        cart_id: String,
        /// What is in it (empty: emptied).
        items: Vec<Item>,
        /// Its sum, minor units.
        total: i64,
        /// ISO 4217.
        currency: String,
    },
    /// `product.viewed`.
    ProductViewed {
        /// The article.
        sku: Option<String>,
        /// Its category.
        category: String,
    },
    /// `customer.date_added`.
    DateAdded {
        /// `birthday`, `child_birthday`, `anniversary`, `holiday`…
        kind: String,
        /// Whose or what, for the message ("Маша").
        label: Option<String>,
        /// The date.
        date: MonthDay,
    },
}

impl SiteEvent {
    /// The type's name, as sent.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            SiteEventKind::Subscribed { .. } => "customer.subscribed",
            SiteEventKind::FormSubmitted { .. } => "form.submitted",
            SiteEventKind::Cart {
                checkout: false, ..
            } => "cart.updated",
            SiteEventKind::Cart { checkout: true, .. } => "checkout.started",
            SiteEventKind::ProductViewed { .. } => "product.viewed",
            SiteEventKind::DateAdded { .. } => "customer.date_added",
        }
    }
}

fn required(
    obj: &Map<String, Value>,
    name: &str,
    path: &str,
    max: usize,
) -> Result<String, EventError> {
    text(obj, name, path, max)?.ok_or_else(|| invalid(&format!("{path}{name}"), "is required"))
}

fn amount(obj: &Map<String, Value>, name: &str, path: &str) -> Result<i64, EventError> {
    obj.get(name)
        .and_then(Value::as_i64)
        .filter(|v| (0..=1_000_000_000_000).contains(v))
        .ok_or_else(|| {
            invalid(
                &format!("{path}{name}"),
                "must be an integer ≥ 0 (minor units)",
            )
        })
}

fn flag(obj: &Map<String, Value>, name: &str, path: &str) -> Result<Option<bool>, EventError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(&format!("{path}{name}"), "must be true or false")),
    }
}

/// Reads a site event.
pub fn parse_site_event(body: &[u8]) -> Result<SiteEvent, EventError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| EventError::Malformed(e.to_string()))?;
    let Value::Object(top) = value else {
        return Err(EventError::Malformed(
            "the body must be a JSON object".into(),
        ));
    };
    let kind_name = required(&top, "type", "", 64)?;
    if !SITE_EVENT_TYPES.contains(&kind_name.as_str()) {
        let known = SITE_EVENT_TYPES.join(", ");
        return Err(invalid("type", &format!("must be one of: {known}")));
    }
    let at = required(&top, "occurred_at", "", 64)?;
    let occurred_at = rfc3339::to_unix(&at, rfc3339::Offset::Rfc3339)
        .ok_or_else(|| invalid("occurred_at", "must be an RFC 3339 time with an offset"))?;
    let Some(Value::Object(customer)) = top.get("customer") else {
        return Err(invalid(
            "customer",
            "is required: an object with phone or email",
        ));
    };
    let phone = text(customer, "phone", "customer.", 32)?
        .map(|p| Phone::parse(&p).map_err(|e| invalid("customer.phone", &e.to_string())))
        .transpose()?;
    let email = text(customer, "email", "customer.", 254)?
        .map(|e| Email::parse(&e).map_err(|e| invalid("customer.email", &e.to_string())))
        .transpose()?;
    if phone.is_none() && email.is_none() {
        return Err(invalid("customer", "needs a phone or an email"));
    }
    let contact = CustomerContact {
        name: text(customer, "name", "customer.", 200)?,
        phone,
        email,
    };
    let language = text(customer, "language", "customer.", 8)?;
    if language.as_deref().is_some_and(|l| l != "ru" && l != "en") {
        return Err(invalid("customer.language", "must be ru or en"));
    }
    let consent = match top.get("consent") {
        None | Some(Value::Null) => Consent::default(),
        Some(Value::Object(c)) => Consent {
            email: flag(c, "email", "consent.")?,
            sms: flag(c, "sms", "consent.")?,
        },
        Some(_) => return Err(invalid("consent", "must be an object")),
    };
    let data = match top.get("data") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(d)) => d.clone(),
        Some(_) => return Err(invalid("data", "must be an object")),
    };
    let kind = match kind_name.as_str() {
        "customer.subscribed" => SiteEventKind::Subscribed {
            source: text(&data, "source", "data.", 100)?.unwrap_or_else(|| "site".into()),
        },
        "form.submitted" => SiteEventKind::FormSubmitted {
            form: required(&data, "form", "data.", 100)?,
        },
        "cart.updated" | "checkout.started" => cart(&data, kind_name == "checkout.started")?,
        "product.viewed" => SiteEventKind::ProductViewed {
            sku: text(&data, "sku", "data.", 64)?,
            category: required(&data, "category", "data.", 100)?,
        },
        _ => {
            let date = required(&data, "date", "data.", 10)?;
            SiteEventKind::DateAdded {
                kind: required(&data, "kind", "data.", 64)?,
                label: text(&data, "label", "data.", 100)?,
                date: MonthDay::parse(&date)
                    .ok_or_else(|| invalid("data.date", "must be MM-DD or YYYY-MM-DD"))?,
            }
        }
    };
    Ok(SiteEvent {
        kind,
        occurred_at,
        contact,
        language,
        consent,
        data,
    })
}

fn cart(data: &Map<String, Value>, checkout: bool) -> Result<SiteEventKind, EventError> {
    let cart_id = required(data, "cart_id", "data.", 100)?;
    let currency = required(data, "currency", "data.", 3)?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(invalid(
            "data.currency",
            "must be an ISO 4217 code such as RUB",
        ));
    }
    let total = amount(data, "total", "data.")?;
    let Some(Value::Array(lines)) = data.get("items") else {
        return Err(invalid(
            "data.items",
            "is required: a list (empty when emptied)",
        ));
    };
    if lines.len() > 500 {
        return Err(invalid("data.items", "at most 500 lines"));
    }
    let mut items = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let path = format!("data.items[{i}].");
        let Value::Object(line) = line else {
            return Err(invalid(&format!("data.items[{i}]"), "must be an object"));
        };
        let qty = line
            .get("qty")
            .and_then(Value::as_u64)
            .and_then(|q| u32::try_from(q).ok())
            .filter(|q| (1..=1_000_000).contains(q))
            .ok_or_else(|| invalid(&format!("{path}qty"), "must be an integer 1 … 1,000,000"))?;
        items.push(Item {
            sku: required(line, "sku", &path, 64)?,
            name: required(line, "name", &path, 500)?,
            qty,
            price: amount(line, "price", &path)?,
            category: text(line, "category", &path, 100)?,
        });
    }
    Ok(SiteEventKind::Cart {
        checkout,
        cart_id,
        items,
        total,
        currency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<SiteEvent, EventError> {
        parse_site_event(json.as_bytes())
    }

    #[test]
    fn a_cart_is_read_with_its_lines() {
        let e = parse(
            r#"{"type":"cart.updated","occurred_at":"2026-12-04T10:00:00+03:00",
            "customer":{"email":"Anna@Example.com","name":"Анна"},
            "data":{"cart_id":"c1","currency":"RUB","total":150000,
                    "items":[{"sku":"T1","name":"Пуэр","qty":2,"price":75000,"category":"tea"}]}}"#,
        )
        .unwrap();
        assert_eq!(e.type_name(), "cart.updated");
        assert_eq!(e.occurred_at, 1_796_367_600);
        assert_eq!(e.contact.email.unwrap().as_str(), "anna@example.com");
        let SiteEventKind::Cart { items, total, .. } = e.kind else {
            panic!()
        };
        assert_eq!((items.len(), items[0].qty, total), (1, 2, 150_000));
    }

    #[test]
    fn bad_events_name_the_field() {
        let field = |json: &str| match parse(json) {
            Err(EventError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let base = r#""occurred_at":"2026-12-04T10:00:00Z","customer":{"phone":"+79001234567"}"#;
        assert_eq!(field(&format!(r#"{{"type":"x",{base}}}"#)), "type");
        assert_eq!(
            field(
                r#"{"type":"form.submitted","occurred_at":"2026-12-04T10:00:00Z","customer":{}}"#
            ),
            "customer"
        );
        assert_eq!(
            field(&format!(
                r#"{{"type":"form.submitted",{base},"data":{{}}}}"#
            )),
            "data.form"
        );
        assert_eq!(
            field(&format!(
                r#"{{"type":"customer.date_added",{base},"data":{{"kind":"birthday","date":"02-30"}}}}"#
            )),
            "data.date"
        );
        assert_eq!(
            field(&format!(
                r#"{{"type":"cart.updated",{base},"data":{{"cart_id":"c","currency":"RUB","total":1,"items":[{{"sku":"a","name":"b","qty":0,"price":1}}]}}}}"#
            )),
            "data.items[0].qty"
        );
        assert!(matches!(parse("[1]"), Err(EventError::Malformed(_))));
    }
}
