//! Decisions as data: what should happen for an event, for the shell to execute.

use crate::event::StatusChange;
use crate::status::{StatusPath, Transition, TransitionError};

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
    use crate::event::OrderId;

    fn change(status: &str) -> StatusChange {
        StatusChange {
            order_id: OrderId::parse("A-1001").unwrap(),
            status: status.into(),
            actor: None,
            reason: None,
            comment: None,
            fields: Vec::new(),
        }
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
