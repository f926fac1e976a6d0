//! Wall-clock time for the shell.
//!
//! Components read the time through WASI's wall clock, which Spin serves from the host clock
//! (and the test harness from an injected one). Timestamps are stored as RFC 3339 UTC strings
//! with second precision (`2026-11-24T10:15:00Z`): readable in the database and ordered the same
//! way as strings and as instants, so `WHERE next_attempt_at <= ?` works.

use std::time::{SystemTime, UNIX_EPOCH};

/// An instant, in whole seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time from the wall clock.
    pub fn now() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Timestamp(secs)
    }

    /// The instant `secs` seconds after the epoch.
    pub fn from_unix(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// Seconds since the epoch.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// This instant moved by `secs` seconds.
    pub fn plus_secs(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs))
    }

    /// RFC 3339 in UTC, e.g. `2026-11-24T10:15:00Z`.
    pub fn to_rfc3339(self) -> String {
        let days = self.0.div_euclid(86_400);
        let rem = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

/// Converts days since 1970-01-01 to a (year, month, day) date in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_formats_as_1970() {
        assert_eq!(Timestamp::from_unix(0).to_rfc3339(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn a_known_instant_formats_in_utc() {
        // 2026-11-24T10:15:30Z
        assert_eq!(
            Timestamp::from_unix(1_795_515_330).to_rfc3339(),
            "2026-11-24T10:15:30Z"
        );
    }

    #[test]
    fn leap_day_is_formatted() {
        assert_eq!(
            Timestamp::from_unix(1_709_164_800).to_rfc3339(),
            "2024-02-29T00:00:00Z"
        );
    }
}
