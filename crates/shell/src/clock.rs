//! Wall-clock time for the shell.
//!
//! Components read the time through WASI's wall clock, which Spin serves from the host clock
//! (and the test harness from an injected one). Timestamps are stored as RFC 3339 UTC strings
//! with second precision (`2026-11-24T10:15:00Z`): readable in the database and ordered the same
//! way as strings and as instants, so `WHERE next_attempt_at <= ?` works.

use std::time::{SystemTime, UNIX_EPOCH};

use orderpath_core::automation::time::rfc3339;

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

    /// Reads back what [`Timestamp::to_rfc3339`] wrote (`YYYY-MM-DDTHH:MM:SSZ`).
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        rfc3339::parse_utc(text).map(Timestamp)
    }

    /// RFC 3339 in UTC, e.g. `2026-11-24T10:15:00Z`.
    pub fn to_rfc3339(self) -> String {
        rfc3339::format_utc(self.0)
    }
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
    fn formatted_instants_parse_back() {
        for secs in [0, 1_709_164_800, 1_795_515_330] {
            let text = Timestamp::from_unix(secs).to_rfc3339();
            assert_eq!(
                Timestamp::parse_rfc3339(&text),
                Some(Timestamp::from_unix(secs))
            );
        }
        assert_eq!(Timestamp::parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn leap_day_is_formatted() {
        assert_eq!(
            Timestamp::from_unix(1_709_164_800).to_rfc3339(),
            "2024-02-29T00:00:00Z"
        );
    }
}
