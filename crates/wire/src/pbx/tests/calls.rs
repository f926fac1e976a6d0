//! Whole calls: every fixture of a call read and folded into one [`CallState`], in order,
//! backwards and with repeats.

use super::*;
use crate::pbx::state::finished_now;
use crate::pbx::{mango, zadarma, CallState, Direction, Outcome};

/// Folds events in the given order; the number of times the call became finished.
fn fold(events: &[CallEvent]) -> (CallState, usize) {
    let mut state = CallState::default();
    let mut finishes = 0;
    for event in events {
        let before = state.clone();
        state.apply(event);
        if finished_now(&before, &state) {
            finishes += 1;
        }
    }
    (state, finishes)
}

/// The same state whatever the order, and one finish however often the events repeat.
fn assert_folds_the_same(events: &[CallEvent]) -> CallState {
    let (forward, finishes) = fold(events);
    let backward: Vec<CallEvent> = events.iter().rev().cloned().collect();
    let twice: Vec<CallEvent> = events.iter().chain(events).cloned().collect();
    assert_eq!(fold(&backward).0, forward, "backwards");
    assert_eq!(fold(&twice), (forward.clone(), 1), "repeated");
    assert_eq!(finishes, 1);
    forward
}

fn mango(rest: &str, body: &[u8]) -> CallEvent {
    let request = Req::post(body).rest(rest);
    event(mango::read(
        &request.as_request(),
        "mango-test-key",
        "mango-test-salt",
    ))
}

macro_rules! zadarma {
    ($name:literal) => {
        event(zadarma::read(
            &zadarma_signed!($name).as_request(),
            "zadarma-test-secret",
            &orderpath_core::automation::time::TimeZone::moscow(),
            zadarma_now(&zadarma_signed!($name)),
        ))
    };
}

fn generic(body: &[u8], id: &str) -> CallEvent {
    event(crate::pbx::generic::parse(body, id))
}

#[test]
fn mango_missed_call_after_hours() {
    let state = assert_folds_the_same(&[
        mango(
            "events/call",
            fixture!("mango/inbound-missed.1-appeared.form"),
        ),
        mango(
            "events/call",
            fixture!("mango/inbound-missed.2-disconnected.form"),
        ),
        mango(
            "events/summary",
            fixture!("mango/inbound-missed.3-summary.form"),
        ),
    ]);

    assert_eq!(
        state,
        CallState {
            direction: Some(Direction::Inbound),
            customer_number: Some("79123456789".to_owned()),
            line: Some("74951234567".to_owned()),
            operator: None,
            started_at: Some(EVENING),
            answered_at: None,
            ended_at: Some(EVENING + 25),
            duration: Some(0),
            outcome: Some(Outcome::Missed),
            finished: true,
            answered: false,
            operator_answered: false,
        }
    );
}

#[test]
fn mango_answered_call() {
    let state = assert_folds_the_same(&[
        mango(
            "events/call",
            fixture!("mango/inbound-answered.1-appeared.form"),
        ),
        mango(
            "events/call",
            fixture!("mango/inbound-answered.2-connected.form"),
        ),
        mango(
            "events/call",
            fixture!("mango/inbound-answered.3-disconnected.form"),
        ),
        mango(
            "events/summary",
            fixture!("mango/inbound-answered.4-summary.form"),
        ),
    ]);

    assert_eq!(state.outcome, Some(Outcome::Answered));
    assert_eq!(state.operator.as_deref(), Some("101"));
    assert!(state.operator_answered);
    assert_eq!(state.started_at, Some(MORNING));
    assert_eq!(state.answered_at, Some(MORNING + 8));
    assert_eq!(state.ended_at, Some(MORNING + 188));
    assert_eq!(state.duration, Some(180));
}

#[test]
fn mango_outbound_call_nobody_answered() {
    let state = assert_folds_the_same(&[
        mango(
            "events/call",
            fixture!("mango/outbound-no-answer.1-appeared.form"),
        ),
        mango(
            "events/summary",
            fixture!("mango/outbound-no-answer.2-summary.form"),
        ),
    ]);

    assert_eq!(state.direction, Some(Direction::Outbound));
    assert_eq!(state.customer_number.as_deref(), Some("79123456789"));
    assert_eq!(state.operator.as_deref(), Some("101"));
    assert_eq!(state.line.as_deref(), Some("74951234567"));
    assert_eq!(state.outcome, Some(Outcome::Missed));
}

#[test]
fn zadarma_missed_call_after_hours() {
    let state = assert_folds_the_same(&[
        zadarma!("inbound-missed.1-start"),
        zadarma!("inbound-missed.2-end"),
    ]);

    assert_eq!(state.outcome, Some(Outcome::Missed));
    assert_eq!(state.started_at, Some(EVENING));
    assert_eq!(state.customer_number.as_deref(), Some("+79123456789"));
    assert_eq!(state.ended_at, None);
}

#[test]
fn zadarma_answered_call() {
    let state = assert_folds_the_same(&[
        zadarma!("inbound-answered.1-start"),
        zadarma!("inbound-answered.2-internal"),
        zadarma!("inbound-answered.3-answer"),
        zadarma!("inbound-answered.4-end"),
    ]);

    assert_eq!(state.outcome, Some(Outcome::Answered));
    assert_eq!(state.operator.as_deref(), Some("101"));
    assert!(state.answered);
    assert_eq!(state.answered_at, None);
    assert_eq!(state.duration, Some(180));
}

#[test]
fn zadarma_outbound_call_nobody_answered() {
    let state = assert_folds_the_same(&[
        zadarma!("outbound-no-answer.1-out-start"),
        zadarma!("outbound-no-answer.2-out-end"),
    ]);

    assert_eq!(state.direction, Some(Direction::Outbound));
    assert_eq!(state.outcome, Some(Outcome::Missed));
    assert_eq!(state.customer_number.as_deref(), Some("79123456789"));
}

#[test]
fn generic_calls() {
    let missed = assert_folds_the_same(&[
        generic(fixture!("calls/call.started.json"), "msg_1"),
        generic(fixture!("calls/call.ended.missed.json"), "msg_2"),
    ]);
    let answered = assert_folds_the_same(&[
        generic(fixture!("calls/call.answered.json"), "msg_3"),
        generic(fixture!("calls/call.ended.answered.json"), "msg_4"),
    ]);

    assert_eq!(missed.outcome, Some(Outcome::Missed));
    assert_eq!(missed.started_at, Some(EVENING));
    assert_eq!(missed.ended_at, Some(EVENING + 25));
    assert_eq!(answered.outcome, Some(Outcome::Answered));
    assert_eq!(answered.operator.as_deref(), Some("101"));
    assert_eq!(answered.answered_at, Some(MORNING + 8));
}
