//! The rules behind what the staff desk shows: when an order is overdue, a customer's
//! segment, why a queued message has not gone out yet, which trigger made a change, and the
//! list's page cursor. The shell reads the rows; these decide what they mean.

#[cfg(test)]
mod tests;

use crate::automation::config::Config;
use crate::automation::engine::time_limit_deadline;

/// True when an order that entered `status` at `entered_at` is past the status's time limit
/// at `now` (P3, counted in working hours — the same deadline the tick reminds by).
pub fn is_overdue(config: &Config, status: &str, entered_at: i64, now: i64) -> bool {
    time_limit_deadline(config, status, entered_at).is_some_and(|deadline| now >= deadline)
}

/// How far back [`overdue_entered_by`] looks for the boundary: orders that entered their
/// status earlier than this are taken as overdue (any time limit of less than this many
/// working seconds has long run out).
const LOOK_BACK_SECS: i64 = 400 * 86_400;

/// The latest moment an order may have entered `status` and be overdue at `now`, or `None`
/// for a status without a time limit. The deadline only grows with the entry time, so
/// "overdue" is exactly "entered at or before this": a list filters by it with an index on
/// `(status, status_entered_at)` instead of computing working hours per row.
pub fn overdue_entered_by(config: &Config, status: &str, now: i64) -> Option<i64> {
    let deadline = |entered: i64| time_limit_deadline(config, status, entered);
    deadline(now)?;
    // The largest `entered` in [now - LOOK_BACK_SECS, now] with deadline(entered) <= now.
    let (mut low, mut high) = (now - LOOK_BACK_SECS, now);
    if deadline(low)? > now {
        return Some(low - 1);
    }
    while low < high {
        let middle = low + (high - low + 1) / 2;
        if deadline(middle)? <= now {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    Some(low)
}

/// A customer's segment as the desk shows it: `bad` (tagged BAD: did not buy out), `vip`
/// (tagged VIP), otherwise `new` for at most one order and `regular` for more. Tags are
/// matched without regard to case; BAD wins over VIP.
pub fn segment<S: AsRef<str>>(tags: &[S], orders: i64) -> &'static str {
    let tagged = |name: &str| tags.iter().any(|t| t.as_ref().eq_ignore_ascii_case(name));
    if tagged("BAD") {
        "bad"
    } else if tagged("VIP") {
        "vip"
    } else if orders <= 1 {
        "new"
    } else {
        "regular"
    }
}

/// Why a message in the outbox has not gone out yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// `quiet_hours`, `retry`, `no_provider` or `queued`.
    pub reason: &'static str,
    /// When it is due (unix seconds), if it waits for a time.
    pub until: Option<i64>,
}

/// A message as far as [`waiting`] needs it.
#[derive(Debug, Clone, Copy)]
pub struct OutboxState<'a> {
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: &'a str,
    /// When it is due next (unix seconds).
    pub next_attempt_at: i64,
    /// Until when a sender holds it (`sending`).
    pub lease_until: Option<i64>,
    /// The last attempt that counted (not `late`) since the message was last queued:
    /// its provider (`none` when the channel has no provider configured) and outcome.
    pub last_attempt: Option<(&'a str, &'a str)>,
}

/// Why the message waits, or `None` when it does not (sent, failed, or being sent now):
/// - `no_provider`: the last attempt found its channel without a configured provider (the
///   channel answers as provider `none`); it goes once one is set;
/// - `retry`: the provider did not take it; the next attempt is at `until`;
/// - `quiet_hours`: never tried and due later — only customer SMS held by quiet hours
///   (C11) are queued for a later time;
/// - `queued`: due now (or an older message to the same recipient goes first, or a sender
///   stopped halfway): the next tick sends it.
pub fn waiting(message: &OutboxState<'_>, now: i64) -> Option<Waiting> {
    let later = (message.next_attempt_at > now).then_some(message.next_attempt_at);
    match message.status {
        "pending" => Some(match message.last_attempt {
            Some(("none", _)) => Waiting {
                reason: "no_provider",
                until: None,
            },
            Some(_) if later.is_some() => Waiting {
                reason: "retry",
                until: later,
            },
            None if later.is_some() => Waiting {
                reason: "quiet_hours",
                until: later,
            },
            _ => Waiting {
                reason: "queued",
                until: None,
            },
        }),
        "sending" if message.lease_until.is_none_or(|lease| lease <= now) => Some(Waiting {
            reason: "queued",
            until: None,
        }),
        _ => None,
    }
}

/// The trigger behind a history entry or a message: history actors are `trigger:<id>`;
/// message keys are `<cause>:<order>:<trigger>:<action>` (see the shell's automation).
pub fn trigger_of_actor(actor: &str) -> Option<&str> {
    actor.strip_prefix("trigger:").filter(|id| !id.is_empty())
}

/// A page cursor for a list ordered newest first by `(created_at, id)`: the last row's keys,
/// hex-encoded so it is safe in any URL.
pub fn encode_cursor(created_at: &str, id: &str) -> String {
    format!("{created_at}\n{id}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads back what [`encode_cursor`] made; `None` for anything else.
pub fn decode_cursor(cursor: &str) -> Option<(String, String)> {
    if !cursor.len().is_multiple_of(2) || cursor.len() > 600 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(cursor.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let (created_at, id) = text.split_once('\n')?;
    (!created_at.is_empty() && !id.is_empty()).then(|| (created_at.to_owned(), id.to_owned()))
}
