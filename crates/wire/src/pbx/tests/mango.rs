use serde_json::{json, Value};

use super::*;
use crate::acquirer::verify::form_pairs;
use crate::pbx::mango::{read, sign};
use crate::pbx::{Direction, Outcome, Stage};

const KEY: &str = "mango-test-key";
const SALT: &str = "mango-test-salt";
const LINE: &str = "74951234567";
const CUSTOMER: &str = "79123456789";
const MISSED_ENTRY: &str = "MToxMDA3NTYzMjo1MDA6NTAxNDQ3MTE5";
const ANSWERED_ENTRY: &str = "MToxMDA3NTYzMjo1MDA6NTAxNDM5MDAw";
const ANSWERED_LEG: &str = "MToxMDA3NTYzMjo1MDA6NTAxNDM5MDAwOjI";

fn read_fixture(rest: &str, body: &[u8]) -> Result<PbxRequest, NoticeError> {
    read(&Req::post(body).rest(rest).as_request(), KEY, SALT)
}

/// The `json` field of a fixture, parsed.
fn json_of(body: &[u8]) -> Value {
    let pairs = form_pairs(body);
    let (_, json) = pairs.iter().find(|(k, _)| k == "json").unwrap();
    serde_json::from_str(json).unwrap()
}

/// A form carrying `json` exactly as given, signed with the test key and salt.
fn form(json: &str) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("vpbx_api_key", KEY)
        .append_pair("sign", &sign(KEY, json, SALT))
        .append_pair("json", json)
        .finish()
        .into_bytes()
}

/// A fixture's event with one member changed (`pointer` as in RFC 6901) or removed, signed.
fn edited(body: &[u8], pointer: &str, value: Option<Value>) -> Vec<u8> {
    let mut doc = json_of(body);
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = doc.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    match value {
        Some(v) => target.insert(key.to_owned(), v),
        None => target.remove(key),
    };
    form(&doc.to_string())
}

#[test]
fn sign_matches_an_independent_computation() {
    // The fixtures' signs were computed with python's hashlib (see the fixtures' README).
    let body = fixture!("mango/inbound-answered.4-summary.form");
    let pairs = form_pairs(body);
    let json = &pairs.iter().find(|(k, _)| k == "json").unwrap().1;

    assert_eq!(
        sign(KEY, json, SALT),
        "c24343708dd0a0ae764d68fc83ec9d173e6b183da85f960ef9a66d8b5133c394"
    );
}

#[test]
fn appeared_leg_of_an_inbound_call_is_its_start() {
    let event = event(read_fixture(
        "events/call",
        fixture!("mango/inbound-missed.1-appeared.form"),
    ));

    assert_eq!(
        event,
        CallEvent {
            key: format!("{MISSED_ENTRY}:MToxMDA3NTYzMjo1MDA6NTAxNDQ3MTE5OjE:1"),
            call_id: MISSED_ENTRY.to_owned(),
            what: "events/call:Appeared".to_owned(),
            stage: Stage::Started,
            seq: Some(1),
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
fn leg_disconnected_with_all_operators_unavailable_is_a_missed_leg() {
    let event = event(read_fixture(
        "events/call",
        fixture!("mango/inbound-missed.2-disconnected.form"),
    ));

    assert_eq!(event.stage, Stage::LegEnded);
    assert_eq!(event.outcome, Some(Outcome::Missed));
    assert_eq!(event.seq, Some(2));
    assert_eq!(event.at, Some(EVENING + 25));
    assert_eq!((event.started_at, event.answered_at), (None, None));
}

#[test]
fn summary_of_an_unanswered_inbound_call_is_a_finished_missed_call() {
    let event = event(read_fixture(
        "events/summary",
        fixture!("mango/inbound-missed.3-summary.form"),
    ));

    assert_eq!(
        event,
        CallEvent {
            key: format!("{MISSED_ENTRY}:summary"),
            call_id: MISSED_ENTRY.to_owned(),
            what: "events/summary".to_owned(),
            stage: Stage::Finished,
            seq: None,
            direction: Some(Direction::Inbound),
            customer_number: Some(CUSTOMER.to_owned()),
            line: Some(LINE.to_owned()),
            operator: None,
            at: Some(EVENING + 25),
            started_at: Some(EVENING),
            answered_at: None,
            duration: Some(0),
            outcome: Some(Outcome::Missed),
        }
    );
}

#[test]
fn connected_leg_is_the_operators_answer() {
    let event = event(read_fixture(
        "events/call",
        fixture!("mango/inbound-answered.2-connected.form"),
    ));

    assert_eq!(
        event,
        CallEvent {
            key: format!("{ANSWERED_ENTRY}:{ANSWERED_LEG}:2"),
            call_id: ANSWERED_ENTRY.to_owned(),
            what: "events/call:Connected".to_owned(),
            stage: Stage::Answered,
            seq: Some(2),
            direction: Some(Direction::Inbound),
            customer_number: Some(CUSTOMER.to_owned()),
            line: Some(LINE.to_owned()),
            operator: Some("101".to_owned()),
            at: Some(MORNING + 8),
            started_at: None,
            answered_at: Some(MORNING + 8),
            duration: None,
            outcome: None,
        }
    );
}

#[test]
fn normal_clearing_leaves_the_legs_outcome_to_the_call_state() {
    let event = event(read_fixture(
        "events/call",
        fixture!("mango/inbound-answered.3-disconnected.form"),
    ));

    assert_eq!(event.stage, Stage::LegEnded);
    assert_eq!(event.outcome, None);
    assert_eq!(event.operator.as_deref(), Some("101"));
}

#[test]
fn summary_of_a_talk_reads_talk_time_as_the_moment_of_answer() {
    let event = event(read_fixture(
        "events/summary",
        fixture!("mango/inbound-answered.4-summary.form"),
    ));

    assert_eq!(event.outcome, Some(Outcome::Answered));
    assert_eq!(event.started_at, Some(MORNING));
    assert_eq!(event.answered_at, Some(MORNING + 8));
    assert_eq!(event.at, Some(MORNING + 188));
    assert_eq!(event.duration, Some(180));
    assert_eq!(event.operator.as_deref(), Some("101"));
    assert_eq!(event.customer_number.as_deref(), Some(CUSTOMER));
}

#[test]
fn outbound_leg_and_summary_name_the_callee_as_the_customer() {
    let leg = event(read_fixture(
        "events/call",
        fixture!("mango/outbound-no-answer.1-appeared.form"),
    ));
    let summary = event(read_fixture(
        "events/summary",
        fixture!("mango/outbound-no-answer.2-summary.form"),
    ));

    for event in [&leg, &summary] {
        assert_eq!(event.direction, Some(Direction::Outbound));
        assert_eq!(event.customer_number.as_deref(), Some(CUSTOMER));
        assert_eq!(event.operator.as_deref(), Some("101"));
    }
    assert_eq!(leg.line, None);
    assert_eq!(summary.line.as_deref(), Some(LINE));
    assert_eq!(summary.outcome, Some(Outcome::Missed));
    assert_eq!(summary.started_at, Some(MORNING + 15 * 60));
}

#[test]
fn unknown_number_summary_names_that_number() {
    let event = event(read_fixture(
        "events/summary",
        fixture!("mango/unknown-number-missed.summary.form"),
    ));

    assert_eq!(event.customer_number.as_deref(), Some("79990001122"));
    assert_eq!(event.outcome, Some(Outcome::Missed));
}

#[test]
fn the_path_may_leave_out_events() {
    let body = fixture!("mango/inbound-missed.3-summary.form");

    assert_eq!(
        read_fixture("summary", body),
        read_fixture("events/summary", body)
    );
}

#[test]
fn other_events_are_ignored_under_a_key_of_their_content() {
    let body = fixture!("mango/dtmf.form");

    let (key, what) = ignored(read_fixture("events/dtmf", body));
    let again = ignored(read_fixture("events/dtmf", body));
    let other = ignored(read_fixture(
        "events/dtmf",
        &edited(body, "/dtmf", Some(json!("2"))),
    ));

    assert_eq!(what, "events/dtmf");
    assert!(key.starts_with("events/dtmf:"), "{key}");
    assert_eq!(key.len(), "events/dtmf:".len() + 16);
    assert_eq!(again.0, key);
    assert_ne!(other.0, key);
}

#[test]
fn a_leg_on_hold_is_ignored_under_its_leg_key() {
    let body = edited(
        fixture!("mango/inbound-answered.2-connected.form"),
        "/call_state",
        Some(json!("OnHold")),
    );

    let (key, what) = ignored(read_fixture("events/call", &body));

    assert_eq!(key, format!("{ANSWERED_ENTRY}:{ANSWERED_LEG}:2"));
    assert_eq!(what, "events/call:OnHold");
}

#[test]
fn connected_to_the_voice_menu_or_queue_is_no_answer() {
    let connected = fixture!("mango/inbound-answered.2-connected.form");

    for location in ["ivr", "queue"] {
        let body = edited(connected, "/location", Some(json!(location)));

        let event = event(read_fixture("events/call", &body));

        assert_eq!(event.stage, Stage::Started, "{location}");
        assert_eq!(event.answered_at, None);
    }
}

#[test]
fn leg_outcomes_follow_the_disconnect_reason() {
    let disconnected = fixture!("mango/inbound-missed.2-disconnected.form");
    let cases = [
        (json!(1100), None),
        (json!(1110), None),
        (json!("1120"), None),
        (json!(1111), Some(Outcome::Missed)),
        (json!(1163), Some(Outcome::Missed)),
        (json!(1122), Some(Outcome::Missed)),
        (json!(1123), Some(Outcome::Missed)),
        (json!(1121), Some(Outcome::Busy)),
        (json!(2230), Some(Outcome::Failed)),
    ];

    for (reason, outcome) in cases {
        let body = edited(disconnected, "/disconnect_reason", Some(reason.clone()));

        assert_eq!(
            event(read_fixture("events/call", &body)).outcome,
            outcome,
            "{reason}"
        );
    }
}

#[test]
fn summary_outcomes_follow_talk_result_and_reason() {
    let missed = fixture!("mango/inbound-missed.3-summary.form");
    let busy = edited(missed, "/disconnect_reason", Some(json!(1121)));
    let failed = edited(missed, "/disconnect_reason", Some(json!("3100")));
    let no_reason = edited(missed, "/disconnect_reason", None);
    let success = edited(missed, "/entry_result", Some(json!(1)));

    let outcome = |body: &[u8]| event(read_fixture("events/summary", body));

    assert_eq!(outcome(&busy).outcome, Some(Outcome::Busy));
    assert_eq!(outcome(&failed).outcome, Some(Outcome::Failed));
    assert_eq!(outcome(&no_reason).outcome, Some(Outcome::Missed));
    let success = outcome(&success);
    assert_eq!(success.outcome, Some(Outcome::Answered));
    assert_eq!((success.answered_at, success.duration), (None, None));
}

#[test]
fn summary_without_a_direction_takes_it_from_its_ends() {
    let outbound = edited(
        fixture!("mango/outbound-no-answer.2-summary.form"),
        "/call_direction",
        None,
    );
    let inbound = edited(
        fixture!("mango/inbound-answered.4-summary.form"),
        "/call_direction",
        Some(json!(7)),
    );

    assert_eq!(
        event(read_fixture("events/summary", &outbound)).direction,
        Some(Direction::Outbound)
    );
    assert_eq!(
        event(read_fixture("events/summary", &inbound)).direction,
        Some(Direction::Inbound)
    );
}

#[test]
fn internal_legs_and_summaries_have_no_customer() {
    let leg = edited(
        fixture!("mango/outbound-no-answer.1-appeared.form"),
        "/to",
        Some(json!({"extension": "102", "number": "sip:manager102@vpbx400123456.mangosip.ru"})),
    );
    let summary = edited(
        fixture!("mango/outbound-no-answer.2-summary.form"),
        "/call_direction",
        Some(json!(0)),
    );

    let leg = event(read_fixture("events/call", &leg));
    let summary = event(read_fixture("events/summary", &summary));

    assert_eq!(leg.direction, Some(Direction::Internal));
    assert_eq!(leg.customer_number, None);
    assert_eq!(leg.operator.as_deref(), Some("102"));
    assert_eq!(summary.direction, Some(Direction::Internal));
    assert_eq!(summary.customer_number, None);
}

#[test]
fn numbers_may_be_sent_as_strings_of_digits() {
    let body = edited(
        fixture!("mango/inbound-missed.1-appeared.form"),
        "/seq",
        Some(json!("1")),
    );

    assert_eq!(event(read_fixture("events/call", &body)).seq, Some(1));
}

#[test]
fn a_sign_in_upper_case_is_accepted() {
    let body = String::from_utf8(fixture!("mango/inbound-missed.3-summary.form").to_vec())
        .unwrap()
        .replace(
            "00ebb47c59b67068b3f9e51f2041b5b5f84ec09e0d014b6f6d3017f14799fd5b",
            "00EBB47C59B67068B3F9E51F2041B5B5F84EC09E0D014B6F6D3017F14799FD5B",
        );

    assert!(read_fixture("events/summary", body.as_bytes()).is_ok());
}

#[test]
fn wrong_key_salt_or_content_is_unauthorized() {
    let body = fixture!("mango/inbound-missed.3-summary.form");
    let request = Req::post(body).rest("events/summary");
    let tampered = String::from_utf8(body.to_vec())
        .unwrap()
        .replace("%22talk_time%22%3A0", "%22talk_time%22%3A1795537810");

    unauthorized(read(&request.as_request(), "other-key", SALT));
    unauthorized(read(&request.as_request(), KEY, "other-salt"));
    unauthorized(read_fixture("events/summary", tampered.as_bytes()));
}

#[test]
fn missing_key_or_sign_is_unauthorized() {
    let json = json_of(fixture!("mango/inbound-missed.3-summary.form")).to_string();
    let without_sign = form_urlencoded::Serializer::new(String::new())
        .append_pair("vpbx_api_key", KEY)
        .append_pair("json", &json)
        .finish();
    let without_key = form_urlencoded::Serializer::new(String::new())
        .append_pair("sign", &sign(KEY, &json, SALT))
        .append_pair("json", &json)
        .finish();

    unauthorized(read_fixture("events/summary", without_sign.as_bytes()));
    unauthorized(read_fixture("events/summary", without_key.as_bytes()));
}

#[test]
fn a_body_without_json_or_with_bad_json_is_malformed() {
    malformed(read_fixture("events/call", b""));
    malformed(read_fixture("events/call", b"{\"entry_id\":\"x\"}"));
    malformed(read_fixture("events/call", &form("{\"entry_id\":")));
    malformed(read_fixture("events/call", &form("[1,2]")));
}

#[test]
fn missing_or_wrong_fields_are_named_inside_json() {
    let appeared = fixture!("mango/inbound-missed.1-appeared.form");
    let summary = fixture!("mango/inbound-missed.3-summary.form");
    let cases = [
        (
            "events/call",
            edited(appeared, "/entry_id", None),
            "json.entry_id",
        ),
        (
            "events/call",
            edited(appeared, "/call_id", None),
            "json.call_id",
        ),
        ("events/call", edited(appeared, "/seq", None), "json.seq"),
        (
            "events/call",
            edited(appeared, "/call_state", None),
            "json.call_state",
        ),
        (
            "events/call",
            edited(appeared, "/from/number", Some(json!(["79123456789"]))),
            "json.from.number",
        ),
        (
            "events/call",
            edited(appeared, "/timestamp", Some(json!("yesterday"))),
            "json.timestamp",
        ),
        (
            "events/summary",
            edited(summary, "/entry_id", Some(json!(""))),
            "json.entry_id",
        ),
        (
            "events/summary",
            edited(summary, "/end_time", Some(json!(1.5))),
            "json.end_time",
        ),
    ];

    for (rest, body, field) in cases {
        assert_eq!(invalid(read_fixture(rest, &body)).0, field);
    }
}
