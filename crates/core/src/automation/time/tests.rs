use super::*;

fn msk() -> TimeZone {
    TimeZone::parse("Europe/Moscow").unwrap()
}

/// Unix time of a local date and time in `tz`.
fn at(tz: &TimeZone, y: i64, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
    tz.wall_time(days_from_civil(y, mo, d), h * 3_600 + mi * 60)
}

/// Mon–Fri 09:00–18:00, Saturday 10:00–16:00, Sunday closed.
fn office() -> WorkingHours {
    let mut days = [Some(Opening::parse("09:00-18:00").unwrap()); 7];
    days[5] = Some(Opening::parse("10:00-16:00").unwrap());
    days[6] = None;
    WorkingHours { days }
}

#[test]
fn durations_accept_units_and_combinations() {
    assert_eq!(parse_duration("90s"), Ok(90));
    assert_eq!(parse_duration("10m"), Ok(600));
    assert_eq!(parse_duration("1h"), Ok(3_600));
    assert_eq!(parse_duration("2d"), Ok(2 * DAY));
    assert_eq!(parse_duration("1h30m"), Ok(5_400));
    assert_eq!(parse_duration("1w"), Ok(7 * DAY));
    assert_eq!(parse_duration("0m"), Ok(0));
}

#[test]
fn malformed_durations_are_refused() {
    for bad in [
        "",
        "10",
        "m",
        "1x",
        "1.5h",
        "-1h",
        "1h 30m",
        "99999999999999999999d",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn russian_zones_and_fixed_offsets_are_known() {
    assert_eq!(msk().offset_at(0), 3 * 3_600);
    assert_eq!(
        TimeZone::parse("Europe/Kaliningrad").unwrap().offset_at(0),
        2 * 3_600
    );
    assert_eq!(
        TimeZone::parse("Asia/Kamchatka").unwrap().offset_at(0),
        12 * 3_600
    );
    assert_eq!(
        TimeZone::parse("Asia/Krasnoyarsk").unwrap().offset_at(0),
        7 * 3_600
    );
    assert_eq!(TimeZone::parse("UTC").unwrap().offset_at(0), 0);
    assert_eq!(TimeZone::parse("UTC+05:30").unwrap().offset_at(0), 19_800);
    assert_eq!(TimeZone::parse("UTC-03:00").unwrap().offset_at(0), -10_800);
    assert_eq!(TimeZone::parse("UTC+3").unwrap().offset_at(0), 10_800);
}

#[test]
fn unknown_zone_names_are_refused_with_a_hint() {
    let err = TimeZone::parse("Europe/Berlinn").unwrap_err();
    assert!(err.to_string().contains("UTC+03:00"), "{err}");
    for bad in [
        "UTC+15:00",
        "UTC+03:60",
        "UTC03:00",
        "Moscow",
        "",
        "europe/berlin",
    ] {
        assert!(TimeZone::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn civil_dates_round_trip_across_leap_years_and_the_epoch() {
    for (y, m, d) in [
        (1970, 1, 1),
        (2024, 2, 29),
        (2000, 3, 1),
        (1969, 12, 31),
        (2026, 12, 31),
    ] {
        assert_eq!(civil_from_days(days_from_civil(y, m, d)), (y, m, d));
    }
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(Weekday::of_day(0), Weekday::Thu);
    assert_eq!(Weekday::of_day(days_from_civil(2026, 11, 23)), Weekday::Mon);
    assert_eq!(Weekday::of_day(days_from_civil(2024, 2, 29)), Weekday::Thu);
}

#[test]
fn local_time_uses_the_zone_offset() {
    let t = at(&msk(), 2026, 11, 23, 0, 30);
    let utc = TimeZone::utc().civil(t);
    assert_eq!((utc.day, utc.hour, utc.minute), (22, 21, 30));
    assert_eq!(utc.weekday, Weekday::Sun);
    let local = msk().civil(t);
    assert_eq!(local.date(), "23.11.2026");
    assert_eq!(local.time(), "00:30");
    assert_eq!(local.weekday, Weekday::Mon);
}

#[test]
fn times_of_day_and_intervals_are_checked() {
    assert_eq!(TimeOfDay::parse("09:00"), Ok(TimeOfDay(540)));
    assert_eq!(TimeOfDay::parse("9:05"), Ok(TimeOfDay(545)));
    assert_eq!(TimeOfDay::parse("24:00"), Ok(TimeOfDay(1440)));
    for bad in ["24:01", "9", "09:60", "ab:cd", "09:5"] {
        assert!(TimeOfDay::parse(bad).is_err(), "{bad:?} was accepted");
    }
    assert!(Opening::parse("18:00-09:00").is_err());
    assert!(Opening::parse("09:00-09:00").is_err());
    assert!(Opening::parse("09:00–18:00").is_ok());
}

#[test]
fn working_time_inside_a_day_is_plain_addition() {
    let tz = msk();
    let start = at(&tz, 2026, 11, 23, 10, 0);
    assert_eq!(
        add_working_time(start, 600, &office(), &tz),
        at(&tz, 2026, 11, 23, 10, 10)
    );
}

#[test]
fn working_time_before_opening_starts_at_opening() {
    let tz = msk();
    let start = at(&tz, 2026, 11, 23, 7, 0);
    assert_eq!(
        add_working_time(start, 600, &office(), &tz),
        at(&tz, 2026, 11, 23, 9, 10)
    );
}

#[test]
fn working_time_carries_over_the_night() {
    let tz = msk();
    let start = at(&tz, 2026, 11, 23, 17, 55);
    assert_eq!(
        add_working_time(start, 600, &office(), &tz),
        at(&tz, 2026, 11, 24, 9, 5)
    );
}

#[test]
fn working_time_skips_the_closed_sunday() {
    let tz = msk();
    let saturday = at(&tz, 2026, 11, 28, 15, 50);
    assert_eq!(
        add_working_time(saturday, 1_200, &office(), &tz),
        at(&tz, 2026, 11, 30, 9, 10)
    );
    let sunday = at(&tz, 2026, 11, 29, 12, 0);
    assert_eq!(
        add_working_time(sunday, 0, &office(), &tz),
        at(&tz, 2026, 11, 30, 9, 0)
    );
}

#[test]
fn working_time_ending_exactly_at_closing_stays_that_day() {
    let tz = msk();
    let start = at(&tz, 2026, 11, 23, 17, 0);
    assert_eq!(
        add_working_time(start, 3_600, &office(), &tz),
        at(&tz, 2026, 11, 23, 18, 0)
    );
}

#[test]
fn working_time_spans_several_days() {
    let tz = msk();
    // Friday 17:00 + 9 h: 1 h Friday, 6 h Saturday, 2 h Monday.
    let start = at(&tz, 2026, 11, 27, 17, 0);
    assert_eq!(
        add_working_time(start, 9 * 3_600, &office(), &tz),
        at(&tz, 2026, 11, 30, 11, 0)
    );
}

#[test]
fn working_time_follows_the_shop_zone_not_utc() {
    let tz = TimeZone::parse("Asia/Vladivostok").unwrap();
    // 23:30 UTC on Sunday is 09:30 Monday in Vladivostok: open.
    let t = days_from_civil(2026, 11, 29) * DAY + 23 * 3_600 + 1_800;
    assert!(is_open(t, &office(), &tz));
    assert!(!is_open(t, &office(), &msk()));
}

#[test]
fn next_open_is_now_when_open_and_the_next_opening_otherwise() {
    let tz = msk();
    let open = at(&tz, 2026, 11, 23, 12, 0);
    assert_eq!(next_open(open, &office(), &tz), open);
    let closing = at(&tz, 2026, 11, 23, 18, 0);
    assert_eq!(
        next_open(closing, &office(), &tz),
        at(&tz, 2026, 11, 24, 9, 0)
    );
}

#[test]
fn shop_without_hours_counts_every_second() {
    let t = at(&msk(), 2026, 11, 29, 3, 0);
    assert_eq!(
        add_working_time(t, 600, &WorkingHours::always(), &msk()),
        t + 600
    );
}

#[test]
fn working_time_between_counts_only_open_seconds() {
    let tz = msk();
    let from = at(&tz, 2026, 11, 27, 17, 0);
    let to = at(&tz, 2026, 11, 30, 11, 0);
    assert_eq!(working_time_between(from, to, &office(), &tz), 9 * 3_600);
    assert_eq!(working_time_between(to, from, &office(), &tz), 0);
}

#[test]
fn quiet_hours_wrap_midnight() {
    let tz = msk();
    let q = QuietHours::default();
    assert!(!in_quiet_hours(at(&tz, 2026, 11, 23, 20, 59), &q, &tz));
    assert!(in_quiet_hours(at(&tz, 2026, 11, 23, 21, 0), &q, &tz));
    assert!(in_quiet_hours(at(&tz, 2026, 11, 24, 0, 0), &q, &tz));
    assert!(in_quiet_hours(at(&tz, 2026, 11, 24, 8, 59), &q, &tz));
    assert!(!in_quiet_hours(at(&tz, 2026, 11, 24, 9, 0), &q, &tz));
}

#[test]
fn quiet_hours_end_is_the_next_morning_in_the_customer_zone() {
    let tz = TimeZone::parse("Asia/Yekaterinburg").unwrap();
    let q = QuietHours::default();
    let evening = at(&tz, 2026, 12, 31, 22, 15);
    assert_eq!(quiet_hours_end(evening, &q, &tz), at(&tz, 2027, 1, 1, 9, 0));
    let night = at(&tz, 2027, 1, 1, 3, 0);
    assert_eq!(quiet_hours_end(night, &q, &tz), at(&tz, 2027, 1, 1, 9, 0));
    let day = at(&tz, 2027, 1, 1, 12, 0);
    assert_eq!(quiet_hours_end(day, &q, &tz), day);
}

#[test]
fn equal_quiet_start_and_end_mean_no_quiet_hours() {
    let q = QuietHours {
        start: TimeOfDay(0),
        end: TimeOfDay(0),
    };
    assert!(!in_quiet_hours(at(&msk(), 2026, 11, 23, 3, 0), &q, &msk()));
}

/// Unix time of a UTC date and time.
fn utc(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
    days_from_civil(y, mo, d) * DAY + h * 3_600 + mi * 60
}

fn zone(name: &str) -> TimeZone {
    TimeZone::parse(name).unwrap()
}

#[test]
fn berlin_changes_on_the_last_sundays_of_march_and_october() {
    let tz = zone("Europe/Berlin");
    // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
    assert_eq!(tz.offset_at(utc(2026, 3, 29, 0, 59)), 3_600);
    assert_eq!(tz.offset_at(utc(2026, 3, 29, 1, 0)), 7_200);
    assert_eq!(tz.offset_at(utc(2026, 10, 25, 0, 59)), 7_200);
    assert_eq!(tz.offset_at(utc(2026, 10, 25, 1, 0)), 3_600);
    assert_eq!(tz.civil(utc(2026, 7, 1, 7, 0)).time(), "09:00");
    assert_eq!(tz.civil(utc(2026, 12, 1, 8, 0)).time(), "09:00");
    // Wall times: 09:00 on each side of a change.
    assert_eq!(at(&tz, 2026, 3, 28, 9, 0), utc(2026, 3, 28, 8, 0));
    assert_eq!(at(&tz, 2026, 3, 30, 9, 0), utc(2026, 3, 30, 7, 0));
    assert_eq!(at(&tz, 2026, 10, 24, 9, 0), utc(2026, 10, 24, 7, 0));
    assert_eq!(at(&tz, 2026, 10, 26, 9, 0), utc(2026, 10, 26, 8, 0));
    // 02:30 on 29 March does not exist: read as 03:30 summer time. 02:30 on 25 October
    // happens twice: the first (summer time).
    assert_eq!(at(&tz, 2026, 3, 29, 2, 30), utc(2026, 3, 29, 1, 30));
    assert_eq!(at(&tz, 2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30));
}

#[test]
fn new_york_follows_the_us_rules() {
    let tz = zone("America/New_York");
    // 2026: 8 March 07:00 UTC to 1 November 06:00 UTC.
    assert_eq!(tz.offset_at(utc(2026, 3, 8, 6, 59)), -5 * 3_600);
    assert_eq!(tz.offset_at(utc(2026, 3, 8, 7, 0)), -4 * 3_600);
    assert_eq!(tz.offset_at(utc(2026, 11, 1, 5, 59)), -4 * 3_600);
    assert_eq!(tz.offset_at(utc(2026, 11, 1, 6, 0)), -5 * 3_600);
    let new_year = tz.civil(utc(2027, 1, 1, 4, 59));
    assert_eq!((new_year.day, new_year.time()), (31, "23:59".to_owned()));
}

#[test]
fn sydney_has_summer_time_across_the_new_year() {
    let tz = zone("Australia/Sydney");
    // AEDT (+11) from the first Sunday of October to the first Sunday of April.
    assert_eq!(tz.offset_at(utc(2026, 1, 15, 0, 0)), 11 * 3_600);
    assert_eq!(tz.offset_at(utc(2026, 7, 15, 0, 0)), 10 * 3_600);
    assert_eq!(tz.offset_at(utc(2026, 12, 31, 20, 0)), 11 * 3_600);
    // 5 April 2026 03:00 AEDT = 4 April 16:00 UTC; 4 October 02:00 AEST = 3 October 16:00 UTC.
    assert_eq!(tz.offset_at(utc(2026, 4, 4, 15, 59)), 11 * 3_600);
    assert_eq!(tz.offset_at(utc(2026, 4, 4, 16, 0)), 10 * 3_600);
    assert_eq!(tz.offset_at(utc(2026, 10, 3, 15, 59)), 10 * 3_600);
    assert_eq!(tz.offset_at(utc(2026, 10, 3, 16, 0)), 11 * 3_600);
}

#[test]
fn zones_without_daylight_time_keep_one_offset() {
    for (name, hours) in [
        ("Asia/Vladivostok", 10),
        ("Europe/Moscow", 3),
        ("Asia/Tokyo", 9),
        ("America/Sao_Paulo", -3),
        ("UTC", 0),
        ("Etc/GMT+5", -5),
    ] {
        let tz = zone(name);
        for t in [utc(2026, 1, 10, 12, 0), utc(2026, 7, 10, 12, 0)] {
            assert_eq!(tz.offset_at(t), hours * 3_600, "{name}");
        }
    }
    assert_eq!(zone("Asia/Kolkata").offset_at(0), 19_800);
}

#[test]
fn dublin_winter_time_is_the_negative_daylight_time() {
    let tz = zone("Europe/Dublin");
    assert_eq!(tz.offset_at(utc(2026, 1, 10, 12, 0)), 0);
    assert_eq!(tz.offset_at(utc(2026, 7, 10, 12, 0)), 3_600);
}

#[test]
fn every_zone_in_the_table_has_a_readable_rule() {
    let names: Vec<&str> = zones::ZONES
        .lines()
        .map(|line| line.split_once(' ').expect("name and rule").0)
        .collect();
    assert!(names.len() > 500, "{}", names.len());
    for name in &names {
        let tz = TimeZone::parse(name);
        assert_eq!(tz.as_ref().map(TimeZone::name), Ok(*name));
    }
    for rule in zones::RULES.lines() {
        assert!(posix::Rule::parse(rule).is_some(), "{rule}");
    }
}

#[test]
fn working_hours_and_quiet_hours_follow_daylight_time() {
    let tz = zone("Europe/Berlin");
    let q = QuietHours::default();
    // 08:30 local is quiet on both sides of the March change; 09:00 is not.
    assert!(in_quiet_hours(at(&tz, 2026, 3, 28, 8, 30), &q, &tz));
    assert!(!in_quiet_hours(at(&tz, 2026, 3, 30, 9, 0), &q, &tz));
    assert_eq!(
        quiet_hours_end(at(&tz, 2026, 3, 28, 22, 0), &q, &tz),
        utc(2026, 3, 29, 7, 0)
    );
    assert_eq!(
        quiet_hours_end(at(&tz, 2026, 10, 24, 22, 0), &q, &tz),
        utc(2026, 10, 25, 8, 0)
    );
    assert!(is_open(utc(2026, 3, 30, 7, 0), &office(), &tz));
    assert!(!is_open(utc(2026, 3, 27, 7, 0), &office(), &tz));
}
