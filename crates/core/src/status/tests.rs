use super::*;

fn path() -> StatusPath {
    StatusPath::default_path()
}

fn allowed(from: &str, to: &str) -> bool {
    path().check(from, to) == Ok(Transition::Changed)
}

#[test]
fn default_path_has_the_documented_statuses_and_groups() {
    let path = path();
    let groups: Vec<(&str, &str)> = path
        .statuses()
        .iter()
        .map(|s| (s.code.as_str(), s.group.as_str()))
        .collect();
    assert_eq!(groups.len(), 21);
    assert_eq!(groups[0], ("new", "new"));
    assert_eq!(path.get("no-answer-1").unwrap().label_en, "No answer 1");
    assert_eq!(path.get("no-answer-1").unwrap().label_ru, "Недозвон 1");
    assert_eq!(path.get("payment-error").unwrap().group, "payment");
    assert_eq!(path.get("assembled").unwrap().group, "assembly");
    assert_eq!(path.get("at-pickup-point").unwrap().group, "delivery");
    assert_eq!(path.get("completed").unwrap().group, "done");
    assert_eq!(path.get("not-bought-out").unwrap().group, "cancel");
    assert_eq!(
        path.get("confirmed").unwrap().label(Language::En),
        "Confirmed"
    );
    assert!(path.get("shipped").is_none());
}

#[test]
fn new_order_can_be_confirmed() {
    assert!(allowed("new", "confirmed"));
}

#[test]
fn new_order_cannot_jump_to_completed() {
    let err = path().check("new", "completed").unwrap_err();
    assert_eq!(
        err,
        TransitionError::Forbidden {
            from: "new".into(),
            to: "completed".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "status change from \"new\" to \"completed\" is not allowed"
    );
}

#[test]
fn same_status_again_is_unchanged() {
    assert_eq!(
        path().check("confirmed", "confirmed"),
        Ok(Transition::Unchanged)
    );
    assert_eq!(
        path().check("returned", "returned"),
        Ok(Transition::Unchanged)
    );
}

#[test]
fn unknown_statuses_are_named_in_the_error() {
    assert_eq!(
        path().check("new", "shipped"),
        Err(TransitionError::UnknownStatus("shipped".into()))
    );
    assert_eq!(
        path().check("lost", "new"),
        Err(TransitionError::UnknownStatus("lost".into()))
    );
    assert_eq!(
        TransitionError::UnknownStatus("shipped".into()).to_string(),
        "unknown status \"shipped\""
    );
}

#[test]
fn every_row_of_the_matrix_is_spot_checked() {
    let cases = [
        ("new", "no-answer-1", true),
        ("new", "no-answer-2", false),
        ("new", "prepare-for-delivery", true),
        ("no-answer-1", "no-answer-2", true),
        ("no-answer-1", "invoice-sent", false),
        ("no-answer-2", "no-answer-1", true),
        ("no-answer-2", "new", false),
        ("call-back", "thinking", true),
        ("call-back", "call-back", false), // same status: Unchanged, not Changed
        ("thinking", "call-back", true),
        ("thinking", "awaiting-payment", false),
        ("awaiting-stock", "availability-confirmed", true),
        ("awaiting-stock", "no-answer-1", false),
        ("availability-confirmed", "prepare-for-delivery", true),
        ("availability-confirmed", "awaiting-stock", false),
        ("confirmed", "awaiting-stock", true),
        ("confirmed", "payment-received", false),
        ("invoice-sent", "payment-error", true),
        ("invoice-sent", "prepare-for-delivery", false),
        ("awaiting-payment", "payment-received", true),
        ("awaiting-payment", "confirmed", false),
        ("payment-error", "awaiting-payment", true),
        ("payment-error", "prepare-for-delivery", false),
        ("payment-received", "returned", true),
        ("payment-received", "invoice-sent", false),
        ("prepare-for-delivery", "assembled", true),
        ("prepare-for-delivery", "handed-to-carrier", false),
        ("assembled", "handed-to-carrier", true),
        ("assembled", "completed", false),
        ("handed-to-carrier", "not-bought-out", true),
        ("handed-to-carrier", "cancelled", false),
        ("at-pickup-point", "completed", true),
        ("at-pickup-point", "handed-to-carrier", false),
        ("delivery-problem", "cancelled", true),
        ("delivery-problem", "assembled", false),
        ("completed", "returned", true),
        ("completed", "cancelled", false),
    ];
    for (from, to, expected) in cases {
        assert_eq!(allowed(from, to), expected, "{from} → {to}");
    }
}

#[test]
fn final_statuses_allow_nothing_except_completed_to_returned() {
    let path = path();
    for status in ["cancelled", "not-bought-out", "returned"] {
        assert!(path.is_final(status), "{status}");
        for target in path.statuses() {
            if target.code != status {
                assert!(
                    path.check(status, &target.code).is_err(),
                    "{status} → {}",
                    target.code
                );
            }
        }
    }
    assert_eq!(path.allowed_from("completed"), vec!["returned"]);
    assert!(!path.is_final("completed"));
}

/// Reads the "Allowed transitions" table straight from the specification, so the code and
/// the document cannot drift apart.
fn documented_matrix() -> Vec<(String, Vec<String>)> {
    let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/order-events.md");
    let doc = std::fs::read_to_string(doc_path).expect("docs/order-events.md is readable");
    let section = doc
        .split("Allowed transitions")
        .nth(1)
        .expect("the transition table exists");
    let codes = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    section
        .lines()
        .skip_while(|l| !l.starts_with("| `"))
        .take_while(|l| l.starts_with('|'))
        .flat_map(|line| {
            let cells: Vec<&str> = line.split('|').collect();
            let targets = codes(cells[2]);
            codes(cells[1])
                .into_iter()
                .map(move |from| (from, targets.clone()))
        })
        .collect()
}

#[test]
fn default_matrix_is_exactly_the_documented_one() {
    let path = path();
    let doc = documented_matrix();
    assert_eq!(doc.len(), 21, "every status has a row in the document");
    for (from, targets) in &doc {
        for status in path.statuses() {
            let to = status.code.as_str();
            let expected = if to == from {
                Ok(Transition::Unchanged)
            } else if targets.iter().any(|t| t == to) {
                Ok(Transition::Changed)
            } else {
                Err(TransitionError::Forbidden {
                    from: from.clone(),
                    to: to.to_owned(),
                })
            };
            assert_eq!(path.check(from, to), expected, "{from} → {to}");
        }
    }
}

#[test]
fn custom_path_must_name_only_its_statuses() {
    let def = |code: &str| StatusDef {
        code: code.into(),
        group: "g".into(),
        label_ru: code.into(),
        label_en: code.into(),
        waits_for_stock: false,
    };
    let err = StatusPath::new(vec![def("a"), def("b")], &[("a", "c")]).unwrap_err();
    assert!(matches!(err, StatusPathError::UnknownInTransition { .. }));
    let err = StatusPath::new(vec![def("a"), def("a")], &[]).unwrap_err();
    assert_eq!(err, StatusPathError::DuplicateStatus("a".into()));
    let ok = StatusPath::new(vec![def("a"), def("b")], &[("a", "b")]).unwrap();
    assert_eq!(ok.check("a", "b"), Ok(Transition::Changed));
    assert!(ok.check("b", "a").is_err());
}

#[test]
fn finished_statuses_are_the_done_and_cancel_groups() {
    assert_eq!(
        path().finished(),
        ["completed", "cancelled", "not-bought-out", "returned"]
    );
}

#[test]
fn only_moving_on_from_assembly_needs_reserved_items() {
    let path = path();
    assert!(path.needs_reserved_items("prepare-for-delivery", "assembled"));
    assert!(path.needs_reserved_items("assembled", "handed-to-carrier"));
    assert!(!path.needs_reserved_items("confirmed", "prepare-for-delivery"));
    assert!(!path.needs_reserved_items("prepare-for-delivery", "awaiting-stock"));
    assert!(!path.needs_reserved_items("assembled", "cancelled"));
}

#[test]
fn the_orders_waiting_for_stock_are_in_the_statuses_that_say_so() {
    assert_eq!(path().waiting_for_stock(), ["awaiting-stock"]);
    let def = |code: &str, group: &str, waits: bool| StatusDef {
        code: code.into(),
        group: group.into(),
        label_ru: code.into(),
        label_en: code.into(),
        waits_for_stock: waits,
    };
    let custom = StatusPath::new(
        vec![
            def("new", "new", false),
            def("backorder", "approval", true),
            def("supplier-order", "approval", true),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(custom.waiting_for_stock(), ["backorder", "supplier-order"]);
}

#[test]
fn a_finished_status_cannot_wait_for_stock() {
    let done = StatusDef {
        code: "completed".into(),
        group: "done".into(),
        label_ru: "x".into(),
        label_en: "x".into(),
        waits_for_stock: true,
    };
    assert_eq!(
        StatusPath::new(vec![done], &[]).unwrap_err(),
        StatusPathError::FinishedWaitsForStock("completed".into())
    );
}
