//! V1: the `assign_manager` action, as planned and as checked.

use super::tests::{facts, id, monday};
use super::*;
use crate::automation::config::{check, ConfigFiles};

const STATUSES: &str = include_str!("../../../../../config/statuses.toml");
const SHOP: &str = r#"
time_zone = "Europe/Moscow"
[working_hours]
mon = "09:00-18:00"
[roles.manager]
name = "Managers"
[roles.head-of-sales]
name = "Head of sales"
[[staff]]
id = "m.ivanova"
name = "Мария"
roles = ["manager"]
[[staff]]
id = "p.sidorov"
name = "Пётр"
roles = ["head-of-sales"]
[[assignment.rule]]
pick = "least_loaded"
group = "manager"
"#;

const ASSIGN: &str = r#"
[[trigger]]
id = "v1-assign-manager"
on = "order.created"
[[trigger.action]]
type = "assign_manager"
[trigger.action.unassigned]
title = "Назначить менеджера заказу №{{ order.id }}"
assignee = "role:head-of-sales"
due_in = "15m"
in_working_hours = true
"#;

/// A trigger after the assignment that gives the manager a task.
const CALL_TASK: &str = r#"
[[trigger]]
id = "call-the-customer"
on = "order.created"
[trigger.when]
fields_set = "manager"
[[trigger.action]]
type = "task"
title = "Позвонить клиенту"
assignee = "manager"
"#;

fn files(shop: &str, triggers: &str) -> ConfigFiles {
    let mut f = ConfigFiles::new("config");
    f.insert("shop.toml", shop);
    f.insert("statuses.toml", STATUSES);
    f.insert("triggers.toml", triggers);
    f
}

fn config(triggers: &str) -> Config {
    let checked = check(&files(SHOP, triggers));
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    checked.config.expect("config")
}

fn problems(shop: &str, triggers: &str) -> Vec<String> {
    check(&files(shop, triggers))
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn created() -> DomainEvent {
    DomainEvent::OrderCreated {
        order_id: id(),
        actor: None,
    }
}

fn new_order(now: i64) -> Facts {
    let mut facts = facts();
    facts.now = now;
    if let Some(order) = facts.order.as_mut() {
        order.status = "new".into();
        order.manager = None;
    }
    facts
}

#[test]
fn an_order_without_a_manager_plans_the_assignment_with_the_task_for_nobody() {
    let config = config(ASSIGN);
    // Monday 17:50 in a shop open on Mondays only: 10 of the task's 15 working minutes
    // today, the other 5 next Monday.
    let decisions = evaluate(&config, &created(), &new_order(monday(17, 50)));

    assert_eq!(
        decisions,
        [Decision::Run {
            trigger_id: "v1-assign-manager".into(),
            actions: vec![PlannedAction::AssignManager {
                unassigned: Some(PlannedTask {
                    title: "Назначить менеджера заказу №A-1".into(),
                    assignee: Assignee::Role("head-of-sales".into()),
                    due_at: monday(9, 5) + 7 * 86_400,
                }),
            }],
        }]
    );
}

#[test]
fn an_order_that_has_a_manager_is_not_assigned_again() {
    let config = config(ASSIGN);
    let mut facts = new_order(monday(10, 0));
    if let Some(order) = facts.order.as_mut() {
        order.manager = Some("p.sidorov".into());
    }

    let decisions = evaluate(&config, &created(), &facts);

    assert_eq!(
        decisions,
        [Decision::Run {
            trigger_id: "v1-assign-manager".into(),
            actions: vec![PlannedAction::Skipped {
                action: 0,
                reason: "the order already has a manager (p.sidorov)".into(),
            }],
        }]
    );
}

#[test]
fn the_triggers_after_the_assignment_are_evaluated_again_with_the_manager() {
    let config = config(&format!("{ASSIGN}{CALL_TASK}"));
    let before = new_order(monday(10, 0));
    let mut after = before.clone();
    if let Some(order) = after.order.as_mut() {
        order.manager = Some("m.ivanova".into());
    }

    let first = evaluate(&config, &created(), &before);
    let rest = evaluate_after(&config, "v1-assign-manager", &created(), &after);

    assert_eq!(
        first.len(),
        1,
        "without a manager the call task does not apply"
    );
    assert_eq!(
        rest,
        [Decision::Run {
            trigger_id: "call-the-customer".into(),
            actions: vec![PlannedAction::Task {
                title: "Позвонить клиенту".into(),
                assignee: Assignee::Staff("m.ivanova".into()),
                due_at: monday(10, 0),
            }],
        }]
    );
    assert!(
        evaluate_after(&config, "call-the-customer", &created(), &after).is_empty(),
        "nothing comes after the last trigger"
    );
}

#[test]
fn the_checker_names_what_assign_manager_needs() {
    let no_rules = SHOP.split("[[assignment.rule]]").next().expect("shop");
    let not_last = format!("{ASSIGN}[[trigger.action]]\ntype = \"reserve_items\"\n");
    let on_a_call = ASSIGN
        .replace("order.created", "call.missed")
        .replace("role:head-of-sales", "manager")
        .replace("due_in = \"15m\"", "due_in = \"soon\"");

    assert_eq!(
        problems(no_rules, ASSIGN),
        [
            r#"config/triggers.toml: trigger "v1-assign-manager": action[0]: no [[assignment.rule]] in shop.toml: nothing to assign by"#
        ]
    );
    assert_eq!(
        problems(SHOP, &not_last),
        [
            r#"config/triggers.toml: trigger "v1-assign-manager": action[0]: assign_manager must be the trigger's last action: the actions after it would not see the manager (put them in a trigger after this one)"#
        ]
    );
    assert_eq!(
        problems(SHOP, &on_a_call),
        [
            r#"config/triggers.toml: trigger "v1-assign-manager": action[0]: call.missed may have no order to assign"#,
            r#"config/triggers.toml: trigger "v1-assign-manager": action[0].unassigned.assignee: the order has no manager yet: name a role:<id> or staff:<id>"#,
            r#"config/triggers.toml: trigger "v1-assign-manager": action[0].unassigned.due_in: "soon" is not a duration (write e.g. "90s", "10m", "1h30m", "2d")"#,
        ]
    );
}

#[test]
fn the_checker_names_every_bad_assignment_setting() {
    let shop = format!(
        "{SHOP}{}",
        r#"
[[staff]]
id = "x"
name = "X"
roles = ["manager"]
capacity = 0
since = "2020-13-01"
[staff.working_hours]
mon = "18:00-09:00"
sun = "10:00-12:00"
funday = "10:00-12:00"

[[assignment.rule]]
name = "b2b"
when = { customer_type = "firm", channel = "Chat" }
pick = "most_experienced"
group = "b2b"
"#
    );

    assert_eq!(
        problems(&shop, ASSIGN),
        [
            "config/shop.toml: staff[2].capacity: must be 1 or more (leave it out for no limit)",
            "config/shop.toml: staff[2].since: \"2020-13-01\" is not a date YYYY-MM-DD",
            "config/shop.toml: staff[2].working_hours.funday: unknown day (mon, tue, wed, thu, fri, sat, sun)",
            "config/shop.toml: staff[2].working_hours.mon: \"18:00-09:00\" is not an opening interval (write \"09:00-18:00\"; the start must be before the end)",
            "config/shop.toml: assignment.rule[1].group: unknown role \"b2b\" (not in [roles])",
            "config/shop.toml: assignment.rule[1].when.channel: \"Chat\" is not a code (1–32 characters of a-z, 0-9, _ and -)",
            "config/shop.toml: assignment.rule[1].when.customer_type: unknown customer type \"firm\" (person or company)",
        ]
    );
    let unknown_pick = SHOP.replace("least_loaded", "randomly");
    let found = problems(&unknown_pick, ASSIGN);
    assert!(
        found
            .iter()
            .any(|p| p.contains("unknown variant `randomly`")),
        "{found:?}"
    );
}

#[test]
fn rules_no_trigger_uses_are_a_warning() {
    let checked = check(&files(SHOP, ""));

    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    assert_eq!(
        checked
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["config/shop.toml: assignment: no trigger has an assign_manager action, so the rules are not used"]
    );
}
