//! `GET /api/orders` and `GET /api/orders/{id}`: the order list (filters, newest first, a
//! keyset cursor on `(created_at, id)`) and the order card (see `docs/staff-api.md`).
//!
//! Every filter maps to an indexed condition (migration 19): the default list walks
//! `orders_created` backwards; `status`/`group` use `orders_status_created`, `manager`
//! `orders_manager`, `phone`/`email` the contact indexes, `overdue=true` one range per
//! limited status on `orders_status_entered` (see [`desk::overdue_entered_by`]). A name in
//! `q` is a `LIKE` along the newest-first walk, which stops once the page is full.

use orderpath_core::automation::config::Config;
use orderpath_core::automation::time::rfc3339::parse_utc;
use orderpath_core::desk;
use serde_json::{json, Map, Value};
use spin_sdk::sqlite::Value as Sql;

use crate::clock::Timestamp;
use crate::db::{get_int, get_text, int, req_int, req_text, text, Db, DbError};
use crate::views::messages;

/// What `q` looks like, which decides the index it uses.
#[derive(Debug, Clone)]
pub enum Search {
    /// An order id or a phone (E.164).
    Phone { raw: String, phone: String },
    /// An order id or an email address (lower-cased).
    Email { raw: String, email: String },
    /// An order id or part of the customer's name.
    Text(String),
}

/// The list's filters, already checked.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    /// Exactly these statuses (`status` gives one, `group` its statuses).
    pub statuses: Option<Vec<String>>,
    /// `payment_status`, `delivery_status`, `channel`, `manager`: equal to.
    pub equal: Vec<(&'static str, String)>,
    /// Only orders past their status's time limit.
    pub overdue: bool,
    /// The order's phone (E.164) or email (lower-cased).
    pub contact: Vec<(&'static str, String)>,
    /// The customer's orders.
    pub customer_id: Option<i64>,
    /// Free text.
    pub search: Option<Search>,
    /// `[from, to)` bounds on `created_at` and `updated_at` (stored timestamp text).
    pub created: (Option<String>, Option<String>),
    /// As `created`, for `updated_at`.
    pub updated: (Option<String>, Option<String>),
    /// After this `(created_at, id)`: the cursor.
    pub after: Option<(String, String)>,
    /// Page size.
    pub limit: i64,
}

const SUMMARY_COLUMNS: &str = "o.id, o.status, o.payment_status, o.delivery_status, o.channel,
    o.manager, o.total, o.currency, o.customer_id, COALESCE(o.customer_name, c.name),
    COALESCE(o.customer_phone, c.phone), COALESCE(o.customer_email, c.email), o.placed_at,
    o.created_at, o.updated_at, o.status_entered_at";

/// The SQL `WHERE` and its parameters for a query.
fn conditions(config: &Config, query: &OrderQuery, now: i64) -> (String, Vec<Sql>) {
    let mut sql: Vec<String> = vec!["1".into()];
    let mut params = Vec::new();
    if let Some(statuses) = &query.statuses {
        sql.push(format!(
            "o.status IN ({})",
            vec!["?"; statuses.len()].join(", ")
        ));
        params.extend(statuses.iter().map(|s| text(s.as_str())));
    }
    for (column, value) in query.equal.iter().chain(&query.contact) {
        sql.push(format!("o.{column} = ?"));
        params.push(text(value.as_str()));
    }
    if let Some(id) = query.customer_id {
        sql.push("o.customer_id = ?".into());
        params.push(int(id));
    }
    if query.overdue {
        let mut any = Vec::new();
        for status in config.statuses.path.statuses() {
            if let Some(by) = desk::overdue_entered_by(config, &status.code, now) {
                any.push("(o.status = ? AND o.status_entered_at <= ?)");
                params.push(text(status.code.as_str()));
                params.push(text(Timestamp::from_unix(by).to_rfc3339()));
            }
        }
        sql.push(if any.is_empty() {
            "0".into()
        } else {
            format!("({})", any.join(" OR "))
        });
    }
    match &query.search {
        Some(Search::Phone { raw, phone }) => {
            sql.push("(o.id = ? OR o.customer_phone = ?)".into());
            params.extend([text(raw.as_str()), text(phone.as_str())]);
        }
        Some(Search::Email { raw, email }) => {
            sql.push("(o.id = ? OR o.customer_email = ?)".into());
            params.extend([text(raw.as_str()), text(email.as_str())]);
        }
        Some(Search::Text(words)) => {
            sql.push("(o.id = ? OR o.customer_name LIKE ? ESCAPE '\\')".into());
            params.extend([text(words.as_str()), text(like_pattern(words))]);
        }
        None => {}
    }
    for (column, (from, to)) in [
        ("created_at", &query.created),
        ("updated_at", &query.updated),
    ] {
        if let Some(from) = from {
            sql.push(format!("o.{column} >= ?"));
            params.push(text(from.as_str()));
        }
        if let Some(to) = to {
            sql.push(format!("o.{column} < ?"));
            params.push(text(to.as_str()));
        }
    }
    if let Some((created_at, id)) = &query.after {
        sql.push("(o.created_at, o.id) < (?, ?)".into());
        params.extend([text(created_at.as_str()), text(id.as_str())]);
    }
    (sql.join(" AND "), params)
}

/// `%words%` with LIKE's wildcards taken literally.
pub(crate) fn like_pattern(words: &str) -> String {
    let escaped = words
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The SQL a query runs (for the list and for checking its plan).
pub fn list_sql(config: &Config, query: &OrderQuery, now: i64) -> (String, Vec<Sql>) {
    let (filter, mut params) = conditions(config, query, now);
    params.push(int(query.limit + 1));
    (
        format!(
            "SELECT {SUMMARY_COLUMNS} FROM orders AS o
             LEFT JOIN customers AS c ON c.id = o.customer_id
             WHERE {filter} ORDER BY o.created_at DESC, o.id DESC LIMIT ?"
        ),
        params,
    )
}

/// A page of orders, newest first, and the cursor of the next page (`None` on the last).
pub fn list(
    db: &Db,
    config: &Config,
    query: &OrderQuery,
    now: Timestamp,
) -> Result<(Vec<Value>, Option<String>), DbError> {
    let (sql, params) = list_sql(config, query, now.unix());
    let rows = db.execute(&sql, &params)?.rows;
    let mut orders = rows
        .iter()
        .map(|row| summary(config, row, now))
        .collect::<Result<Vec<_>, _>>()?;
    let limit = usize::try_from(query.limit).unwrap_or(0);
    let next = (orders.len() > limit).then(|| {
        orders.truncate(limit);
        let last = &orders[limit - 1];
        desk::encode_cursor(
            last["created_at"].as_str().unwrap_or_default(),
            last["id"].as_str().unwrap_or_default(),
        )
    });
    Ok((orders, next))
}

/// A label and group for a status code, in the shop's language.
fn status_words(config: &Config, code: &str) -> (String, Option<String>) {
    match config.statuses.path.get(code) {
        Some(def) => (
            def.label(config.shop.language).to_owned(),
            Some(def.group.clone()),
        ),
        None => (code.to_owned(), None),
    }
}

fn summary(
    config: &Config,
    row: &spin_sdk::sqlite::RowResult,
    now: Timestamp,
) -> Result<Value, DbError> {
    let status = req_text(row, 1)?;
    let (label, group) = status_words(config, &status);
    let entered = get_text(row, 15)?;
    let overdue = entered
        .as_deref()
        .and_then(parse_utc)
        .is_some_and(|at| desk::is_overdue(config, &status, at, now.unix()));
    Ok(json!({
        "id": req_text(row, 0)?,
        "status": status,
        "status_label": label,
        "group": group,
        "payment_status": req_text(row, 2)?,
        "delivery_status": get_text(row, 3)?,
        "channel": req_text(row, 4)?,
        "manager": get_text(row, 5)?,
        "total": req_int(row, 6)?,
        "currency": req_text(row, 7)?,
        "customer": {
            "id": get_int(row, 8)?,
            "name": get_text(row, 9)?,
            "phone": get_text(row, 10)?,
            "email": get_text(row, 11)?,
        },
        "placed_at": req_text(row, 12)?,
        "created_at": req_text(row, 13)?,
        "updated_at": req_text(row, 14)?,
        "status_entered_at": entered,
        "overdue": overdue,
    }))
}

/// Everything about one order, or `None` when there is no such order.
pub fn card(db: &Db, config: &Config, id: &str, now: Timestamp) -> Result<Option<Value>, DbError> {
    let result = db.execute("SELECT * FROM orders WHERE id = ?", &[text(id)])?;
    let Some(row) = result.rows.first() else {
        return Ok(None);
    };
    let mut order = Map::new();
    for (name, value) in result.columns.iter().zip(&row.values) {
        let value = match value {
            Sql::Integer(i) => json!(i),
            Sql::Real(r) => json!(r),
            Sql::Text(t) if name == "fields" => messages::parse(t).unwrap_or(json!({})),
            Sql::Text(t) => json!(t),
            Sql::Blob(_) | Sql::Null => Value::Null,
        };
        order.insert(name.clone(), value);
    }
    let customer_id = order.get("customer_id").and_then(Value::as_i64);
    let sections = db
        .row(
            super::card_sql::ORDER_SECTIONS,
            &[text(id), customer_id.map_or(Sql::Null, int)],
        )?
        .ok_or(DbError::Shape("the card query returns one row"))?;
    let section = |index: usize| -> Result<Vec<Value>, DbError> {
        let text = get_text(&sections, index)?.unwrap_or_else(|| "[]".into());
        match messages::parse(&text)? {
            Value::Array(items) => Ok(items),
            _ => Err(DbError::Shape("a card section is a JSON array")),
        }
    };
    let mut items = section(0)?;
    items.sort_by_key(|i| i["line"].as_i64());
    order.insert("items".into(), json!(items));

    let status = order["status"].as_str().unwrap_or_default().to_owned();
    let (label, group) = status_words(config, &status);
    let entered = order["status_entered_at"].as_str().map(str::to_owned);
    let entered_unix = entered.as_deref().and_then(parse_utc);
    let allowed: Vec<Value> = config
        .statuses
        .path
        .allowed_from(&status)
        .into_iter()
        .map(|code| json!({ "code": code, "label": status_words(config, code).0 }))
        .collect();

    let mut history = section(2)?;
    history.sort_by_key(|h| h["id"].as_i64());
    for entry in &mut history {
        let trigger = entry["actor"]
            .as_str()
            .and_then(desk::trigger_of_actor)
            .map(str::to_owned);
        entry["trigger_id"] = json!(trigger);
    }
    let sorted = |index: usize, key: &str| -> Result<Value, DbError> {
        let mut rows = section(index)?;
        rows.sort_by(|a, b| match (a[key].as_i64(), b[key].as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => a[key].as_str().cmp(&b[key].as_str()),
        });
        Ok(json!(rows))
    };
    let mut messages_list: Vec<Value> = section(3)?
        .into_iter()
        .map(|m| messages::finish(m, now))
        .collect();
    messages_list.sort_by_key(|m| m["id"].as_i64());
    Ok(Some(json!({
        "order": order,
        "customer": customer(section(1)?.into_iter().next(), &order),
        "status": {
            "code": status,
            "label": label,
            "group": group,
            "entered_at": entered,
            "seconds_in_status": entered_unix.map(|at| (now.unix() - at).max(0)),
            "overdue": entered_unix.is_some_and(|at| desk::is_overdue(config, &status, at, now.unix())),
            "overdue_at": entered_unix
                .and_then(|at| orderpath_core::automation::engine::time_limit_deadline(config, &status, at))
                .map(|at| Timestamp::from_unix(at).to_rfc3339()),
        },
        "allowed_transitions": allowed,
        "history": history,
        "messages": messages_list,
        "tasks": sorted(4, "id")?,
        "timers": sorted(5, "id")?,
        "payments": sorted(6, "id")?,
        "deliveries": sorted(7, "id")?,
        "calls": sorted(8, "id")?,
        "reservations": sorted(9, "sku")?,
    })))
}

/// The card's customer: the stored one with tags and segment, else the order's own contact.
fn customer(stored: Option<Value>, order: &Map<String, Value>) -> Value {
    match stored {
        Some(c) => super::customers::finish(c),
        None => json!({
            "id": null,
            "name": order.get("customer_name"),
            "phone": order.get("customer_phone"),
            "email": order.get("customer_email"),
            "tags": [],
            "segment": desk::segment::<&str>(&[], 1),
        }),
    }
}
