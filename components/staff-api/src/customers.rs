//! `GET /api/customers?q=&limit=` (search by phone, email or name) and
//! `GET /api/customers/{id}` (the customer card): `orderpath_shell::views::customers`.

use orderpath_core::contact::{Email, Phone};
use orderpath_shell::clock::Timestamp;
use orderpath_shell::config;
use orderpath_shell::db::Db;
use orderpath_shell::http::{Answer, ApiError, Inbound};
use orderpath_shell::plans::automation::load_config;
use orderpath_shell::views::customers::{self as view, CustomerSearch};
use serde_json::json;

use crate::bad_param;

pub fn search(inbound: &Inbound) -> Result<Answer, ApiError> {
    let limit = match inbound.param("limit") {
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| bad_param("limit", "must be 1 to 200"))?,
        None => 50,
    };
    let what = match inbound.param("q").map(str::trim).filter(|q| !q.is_empty()) {
        None => CustomerSearch::All,
        Some(q) if q.chars().count() > 100 => return Err(bad_param("q", "at most 100 characters")),
        Some(q) => match (Phone::parse(q), Email::parse(q)) {
            (Ok(phone), _) => CustomerSearch::Phone(phone.as_str().to_owned()),
            (_, Ok(email)) => CustomerSearch::Email(email.as_str().to_owned()),
            _ => CustomerSearch::Text(q.to_owned()),
        },
    };
    let db = Db::open(config::synchronous()?)?;
    let customers = view::search(&db, &what, limit)?;
    Ok(Answer::json(200, &json!({ "customers": customers })))
}

pub fn card(_inbound: &Inbound, id: &str) -> Result<Answer, ApiError> {
    let not_found = || ApiError::new(404, "not_found", format!("no customer {id}"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let config = load_config()?;
    let db = Db::open(config::synchronous()?)?;
    view::card(&db, &config, id, Timestamp::now())?
        .map(|card| Answer::json(200, &card))
        .ok_or_else(not_found)
}
