//! Carriers' date-times as unix seconds, by hand (the components carry no date crate).
//!
//! `YYYY-MM-DDTHH:MM:SS`, optional fractions of a second (dropped), then `Z` or an offset
//! `±HH:MM`. CDEK writes its offsets without the colon (`2026-11-25T14:03:11+0700`), so
//! [`Offset::Compact`] also takes `±HHMM`. `T` and `Z` may be lower case, as RFC 3339 allows.
//! The calendar date must exist (no 31 April); a leap second (`:60`) counts as the next one.

use crate::automation::time::days_from_civil;

/// Which offset spellings are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offset {
    /// RFC 3339: `Z` or `±HH:MM`.
    Rfc3339,
    /// Also ISO 8601's basic `±HHMM` (CDEK).
    Compact,
}

/// Unix seconds of `s`, or `None` when it is not a date-time in the accepted shape.
pub(crate) fn to_unix(s: &str, offsets: Offset) -> Option<i64> {
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
pub(crate) fn is_date(s: &str) -> bool {
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
