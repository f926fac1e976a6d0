//! `GET /api/orders` (filters, newest first, a cursor) and `GET /api/orders/{id}` (the order
//! card): the query is checked here, the rest is `orderpath_shell::views::orders`.

use orderpath_core::automation::config::Config;
use orderpath_core::automation::time::rfc3339;
use orderpath_core::call_report::day_range;
use orderpath_core::contact::{Email, Phone};
use orderpath_core::desk;
use orderpath_shell::clock::Timestamp;
use orderpath_shell::config;
use orderpath_shell::db::Db;
use orderpath_shell::http::{Answer, ApiError, Inbound};
use orderpath_shell::plans::automation::load_config;
use orderpath_shell::views::orders::{self as view, OrderQuery, Search};
use serde_json::json;

use crate::bad_param;

pub fn list(inbound: &Inbound) -> Result<Answer, ApiError> {
    let config = load_config()?;
    let query = parse_query(inbound, &config)?;
    let db = Db::open(config::synchronous()?)?;
    let (orders, next) = view::list(&db, &config, &query, Timestamp::now())?;
    Ok(Answer::json(
        200,
        &json!({ "orders": orders, "next_cursor": next }),
    ))
}

pub fn card(_inbound: &Inbound, id: &str) -> Result<Answer, ApiError> {
    let config = load_config()?;
    let db = Db::open(config::synchronous()?)?;
    match view::card(&db, &config, id, Timestamp::now())? {
        Some(card) => Ok(Answer::json(200, &card)),
        None => Err(ApiError::new(404, "not_found", format!("no order {id}"))),
    }
}

/// Every parameter the list knows, checked; an unknown one is refused too, so a typo does
/// not silently return everything.
fn parse_query(inbound: &Inbound, config: &Config) -> Result<OrderQuery, ApiError> {
    const KNOWN: &[&str] = &[
        "status",
        "group",
        "payment_status",
        "delivery_status",
        "channel",
        "manager",
        "overdue",
        "phone",
        "email",
        "q",
        "created_from",
        "created_to",
        "updated_from",
        "updated_to",
        "limit",
        "cursor",
    ];
    if let Some((name, _)) = inbound
        .query
        .iter()
        .find(|(k, _)| !KNOWN.contains(&k.as_str()))
    {
        return Err(bad_param(name, "unknown parameter"));
    }
    let param = |name: &str| inbound.param(name).filter(|v| !v.is_empty());
    let mut query = OrderQuery {
        limit: 50,
        ..OrderQuery::default()
    };
    if let Some(status) = param("status") {
        if config.statuses.path.get(status).is_none() {
            return Err(bad_param("status", "not a status of the shop"));
        }
        query.statuses = Some(vec![status.to_owned()]);
    }
    if let Some(group) = param("group") {
        let codes: Vec<String> = config
            .statuses
            .path
            .statuses()
            .iter()
            .filter(|s| s.group == group)
            .map(|s| s.code.clone())
            .collect();
        if codes.is_empty() {
            return Err(bad_param("group", "not a status group of the shop"));
        }
        query.statuses = Some(match query.statuses.take() {
            Some(one) => one.into_iter().filter(|s| codes.contains(s)).collect(),
            None => codes,
        });
    }
    for name in ["payment_status", "delivery_status", "channel", "manager"] {
        if let Some(value) = param(name) {
            if value.len() > 64 {
                return Err(bad_param(name, "at most 64 characters"));
            }
            query.equal.push((name, value.to_owned()));
        }
    }
    query.overdue = match param("overdue") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(bad_param("overdue", "must be true or false")),
    };
    if let Some(phone) = param("phone") {
        let phone = Phone::parse(phone).map_err(|_| bad_param("phone", "not a phone number"))?;
        query
            .contact
            .push(("customer_phone", phone.as_str().to_owned()));
    }
    if let Some(email) = param("email") {
        let email = Email::parse(email).map_err(|_| bad_param("email", "not an email address"))?;
        query
            .contact
            .push(("customer_email", email.as_str().to_owned()));
    }
    if let Some(q) = param("q").map(str::trim).filter(|q| !q.is_empty()) {
        if q.chars().count() > 100 {
            return Err(bad_param("q", "at most 100 characters"));
        }
        query.search = Some(search(q));
    }
    let tz = &config.shop.time_zone;
    for (from, to, slot) in [
        ("created_from", "created_to", &mut query.created),
        ("updated_from", "updated_to", &mut query.updated),
    ] {
        slot.0 = param(from).map(|v| bound(from, v, tz, false)).transpose()?;
        slot.1 = param(to).map(|v| bound(to, v, tz, true)).transpose()?;
    }
    if let Some(limit) = param("limit") {
        query.limit = limit
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| bad_param("limit", "must be 1 to 200"))?;
    }
    if let Some(cursor) = param("cursor") {
        query.after = Some(
            desk::decode_cursor(cursor)
                .ok_or_else(|| bad_param("cursor", "not a cursor from this list"))?,
        );
    }
    Ok(query)
}

/// `q` by its shape: a phone, an email, or words (each also tried as an order id).
fn search(q: &str) -> Search {
    if let Ok(phone) = Phone::parse(q) {
        return Search::Phone {
            raw: q.to_owned(),
            phone: phone.as_str().to_owned(),
        };
    }
    if q.contains('@') {
        if let Ok(email) = Email::parse(q) {
            return Search::Email {
                raw: q.to_owned(),
                email: email.as_str().to_owned(),
            };
        }
    }
    Search::Text(q.to_owned())
}

/// A time bound as stored text: an RFC 3339 time, or a shop-local day (`from` its start,
/// `to` the start of the next day). `to` bounds are exclusive, so an instant gets a second.
fn bound(
    name: &str,
    value: &str,
    tz: &orderpath_core::automation::time::TimeZone,
    upper: bool,
) -> Result<String, ApiError> {
    let unix = if rfc3339::is_date(value) {
        day_range(value, value, tz).map(|(start, end)| if upper { end } else { start })
    } else {
        rfc3339::to_unix(value, rfc3339::Offset::Rfc3339).map(|t| t + i64::from(upper))
    };
    unix.map(|t| Timestamp::from_unix(t).to_rfc3339())
        .ok_or_else(|| {
            bad_param(
                name,
                "must be an RFC 3339 time (2026-11-24T18:00:00Z) or a day (2026-11-24)",
            )
        })
}
