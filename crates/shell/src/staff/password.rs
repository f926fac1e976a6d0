//! Staff passwords: Argon2id PHC strings at rest, never the password itself.
//!
//! Parameters are the argon2 crate's defaults (OWASP's minimum: 19 MiB, 2 passes), stored in
//! each hash, so raising them later keeps old hashes verifiable. Verification runs even for an
//! unknown staff id (against a fixed hash), so the answer's timing does not tell which ids exist.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// The shortest password accepted.
pub const MIN_LEN: usize = 10;
/// The longest password accepted (bytes): hashing cost must not be the caller's to choose.
pub const MAX_LEN: usize = 256;

/// Why a new password is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WeakPassword {
    /// Shorter than [`MIN_LEN`] characters.
    #[error("a password has at least {MIN_LEN} characters")]
    TooShort,
    /// Longer than [`MAX_LEN`] bytes.
    #[error("a password has at most {MAX_LEN} bytes")]
    TooLong,
}

/// Checks a new password's length.
pub fn acceptable(password: &str) -> Result<(), WeakPassword> {
    if password.chars().count() < MIN_LEN {
        Err(WeakPassword::TooShort)
    } else if password.len() > MAX_LEN {
        Err(WeakPassword::TooLong)
    } else {
        Ok(())
    }
}

/// Hashes a password with a fresh 16-byte salt.
pub fn hash(password: &str, salt: &[u8; 16]) -> String {
    let salt = SaltString::encode_b64(salt).expect("16 bytes is a valid salt length");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("default Argon2 parameters accept any password up to MAX_LEN")
        .to_string()
}

/// Whether `password` matches the stored PHC string; a malformed one matches nothing. The
/// hash comparison inside is constant-time.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash no password matches in practice, verified when the staff id is unknown.
pub const DECOY: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$b3JkZXJwYXRoLWRlY295$wNZ0gD0M3xVq0wq2b1oQkI6n5Z6QqkY6m7z3l2Yb0lA";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_another_does_not() {
        let stored = hash("correct horse battery", &[7; 16]);
        assert!(stored.starts_with("$argon2id$"));
        assert!(!stored.contains("correct horse"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse battery!", &stored));
    }

    #[test]
    fn the_same_password_with_another_salt_hashes_differently() {
        assert_ne!(hash("0123456789", &[1; 16]), hash("0123456789", &[2; 16]));
    }

    #[test]
    fn the_decoy_parses_and_matches_nothing() {
        assert!(PasswordHash::new(DECOY).is_ok());
        assert!(!verify("", DECOY));
        assert!(!verify("password123", DECOY));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert_eq!(acceptable("short"), Err(WeakPassword::TooShort));
        assert_eq!(acceptable(&"x".repeat(300)), Err(WeakPassword::TooLong));
        assert_eq!(acceptable("ten chars!"), Ok(()));
    }
}
