//! `POST /cron/tick`: time-based work, called every minute by any HTTP scheduler (a
//! Kubernetes CronJob, Akamai crons, curl); see `orderpath_shell::plans::tick`. The Spin cron
//! trigger plugin runs the same work through the `cron-tick` component. Messages go out
//! through the private `sender` component, which alone holds the providers' secrets.

use orderpath_shell::clock::Timestamp;
use orderpath_shell::http::{self, Answer, ApiError};
use orderpath_shell::{config, inbound::auth, plans::tick};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle_tick(request: IncomingRequest, out: ResponseOutparam) {
    let answer = handle(request).unwrap_or_else(|error| error.to_answer());
    http::respond(out, &answer);
}

fn handle(request: IncomingRequest) -> Result<Answer, ApiError> {
    let inbound = http::read_request(request)?;
    inbound.require_method("POST")?;
    let cron_token = config::secret("cron_token")?;
    auth::require_token(&inbound, &cron_token, auth::TokenIn::HeaderOrQuery)?;
    let sending = tick::ThroughSender { cron_token };
    Ok(Answer::json(200, &tick::run(Timestamp::now(), &sending)?))
}
