//! One scheduler tick: the time-based work that is due, bounded per tick. Shared by
//! `POST /cron/tick` (any HTTP scheduler) and the cron trigger plugin's component.
//!
//! Due timers (delayed triggers, named timers) fire first, then status time limits (P3), then
//! the marketing scans (dates coming up, products due again, lapsed customers), and
//! the messages they queued are sent, then message retries; then CDEK parcels that went quiet
//! are polled (see `carrier_polls`), then WooCommerce orders (see `platform_polls`), and what
//! they queued is sent. Sending is the `sender`
//! component's for the HTTP scheduler ([`ThroughSender`]); the cron plugin's component sends
//! itself ([`SendsItself`]). All
//! work is claimed with conditional updates in SQLite, so ticks that overlap — two schedulers,
//! a slow tick and the next one — never do the same thing twice.
//! Last, idempotency records and raw notifications past the retention period are removed
//! (see `retention`). Work left over waits for the next tick.

use orderpath_core::automation::config::Config;
use serde_json::{json, Value};

use crate::clock::Timestamp;
use crate::db::Db;
use crate::http::ApiError;
use crate::inbound::{carrier_polls, platform_polls};
use crate::outbound::channels::Channels;
use crate::outbound::outbox::{self, Delivery};
use crate::outbound::sender;
use crate::plans::automation::{self, Effects};
use crate::{config, db::retention, repo::timers};

/// At most this many messages per tick, so one tick stays well inside hosts' time limits.
const MESSAGES_PER_TICK: i64 = 50;
/// At most this many timers and overdue checks per tick.
const TIMERS_PER_TICK: i64 = 100;
const OVERDUE_CHECKS_PER_TICK: i64 = 200;

/// How a tick gets its messages out.
pub trait Sending {
    /// Sends the messages this tick queued (born claimed under `db`'s holder); returns how
    /// many the providers took.
    fn queued(&self, db: &Db, ids: &[i64]) -> usize;
    /// Sends the messages due for another attempt; returns the summary.
    fn due(&self, db: &Db, now: Timestamp) -> Result<Value, ApiError>;
}

/// The tick sends itself, with the providers' code and secrets: the cron plugin's
/// `cron-tick`, which cannot reach the `sender` (service chaining is the HTTP trigger's).
pub struct SendsItself;

impl Sending for SendsItself {
    fn queued(&self, db: &Db, ids: &[i64]) -> usize {
        outbox::send_queued(db, ids)
    }

    fn due(&self, db: &Db, now: Timestamp) -> Result<Value, ApiError> {
        retry_messages(db, now)
    }
}

/// The tick leaves sending to the private `sender` component (the HTTP `scheduler`), which
/// alone holds the providers' secrets. Where it cannot be reached, what the tick queued waits
/// for its born lease and the summary says why no retries were sent.
pub struct ThroughSender {
    /// The token the sender's `/due` asks for.
    pub cron_token: config::Secret,
}

impl Sending for ThroughSender {
    fn queued(&self, db: &Db, ids: &[i64]) -> usize {
        if ids.is_empty() {
            return 0;
        }
        sender::hand_over(db, ids).unwrap_or_else(|error| {
            eprintln!("{} queued message(s) wait: {error}", ids.len());
            0
        })
    }

    fn due(&self, _db: &Db, _now: Timestamp) -> Result<Value, ApiError> {
        Ok(sender::send_due(&self.cron_token).unwrap_or_else(|error| {
            eprintln!("message retries not sent: {error}");
            json!({ "error": "the sender could not be reached; see the scheduler's log" })
        }))
    }
}

/// Does the work due at `now`; answers a summary of what it did.
pub fn run(now: Timestamp, sending: &impl Sending) -> Result<Value, ApiError> {
    let automation = automation::load_config()?;
    let db = Db::open(config::synchronous()?)?;
    let mut queued = Effects::default();
    let fired = fire_timers(&db, &automation, now, &mut queued)?;
    let overdue = check_time_limits(&db, &automation, now, &mut queued)?;
    let marketing = crate::marketing::scans::run(&db, &automation, now, &mut queued)?;
    // Everything due is sent before the polls, whose calls to CDEK may take a while: new
    // messages first, then the ones waiting for another attempt.
    let mut fresh = sending.queued(&db, &std::mem::take(&mut queued.messages));
    let messages = sending.due(&db, now)?;
    let parcels = carrier_polls::poll_cdek(&db, &automation, now, &mut queued)?;
    let woocommerce = platform_polls::poll_woocommerce(&db, &automation, now, &mut queued)?;
    fresh += sending.queued(&db, &queued.messages);
    let retention = enforce_retention(&db, &automation, now)?;
    Ok(json!({
        "at": now.to_rfc3339(),
        "timers_fired": fired,
        "overdue_reminders": overdue,
        "marketing": {
            "date_offers": marketing.dates,
            "repeat_reminders": marketing.repeats,
            "segments_moved": marketing.segments,
        },
        "cdek_parcels_polled": parcels,
        "woocommerce_orders_polled": woocommerce,
        "messages_from_triggers": fresh,
        "messages": messages,
        "retention": retention,
    }))
}

/// Old idempotency records, raw notifications and recorded trigger evaluations, last: a
/// misconfigured retention period is reported (and logged) without holding up the tick's other
/// work; the evaluations' own keep period (shop.toml) applies either way.
fn enforce_retention(db: &Db, config: &Config, now: Timestamp) -> Result<Value, ApiError> {
    let mut summary = match retention::period() {
        Ok(period) => retention::enforce(db, period, now)?,
        Err(error) => {
            eprintln!("retention skipped: {error}");
            json!({ "error": error.to_string() })
        }
    };
    let keep = orderpath_core::replay::keep_days(config);
    summary["trigger_evaluations_deleted"] = retention::evaluations(db, keep, now)?.into();
    Ok(summary)
}

fn fire_timers(
    db: &Db,
    config: &Config,
    now: Timestamp,
    queued: &mut Effects,
) -> Result<usize, ApiError> {
    let mut fired = 0;
    for id in timers::due_timers(db, now, TIMERS_PER_TICK)? {
        if let Some(effects) = timers::fire(db, config, id, now)? {
            fired += 1;
            queued.messages.extend(effects.messages);
        }
    }
    Ok(fired)
}

fn check_time_limits(
    db: &Db,
    config: &Config,
    now: Timestamp,
    queued: &mut Effects,
) -> Result<usize, ApiError> {
    let mut reminded = 0;
    for candidate in timers::time_limit_candidates(db, config, OVERDUE_CHECKS_PER_TICK)? {
        if let Some(effects) = timers::remind_if_overdue(db, config, &candidate, now)? {
            reminded += 1;
            queued.messages.extend(effects.messages);
        }
    }
    Ok(reminded)
}

/// Sends the messages that are due again; a provider still down only moves them further out.
pub(crate) fn retry_messages(db: &Db, now: Timestamp) -> Result<Value, ApiError> {
    let due = outbox::due_messages(db, now, MESSAGES_PER_TICK)?;
    let (mut sent, mut retrying, mut failed, mut skipped, mut late) = (0, 0, 0, 0, 0);
    if !due.is_empty() {
        let channels = Channels::load();
        let policy = config::retry_policy()?;
        for id in due {
            match outbox::deliver(db, id, &channels, policy, Timestamp::now())? {
                Delivery::Sent => sent += 1,
                Delivery::Retrying => retrying += 1,
                Delivery::Failed => failed += 1,
                Delivery::NotClaimed => skipped += 1,
                Delivery::Late => late += 1,
            }
        }
    }
    Ok(json!({
        "sent": sent,
        "retrying": retrying,
        "failed": failed,
        "taken_by_others": skipped,
        "late": late,
    }))
}
