use super::*;
use crate::automation::config::{check, ConfigFiles};
use crate::automation::time::{days_from_civil, DAY};

const STATUSES: &str = include_str!("../../../../config/statuses.toml");
const SHOP: &str = r#"
time_zone = "Europe/Moscow"
[working_hours]
mon = "09:00-18:00"
tue = "09:00-18:00"
"#;

fn config() -> Config {
    let mut f = ConfigFiles::new("config");
    f.insert("shop.toml", SHOP);
    f.insert("statuses.toml", STATUSES);
    f.insert("triggers.toml", "");
    let checked = check(&f);
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    checked.config.expect("config")
}

/// Monday 23 November 2026, Moscow time.
fn monday(h: i64, m: i64) -> i64 {
    days_from_civil(2026, 11, 23) * DAY + (h - 3) * 3_600 + m * 60
}

#[test]
fn a_new_order_is_overdue_after_ten_working_minutes() {
    let config = config();
    assert!(!is_overdue(&config, "new", monday(12, 0), monday(12, 9)));
    assert!(is_overdue(&config, "new", monday(12, 0), monday(12, 10)));
}

#[test]
fn time_out_of_working_hours_does_not_count_towards_overdue() {
    let config = config();
    // Entered at 17:55 Monday: five minutes that day, five more from 09:00 Tuesday.
    let entered = monday(17, 55);
    assert!(!is_overdue(&config, "new", entered, monday(23, 0)));
    assert!(!is_overdue(&config, "new", entered, monday(24 + 9, 4)));
    assert!(is_overdue(&config, "new", entered, monday(24 + 9, 5)));
}

#[test]
fn a_status_without_a_time_limit_is_never_overdue() {
    let config = config();
    assert!(!is_overdue(&config, "confirmed", 0, monday(12, 0)));
    assert_eq!(
        overdue_entered_by(&config, "confirmed", monday(12, 0)),
        None
    );
}

#[test]
fn the_overdue_boundary_agrees_with_the_deadline_for_every_entry_time() {
    let config = config();
    for now in [
        monday(12, 0),
        monday(9, 3),
        monday(24 + 9, 4),
        monday(48 + 10, 0),
    ] {
        let by = overdue_entered_by(&config, "new", now).expect("new has a limit");
        assert!(is_overdue(&config, "new", by, now), "{now}");
        assert!(!is_overdue(&config, "new", by + 1, now), "{now}");
    }
    // Tuesday 09:04: entered up to Monday 17:54 is overdue (6 min Monday + 4 Tuesday).
    assert_eq!(
        overdue_entered_by(&config, "new", monday(24 + 9, 4)),
        Some(monday(17, 54))
    );
}

#[test]
fn segments_come_from_tags_then_the_number_of_orders() {
    assert_eq!(segment(&["BAD", "VIP"], 5), "bad");
    assert_eq!(segment(&["vip"], 1), "vip");
    assert_eq!(segment::<&str>(&[], 0), "new");
    assert_eq!(segment::<&str>(&[], 1), "new");
    assert_eq!(segment(&["wholesale"], 2), "regular");
}

fn state<'a>(status: &'a str, next: i64, last: Option<(&'a str, &'a str)>) -> OutboxState<'a> {
    OutboxState {
        status,
        next_attempt_at: next,
        lease_until: None,
        last_attempt: last,
    }
}

#[test]
fn a_message_waits_for_the_reason_its_row_tells() {
    let now = 1_000;
    let reason = |s: OutboxState<'_>| waiting(&s, now).map(|w| (w.reason, w.until));
    assert_eq!(
        reason(state("pending", 5_000, None)),
        Some(("quiet_hours", Some(5_000)))
    );
    assert_eq!(
        reason(state("pending", 5_000, Some(("smsru", "retryable")))),
        Some(("retry", Some(5_000)))
    );
    assert_eq!(
        reason(state("pending", 5_000, Some(("none", "retryable")))),
        Some(("no_provider", None))
    );
    assert_eq!(reason(state("pending", 900, None)), Some(("queued", None)));
    assert_eq!(
        reason(state("pending", 900, Some(("postmark", "retryable")))),
        Some(("queued", None))
    );
    assert_eq!(reason(state("sent", 900, Some(("postmark", "sent")))), None);
    assert_eq!(reason(state("failed", 900, None)), None);
}

#[test]
fn a_message_being_sent_waits_only_once_its_sender_is_gone() {
    let mut sending = state("sending", 0, None);
    sending.lease_until = Some(2_000);
    assert_eq!(waiting(&sending, 1_000), None);
    assert_eq!(waiting(&sending, 2_000).map(|w| w.reason), Some("queued"));
}

#[test]
fn the_trigger_is_read_from_a_trigger_actor_only() {
    assert_eq!(
        trigger_of_actor("trigger:c1-thank-you"),
        Some("c1-thank-you")
    );
    assert_eq!(trigger_of_actor("webhook:orders"), None);
    assert_eq!(trigger_of_actor("trigger:"), None);
}

#[test]
fn a_cursor_reads_back_and_nothing_else_does() {
    let cursor = encode_cursor("2026-11-24T06:00:00Z", "A-1001");
    assert!(cursor.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        decode_cursor(&cursor),
        Some(("2026-11-24T06:00:00Z".into(), "A-1001".into()))
    );
    for bad in ["", "zz", "abc", "41", &"00".repeat(400)] {
        assert_eq!(decode_cursor(bad), None, "{bad}");
    }
}
