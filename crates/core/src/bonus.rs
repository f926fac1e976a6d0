//! Staff bonuses (S2–S6): how much a rule pays for an order, and the ledger's shapes.
//!
//! A rule (`[bonuses.rules.<name>]` in `shop.toml`) pays one of three ways:
//!
//! - **percent** of a base, the items' value (`qty × price`, before the order's discount and
//!   without delivery), per category;
//! - **per item**: an amount per unit (the sum of the quantities), per category;
//! - **fixed**: an amount per occasion (one hand-over).
//!
//! The base is the order's items, or only the items a change added ([`added_items`]). Every
//! amount is an integer in minor units. A percentage is kept in hundredths of a percent (basis
//! points), so `2.5` % is exactly `250`: there is no float anywhere in the arithmetic. Each
//! category's share is rounded once, to the nearest minor unit, a half rounded up
//! ([`percent_of`]); categories are separate ledger lines, so what a line says is what it pays.
//!
//! The ledger is append-only: a cancelled or returned order gets negative `reversal` lines
//! that point at the `accrual` lines they cancel, in the period of the reversal.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::automation::time::TimeZone;
use crate::event::Item;

/// Basis points in one percent.
pub const BASIS_POINTS_PER_PERCENT: i64 = 100;
/// Basis points in a whole (100 %).
pub const BASIS_POINTS_WHOLE: i64 = 10_000;

/// The shop's bonus rules (`[bonuses]` of `shop.toml`), checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bonuses {
    /// The currency bonuses are paid in: fixed and per-item amounts are in it, and a
    /// percentage is paid only for an order in it.
    pub currency: String,
    /// Rules by name.
    pub rules: BTreeMap<String, Rule>,
}

impl Default for Bonuses {
    fn default() -> Self {
        Bonuses {
            currency: "RUB".to_owned(),
            rules: BTreeMap::new(),
        }
    }
}

/// One rule: how much, of what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// What it is for, for people.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// How the amount is computed.
    pub pays: Pays,
    /// Which items count, for `percent` and `per_item`.
    pub of: Base,
}

/// How a rule's amount is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "rates", rename_all = "snake_case")]
pub enum Pays {
    /// Basis points of the items' value, per category.
    Percent(Rates),
    /// Minor units per unit of the items, per category.
    PerItem(Rates),
    /// Minor units, once.
    Fixed(i64),
}

impl Pays {
    /// `percent`, `per_item` or `fixed`.
    pub fn calculation(&self) -> Calculation {
        match self {
            Pays::Percent(_) => Calculation::Percent,
            Pays::PerItem(_) => Calculation::PerItem,
            Pays::Fixed(_) => Calculation::Fixed,
        }
    }
}

/// A rate per category, and one for every other category (and items without one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rates {
    /// Category code → rate.
    pub categories: BTreeMap<String, i64>,
    /// The rate of any other category (`"*"` in the file); `None`: they earn nothing.
    pub other: Option<i64>,
}

impl Rates {
    /// One rate for everything.
    pub fn flat(rate: i64) -> Rates {
        Rates {
            categories: BTreeMap::new(),
            other: Some(rate),
        }
    }

    /// The rate for an item of this category, if it earns anything.
    pub fn rate(&self, category: Option<&str>) -> Option<i64> {
        category
            .and_then(|c| self.categories.get(c).copied())
            .or(self.other)
    }
}

/// Which items a rule counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// The order's items.
    #[default]
    Items,
    /// The items the change added (`order.changed` only).
    AddedItems,
}

impl Base {
    /// `items` or `added_items`, as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Base::Items => "items",
            Base::AddedItems => "added_items",
        }
    }

    /// The base with this name.
    pub fn parse(text: &str) -> Option<Base> {
        [Base::Items, Base::AddedItems]
            .into_iter()
            .find(|b| b.as_str() == text)
    }
}

/// How a ledger line was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calculation {
    /// `rate` basis points of `base` minor units.
    Percent,
    /// `rate` minor units times `base` units.
    PerItem,
    /// `rate` minor units once (`base` is 1).
    Fixed,
}

impl Calculation {
    /// `percent`, `per_item` or `fixed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Calculation::Percent => "percent",
            Calculation::PerItem => "per_item",
            Calculation::Fixed => "fixed",
        }
    }
}

/// One computed line: a category's share of a rule's bonus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The items' category; `None` for a fixed amount or items without one.
    pub category: Option<String>,
    /// How it was computed.
    pub calculation: Calculation,
    /// Minor units (percent), units (per item) or 1 (fixed).
    pub base: i64,
    /// Basis points (percent) or minor units (per item, fixed).
    pub rate: i64,
    /// Minor units, > 0.
    pub amount: i64,
}

/// `bp` basis points of `base` minor units, rounded to the nearest minor unit, a half up
/// (`0.5` kopeck → 1 kopeck). Exact integer arithmetic; saturates instead of overflowing.
pub fn percent_of(base: i64, bp: i64) -> i64 {
    let product = i128::from(base) * i128::from(bp);
    let half = i128::from(BASIS_POINTS_WHOLE / 2);
    let whole = i128::from(BASIS_POINTS_WHOLE);
    let rounded = if product >= 0 {
        (product + half) / whole
    } else {
        -((-product + half) / whole)
    };
    i64::try_from(rounded).unwrap_or(if rounded > 0 { i64::MAX } else { i64::MIN })
}

/// The lines a rule pays for these items (the order's, or those a change added). Lines that
/// come to nothing are left out, so an empty list means "nothing to pay".
pub fn lines(pays: &Pays, items: &[Item]) -> Vec<Line> {
    let rates = match pays {
        Pays::Fixed(amount) => {
            return (*amount > 0)
                .then_some(Line {
                    category: None,
                    calculation: Calculation::Fixed,
                    base: 1,
                    rate: *amount,
                    amount: *amount,
                })
                .into_iter()
                .collect();
        }
        Pays::Percent(rates) | Pays::PerItem(rates) => rates,
    };
    let mut bases: BTreeMap<Option<&str>, i64> = BTreeMap::new();
    for item in items {
        let base = match pays {
            Pays::Percent(_) => i64::from(item.qty).saturating_mul(item.price),
            _ => i64::from(item.qty),
        };
        let sum = bases.entry(item.category.as_deref()).or_insert(0);
        *sum = sum.saturating_add(base);
    }
    bases
        .into_iter()
        .filter_map(|(category, base)| {
            let rate = rates.rate(category)?;
            let amount = match pays {
                Pays::Percent(_) => percent_of(base, rate),
                _ => base.saturating_mul(rate),
            };
            (amount > 0).then(|| Line {
                category: category.map(str::to_owned),
                calculation: pays.calculation(),
                base,
                rate,
                amount,
            })
        })
        .collect()
}

/// What a change added to an order's items: per article, the quantity by which the new list
/// exceeds the old one (an article new to the order counts whole), priced, named and
/// categorised as in the new list. Removed or reduced articles add nothing.
pub fn added_items(old: &[Item], new: &[Item]) -> Vec<Item> {
    let qty = |items: &[Item], sku: &str| -> i64 {
        items
            .iter()
            .filter(|i| i.sku == sku)
            .map(|i| i64::from(i.qty))
            .sum()
    };
    let mut added: Vec<Item> = Vec::new();
    for item in new {
        if added.iter().any(|a| a.sku == item.sku) {
            continue;
        }
        let grew = qty(new, &item.sku) - qty(old, &item.sku);
        if let Ok(grew) = u32::try_from(grew) {
            if grew > 0 {
                added.push(Item {
                    qty: grew,
                    ..item.clone()
                });
            }
        }
    }
    added
}

/// The ledger period of an instant: `YYYY-MM` of its date in the shop's time zone.
pub fn period(t: i64, tz: &TimeZone) -> String {
    let civil = tz.civil(t);
    format!("{:04}-{:02}", civil.year, civil.month)
}

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a month as YYYY-MM (e.g. 2026-11)")]
pub struct BadPeriod;

/// Checks a period as written in a query: `YYYY-MM`, month 01–12, year 2000–9999.
pub fn parse_period(text: &str) -> Result<String, BadPeriod> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if bytes.len() != 7 || bytes[4] != b'-' || !digits(0..4) || !digits(5..7) {
        return Err(BadPeriod);
    }
    let year: u32 = text[..4].parse().map_err(|_| BadPeriod)?;
    let month: u32 = text[5..].parse().map_err(|_| BadPeriod)?;
    if !(2000..=9999).contains(&year) || !(1..=12).contains(&month) {
        return Err(BadPeriod);
    }
    Ok(text.to_owned())
}

/// One stored ledger line, as the staff API and the CSV show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    /// The line's id.
    pub id: i64,
    /// Who earned it.
    pub staff: String,
    /// The order.
    pub order_id: String,
    /// The rule behind it.
    pub rule: String,
    /// The trigger that wrote it (for a reversal: the one that reversed it).
    pub trigger: String,
    /// `accrual` or `reversal`.
    pub kind: String,
    /// How it was computed: `percent`, `per_item`, `fixed`.
    pub calculation: String,
    /// The items' category, when the rule pays per category.
    pub category: Option<String>,
    /// What it was computed from (see [`Line::base`]).
    pub base: i64,
    /// The rate (see [`Line::rate`]).
    pub rate: i64,
    /// Minor units; negative for a reversal.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// `YYYY-MM`.
    pub period: String,
    /// For a reversal, the id of the line it reverses.
    pub reverses: Option<i64>,
    /// When it was written (RFC 3339, UTC).
    pub at: String,
}

/// One person's lines of a period in one currency, with their sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonTotal {
    /// The staff id.
    pub staff: String,
    /// Their name from `shop.toml`; the id when they are no longer there.
    pub name: String,
    /// ISO 4217.
    pub currency: String,
    /// The sum of the lines, minor units.
    pub total: i64,
    /// The lines, oldest first.
    pub lines: Vec<LedgerLine>,
}

/// Groups a period's lines per person and currency, people by name; `name` gives a staff
/// id's display name.
pub fn totals(lines: Vec<LedgerLine>, name: impl Fn(&str) -> Option<String>) -> Vec<PersonTotal> {
    let mut people: BTreeMap<(String, String), Vec<LedgerLine>> = BTreeMap::new();
    for line in lines {
        people
            .entry((line.staff.clone(), line.currency.clone()))
            .or_default()
            .push(line);
    }
    let mut out: Vec<PersonTotal> = people
        .into_iter()
        .map(|((staff, currency), mut lines)| {
            lines.sort_by_key(|l| l.id);
            PersonTotal {
                name: name(&staff).unwrap_or_else(|| staff.clone()),
                total: lines
                    .iter()
                    .fold(0_i64, |sum, l| sum.saturating_add(l.amount)),
                staff,
                currency,
                lines,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.name, &a.staff, &a.currency).cmp(&(&b.name, &b.staff, &b.currency)));
    out
}

/// The CSV's columns.
pub const CSV_HEADER: [&str; 17] = [
    "period",
    "staff",
    "name",
    "line",
    "at",
    "order_id",
    "rule",
    "trigger",
    "kind",
    "calculation",
    "category",
    "base",
    "rate",
    "amount_minor",
    "amount",
    "currency",
    "reverses",
];

/// The ledger as CSV (RFC 4180: CRLF line ends, a field with a comma, quote or line break
/// quoted, quotes doubled), one row per line, with a header row. `amount_minor` is exact;
/// `amount` is the same in major units with a dot (`-123.45`). A field starting with `=`,
/// `+`, `-` or `@` that is not a number gets a leading `'`, so a spreadsheet never runs it
/// as a formula.
pub fn csv(people: &[PersonTotal], minor_digits: impl Fn(&str) -> u32) -> String {
    let mut out = String::new();
    push_row(&mut out, CSV_HEADER.iter().map(|h| (*h).to_owned()));
    for person in people {
        for l in &person.lines {
            let digits = minor_digits(&l.currency);
            push_row(
                &mut out,
                [
                    l.period.clone(),
                    l.staff.clone(),
                    person.name.clone(),
                    l.id.to_string(),
                    l.at.clone(),
                    l.order_id.clone(),
                    l.rule.clone(),
                    l.trigger.clone(),
                    l.kind.clone(),
                    l.calculation.clone(),
                    l.category.clone().unwrap_or_default(),
                    l.base.to_string(),
                    l.rate.to_string(),
                    l.amount.to_string(),
                    major_units(l.amount, digits),
                    l.currency.clone(),
                    l.reverses.map(|r| r.to_string()).unwrap_or_default(),
                ],
            );
        }
    }
    out
}

fn push_row(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_field(&field));
    }
    out.push_str("\r\n");
}

fn csv_field(field: &str) -> String {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r'])
        && field.parse::<f64>().is_err()
        && !field.is_empty();
    let field = if formula {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

/// Minor units as a decimal in major units: `12345`, 2 digits → `123.45`; `-5` → `-0.05`.
pub fn major_units(minor: i64, digits: u32) -> String {
    if digits == 0 {
        return minor.to_string();
    }
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let unit = 10_u64.pow(digits);
    format!(
        "{sign}{}.{:0width$}",
        abs / unit,
        abs % unit,
        width = digits as usize
    )
}

#[cfg(test)]
mod tests;
