//! The rules of `docs/order-events.md`, field by field.

use serde_json::Value;

use super::reader::{invalid, Field, Obj};
use super::types::*;
use super::{EventError, OrderEvent};
use crate::automation::time::rfc3339;
use crate::automation::time::TimeZone;
use crate::contact::{Email, Phone};
use crate::message::Language;
use crate::money::Currency;
use crate::text::{char_len, has_control, is_code};

const MAX_ITEMS: usize = 500;
const MAX_QTY: i64 = 1_000_000;
const NAME_MAX: usize = 200;
const SKU_MAX: usize = 64;
const ITEM_NAME_MAX: usize = 500;
const CATEGORY_MAX: usize = 64;
const CODE_MAX: usize = 32;
const ADDRESS_MAX: usize = 1_000;
const UTM_MAX: usize = 200;
const COMMENT_MAX: usize = 2_000;
const MANAGER_MAX: usize = 64;
const ACTOR_ID_MAX: usize = 64;
const REASON_MAX: usize = 500;
const STATUS_MAX: usize = 40;
const CUSTOMER_TYPES: [&str; 2] = ["person", "company"];
const PAYMENT_ID_MAX: usize = 64;
const MAX_SKUS: usize = 500;

pub(super) fn event(body: &[u8]) -> Result<OrderEvent, EventError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| EventError::Malformed(format!("the body is not UTF-8: {e}")))?;
    // A byte-order mark is not JSON, but some senders write one; it carries no meaning.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value =
        serde_json::from_str(text).map_err(|e| EventError::Malformed(e.to_string()))?;
    let root = Obj::root(&value)
        .ok_or_else(|| EventError::Malformed("the body must be a JSON object".to_owned()))?;

    let kind = root.required("type")?;
    let parse_data: fn(&Obj) -> Result<OrderEvent, EventError> = match kind.string()? {
        "order.created" => |d| new_order(d).map(OrderEvent::Created),
        "order.updated" => |d| order_update(d).map(OrderEvent::Updated),
        "order.status_changed" => |d| status_change(d).map(OrderEvent::StatusChanged),
        "order.flagged" => |d| flag(d).map(OrderEvent::Flagged),
        "order.payment" => |d| payment(d).map(OrderEvent::Payment),
        "order.delivery" => |d| delivery_update(d).map(OrderEvent::Delivery),
        "order.stock" => |d| stock(d).map(OrderEvent::Stock),
        "call.ended" => |d| call_ended(d).map(OrderEvent::CallEnded),
        _ => {
            return Err(kind.invalid(format!(
                "must be one of: {}",
                OrderEvent::TYPE_NAMES.join(", ")
            )))
        }
    };
    // Informational only, but a sender that breaks the format should hear about it.
    date_time(&root, "timestamp")?;
    parse_data(&root.required("data")?.object()?)
}

fn new_order(data: &Obj) -> Result<NewOrder, EventError> {
    let order_id = order_id(data)?;
    let created_at = date_time(data, "created_at")?;
    let currency_field = data.required("currency")?;
    let currency = Currency::parse(currency_field.string()?)
        .map_err(|e| currency_field.invalid(e.to_string()))?;
    let channel = code(data, "channel")?.unwrap_or_else(|| "site".to_owned());
    let order_method = code(data, "order_method")?.unwrap_or_else(|| "cart".to_owned());
    let customer_type = match text(data, "customer_type", NAME_MAX)? {
        Some(t) if CUSTOMER_TYPES.contains(&t.as_str()) => t,
        Some(_) => {
            return Err(invalid(
                data.path_of("customer_type"),
                format!("must be one of: {}", CUSTOMER_TYPES.join(", ")),
            ))
        }
        None => "person".to_owned(),
    };
    let customer_obj = data.required("customer")?.object()?;
    let customer = customer(&customer_obj)?;
    if customer.phone.is_none() && customer.email.is_none() {
        return Err(invalid(
            customer_obj.path(),
            "must have a phone or an email (at least one is required)",
        ));
    }
    let items = items(&data.required("items")?)?;
    let delivery = match data.optional("delivery") {
        Some(f) => {
            let patch = delivery(&f.object()?)?;
            Delivery {
                kind: patch.kind,
                address: patch.address,
                cost: patch.cost.unwrap_or(0),
            }
        }
        None => Delivery::default(),
    };
    let discount = optional_money(data, "discount")?.unwrap_or(0);
    let total = data.required("total")?.money()?;
    let utm = match data.optional("utm") {
        Some(f) => utm(&f.object()?)?,
        None => Utm::default(),
    };
    Ok(NewOrder {
        order_id,
        created_at,
        currency,
        channel,
        order_method,
        customer_type,
        customer,
        items,
        delivery,
        discount,
        total,
        utm,
        comment: text(data, "comment", COMMENT_MAX)?,
        manager: manager(data)?,
        actor: actor(data)?,
        customer_language: customer_language(&customer_obj)?,
        customer_time_zone: customer_time_zone(&customer_obj)?,
    })
}

/// `customer.time_zone`: where the customer lives, for quiet hours (C11).
fn customer_time_zone(customer: &Obj) -> Result<Option<String>, EventError> {
    match text(customer, "time_zone", 64)? {
        None => Ok(None),
        Some(name) => TimeZone::parse(&name)
            .map(|tz| Some(tz.name().to_owned()))
            .map_err(|e| invalid(customer.path_of("time_zone"), e.to_string())),
    }
}

/// `customer.language`: the customer's own language for messages (`ru` or `en`).
fn customer_language(customer: &Obj) -> Result<Option<Language>, EventError> {
    match text(customer, "language", 16)? {
        None => Ok(None),
        Some(tag) => Language::parse(&tag)
            .map(Some)
            .ok_or_else(|| invalid(customer.path_of("language"), "must be ru or en")),
    }
}

fn order_update(data: &Obj) -> Result<OrderUpdate, EventError> {
    Ok(OrderUpdate {
        order_id: order_id(data)?,
        actor: actor(data)?,
        customer: data
            .optional("customer")
            .map(|f| customer(&f.object()?))
            .transpose()?,
        items: data.optional("items").map(|f| items(&f)).transpose()?,
        delivery: data
            .optional("delivery")
            .map(|f| delivery(&f.object()?))
            .transpose()?,
        discount: optional_money(data, "discount")?,
        total: optional_money(data, "total")?,
        comment: text(data, "comment", COMMENT_MAX)?,
        manager: manager(data)?,
        fields: super::fields::parse(data)?,
    })
}

fn status_change(data: &Obj) -> Result<StatusChange, EventError> {
    let order_id = order_id(data)?;
    let status_field = data.required("status")?;
    let status = status_field.string()?;
    if !is_code(status, STATUS_MAX, false) {
        return Err(status_field.invalid(format!(
            "must be a status code: 1–{STATUS_MAX} characters of a-z, 0-9 and -"
        )));
    }
    Ok(StatusChange {
        order_id,
        status: status.to_owned(),
        actor: actor(data)?,
        reason: text(data, "reason", REASON_MAX)?,
        comment: text(data, "comment", COMMENT_MAX)?,
        fields: super::fields::parse(data)?,
    })
}

fn flag(data: &Obj) -> Result<OrderFlag, EventError> {
    let order_id = order_id(data)?;
    let flag_field = data.required("flag")?;
    let flag = flag_field.string()?;
    if !is_code(flag, STATUS_MAX, false) {
        return Err(flag_field.invalid(format!(
            "must be a code: 1–{STATUS_MAX} characters of a-z, 0-9 and -"
        )));
    }
    Ok(OrderFlag {
        order_id,
        flag: flag.to_owned(),
        supplier: text(data, "supplier", usize::MAX)?
            .map(|e| {
                Email::parse(&e)
                    .map(|e| e.as_str().to_owned())
                    .map_err(|err| invalid(data.path_of("supplier"), err.to_string()))
            })
            .transpose()?,
        note: text(data, "note", COMMENT_MAX)?,
        actor: actor(data)?,
    })
}

fn payment(data: &Obj) -> Result<PaymentUpdate, EventError> {
    let order_id = order_id(data)?;
    let status_field = data.required("status")?;
    let status = PaymentOutcome::parse(status_field.string()?).ok_or_else(|| {
        let names: Vec<&str> = PaymentOutcome::ALL.iter().map(|o| o.as_str()).collect();
        status_field.invalid(format!("must be one of: {}", names.join(", ")))
    })?;
    let amount = data.required("amount")?.money()?;
    let currency_field = data.required("currency")?;
    let currency = Currency::parse(currency_field.string()?)
        .map_err(|e| currency_field.invalid(e.to_string()))?;
    let payment_id = text(data, "payment_id", PAYMENT_ID_MAX)?;
    if payment_id.as_deref().is_some_and(has_control) {
        return Err(invalid(
            data.path_of("payment_id"),
            "must not contain control characters",
        ));
    }
    Ok(PaymentUpdate {
        order_id,
        status,
        amount,
        currency,
        payment_id,
        reason: text(data, "reason", REASON_MAX)?,
    })
}

fn delivery_update(data: &Obj) -> Result<DeliveryUpdate, EventError> {
    use crate::automation::event::DELIVERY_STATUSES;
    let order_id = order_id(data)?;
    let status_field = data.required("status")?;
    let status = status_field.string()?;
    if !DELIVERY_STATUSES.contains(&status) {
        return Err(
            status_field.invalid(format!("must be one of: {}", DELIVERY_STATUSES.join(", ")))
        );
    }
    Ok(DeliveryUpdate {
        order_id,
        status: status.to_owned(),
        fields: super::fields::parse(data)?,
    })
}

fn stock(data: &Obj) -> Result<StockUpdate, EventError> {
    let order_id = order_id(data)?;
    let skus_field = data.required("skus")?;
    let elements = skus_field.array()?;
    if elements.is_empty() || elements.len() > MAX_SKUS {
        return Err(skus_field.invalid(format!("must list 1–{MAX_SKUS} articles")));
    }
    let mut skus = Vec::with_capacity(elements.len());
    for element in &elements {
        let sku = element.string_max(SKU_MAX)?;
        if sku.is_empty() || has_control(sku) {
            return Err(element.invalid(format!(
                "must be an article number of 1–{SKU_MAX} characters"
            )));
        }
        skus.push(sku.to_owned());
    }
    let available_field = data.required("available")?;
    let available = available_field
        .value
        .as_bool()
        .ok_or_else(|| available_field.invalid("must be true or false"))?;
    Ok(StockUpdate {
        order_id,
        skus,
        available,
    })
}

fn call_ended(data: &Obj) -> Result<CallEnded, EventError> {
    let phone_field = data.required("phone")?;
    let phone = Phone::parse(phone_field.string()?.trim())
        .map_err(|e| phone_field.invalid(e.to_string()))?;
    let direction = match text(data, "direction", 16)?.as_deref() {
        None | Some("inbound") => CallDirection::Inbound,
        Some("outbound") => CallDirection::Outbound,
        Some(_) => {
            return Err(invalid(
                data.path_of("direction"),
                "must be one of: inbound, outbound",
            ))
        }
    };
    let outcome_field = data.required("outcome")?;
    let outcome = CallOutcome::parse(outcome_field.string()?).ok_or_else(|| {
        let names: Vec<&str> = CallOutcome::ALL.iter().map(|o| o.as_str()).collect();
        outcome_field.invalid(format!("must be one of: {}", names.join(", ")))
    })?;
    let order_id = match data.optional("order_id") {
        Some(field) => {
            Some(OrderId::parse(field.string()?).map_err(|e| field.invalid(e.to_string()))?)
        }
        None => None,
    };
    Ok(CallEnded {
        phone,
        direction,
        outcome,
        started_at: date_time(data, "started_at")?,
        order_id,
        name: name(data, "name")?,
    })
}

fn order_id(data: &Obj) -> Result<OrderId, EventError> {
    let field = data.required("order_id")?;
    OrderId::parse(field.string()?).map_err(|e| field.invalid(e.to_string()))
}

/// An optional RFC 3339 date-time, trimmed; blank means not given.
fn date_time(obj: &Obj, name: &str) -> Result<Option<String>, EventError> {
    match text(obj, name, usize::MAX)? {
        Some(s) if rfc3339::is_valid(&s) => Ok(Some(s)),
        Some(_) => Err(invalid(
            obj.path_of(name),
            "must be an RFC 3339 date-time, e.g. 2026-11-24T10:15:00+03:00",
        )),
        None => Ok(None),
    }
}

/// An optional free-text string, trimmed; blank means not given. The limit applies to the
/// trimmed text: surrounding spaces are not the sender's content.
fn text(obj: &Obj, name: &str, max: usize) -> Result<Option<String>, EventError> {
    let Some(field) = obj.optional(name) else {
        return Ok(None);
    };
    let trimmed = field.string()?.trim();
    if trimmed.is_empty() {
        Ok(None)
    } else if char_len(trimmed) > max {
        Err(field.invalid(format!("must be at most {max} characters")))
    } else {
        Ok(Some(trimmed.to_owned()))
    }
}

/// An optional person's name as one line (see [`crate::text::one_line`]): line breaks and
/// control characters become spaces, so they never reach an email header or an SMS.
fn name(obj: &Obj, field: &str) -> Result<Option<String>, EventError> {
    Ok(text(obj, field, NAME_MAX)?
        .map(|n| crate::text::one_line(&n))
        .filter(|n| !n.is_empty()))
}

/// An optional shop code (`[a-z0-9_-]{1,32}`).
fn code(obj: &Obj, name: &str) -> Result<Option<String>, EventError> {
    let value = text(obj, name, usize::MAX)?;
    match value {
        Some(c) if !is_code(&c, CODE_MAX, true) => Err(invalid(
            obj.path_of(name),
            format!("must be a code: 1–{CODE_MAX} characters of a-z, 0-9, _ and -"),
        )),
        other => Ok(other),
    }
}

/// A required string of 1..=`max` characters, kept exactly as sent.
fn required_string(obj: &Obj, name: &str, max: usize) -> Result<String, EventError> {
    let field = obj.required(name)?;
    let s = field.string_max(max)?;
    if s.is_empty() {
        Err(field.invalid("must not be empty"))
    } else if has_control(s) {
        Err(field.invalid("must not contain control characters"))
    } else {
        Ok(s.to_owned())
    }
}

fn optional_money(obj: &Obj, name: &str) -> Result<Option<i64>, EventError> {
    obj.optional(name).map(|f| f.money()).transpose()
}

fn manager(data: &Obj) -> Result<Option<String>, EventError> {
    text(data, "manager", MANAGER_MAX)
}

fn customer(obj: &Obj) -> Result<CustomerContact, EventError> {
    let name = name(obj, "name")?;
    // The contact parsers bound the length themselves.
    let phone = text(obj, "phone", usize::MAX)?
        .map(|p| Phone::parse(&p).map_err(|e| invalid(obj.path_of("phone"), e.to_string())))
        .transpose()?;
    let email = text(obj, "email", usize::MAX)?
        .map(|e| Email::parse(&e).map_err(|err| invalid(obj.path_of("email"), err.to_string())))
        .transpose()?;
    Ok(CustomerContact { name, phone, email })
}

fn items(field: &Field) -> Result<Vec<Item>, EventError> {
    let elements = field.array()?;
    if elements.is_empty() {
        return Err(field.invalid("must contain at least 1 item"));
    }
    if elements.len() > MAX_ITEMS {
        return Err(field.invalid(format!("must contain at most {MAX_ITEMS} items")));
    }
    elements.iter().map(|e| item(&e.object()?)).collect()
}

fn item(obj: &Obj) -> Result<Item, EventError> {
    let sku = required_string(obj, "sku", SKU_MAX)?;
    let name = required_string(obj, "name", ITEM_NAME_MAX)?;
    let qty_rule = format!("must be an integer from 1 to {MAX_QTY}");
    let qty_field = obj.required("qty")?;
    let qty = u32::try_from(qty_field.integer(1, MAX_QTY, &qty_rule)?)
        .map_err(|_| qty_field.invalid(qty_rule))?;
    Ok(Item {
        sku,
        name,
        qty,
        price: obj.required("price")?.money()?,
        category: text(obj, "category", CATEGORY_MAX)?,
    })
}

fn delivery(obj: &Obj) -> Result<DeliveryPatch, EventError> {
    Ok(DeliveryPatch {
        kind: code(obj, "type")?,
        address: text(obj, "address", ADDRESS_MAX)?,
        cost: optional_money(obj, "cost")?,
    })
}

fn utm(obj: &Obj) -> Result<Utm, EventError> {
    Ok(Utm {
        source: text(obj, "source", UTM_MAX)?,
        medium: text(obj, "medium", UTM_MAX)?,
        campaign: text(obj, "campaign", UTM_MAX)?,
        content: text(obj, "content", UTM_MAX)?,
        term: text(obj, "term", UTM_MAX)?,
    })
}

fn actor(data: &Obj) -> Result<Option<Actor>, EventError> {
    let Some(field) = data.optional("actor") else {
        return Ok(None);
    };
    let obj = field.object()?;
    let kind_field = obj.required("type")?;
    let kind = ActorKind::parse(kind_field.string()?).ok_or_else(|| {
        let names: Vec<&str> = ActorKind::ALL.iter().map(|k| k.as_str()).collect();
        kind_field.invalid(format!("must be one of: {}", names.join(", ")))
    })?;
    Ok(Some(Actor {
        kind,
        id: required_string(&obj, "id", ACTOR_ID_MAX)?,
        name: name(&obj, "name")?,
    }))
}
