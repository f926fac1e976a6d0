//! `docs/scenarios.md` is the project's scenario catalogue: one table row per scenario id with
//! the triggers that implement it, the tests that cover it and its status. This test keeps it in
//! step with `config/triggers.toml` and the test files, and says in each failure what to change.
//!
//! Rows look like `| C1 | summary | implemented by | tests | status |`; triggers and tests are
//! cited in backticks, tests as `path::function` with the path from the repository root.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const DOC: &str = "docs/scenarios.md";
const TRIGGERS: &str = "config/triggers.toml";

struct Row {
    line: usize,
    id: String,
    implemented_by: String,
    tests: String,
    status: String,
}

#[derive(PartialEq)]
enum Status {
    Done,
    Partial,
    NotDone,
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// The texts between backticks.
fn backticked(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// `C11` → Some(('C', 11)).
fn scenario_id(s: &str) -> Option<(char, u32)> {
    let mut chars = s.chars();
    let letter = chars.next().filter(char::is_ascii_uppercase)?;
    let number = chars.as_str();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((letter, number.parse().ok()?))
}

/// `o3-no-answer-1`: a lower-case letter, digits, a dash, then lower-case words.
fn looks_like_trigger_id(s: &str) -> bool {
    let Some((prefix, rest)) = s.split_once('-') else {
        return false;
    };
    scenario_id(&prefix.to_ascii_uppercase()).is_some()
        && prefix.starts_with(|c: char| c.is_ascii_lowercase())
        && !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn rows(doc: &str, problems: &mut Vec<String>) -> Vec<Row> {
    let mut rows = Vec::new();
    for (index, text) in doc.lines().enumerate() {
        let line = index + 1;
        let Some(inner) = text
            .trim()
            .strip_prefix('|')
            .and_then(|t| t.strip_suffix('|'))
        else {
            continue;
        };
        let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
        let first = cells.first().copied().unwrap_or_default();
        if first == "ID" || first.starts_with("---") {
            continue;
        }
        if scenario_id(first).is_none() {
            problems.push(format!(
                "{DOC}:{line}: the first cell `{first}` is not a scenario id (a capital letter \
                 and a number, e.g. C8)"
            ));
            continue;
        }
        if cells.len() != 5 {
            problems.push(format!(
                "{DOC}:{line}: row {first} has {} cells; it needs 5: ID | In short | \
                 Implemented by | Tests | Status",
                cells.len()
            ));
            continue;
        }
        rows.push(Row {
            line,
            id: first.to_owned(),
            implemented_by: cells[2].to_owned(),
            tests: cells[3].to_owned(),
            status: cells[4].to_owned(),
        });
    }
    rows
}

fn status(row: &Row, problems: &mut Vec<String>) -> Option<Status> {
    let needs_text = |rest: &str| rest.strip_prefix(':').is_some_and(|t| !t.trim().is_empty());
    if let Some(rest) = row.status.strip_prefix("not done") {
        if needs_text(rest) {
            return Some(Status::NotDone);
        }
        problems.push(format!(
            "{DOC}:{}: {} is `not done` without saying where it is planned: write \
             `not done: planned in <area>`",
            row.line, row.id
        ));
        return None;
    }
    if let Some(rest) = row.status.strip_prefix("partial") {
        if needs_text(rest) {
            return Some(Status::Partial);
        }
        problems.push(format!(
            "{DOC}:{}: {} is `partial` without saying what is missing: write \
             `partial: <what is missing>`",
            row.line, row.id
        ));
        return None;
    }
    if row.status.starts_with("done") {
        return Some(Status::Done);
    }
    problems.push(format!(
        "{DOC}:{}: the status of {} is `{}`; it must start with `done`, `partial: …` or \
         `not done: …`",
        row.line, row.id, row.status
    ));
    None
}

/// True when `text` declares `fn name(` under a `#[test]`-like attribute (`#[test]`,
/// `#[tokio::test]`, …) among the attributes and doc comments right above it.
fn is_test_fn(text: &str, name: &str) -> bool {
    let lines: Vec<&str> = text.lines().map(str::trim_start).collect();
    let declarations = [format!("fn {name}("), format!("async fn {name}(")];
    lines.iter().enumerate().any(|(i, line)| {
        declarations.iter().any(|d| line.starts_with(d.as_str()))
            && lines[..i]
                .iter()
                .rev()
                .take_while(|above| above.starts_with("#[") || above.starts_with("///"))
                .any(|above| above.starts_with("#[") && above.contains("test"))
    })
}

fn check_tests(row: &Row, problems: &mut Vec<String>) -> usize {
    let mut cited = 0;
    for citation in backticked(&row.tests) {
        cited += 1;
        let Some((path, name)) = citation.rsplit_once("::") else {
            problems.push(format!(
                "{DOC}:{}: {} cites `{citation}`; cite a test as `path/from/repo/root.rs::function`",
                row.line, row.id
            ));
            continue;
        };
        if !path.contains("tests/") || !path.ends_with(".rs") {
            problems.push(format!(
                "{DOC}:{}: {} cites `{citation}`, but `{path}` is not a Rust file under a \
                 tests/ directory",
                row.line, row.id
            ));
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root().join(path)) else {
            problems.push(format!(
                "{DOC}:{}: {} cites `{citation}`, but `{path}` does not exist: fix the path \
                 (from the repository root) or drop the citation",
                row.line, row.id
            ));
            continue;
        };
        if !is_test_fn(&text, name) {
            problems.push(format!(
                "{DOC}:{}: {} cites `{citation}`, but `{path}` has no test `fn {name}`: the \
                 test was renamed or moved; cite its current name and file",
                row.line, row.id
            ));
        }
    }
    cited
}

#[test]
fn the_scenario_catalogue_matches_the_triggers_and_the_tests() {
    let doc = read(DOC);
    let triggers_text = read(TRIGGERS);
    let triggers: toml::Table = toml::from_str(&triggers_text).expect("config/triggers.toml");
    let trigger_ids: Vec<&str> = triggers["trigger"]
        .as_array()
        .expect("[[trigger]] array")
        .iter()
        .map(|t| t["id"].as_str().expect("trigger id"))
        .collect();

    let mut problems = Vec::new();
    let rows = rows(&doc, &mut problems);
    let by_id: BTreeMap<&str, &Row> = rows.iter().map(|r| (r.id.as_str(), r)).collect();

    // Each area's ids run 1, 2, 3… without gaps or repeats.
    let mut numbers: BTreeMap<char, Vec<u32>> = BTreeMap::new();
    for row in &rows {
        let (letter, number) = scenario_id(&row.id).expect("checked when parsed");
        numbers.entry(letter).or_default().push(number);
    }
    for (letter, found) in &numbers {
        let unique: BTreeSet<u32> = found.iter().copied().collect();
        if unique.len() != found.len() {
            problems.push(format!(
                "{DOC}: a {letter} scenario has more than one row: keep one row per id"
            ));
        }
        let max = unique.iter().max().copied().unwrap_or(0);
        for missing in (1..=max).filter(|n| !unique.contains(n)) {
            problems.push(format!(
                "{DOC}: {letter}{missing} is missing between {letter}1 and {letter}{max}: add its \
                 row (every catalogue id is listed, even when not done)"
            ));
        }
    }

    // (1) and (2): every trigger is listed in the row of the scenario its id starts with.
    let mut with_triggers: BTreeSet<String> = BTreeSet::new();
    for id in &trigger_ids {
        let scenario = id
            .split_once('-')
            .map(|(p, _)| p.to_ascii_uppercase())
            .unwrap_or_default();
        if scenario_id(&scenario).is_none() {
            problems.push(format!(
                "{TRIGGERS}: trigger `{id}` does not start with a scenario id (e.g. `c8-…`): \
                 rename it after its scenario"
            ));
            continue;
        }
        match by_id.get(scenario.as_str()) {
            None => problems.push(format!(
                "{TRIGGERS}: trigger `{id}` belongs to scenario {scenario}, which {DOC} does not \
                 list: add a row for {scenario} (under \"Project scenarios outside the \
                 catalogue\" if the catalogue has no such id)"
            )),
            Some(row) if !backticked(&row.implemented_by).contains(id) => {
                problems.push(format!(
                    "{DOC}:{}: trigger `{id}` from {TRIGGERS} is not in the \"Implemented by\" \
                     cell of {scenario}: add `{id}` there",
                    row.line
                ));
            }
            Some(_) => {
                with_triggers.insert(scenario);
            }
        }
    }

    // Trigger ids named in the page exist in the configuration (ids or timer names).
    for row in &rows {
        for token in backticked(&row.implemented_by) {
            if looks_like_trigger_id(token) && !triggers_text.contains(&format!("\"{token}\"")) {
                problems.push(format!(
                    "{DOC}:{}: {} names `{token}`, which {TRIGGERS} does not define: use the \
                     trigger's current id or remove it",
                    row.line, row.id
                ));
            }
        }
    }

    // (3) and (4): cited tests exist; done and partial rows cite at least one; a scenario with
    // its own triggers is not "not done"; the totals add up.
    let mut totals = [0usize; 3];
    for row in &rows {
        let cited = check_tests(row, &mut problems);
        let Some(status) = status(row, &mut problems) else {
            continue;
        };
        if status != Status::NotDone && cited == 0 {
            problems.push(format!(
                "{DOC}:{}: {} is marked done or partial but cites no test: cite the tests that \
                 prove it as `path::function`, or mark it `not done: …`",
                row.line, row.id
            ));
        }
        if status == Status::NotDone && with_triggers.contains(&row.id) {
            problems.push(format!(
                "{DOC}:{}: {} is `not done` but {TRIGGERS} has triggers for it: mark it done or \
                 partial and cite its tests",
                row.line, row.id
            ));
        }
        totals[match status {
            Status::Done => 0,
            Status::Partial => 1,
            Status::NotDone => 2,
        }] += 1;
    }
    let [done, partial, not_done] = totals;
    let expected = format!("Totals: {done} done, {partial} partial, {not_done} not done.");
    if !doc.lines().any(|l| l.trim() == expected) {
        problems.push(format!(
            "{DOC}: the totals line does not match the rows: write `{expected}`"
        ));
    }

    assert!(
        problems.is_empty(),
        "{DOC} is out of step ({} problems):\n- {}",
        problems.len(),
        problems.join("\n- ")
    );
}

#[test]
fn a_test_citation_must_name_a_test_function() {
    let text =
        "#[test]\nfn real_test() {}\n\nfn helper() {}\n#[tokio::test]\nasync fn real_async() {}\n";
    assert!(is_test_fn(text, "real_test"));
    assert!(is_test_fn(text, "real_async"));
    assert!(!is_test_fn(text, "helper"), "a helper is not a test");
    assert!(!is_test_fn(text, "real"), "a prefix is not a name");
}

#[test]
fn trigger_ids_and_scenario_ids_are_told_apart() {
    assert_eq!(scenario_id("C11"), Some(('C', 11)));
    assert_eq!(scenario_id("ID"), None);
    assert_eq!(scenario_id("c1"), None);
    assert!(looks_like_trigger_id("o3-no-answer-1"));
    assert!(looks_like_trigger_id("o5-invoice-check"));
    assert!(!looks_like_trigger_id("config/statuses.toml"));
    assert!(!looks_like_trigger_id("payment-error"));
    assert!(!looks_like_trigger_id("not-bought-out"));
}
