//! Whether a reported delivery status moves a parcel on.
//!
//! Carriers repeat themselves and deliver late: CDEK may send a status twice, a polling job
//! re-posts what it saw, a retried webhook arrives after the next one. A report moves the
//! parcel only when it is news:
//!
//! 1. Nothing stored yet: it does.
//! 2. The same status again: it does not (a repeat sends no second message).
//! 3. A final status (`delivered`, `returned`, `lost`) is never left.
//! 4. When both reports say when they happened, the newer one wins, whatever the statuses:
//!    `problem` → `in-transit` is the carrier solving the problem. A report that happened at
//!    or before the stored one is late.
//! 5. Otherwise the statuses' [ranks](rank) decide: a report moves the parcel when it ranks
//!    higher, or ranks the same as another of `out-for-delivery`, `at-pickup-point` and
//!    `problem` (a courier who could not deliver leaves the parcel at a pickup point).
//!
//! A stored status we do not know (not one of [`DELIVERY_STATUSES`]) is moved on from; an
//! unknown reported status moves nothing.
//!
//! [`DELIVERY_STATUSES`]: crate::automation::event::DELIVERY_STATUSES

/// The statuses a parcel never leaves.
pub const FINAL: [&str; 3] = ["delivered", "returned", "lost"];

/// Statuses of the same rank that may follow one another without times.
const SIDE_BY_SIDE: [&str; 3] = ["out-for-delivery", "at-pickup-point", "problem"];

/// How far along a status is, for reports without times; `None` for an unknown status.
pub fn rank(status: &str) -> Option<u8> {
    Some(match status {
        "created" => 1,
        "accepted" => 2,
        "in-transit" => 3,
        "out-for-delivery" | "at-pickup-point" | "problem" => 4,
        "not-delivered" => 5,
        "returning" => 6,
        "returned" | "delivered" | "lost" => 7,
        _ => return None,
    })
}

/// Whether `status` is final.
pub fn is_final(status: &str) -> bool {
    FINAL.contains(&status)
}

/// Whether the reported `new` status (and when it happened, unix seconds, if known) moves a
/// parcel whose stored status is `current`.
pub fn moves_forward(current: Option<(&str, Option<i64>)>, new: (&str, Option<i64>)) -> bool {
    let (status, at) = new;
    let Some(new_rank) = rank(status) else {
        return false;
    };
    let Some((stored, stored_at)) = current else {
        return true;
    };
    if stored == status || is_final(stored) {
        return false;
    }
    let Some(stored_rank) = rank(stored) else {
        return true;
    };
    if let (Some(stored_at), Some(at)) = (stored_at, at) {
        return at > stored_at;
    }
    new_rank > stored_rank
        || (new_rank == stored_rank
            && SIDE_BY_SIDE.contains(&stored)
            && SIDE_BY_SIDE.contains(&status))
}
