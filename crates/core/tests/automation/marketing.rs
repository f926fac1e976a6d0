//! The shipped marketing triggers (M1–M9, V5) and the engine's rules for them: consent,
//! the unsubscribe link, events about customers, quiet hours for every SMS.

use orderpath_core::automation::config::{check, ConfigFiles};
use orderpath_core::automation::engine::{evaluate, Decision, PlannedAction};
use orderpath_core::automation::event::{CustomerEvent, DomainEvent};
use orderpath_core::automation::facts::{CustomerFacts, Facts};
use serde_json::json;

use crate::support::*;

fn customer_event(
    kind: fn(CustomerEvent) -> DomainEvent,
    at: i64,
    data: serde_json::Value,
) -> DomainEvent {
    kind(CustomerEvent {
        customer_id: 7,
        at,
        data: data.as_object().cloned().unwrap_or_default(),
    })
}

fn anna(consent: bool) -> CustomerFacts {
    CustomerFacts {
        id: Some(7),
        name: Some("Анна".into()),
        email: Some("anna@example.com".into()),
        phone: Some("+79123456789".into()),
        marketing_email: consent,
        marketing_sms: consent,
        unsubscribe_url: consent.then(|| "https://orders.example/unsubscribe/7.x".into()),
        ..CustomerFacts::default()
    }
}

fn about(customer: CustomerFacts, now: i64) -> Facts {
    Facts {
        now,
        order: None,
        customer: Some(customer),
    }
}

fn skipped(decisions: &[Decision]) -> Vec<String> {
    all_actions(decisions)
        .filter_map(|a| match a {
            PlannedAction::Skipped { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_cart_reminder_is_delayed_and_then_needs_consent_and_no_order_since() {
    let config = shipped();
    let at = monday_noon();
    let cart = customer_event(
        DomainEvent::CartUpdated,
        at,
        json!({ "items": [], "total": 1 }),
    );
    // On the event: both stages are delayed.
    let now = run(&cart, &about(anna(true), at));
    assert_eq!(
        ids(&now),
        ["m4-abandoned-cart-reminder", "m4-abandoned-cart-discount"]
    );
    assert!(now.iter().all(|d| matches!(d, Decision::Delay { .. })));
    // When due: with consent and no order since, an email and an SMS.
    let later = at + 3 * 3_600;
    let due = orderpath_core::automation::engine::evaluate_delayed(
        &config,
        "m4-abandoned-cart-reminder",
        &cart,
        &about(anna(true), later),
    );
    let Some(Decision::Run { actions, .. }) = due else {
        panic!("{due:?}")
    };
    let kinds: Vec<_> = actions
        .iter()
        .map(|a| match a {
            PlannedAction::Message(m) => (m.template.as_str(), m.marketing),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [("abandoned-cart", true), ("abandoned-cart-sms", true)]
    );
    // An order placed since, or no consent: nothing.
    let mut ordered = anna(true);
    ordered.last_order_at = Some(at + 60);
    for customer in [ordered, anna(false)] {
        let due = orderpath_core::automation::engine::evaluate_delayed(
            &config,
            "m4-abandoned-cart-reminder",
            &cart,
            &about(customer, later),
        );
        assert!(due.is_none(), "{due:?}");
    }
}

#[test]
fn a_marketing_message_without_consent_or_link_is_skipped_with_the_reason() {
    // m7's guide has no consent condition: the message itself refuses.
    let config = shipped();
    let guide = customer_event(
        DomainEvent::BrowsedCategory,
        0,
        json!({ "category": "puer" }),
    );
    let due = |customer| {
        orderpath_core::automation::engine::evaluate_delayed(
            &config,
            "m7-buying-guide",
            &guide,
            &about(customer, monday_noon()),
        )
        .into_iter()
        .collect::<Vec<_>>()
    };
    assert!(skipped(&due(anna(false)))[0].contains("no consent to marketing by email"));
    let mut no_link = anna(true);
    no_link.unsubscribe_url = None;
    assert!(skipped(&due(no_link))[0].contains("unsubscribe link"));
    let sent = due(anna(true));
    assert!(skipped(&sent).is_empty());
    assert!(messages(&sent)[0]
        .text
        .contains("https://orders.example/unsubscribe/7.x"));
}

#[test]
fn every_sms_waits_for_the_morning_the_staffs_by_the_shops_clock() {
    let mut files: ConfigFiles = shipped_files();
    let shop = files.get("shop.toml").expect("shop.toml").replace(
        "email = \"m.ivanova@shop.example\"",
        "email = \"m.ivanova@shop.example\"\nphone = \"+79001112233\"",
    );
    files.insert("shop.toml", shop);
    let triggers = format!(
        "{}\n[[trigger]]\nid = \"x-sms-the-manager\"\non = \"order.created\"\n[[trigger.action]]\ntype = \"message\"\nchannel = \"sms\"\ntemplate = \"operators-busy-sms\"\nto = \"staff:m.ivanova\"\n",
        files.get("triggers.toml").expect("triggers")
    );
    files.insert("triggers.toml", triggers);
    let config = check(&files).config.expect("valid");
    let night = msk(2026, 11, 23, 23, 0);
    let decisions = evaluate(
        &config,
        &DomainEvent::OrderCreated {
            order_id: id(),
            actor: None,
        },
        &facts(order("new"), night),
    );
    let sms = message(&decisions, "operators-busy-sms");
    assert_eq!(sms.address, "+79001112233");
    assert_eq!(sms.not_before, Some(msk(2026, 11, 24, 9, 0)));
}

#[test]
fn events_about_customers_cannot_change_orders_and_calls_cannot_wait() {
    let mut files = shipped_files();
    let extra = "\n[[trigger]]\nid = \"x-bad\"\non = \"cart.updated\"\n[[trigger.action]]\ntype = \"set_status\"\nstatus = \"confirmed\"\n\n[[trigger]]\nid = \"x-late-call\"\non = \"call.missed\"\ndelay = \"1h\"\n\n[[trigger]]\nid = \"x-wrong-cooldown\"\non = \"cart.updated\"\ncooldown = \"1d\"\ncooldown_per = \"shop\"\n";
    let triggers = format!("{}{extra}", files.get("triggers.toml").expect("triggers"));
    files.insert("triggers.toml", triggers);
    let problems: Vec<String> = check(&files)
        .problems
        .iter()
        .map(ToString::to_string)
        .collect();
    let joined = problems.join("\n");
    assert!(
        joined.contains("x-bad") && joined.contains("about a customer, not an order"),
        "{joined}"
    );
    assert!(
        joined.contains("x-late-call") && joined.contains("cannot be delayed"),
        "{joined}"
    );
    assert!(
        joined.contains("x-wrong-cooldown") && joined.contains("cooldown_per"),
        "{joined}"
    );
}

#[test]
fn a_welcome_code_goes_only_to_a_new_customer_who_allows_marketing_email() {
    let moved = |to: &str| {
        customer_event(
            DomainEvent::SegmentChanged,
            0,
            json!({ "from": null, "to": to }),
        )
    };
    let issued = |c| run(&moved("new"), &about(c, monday_noon()));
    assert_eq!(ids(&issued(anna(true))), ["m9-welcome-code"]);
    assert!(ids(&issued(anna(false))).is_empty());
    assert!(ids(&run(&moved("regular"), &about(anna(true), monday_noon()))).is_empty());
    assert_eq!(
        ids(&run(&moved("vip"), &about(anna(false), monday_noon()))),
        ["m9-new-vip"]
    );
}
