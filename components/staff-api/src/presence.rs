//! V1: `/api/staff/{id}/presence` — the status a person sets (`online`, `away`, `offline`,
//! optionally until a time) that overrides their working hours for automatic assignment.

use orderpath_core::assign::{availability, Availability, Presence, PresenceStatus};
use orderpath_core::automation::time::rfc3339;
use orderpath_shell::clock::Timestamp;
use orderpath_shell::http::{Answer, ApiError};
use orderpath_shell::repo::assignment;
use orderpath_shell::staff::{forbidden, Call};
use serde_json::{json, Value};

/// `GET`: the person's status, whether they take new orders now and their load.
pub fn get(call: &Call<'_>, id: &str) -> Result<Answer, ApiError> {
    let id = whose(call, id)?;
    show(call, &id)
}

/// `PUT {"status": "online" | "away" | "offline", "until"?: RFC 3339}`: by the person
/// themself or a supervisor.
pub fn put(call: &Call<'_>, id: &str) -> Result<Answer, ApiError> {
    let id = whose(call, id)?;
    let body: Value = serde_json::from_slice(&call.inbound.body)
        .map_err(|e| ApiError::new(400, "malformed_json", e.to_string()))?;
    let invalid = |message: &str| ApiError::new(422, "invalid_request", message);
    let status = body
        .get("status")
        .and_then(Value::as_str)
        .and_then(PresenceStatus::parse)
        .ok_or_else(|| {
            invalid(&format!(
                "status: must be one of {}",
                PresenceStatus::ALL.join(", ")
            ))
        })?;
    let until = match body.get("until") {
        None | Some(Value::Null) => None,
        Some(value) => {
            // Any offset and fractions of a second (a browser's toISOString) are fine.
            let until = value
                .as_str()
                .and_then(|t| rfc3339::to_unix(t, rfc3339::Offset::Rfc3339))
                .filter(|&t| t > call.now.unix())
                .ok_or_else(|| {
                    invalid(
                        "until: must be an RFC 3339 time in the future, e.g. 2026-11-24T18:00:00Z",
                    )
                })?;
            Some(until)
        }
    };
    let by = call.caller.actor().label();
    call.db.transaction(|db| {
        assignment::set_presence(db, &id, Presence { status, until }, &by, call.now)
    })?;
    show(call, &id)
}

/// `DELETE`: the set status is forgotten; the working hours decide again.
pub fn delete(call: &Call<'_>, id: &str) -> Result<Answer, ApiError> {
    let id = whose(call, id)?;
    call.db
        .transaction(|db| assignment::clear_presence(db, &id))?;
    show(call, &id)
}

/// The staff id `me` or `id` names, if the caller may see and set their presence.
fn whose(call: &Call<'_>, id: &str) -> Result<String, ApiError> {
    let caller = call.caller;
    let id = match id {
        "me" if caller.admin => {
            return Err(ApiError::new(
                404,
                "not_found",
                "the admin token is nobody's: name a staff id",
            ))
        }
        "me" => caller.id.as_str(),
        other => other,
    };
    if call.config.shop.staff_member(id).is_none() {
        return Err(ApiError::new(
            404,
            "not_found",
            format!("no staff member {id} in shop.toml"),
        ));
    }
    if !caller.supervisor && caller.id != id {
        return Err(forbidden("only a supervisor sets another person's status"));
    }
    Ok(id.to_owned())
}

fn show(call: &Call<'_>, id: &str) -> Result<Answer, ApiError> {
    let shop = &call.config.shop;
    let member = shop
        .staff_member(id)
        .ok_or_else(|| ApiError::internal(&"the staff member vanished"))?;
    let stored = assignment::presence(&call.db, id)?;
    let finished = call.config.statuses.path.finished();
    let open = assignment::staff_states(&call.db, &[id], &finished)?
        .get(id)
        .map_or(0, |s| s.open_orders);
    let now = call.now.unix();
    let on_shift = availability(shop, member, None, now).available();
    let current = availability(shop, member, stored.as_ref().map(|s| s.presence), now);
    let time = |t: Option<i64>| t.map(|t| Timestamp::from_unix(t).to_rfc3339());
    let (status, until, set_at, set_by) = match (&current, &stored) {
        (Availability::Set { status, until }, Some(set)) => (
            Some(status.as_str()),
            time(*until),
            Some(set.set_at.as_str()),
            Some(set.set_by.as_str()),
        ),
        _ => (None, None, None, None),
    };
    Ok(Answer::json(
        200,
        &json!({
            "staff": member.id,
            "name": member.name,
            "status": status,
            "until": until,
            "set_at": set_at,
            "set_by": set_by,
            "on_shift": on_shift,
            "available": current.available(),
            "open_orders": open,
            "capacity": member.capacity,
        }),
    )
    .with_header("cache-control", "no-store"))
}
