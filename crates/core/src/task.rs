//! Tasks the system gives people on its own, outside the triggers: a payment that does not
//! match its order or names no known order, a carrier's report its API contradicts or a parcel
//! we cannot match, a message that will never arrive. What each says, what it is keyed by and why it
//! exists are decided here; the shell stores them (`orderpath_shell::repo::tasks`) with an assignee
//! and a due time.

use crate::event::PaymentOutcome;
use crate::message::Language;
use crate::money::{format_amount, Currency};
use crate::payment::PaymentProblem;

/// A task to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPlan {
    /// One task per this key, however often the cause is reported.
    pub dedupe_key: String,
    /// What kind of work: `payment_check`, …
    pub kind: &'static str,
    /// What to do, for a person.
    pub title: String,
    /// Why it exists, e.g. `payments:amount_mismatch`.
    pub reason: String,
}

/// A stored payment report, as a task about it needs it.
#[derive(Debug, Clone, Copy)]
pub struct PaymentRef<'a> {
    /// The payment's row (`payments.id`).
    pub row: i64,
    /// Where it came from (`stripe`, `orders`, …).
    pub source: &'a str,
    /// The provider's payment id.
    pub payment_id: &'a str,
}

/// A payment that does not match its order (`PaymentVerdict::Hold`): the order's manager
/// checks it.
pub fn payment_held(
    order_id: &str,
    problem: &PaymentProblem,
    currency: &str,
    payment: PaymentRef<'_>,
) -> TaskPlan {
    TaskPlan {
        dedupe_key: format!("payment-held:{}", payment.row),
        kind: "payment_check",
        title: format!(
            "Payment for order №{order_id} needs checking: {} ({} payment {})",
            describe_problem(problem, currency),
            payment.source,
            payment.payment_id
        ),
        reason: format!("payments:{}", problem.code()),
    }
}

/// The key of the task about payment row `row` naming no known order: it is done when the
/// order arrives.
pub fn payment_without_order_key(row: i64) -> String {
    format!("payment-unknown-order:{row}")
}

/// A payment naming an order that is not (yet) known, or none: a manager finds the order.
pub fn payment_without_order(
    payment: PaymentRef<'_>,
    order_ref: Option<&str>,
    outcome: PaymentOutcome,
    (amount, currency): (Option<i64>, Option<&str>),
) -> TaskPlan {
    let named = match order_ref {
        Some(reference) => format!("for order №{reference}, which is not in Orderpath yet"),
        None => "naming no order".to_owned(),
    };
    let amount = match (amount, currency.and_then(|c| Currency::parse(c).ok())) {
        (Some(amount), Some(currency)) => format_amount(amount, &currency, Language::En),
        (Some(amount), None) => format!("{amount} (minor units)"),
        (None, _) => "an unknown amount".to_owned(),
    };
    TaskPlan {
        dedupe_key: payment_without_order_key(payment.row),
        kind: "payment_check",
        title: format!(
            "{} payment {} ({}, {amount}) {named}: find the order",
            payment.source,
            payment.payment_id,
            outcome.as_str(),
        ),
        reason: "payments:unknown_order".to_owned(),
    }
}

/// A carrier (`carrier`) reported parcel `parcel` in `status`, but its API says otherwise
/// (`why`): a manager checks the parcel, and the webhook token if nobody at the carrier sent it.
pub fn delivery_contradicted(carrier: &str, parcel: &str, status: &str, why: &str) -> TaskPlan {
    TaskPlan {
        dedupe_key: format!("delivery-unconfirmed:{carrier}:{parcel}:{status}"),
        kind: "delivery_check",
        title: format!(
            "{carrier} reported parcel {parcel} {status}, but its API says otherwise ({why}): \
             check the parcel, and change cdek_webhook_token if nobody at CDEK sent it"
        ),
        reason: "deliveries:unconfirmed".to_owned(),
    }
}

/// A parcel no order of ours matches (one task per parcel, whatever it reports): a manager
/// finds its order. `order_ref` is the order the carrier named, if any.
pub fn parcel_without_order(
    carrier: &str,
    parcel: &str,
    order_ref: Option<&str>,
    carrier_status: &str,
) -> TaskPlan {
    let named = order_ref
        .map(|r| format!(" for order №{r}"))
        .unwrap_or_default();
    TaskPlan {
        dedupe_key: format!("delivery-unknown:{carrier}:{parcel}"),
        kind: "delivery_check",
        title: format!(
            "{carrier} parcel {parcel}{named} is not in Orderpath ({carrier_status}): find its order"
        ),
        reason: "deliveries:unknown_parcel".to_owned(),
    }
}

/// A shop platform's order (or form) that came signed but could not be taken: a person enters
/// it by hand. `key` is the platform's delivery id; `what` its topic.
pub fn platform_delivery_refused(platform: &str, key: &str, what: &str, why: &str) -> TaskPlan {
    TaskPlan {
        dedupe_key: format!("platform-refused:{platform}:{key}"),
        kind: "order_check",
        title: format!(
            "{platform} sent {what} that Orderpath could not take ({why}): enter the order by hand"
        ),
        reason: "platforms:refused".to_owned(),
    }
}

/// A message to a customer (outbox row `row`, over `channel`) that will never arrive: a person
/// contacts them another way.
pub fn message_failed(row: i64, channel: &str, recipient: &str, error: &str) -> TaskPlan {
    if channel == "webhook" {
        return TaskPlan {
            dedupe_key: format!("outbox-failed:{row}"),
            kind: "message_failed",
            title: format!(
                "The event for the shop's {recipient} endpoint was not delivered ({error}); \
                 check the endpoint, then send it again from the outbox"
            ),
            reason: "outbox:failed".to_owned(),
        };
    }
    let what = match channel {
        "sms" => "SMS",
        "telegram" => "Telegram note",
        _ => "Email",
    };
    TaskPlan {
        dedupe_key: format!("outbox-failed:{row}"),
        kind: "message_failed",
        title: format!(
            "{what} to {recipient} was not delivered ({error}); contact the customer another way"
        ),
        reason: "outbox:failed".to_owned(),
    }
}

/// The problem in words, amounts in the order's currency (the task's title, the history's
/// reason).
pub fn describe_problem(problem: &PaymentProblem, currency: &str) -> String {
    let money = |minor: i64| match Currency::parse(currency) {
        Ok(currency) => format_amount(minor, &currency, Language::En),
        Err(_) => format!("{minor} (minor units)"),
    };
    match problem {
        PaymentProblem::CurrencyMismatch { order, paid } => {
            format!("paid in {paid}, the order is in {order}")
        }
        PaymentProblem::AmountMismatch { total, paid } => {
            format!(
                "paid {}, the order total is {}",
                money(*paid),
                money(*total)
            )
        }
        PaymentProblem::AmountUnknown => {
            "the acquirer did not say how much was paid: check the payment in its merchant \
             cabinet before marking the order paid"
                .to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRIPE: PaymentRef<'static> = PaymentRef {
        row: 7,
        source: "stripe",
        payment_id: "pi_1",
    };

    #[test]
    fn a_payment_of_another_amount_is_checked_by_the_manager_once() {
        let problem = PaymentProblem::AmountMismatch {
            total: 210_000,
            paid: 100_000,
        };
        assert_eq!(
            payment_held("A-1", &problem, "RUB", STRIPE),
            TaskPlan {
                dedupe_key: "payment-held:7".into(),
                kind: "payment_check",
                title: "Payment for order №A-1 needs checking: paid ₽1,000.00, the order total \
                        is ₽2,100.00 (stripe payment pi_1)"
                    .into(),
                reason: "payments:amount_mismatch".into(),
            }
        );
    }

    #[test]
    fn a_payment_in_another_currency_says_both() {
        let problem = PaymentProblem::CurrencyMismatch {
            order: "RUB".into(),
            paid: "USD".into(),
        };
        let task = payment_held("A-1", &problem, "RUB", STRIPE);
        assert!(
            task.title.contains("paid in USD, the order is in RUB"),
            "{}",
            task.title
        );
        assert_eq!(task.reason, "payments:currency_mismatch");
    }

    #[test]
    fn carrier_tasks_name_the_parcel_and_are_one_per_parcel() {
        let contradicted = delivery_contradicted("cdek", "1001", "delivered", "API: in transit");
        assert_eq!(
            contradicted.dedupe_key,
            "delivery-unconfirmed:cdek:1001:delivered"
        );
        assert!(contradicted
            .title
            .starts_with("cdek reported parcel 1001 delivered, but its API says otherwise"));
        let unknown = parcel_without_order("cdek", "1001", Some("A-9"), "ACCEPTED");
        assert_eq!(
            unknown.title,
            "cdek parcel 1001 for order №A-9 is not in Orderpath (ACCEPTED): find its order"
        );
        assert_eq!(unknown.dedupe_key, "delivery-unknown:cdek:1001");
    }

    #[test]
    fn an_undelivered_message_asks_to_reach_the_customer_another_way() {
        let task = message_failed(3, "sms", "+79001112233", "invalid number");
        assert_eq!(
            task.title,
            "SMS to +79001112233 was not delivered (invalid number); contact the customer \
             another way"
        );
        assert_eq!(
            (task.dedupe_key.as_str(), task.kind, task.reason.as_str()),
            ("outbox-failed:3", "message_failed", "outbox:failed")
        );
    }

    #[test]
    fn a_payment_for_an_unknown_order_asks_to_find_it() {
        let task = payment_without_order(
            STRIPE,
            Some("A-9"),
            PaymentOutcome::Succeeded,
            (Some(129_000), Some("RUB")),
        );
        assert_eq!(
            task.title,
            "stripe payment pi_1 (succeeded, ₽1,290.00) for order №A-9, which is not in \
             Orderpath yet: find the order"
        );
        assert_eq!(task.dedupe_key, payment_without_order_key(7));
        let anonymous = payment_without_order(STRIPE, None, PaymentOutcome::Refunded, (None, None));
        assert!(
            anonymous
                .title
                .ends_with("(refunded, an unknown amount) naming no order: find the order"),
            "{}",
            anonymous.title
        );
    }
}
