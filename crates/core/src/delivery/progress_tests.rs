use super::progress::{is_final, moves_forward, rank};
use crate::automation::event::DELIVERY_STATUSES;

/// `(stored status and time, reported status and time, moves?, why)`.
type Case = (
    Option<(&'static str, Option<i64>)>,
    (&'static str, Option<i64>),
    bool,
    &'static str,
);

const T: i64 = 1_795_590_000;

fn check(cases: &[Case]) {
    for (current, new, expected, why) in cases {
        assert_eq!(
            moves_forward(*current, *new),
            *expected,
            "{why}: {current:?} → {new:?}"
        );
    }
}

#[test]
fn a_first_status_always_moves() {
    check(&[
        (None, ("created", None), true, "first, without a time"),
        (None, ("delivered", Some(T)), true, "first, final"),
        (None, ("problem", Some(T)), true, "first, problem"),
    ]);
}

#[test]
fn the_same_status_again_is_a_repeat() {
    check(&[
        (
            Some(("in-transit", None)),
            ("in-transit", None),
            false,
            "no times",
        ),
        (
            Some(("in-transit", Some(T))),
            ("in-transit", Some(T + 3600)),
            false,
            "newer time",
        ),
        (
            Some(("at-pickup-point", Some(T))),
            ("at-pickup-point", None),
            false,
            "stored time only",
        ),
    ]);
}

#[test]
fn a_final_status_is_never_left() {
    let mut cases: Vec<Case> = Vec::new();
    for stored in ["delivered", "returned", "lost"] {
        for reported in DELIVERY_STATUSES {
            cases.push((
                Some((stored, Some(T))),
                (reported, Some(T + 3600)),
                false,
                "newer",
            ));
            cases.push((Some((stored, None)), (reported, None), false, "no times"));
        }
    }
    check(&cases);
}

#[test]
fn with_both_times_the_newer_report_wins() {
    check(&[
        (
            Some(("in-transit", Some(T))),
            ("at-pickup-point", Some(T + 1)),
            true,
            "newer, forward",
        ),
        (
            Some(("problem", Some(T))),
            ("in-transit", Some(T + 3600)),
            true,
            "newer, problem resolved",
        ),
        (
            Some(("out-for-delivery", Some(T))),
            ("in-transit", Some(T + 3600)),
            true,
            "newer, a failed attempt goes back to the warehouse",
        ),
        (
            Some(("at-pickup-point", Some(T))),
            ("in-transit", Some(T - 3600)),
            false,
            "older, backward",
        ),
        (
            Some(("in-transit", Some(T))),
            ("delivered", Some(T - 3600)),
            false,
            "older, even to a final status",
        ),
        (
            Some(("in-transit", Some(T))),
            ("at-pickup-point", Some(T)),
            false,
            "at the same time",
        ),
    ]);
}

#[test]
fn without_both_times_the_rank_decides() {
    check(&[
        (Some(("created", None)), ("accepted", None), true, "2 > 1"),
        (
            Some(("accepted", Some(T))),
            ("in-transit", None),
            true,
            "3 > 2",
        ),
        (
            Some(("in-transit", None)),
            ("out-for-delivery", Some(T)),
            true,
            "4 > 3",
        ),
        (
            Some(("in-transit", None)),
            ("created", None),
            false,
            "1 < 3",
        ),
        (
            Some(("problem", None)),
            ("in-transit", None),
            false,
            "3 < 4",
        ),
        (
            Some(("at-pickup-point", None)),
            ("not-delivered", None),
            true,
            "5 > 4",
        ),
        (
            Some(("not-delivered", None)),
            ("returning", None),
            true,
            "6 > 5",
        ),
        (Some(("returning", None)), ("returned", None), true, "7 > 6"),
        (
            Some(("returning", None)),
            ("at-pickup-point", None),
            false,
            "4 < 6",
        ),
        (
            Some(("created", None)),
            ("delivered", None),
            true,
            "straight to final",
        ),
        (Some(("in-transit", None)), ("lost", None), true, "lost"),
    ]);
}

#[test]
fn the_three_statuses_of_rank_four_may_follow_one_another() {
    let side_by_side = ["out-for-delivery", "at-pickup-point", "problem"];
    let mut cases: Vec<Case> = Vec::new();
    for stored in side_by_side {
        for reported in side_by_side {
            if stored != reported {
                cases.push((Some((stored, None)), (reported, None), true, "same rank"));
            }
        }
    }
    check(&cases);
}

#[test]
fn unknown_statuses_never_move_and_are_moved_on_from() {
    check(&[
        (None, ("ready", None), false, "unknown report"),
        (
            Some(("in-transit", None)),
            ("ready", Some(T)),
            false,
            "unknown report",
        ),
        (
            Some(("shipped", Some(T))),
            ("in-transit", Some(T - 1)),
            true,
            "unknown stored",
        ),
    ]);
}

#[test]
fn ranks_cover_every_status_and_finals_rank_highest() {
    for status in DELIVERY_STATUSES {
        let rank = rank(status).unwrap_or_else(|| panic!("{status} has no rank"));
        assert_eq!(is_final(status), rank == 7, "{status}");
    }
    assert_eq!(rank("shipped"), None);
}
