//! Tasks for staff: a to-do with a due time, tied to an order and to the reason it exists
//! (a trigger id, or a system reason such as `outbox:exhausted`).

use orderpath_core::task::TaskPlan;
use serde_json::{json, Value};

use crate::clock::Timestamp;
use crate::db::{get_text, int, opt_text, req_int, req_text, text, Db, DbError};

/// A task to create.
#[derive(Debug, Clone)]
pub struct NewTask<'a> {
    /// Makes the task unique (one callback task per call, say); `None` for no such limit.
    pub dedupe_key: Option<String>,
    /// The order it concerns.
    pub order_id: Option<&'a str>,
    /// What kind of work: `callback`, `message_failed`, `overdue`, …
    pub kind: &'a str,
    /// What to do, for a person.
    pub title: &'a str,
    /// Why it exists: a trigger id or a system reason.
    pub reason: &'a str,
    /// `staff:<id>` or `role:<id>`.
    pub assignee: &'a str,
    /// When it is due.
    pub due_at: Timestamp,
}

/// Who gets a system task about an order: its manager (`staff:<id>`), or the `manager` role
/// when it has none.
pub fn manager_or_role(manager: Option<&str>) -> String {
    manager.map_or_else(|| "role:manager".to_owned(), |m| format!("staff:{m}"))
}

/// Creates a task; `None` when one with the same dedupe key exists.
pub fn create(db: &Db, task: &NewTask<'_>, now: Timestamp) -> Result<Option<i64>, DbError> {
    let row = db.row(
        "INSERT INTO tasks (dedupe_key, order_id, kind, title, reason, assignee, status, due_at,
                            created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING id",
        &[
            opt_text(task.dedupe_key.as_deref()),
            opt_text(task.order_id),
            text(task.kind),
            text(task.title),
            text(task.reason),
            text(task.assignee),
            text(task.due_at.to_rfc3339()),
            text(now.to_rfc3339()),
        ],
    )?;
    row.map(|r| req_int(&r, 0)).transpose()
}

/// Creates the task the core planned, for `(order, assignee)`, due now; `None` when one with
/// the same key exists.
pub fn create_planned(
    db: &Db,
    plan: &TaskPlan,
    (order_id, assignee): (Option<&str>, &str),
    now: Timestamp,
) -> Result<Option<i64>, DbError> {
    create(
        db,
        &NewTask {
            dedupe_key: Some(plan.dedupe_key.clone()),
            order_id,
            kind: plan.kind,
            title: &plan.title,
            reason: &plan.reason,
            assignee,
            due_at: now,
        },
        now,
    )
}

/// Filters for listing tasks.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only this assignee.
    pub assignee: Option<String>,
    /// Only `open` or `done`.
    pub status: Option<String>,
    /// Only tasks due before this RFC 3339 instant.
    pub due_before: Option<String>,
    /// Only this order's tasks.
    pub order_id: Option<String>,
    /// These assignees' tasks come first (a person's `staff:<id>` and `role:<role>`s).
    pub first_for: Vec<String>,
    /// Only tasks of the `first_for` assignees.
    pub only_first: bool,
}

const COLUMNS: &str = "id, order_id, kind, title, reason, assignee, status, due_at, created_at,
                       done_at, done_by";

/// Lists tasks by due time, at most `limit`.
/// Open tasks come before done ones, the `first_for` assignees' before the rest, and then
/// the earliest due (the most overdue) first.
pub fn list(db: &Db, filter: &TaskFilter, limit: i64) -> Result<Vec<Value>, DbError> {
    let mine = serde_json::to_string(&filter.first_for).unwrap_or_else(|_| "[]".into());
    let result = db.execute(
        &format!(
            "SELECT {COLUMNS} FROM tasks
             WHERE (?1 IS NULL OR assignee = ?1) AND (?2 IS NULL OR status = ?2)
               AND (?3 IS NULL OR due_at < ?3) AND (?4 IS NULL OR order_id = ?4)
               AND (?7 = 0 OR assignee IN (SELECT value FROM json_each(?6)))
             ORDER BY status = 'done', assignee NOT IN (SELECT value FROM json_each(?6)),
                      due_at, id
             LIMIT ?5"
        ),
        &[
            opt_text(filter.assignee.as_deref()),
            opt_text(filter.status.as_deref()),
            opt_text(filter.due_before.as_deref()),
            opt_text(filter.order_id.as_deref()),
            int(limit),
            text(mine),
            int(i64::from(filter.only_first)),
        ],
    )?;
    result.rows.iter().map(to_json).collect()
}

/// Marks a task done (again is fine: the first completion is kept). `None` if there is no
/// such task.
pub fn complete(
    db: &Db,
    id: i64,
    by: Option<&str>,
    now: Timestamp,
) -> Result<Option<Value>, DbError> {
    db.execute(
        "UPDATE tasks SET status = 'done', done_at = ?, done_by = ?
         WHERE id = ? AND status = 'open'",
        &[text(now.to_rfc3339()), opt_text(by), int(id)],
    )?;
    let row = db.row(
        &format!("SELECT {COLUMNS} FROM tasks WHERE id = ?"),
        &[int(id)],
    )?;
    row.as_ref().map(to_json).transpose()
}

/// A task's assignee and order; `None` if there is no such task.
pub fn assignee(db: &Db, id: i64) -> Result<Option<(String, Option<String>)>, DbError> {
    let row = db.row(
        "SELECT assignee, order_id FROM tasks WHERE id = ?",
        &[int(id)],
    )?;
    row.map(|r| Ok((req_text(&r, 0)?, get_text(&r, 1)?)))
        .transpose()
}

/// Marks the open task with this dedupe key done (nothing when there is none).
pub fn complete_by_key(db: &Db, key: &str, by: &str, now: Timestamp) -> Result<(), DbError> {
    db.execute(
        "UPDATE tasks SET status = 'done', done_at = ?, done_by = ?
         WHERE dedupe_key = ? AND status = 'open'",
        &[text(now.to_rfc3339()), text(by), text(key)],
    )?;
    Ok(())
}

fn to_json(row: &spin_sdk::sqlite::RowResult) -> Result<Value, DbError> {
    Ok(json!({
        "id": req_int(row, 0)?,
        "order_id": get_text(row, 1)?,
        "kind": req_text(row, 2)?,
        "title": req_text(row, 3)?,
        "reason": req_text(row, 4)?,
        "assignee": req_text(row, 5)?,
        "status": req_text(row, 6)?,
        "due_at": req_text(row, 7)?,
        "created_at": req_text(row, 8)?,
        "done_at": get_text(row, 9)?,
        "done_by": get_text(row, 10)?,
    }))
}
