//! `/api/...`: the JSON API for shop staff and their tools, behind the admin bearer token.
//!
//! - `GET /api/tasks?assignee=&status=&due_before=&order=` — tasks by due time.
//! - `POST /api/tasks/{id}/done` — mark a task done (optional body `{"by": "<staff id>"}`).
//! - `GET /api/messages?status=&order=&channel=` — the outbox, newest first, with attempts.
//! - `POST /api/messages/{id}/resend` — a failed message goes back in the queue; the next
//!   tick sends it.
//! - `GET /api/reports/calls?from=YYYY-MM-DD&to=YYYY-MM-DD` — V9: answered and missed calls
//!   per operator and per shop-local day, and how missed calls were returned.
//! - `GET /api/calls?phone=&limit=` — V8: the call log, newest first, each call with the
//!   customer it came from and their orders in progress.

mod analytics;
mod customers;
mod orders;

use orderpath_shell::clock::Timestamp;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, Answer, ApiError, Inbound};
use orderpath_shell::inbound::calls;
use orderpath_shell::outbound::outbox::{self, MessageFilter, ResendError};
use orderpath_shell::repo::tasks::{self, TaskFilter};
use orderpath_shell::{config, inbound::auth};
use serde_json::{json, Value};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

/// The most tasks one listing returns.
const MAX_TASKS: i64 = 500;
/// The most messages one listing returns.
const MAX_MESSAGES: i64 = 500;

#[http_component]
fn handle_api(request: IncomingRequest, out: ResponseOutparam) {
    let answer = route(request).unwrap_or_else(|error| error.to_answer());
    http::respond(out, &answer);
}

fn route(request: IncomingRequest) -> Result<Answer, ApiError> {
    let inbound = http::read_request(request)?;
    auth::require_token(
        &inbound,
        &config::secret("admin_token")?,
        auth::TokenIn::Header,
    )?;
    let segments: Vec<&str> = inbound
        .path
        .trim_start_matches("/api/")
        .trim_end_matches('/')
        .split('/')
        .collect();
    match segments.as_slice() {
        ["tasks"] => {
            inbound.require_method("GET")?;
            list_tasks(&inbound)
        }
        ["tasks", id, "done"] => {
            inbound.require_method("POST")?;
            complete_task(&inbound, id)
        }
        ["messages"] => {
            inbound.require_method("GET")?;
            list_messages(&inbound)
        }
        ["messages", id, "resend"] => {
            inbound.require_method("POST")?;
            resend_message(id)
        }
        ["calls"] => {
            inbound.require_method("GET")?;
            list_calls(&inbound)
        }
        ["reports", "calls"] => {
            inbound.require_method("GET")?;
            analytics::calls_report(&inbound, 1)
        }
        ["orders"] => {
            inbound.require_method("GET")?;
            orders::list(&inbound)
        }
        ["orders", id] => {
            inbound.require_method("GET")?;
            orders::card(&inbound, id)
        }
        ["customers"] => {
            inbound.require_method("GET")?;
            customers::search(&inbound)
        }
        ["customers", id] => {
            inbound.require_method("GET")?;
            customers::card(&inbound, id)
        }
        ["analytics", name] => {
            inbound.require_method("GET")?;
            analytics::report(&inbound, name)
        }
        _ => Err(ApiError::new(
            404,
            "not_found",
            format!("no endpoint at {}", inbound.path),
        )),
    }
}

fn list_tasks(inbound: &Inbound) -> Result<Answer, ApiError> {
    let status = inbound.param("status").map(str::to_owned);
    if let Some(status) = &status {
        if status != "open" && status != "done" {
            return Err(bad_param("status", "must be open or done"));
        }
    }
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
    };
    let db = Db::open(config::synchronous()?)?;
    let list = tasks::list(&db, &filter, MAX_TASKS)?;
    Ok(Answer::json(200, &json!({ "tasks": list })))
}

fn complete_task(inbound: &Inbound, id: &str) -> Result<Answer, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::new(404, "not_found", format!("no task {id}")))?;
    let by = if inbound.body.is_empty() {
        None
    } else {
        let body: Value = serde_json::from_slice(&inbound.body)
            .map_err(|e| ApiError::new(400, "malformed_json", e.to_string()))?;
        match body.get("by") {
            None | Some(Value::Null) => None,
            Some(Value::String(by)) if !by.trim().is_empty() && by.len() <= 64 => {
                Some(by.trim().to_owned())
            }
            Some(_) => {
                return Err(ApiError::new(
                    422,
                    "invalid_request",
                    "by: must be a staff id of 1-64 characters",
                ))
            }
        }
    };
    let db = Db::open(config::synchronous()?)?;
    let done = db.transaction(|db| tasks::complete(db, id, by.as_deref(), Timestamp::now()))?;
    match done {
        Some(task) => Ok(Answer::json(200, &task)),
        None => Err(ApiError::new(404, "not_found", format!("no task {id}"))),
    }
}

fn list_messages(inbound: &Inbound) -> Result<Answer, ApiError> {
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
        channel: one_of("channel", &["email", "sms", "telegram"])?,
    };
    let db = Db::open(config::synchronous()?)?;
    let list = outbox::list(&db, &filter, MAX_MESSAGES)?;
    Ok(Answer::json(200, &json!({ "messages": list })))
}

fn resend_message(id: &str) -> Result<Answer, ApiError> {
    let not_found = || ApiError::new(404, "not_found", format!("no message {id}"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let db = Db::open(config::synchronous()?)?;
    match db.transaction(|db| outbox::resend(db, id, Timestamp::now())) {
        Ok(message) => Ok(Answer::json(200, &message)),
        Err(ResendError::NotFound(_)) => Err(not_found()),
        Err(error @ ResendError::NotFailed { .. }) => {
            Err(ApiError::new(409, "not_failed", error.to_string()))
        }
        Err(ResendError::Db(error)) => Err(error.into()),
    }
}

fn bad_param(name: &str, message: &str) -> ApiError {
    ApiError::new(400, "invalid_query", format!("{name}: {message}"))
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

/// V8: calls, newest first, with the caller's customer record and orders in progress.
fn list_calls(inbound: &Inbound) -> Result<Answer, ApiError> {
    let phone = match inbound.param("phone") {
        Some(raw) => Some(
            orderpath_core::contact::Phone::parse(raw)
                .map_err(|_| bad_param("phone", "not a phone number"))?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    let limit = match inbound.param("limit") {
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| bad_param("limit", "must be 1 to 500"))?,
        None => 100,
    };
    let config = orderpath_shell::plans::automation::load_config()?;
    let finished = config.statuses.path.finished();
    let db = Db::open(config::synchronous()?)?;
    let calls = calls::list(&db, phone.as_deref(), limit, &finished)?;
    Ok(Answer::json(200, &json!({ "calls": calls })))
}
