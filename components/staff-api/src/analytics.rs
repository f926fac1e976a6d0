//! `GET /api/analytics/{name}`: the owner's questions as JSON (not built yet).

use orderpath_shell::http::{Answer, ApiError, Inbound};

pub fn report(inbound: &Inbound, _name: &str) -> Result<Answer, ApiError> {
    Err(ApiError::new(
        404,
        "not_found",
        format!("no endpoint at {}", inbound.path),
    ))
}
