//! One call folded from its events, whatever their order or repetition.
//!
//! PBXes send several events per call (Mango one per leg and state plus a summary, Zadarma a
//! start, ringing extensions, an answer and an end), and any of them may come twice or late.
//! [`CallState::apply`] merges one event in and says whether anything changed; applying the
//! same event again changes nothing. The rules:
//!
//! - Who and where (direction, customer number, line) fill what the state lacks. The event
//!   that finishes the call has the last word on them (Mango's summary sees the whole call,
//!   a leg only itself), and an internal direction (a transfer leg between extensions) gives
//!   way to a customer's inbound or outbound one until the call is finished.
//! - `started_at` is the earliest start seen, `answered_at` the earliest answer.
//! - The operator who answered wins over one who was only rung: of answering operators, the
//!   one with the earliest known answer (the first applied when times are unknown); of rung
//!   ones, the last applied, until the call is finished.
//! - Before the call is finished, `outcome` is provisional: an answer makes it answered, and a
//!   leg that ended says how it ended, never downgrading an answered call. The first
//!   `Finished` event sets the final outcome (its own, or answered if someone answered, or
//!   the provisional one), the end and the talk time; after it, leg, start and answer events
//!   never change the outcome. A second `Finished` event only raises the outcome to a better
//!   one (answered > busy > missed > failed) and the end and talk time to later/longer ones,
//!   so the same summary twice changes nothing.
//!
//! The shell reacts to a finished call exactly once: when [`finished_now`] says the event it
//! just applied finished it.

use super::{CallEvent, Direction, Outcome, Stage};

/// A call as its events so far describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallState {
    /// Who called whom.
    pub direction: Option<Direction>,
    /// The customer's number, as sent.
    pub customer_number: Option<String>,
    /// The shop's line.
    pub line: Option<String>,
    /// The operator's extension who answered (or was called last).
    pub operator: Option<String>,
    /// Unix seconds.
    pub started_at: Option<i64>,
    /// Unix seconds.
    pub answered_at: Option<i64>,
    /// Unix seconds.
    pub ended_at: Option<i64>,
    /// Talk time, seconds.
    pub duration: Option<i64>,
    /// The final outcome once finished; before, the provisional one the legs so far tell
    /// (see the module documentation).
    pub outcome: Option<Outcome>,
    /// The PBX said the whole call is over.
    pub finished: bool,
    /// Someone answered (an answer event, an answer time, or an answered end), even when the
    /// PBX gave no answer time (Zadarma's `NOTIFY_ANSWER`).
    pub answered: bool,
    /// `operator` is the one who answered, not one who was only rung.
    pub operator_answered: bool,
}

impl CallState {
    /// Folds one event in; `true` when the call changed.
    pub fn apply(&mut self, event: &CallEvent) -> bool {
        let before = self.clone();
        // The first Finished event has the last word; later ones only merge.
        let finishing = event.stage == Stage::Finished && !self.finished;
        self.merge_identity(event, finishing);
        self.merge_operator(event, finishing);
        self.merge_times(event);
        self.merge_outcome(event, finishing);
        *self != before
    }

    fn merge_identity(&mut self, event: &CallEvent, finishing: bool) {
        if let Some(new) = event.direction {
            let replace = finishing
                || match self.direction {
                    None => true,
                    Some(Direction::Internal) => !self.finished && new != Direction::Internal,
                    Some(_) => false,
                };
            if replace {
                self.direction = Some(new);
            }
        }
        fill(&mut self.customer_number, &event.customer_number, finishing);
        fill(&mut self.line, &event.line, finishing);
    }

    fn merge_operator(&mut self, event: &CallEvent, finishing: bool) {
        let Some(operator) = &event.operator else {
            return;
        };
        let answering = event.stage == Stage::Answered
            || (event.stage == Stage::Finished && event.outcome == Some(Outcome::Answered));
        // After the end, only an answered call's operator can still be told by an answer.
        let open = !self.finished || finishing || self.outcome == Some(Outcome::Answered);
        if answering && open {
            let earlier = match (answer_time(event), self.answered_at) {
                (Some(new), Some(old)) => new < old,
                _ => false,
            };
            if !self.operator_answered || earlier {
                self.operator = Some(operator.clone());
                self.operator_answered = true;
            }
        } else if !answering && !self.operator_answered && (!self.finished || finishing) {
            self.operator = Some(operator.clone());
        }
    }

    fn merge_times(&mut self, event: &CallEvent) {
        let start = event.started_at.or(if event.stage == Stage::Started {
            event.at
        } else {
            None
        });
        earliest(&mut self.started_at, start);
        earliest(&mut self.answered_at, answer_time(event));
        self.answered |= event.stage == Stage::Answered
            || event.answered_at.is_some()
            || event.outcome == Some(Outcome::Answered);
        if event.stage == Stage::Finished {
            latest(&mut self.ended_at, event.at);
            latest(&mut self.duration, event.duration);
        } else if self.duration.is_none() && !self.finished {
            self.duration = event.duration;
        }
    }

    fn merge_outcome(&mut self, event: &CallEvent, finishing: bool) {
        if finishing {
            let answered = self.answered.then_some(Outcome::Answered);
            self.outcome = event.outcome.or(answered).or(self.outcome);
            self.finished = true;
        } else if self.finished {
            if event.stage == Stage::Finished {
                if let Some(new) = event.outcome {
                    if self.outcome.is_none_or(|old| rank(new) > rank(old)) {
                        self.outcome = Some(new);
                    }
                }
            }
        } else if self.answered {
            self.outcome = Some(Outcome::Answered);
        } else if event.outcome.is_some() {
            self.outcome = event.outcome;
        }
    }
}

/// The call was not finished before the event and is after it: the one moment the shell
/// reacts to the finished call.
pub fn finished_now(before: &CallState, after: &CallState) -> bool {
    !before.finished && after.finished
}

/// The event's answer time: its own, or its time when it is the answer.
fn answer_time(event: &CallEvent) -> Option<i64> {
    event.answered_at.or(if event.stage == Stage::Answered {
        event.at
    } else {
        None
    })
}

/// Takes `new` when the state has nothing, or always when `authoritative`.
fn fill(slot: &mut Option<String>, new: &Option<String>, authoritative: bool) {
    if new.is_some() && (slot.is_none() || authoritative) {
        slot.clone_from(new);
    }
}

fn earliest(slot: &mut Option<i64>, new: Option<i64>) {
    if let Some(new) = new {
        *slot = Some(slot.map_or(new, |old| old.min(new)));
    }
}

fn latest(slot: &mut Option<i64>, new: Option<i64>) {
    if let Some(new) = new {
        *slot = Some(slot.map_or(new, |old| old.max(new)));
    }
}

/// Which of two final outcomes a repeated end keeps: the one where more happened.
fn rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Answered => 3,
        Outcome::Busy => 2,
        Outcome::Missed => 1,
        Outcome::Failed => 0,
    }
}
