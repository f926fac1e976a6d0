//! `GET /api/orders`, `GET /api/orders/{id}`: the order list and the order card (not built yet).

use orderpath_shell::http::{Answer, ApiError, Inbound};

pub fn list(inbound: &Inbound) -> Result<Answer, ApiError> {
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
