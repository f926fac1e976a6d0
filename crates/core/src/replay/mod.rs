//! A dry run of an edited configuration against recorded trigger evaluations (issue 17).
//!
//! The shell records every evaluation it asks the engine for ([`Evaluation`]): the event,
//! exactly the facts the engine saw, and the decisions it carried out ([`Taken`], compact:
//! the trigger and each action's kind and key fields). [`replay`] evaluates each recorded
//! event again with another configuration, as the shell's run would — cooldowns, the triggers
//! after a discount or an assignment evaluated again with the facts recorded after it, delayed
//! triggers, cascaded events — and reports per trigger where it decides otherwise
//! ([`Report`]): the orders, customers and chats it would now fire for and no longer fire
//! for, the messages, tasks, status moves and other actions added, removed or changed, and a
//! trigger fired at another time ("at 10:10 instead of now"). Nothing is sent or stored: the
//! engine only plans.
//!
//! Limits, all said in the report's notes where they apply:
//! - **First-order cascades.** A recorded event that followed an action (a status move, a
//!   task, a timer, a code) is replayed when the edited configuration still takes that action,
//!   and reported as no longer happening — with everything it set off — when it does not. A
//!   status move or task only the edited configuration makes raises an event evaluated once,
//!   with the order's status patched in the facts; what that raises in turn is not followed.
//! - **Facts are as recorded.** A later event's facts include what the real configuration did
//!   before it (a tag, a field, a manager); the replay does not recompute them.
//! - **Delays.** A trigger the edited configuration delays is evaluated, for its actions, with
//!   the facts recorded at the event (or at the recorded delayed run), as if at the new time.
//! - **Cooldowns** are simulated over the recorded period: runs before it are unknown, so a
//!   run the record refused stays refused unless what blocked it lies in the period.

/// The `[thresholds]` entry of shop.toml that says how many days recorded evaluations are
/// kept (their facts hold personal data): the tick's retention pass deletes older ones.
pub const KEEP_DAYS_THRESHOLD: &str = "trigger_evaluations_keep_days";
/// How many days evaluations are kept when shop.toml does not say.
pub const DEFAULT_KEEP_DAYS: i64 = 90;
/// The longest keep period accepted (ten years).
pub const MAX_KEEP_DAYS: i64 = 3650;

/// How many days recorded evaluations are kept with this configuration.
pub fn keep_days(config: &crate::automation::config::Config) -> i64 {
    config
        .threshold(KEEP_DAYS_THRESHOLD)
        .unwrap_or(DEFAULT_KEEP_DAYS)
}

/// The `[thresholds]` entry that caps how many evaluations one dry run in the desk reads (and
/// one page of their export holds): a request must stay well inside hosts' limits.
pub const MAX_EVALUATIONS_THRESHOLD: &str = "replay_max_evaluations";
/// The cap when shop.toml does not say.
pub const DEFAULT_MAX_EVALUATIONS: i64 = 5_000;
/// The largest cap accepted.
pub const MAX_MAX_EVALUATIONS: i64 = 50_000;

/// How many evaluations one dry run in the desk reads with this configuration.
pub fn max_evaluations(config: &crate::automation::config::Config) -> i64 {
    config
        .threshold(MAX_EVALUATIONS_THRESHOLD)
        .unwrap_or(DEFAULT_MAX_EVALUATIONS)
}

mod record;
mod report;
mod run;
mod stored;
#[cfg(test)]
mod tests;

pub use record::{
    assignee_name, local_time, raised_event, ActionKey, Category, Evaluation, Kind, SubjectRef,
    Taken,
};
pub use report::{duration, text, Change, Changed, Counts, Fired, Report, Summary, TriggerReport};
pub use run::replay;
pub use stored::{in_period, read_lines, split_cause, StoredRow, COUNT_PERIOD, SELECT_PERIOD};
