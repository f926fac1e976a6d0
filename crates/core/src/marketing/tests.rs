use std::collections::BTreeMap;

use super::*;
use crate::automation::time::TimeZone;

const DAY: i64 = 86_400;

fn stats(purchases: i64, spent: i64, last: Option<i64>, tags: &[&str]) -> CustomerStats {
    CustomerStats {
        purchases,
        spent,
        last_purchase_at: last,
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
    }
}

#[test]
fn segments_follow_purchases_money_time_and_tags() {
    let t = BTreeMap::new();
    let now = 1_000 * DAY;
    assert_eq!(segment(&stats(0, 0, None, &[]), &t, now), "new");
    assert_eq!(
        segment(&stats(1, 5_000, Some(now - DAY), &[]), &t, now),
        "new"
    );
    assert_eq!(
        segment(&stats(2, 9_000, Some(now - DAY), &[]), &t, now),
        "regular"
    );
    assert_eq!(
        segment(&stats(2, 9_000, Some(now - 180 * DAY), &[]), &t, now),
        "lapsed"
    );
    assert_eq!(
        segment(&stats(1, 10_000_000, Some(now - DAY), &[]), &t, now),
        "vip"
    );
    assert_eq!(segment(&stats(0, 0, None, &["VIP"]), &t, now), "vip");
    assert_eq!(
        segment(&stats(5, 99_000_000, Some(now), &["BAD"]), &t, now),
        "bad"
    );
}

#[test]
fn segment_thresholds_come_from_the_shop() {
    let t = BTreeMap::from([
        ("segment_regular_orders".to_owned(), 3),
        ("segment_lapsed_days".to_owned(), 30),
    ]);
    let now = 1_000 * DAY;
    assert_eq!(segment(&stats(2, 1, Some(now - DAY), &[]), &t, now), "new");
    assert_eq!(
        segment(&stats(3, 1, Some(now - DAY), &[]), &t, now),
        "regular"
    );
    assert_eq!(
        segment(&stats(3, 1, Some(now - 30 * DAY), &[]), &t, now),
        "lapsed"
    );
}

#[test]
fn a_pattern_fills_each_hash_from_the_alphabet() {
    assert_eq!(
        code_from_pattern("WELCOME-######", &[0, 1, 31, 32, 255, 8]).as_deref(),
        Some("WELCOME-AB9A9J")
    );
    assert_eq!(code_from_pattern("X-###", &[1, 2]), None);
}

#[test]
fn month_days_are_read_with_or_without_a_year() {
    assert_eq!(
        MonthDay::parse("03-08"),
        Some(MonthDay { month: 3, day: 8 })
    );
    assert_eq!(
        MonthDay::parse("1990-02-29"),
        Some(MonthDay { month: 2, day: 29 })
    );
    for bad in ["3-8", "13-01", "02-30", "00-10", "1990/02/01", "x"] {
        assert_eq!(MonthDay::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_date_offer_goes_out_days_before_at_the_send_hour_once_a_year() {
    let moscow = TimeZone::moscow();
    // 2026-03-01 12:00 MSK.
    let now = 1_772_355_600;
    let march_8 = MonthDay { month: 3, day: 8 };
    let (at, year) = next_date_offer(march_8, 7, 11, &moscow, now);
    // 2026-03-01 11:00 MSK has passed, so the next is 2027-03-01 11:00 MSK.
    assert_eq!((at, year), (1_803_888_000, 2027));
    let (at, year) = next_date_offer(march_8, 5, 11, &moscow, now);
    // 2026-03-03 11:00 MSK = 08:00 UTC.
    assert_eq!((at, year), (1_772_524_800, 2026));
}

#[test]
fn february_29_falls_on_the_28th_in_other_years() {
    let utc = TimeZone::utc();
    // 2027-01-01 00:00 UTC.
    let now = 1_798_761_600;
    let (at, year) = next_date_offer(MonthDay { month: 2, day: 29 }, 0, 0, &utc, now);
    assert_eq!(year, 2027);
    // 2027-02-28 00:00 UTC.
    assert_eq!(at, 1_803_772_800);
}

fn item(sku: &str, category: Option<&str>) -> Item {
    Item {
        sku: sku.to_owned(),
        name: format!("{sku} name"),
        qty: 1,
        price: 100,
        category: category.map(str::to_owned),
    }
}

#[test]
fn a_configured_cycle_reminds_days_before_it_comes_round() {
    let cycles = BTreeMap::from([("category:vitamins".to_owned(), 365)]);
    let due = repeat_reminders(&[item("D3", Some("vitamins"))], 0, &[], &cycles, 14);
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].cycle_days, due[0].source), (365, "configured"));
    assert_eq!(due[0].remind_at, 351 * DAY);
}

#[test]
fn without_a_cycle_the_customers_own_rhythm_decides() {
    let earlier = [
        Purchase {
            sku: "TEA".into(),
            at: 0,
        },
        Purchase {
            sku: "TEA".into(),
            at: 30 * DAY,
        },
    ];
    let due = repeat_reminders(
        &[item("TEA", None)],
        60 * DAY,
        &earlier,
        &BTreeMap::new(),
        3,
    );
    assert_eq!((due[0].cycle_days, due[0].source), (30, "history"));
    assert_eq!(due[0].remind_at, 87 * DAY);
    // A first purchase with no cycle configured is not reminded.
    assert!(repeat_reminders(&[item("NEW", None)], 0, &[], &BTreeMap::new(), 3).is_empty());
}

#[test]
fn browsing_counts_once_when_the_views_reach_the_number() {
    let t = BTreeMap::from([("browse_category_views".to_owned(), 3)]);
    assert!(!browsing_crossed(2, &t));
    assert!(browsing_crossed(3, &t));
    assert!(!browsing_crossed(4, &t));
}
