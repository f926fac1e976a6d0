//! What a replay found: per trigger, the evaluations where the edited configuration decides
//! otherwise, with a summary; as JSON (serde) and as text for people.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::record::{local_time, ActionKey, Category, SubjectRef};
use crate::automation::config::Config;
use crate::automation::time::TimeZone;

/// Whether and when a trigger ran (or would run) for an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fired", rename_all = "snake_case")]
pub enum Fired {
    /// It did not match.
    No,
    /// It ran at once.
    Now,
    /// It was delayed to `at` (unix seconds).
    At {
        /// When its timer fires.
        at: i64,
    },
    /// It matched, but its cooldown had not passed.
    Cooldown,
}

impl Fired {
    /// It ran, or would run, at once or later.
    pub fn fires(self) -> bool {
        matches!(self, Fired::Now | Fired::At { .. })
    }
}

/// An action whose details differ (a task's due time, a message's text or hold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    /// As it was.
    pub before: ActionKey,
    /// As it would be.
    pub after: ActionKey,
}

/// One trigger in one evaluation, decided otherwise by the edited configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The trigger.
    pub trigger: String,
    /// The recorded evaluation it belongs to (for a first-order cascade: the evaluation
    /// whose action would raise it).
    pub evaluation: i64,
    /// When the event came (unix seconds).
    pub at: i64,
    /// The event's name.
    pub event: String,
    /// The order, customer or chat.
    pub subject: SubjectRef,
    /// What happened.
    pub before: Fired,
    /// What the edited configuration does.
    pub after: Fired,
    /// Actions only the edited configuration takes.
    pub added: Vec<ActionKey>,
    /// Actions it no longer takes.
    pub removed: Vec<ActionKey>,
    /// Actions it takes with other details.
    pub changed: Vec<Changed>,
    /// Actions both take (what moves, when only the timing differs).
    pub same: Vec<ActionKey>,
    /// How far to trust it: estimates, first-order cascades, events no longer raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Everything one trigger does otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerReport {
    /// The trigger.
    pub trigger: String,
    /// Its description in the edited configuration; empty when it is not there.
    pub description: String,
    /// False when the edited configuration has it switched off or removed.
    pub enabled: bool,
    /// Orders, customers and chats it would now fire for where it did not.
    pub now_fires_for: Vec<SubjectRef>,
    /// Where it fired and would no longer.
    pub no_longer_fires_for: Vec<SubjectRef>,
    /// Each evaluation it differs in, in time order.
    pub changes: Vec<Change>,
}

/// Added, removed and changed actions of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Only with the edited configuration.
    pub added: usize,
    /// No longer.
    pub removed: usize,
    /// With other details.
    pub changed: usize,
}

/// The report's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Recorded evaluations read.
    pub evaluations: usize,
    /// Evaluated again with the edited configuration.
    pub replayed: usize,
    /// Recorded evaluations of events the edited configuration no longer raises (a status
    /// move it no longer makes, and what followed it).
    pub no_longer_raised: usize,
    /// Events only the edited configuration raises, evaluated once (first-order).
    pub first_order: usize,
    /// Triggers that differ.
    pub triggers: usize,
    /// Trigger decisions that differ.
    pub changes: usize,
    /// A trigger fires where it did not.
    pub now_fire: usize,
    /// A trigger fired and would not.
    pub no_longer_fire: usize,
    /// A trigger fires either way, at another time.
    pub timing: usize,
    /// Messages, staff notes and chat replies.
    pub messages: Counts,
    /// Tasks.
    pub tasks: Counts,
    /// Status moves and cancellations.
    pub status_moves: Counts,
    /// Every other action.
    pub other: Counts,
}

/// The result of a replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Totals.
    pub summary: Summary,
    /// Each trigger that differs, by id.
    pub triggers: Vec<TriggerReport>,
    /// What the replay could not know, once each.
    pub notes: Vec<String>,
}

impl Report {
    /// True when the edited configuration decides everything as it was decided.
    pub fn no_difference(&self) -> bool {
        self.triggers.is_empty()
    }
}

/// Groups the changes per trigger and counts them.
pub(super) fn build(
    config: &Config,
    mut summary: Summary,
    mut changes: Vec<Change>,
    notes: Vec<String>,
) -> Report {
    changes.sort_by(|a, b| {
        (a.at, a.evaluation, &a.trigger, &a.subject, &a.event).cmp(&(
            b.at,
            b.evaluation,
            &b.trigger,
            &b.subject,
            &b.event,
        ))
    });
    let mut per_trigger: BTreeMap<String, Vec<Change>> = BTreeMap::new();
    for change in changes {
        count(&mut summary, &change);
        per_trigger
            .entry(change.trigger.clone())
            .or_default()
            .push(change);
    }
    summary.triggers = per_trigger.len();
    let triggers = per_trigger
        .into_iter()
        .map(|(id, changes)| {
            let trigger = config.trigger(&id);
            let subjects = |f: fn(&Change) -> bool| {
                let mut list: Vec<SubjectRef> = changes
                    .iter()
                    .filter(|c| f(c))
                    .map(|c| c.subject.clone())
                    .collect();
                list.sort();
                list.dedup();
                list
            };
            TriggerReport {
                description: trigger.map(|t| t.description.clone()).unwrap_or_default(),
                enabled: trigger.is_some_and(|t| t.enabled),
                now_fires_for: subjects(|c| !c.before.fires() && c.after.fires()),
                no_longer_fires_for: subjects(|c| c.before.fires() && !c.after.fires()),
                trigger: id,
                changes,
            }
        })
        .collect();
    let mut notes = notes;
    notes.sort();
    notes.dedup();
    Report {
        summary,
        triggers,
        notes,
    }
}

fn count(summary: &mut Summary, change: &Change) {
    summary.changes += 1;
    match (change.before.fires(), change.after.fires()) {
        (false, true) => summary.now_fire += 1,
        (true, false) => summary.no_longer_fire += 1,
        (true, true) if change.before != change.after => summary.timing += 1,
        _ => {}
    }
    for key in &change.added {
        counts_of(summary, key).added += 1;
    }
    for key in &change.removed {
        counts_of(summary, key).removed += 1;
    }
    for pair in &change.changed {
        counts_of(summary, &pair.after).changed += 1;
    }
}

fn counts_of<'s>(summary: &'s mut Summary, key: &ActionKey) -> &'s mut Counts {
    match key.category() {
        Category::Message => &mut summary.messages,
        Category::Task => &mut summary.tasks,
        Category::Status => &mut summary.status_moves,
        Category::Other => &mut summary.other,
    }
}

/// The report for people, times in the shop's zone.
pub fn text(report: &Report, tz: &TimeZone) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let _ = writeln!(
        out,
        "Dry run: {} recorded evaluation(s), {} replayed with the edited configuration.",
        s.evaluations, s.replayed
    );
    if report.no_difference() {
        out.push_str("No difference: every trigger decides as it did.\n");
    }
    for t in &report.triggers {
        out.push('\n');
        let state = if t.enabled {
            String::new()
        } else if t.description.is_empty() {
            " (not in the edited configuration)".into()
        } else {
            " (switched off)".into()
        };
        let _ = writeln!(out, "{}{state}", t.trigger);
        if !t.description.is_empty() {
            let _ = writeln!(out, "  {}", t.description);
        }
        if !t.now_fires_for.is_empty() {
            let _ = writeln!(out, "  now fires for: {}", subjects(&t.now_fires_for));
        }
        if !t.no_longer_fires_for.is_empty() {
            let _ = writeln!(
                out,
                "  no longer fires for: {}",
                subjects(&t.no_longer_fires_for)
            );
        }
        for c in &t.changes {
            let _ = writeln!(
                out,
                "  {} · {} at {}: {}",
                c.subject.describe(),
                c.event,
                local_time(c.at, tz),
                timing(c, tz)
            );
            for key in &c.same {
                let _ = writeln!(out, "      = {}", key.describe(tz));
            }
            for key in &c.added {
                let _ = writeln!(out, "      + {}", key.describe(tz));
            }
            for key in &c.removed {
                let _ = writeln!(out, "      - {}", key.describe(tz));
            }
            for pair in &c.changed {
                let _ = writeln!(
                    out,
                    "      ~ {} → {}",
                    pair.before.describe(tz),
                    pair.after.describe(tz)
                );
            }
            for note in &c.notes {
                let _ = writeln!(out, "      note: {note}");
            }
        }
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "Summary: {} trigger(s) differ in {} decision(s): {} now fire, {} no longer fire, {} at \
         another time.",
        s.triggers, s.changes, s.now_fire, s.no_longer_fire, s.timing
    );
    for (name, c) in [
        ("messages", s.messages),
        ("tasks", s.tasks),
        ("status moves", s.status_moves),
        ("other actions", s.other),
    ] {
        let _ = writeln!(
            out,
            "  {name}: {} added, {} removed, {} changed",
            c.added, c.removed, c.changed
        );
    }
    if s.no_longer_raised > 0 || s.first_order > 0 {
        let _ = writeln!(
            out,
            "  events: {} no longer raised, {} raised only by the edited configuration \
             (first-order)",
            s.no_longer_raised, s.first_order
        );
    }
    if !report.notes.is_empty() {
        out.push_str("Notes:\n");
        for note in &report.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    out
}

fn subjects(list: &[SubjectRef]) -> String {
    list.iter()
        .map(SubjectRef::describe)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `now → 2026-11-24 10:10 (+10 min)`, `fires now (did not)`, `no longer fires`.
fn timing(c: &Change, tz: &TimeZone) -> String {
    let when = |fired: Fired| match fired {
        Fired::No => "does not fire".to_owned(),
        Fired::Now => "now".to_owned(),
        Fired::At { at } => format!("{} (+{})", local_time(at, tz), duration(at - c.at)),
        Fired::Cooldown => "held by its cooldown".to_owned(),
    };
    match (c.before, c.after) {
        (before, after) if before == after => format!("fires {} (other actions)", when(after)),
        (Fired::No | Fired::Cooldown, after) => {
            format!("would fire {} (did not: {})", when(after), when(c.before))
        }
        (before, Fired::No | Fired::Cooldown) => {
            format!(
                "would no longer fire (fired {}; now {})",
                when(before),
                when(c.after)
            )
        }
        (before, after) => format!("would fire {} instead of {}", when(after), when(before)),
    }
}

/// `10 min`, `2 h 5 min`, `3 d 4 h`.
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}
