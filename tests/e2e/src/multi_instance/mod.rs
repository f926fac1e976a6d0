//! Many instances, one database: a driver that proves each effect happens exactly once when
//! two or more app instances share one SQLite database and the senders misbehave as real
//! ones do — every event delivered several times to every instance at the same moment,
//! scheduler ticks overlapping on all instances, the email and SMS providers down for a while.
//!
//! The instances are anything that serves the app over HTTP on the same database: two real
//! `spin up --listen …` processes started from one app directory (they share
//! `.spin/sqlite_db.db`), or two harness [`orderpath_harness::App`]s on one state directory
//! (`tests/e2e/tests/it/multi_instance.rs`). The providers are [`Provider`], a local mock the
//! instances' `postmark_url`, `smsru_url` and `telegram_url` point at ([`variables`]).
//!
//! The run (see [`events`] for the path each order travels):
//! 1. every webhook event of every order is sent `copies` times to each instance, all copies
//!    at once; one copy of each must do the work and the others answer as repeats;
//! 2. the pickup timers are made due and every instance is ticked `ticks` times at once;
//! 3. the providers refuse everything (503) while a missed call and the delivery arrive; the
//!    instances are ticked once more during the outage, then the providers recover and the
//!    instances are ticked until every message is out.
//!
//! Then the database and the providers' logs are read and [`Report`] compares every effect
//! with what one delivery of each event must cause.

pub mod client;
pub mod events;
pub mod provider;
mod report;
pub mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use orderpath_harness::Clock;
use serde_json::Value;

pub use client::{Answer, Instance};
use events::{Kind, Order};
pub use provider::Provider;
pub use report::{EventRow, Report, Row, EFFECTS};
use store::Store;

/// How long messages may stay `sending` (a sender at work after its webhook answered) before
/// the run gives up on them.
const IN_FLIGHT_LIMIT: Duration = Duration::from_secs(30);
/// A webhook copy answered `503` (busy, not recorded) is sent again at most this often.
const BUSY_RETRIES: usize = 20;
/// Tick rounds at most to get every waiting message out once the providers are back.
const SETTLE_ROUNDS: usize = 8;

/// The secrets the instances were started with (the values of their Spin variables).
#[derive(Debug, Clone)]
pub struct Secrets {
    /// `orders_webhook_secret`.
    pub orders: String,
    /// `payments_webhook_secret`.
    pub payments: String,
    /// `delivery_webhook_secret`.
    pub delivery: String,
    /// `calls_webhook_secret`.
    pub calls: String,
    /// `cron_token`.
    pub cron_token: String,
    /// `admin_token` (the app needs one; the driver does not use it).
    pub admin_token: String,
}

impl Secrets {
    /// Fresh random secrets (from `/dev/urandom`).
    pub fn generate() -> Result<Secrets> {
        use base64::Engine as _;
        use std::io::Read as _;
        let mut urandom = std::fs::File::open("/dev/urandom").context("/dev/urandom")?;
        let mut random = |n: usize| {
            let mut bytes = vec![0u8; n];
            urandom.read_exact(&mut bytes)?;
            anyhow::Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
        };
        Ok(Secrets {
            orders: format!("whsec_{}", random(32)?),
            payments: format!("whsec_{}", random(32)?),
            delivery: format!("whsec_{}", random(32)?),
            calls: format!("whsec_{}", random(32)?),
            cron_token: random(24)?.replace(['+', '/', '='], "x"),
            admin_token: random(24)?.replace(['+', '/', '='], "x"),
        })
    }

    /// From the `SPIN_VARIABLE_*` environment variables `spin up` was given.
    pub fn from_env() -> Result<Secrets> {
        let var = |name: &str| {
            let key = format!("SPIN_VARIABLE_{}", name.to_uppercase());
            std::env::var(&key).with_context(|| format!("{key} is not set"))
        };
        Ok(Secrets {
            orders: var("orders_webhook_secret")?,
            payments: var("payments_webhook_secret")?,
            delivery: var("delivery_webhook_secret")?,
            calls: var("calls_webhook_secret")?,
            cron_token: var("cron_token")?,
            admin_token: var("admin_token")?,
        })
    }
}

/// The app variables every instance needs for the run: the secrets, the providers at
/// `provider_url`, nothing that would send marketing email. The harness test starts its apps
/// with these; for `spin up` they are exported as `SPIN_VARIABLE_<NAME>`.
pub fn variables(secrets: &Secrets, provider_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("orders_webhook_secret", secrets.orders.clone()),
        ("payments_webhook_secret", secrets.payments.clone()),
        ("delivery_webhook_secret", secrets.delivery.clone()),
        ("calls_webhook_secret", secrets.calls.clone()),
        ("cron_token", secrets.cron_token.clone()),
        ("admin_token", secrets.admin_token.clone()),
        ("email_from", "Чайная лавка <orders@shop.example>".into()),
        ("email_provider", "postmark".into()),
        ("postmark_url", provider_url.into()),
        ("postmark_token", "mock-postmark-token".into()),
        ("sms_provider", "smsru".into()),
        ("smsru_url", provider_url.into()),
        ("smsru_api_id", "mock-smsru-api-id".into()),
        ("telegram_url", provider_url.into()),
        ("telegram_bot_token", "123456:mock-telegram-token".into()),
        ("provider_timeout_ms", "5000".into()),
        ("public_url", String::new()),
        ("accept_test_payments", "false".into()),
    ]
}

/// What to run against.
pub struct Setup {
    /// The instances, two or more, on one database.
    pub instances: Vec<Instance>,
    /// The database file they share (`.spin/sqlite_db.db`).
    pub db: PathBuf,
    /// Their secrets.
    pub secrets: Secrets,
    /// The instances' clock (the system clock for `spin up`).
    pub clock: Clock,
    /// Orders, each travelling the whole path.
    pub orders: usize,
    /// Copies of each event sent to each instance at once.
    pub copies: usize,
    /// Ticks per instance at once, each time the driver ticks.
    pub ticks: usize,
    /// Names the run's orders `MI-<run>-<n>`; unique per run on one database.
    pub run: String,
}

impl Setup {
    /// A run name from the clock: a new one every second.
    pub fn run_name(clock: &Clock) -> String {
        format!("{}", clock.unix_seconds() % 100_000_000)
    }
}

/// What the driver saw the instances answer, for the report.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Requests sent to each instance (webhook copies and ticks).
    pub requests: BTreeMap<String, usize>,
    /// What went wrong on the way: answers with an unexpected status, waiting rows that
    /// were not there, messages that would not go out.
    pub problems: Vec<String>,
    /// Per event id, the copies that did the work: answered as the first delivery rather
    /// than as a repeat (the order webhook's `idempotent-replayed: true`, the providers'
    /// formats' `"duplicate": true`).
    pub did_the_work: BTreeMap<String, usize>,
    /// `503` answers (the database busy, nothing recorded) that the driver sent again.
    pub busy_answers: usize,
    /// Order webhook copies whose answer differs from the first copy's (a repeat gets the
    /// stored answer back, byte for byte).
    pub differing_answers: usize,
    /// Sum over every tick's summary.
    pub ticks: TickTotals,
    /// Per instance: events it did the work for, and the sum of its ticks' summaries.
    pub by_instance: BTreeMap<String, (usize, TickTotals)>,
    /// Messages waiting when the outage began to be retried (refused once each).
    pub waiting_in_outage: i64,
    /// Tick rounds it took to get everything out after the outage.
    pub recovery_rounds: usize,
    /// Retries the ticks reported taken after the outage.
    pub recovery_taken: i64,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

/// The sums of the ticks' summaries.
#[derive(Debug, Default, Clone)]
pub struct TickTotals {
    /// Ticks answered.
    pub ticks: i64,
    /// `timers_fired`.
    pub timers_fired: i64,
    /// `messages.sent`.
    pub sent: i64,
    /// `messages.retrying`.
    pub retrying: i64,
    /// `messages.failed`.
    pub failed: i64,
    /// `messages.taken_by_others`.
    pub taken_by_others: i64,
    /// `messages.late`.
    pub late: i64,
}

impl TickTotals {
    fn add(&mut self, summary: &Value) {
        let n = |v: &Value| v.as_i64().unwrap_or(0);
        self.ticks += 1;
        self.timers_fired += n(&summary["timers_fired"]);
        let m = &summary["messages"];
        self.sent += n(&m["sent"]);
        self.retrying += n(&m["retrying"]);
        self.failed += n(&m["failed"]);
        self.taken_by_others += n(&m["taken_by_others"]);
        self.late += n(&m["late"]);
    }
}

/// Runs the whole scenario against `setup.instances`, sending through `provider`, and reports.
pub async fn run(setup: &Setup, provider: &Provider) -> Result<Report> {
    if setup.instances.len() < 2 {
        bail!("give two or more instances (one database behind them)");
    }
    let started = Instant::now();
    let orders: Vec<Order> = (1..=setup.orders)
        .map(|n| Order::new(&setup.run, n))
        .collect();
    let mut seen = Seen::default();
    let mut store = Store::open(&setup.db, &setup.run)?;

    // 1. Every event, many copies to every instance at once, the providers up.
    provider.set_outage(false);
    for kind in Kind::BEFORE_TIMERS {
        deliver(setup, kind, &orders, &mut seen).await?;
    }
    settle(setup, &mut store, &mut seen).await?;

    // 2. The pickup timers due; overlapping ticks on every instance.
    let due = store.make_timers_due(setup.clock.unix_seconds() as i64)?;
    if due != 2 * orders.len() {
        seen.problems.push(format!(
            "{due} pickup timers were waiting for {} orders, 2 each expected",
            orders.len()
        ));
    }
    tick_all(setup, &mut seen).await?;
    settle(setup, &mut store, &mut seen).await?;

    // 3. The providers down: new messages are refused, a tick retries them, still refused;
    //    the providers back: ticks until everything is out.
    provider.set_outage(true);
    for kind in Kind::DURING_OUTAGE {
        deliver(setup, kind, &orders, &mut seen).await?;
    }
    wait_in_flight(&store, &mut seen).await?;
    seen.waiting_in_outage = store.make_messages_due(setup.clock.unix_seconds() as i64)? as i64;
    tick_all(setup, &mut seen).await?;
    wait_in_flight(&store, &mut seen).await?;
    provider.set_outage(false);
    let before = seen.ticks.sent;
    seen.recovery_rounds = settle(setup, &mut store, &mut seen).await?;
    seen.recovery_taken = seen.ticks.sent - before;

    seen.elapsed = started.elapsed();
    report::build(setup, &orders, &store, &provider.sends(), &seen)
}

/// Sends every order's `kind` event `copies` times to every instance, all at once.
async fn deliver(setup: &Setup, kind: Kind, orders: &[Order], seen: &mut Seen) -> Result<()> {
    let now = setup.clock.unix_seconds() as i64;
    let events = orders
        .iter()
        .map(|order| events::event(kind, order, &setup.secrets, now))
        .collect::<Result<Vec<_>>>()?;
    let copies = events.len() * setup.copies * setup.instances.len();
    let start = Arc::new(tokio::sync::Barrier::new(copies));
    let mut sent = Vec::new();
    for (e, event) in events.iter().enumerate() {
        for copy in 0..setup.copies {
            for i in 0..setup.instances.len() {
                // Alternate: copy c of event e starts on a different instance than copy c-1.
                let instance = setup.instances[(e + copy + i) % setup.instances.len()].clone();
                *seen.requests.entry(instance.url.clone()).or_default() += 1;
                let (start, event) = (start.clone(), event.clone());
                sent.push(tokio::spawn(async move {
                    start.wait().await;
                    let answer = post_as_a_sender(&instance, &event).await;
                    (event, instance.url, answer)
                }));
            }
        }
    }
    let mut first: BTreeMap<String, String> = BTreeMap::new();
    for handle in sent {
        let (event, url, answer) = handle.await.context("a sender task failed")?;
        let (answer, busy) = answer?;
        seen.busy_answers += busy;
        if answer.status != kind.answer_status() {
            seen.problems.push(format!(
                "{} {} from {url}: {} {}",
                kind.label(),
                event.webhook_id,
                answer.status,
                answer.body
            ));
        }
        let repeat = answer.replayed
            || serde_json::from_str::<Value>(&answer.body)
                .is_ok_and(|body| body["duplicate"] == Value::Bool(true));
        let worked = seen
            .did_the_work
            .entry(event.webhook_id.clone())
            .or_default();
        *worked += usize::from(!repeat);
        seen.by_instance.entry(url.clone()).or_default().0 += usize::from(!repeat);
        if event.path == "/webhooks/orders" {
            let body = first
                .entry(event.webhook_id.clone())
                .or_insert_with(|| answer.body.clone());
            if *body != answer.body {
                seen.differing_answers += 1;
            }
        }
    }
    Ok(())
}

/// Posts `event` and, like a provider, posts it again after a pause while the answer is
/// `503` (the database was busy and nothing was recorded); the final answer and how many
/// 503s came first.
async fn post_as_a_sender(instance: &Instance, event: &events::Event) -> Result<(Answer, usize)> {
    let mut busy = 0;
    loop {
        let answer = instance
            .post(event.path, &event.headers, Bytes::from(event.body.clone()))
            .await?;
        if answer.status != 503 || busy == BUSY_RETRIES {
            return Ok((answer, busy));
        }
        busy += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `ticks` ticks on every instance at once; their summaries are added to `seen`.
async fn tick_all(setup: &Setup, seen: &mut Seen) -> Result<()> {
    let total = setup.ticks * setup.instances.len();
    let start = Arc::new(tokio::sync::Barrier::new(total));
    let headers = vec![(
        "authorization".to_owned(),
        format!("Bearer {}", setup.secrets.cron_token),
    )];
    let mut ticks = Vec::new();
    for _ in 0..setup.ticks {
        for instance in &setup.instances {
            *seen.requests.entry(instance.url.clone()).or_default() += 1;
            let (instance, start, headers) = (instance.clone(), start.clone(), headers.clone());
            ticks.push(tokio::spawn(async move {
                start.wait().await;
                let answer = instance.post("/cron/tick", &headers, Bytes::new()).await;
                (instance.url, answer)
            }));
        }
    }
    for handle in ticks {
        let (url, answer) = handle.await.context("a tick task failed")?;
        let answer = answer?;
        let summary = match serde_json::from_str::<Value>(&answer.body) {
            Ok(summary) if answer.status == 200 => summary,
            _ => {
                seen.problems
                    .push(format!("tick on {url}: {} {}", answer.status, answer.body));
                continue;
            }
        };
        if let Some(error) = summary["messages"].get("error") {
            seen.problems
                .push(format!("tick on {url} could not send: {error}"));
        }
        seen.ticks.add(&summary);
        seen.by_instance.entry(url).or_default().1.add(&summary);
    }
    Ok(())
}

/// Waits until no message of the run is being sent (senders finish after their webhook
/// answered); one that stays `sending` is a problem of the run, and the report shows it.
async fn wait_in_flight(store: &Store, seen: &mut Seen) -> Result<()> {
    let deadline = Instant::now() + IN_FLIGHT_LIMIT;
    loop {
        let (_, sending) = store.unsettled()?;
        if sending == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            seen.problems.push(format!(
                "{sending} message(s) still `sending` after {IN_FLIGHT_LIMIT:?}"
            ));
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Ticks until no message of the run waits (each sent, or failed for good); the rounds it
/// took.
async fn settle(setup: &Setup, store: &mut Store, seen: &mut Seen) -> Result<usize> {
    for round in 0..SETTLE_ROUNDS {
        wait_in_flight(store, seen).await?;
        if store.unsettled()?.0 == 0 {
            return Ok(round);
        }
        store.make_messages_due(setup.clock.unix_seconds() as i64)?;
        tick_all(setup, seen).await?;
    }
    wait_in_flight(store, seen).await?;
    let (pending, _) = store.unsettled()?;
    if pending > 0 {
        seen.problems.push(format!(
            "{pending} message(s) still waiting after {SETTLE_ROUNDS} tick rounds"
        ));
    }
    Ok(SETTLE_ROUNDS)
}
