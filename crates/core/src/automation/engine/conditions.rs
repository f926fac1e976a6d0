//! `[trigger.when]`: does a trigger apply to this event and these facts?

use serde_json::Value;

use crate::automation::config::{AnyOf, Conditions, Config, IntRef};
use crate::automation::event::DomainEvent;
use crate::automation::facts::{Facts, OrderFacts};
use crate::automation::template::render::truthy;
use crate::automation::time::{in_time_window, is_open, TimeOfDay};

/// True when every condition given holds. Order conditions fail when there is no order.
pub fn conditions_hold(
    config: &Config,
    when: &Conditions,
    event: &DomainEvent,
    facts: &Facts,
) -> bool {
    let order = facts.order.as_ref();
    let customer = facts.customer.as_ref();
    let thresholds = &config.shop.thresholds;
    let shop = &config.shop;
    let change = event.status_change();
    let on_order = |f: &dyn Fn(&OrderFacts) -> bool| order.is_some_and(f);
    let any = |cond: &Option<AnyOf>, value: Option<&str>| {
        cond.as_ref()
            .is_none_or(|c| value.is_some_and(|v| c.matches(v)))
    };
    let int = |cond: &Option<IntRef>, test: &dyn Fn(i64) -> bool| {
        cond.as_ref()
            .is_none_or(|c| c.resolve(thresholds).is_ok_and(test))
    };
    let total = order.map_or(0, |o| o.total);
    let attempts = order.map_or(0, |o| i64::from(o.no_answer_attempts));
    let group = order
        .and_then(|o| config.statuses.path.get(&o.status))
        .map(|s| s.group.as_str());
    let tags = customer.map(|c| c.tags.as_slice()).unwrap_or_default();

    any(&when.status_from, change.and_then(|(from, _)| from))
        && any(&when.status_to, change.map(|(_, to)| to))
        && any(&when.status, order.map(|o| o.status.as_str()))
        && any(&when.status_group, group)
        && any(
            &when.payment_status,
            order.map(|o| o.payment_status.as_str()),
        )
        && any(
            &when.delivery_status,
            order.and_then(|o| o.delivery_status.as_deref()),
        )
        && any(&when.channel, order.map(|o| o.channel.as_str()))
        && when
            .channel_none
            .as_ref()
            .is_none_or(|c| on_order(&|o| !c.matches(&o.channel)))
        && any(&when.order_method, order.map(|o| o.order_method.as_str()))
        && any(&when.customer_type, order.map(|o| o.customer_type.as_str()))
        && any(
            &when.delivery_type,
            order.and_then(|o| o.delivery_type.as_deref()),
        )
        && (when.total_at_least.is_none()
            || order.is_some() && int(&when.total_at_least, &|v| total >= v))
        && (when.total_below.is_none() || order.is_some() && int(&when.total_below, &|v| total < v))
        && when
            .customer_tags_any
            .as_ref()
            .is_none_or(|c| tags.iter().any(|t| c.matches(t)))
        && when
            .customer_tags_none
            .as_ref()
            .is_none_or(|c| !tags.iter().any(|t| c.matches(t)))
        && any(&when.segment, customer.and_then(|c| c.segment.as_deref()))
        && when.item_categories_any.as_ref().is_none_or(|c| {
            on_order(&|o| {
                o.items
                    .iter()
                    .any(|i| i.category.as_deref().is_some_and(|k| c.matches(k)))
            })
        })
        && when
            .fields_changed_any
            .as_ref()
            .is_none_or(|c| match event {
                DomainEvent::OrderChanged { fields, .. } => fields.iter().any(|f| c.matches(f)),
                _ => false,
            })
        && when
            .field_equals
            .as_ref()
            .is_none_or(|map| on_order(&|o| map.iter().all(|(k, v)| same(&o.field(k), v))))
        && when
            .fields_set
            .as_ref()
            .is_none_or(|c| on_order(&|o| c.0.iter().all(|f| truthy(Some(&o.field(f))))))
        && when
            .fields_empty
            .as_ref()
            .is_none_or(|c| on_order(&|o| c.0.iter().all(|f| !truthy(Some(&o.field(f))))))
        && when.flag.as_ref().is_none_or(|c| match event {
            DomainEvent::OperatorFlag { flag, .. } => c.matches(flag),
            _ => false,
        })
        && when
            .flags_none
            .as_ref()
            .is_none_or(|c| on_order(&|o| !o.flags.iter().any(|f| c.matches(f))))
        && when.timer.as_ref().is_none_or(|c| match event {
            DomainEvent::TimerFired { name, .. } => c.matches(name),
            _ => false,
        })
        && when
            .in_working_hours
            .is_none_or(|want| is_open(facts.now, &shop.working_hours, &shop.time_zone) == want)
        && when
            .time_between
            .as_ref()
            .is_none_or(|range| match range.as_slice() {
                [a, b] => match (TimeOfDay::parse(a), TimeOfDay::parse(b)) {
                    (Ok(a), Ok(b)) => in_time_window(facts.now, a, b, &shop.time_zone),
                    _ => false,
                },
                _ => false,
            })
        && when
            .call_after_hours
            .is_none_or(|want| event.call().is_some_and(|c| c.after_hours == want))
        && when
            .call_direction
            .as_ref()
            .is_none_or(|want| event.call().is_some_and(|c| want.matches(&c.direction)))
        && when
            .chat_after_hours
            .is_none_or(|want| event.chat().is_some_and(|c| c.after_hours == want))
        && when
            .chat_first_of_night
            .is_none_or(|want| event.chat().is_some_and(|c| c.first_of_night == want))
        && when.has_order.is_none_or(|want| order.is_some() == want)
        && when.in_stock.is_none_or(|want| match event {
            DomainEvent::StockChanged { available, .. } => *available == want,
            _ => false,
        })
        && (when.no_answer_attempts_at_least.is_none()
            || order.is_some() && int(&when.no_answer_attempts_at_least, &|v| attempts >= v))
        && (when.no_answer_attempts_below.is_none()
            || order.is_some() && int(&when.no_answer_attempts_below, &|v| attempts < v))
        && when.customer_ordered_since_event.is_none_or(|want| {
            let since = event.customer_event().map(|e| e.at);
            let last = customer.and_then(|c| c.last_order_at);
            let ordered = matches!((since, last), (Some(since), Some(last)) if last >= since);
            ordered == want
        })
        && when.marketing_consent.as_ref().is_none_or(|channels| {
            customer.is_some_and(|c| {
                channels.matches("email") && c.marketing_email
                    || channels.matches("sms") && c.marketing_sms
            })
        })
        && when.event_data.as_ref().is_none_or(|map| {
            event.customer_event().is_some_and(|e| {
                map.iter()
                    .all(|(k, v)| e.data.get(k).is_some_and(|actual| same(actual, v)))
            })
        })
}

/// Equality that treats `5` and `5.0` alike and compares strings exactly.
fn same(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => actual == expected,
    }
}
