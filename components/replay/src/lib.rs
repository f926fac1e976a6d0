//! `/api/replay/...`: the dry run of an edited `triggers.toml` against the recorded trigger
//! evaluations, for supervisors (docs/replay.md, docs/staff-api.md). The rest of `/api/` is
//! `staff-api`'s; these routes check a triggers file and run the engine, so they live apart
//! with the configuration checker and the engine, as `order-actions` does, and the desk's
//! everyday API stays small. Nothing here writes to the database or sends anything.

mod dry_run;

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
fn handle_replay(request: IncomingRequest, out: ResponseOutparam) {
    inbound::finish(out, route(request));
}

fn route(request: IncomingRequest) -> Result<Handled, ApiError> {
    let inbound = http::read_request(request)?;
    let db = Db::open(config::synchronous()?)?;
    let config = automation::load_config()?;
    let now = Timestamp::now();
    let caller = staff::authenticate(&db, &inbound, &config.shop, now)?;
    let call = Call {
        inbound: &inbound,
        caller: &caller,
        db,
        config: &config,
        now,
    };
    let path = inbound.path.trim_end_matches('/');
    let answer = match (inbound.method.as_str(), path) {
        ("POST", "/api/replay") => dry_run::dry_run(&call),
        ("GET", "/api/replay/triggers") => dry_run::triggers(&call),
        ("GET", "/api/replay/evaluations") => dry_run::export(&call),
        (_, "/api/replay") => Err(ApiError::method_not_allowed("POST")),
        (_, "/api/replay/triggers" | "/api/replay/evaluations") => {
            Err(ApiError::method_not_allowed("GET"))
        }
        _ => Err(ApiError::new(
            404,
            "not_found",
            format!("no endpoint at {}", inbound.path),
        )),
    }?;
    Ok(Handled::answered(answer))
}

/// 400 `invalid_query` naming the parameter.
fn bad_param(name: &str, message: &str) -> ApiError {
    ApiError::new(400, "invalid_query", format!("{name}: {message}"))
}
