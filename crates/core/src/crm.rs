//! Decisions about what the shop's CRM sends on the order webhook: which status a new order
//! starts in, whether a named status may be used, and what a reported payment is. The
//! `order-events` component executes them; a refusal is answered `422 invalid_event`.

use crate::automation::config::StatusConfig;
use crate::event::PaymentUpdate;
use crate::event::ReportedPayment;
use crate::order::INITIAL_STATUS;
use crate::status::StatusPath;

/// Why an event cannot be taken as sent: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// The field, e.g. `data.currency`.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

/// The status a new order starts in, when the configured path has it.
pub fn initial_status(path: &StatusPath) -> Option<&'static str> {
    path.get(INITIAL_STATUS).map(|_| INITIAL_STATUS)
}

/// Whether `code` may be named in an event: a status of the configured path (not one that is
/// switched off or unknown).
pub fn named_status(statuses: &StatusConfig, code: &str) -> Result<(), Invalid> {
    if statuses.path.get(code).is_some() {
        return Ok(());
    }
    let state = if statuses.disabled.contains(code) {
        "switched off in config/statuses.toml"
    } else {
        "not a configured status"
    };
    Err(Invalid {
        field: "data.status",
        message: format!("{code:?} is {state}"),
    })
}

/// `order.payment` as a payment report to settle like an acquirer's: it must be in the
/// order's currency (`order_currency`). Without the acquirer's payment id, the webhook's own
/// id (`event_id`) makes it one payment of its own. The CRM reports no test payments.
pub fn payment(
    report: &PaymentUpdate,
    order_currency: &str,
    event_id: &str,
) -> Result<ReportedPayment, Invalid> {
    let currency = report.currency.as_str();
    if currency != order_currency {
        return Err(Invalid {
            field: "data.currency",
            message: format!("the order is in {order_currency}, the payment in {currency}"),
        });
    }
    Ok(ReportedPayment {
        order_ref: Some(report.order_id.as_str().to_owned()),
        payment_id: report
            .payment_id
            .clone()
            .unwrap_or_else(|| format!("event:{event_id}")),
        operation_id: None,
        outcome: report.status,
        amount: Some(report.amount),
        currency: Some(currency.to_owned()),
        reason: report.reason.clone(),
        test: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{OrderId, PaymentOutcome};
    use crate::money::Currency;
    use crate::status::StatusDef;
    use std::collections::{BTreeMap, BTreeSet};

    fn update(currency: &str, payment_id: Option<&str>) -> PaymentUpdate {
        PaymentUpdate {
            order_id: OrderId::parse("A-1").expect("id"),
            status: PaymentOutcome::Succeeded,
            amount: 210_000,
            currency: Currency::parse(currency).expect("currency"),
            payment_id: payment_id.map(str::to_owned),
            reason: None,
        }
    }

    #[test]
    fn a_payment_in_the_order_currency_is_settled_as_reported() {
        let reported = payment(&update("RUB", Some("pay-1")), "RUB", "evt-1").expect("ok");
        assert_eq!(reported.order_ref.as_deref(), Some("A-1"));
        assert_eq!(reported.payment_id, "pay-1");
        assert_eq!(
            (reported.amount, reported.currency.as_deref(), reported.test),
            (Some(210_000), Some("RUB"), false)
        );
    }

    #[test]
    fn a_payment_without_an_id_is_one_payment_per_event() {
        let reported = payment(&update("RUB", None), "RUB", "evt-1").expect("ok");
        assert_eq!(reported.payment_id, "event:evt-1");
    }

    #[test]
    fn a_payment_in_another_currency_is_refused() {
        assert_eq!(
            payment(&update("USD", None), "RUB", "evt-1").unwrap_err(),
            Invalid {
                field: "data.currency",
                message: "the order is in RUB, the payment in USD".into(),
            }
        );
    }

    fn statuses(codes: &[&str], disabled: &[&str]) -> StatusConfig {
        let defs = codes
            .iter()
            .map(|code| StatusDef {
                code: (*code).into(),
                group: "g".into(),
                label_ru: (*code).into(),
                label_en: (*code).into(),
                waits_for_stock: false,
            })
            .collect();
        StatusConfig {
            path: StatusPath::new(defs, &[]).expect("path"),
            timing: BTreeMap::new(),
            disabled: disabled
                .iter()
                .map(|c| (*c).to_owned())
                .collect::<BTreeSet<_>>(),
        }
    }

    #[test]
    fn only_configured_statuses_may_be_named() {
        let config = statuses(&["new", "confirmed"], &["delivery-problem"]);
        assert_eq!(named_status(&config, "confirmed"), Ok(()));
        assert_eq!(
            named_status(&config, "delivery-problem")
                .unwrap_err()
                .to_string(),
            "data.status: \"delivery-problem\" is switched off in config/statuses.toml"
        );
        assert_eq!(
            named_status(&config, "lost").unwrap_err().message,
            "\"lost\" is not a configured status"
        );
    }

    #[test]
    fn new_orders_start_in_new_when_the_path_has_it() {
        assert_eq!(initial_status(&statuses(&["new"], &[]).path), Some("new"));
        assert_eq!(initial_status(&statuses(&["fresh"], &[]).path), None);
    }
}
