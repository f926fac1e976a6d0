//! Marketing decisions that are not triggers: a customer's segment (M9), promo codes from a
//! pattern, when a date the customer told us is near (M6), when a product bought on a cycle
//! is due again (M8), and whether browsing one category has gone on long enough (M7).
//!
//! Every number comes from the shop's `[thresholds]`, with the defaults named here when the
//! shop leaves one out.

pub mod site;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::automation::time::{civil_from_days, days_from_civil, TimeZone};
use crate::event::Item;

/// Threshold names and their defaults.
pub mod defaults {
    /// M9: purchases (orders in the `done` group) that make a customer regular.
    pub const REGULAR_ORDERS: (&str, i64) = ("segment_regular_orders", 2);
    /// M9: money spent on purchases (minor units) that makes a customer VIP.
    pub const VIP_SPENT: (&str, i64) = ("segment_vip_spent", 10_000_000);
    /// M9: days without a purchase after which a customer who bought is lapsed.
    pub const LAPSED_DAYS: (&str, i64) = ("segment_lapsed_days", 180);
    /// M6: days before the date that the offer goes out.
    pub const DATE_DAYS_BEFORE: (&str, i64) = ("important_date_days_before", 7);
    /// M8: days before the cycle comes round that the reminder goes out.
    pub const REPEAT_DAYS_BEFORE: (&str, i64) = ("repeat_reminder_days_before", 3);
    /// M7: views of one category within the window that count as long browsing.
    pub const BROWSE_VIEWS: (&str, i64) = ("browse_category_views", 5);
    /// M7: the window, in hours.
    pub const BROWSE_WINDOW_HOURS: (&str, i64) = ("browse_window_hours", 72);
    /// Shop-local hour at which day-based offers (M6, M8) go out.
    pub const SEND_HOUR: (&str, i64) = ("marketing_send_hour", 11);
}

/// A threshold or its default.
pub fn threshold(thresholds: &BTreeMap<String, i64>, (name, default): (&str, i64)) -> i64 {
    thresholds.get(name).copied().unwrap_or(default)
}

/// The segments, by precedence: `bad` and `vip` win over the rest.
pub const SEGMENTS: [&str; 5] = ["new", "regular", "lapsed", "vip", "bad"];

/// What the segment is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerStats {
    /// Orders in the `done` group.
    pub purchases: i64,
    /// Their totals, minor units.
    pub spent: i64,
    /// When the newest of them was placed (unix seconds).
    pub last_purchase_at: Option<i64>,
    /// The customer's tags (`BAD`, `VIP`, …).
    pub tags: Vec<String>,
}

/// M9: `bad` (tagged BAD: did not buy out an order), `vip` (tagged VIP or spent at least
/// the VIP sum), `lapsed` (bought, but not for the lapse period), `regular` (at least the
/// regular number of purchases), otherwise `new` (a contact or a first order).
pub fn segment(
    stats: &CustomerStats,
    thresholds: &BTreeMap<String, i64>,
    now: i64,
) -> &'static str {
    let tagged = |tag: &str| stats.tags.iter().any(|t| t.eq_ignore_ascii_case(tag));
    let lapsed_after = threshold(thresholds, defaults::LAPSED_DAYS).saturating_mul(86_400);
    if tagged("BAD") {
        "bad"
    } else if tagged("VIP") || stats.spent >= threshold(thresholds, defaults::VIP_SPENT) {
        "vip"
    } else if stats
        .last_purchase_at
        .is_some_and(|at| now.saturating_sub(at) >= lapsed_after)
    {
        "lapsed"
    } else if stats.purchases >= threshold(thresholds, defaults::REGULAR_ORDERS) {
        "regular"
    } else {
        "new"
    }
}

/// The characters a pattern's `#` become: no 0/O or 1/I to misread. 32 of them, so a random
/// byte maps onto them evenly.
const CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A code from a pattern: each `#` takes the next random byte. `None` when there are fewer
/// bytes than `#`.
pub fn code_from_pattern(pattern: &str, random: &[u8]) -> Option<String> {
    let mut bytes = random.iter();
    pattern
        .chars()
        .map(|c| match c {
            '#' => bytes
                .next()
                .map(|b| char::from(CODE_ALPHABET[usize::from(b % 32)])),
            other => Some(other),
        })
        .collect()
}

/// A date the customer told us, as month and day (a birthday, a child's birthday, 8 March).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthDay {
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
}

impl MonthDay {
    /// Reads `MM-DD` or `YYYY-MM-DD` (the year is not needed).
    pub fn parse(text: &str) -> Option<MonthDay> {
        let parts: Vec<&str> = text.split('-').collect();
        let (m, d) = match parts.as_slice() {
            [m, d] => (*m, *d),
            [y, m, d] if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => (*m, *d),
            _ => return None,
        };
        if m.len() != 2 || d.len() != 2 {
            return None;
        }
        let month: u32 = m.parse().ok()?;
        let day: u32 = d.parse().ok()?;
        let longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        (1..=12)
            .contains(&month)
            .then_some(())
            .filter(|()| day >= 1 && day <= longest[month as usize - 1])
            .map(|()| MonthDay { month, day })
    }
}

/// M6: when the offer for `date` goes out next, strictly after `after` (unix seconds): the
/// send hour, shop time, `days_before` days before the date's next occurrence. 29 February
/// falls on 28 February in other years. Also returns the occurrence's year, which keys the
/// offer so it is made once a year.
pub fn next_date_offer(
    date: MonthDay,
    days_before: i64,
    send_hour: i64,
    zone: &TimeZone,
    after: i64,
) -> (i64, i32) {
    let (mut year, _, _) = civil_from_days(zone.local_day(after));
    loop {
        let day = if date.month == 2 && date.day == 29 && !is_leap(year) {
            28
        } else {
            date.day
        };
        let occurrence = days_from_civil(year, date.month, day);
        let send_day = occurrence - days_before;
        let at = zone.wall_time(send_day, send_hour.clamp(0, 23) * 3600);
        if at > after {
            return (at, i32::try_from(year).unwrap_or(i32::MAX));
        }
        year += 1;
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// One purchase of an article, for M8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    /// The article.
    pub sku: String,
    /// When the order was placed (unix seconds).
    pub at: i64,
}

/// A product due again (M8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatDue {
    /// The article.
    pub sku: String,
    /// Its name, for the message.
    pub name: String,
    /// Its category.
    pub category: Option<String>,
    /// Days between purchases.
    pub cycle_days: i64,
    /// `configured` (shop.toml) or `history` (the customer's own rhythm).
    pub source: &'static str,
    /// When the reminder goes out (unix seconds).
    pub remind_at: i64,
}

/// M8: for each item of an order just bought, when to remind the customer to buy it again.
/// The cycle is the shop's for the article or its category (`[repeat_cycles]`), or else the
/// customer's own: the average gap between their earlier purchases of it (two or more, gaps of
/// at least a day). Items with neither are not reminded.
pub fn repeat_reminders(
    items: &[Item],
    bought_at: i64,
    earlier: &[Purchase],
    cycles: &BTreeMap<String, i64>,
    days_before: i64,
) -> Vec<RepeatDue> {
    let mut out: Vec<RepeatDue> = Vec::new();
    for item in items {
        if out.iter().any(|r| r.sku == item.sku) {
            continue;
        }
        let configured = cycles.get(&item.sku).or_else(|| {
            item.category
                .as_ref()
                .and_then(|c| cycles.get(&format!("category:{c}")))
        });
        let (cycle_days, source) = match configured {
            Some(days) => (*days, "configured"),
            None => match own_rhythm(&item.sku, bought_at, earlier) {
                Some(days) => (days, "history"),
                None => continue,
            },
        };
        let remind_days = (cycle_days - days_before).max(1);
        out.push(RepeatDue {
            sku: item.sku.clone(),
            name: item.name.clone(),
            category: item.category.clone(),
            cycle_days,
            source,
            remind_at: bought_at.saturating_add(remind_days.saturating_mul(86_400)),
        });
    }
    out
}

/// The average gap in days between the purchases of `sku` (the earlier ones and this one),
/// when there is at least one earlier purchase and the gaps average a day or more.
fn own_rhythm(sku: &str, bought_at: i64, earlier: &[Purchase]) -> Option<i64> {
    let mut times: Vec<i64> = earlier
        .iter()
        .filter(|p| p.sku == sku && p.at < bought_at)
        .map(|p| p.at)
        .collect();
    times.push(bought_at);
    times.sort_unstable();
    times.dedup();
    let first = *times.first()?;
    let gaps = i64::try_from(times.len()).ok()? - 1;
    if gaps < 1 {
        return None;
    }
    let days = (bought_at - first) / 86_400 / gaps;
    (days >= 1).then_some(days)
}

/// M7: true when this view is the one that makes `views_in_window` reach the shop's number
/// of views (so the browsing event is raised once per crossing, not on every later view).
pub fn browsing_crossed(views_in_window: i64, thresholds: &BTreeMap<String, i64>) -> bool {
    views_in_window == threshold(thresholds, defaults::BROWSE_VIEWS).max(1)
}

#[cfg(test)]
mod tests;
