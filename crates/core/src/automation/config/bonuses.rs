//! `[bonuses]` of `shop.toml`: the currency bonuses are paid in and the named rules the
//! `bonus` action refers to (S2–S5). Read as written, then checked into
//! [`crate::bonus::Bonuses`] with every problem named.
//!
//! ```toml
//! [bonuses]
//! currency = "RUB"
//! [bonuses.rules.upsell]
//! of = "added_items"
//! percent = { tea = 5, dishes = 3, "*" = 2 }   # or one number: percent = 2.5
//! [bonuses.rules.picking]
//! per_item = 1500                               # minor units per unit
//! [bonuses.rules.handover]
//! fixed = 5000                                  # minor units
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Findings;
use crate::bonus::{Base, Bonuses, Pays, Rates, Rule, BASIS_POINTS_PER_PERCENT};

/// The key of the rate for every category not listed.
pub const OTHER_CATEGORIES: &str = "*";

/// `[bonuses]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BonusesFile {
    currency: Option<String>,
    #[serde(default)]
    rules: BTreeMap<String, RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    description: String,
    percent: Option<RatesFile>,
    per_item: Option<RatesFile>,
    fixed: Option<Number>,
    of: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RatesFile {
    One(Number),
    ByCategory(BTreeMap<String, Number>),
}

/// A number as TOML gives it; a percentage may also be a decimal string (`"2.5"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Number {
    Int(i64),
    Float(f64),
    Text(String),
}

/// Checks `[bonuses]`; problems go to `findings` under `file`.
pub(super) fn load(raw: Option<BonusesFile>, file: &str, findings: &mut Findings) -> Bonuses {
    let raw = raw.unwrap_or_default();
    let mut problem =
        |field: String, message: String| findings.problem(file, None, &field, message);
    let mut bonuses = Bonuses::default();
    if let Some(code) = raw.currency {
        match crate::money::Currency::parse(&code) {
            Ok(c) => bonuses.currency = c.as_str().to_owned(),
            Err(e) => problem("bonuses.currency".into(), e.to_string()),
        }
    }
    for (name, rule) in raw.rules {
        let at = format!("bonuses.rules.{name}");
        if !crate::text::is_code(&name, 64, false) {
            problem(
                at.clone(),
                "rule names are kebab-case: a-z, 0-9 and -".into(),
            );
        }
        let given = [
            rule.percent.is_some(),
            rule.per_item.is_some(),
            rule.fixed.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            problem(
                at.clone(),
                "give exactly one of percent, per_item and fixed".into(),
            );
            continue;
        }
        let of = match rule.of.as_deref() {
            None => Base::Items,
            Some(text) => match Base::parse(text) {
                Some(base) => base,
                None => {
                    problem(
                        format!("{at}.of"),
                        format!("{text:?} is not items or added_items"),
                    );
                    continue;
                }
            },
        };
        let pays = if let Some(rates) = &rule.percent {
            rates_of(rates, &format!("{at}.percent"), percent, &mut problem).map(Pays::Percent)
        } else if let Some(rates) = &rule.per_item {
            rates_of(rates, &format!("{at}.per_item"), minor_units, &mut problem).map(Pays::PerItem)
        } else {
            if rule.of.is_some() {
                problem(format!("{at}.of"), "a fixed amount counts no items".into());
            }
            let fixed = rule.fixed.as_ref().map(minor_units);
            match fixed {
                Some(Ok(amount)) => Some(Pays::Fixed(amount)),
                Some(Err(message)) => {
                    problem(format!("{at}.fixed"), message);
                    None
                }
                None => None,
            }
        };
        if let Some(pays) = pays {
            let description = rule.description;
            bonuses.rules.insert(
                name,
                Rule {
                    description,
                    pays,
                    of,
                },
            );
        }
    }
    bonuses
}

fn rates_of(
    rates: &RatesFile,
    at: &str,
    read: fn(&Number) -> Result<i64, String>,
    problem: &mut impl FnMut(String, String),
) -> Option<Rates> {
    match rates {
        RatesFile::One(n) => match read(n) {
            Ok(rate) => Some(Rates::flat(rate)),
            Err(message) => {
                problem(at.to_owned(), message);
                None
            }
        },
        RatesFile::ByCategory(map) => {
            if map.is_empty() {
                problem(
                    at.to_owned(),
                    "name at least one category (or \"*\")".into(),
                );
                return None;
            }
            let mut out = Rates::default();
            let mut ok = true;
            for (category, n) in map {
                let field = format!("{at}.{category}");
                if category.trim().is_empty() {
                    problem(field, "a category code must not be empty".into());
                    ok = false;
                    continue;
                }
                match read(n) {
                    Ok(rate) if category == OTHER_CATEGORIES => out.other = Some(rate),
                    Ok(rate) => {
                        out.categories.insert(category.clone(), rate);
                    }
                    Err(message) => {
                        problem(field, message);
                        ok = false;
                    }
                }
            }
            ok.then_some(out)
        }
    }
}

/// A percentage 0–100 with at most two decimals, in basis points (`2.5` → 250). A TOML float
/// is read from its shortest decimal form, so `0.07` is exactly 7 basis points.
fn percent(n: &Number) -> Result<i64, String> {
    let text = match n {
        Number::Int(i) => i.to_string(),
        Number::Float(f) if f.is_finite() => format!("{f}"),
        Number::Float(_) => return Err("must be a percentage from 0 to 100".into()),
        Number::Text(s) => s.trim().trim_end_matches('%').trim().to_owned(),
    };
    let bad = || format!("{text:?} must be a percentage from 0 to 100 with at most two decimals");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.len() > 2 || !(fraction.is_empty() || digits(fraction)) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    let bp = whole
        .checked_mul(BASIS_POINTS_PER_PERCENT)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(bad)?;
    if bp > 100 * BASIS_POINTS_PER_PERCENT {
        return Err(bad());
    }
    Ok(bp)
}

/// A non-negative integer amount in minor units.
fn minor_units(n: &Number) -> Result<i64, String> {
    match n {
        Number::Int(i) if *i >= 0 => Ok(*i),
        _ => Err("must be a whole non-negative amount in minor units (kopecks)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(toml_text: &str) -> (Bonuses, Vec<String>) {
        #[derive(Deserialize)]
        struct Wrapper {
            bonuses: Option<BonusesFile>,
        }
        let raw: Wrapper = toml::from_str(toml_text).expect("toml");
        let mut findings = Findings::default();
        let bonuses = load(raw.bonuses, "config/shop.toml", &mut findings);
        let problems = findings.problems.iter().map(ToString::to_string).collect();
        (bonuses, problems)
    }

    #[test]
    fn percentages_are_read_exactly_into_basis_points() {
        let (bonuses, problems) = read(
            r#"
            [bonuses.rules.a]
            percent = { tea = 5, dishes = 2.5, spoons = "0.07", "*" = 0.1 }
            [bonuses.rules.b]
            percent = "12.34%"
            "#,
        );

        assert!(problems.is_empty(), "{problems:?}");
        let Pays::Percent(rates) = &bonuses.rules["a"].pays else {
            panic!("percent")
        };
        assert_eq!(rates.categories["tea"], 500);
        assert_eq!(rates.categories["dishes"], 250);
        assert_eq!(rates.categories["spoons"], 7);
        assert_eq!(rates.other, Some(10));
        assert_eq!(bonuses.rules["b"].pays, Pays::Percent(Rates::flat(1_234)));
        assert_eq!(bonuses.currency, "RUB");
    }

    #[test]
    fn every_problem_is_named() {
        let (bonuses, problems) = read(
            r#"
            [bonuses]
            currency = "rub"
            [bonuses.rules.too-much]
            percent = 100.5
            [bonuses.rules.three-decimals]
            percent = 1.125
            [bonuses.rules.negative]
            per_item = -1
            [bonuses.rules.fractional]
            fixed = 10.5
            [bonuses.rules.both]
            fixed = 100
            percent = 1
            [bonuses.rules.none]
            description = "pays nothing"
            [bonuses.rules.bad-base]
            percent = 1
            of = "order"
            [bonuses.rules.fixed-of]
            fixed = 100
            of = "items"
            [bonuses.rules.Upsell]
            fixed = 1
            [bonuses.rules.empty]
            percent = {}
            "#,
        );

        let expected = [
            "bonuses.currency",
            "bonuses.rules.too-much.percent",
            "bonuses.rules.three-decimals.percent",
            "bonuses.rules.negative.per_item",
            "bonuses.rules.fractional.fixed",
            "bonuses.rules.both: give exactly one",
            "bonuses.rules.none: give exactly one",
            "bonuses.rules.bad-base.of",
            "bonuses.rules.fixed-of.of",
            "bonuses.rules.Upsell: rule names are kebab-case",
            "bonuses.rules.empty.percent",
        ];
        for field in expected {
            assert!(
                problems.iter().any(|p| p.contains(field)),
                "{field} not in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
        assert!(!bonuses.rules.contains_key("too-much"));
    }

    #[test]
    fn no_section_means_no_rules() {
        let (bonuses, problems) = read("");
        assert!(problems.is_empty());
        assert_eq!(bonuses, Bonuses::default());
    }
}
