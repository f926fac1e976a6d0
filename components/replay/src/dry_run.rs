//! The dry run of an edited `triggers.toml` (issue 17, docs/replay.md), for supervisors:
//!
//! - `GET /api/replay/triggers` — the deployed `triggers.toml` as written, to edit;
//! - `POST /api/replay` `{"triggers", "from"?, "to"?}` — the core's replay of the recorded
//!   evaluations of those shop-local days with the edited triggers; nothing is sent or written;
//! - `GET /api/replay/evaluations?from=&to=&after=` — the recorded evaluations as JSON lines,
//!   for `orderpath-check --replay --events`.

use orderpath_core::analytics::{date, Period};
use orderpath_core::replay::{max_evaluations, replay, text};
use orderpath_shell::clock::Timestamp;
use orderpath_shell::http::{Answer, ApiError};
use orderpath_shell::plans::automation;
use orderpath_shell::repo::evaluations;
use orderpath_shell::staff::Call;
use serde_json::{json, Value};

use crate::bad_param;

/// Days a period covers when it names none: today and the six days before.
const DEFAULT_DAYS: i64 = 7;

/// `GET /api/replay/triggers`.
pub fn triggers(call: &Call<'_>) -> Result<Answer, ApiError> {
    call.caller.require_supervisor()?;
    let Some(text) = automation::triggers_source()? else {
        return Err(ApiError::new(
            404,
            "not_found",
            "the deployed configuration was compiled without its triggers.toml: run spin build",
        ));
    };
    Ok(Answer::json(
        200,
        &json!({ "file": "triggers.toml", "triggers": text,
                 "keep_days": orderpath_core::replay::keep_days(call.config) }),
    ))
}

/// `POST /api/replay`.
pub fn dry_run(call: &Call<'_>) -> Result<Answer, ApiError> {
    call.caller.require_supervisor()?;
    let body: Value = serde_json::from_slice(&call.inbound.body)
        .map_err(|e| ApiError::new(400, "malformed_json", e.to_string()))?;
    let invalid = |field: &str, message: &str| {
        ApiError::new(422, "invalid_request", format!("{field}: {message}"))
    };
    let triggers = match body.get("triggers") {
        Some(Value::String(text)) if !text.trim().is_empty() => text,
        _ => return Err(invalid("triggers", "the edited triggers.toml, as text")),
    };
    let day = |field: &'static str| match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.as_str())),
        Some(_) => Err(invalid(field, "must be a date YYYY-MM-DD")),
    };
    let period = period(call, day("from")?, day("to")?)
        .map_err(|message| ApiError::new(422, "invalid_request", message))?;
    let edited = match call.config.with_triggers("config", triggers) {
        Ok(config) => config,
        Err(problems) => {
            let first = problems
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            return Ok(Answer::json(
                422,
                &json!({ "error": {
                    "code": "configuration_invalid",
                    "message": format!("the edited triggers.toml has {} problem(s); the first: {first}", problems.len()),
                    "problems": problems,
                } }),
            ));
        }
    };
    let (from, to) = instants(call, period);
    // At most [thresholds] replay_max_evaluations: a longer period is refused (choose fewer
    // days, or run orderpath-check --replay on a copy of the database).
    let limit = max_evaluations(call.config);
    let count = evaluations::count(&call.db, from, to)?;
    if count > limit {
        return Err(ApiError::new(
            422,
            "too_many_evaluations",
            format!(
                "the period has {count} recorded evaluations and a dry run in the desk reads at \
                 most {limit} (replay_max_evaluations): choose fewer days, or run \
                 orderpath-check --replay on a copy of the database"
            ),
        ));
    }
    let recorded = evaluations::load(&call.db, (from, to), 0, limit)?;
    let report = replay(&edited, &recorded);
    let tz = &call.config.shop.time_zone;
    Ok(Answer::json(
        200,
        &json!({
            "from": date(period.from),
            "to": date(period.to),
            "time_zone": tz.name(),
            "limit": limit,
            "text": text(&report, tz),
            "report": report,
        }),
    ))
}

/// `GET /api/replay/evaluations`: one JSON object a line, oldest first; `X-Next-After` names
/// the `after` of the next page when there is one.
pub fn export(call: &Call<'_>) -> Result<Answer, ApiError> {
    call.caller.require_supervisor()?;
    let inbound = call.inbound;
    let period = period(call, inbound.param("from"), inbound.param("to"))
        .map_err(|message| ApiError::new(400, "invalid_query", message))?;
    let after = match inbound.param("after") {
        None => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| bad_param("after", "the X-Next-After of the previous page"))?,
    };
    // Pages of at most [thresholds] replay_max_evaluations lines.
    let page = max_evaluations(call.config);
    let mut rows = evaluations::load(&call.db, instants(call, period), after, page + 1)?;
    let more = rows.len() as i64 > page;
    rows.truncate(usize::try_from(page).unwrap_or(usize::MAX));
    let mut body = String::new();
    for row in &rows {
        body.push_str(&serde_json::to_string(row).map_err(|e| ApiError::internal(&e))?);
        body.push('\n');
    }
    let filename = format!(
        "evaluations-{}-{}.jsonl",
        date(period.from),
        date(period.to)
    );
    let mut answer = Answer {
        status: 200,
        body,
        headers: vec![
            (
                "content-type".into(),
                "application/x-ndjson; charset=utf-8".into(),
            ),
            (
                "content-disposition".into(),
                format!("attachment; filename=\"{filename}\""),
            ),
            ("cache-control".into(), "no-store".into()),
        ],
    };
    if let (true, Some(last)) = (more, rows.last()) {
        answer = answer.with_header("x-next-after", &last.id.to_string());
    }
    Ok(answer)
}

/// Shop-local days `from..=to`; the last week when neither is given.
fn period(call: &Call<'_>, from: Option<&str>, to: Option<&str>) -> Result<Period, String> {
    let today = call.config.shop.time_zone.local_day(call.now.unix());
    Period::parse(from, to, today, DEFAULT_DAYS).map_err(|e| e.to_string())
}

fn instants(call: &Call<'_>, period: Period) -> (Timestamp, Timestamp) {
    let (from, to) = period.instants(&call.config.shop.time_zone);
    (Timestamp::from_unix(from), Timestamp::from_unix(to))
}
