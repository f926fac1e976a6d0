//! What a finished phone call means: a missed call, an attempt of ours or a conversation;
//! whether it needs a lead order (O4) and what that order looks like; which open tasks a
//! returned call closes.

use crate::automation::config::{Action, Trigger};
use crate::automation::event::{Call, DomainEvent};
use crate::automation::time::{self, rfc3339, TimeZone, WorkingHours};
use crate::event::{
    CallDirection, CallEnded, CallOutcome, CustomerContact, Delivery, NewOrder, OrderId,
    OrderIdError, Utm,
};
use crate::money::Currency;

/// `order_method` of an order made from a missed call (O4).
pub const LEAD_METHOD: &str = "missed-call";

/// What a finished call means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallDecision {
    /// The call started while the shop was closed (C10 rather than O4).
    pub after_hours: bool,
    /// Nobody answered the customer's call: without an order in progress it becomes a lead.
    pub lead_if_unknown: bool,
    /// The event to raise for the call's order, if any.
    pub reaction: CallReaction,
}

/// The domain event a call raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallReaction {
    /// `call.missed`: the customer's call went unanswered.
    Missed,
    /// `call.answered`.
    Answered,
    /// Nothing to raise.
    None,
}

impl CallDecision {
    /// The event for the call about `order_id`.
    pub fn event(&self, call: &CallEnded, order_id: OrderId) -> Option<DomainEvent> {
        let body = Call {
            order_id: Some(order_id),
            direction: call.direction.as_str().to_owned(),
            phone: call.phone.as_str().to_owned(),
            after_hours: self.after_hours,
        };
        match self.reaction {
            CallReaction::Missed => Some(DomainEvent::CallMissed(body)),
            CallReaction::Answered => Some(DomainEvent::CallAnswered(body)),
            CallReaction::None => None,
        }
    }
}

/// Decides about a call that started at `started` (unix seconds), given the shop's hours.
pub fn on_call(
    call: &CallEnded,
    started: i64,
    (hours, tz): (&WorkingHours, &TimeZone),
) -> CallDecision {
    let inbound = call.direction == CallDirection::Inbound;
    let missed = call.outcome != CallOutcome::Answered;
    CallDecision {
        after_hours: !time::is_open(started, hours, tz),
        lead_if_unknown: inbound && missed,
        reaction: match (inbound, missed) {
            (true, true) => CallReaction::Missed,
            (_, false) => CallReaction::Answered,
            // Our unanswered call: an attempt to reach the customer (O3 counts it).
            (false, true) => CallReaction::Missed,
        },
    }
}

/// The open tasks of the call's order that the call does, by reason (the trigger ids whose
/// `task` actions say `done_on_callback = true` in `triggers.toml`): an answered call of ours
/// to the customer is the callback those tasks asked for. Any other call does none.
pub fn tasks_done_by_call<'a>(call: &CallEnded, triggers: &'a [Trigger]) -> Vec<&'a str> {
    if call.direction != CallDirection::Outbound || call.outcome != CallOutcome::Answered {
        return Vec::new();
    }
    triggers
        .iter()
        .filter(|t| {
            t.actions.iter().any(|a| {
                matches!(
                    a,
                    Action::Task {
                        done_on_callback: true,
                        ..
                    }
                )
            })
        })
        .map(|t| t.id.as_str())
        .collect()
}

/// A new order for a caller nobody answered: channel `phone`, method `missed-call`, no items
/// yet, its id saying where it came from (`call-<digits>-<unix time>`).
pub fn lead_order(call: &CallEnded, started: i64) -> Result<NewOrder, OrderIdError> {
    let digits = call.phone.as_str().trim_start_matches('+');
    let contact = CustomerContact {
        name: call.name.clone(),
        phone: Some(call.phone.clone()),
        email: None,
    };
    Ok(NewOrder {
        order_id: OrderId::parse(&format!("call-{digits}-{started}"))?,
        created_at: Some(rfc3339::format_utc(started)),
        currency: Currency::rub(),
        channel: "phone".to_owned(),
        order_method: LEAD_METHOD.to_owned(),
        customer_type: "person".to_owned(),
        customer: contact,
        items: Vec::new(),
        delivery: Delivery::default(),
        discount: 0,
        total: 0,
        utm: Utm::default(),
        comment: None,
        manager: None,
        actor: None,
        customer_language: None,
        customer_time_zone: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::Phone;

    fn call(direction: CallDirection, outcome: CallOutcome) -> CallEnded {
        CallEnded {
            phone: Phone::parse("+79001112233").expect("phone"),
            direction,
            outcome,
            started_at: None,
            order_id: None,
            name: None,
        }
    }

    /// 2026-11-24 10:00 Moscow, a Tuesday; 19:30 the same day.
    const OPEN: i64 = 1_795_503_600;
    const CLOSED: i64 = OPEN + 9 * 3600 + 1800;

    /// Monday to Friday 09:00–18:00, Moscow.
    fn decide(call: &CallEnded, started: i64) -> CallDecision {
        let day = Some(time::Opening::parse("09:00-18:00").expect("opening"));
        let hours = WorkingHours {
            days: [day, day, day, day, day, None, None],
        };
        on_call(call, started, (&hours, &TimeZone::moscow()))
    }

    #[test]
    fn unanswered_customer_call_is_missed_and_may_become_a_lead() {
        let decision = decide(&call(CallDirection::Inbound, CallOutcome::Busy), OPEN);
        assert_eq!(
            decision,
            CallDecision {
                after_hours: false,
                lead_if_unknown: true,
                reaction: CallReaction::Missed
            }
        );
        let closed = decide(&call(CallDirection::Inbound, CallOutcome::Missed), CLOSED);
        assert!(closed.after_hours);
    }

    #[test]
    fn our_unanswered_call_is_an_attempt_and_answered_calls_no_lead() {
        let ours = decide(&call(CallDirection::Outbound, CallOutcome::Missed), OPEN);
        assert_eq!(
            (ours.lead_if_unknown, ours.reaction),
            (false, CallReaction::Missed),
            "an attempt to reach the customer, never a lead"
        );
        let answered = decide(&call(CallDirection::Inbound, CallOutcome::Answered), OPEN);
        assert_eq!(
            (answered.lead_if_unknown, answered.reaction),
            (false, CallReaction::Answered)
        );
    }

    fn triggers(toml: &str) -> Vec<Trigger> {
        toml::from_str::<crate::automation::config::TriggersFile>(toml)
            .expect("triggers")
            .trigger
    }

    const CALLBACK_TRIGGERS: &str = r#"
        [[trigger]]
        id = "missed-call-callback"
        on = "call.missed"
        [[trigger.action]]
        type = "task"
        title = "Call back"
        assignee = "manager"
        done_on_callback = true

        [[trigger]]
        id = "no-answer-task"
        on = "order.status_changed"
        [[trigger.action]]
        type = "task"
        title = "Try again"
        assignee = "manager"
    "#;

    #[test]
    fn our_answered_call_does_the_tasks_configured_as_callbacks() {
        let triggers = triggers(CALLBACK_TRIGGERS);
        let answered = call(CallDirection::Outbound, CallOutcome::Answered);
        assert_eq!(
            tasks_done_by_call(&answered, &triggers),
            vec!["missed-call-callback"]
        );
    }

    #[test]
    fn other_calls_do_no_task() {
        let triggers = triggers(CALLBACK_TRIGGERS);
        for (direction, outcome) in [
            (CallDirection::Outbound, CallOutcome::Missed),
            (CallDirection::Outbound, CallOutcome::Busy),
            (CallDirection::Inbound, CallOutcome::Answered),
            (CallDirection::Inbound, CallOutcome::Missed),
        ] {
            assert!(
                tasks_done_by_call(&call(direction, outcome), &triggers).is_empty(),
                "{direction:?} {outcome:?}"
            );
        }
    }

    #[test]
    fn lead_order_is_named_after_the_number_and_the_time() {
        let lead =
            lead_order(&call(CallDirection::Inbound, CallOutcome::Missed), OPEN).expect("lead");
        assert_eq!(lead.order_id.as_str(), "call-79001112233-1795503600");
        assert_eq!(lead.created_at.as_deref(), Some("2026-11-24T07:00:00Z"));
        assert_eq!(
            (lead.channel.as_str(), lead.order_method.as_str()),
            ("phone", LEAD_METHOD)
        );
        assert!(lead.items.is_empty());
    }
}
