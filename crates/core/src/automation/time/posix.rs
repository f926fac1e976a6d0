//! POSIX TZ rules (`CET-1CEST,M3.5.0,M10.5.0/3`), the footer of every TZif file: a standard
//! offset and, optionally, a daylight-saving offset with the yearly dates and local times of
//! the two changes. This is the whole time-zone model of Orderpath: one current rule per zone
//! (from the generated [`super::zones`] table), evaluated for any instant. Past rule changes
//! are not known, which only matters for dates before a zone's last change of rules.
//!
//! Offsets here are seconds east of UTC (POSIX writes them west, so the signs are flipped
//! when reading). A change's time is local time before the change (standard time for the
//! start of daylight saving, daylight time for its end), and may be negative or beyond 24 h
//! (RFC 8536 allows −167 to 167 hours).

use super::{days_from_civil, Weekday, DAY};

/// A parsed rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    /// Standard time, seconds east of UTC.
    std: i64,
    /// Daylight saving time, when the zone has it.
    dst: Option<Dst>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Dst {
    offset: i64,
    start: Change,
    end: Change,
}

/// The day and local time of a yearly change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Change {
    day: Day,
    time: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Day {
    /// `Jn`: day 1–365, February 29 never counted.
    Julian(i64),
    /// `n`: day 0–365, February 29 counted.
    Zero(i64),
    /// `Mm.w.d`: weekday `d` (0 Sunday) of week `w` (5 = last) of month `m`.
    Month(u32, u32, u32),
}

impl Rule {
    /// A fixed offset, seconds east of UTC.
    pub fn fixed(offset: i64) -> Rule {
        Rule {
            std: offset,
            dst: None,
        }
    }

    /// Reads a POSIX TZ rule; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Rule> {
        let mut p = Parser(text.as_bytes());
        p.name()?;
        let std = -p.offset(24)?;
        if p.0.is_empty() {
            return Some(Rule::fixed(std));
        }
        p.name()?;
        let offset = if matches!(p.0.first(), Some(b',') | None) {
            std + 3_600
        } else {
            -p.offset(24)?
        };
        let (start, end) = if p.0.is_empty() {
            // No dates: the US rules, as POSIX suggests.
            (
                Change {
                    day: Day::Month(3, 2, 0),
                    time: 7_200,
                },
                Change {
                    day: Day::Month(11, 1, 0),
                    time: 7_200,
                },
            )
        } else {
            p.eat(b',')?;
            let start = p.change()?;
            p.eat(b',')?;
            (start, p.change()?)
        };
        p.0.is_empty().then_some(Rule {
            std,
            dst: Some(Dst { offset, start, end }),
        })
    }

    /// The offset east of UTC in force at Unix time `t`.
    pub fn offset_at(&self, t: i64) -> i64 {
        let Some(dst) = self.dst else {
            return self.std;
        };
        let year = super::civil_from_days((t + self.std).div_euclid(DAY)).0;
        let start = dst.start.utc(year, self.std);
        let end = dst.end.utc(year, dst.offset);
        let in_dst = if start <= end {
            start <= t && t < end
        } else {
            // Southern hemisphere: daylight time spans the new year.
            !(end <= t && t < start)
        };
        if in_dst {
            dst.offset
        } else {
            self.std
        }
    }

    /// The Unix time of a local wall time (`local` = seconds since 1970-01-01 00:00 local).
    /// A time skipped when clocks go forward is read with the offset before the change (so
    /// 02:30 on a spring-forward night is 03:30 daylight time); a time that happens twice
    /// when clocks go back is its first occurrence.
    pub fn utc_of_wall_time(&self, local: i64) -> i64 {
        let Some(dst) = self.dst else {
            return local - self.std;
        };
        let (low, high) = (self.std.min(dst.offset), self.std.max(dst.offset));
        if self.offset_at(local - high) == high {
            local - high
        } else {
            local - low
        }
    }
}

impl Change {
    /// The Unix time of this change in `year`, its local time read at `offset`.
    fn utc(&self, year: i64, offset: i64) -> i64 {
        let jan1 = days_from_civil(year, 1, 1);
        let day = match self.day {
            Day::Julian(n) => {
                let leap = is_leap(year) && n >= 60;
                jan1 + n - 1 + i64::from(leap)
            }
            Day::Zero(n) => jan1 + n,
            Day::Month(m, w, d) => {
                let first = days_from_civil(year, m, 1);
                let first_weekday = (Weekday::of_day(first).index() as i64 + 1) % 7; // 0 = Sunday
                let mut day = first + (i64::from(d) - first_weekday).rem_euclid(7);
                day += 7 * (i64::from(w) - 1);
                let next_month = if m == 12 {
                    days_from_civil(year + 1, 1, 1)
                } else {
                    days_from_civil(year, m + 1, 1)
                };
                while day >= next_month {
                    day -= 7;
                }
                day
            }
        };
        day * DAY + self.time - offset
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

struct Parser<'a>(&'a [u8]);

impl Parser<'_> {
    fn eat(&mut self, b: u8) -> Option<()> {
        (self.0.first() == Some(&b)).then(|| self.0 = &self.0[1..])
    }

    /// `<+03>` or at least three letters.
    fn name(&mut self) -> Option<()> {
        if self.eat(b'<').is_some() {
            let close = self.0.iter().position(|&b| b == b'>')?;
            let ok = close >= 3
                && self.0[..close]
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'-');
            self.0 = &self.0[close + 1..];
            return ok.then_some(());
        }
        let len = self
            .0
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        self.0 = &self.0[len..];
        (len >= 3).then_some(())
    }

    fn number(&mut self, max: i64) -> Option<i64> {
        let len = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 || len > 3 {
            return None;
        }
        let n: i64 = std::str::from_utf8(&self.0[..len]).ok()?.parse().ok()?;
        self.0 = &self.0[len..];
        (n <= max).then_some(n)
    }

    /// `[+-]hh[:mm[:ss]]` in seconds, as written (POSIX: west of UTC).
    fn offset(&mut self, max_hours: i64) -> Option<i64> {
        let sign = if self.eat(b'-').is_some() {
            -1
        } else {
            self.eat(b'+');
            1
        };
        let mut secs = self.number(max_hours)? * 3_600;
        if self.eat(b':').is_some() {
            secs += self.number(59)? * 60;
            if self.eat(b':').is_some() {
                secs += self.number(59)?;
            }
        }
        Some(sign * secs)
    }

    fn change(&mut self) -> Option<Change> {
        let day = if self.eat(b'J').is_some() {
            Day::Julian(self.number(365).filter(|n| *n >= 1)?)
        } else if self.eat(b'M').is_some() {
            let m = self.number(12).filter(|n| *n >= 1)?;
            self.eat(b'.')?;
            let w = self.number(5).filter(|n| *n >= 1)?;
            self.eat(b'.')?;
            let d = self.number(6)?;
            Day::Month(m as u32, w as u32, d as u32)
        } else {
            Day::Zero(self.number(365)?)
        };
        let time = if self.eat(b'/').is_some() {
            self.offset(167)?
        } else {
            7_200
        };
        Some(Change { day, time })
    }
}
