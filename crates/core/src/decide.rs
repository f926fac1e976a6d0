//! Decisions as data: what should happen for an event, for the shell to execute.

use serde::Serialize;

use crate::contact::Email;
use crate::event::{NewOrder, StatusChange};
use crate::message::{order_created_email, Language, RenderedEmail, ShopInfo};
use crate::status::{StatusPath, Transition, TransitionError};

/// Outbox template name of the C1 thank-you email.
pub const ORDER_CREATED_TEMPLATE: &str = "order_created";

/// An email to put into the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedEmail {
    /// Which template produced it, e.g. `order_created`.
    pub template: &'static str,
    /// The recipient.
    pub to: Email,
    /// The recipient's name, for the `To:` header.
    pub to_name: Option<String>,
    /// Subject and bodies.
    pub email: RenderedEmail,
}

/// C1: returns the thank-you email when the customer has an email address, None otherwise.
pub fn on_order_created(order: &NewOrder, shop: &ShopInfo, lang: Language) -> Option<QueuedEmail> {
    let to = order.customer.email.clone()?;
    Some(QueuedEmail {
        template: ORDER_CREATED_TEMPLATE,
        to,
        to_name: order.customer.name.clone(),
        email: order_created_email(order, shop, lang),
    })
}

/// What to do with a requested status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusDecision {
    /// Move the order and record the change.
    Apply {
        /// The current status.
        from: String,
        /// The new status.
        to: String,
    },
    /// The order already has this status: answer OK, change nothing.
    Unchanged,
    /// Keep the order as it is and record the refusal in its history.
    Refuse {
        /// The current status.
        from: String,
        /// The requested status.
        to: String,
        /// Why: unknown status or a transition the matrix forbids.
        error: TransitionError,
    },
}

/// Decides a status change against the path.
pub fn on_status_changed(
    current_status: &str,
    change: &StatusChange,
    path: &StatusPath,
) -> StatusDecision {
    let from = current_status.to_owned();
    let to = change.status.clone();
    match path.check(current_status, &change.status) {
        Ok(Transition::Changed) => StatusDecision::Apply { from, to },
        Ok(Transition::Unchanged) => StatusDecision::Unchanged,
        Err(error) => StatusDecision::Refuse { from, to, error },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{parse_order_event, OrderEvent, OrderId};

    fn new_order(customer: &str) -> NewOrder {
        let body = format!(
            r#"{{"type":"order.created","data":{{"order_id":"A-1001","currency":"RUB",
            "customer":{customer},"items":[{{"sku":"S","name":"Чай","qty":1,"price":100}}],"total":100}}}}"#
        );
        match parse_order_event(body.as_bytes()) {
            Ok(OrderEvent::Created(order)) => order,
            other => panic!("fixture refused: {other:?}"),
        }
    }

    fn change(status: &str) -> StatusChange {
        StatusChange {
            order_id: OrderId::parse("A-1001").unwrap(),
            status: status.into(),
            actor: None,
            reason: None,
            comment: None,
        }
    }

    #[test]
    fn customer_with_email_gets_the_thank_you_email() {
        let order = new_order(r#"{"name":"Анна","email":"Anna@Example.com"}"#);
        let queued = on_order_created(&order, &ShopInfo::default(), Language::Ru).unwrap();
        assert_eq!(queued.template, "order_created");
        assert_eq!(queued.to.as_str(), "anna@example.com");
        assert_eq!(queued.to_name.as_deref(), Some("Анна"));
        assert!(queued.email.subject.contains("A-1001"));
    }

    #[test]
    fn customer_without_email_gets_no_email() {
        let order = new_order(r#"{"phone":"89123456789"}"#);
        assert_eq!(
            on_order_created(&order, &ShopInfo::default(), Language::Ru),
            None
        );
    }

    #[test]
    fn allowed_status_change_is_applied() {
        let decision = on_status_changed("new", &change("confirmed"), &StatusPath::default_path());
        assert_eq!(
            decision,
            StatusDecision::Apply {
                from: "new".into(),
                to: "confirmed".into()
            }
        );
    }

    #[test]
    fn same_status_again_is_a_no_op() {
        let decision = on_status_changed(
            "confirmed",
            &change("confirmed"),
            &StatusPath::default_path(),
        );
        assert_eq!(decision, StatusDecision::Unchanged);
    }

    #[test]
    fn forbidden_status_change_is_refused_naming_both_statuses() {
        let decision = on_status_changed("new", &change("completed"), &StatusPath::default_path());
        let StatusDecision::Refuse { from, to, error } = decision else {
            panic!("not refused: {decision:?}");
        };
        assert_eq!((from.as_str(), to.as_str()), ("new", "completed"));
        assert!(matches!(error, TransitionError::Forbidden { .. }));
    }

    #[test]
    fn unknown_target_status_is_refused() {
        let decision = on_status_changed("new", &change("teleported"), &StatusPath::default_path());
        assert!(matches!(
            decision,
            StatusDecision::Refuse { error: TransitionError::UnknownStatus(s), .. } if s == "teleported"
        ));
    }
}
