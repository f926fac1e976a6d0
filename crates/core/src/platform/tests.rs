use std::collections::BTreeMap;

use super::*;
use crate::event::{Delivery, Item};
use crate::money::Currency;

fn snapshot(state: &str, updated_at: &str) -> PlatformOrder {
    PlatformOrder {
        order: NewOrder {
            order_id: OrderId::parse("1001").expect("id"),
            created_at: Some("2026-11-24T10:00:00Z".into()),
            currency: Currency::rub(),
            channel: "site".into(),
            order_method: "cart".into(),
            customer_type: "person".into(),
            customer: CustomerContact {
                name: Some("Анна".into()),
                phone: None,
                email: Some(crate::contact::Email::parse("anna@example.com").expect("email")),
            },
            items: vec![Item {
                sku: "TEA-1".into(),
                name: "Пуэр".into(),
                qty: 2,
                price: 150_000,
                category: None,
            }],
            delivery: Delivery::default(),
            discount: 0,
            total: 300_000,
            utm: Utm::default(),
            comment: None,
            manager: None,
            actor: None,
            customer_language: None,
            customer_time_zone: None,
        },
        platform_id: "820982911946154508".into(),
        updated_at: Some(updated_at.into()),
        state: Some(state.into()),
        payment: None,
        tags: Vec::new(),
        customer_tags: Vec::new(),
    }
}

fn statuses() -> BTreeMap<String, String> {
    [
        ("cancelled", "cancelled"),
        ("fulfilled", "handed-to-carrier"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect()
}

fn names(plan: &Plan) -> Vec<&'static str> {
    plan.events.iter().map(OrderEvent::type_name).collect()
}

fn seen(status: &str, state: &str, updated_at: &str) -> Seen {
    Seen {
        status: status.into(),
        state: Some(state.into()),
        updated_at: Some(updated_at.into()),
        payment: None,
    }
}

#[test]
fn an_unknown_order_is_created() {
    let plan = plan(
        "shopify",
        &snapshot("open", "2026-11-24T10:00:00Z"),
        None,
        &statuses(),
    );
    assert_eq!(names(&plan), ["order.created"]);
    assert!(!plan.stale);
    assert_eq!(plan.remember.state.as_deref(), Some("open"));
}

#[test]
fn an_order_first_seen_cancelled_is_created_then_moved() {
    let plan = plan(
        "shopify",
        &snapshot("cancelled", "2026-11-24T10:00:00Z"),
        None,
        &statuses(),
    );
    assert_eq!(names(&plan), ["order.created", "order.status_changed"]);
    let OrderEvent::StatusChanged(change) = &plan.events[1] else {
        panic!("{plan:?}")
    };
    assert_eq!(change.status, "cancelled");
    assert_eq!(
        change.actor.as_ref().map(Actor::label).as_deref(),
        Some("integration:shopify")
    );
}

#[test]
fn a_known_order_is_updated_and_moves_when_its_state_changes() {
    let before = seen("new", "open", "2026-11-24T10:00:00Z");
    let plan = plan(
        "shopify",
        &snapshot("fulfilled", "2026-11-24T11:00:00Z"),
        Some(&before),
        &statuses(),
    );
    assert_eq!(names(&plan), ["order.updated", "order.status_changed"]);
}

#[test]
fn the_same_state_again_does_not_move_the_order_back() {
    // The operator moved it on in Orderpath; the platform still says "fulfilled".
    let before = seen("completed", "fulfilled", "2026-11-24T11:00:00Z");
    let plan = plan(
        "shopify",
        &snapshot("fulfilled", "2026-11-24T12:00:00Z"),
        Some(&before),
        &statuses(),
    );
    assert_eq!(names(&plan), ["order.updated"]);
}

#[test]
fn an_unmapped_state_moves_nothing() {
    let plan = plan(
        "shopify",
        &snapshot("closed", "2026-11-24T10:00:00Z"),
        Some(&seen("new", "open", "2026-11-24T09:00:00Z")),
        &statuses(),
    );
    assert_eq!(names(&plan), ["order.updated"]);
}

#[test]
fn an_older_snapshot_changes_nothing() {
    let before = seen("handed-to-carrier", "fulfilled", "2026-11-24T11:00:00Z");
    let plan = plan(
        "shopify",
        &snapshot("open", "2026-11-24T10:59:59+00:00"),
        Some(&before),
        &statuses(),
    );
    assert!(plan.stale);
    assert!(plan.events.is_empty());
    assert_eq!(plan.remember, before);
}

#[test]
fn a_payment_is_reported_once() {
    let mut paid = snapshot("open", "2026-11-24T10:00:00Z");
    paid.payment = Some(PlatformPayment {
        outcome: PaymentOutcome::Succeeded,
        amount: 300_000,
        payment_id: "shopify:820982911946154508".into(),
    });
    let first = plan("shopify", &paid, None, &statuses());
    assert_eq!(names(&first), ["order.created", "order.payment"]);
    let mut before = seen("payment-received", "open", "2026-11-24T10:00:00Z");
    before.payment = first.remember.payment.clone();
    let again = plan("shopify", &paid, Some(&before), &statuses());
    assert_eq!(names(&again), ["order.updated"]);
}

#[test]
fn a_deleted_order_moves_to_the_mapped_status_once() {
    let mut map = statuses();
    map.insert("deleted".into(), "cancelled".into());
    let id = OrderId::parse("1001").expect("id");
    let event = deleted("woocommerce", &id, &seen("new", "pending", "x"), &map);
    assert!(matches!(event, Some(OrderEvent::StatusChanged(ref c)) if c.status == "cancelled"));
    assert_eq!(
        deleted("woocommerce", &id, &seen("cancelled", "trash", "x"), &map),
        None
    );
    assert_eq!(
        deleted(
            "woocommerce",
            &id,
            &seen("new", "pending", "x"),
            &statuses()
        ),
        None
    );
}

#[test]
fn a_new_order_takes_its_number_then_the_platform_prefixed_ids() {
    let number = OrderId::parse("4127").expect("id");
    let ids: Vec<String> = candidate_ids("shopify", &number, "5912345678901")
        .iter()
        .map(|id| id.as_str().to_owned())
        .collect();
    assert_eq!(ids, ["4127", "shopify-4127", "shopify-5912345678901"]);
    let long = OrderId::parse(&"9".repeat(60)).expect("id");
    assert_eq!(
        candidate_ids("woocommerce", &long, "1").len(),
        2,
        "too long is left out"
    );
}
