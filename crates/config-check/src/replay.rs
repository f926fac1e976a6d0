//! `orderpath-check --replay`: a dry run of an edited configuration against the trigger
//! evaluations recorded in a copy of the app's database (or a file the staff API exported),
//! with the core's replay (`orderpath_core::replay`). The database is opened read-only and
//! nothing is sent or written.

use std::path::{Path, PathBuf};

use orderpath_core::analytics::parse_date;
use orderpath_core::automation::config::{check, Config};
use orderpath_core::automation::time::TimeZone;
use orderpath_core::replay::{
    in_period, read_lines, replay, text, Evaluation, Report, StoredRow, SELECT_PERIOD,
};
use rusqlite::{Connection, OpenFlags};

use crate::read_config;

/// Where the recorded evaluations come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A copy of `.spin/sqlite_db.db`.
    Db(PathBuf),
    /// A file of JSON lines (`GET /api/replay/evaluations`).
    Events(PathBuf),
}

/// A dry run to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The recorded evaluations.
    pub source: Source,
    /// The edited configuration directory.
    pub config: PathBuf,
    /// Shop-local days `from..=to` (`YYYY-MM-DD`); everything when absent.
    pub from: Option<String>,
    /// The last day, included.
    pub to: Option<String>,
    /// JSON instead of text.
    pub json: bool,
    /// The deployment's `shop_*` variables, which override shop.toml in the app.
    pub shop: ShopVariables,
}

/// The deployment's `shop_name`, `shop_phone`, `shop_email`, `shop_hours`, `shop_url` and
/// `shop_language` variables: set (not empty), they override shop.toml in the app, so messages
/// the replay renders must use them too, or every message would seem to differ.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopVariables {
    /// `(variable name, value)` for those set.
    pub values: Vec<(String, String)>,
}

/// The variables [`ShopVariables`] reads.
pub const SHOP_VARIABLES: [&str; 6] = [
    "shop_name",
    "shop_phone",
    "shop_email",
    "shop_hours",
    "shop_url",
    "shop_language",
];

impl ShopVariables {
    /// From the environment, as Spin's env provider reads them (`SPIN_VARIABLE_SHOP_NAME`, …).
    pub fn from_env() -> ShopVariables {
        let values = SHOP_VARIABLES
            .iter()
            .filter_map(|name| {
                let value = std::env::var(format!("SPIN_VARIABLE_{}", name.to_uppercase())).ok()?;
                Some(((*name).to_owned(), value))
            })
            .collect();
        ShopVariables { values }
    }

    /// Overrides the shop's details with the variables that are set, as the app does.
    fn apply(&self, shop: &mut orderpath_core::automation::config::Shop) -> Result<(), String> {
        for (name, value) in &self.values {
            if value.trim().is_empty() {
                continue;
            }
            let field = match name.as_str() {
                "shop_name" => &mut shop.info.name,
                "shop_phone" => &mut shop.info.phone,
                "shop_email" => &mut shop.info.email,
                "shop_hours" => &mut shop.info.hours,
                "shop_url" => &mut shop.info.url,
                "shop_language" => {
                    shop.language = orderpath_core::message::Language::parse(value)
                        .ok_or_else(|| format!("shop_language {value:?}: must be ru or en"))?;
                    continue;
                }
                other => return Err(format!("{other} is not a shop variable")),
            };
            field.clone_from(value);
        }
        Ok(())
    }
}

/// Why a dry run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The edited configuration has problems (listed).
    #[error("the edited configuration has problems:\n{0}")]
    Config(String),
    /// A date that is not `YYYY-MM-DD`, or `from` after `to`.
    #[error("{0}")]
    Period(String),
    /// The database could not be read.
    #[error("{path}: {reason}")]
    Db {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The events file could not be read.
    #[error("{path}: {reason}")]
    Events {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// The report, as text or JSON, and the report itself.
pub fn run(options: &Options) -> Result<(String, Report), ReplayError> {
    let files = read_config(&options.config)
        .map_err(|e| ReplayError::Config(format!("{}: {e}", options.config.display())))?;
    let checked = check(&files);
    let mut config = match checked.config {
        Some(config) if checked.problems.is_empty() => config,
        _ => {
            let problems: Vec<String> = checked
                .problems
                .iter()
                .map(|p| format!("error: {p}"))
                .collect();
            return Err(ReplayError::Config(problems.join("\n")));
        }
    };
    options
        .shop
        .apply(&mut config.shop)
        .map_err(ReplayError::Config)?;
    let (from, to) = period(&config.shop.time_zone, options)?;
    let evaluations = match &options.source {
        Source::Db(path) => read_db(path, from, to)?,
        Source::Events(path) => {
            let bad = |reason: String| ReplayError::Events {
                path: path.display().to_string(),
                reason,
            };
            let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
            in_period(read_lines(&text).map_err(bad)?, from, to)
        }
    };
    let report = replay(&config, &evaluations);
    let out = if options.json {
        let mut json = serde_json::to_string_pretty(&report).unwrap_or_default();
        json.push('\n');
        json
    } else {
        describe(&config, options, &report)
    };
    Ok((out, report))
}

fn describe(config: &Config, options: &Options, report: &Report) -> String {
    let period = match (&options.from, &options.to) {
        (None, None) => "every recorded evaluation".to_owned(),
        (from, to) => format!(
            "{} to {} ({})",
            from.as_deref().unwrap_or("the first"),
            to.as_deref().unwrap_or("the last"),
            config.shop.time_zone.name()
        ),
    };
    format!(
        "Configuration: {}\nPeriod: {period}\n{}",
        options.config.display(),
        text(report, &config.shop.time_zone)
    )
}

/// `[from, to)` in unix seconds: the start of `from` and the end of `to`, shop-local.
fn period(tz: &TimeZone, options: &Options) -> Result<(i64, i64), ReplayError> {
    let day = |name: &str, value: &Option<String>| -> Result<Option<i64>, ReplayError> {
        value
            .as_deref()
            .map(|text| {
                parse_date(text).ok_or_else(|| {
                    ReplayError::Period(format!("--{name} {text:?}: must be a date YYYY-MM-DD"))
                })
            })
            .transpose()
    };
    let from = day("from", &options.from)?;
    let to = day("to", &options.to)?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(ReplayError::Period("--from must not be after --to".into()));
        }
    }
    Ok((
        from.map_or(i64::MIN / 2, |d| tz.wall_time(d, 0)),
        to.map_or(i64::MAX / 2, |d| tz.wall_time(d + 1, 0)),
    ))
}

/// RFC 3339 of a bound; the open ends become dates no evaluation has.
fn bound(t: i64) -> String {
    const FIRST: i64 = 0;
    const LAST: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    orderpath_core::automation::time::rfc3339::format_utc(t.clamp(FIRST, LAST))
}

/// Reads the evaluations of `[from, to)` from a database, read-only.
pub fn read_db(path: &Path, from: i64, to: i64) -> Result<Vec<Evaluation>, ReplayError> {
    let bad = |reason: String| ReplayError::Db {
        path: path.display().to_string(),
        reason,
    };
    if !path.is_file() {
        return Err(bad("no such file".into()));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| bad(e.to_string()))?;
    conn.pragma_update(None, "query_only", true)
        .map_err(|e| bad(e.to_string()))?;
    let has_table: bool = conn
        .query_row(
            "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'trigger_evaluations'",
            [],
            |row| row.get(0),
        )
        .map_err(|e| bad(format!("not an Orderpath database? {e}")))?;
    if !has_table {
        return Err(bad(
            "no recorded trigger evaluations: the app records them from schema version 27 on"
                .into(),
        ));
    }
    let mut statement = conn
        .prepare(SELECT_PERIOD)
        .map_err(|e| bad(e.to_string()))?;
    let rows = statement
        .query_map(
            rusqlite::params![bound(from), bound(to), 0_i64, i64::MAX],
            |r| {
                Ok(StoredRow {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    source: r.get(2)?,
                    event_id: r.get(3)?,
                    kind: r.get(4)?,
                    parent_id: r.get(5)?,
                    trigger_id: r.get(6)?,
                    raised_by: r.get(7)?,
                    order_id: r.get(8)?,
                    customer_id: r.get(9)?,
                    conversation_id: r.get(10)?,
                    event: r.get(11)?,
                    facts: r.get(12)?,
                    decisions: r.get(13)?,
                })
            },
        )
        .map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    for row in rows {
        let row = row.map_err(|e| bad(e.to_string()))?;
        out.push(row.into_evaluation().map_err(bad)?);
    }
    Ok(out)
}
