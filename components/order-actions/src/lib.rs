//! `POST /api/orders/:id/status` and `POST /api/orders/:id/flags`: an operator's changes to
//! an order from the desk or the shop's tools (docs/staff-api.md). The rest of `/api/` is
//! `staff-api`'s; these two run the shop's triggers, so they live apart with the engine.

mod actions;

use orderpath_shell::clock::Timestamp;
use orderpath_shell::config;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, ApiError, Inbound};
use orderpath_shell::inbound::{self, Handled};
use orderpath_shell::plans::automation;
use orderpath_shell::staff::{self, Call};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle_order_action(request: IncomingRequest, out: ResponseOutparam) {
    inbound::finish(out, route(request));
}

fn route(request: IncomingRequest) -> Result<Handled, ApiError> {
    let inbound = http::read_request(request)?;
    let db = Db::open(config::synchronous()?)?;
    let config = automation::load_config()?;
    let now = Timestamp::now();
    let caller = staff::authenticate(&db, &inbound, &config.shop, now)?;
    inbound.require_method("POST")?;
    let rest = inbound.path.trim_start_matches("/api/orders/");
    let Some((id, action)) = rest.rsplit_once('/') else {
        return Err(not_found(&inbound));
    };
    let id = id.to_owned();
    let call = Call {
        inbound: &inbound,
        caller: &caller,
        db,
        config: &config,
        now,
    };
    match action {
        "status" => actions::move_status(call, &id),
        "flags" => actions::flag(call, &id),
        _ => Err(not_found(&inbound)),
    }
}

fn not_found(inbound: &Inbound) -> ApiError {
    ApiError::new(404, "not_found", format!("no endpoint at {}", inbound.path))
}
