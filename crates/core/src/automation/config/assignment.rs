//! V1: `[assignment]` in `shop.toml` — the ordered rules that choose a new order's manager —
//! and the staff settings they read (`capacity`, `since`, `[staff.working_hours]`).
//!
//! The rules are data; [`crate::assign::choose`] applies them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::AnyOf;
use super::shop::StaffMember;
use super::{Findings, Role};
use crate::automation::time::{Opening, Weekday, WorkingHours};

/// `[assignment]`: rules tried in order; the first that finds someone chooses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// `[[assignment.rule]]` tables, in file order.
    #[serde(default, rename = "rule")]
    pub rules: Vec<AssignmentRule>,
}

/// One `[[assignment.rule]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRule {
    /// For people and the order history (`rule <n>` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Which orders the rule is for; every given condition must hold (none: every order).
    #[serde(default)]
    pub when: RuleWhen,
    /// How it picks among the group.
    pub pick: Pick,
    /// The role whose members are the candidates.
    pub group: String,
}

/// `when` of a rule: a list means "any of".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleWhen {
    /// The order's channel (`site`, `chat`, `marketplace`, … the shop's codes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<AnyOf>,
    /// How it was placed (`cart`, `phone`, `one-click`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_method: Option<AnyOf>,
    /// `person` or `company`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_type: Option<AnyOf>,
    /// The customer is (`true`) or is not (`false`) a VIP: tagged `VIP` or in segment `vip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip: Option<bool>,
}

/// How a rule picks among its group's members who are available and below their capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    /// The manager of the customer's latest earlier order, when they are in the group.
    PreviousManager,
    /// The earliest `since`; ties (and members without one, last) by load.
    MostExperienced,
    /// The fewest open orders; ties to whoever got an order least recently, then file order.
    LeastLoaded,
}

impl Pick {
    /// As written in `shop.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Pick::PreviousManager => "previous_manager",
            Pick::MostExperienced => "most_experienced",
            Pick::LeastLoaded => "least_loaded",
        }
    }
}

const CUSTOMER_TYPES: [&str; 2] = ["person", "company"];

/// Checks `[assignment]` and the staff's V1 settings, reporting every problem.
pub(super) fn check(
    findings: &mut Findings,
    file: &str,
    assignment: &Assignment,
    roles: &BTreeMap<String, Role>,
    staff: &[StaffMember],
) {
    for (i, member) in staff.iter().enumerate() {
        check_staff(findings, file, i, member);
    }
    for (i, rule) in assignment.rules.iter().enumerate() {
        let at = |field: &str| format!("assignment.rule[{i}].{field}");
        if let Some(name) = &rule.name {
            if name.trim().is_empty() || crate::text::has_control(name) {
                let message = "write a name on one line, or leave it out".into();
                findings.problem(file, None, &at("name"), message);
            }
        }
        if !roles.contains_key(&rule.group) {
            let message = format!("unknown role {:?} (not in [roles])", rule.group);
            findings.problem(file, None, &at("group"), message);
        } else if !staff.iter().any(|s| s.roles.contains(&rule.group)) {
            let message = format!(
                "nobody in [[staff]] has role {:?}: the rule never finds anyone",
                rule.group
            );
            findings.warning(file, None, &at("group"), message);
        }
        for (field, values) in [
            ("channel", &rule.when.channel),
            ("order_method", &rule.when.order_method),
        ] {
            for v in values.iter().flat_map(|a| &a.0) {
                if !crate::text::is_code(v, 32, true) {
                    let message =
                        format!("{v:?} is not a code (1–32 characters of a-z, 0-9, _ and -)");
                    findings.problem(file, None, &at(&format!("when.{field}")), message);
                }
            }
        }
        for v in rule.when.customer_type.iter().flat_map(|a| &a.0) {
            if !CUSTOMER_TYPES.contains(&v.as_str()) {
                let message = format!("unknown customer type {v:?} (person or company)");
                findings.problem(file, None, &at("when.customer_type"), message);
            }
        }
    }
}

fn check_staff(findings: &mut Findings, file: &str, i: usize, member: &StaffMember) {
    if member.capacity == Some(0) {
        let message = "must be 1 or more (leave it out for no limit)".into();
        findings.problem(file, None, &format!("staff[{i}].capacity"), message);
    }
    if let Some(since) = &member.since {
        if crate::analytics::parse_date(since).is_none() {
            let message = format!("{since:?} is not a date YYYY-MM-DD");
            findings.problem(file, None, &format!("staff[{i}].since"), message);
        }
    }
    if let Some(hours) = &member.working_hours {
        if hours.is_empty() {
            let message = "name at least one day, or leave the table out for the shop's hours";
            let field = format!("staff[{i}].working_hours");
            findings.problem(file, None, &field, message.into());
        }
        for (day, message) in parse_hours(hours).1 {
            let field = format!("staff[{i}].working_hours.{day}");
            findings.problem(file, None, &field, message);
        }
    }
}

/// Reads `mon = "09:00-18:00"`… into working hours, with each bad day and why.
pub fn parse_hours(days: &BTreeMap<String, String>) -> (WorkingHours, Vec<(String, String)>) {
    let mut hours = WorkingHours::default();
    let mut bad = Vec::new();
    for (day, text) in days {
        let Some(weekday) = Weekday::ALL.iter().find(|w| w.key() == day) else {
            let message = "unknown day (mon, tue, wed, thu, fri, sat, sun)".to_owned();
            bad.push((day.clone(), message));
            continue;
        };
        match Opening::parse(text) {
            Ok(opening) => hours.days[weekday.index()] = Some(opening),
            Err(e) => bad.push((day.clone(), e.to_string())),
        }
    }
    (hours, bad)
}
