use serde_json::{json, Value};

use super::tests::{changed, config_with, facts, monday};
use super::*;
use crate::automation::config::{check, ConfigFiles};

fn planned(triggers: &str, facts: &Facts) -> Vec<PlannedAction> {
    let config = config_with(triggers);
    let decisions = evaluate(&config, &changed(), facts);
    let [Decision::Run { actions, .. }] = decisions.as_slice() else {
        panic!("{decisions:?}")
    };
    actions.clone()
}

fn payload(actions: &[PlannedAction]) -> Value {
    let [PlannedAction::HttpRequest(webhook)] = actions else {
        panic!("{actions:?}")
    };
    serde_json::from_str(&webhook.payload).expect("the payload is JSON")
}

const MIRROR: &str = r#"
[[trigger]]
id = "mirror"
on = "order.status_changed"
[[trigger.action]]
type = "http_request"
endpoint = "crm"
"#;

#[test]
fn the_default_payload_carries_the_event_the_order_and_the_trigger() {
    let actions = planned(MIRROR, &facts());
    let [PlannedAction::HttpRequest(webhook)] = actions.as_slice() else {
        panic!("{actions:?}")
    };
    assert_eq!(webhook.endpoint, "crm");
    assert_eq!(webhook.event_type, "order.status_changed");
    let body = payload(&actions);
    assert_eq!(body["type"], "order.status_changed");
    assert_eq!(body["timestamp"], "2026-11-23T09:00:00Z");
    assert_eq!(
        body["data"]["event"],
        json!({"type": "order.status_changed", "order_id": "A-1", "from": "new", "to": "confirmed"})
    );
    assert_eq!(body["data"]["trigger"], "mirror");
    let order = &body["data"]["order"];
    assert_eq!(order["id"], "A-1");
    assert_eq!(order["status"], "confirmed");
    assert_eq!(order["total"], 150_000);
    assert_eq!(order["currency"], "RUB");
    assert_eq!(order["items"][0]["sku"], "S");
    assert_eq!(order["fields"], json!({"gift": "yes"}));
    assert!(order["status_label"].is_string(), "{order}");
    assert!(order["customer"].is_object(), "{order}");
}

#[test]
fn data_strings_are_templates_and_a_lone_placeholder_keeps_its_json_type() {
    let actions = planned(
        r#"
[[trigger]]
id = "mirror"
on = "order.status_changed"
[[trigger.action]]
type = "http_request"
endpoint = "erp"
event = "shop.order_moved"
[trigger.action.data]
order = "{{ order.id }}"
total = "{{ order.total }}"
items = "{{order.items}}"
missing = "{{ order.nothing }}"
text = "Order {{ order.id }}: {{ event.from }} -> {{ event.to }}"
fixed = 7
[trigger.action.data.nested]
status = "{{ order.status }}"
"#,
        &facts(),
    );
    let body = payload(&actions);
    assert_eq!(body["type"], "shop.order_moved");
    assert_eq!(
        body["data"],
        json!({
            "order": "A-1",
            "total": 150_000,
            "items": [{"sku": "S", "name": "N", "qty": 1, "price": 1, "category": "tea", "sum": 1}],
            "missing": null,
            "text": "Order A-1: new -> confirmed",
            "fixed": 7,
            "nested": {"status": "confirmed"},
        })
    );
}

#[test]
fn a_payload_over_twenty_kilobytes_is_skipped_with_the_reason() {
    let mut big = facts();
    if let Some(o) = big.order.as_mut() {
        o.fields
            .insert("notes".into(), "x".repeat(MAX_PAYLOAD_BYTES).into());
    }
    let actions = planned(MIRROR, &big);
    assert!(
        matches!(&actions[..], [PlannedAction::Skipped { action: 0, reason }] if reason.contains("over the limit")),
        "{actions:?}"
    );
    assert!(matches!(
        &planned(MIRROR, &facts())[..],
        [PlannedAction::HttpRequest(_)]
    ));
}

#[test]
fn an_event_without_an_order_posts_nothing() {
    let mut none = facts();
    none.order = None;
    let actions = planned(MIRROR, &none);
    assert!(
        matches!(&actions[..], [PlannedAction::Skipped { .. }]),
        "{actions:?}"
    );
}

#[test]
fn raw_placeholders_are_only_single_bare_paths() {
    assert_eq!(raw_placeholder("{{ order.total }}"), Some("order.total"));
    assert_eq!(
        raw_placeholder(" {{order.items.0}} "),
        Some("order.items.0")
    );
    for text in [
        "{{ order.total | money }}",
        "x {{ order.id }}",
        "{{ a }}{{ b }}",
        "{{ }}",
    ] {
        assert_eq!(raw_placeholder(text), None, "{text}");
    }
}

#[test]
fn the_checker_names_unknown_endpoints_and_broken_data_templates() {
    let mut f = ConfigFiles::new("config");
    f.insert("shop.toml", "time_zone = \"Europe/Moscow\"\n");
    f.insert(
        "statuses.toml",
        include_str!("../../../../../config/statuses.toml"),
    );
    f.insert(
        "triggers.toml",
        r#"
[[trigger]]
id = "t"
on = "task.created"
[[trigger.action]]
type = "http_request"
endpoint = "warehouse"
event = "Bad Type"
[trigger.action.data]
title = "{% if event.title %}open"
"#,
    );
    let checked = check(&f);
    let problems: Vec<String> = checked.problems.iter().map(|p| p.to_string()).collect();
    let all = problems.join("\n");
    assert!(
        all.contains("unknown endpoint \"warehouse\" (known: crm, erp)"),
        "{all}"
    );
    assert!(all.contains("action[0].event"), "{all}");
    assert!(all.contains("action[0].data.title"), "{all}");
    assert_eq!(problems.len(), 3, "{all}");
}

#[test]
fn the_payload_timestamp_is_the_time_of_the_effect() {
    let mut later = facts();
    later.now = monday(15, 45);
    assert_eq!(
        payload(&planned(MIRROR, &later))["timestamp"],
        "2026-11-23T12:45:00Z"
    );
}
