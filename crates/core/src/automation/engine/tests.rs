use super::*;
use crate::automation::config::{check, ConfigFiles};
use crate::automation::event::{Call, DomainEvent};
use crate::automation::facts::{CustomerFacts, OrderFacts};
use crate::automation::time::{days_from_civil, DAY};
use crate::event::{Item, OrderId};

const STATUSES: &str = include_str!("../../../../../config/statuses.toml");
const SHOP: &str = r#"
time_zone = "Europe/Moscow"
[working_hours]
mon = "09:00-18:00"
tue = "09:00-18:00"
[thresholds]
big = 100000
tries = 3
"#;

pub(super) fn config_with(triggers: &str) -> Config {
    let mut f = ConfigFiles::new("config");
    f.insert("shop.toml", SHOP);
    f.insert("statuses.toml", STATUSES);
    f.insert("triggers.toml", triggers);
    let checked = check(&f);
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    checked.config.expect("config")
}

/// Monday 23 November 2026, Moscow time.
pub(super) fn monday(h: i64, m: i64) -> i64 {
    days_from_civil(2026, 11, 23) * DAY + (h - 3) * 3_600 + m * 60
}

pub(super) fn id() -> OrderId {
    OrderId::parse("A-1").expect("id")
}

pub(super) fn facts() -> Facts {
    let mut order = OrderFacts::new(id(), "confirmed");
    order.total = 150_000;
    order.payment_status = "paid".into();
    order.no_answer_attempts = 2;
    order.items = vec![Item {
        sku: "S".into(),
        name: "N".into(),
        qty: 1,
        price: 1,
        category: Some("tea".into()),
    }];
    order.fields.insert("gift".into(), "yes".into());
    order.track_number = Some("123".into());
    Facts {
        now: monday(12, 0),
        order: Some(order),
        customer: Some(CustomerFacts {
            tags: vec!["VIP".into()],
            ..Default::default()
        }),
    }
}

pub(super) fn changed() -> DomainEvent {
    DomainEvent::StatusChanged {
        order_id: id(),
        from: "new".into(),
        to: "confirmed".into(),
        reason: None,
        actor: None,
    }
}

fn holds(when: &str, event: &DomainEvent, facts: &Facts) -> bool {
    let config = config_with(&format!(
        "[[trigger]]\nid = \"t\"\non = \"{}\"\n[trigger.when]\n{when}\n[[trigger.action]]\ntype = \"reserve_items\"\n",
        event.name()
    ));
    !evaluate(&config, event, facts).is_empty()
}

#[test]
fn conditions_hold_or_fail_as_the_table_says() {
    let table: &[(&str, bool)] = &[
        ("status_to = \"confirmed\"", true),
        ("status_to = [\"cancelled\", \"confirmed\"]", true),
        ("status_to = \"cancelled\"", false),
        ("status_from = \"new\"", true),
        ("status = \"new\"", false),
        ("status_group = \"approval\"", true),
        ("payment_status = [\"paid\", \"partially-paid\"]", true),
        ("channel = \"marketplace\"", false),
        ("total_at_least = \"threshold:big\"", true),
        ("total_below = 150000", false),
        ("customer_tags_any = \"VIP\"", true),
        ("customer_tags_none = \"VIP\"", false),
        ("item_categories_any = [\"coffee\", \"tea\"]", true),
        ("field_equals = { gift = \"yes\", total = 150000 }", true),
        ("field_equals = { gift = \"no\" }", false),
        ("fields_set = \"track_number\"", true),
        ("fields_empty = \"payment_link\"", true),
        ("fields_set = \"payment_link\"", false),
        ("in_working_hours = true", true),
        ("time_between = [\"21:00\", \"09:00\"]", false),
        ("time_between = [\"11:00\", \"13:00\"]", true),
        ("no_answer_attempts_at_least = \"threshold:tries\"", false),
        ("no_answer_attempts_below = 3", true),
        ("has_order = true", true),
        (
            "status_to = \"confirmed\"\nchannel = \"site\"\nsegment = \"vip\"",
            false,
        ),
    ];
    for (when, expected) in table {
        assert_eq!(holds(when, &changed(), &facts()), *expected, "{when}");
    }
}

#[test]
fn working_hours_condition_follows_the_shop_clock() {
    let mut f = facts();
    f.now = monday(19, 0);
    assert!(holds("in_working_hours = false", &changed(), &f));
}

#[test]
fn order_conditions_fail_without_an_order() {
    let call = DomainEvent::CallMissed(Call {
        order_id: None,
        direction: "inbound".into(),
        phone: "+7".into(),
        after_hours: true,
    });
    let no_order = Facts {
        now: monday(12, 0),
        order: None,
        customer: None,
    };
    assert!(!holds("total_below = 1000000", &call, &no_order));
    assert!(!holds("has_order = true", &call, &no_order));
    assert!(holds(
        "call_after_hours = true\nhas_order = false",
        &call,
        &no_order
    ));
}

#[test]
fn changed_fields_and_flags_match_their_events() {
    let event = DomainEvent::OrderChanged {
        order_id: id(),
        fields: vec!["items".into(), "total".into()],
        actor: None,
        added_items: Vec::new(),
    };
    assert!(holds("fields_changed_any = [\"total\"]", &event, &facts()));
    assert!(!holds("fields_changed_any = \"comment\"", &event, &facts()));
    let flag = DomainEvent::OperatorFlag {
        order_id: id(),
        flag: "wrong-phone".into(),
        supplier: None,
        note: None,
    };
    assert!(holds("flag = \"wrong-phone\"", &flag, &facts()));
    assert!(!holds("flag = \"review-received\"", &flag, &facts()));
}

const DELAYED: &str = r#"
[[trigger]]
id = "late"
on = "order.status_changed"
delay = "1h"
delay_in_working_hours = true
[trigger.when]
status_to = "confirmed"
status = "confirmed"
[[trigger.action]]
type = "set_status"
status = "invoice-sent"
"#;

#[test]
fn delayed_trigger_is_a_timer_counted_in_working_hours() {
    let config = config_with(DELAYED);
    let mut f = facts();
    f.now = monday(17, 30);
    let decisions = evaluate(&config, &changed(), &f);
    let tuesday_half_past_nine = monday(9, 30) + DAY;
    assert_eq!(
        decisions,
        [Decision::Delay {
            trigger_id: "late".into(),
            fire_at: tuesday_half_past_nine
        }]
    );
}

#[test]
fn delayed_trigger_rechecks_fresh_facts_when_it_fires() {
    let config = config_with(DELAYED);
    let decision =
        evaluate_delayed(&config, "late", &changed(), &facts()).expect("still confirmed");
    let Decision::Run { actions, .. } = decision else {
        panic!("{decision:?}")
    };
    assert_eq!(
        actions,
        [PlannedAction::SetStatus {
            from: "confirmed".into(),
            to: "invoice-sent".into()
        }]
    );
    let mut moved_on = facts();
    if let Some(o) = moved_on.order.as_mut() {
        o.status = "cancelled".into();
    }
    assert_eq!(
        evaluate_delayed(&config, "late", &changed(), &moved_on),
        None
    );
    assert_eq!(
        evaluate_delayed(&config, "removed", &changed(), &facts()),
        None
    );
}

#[test]
fn forbidden_status_change_is_skipped_not_planned() {
    let config = config_with(
        "[[trigger]]\nid = \"t\"\non = \"order.created\"\n[[trigger.action]]\ntype = \"set_status\"\nstatus = \"completed\"\n",
    );
    let mut f = facts();
    if let Some(o) = f.order.as_mut() {
        o.status = "new".into();
    }
    let decisions = evaluate(
        &config,
        &DomainEvent::OrderCreated {
            order_id: id(),
            actor: None,
        },
        &f,
    );
    let [Decision::Run { actions, .. }] = decisions.as_slice() else {
        panic!("{decisions:?}")
    };
    assert!(
        matches!(&actions[..], [PlannedAction::Skipped { action: 0, reason }] if reason.contains("not allowed"))
    );
}

#[test]
fn switched_off_triggers_do_not_run() {
    let config = config_with(
        "[[trigger]]\nid = \"t\"\nenabled = false\non = \"order.created\"\n[[trigger.action]]\ntype = \"reserve_items\"\n",
    );
    assert!(evaluate(
        &config,
        &DomainEvent::OrderCreated {
            order_id: id(),
            actor: None,
        },
        &facts()
    )
    .is_empty());
}

#[test]
fn decisions_serialise_with_dotted_event_names_and_tags() {
    let event: DomainEvent = serde_json::from_str(
        r#"{"type":"payment.succeeded","order_id":"A-1","amount":100,"currency":"RUB"}"#,
    )
    .expect("event parses");
    assert_eq!(event.name(), "payment.succeeded");
    let json = serde_json::to_value(Decision::Delay {
        trigger_id: "t".into(),
        fire_at: 5,
    })
    .expect("json");
    assert_eq!(
        json,
        serde_json::json!({"decision": "delay", "trigger_id": "t", "fire_at": 5})
    );
}
