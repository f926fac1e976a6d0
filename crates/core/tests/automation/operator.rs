//! O1–O10 and S1.

use orderpath_core::automation::config::MessageChannel;
use orderpath_core::automation::engine::{Assignee, PlannedAction, Recipient};
use orderpath_core::automation::event::{Call, DomainEvent};

use crate::support::*;

#[test]
fn wrong_phone_flag_emails_the_customer_to_call() {
    let decisions = run(&flag("wrong-phone"), &facts(order("new"), monday_noon()));
    let email = message(&decisions, "wrong-phone");
    assert!(email.text.contains("+7 495 000-00-00"), "{}", email.text);
}

#[test]
fn call_back_request_becomes_a_task_at_that_time() {
    let mut o = order("call-back");
    let at = msk(2026, 11, 25, 15, 30);
    o.callback_at = Some(at);
    let decisions = run(
        &status_changed("new", "call-back"),
        &facts(o, monday_noon()),
    );
    let [PlannedAction::Task { due_at, title, .. }] = actions(&decisions, "o2-call-back") else {
        panic!()
    };
    assert_eq!(*due_at, at);
    assert!(title.ends_with("(25.11.2026 15:30)"), "{title}");
}

#[test]
fn first_no_answer_plans_a_task_in_an_hour_and_an_sms() {
    let mut o = order("no-answer-1");
    o.no_answer_attempts = 1;
    let decisions = run(
        &status_changed("new", "no-answer-1"),
        &facts(o, monday_noon()),
    );
    let acts = actions(&decisions, "o3-no-answer-1");
    assert!(
        matches!(&acts[0], PlannedAction::Task { due_at, .. } if *due_at == monday_noon() + 3_600)
    );
    assert_eq!(
        message(&decisions, "no-answer-sms").channel,
        MessageChannel::Sms
    );
}

#[test]
fn second_no_answer_plans_a_task_in_two_hours_an_email_and_releases_items() {
    let mut o = order("no-answer-2");
    o.no_answer_attempts = 2;
    let decisions = run(
        &status_changed("no-answer-1", "no-answer-2"),
        &facts(o, msk(2026, 11, 23, 17, 0)),
    );
    let acts = actions(&decisions, "o3-no-answer-2");
    // 17:00 + 2 working hours: one hour today, one tomorrow from 09:00.
    assert!(
        matches!(&acts[0], PlannedAction::Task { due_at, .. } if *due_at == msk(2026, 11, 24, 10, 0))
    );
    assert_eq!(
        message(&decisions, "no-answer-email").channel,
        MessageChannel::Email
    );
    assert_eq!(
        actions(&decisions, "p4-release-items"),
        [PlannedAction::ReleaseItems]
    );
}

#[test]
fn too_many_unanswered_calls_cancel_the_order() {
    let mut o = order("no-answer-1");
    o.no_answer_attempts = 3;
    let decisions = run(
        &status_changed("no-answer-2", "no-answer-1"),
        &facts(o, monday_noon()),
    );
    assert_eq!(
        actions(&decisions, "o3-no-answer-cancel"),
        [PlannedAction::Cancel {
            from: "no-answer-1".into(),
            reason: "no answer".into()
        }]
    );
    assert!(!ids(&decisions).contains(&"o3-no-answer-1"));
}

fn missed(order_id: bool) -> DomainEvent {
    DomainEvent::CallMissed(Call {
        order_id: order_id.then(id),
        direction: "inbound".into(),
        phone: "+79123456789".into(),
        after_hours: false,
    })
}

#[test]
fn missed_call_with_an_active_order_makes_a_callback_task_and_one_busy_sms() {
    let decisions = run(&missed(true), &facts(order("confirmed"), monday_noon()));
    let [PlannedAction::Task {
        assignee, due_at, ..
    }] = actions(&decisions, "o4-missed-call-task")
    else {
        panic!()
    };
    assert_eq!(
        (assignee, *due_at),
        (&Assignee::Staff("m.ivanova".into()), monday_noon() + 300)
    );
    let sms: Vec<_> = messages(&decisions)
        .into_iter()
        .filter(|m| m.channel == MessageChannel::Sms)
        .collect();
    assert_eq!(sms.len(), 1);
    assert_eq!(
        sms[0].text,
        "Все операторы заняты. Перезвоним вам через несколько минут"
    );
}

#[test]
fn missed_call_from_an_unknown_number_only_gets_the_busy_sms() {
    let f = orderpath_core::automation::facts::Facts {
        now: monday_noon(),
        order: None,
        customer: None,
    };
    let decisions = run(&missed(false), &f);
    assert_eq!(ids(&decisions), ["o4-operators-busy"]);
}

#[test]
fn invoice_sent_starts_the_payment_check() {
    let decisions = run(
        &status_changed("confirmed", "invoice-sent"),
        &facts(order("invoice-sent"), monday_noon()),
    );
    let acts = actions(&decisions, "o5-invoice-sent");
    assert_eq!(
        acts[1],
        PlannedAction::SetTimer {
            name: "o5-invoice-check".into(),
            fire_at: monday_noon() + 2 * 86_400
        }
    );
}

#[test]
fn unpaid_invoice_at_the_check_reminds_and_makes_a_call_task() {
    let mut o = order("invoice-sent");
    o.payment_status = "invoice-sent".into();
    let decisions = run(&timer("o5-invoice-check"), &facts(o, monday_noon()));
    let acts = actions(&decisions, "o5-invoice-unpaid");
    assert!(matches!(&acts[0], PlannedAction::Message(m) if m.template == "payment-reminder"));
    assert!(matches!(&acts[1], PlannedAction::Task { .. }));
}

#[test]
fn payment_cancels_the_invoice_check() {
    let event = DomainEvent::PaymentSucceeded(orderpath_core::automation::event::Payment {
        order_id: id(),
        amount: 240_000,
        currency: "RUB".into(),
    });
    let decisions = run(&event, &facts(order("invoice-sent"), monday_noon()));
    assert!(
        actions(&decisions, "v2-mark-paid").contains(&PlannedAction::CancelTimer {
            name: "o5-invoice-check".into()
        })
    );
}

#[test]
fn item_out_of_stock_makes_a_task_for_purchasing() {
    let event = DomainEvent::StockChanged {
        order_id: id(),
        skus: vec!["TEA-001".into()],
        available: false,
    };
    let decisions = run(&event, &facts(order("confirmed"), monday_noon()));
    let [PlannedAction::Task {
        assignee, title, ..
    }] = actions(&decisions, "o6-out-of-stock")
    else {
        panic!()
    };
    assert_eq!(assignee, &Assignee::Role("purchasing".into()));
    assert!(title.contains("TEA-001"), "{title}");
}

#[test]
fn chosen_supplier_gets_an_invoice_request() {
    let event = DomainEvent::OperatorFlag {
        order_id: id(),
        flag: "supplier-chosen".into(),
        supplier: Some("tea-supplier@example.com".into()),
        note: None,
    };
    let decisions = run(&event, &facts(order("confirmed"), monday_noon()));
    let email = message(&decisions, "supplier-request");
    assert_eq!(
        (&email.to, email.address.as_str()),
        (&Recipient::Supplier, "tea-supplier@example.com")
    );
    assert!(
        email.text.contains("TEA-001 Чай улун, 100 г — 2 шт."),
        "{}",
        email.text
    );
}

#[test]
fn thinking_customer_gets_a_task_on_the_date_and_a_discount_timer() {
    let mut o = order("thinking");
    let at = msk(2026, 11, 26, 11, 0);
    o.callback_at = Some(at);
    let decisions = run(&status_changed("new", "thinking"), &facts(o, monday_noon()));
    let acts = actions(&decisions, "o8-thinking-callback");
    assert!(matches!(&acts[0], PlannedAction::Task { due_at, .. } if *due_at == at));
    assert_eq!(
        acts[1],
        PlannedAction::SetTimer {
            name: "o10-still-thinking".into(),
            fire_at: at + 86_400
        }
    );
}

#[test]
fn still_thinking_after_the_reminder_gets_a_discount_sms() {
    let decisions = run(
        &timer("o10-still-thinking"),
        &facts(order("thinking"), monday_noon()),
    );
    assert_eq!(
        message(&decisions, "thinking-discount-sms").text,
        "Скидка 5% на заказ A-1001 ещё 3 дн. Звоните: +7 495 000-00-00"
    );
    let decided = run(
        &timer("o10-still-thinking"),
        &facts(order("confirmed"), monday_noon()),
    );
    assert!(decided.is_empty());
}

#[test]
fn carrier_without_integration_is_emailed_and_phoned_when_silent() {
    let decisions = run(
        &status_changed("assembled", "handed-to-carrier"),
        &facts(order("handed-to-carrier"), monday_noon()),
    );
    let email = message(&decisions, "carrier-handover");
    assert_eq!(
        (&email.to, email.address.as_str()),
        (&Recipient::Carrier, "orders@carrier.example")
    );
    assert!(
        actions(&decisions, "o9-carrier-handover").contains(&PlannedAction::SetTimer {
            name: "o9-carrier-reply".into(),
            fire_at: monday_noon() + 3_600
        })
    );
    let silent = run(
        &timer("o9-carrier-reply"),
        &facts(order("handed-to-carrier"), monday_noon()),
    );
    assert!(
        matches!(actions(&silent, "o9-carrier-no-reply"), [PlannedAction::Task { assignee: Assignee::Role(r), .. }] if r == "courier-desk")
    );
    let mut accepted = order("handed-to-carrier");
    accepted.flags = vec!["carrier-accepted".into()];
    assert!(run(&timer("o9-carrier-reply"), &facts(accepted, monday_noon())).is_empty());
    let reply = run(
        &flag("carrier-accepted"),
        &facts(order("handed-to-carrier"), monday_noon()),
    );
    assert_eq!(
        actions(&reply, "o9-carrier-accepted"),
        [PlannedAction::CancelTimer {
            name: "o9-carrier-reply".into()
        }]
    );
}

#[test]
fn large_order_notifies_the_head_of_sales() {
    let mut o = order("new");
    o.total = 5_000_000;
    let decisions = run(
        &DomainEvent::OrderCreated {
            order_id: id(),
            actor: None,
        },
        &facts(o, monday_noon()),
    );
    let [PlannedAction::NotifyStaff { staff, subject, .. }] = actions(&decisions, "s1-large-order")
    else {
        panic!()
    };
    assert_eq!(staff.id, "p.sidorov");
    assert_eq!(
        subject.as_deref(),
        Some("Крупный заказ №A-1001: 50 000,00 ₽")
    );
}
