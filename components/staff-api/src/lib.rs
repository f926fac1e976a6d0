//! `/api/...`: the JSON API for shop staff, the desk and the shop's tools (docs/staff-api.md).
//!
//! An operator's status moves and flags are `order-actions`' routes (`/api/orders/:id/status`,
//! `/flags`): they run the shop's triggers, and the engine stays out of this component.
//!
//! Every route but signing in needs a caller: a staff session (cookie) or the admin token
//! (`orderpath_shell::staff`). Changes are recorded with that person as the actor.

mod analytics;
mod bonuses;
mod calls;
mod customers;
mod orders;
mod presence;
mod work;

use orderpath_shell::clock::Timestamp;
use orderpath_shell::config;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, Answer, ApiError};
use orderpath_shell::inbound::{self, Handled};
use orderpath_shell::plans::automation;
use orderpath_shell::staff::{self, Call};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle_api(request: IncomingRequest, out: ResponseOutparam) {
    inbound::finish(out, route(request));
}

fn route(request: IncomingRequest) -> Result<Handled, ApiError> {
    let inbound = http::read_request(request)?;
    let path = inbound
        .path
        .trim_start_matches("/api/")
        .trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    let db = Db::open(config::synchronous()?)?;
    let config = automation::load_config()?;
    let now = Timestamp::now();
    if segments == ["session"] {
        let answer = match inbound.method.as_str() {
            "POST" => staff::sign_in(&db, &inbound, &config.shop, now),
            "DELETE" => staff::sign_out(&db, &inbound),
            _ => Err(ApiError::method_not_allowed("POST, DELETE")),
        };
        return answer.map(Handled::answered);
    }
    let caller = staff::authenticate(&db, &inbound, &config.shop, now)?;
    let call = Call {
        inbound: &inbound,
        caller: &caller,
        db,
        config: &config,
        now,
    };
    let method = inbound.method.as_str();
    match (method, segments.as_slice()) {
        ("GET", ["me"]) => Ok(work::me(&call)),
        ("PUT", ["staff", id, "password"]) => {
            staff::change_password(&call.db, &inbound, &caller, id, &config.shop, now)
        }
        ("GET", ["staff", id, "presence"]) => presence::get(&call, id),
        ("PUT", ["staff", id, "presence"]) => presence::put(&call, id),
        ("DELETE", ["staff", id, "presence"]) => presence::delete(&call, id),
        ("GET", ["tasks"]) => work::list_tasks(&call),
        ("POST", ["tasks", id, "done"]) => work::complete_task(&call, id),
        ("GET", ["messages"]) => work::list_messages(&call),
        ("POST", ["messages", id, "resend"]) => return work::resend_message(call, id),
        ("GET", ["calls"]) => calls::list(&call),
        ("GET", ["bonuses"]) => bonuses::ledger(&call, false),
        ("GET", ["bonuses.csv"]) => bonuses::ledger(&call, true),
        ("GET", ["reports", "calls"]) => {
            caller.require_supervisor()?;
            analytics::calls_report(&inbound, 1)
        }
        ("GET", ["orders"]) => orders::list(&inbound),
        ("GET", ["orders", id]) => orders::card(&inbound, id),
        ("GET", ["customers"]) => customers::search(&inbound),
        ("GET", ["customers", id]) => customers::card(&inbound, id),
        ("GET", ["analytics", name]) => {
            caller.require_supervisor()?;
            analytics::report(&inbound, name)
        }
        (_, route) => Err(match allowed_methods(route) {
            Some(allowed) => ApiError::method_not_allowed(allowed),
            None => ApiError::new(404, "not_found", format!("no endpoint at {}", inbound.path)),
        }),
    }
    .map(Handled::answered)
}

/// The methods a known route takes, for the 405's `Allow`.
fn allowed_methods(route: &[&str]) -> Option<&'static str> {
    Some(match route {
        ["me" | "tasks" | "messages" | "calls" | "orders" | "customers"] => "GET",
        ["bonuses" | "bonuses.csv"] => "GET",
        ["reports", "calls"] | ["orders", _] | ["customers", _] | ["analytics", _] => "GET",
        ["staff", _, "password"] => "PUT",
        ["staff", _, "presence"] => "GET, PUT, DELETE",
        ["tasks", _, "done"] | ["messages", _, "resend"] => "POST",
        _ => return None,
    })
}

/// 400 `invalid_query` naming the parameter.
pub fn bad_param(name: &str, message: &str) -> ApiError {
    ApiError::new(400, "invalid_query", format!("{name}: {message}"))
}
