//! RFC 3339 date-times, by hand (the components carry no date crate): the one place that
//! reads and writes them.
//!
//! Read: `YYYY-MM-DDTHH:MM:SS`, optional fractions of a second (dropped), then `Z` or an
//! offset `±HH:MM` ([`to_unix`], [`is_valid`]). CDEK writes its offsets without the colon
//! (`2026-11-25T14:03:11+0700`), so [`Offset::Compact`] also takes `±HHMM`. `T` and `Z` may be
//! lower case, as RFC 3339 allows. The calendar date must exist (no 31 April); a leap second
//! (`:60`) counts as the next one. Written: [`format_utc`], `YYYY-MM-DDTHH:MM:SSZ`, the one
//! shape Orderpath stores, read back by [`parse_utc`].

use super::{civil_from_days, days_from_civil};

/// Which offset spellings are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offset {
    /// RFC 3339: `Z` or `±HH:MM`.
    Rfc3339,
    /// Also ISO 8601's basic `±HHMM` (CDEK).
    Compact,
}

/// Unix seconds of `s`, or `None` when it is not a date-time in the accepted shape.
pub fn to_unix(s: &str, offsets: Offset) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let separators = b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't')
        && b[13] == b':'
        && b[16] == b':';
    if !separators {
        return None;
    }
    let year = digits(&b[0..4])?;
    let (month, day) = (digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, minute, second) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let date_ok = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
    if !date_ok || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let count = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if count == 0 {
            return None;
        }
        rest = &fraction[count..];
    }
    let offset = offset_seconds(rest, offsets)?;
    let days = days_from_civil(i64::from(year), month, day);
    let local = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    Some(local - offset)
}

/// True when `s` is an RFC 3339 date-time with a valid calendar date, a time and an offset.
pub fn is_valid(s: &str) -> bool {
    to_unix(s, Offset::Rfc3339).is_some()
}

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds: the one timestamp shape Orderpath stores
/// (ordered the same as strings and as instants).
pub fn format_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Reads back what [`format_utc`] wrote (exactly that shape).
pub fn parse_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    to_unix(s, Offset::Rfc3339)
}

/// The offset east of UTC in seconds.
fn offset_seconds(zone: &[u8], offsets: Offset) -> Option<i64> {
    let (sign, hours, minutes) = match zone {
        [b'Z' | b'z'] => return Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => (sign, [*h1, *h2], [*m1, *m2]),
        [sign @ (b'+' | b'-'), h1, h2, m1, m2] if offsets == Offset::Compact => {
            (sign, [*h1, *h2], [*m1, *m2])
        }
        _ => return None,
    };
    let (hours, minutes) = (digits(&hours)?, digits(&minutes)?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    let seconds = i64::from(hours) * 3600 + i64::from(minutes) * 60;
    Some(if *sign == b'-' { -seconds } else { seconds })
}

/// A calendar date `YYYY-MM-DD` that exists, as written.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    match (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10])) {
        (Some(year), Some(month), Some(day)) => {
            (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
        }
        _ => false,
    }
}

fn digits(part: &[u8]) -> Option<u32> {
    part.iter().try_fold(0u32, |acc, d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_are_read_with_their_offset() {
        let cases = [
            ("1970-01-01T00:00:00Z", 0),
            ("1969-12-31T23:59:59Z", -1),
            ("2000-02-29T00:00:00+00:00", 951_782_400),
            ("2026-11-25T10:00:00+03:00", 1_795_590_000),
            ("2026-11-25T02:00:00-05:00", 1_795_590_000),
            ("2026-11-25t07:00:00z", 1_795_590_000),
            ("2026-11-25T07:00:00.999999999Z", 1_795_590_000),
        ];

        for (text, unix) in cases {
            assert_eq!(to_unix(text, Offset::Rfc3339), Some(unix), "{text}");
            assert_eq!(to_unix(text, Offset::Compact), Some(unix), "{text}");
        }
    }

    #[test]
    fn compact_offsets_are_read_only_when_allowed() {
        assert_eq!(
            to_unix("2026-11-25T14:03:11+0700", Offset::Compact),
            Some(1_795_590_191)
        );
        assert_eq!(
            to_unix("2026-11-25T14:03:11.25-0130", Offset::Compact),
            Some(1_795_590_191 + 7 * 3600 + 90 * 60)
        );
        assert_eq!(to_unix("2026-11-25T14:03:11+0700", Offset::Rfc3339), None);
    }

    #[test]
    fn malformed_date_times_are_refused() {
        for text in [
            "",
            "2026-11-25",
            "2026-11-25T10:00:00",
            "2026-11-25 10:00:00+03:00",
            "2026-02-29T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-11-00T10:00:00Z",
            "2026-04-31T10:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T10:60:00Z",
            "2026-11-25T10:00:00.Z",
            "2026-11-25T10:00:00+24:00",
            "2026-11-25T10:00:00+03:60",
            "2026-11-25T10:00:00+03",
            "2026-11-25T10:00:00+03:00 ",
            "+026-11-25T10:00:00Z",
            "2026-11-25T10:00:00ZZ",
        ] {
            assert_eq!(to_unix(text, Offset::Compact), None, "{text:?}");
        }
    }

    #[test]
    fn dates_must_exist() {
        assert!(is_date("2026-12-02"));
        assert!(is_date("2028-02-29"));
        assert!(!is_date("2026-02-29"));
        assert!(!is_date("2026-12-2"));
        assert!(!is_date("02.12.2026"));
        assert!(!is_date("2026-12-02T00:00:00Z"));
    }

    #[test]
    fn rfc3339_timestamps_with_offsets_are_accepted() {
        for ok in [
            "2026-11-24T10:15:00Z",
            "2026-11-24T10:15:00+03:00",
            "2026-11-24t10:15:00.123456z",
            "2024-02-29T23:59:60-12:30",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
    }

    #[test]
    fn timestamps_without_offset_or_with_impossible_dates_are_refused() {
        for bad in [
            "",
            "2026-11-24",
            "2026-11-24 10:15:00Z",
            "2026-11-24T10:15:00",
            "2026-11-24T10:15:00+0300",
            "2025-02-29T10:15:00Z",
            "2026-13-01T10:15:00Z",
            "2026-11-24T24:00:00Z",
            "2026-11-24T10:15:00.Z",
            "2026-11-24T10:15:00+24:00",
            "2026-11-24T10:15:00Z ",
            "2026-11-24T10:15:00Я",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn stored_timestamps_read_back_as_written() {
        for secs in [0, 1_795_590_000, -1, 951_782_400] {
            assert_eq!(parse_utc(&format_utc(secs)), Some(secs));
        }
        assert_eq!(format_utc(1_795_590_000), "2026-11-25T07:00:00Z");
        assert_eq!(
            parse_utc("2026-11-25T10:00:00+03:00"),
            None,
            "only the stored shape"
        );
        assert_eq!(parse_utc("2026-11-25t07:00:00z"), None);
        assert_eq!(parse_utc("2026-02-30T07:00:00Z"), None);
    }
}
