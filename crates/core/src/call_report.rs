//! V9: call reports from the call log — answered and missed calls per operator and per day,
//! and how the missed calls were returned (how many, how fast).
//!
//! Days are the shop's local days. A missed call counts as returned by our first outbound
//! call to the same number that started after it; the time to call back is from the missed
//! call's start to the callback's start.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::automation::time::{civil_from_days, days_from_civil, TimeZone};

/// One finished call from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedCall {
    /// `inbound`, `outbound` or `internal`.
    pub direction: String,
    /// The customer's number, E.164, when known.
    pub phone: Option<String>,
    /// The operator's extension, when known.
    pub operator: Option<String>,
    /// Unix seconds.
    pub started_at: i64,
    /// Someone talked.
    pub answered: bool,
}

/// The Unix seconds range `[start, end)` of local days `from..=to` (`YYYY-MM-DD`).
pub fn day_range(from: &str, to: &str, tz: &TimeZone) -> Option<(i64, i64)> {
    let first = local_day(from)?;
    let last = local_day(to)?;
    (first <= last).then(|| (tz.wall_time(first, 0), tz.wall_time(last + 1, 0)))
}

fn local_day(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let days = days_from_civil(year, month, day);
    let back = civil_from_days(days);
    (date.len() == 10 && (back.0, back.1, back.2) == (year, month, day)).then_some(days)
}

#[derive(Default)]
struct Counts {
    answered: u64,
    missed: u64,
    outbound_answered: u64,
    outbound_unanswered: u64,
}

impl Counts {
    fn add(&mut self, call: &LoggedCall) {
        match (call.direction.as_str(), call.answered) {
            ("inbound", true) => self.answered += 1,
            ("inbound", false) => self.missed += 1,
            ("outbound", true) => self.outbound_answered += 1,
            ("outbound", false) => self.outbound_unanswered += 1,
            _ => {}
        }
    }

    fn json(&self) -> Value {
        json!({ "answered": self.answered, "missed": self.missed,
                "outbound_answered": self.outbound_answered,
                "outbound_unanswered": self.outbound_unanswered })
    }
}

/// The report for calls started in `[start, end)`; `later` are outbound calls after `end`
/// that may still return a missed call of the range. Calls are in any order.
pub fn summarize(calls: &[LoggedCall], (start, end): (i64, i64), tz: &TimeZone) -> Value {
    let mut in_range: Vec<&LoggedCall> = calls
        .iter()
        .filter(|c| c.started_at >= start && c.started_at < end && c.direction != "internal")
        .collect();
    in_range.sort_by_key(|c| c.started_at);
    let mut per_operator: BTreeMap<String, Counts> = BTreeMap::new();
    let mut per_day: BTreeMap<String, Counts> = BTreeMap::new();
    for call in &in_range {
        let operator = call.operator.clone().unwrap_or_else(|| "none".to_owned());
        per_operator.entry(operator).or_default().add(call);
        let (y, m, d) = civil_from_days(tz.local_day(call.started_at));
        per_day
            .entry(format!("{y:04}-{m:02}-{d:02}"))
            .or_default()
            .add(call);
    }
    // Our calls to each number, earliest first: a missed call's callback is the first one
    // after it (a binary search, so a year of calls stays fast).
    let mut outbound: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for call in calls.iter().filter(|c| c.direction == "outbound") {
        if let Some(phone) = &call.phone {
            outbound.entry(phone).or_default().push(call.started_at);
        }
    }
    for times in outbound.values_mut() {
        times.sort_unstable();
    }
    let mut waits = Vec::new();
    let mut waiting = Vec::new();
    let missed = in_range
        .iter()
        .filter(|c| c.direction == "inbound" && !c.answered);
    for call in missed {
        let back = call.phone.as_deref().and_then(|phone| {
            let times = outbound.get(phone)?;
            times
                .get(times.partition_point(|&t| t <= call.started_at))
                .copied()
        });
        match back {
            Some(back) => waits.push(back - call.started_at),
            None => waiting.push(json!({ "phone": call.phone, "started_at":
                crate::automation::time::rfc3339::format_utc(call.started_at) })),
        }
    }
    waits.sort_unstable();
    let median = (!waits.is_empty()).then(|| waits[waits.len() / 2]);
    json!({
        "operators": per_operator.iter().map(|(operator, c)| {
            let mut row = c.json();
            row["operator"] = json!(operator);
            row
        }).collect::<Vec<_>>(),
        "days": per_day.iter().map(|(day, c)| {
            let mut row = c.json();
            row["date"] = json!(day);
            row
        }).collect::<Vec<_>>(),
        "callbacks": {
            "missed": waits.len() + waiting.len(),
            "called_back": waits.len(),
            "median_seconds": median,
            "max_seconds": waits.last(),
            "not_called_back": waiting,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-24 10:00 Moscow.
    const T: i64 = 1_795_503_600;

    fn call(
        direction: &str,
        phone: &str,
        operator: Option<&str>,
        at: i64,
        answered: bool,
    ) -> LoggedCall {
        LoggedCall {
            direction: direction.to_owned(),
            phone: Some(phone.to_owned()),
            operator: operator.map(str::to_owned),
            started_at: at,
            answered,
        }
    }

    #[test]
    fn local_days_cover_the_shops_midnight_to_midnight() {
        let (start, end) =
            day_range("2026-11-24", "2026-11-24", &TimeZone::moscow()).expect("range");
        assert_eq!(
            crate::automation::time::rfc3339::format_utc(start),
            "2026-11-23T21:00:00Z"
        );
        assert_eq!(end - start, 86_400);
        assert_eq!(
            day_range("2026-11-25", "2026-11-24", &TimeZone::moscow()),
            None
        );
        assert_eq!(
            day_range("2026-02-30", "2026-03-01", &TimeZone::moscow()),
            None
        );
    }

    #[test]
    fn calls_are_counted_per_operator_and_day_and_callbacks_timed() {
        let calls = [
            call("inbound", "+79001", Some("101"), T, true),
            call("inbound", "+79002", None, T + 60, false),
            call("inbound", "+79003", None, T + 120, false),
            call("outbound", "+79002", Some("102"), T + 60 + 600, true),
            call("inbound", "+79004", Some("101"), T + 86_400, true),
            call("internal", "+79005", Some("101"), T, true),
        ];
        let range = day_range("2026-11-24", "2026-11-25", &TimeZone::moscow()).expect("range");

        let report = summarize(&calls, range, &TimeZone::moscow());

        assert_eq!(
            report["operators"],
            json!([
                { "operator": "101", "answered": 2, "missed": 0, "outbound_answered": 0, "outbound_unanswered": 0 },
                { "operator": "102", "answered": 0, "missed": 0, "outbound_answered": 1, "outbound_unanswered": 0 },
                { "operator": "none", "answered": 0, "missed": 2, "outbound_answered": 0, "outbound_unanswered": 0 }
            ])
        );
        assert_eq!(report["days"][0]["date"], "2026-11-24");
        assert_eq!(report["days"][0]["missed"], 2);
        assert_eq!(report["days"][1]["answered"], 1);
        assert_eq!(report["callbacks"]["missed"], 2);
        assert_eq!(report["callbacks"]["called_back"], 1);
        assert_eq!(report["callbacks"]["median_seconds"], 600);
        assert_eq!(report["callbacks"]["not_called_back"][0]["phone"], "+79003");
    }
}
