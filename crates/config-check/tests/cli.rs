//! `orderpath-check` against the shipped configuration and broken copies of it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

fn run(dir: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_orderpath-check"))
        .arg(dir)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("readable") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// A copy of the shipped configuration in a temporary directory.
fn broken_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&shipped(), dir.path());
    dir
}

#[test]
fn shipped_configuration_passes_with_no_problems() {
    let (code, out) = run(&shipped());
    assert_eq!(code, 0, "{out}");
    let summary = out.lines().last().expect("summary");
    assert!(summary.ends_with("0 problems, 0 warnings"), "{summary}");
    let triggers = std::fs::read_to_string(shipped().join("triggers.toml"))
        .expect("triggers.toml")
        .matches("[[trigger]]")
        .count();
    let templates: usize = std::fs::read_dir(shipped().join("templates"))
        .expect("templates/")
        .map(|entry| {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("template");
            text.lines().filter(|l| l.starts_with("kind = ")).count()
        })
        .sum();
    assert!(
        summary.starts_with(&format!("{triggers} triggers, {templates} templates")),
        "{summary}"
    );
}

#[test]
fn misspelt_template_fails_naming_file_trigger_and_field() {
    let dir = broken_copy();
    let triggers = dir.path().join("triggers.toml");
    let text = std::fs::read_to_string(&triggers).expect("read");
    let text = text.replace(
        "template = \"track-number-sms\"",
        "template = \"track_numbr\"",
    );
    std::fs::write(&triggers, text).expect("write");
    let (code, out) = run(dir.path());
    assert_eq!(code, 1, "{out}");
    let expected = format!(
        "error: {}/triggers.toml: trigger \"c3-track-number\": action[1].template: unknown template \"track_numbr\" (no [track_numbr] in {}/templates/ru.toml, no {}/templates/ru/track_numbr.toml)",
        dir.path().display(),
        dir.path().display(),
        dir.path().display()
    );
    assert!(out.lines().any(|l| l == expected), "{out}");
    assert!(
        out.lines()
            .last()
            .is_some_and(|l| l.ends_with("4 problems, 0 warnings")),
        "{out}"
    );
}

#[test]
fn broken_toml_and_a_long_sms_are_an_error_and_a_warning() {
    let dir = broken_copy();
    std::fs::write(
        dir.path().join("shop.toml"),
        "language = \"ru\"\ntime_zone = Europe/Moscow\n",
    )
    .expect("write");
    let long = format!(
        "kind = \"sms\"\ntext = \"{}\"\n",
        "Очень длинное сообщение. ".repeat(4)
    );
    // A single-template file overrides the bundle's entry of the same name.
    std::fs::create_dir_all(dir.path().join("templates/ru")).expect("mkdir");
    std::fs::write(dir.path().join("templates/ru/no-answer-sms.toml"), long).expect("write");
    let (code, out) = run(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("shop.toml: line 2:"), "{out}");
    assert!(
        out.contains("warning:") && out.contains("sms template no-answer-sms needs 2 parts"),
        "{out}"
    );
}

#[test]
fn missing_directory_is_reported() {
    let (code, _) = run(Path::new("/nonexistent/orderpath-config"));
    assert_eq!(code, 2);
}

fn compile(dir: &Path, out: &Path) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_orderpath-check"))
        .arg(dir)
        .arg("--compile")
        .arg(out)
        .output()
        .expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn compiling_the_shipped_configuration_writes_what_the_components_read() {
    let out = tempfile::tempdir().expect("tempdir");
    let (code, text) = compile(&shipped(), out.path());
    assert_eq!(code, 0, "{text}");
    let bytes = std::fs::read(out.path().join("compiled.json")).expect("written");
    let config = orderpath_core::automation::config::compiled::decode(&bytes).expect("decodes");
    let triggers = std::fs::read_to_string(shipped().join("triggers.toml"))
        .expect("triggers.toml")
        .matches("[[trigger]]")
        .count();
    assert_eq!(config.triggers.len(), triggers);
    // Nothing but the compiled file: no partial file left behind.
    let names: Vec<_> = std::fs::read_dir(out.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["compiled.json"]);
}

#[test]
fn compiling_a_broken_configuration_fails_and_writes_its_problems() {
    let dir = broken_copy();
    std::fs::write(
        dir.path().join("statuses.toml"),
        "this is = not [valid toml",
    )
    .expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    let (code, text) = compile(dir.path(), out.path());
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("statuses.toml"), "{text}");
    let bytes = std::fs::read(out.path().join("compiled.json")).expect("written");
    let error = orderpath_core::automation::config::compiled::decode(&bytes)
        .expect_err("a component refuses it");
    assert!(error.to_string().contains("statuses.toml"), "{error}");
}

#[test]
fn a_file_that_is_not_utf8_is_a_problem_named_in_the_compiled_file() {
    let dir = broken_copy();
    std::fs::write(dir.path().join("templates/en.toml"), b"x = \"\xff\"\n").expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    let (code, text) = compile(dir.path(), out.path());
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("en.toml: cannot be read: not UTF-8"),
        "{text}"
    );
    let bytes = std::fs::read(out.path().join("compiled.json")).expect("written");
    let error = orderpath_core::automation::config::compiled::decode(&bytes).expect_err("refused");
    assert!(error.to_string().contains("en.toml"), "{error}");
}
