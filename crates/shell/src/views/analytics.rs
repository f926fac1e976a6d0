//! The analytics queries: one aggregate statement per report (each is a host call), over the
//! orders placed in a UTC range `[start, end)`.
//!
//! An order counts by `placed_at` (the shop's own time of the order, `created_at` of
//! `order.created`, else when we received it). It is stored as the shop sent it, perhaps with
//! an offset, so the queries compare `unixepoch(placed_at)`, which migration 18 indexes.
//! Status lists (which statuses are `cancel`, `done`) come from the configuration as JSON
//! arrays read with `json_each`, so a shop's own statuses and groups count too.
//! Status moves are the history rows `created` (the first status) and `status` with outcome
//! `applied`; their values are JSON strings (`"new"`). They are joined with `CROSS JOIN`,
//! which keeps SQLite's join order: the period's orders first, then their history by
//! `order_history(order_id, id)` (left to itself the planner may walk the whole history in
//! that index's order to save the window function a sort).

use spin_sdk::sqlite::Value;

use crate::clock::Timestamp;
use crate::db::{get_int, get_text, int, req_int, text, Db, DbError};

/// The orders placed in `[?1, ?2)`.
const PLACED: &str = "unixepoch(o.placed_at) >= ?1 AND unixepoch(o.placed_at) < ?2";

fn range((start, end): (i64, i64)) -> [Value; 2] {
    [int(start), int(end)]
}

fn json_list<S: AsRef<str>>(items: &[S]) -> Value {
    text(serde_json::Value::from(items.iter().map(|s| s.as_ref()).collect::<Vec<_>>()).to_string())
}

fn count(row: &spin_sdk::sqlite::RowResult, i: usize) -> Result<u64, DbError> {
    Ok(get_int(row, i)?.unwrap_or(0).max(0) as u64)
}

/// Finished stays in one status: how many, and each one's length in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusStays {
    /// The status code.
    pub status: String,
    /// Seconds from entering the status to leaving it, one per stay.
    pub seconds: Vec<i64>,
}

/// Stays of the orders placed in the range that have ended (the order moved on), per status.
pub fn status_stays(db: &Db, placed: (i64, i64)) -> Result<Vec<StatusStays>, DbError> {
    let sql = format!(
        "WITH moves AS (
            SELECT json_extract(h.new_value, '$') AS status, unixepoch(h.at) AS entered,
                   LEAD(unixepoch(h.at)) OVER (PARTITION BY h.order_id ORDER BY h.id) AS left_at
            FROM orders AS o CROSS JOIN order_history AS h ON h.order_id = o.id
            WHERE {PLACED} AND h.field IN ('created', 'status') AND h.outcome = 'applied')
         SELECT status, group_concat(left_at - entered) FROM moves
         WHERE left_at IS NOT NULL AND status IS NOT NULL GROUP BY status"
    );
    let rows = db.execute(&sql, &range(placed))?;
    let mut out = Vec::with_capacity(rows.rows.len());
    for row in &rows.rows {
        let list = get_text(row, 1)?.unwrap_or_default();
        let mut seconds: Vec<i64> = list
            .split(',')
            .filter_map(|s| s.parse::<i64>().ok())
            .map(|s| s.max(0))
            .collect();
        seconds.sort_unstable();
        out.push(StatusStays {
            status: get_text(row, 0)?.unwrap_or_default(),
            seconds,
        });
    }
    Ok(out)
}

/// The funnel: per group, the orders that were ever in one of its statuses, and the orders
/// now cancelled whose last status before the cancel group was in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunnelCounts {
    /// `(group, orders)`.
    pub reached: Vec<(String, u64)>,
    /// `(group, orders)`.
    pub dropped: Vec<(String, u64)>,
}

/// The funnel of the orders placed in the range; `groups` maps status codes to group codes.
pub fn funnel(
    db: &Db,
    placed: (i64, i64),
    groups: &[(&str, &str)],
    cancel: &[&str],
) -> Result<FunnelCounts, DbError> {
    let map: serde_json::Map<String, serde_json::Value> = groups
        .iter()
        .map(|(s, g)| ((*s).to_owned(), serde_json::Value::from(*g)))
        .collect();
    let sql = format!(
        "WITH g(status, grp) AS MATERIALIZED (SELECT key, value FROM json_each(?3)),
              c(status) AS (SELECT value FROM json_each(?4))
         SELECT 'reached', g.grp, COUNT(DISTINCT o.id)
         FROM orders AS o CROSS JOIN order_history AS h ON h.order_id = o.id
              CROSS JOIN g ON g.status = json_extract(h.new_value, '$')
         WHERE {PLACED} AND h.field IN ('created', 'status') AND h.outcome = 'applied'
         GROUP BY g.grp
         UNION ALL
         SELECT 'dropped', g.grp, COUNT(DISTINCT o.id)
         FROM orders AS o CROSS JOIN order_history AS h ON h.order_id = o.id
              CROSS JOIN g ON g.status = json_extract(h.old_value, '$')
         WHERE {PLACED} AND o.status IN c AND h.field = 'status' AND h.outcome = 'applied'
           AND json_extract(h.new_value, '$') IN c AND g.status NOT IN c
         GROUP BY g.grp"
    );
    let [a, b] = range(placed);
    let params = [
        a,
        b,
        text(serde_json::Value::Object(map).to_string()),
        json_list(cancel),
    ];
    let rows = db.execute(&sql, &params)?;
    let mut out = FunnelCounts::default();
    for row in &rows.rows {
        let entry = (get_text(row, 1)?.unwrap_or_default(), count(row, 2)?);
        if get_text(row, 0)?.as_deref() == Some("reached") {
            out.reached.push(entry);
        } else {
            out.dropped.push(entry);
        }
    }
    Ok(out)
}

/// Orders placed in the range by where they are now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// All of them.
    pub orders: u64,
    /// Now in a `done` status.
    pub completed: u64,
    /// Now in a `cancel` status.
    pub cancelled: u64,
    /// `(reason, orders)` of the cancelled ones, most first; the reason is the one given with
    /// the move into the cancel group (`None`: none given).
    pub reasons: Vec<(Option<String>, u64)>,
}

/// Outcomes of the orders placed in the range; cancellation reasons when `with_reasons`.
pub fn outcomes(
    db: &Db,
    placed: (i64, i64),
    done: &[&str],
    cancel: &[&str],
    with_reasons: bool,
) -> Result<Outcomes, DbError> {
    let reasons = if with_reasons {
        format!(
            "UNION ALL
             SELECT 'reason', h.reason, COUNT(DISTINCT o.id), NULL, NULL
             FROM orders AS o CROSS JOIN order_history AS h ON h.order_id = o.id
             WHERE {PLACED} AND o.status IN c AND h.field = 'status' AND h.outcome = 'applied'
               AND json_extract(h.new_value, '$') = o.status
             GROUP BY h.reason"
        )
    } else {
        String::new()
    };
    let sql = format!(
        "WITH d(status) AS (SELECT value FROM json_each(?3)),
              c(status) AS (SELECT value FROM json_each(?4))
         SELECT 'total', NULL, COUNT(*), SUM(o.status IN d), SUM(o.status IN c)
         FROM orders AS o WHERE {PLACED}
         {reasons}"
    );
    let [a, b] = range(placed);
    let rows = db.execute(&sql, &[a, b, json_list(done), json_list(cancel)])?;
    let mut out = Outcomes::default();
    for row in &rows.rows {
        if get_text(row, 0)?.as_deref() == Some("total") {
            out.orders = count(row, 2)?;
            out.completed = count(row, 3)?;
            out.cancelled = count(row, 4)?;
        } else {
            out.reasons.push((get_text(row, 1)?, count(row, 2)?));
        }
    }
    out.reasons
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// Orders and money of one bucket in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSum {
    /// The bucket's index in the list given.
    pub bucket: usize,
    /// The orders' currency.
    pub currency: String,
    /// How many orders.
    pub orders: i64,
    /// The sum of their totals.
    pub revenue: i64,
}

/// Orders not in a `cancel` status per bucket (`[start, end)` pairs) and currency.
pub fn revenue(
    db: &Db,
    buckets: &[(i64, i64)],
    cancel: &[&str],
) -> Result<Vec<BucketSum>, DbError> {
    let bounds = serde_json::Value::from(
        buckets
            .iter()
            .map(|(s, e)| serde_json::json!([s, e]))
            .collect::<Vec<_>>(),
    );
    let rows = db.execute(
        "WITH b(i, s, e) AS (SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]')
                           FROM json_each(?1)),
              c(status) AS (SELECT value FROM json_each(?2))
         SELECT b.i, o.currency, COUNT(*), SUM(o.total)
         FROM b JOIN orders AS o
              ON unixepoch(o.placed_at) >= b.s AND unixepoch(o.placed_at) < b.e
         WHERE o.status NOT IN c
         GROUP BY b.i, o.currency",
        &[text(bounds.to_string()), json_list(cancel)],
    )?;
    let mut out = Vec::with_capacity(rows.rows.len());
    for row in &rows.rows {
        out.push(BucketSum {
            bucket: req_int(row, 0)? as usize,
            currency: get_text(row, 1)?.unwrap_or_default(),
            orders: req_int(row, 2)?,
            revenue: get_int(row, 3)?.unwrap_or(0),
        });
    }
    Ok(out)
}

/// `(orders placed in the range, customers with that many)`, ascending, for orders not in a
/// `cancel` status that have a customer.
pub fn orders_per_customer(
    db: &Db,
    placed: (i64, i64),
    cancel: &[&str],
) -> Result<Vec<(u64, u64)>, DbError> {
    let sql = format!(
        "WITH c(status) AS (SELECT value FROM json_each(?3))
         SELECT n, COUNT(*) FROM (
             SELECT COUNT(*) AS n FROM orders AS o
             WHERE {PLACED} AND o.status NOT IN c AND o.customer_id IS NOT NULL
             GROUP BY o.customer_id)
         GROUP BY n ORDER BY n"
    );
    let [a, b] = range(placed);
    let rows = db.execute(&sql, &[a, b, json_list(cancel)])?;
    rows.rows
        .iter()
        .map(|row| Ok((count(row, 0)?, count(row, 1)?)))
        .collect()
}

/// One product's sales.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSales {
    /// The article.
    pub sku: String,
    /// Its name (the greatest spelling seen, when it changed).
    pub name: String,
    /// Units.
    pub qty: i64,
    /// `qty × price` summed.
    pub revenue: i64,
    /// Orders with it.
    pub orders: i64,
}

/// The `limit` best-selling articles by revenue in orders placed in the range, not in a
/// `cancel` status.
pub fn products(
    db: &Db,
    placed: (i64, i64),
    cancel: &[&str],
    limit: i64,
) -> Result<Vec<ProductSales>, DbError> {
    let sql = format!(
        "WITH c(status) AS (SELECT value FROM json_each(?3))
         SELECT i.sku, MAX(i.name), SUM(i.qty), SUM(i.qty * i.price), COUNT(DISTINCT o.id)
         FROM orders AS o JOIN order_items AS i ON i.order_id = o.id
         WHERE {PLACED} AND o.status NOT IN c
         GROUP BY i.sku ORDER BY 4 DESC, i.sku LIMIT ?4"
    );
    let [a, b] = range(placed);
    let rows = db.execute(&sql, &[a, b, json_list(cancel), int(limit)])?;
    rows.rows
        .iter()
        .map(|row| {
            Ok(ProductSales {
                sku: get_text(row, 0)?.unwrap_or_default(),
                name: get_text(row, 1)?.unwrap_or_default(),
                qty: get_int(row, 2)?.unwrap_or(0),
                revenue: get_int(row, 3)?.unwrap_or(0),
                orders: get_int(row, 4)?.unwrap_or(0),
            })
        })
        .collect()
}

/// Orders of one channel or UTM source and campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSums {
    /// The channel, or the UTM source.
    pub key: Option<String>,
    /// The UTM campaign (`None` for a channel row).
    pub campaign: Option<String>,
    /// All orders placed.
    pub orders: i64,
    /// Totals of those not in a `cancel` status.
    pub revenue: i64,
    /// Those now in a `done` status.
    pub completed: i64,
}

/// Per channel and per UTM source and campaign, orders placed in the range.
pub fn sources(
    db: &Db,
    placed: (i64, i64),
    done: &[&str],
    cancel: &[&str],
) -> Result<(Vec<SourceSums>, Vec<SourceSums>), DbError> {
    let sums = "COUNT(*), SUM(CASE WHEN o.status IN c THEN 0 ELSE o.total END),
                SUM(o.status IN d)";
    let sql = format!(
        "WITH d(status) AS (SELECT value FROM json_each(?3)),
              c(status) AS (SELECT value FROM json_each(?4))
         SELECT 'channel', o.channel, NULL, {sums} FROM orders AS o WHERE {PLACED}
         GROUP BY o.channel
         UNION ALL
         SELECT 'utm', o.utm_source, o.utm_campaign, {sums} FROM orders AS o WHERE {PLACED}
         GROUP BY o.utm_source, o.utm_campaign"
    );
    let [a, b] = range(placed);
    let rows = db.execute(&sql, &[a, b, json_list(done), json_list(cancel)])?;
    let (mut channels, mut utm) = (Vec::new(), Vec::new());
    for row in &rows.rows {
        let sums = SourceSums {
            key: get_text(row, 1)?,
            campaign: get_text(row, 2)?,
            orders: get_int(row, 3)?.unwrap_or(0),
            revenue: get_int(row, 4)?.unwrap_or(0),
            completed: get_int(row, 5)?.unwrap_or(0),
        };
        if get_text(row, 0)?.as_deref() == Some("channel") {
            channels.push(sums);
        } else {
            utm.push(sums);
        }
    }
    let order = |a: &SourceSums, b: &SourceSums| {
        b.orders
            .cmp(&a.orders)
            .then_with(|| a.key.cmp(&b.key))
            .then_with(|| a.campaign.cmp(&b.campaign))
    };
    channels.sort_by(order);
    utm.sort_by(order);
    Ok((channels, utm))
}

/// Messages of one channel by their status now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelMessages {
    /// `email`, `sms` or `telegram`.
    pub channel: String,
    /// Taken by the provider.
    pub sent: u64,
    /// Given up on.
    pub failed: u64,
    /// Still waiting or being sent.
    pub pending: u64,
}

/// Messages queued (outbox `created_at`) in the range, per channel.
pub fn messages(db: &Db, (start, end): (i64, i64)) -> Result<Vec<ChannelMessages>, DbError> {
    let rows = db.execute(
        "SELECT channel, SUM(status = 'sent'), SUM(status = 'failed'),
                SUM(status IN ('pending', 'sending'))
         FROM outbox WHERE created_at >= ? AND created_at < ? GROUP BY channel",
        &[
            text(Timestamp::from_unix(start).to_rfc3339()),
            text(Timestamp::from_unix(end).to_rfc3339()),
        ],
    )?;
    rows.rows
        .iter()
        .map(|row| {
            Ok(ChannelMessages {
                channel: get_text(row, 0)?.unwrap_or_default(),
                sent: count(row, 1)?,
                failed: count(row, 2)?,
                pending: count(row, 3)?,
            })
        })
        .collect()
}
