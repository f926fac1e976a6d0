//! P1, P3, P4, P6.

use orderpath_core::automation::engine::{time_limit_due, PlannedAction};
use orderpath_core::automation::event::DomainEvent;
use orderpath_core::status::StatusPath;

use crate::support::*;

#[test]
fn shipped_statuses_equal_the_built_in_default_path() {
    assert_eq!(shipped().statuses.path, StatusPath::default_path());
}

#[test]
fn new_order_is_overdue_after_ten_working_minutes_and_reminded_every_ten() {
    let config = shipped();
    let entered = msk(2026, 11, 23, 17, 55);
    assert_eq!(
        time_limit_due(&config, "new", entered, None, msk(2026, 11, 23, 18, 30)),
        None
    );
    let due = time_limit_due(&config, "new", entered, None, msk(2026, 11, 24, 9, 5))
        .expect("overdue on Tuesday morning");
    assert_eq!(due.overdue_since, msk(2026, 11, 24, 9, 5));
    assert_eq!(due.next_reminder_at, Some(msk(2026, 11, 24, 9, 5)));
    let again = time_limit_due(
        &config,
        "new",
        entered,
        Some(msk(2026, 11, 24, 9, 5)),
        msk(2026, 11, 24, 9, 6),
    )
    .expect("still overdue");
    assert_eq!(again.next_reminder_at, Some(msk(2026, 11, 24, 9, 15)));
}

#[test]
fn statuses_without_a_limit_are_never_overdue() {
    assert_eq!(
        time_limit_due(&shipped(), "thinking", 0, None, i64::MAX / 2),
        None
    );
}

#[test]
fn overdue_new_order_is_marked_and_its_manager_notified() {
    let event = DomainEvent::TimeLimitExceeded {
        order_id: id(),
        status: "new".into(),
        overdue_for: 60,
    };
    let decisions = run(&event, &facts(order("new"), monday_noon()));
    let acts = actions(&decisions, "p3-new-overdue");
    assert!(
        matches!(&acts[0], PlannedAction::SetField { field, value } if field == "overdue" && value == true)
    );
    let PlannedAction::NotifyStaff {
        staff,
        subject,
        text,
    } = &acts[1]
    else {
        panic!("not a note: {acts:?}");
    };
    assert_eq!(staff.id, "m.ivanova");
    assert!(subject.as_deref().is_some_and(|s| s.contains("A-1001")));
    assert!(text.contains("«Новый»"), "{text}");
}

#[test]
fn preparing_for_delivery_reserves_items() {
    let decisions = run(
        &status_changed("confirmed", "prepare-for-delivery"),
        &facts(order("prepare-for-delivery"), monday_noon()),
    );
    assert_eq!(
        actions(&decisions, "p4-reserve-items"),
        [PlannedAction::ReserveItems]
    );
}

#[test]
fn second_no_answer_and_awaiting_stock_release_items() {
    for to in ["no-answer-2", "awaiting-stock"] {
        let decisions = run(
            &status_changed("no-answer-1", to),
            &facts(order(to), monday_noon()),
        );
        assert_eq!(
            actions(&decisions, "p4-release-items"),
            [PlannedAction::ReleaseItems],
            "{to}"
        );
    }
}

#[test]
fn marketplace_order_goes_straight_to_assembly() {
    let mut o = order("new");
    o.channel = "marketplace".into();
    let decisions = run(
        &DomainEvent::OrderCreated {
            order_id: id(),
            actor: None,
        },
        &facts(o, monday_noon()),
    );
    assert_eq!(
        actions(&decisions, "p6-marketplace-to-assembly"),
        [PlannedAction::SetStatus {
            from: "new".into(),
            to: "prepare-for-delivery".into()
        }]
    );
}

#[test]
fn site_order_stays_new_for_a_manager() {
    let decisions = run(
        &DomainEvent::OrderCreated {
            order_id: id(),
            actor: None,
        },
        &facts(order("new"), monday_noon()),
    );
    assert!(!ids(&decisions).contains(&"p6-marketplace-to-assembly"));
    assert!(all_actions(&decisions).all(|a| !matches!(a, PlannedAction::SetStatus { .. })));
}
