use crate::carrier::datetime::{is_date, to_unix, Offset};

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
