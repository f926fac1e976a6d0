//! The shop's automation configuration: `shop.toml`, `statuses.toml`, `triggers.toml` and
//! `templates/<lang>/<name>.toml`, loaded from file contents (the core does no I/O) and
//! checked as a whole so that every problem is reported at once.

mod assignment;
mod bonuses;
pub mod compiled;
mod model;
mod shop;
mod statuses;
mod templates;
#[cfg(test)]
mod tests;
mod validate;

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;

pub use assignment::{parse_hours, Assignment, AssignmentRule, Pick, RuleWhen};
pub use bonuses::OTHER_CATEGORIES;
pub use model::{
    Action, AnyOf, Conditions, CooldownKey, DurationSpec, Earner, IntRef, MessageChannel, Target,
    TemplateText, Trigger, TriggersFile, UnassignedTask, BONUS_TARGETS, THRESHOLD_PREFIX,
};
pub use shop::{PromoPool, Role, Shop, ShopContacts, StaffMember};
pub use statuses::{StatusConfig, StatusTiming};
pub use templates::{sample_context, MessageTemplate, TemplateKind, Templates, TEMPLATE_ROOTS};

/// The files read from the top of the configuration directory. Other `*.toml` files there
/// are not part of the configuration ([`check`] warns about them).
pub const MAIN_FILES: [&str; 3] = ["shop.toml", "statuses.toml", "triggers.toml"];

/// The directory of message templates: `templates/<lang>.toml` bundles and
/// `templates/<lang>/<name>.toml` files.
pub const TEMPLATES_DIR: &str = "templates";

/// Configuration files by path relative to the configuration directory
/// (`shop.toml`, `templates/ru/order-created.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFiles {
    root: String,
    files: BTreeMap<String, String>,
    /// Files that exist but could not be read, with why.
    unreadable: BTreeMap<String, String>,
}

impl ConfigFiles {
    /// An empty set; `root` is how the directory is named in problems (`config`).
    pub fn new(root: &str) -> ConfigFiles {
        ConfigFiles {
            root: root.trim_end_matches('/').to_owned(),
            files: BTreeMap::new(),
            unreadable: BTreeMap::new(),
        }
    }

    /// Records a file that exists but cannot be read (not UTF-8, say): a problem of the
    /// configuration, named in the check.
    pub fn insert_unreadable(&mut self, path: &str, reason: impl Into<String>) {
        let path = path.replace('\\', "/");
        self.unreadable
            .insert(path.trim_start_matches("./").to_owned(), reason.into());
    }

    /// Adds a file; backslashes become slashes.
    pub fn insert(&mut self, path: &str, contents: impl Into<String>) {
        let path = path.replace('\\', "/");
        self.files
            .insert(path.trim_start_matches("./").to_owned(), contents.into());
    }

    /// A file's contents.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    /// All paths, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The path as shown in problems: `config/triggers.toml`.
    pub fn display(&self, path: &str) -> String {
        if self.root.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{path}", self.root)
        }
    }
}

/// One thing wrong (or worth a warning) in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConfigProblem {
    /// The file, e.g. `config/triggers.toml`.
    pub file: String,
    /// The trigger id, for problems inside a trigger.
    pub trigger: Option<String>,
    /// The field, e.g. `action[1].template` (empty for whole-file problems).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if let Some(id) = &self.trigger {
            write!(f, "trigger {id:?}: ")?;
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The files have problems; the first is shown, all are listed.
    #[error("the configuration has {} problem(s); the first: {}", .0.len(), .0[0])]
    Invalid(Vec<ConfigProblem>),
}

/// The loaded, checked configuration.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Config {
    /// `shop.toml`.
    pub shop: Shop,
    /// `statuses.toml`.
    pub statuses: StatusConfig,
    /// `triggers.toml`, in file order.
    pub triggers: Vec<Trigger>,
    /// `templates/<lang>/*.toml`. Compiled apart from the rest (see [`compiled`]).
    #[serde(skip)]
    pub templates: Templates,
}

impl Config {
    /// Loads and checks; any problem refuses the whole configuration. Warnings are not
    /// looked for: [`check`] reports them.
    pub fn load(files: &ConfigFiles) -> Result<Config, ConfigError> {
        let checked = run(files, false);
        match checked.config {
            Some(config) if checked.problems.is_empty() => Ok(config),
            _ => Err(ConfigError::Invalid(checked.problems)),
        }
    }

    /// This configuration with its triggers from another `triggers.toml` (the desk's dry run
    /// of an edited file), checked against this shop, its statuses and templates exactly as
    /// the build checks it; the problems when it would be refused. `root` names the
    /// directory in the problems (`config`).
    pub fn with_triggers(
        &self,
        root: &str,
        triggers_toml: &str,
    ) -> Result<Config, Vec<ConfigProblem>> {
        let mut files = ConfigFiles::new(root);
        files.insert("triggers.toml", triggers_toml);
        let mut findings = Findings::default();
        let triggers = validate::load_triggers(
            &files,
            Some(&self.shop),
            Some(&self.statuses),
            &self.templates,
            &mut findings,
        );
        match triggers {
            Some(triggers) if findings.problems.is_empty() => Ok(Config {
                triggers,
                ..self.clone()
            }),
            _ => Err(findings.problems),
        }
    }

    /// A trigger by id.
    pub fn trigger(&self, id: &str) -> Option<&Trigger> {
        self.triggers.iter().find(|t| t.id == id)
    }

    /// A threshold by name.
    pub fn threshold(&self, name: &str) -> Option<i64> {
        self.shop.thresholds.get(name).copied()
    }
}

/// Everything `check` found.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The configuration when the files could be read (it may still have problems).
    pub config: Option<Config>,
    /// Errors: the configuration must not be used.
    pub problems: Vec<ConfigProblem>,
    /// Worth a look, not fatal (SMS longer than one part, unknown template roots, …).
    pub warnings: Vec<ConfigProblem>,
}

/// Collects problems and warnings while loading.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub problems: Vec<ConfigProblem>,
    pub warnings: Vec<ConfigProblem>,
    /// False when only the verdict matters (a component loading its configuration on every
    /// request): warnings are dropped and the work of finding them is skipped.
    pub wants_warnings: bool,
}

impl Findings {
    pub fn problem(&mut self, file: &str, trigger: Option<&str>, field: &str, message: String) {
        self.problems.push(make(file, trigger, field, message));
    }

    pub fn warning(&mut self, file: &str, trigger: Option<&str>, field: &str, message: String) {
        if self.wants_warnings {
            self.warnings.push(make(file, trigger, field, message));
        }
    }
}

fn make(file: &str, trigger: Option<&str>, field: &str, message: String) -> ConfigProblem {
    ConfigProblem {
        file: file.to_owned(),
        trigger: trigger.map(str::to_owned),
        field: field.to_owned(),
        message,
    }
}

/// Reads a TOML file into `T`, reporting a syntax or shape error with its line.
pub(crate) fn parse_toml<T: DeserializeOwned>(
    files: &ConfigFiles,
    path: &str,
    findings: &mut Findings,
) -> Option<T> {
    let text = files.get(path)?;
    match toml::from_str::<T>(text) {
        Ok(value) => Some(value),
        Err(e) => {
            let line = e
                .span()
                .map(|s| 1 + text[..s.start.min(text.len())].matches('\n').count());
            let message = e.message().trim().replace('\n', " ");
            let message = match line {
                Some(line) => format!("line {line}: {message}"),
                None => message,
            };
            findings.problem(&files.display(path), None, "", message);
            None
        }
    }
}

/// Loads every file and reports all problems and warnings.
pub fn check(files: &ConfigFiles) -> CheckResult {
    run(files, true)
}

fn run(files: &ConfigFiles, wants_warnings: bool) -> CheckResult {
    let mut findings = Findings {
        wants_warnings,
        ..Findings::default()
    };
    for path in files.paths() {
        let known = MAIN_FILES.contains(&path)
            || path.starts_with("templates/")
            || !path.ends_with(".toml");
        if !known {
            findings.warning(
                &files.display(path),
                None,
                "",
                "unknown file, ignored (expected shop.toml, statuses.toml, triggers.toml, templates/<lang>/<name>.toml)".into(),
            );
        }
    }
    for (path, reason) in &files.unreadable {
        findings.problem(
            &files.display(path),
            None,
            "",
            format!("cannot be read: {reason}"),
        );
    }
    let shop = shop::load(files, &mut findings);
    let statuses = statuses::load(files, &mut findings);
    let templates = templates::load(files, &mut findings);
    let triggers = validate::load_triggers(
        files,
        shop.as_ref(),
        statuses.as_ref(),
        &templates,
        &mut findings,
    );
    let config = match (shop, statuses, triggers) {
        (Some(shop), Some(statuses), Some(triggers)) => Some(Config {
            shop,
            statuses,
            triggers,
            templates,
        }),
        _ => None,
    };
    CheckResult {
        config,
        problems: findings.problems,
        warnings: findings.warnings,
    }
}

/// The shipped `config/` folder, read from disk for unit tests.
#[cfg(test)]
pub(crate) fn shipped_files() -> ConfigFiles {
    fn walk(root: &std::path::Path, dir: &std::path::Path, files: &mut ConfigFiles) {
        for entry in std::fs::read_dir(dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let rel = path.strip_prefix(root).expect("prefix");
                let text = std::fs::read_to_string(&path).expect("read");
                files.insert(&rel.to_string_lossy(), text);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
    let mut files = ConfigFiles::new("config");
    walk(&root, &root, &mut files);
    files
}
