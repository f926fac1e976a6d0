//! `GET /api/customers`, `GET /api/customers/{id}`: customer search and card (not built yet).

use orderpath_shell::http::{Answer, ApiError, Inbound};

pub fn search(inbound: &Inbound) -> Result<Answer, ApiError> {
    Err(ApiError::new(
        404,
        "not_found",
        format!("no endpoint at {}", inbound.path),
    ))
}

pub fn card(inbound: &Inbound, _id: &str) -> Result<Answer, ApiError> {
    Err(ApiError::new(
        404,
        "not_found",
        format!("no endpoint at {}", inbound.path),
    ))
}
