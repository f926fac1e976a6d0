//! V8 (the call log) and V9 (answered and missed calls per operator and day).

use orderpath_core::call_report;
use orderpath_shell::clock::Timestamp;
use orderpath_shell::config;
use orderpath_shell::db::Db;
use orderpath_shell::http::{Answer, ApiError, Inbound};
use orderpath_shell::inbound::calls;
use serde_json::json;

use crate::{bad_param, Call};

/// V9 for the local days `from..=to` (both default to today in the shop's time zone).
pub fn report(inbound: &Inbound) -> Result<Answer, ApiError> {
    let tz = orderpath_shell::plans::automation::load_config()?
        .shop
        .time_zone;
    let (y, m, d) = {
        let day = tz.local_day(Timestamp::now().unix());
        orderpath_core::automation::time::civil_from_days(day)
    };
    let today = format!("{y:04}-{m:02}-{d:02}");
    let from = inbound.param("from").unwrap_or(&today).to_owned();
    let to = inbound.param("to").unwrap_or(&from).to_owned();
    let (start, end) = call_report::day_range(&from, &to, &tz).ok_or_else(|| {
        bad_param(
            "from",
            "from and to must be dates YYYY-MM-DD with from <= to",
        )
    })?;
    if end - start > 366 * 86_400 {
        return Err(bad_param("to", "a report covers at most 366 days"));
    }
    let db = Db::open(config::synchronous()?)?;
    let calls = calls::for_report(&db, (start, end))?;
    let mut report = call_report::summarize(&calls, (start, end), &tz);
    report["from"] = json!(from);
    report["to"] = json!(to);
    report["time_zone"] = json!(tz.name());
    Ok(Answer::json(200, &report))
}

/// V8: calls, newest first, with the caller's customer record and orders in progress.
pub fn list(call: &Call<'_>) -> Result<Answer, ApiError> {
    let inbound = call.inbound;
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
    let finished = call.config.statuses.path.finished();
    let calls = calls::list(&call.db, phone.as_deref(), limit, &finished)?;
    Ok(Answer::json(200, &json!({ "calls": calls })))
}
