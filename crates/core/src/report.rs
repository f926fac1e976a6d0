//! Decisions about what the shop's CRM reports besides editing an order — payments and
//! phone calls — as data for the shell: which domain event to raise, whether a call needs a
//! lead order, and what that order looks like.

use crate::automation::event::{Call, DomainEvent, Payment};
use crate::automation::time::{self, rfc3339_utc, TimeZone, WorkingHours};
use crate::event::{
    CallDirection, CallEnded, CallOutcome, CustomerContact, Delivery, NewOrder, OrderId,
    OrderIdError, PaymentOutcome, PaymentUpdate, Utm,
};
use crate::money::Currency;

/// `order_method` of an order made from a missed call (O4).
pub const LEAD_METHOD: &str = "missed-call";

/// The domain event of a reported payment; refused when the payment is in another currency
/// than the order.
pub fn payment_event(report: &PaymentUpdate, order_currency: &str) -> Result<DomainEvent, String> {
    let currency = report.currency.as_str();
    if currency != order_currency {
        return Err(format!(
            "data.currency: the order is in {order_currency}, the payment in {currency}"
        ));
    }
    let body = Payment {
        order_id: report.order_id.clone(),
        amount: report.amount,
        currency: currency.to_owned(),
    };
    Ok(match report.status {
        PaymentOutcome::Succeeded => DomainEvent::PaymentSucceeded(body),
        PaymentOutcome::Failed => DomainEvent::PaymentFailed(body),
        PaymentOutcome::Refunded => DomainEvent::PaymentRefunded(body),
        PaymentOutcome::Authorised => DomainEvent::PaymentAuthorised(body),
    })
}

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
    /// Nothing: our own unanswered call is an operator's attempt, kept in the history.
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
            (false, true) => CallReaction::None,
        },
    }
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
        created_at: Some(rfc3339_utc(started)),
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
        customer_language: None,
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
    fn our_unanswered_call_raises_nothing_and_answered_calls_no_lead() {
        let ours = decide(&call(CallDirection::Outbound, CallOutcome::Missed), OPEN);
        assert_eq!(
            (ours.lead_if_unknown, ours.reaction),
            (false, CallReaction::None)
        );
        let answered = decide(&call(CallDirection::Inbound, CallOutcome::Answered), OPEN);
        assert_eq!(
            (answered.lead_if_unknown, answered.reaction),
            (false, CallReaction::Answered)
        );
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
