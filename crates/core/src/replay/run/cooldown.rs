//! Cooldowns in the replay: the claims each world (recorded, edited) made over the period, and
//! whether a trigger's cooldown would pass.

use super::*;

/// Whether the recorded evaluation ran the trigger past its cooldown.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Claimed {
    Passed,
    /// Its cooldown for this subject (as recorded) had not passed.
    Refused(String),
    Unknown,
}

/// The cooldown claims made in each world: trigger and subject → the times it ran.
#[derive(Default)]
pub(super) struct Claims {
    pub(super) recorded: BTreeMap<(String, String), Vec<i64>>,
    pub(super) edited: BTreeMap<(String, String), Vec<i64>>,
}

pub(super) fn within(claims: Option<&Vec<i64>>, at: i64, secs: i64) -> bool {
    claims.is_some_and(|times| times.iter().any(|&c| c > at - secs && c <= at))
}

impl Replay<'_> {
    pub(super) fn cooldown_key(
        &self,
        trigger: &str,
        e: &Evaluation,
        facts: &Facts,
    ) -> Option<(String, i64)> {
        let t = self.config.trigger(trigger)?;
        let secs = t
            .cooldown
            .as_ref()?
            .resolve(&self.config.shop.thresholds)
            .unwrap_or(0);
        let customer = facts.customer.as_ref().and_then(|c| c.id);
        let key = cooldown_subject(
            t.cooldown_per.as_deref(),
            &e.event,
            e.subject.order.as_deref(),
            customer,
        )?;
        Some((key, secs))
    }

    /// Whether the trigger's cooldown lets it run at `at` in the edited world. The claims
    /// before the recorded period are unknown: a run the record refused stays refused unless
    /// the run that blocked it was in the period and the edited configuration does not make it.
    pub(super) fn cooldown_passes(
        &mut self,
        trigger: &str,
        e: &Evaluation,
        facts: &Facts,
        at: i64,
        claimed: Claimed,
    ) -> bool {
        let Some((key, secs)) = self.cooldown_key(trigger, e, facts) else {
            return true;
        };
        let key = (trigger.to_owned(), key);
        let blocked = within(self.claims.edited.get(&key), at, secs);
        let passes = match claimed {
            // The run that blocked it is known when the record holds a run for that subject
            // before it; then the edited claims alone decide.
            Claimed::Refused(was) => {
                let seen = self.claims.recorded.get(&(trigger.to_owned(), was));
                !blocked && seen.is_some_and(|times| times.iter().any(|&c| c <= at))
            }
            Claimed::Passed | Claimed::Unknown => !blocked,
        };
        if passes {
            self.claims.edited.entry(key).or_default().push(at);
        }
        passes
    }

    pub(super) fn claim_recorded(&mut self, trigger: &str, key: Option<&str>, at: i64) {
        if let Some(key) = key {
            let key = (trigger.to_owned(), key.to_owned());
            self.claims.recorded.entry(key).or_default().push(at);
        }
    }
}

/// How the recorded evaluation's cooldown claim for the trigger went.
pub(super) fn claimed_in(e: &Evaluation, trigger: &str) -> Claimed {
    match e.decisions.iter().find(|t| t.trigger() == trigger) {
        Some(Taken::Run { .. }) => Claimed::Passed,
        Some(Taken::Cooldown { key, .. }) => Claimed::Refused(key.clone()),
        _ => Claimed::Unknown,
    }
}
