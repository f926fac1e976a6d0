//! The `bonus` action: who earns it and what the rule pays for this event's order
//! ([`crate::bonus`] does the arithmetic).
//!
//! Most events earn nobody anything — the site's own updates name no staff member, a lead from
//! a missed call has no items — so "nobody named" and "nothing to pay" plan nothing, silently.
//! What points at a problem is kept in the order's history as a skipped action: a named person
//! who is not in `[[staff]]`, or an order in another currency than the bonuses.

use super::{PlannedAction, PlannedBonus};
use crate::automation::config::{Config, Earner};
use crate::automation::event::DomainEvent;
use crate::automation::facts::{Facts, OrderFacts};
use crate::bonus::{self, Base, Pays};

pub(super) fn plan(
    config: &Config,
    event: &DomainEvent,
    facts: &Facts,
    rule_name: &str,
    to: &[String],
) -> Result<Option<PlannedAction>, String> {
    let order = facts.order.as_ref().ok_or("the event has no order")?;
    let bonuses = &config.shop.bonuses;
    let rule = bonuses
        .rules
        .get(rule_name)
        .ok_or_else(|| format!("no bonus rule {rule_name:?}"))?;
    let Some(staff) = earner(config, event, order, to)? else {
        return Ok(None);
    };
    let counts_items = !matches!(rule.pays, Pays::Fixed(_));
    if matches!(rule.pays, Pays::Percent(_)) && order.currency != bonuses.currency {
        return Err(format!(
            "the order is in {}, bonuses are paid in {}: no percentage of it",
            order.currency, bonuses.currency
        ));
    }
    let added = counts_items && rule.of == Base::AddedItems;
    let items = if added {
        match event {
            DomainEvent::OrderChanged { added_items, .. } => &added_items[..],
            _ => &[],
        }
    } else {
        &order.items[..]
    };
    let lines = bonus::lines(&rule.pays, items);
    if lines.is_empty() {
        return Ok(None);
    }
    Ok(Some(PlannedAction::Bonus(PlannedBonus {
        rule: rule_name.to_owned(),
        staff,
        currency: bonuses.currency.clone(),
        period: bonus::period(facts.now, &config.shop.time_zone),
        per_change: added,
        lines,
    })))
}

/// The first of `to` that names a staff member of `shop.toml`; `None` when none names
/// anybody; an error when someone named is not in `[[staff]]` (and nobody after them is).
fn earner(
    config: &Config,
    event: &DomainEvent,
    order: &OrderFacts,
    to: &[String],
) -> Result<Option<String>, String> {
    let mut strangers = Vec::new();
    for text in to {
        let candidate = match Earner::parse(text) {
            Some(Earner::Actor) => event.staff_actor().map(str::to_owned),
            Some(Earner::Manager) => order.manager.clone(),
            Some(Earner::Staff(id)) => Some(id),
            Some(Earner::Field(field)) => order
                .field(&field)
                .as_str()
                .filter(|id| !id.is_empty())
                .map(str::to_owned),
            None => None,
        };
        match candidate {
            Some(id) if config.shop.staff_member(&id).is_some() => return Ok(Some(id)),
            Some(id) => strangers.push(format!("{id:?}")),
            None => {}
        }
    }
    if strangers.is_empty() {
        Ok(None)
    } else {
        Err(format!(
            "no bonus: {} not in [[staff]] of shop.toml",
            strangers.join(", ")
        ))
    }
}
