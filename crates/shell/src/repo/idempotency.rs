//! Idempotent receipt of webhook events.
//!
//! Each event is claimed by inserting `(source, event_id)` into `inbound_events` inside the
//! same transaction as its effects, and its answer is stored there before commit. A repeated
//! event finds the row and gets the stored answer back; nothing else happens. Two copies
//! arriving at once serialise on the write lock (`BEGIN IMMEDIATE`); on a backend without it
//! the primary key still lets only one insert win, and the loser's transaction rolls back.
//! The body's digest is stored too, so a sender that reuses an id for a different event is told
//! so instead of silently getting the old answer.

use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::db::{get_int, get_text, int, req_text, text, Db, DbError};

/// The result of claiming an event id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First time: process it.
    New,
    /// Seen before with the same body: answer this again.
    Replay {
        /// The stored status code.
        status: u16,
        /// The stored body.
        body: String,
    },
    /// Seen before with a different body.
    Reused,
}

/// Hex SHA-256 of a request body.
pub fn body_digest(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// Claims `(source, event_id)` for this transaction.
pub fn claim(
    db: &Db,
    source: &str,
    event_id: &str,
    digest: &str,
    now: Timestamp,
) -> Result<Claim, DbError> {
    let inserted = db.row(
        "INSERT INTO inbound_events (source, event_id, body_sha256, received_at)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (source, event_id) DO NOTHING
         RETURNING event_id",
        &[
            text(source),
            text(event_id),
            text(digest),
            text(now.to_rfc3339()),
        ],
    )?;
    if inserted.is_some() {
        return Ok(Claim::New);
    }
    seen(db, source, event_id, digest)?
        .ok_or(DbError::Shape("inbound event vanished while claiming it"))
}

/// What became of `event_id` if it was seen before, without claiming it: a read that needs no
/// write lock, so a redelivery is answered before any work its answer does not need. `None`
/// when it is new; [`claim`] still decides, inside the transaction, when two copies race.
pub fn seen(db: &Db, source: &str, event_id: &str, digest: &str) -> Result<Option<Claim>, DbError> {
    let Some(row) = db.row(
        "SELECT body_sha256, status, response FROM inbound_events
         WHERE source = ? AND event_id = ?",
        &[text(source), text(event_id)],
    )?
    else {
        return Ok(None);
    };
    if req_text(&row, 0)? != digest {
        return Ok(Some(Claim::Reused));
    }
    let status = get_int(&row, 1)?.unwrap_or(200);
    Ok(Some(Claim::Replay {
        status: u16::try_from(status).unwrap_or(200),
        body: get_text(&row, 2)?.unwrap_or_default(),
    }))
}

/// The answer stored for an event already claimed (200 and an empty body if none was).
pub fn stored_answer(db: &Db, source: &str, event_id: &str) -> Result<(u16, String), DbError> {
    let row = db.row(
        "SELECT status, response FROM inbound_events WHERE source = ? AND event_id = ?",
        &[text(source), text(event_id)],
    )?;
    let Some(row) = row else {
        return Ok((200, String::new()));
    };
    let status = get_int(&row, 0)?.unwrap_or(200);
    Ok((
        u16::try_from(status).unwrap_or(200),
        get_text(&row, 1)?.unwrap_or_default(),
    ))
}

/// Stores the answer given to a claimed event.
pub fn record_answer(
    db: &Db,
    source: &str,
    event_id: &str,
    status: u16,
    body: &str,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE inbound_events SET status = ?, response = ? WHERE source = ? AND event_id = ?",
        &[
            int(i64::from(status)),
            text(body),
            text(source),
            text(event_id),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_lower_hex_sha256() {
        assert_eq!(
            body_digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
