//! `GET /api/analytics/{name}?from=&to=&by=`: the owner's questions as JSON, one aggregate
//! query per report (`orderpath_shell::views::analytics`), the arithmetic in
//! `orderpath_core::analytics`. What each number means: docs/staff-api.md, "Analytics".

use orderpath_core::analytics::{self as core, By, Period, QueryError, CANCEL_GROUP, DONE_GROUP};
use orderpath_core::automation::config::Config;
use orderpath_core::call_report;
use orderpath_shell::clock::Timestamp;
use orderpath_shell::db::Db;
use orderpath_shell::http::{Answer, ApiError, Inbound};
use orderpath_shell::inbound::calls;
use orderpath_shell::views::analytics as views;
use orderpath_shell::{config, plans::automation::load_config};
use serde_json::{json, Value};

/// The default period: the last 30 days up to today.
const DEFAULT_DAYS: i64 = 30;
/// The most products listed.
const TOP_PRODUCTS: i64 = 20;

pub fn report(inbound: &Inbound, name: &str) -> Result<Answer, ApiError> {
    if !orderpath_core::analytics::REPORTS.contains(&name) {
        return Err(ApiError::new(
            404,
            "not_found",
            format!(
                "no report {name:?}; reports: {}",
                orderpath_core::analytics::REPORTS.join(", ")
            ),
        ));
    }
    if name == "calls" {
        return calls_report(inbound, DEFAULT_DAYS);
    }
    let config = load_config()?;
    let tz = &config.shop.time_zone;
    let period = period_of(inbound, &config, DEFAULT_DAYS)?;
    let by = By::parse(inbound.param("by"), By::Day).map_err(invalid)?;
    let placed = period.instants(tz);
    let db = Db::open(config::synchronous()?)?;
    let path = &config.statuses.path;
    let done = core::statuses_in(path, DONE_GROUP);
    let cancel = core::statuses_in(path, CANCEL_GROUP);
    let mut data = match name {
        "status-times" => status_times(&db, placed, &config)?,
        "funnel" => funnel(&db, placed, &config, &cancel)?,
        "cancellations" => {
            let o = views::outcomes(&db, placed, &done, &cancel, true)?;
            json!({ "orders": o.orders, "cancelled": o.cancelled, "reasons":
                o.reasons.iter().map(|(reason, count)| json!({ "reason": reason, "count": count }))
                    .collect::<Vec<_>>() })
        }
        "conversion" => {
            let o = views::outcomes(&db, placed, &done, &cancel, false)?;
            json!({ "created": o.orders, "completed": o.completed, "cancelled": o.cancelled,
                    "in_progress": o.orders - o.completed - o.cancelled,
                    "rate": core::rate(o.completed, o.orders) })
        }
        "revenue" => revenue(&db, period, by, &config, &cancel)?,
        "repeat-purchases" => {
            let rows = views::orders_per_customer(&db, placed, &cancel)?;
            let customers: u64 = rows.iter().map(|(_, c)| c).sum();
            let repeat: u64 = rows.iter().filter(|(n, _)| *n >= 2).map(|(_, c)| c).sum();
            json!({ "customers": customers, "repeat_customers": repeat,
                    "repeat_rate": core::rate(repeat, customers),
                    "distribution": rows.iter().map(|(orders, customers)|
                        json!({ "orders": orders, "customers": customers })).collect::<Vec<_>>() })
        }
        "products" => {
            let rows = views::products(&db, placed, &cancel, TOP_PRODUCTS)?;
            json!({ "products": rows.iter().map(|p| json!({ "sku": p.sku, "name": p.name,
                "qty": p.qty, "revenue": p.revenue, "orders": p.orders })).collect::<Vec<_>>() })
        }
        "channels" => {
            let (channels, utm) = views::sources(&db, placed, &done, &cancel)?;
            json!({
                "channels": channels.iter().map(|c| json!({ "channel": c.key,
                    "orders": c.orders, "revenue": c.revenue })).collect::<Vec<_>>(),
                "utm": utm.iter().map(|u| json!({ "source": u.key, "campaign": u.campaign,
                    "orders": u.orders, "revenue": u.revenue, "completed": u.completed }))
                    .collect::<Vec<_>>(),
            })
        }
        _ => messages(&db, placed)?,
    };
    stamp(&mut data, period, tz.name());
    Ok(Answer::json(200, &data))
}

fn invalid(error: QueryError) -> ApiError {
    ApiError::new(400, "invalid_query", error.to_string())
}

/// `from`/`to` of the query, shop-local days; `default_days` up to today when absent.
fn period_of(inbound: &Inbound, config: &Config, default_days: i64) -> Result<Period, ApiError> {
    let today = config.shop.time_zone.local_day(Timestamp::now().unix());
    Period::parse(
        inbound.param("from"),
        inbound.param("to"),
        today,
        default_days,
    )
    .map_err(invalid)
}

fn stamp(data: &mut Value, period: Period, time_zone: &str) {
    data["from"] = json!(core::date(period.from));
    data["to"] = json!(core::date(period.to));
    data["time_zone"] = json!(time_zone);
}

/// V9 for shop-local days `from..=to`: `GET /api/reports/calls` (default: today) and
/// `GET /api/analytics/calls` (default: the last 30 days).
pub fn calls_report(inbound: &Inbound, default_days: i64) -> Result<Answer, ApiError> {
    let config = load_config()?;
    let tz = &config.shop.time_zone;
    let period = period_of(inbound, &config, default_days)?;
    let range = period.instants(tz);
    let db = Db::open(config::synchronous()?)?;
    let calls = calls::for_report(&db, range)?;
    let mut report = call_report::summarize(&calls, range, tz);
    stamp(&mut report, period, tz.name());
    Ok(Answer::json(200, &report))
}

fn status_times(db: &Db, placed: (i64, i64), config: &Config) -> Result<Value, ApiError> {
    let stays = views::status_stays(db, placed)?;
    let language = config.shop.language;
    // Path order, then any status no longer configured.
    let mut rows = Vec::new();
    let known = config.statuses.path.statuses();
    for status in known {
        if let Some(s) = stays.iter().find(|s| s.status == status.code) {
            rows.push(stay_row(s, status.label(language)));
        }
    }
    for s in &stays {
        if !known.iter().any(|k| k.code == s.status) {
            rows.push(stay_row(s, &s.status));
        }
    }
    Ok(json!({ "statuses": rows }))
}

fn stay_row(stays: &views::StatusStays, label: &str) -> Value {
    json!({ "status": stays.status, "label": label, "count": stays.seconds.len(),
            "median_seconds": core::percentile(&stays.seconds, 50),
            "p90_seconds": core::percentile(&stays.seconds, 90) })
}

fn funnel(
    db: &Db,
    placed: (i64, i64),
    config: &Config,
    cancel: &[&str],
) -> Result<Value, ApiError> {
    let path = &config.statuses.path;
    let map: Vec<(&str, &str)> = path
        .statuses()
        .iter()
        .map(|s| (s.code.as_str(), s.group.as_str()))
        .collect();
    let counts = views::funnel(db, placed, &map, cancel)?;
    let find = |list: &[(String, u64)], group: &str| {
        list.iter().find(|(g, _)| g == group).map_or(0, |(_, n)| *n)
    };
    let groups: Vec<Value> = core::funnel_groups(path)
        .into_iter()
        .map(|group| {
            json!({ "group": group, "label": core::group_label(group, config.shop.language),
                    "reached": find(&counts.reached, group),
                    "dropped": find(&counts.dropped, group) })
        })
        .collect();
    Ok(json!({ "groups": groups }))
}

fn revenue(
    db: &Db,
    period: Period,
    by: By,
    config: &Config,
    cancel: &[&str],
) -> Result<Value, ApiError> {
    let buckets = core::buckets(period, by, &config.shop.time_zone);
    let bounds: Vec<(i64, i64)> = buckets.iter().map(|b| (b.start, b.end)).collect();
    let sums = views::revenue(db, &bounds, cancel)?;
    // The currency most of the orders are in; a shop selling in one currency has only it.
    let mut per_currency: Vec<(&str, i64)> = Vec::new();
    for s in &sums {
        match per_currency.iter_mut().find(|(c, _)| *c == s.currency) {
            Some((_, n)) => *n += s.orders,
            None => per_currency.push((&s.currency, s.orders)),
        }
    }
    per_currency.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let currency = per_currency.first().map_or("RUB", |(c, _)| c);
    let points: Vec<Value> = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let (orders, revenue) = sums
                .iter()
                .find(|s| s.bucket == i && s.currency == currency)
                .map_or((0, 0), |s| (s.orders, s.revenue));
            json!({ "period": b.period, "orders": orders, "revenue": revenue,
                    "average": core::average(revenue, orders) })
        })
        .collect();
    Ok(json!({ "by": by.as_str(), "currency": currency, "points": points }))
}

fn messages(db: &Db, range: (i64, i64)) -> Result<Value, ApiError> {
    let rows = views::messages(db, range)?;
    let mut channels: Vec<Value> = Vec::new();
    let known = ["email", "sms", "telegram"];
    for channel in known {
        let row = rows
            .iter()
            .find(|r| r.channel == channel)
            .cloned()
            .unwrap_or(views::ChannelMessages {
                channel: channel.to_owned(),
                ..Default::default()
            });
        channels.push(message_row(&row));
    }
    channels.extend(
        rows.iter()
            .filter(|r| !known.contains(&r.channel.as_str()))
            .map(message_row),
    );
    Ok(json!({ "channels": channels }))
}

fn message_row(row: &views::ChannelMessages) -> Value {
    json!({ "channel": row.channel, "sent": row.sent, "failed": row.failed,
            "pending": row.pending })
}
