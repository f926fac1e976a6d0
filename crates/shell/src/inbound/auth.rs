//! Bearer tokens for our own endpoints (the scheduler tick, the staff API).
//!
//! The token is a secret Spin variable, accepted in `Authorization: Bearer <token>`. Only the
//! scheduler tick also takes it in a `token` query parameter, for schedulers that can only call
//! a URL (Akamai crons): a query ends up in access logs and browser history, so the staff API
//! never reads one. Comparison is in constant time; an empty configured token refuses
//! everything, so a forgotten variable never opens the endpoint.

use subtle::ConstantTimeEq;

use crate::config::Secret;
use crate::http::{ApiError, Inbound};

/// Where a token may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenIn {
    /// `Authorization: Bearer <token>` only.
    Header,
    /// The header, or a `token` query parameter (the scheduler tick only).
    HeaderOrQuery,
}

/// Checks the request's token against `expected`.
pub fn require_token(inbound: &Inbound, expected: &Secret, from: TokenIn) -> Result<(), ApiError> {
    let bearer = inbound.header("authorization").and_then(|h| {
        h.strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
    });
    let given = match from {
        TokenIn::Header => bearer,
        TokenIn::HeaderOrQuery => bearer.or_else(|| inbound.param("token")),
    }
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
