//! V6: `chat.message` triggers — the night reply and the morning task — and what the checker
//! refuses around them.

use super::tests::monday;
use super::*;
use crate::automation::config::{check, ConfigFiles};
use crate::automation::event::{ChatMessage, ChatSender, DomainEvent};
use crate::automation::facts::CustomerFacts;
use crate::automation::time::DAY;

const STATUSES: &str = include_str!("../../../../../config/statuses.toml");
const SHOP: &str = r#"
time_zone = "Europe/Moscow"
[working_hours]
mon = "09:00-18:00"
tue = "09:00-18:00"
[roles.chat]
name = "Чаты"
"#;
const TEMPLATES_RU: &str = r#"
[chat-night-reply]
kind = "chat"
text = "{{ customer.name }}, ответим {{ event.opens_at | datetime }}"
[sms-note]
kind = "sms"
text = "x"
"#;
const TEMPLATES_EN: &str = r#"
[chat-night-reply]
kind = "chat"
text = "{{ customer.name }}, we answer at {{ event.opens_at | time }}"
[sms-note]
kind = "sms"
text = "x"
"#;
const TRIGGERS: &str = r#"
[[trigger]]
id = "reply"
on = "chat.message"
[trigger.when]
chat_after_hours = true
chat_first_of_night = true
[[trigger.action]]
type = "chat_reply"
template = "chat-night-reply"
[[trigger.action]]
type = "task"
title = "Ответить: {{ event.sender.name }}: «{{ event.preview }}»"
assignee = "role:chat"
due_in = "0m"
in_working_hours = true
"#;

fn files(triggers: &str) -> ConfigFiles {
    let mut f = ConfigFiles::new("config");
    f.insert("shop.toml", SHOP);
    f.insert("statuses.toml", STATUSES);
    f.insert("templates/ru.toml", TEMPLATES_RU);
    f.insert("templates/en.toml", TEMPLATES_EN);
    f.insert("triggers.toml", triggers);
    f
}

fn config(triggers: &str) -> Config {
    let checked = check(&files(triggers));
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    checked.config.expect("config")
}

fn problems(triggers: &str) -> Vec<String> {
    check(&files(triggers))
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn message(at: i64, after_hours: bool, first_of_night: bool) -> DomainEvent {
    DomainEvent::ChatMessage(Box::new(ChatMessage {
        conversation_id: 7,
        source: "telegram".into(),
        channel: "telegram".into(),
        customer_id: None,
        sender: ChatSender {
            name: Some("Анна".into()),
            username: Some("anna_k".into()),
            ..ChatSender::default()
        },
        text: "Есть ли улун?".into(),
        preview: "Есть ли улун?".into(),
        at,
        after_hours,
        night: after_hours.then(|| "2026-11-24".into()),
        first_of_night,
        opens_at: if after_hours { monday(9, 0) + DAY } else { at },
    }))
}

fn facts(now: i64, language: Option<crate::message::Language>) -> Facts {
    Facts {
        now,
        order: None,
        customer: Some(CustomerFacts {
            name: Some("Анна".into()),
            language,
            ..CustomerFacts::default()
        }),
    }
}

#[test]
fn the_first_night_message_gets_the_reply_and_a_task_for_the_opening() {
    let config = config(TRIGGERS);
    let now = monday(19, 0);
    let decisions = evaluate(&config, &message(now, true, true), &facts(now, None));
    let [Decision::Run {
        trigger_id,
        actions,
    }] = decisions.as_slice()
    else {
        panic!("{decisions:?}")
    };
    assert_eq!(trigger_id, "reply");
    assert_eq!(
        actions,
        &[
            PlannedAction::ChatReply {
                template: "chat-night-reply".into(),
                language: crate::message::Language::Ru,
                text: "Анна, ответим 24.11.2026 09:00".into(),
            },
            PlannedAction::Task {
                title: "Ответить: Анна: «Есть ли улун?»".into(),
                assignee: Assignee::Role("chat".into()),
                due_at: monday(9, 0) + DAY,
            },
        ]
    );
}

#[test]
fn the_reply_speaks_the_senders_language() {
    let config = config(TRIGGERS);
    let now = monday(19, 0);
    let english = facts(now, Some(crate::message::Language::En));
    let decisions = evaluate(&config, &message(now, true, true), &english);
    let [Decision::Run { actions, .. }] = decisions.as_slice() else {
        panic!("{decisions:?}")
    };
    assert!(
        matches!(&actions[0], PlannedAction::ChatReply { text, language: crate::message::Language::En, .. } if text == "Анна, we answer at 09:00"),
        "{actions:?}"
    );
}

#[test]
fn later_messages_of_the_night_and_daytime_messages_plan_nothing() {
    let config = config(TRIGGERS);
    let night = monday(23, 0);
    assert!(evaluate(&config, &message(night, true, false), &facts(night, None)).is_empty());
    let day = monday(11, 0);
    assert!(evaluate(&config, &message(day, false, false), &facts(day, None)).is_empty());
}

#[test]
fn chat_replies_answer_only_chat_messages() {
    let found = problems(
        "[[trigger]]\nid = \"t\"\non = \"order.created\"\n[[trigger.action]]\ntype = \"chat_reply\"\ntemplate = \"chat-night-reply\"\n",
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("chat_reply answers a chat.message")),
        "{found:?}"
    );
    let found = problems(
        "[[trigger]]\nid = \"t\"\non = \"customer.subscribed\"\n[[trigger.action]]\ntype = \"chat_reply\"\ntemplate = \"chat-night-reply\"\n",
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("chat_reply answers a chat.message")),
        "{found:?}"
    );
}

#[test]
fn a_chat_trigger_cannot_change_an_order_or_use_the_wrong_template() {
    let found = problems(
        "[[trigger]]\nid = \"t\"\non = \"chat.message\"\n[[trigger.action]]\ntype = \"set_status\"\nstatus = \"confirmed\"\n",
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("chat.message is about a chat, not an order")),
        "{found:?}"
    );
    let found = problems(
        "[[trigger]]\nid = \"t\"\non = \"chat.message\"\n[[trigger.action]]\ntype = \"chat_reply\"\ntemplate = \"sms-note\"\n",
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("is an sms template, the action sends chat")),
        "{found:?}"
    );
    let found = problems(
        "[[trigger]]\nid = \"t\"\non = \"order.created\"\ncooldown = \"1d\"\ncooldown_per = \"chat\"\n[[trigger.action]]\ntype = \"reserve_items\"\n",
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("only chat.message has one")),
        "{found:?}"
    );
    let found = problems(
        "[[trigger]]\nid = \"t\"\non = \"order.created\"\n[trigger.when]\nchat_after_hours = true\n[[trigger.action]]\ntype = \"reserve_items\"\n",
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("applies only to chat.message")),
        "{found:?}"
    );
}

#[test]
fn a_reply_to_another_event_is_skipped_with_the_reason() {
    // A delayed or cascaded event that is not a chat message has nothing to answer.
    let config = config(TRIGGERS);
    let trigger = config.trigger("reply").expect("trigger");
    let actions = plan::plan(
        &config,
        trigger,
        &DomainEvent::OrderCreated {
            order_id: super::tests::id(),
            actor: None,
        },
        &facts(monday(19, 0), None),
    );
    assert!(
        matches!(&actions[0], PlannedAction::Skipped { action: 0, reason } if reason.contains("not a chat message")),
        "{actions:?}"
    );
}
