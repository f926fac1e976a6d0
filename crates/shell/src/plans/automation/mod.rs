//! Runs the shop's triggers for a domain event and executes what the engine decides: for an
//! order, a customer (site events, marketing) or a chat conversation (V6).
//!
//! The configuration is the compiled file Spin mounts at `/config` (spin.toml `files`). A
//! configuration that does not validate stops the component: it answers 503 naming the first
//! problem and records nothing, so senders retry once the shop fixes it — a broken
//! configuration never silently does nothing.
//!
//! Execution happens inside the request's transaction. `set_status` and `cancel` produce
//! `order.status_changed` events, and a `task` that creates a task `task.created`; they are
//! fed back to the engine, at most [`MAX_CASCADE_DEPTH`] rounds, so "paid → payment-received →
//! prepare-for-delivery" runs in one request without a trigger loop being able to run for ever.
//!
//! Every evaluation is recorded in the same transaction (`repo::evaluations`): the event, the
//! facts the engine saw and the decisions carried out, linked to the evaluation whose action
//! raised its event (or whose timer fired it), so that an edited configuration can be replayed
//! against what really happened (`orderpath_core::replay`).

use std::collections::VecDeque;

use orderpath_core::automation::config::Config;
use orderpath_core::automation::engine::{
    evaluate, evaluate_after, evaluate_delayed, Decision, PlannedAction, MAX_CASCADE_DEPTH,
};
use orderpath_core::automation::event::DomainEvent;
use orderpath_core::automation::facts::Facts;
use orderpath_core::event::OrderId;
use orderpath_core::replay::{ActionKey, Kind, Taken};
use serde_json::Value;

use crate::clock::Timestamp;
use crate::db::{opt_text, text, Db, DbError};
use crate::marketing::{self, unsubscribe};
use crate::repo::evaluations::{self, NewEvaluation};
use crate::repo::facts;
use crate::repo::orders::{self, HistoryEntry, Outcome};

mod assign;
mod execute;

pub use crate::config_source::{load_config, triggers_source, CONFIG_ROOT};

/// What a run left to do after the transaction commits.
#[derive(Debug, Default)]
pub struct Effects {
    /// Messages queued (and held) by this run: send them after commit.
    pub messages: Vec<i64>,
    /// Replies to a generic chat conversation, for the answer to the post (V6).
    pub replies: Vec<String>,
}

/// One run of the triggers for an event and everything it cascades into.
pub struct Run<'a> {
    /// The database, inside the request's transaction.
    pub db: &'a Db,
    /// The validated configuration.
    pub config: &'a Config,
    /// Now.
    pub now: Timestamp,
    /// What caused the run (`orders:<webhook-id>`, `timer:<id>`): makes message keys unique.
    pub cause: &'a str,
}

/// What a run's event is about: an order, a customer (site events, marketing), or a chat
/// conversation and its customer when known (V6).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Subject {
    Order(String),
    Customer(i64),
    Chat {
        conversation: i64,
        customer: Option<i64>,
    },
}

impl Subject {
    /// The key timers and message keys use: the order id, `customer:<id>` or `chat:<id>`.
    fn key(&self) -> String {
        match self {
            Subject::Order(id) => id.clone(),
            Subject::Customer(id) => format!("customer:{id}"),
            Subject::Chat { conversation, .. } => format!("chat:{conversation}"),
        }
    }

    fn order_id(&self) -> Option<&str> {
        match self {
            Subject::Order(id) => Some(id),
            Subject::Customer(_) | Subject::Chat { .. } => None,
        }
    }

    /// The customer and chat conversation, for the record of an evaluation.
    fn customer_and_chat(&self) -> (Option<i64>, Option<i64>) {
        match self {
            Subject::Order(_) => (None, None),
            Subject::Customer(id) => (Some(*id), None),
            Subject::Chat {
                conversation,
                customer,
            } => (*customer, Some(*conversation)),
        }
    }

    /// The subject an event belongs to: its customer or chat when it names one, else the
    /// order (or timer key) it runs for.
    fn of(event: &DomainEvent, otherwise: Subject) -> Subject {
        if let Some(e) = event.customer_event() {
            Subject::Customer(e.customer_id)
        } else if let Some(chat) = event.chat() {
            Subject::Chat {
                conversation: chat.conversation_id,
                customer: chat.customer_id,
            }
        } else {
            otherwise
        }
    }
}

impl Run<'_> {
    /// Evaluates `event` for `order_id` and executes the decisions, with cascades.
    pub fn handle(&self, order_id: &str, event: DomainEvent) -> Result<Effects, DbError> {
        self.run(Subject::Order(order_id.to_owned()), Work::Event(event))
    }

    /// Evaluates an event about a customer (no order) and executes the decisions.
    pub fn handle_customer(
        &self,
        customer_id: i64,
        event: DomainEvent,
    ) -> Result<Effects, DbError> {
        self.run(Subject::Customer(customer_id), Work::Event(event))
    }

    /// Evaluates a `chat.message` for its conversation (and the sender's customer, when
    /// known) and executes the decisions.
    pub fn handle_chat(
        &self,
        conversation: i64,
        customer: Option<i64>,
        event: DomainEvent,
    ) -> Result<Effects, DbError> {
        let subject = Subject::Chat {
            conversation,
            customer,
        };
        self.run(subject, Work::Event(event))
    }

    /// A delayed trigger is due: re-checks it against fresh facts (the engine's
    /// `evaluate_delayed`) and executes it, with cascades. `key` is the timer's subject: an
    /// order id, `customer:<id>` for an event about a customer, `chat:<id>` for a chat.
    /// `evaluation` is the recorded evaluation that delayed it, when there is one.
    pub fn handle_delayed(
        &self,
        key: &str,
        trigger_id: &str,
        event: DomainEvent,
        evaluation: Option<i64>,
    ) -> Result<Effects, DbError> {
        let subject = Subject::of(&event, Subject::Order(key.to_owned()));
        let origin = Origin {
            parent: evaluation,
            trigger: Some(trigger_id.to_owned()),
            raised_by: None,
        };
        self.run_from(subject, Work::Delayed(trigger_id.to_owned(), event), origin)
    }

    /// A named timer fired (`timer.fired`): evaluated like [`Run::handle`], recorded as
    /// following the evaluation whose `set_timer` action set it (`evaluation`, with the time
    /// the timer was set for).
    pub fn handle_timer(
        &self,
        order_id: OrderId,
        name: String,
        (evaluation, fire_at): (Option<i64>, Timestamp),
    ) -> Result<Effects, DbError> {
        let origin = Origin {
            parent: evaluation,
            trigger: None,
            raised_by: evaluation.map(|_| ActionKey::SetTimer {
                name: name.clone(),
                fire_at: fire_at.unix(),
            }),
        };
        let subject = Subject::Order(order_id.as_str().to_owned());
        let event = DomainEvent::TimerFired { order_id, name };
        self.run_from(subject, Work::Event(event), origin)
    }

    fn facts(&self, subject: &Subject) -> Result<Option<Facts>, DbError> {
        let mut facts = match subject {
            Subject::Order(id) => {
                let Some(facts) = facts::load(self.db, id, self.now)? else {
                    return Ok(None);
                };
                facts
            }
            Subject::Customer(id) => {
                let Some(customer) = marketing::customer_facts(self.db, *id)? else {
                    return Ok(None);
                };
                Facts {
                    now: self.now.unix(),
                    order: None,
                    customer: Some(customer),
                }
            }
            Subject::Chat {
                conversation,
                customer,
            } => {
                let known = match customer {
                    Some(id) => marketing::customer_facts(self.db, *id)?,
                    None => None,
                };
                Facts {
                    now: self.now.unix(),
                    order: None,
                    customer: crate::chats::sender_facts(self.db, *conversation, known)?,
                }
            }
        };
        // Only a customer who may get marketing email needs the link (and its key read).
        if let Some(customer) = facts.customer.as_mut().filter(|c| c.marketing_email) {
            if let (Some(id), Some(signer)) = (customer.id, unsubscribe::Signer::from_variables()) {
                customer.unsubscribe_url = Some(signer.url(id));
            }
        }
        Ok(Some(facts))
    }

    /// The customer whose segment this order event may have moved: a customer without one
    /// yet, or an order entering or leaving a final status (`done` or `cancel` group).
    fn segment_may_move(
        &self,
        subject: &Subject,
        event: &DomainEvent,
        facts: &Facts,
    ) -> Option<i64> {
        let Subject::Order(_) = subject else {
            return None;
        };
        let customer = facts.customer.as_ref()?;
        let final_group = |code: &str| {
            self.config
                .statuses
                .path
                .get(code)
                .is_some_and(|s| s.group == "done" || s.group == "cancel")
        };
        let moves = match event {
            DomainEvent::OrderCreated { .. } => customer.segment.is_none(),
            DomainEvent::StatusChanged { from, to, .. } => final_group(from) || final_group(to),
            _ => false,
        };
        moves.then_some(customer.id).flatten()
    }

    /// `Err(subject)` (and a line in the history) when the trigger has a cooldown that has not
    /// passed for this event's subject; `Ok` with the subject it was claimed for, if any.
    fn cooldown_passed(
        &self,
        subject: &Subject,
        trigger_id: &str,
        event: &DomainEvent,
        facts: &Facts,
    ) -> Result<Result<Option<String>, String>, DbError> {
        let Some(trigger) = self.config.trigger(trigger_id) else {
            return Ok(Ok(None));
        };
        let Some(cooldown) = &trigger.cooldown else {
            return Ok(Ok(None));
        };
        let secs = cooldown.resolve(&self.config.shop.thresholds).unwrap_or(0);
        let customer_id = facts.customer.as_ref().and_then(|c| c.id);
        let Some(key) = marketing::cooldown_subject(
            trigger.cooldown_per.as_deref(),
            event,
            subject.order_id(),
            customer_id,
        ) else {
            return Ok(Ok(None));
        };
        if marketing::claim_cooldown(self.db, trigger_id, &key, secs, self.now)? {
            return Ok(Ok(Some(key)));
        }
        let reason = format!("ran for {key} less than {} ago (cooldown)", cooldown.0);
        self.note(subject, trigger_id, "trigger", None, &reason)?;
        Ok(Err(key))
    }

    /// A refused step, in the order's or the customer's history.
    fn note(
        &self,
        subject: &Subject,
        trigger_id: &str,
        field: &str,
        new: Option<Value>,
        reason: &str,
    ) -> Result<(), DbError> {
        let actor = format!("trigger:{trigger_id}");
        match subject {
            Subject::Order(order_id) => orders::record_history(
                self.db,
                &HistoryEntry {
                    order_id,
                    actor: &actor,
                    actor_name: None,
                    field,
                    old_value: None,
                    new_value: new.map(|v| v.to_string()),
                    outcome: Outcome::Refused,
                    reason: Some(reason),
                    event_id: Some(self.cause),
                },
                self.now,
            ),
            Subject::Customer(customer_id) => marketing::record(
                self.db,
                &marketing::CustomerLine {
                    customer_id: *customer_id,
                    actor: &actor,
                    field,
                    old: None,
                    new,
                    applied: false,
                    reason: Some(reason),
                    event_id: Some(self.cause),
                },
                self.now,
            ),
            Subject::Chat { conversation, .. } => crate::chats::note(
                self.db,
                *conversation,
                (&actor, reason),
                self.cause,
                self.now,
            ),
        }
    }

    fn run(&self, first_subject: Subject, first: Work) -> Result<Effects, DbError> {
        self.run_from(first_subject, first, Origin::default())
    }

    /// Records an evaluation about to be made; answers its id.
    fn record_evaluation(
        &self,
        (subject, kind, origin): (&Subject, Kind, &Origin),
        event: &DomainEvent,
        facts: &Facts,
    ) -> Result<i64, DbError> {
        let (customer_id, conversation_id) = subject.customer_and_chat();
        evaluations::insert(
            self.db,
            &NewEvaluation {
                kind,
                cause: self.cause,
                parent: origin.parent,
                trigger: origin.trigger.as_deref(),
                raised_by: origin.raised_by.as_ref(),
                order_id: subject.order_id(),
                customer_id,
                conversation_id,
                event,
                facts,
            },
            self.now,
        )
    }

    fn run_from(
        &self,
        first_subject: Subject,
        first: Work,
        origin: Origin,
    ) -> Result<Effects, DbError> {
        let mut effects = Effects::default();
        let mut queue = VecDeque::from([(first_subject, first, 0_usize, origin)]);
        while let Some((subject, work, depth, origin)) = queue.pop_front() {
            let Some(mut facts) = self.facts(&subject)? else {
                continue;
            };
            let (event, decisions, whole_event) = match work {
                Work::Event(event) => {
                    let decisions = evaluate(self.config, &event, &facts);
                    (event, decisions, true)
                }
                Work::Delayed(trigger_id, event) => {
                    let decision = evaluate_delayed(self.config, &trigger_id, &event, &facts);
                    (event, decision.into_iter().collect(), false)
                }
            };
            let kind = if whole_event {
                Kind::Event
            } else {
                Kind::Delayed
            };
            let first_row = self.record_evaluation((&subject, kind, &origin), &event, &facts)?;
            let mut row = first_row;
            let mut taken = Vec::new();
            let mut decisions = VecDeque::from(decisions);
            while let Some(decision) = decisions.pop_front() {
                match decision {
                    Decision::Run {
                        trigger_id,
                        actions,
                    } => {
                        let claimed =
                            match self.cooldown_passed(&subject, &trigger_id, &event, &facts)? {
                                Ok(claimed) => claimed,
                                Err(key) => {
                                    let trigger = trigger_id;
                                    taken.push(Taken::Cooldown { trigger, key });
                                    continue;
                                }
                            };
                        let keys: Vec<ActionKey> = actions.iter().map(ActionKey::of).collect();
                        taken.push(Taken::Run {
                            trigger: trigger_id.clone(),
                            actions: keys.clone(),
                            cooldown: claimed,
                        });
                        // Set when an action changed what the event's later triggers see: V1's
                        // manager, M3's discounted sums.
                        let mut facts_changed = false;
                        for ((index, action), key) in actions.into_iter().enumerate().zip(keys) {
                            facts_changed |= matches!(
                                action,
                                PlannedAction::ApplyDiscount { .. }
                                    | PlannedAction::AssignManager { .. }
                            );
                            let step = Step {
                                subject: &subject,
                                event: &event,
                                trigger_id: &trigger_id,
                                index,
                                evaluation: row,
                            };
                            let Some(next) = self.execute(&step, action, &facts, &mut effects)?
                            else {
                                continue;
                            };
                            let next_subject = Subject::of(&next, subject.clone());
                            if depth + 1 < MAX_CASCADE_DEPTH {
                                let origin = Origin {
                                    parent: Some(row),
                                    trigger: Some(trigger_id.clone()),
                                    raised_by: Some(key),
                                };
                                let work = Work::Event(next);
                                queue.push_back((next_subject, work, depth + 1, origin));
                            } else {
                                eprintln!(
                                    "trigger cascade stopped at depth {MAX_CASCADE_DEPTH} for {}",
                                    subject.key()
                                );
                            }
                        }
                        // The event's later triggers are evaluated again with the fresh facts
                        // (a delayed trigger runs alone), and recorded as continuing it.
                        if facts_changed && whole_event {
                            evaluations::set_decisions(self.db, row, &std::mem::take(&mut taken))?;
                            let Some(fresh) = self.facts(&subject)? else {
                                return Ok(effects);
                            };
                            facts = fresh;
                            let after = Origin {
                                parent: Some(row),
                                trigger: Some(trigger_id.clone()),
                                raised_by: None,
                            };
                            row = self.record_evaluation(
                                (&subject, Kind::After, &after),
                                &event,
                                &facts,
                            )?;
                            decisions =
                                evaluate_after(self.config, &trigger_id, &event, &facts).into();
                        }
                    }
                    Decision::Delay {
                        trigger_id,
                        fire_at,
                    } => {
                        taken.push(Taken::Delay {
                            trigger: trigger_id.clone(),
                            fire_at,
                        });
                        let event = serde_json::to_string(&event).unwrap_or_default();
                        set_timer(
                            self.db,
                            &subject.key(),
                            &format!("delay:{trigger_id}"),
                            (Some((&trigger_id, &event)), Some(row)),
                            Timestamp::from_unix(fire_at),
                            self.now,
                        )?;
                    }
                }
            }
            evaluations::set_decisions(self.db, row, &taken)?;
            // M8: an order bought starts the clocks of the products its customer buys again.
            if let (Subject::Order(order_id), DomainEvent::StatusChanged { to, .. }) =
                (&subject, &event)
            {
                let bought = self
                    .config
                    .statuses
                    .path
                    .get(to)
                    .is_some_and(|s| s.group == "done");
                if let (true, Some(order)) = (bought, facts.order.as_ref()) {
                    marketing::scans::plan_repeats(
                        self.db,
                        self.config,
                        order_id,
                        &order.items,
                        self.now,
                    )?;
                }
            }
            // M9: a customer's first order gives them a segment, and an order bought, cancelled
            // or not bought out may move them to another.
            if let Some(customer_id) = self.segment_may_move(&subject, &event, &facts) {
                let moved =
                    marketing::refresh_segment(self.db, self.config, customer_id, self.now)?;
                if let (Some(moved), true) = (moved, depth + 1 < MAX_CASCADE_DEPTH) {
                    let work = Work::Event(moved);
                    let origin = Origin {
                        parent: Some(first_row),
                        ..Origin::default()
                    };
                    queue.push_back((Subject::Customer(customer_id), work, depth + 1, origin));
                }
            }
        }
        Ok(effects)
    }
}

/// Where an evaluation comes from, for its record: the evaluation whose action raised its
/// event (or whose timer fired it, or which it continues), that trigger, and that action.
#[derive(Debug, Clone, Default)]
struct Origin {
    parent: Option<i64>,
    trigger: Option<String>,
    raised_by: Option<ActionKey>,
}

/// What starts a run.
enum Work {
    /// An event: evaluate every trigger for it.
    Event(DomainEvent),
    /// A delayed trigger whose timer fired, with the event that started it.
    Delayed(String, DomainEvent),
}

/// Which action of which trigger for which order or customer, in which recorded evaluation.
struct Step<'a> {
    subject: &'a Subject,
    event: &'a DomainEvent,
    trigger_id: &'a str,
    index: usize,
    evaluation: i64,
}

impl Step<'_> {
    /// Unique per cause, trigger and action: a replayed cause queues nothing new.
    fn key(&self, cause: &str) -> String {
        format!(
            "{cause}:{}:{}:{}",
            self.subject.key(),
            self.trigger_id,
            self.index
        )
    }
}

fn parse_order_id(order_id: &str) -> Result<orderpath_core::event::OrderId, DbError> {
    orderpath_core::event::OrderId::parse(order_id).map_err(|_| DbError::Shape("stored order id"))
}

fn status_changed(
    order_id: &str,
    from: String,
    to: String,
    reason: Option<String>,
) -> Result<DomainEvent, DbError> {
    let order_id = parse_order_id(order_id)?;
    Ok(DomainEvent::StatusChanged {
        order_id,
        from,
        to,
        reason,
        actor: None,
    })
}

/// Stores (or replaces) the order's pending timer with this name: a delayed trigger's (its id
/// and event) or a named one, set by the recorded evaluation `evaluation`.
fn set_timer(
    db: &Db,
    order_id: &str,
    name: &str,
    (delayed, evaluation): (Option<(&str, &str)>, Option<i64>),
    fire_at: Timestamp,
    now: Timestamp,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE timers SET status = 'cancelled' WHERE order_id = ? AND name = ? AND status = 'pending'",
        &[text(order_id), text(name)],
    )?;
    db.execute(
        "INSERT INTO timers (order_id, name, trigger_id, event, fire_at, status, created_at,
             evaluation_id)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
        &[
            text(order_id),
            text(name),
            opt_text(delayed.map(|d| d.0)),
            opt_text(delayed.map(|d| d.1)),
            text(fire_at.to_rfc3339()),
            text(now.to_rfc3339()),
            evaluation.map_or(spin_sdk::sqlite::Value::Null, crate::db::int),
        ],
    )?;
    Ok(())
}
