//! `GET /api/customers?q=` and `GET /api/customers/{id}`: customer search and the customer
//! card (see `docs/staff-api.md`). The segment is [`desk::segment`].

use orderpath_core::automation::config::Config;
use orderpath_core::desk;
use serde_json::{json, Value};

use crate::clock::Timestamp;
use crate::db::{get_text, int, text, Db, DbError};
use crate::views::messages::parse;
use crate::views::orders::{self, like_pattern, OrderQuery};

/// What a customer search looks for.
#[derive(Debug, Clone)]
pub enum CustomerSearch {
    /// Everyone, newest first.
    All,
    /// This phone (E.164).
    Phone(String),
    /// This email (lower-cased).
    Email(String),
    /// Part of the name, or digits of the phone.
    Text(String),
}

/// The most orders and calls a customer card lists.
const CARD_ROWS: i64 = 200;

/// Customers matching the search, newest first, at most `limit`.
pub fn search(db: &Db, what: &CustomerSearch, limit: i64) -> Result<Vec<Value>, DbError> {
    let (filter, param) = match what {
        CustomerSearch::All => ("1", None),
        CustomerSearch::Phone(phone) => ("c.phone = ?", Some(phone.clone())),
        CustomerSearch::Email(email) => ("c.email = ?", Some(email.clone())),
        CustomerSearch::Text(words) => (
            "(c.name LIKE ?1 ESCAPE '\\' OR c.phone LIKE ?1 ESCAPE '\\'
              OR c.email LIKE ?1 ESCAPE '\\')",
            Some(like_pattern(words)),
        ),
    };
    let mut params: Vec<_> = param.into_iter().map(text).collect();
    params.push(int(limit));
    let limit_at = params.len();
    let rows = db.execute(
        &format!(
            "SELECT {} FROM customers AS c WHERE {filter}
             ORDER BY c.id DESC LIMIT ?{limit_at}",
            customer_json!()
        ),
        &params,
    )?;
    rows.rows
        .iter()
        .map(|row| Ok(finish(parse(&get_text(row, 0)?.unwrap_or_default())?)))
        .collect()
}

/// Sorted tags and the segment.
pub(crate) fn finish(mut customer: Value) -> Value {
    let mut tags: Vec<String> = customer["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    tags.sort();
    // M9's segment as the app keeps it, except that a BAD or VIP tag shows at once (a tag set
    // outside the app moves the stored segment at the customer's next event); a customer not
    // seen since segments were kept gets the desk's estimate from tags and orders.
    let stored = customer
        .as_object_mut()
        .and_then(|c| c.remove("stored_segment"))
        .filter(Value::is_string);
    let estimate = desk::segment(&tags, customer["orders"].as_i64().unwrap_or(0));
    customer["segment"] = match stored {
        Some(_) if estimate == "bad" || estimate == "vip" => json!(estimate),
        Some(stored) => stored,
        None => json!(estimate),
    };
    customer["tags"] = json!(tags);
    customer
}

/// The customer with their orders (newest first) and calls, or `None` for no such customer.
pub fn card(db: &Db, config: &Config, id: i64, now: Timestamp) -> Result<Option<Value>, DbError> {
    let row = db.row(
        &format!(
            "SELECT {},
                (SELECT json_group_array(json_object('id', id, 'source', source,
                        'direction', direction, 'phone', phone, 'operator', operator,
                        'started_at', started_at, 'ended_at', ended_at, 'duration', duration,
                        'outcome', outcome,
                        'answered', json(CASE WHEN answered != 0 THEN 'true' ELSE 'false' END), 'order_id', order_id))
                   FROM (SELECT * FROM calls WHERE customer_id = ?1
                         UNION SELECT * FROM calls WHERE phone = c.phone
                         ORDER BY id DESC LIMIT ?2))
             FROM customers AS c WHERE c.id = ?1",
            customer_json!()
        ),
        &[int(id), int(CARD_ROWS)],
    )?;
    let Some(row) = row else {
        return Ok(None);
    };
    let customer = finish(parse(&get_text(&row, 0)?.unwrap_or_default())?);
    let mut calls = match parse(&get_text(&row, 1)?.unwrap_or_else(|| "[]".into()))? {
        Value::Array(calls) => calls,
        _ => Vec::new(),
    };
    calls.sort_by_key(|c| std::cmp::Reverse(c["id"].as_i64()));
    let query = OrderQuery {
        customer_id: Some(id),
        limit: CARD_ROWS,
        ..OrderQuery::default()
    };
    let (orders, _) = orders::list(db, config, &query, now)?;
    let marketing = marketing(db, id)?;
    Ok(Some(json!({
        "customer": customer, "orders": orders, "calls": calls,
        "consent": marketing.0, "promo_codes": marketing.1, "history": marketing.2,
    })))
}

/// Consent per channel (granted, source, at), the codes issued, and the customer's history
/// outside orders (newest first, at most [`CARD_ROWS`]), in one statement.
fn marketing(db: &Db, id: i64) -> Result<(Value, Value, Value), DbError> {
    let row = db.row(
        "SELECT
            (SELECT json_group_object(channel, json_object('granted', json(CASE WHEN granted = 1
                    THEN 'true' ELSE 'false' END), 'source', source, 'at', at))
               FROM customer_consents WHERE customer_id = ?1),
            (SELECT json_group_array(json_object('pool', pool, 'code', code,
                    'issued_at', issued_at, 'valid_until', valid_until))
               FROM (SELECT * FROM promo_codes WHERE customer_id = ?1 ORDER BY issued_at DESC)),
            (SELECT json_group_array(json_object('at', at, 'actor', actor, 'field', field,
                    'old', json(old_value), 'new', json(new_value), 'outcome', outcome,
                    'reason', reason))
               FROM (SELECT * FROM customer_history WHERE customer_id = ?1
                     ORDER BY id DESC LIMIT ?2))",
        &[int(id), int(CARD_ROWS)],
    )?;
    let cell = |i: usize, empty: &str| -> Result<Value, DbError> {
        let text = match &row {
            Some(row) => get_text(row, i)?.unwrap_or_else(|| empty.to_owned()),
            None => empty.to_owned(),
        };
        parse(&text)
    };
    Ok((cell(0, "{}")?, cell(1, "[]")?, cell(2, "[]")?))
}
