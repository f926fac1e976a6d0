//! Analytics: the pure parts of `GET /api/analytics/{name}` — reading the period, cutting it
//! into shop-local days or weeks, percentiles, and the funnel's groups.
//!
//! A period is a run of shop-local days `from..=to`; it becomes the UTC instants
//! `[start of from, start of the day after to)` with the shop's [`TimeZone`], so a day that
//! daylight saving time shortens or lengthens is still exactly that local day. Weeks start on
//! Monday; the first and last week of a period hold only the period's days.
//!
//! Percentiles are nearest-rank: the p-th percentile of `n` sorted values is the value at rank
//! `ceil(p/100 · n)` (1-based), always a value that occurred — the median of 4 values is
//! the 2nd.

use crate::automation::time::{civil_from_days, days_from_civil, TimeZone, Weekday};
use crate::message::Language;
use crate::status::StatusPath;

/// The longest period a report covers, in days.
pub const MAX_DAYS: i64 = 366;

/// Why a query was refused (answered 400 `invalid_query`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A date that is not `YYYY-MM-DD` or does not exist.
    #[error("{0}: must be a date YYYY-MM-DD")]
    Date(&'static str),
    /// `from` after `to`.
    #[error("from: must not be after to")]
    Order,
    /// More than [`MAX_DAYS`] days.
    #[error("to: a report covers at most {MAX_DAYS} days")]
    TooLong,
    /// `by` other than `day` or `week`.
    #[error("by: must be day or week")]
    By,
}

/// Shop-local days `from..=to`, as day numbers (days since 1970-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The first day.
    pub from: i64,
    /// The last day, included.
    pub to: i64,
}

impl Period {
    /// Reads `from` and `to` (`YYYY-MM-DD`). Missing `to` is `today`; missing `from` is
    /// `default_days` days up to `to` (1 = the day `to` alone).
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        today: i64,
        default_days: i64,
    ) -> Result<Period, QueryError> {
        let to = match to {
            Some(to) => parse_date(to).ok_or(QueryError::Date("to"))?,
            None => today,
        };
        let from = match from {
            Some(from) => parse_date(from).ok_or(QueryError::Date("from"))?,
            None => to - (default_days - 1),
        };
        if from > to {
            return Err(QueryError::Order);
        }
        if to - from + 1 > MAX_DAYS {
            return Err(QueryError::TooLong);
        }
        Ok(Period { from, to })
    }

    /// The UTC instants `[start, end)` of the period in the shop's zone.
    pub fn instants(&self, tz: &TimeZone) -> (i64, i64) {
        (tz.wall_time(self.from, 0), tz.wall_time(self.to + 1, 0))
    }
}

/// Per day or per week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// Shop-local days.
    Day,
    /// Shop-local weeks, Monday to Sunday.
    Week,
}

impl By {
    /// Reads `day` or `week`; absent is `default`.
    pub fn parse(text: Option<&str>, default: By) -> Result<By, QueryError> {
        match text {
            None => Ok(default),
            Some("day") => Ok(By::Day),
            Some("week") => Ok(By::Week),
            Some(_) => Err(QueryError::By),
        }
    }

    /// `day` or `week`.
    pub fn as_str(self) -> &'static str {
        match self {
            By::Day => "day",
            By::Week => "week",
        }
    }
}

/// One point of a series: a shop-local day or week and its UTC instants `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The first day of the day or week (`YYYY-MM-DD`), the week's Monday even when the
    /// period starts later in that week.
    pub period: String,
    /// The first instant in the bucket.
    pub start: i64,
    /// The first instant after it.
    pub end: i64,
}

/// The period cut into days or weeks, in order, covering it exactly.
pub fn buckets(period: Period, by: By, tz: &TimeZone) -> Vec<Bucket> {
    let mut out = Vec::new();
    let mut day = period.from;
    while day <= period.to {
        let (label_day, next) = match by {
            By::Day => (day, day + 1),
            By::Week => {
                let monday = day - Weekday::of_day(day).index() as i64;
                (monday, (monday + 7).min(period.to + 1))
            }
        };
        out.push(Bucket {
            period: date(label_day),
            start: tz.wall_time(day, 0),
            end: tz.wall_time(next, 0),
        });
        day = next;
    }
    out
}

/// The index of the bucket holding instant `t`, if any (buckets as [`buckets`] makes them).
pub fn bucket_of(buckets: &[Bucket], t: i64) -> Option<usize> {
    let i = buckets.partition_point(|b| b.end <= t);
    (i < buckets.len() && buckets[i].start <= t).then_some(i)
}

/// The nearest-rank `pct`-th percentile of `sorted` (ascending); `None` when empty.
pub fn percentile(sorted: &[i64], pct: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len() as u64;
    let rank = (u64::from(pct) * n).div_ceil(100).clamp(1, n);
    Some(sorted[(rank - 1) as usize])
}

/// `part / whole` rounded to 4 decimals; 0 when `whole` is 0.
pub fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0
}

/// `sum / count` rounded half away from zero; 0 when `count` is 0.
pub fn average(sum: i64, count: i64) -> i64 {
    if count == 0 {
        return 0;
    }
    let (q, r) = (sum / count, sum % count);
    if 2 * r.abs() >= count.abs() {
        q + sum.signum() * count.signum()
    } else {
        q
    }
}

/// The reports `GET /api/analytics/{name}` answers, in the desk's order.
pub const REPORTS: [&str; 10] = [
    "status-times",
    "funnel",
    "cancellations",
    "conversion",
    "revenue",
    "repeat-purchases",
    "products",
    "channels",
    "calls",
    "messages",
];

/// The group of a finished-but-failed order.
pub const CANCEL_GROUP: &str = "cancel";
/// The group of a completed order.
pub const DONE_GROUP: &str = "done";

/// The groups of the path in path order (each once), the `cancel` group left out: the
/// funnel's steps.
pub fn funnel_groups(path: &StatusPath) -> Vec<&str> {
    let mut groups: Vec<&str> = Vec::new();
    for status in path.statuses() {
        if status.group != CANCEL_GROUP && !groups.contains(&status.group.as_str()) {
            groups.push(&status.group);
        }
    }
    groups
}

/// The codes of the statuses in `group`.
pub fn statuses_in<'a>(path: &'a StatusPath, group: &str) -> Vec<&'a str> {
    path.statuses()
        .iter()
        .filter(|s| s.group == group)
        .map(|s| s.code.as_str())
        .collect()
}

/// What staff read for a status group (its code when the group is the shop's own).
pub fn group_label(group: &str, language: Language) -> String {
    let (ru, en) = match group {
        "new" => ("Новые", "New"),
        "approval" => ("Согласование", "Approval"),
        "payment" => ("Оплата", "Payment"),
        "assembly" => ("Комплектация", "Assembly"),
        "delivery" => ("Доставка", "Delivery"),
        "done" => ("Выполнены", "Done"),
        "cancel" => ("Отменены", "Cancelled"),
        other => return other.to_owned(),
    };
    match language {
        Language::Ru => ru.to_owned(),
        Language::En => en.to_owned(),
    }
}

/// `YYYY-MM-DD` of a day number.
pub fn date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The day number of `YYYY-MM-DD`, if it is one and exists.
pub fn parse_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    let year: i64 = text[0..4].parse().ok()?;
    let month: u32 = text[5..7].parse().ok()?;
    let day: u32 = text[8..10].parse().ok()?;
    let days = days_from_civil(year, month, day);
    (civil_from_days(days) == (year, month, day)).then_some(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> i64 {
        parse_date(s).expect("date")
    }

    #[test]
    fn periods_are_read_with_their_defaults_and_limits() {
        let today = day("2026-11-24");
        let cases: &[(Option<&str>, Option<&str>, Result<(&str, &str), QueryError>)] = &[
            (None, None, Ok(("2026-10-26", "2026-11-24"))),
            (Some("2026-11-01"), None, Ok(("2026-11-01", "2026-11-24"))),
            (None, Some("2026-11-10"), Ok(("2026-10-12", "2026-11-10"))),
            (
                Some("2026-11-24"),
                Some("2026-11-24"),
                Ok(("2026-11-24", "2026-11-24")),
            ),
            (
                Some("2025-11-25"),
                Some("2026-11-25"),
                Ok(("2025-11-25", "2026-11-25")),
            ),
            (
                Some("2025-11-24"),
                Some("2026-11-25"),
                Err(QueryError::TooLong),
            ),
            (
                Some("2026-11-25"),
                Some("2026-11-24"),
                Err(QueryError::Order),
            ),
            (Some("2026-02-30"), None, Err(QueryError::Date("from"))),
            (None, Some("24.11.2026"), Err(QueryError::Date("to"))),
            (Some("2026-1-01"), None, Err(QueryError::Date("from"))),
            (Some("+026-11-01"), None, Err(QueryError::Date("from"))),
        ];
        for (from, to, expected) in cases {
            let got = Period::parse(*from, *to, today, 30);
            let expected = expected.clone().map(|(f, t)| Period {
                from: day(f),
                to: day(t),
            });
            assert_eq!(got, expected, "{from:?}..{to:?}");
        }
    }

    #[test]
    fn by_is_day_or_week() {
        assert_eq!(By::parse(None, By::Day), Ok(By::Day));
        assert_eq!(By::parse(Some("week"), By::Day), Ok(By::Week));
        assert_eq!(By::parse(Some("month"), By::Day), Err(QueryError::By));
    }

    #[test]
    fn days_are_shop_local_midnights() {
        let tz = TimeZone::moscow();
        let period = Period::parse(Some("2026-11-24"), Some("2026-11-25"), 0, 30).unwrap();
        let b = buckets(period, By::Day, &tz);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].period, "2026-11-24");
        // 2026-11-24T00:00+03:00 = 2026-11-23T21:00Z.
        assert_eq!(b[0].start, 1_795_467_600);
        assert_eq!(b[0].end, b[1].start);
        assert_eq!(b[1].end - b[0].start, 2 * 86_400);
        assert_eq!(period.instants(&tz), (b[0].start, b[1].end));
    }

    #[test]
    fn a_day_with_a_clock_change_keeps_its_local_length() {
        let tz = TimeZone::parse("Europe/Berlin").unwrap();
        // 2026-03-29: clocks go from 02:00 to 03:00, a 23-hour day.
        let period = Period::parse(Some("2026-03-28"), Some("2026-03-30"), 0, 30).unwrap();
        let b = buckets(period, By::Day, &tz);
        let lengths: Vec<i64> = b.iter().map(|b| b.end - b.start).collect();
        assert_eq!(lengths, vec![86_400, 82_800, 86_400]);
        // 2026-03-28T00:00+01:00.
        assert_eq!(b[0].start, 1_774_652_400);
    }

    #[test]
    fn weeks_start_on_monday_and_are_clipped_to_the_period() {
        let tz = TimeZone::utc();
        // 2026-11-19 is a Thursday; 2026-12-01 a Tuesday.
        let period = Period::parse(Some("2026-11-19"), Some("2026-12-01"), 0, 30).unwrap();
        let b = buckets(period, By::Week, &tz);
        let labels: Vec<&str> = b.iter().map(|b| b.period.as_str()).collect();
        assert_eq!(labels, vec!["2026-11-16", "2026-11-23", "2026-11-30"]);
        assert_eq!(b[0].start, day("2026-11-19") * 86_400);
        assert_eq!(b[0].end, day("2026-11-23") * 86_400);
        assert_eq!(b[2].end, day("2026-12-02") * 86_400);
    }

    #[test]
    fn an_instant_falls_in_its_bucket() {
        let tz = TimeZone::moscow();
        let period = Period::parse(Some("2026-11-24"), Some("2026-11-25"), 0, 30).unwrap();
        let b = buckets(period, By::Day, &tz);
        let cases = [
            (b[0].start - 1, None),
            (b[0].start, Some(0)),
            (b[1].start - 1, Some(0)),
            (b[1].start, Some(1)),
            (b[1].end, None),
        ];
        for (t, expected) in cases {
            assert_eq!(bucket_of(&b, t), expected, "{t}");
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let cases: &[(&[i64], u32, Option<i64>)] = &[
            (&[], 50, None),
            (&[7], 50, Some(7)),
            (&[7], 90, Some(7)),
            (&[1, 2, 3, 4], 50, Some(2)),
            (&[1, 2, 3, 4, 5], 50, Some(3)),
            (&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, Some(9)),
            (&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90, Some(10)),
            (&[5, 10], 90, Some(10)),
            (&[5, 10], 0, Some(5)),
        ];
        for (values, pct, expected) in cases {
            assert_eq!(percentile(values, *pct), *expected, "{values:?} p{pct}");
        }
    }

    #[test]
    fn rates_and_averages_round() {
        assert_eq!(rate(1, 3), 0.3333);
        assert_eq!(rate(2, 3), 0.6667);
        assert_eq!(rate(0, 0), 0.0);
        assert_eq!(average(10, 4), 3);
        assert_eq!(average(9, 4), 2);
        assert_eq!(average(0, 0), 0);
        assert_eq!(average(300_000, 2), 150_000);
    }

    #[test]
    fn the_funnel_follows_the_path_without_the_cancel_group() {
        let path = StatusPath::default_path();
        assert_eq!(
            funnel_groups(&path),
            vec!["new", "approval", "payment", "assembly", "delivery", "done"]
        );
        assert_eq!(
            statuses_in(&path, "cancel"),
            vec!["cancelled", "not-bought-out", "returned"]
        );
        assert_eq!(group_label("approval", Language::En), "Approval");
        assert_eq!(group_label("vip", Language::Ru), "vip");
    }
}
