//! `orderpath-check [DIR]`: loads an Orderpath configuration directory (default `config`)
//! the way the components do, prints every problem and warning, and exits 1 when the
//! configuration would be refused.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use orderpath_core::automation::config::{check, ConfigFiles};

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("config"), PathBuf::from);
    match run(&dir) {
        Ok(output) => {
            print!("{}", output.text);
            if output.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("orderpath-check: {}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}

/// What a check printed and whether the configuration is usable.
struct Output {
    text: String,
    ok: bool,
}

fn run(dir: &Path) -> std::io::Result<Output> {
    let root = dir.to_string_lossy().trim_end_matches('/').to_owned();
    let mut files = ConfigFiles::new(&root);
    read_dir(dir, dir, &mut files)?;
    let report = check(&files);
    let mut text = String::new();
    for p in &report.problems {
        text.push_str(&format!("error: {p}\n"));
    }
    for w in &report.warnings {
        text.push_str(&format!("warning: {w}\n"));
    }
    let (triggers, templates) = report
        .config
        .as_ref()
        .map_or((0, 0), |c| (c.triggers.len(), c.templates.len()));
    text.push_str(&format!(
        "{triggers} triggers, {templates} templates, {} problems, {} warnings\n",
        report.problems.len(),
        report.warnings.len()
    ));
    Ok(Output {
        text,
        ok: report.problems.is_empty(),
    })
}

/// Reads every file below `dir` (hidden files and directories skipped) as UTF-8.
fn read_dir(root: &Path, dir: &Path, files: &mut ConfigFiles) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            read_dir(root, &path, files)?;
        } else {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel = rel.to_string_lossy().replace('\\', "/");
            let contents = std::fs::read_to_string(&path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            files.insert(&rel, contents);
        }
    }
    Ok(())
}
