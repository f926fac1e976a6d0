//! Durations, fixed-offset time zones, civil dates, working hours and quiet hours.
//!
//! There is no time-zone database in the components (it would more than double their size),
//! so a zone is a fixed UTC offset: Russia's IANA zones are known by name (Russia has had no
//! daylight saving time since 2014) and any other place is written `UTC±HH:MM`.
//!
//! Working hours are one interval per weekday in shop-local time; a missing day is closed.
//! Time "in working hours" only runs while the shop is open: 30 working minutes from Friday
//! 17:50 with a 18:00 close and a 09:00 Monday opening end on Monday at 09:20.

mod civil;
#[cfg(test)]
mod tests;

pub use civil::{civil_from_days, days_from_civil, rfc3339_utc, Civil, Weekday};

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
    /// A zone name we do not know; there is no tz database in the component.
    #[error("unsupported time zone {0:?}: use a Russian IANA name (e.g. \"Europe/Moscow\") or a fixed offset like \"UTC+03:00\"")]
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

/// A fixed-offset time zone with the name it was configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone {
    name: String,
    offset: i64,
}

/// Russia's zones by IANA name, with their UTC offsets in hours.
const RUSSIAN_ZONES: &[(&str, i64)] = &[
    ("Europe/Kaliningrad", 2),
    ("Europe/Moscow", 3),
    ("Europe/Simferopol", 3),
    ("Europe/Kirov", 3),
    ("Europe/Volgograd", 3),
    ("Europe/Samara", 4),
    ("Europe/Astrakhan", 4),
    ("Europe/Saratov", 4),
    ("Europe/Ulyanovsk", 4),
    ("Asia/Yekaterinburg", 5),
    ("Asia/Omsk", 6),
    ("Asia/Novosibirsk", 7),
    ("Asia/Barnaul", 7),
    ("Asia/Tomsk", 7),
    ("Asia/Novokuznetsk", 7),
    ("Asia/Krasnoyarsk", 7),
    ("Asia/Irkutsk", 8),
    ("Asia/Chita", 9),
    ("Asia/Yakutsk", 9),
    ("Asia/Khandyga", 9),
    ("Asia/Vladivostok", 10),
    ("Asia/Ust-Nera", 10),
    ("Asia/Magadan", 11),
    ("Asia/Sakhalin", 11),
    ("Asia/Srednekolymsk", 11),
    ("Asia/Kamchatka", 12),
    ("Asia/Anadyr", 12),
];

impl TimeZone {
    /// UTC.
    pub fn utc() -> TimeZone {
        TimeZone {
            name: "UTC".to_owned(),
            offset: 0,
        }
    }

    /// Moscow time, UTC+03:00.
    pub fn moscow() -> TimeZone {
        TimeZone {
            name: "Europe/Moscow".to_owned(),
            offset: 3 * 3_600,
        }
    }

    /// Reads `UTC`, `UTC+03:00`, `UTC-05:30`, `UTC+3` or one of Russia's IANA names.
    pub fn parse(text: &str) -> Result<TimeZone, TimeError> {
        let s = text.trim();
        let bad = || TimeError::TimeZone(text.to_owned());
        if let Some(&(name, hours)) = RUSSIAN_ZONES.iter().find(|(n, _)| *n == s) {
            return Ok(TimeZone {
                name: name.to_owned(),
                offset: hours * 3_600,
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
            offset: sign * (h * 3_600 + m * 60),
        })
    }

    /// Seconds east of UTC.
    pub fn offset_seconds(&self) -> i64 {
        self.offset
    }

    /// The name as configured.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Local civil time of a Unix timestamp.
    pub fn civil(&self, t: i64) -> Civil {
        Civil::from_unix(t + self.offset)
    }

    /// The Unix time of local midnight starting the given local day number (days since
    /// 1970-01-01 in local time).
    fn day_start(&self, local_day: i64) -> i64 {
        local_day * DAY - self.offset
    }

    fn local_day(&self, t: i64) -> i64 {
        (t + self.offset).div_euclid(DAY)
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::moscow()
    }
}

/// A time of day in minutes after midnight, 0..=1440 (`24:00` closes a day at midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
        let midnight = tz.day_start(day);
        if let Some(opening) = hours.days[Weekday::of_day(day).index()] {
            let open = midnight + opening.open.seconds();
            let close = midnight + opening.close.seconds();
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
            let midnight = tz.day_start(day);
            let a = (midnight + opening.open.seconds()).max(from);
            let b = (midnight + opening.close.seconds()).min(to);
            total += (b - a).max(0);
        }
        day += 1;
    }
    total
}

/// The nightly window when customers get no SMS, in their local time; it may wrap midnight
/// (`21:00`–`09:00`). Equal start and end means no quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    let end_today = tz.day_start(day) + quiet.end.seconds();
    if end_today > t {
        end_today
    } else {
        tz.day_start(day + 1) + quiet.end.seconds()
    }
}
