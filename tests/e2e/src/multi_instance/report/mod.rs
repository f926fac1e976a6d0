//! Expected against actual: every effect of the run counted from the shared database and the
//! providers' logs, and attributed to the event (or timer) that caused it.
//!
//! The app writes the cause of what it does next to it: `order_history.event_id`, and the
//! first part of `outbox.dedupe_key` and `tasks.dedupe_key`, is the event's source and id
//! (`orders:<webhook-id>`, `payments:…`) or the timer (`timer:<id>`). So an effect counted
//! twice for one event while another event's is missing is marked WRONG even where the
//! totals happen to agree.

mod causes;
mod table;

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;

use causes::Causes;

use super::events::{Kind, Order};
use super::provider::Send;
use super::store::{Message, Store};
use super::{Seen, Setup};

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// What is counted.
    pub effect: String,
    /// What one delivery of each event must cause.
    pub expected: i64,
    /// What the database and the providers show.
    pub actual: i64,
    /// Events (or messages) whose own count is not the expected one.
    pub off: usize,
}

impl Row {
    fn total(effect: impl Into<String>, expected: i64, actual: i64) -> Row {
        Row {
            effect: effect.into(),
            expected,
            actual,
            off: usize::from(expected != actual),
        }
    }

    /// Expected equals actual, for the total and for each event.
    pub fn exact(&self) -> bool {
        self.expected == self.actual && self.off == 0
    }
}

/// What one kind of event caused, over all the run's orders: one [`Row`] per effect, in the
/// order of [`EFFECTS`].
#[derive(Debug, Clone)]
pub struct EventRow {
    /// The event (or timer).
    pub event: &'static str,
    /// History rows, emails taken, SMS taken, tasks, outbox rows.
    pub cells: Vec<Row>,
}

/// The columns of the per-event table.
pub const EFFECTS: [&str; 5] = [
    "history rows",
    "emails sent",
    "SMS sent",
    "tasks",
    "outbox rows",
];

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Effects of each kind of event, per event.
    pub per_event: Vec<EventRow>,
    /// Totals and the sending checks.
    pub rows: Vec<Row>,
    /// What the run did, for the reader (instances, requests, ticks, time).
    pub notes: Vec<String>,
    /// Anything found that no row expects (an effect under an unknown cause, a wrong answer).
    pub problems: Vec<String>,
}

impl Report {
    /// Every effect exactly as expected and nothing unexpected.
    pub fn exact(&self) -> bool {
        self.problems.is_empty()
            && self.rows.iter().all(Row::exact)
            && self.per_event.iter().flat_map(|e| &e.cells).all(Row::exact)
    }

    /// Every row that is not exact, for a failure message.
    pub fn wrong(&self) -> Vec<String> {
        let per_event = self.per_event.iter().flat_map(|e| {
            e.cells
                .iter()
                .filter(|c| !c.exact())
                .map(move |c| format!("{}: {}", e.event, c.effect))
        });
        let totals = self
            .rows
            .iter()
            .filter(|r| !r.exact())
            .map(|r| r.effect.clone());
        per_event
            .chain(totals)
            .chain(self.problems.iter().cloned())
            .collect()
    }
}

/// Counts per `(kind, order)`.
type PerEvent = BTreeMap<(Kind, String), i64>;

pub(super) fn build(
    setup: &Setup,
    orders: &[Order],
    store: &Store,
    sends: &[Send],
    seen: &Seen,
) -> Result<Report> {
    let k = orders.len() as i64;
    let webhook_events = Kind::ALL.iter().filter(|k| !k.is_timer()).count() as i64;
    let causes = Causes::load(store, orders)?;
    let mut rows = Vec::new();
    let mut problems = seen.problems.clone();

    rows.push(Row::total(
        "orders",
        k,
        store.count("SELECT COUNT(*) FROM orders WHERE id LIKE ?1")?,
    ));
    rows.push(Row::total(
        "inbound events (one per event id, whatever the copies)",
        webhook_events * k,
        store.count("SELECT COUNT(*) FROM inbound_events WHERE event_id LIKE ?1")?,
    ));
    let mut worked = 0;
    let mut worked_off = 0;
    for order in orders {
        for kind in Kind::ALL.into_iter().filter(|k| !k.is_timer()) {
            let id = format!("{}-{kind:?}", order.id).to_lowercase();
            let n = seen.did_the_work.get(&id).copied().unwrap_or(0) as i64;
            worked += n;
            worked_off += usize::from(n != 1);
        }
    }
    rows.push(Row {
        effect: "copies that did the work (all others answered as repeats)".into(),
        expected: webhook_events * k,
        actual: worked,
        off: worked_off,
    });
    rows.push(Row::total(
        "order webhook repeats answered unlike the first copy",
        0,
        seen.differing_answers as i64,
    ));
    rows.push(Row::total(
        "payments",
        k,
        store.count("SELECT COUNT(*) FROM payments WHERE order_id LIKE ?1")?,
    ));
    rows.push(Row::total(
        "calls",
        k,
        store.count("SELECT COUNT(*) FROM calls WHERE order_id LIKE ?1")?,
    ));
    rows.push(Row::total(
        "bonus lines (S3, the manager's share of each order)",
        k,
        store.count("SELECT COUNT(*) FROM bonus_lines WHERE order_id LIKE ?1")?,
    ));

    let mut attribute = |what: &str, grouped: Vec<(String, i64)>| {
        let mut per = PerEvent::new();
        for (cause, n) in grouped {
            match causes.of(&cause) {
                Some(key) => *per.entry(key).or_default() += n,
                None => problems.push(format!(
                    "{n} {what} under a cause the run did not make: {cause:?}"
                )),
            }
        }
        per
    };
    let history = attribute(
        "history rows",
        store.grouped(
            "SELECT event_id, COUNT(*) FROM order_history WHERE order_id LIKE ?1 GROUP BY event_id",
        )?,
    );
    let tasks = attribute(
        "tasks",
        store.grouped(
            "SELECT dedupe_key, COUNT(*) FROM tasks WHERE order_id LIKE ?1 GROUP BY dedupe_key",
        )?,
    );
    let outbox = attribute(
        "outbox rows",
        store.grouped(
            "SELECT dedupe_key, COUNT(*) FROM outbox WHERE order_id LIKE ?1 GROUP BY dedupe_key",
        )?,
    );

    // Every provider request to one of the run's customers, matched to its outbox row.
    let messages = store.messages()?;
    let recipients: Vec<String> = orders
        .iter()
        .flat_map(|o| [o.email.clone(), o.phone.clone()])
        .collect();
    let ours: Vec<&Send> = sends
        .iter()
        .filter(|s| recipients.contains(&s.to))
        .collect();
    let mut requests: HashMap<i64, Vec<&Send>> = HashMap::new();
    for send in &ours {
        match messages.iter().find(|m| matches(m, send)) {
            Some(m) => requests.entry(m.id).or_default().push(send),
            None => problems.push(format!(
                "a {:?} request to {} matches no outbox row: {:?}",
                send.channel, send.to, send.text
            )),
        }
    }
    let mut taken = |channel: &str| {
        let mut per = PerEvent::new();
        for m in messages.iter().filter(|m| m.channel == channel) {
            let accepted = requests
                .get(&m.id)
                .map_or(0, |r| r.iter().filter(|s| s.accepted).count())
                as i64;
            match causes.of(&m.dedupe_key) {
                Some(key) => *per.entry(key).or_default() += accepted,
                None => problems.push(format!(
                    "message {} has an unknown cause {:?}",
                    m.id, m.dedupe_key
                )),
            }
        }
        per
    };
    let emails = taken("email");
    let sms = taken("sms");

    let mut per_event_rows = Vec::new();
    for kind in Kind::ALL {
        let effects = kind.effects();
        let cells = [
            (&history, effects.history),
            (&emails, effects.emails),
            (&sms, effects.sms),
            (&tasks, effects.tasks),
            (&outbox, effects.emails + effects.sms),
        ]
        .into_iter()
        .zip(EFFECTS)
        .map(|((per, each), what)| per_event(what, per, kind, orders, each))
        .collect();
        per_event_rows.push(EventRow {
            event: kind.label(),
            cells,
        });
    }

    let timers_fired = store.count(
        "SELECT COUNT(*) FROM timers WHERE order_id LIKE ?1 AND status = 'fired'
           AND name IN ('c5-pickup-reminder', 'c6-pickup-call')",
    )?;
    rows.push(Row::total("pickup timers fired", 2 * k, timers_fired));
    rows.push(Row::total(
        "delayed trigger m5-review-request waiting (3 days after completion)",
        k,
        store.count(
            "SELECT COUNT(*) FROM timers WHERE order_id LIKE ?1 AND status = 'pending'
               AND trigger_id = 'm5-review-request'",
        )?,
    ));
    rows.push(Row::total(
        "other timers",
        0,
        store.count(
            "SELECT COUNT(*) FROM timers WHERE order_id LIKE ?1
               AND name NOT IN ('c5-pickup-reminder', 'c6-pickup-call')
               AND trigger_id IS NOT 'm5-review-request'",
        )?,
    ));
    rows.push(Row::total(
        "timers fired, summed over every tick's answer",
        2 * k,
        seen.ticks.timers_fired,
    ));

    // Each message: taken once, recorded as sent with the id the provider gave, and one
    // recorded attempt for every request the provider saw.
    let outage_kinds = Kind::DURING_OUTAGE;
    let mut sent_once = 0;
    let mut attempts_match = 0;
    let mut outage_messages = 0;
    let mut outage_as_expected = 0;
    for m in &messages {
        let got = requests.get(&m.id).cloned().unwrap_or_default();
        let accepted: Vec<&&Send> = got.iter().filter(|s| s.accepted).collect();
        let refused = got.len() - accepted.len();
        let once =
            accepted.len() == 1 && m.status == "sent" && m.provider_id == accepted[0].provider_id;
        if once {
            sent_once += 1;
        } else {
            problems.push(format!(
                "message {} ({} to {}): status {}, {} taken, {} refused, provider id {:?}",
                m.id,
                m.channel,
                m.recipient,
                m.status,
                accepted.len(),
                refused,
                m.provider_id
            ));
        }
        if m.attempts == got.len() as i64 && m.attempt_rows == got.len() as i64 && m.late_rows == 0
        {
            attempts_match += 1;
        } else {
            problems.push(format!(
                "message {}: {} requests, {} attempts on the row, {} attempt rows ({} late)",
                m.id,
                got.len(),
                m.attempts,
                m.attempt_rows,
                m.late_rows
            ));
        }
        if causes
            .of(&m.dedupe_key)
            .is_some_and(|(kind, _)| outage_kinds.contains(&kind))
        {
            outage_messages += 1;
            if refused == 2 && accepted.len() == 1 {
                outage_as_expected += 1;
            }
        }
    }
    let all = messages.len() as i64;
    rows.push(Row::total(
        "messages sent exactly once (one request taken, recorded with its id)",
        all,
        sent_once,
    ));
    rows.push(Row::total(
        "messages whose recorded attempts = requests the provider saw",
        all,
        attempts_match,
    ));
    let outage_expected: i64 = outage_kinds
        .iter()
        .map(|kind| (kind.effects().emails + kind.effects().sms) * k)
        .sum();
    rows.push(Row::total(
        "outage messages: refused twice (first send, one tick), then taken once",
        outage_expected,
        outage_as_expected,
    ));
    rows.push(Row::total(
        "messages waiting when the outage tick came",
        outage_expected,
        seen.waiting_in_outage,
    ));
    if outage_messages != outage_expected {
        problems.push(format!(
            "{outage_messages} messages came from the events during the outage, {outage_expected} expected"
        ));
    }
    rows.push(Row::total(
        "retries taken after the outage, summed over the ticks' answers",
        outage_expected,
        seen.recovery_taken,
    ));
    rows.push(Row::total(
        "late answers or failures, summed over every tick's answer",
        0,
        seen.ticks.late + seen.ticks.failed,
    ));

    let requests: Vec<String> = seen
        .requests
        .iter()
        .map(|(url, n)| format!("{url}: {n}"))
        .collect();
    let by_instance: Vec<String> = seen
        .by_instance
        .iter()
        .map(|(url, (events, ticks))| {
            format!(
                "{url} took {events} events first, fired {} timers, sent {} retries",
                ticks.timers_fired, ticks.sent
            )
        })
        .collect();
    let notes = vec![
        format!(
            "run MI-{}: {} orders × {} webhook events, {} copies of each to each of {} instances at once; {} ticks per instance at once",
            setup.run,
            k,
            webhook_events,
            setup.copies,
            setup.instances.len(),
            setup.ticks
        ),
        format!(
            "requests per instance: {}; {} answered 503 (busy, nothing recorded) and were sent again",
            requests.join(", "),
            seen.busy_answers
        ),
        format!("who did the work: {}", by_instance.join("; ")),
        format!(
            "ticks: {} answered, {} timers fired, {} retries taken, {} refused again, {} taken by another tick; {} tick round(s) after the outage; {:.1} s",
            seen.ticks.ticks,
            seen.ticks.timers_fired,
            seen.ticks.sent,
            seen.ticks.retrying,
            seen.ticks.taken_by_others,
            seen.recovery_rounds,
            seen.elapsed.as_secs_f64()
        ),
        format!(
            "provider requests to the run's customers: {} ({} taken, {} refused with 503)",
            ours.len(),
            ours.iter().filter(|s| s.accepted).count(),
            ours.iter().filter(|s| !s.accepted).count()
        ),
    ];
    Ok(Report {
        per_event: per_event_rows,
        rows,
        notes,
        problems,
    })
}

/// The request is the message: same channel, recipient and text.
fn matches(message: &Message, send: &Send) -> bool {
    message.channel == send.channel.outbox_name()
        && message.recipient.to_lowercase() == send.to
        && message.text == send.text
}

fn per_event(effect: &str, per: &PerEvent, kind: Kind, orders: &[Order], each: i64) -> Row {
    let mut actual = 0;
    let mut off = 0;
    for order in orders {
        let n = per.get(&(kind, order.id.clone())).copied().unwrap_or(0);
        actual += n;
        off += usize::from(n != each);
    }
    Row {
        effect: effect.to_owned(),
        expected: each * orders.len() as i64,
        actual,
        off,
    }
}
