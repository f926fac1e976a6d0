//! Staff credentials and sign-in sessions in SQLite.
//!
//! A session token is 32 random bytes given to the browser once, in the cookie; the database
//! keeps only its SHA-256, so a copy of the database signs nobody in. Sessions end at a fixed
//! time (no write per request to slide it). Failed sign-ins count per staff id: after
//! [`MAX_FAILURES`] in a row the id is locked for [`LOCK_SECS`], whatever the password.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::db::{get_text, int, req_int, req_text, text, Db, DbError};

/// How long a session lasts: a long shift.
pub const SESSION_SECS: i64 = 12 * 3600;
/// Failed sign-ins in a row before the id is locked.
pub const MAX_FAILURES: i64 = 5;
/// How long a lock lasts.
pub const LOCK_SECS: i64 = 15 * 60;

/// A staff member's stored credential.
pub struct Credential {
    /// The PHC string.
    pub hash: String,
    /// Until when sign-ins are refused, if locked.
    pub locked_until: Option<Timestamp>,
}

/// The credential of `staff_id`, if one was set.
pub fn credential(db: &Db, staff_id: &str) -> Result<Option<Credential>, DbError> {
    let row = db.row(
        "SELECT password_hash, locked_until FROM staff_credentials WHERE staff_id = ?",
        &[text(staff_id)],
    )?;
    row.map(|row| {
        Ok(Credential {
            hash: req_text(&row, 0)?,
            locked_until: get_text(&row, 1)?.and_then(|t| Timestamp::parse_rfc3339(&t)),
        })
    })
    .transpose()
}

/// Sets (or replaces) a password hash; every session of that person ends.
pub fn set_password(db: &Db, staff_id: &str, hash: &str, now: Timestamp) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO staff_credentials (staff_id, password_hash, updated_at)
         VALUES (?1, ?2, ?3)
         ON CONFLICT (staff_id) DO UPDATE SET password_hash = ?2, updated_at = ?3,
             failed_attempts = 0, locked_until = NULL",
        &[text(staff_id), text(hash), text(now.to_rfc3339())],
    )?;
    db.execute(
        "DELETE FROM staff_sessions WHERE staff_id = ?",
        &[text(staff_id)],
    )?;
    Ok(())
}

/// Counts a failed sign-in; locks the id after [`MAX_FAILURES`] in a row.
pub fn record_failure(db: &Db, staff_id: &str, now: Timestamp) -> Result<(), DbError> {
    db.execute(
        "UPDATE staff_credentials
         SET failed_attempts = failed_attempts + 1,
             locked_until = CASE WHEN failed_attempts + 1 >= ?2 THEN ?3 ELSE locked_until END
         WHERE staff_id = ?1",
        &[
            text(staff_id),
            int(MAX_FAILURES),
            text(now.plus_secs(LOCK_SECS).to_rfc3339()),
        ],
    )?;
    Ok(())
}

/// Starts a session for `staff_id` with a fresh token; returns the token (for the cookie)
/// and when it expires. Clears the failure count and sessions that have expired.
pub fn start(
    db: &Db,
    staff_id: &str,
    token: &[u8; 32],
    now: Timestamp,
) -> Result<(String, Timestamp), DbError> {
    let cookie = URL_SAFE_NO_PAD.encode(token);
    let expires = now.plus_secs(SESSION_SECS);
    db.execute(
        "DELETE FROM staff_sessions WHERE expires_at <= ?",
        &[text(now.to_rfc3339())],
    )?;
    db.execute(
        "UPDATE staff_credentials SET failed_attempts = 0, locked_until = NULL WHERE staff_id = ?",
        &[text(staff_id)],
    )?;
    db.execute(
        "INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at)
         VALUES (?, ?, ?, ?)",
        &[
            text(digest(&cookie)),
            text(staff_id),
            text(now.to_rfc3339()),
            text(expires.to_rfc3339()),
        ],
    )?;
    Ok((cookie, expires))
}

/// The staff id and expiry of a live session with this cookie value.
pub fn find(db: &Db, cookie: &str, now: Timestamp) -> Result<Option<(String, Timestamp)>, DbError> {
    if cookie.is_empty() || cookie.len() > 64 {
        return Ok(None);
    }
    let row = db.row(
        "SELECT staff_id, expires_at FROM staff_sessions WHERE token_hash = ? AND expires_at > ?",
        &[text(digest(cookie)), text(now.to_rfc3339())],
    )?;
    row.map(|row| {
        let expires = Timestamp::parse_rfc3339(&req_text(&row, 1)?).unwrap_or(now);
        Ok((req_text(&row, 0)?, expires))
    })
    .transpose()
}

/// Ends the session with this cookie value (nothing if there is none).
pub fn end(db: &Db, cookie: &str) -> Result<(), DbError> {
    db.execute(
        "DELETE FROM staff_sessions WHERE token_hash = ?",
        &[text(digest(cookie))],
    )?;
    Ok(())
}

/// How many live sessions a person has (for tests and the desk).
pub fn live_count(db: &Db, staff_id: &str, now: Timestamp) -> Result<i64, DbError> {
    let row = db.row(
        "SELECT COUNT(*) FROM staff_sessions WHERE staff_id = ? AND expires_at > ?",
        &[text(staff_id), text(now.to_rfc3339())],
    )?;
    row.map_or(Ok(0), |row| req_int(&row, 0))
}

fn digest(cookie: &str) -> String {
    let hash = Sha256::digest(cookie.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}
