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
