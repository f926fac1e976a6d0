//! Bearer tokens for our own endpoints (the scheduler tick, the staff API).
//!
//! The token is a secret Spin variable. It is accepted in `Authorization: Bearer <token>` or,
//! for schedulers that can only call a URL (Akamai crons), in a `token` query parameter.
//! Comparison is in constant time; an empty configured token refuses everything, so a
//! forgotten variable never opens the endpoint.

use subtle::ConstantTimeEq;

use crate::config::Secret;
use crate::http::{ApiError, Inbound};

/// Checks the request's token against `expected`.
pub fn require_token(inbound: &Inbound, expected: &Secret) -> Result<(), ApiError> {
    let given = inbound
        .header("authorization")
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .or_else(|| inbound.param("token"))
        .map(str::trim);
    let expected = expected.expose().as_bytes();
    let ok = match given {
        Some(given) if !expected.is_empty() => bool::from(given.as_bytes().ct_eq(expected)),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let mut error = ApiError::new(
        401,
        "unauthorized",
        "a valid bearer token is required (Authorization: Bearer <token>)",
    );
    error
        .headers
        .push(("www-authenticate".into(), "Bearer".into()));
    Err(error)
}
