//! The `http_request` action: the JSON payload posted to the shop's CRM or ERP.
//!
//! The payload follows the Standard Webhooks recommendation, `{"type", "timestamp",
//! "data"}`. `data` is the configured table with its string values rendered as templates
//! (the message templates' context: `order`, `customer`, `shop`, `event`), or, without a
//! table, [`default_data`]. A string that is exactly one placeholder, `"{{ order.total }}"`,
//! gives the value at that path as it is, so numbers, lists and objects keep their JSON type.
//! The payload is serialised here, once: these bytes are stored in the outbox and signed.

use serde_json::{json, Map, Value};

use super::PlannedWebhook;
use crate::automation::config::Config;
use crate::automation::event::DomainEvent;
use crate::automation::facts::{context, Facts};
use crate::automation::template::{RenderEnv, Template, TemplateError};
use crate::automation::time::rfc3339::format_utc;

/// The largest payload an `http_request` sends (the Standard Webhooks recommendation).
pub const MAX_PAYLOAD_BYTES: usize = 20 * 1024;

/// What a configured `http_request` asks for.
pub(super) struct HttpAction<'a> {
    pub endpoint: &'a str,
    pub event_type: &'a str,
    pub data: Option<&'a Map<String, Value>>,
    pub trigger_id: &'a str,
}

/// Builds the payload; refuses one over [`MAX_PAYLOAD_BYTES`].
pub(super) fn plan(
    config: &Config,
    event: &DomainEvent,
    facts: &Facts,
    action: &HttpAction<'_>,
) -> Result<PlannedWebhook, String> {
    let data = match action.data {
        Some(data) => {
            let lang = config.shop.language;
            let ctx = context(config, event, facts, lang);
            let env = RenderEnv {
                language: lang,
                time_zone: &config.shop.time_zone,
                html: false,
            };
            render(&Value::Object(data.clone()), &ctx, &env)
        }
        None => default_data(config, event, facts, action.trigger_id),
    };
    let payload = json!({
        "type": action.event_type,
        "timestamp": format_utc(facts.now),
        "data": data,
    })
    .to_string();
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(format!(
            "the http_request payload is {} bytes, over the limit of {MAX_PAYLOAD_BYTES}",
            payload.len()
        ));
    }
    Ok(PlannedWebhook {
        endpoint: action.endpoint.to_owned(),
        event_type: action.event_type.to_owned(),
        payload,
    })
}

/// The default `data`: the domain event, the order (id, status and its label, payment and
/// delivery status, money, the customer's contacts, manager, items, the shop's own fields)
/// and the trigger's id.
pub fn default_data(config: &Config, event: &DomainEvent, facts: &Facts, trigger: &str) -> Value {
    let order = facts.order.as_ref().map_or(Value::Null, |o| {
        let customer = facts.customer.as_ref();
        let label = config
            .statuses
            .path
            .get(&o.status)
            .map(|def| def.label(config.shop.language));
        json!({
            "id": o.id,
            "status": o.status,
            "status_label": label,
            "payment_status": o.payment_status,
            "delivery_status": o.delivery_status,
            "total": o.total,
            "currency": o.currency,
            "customer": {
                "name": customer.and_then(|c| c.name.clone()),
                "phone": customer.and_then(|c| c.phone.clone()),
                "email": customer.and_then(|c| c.email.clone()),
            },
            "manager": o.manager,
            "track_number": o.track_number,
            "items": o.items,
            "fields": o.fields,
        })
    });
    json!({
        "event": serde_json::to_value(event).unwrap_or(Value::Null),
        "order": order,
        "trigger": trigger,
    })
}

fn render(value: &Value, ctx: &Value, env: &RenderEnv<'_>) -> Value {
    match value {
        Value::String(text) => match raw_placeholder(text) {
            Some(path) => lookup(ctx, path).cloned().unwrap_or(Value::Null),
            None => match Template::parse(text) {
                Ok(template) => Value::String(template.render(ctx, env)),
                // Not in a checked configuration; kept as written rather than dropped.
                Err(_) => value.clone(),
            },
        },
        Value::Array(list) => Value::Array(list.iter().map(|v| render(v, ctx, env)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render(v, ctx, env)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The path of a string that is one `{{ path }}` without filters, and nothing else.
pub fn raw_placeholder(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let ok = !inner.is_empty()
        && inner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
    ok.then_some(inner)
}

fn lookup<'v>(ctx: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(ctx, |value, seg| match value {
        Value::Object(map) => map.get(seg),
        Value::Array(list) => list.get(seg.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Every template in a `data` table that does not parse, with its place (`data.a.b`).
pub fn data_problems(data: &Map<String, Value>) -> Vec<(String, TemplateError)> {
    fn walk(value: &Value, at: String, out: &mut Vec<(String, TemplateError)>) {
        match value {
            Value::String(text) if raw_placeholder(text).is_none() => {
                if let Err(e) = Template::parse(text) {
                    out.push((at, e));
                }
            }
            Value::Array(list) => {
                for (i, v) in list.iter().enumerate() {
                    walk(v, format!("{at}[{i}]"), out);
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    walk(v, format!("{at}.{k}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in data {
        walk(v, format!("data.{k}"), &mut out);
    }
    out
}
