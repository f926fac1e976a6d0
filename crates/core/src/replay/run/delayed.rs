//! Delayed triggers in the replay: what a trigger the edited configuration delays would do
//! when its timer fires, and a recorded delayed run evaluated again.

use super::*;

/// What a delayed trigger does when its timer fires.
pub(super) enum DelayedRun {
    Ran(Vec<ActionKey>),
    Cooldown,
    NoLongerHolds,
}

impl DelayedRun {
    /// Its actions, with a note when it does nothing.
    pub(super) fn actions(self) -> (Option<Vec<ActionKey>>, Vec<String>) {
        match self {
            DelayedRun::Ran(actions) => (Some(actions), Vec::new()),
            DelayedRun::Cooldown => (
                Some(Vec::new()),
                vec!["at fire time its cooldown would not have passed".into()],
            ),
            DelayedRun::NoLongerHolds => (
                Some(Vec::new()),
                vec!["at fire time its conditions would no longer hold".into()],
            ),
        }
    }
}

impl<'a> Replay<'a> {
    /// What a trigger the edited configuration delays to `fire_at` would do then: the
    /// recorded delayed run evaluated again when it fired at the same time; otherwise an
    /// estimate with the facts then closest, as if at `fire_at`.
    pub(super) fn delayed_actions(
        &mut self,
        trigger: &str,
        fire_at: i64,
        rec: Option<&Entry<'a, Recorded<'a>>>,
        root: &'a Evaluation,
        row: &'a Evaluation,
    ) -> (Option<Vec<ActionKey>>, Vec<String>) {
        let estimate = |at: i64, tz| {
            format!(
                "estimated: evaluated with the facts recorded at {}, as if at {}",
                super::super::record::local_time(at, tz),
                super::super::record::local_time(fire_at, tz)
            )
        };
        let tz = &self.config.shop.time_zone;
        match rec.map(|e| &e.outcome) {
            Some(Recorded::Delay {
                fire_at: was,
                fired: Some(d),
            }) if *was == fire_at => {
                self.summary.replayed += 1;
                let claimed = claimed_in(d, trigger);
                self.run_delayed(trigger, d, &d.event, d.facts.clone(), claimed)
                    .actions()
            }
            Some(Recorded::Delay {
                fire_at: was,
                fired: None,
            }) if *was == fire_at => (None, Vec::new()),
            Some(Recorded::Delay { fired: Some(d), .. }) => {
                let note = estimate(d.at, tz);
                let facts = Facts {
                    now: fire_at,
                    ..d.facts.clone()
                };
                let (actions, mut notes) = self
                    .run_delayed(trigger, d, &d.event, facts, Claimed::Unknown)
                    .actions();
                notes.push(note);
                (actions, notes)
            }
            _ => {
                let note = estimate(row.at, tz);
                let facts = Facts {
                    now: fire_at,
                    ..row.facts.clone()
                };
                let (actions, mut notes) = self
                    .run_delayed(trigger, root, &root.event, facts, Claimed::Unknown)
                    .actions();
                notes.push(note);
                (actions, notes)
            }
        }
    }

    pub(super) fn run_delayed(
        &mut self,
        trigger: &str,
        subject: &Evaluation,
        event: &DomainEvent,
        facts: Facts,
        claimed: Claimed,
    ) -> DelayedRun {
        match evaluate_delayed(self.config, trigger, event, &facts) {
            Some(Decision::Run { actions, .. }) => {
                if self.cooldown_passes(trigger, subject, &facts, facts.now, claimed) {
                    DelayedRun::Ran(actions.iter().map(ActionKey::of).collect())
                } else {
                    DelayedRun::Cooldown
                }
            }
            _ => DelayedRun::NoLongerHolds,
        }
    }

    /// A delayed run whose origin is not in the recorded set, or whose event is gone.
    pub(super) fn delayed(
        &mut self,
        d: &'a Evaluation,
        gone: Gone,
        queue: &mut VecDeque<Work<'a>>,
    ) {
        if !self.consumed.insert(d.id) {
            return;
        }
        let Some(trigger) = d.trigger.clone() else {
            return;
        };
        let (actions, note) = ran(d, &trigger);
        let before = match d.decisions.first() {
            Some(Taken::Cooldown { .. }) => Fired::Cooldown,
            Some(_) => Fired::At { at: d.at },
            None => Fired::No,
        };
        if let Some(reason) = gone {
            self.summary.no_longer_raised += 1;
            let change = self.change(d, &trigger, (before, Some(actions)), Fired::No);
            self.push(
                change,
                None,
                [note.into_iter().collect(), vec![reason]].concat(),
            );
            self.follow(&[d], (Vec::new(), Vec::new()), queue, true);
            return;
        }
        for taken in &d.decisions {
            if let Taken::Run { cooldown, .. } = taken {
                self.claim_recorded(&trigger, cooldown.as_deref(), d.at);
            }
        }
        self.summary.replayed += 1;
        let run = self.run_delayed(
            &trigger,
            d,
            &d.event,
            d.facts.clone(),
            claimed_in(d, &trigger),
        );
        let after = match run {
            DelayedRun::Ran(_) => Fired::At { at: d.at },
            DelayedRun::Cooldown => Fired::Cooldown,
            DelayedRun::NoLongerHolds => Fired::No,
        };
        let (after_actions, mut notes) = run.actions();
        if self
            .config
            .trigger(&trigger)
            .is_some_and(|t| t.delay.is_none())
        {
            notes.push(format!(
                "{trigger} has no delay in the edited configuration; its event came before the \
                 period, so the replay runs it when its timer fired"
            ));
        }
        let raising = match (&after_actions, after.fires()) {
            (Some(list), true) => list
                .iter()
                .map(|action| Raising {
                    trigger: trigger.clone(),
                    action: action.clone(),
                    row: d,
                })
                .collect(),
            _ => Vec::new(),
        };
        notes.extend(note);
        let change = self.change(d, &trigger, (before, Some(actions.clone())), after);
        self.push(change, after_actions, notes);
        self.follow(&[d], (raising, actions), queue, false);
    }
}

/// What a recorded delayed run did for its trigger, and why it did nothing.
pub(super) fn ran(d: &Evaluation, trigger: &str) -> (Vec<ActionKey>, Option<String>) {
    match d.decisions.iter().find(|t| t.trigger() == trigger) {
        Some(Taken::Run { actions, .. }) => (actions.clone(), None),
        Some(Taken::Cooldown { .. }) => (
            Vec::new(),
            Some("at fire time its cooldown had not passed".into()),
        ),
        _ => (
            Vec::new(),
            Some("at fire time its conditions no longer held".into()),
        ),
    }
}
