//! V2, V3, V4.

use orderpath_core::automation::config::MessageChannel;
use orderpath_core::automation::engine::{Assignee, PlannedAction};
use orderpath_core::automation::event::{DomainEvent, Payment};

use crate::support::*;

fn payment() -> Payment {
    Payment {
        order_id: id(),
        amount: 240_000,
        currency: "RUB".into(),
    }
}

#[test]
fn payment_succeeded_moves_paid_order_to_payment_received_and_emails() {
    let decisions = run(
        &DomainEvent::PaymentSucceeded(payment()),
        &facts(order("awaiting-payment"), monday_noon()),
    );
    let paid = actions(&decisions, "v2-mark-paid");
    assert!(
        matches!(&paid[0], PlannedAction::SetField { field, value } if field == "payment_status" && value == "paid")
    );
    let acts = actions(&decisions, "v2-paid-to-assembly");
    assert_eq!(
        acts[0],
        PlannedAction::SetStatus {
            from: "awaiting-payment".into(),
            to: "payment-received".into()
        }
    );
    let PlannedAction::Message(email) = &acts[1] else {
        panic!("{acts:?}")
    };
    assert_eq!(email.channel, MessageChannel::Email);
    assert_eq!(email.address, "anna@example.com");
    assert!(email
        .subject
        .as_deref()
        .is_some_and(|s| s.contains("A-1001")));
    assert!(email.text.contains("2 400,00 ₽"), "{}", email.text);
    assert_eq!(
        acts[2],
        PlannedAction::SetStatus {
            from: "payment-received".into(),
            to: "prepare-for-delivery".into()
        }
    );
}

#[test]
fn payment_failed_sets_payment_error_and_a_task_but_no_sms() {
    let decisions = run(
        &DomainEvent::PaymentFailed(payment()),
        &facts(order("awaiting-payment"), monday_noon()),
    );
    let acts = actions(&decisions, "v2-payment-failed");
    assert_eq!(
        acts[1],
        PlannedAction::SetStatus {
            from: "awaiting-payment".into(),
            to: "payment-error".into()
        }
    );
    let PlannedAction::Task {
        assignee, due_at, ..
    } = &acts[2]
    else {
        panic!("{acts:?}")
    };
    assert_eq!(assignee, &Assignee::Staff("m.ivanova".into()));
    assert_eq!(*due_at, monday_noon() + 1_800);
    assert!(messages(&decisions)
        .iter()
        .all(|m| m.channel != MessageChannel::Sms));
}

#[test]
fn confirmation_email_carries_the_payment_link() {
    let mut o = order("confirmed");
    o.payment_link = Some("https://pay.example/A-1001?a=1&b=2".into());
    let decisions = run(
        &status_changed("new", "confirmed"),
        &facts(o, monday_noon()),
    );
    let email = message(&decisions, "order-confirmed");
    assert!(
        email.text.contains("https://pay.example/A-1001?a=1&b=2"),
        "{}",
        email.text
    );
    assert!(email.text.contains("Чашка"));
}

#[test]
fn confirmation_email_without_a_link_has_no_payment_line() {
    let decisions = run(
        &status_changed("new", "confirmed"),
        &facts(order("confirmed"), monday_noon()),
    );
    assert!(!message(&decisions, "order-confirmed")
        .text
        .contains("Оплатить"));
}

#[test]
fn carrier_pickup_hands_an_assembled_order_over() {
    let event = DomainEvent::DeliveryStatusChanged {
        order_id: id(),
        from: Some("created".into()),
        to: "accepted".into(),
        track_number: None,
        tracking_url: None,
    };
    let decisions = run(&event, &facts(order("assembled"), monday_noon()));
    assert_eq!(
        actions(&decisions, "v4-carrier-picked-up"),
        [PlannedAction::SetStatus {
            from: "assembled".into(),
            to: "handed-to-carrier".into()
        }]
    );
}

#[test]
fn hand_over_without_track_number_emails_and_promises_the_number() {
    let mut o = order("handed-to-carrier");
    o.carrier_integrated = true;
    let decisions = run(
        &status_changed("assembled", "handed-to-carrier"),
        &facts(o, monday_noon()),
    );
    // S5 matches too, and plans nothing: no person handed it over.
    assert_eq!(ids(&decisions), ["v4-handed-over", "s5-handover-bonus"]);
    assert!(actions(&decisions, "s5-handover-bonus").is_empty());
    assert!(message(&decisions, "handed-to-carrier")
        .text
        .contains("Трек-номер пришлём"));
}
