//! `orderpath-check --replay` from the command line, on a file of recorded evaluations (the
//! end-to-end tests run it on a copy of a real database).

use std::path::{Path, PathBuf};
use std::process::Command;

use orderpath_core::automation::config::{check, Config};
use orderpath_core::automation::engine::{evaluate, Decision};
use orderpath_core::automation::event::DomainEvent;
use orderpath_core::automation::facts::{CustomerFacts, Facts, OrderFacts};
use orderpath_core::event::OrderId;
use orderpath_core::replay::{Evaluation, Kind, Report, SubjectRef, Taken};

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

fn config() -> Config {
    let files = orderpath_config_check::read_config(&shipped()).expect("config/");
    check(&files).config.expect("the shipped configuration")
}

/// One order created at 2026-11-24 10:00 Moscow (with a manager, so V1 does not assign one),
/// recorded as the app records it.
fn recorded() -> Evaluation {
    let config = config();
    let mut order = OrderFacts::new(OrderId::parse("A-1").expect("id"), "new");
    order.total = 90_000;
    order.manager = Some("m.ivanova".into());
    let facts = Facts {
        now: 1_795_503_600,
        order: Some(order),
        customer: Some(CustomerFacts {
            id: Some(1),
            name: Some("Анна".into()),
            email: Some("anna@example.com".into()),
            ..CustomerFacts::default()
        }),
    };
    let event = DomainEvent::OrderCreated {
        order_id: OrderId::parse("A-1").expect("id"),
        actor: None,
    };
    let decisions = evaluate(&config, &event, &facts)
        .iter()
        .map(|d| match d {
            Decision::Run {
                trigger_id,
                actions,
            } => Taken::run(trigger_id, actions, None),
            Decision::Delay { .. } => Taken::of_delay(d).expect("a delay"),
        })
        .collect();
    Evaluation {
        id: 1,
        at: facts.now,
        source: "orders".into(),
        event_id: "msg_1".into(),
        kind: Kind::Event,
        parent: None,
        trigger: None,
        raised_by: None,
        subject: SubjectRef {
            order: Some("A-1".into()),
            ..SubjectRef::default()
        },
        event,
        facts,
        decisions,
    }
}

fn run(args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orderpath-check"));
    for name in orderpath_config_check::replay::SHOP_VARIABLES {
        command.env_remove(format!("SPIN_VARIABLE_{}", name.to_uppercase()));
    }
    let out = command.args(args).output().expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_file_of_evaluations_replays_with_a_report_on_stdout() {
    let dir = tempfile::tempdir().expect("dir");
    let events = dir.path().join("events.jsonl");
    let line = serde_json::to_string(&recorded()).expect("json");
    std::fs::write(&events, format!("{line}\n\n")).expect("write");
    let config = shipped();
    let (events, config) = (
        events.to_str().expect("utf-8"),
        config.to_str().expect("utf-8"),
    );

    let (code, out, err) = run(&["--replay", "--events", events, "--config", config]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("1 recorded evaluation(s), 1 replayed"),
        "{out}"
    );
    assert!(out.contains("No difference"), "{out}");

    let (code, out, err) = run(&["--replay", "--events", events, "--config", config, "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: Report = serde_json::from_str(&out).expect("a JSON report");
    assert!(report.no_difference());

    let (code, out, _) = run(&[
        "--replay",
        "--events",
        events,
        "--config",
        config,
        "--from",
        "2026-11-25",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("0 recorded evaluation(s)"), "{out}");
}

#[test]
fn a_wrong_command_line_or_unreadable_evaluations_are_refused() {
    let config = shipped();
    let config = config.to_str().expect("utf-8");
    assert_eq!(
        run(&["--replay", "--config", config]).0,
        2,
        "no --db or --events"
    );
    assert_eq!(run(&["--replay", "--db", "x.db"]).0, 2, "no --config");
    assert_eq!(
        run(&["--replay", "--db", "x.db", "--events", "e", "--config", config]).0,
        2,
        "both sources"
    );
    let (code, _, err) = run(&[
        "--replay",
        "--db",
        "/nonexistent/copy.db",
        "--config",
        config,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("no such file"), "{err}");
    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"id\": 1}\n").expect("write");
    let (code, _, err) = run(&[
        "--replay",
        "--events",
        bad.to_str().expect("utf-8"),
        "--config",
        config,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("line 1"), "{err}");
    let (code, _, err) = run(&[
        "--replay",
        "--events",
        bad.to_str().expect("utf-8"),
        "--config",
        config,
        "--to",
        "tomorrow",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("--to"), "{err}");
}
