//! A hand-written RFC 3339 `date-time` check (`2026-11-24T10:15:00+03:00`), small enough for
//! the WebAssembly components where a date crate would not be.

/// True when `s` is an RFC 3339 date-time with a valid calendar date, a time and an offset
/// (`Z` or `±hh:mm`). `T` and `Z` may be lower case; fractions of a second of any length are
/// allowed.
pub(super) fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 {
        return false;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if part.iter().all(u8::is_ascii_digit) {
            Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
        } else {
            None
        }
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let (Some(hour), Some(minute), Some(second)) = (num(11..13), num(14..16), num(17..19)) else {
        return false;
    };
    let separators = b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't')
        && b[13] == b':'
        && b[16] == b':';
    let date_ok = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
    let time_ok = hour <= 23 && minute <= 59 && second <= 60;
    if !(separators && date_ok && time_ok) {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &fraction[digits..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let digits = [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit());
            digits && (h1 - b'0') * 10 + (h2 - b'0') <= 23 && (m1 - b'0') * 10 + (m2 - b'0') <= 59
        }
        _ => false,
    }
}

/// Unix seconds of a valid RFC 3339 date-time (fractions of a second dropped).
pub(super) fn to_unix(s: &str) -> Option<i64> {
    if !is_rfc3339(s) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let days = crate::automation::time::days_from_civil(
        num(0..4)?,
        u32::try_from(num(5..7)?).ok()?,
        u32::try_from(num(8..10)?).ok()?,
    );
    let local = days * 86_400 + num(11..13)? * 3600 + num(14..16)? * 60 + num(17..19)?;
    let zone = s.trim_end_matches(['Z', 'z']);
    let offset = if zone.len() == s.len() {
        let sign = if s.as_bytes()[s.len() - 6] == b'-' {
            -1
        } else {
            1
        };
        sign * (num(s.len() - 5..s.len() - 3)? * 3600 + num(s.len() - 2..s.len())? * 60)
    } else {
        0
    };
    Some(local - offset)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::is_rfc3339;

    #[test]
    fn rfc3339_timestamps_with_offsets_are_accepted() {
        for ok in [
            "2026-11-24T10:15:00Z",
            "2026-11-24T10:15:00+03:00",
            "2026-11-24t10:15:00.123456z",
            "2024-02-29T23:59:60-12:30",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
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
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
