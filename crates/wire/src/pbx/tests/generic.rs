use serde_json::{json, Value};

use super::*;
use crate::pbx::generic::parse;
use crate::pbx::{Direction, Outcome, Stage};

const WEBHOOK_ID: &str = "msg_2sCallEv3nt0rderpath7Xk1bY";
const CUSTOMER: &str = "+7 912 345-67-89";
const LINE: &str = "+74951234567";

fn parse_body(body: &[u8]) -> Result<PbxRequest, NoticeError> {
    parse(body, WEBHOOK_ID)
}

/// A fixture with one member changed (`pointer` as in RFC 6901) or removed.
fn edited(body: &[u8], pointer: &str, value: Option<Value>) -> Vec<u8> {
    let mut doc: Value = serde_json::from_slice(body).unwrap();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = doc.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    match value {
        Some(v) => target.insert(key.to_owned(), v),
        None => target.remove(key),
    };
    serde_json::to_vec(&doc).unwrap()
}

#[test]
fn started_call_is_keyed_by_the_webhook_id() {
    let event = event(parse_body(fixture!("calls/call.started.json")));

    assert_eq!(
        event,
        CallEvent {
            key: WEBHOOK_ID.to_owned(),
            call_id: "1795537800.42".to_owned(),
            what: "call.started".to_owned(),
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
fn ended_missed_call_is_finished_with_its_outcome() {
    let event = event(parse_body(fixture!("calls/call.ended.missed.json")));

    assert_eq!(
        event,
        CallEvent {
            key: WEBHOOK_ID.to_owned(),
            call_id: "1795537800.42".to_owned(),
            what: "call.ended".to_owned(),
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
fn answered_call_carries_its_operator_and_times() {
    let answered = event(parse_body(fixture!("calls/call.answered.json")));
    let ended = event(parse_body(fixture!("calls/call.ended.answered.json")));

    assert_eq!(answered.stage, Stage::Answered);
    assert_eq!(answered.at, Some(MORNING + 8));
    assert_eq!(answered.operator.as_deref(), Some("101"));
    assert_eq!(ended.outcome, Some(Outcome::Answered));
    assert_eq!(ended.answered_at, Some(MORNING + 8));
    assert_eq!(ended.at, Some(MORNING + 188));
    assert_eq!(ended.duration, Some(180));
}

#[test]
fn every_outcome_and_direction_is_read() {
    let ended = fixture!("calls/call.ended.missed.json");

    for (name, outcome) in [
        ("answered", Outcome::Answered),
        ("missed", Outcome::Missed),
        ("busy", Outcome::Busy),
        ("failed", Outcome::Failed),
    ] {
        let body = edited(ended, "/data/outcome", Some(json!(name)));
        assert_eq!(event(parse_body(&body)).outcome, Some(outcome));
    }
    for (name, direction) in [
        ("inbound", Direction::Inbound),
        ("outbound", Direction::Outbound),
        ("internal", Direction::Internal),
    ] {
        let body = edited(ended, "/data/direction", Some(json!(name)));
        assert_eq!(event(parse_body(&body)).direction, Some(direction));
    }
}

#[test]
fn internal_calls_need_no_customer_and_operators_may_be_integers() {
    let body = edited(
        fixture!("calls/call.started.json"),
        "/data/direction",
        Some(json!("internal")),
    );
    let body = edited(&body, "/data/customer_number", None);
    let body = edited(&body, "/data/operator", Some(json!(101)));

    let event = event(parse_body(&body));

    assert_eq!(event.customer_number, None);
    assert_eq!(event.operator.as_deref(), Some("101"));
}

#[test]
fn unknown_type_direction_or_outcome_is_invalid_with_the_choices() {
    let ended = fixture!("calls/call.ended.missed.json");
    let cases = [
        ("/type", "call.ringing", "type"),
        ("/data/direction", "incoming", "data.direction"),
        ("/data/outcome", "no-answer", "data.outcome"),
    ];

    for (pointer, value, field) in cases {
        let (got, message) = invalid(parse_body(&edited(ended, pointer, Some(json!(value)))));
        assert_eq!(got, field);
        assert!(message.contains("must be one of"), "{message}");
    }
}

#[test]
fn required_members_are_named_when_missing() {
    let started = fixture!("calls/call.started.json");
    let ended = fixture!("calls/call.ended.missed.json");
    let cases: [(&[u8], &str, &str); 7] = [
        (started, "/data/call_id", "data.call_id"),
        (started, "/data/direction", "data.direction"),
        (started, "/data/customer_number", "data.customer_number"),
        (started, "/data/started_at", "data.started_at"),
        (ended, "/data/started_at", "data.started_at"),
        (ended, "/data/ended_at", "data.ended_at"),
        (ended, "/data/outcome", "data.outcome"),
    ];

    for (body, pointer, field) in cases {
        assert_eq!(invalid(parse_body(&edited(body, pointer, None))).0, field);
    }
    assert_eq!(
        invalid(parse_body(&edited(started, "/data", None))).0,
        "data"
    );
}

#[test]
fn answered_event_needs_no_start_time() {
    let body = edited(
        fixture!("calls/call.answered.json"),
        "/data/started_at",
        None,
    );

    assert_eq!(event(parse_body(&body)).started_at, None);
}

#[test]
fn wrong_values_are_invalid() {
    let started = fixture!("calls/call.started.json");
    let ended = fixture!("calls/call.ended.missed.json");
    let cases: [(&[u8], &str, Value, &str); 7] = [
        (
            started,
            "/data/started_at",
            json!("2026-11-24 19:30"),
            "data.started_at",
        ),
        (
            started,
            "/data/customer_number",
            json!("Анна"),
            "data.customer_number",
        ),
        (
            started,
            "/data/customer_number",
            json!("7".repeat(65)),
            "data.customer_number",
        ),
        (started, "/data/outcome", json!("missed"), "data.outcome"),
        (ended, "/data/duration", json!(-1), "data.duration"),
        (ended, "/data/duration", json!("25"), "data.duration"),
        (
            ended,
            "/data/ended_at",
            json!("2026-11-24T19:29:59+03:00"),
            "data.ended_at",
        ),
    ];

    for (body, pointer, value, field) in cases {
        assert_eq!(
            invalid(parse_body(&edited(body, pointer, Some(value.clone())))).0,
            field,
            "{pointer} = {value}"
        );
    }
}

#[test]
fn a_body_that_is_not_a_json_object_is_malformed() {
    malformed(parse_body(b"type=call.started"));
    malformed(parse_body(b"[]"));
}
