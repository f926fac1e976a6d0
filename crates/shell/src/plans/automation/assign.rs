//! V1: executing `assign_manager`. The loads are read and the manager written in the
//! request's transaction (`BEGIN IMMEDIATE`): concurrent new orders take the write lock one
//! after the other, so each counts the orders the ones before it were given, and nobody is
//! given more than their capacity.

use orderpath_core::assign::{self, Choice, Request};
use orderpath_core::automation::engine::PlannedTask;
use orderpath_core::automation::event::DomainEvent;
use orderpath_core::automation::facts::Facts;
use serde_json::json;

use super::{Run, Step};
use crate::db::DbError;
use crate::repo::assignment;
use crate::repo::orders::Outcome;

/// Chooses the order's manager by the shop's rules and records why in the history; nobody
/// available leaves it without one, with the reasons and the `unassigned` task.
pub(super) fn assign_manager(
    run: &Run<'_>,
    step: &Step<'_>,
    order_id: &str,
    facts: &Facts,
    unassigned: Option<PlannedTask>,
) -> Result<Option<DomainEvent>, DbError> {
    let Some(order) = facts.order.as_ref() else {
        return Ok(None);
    };
    let at = (order_id, step);
    let shop = &run.config.shop;
    let finished = run.config.statuses.path.finished();
    let states = assignment::staff_states(run.db, &assign::candidates(shop), &finished)?;
    let previous = assignment::previous_manager(run.db, order_id)?;
    let choice = assign::choose(
        shop,
        &Request {
            order,
            customer: facts.customer.as_ref(),
            previous_manager: previous.as_deref(),
            states: &states,
            now: facts.now,
        },
    );
    match choice {
        Choice::Chosen { staff, reason, .. } => {
            if !assignment::set_manager(run.db, order_id, &staff, run.now)? {
                let reason = "the order was given a manager meanwhile";
                let new = Some(json!(staff));
                run.record(at, "manager", (None, new), Outcome::Refused, Some(reason))?;
                return Ok(None);
            }
            let new = Some(json!(staff));
            run.record(at, "manager", (None, new), Outcome::Applied, Some(&reason))?;
            Ok(None)
        }
        Choice::Nobody { reason } => {
            run.record(at, "manager", (None, None), Outcome::Refused, Some(&reason))?;
            match unassigned {
                Some(task) => run.task(step, task.title, task.assignee, task.due_at),
                None => Ok(None),
            }
        }
    }
}
