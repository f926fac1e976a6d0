//! What a payment an acquirer or the CRM reports does to its order: applied (the triggers
//! react), held for a person (it does not match the order), or kept in the history only (it
//! would move a paid order backwards, or it is a sandbox payment).

use crate::automation::event::{DomainEvent, Payment};
use crate::event::{OrderId, PaymentOutcome};

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
pub struct PaymentNotice<'a> {
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
    report: PaymentNotice<'_>,
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
    report: PaymentNotice<'_>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn paid(outcome: PaymentOutcome, amount: i64, currency: &str) -> PaymentNotice<'_> {
        PaymentNotice {
            outcome,
            amount: Some(amount),
            currency: Some(currency),
        }
    }

    fn judge(report: PaymentNotice<'_>, earlier: &[PaymentOutcome]) -> PaymentVerdict {
        judge_with(report, earlier, false)
    }

    fn judge_with(
        report: PaymentNotice<'_>,
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
        let unknown = |outcome| PaymentNotice {
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
