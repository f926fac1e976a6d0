//! C1–C11.

use orderpath_core::automation::config::MessageChannel;
use orderpath_core::automation::engine::{Assignee, PlannedAction, Recipient};
use orderpath_core::automation::event::{Call, DomainEvent, Payment};
use orderpath_core::automation::facts::PickupPoint;
use orderpath_core::message::Language;

use crate::support::*;

fn created() -> DomainEvent {
    DomainEvent::OrderCreated {
        order_id: id(),
        actor: None,
    }
}

#[test]
fn new_order_gets_the_thank_you_email_with_items_and_contacts() {
    let decisions = run(&created(), &facts(order("new"), monday_noon()));
    let email = message(&decisions, "order-created");
    assert_eq!(
        email.subject.as_deref(),
        Some("Спасибо за заказ №A-1001 — Чайная лавка")
    );
    assert_eq!(
        email.to,
        Recipient::Customer {
            name: Some("Анна".into())
        }
    );
    assert!(
        email.text.starts_with("Здравствуйте, Анна!"),
        "{}",
        email.text
    );
    assert!(
        email
            .text
            .contains("- Чай улун, 100 г — 2 × 450,00 ₽ = 900,00 ₽"),
        "{}",
        email.text
    );
    assert!(email.text.contains("Итого к оплате: 2 400,00 ₽"));
    assert!(
        email
            .text
            .contains("Часы работы: Пн–Пт 09:00–18:00, Сб 10:00–16:00"),
        "{}",
        email.text
    );
    assert!(email
        .html
        .as_deref()
        .is_some_and(|h| h.contains("<html lang=\"ru\">")));
}

#[test]
fn thank_you_email_escapes_names_in_html() {
    let mut o = order("new");
    o.items[0].name = "<script>alert(1)</script>".into();
    let decisions = run(&created(), &facts(o, monday_noon()));
    let html = message(&decisions, "order-created")
        .html
        .clone()
        .expect("html");
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
}

#[test]
fn english_speaking_customer_gets_english() {
    let mut f = facts(order("new"), monday_noon());
    if let Some(c) = f.customer.as_mut() {
        c.language = Some(Language::En);
    }
    let decisions = run(&created(), &f);
    let email = message(&decisions, "order-created");
    assert_eq!(email.language, Language::En);
    assert!(
        email.text.contains("Total to pay: ₽2,400.00"),
        "{}",
        email.text
    );
}

#[test]
fn customer_without_email_gets_no_thank_you_but_the_skip_is_recorded() {
    let mut f = facts(order("new"), monday_noon());
    f.customer = Some(orderpath_core::automation::facts::CustomerFacts {
        phone: Some("+79123456789".into()),
        ..Default::default()
    });
    let decisions = run(&created(), &f);
    assert!(messages(&decisions).is_empty());
    assert!(matches!(
        actions(&decisions, "c1-thank-you"),
        [PlannedAction::Skipped { action: 0, .. }]
    ));
}

fn with_track(status: &str) -> orderpath_core::automation::facts::OrderFacts {
    let mut o = order(status);
    o.carrier_integrated = true;
    o.track_number = Some("10012345678".into());
    o.tracking_url = Some("https://track.example/10012345678".into());
    o
}

#[test]
fn hand_over_with_track_number_sends_email_and_sms_with_the_link() {
    let decisions = run(
        &status_changed("assembled", "handed-to-carrier"),
        &facts(with_track("handed-to-carrier"), monday_noon()),
    );
    assert_eq!(ids(&decisions), ["c3-track-number", "s5-handover-bonus"]);
    assert!(message(&decisions, "track-number")
        .text
        .contains("https://track.example/10012345678"));
    let sms = message(&decisions, "track-number-sms");
    assert_eq!(
        (sms.channel, sms.address.as_str()),
        (MessageChannel::Sms, "+79123456789")
    );
    assert_eq!(
        sms.text,
        "Заказ A-1001 в пути. Трек: https://track.example/10012345678"
    );
    assert_eq!((sms.not_before, sms.sms_parts), (None, Some(1)));
}

#[test]
fn track_number_arriving_later_is_sent_then() {
    let event = DomainEvent::OrderChanged {
        order_id: id(),
        fields: vec!["track_number".into()],
        actor: None,
        added_items: Vec::new(),
    };
    let decisions = run(
        &event,
        &facts(with_track("handed-to-carrier"), monday_noon()),
    );
    assert_eq!(ids(&decisions), ["c3-track-number-added"]);
    assert_eq!(messages(&decisions).len(), 2);
}

fn at_pickup_point() -> orderpath_core::automation::facts::OrderFacts {
    let mut o = with_track("handed-to-carrier");
    o.pickup_point = Some(PickupPoint {
        address: Some("ул. Ленина, 5".into()),
        phone: Some("+7 495 111-22-33".into()),
        hours: Some("10:00–21:00".into()),
    });
    o
}

#[test]
fn arrival_at_pickup_point_informs_and_starts_the_reminders() {
    let event = DomainEvent::DeliveryStatusChanged {
        order_id: id(),
        from: Some("in-transit".into()),
        to: "at-pickup-point".into(),
        track_number: None,
        tracking_url: None,
    };
    let now = monday_noon();
    let decisions = run(&event, &facts(at_pickup_point(), now));
    let acts = actions(&decisions, "c4-at-pickup-point");
    assert_eq!(
        acts[0],
        PlannedAction::SetStatus {
            from: "handed-to-carrier".into(),
            to: "at-pickup-point".into()
        }
    );
    let email = message(&decisions, "at-pickup-point");
    assert!(
        email.text.contains("Адрес: ул. Ленина, 5")
            && email.text.contains("Телефон: +7 495 111-22-33")
    );
    assert!(message(&decisions, "at-pickup-point-sms")
        .text
        .contains("ул. Ленина, 5, 10:00–21:00"));
    assert_eq!(
        acts[3],
        PlannedAction::SetTimer {
            name: "c5-pickup-reminder".into(),
            fire_at: now + 3 * 86_400
        }
    );
    assert_eq!(
        acts[4],
        PlannedAction::SetTimer {
            name: "c6-pickup-call".into(),
            fire_at: now + 4 * 86_400
        }
    );
}

#[test]
fn parcel_still_waiting_gets_a_reminder_with_the_days_left() {
    let mut o = at_pickup_point();
    o.status = "at-pickup-point".into();
    let decisions = run(&timer("c5-pickup-reminder"), &facts(o, monday_noon()));
    assert!(message(&decisions, "pickup-reminder")
        .text
        .contains("уже 3 дн. Через 4 дн."));
    assert_eq!(
        message(&decisions, "pickup-reminder-sms").text,
        "Заказ A-1001 ждёт вас 3 дн., через 4 дн. вернётся на склад"
    );
}

#[test]
fn collected_parcel_gets_no_reminder() {
    let decisions = run(
        &timer("c5-pickup-reminder"),
        &facts(order("completed"), monday_noon()),
    );
    assert!(decisions.is_empty());
}

#[test]
fn parcel_not_collected_for_days_makes_a_call_task() {
    let mut o = at_pickup_point();
    o.status = "at-pickup-point".into();
    let decisions = run(&timer("c6-pickup-call"), &facts(o, monday_noon()));
    let [PlannedAction::Task {
        assignee,
        due_at,
        title,
    }] = actions(&decisions, "c6-pickup-call")
    else {
        panic!()
    };
    assert_eq!(assignee, &Assignee::Staff("m.ivanova".into()));
    assert_eq!(*due_at, monday_noon() + 3_600);
    assert!(title.contains("A-1001"));
}

#[test]
fn prepayment_gets_a_money_arrived_sms() {
    let event = DomainEvent::PaymentSucceeded(Payment {
        order_id: id(),
        amount: 1,
        currency: "RUB".into(),
    });
    let decisions = run(&event, &facts(order("confirmed"), monday_noon()));
    assert_eq!(
        message(&decisions, "payment-received-sms").text,
        "Оплата заказа A-1001 получена. Спасибо!"
    );
    let on_delivery = run(&event, &facts(order("handed-to-carrier"), monday_noon()));
    assert!(!ids(&on_delivery).contains(&"c7-prepayment-sms"));
}

#[test]
fn completed_order_gets_the_after_sale_email() {
    let decisions = run(
        &status_changed("at-pickup-point", "completed"),
        &facts(order("completed"), monday_noon()),
    );
    let text = &message(&decisions, "order-completed").text;
    for needle in [
        "Гарантия",
        "Обмен и возврат",
        "Отзыв",
        "Программа лояльности",
        "соцсетях",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

#[test]
fn cancelled_order_email_names_the_reason() {
    let event = DomainEvent::StatusChanged {
        order_id: id(),
        from: "new".into(),
        to: "cancelled".into(),
        reason: Some("нет в наличии".into()),
        actor: None,
    };
    let decisions = run(&event, &facts(order("cancelled"), monday_noon()));
    assert!(message(&decisions, "order-cancelled")
        .text
        .contains("Причина: нет в наличии."));
}

fn missed_call(after_hours: bool, order_id: bool) -> DomainEvent {
    DomainEvent::CallMissed(Call {
        order_id: order_id.then(id),
        direction: "inbound".into(),
        phone: "+79990001122".into(),
        after_hours,
    })
}

#[test]
fn evening_call_gets_hours_by_sms_and_a_morning_callback_task() {
    let evening = msk(2026, 11, 23, 19, 30);
    let f = orderpath_core::automation::facts::Facts {
        now: evening,
        order: None,
        customer: None,
    };
    let decisions = run(&missed_call(true, false), &f);
    let sms = message(&decisions, "after-hours-call-sms");
    assert_eq!(sms.address, "+79990001122");
    assert_eq!(
        sms.text,
        "Мы работаем Пн–Пт 09:00–18:00, Сб 10:00–16:00. Перезвоним вам в рабочее время"
    );
    assert_eq!(sms.not_before, None);
    let acts = actions(&decisions, "c10-after-hours-call");
    let PlannedAction::Task {
        due_at, assignee, ..
    } = &acts[1]
    else {
        panic!("{acts:?}")
    };
    assert_eq!(*due_at, msk(2026, 11, 24, 9, 0));
    assert_eq!(assignee, &Assignee::Role("manager".into()));
    assert!(!ids(&decisions).contains(&"o4-operators-busy"));
}

#[test]
fn night_sms_waits_for_the_morning_but_email_does_not() {
    let night = msk(2026, 11, 23, 23, 0);
    let f = orderpath_core::automation::facts::Facts {
        now: night,
        order: None,
        customer: None,
    };
    let sms = message(&run(&missed_call(true, false), &f), "after-hours-call-sms").clone();
    assert_eq!(sms.not_before, Some(msk(2026, 11, 24, 9, 0)));
    let decisions = run(
        &status_changed("assembled", "handed-to-carrier"),
        &facts(with_track("handed-to-carrier"), night),
    );
    assert_eq!(message(&decisions, "track-number").not_before, None);
    assert_eq!(
        message(&decisions, "track-number-sms").not_before,
        Some(msk(2026, 11, 24, 9, 0))
    );
}

#[test]
fn quiet_hours_follow_the_customer_time_zone() {
    // 18:00 in Moscow is 01:00 in Vladivostok: the SMS waits until 09:00 there.
    let mut f = facts(with_track("handed-to-carrier"), msk(2026, 11, 23, 18, 0));
    if let Some(c) = f.customer.as_mut() {
        c.time_zone = Some("Asia/Vladivostok".into());
    }
    let decisions = run(&status_changed("assembled", "handed-to-carrier"), &f);
    assert_eq!(
        message(&decisions, "track-number-sms").not_before,
        Some(msk(2026, 11, 24, 2, 0))
    );
}
