use super::*;
use crate::pbx::zadarma::{read, signature, MAX_AGE};
use crate::pbx::{Direction, Outcome, Stage};
use orderpath_core::automation::time::TimeZone;

const SECRET: &str = "zadarma-test-secret";
const CUSTOMER: &str = "+79123456789";
const LINE: &str = "74951234567";
const MISSED_CALL: &str = "in_5e1d9a7c3b2f4e6a8d0c1b9e7f3a2d41";
const ANSWERED_CALL: &str = "in_0b7c2e9f41d35a6c8e2f7b1d9a4c3e58";
const OUTBOUND_CALL: &str = "out_8f2a6c1e9d3b47a5c0e8f2b6d1a9c7e3";

fn read_req(request: &Req) -> Result<PbxRequest, NoticeError> {
    let now = zadarma_now(request);
    read(&request.as_request(), SECRET, &TimeZone::moscow(), now)
}

/// A form from pairs, signed with the test secret over `signed`.
fn form(pairs: &[(&str, &str)], signed: &str) -> Req {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    Req::post(body.as_bytes()).header("signature", &signature(SECRET, signed))
}

#[test]
fn signature_matches_an_independent_computation() {
    // python3: base64(hmac.new(secret, caller_id+called_did+call_start, sha1).hexdigest())
    assert_eq!(
        signature(SECRET, "+79123456789749512345672026-11-24 19:30:00"),
        "MDliMTBhZWQ3ZDgzOTU5MzQ1Y2EwMTIzNzdmNTExMjU2MTI2YTUyMQ=="
    );
}

#[test]
fn url_check_echoes_its_value_by_get_or_post() {
    let query = fixture!("zadarma/echo.query");
    let by_get = Req::get(query);
    let by_post = Req::post(query);

    assert_eq!(
        read_req(&by_get).unwrap(),
        PbxRequest::Echo("c0a8f3e1b7d2".to_owned())
    );
    assert_eq!(
        read_req(&by_post).unwrap(),
        PbxRequest::Echo("c0a8f3e1b7d2".to_owned())
    );
}

#[test]
fn url_check_refuses_values_it_should_not_repeat() {
    let long = format!("zd_echo={}", "a".repeat(129));

    malformed(read_req(&Req::get(b"zd_echo=")));
    malformed(read_req(&Req::get(b"zd_echo=%3Cscript%3E+alert(1)")));
    malformed(read_req(&Req::get(long.as_bytes())));
}

#[test]
fn start_of_an_inbound_call_names_the_caller_and_the_line() {
    let event = event(read_req(&zadarma_signed!("inbound-missed.1-start")));

    assert_eq!(
        event,
        CallEvent {
            key: format!("{MISSED_CALL}:NOTIFY_START"),
            call_id: MISSED_CALL.to_owned(),
            what: "NOTIFY_START".to_owned(),
            stage: Stage::Started,
            seq: None,
            direction: Some(Direction::Inbound),
            customer_number: Some(CUSTOMER.to_owned()),
            line: Some(LINE.to_owned()),
            operator: None,
            at: Some(EVENING),
            started_at: Some(EVENING),
            answered_at: None,
            duration: None,
            outcome: None,
        }
    );
}

#[test]
fn end_without_answer_is_a_finished_missed_call() {
    let event = event(read_req(&zadarma_signed!("inbound-missed.2-end")));

    assert_eq!(
        event,
        CallEvent {
            key: format!("{MISSED_CALL}:NOTIFY_END"),
            call_id: MISSED_CALL.to_owned(),
            what: "NOTIFY_END".to_owned(),
            stage: Stage::Finished,
            seq: None,
            direction: Some(Direction::Inbound),
            customer_number: Some(CUSTOMER.to_owned()),
            line: Some(LINE.to_owned()),
            operator: None,
            at: None,
            started_at: Some(EVENING),
            answered_at: None,
            duration: Some(0),
            outcome: Some(Outcome::Missed),
        }
    );
}

#[test]
fn answered_call_rings_an_extension_is_answered_and_ends_answered() {
    let ringing = event(read_req(&zadarma_signed!("inbound-answered.2-internal")));
    let answer = event(read_req(&zadarma_signed!("inbound-answered.3-answer")));
    let end = event(read_req(&zadarma_signed!("inbound-answered.4-end")));

    assert_eq!(
        (ringing.stage, ringing.operator.as_deref()),
        (Stage::Started, Some("101"))
    );
    assert_eq!(
        (answer.stage, answer.operator.as_deref()),
        (Stage::Answered, Some("101"))
    );
    assert_eq!(answer.key, format!("{ANSWERED_CALL}:NOTIFY_ANSWER"));
    assert_eq!(answer.started_at, Some(MORNING));
    assert_eq!(end.stage, Stage::Finished);
    assert_eq!(end.outcome, Some(Outcome::Answered));
    assert_eq!(end.duration, Some(180));
    assert_eq!(end.operator.as_deref(), Some("101"));
    for event in [&ringing, &answer, &end] {
        assert_eq!(event.call_id, ANSWERED_CALL);
        assert_eq!(event.customer_number.as_deref(), Some(CUSTOMER));
        assert_eq!(event.direction, Some(Direction::Inbound));
    }
}

#[test]
fn outbound_call_names_the_destination_as_the_customer() {
    let start = event(read_req(&zadarma_signed!("outbound-no-answer.1-out-start")));
    let end = event(read_req(&zadarma_signed!("outbound-no-answer.2-out-end")));

    assert_eq!(start.stage, Stage::Started);
    assert_eq!(start.at, Some(MORNING + 15 * 60));
    assert_eq!(start.line, None);
    assert_eq!(end.stage, Stage::Finished);
    assert_eq!(end.outcome, Some(Outcome::Missed));
    assert_eq!(end.line.as_deref(), Some(LINE));
    assert_eq!(end.key, format!("{OUTBOUND_CALL}:NOTIFY_OUT_END"));
    for event in [&start, &end] {
        assert_eq!(event.direction, Some(Direction::Outbound));
        assert_eq!(event.customer_number.as_deref(), Some("79123456789"));
        assert_eq!(event.operator.as_deref(), Some("101"));
    }
}

#[test]
fn recording_is_ignored() {
    let (key, what) = ignored(read_req(&zadarma_signed!("record")));

    assert_eq!(key, format!("{ANSWERED_CALL}:NOTIFY_RECORD"));
    assert_eq!(what, "NOTIFY_RECORD");
}

#[test]
fn voice_menu_is_ignored_once_its_signature_is_checked() {
    let pairs = [
        ("event", "NOTIFY_IVR"),
        ("call_start", "2026-11-24 10:00:00"),
        ("pbx_call_id", ANSWERED_CALL),
        ("caller_id", CUSTOMER),
        ("called_did", LINE),
    ];
    let signed = "+79123456789749512345672026-11-24 10:00:00";

    let (key, _) = ignored(read_req(&form(&pairs, signed)));
    let wrong = read_req(&form(&pairs, "something else"));

    assert_eq!(key, format!("{ANSWERED_CALL}:NOTIFY_IVR"));
    unauthorized(wrong);
}

#[test]
fn dispositions_give_outcomes() {
    let cases = [
        ("answered", Some(Outcome::Answered)),
        ("busy", Some(Outcome::Busy)),
        ("no answer", Some(Outcome::Missed)),
        ("cancel", Some(Outcome::Missed)),
        ("failed", Some(Outcome::Failed)),
        ("no money", Some(Outcome::Failed)),
        ("unallocated number", Some(Outcome::Failed)),
        ("no limit", Some(Outcome::Failed)),
        ("no day limit", Some(Outcome::Failed)),
        ("line limit", Some(Outcome::Failed)),
        ("no money, no limit", Some(Outcome::Failed)),
        ("something new", None),
    ];

    for (disposition, outcome) in cases {
        let pairs = [
            ("event", "NOTIFY_END"),
            ("call_start", "2026-11-24 19:30:00"),
            ("pbx_call_id", MISSED_CALL),
            ("caller_id", CUSTOMER),
            ("called_did", LINE),
            ("duration", "0"),
            ("disposition", disposition),
        ];
        let request = form(&pairs, "+79123456789749512345672026-11-24 19:30:00");

        assert_eq!(event(read_req(&request)).outcome, outcome, "{disposition}");
    }
}

#[test]
fn call_start_is_read_in_the_accounts_time_zone() {
    let request = zadarma_signed!("inbound-missed.1-start");
    let zone = |name| TimeZone::parse(name).unwrap();
    let read_at = |tz: &TimeZone, now| event(read(&request.as_request(), SECRET, tz, now));

    let moscow = read_at(&zone("Europe/Moscow"), EVENING);
    let kaliningrad = read_at(&zone("Europe/Kaliningrad"), EVENING + 3600);

    assert_eq!(moscow.started_at, Some(EVENING));
    assert_eq!(kaliningrad.started_at, Some(EVENING + 3600));
}

#[test]
fn call_start_follows_daylight_saving_time() {
    // 19:30 in Berlin: 18:30 UTC in winter, 17:30 UTC in summer.
    let berlin = TimeZone::parse("Europe/Berlin").unwrap();
    for (date, utc) in [
        ("2026-11-24 19:30:00", 1_795_545_000),
        ("2026-07-01 19:30:00", 1_782_927_000),
    ] {
        let signed = format!("{CUSTOMER}{LINE}{date}");
        let pairs = [
            ("event", "NOTIFY_START"),
            ("call_start", date),
            ("pbx_call_id", MISSED_CALL),
            ("caller_id", CUSTOMER),
            ("called_did", LINE),
        ];
        let request = form(&pairs, &signed);
        let read = event(read(&request.as_request(), SECRET, &berlin, utc + 60));
        assert_eq!(read.started_at, Some(utc), "{date}");
    }
}

#[test]
fn notifications_long_after_the_call_or_ahead_of_the_clock_are_refused() {
    let request = zadarma_signed!("inbound-missed.2-end");
    let moscow = TimeZone::moscow();
    let at = |now| read(&request.as_request(), SECRET, &moscow, now);

    assert!(at(EVENING + MAX_AGE).is_ok());
    assert!(at(EVENING - 3600).is_ok());
    // The ends of i64 (found by the fuzzer) are refused like any other clock, without overflow.
    for now in [
        EVENING + MAX_AGE + 1,
        EVENING - 3601,
        EVENING + 30 * 86_400,
        i64::MIN,
        i64::MAX,
    ] {
        match at(now) {
            Err(NoticeError::Invalid { field, message }) => {
                assert_eq!(field, "call_start");
                assert!(message.contains("2026-11-24 19:30:00"), "{message}");
            }
            other => panic!("{now}: {other:?}"),
        }
    }
}

#[test]
fn missing_or_wrong_signature_is_unauthorized() {
    let body = fixture!("zadarma/inbound-missed.2-end.form");
    let unsigned = Req::post(body);
    let wrong = Req::post(body).header("signature", &signature("other-secret", "x"));
    let not_base64 = Req::post(body).header("signature", "%%%");
    // The raw digest instead of its hex: what a sender that does not mimic PHP would send.
    let raw = Req::post(body).header("signature", "CbEK7X2DlZNFygEjd/URJWEmpSE=");

    for request in [unsigned, wrong, not_base64, raw] {
        unauthorized(read_req(&request));
    }
}

#[test]
fn signed_fields_cannot_be_changed() {
    let body = String::from_utf8(fixture!("zadarma/inbound-missed.1-start.form").to_vec())
        .unwrap()
        .replace("19%3A30%3A00", "10%3A30%3A00");
    let request = Req::post(body.as_bytes()).header(
        "signature",
        std::str::from_utf8(fixture!("zadarma/inbound-missed.1-start.signature")).unwrap(),
    );

    unauthorized(read_req(&request));
}

#[test]
fn events_whose_signature_cannot_be_checked_are_unauthorized() {
    let request = form(&[("event", "SMS"), ("caller_id", CUSTOMER)], CUSTOMER);

    let message = unauthorized(read_req(&request));

    assert!(message.contains("SMS"), "{message}");
}

#[test]
fn requests_without_event_or_echo_are_malformed() {
    malformed(read_req(&Req::get(b"")));
    malformed(read_req(&Req::post(b"caller_id=%2B79123456789")));
}

#[test]
fn missing_call_id_or_bad_start_time_is_invalid() {
    let signed = "+7912345678974951234567";
    let no_id = form(
        &[
            ("event", "NOTIFY_START"),
            ("call_start", "2026-11-24 19:30:00"),
            ("caller_id", CUSTOMER),
            ("called_did", LINE),
        ],
        "+79123456789749512345672026-11-24 19:30:00",
    );
    let bad_time = |start: &str| {
        form(
            &[
                ("event", "NOTIFY_START"),
                ("call_start", start),
                ("pbx_call_id", MISSED_CALL),
                ("caller_id", CUSTOMER),
                ("called_did", LINE),
            ],
            &format!("{signed}{start}"),
        )
    };
    let bad_duration = form(
        &[
            ("event", "NOTIFY_END"),
            ("call_start", "2026-11-24 19:30:00"),
            ("pbx_call_id", MISSED_CALL),
            ("caller_id", CUSTOMER),
            ("called_did", LINE),
            ("duration", "3 min"),
        ],
        "+79123456789749512345672026-11-24 19:30:00",
    );

    assert_eq!(invalid(read_req(&no_id)).0, "pbx_call_id");
    for start in [
        "",
        "24.11.2026 19:30",
        "2026-11-31 19:30:00",
        "2026-11-24 19:30:00+03",
    ] {
        assert_eq!(
            invalid(read_req(&bad_time(start))).0,
            "call_start",
            "{start}"
        );
    }
    assert_eq!(invalid(read_req(&bad_duration)).0, "duration");
}
