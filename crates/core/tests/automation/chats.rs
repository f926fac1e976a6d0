//! V6 on the shipped configuration: a chat message's night, measured by the core against the
//! shipped working hours, runs the night reply and the morning task once per night.

use orderpath_core::automation::engine::{Assignee, PlannedAction};
use orderpath_core::automation::facts::{CustomerFacts, Facts};
use orderpath_core::chat::{self, ChatSource, IncomingMessage, Sender, Stored};
use orderpath_core::message::Language;

use crate::support::*;

fn whatsapp(text: &str) -> IncomingMessage {
    IncomingMessage {
        source: ChatSource::Generic,
        channel: "whatsapp".into(),
        conversation: "wa-1".into(),
        message_id: None,
        sender: Sender {
            name: Some("Анна".into()),
            language: Some(Language::Ru),
            ..Sender::default()
        },
        text: text.into(),
        sent_at: None,
    }
}

/// The decisions for a message arriving at `at`, the conversation's first of its night or not.
fn arrive(at: i64, first_of_night: bool) -> Vec<orderpath_core::automation::engine::Decision> {
    let config = shipped();
    let timing = chat::timing(at, &config.shop.working_hours, &config.shop.time_zone);
    let event = chat::event(
        &whatsapp("Здравствуйте! Можно заказать на понедельник?"),
        Stored {
            conversation_id: 1,
            customer_id: None,
            at,
            first_of_night,
        },
        &timing,
    );
    let facts = Facts {
        now: at,
        order: None,
        customer: Some(CustomerFacts {
            name: Some("Анна".into()),
            ..CustomerFacts::default()
        }),
    };
    run(&event, &facts)
}

#[test]
fn a_saturday_evening_message_is_answered_once_and_tasked_for_monday_morning() {
    let saturday_evening = msk(2026, 11, 28, 17, 0);
    let decisions = arrive(saturday_evening, true);
    assert_eq!(
        ids(&decisions),
        ["v6-night-auto-reply", "v6-morning-chat-task"]
    );
    let [PlannedAction::ChatReply { text, language, .. }] =
        actions(&decisions, "v6-night-auto-reply")
    else {
        panic!("{decisions:?}")
    };
    assert_eq!(*language, Language::Ru);
    assert!(
        text.starts_with("Здравствуйте, Анна! Спасибо за сообщение.")
            && text.contains("ответим, как только откроемся: 30.11.2026 в 09:00")
            && text.contains("Часы работы: Пн–Пт 09:00–18:00, Сб 10:00–16:00"),
        "{text}"
    );
    let [PlannedAction::Task {
        title,
        assignee,
        due_at,
    }] = actions(&decisions, "v6-morning-chat-task")
    else {
        panic!("{decisions:?}")
    };
    assert_eq!(*assignee, Assignee::Role("chat".into()));
    assert_eq!(*due_at, msk(2026, 11, 30, 9, 0));
    assert_eq!(
        title,
        "Ответить в чате (whatsapp) Анна: писал(а) ночью — «Здравствуйте! Можно заказать на понедельник?»"
    );

    // Sunday: the same night, and not its first message.
    assert!(arrive(msk(2026, 11, 29, 15, 0), false).is_empty());
}

#[test]
fn a_message_in_working_hours_runs_no_v6_trigger() {
    assert!(arrive(monday_noon(), true).is_empty());
    assert!(arrive(monday_noon(), false).is_empty());
}
