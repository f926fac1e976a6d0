use super::generic::parse_chat_message;
use super::*;
use crate::automation::time::Opening;
use crate::event::EventError;

/// 2026-11-24T07:00:00Z: Tuesday, 10:00 in Moscow.
const TUESDAY_10: i64 = 1_795_503_600;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// The shipped hours: Mon–Fri 09:00–18:00, Sat 10:00–16:00, Sunday closed.
fn shop_hours() -> WorkingHours {
    let weekday = Opening::parse("09:00-18:00").ok();
    let mut days = [weekday; 7];
    days[5] = Opening::parse("10:00-16:00").ok();
    days[6] = None;
    WorkingHours { days }
}

fn moscow() -> TimeZone {
    TimeZone::parse("Europe/Moscow").expect("zone")
}

fn at(t: i64) -> Timing {
    timing(t, &shop_hours(), &moscow())
}

#[test]
fn a_message_in_working_hours_is_not_after_hours_and_has_no_night() {
    assert_eq!(
        at(TUESDAY_10),
        Timing {
            after_hours: false,
            night: None,
            opens_at: TUESDAY_10
        }
    );
    // The opening minute is open, the closing one is not.
    assert!(!at(TUESDAY_10 - HOUR).after_hours);
    assert!(at(TUESDAY_10 + 8 * HOUR).after_hours);
}

#[test]
fn an_evening_message_belongs_to_the_night_before_the_next_opening() {
    let evening = at(TUESDAY_10 + 9 * HOUR);
    assert!(evening.after_hours);
    assert_eq!(evening.night.as_deref(), Some("2026-11-25"));
    // Wednesday 09:00 Moscow.
    assert_eq!(evening.opens_at, TUESDAY_10 + 23 * HOUR);
    // After midnight it is still the same night.
    let small_hours = at(TUESDAY_10 + 17 * HOUR);
    assert_eq!(small_hours.night, evening.night);
    assert_eq!(small_hours.opens_at, evening.opens_at);
}

#[test]
fn saturday_evening_and_all_of_sunday_are_one_night_until_monday() {
    let saturday_17 = at(TUESDAY_10 + 4 * DAY + 7 * HOUR);
    let sunday_03 = at(TUESDAY_10 + 4 * DAY + 17 * HOUR);
    let sunday_15 = at(TUESDAY_10 + 5 * DAY + 5 * HOUR);
    assert_eq!(saturday_17.night.as_deref(), Some("2026-11-30"));
    assert_eq!(sunday_03.night, saturday_17.night);
    assert_eq!(sunday_15.night, saturday_17.night);
    // Monday 09:00 Moscow.
    assert_eq!(sunday_15.opens_at, TUESDAY_10 + 6 * DAY - HOUR);
    // Friday night is another one: the shop opens on Saturday at 10:00.
    let friday_23 = at(TUESDAY_10 + 3 * DAY + 13 * HOUR);
    assert_eq!(friday_23.night.as_deref(), Some("2026-11-28"));
}

#[test]
fn a_shop_without_working_hours_is_never_after_hours() {
    let always = timing(TUESDAY_10 + 14 * HOUR, &WorkingHours::always(), &moscow());
    assert!(!always.after_hours);
    assert_eq!(always.night, None);
}

#[test]
fn the_night_is_the_shops_local_date_not_utc() {
    // Vladivostok (UTC+10) opens at 09:00 local = 23:00 UTC the day before.
    let tz = TimeZone::parse("Asia/Vladivostok").expect("zone");
    // Tuesday 20:00 local.
    let t = timing(TUESDAY_10 + 3 * HOUR, &shop_hours(), &tz);
    assert_eq!(t.night.as_deref(), Some("2026-11-25"));
}

#[test]
fn a_preview_is_one_short_line() {
    assert_eq!(
        preview("Здравствуйте!\nЕсть ли улун?"),
        "Здравствуйте! Есть ли улун?"
    );
    let long = "чай ".repeat(60);
    let cut = preview(&long);
    assert_eq!(cut.chars().count(), PREVIEW_CHARS);
    assert!(cut.ends_with("чай…"), "{cut}");
}

#[test]
fn only_a_staff_members_own_chat_is_a_staff_chat() {
    let staff = vec![StaffMember {
        id: "m.ivanova".into(),
        name: "Мария".into(),
        roles: vec![],
        email: None,
        telegram_chat_id: Some("100000001".into()),
        phone: None,
        capacity: None,
        since: None,
        working_hours: None,
    }];
    assert!(is_staff_chat(&staff, "100000001"));
    assert!(!is_staff_chat(&staff, "555000111"));
}

fn message() -> IncomingMessage {
    parse_chat_message(
        r#"{"type":"chat.message","sent_at":"2026-11-24T22:15:00+03:00","channel":"whatsapp",
             "conversation_id":"wa-79123456789","message_id":12345,
             "sender":{"name":"Анна","phone":"+7 912 345-67-89","language":"ru"},
             "text":"  Здравствуйте!\nЕсть ли улун?  "}"#
            .as_bytes(),
    )
    .expect("a valid message")
}

#[test]
fn a_generic_message_is_read_with_its_sender() {
    let m = message();
    assert_eq!(m.source, ChatSource::Generic);
    assert_eq!(m.channel, "whatsapp");
    assert_eq!(m.conversation, "wa-79123456789");
    assert_eq!(m.message_id.as_deref(), Some("12345"));
    assert_eq!(m.sender.name.as_deref(), Some("Анна"));
    assert_eq!(
        m.sender.phone.as_ref().map(Phone::as_str),
        Some("+79123456789")
    );
    assert_eq!(m.sender.language, Some(Language::Ru));
    assert_eq!(m.text, "Здравствуйте!\nЕсть ли улун?");
    assert_eq!(m.sent_at, Some(TUESDAY_10 + 12 * HOUR + 15 * 60));
}

#[test]
fn an_anonymous_widget_message_needs_no_sender() {
    let m = parse_chat_message(
        br#"{"type":"chat.message","sent_at":"2026-11-24T22:15:00Z","channel":"site-widget",
             "conversation_id":"v-1","text":"hello"}"#,
    )
    .expect("valid");
    assert_eq!(m.sender, Sender::default());
    assert_eq!(m.message_id, None);
}

#[test]
fn bad_generic_messages_name_the_field() {
    let field = |json: &str| match parse_chat_message(json.as_bytes()) {
        Err(EventError::Invalid { field, .. }) => field,
        other => panic!("{json}: {other:?}"),
    };
    let ok = r#""sent_at":"2026-11-24T22:15:00Z","channel":"whatsapp","conversation_id":"c1""#;
    assert_eq!(field(&format!(r#"{{"type":"x",{ok},"text":"a"}}"#)), "type");
    assert_eq!(field(&format!(r#"{{"type":"chat.message",{ok}}}"#)), "text");
    assert_eq!(
        field(&format!(r#"{{"type":"chat.message",{ok},"text":"  "}}"#)),
        "text"
    );
    assert_eq!(
        field(&format!(
            r#"{{"type":"chat.message",{ok},"text":"a\u0000b"}}"#
        )),
        "text"
    );
    assert_eq!(
        field(
            r#"{"type":"chat.message","sent_at":"2026-11-24T22:15:00Z","channel":"WhatsApp","conversation_id":"c1","text":"a"}"#
        ),
        "channel"
    );
    assert_eq!(
        field(
            r#"{"type":"chat.message","sent_at":"2026-11-24 22:15","channel":"whatsapp","conversation_id":"c1","text":"a"}"#
        ),
        "sent_at"
    );
    assert_eq!(
        field(
            r#"{"type":"chat.message","sent_at":"2026-11-24T22:15:00Z","channel":"whatsapp","text":"a"}"#
        ),
        "conversation_id"
    );
    assert_eq!(
        field(&format!(
            r#"{{"type":"chat.message",{ok},"text":"a","sender":{{"phone":"12"}}}}"#
        )),
        "sender.phone"
    );
    assert_eq!(
        field(&format!(
            r#"{{"type":"chat.message",{ok},"text":"a","sender":{{"language":"de"}}}}"#
        )),
        "sender.language"
    );
    let long = "a".repeat(MAX_TEXT_CHARS + 1);
    assert_eq!(
        field(&format!(
            r#"{{"type":"chat.message",{ok},"text":"{long}"}}"#
        )),
        "text"
    );
    assert!(matches!(
        parse_chat_message(b"[1]"),
        Err(EventError::Malformed(_))
    ));
}

#[test]
fn the_event_carries_the_night_only_after_hours() {
    let m = message();
    let stored = Stored {
        conversation_id: 7,
        customer_id: Some(3),
        at: TUESDAY_10,
        first_of_night: true,
    };
    let DomainEvent::ChatMessage(day) = event(&m, stored, &at(TUESDAY_10)) else {
        panic!("a chat event")
    };
    assert!(!day.after_hours && !day.first_of_night && day.night.is_none());
    let night = at(TUESDAY_10 + 12 * HOUR);
    let DomainEvent::ChatMessage(e) = event(&m, stored, &night) else {
        panic!("a chat event")
    };
    assert!(e.after_hours && e.first_of_night);
    assert_eq!(e.night.as_deref(), Some("2026-11-25"));
    assert_eq!(e.preview, "Здравствуйте! Есть ли улун?");
    assert_eq!(e.sender.phone.as_deref(), Some("+79123456789"));
    assert_eq!((e.conversation_id, e.customer_id), (7, Some(3)));
}
