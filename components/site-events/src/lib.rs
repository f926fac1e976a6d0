//! `POST /webhooks/site`: events about customers from the shop's site (docs/site-events.md),
//! and `/unsubscribe/<token>`: the link every marketing email carries.
//!
//! Verify (Standard Webhooks, `site_webhook_secret`) → parse (`orderpath_core::marketing::site`)
//! → in one transaction: claim the `webhook-id`, apply the event and run the customer's
//! triggers (`orderpath_shell::marketing::site`) → answer → send what was queued.

mod unsubscribe;

use orderpath_core::marketing::site::parse_site_event;
use orderpath_shell::clock::Timestamp;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, Answer, ApiError};
use orderpath_shell::inbound::{self, Handled, Notification};
use orderpath_shell::plans::automation::{self, Run};
use orderpath_shell::{config, marketing};
use serde_json::json;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

/// The `source` of these events in `inbound_events`.
const SOURCE: &str = "site";

#[http_component]
fn handle_site(request: IncomingRequest, out: ResponseOutparam) {
    let path = request.path_with_query().unwrap_or_default();
    if path.starts_with(marketing::unsubscribe::PATH) {
        inbound::finish(out, unsubscribe::handle(request));
    } else {
        inbound::finish(out, process(request));
    }
}

fn process(request: IncomingRequest) -> Result<Handled, ApiError> {
    let inbound = http::read_json_post(request)?;
    let now = Timestamp::now();
    let event_id = inbound::verify_signed(&inbound, "site_webhook_secret", "a site event", now)?;
    let event = parse_site_event(&inbound.body).map_err(inbound::refused_event)?;
    let db = Db::open(config::synchronous()?)?;
    let notification = Notification {
        source: SOURCE,
        key: event_id,
        content: &inbound.body,
        now,
        exact_key: true,
    };
    if let Some(handled) = inbound::seen_before(&db, &notification, None)? {
        return Ok(handled);
    }
    let automation = automation::load_config()?;
    let cause = format!("{SOURCE}:{event_id}");
    inbound::once(db, &notification, None, |db| {
        let run = Run {
            db,
            config: &automation,
            now,
            cause: &cause,
        };
        let applied = marketing::site::apply(&run, &event)?;
        let answer = Answer::json(
            200,
            &json!({
                "received": true,
                "type": event.type_name(),
                "customer_id": applied.customer_id,
                "segment": applied.segment,
            }),
        );
        Ok((answer, applied.messages))
    })
}
