use super::*;
use crate::pbx::state::finished_now;
use crate::pbx::{CallState, Direction, Outcome, Stage};

/// An event of call `c1` at `stage`, to adjust per test.
fn ev(stage: Stage) -> CallEvent {
    CallEvent {
        key: format!("c1:{stage:?}"),
        call_id: "c1".to_owned(),
        what: format!("{stage:?}"),
        stage,
        seq: None,
        direction: Some(Direction::Inbound),
        customer_number: Some("79123456789".to_owned()),
        line: None,
        operator: None,
        at: None,
        started_at: None,
        answered_at: None,
        duration: None,
        outcome: None,
    }
}

fn started(at: i64) -> CallEvent {
    CallEvent {
        at: Some(at),
        started_at: Some(at),
        ..ev(Stage::Started)
    }
}

fn answered(operator: &str, at: Option<i64>) -> CallEvent {
    CallEvent {
        operator: Some(operator.to_owned()),
        at,
        answered_at: at,
        ..ev(Stage::Answered)
    }
}

fn leg_ended(outcome: Option<Outcome>) -> CallEvent {
    CallEvent {
        outcome,
        ..ev(Stage::LegEnded)
    }
}

fn finished(outcome: Option<Outcome>, at: i64) -> CallEvent {
    CallEvent {
        outcome,
        at: Some(at),
        duration: Some(0),
        ..ev(Stage::Finished)
    }
}

fn folded(events: &[CallEvent]) -> CallState {
    let mut state = CallState::default();
    for event in events {
        state.apply(event);
    }
    state
}

#[test]
fn applying_the_same_event_twice_changes_nothing_the_second_time() {
    let mut state = CallState::default();
    let event = started(MORNING);

    let first = state.apply(&event);
    let second = state.apply(&event);

    assert!(first);
    assert!(!second);
}

#[test]
fn start_is_the_earliest_seen_whatever_the_order() {
    let early = started(MORNING);
    let late = started(MORNING + 5);

    assert_eq!(
        folded(&[late.clone(), early.clone()]).started_at,
        Some(MORNING)
    );
    assert_eq!(folded(&[early, late]).started_at, Some(MORNING));
}

#[test]
fn answer_is_the_earliest_and_its_operator_wins() {
    let first = answered("101", Some(MORNING + 8));
    let second = answered("102", Some(MORNING + 60));

    for order in [[first.clone(), second.clone()], [second, first]] {
        let state = folded(&order);
        assert_eq!(state.answered_at, Some(MORNING + 8));
        assert_eq!(state.operator.as_deref(), Some("101"));
    }
}

#[test]
fn answering_operator_wins_over_a_ringing_one_in_either_order() {
    let ringing = CallEvent {
        operator: Some("102".to_owned()),
        ..started(MORNING)
    };
    let answer = answered("101", None);

    for order in [[ringing.clone(), answer.clone()], [answer, ringing]] {
        let state = folded(&order);
        assert_eq!(state.operator.as_deref(), Some("101"));
        assert!(state.operator_answered);
    }
}

#[test]
fn of_ringing_operators_the_last_rung_is_kept() {
    let ring = |operator: &str| CallEvent {
        operator: Some(operator.to_owned()),
        ..started(MORNING)
    };

    let state = folded(&[ring("101"), ring("102")]);

    assert_eq!(state.operator.as_deref(), Some("102"));
    assert!(!state.operator_answered);
}

#[test]
fn finished_sets_outcome_end_and_talk_time() {
    let mut state = folded(&[started(EVENING)]);
    let before = state.clone();

    let changed = state.apply(&finished(Some(Outcome::Missed), EVENING + 25));

    assert!(changed);
    assert!(finished_now(&before, &state));
    assert_eq!(state.outcome, Some(Outcome::Missed));
    assert_eq!(state.ended_at, Some(EVENING + 25));
    assert_eq!(state.duration, Some(0));
}

#[test]
fn a_second_identical_finish_changes_nothing_and_finishes_nothing() {
    let end = finished(Some(Outcome::Missed), EVENING + 25);
    let mut state = folded(std::slice::from_ref(&end));
    let before = state.clone();

    let changed = state.apply(&end);

    assert!(!changed);
    assert!(!finished_now(&before, &state));
}

#[test]
fn late_leg_start_or_answer_never_changes_a_finished_outcome() {
    let mut state = folded(&[finished(Some(Outcome::Missed), EVENING + 25)]);

    state.apply(&leg_ended(Some(Outcome::Failed)));
    state.apply(&started(EVENING));
    state.apply(&answered("101", Some(EVENING + 5)));

    assert!(state.finished);
    assert_eq!(state.outcome, Some(Outcome::Missed));
    assert_eq!(state.started_at, Some(EVENING));
}

#[test]
fn an_answer_makes_an_end_without_outcome_answered() {
    let state = folded(&[
        answered("101", Some(MORNING + 8)),
        finished(None, MORNING + 188),
    ]);

    assert_eq!(state.outcome, Some(Outcome::Answered));
}

#[test]
fn an_end_without_outcome_keeps_what_the_legs_said() {
    let state = folded(&[leg_ended(Some(Outcome::Busy)), finished(None, MORNING)]);

    assert_eq!(state.outcome, Some(Outcome::Busy));
    assert!(state.finished);
}

#[test]
fn a_late_missed_leg_never_downgrades_an_answered_call() {
    let state = folded(&[
        answered("101", Some(MORNING + 8)),
        leg_ended(Some(Outcome::Missed)),
    ]);

    assert_eq!(state.outcome, Some(Outcome::Answered));
    assert!(!state.finished);
}

#[test]
fn the_final_outcome_is_the_ends_own() {
    let state = folded(&[
        leg_ended(Some(Outcome::Missed)),
        finished(Some(Outcome::Busy), MORNING),
    ]);

    assert_eq!(state.outcome, Some(Outcome::Busy));
}

#[test]
fn a_second_end_only_raises_the_outcome() {
    let mut state = folded(&[finished(Some(Outcome::Missed), MORNING + 30)]);

    let lower = state.apply(&finished(Some(Outcome::Failed), MORNING + 30));
    let higher = state.apply(&finished(Some(Outcome::Answered), MORNING + 40));

    assert!(!lower);
    assert!(higher);
    assert_eq!(state.outcome, Some(Outcome::Answered));
    assert_eq!(state.ended_at, Some(MORNING + 40));
}

#[test]
fn missing_details_are_filled_and_the_end_has_the_last_word() {
    let leg = CallEvent {
        customer_number: Some("sip:unknown".to_owned()),
        line: Some("74951234567".to_owned()),
        ..started(MORNING)
    };
    let end = CallEvent {
        customer_number: Some("79123456789".to_owned()),
        line: None,
        ..finished(Some(Outcome::Missed), MORNING + 30)
    };

    for order in [[leg.clone(), end.clone()], [end, leg]] {
        let state = folded(&order);
        assert_eq!(state.customer_number.as_deref(), Some("79123456789"));
        assert_eq!(state.line.as_deref(), Some("74951234567"));
    }
}

#[test]
fn an_internal_leg_gives_way_to_the_customers_direction() {
    let transfer = CallEvent {
        direction: Some(Direction::Internal),
        customer_number: None,
        ..started(MORNING + 30)
    };

    for order in [
        [transfer.clone(), started(MORNING)],
        [started(MORNING), transfer],
    ] {
        assert_eq!(folded(&order).direction, Some(Direction::Inbound));
    }
}

#[test]
fn a_call_finishes_exactly_once() {
    let events = [
        started(EVENING),
        finished(Some(Outcome::Missed), EVENING + 25),
        leg_ended(Some(Outcome::Missed)),
        finished(Some(Outcome::Missed), EVENING + 25),
    ];
    let mut state = CallState::default();
    let mut finishes = 0;

    for event in &events {
        let before = state.clone();
        state.apply(event);
        finishes += usize::from(finished_now(&before, &state));
    }

    assert_eq!(finishes, 1);
}
