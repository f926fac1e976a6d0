//! The private `sender`: the only HTTP component with the message providers' code, hosts and
//! secrets. Reached only by service chaining (`http://sender.spin.internal/...`, its route is
//! private); see `orderpath_shell::outbound::sender`.
//!
//! - `POST /queued` `{"holder": "...", "messages": [ids]}`: a webhook, right after answering,
//!   hands over the messages it queued; they are sent under the claim they were born with.
//! - `POST /due` (cron token): the scheduler tick's retries; answers their summary.

use orderpath_shell::http::{self, Answer, ApiError};
use orderpath_shell::{config, inbound::auth, outbound::sender};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle_send(request: IncomingRequest, out: ResponseOutparam) {
    let answer = handle(request).unwrap_or_else(|error| error.to_answer());
    http::respond(out, &answer);
}

fn handle(request: IncomingRequest) -> Result<Answer, ApiError> {
    let inbound = http::read_request(request)?;
    inbound.require_method("POST")?;
    // The path after the route: all of it for the private route (`/...`), the rest after
    // `/cron/messages` where a host without service chaining makes the route public.
    match inbound.path_info() {
        ("queued", "") => sender::serve_queued(&inbound),
        ("due", "") => {
            let token = config::secret("cron_token")?;
            auth::require_token(&inbound, &token, auth::TokenIn::Header)?;
            sender::serve_due(&inbound)
        }
        _ => Err(ApiError::new(404, "not_found", "use /queued or /due")),
    }
}
