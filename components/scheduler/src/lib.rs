//! `POST /cron/tick`: time-based work, called every minute by any scheduler (the Spin cron
//! trigger plugin, a Kubernetes CronJob, Akamai crons, curl).
//!
//! Each tick does a bounded amount of due work and answers what it did: due timers (delayed
//! triggers, named timers), status time limits (P3), then message retries. All work is
//! claimed with conditional updates in SQLite, so ticks that overlap — two schedulers, a slow
//! tick and the next one — never do the same thing twice. Work left over waits for the next
//! tick.

use orderpath_core::automation::config::Config;
use orderpath_shell::automation::{self, Effects};
use orderpath_shell::clock::Timestamp;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, Answer, ApiError};
use orderpath_shell::outbox::{self, Delivery};
use orderpath_shell::{auth, config, timers};
use serde_json::json;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

/// At most this many messages per tick, so one tick stays well inside hosts' time limits.
const MESSAGES_PER_TICK: i64 = 50;
/// At most this many timers and overdue checks per tick.
const TIMERS_PER_TICK: i64 = 100;
const OVERDUE_CHECKS_PER_TICK: i64 = 200;

#[http_component]
fn handle_tick(request: IncomingRequest, out: ResponseOutparam) {
    let answer = tick(request).unwrap_or_else(|error| error.to_answer());
    http::respond(out, &answer);
}

fn tick(request: IncomingRequest) -> Result<Answer, ApiError> {
    let inbound = http::read_request(request)?;
    inbound.require_method("POST")?;
    auth::require_token(&inbound, &config::secret("cron_token")?)?;
    let automation = automation::load_config()?;
    let db = Db::open(config::synchronous()?)?;
    let now = Timestamp::now();

    let mut queued = Effects::default();
    let fired = fire_timers(&db, &automation, now, &mut queued)?;
    let overdue = check_time_limits(&db, &automation, now, &mut queued)?;
    let fresh = outbox::send_queued_emails(&db, &queued.emails);
    let emails = retry_emails(&db, now)?;
    Ok(Answer::json(
        200,
        &json!({
            "at": now.to_rfc3339(),
            "timers_fired": fired,
            "overdue_reminders": overdue,
            "emails_from_triggers": fresh,
            "emails": emails,
        }),
    ))
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
            queued.emails.extend(effects.emails);
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
            queued.emails.extend(effects.emails);
        }
    }
    Ok(reminded)
}

/// Sends the emails that are due again; a provider still down only moves them further out.
fn retry_emails(db: &Db, now: Timestamp) -> Result<serde_json::Value, ApiError> {
    let due = outbox::due_emails(db, now, MESSAGES_PER_TICK)?;
    let (mut sent, mut retrying, mut failed, mut skipped) = (0, 0, 0, 0);
    if !due.is_empty() {
        let email = config::email()?;
        let policy = config::retry_policy()?;
        for id in due {
            match outbox::deliver_email(db, id, &email, policy, Timestamp::now())? {
                Delivery::Sent => sent += 1,
                Delivery::Retrying => retrying += 1,
                Delivery::Failed => failed += 1,
                Delivery::NotClaimed => skipped += 1,
            }
        }
    }
    Ok(json!({ "sent": sent, "retrying": retrying, "failed": failed, "taken_by_others": skipped }))
}
