//! Decisions about what the shop's CRM reports besides editing an order — payments and
//! phone calls — as data for the shell: which domain event to raise, whether a call needs a
//! lead order, and what that order looks like.

use crate::automation::config::{Action, Trigger};
use crate::automation::event::{Call, DomainEvent, Payment};
use crate::automation::time::{self, rfc3339, TimeZone, WorkingHours};
use crate::event::{
    CallDirection, CallEnded, CallOutcome, CustomerContact, Delivery, NewOrder, OrderId,
    OrderIdError, PaymentOutcome, Utm,
};
use crate::money::Currency;

/// `order_method` of an order made from a missed call (O4).
pub const LEAD_METHOD: &str = "missed-call";

/// The order a payment is for, as much as a payment needs to know of it.
#[derive(Debug, Clone, Copy)]
pub struct PaidOrder<'a> {
    /// The order's id.
    pub id: &'a OrderId,
    /// Its currency.
    pub currency: &'a str,
    /// What the customer owes, minor units.
    pub total: i64,
}

/// A payment outcome as reported, in the terms the decision needs.
#[derive(Debug, Clone, Copy)]
pub struct PaymentReport<'a> {
    /// What happened.
    pub outcome: PaymentOutcome,
    /// Minor units, when reported.
    pub amount: Option<i64>,
    /// ISO code, when reported.
    pub currency: Option<&'a str>,
}

/// What a reported payment does to its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentVerdict {
    /// Raise this event: the triggers react to it.
    Apply(DomainEvent),
    /// Keep it and ask a person: it does not match the order.
    Hold(PaymentProblem),
    /// Keep it in the history only: the payment already reached a later outcome (a failure
    /// reported after the success, a success after the refund), or the order is already paid
    /// and this is a failure (of another payment, or another source's copy), so the order
    /// never moves backwards and no message is repeated.
    Superseded(PaymentOutcome),
}

/// What was recorded before a report, as the decision needs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Earlier<'a> {
    /// The outcomes of the same payment's other reports (same source and payment id), in any
    /// order of arrival.
    pub outcomes: &'a [PaymentOutcome],
    /// The order is already paid, whatever payment or source paid it: a success was applied
    /// to it and no refund since, or its payment status says `paid`.
    pub order_paid: bool,
}

/// How test (sandbox) payments are taken: `accept_test_payments`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TestPayments {
    /// Kept in the history only (the default): a sandbox payment settles no real order.
    #[default]
    Ignore,
    /// Settled like real ones (while setting up a shop against the acquirer's sandbox).
    Accept,
}

impl TestPayments {
    /// `accept_test_payments`: `true` accepts, `false` or empty ignores.
    pub fn parse(value: &str) -> Result<TestPayments, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "false" => Ok(TestPayments::Ignore),
            "true" => Ok(TestPayments::Accept),
            _ => Err("must be true or false".to_owned()),
        }
    }

    /// Whether a payment the acquirer marked `test` is kept without touching its order: no
    /// status, no message, no task (state `test_ignored`).
    pub fn ignores(self, test: bool) -> bool {
        test && self == TestPayments::Ignore
    }
}

/// Why a payment cannot be applied to its order without a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentProblem {
    /// Paid in another currency than the order's.
    CurrencyMismatch {
        /// The order's currency.
        order: String,
        /// The payment's.
        paid: String,
    },
    /// The money taken (or held) is not the order's total.
    AmountMismatch {
        /// The order's total.
        total: i64,
        /// The payment's amount.
        paid: i64,
    },
    /// Money taken (or held), but the acquirer did not say how much (a Sber callback
    /// configured without `amount`): a person checks it in the acquirer's cabinet.
    AmountUnknown,
}

impl PaymentProblem {
    /// `currency_mismatch`, `amount_mismatch` or `amount_unknown`, as stored with the payment.
    pub fn code(&self) -> &'static str {
        match self {
            PaymentProblem::CurrencyMismatch { .. } => "currency_mismatch",
            PaymentProblem::AmountMismatch { .. } => "amount_mismatch",
            PaymentProblem::AmountUnknown => "amount_unknown",
        }
    }
}

/// Decides what a payment does to `order`, given what was recorded before (in any order of
/// arrival). The currency must be the order's; money taken or held must be the order's total, and known
/// (refunds and failures may be any amount). A failure after the money arrived — of this
/// payment, of another one (the customer abandoned one and paid with another) or another
/// source's copy — a success or hold reported again, or anything but a refund after the
/// refund, is [`PaymentVerdict::Superseded`].
pub fn judge_payment(
    report: PaymentReport<'_>,
    order: PaidOrder<'_>,
    earlier: Earlier<'_>,
) -> PaymentVerdict {
    use PaymentOutcome::{Authorised, Failed, Refunded, Succeeded};
    let later_than = |outcomes: &[PaymentOutcome]| {
        earlier
            .outcomes
            .iter()
            .find(|e| outcomes.contains(e))
            .copied()
    };
    let superseded_by = match report.outcome {
        Failed | Succeeded => later_than(&[Refunded, Succeeded]),
        Authorised => later_than(&[Refunded, Succeeded, Authorised]),
        Refunded => None,
    };
    if let Some(by) = superseded_by {
        return PaymentVerdict::Superseded(by);
    }
    // A failure never moves a paid order, whichever payment or source it comes from.
    if report.outcome == Failed && earlier.order_paid {
        return PaymentVerdict::Superseded(Succeeded);
    }
    if let Err(problem) = check_payment(report, order) {
        return PaymentVerdict::Hold(problem);
    }
    let body = Payment {
        order_id: order.id.clone(),
        amount: report.amount.unwrap_or(order.total),
        currency: order.currency.to_owned(),
    };
    PaymentVerdict::Apply(match report.outcome {
        Succeeded => DomainEvent::PaymentSucceeded(body),
        Failed => DomainEvent::PaymentFailed(body),
        Refunded => DomainEvent::PaymentRefunded(body),
        Authorised => DomainEvent::PaymentAuthorised(body),
    })
}

/// Whether a payment matches its order: the same currency (when reported) and, for money
/// taken or held, the order's total (an unknown amount does not match). Also answers an acquirer's "may this
/// payment go ahead?" (CloudPayments `Check`).
pub fn check_payment(
    report: PaymentReport<'_>,
    order: PaidOrder<'_>,
) -> Result<(), PaymentProblem> {
    if let Some(paid) = report.currency.filter(|c| *c != order.currency) {
        return Err(PaymentProblem::CurrencyMismatch {
            order: order.currency.to_owned(),
            paid: paid.to_owned(),
        });
    }
    let takes_money = matches!(
        report.outcome,
        PaymentOutcome::Succeeded | PaymentOutcome::Authorised
    );
    match report.amount {
        Some(paid) if takes_money && paid != order.total => Err(PaymentProblem::AmountMismatch {
            total: order.total,
            paid,
        }),
        None if takes_money => Err(PaymentProblem::AmountUnknown),
        _ => Ok(()),
    }
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

    fn paid(outcome: PaymentOutcome, amount: i64, currency: &str) -> PaymentReport<'_> {
        PaymentReport {
            outcome,
            amount: Some(amount),
            currency: Some(currency),
        }
    }

    fn judge(report: PaymentReport<'_>, earlier: &[PaymentOutcome]) -> PaymentVerdict {
        judge_with(report, earlier, false)
    }

    fn judge_with(
        report: PaymentReport<'_>,
        outcomes: &[PaymentOutcome],
        order_paid: bool,
    ) -> PaymentVerdict {
        let id = OrderId::parse("A-1").expect("id");
        let order = PaidOrder {
            id: &id,
            currency: "RUB",
            total: 1_290_000,
        };
        let earlier = Earlier {
            outcomes,
            order_paid,
        };
        judge_payment(report, order, earlier)
    }

    #[test]
    fn full_payment_in_the_order_currency_is_applied() {
        let verdict = judge(paid(PaymentOutcome::Succeeded, 1_290_000, "RUB"), &[]);
        assert!(matches!(
            verdict,
            PaymentVerdict::Apply(DomainEvent::PaymentSucceeded(ref p)) if p.amount == 1_290_000
        ));
    }

    #[test]
    fn money_taken_without_an_amount_is_held_for_a_person() {
        let unknown = |outcome| PaymentReport {
            outcome,
            amount: None,
            currency: None,
        };
        assert_eq!(
            judge(unknown(PaymentOutcome::Succeeded), &[]),
            PaymentVerdict::Hold(PaymentProblem::AmountUnknown)
        );
        assert_eq!(
            judge(unknown(PaymentOutcome::Authorised), &[]),
            PaymentVerdict::Hold(PaymentProblem::AmountUnknown)
        );
        assert!(matches!(
            judge(unknown(PaymentOutcome::Failed), &[]),
            PaymentVerdict::Apply(DomainEvent::PaymentFailed(_))
        ));
    }

    #[test]
    fn a_failure_never_moves_an_order_already_paid_by_another_payment() {
        use PaymentOutcome::{Failed, Succeeded};
        let full = |o| paid(o, 1_290_000, "RUB");
        assert_eq!(
            judge_with(full(Failed), &[], true),
            PaymentVerdict::Superseded(Succeeded)
        );
        assert!(matches!(
            judge_with(full(Failed), &[], false),
            PaymentVerdict::Apply(DomainEvent::PaymentFailed(_))
        ));
        assert!(
            matches!(
                judge_with(paid(PaymentOutcome::Refunded, 500, "RUB"), &[], true),
                PaymentVerdict::Apply(DomainEvent::PaymentRefunded(_))
            ),
            "a refund still applies"
        );
    }

    #[test]
    fn test_payments_are_ignored_unless_accepted() {
        assert_eq!(TestPayments::parse(""), Ok(TestPayments::Ignore));
        assert_eq!(TestPayments::parse(" False"), Ok(TestPayments::Ignore));
        assert_eq!(TestPayments::parse("true"), Ok(TestPayments::Accept));
        assert!(TestPayments::parse("yes").is_err());
        assert!(TestPayments::Ignore.ignores(true));
        assert!(!TestPayments::Ignore.ignores(false));
        assert!(!TestPayments::Accept.ignores(true));
    }

    #[test]
    fn other_amount_or_currency_is_held_for_a_person() {
        assert_eq!(
            judge(paid(PaymentOutcome::Succeeded, 100_000, "RUB"), &[]),
            PaymentVerdict::Hold(PaymentProblem::AmountMismatch {
                total: 1_290_000,
                paid: 100_000
            })
        );
        assert_eq!(
            judge(paid(PaymentOutcome::Authorised, 1_290_000, "USD"), &[]),
            PaymentVerdict::Hold(PaymentProblem::CurrencyMismatch {
                order: "RUB".into(),
                paid: "USD".into()
            })
        );
    }

    #[test]
    fn partial_refunds_and_failures_may_be_any_amount() {
        assert!(matches!(
            judge(
                paid(PaymentOutcome::Refunded, 500, "RUB"),
                &[PaymentOutcome::Succeeded]
            ),
            PaymentVerdict::Apply(DomainEvent::PaymentRefunded(_))
        ));
        assert!(matches!(
            judge(
                paid(PaymentOutcome::Failed, 1, "RUB"),
                &[PaymentOutcome::Authorised]
            ),
            PaymentVerdict::Apply(DomainEvent::PaymentFailed(_))
        ));
    }

    #[test]
    fn a_payment_never_moves_backwards() {
        use PaymentOutcome::{Authorised, Failed, Refunded, Succeeded};
        let full = |o| paid(o, 1_290_000, "RUB");
        assert_eq!(
            judge(full(Failed), &[Succeeded]),
            PaymentVerdict::Superseded(Succeeded)
        );
        assert_eq!(
            judge(full(Succeeded), &[Refunded]),
            PaymentVerdict::Superseded(Refunded)
        );
        assert_eq!(
            judge(full(Authorised), &[Succeeded]),
            PaymentVerdict::Superseded(Succeeded)
        );
        assert_eq!(
            judge(full(Succeeded), &[Authorised, Succeeded]),
            PaymentVerdict::Superseded(Succeeded)
        );
        assert!(matches!(
            judge(full(Succeeded), &[Failed, Authorised]),
            PaymentVerdict::Apply(_)
        ));
    }
}
