//! V1: which manager takes a new order.
//!
//! The shop's `[[assignment.rule]]`s (`shop.toml`) are tried in order. A rule **applies** when
//! its `when` holds for the order (channel, order method, customer type, VIP). It then looks
//! at the members of its `group` (a role) who are
//!
//! - **available** now: a presence status the person set (`online`, `away`, `offline`,
//!   optionally until a time) wins while it holds; without one, their working hours decide
//!   (their own `[staff.working_hours]`, else the shop's `[working_hours]`); and
//! - **below their capacity**: fewer open orders than `capacity` (no limit without one). An
//!   open order is one they manage whose status is not in a finished group (`done`,
//!   `cancel`), counted by the shell.
//!
//! and picks one by its `pick`. A rule that applies but finds nobody passes the order on to
//! the next rule. When no rule finds anyone, the order stays without a manager and
//! [`Choice::Nobody`] says why, rule by rule.
//!
//! Evenness under concurrent orders is the shell's half: it reads the loads and writes the
//! manager inside the request's `BEGIN IMMEDIATE` transaction, so two orders arriving at
//! once are assigned one after the other and the second sees the first's manager.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::automation::config::{AssignmentRule, Pick, RuleWhen, Shop, StaffMember};
use crate::automation::facts::{CustomerFacts, OrderFacts};
use crate::automation::time::is_open;

/// A status a person sets for themselves in the desk or through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PresenceStatus {
    /// Takes new orders, whatever the working hours say.
    Online,
    /// Away for a while: takes none.
    Away,
    /// Not working: takes none.
    Offline,
}

impl PresenceStatus {
    /// Every status, as written.
    pub const ALL: [&'static str; 3] = ["online", "away", "offline"];

    /// Reads `online`, `away`, `offline`.
    pub fn parse(text: &str) -> Option<PresenceStatus> {
        match text {
            "online" => Some(PresenceStatus::Online),
            "away" => Some(PresenceStatus::Away),
            "offline" => Some(PresenceStatus::Offline),
            _ => None,
        }
    }

    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            PresenceStatus::Online => "online",
            PresenceStatus::Away => "away",
            PresenceStatus::Offline => "offline",
        }
    }
}

/// A status someone set, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    /// What they said.
    pub status: PresenceStatus,
    /// Until when it holds (unix seconds); for good (until they change it) when `None`.
    pub until: Option<i64>,
}

/// Whether someone takes new orders now, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Availability {
    /// A status they set, still holding.
    Set {
        /// The status.
        status: PresenceStatus,
        /// Until when (unix seconds), if they said.
        until: Option<i64>,
    },
    /// No status holds: their working hours decide.
    Hours {
        /// Their hours (or the shop's) include now.
        on_shift: bool,
    },
}

impl Availability {
    /// True when they take new orders.
    pub fn available(&self) -> bool {
        matches!(
            self,
            Availability::Set {
                status: PresenceStatus::Online,
                ..
            } | Availability::Hours { on_shift: true }
        )
    }

    /// `online`, `away`, `offline` (set by them), `on shift` or `off shift` (by the hours).
    pub fn describe(&self) -> &'static str {
        match self {
            Availability::Set { status, .. } => status.as_str(),
            Availability::Hours { on_shift: true } => "on shift",
            Availability::Hours { on_shift: false } => "off shift",
        }
    }
}

/// Whether `member` takes new orders at `now`: a status they set that has not run out wins;
/// otherwise their working hours (their own, else the shop's).
pub fn availability(
    shop: &Shop,
    member: &StaffMember,
    presence: Option<Presence>,
    now: i64,
) -> Availability {
    match presence {
        Some(p) if p.until.is_none_or(|until| until > now) => Availability::Set {
            status: p.status,
            until: p.until,
        },
        _ => Availability::Hours {
            on_shift: is_open(now, &shop.staff_hours(member), &shop.time_zone),
        },
    }
}

/// What the shell knows about a staff member when an order is assigned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StaffState {
    /// The status they set, if any (expired or not: [`availability`] decides).
    pub presence: Option<Presence>,
    /// Orders they manage whose status is not in a finished group.
    pub open_orders: u32,
    /// When they last got an order (unix seconds), for the tie between equal loads.
    pub last_assigned_at: Option<i64>,
}

/// Everything [`choose`] looks at besides the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The new order.
    pub order: &'a OrderFacts,
    /// Its customer.
    pub customer: Option<&'a CustomerFacts>,
    /// The manager of the customer's latest earlier order that had one.
    pub previous_manager: Option<&'a str>,
    /// By staff id; someone missing has no status set and no open orders.
    pub states: &'a BTreeMap<String, StaffState>,
    /// Unix seconds.
    pub now: i64,
}

/// What [`choose`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// This staff member manages the order.
    Chosen {
        /// The staff id.
        staff: String,
        /// The rule's index in `[[assignment.rule]]` (from 0).
        rule: usize,
        /// For the order history: the rule and why this person.
        reason: String,
    },
    /// Nobody can take it now.
    Nobody {
        /// For the order history: each rule that applied and why it found nobody.
        reason: String,
    },
}

/// VIP customers: tagged `VIP` (any case) or in segment `vip`. Segments are not stored yet
/// (the shell passes `None`); once they are, a `vip` segment counts without the tag.
pub fn is_vip(customer: Option<&CustomerFacts>) -> bool {
    customer.is_some_and(|c| {
        c.tags.iter().any(|t| t.eq_ignore_ascii_case("VIP"))
            || c.segment
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("vip"))
    })
}

/// The staff ids whose state [`choose`] may look at: the members of every rule's group, in
/// `[[staff]]` order.
pub fn candidates(shop: &Shop) -> Vec<&str> {
    shop.staff
        .iter()
        .filter(|s| {
            shop.assignment
                .rules
                .iter()
                .any(|r| s.roles.contains(&r.group))
        })
        .map(|s| s.id.as_str())
        .collect()
}

/// Applies the shop's rules in order; the first that finds someone chooses.
pub fn choose(shop: &Shop, request: &Request<'_>) -> Choice {
    let mut notes = Vec::new();
    for (i, rule) in shop.assignment.rules.iter().enumerate() {
        if !applies(&rule.when, request) {
            continue;
        }
        let label = label(i, rule);
        match pick(shop, rule, request) {
            Ok((member, why)) => {
                return Choice::Chosen {
                    staff: member.id.clone(),
                    rule: i,
                    reason: format!("{label}: {why}"),
                }
            }
            Err(why) => notes.push(format!("{label}: {why}")),
        }
    }
    let reason = if notes.is_empty() {
        "no assignment rule applies to the order".to_owned()
    } else {
        format!("nobody can take the order: {}", notes.join("; "))
    };
    Choice::Nobody { reason }
}

/// `rule 2 "VIP" (most_experienced of role manager)`: rules are counted from 1 here.
fn label(i: usize, rule: &AssignmentRule) -> String {
    let name = rule
        .name
        .as_ref()
        .map_or_else(String::new, |n| format!(" {n:?}"));
    format!(
        "rule {}{name} ({} of role {})",
        i + 1,
        rule.pick.as_str(),
        rule.group
    )
}

fn applies(when: &RuleWhen, request: &Request<'_>) -> bool {
    let order = request.order;
    let matches = |cond: &Option<crate::automation::config::AnyOf>, value: &str| {
        cond.as_ref().is_none_or(|any| any.matches(value))
    };
    matches(&when.channel, &order.channel)
        && matches(&when.order_method, &order.order_method)
        && matches(&when.customer_type, &order.customer_type)
        && when.vip.is_none_or(|vip| vip == is_vip(request.customer))
}

/// Someone the rule's pick may choose: available, below capacity.
struct Eligible<'a> {
    member: &'a StaffMember,
    state: StaffState,
    /// Position in `[[staff]]`: the last tie-break.
    order: usize,
}

impl Eligible<'_> {
    /// `2 open orders of 5` (`2 open orders` without a capacity).
    fn load(&self) -> String {
        let n = self.state.open_orders;
        let noun = if n == 1 { "order" } else { "orders" };
        match self.member.capacity {
            Some(cap) => format!("{n} open {noun} of {cap}"),
            None => format!("{n} open {noun}"),
        }
    }
}

fn pick<'a>(
    shop: &'a Shop,
    rule: &AssignmentRule,
    request: &Request<'_>,
) -> Result<(&'a StaffMember, String), String> {
    let group: Vec<(usize, &StaffMember)> = shop
        .staff
        .iter()
        .enumerate()
        .filter(|(_, s)| s.roles.contains(&rule.group))
        .collect();
    let eligible = |order: usize, member: &'a StaffMember| -> Result<Eligible<'a>, String> {
        let state = request.states.get(&member.id).copied().unwrap_or_default();
        let now = availability(shop, member, state.presence, request.now);
        if !now.available() {
            return Err(format!("{} is {}", member.id, now.describe()));
        }
        let candidate = Eligible {
            member,
            state,
            order,
        };
        match member.capacity {
            Some(cap) if state.open_orders >= cap => Err(format!(
                "{} is at capacity ({})",
                member.id,
                candidate.load()
            )),
            _ => Ok(candidate),
        }
    };
    if rule.pick == Pick::PreviousManager {
        let Some(previous) = request.previous_manager else {
            return Err("the customer has no earlier order with a manager".to_owned());
        };
        let Some(&(order, member)) = group.iter().find(|(_, s)| s.id == previous) else {
            return Err(format!(
                "the previous manager {previous} is not in the group"
            ));
        };
        let chosen = eligible(order, member)?;
        let why = format!(
            "{} managed the customer's previous order ({})",
            member.id,
            chosen.load()
        );
        return Ok((member, why));
    }
    if group.is_empty() {
        return Err("nobody has the role".to_owned());
    }
    let mut found = Vec::new();
    let mut refused = Vec::new();
    for &(order, member) in &group {
        match eligible(order, member) {
            Ok(e) => found.push(e),
            Err(why) => refused.push(why),
        }
    }
    // Equal loads go to whoever got an order least recently (never first), then file order.
    let by_load = |e: &Eligible<'_>| {
        (
            e.state.open_orders,
            e.state.last_assigned_at.unwrap_or(i64::MIN),
            e.order,
        )
    };
    let chosen = match rule.pick {
        Pick::MostExperienced => found.into_iter().min_by_key(|e| {
            let since = e
                .member
                .since
                .as_deref()
                .and_then(crate::analytics::parse_date);
            (since.unwrap_or(i64::MAX), by_load(e))
        }),
        _ => found.into_iter().min_by_key(by_load),
    };
    let Some(chosen) = chosen else {
        return Err(refused.join(", "));
    };
    let why = match rule.pick {
        Pick::MostExperienced => match &chosen.member.since {
            Some(since) => format!(
                "{} is the most experienced available (since {since}; {})",
                chosen.member.id,
                chosen.load()
            ),
            None => format!(
                "{} is available and nobody with a start date is ({})",
                chosen.member.id,
                chosen.load()
            ),
        },
        _ => format!(
            "{} has the fewest open orders ({})",
            chosen.member.id,
            chosen.load()
        ),
    };
    Ok((chosen.member, why))
}
