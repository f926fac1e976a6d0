//! How recorded evaluations are read back from the `trigger_evaluations` table (migration 27),
//! shared by the shell (the desk's dry run, the export) and `orderpath-check --replay`, which
//! reads a copy of the database with its own SQLite: one query text, one row reader.

use super::record::{ActionKey, Evaluation, Kind, SubjectRef, Taken};
use crate::automation::time::rfc3339;

/// The evaluations made in `[?1, ?2)` (RFC 3339 UTC times) and everything that followed them
/// (cascaded events, the `after` and `delayed` evaluations that continue them), whenever it
/// happened; ids above `?3`, at most `?4`, in id order. The columns are [`StoredRow`]'s.
pub const SELECT_PERIOD: &str = "WITH RECURSIVE picked(id) AS (
        SELECT id FROM trigger_evaluations WHERE at >= ?1 AND at < ?2
        UNION
        SELECT e.id FROM trigger_evaluations e JOIN picked p ON e.parent_id = p.id
    )
    SELECT id, at, source, event_id, kind, parent_id, trigger_id, raised_by, order_id,
           customer_id, conversation_id, event, facts, decisions
    FROM trigger_evaluations
    WHERE id IN (SELECT id FROM picked) AND id > ?3
    ORDER BY id LIMIT ?4";

/// How many evaluations [`SELECT_PERIOD`] would read for `[?1, ?2)`.
pub const COUNT_PERIOD: &str = "WITH RECURSIVE picked(id) AS (
        SELECT id FROM trigger_evaluations WHERE at >= ?1 AND at < ?2
        UNION
        SELECT e.id FROM trigger_evaluations e JOIN picked p ON e.parent_id = p.id
    )
    SELECT COUNT(*) FROM picked";

/// One row of [`SELECT_PERIOD`], as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredRow {
    /// `id`.
    pub id: i64,
    /// `at`, RFC 3339 UTC.
    pub at: String,
    /// `source`.
    pub source: String,
    /// `event_id`.
    pub event_id: String,
    /// `kind`: `event`, `after` or `delayed`.
    pub kind: String,
    /// `parent_id`.
    pub parent_id: Option<i64>,
    /// `trigger_id`.
    pub trigger_id: Option<String>,
    /// `raised_by`, an [`ActionKey`] as JSON.
    pub raised_by: Option<String>,
    /// `order_id`.
    pub order_id: Option<String>,
    /// `customer_id`.
    pub customer_id: Option<i64>,
    /// `conversation_id`.
    pub conversation_id: Option<i64>,
    /// `event`, the domain event as JSON.
    pub event: String,
    /// `facts`, as JSON.
    pub facts: String,
    /// `decisions`, a list of [`Taken`] as JSON.
    pub decisions: String,
}

impl StoredRow {
    /// The evaluation, or what in the row cannot be read.
    pub fn into_evaluation(self) -> Result<Evaluation, String> {
        let id = self.id;
        let bad = |what: &str, e: &dyn std::fmt::Display| format!("evaluation {id}: {what}: {e}");
        let at = rfc3339::parse_utc(&self.at).ok_or_else(|| bad("at", &"not an RFC 3339 time"))?;
        let kind = Kind::parse(&self.kind).ok_or_else(|| bad("kind", &self.kind))?;
        let raised_by = match &self.raised_by {
            Some(json) => {
                Some(serde_json::from_str::<ActionKey>(json).map_err(|e| bad("raised_by", &e))?)
            }
            None => None,
        };
        Ok(Evaluation {
            id,
            at,
            source: self.source,
            event_id: self.event_id,
            kind,
            parent: self.parent_id,
            trigger: self.trigger_id,
            raised_by,
            subject: SubjectRef {
                order: self.order_id,
                customer: self.customer_id,
                chat: self.conversation_id,
            },
            event: serde_json::from_str(&self.event).map_err(|e| bad("event", &e))?,
            facts: serde_json::from_str(&self.facts).map_err(|e| bad("facts", &e))?,
            decisions: serde_json::from_str::<Vec<Taken>>(&self.decisions)
                .map_err(|e| bad("decisions", &e))?,
        })
    }
}

/// `orders:msg_1` → (`orders`, `msg_1`): the source and the event's id within it.
pub fn split_cause(cause: &str) -> (&str, &str) {
    cause.split_once(':').unwrap_or((cause, ""))
}

/// Reads a file of evaluations, one JSON object a line (what `GET /api/replay/evaluations`
/// exports); blank lines are skipped. Errors name the line.
pub fn read_lines(text: &str) -> Result<Vec<Evaluation>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str::<Evaluation>(line).map_err(|e| format!("line {}: {e}", i + 1))
        })
        .collect()
}

/// What [`SELECT_PERIOD`] picks, from a list read elsewhere (a file): the evaluations made in
/// `[from, to)` (unix seconds) and everything that followed them, in id order.
pub fn in_period(evaluations: Vec<Evaluation>, from: i64, to: i64) -> Vec<Evaluation> {
    let mut picked: std::collections::BTreeSet<i64> = evaluations
        .iter()
        .filter(|e| e.at >= from && e.at < to)
        .map(|e| e.id)
        .collect();
    // Children come after their parents in id order, so one pass by id finds every descendant.
    let mut sorted = evaluations;
    sorted.sort_by_key(|e| e.id);
    for e in &sorted {
        if e.parent.is_some_and(|p| picked.contains(&p)) {
            picked.insert(e.id);
        }
    }
    sorted.retain(|e| picked.contains(&e.id));
    sorted.dedup_by_key(|e| e.id);
    sorted
}
