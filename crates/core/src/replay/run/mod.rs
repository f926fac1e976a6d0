//! The replay: every recorded evaluation evaluated again with the edited configuration, the
//! way the shell's run would (cooldowns, the re-evaluation after a discount or an assignment,
//! delayed triggers, cascades), and compared with what was done.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::record::{raised_event, ActionKey, Evaluation, Kind, Taken};
use super::report::{self, Change, Changed, Fired, Report, Summary};
use crate::automation::config::Config;
use crate::automation::engine::{
    cooldown_subject, evaluate, evaluate_after, evaluate_delayed, Decision, PlannedAction,
};
use crate::automation::event::DomainEvent;
use crate::automation::facts::Facts;

mod cooldown;
mod delayed;

use cooldown::{claimed_in, Claimed, Claims};
use delayed::ran;

/// Replays `evaluations` (in any order; one id once) with `config` and reports what differs.
pub fn replay(config: &Config, evaluations: &[Evaluation]) -> Report {
    let mut by_id: BTreeMap<i64, &Evaluation> = BTreeMap::new();
    for evaluation in evaluations {
        by_id.entry(evaluation.id).or_insert(evaluation);
    }
    let mut children: BTreeMap<i64, Vec<&Evaluation>> = BTreeMap::new();
    for evaluation in by_id.values() {
        if let Some(parent) = evaluation.parent.filter(|p| by_id.contains_key(p)) {
            children.entry(parent).or_default().push(evaluation);
        }
    }
    let mut replay = Replay {
        config,
        children,
        consumed: BTreeSet::new(),
        claims: Claims::default(),
        changes: Vec::new(),
        notes: Vec::new(),
        summary: Summary {
            evaluations: by_id.len(),
            ..Summary::default()
        },
    };
    // Roots first (their parent is not in the set), then anything a broken parent link left.
    let (roots, rest): (Vec<&Evaluation>, Vec<&Evaluation>) = by_id
        .values()
        .partition(|e| e.parent.is_none_or(|p| !by_id.contains_key(&p)));
    for evaluation in roots.into_iter().chain(rest) {
        replay.root(evaluation);
    }
    let Replay {
        summary,
        changes,
        notes,
        ..
    } = replay;
    report::build(config, summary, changes, notes)
}

/// Why a recorded event would not happen with the edited configuration.
type Gone = Option<String>;

/// What was done for one trigger in one evaluation.
enum Recorded<'a> {
    Run(Vec<ActionKey>),
    Delay {
        fire_at: i64,
        fired: Option<&'a Evaluation>,
    },
    Cooldown,
}

/// What the edited configuration does for one trigger.
enum Edited {
    Run(Vec<ActionKey>),
    Delay(i64),
    Cooldown,
}

struct Entry<'a, T> {
    trigger: String,
    outcome: T,
    /// The evaluation whose facts it was decided with.
    row: &'a Evaluation,
}

/// An action the edited configuration takes, which may raise an event.
struct Raising<'a> {
    trigger: String,
    action: ActionKey,
    row: &'a Evaluation,
}

struct Replay<'a> {
    config: &'a Config,
    children: BTreeMap<i64, Vec<&'a Evaluation>>,
    consumed: BTreeSet<i64>,
    claims: Claims,
    changes: Vec<Change>,
    notes: Vec<String>,
    summary: Summary,
}

enum Work<'a> {
    Event(&'a Evaluation, Gone),
    Delayed(&'a Evaluation, Gone),
}

impl<'a> Replay<'a> {
    fn root(&mut self, evaluation: &'a Evaluation) {
        let mut queue = VecDeque::from([match evaluation.kind {
            Kind::Delayed => Work::Delayed(evaluation, None),
            Kind::Event | Kind::After => Work::Event(evaluation, None),
        }]);
        while let Some(work) = queue.pop_front() {
            match work {
                Work::Event(e, gone) => self.event(e, gone, &mut queue),
                Work::Delayed(d, gone) => self.delayed(d, gone, &mut queue),
            }
        }
    }

    fn kids(&self, parent: &Evaluation) -> Vec<&'a Evaluation> {
        self.children.get(&parent.id).cloned().unwrap_or_default()
    }

    /// An evaluation and the `after` evaluations that continue it.
    fn event(&mut self, root: &'a Evaluation, gone: Gone, queue: &mut VecDeque<Work<'a>>) {
        if !self.consumed.insert(root.id) {
            return;
        }
        let mut rows = vec![root];
        while let Some(next) = self
            .kids(rows[rows.len() - 1])
            .into_iter()
            .find(|k| k.kind == Kind::After && !self.consumed.contains(&k.id))
        {
            self.consumed.insert(next.id);
            rows.push(next);
        }
        let recorded = self.recorded(&rows);
        let mut parents: Vec<&'a Evaluation> = rows.clone();
        parents.extend(recorded.iter().filter_map(|e| match e.outcome {
            Recorded::Delay { fired, .. } => fired,
            _ => None,
        }));
        if let Some(reason) = gone {
            self.summary.no_longer_raised += parents.len();
            for entry in &recorded {
                let (before, actions, notes) = self.before(entry);
                let change = self.change(root, &entry.trigger, (before, actions), Fired::No);
                self.push(change, None, [notes, vec![reason.clone()]].concat());
            }
            self.follow(&parents, (Vec::new(), Vec::new()), queue, true);
            return;
        }
        self.summary.replayed += rows.len();
        let taken: Vec<ActionKey> = recorded
            .iter()
            .flat_map(|e| match &e.outcome {
                Recorded::Run(actions) => actions.clone(),
                Recorded::Delay { fired: Some(d), .. } => ran(d, &e.trigger).0,
                _ => Vec::new(),
            })
            .collect();
        let edited = self.walk(&rows);
        let mut raising = Vec::new();
        let mut triggers: Vec<&str> = recorded.iter().map(|e| e.trigger.as_str()).collect();
        for e in &edited {
            if !triggers.contains(&e.trigger.as_str()) {
                triggers.push(&e.trigger);
            }
        }
        for trigger in triggers {
            let rec = recorded.iter().find(|e| e.trigger == trigger);
            let edi = edited.iter().find(|e| e.trigger == trigger);
            let (before, before_actions, mut notes) = match rec {
                Some(entry) => self.before(entry),
                None => (Fired::No, Some(Vec::new()), Vec::new()),
            };
            let (after, after_actions) = match edi.map(|e| (&e.outcome, e.row)) {
                None => (Fired::No, Some(Vec::new())),
                Some((Edited::Run(actions), _)) => (Fired::Now, Some(actions.clone())),
                Some((Edited::Cooldown, _)) => (Fired::Cooldown, Some(Vec::new())),
                Some((Edited::Delay(fire_at), row)) => {
                    let actions = self.delayed_actions(trigger, *fire_at, rec, root, row);
                    notes.extend(actions.1);
                    (Fired::At { at: *fire_at }, actions.0)
                }
            };
            if let (true, Some(actions), Some(e)) = (after.fires(), &after_actions, edi) {
                raising.extend(actions.iter().map(|action| Raising {
                    trigger: trigger.to_owned(),
                    action: action.clone(),
                    row: e.row,
                }));
            }
            let change = self.change(root, trigger, (before, before_actions), after);
            self.push(change, after_actions, notes);
        }
        self.follow(&parents, (raising, taken), queue, false);
    }

    /// The events the evaluations in `parents` raised: replayed when the edited configuration
    /// raises them too, gone when it does not; and the status moves and tasks only the edited
    /// configuration makes, evaluated once (first-order).
    ///
    /// `recorded` are the actions the record took in these evaluations: one the edited
    /// configuration takes too is not first-order even when nothing was raised (the shell
    /// refused the move, say), so an unchanged configuration reports nothing.
    fn follow(
        &mut self,
        parents: &[&'a Evaluation],
        (mut raising, mut recorded): (Vec<Raising<'a>>, Vec<ActionKey>),
        queue: &mut VecDeque<Work<'a>>,
        gone: bool,
    ) {
        let mut kids: Vec<&'a Evaluation> = parents.iter().flat_map(|p| self.kids(p)).collect();
        kids.sort_by_key(|k| k.id);
        for kid in kids {
            if self.consumed.contains(&kid.id) {
                continue;
            }
            let reason = if gone {
                Some("it followed an event the edited configuration no longer raises".to_owned())
            } else {
                match &kid.raised_by {
                    None => None,
                    Some(key) => match raising
                        .iter()
                        .position(|r| r.action.identity() == key.identity())
                    {
                        Some(i) => {
                            let taken = raising.remove(i).action.identity();
                            if let Some(j) = recorded.iter().position(|k| k.identity() == taken) {
                                recorded.remove(j);
                            }
                            None
                        }
                        None => Some(format!(
                            "the edited configuration no longer raises this event ({})",
                            key.describe(&self.config.shop.time_zone)
                        )),
                    },
                }
            };
            queue.push_back(match kid.kind {
                Kind::Delayed => Work::Delayed(kid, reason),
                Kind::Event | Kind::After => Work::Event(kid, reason),
            });
        }
        for r in raising {
            let Some(root) = parents.first() else {
                break;
            };
            let identity = r.action.identity();
            if let Some(j) = recorded.iter().position(|k| k.identity() == identity) {
                recorded.remove(j);
                continue;
            }
            if let Some((event, status)) = raised_event(&root.event, &r.trigger, &r.action) {
                self.first_order(root, &r, event, status);
            }
        }
    }

    /// What was recorded per trigger, the delayed runs found among the children.
    fn recorded(&mut self, rows: &[&'a Evaluation]) -> Vec<Entry<'a, Recorded<'a>>> {
        let mut out = Vec::new();
        for row in rows {
            for taken in &row.decisions {
                let outcome = match taken {
                    Taken::Run {
                        trigger,
                        actions,
                        cooldown,
                    } => {
                        self.claim_recorded(trigger, cooldown.as_deref(), row.at);
                        Recorded::Run(actions.clone())
                    }
                    Taken::Cooldown { .. } => Recorded::Cooldown,
                    Taken::Delay { trigger, fire_at } => {
                        let fired = self.kids(row).into_iter().find(|k| {
                            k.kind == Kind::Delayed
                                && k.trigger.as_deref() == Some(trigger.as_str())
                                && !self.consumed.contains(&k.id)
                        });
                        if let Some(d) = fired {
                            self.consumed.insert(d.id);
                            for taken in &d.decisions {
                                if let Taken::Run { cooldown, .. } = taken {
                                    self.claim_recorded(trigger, cooldown.as_deref(), d.at);
                                }
                            }
                        }
                        Recorded::Delay {
                            fire_at: *fire_at,
                            fired,
                        }
                    }
                };
                out.push(Entry {
                    trigger: taken.trigger().to_owned(),
                    outcome,
                    row,
                });
            }
        }
        out
    }

    /// What happened, its actions (`None`: not recorded), and notes.
    fn before(
        &self,
        entry: &Entry<'a, Recorded<'a>>,
    ) -> (Fired, Option<Vec<ActionKey>>, Vec<String>) {
        match &entry.outcome {
            Recorded::Run(actions) => (Fired::Now, Some(actions.clone()), Vec::new()),
            Recorded::Cooldown => (Fired::Cooldown, Some(Vec::new()), Vec::new()),
            Recorded::Delay {
                fire_at,
                fired: Some(d),
            } => {
                let (actions, note) = ran(d, &entry.trigger);
                (
                    Fired::At { at: *fire_at },
                    Some(actions),
                    note.into_iter().collect(),
                )
            }
            Recorded::Delay {
                fire_at,
                fired: None,
            } => (
                Fired::At { at: *fire_at },
                None,
                vec![
                    "what the delayed run did is not recorded: its timer is still pending, \
                      was replaced by a later event, or fired after the period"
                        .to_owned(),
                ],
            ),
        }
    }

    /// The edited configuration's decisions, as the shell's run makes them.
    fn walk(&mut self, rows: &[&'a Evaluation]) -> Vec<Entry<'a, Edited>> {
        let root = rows[0];
        let mut row = root;
        let mut decisions: VecDeque<Decision> = match (root.kind, &root.trigger) {
            (Kind::After, Some(after)) => {
                evaluate_after(self.config, after, &root.event, &root.facts)
            }
            _ => evaluate(self.config, &root.event, &root.facts),
        }
        .into();
        let mut out = Vec::new();
        while let Some(decision) = decisions.pop_front() {
            match decision {
                Decision::Run {
                    trigger_id,
                    actions,
                } => {
                    let claimed = rows
                        .iter()
                        .map(|r| claimed_in(r, &trigger_id))
                        .find(|c| *c != Claimed::Unknown)
                        .unwrap_or(Claimed::Unknown);
                    if !self.cooldown_passes(&trigger_id, root, &row.facts, row.at, claimed) {
                        out.push(Entry {
                            trigger: trigger_id,
                            outcome: Edited::Cooldown,
                            row,
                        });
                        continue;
                    }
                    let changes_facts = actions.iter().any(|a| {
                        matches!(
                            a,
                            PlannedAction::ApplyDiscount { .. }
                                | PlannedAction::AssignManager { .. }
                        )
                    });
                    out.push(Entry {
                        trigger: trigger_id.clone(),
                        outcome: Edited::Run(actions.iter().map(ActionKey::of).collect()),
                        row,
                    });
                    if !changes_facts {
                        continue;
                    }
                    let after = rows.iter().find(|r| {
                        r.kind == Kind::After && r.trigger.as_deref() == Some(trigger_id.as_str())
                    });
                    match after {
                        Some(after) => {
                            row = after;
                            decisions =
                                evaluate_after(self.config, &trigger_id, &root.event, &after.facts)
                                    .into();
                        }
                        None => self.notes.push(format!(
                            "{trigger_id} would change the order (a discount or its manager) \
                             where it did not: the triggers after it are evaluated with the \
                             facts from before it"
                        )),
                    }
                }
                Decision::Delay {
                    trigger_id,
                    fire_at,
                } => out.push(Entry {
                    trigger: trigger_id,
                    outcome: Edited::Delay(fire_at),
                    row,
                }),
            }
        }
        out
    }

    /// An event only the edited configuration raises, evaluated once with the order's
    /// status patched; what it raises in turn is not followed.
    fn first_order(
        &mut self,
        root: &'a Evaluation,
        raising: &Raising<'a>,
        event: DomainEvent,
        status: Option<String>,
    ) {
        self.summary.first_order += 1;
        let mut facts = raising.row.facts.clone();
        if let (Some(order), Some(status)) = (facts.order.as_mut(), status) {
            order.status = status;
            order.status_entered_at = facts.now;
        }
        let tz = &self.config.shop.time_zone;
        let note = format!(
            "first-order: only the edited configuration raises this {} ({}: {}); evaluated \
             once with the order's status patched, what it raises in turn is not evaluated",
            event.name(),
            raising.trigger,
            raising.action.describe(tz)
        );
        for decision in evaluate(self.config, &event, &facts) {
            let (trigger, after, actions, mut notes) = match decision {
                Decision::Run {
                    trigger_id,
                    actions,
                } => {
                    if !self.cooldown_passes(&trigger_id, root, &facts, facts.now, Claimed::Unknown)
                    {
                        continue;
                    }
                    let keys = actions.iter().map(ActionKey::of).collect();
                    (trigger_id, Fired::Now, keys, Vec::new())
                }
                Decision::Delay {
                    trigger_id,
                    fire_at,
                } => (
                    trigger_id,
                    Fired::At { at: fire_at },
                    Vec::new(),
                    vec!["delayed: what it would do then is not evaluated".to_owned()],
                ),
            };
            notes.insert(0, note.clone());
            let mut change =
                self.change(raising.row, &trigger, (Fired::No, Some(Vec::new())), after);
            change.0.evaluation = root.id;
            change.0.event = event.name().to_owned();
            self.push(change, Some(actions), notes);
        }
    }

    /// A change without its action lists yet.
    fn change(
        &self,
        at: &Evaluation,
        trigger: &str,
        (before, before_actions): (Fired, Option<Vec<ActionKey>>),
        after: Fired,
    ) -> (Change, Option<Vec<ActionKey>>) {
        (
            Change {
                trigger: trigger.to_owned(),
                evaluation: at.id,
                at: at.at,
                event: at.event.name().to_owned(),
                subject: at.subject.clone(),
                before,
                after,
                added: Vec::new(),
                removed: Vec::new(),
                changed: Vec::new(),
                same: Vec::new(),
                notes: Vec::new(),
            },
            before_actions,
        )
    }

    /// Completes a change with the action lists and keeps it when anything differs.
    fn push(
        &mut self,
        (mut change, before): (Change, Option<Vec<ActionKey>>),
        after: Option<Vec<ActionKey>>,
        notes: Vec<String>,
    ) {
        if !change.before.fires() && !change.after.fires() {
            return;
        }
        let unknown = before.is_none() || after.is_none();
        let (added, removed, changed, same) = diff(
            before.as_deref().unwrap_or_default(),
            after.as_deref().unwrap_or_default(),
        );
        if change.before == change.after
            && !unknown
            && added.is_empty()
            && removed.is_empty()
            && changed.is_empty()
        {
            return;
        }
        if change.before == change.after && before.is_none() && after.is_none() {
            return;
        }
        change.added = added;
        change.removed = removed;
        change.changed = changed;
        change.same = same;
        change.notes = notes;
        self.changes.push(change);
    }
}

/// Added, removed, changed (same identity, other details) and unchanged actions.
fn diff(
    before: &[ActionKey],
    after: &[ActionKey],
) -> (Vec<ActionKey>, Vec<ActionKey>, Vec<Changed>, Vec<ActionKey>) {
    let mut rest: Vec<ActionKey> = after.to_vec();
    let mut removed = Vec::new();
    let mut same = Vec::new();
    for b in before {
        match rest.iter().position(|a| a == b) {
            Some(i) => same.push(rest.remove(i)),
            None => removed.push(b.clone()),
        }
    }
    let mut changed = Vec::new();
    let mut gone = Vec::new();
    for r in removed {
        match rest.iter().position(|a| a.identity() == r.identity()) {
            Some(i) => changed.push(Changed {
                before: r,
                after: rest.remove(i),
            }),
            None => gone.push(r),
        }
    }
    (rest, gone, changed, same)
}
