//! S6: `GET /api/bonuses?period=YYYY-MM&staff=` — the bonus ledger of a month, per person
//! with their lines — and the same as CSV (`/api/bonuses.csv` or `format=csv`). A supervisor
//! sees everyone; anyone else only their own lines.

use orderpath_core::bonus;
use orderpath_core::money::Currency;
use orderpath_shell::http::{Answer, ApiError};
use orderpath_shell::repo::bonuses;
use orderpath_shell::staff::{forbidden, Call};
use serde_json::json;

use crate::bad_param;

/// The ledger as JSON, or as CSV when `csv` (the `.csv` path) or `format=csv`.
pub fn ledger(call: &Call<'_>, csv_path: bool) -> Result<Answer, ApiError> {
    let inbound = call.inbound;
    let csv = match inbound.param("format") {
        None => csv_path,
        Some("csv") => true,
        Some("json") if !csv_path => false,
        Some(_) => {
            return Err(bad_param(
                "format",
                "json or csv (bonuses.csv is always CSV)",
            ))
        }
    };
    let shop = &call.config.shop;
    let period = match inbound.param("period") {
        Some(text) => bonus::parse_period(text).map_err(|e| bad_param("period", &e.to_string()))?,
        None => bonus::period(call.now.unix(), &shop.time_zone),
    };
    let staff = match inbound.param("staff").filter(|s| !s.is_empty()) {
        Some(id) if id.chars().count() > 64 => {
            return Err(bad_param("staff", "a staff id of at most 64 characters"))
        }
        Some(id) if !call.caller.supervisor && id != call.caller.id => {
            return Err(forbidden("only a supervisor sees another person's bonuses"))
        }
        Some(id) => Some(id.to_owned()),
        None if call.caller.supervisor => None,
        None => Some(call.caller.id.clone()),
    };
    let lines = bonuses::period_lines(&call.db, &period, staff.as_deref())?;
    let name = |id: &str| shop.staff_member(id).map(|m| m.name.clone());
    let people = bonus::totals(lines, name);
    if csv {
        let digits = |code: &str| Currency::parse(code).map_or(2, |c| c.minor_digits());
        let filename = match &staff {
            Some(id)
                if id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) =>
            {
                format!("bonuses-{period}-{id}.csv")
            }
            _ => format!("bonuses-{period}.csv"),
        };
        return Ok(Answer {
            status: 200,
            body: bonus::csv(&people, digits),
            headers: vec![
                ("content-type".into(), "text/csv; charset=utf-8".into()),
                (
                    "content-disposition".into(),
                    format!("attachment; filename=\"{filename}\""),
                ),
                ("cache-control".into(), "no-store".into()),
            ],
        });
    }
    // What each rule is for, as the shop described it, for people reading the lines.
    let rules: serde_json::Map<String, serde_json::Value> = shop
        .bonuses
        .rules
        .iter()
        .map(|(name, rule)| (name.clone(), json!(rule.description)))
        .collect();
    Ok(Answer::json(
        200,
        &json!({ "period": period, "staff": staff, "people": people, "rules": rules }),
    ))
}
