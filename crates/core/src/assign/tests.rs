use super::*;
use crate::automation::config::{check, Config, ConfigFiles};
use crate::automation::time::{days_from_civil, DAY};
use crate::event::OrderId;

const STATUSES: &str = include_str!("../../../../config/statuses.toml");

/// A team: chats, phone sales, companies, and three managers (one on a late shift).
const SHOP: &str = r#"
time_zone = "Europe/Moscow"
[working_hours]
mon = "09:00-18:00"
tue = "09:00-18:00"
[roles.chat]
name = "Chats"
[roles.phone-sales]
name = "Phone"
[roles.b2b]
name = "Companies"
[roles.manager]
name = "Managers"

[[staff]]
id = "chat1"
name = "Chat"
roles = ["chat"]
capacity = 2

[[staff]]
id = "phone1"
name = "Phone"
roles = ["phone-sales"]

[[staff]]
id = "b2b1"
name = "B2B"
roles = ["b2b"]

[[staff]]
id = "senior"
name = "Senior"
roles = ["manager"]
capacity = 3
since = "2015-01-01"

[[staff]]
id = "junior"
name = "Junior"
roles = ["manager"]
capacity = 3
since = "2022-06-01"

[[staff]]
id = "late"
name = "Late shift"
roles = ["manager"]
[staff.working_hours]
mon = "14:00-22:00"

[[assignment.rule]]
name = "chats"
when = { channel = "chat" }
pick = "least_loaded"
group = "chat"

[[assignment.rule]]
when = { order_method = "phone" }
pick = "least_loaded"
group = "phone-sales"

[[assignment.rule]]
when = { customer_type = "company" }
pick = "least_loaded"
group = "b2b"

[[assignment.rule]]
pick = "previous_manager"
group = "manager"

[[assignment.rule]]
when = { vip = true }
pick = "most_experienced"
group = "manager"

[[assignment.rule]]
pick = "least_loaded"
group = "manager"
"#;

fn config(shop: &str) -> Config {
    let mut f = ConfigFiles::new("config");
    f.insert("shop.toml", shop);
    f.insert("statuses.toml", STATUSES);
    f.insert("triggers.toml", "");
    let checked = check(&f);
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    checked.config.expect("config")
}

/// Monday 23 November 2026, Moscow time.
fn monday(h: i64, m: i64) -> i64 {
    days_from_civil(2026, 11, 23) * DAY + (h - 3) * 3_600 + m * 60
}

/// An order and what is known around it.
struct Case {
    channel: &'static str,
    method: &'static str,
    customer_type: &'static str,
    tags: Vec<&'static str>,
    previous: Option<&'static str>,
    /// `(staff, open orders, last assigned at)`.
    loads: Vec<(&'static str, u32, Option<i64>)>,
    presence: Vec<(&'static str, PresenceStatus, Option<i64>)>,
    now: i64,
}

impl Default for Case {
    fn default() -> Case {
        Case {
            channel: "site",
            method: "cart",
            customer_type: "person",
            tags: Vec::new(),
            previous: None,
            loads: Vec::new(),
            presence: Vec::new(),
            now: monday(10, 0),
        }
    }
}

fn run(config: &Config, case: &Case) -> Choice {
    let mut order = OrderFacts::new(OrderId::parse("A-1").expect("id"), "new");
    order.channel = case.channel.into();
    order.order_method = case.method.into();
    order.customer_type = case.customer_type.into();
    let customer = CustomerFacts {
        tags: case.tags.iter().map(|t| (*t).to_owned()).collect(),
        ..CustomerFacts::default()
    };
    let mut states: BTreeMap<String, StaffState> = BTreeMap::new();
    for &(id, open, last) in &case.loads {
        let state = states.entry(id.to_owned()).or_default();
        state.open_orders = open;
        state.last_assigned_at = last;
    }
    for &(id, status, until) in &case.presence {
        states.entry(id.to_owned()).or_default().presence = Some(Presence { status, until });
    }
    choose(
        &config.shop,
        &Request {
            order: &order,
            customer: Some(&customer),
            previous_manager: case.previous,
            states: &states,
            now: case.now,
        },
    )
}

fn chosen(choice: &Choice) -> (&str, usize) {
    match choice {
        Choice::Chosen { staff, rule, .. } => (staff, *rule),
        Choice::Nobody { reason } => panic!("nobody: {reason}"),
    }
}

#[test]
fn each_rule_chooses_as_the_table_says() {
    use PresenceStatus::{Away, Online};
    let config = config(SHOP);
    let table: Vec<(&str, Case, (&str, usize))> = vec![
        (
            "a chat goes to the chat group",
            Case {
                channel: "chat",
                ..Case::default()
            },
            ("chat1", 0),
        ),
        (
            "a chat whose group is full goes on to the managers",
            Case {
                channel: "chat",
                loads: vec![("chat1", 2, None), ("senior", 1, None)],
                ..Case::default()
            },
            ("junior", 5),
        ),
        (
            "a phone order goes to phone sales",
            Case {
                method: "phone",
                ..Case::default()
            },
            ("phone1", 1),
        ),
        (
            "a company goes to b2b",
            Case {
                customer_type: "company",
                ..Case::default()
            },
            ("b2b1", 2),
        ),
        (
            "a returning customer gets their previous manager, however loaded",
            Case {
                previous: Some("junior"),
                loads: vec![("junior", 2, None)],
                ..Case::default()
            },
            ("junior", 3),
        ),
        (
            "a previous manager who is away passes the order on",
            Case {
                previous: Some("senior"),
                presence: vec![("senior", Away, None)],
                loads: vec![("junior", 2, None)],
                ..Case::default()
            },
            ("junior", 5),
        ),
        (
            "a previous manager outside the group passes the order on",
            Case {
                previous: Some("chat1"),
                loads: vec![("senior", 1, None)],
                ..Case::default()
            },
            ("junior", 5),
        ),
        (
            "a VIP goes to the most experienced, even with more orders",
            Case {
                tags: vec!["vip"],
                loads: vec![("senior", 2, None)],
                ..Case::default()
            },
            ("senior", 4),
        ),
        (
            "a VIP goes to the next most experienced when the first is full",
            Case {
                tags: vec!["VIP"],
                loads: vec![("senior", 3, None), ("junior", 2, None)],
                ..Case::default()
            },
            ("junior", 4),
        ),
        (
            "otherwise the least loaded on shift (late is not on shift at 10:00)",
            Case {
                loads: vec![("senior", 2, None), ("junior", 1, None)],
                ..Case::default()
            },
            ("junior", 5),
        ),
        (
            "equal loads go to whoever got an order least recently",
            Case {
                loads: vec![
                    ("senior", 1, Some(monday(9, 30))),
                    ("junior", 1, Some(monday(9, 40))),
                ],
                now: monday(11, 0),
                presence: vec![("late", PresenceStatus::Offline, None)],
                ..Case::default()
            },
            ("senior", 5),
        ),
        (
            "in the evening only the late shift's own hours are open",
            Case {
                now: monday(20, 0),
                loads: vec![("late", 7, None)],
                ..Case::default()
            },
            ("late", 5),
        ),
        (
            "online on a Sunday beats the working hours",
            Case {
                now: monday(12, 0) - DAY,
                presence: vec![("junior", Online, None)],
                loads: vec![("junior", 2, None)],
                ..Case::default()
            },
            ("junior", 5),
        ),
        (
            "an away that ran out leaves the hours to decide",
            Case {
                presence: vec![("junior", Away, Some(monday(9, 59)))],
                loads: vec![("senior", 1, None)],
                ..Case::default()
            },
            ("junior", 5),
        ),
    ];
    for (name, case, expected) in table {
        let choice = run(&config, &case);
        assert_eq!(chosen(&choice), expected, "{name}: {choice:?}");
    }
}

#[test]
fn the_history_reason_names_the_rule_and_why() {
    let config = config(SHOP);
    let vip = run(
        &config,
        &Case {
            tags: vec!["VIP"],
            loads: vec![("senior", 1, None)],
            ..Case::default()
        },
    );
    let chat = run(
        &config,
        &Case {
            channel: "chat",
            ..Case::default()
        },
    );

    assert_eq!(
        vip,
        Choice::Chosen {
            staff: "senior".into(),
            rule: 4,
            reason: "rule 5 (most_experienced of role manager): senior is the most experienced \
                     available (since 2015-01-01; 1 open order of 3)"
                .into(),
        }
    );
    assert_eq!(
        chosen(&chat),
        ("chat1", 0),
        "named rules are quoted: {chat:?}"
    );
    assert!(
        matches!(&chat, Choice::Chosen { reason, .. }
            if reason == "rule 1 \"chats\" (least_loaded of role chat): chat1 has the fewest open orders (0 open orders of 2)"),
        "{chat:?}"
    );
}

#[test]
fn nobody_on_shift_within_capacity_is_nobody_with_every_reason() {
    let config = config(SHOP);
    let choice = run(
        &config,
        &Case {
            previous: Some("senior"),
            loads: vec![("senior", 3, None)],
            presence: vec![("junior", PresenceStatus::Away, Some(monday(11, 0)))],
            ..Case::default()
        },
    );

    assert_eq!(
        choice,
        Choice::Nobody {
            reason: "nobody can take the order: \
                     rule 4 (previous_manager of role manager): senior is at capacity (3 open orders of 3); \
                     rule 6 (least_loaded of role manager): senior is at capacity (3 open orders of 3), \
                     junior is away, late is off shift"
                .into()
        }
    );
}

#[test]
fn an_order_no_rule_applies_to_is_nobody() {
    let shop = SHOP
        .split("[[assignment.rule]]")
        .take(2)
        .collect::<Vec<_>>()
        .join("[[assignment.rule]]");
    let config = config(&shop);

    let choice = run(&config, &Case::default());

    assert_eq!(
        choice,
        Choice::Nobody {
            reason: "no assignment rule applies to the order".into()
        }
    );
}

#[test]
fn vip_is_the_tag_in_any_case_or_the_segment() {
    let with = |tags: &[&str], segment: Option<&str>| CustomerFacts {
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        segment: segment.map(str::to_owned),
        ..CustomerFacts::default()
    };

    assert!(is_vip(Some(&with(&["VIP"], None))));
    assert!(is_vip(Some(&with(&["Vip", "BAD"], None))));
    assert!(is_vip(Some(&with(&[], Some("vip")))));
    assert!(!is_vip(Some(&with(&["VIPER"], Some("regular")))));
    assert!(!is_vip(None));
}

#[test]
fn availability_is_the_set_status_until_it_runs_out_then_the_hours() {
    let config = config(SHOP);
    let shop = &config.shop;
    let late = shop.staff_member("late").expect("late");
    let junior = shop.staff_member("junior").expect("junior");
    let away_till_noon = Some(Presence {
        status: PresenceStatus::Away,
        until: Some(monday(12, 0)),
    });

    assert_eq!(
        availability(shop, junior, away_till_noon, monday(11, 59)),
        Availability::Set {
            status: PresenceStatus::Away,
            until: Some(monday(12, 0))
        }
    );
    assert_eq!(
        availability(shop, junior, away_till_noon, monday(12, 0)),
        Availability::Hours { on_shift: true }
    );
    assert!(!availability(shop, late, None, monday(13, 59)).available());
    assert!(availability(shop, late, None, monday(14, 0)).available());
    assert!(!availability(shop, junior, None, monday(18, 0)).available());
}

#[test]
fn candidates_are_the_members_of_the_rules_groups() {
    let config = config(SHOP);

    assert_eq!(
        candidates(&config.shop),
        ["chat1", "phone1", "b2b1", "senior", "junior", "late"]
    );
}
