//! PBXes' call events, read in their own formats into [`CallEvent`]s, and the call they add up
//! to ([`CallState::apply`]): Mango's per-leg events and final summary, Zadarma's start/answer/
//! end notifications and our generic JSON all become one call with one outcome, however many
//! events arrive, repeated or out of order. Nothing here touches storage.

pub mod generic;
pub mod mango;
pub mod state;
pub mod zadarma;

mod fields;
mod sha1;
#[cfg(test)]
mod tests;

pub use crate::acquirer::NoticeError;
pub use state::CallState;

/// Who called whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// A customer called the shop.
    Inbound,
    /// The shop called a customer.
    Outbound,
    /// Between the shop's own extensions: not a customer call.
    Internal,
}

impl Direction {
    /// Every direction, in documentation order.
    pub const ALL: [Direction; 3] = [Direction::Inbound, Direction::Outbound, Direction::Internal];

    /// `inbound`, `outbound` or `internal`, as in the generic format and the call log.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Internal => "internal",
        }
    }

    /// The direction named `name`.
    pub fn parse(name: &str) -> Option<Direction> {
        Direction::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

/// How a finished call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Someone talked.
    Answered,
    /// Nobody picked up (no answer, the caller hung up waiting, all operators busy).
    Missed,
    /// The other side was busy.
    Busy,
    /// The call could not be made (bad number, no money, network).
    Failed,
}

impl Outcome {
    /// Every outcome, in documentation order.
    pub const ALL: [Outcome; 4] = [
        Outcome::Answered,
        Outcome::Missed,
        Outcome::Busy,
        Outcome::Failed,
    ];

    /// `answered`, `missed`, `busy` or `failed`, as in the generic format and the call log.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Missed => "missed",
            Outcome::Busy => "busy",
            Outcome::Failed => "failed",
        }
    }

    /// The outcome named `name`.
    pub fn parse(name: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

/// What one event says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The call appeared (ringing).
    Started,
    /// Somebody answered.
    Answered,
    /// A leg or the call ended; the call may still have more legs.
    LegEnded,
    /// The whole call is over: its outcome is final (Mango `summary`, Zadarma `NOTIFY_END` /
    /// `NOTIFY_OUT_END`, generic `call.ended`).
    Finished,
}

/// One authentic PBX event, in our terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    /// The idempotency key of this event (Mango `entry_id`+`call_id`+`seq` or `summary`,
    /// Zadarma `pbx_call_id`+`event`, generic `webhook-id`).
    pub key: String,
    /// The call it belongs to, stable across its events (Mango `entry_id`, Zadarma
    /// `pbx_call_id`, generic `call_id`).
    pub call_id: String,
    /// The PBX's own name of the event (`events/call:Connected`, `NOTIFY_END`), for the log.
    pub what: String,
    /// What happened.
    pub stage: Stage,
    /// Ordering within the call when the PBX gives one (Mango `seq`).
    pub seq: Option<i64>,
    /// Direction, when this event tells it.
    pub direction: Option<Direction>,
    /// The customer's number (the caller of an inbound call, the callee of an outbound one),
    /// digits as sent (normalised later), when this event tells it.
    pub customer_number: Option<String>,
    /// The shop's line the call came in on or went out from (`line_number`, `called_did`).
    pub line: Option<String>,
    /// The operator's extension, when one is involved.
    pub operator: Option<String>,
    /// When it happened, unix seconds (the event's own time; for `Finished`: the end).
    pub at: Option<i64>,
    /// When the call started, unix seconds, when this event tells it.
    pub started_at: Option<i64>,
    /// When it was answered, when this event tells it.
    pub answered_at: Option<i64>,
    /// Talk time in seconds, when this event tells it.
    pub duration: Option<i64>,
    /// The outcome, on `Finished` (and on a `LegEnded` that says how the leg ended).
    pub outcome: Option<Outcome>,
}

/// What a PBX request asks of us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PbxRequest {
    /// A call event.
    Event(CallEvent),
    /// Zadarma's URL check: answer exactly this text.
    Echo(String),
    /// Authentic but nothing we use (Mango `dtmf`, Zadarma `NOTIFY_RECORD`): acknowledged.
    Ignored {
        /// The idempotency key.
        key: String,
        /// What it was.
        what: String,
    },
}
