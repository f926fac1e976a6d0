//! The caller, their tasks, and the outbox.

use orderpath_core::analytics;
use orderpath_shell::http::{Answer, ApiError};
use orderpath_shell::inbound::Handled;
use orderpath_shell::outbound::outbox::{self, MessageFilter, ResendError};
use orderpath_shell::repo::tasks::{self, TaskFilter};
use orderpath_shell::staff::forbidden;
use serde_json::{json, Value};

use crate::bad_param;
use orderpath_shell::staff::Call;

/// The most tasks one listing returns.
const MAX_TASKS: i64 = 500;
/// The most messages one listing returns.
const MAX_MESSAGES: i64 = 500;

/// `GET /api/me`: who is signed in, and what the desk needs to draw the shop's words.
pub fn me(call: &Call<'_>) -> Answer {
    let shop = &call.config.shop;
    let lang = shop.language;
    let statuses: Vec<Value> = call
        .config
        .statuses
        .path
        .statuses()
        .iter()
        .map(|s| json!({ "code": s.code, "group": s.group, "label": s.label(lang) }))
        .collect();
    // The path's groups in order, then the cancelled ones.
    let path = &call.config.statuses.path;
    let groups: Vec<Value> = analytics::funnel_groups(path)
        .into_iter()
        .chain(std::iter::once(analytics::CANCEL_GROUP))
        .map(|code| json!({ "code": code, "label": analytics::group_label(code, lang) }))
        .collect();
    let mut flags: Vec<&str> = call
        .config
        .triggers
        .iter()
        .filter(|t| t.on == "order.operator_flag")
        .filter_map(|t| t.when.flag.as_ref())
        .flat_map(|f| f.0.iter().map(String::as_str))
        .collect();
    flags.sort_unstable();
    flags.dedup();
    let staff: Vec<Value> = shop
        .staff
        .iter()
        .map(|s| json!({ "id": s.id, "name": s.name, "roles": s.roles }))
        .collect();
    let roles: Vec<Value> = shop
        .roles
        .iter()
        .map(|(id, role)| json!({ "id": id, "name": role.name }))
        .collect();
    Answer::json(
        200,
        &json!({
            "staff": call.caller.to_json(),
            "shop": {
                "name": shop.info.name,
                "language": lang.as_str(),
                "time_zone": shop.time_zone.name(),
            },
            "statuses": statuses,
            "groups": groups,
            "flags": flags,
            "team": staff,
            "roles": roles,
        }),
    )
    .with_header("cache-control", "no-store")
}

/// `GET /api/tasks`: the caller's own first (`mine=true`: only theirs), open before done,
/// the most overdue first.
pub fn list_tasks(call: &Call<'_>) -> Result<Answer, ApiError> {
    let inbound = call.inbound;
    let status = inbound.param("status").map(str::to_owned);
    if let Some(status) = &status {
        if status != "open" && status != "done" {
            return Err(bad_param("status", "must be open or done"));
        }
    }
    let only_first = match inbound.param("mine") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(bad_param("mine", "must be true or false")),
    };
    let due_before = inbound
        .param("due_before")
        .map(|v| {
            normalise_instant(v).ok_or_else(|| {
                bad_param(
                    "due_before",
                    "must be an RFC 3339 time in UTC, e.g. 2026-11-24T18:00:00Z",
                )
            })
        })
        .transpose()?;
    let filter = TaskFilter {
        assignee: inbound.param("assignee").map(str::to_owned),
        status,
        due_before,
        order_id: inbound.param("order").map(str::to_owned),
        first_for: call.caller.assignees(),
        only_first,
    };
    let list = tasks::list(&call.db, &filter, MAX_TASKS)?;
    Ok(Answer::json(200, &json!({ "tasks": list })))
}

/// `POST /api/tasks/{id}/done`: by its assignee (or someone with the assigned role), or a
/// supervisor. The admin token may name who did it (`{"by": "<staff id>"}`).
pub fn complete_task(call: &Call<'_>, id: &str) -> Result<Answer, ApiError> {
    let not_found = || ApiError::new(404, "not_found", format!("no task {id}"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let by = if call.caller.admin {
        by_field(&call.inbound.body)?
    } else {
        None
    }
    .unwrap_or_else(|| call.caller.id.clone());
    let done = call.db.transaction(|db| {
        let Some((assignee, _)) = tasks::assignee(db, id)? else {
            return Err(not_found());
        };
        if !call.caller.may_complete(&assignee) {
            return Err(forbidden("this task is someone else's"));
        }
        tasks::complete(db, id, Some(&by), call.now)?.ok_or_else(not_found)
    })?;
    Ok(Answer::json(200, &done))
}

fn by_field(body: &[u8]) -> Result<Option<String>, ApiError> {
    if body.is_empty() {
        return Ok(None);
    }
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(400, "malformed_json", e.to_string()))?;
    match body.get("by") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(by)) if !by.trim().is_empty() && by.len() <= 64 => {
            Ok(Some(by.trim().to_owned()))
        }
        Some(_) => Err(ApiError::new(
            422,
            "invalid_request",
            "by: must be a staff id of 1-64 characters",
        )),
    }
}

/// `GET /api/messages`: the outbox, newest first.
pub fn list_messages(call: &Call<'_>) -> Result<Answer, ApiError> {
    let inbound = call.inbound;
    let one_of = |name: &str, allowed: &[&str]| -> Result<Option<String>, ApiError> {
        match inbound.param(name) {
            Some(value) if allowed.contains(&value) => Ok(Some(value.to_owned())),
            Some(_) => Err(bad_param(
                name,
                &format!("must be one of: {}", allowed.join(", ")),
            )),
            None => Ok(None),
        }
    };
    let filter = MessageFilter {
        status: one_of("status", &["pending", "sending", "sent", "failed"])?,
        order_id: inbound.param("order").map(str::to_owned),
        channel: one_of("channel", &["email", "sms", "telegram", "webhook"])?,
    };
    let list = outbox::list(&call.db, &filter, MAX_MESSAGES)?;
    Ok(Answer::json(200, &json!({ "messages": list })))
}

/// `POST /api/messages/{id}/resend`: a failed message goes out again, at once unless an
/// older one to the same recipient waits (then the tick sends it after that one).
pub fn resend_message(call: Call<'_>, id: &str) -> Result<Handled, ApiError> {
    let not_found = || ApiError::new(404, "not_found", format!("no message {id}"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let (message, claimed) = match call.db.transaction(|db| outbox::resend(db, id, call.now)) {
        Ok(resent) => resent,
        Err(ResendError::NotFound(_)) => return Err(not_found()),
        Err(error @ ResendError::NotFailed { .. }) => {
            return Err(ApiError::new(409, "not_failed", error.to_string()))
        }
        Err(ResendError::Db(error)) => return Err(error.into()),
    };
    eprintln!("message {id} resent by {}", call.caller.id);
    Ok(Handled {
        answer: Answer::json(200, &message),
        queued: claimed.then(|| (call.db, vec![id])),
    })
}

/// Accepts `YYYY-MM-DDTHH:MM:SSZ` (what the API returns) so string comparison in SQL is exact.
fn normalise_instant(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    if bytes.len() != 20 {
        return None;
    }
    let shape = bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':'
        && bytes[19] == b'Z';
    let digits = [0..4, 5..7, 8..10, 11..13, 14..16, 17..19]
        .into_iter()
        .all(|r| bytes[r].iter().all(u8::is_ascii_digit));
    (shape && digits).then(|| value.to_owned())
}
