//! S2–S6: the shipped bonus triggers and rules of `config/` — who earns what for which event.

use orderpath_core::automation::config::check;
use orderpath_core::automation::engine::{Decision, PlannedAction, PlannedBonus};
use orderpath_core::automation::event::DomainEvent;
use orderpath_core::bonus::Calculation;
use orderpath_core::event::{Actor, ActorKind, Item};

use crate::support::*;

fn staff(id: &str) -> Option<Actor> {
    Some(Actor {
        kind: ActorKind::Staff,
        id: id.into(),
        name: None,
    })
}

fn item(sku: &str, qty: u32, price: i64, category: &str) -> Item {
    Item {
        sku: sku.into(),
        name: sku.into(),
        qty,
        price,
        category: Some(category.into()),
    }
}

fn bonuses(decisions: &[Decision]) -> Vec<(&str, &PlannedBonus)> {
    decisions
        .iter()
        .flat_map(|d| match d {
            Decision::Run {
                trigger_id,
                actions,
            } => actions
                .iter()
                .filter_map(|a| match a {
                    PlannedAction::Bonus(b) => Some((trigger_id.as_str(), b)),
                    _ => None,
                })
                .collect::<Vec<_>>(),
            Decision::Delay { .. } => Vec::new(),
        })
        .collect()
}

fn skipped<'a>(decisions: &'a [Decision], trigger: &str) -> Vec<&'a str> {
    actions(decisions, trigger)
        .iter()
        .filter_map(|a| match a {
            PlannedAction::Skipped { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
        .collect()
}

/// (category, base, rate, amount) of each line.
fn lines(bonus: &PlannedBonus) -> Vec<(Option<&str>, i64, i64, i64)> {
    bonus
        .lines
        .iter()
        .map(|l| (l.category.as_deref(), l.base, l.rate, l.amount))
        .collect()
}

fn items_changed(actor: Option<Actor>, added: Vec<Item>) -> DomainEvent {
    DomainEvent::OrderChanged {
        order_id: id(),
        fields: vec!["items".into(), "total".into()],
        actor,
        added_items: added,
    }
}

#[test]
fn s2_added_items_earn_the_operator_a_percentage_by_category() {
    let added = vec![
        item("TEA-002", 1, 320_000, "tea"),
        item("CUP-010", 2, 120_000, "dishes"),
        item("ACC-040", 1, 35_000, "accessories"),
    ];
    let event = items_changed(staff("m.ivanova"), added);

    let decisions = run(&event, &facts(order("confirmed"), monday_noon()));

    let planned = bonuses(&decisions);
    assert_eq!(planned.len(), 1, "{planned:?}");
    let (trigger, bonus) = planned[0];
    assert_eq!(trigger, "s2-upsell-bonus");
    assert_eq!(
        (
            bonus.rule.as_str(),
            bonus.staff.as_str(),
            bonus.currency.as_str()
        ),
        ("upsell", "m.ivanova", "RUB")
    );
    assert_eq!(bonus.period, "2026-11");
    assert!(bonus.per_change, "each change of items pays");
    assert_eq!(
        lines(bonus),
        vec![
            (Some("accessories"), 35_000, 200, 700),
            (Some("dishes"), 240_000, 300, 7_200),
            (Some("tea"), 320_000, 500, 16_000),
        ]
    );
    assert!(bonus
        .lines
        .iter()
        .all(|l| l.calculation == Calculation::Percent));
}

#[test]
fn s2_items_the_site_added_earn_nobody_and_leave_no_note() {
    let event = items_changed(None, vec![item("TEA-002", 1, 320_000, "tea")]);

    let decisions = run(&event, &facts(order("confirmed"), monday_noon()));

    assert!(bonuses(&decisions).is_empty());
    assert!(skipped(&decisions, "s2-upsell-bonus").is_empty());
}

#[test]
fn s2_a_customer_or_integration_actor_earns_nothing() {
    for kind in [
        ActorKind::Customer,
        ActorKind::Integration,
        ActorKind::System,
    ] {
        let actor = Some(Actor {
            kind,
            id: "m.ivanova".into(),
            name: None,
        });
        let event = items_changed(actor, vec![item("TEA-002", 1, 320_000, "tea")]);

        let decisions = run(&event, &facts(order("confirmed"), monday_noon()));

        assert!(bonuses(&decisions).is_empty(), "{kind:?}");
    }
}

#[test]
fn s2_a_staff_actor_unknown_to_the_shop_is_noted_not_paid() {
    let event = items_changed(
        staff("x.stranger"),
        vec![item("TEA-002", 1, 320_000, "tea")],
    );

    let decisions = run(&event, &facts(order("confirmed"), monday_noon()));

    assert!(bonuses(&decisions).is_empty());
    let reasons = skipped(&decisions, "s2-upsell-bonus");
    assert_eq!(reasons.len(), 1);
    assert!(
        reasons[0].contains("\"x.stranger\" not in [[staff]]"),
        "{reasons:?}"
    );
}

#[test]
fn s2_items_added_once_the_order_left_or_was_cancelled_earn_nothing() {
    for status in ["handed-to-carrier", "completed", "cancelled"] {
        let event = items_changed(staff("m.ivanova"), vec![item("TEA-002", 1, 320_000, "tea")]);

        let decisions = run(&event, &facts(order(status), monday_noon()));

        assert!(!ids(&decisions).contains(&"s2-upsell-bonus"), "{status}");
    }
}

#[test]
fn s2_removing_items_pays_nothing() {
    let event = items_changed(staff("m.ivanova"), Vec::new());

    let decisions = run(&event, &facts(order("confirmed"), monday_noon()));

    assert!(bonuses(&decisions).is_empty());
}

#[test]
fn s2_an_order_in_another_currency_is_noted_not_paid() {
    let mut usd = order("confirmed");
    usd.currency = "USD".into();
    let event = items_changed(staff("m.ivanova"), vec![item("TEA-002", 1, 320_000, "tea")]);

    let decisions = run(&event, &facts(usd, monday_noon()));

    assert!(bonuses(&decisions).is_empty());
    assert_eq!(
        skipped(&decisions, "s2-upsell-bonus"),
        vec!["the order is in USD, bonuses are paid in RUB: no percentage of it"]
    );
}

fn created(actor: Option<Actor>) -> DomainEvent {
    DomainEvent::OrderCreated {
        order_id: id(),
        actor,
    }
}

#[test]
fn s3_a_phone_order_earns_its_operator_more_than_a_site_order() {
    // The order: 2 × 450 ₽ tea and a 1 500 ₽ cup, 2 400 ₽ of items.
    let site = order("new");
    let mut phone = order("new");
    phone.channel = "phone".into();
    phone.order_method = "phone".into();

    let on_site = run(&created(None), &facts(site, monday_noon()));
    let by_phone = run(&created(None), &facts(phone, monday_noon()));

    let total = |decisions: &[Decision]| -> i64 {
        bonuses(decisions)
            .iter()
            .filter(|(trigger, _)| *trigger != "s3-phone-method-bonus")
            .flat_map(|(_, b)| &b.lines)
            .map(|l| l.amount)
            .sum()
    };
    assert_eq!(total(&on_site), 2_400, "1 % of 240 000");
    assert_eq!(total(&by_phone), 6_000, "1 % + 1.5 % of 240 000");
    let phone_bonuses = bonuses(&by_phone);
    assert_eq!(
        phone_bonuses
            .iter()
            .map(|(t, b)| (*t, b.rule.as_str(), b.staff.as_str(), b.per_change))
            .collect::<Vec<_>>(),
        vec![
            ("s3-order-bonus", "order-taken", "m.ivanova", false),
            ("s3-phone-order-bonus", "phone-order", "m.ivanova", false),
            // The same rule again: the ledger keeps one line per rule, person and order.
            ("s3-phone-method-bonus", "phone-order", "m.ivanova", false),
        ]
    );
}

#[test]
fn s3_the_operator_who_created_the_order_earns_it_before_its_manager() {
    let mut chat = order("new");
    chat.channel = "chat".into();

    let decisions = run(&created(staff("p.sidorov")), &facts(chat, monday_noon()));

    let planned = bonuses(&decisions);
    assert_eq!(planned.len(), 2);
    assert!(planned.iter().all(|(_, b)| b.staff == "p.sidorov"));
}

#[test]
fn s3_an_order_nobody_took_earns_nothing() {
    let mut unmanaged = order("new");
    unmanaged.manager = None;
    unmanaged.channel = "phone".into();

    let decisions = run(&created(None), &facts(unmanaged, monday_noon()));

    assert!(bonuses(&decisions).is_empty());
    assert!(skipped(&decisions, "s3-order-bonus").is_empty());
}

#[test]
fn s3_a_lead_without_items_earns_nothing() {
    let mut lead = order("new");
    lead.channel = "phone".into();
    lead.items.clear();

    let decisions = run(&created(None), &facts(lead, monday_noon()));

    assert!(bonuses(&decisions).is_empty());
}

fn moved(from: &str, to: &str, actor: Option<Actor>) -> DomainEvent {
    DomainEvent::StatusChanged {
        order_id: id(),
        from: from.into(),
        to: to.into(),
        reason: None,
        actor,
    }
}

#[test]
fn s4_the_picker_earns_per_unit_assembled() {
    let event = moved("prepare-for-delivery", "assembled", staff("warehouse"));

    let decisions = run(&event, &facts(order("assembled"), monday_noon()));

    let planned = bonuses(&decisions);
    assert_eq!(planned.len(), 1);
    let (trigger, bonus) = planned[0];
    assert_eq!(
        (trigger, bonus.staff.as_str()),
        ("s4-picker-bonus", "warehouse")
    );
    assert!(!bonus.per_change, "once per order");
    assert_eq!(
        lines(bonus),
        vec![
            (Some("dishes"), 1, 1_000, 1_000),
            (Some("tea"), 2, 1_000, 2_000)
        ]
    );
}

#[test]
fn s5_a_hand_over_earns_a_fixed_bonus_and_a_carrier_scan_earns_nobody() {
    let by_hand = moved("assembled", "handed-to-carrier", staff("warehouse"));
    let by_carrier = moved("assembled", "handed-to-carrier", None);

    let handed = run(&by_hand, &facts(order("handed-to-carrier"), monday_noon()));
    let scanned = run(
        &by_carrier,
        &facts(order("handed-to-carrier"), monday_noon()),
    );

    let planned = bonuses(&handed);
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].0, "s5-handover-bonus");
    assert_eq!(lines(planned[0].1), vec![(None, 1, 3_000, 3_000)]);
    assert_eq!(planned[0].1.lines[0].calculation, Calculation::Fixed);
    assert!(bonuses(&scanned).is_empty());
}

#[test]
fn s5_handing_a_self_pickup_order_to_the_customer_earns_the_same() {
    let mut pickup = order("completed");
    pickup.delivery_type = Some("self-pickup".into());
    let mut courier = order("completed");
    courier.delivery_type = Some("courier".into());
    let event = moved("delivery-problem", "completed", staff("warehouse"));

    let picked_up = run(&event, &facts(pickup, monday_noon()));
    let delivered = run(&event, &facts(courier, monday_noon()));

    assert_eq!(bonuses(&picked_up).len(), 1);
    assert_eq!(bonuses(&picked_up)[0].0, "s5-pickup-handover-bonus");
    assert!(bonuses(&delivered).is_empty());
}

#[test]
fn s6_cancelled_returned_and_not_bought_out_orders_reverse_their_bonuses() {
    // 1 December 00:30 in Moscow: the reversal belongs to December.
    let after_midnight = msk(2026, 12, 1, 0, 30);
    for (from, to) in [
        ("confirmed", "cancelled"),
        ("completed", "returned"),
        ("at-pickup-point", "not-bought-out"),
    ] {
        let decisions = run(&moved(from, to, None), &facts(order(to), after_midnight));

        assert_eq!(
            actions(&decisions, "s6-reverse-bonuses"),
            &[PlannedAction::ReverseBonuses {
                rules: Vec::new(),
                period: "2026-12".into(),
            }],
            "{to}"
        );
    }
    let completed = run(
        &moved("handed-to-carrier", "completed", None),
        &facts(order("completed"), monday_noon()),
    );
    assert!(!ids(&completed).contains(&"s6-reverse-bonuses"));
}

fn problems(shop_extra: &str, triggers: &str) -> Vec<String> {
    let mut files = shipped_files();
    let shop = files.get("shop.toml").expect("shop").to_owned() + shop_extra;
    files.insert("shop.toml", shop);
    files.insert("triggers.toml", triggers);
    check(&files)
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn bonus_actions_are_checked_against_the_rules_and_the_event() {
    let triggers = r#"
[[trigger]]
id = "s2-bad"
on = "order.created"
[[trigger.action]]
type = "bonus"
rule = "upsell"
to = "actor"
[[trigger.action]]
type = "bonus"
rule = "no-such-rule"
to = ["role:manager", "staff:nobody"]
[[trigger.action]]
type = "bonus"
rule = "handover"
to = []
[[trigger.action]]
type = "reverse_bonuses"
rules = ["handover", "missing"]

[[trigger]]
id = "s5-paid"
on = "payment.succeeded"
[[trigger.action]]
type = "bonus"
rule = "handover"
to = ["actor", "field:picker"]
"#;

    let found = problems("", triggers);

    let expected = [
        "trigger \"s2-bad\": action[0].rule: rule \"upsell\" counts added_items, which only order.changed has, not order.created",
        "trigger \"s2-bad\": action[1].rule: unknown bonus rule \"no-such-rule\"",
        "trigger \"s2-bad\": action[1].to: unknown earner \"role:manager\"",
        "trigger \"s2-bad\": action[1].to: unknown staff member \"nobody\"",
        "trigger \"s2-bad\": action[2].to: name who earns it",
        "trigger \"s2-bad\": action[3].rules: unknown bonus rule \"missing\"",
        "trigger \"s5-paid\": action[0].to: payment.succeeded carries no actor",
    ];
    for needle in expected {
        assert!(
            found.iter().any(|p| p.contains(needle)),
            "{needle}\nnot in {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
}

#[test]
fn the_field_earner_pays_the_staff_member_an_order_field_names() {
    let triggers = r#"
[[trigger]]
id = "s4-by-field"
on = "order.status_changed"
[[trigger.action]]
type = "bonus"
rule = "picking"
to = "field:picker"
"#;
    let mut files = shipped_files();
    files.insert("triggers.toml", triggers);
    let config = check(&files).config.expect("config");
    let mut named = order("assembled");
    named.fields.insert("picker".into(), "warehouse".into());

    let decisions = orderpath_core::automation::engine::evaluate(
        &config,
        &moved("prepare-for-delivery", "assembled", None),
        &facts(named, monday_noon()),
    );

    assert_eq!(bonuses(&decisions)[0].1.staff, "warehouse");
}
