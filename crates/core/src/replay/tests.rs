//! The replay against evaluations recorded the way the shell records them (a small recorder
//! below runs the shipped configuration like the shell's run: cooldowns, the re-evaluation
//! after an assignment, cascaded status moves).

use std::collections::{BTreeMap, VecDeque};

use super::*;
use crate::automation::config::{shipped_files, Config};
use crate::automation::engine::{
    cooldown_subject, evaluate, evaluate_after, Decision, PlannedAction, MAX_CASCADE_DEPTH,
};
use crate::automation::event::{DomainEvent, Payment};
use crate::automation::facts::{CustomerFacts, Facts, OrderFacts};
use crate::event::{Item, OrderId};

/// 2026-11-24 10:00 Moscow, a Tuesday: the shop is open.
const T0: i64 = 1_795_503_600 + 3_600;

/// The shipped configuration with `edit` applied to triggers.toml.
fn config(edit: impl FnOnce(String) -> String) -> Config {
    let mut files = shipped_files();
    let triggers = edit(files.get("triggers.toml").expect("triggers").to_owned());
    files.insert("triggers.toml", triggers);
    Config::load(&files).expect("the edited configuration loads")
}

fn shipped() -> Config {
    config(|t| t)
}

/// Inserts `line` after the `on = ...` line of trigger `id`.
fn with_line(text: String, id: &str, line: &str) -> String {
    let start = text.find(&format!("id = \"{id}\"")).expect("trigger");
    let on = start + text[start..].find("\non = ").expect("on");
    let end = on + 1 + text[on + 1..].find('\n').expect("line end");
    format!("{}\n{line}{}", &text[..end], &text[end..])
}

fn order_id(n: u32) -> OrderId {
    OrderId::parse(&format!("A-{n}")).expect("id")
}

fn order(n: u32, status: &str) -> OrderFacts {
    let mut o = OrderFacts::new(order_id(n), status);
    o.total = 240_000;
    o.items = vec![Item {
        sku: "TEA-001".into(),
        name: "Чай улун, 100 г".into(),
        qty: 2,
        price: 120_000,
        category: Some("tea".into()),
    }];
    o
}

fn facts(order: OrderFacts, now: i64) -> Facts {
    Facts {
        now,
        order: Some(order),
        customer: Some(CustomerFacts {
            id: Some(7),
            name: Some("Анна".into()),
            phone: Some("+79123456789".into()),
            email: Some("anna@example.com".into()),
            ..CustomerFacts::default()
        }),
    }
}

fn created(n: u32) -> DomainEvent {
    DomainEvent::OrderCreated {
        order_id: order_id(n),
        actor: None,
    }
}

fn paid(n: u32) -> DomainEvent {
    DomainEvent::PaymentSucceeded(Payment {
        order_id: order_id(n),
        amount: 240_000,
        currency: "RUB".into(),
    })
}

/// Records evaluations like the shell's run does.
struct Recorder<'c> {
    config: &'c Config,
    out: Vec<Evaluation>,
    claims: BTreeMap<(String, String), i64>,
}

struct Raised {
    parent: i64,
    trigger: String,
    action: ActionKey,
}

impl<'c> Recorder<'c> {
    fn new(config: &'c Config) -> Recorder<'c> {
        Recorder {
            config,
            out: Vec::new(),
            claims: BTreeMap::new(),
        }
    }

    fn push(&mut self, kind: Kind, event: &DomainEvent, facts: &Facts) -> usize {
        let id = self.out.len() as i64 + 1;
        self.out.push(Evaluation {
            id,
            at: facts.now,
            source: "orders".into(),
            event_id: format!("msg_{id}"),
            kind,
            parent: None,
            trigger: None,
            raised_by: None,
            subject: SubjectRef {
                order: event.order_id().map(|o| o.as_str().to_owned()),
                ..SubjectRef::default()
            },
            event: event.clone(),
            facts: facts.clone(),
            decisions: Vec::new(),
        });
        self.out.len() - 1
    }

    /// `Ok(claimed key)` or `Err(refused key)`.
    fn cooldown(
        &mut self,
        trigger: &str,
        event: &DomainEvent,
        facts: &Facts,
    ) -> Result<Option<String>, String> {
        let t = self.config.trigger(trigger).expect("trigger");
        let Some(cooldown) = &t.cooldown else {
            return Ok(None);
        };
        let secs = cooldown
            .resolve(&self.config.shop.thresholds)
            .expect("secs");
        let customer = facts.customer.as_ref().and_then(|c| c.id);
        let order = event.order_id().map(|o| o.as_str().to_owned());
        let Some(key) =
            cooldown_subject(t.cooldown_per.as_deref(), event, order.as_deref(), customer)
        else {
            return Ok(None);
        };
        let claim = (trigger.to_owned(), key.clone());
        match self.claims.get(&claim) {
            Some(last) if *last > facts.now - secs => Err(key),
            _ => {
                self.claims.insert(claim, facts.now);
                Ok(Some(key))
            }
        }
    }

    /// An event and what it cascades into.
    fn event(&mut self, event: DomainEvent, facts: Facts) {
        let mut queue = VecDeque::from([(event, facts, None::<Raised>, 0)]);
        while let Some((event, mut facts, raised, depth)) = queue.pop_front() {
            let mut row = self.push(Kind::Event, &event, &facts);
            if let Some(r) = raised {
                self.out[row].parent = Some(r.parent);
                self.out[row].trigger = Some(r.trigger);
                self.out[row].raised_by = Some(r.action);
            }
            let mut decisions: VecDeque<Decision> = evaluate(self.config, &event, &facts).into();
            let mut taken = Vec::new();
            while let Some(decision) = decisions.pop_front() {
                match decision {
                    Decision::Run {
                        trigger_id,
                        actions,
                    } => {
                        let claimed = match self.cooldown(&trigger_id, &event, &facts) {
                            Ok(claimed) => claimed,
                            Err(key) => {
                                taken.push(Taken::Cooldown {
                                    trigger: trigger_id,
                                    key,
                                });
                                continue;
                            }
                        };
                        taken.push(Taken::run(&trigger_id, &actions, claimed));
                        let mut changed = false;
                        let mut status = facts.order.as_ref().map(|o| o.status.clone());
                        for action in &actions {
                            let key = ActionKey::of(action);
                            if let Some((next, to)) = raised_event(&event, &trigger_id, &key) {
                                if !matches!(next, DomainEvent::StatusChanged { .. }) {
                                    continue;
                                }
                                let mut after = facts.clone();
                                if let (Some(o), Some(to)) = (after.order.as_mut(), to) {
                                    o.status = to.clone();
                                    status = Some(to);
                                }
                                if depth + 1 < MAX_CASCADE_DEPTH {
                                    let raised = Raised {
                                        parent: self.out[row].id,
                                        trigger: trigger_id.clone(),
                                        action: key,
                                    };
                                    queue.push_back((next, after, Some(raised), depth + 1));
                                }
                            }
                            changed |= matches!(action, PlannedAction::AssignManager { .. });
                        }
                        if let (Some(o), Some(s)) = (facts.order.as_mut(), status) {
                            o.status = s;
                        }
                        if changed {
                            if let Some(o) = facts.order.as_mut() {
                                o.manager = Some("m.ivanova".into());
                            }
                            self.out[row].decisions = std::mem::take(&mut taken);
                            let parent = self.out[row].id;
                            row = self.push(Kind::After, &event, &facts);
                            self.out[row].parent = Some(parent);
                            self.out[row].trigger = Some(trigger_id.clone());
                            decisions =
                                evaluate_after(self.config, &trigger_id, &event, &facts).into();
                        }
                    }
                    Decision::Delay { .. } => {
                        taken.extend(Taken::of_delay(&decision));
                    }
                }
            }
            self.out[row].decisions = taken;
        }
    }
}

/// Two site orders, one paid, one marketplace order, recorded with `config`.
fn history(config: &Config) -> Vec<Evaluation> {
    let mut r = Recorder::new(config);
    r.event(created(1), facts(order(1, "new"), T0));
    r.event(created(2), facts(order(2, "new"), T0 + 600));
    let mut awaiting = order(1, "awaiting-payment");
    awaiting.manager = Some("m.ivanova".into());
    r.event(paid(1), facts(awaiting, T0 + 1_800));
    let mut marketplace = order(3, "new");
    marketplace.channel = "marketplace".into();
    r.event(created(3), facts(marketplace, T0 + 3_600));
    r.out
}

fn trigger<'r>(report: &'r Report, id: &str) -> &'r TriggerReport {
    report
        .triggers
        .iter()
        .find(|t| t.trigger == id)
        .unwrap_or_else(|| panic!("{id} differs: {report:#?}"))
}

#[test]
fn the_unchanged_configuration_decides_everything_as_it_was_decided() {
    let config = shipped();
    let recorded = history(&config);
    assert!(
        recorded.iter().any(|e| e.kind == Kind::After),
        "V1 re-evaluates"
    );
    assert!(
        recorded.iter().any(|e| e.raised_by.is_some()),
        "V2 cascades"
    );
    let report = replay(&config, &recorded);
    assert!(report.no_difference(), "{report:#?}");
    assert_eq!(report.summary.evaluations, recorded.len());
    assert_eq!(report.summary.replayed, recorded.len());
    assert!(text(&report, &config.shop.time_zone).contains("No difference"));
}

#[test]
fn a_delayed_thank_you_moves_the_email_ten_minutes_and_nothing_else() {
    let recorded = history(&shipped());
    let edited = config(|t| with_line(t, "c1-thank-you", "delay = \"10m\""));
    let report = replay(&edited, &recorded);
    assert_eq!(report.triggers.len(), 1, "{report:#?}");
    let c1 = trigger(&report, "c1-thank-you");
    assert!(c1.now_fires_for.is_empty() && c1.no_longer_fires_for.is_empty());
    assert_eq!(c1.changes.len(), 3, "three orders were created");
    for change in &c1.changes {
        assert_eq!(change.before, Fired::Now);
        assert_eq!(
            change.after,
            Fired::At {
                at: change.at + 600
            }
        );
        assert!(
            change.added.is_empty() && change.removed.is_empty(),
            "{change:#?}"
        );
        assert!(change.changed.is_empty(), "{change:#?}");
        assert!(matches!(
            change.same.as_slice(),
            [ActionKey::Message { channel, template, .. }] if channel == "email" && template == "order-created"
        ));
    }
    assert_eq!(report.summary.timing, 3);
    let text = text(&report, &edited.shop.time_zone);
    assert!(
        text.contains("order A-1 · order.created at 2026-11-24 11:00: would fire 2026-11-24 11:10 (+10 min) instead of now"),
        "{text}"
    );
}

#[test]
fn a_switched_off_trigger_no_longer_sends_its_messages() {
    let recorded = history(&shipped());
    let edited = config(|t| with_line(t, "c7-prepayment-sms", "enabled = false"));
    let report = replay(&edited, &recorded);
    assert_eq!(report.triggers.len(), 1, "{report:#?}");
    let c7 = trigger(&report, "c7-prepayment-sms");
    assert!(!c7.enabled);
    assert_eq!(c7.no_longer_fires_for.len(), 1);
    assert_eq!(c7.no_longer_fires_for[0].order.as_deref(), Some("A-1"));
    let [change] = c7.changes.as_slice() else {
        panic!("{c7:#?}")
    };
    assert!(matches!(
        change.removed.as_slice(),
        [ActionKey::Message { channel, .. }] if channel == "sms"
    ));
    assert_eq!(report.summary.messages.removed, 1);
}

#[test]
fn a_status_move_no_longer_made_takes_what_followed_it_along() {
    let recorded = history(&shipped());
    let edited = config(|t| with_line(t, "v2-paid-to-assembly", "enabled = false"));
    let report = replay(&edited, &recorded);
    let v2 = trigger(&report, "v2-paid-to-assembly");
    assert_eq!(v2.no_longer_fires_for.len(), 1);
    // prepare-for-delivery reserved the items: that evaluation is no longer raised.
    let p4 = trigger(&report, "p4-reserve-items");
    assert_eq!(p4.changes.len(), 1);
    assert_eq!(p4.changes[0].removed, vec![ActionKey::Reserve]);
    assert!(
        p4.changes[0]
            .notes
            .iter()
            .any(|n| n.contains("no longer raises")),
        "{:?}",
        p4.changes[0].notes
    );
    assert!(report.summary.no_longer_raised >= 2, "{:?}", report.summary);
    assert_eq!(report.summary.status_moves.removed, 2);
}

#[test]
fn a_status_move_only_the_edit_makes_is_followed_once() {
    let recorded = history(&shipped());
    let edited = config(|t| {
        t.replace(
            "channel = \"marketplace\"",
            "channel = [\"marketplace\", \"site\"]",
        )
    });
    let report = replay(&edited, &recorded);
    let p6 = trigger(&report, "p6-marketplace-to-assembly");
    assert_eq!(p6.now_fires_for.len(), 2, "{p6:#?}");
    let p4 = trigger(&report, "p4-reserve-items");
    assert_eq!(p4.now_fires_for.len(), 2, "{p4:#?}");
    for change in &p4.changes {
        assert_eq!(change.event, "order.status_changed");
        assert_eq!(change.added, vec![ActionKey::Reserve]);
        assert!(
            change.notes[0].starts_with("first-order"),
            "{:?}",
            change.notes
        );
    }
    assert_eq!(report.summary.first_order, 2);
}

const COOLDOWN: &str = "\n[[trigger]]\nid = \"x-welcome-call\"\non = \"order.created\"\ncooldown = \"1d\"\n[[trigger.action]]\ntype = \"task\"\ntitle = \"Call {{ customer.name }}\"\nassignee = \"role:head-of-sales\"\ndue_in = \"1h\"\n";

#[test]
fn cooldowns_are_replayed_and_an_edited_one_is_simulated() {
    let with_cooldown = config(|t| format!("{t}{COOLDOWN}"));
    // The same customer orders twice within a day: the second call is held back.
    let recorded = history(&with_cooldown);
    let refused = recorded
        .iter()
        .flat_map(|e| &e.decisions)
        .filter(|t| matches!(t, Taken::Cooldown { .. }))
        .count();
    assert_eq!(refused, 2, "orders 2 and 3 of customer 7");
    assert!(replay(&with_cooldown, &recorded).no_difference());
    let per_order = config(|t| {
        format!(
            "{t}{}",
            COOLDOWN.replace(
                "cooldown = \"1d\"",
                "cooldown = \"1d\"\ncooldown_per = \"order\""
            )
        )
    });
    let report = replay(&per_order, &recorded);
    let x = trigger(&report, "x-welcome-call");
    assert_eq!(x.now_fires_for.len(), 2, "{x:#?}");
    assert!(x.changes.iter().all(|c| c.before == Fired::Cooldown));
}

#[test]
fn the_report_is_the_same_for_the_evaluations_in_any_order() {
    let recorded = history(&shipped());
    let edited = config(|t| with_line(t, "c1-thank-you", "delay = \"10m\""));
    let mut shuffled = recorded.clone();
    shuffled.reverse();
    assert_eq!(replay(&edited, &recorded), replay(&edited, &shuffled));
    let json = serde_json::to_string(&replay(&edited, &recorded)).expect("json");
    let back: Report = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, replay(&edited, &recorded));
}

#[test]
fn an_evaluation_reads_back_exactly_as_recorded() {
    let recorded = history(&shipped());
    for e in &recorded {
        let line = serde_json::to_string(e).expect("json");
        let back: Evaluation = serde_json::from_str(&line).expect("reads back");
        assert_eq!(&back, e, "{line}");
    }
}

#[test]
fn the_keep_period_is_a_threshold_of_one_day_to_ten_years() {
    assert_eq!(keep_days(&shipped()), 90);
    for (days, ok) in [("0", false), ("1", true), ("3650", true), ("3651", false)] {
        let mut files = shipped_files();
        let shop = files.get("shop.toml").expect("shop.toml").replace(
            "trigger_evaluations_keep_days = 90",
            &format!("trigger_evaluations_keep_days = {days}"),
        );
        files.insert("shop.toml", shop);
        match Config::load(&files) {
            Ok(config) => {
                assert!(ok, "{days} accepted");
                assert_eq!(keep_days(&config).to_string(), days);
            }
            Err(error) => {
                assert!(!ok, "{days} refused: {error}");
                assert!(error.to_string().contains(KEEP_DAYS_THRESHOLD), "{error}");
            }
        }
    }
}
