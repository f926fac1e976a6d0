//! `statuses.toml`: the status path (P1, P2) and time limits per status (P3).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{parse_toml, ConfigFiles, Findings};
use crate::automation::time::parse_duration;
use crate::status::{StatusDef, StatusPath};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusesFile {
    #[serde(default)]
    status: Vec<StatusEntry>,
    #[serde(default)]
    transitions: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusEntry {
    code: String,
    group: String,
    label_ru: String,
    label_en: String,
    #[serde(default = "yes")]
    enabled: bool,
    time_limit: Option<String>,
    reminder_every: Option<String>,
    #[serde(default)]
    waits_for_stock: bool,
}

fn yes() -> bool {
    true
}

/// How long an order may stay in a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, Deserialize)]
pub struct StatusTiming {
    /// Working-hours seconds before the order is overdue.
    pub time_limit: Option<i64>,
    /// Working-hours seconds between reminders while it stays overdue.
    pub reminder_every: Option<i64>,
}

/// The statuses of the shop.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct StatusConfig {
    /// Enabled statuses and allowed transitions.
    pub path: StatusPath,
    /// Time limits by status code.
    pub timing: BTreeMap<String, StatusTiming>,
    /// Codes of switched-off statuses: they can neither be entered nor named.
    pub disabled: BTreeSet<String>,
}

impl StatusConfig {
    /// True for an enabled status.
    pub fn is_enabled(&self, code: &str) -> bool {
        self.path.get(code).is_some()
    }

    /// The time limits of a status.
    pub fn timing(&self, code: &str) -> StatusTiming {
        self.timing.get(code).copied().unwrap_or_default()
    }
}

pub(super) fn load(files: &ConfigFiles, findings: &mut Findings) -> Option<StatusConfig> {
    let file = files.display("statuses.toml");
    if files.get("statuses.toml").is_none() {
        findings.problem(&file, None, "", "missing file".into());
        return None;
    }
    let raw: StatusesFile = parse_toml(files, "statuses.toml", findings)?;
    let before = findings.problems.len();
    let mut problem = |field: &str, message: String| findings.problem(&file, None, field, message);

    let mut defs = Vec::new();
    let mut timing = BTreeMap::new();
    let mut disabled = BTreeSet::new();
    for (i, s) in raw.status.iter().enumerate() {
        let field = |name: &str| format!("status[{i}].{name}");
        if !crate::text::is_code(&s.code, 64, false) {
            problem(
                &field("code"),
                format!("{:?} is not a status code (a-z, 0-9, -)", s.code),
            );
        }
        if raw.status[..i].iter().any(|o| o.code == s.code) {
            problem(
                &field("code"),
                format!("status {:?} is defined twice", s.code),
            );
        }
        let mut limits = StatusTiming::default();
        for (name, text, slot) in [
            ("time_limit", &s.time_limit, &mut limits.time_limit),
            (
                "reminder_every",
                &s.reminder_every,
                &mut limits.reminder_every,
            ),
        ] {
            if let Some(text) = text {
                match parse_duration(text) {
                    Ok(0) => problem(&field(name), "must be longer than 0".into()),
                    Ok(secs) => *slot = Some(secs),
                    Err(e) => problem(&field(name), e.to_string()),
                }
            }
        }
        if !s.enabled {
            disabled.insert(s.code.clone());
            continue;
        }
        if limits != StatusTiming::default() {
            timing.insert(s.code.clone(), limits);
        }
        defs.push(StatusDef {
            code: s.code.clone(),
            group: s.group.clone(),
            label_ru: s.label_ru.clone(),
            label_en: s.label_en.clone(),
            waits_for_stock: s.waits_for_stock,
        });
    }
    let name_state = |code: &str| {
        if disabled.contains(code) {
            Some("disabled")
        } else if defs.iter().any(|d| d.code == code) {
            None
        } else {
            Some("unknown")
        }
    };
    let mut pairs = Vec::new();
    for (from, tos) in &raw.transitions {
        let field = format!("transitions.{from}");
        if let Some(state) = name_state(from) {
            problem(&field, format!("{state} status {from:?}"));
            continue;
        }
        for to in tos {
            match name_state(to) {
                Some(state) => problem(&field, format!("{state} status {to:?}")),
                None => pairs.push((from.as_str(), to.as_str())),
            }
        }
    }
    if findings.problems.len() > before {
        return None;
    }
    match StatusPath::new(defs, &pairs) {
        Ok(path) => Some(StatusConfig {
            path,
            timing,
            disabled,
        }),
        Err(e) => {
            findings.problem(&file, None, "", e.to_string());
            None
        }
    }
}
