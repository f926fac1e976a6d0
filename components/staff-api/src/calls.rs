//! V8: the call log. (V9, the calls report, is `analytics::calls_report`.)

use orderpath_shell::http::{Answer, ApiError};
use orderpath_shell::inbound::calls;
use serde_json::json;

use crate::bad_param;
use orderpath_shell::staff::Call;

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
