//! `orderpath-check`'s work, also used by the end-to-end tests: check a configuration
//! directory, compile it into the one file the components read, and dry-run an edited one
//! against recorded trigger evaluations ([`replay`]).

pub mod replay;

use std::path::{Path, PathBuf};

use orderpath_core::automation::config::compiled::{self, COMPILED_FILE};
use orderpath_core::automation::config::{check, CheckResult, ConfigFiles};

/// What a check printed and whether the configuration is usable.
#[derive(Debug)]
pub struct Output {
    /// Problems, warnings and a summary line.
    pub text: String,
    /// True when there are no problems.
    pub ok: bool,
}

/// Checks the configuration in `dir`.
pub fn check_dir(dir: &Path) -> std::io::Result<Output> {
    let checked = check(&read_config(dir)?);
    Ok(describe(&checked))
}

/// Checks the configuration in `dir` and writes the compiled file into `out` (created if
/// needed): the configuration when it has no problems, else its problems, so that a component
/// deployed anyway refuses to work. Returns the path written and what the check found.
pub fn compile_dir(dir: &Path, out: &Path) -> std::io::Result<(PathBuf, Output)> {
    let (checked, bytes) = compiled::compile(&read_config(dir)?);
    std::fs::create_dir_all(out)?;
    let path = out.join(COMPILED_FILE);
    // Written beside and renamed over, so a running app never reads half a file.
    let partial = out.join(format!(".{COMPILED_FILE}.partial"));
    std::fs::write(&partial, &bytes)?;
    std::fs::rename(&partial, &path)?;
    Ok((path, describe(&checked)))
}

fn describe(checked: &CheckResult) -> Output {
    let mut text = String::new();
    for p in &checked.problems {
        text.push_str(&format!("error: {p}\n"));
    }
    for w in &checked.warnings {
        text.push_str(&format!("warning: {w}\n"));
    }
    let (triggers, templates) = checked
        .config
        .as_ref()
        .map_or((0, 0), |c| (c.triggers.len(), c.templates.len()));
    text.push_str(&format!(
        "{triggers} triggers, {templates} templates, {} problems, {} warnings\n",
        checked.problems.len(),
        checked.warnings.len()
    ));
    Output {
        text,
        ok: checked.problems.is_empty(),
    }
}

/// Every file below `dir` (hidden files and directories skipped), as UTF-8.
pub fn read_config(dir: &Path) -> std::io::Result<ConfigFiles> {
    let root = dir.to_string_lossy().trim_end_matches('/').to_owned();
    let mut files = ConfigFiles::new(&root);
    read_dir(dir, dir, &mut files)?;
    Ok(files)
}

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
            let bytes = std::fs::read(&path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            match String::from_utf8(bytes) {
                Ok(contents) => files.insert(&rel, contents),
                Err(_) => files.insert_unreadable(&rel, "not UTF-8"),
            }
        }
    }
    Ok(())
}
