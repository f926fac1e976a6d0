//! Durations, time zones, civil dates, working hours and quiet hours.
//!
//! A zone is any IANA name, evaluated with its current POSIX TZ rule from a table generated
//! from tzdata by `scripts/gen-tz-table.py` ([`zones`], a few kilobytes: the full zone
//! database would more than double the components' size), or a fixed offset `UTC±HH:MM`.
//! Daylight saving time is followed: wall times (opening hours, the end of quiet hours) are
//! read in the offset of that day, so 09:00 is 09:00 on both sides of a change.
//!
//! Working hours are one interval per weekday in shop-local time; a missing day is closed.
//! Time "in working hours" only runs while the shop is open: 30 working minutes from Friday
//! 17:50 with a 18:00 close and a 09:00 Monday opening end on Monday at 09:20.

mod civil;
mod posix;
pub mod rfc3339;
#[cfg(test)]
mod tests;
mod zones;

pub use civil::{civil_from_days, days_from_civil, Civil, Weekday};
pub use zones::TZDATA_VERSION;

use posix::Rule;

use std::fmt;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Why a duration, a time of day or a time zone was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not `<number><unit>` pieces with units s, m, h, d, w.
    #[error("{0:?} is not a duration (write e.g. \"90s\", \"10m\", \"1h30m\", \"2d\")")]
    Duration(String),
    /// Not `HH:MM` between 00:00 and 24:00.
    #[error("{0:?} is not a time of day (write \"HH:MM\", e.g. \"09:00\")")]
    TimeOfDay(String),
    /// Not `HH:MM-HH:MM` with the start before the end.
    #[error("{0:?} is not an opening interval (write \"09:00-18:00\"; the start must be before the end)")]
    Interval(String),
    /// A zone name that is not in the IANA time zone database (as of [`TZDATA_VERSION`]).
    #[error("unknown time zone {0:?}: use an IANA name such as \"Europe/Moscow\" or \"Asia/Vladivostok\" (exact spelling), or a fixed offset like \"UTC+03:00\"")]
    TimeZone(String),
}

/// Parses `90s`, `10m`, `1h`, `2d`, `1w` and combinations like `1h30m` into seconds.
pub fn parse_duration(text: &str) -> Result<i64, TimeError> {
    let bad = || TimeError::Duration(text.to_owned());
    let s = text.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: i64 = 0;
    let mut number: Option<i64> = None;
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = number.unwrap_or(0);
            number = Some(
                n.checked_mul(10)
                    .and_then(|n| n.checked_add(i64::from(d)))
                    .ok_or_else(bad)?,
            );
        } else {
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3_600,
                'd' => DAY,
                'w' => 7 * DAY,
                _ => return Err(bad()),
            };
            let n = number.take().ok_or_else(bad)?;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(bad)?;
        }
    }
    if number.is_some() {
        return Err(bad());
    }
    Ok(total)
}

/// A time zone with the name it was configured with: any IANA zone (with its current
/// daylight-saving rule) or a fixed offset `UTC±HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeZone {
    name: String,
    rule: Rule,
}

impl TimeZone {
    /// UTC.
    pub fn utc() -> TimeZone {
        TimeZone {
            name: "UTC".to_owned(),
            rule: Rule::fixed(0),
        }
    }

    /// Moscow time, UTC+03:00.
    pub fn moscow() -> TimeZone {
        TimeZone {
            name: "Europe/Moscow".to_owned(),
            rule: Rule::fixed(3 * 3_600),
        }
    }

    /// Reads an IANA name (`Europe/Berlin`, `Asia/Vladivostok`, `UTC`; exact spelling) or a
    /// fixed offset `UTC+03:00`, `UTC-05:30`, `UTC+3`.
    pub fn parse(text: &str) -> Result<TimeZone, TimeError> {
        let s = text.trim();
        let bad = || TimeError::TimeZone(text.to_owned());
        let known = zones::ZONES
            .lines()
            .filter_map(|line| line.split_once(' '))
            .find(|(name, _)| *name == s);
        if let Some((name, rule)) = known {
            let rule = rule
                .parse::<usize>()
                .ok()
                .and_then(|n| zones::RULES.lines().nth(n));
            return Ok(TimeZone {
                name: name.to_owned(),
                rule: rule.and_then(Rule::parse).ok_or_else(bad)?,
            });
        }
        let rest = s
            .strip_prefix("UTC")
            .or_else(|| s.strip_prefix("GMT"))
            .ok_or_else(bad)?;
        if rest.is_empty() {
            return Ok(TimeZone::utc());
        }
        let (sign, rest) = match rest.as_bytes()[0] {
            b'+' => (1, &rest[1..]),
            b'-' => (-1, &rest[1..]),
            _ => return Err(bad()),
        };
        let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
        let digits =
            |p: &str| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(h) || !digits(m) {
            return Err(bad());
        }
        let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 14 || m > 59 {
            return Err(bad());
        }
        Ok(TimeZone {
            name: s.to_owned(),
            rule: Rule::fixed(sign * (h * 3_600 + m * 60)),
        })
    }

    /// Seconds east of UTC at Unix time `t` (daylight saving time included).
    pub fn offset_at(&self, t: i64) -> i64 {
        self.rule.offset_at(t)
    }

    /// The name as configured.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Local civil time of a Unix timestamp.
    pub fn civil(&self, t: i64) -> Civil {
        Civil::from_unix(t + self.offset_at(t))
    }

    /// The Unix time of a wall time: `secs` seconds after local midnight starting the local
    /// day number `local_day` (days since 1970-01-01 in local time). A wall time skipped by a
    /// change to daylight time is read as if the clocks had not moved yet (02:30 → 03:30);
    /// one that happens twice is the first.
    pub fn wall_time(&self, local_day: i64, secs: i64) -> i64 {
        self.rule.utc_of_wall_time(local_day * DAY + secs)
    }

    /// The Unix time of the local midnight starting the given local day number.
    fn day_start(&self, local_day: i64) -> i64 {
        self.wall_time(local_day, 0)
    }

    /// The local day number of a Unix time.
    pub fn local_day(&self, t: i64) -> i64 {
        (t + self.offset_at(t)).div_euclid(DAY)
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::moscow()
    }
}

/// A time of day in minutes after midnight, 0..=1440 (`24:00` closes a day at midnight).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct TimeOfDay(pub u16);

impl TimeOfDay {
    /// Reads `HH:MM` (`9:00` too) from `00:00` to `24:00`.
    pub fn parse(text: &str) -> Result<TimeOfDay, TimeError> {
        let bad = || TimeError::TimeOfDay(text.to_owned());
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        let ok = |p: &str, len: usize| {
            (1..=len).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
        };
        if !ok(h, 2) || m.len() != 2 || !ok(m, 2) {
            return Err(bad());
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if m > 59 || h > 24 || (h == 24 && m > 0) {
            return Err(bad());
        }
        Ok(TimeOfDay(h * 60 + m))
    }

    fn seconds(self) -> i64 {
        i64::from(self.0) * 60
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One opening interval of a day, start before end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Opening {
    /// When the shop opens.
    pub open: TimeOfDay,
    /// When it closes.
    pub close: TimeOfDay,
}

impl Opening {
    /// Reads `09:00-18:00` (an en dash works too).
    pub fn parse(text: &str) -> Result<Opening, TimeError> {
        let bad = || TimeError::Interval(text.to_owned());
        let (a, b) = text.split_once(['-', '–']).ok_or_else(bad)?;
        let open = TimeOfDay::parse(a).map_err(|_| bad())?;
        let close = TimeOfDay::parse(b).map_err(|_| bad())?;
        if open >= close {
            return Err(bad());
        }
        Ok(Opening { open, close })
    }
}

/// Opening hours per weekday; `None` is a closed day. All days closed counts as "always
/// open", so that time limits still run out in a shop that has not set its hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct WorkingHours {
    /// Monday first.
    pub days: [Option<Opening>; 7],
}

impl WorkingHours {
    /// Open around the clock, every day.
    pub fn always() -> WorkingHours {
        WorkingHours::default()
    }

    fn is_always_open(&self) -> bool {
        self.days.iter().all(Option::is_none)
    }

    /// The opening of a weekday.
    pub fn on(&self, day: Weekday) -> Option<Opening> {
        self.days[day.index()]
    }
}

/// True when the shop is open at `t`.
pub fn is_open(t: i64, hours: &WorkingHours, tz: &TimeZone) -> bool {
    next_open(t, hours, tz) == t
}

/// The first moment at or after `t` when the shop is open (`t` itself when open).
pub fn next_open(t: i64, hours: &WorkingHours, tz: &TimeZone) -> i64 {
    add_working_time(t, 0, hours, tz)
}

/// The moment when `duration` seconds of working time have passed since `start`.
/// A zero duration gives the next opening.
pub fn add_working_time(start: i64, duration: i64, hours: &WorkingHours, tz: &TimeZone) -> i64 {
    if hours.is_always_open() {
        return start.saturating_add(duration.max(0));
    }
    let mut remaining = duration.max(0);
    let mut t = start;
    let mut day = tz.local_day(t);
    // Each pass consumes one local day; a few years of closed days is impossible with at
    // least one open weekday, so the bound only guards against absurd durations.
    for _ in 0..100_000 {
        if let Some(opening) = hours.days[Weekday::of_day(day).index()] {
            let open = tz.wall_time(day, opening.open.seconds());
            let close = tz.wall_time(day, opening.close.seconds());
            let from = t.max(open);
            if from < close {
                if remaining <= close - from {
                    return from + remaining;
                }
                remaining -= close - from;
            }
        }
        day += 1;
        t = tz.day_start(day);
    }
    t
}

/// Seconds of working time between `from` and `to` (0 when `to` is not later).
pub fn working_time_between(from: i64, to: i64, hours: &WorkingHours, tz: &TimeZone) -> i64 {
    if to <= from {
        return 0;
    }
    if hours.is_always_open() {
        return to - from;
    }
    let mut total = 0;
    let mut day = tz.local_day(from);
    while tz.day_start(day) < to {
        if let Some(opening) = hours.days[Weekday::of_day(day).index()] {
            let a = tz.wall_time(day, opening.open.seconds()).max(from);
            let b = tz.wall_time(day, opening.close.seconds()).min(to);
            total += (b - a).max(0);
        }
        day += 1;
    }
    total
}

/// The nightly window when customers get no SMS, in their local time; it may wrap midnight
/// (`21:00`–`09:00`). Equal start and end means no quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuietHours {
    /// When the window starts.
    pub start: TimeOfDay,
    /// When it ends.
    pub end: TimeOfDay,
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            start: TimeOfDay(21 * 60),
            end: TimeOfDay(9 * 60),
        }
    }
}

/// True when the local time of `t` is inside the window `[start, end)`.
pub fn in_time_window(t: i64, start: TimeOfDay, end: TimeOfDay, tz: &TimeZone) -> bool {
    let now = tz.civil(t).minute_of_day();
    let (s, e) = (start.0 % 1440, end.0 % 1440);
    match s.cmp(&e) {
        std::cmp::Ordering::Less => s <= now && now < e,
        std::cmp::Ordering::Greater => now >= s || now < e,
        std::cmp::Ordering::Equal => false,
    }
}

/// True when `t` falls into the quiet hours in `tz`.
pub fn in_quiet_hours(t: i64, quiet: &QuietHours, tz: &TimeZone) -> bool {
    in_time_window(t, quiet.start, quiet.end, tz)
}

/// When a message held at `t` may go: the end of the current quiet window, or `t` itself
/// outside it.
pub fn quiet_hours_end(t: i64, quiet: &QuietHours, tz: &TimeZone) -> i64 {
    if !in_quiet_hours(t, quiet, tz) {
        return t;
    }
    let day = tz.local_day(t);
    let end_today = tz.wall_time(day, quiet.end.seconds());
    if end_today > t {
        end_today
    } else {
        tz.wall_time(day + 1, quiet.end.seconds())
    }
}
