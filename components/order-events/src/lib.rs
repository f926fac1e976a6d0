//! `POST /webhooks/orders`: order events from the shop's site or CRM.
//!
//! Verify (Standard Webhooks) → parse into a domain event → in one transaction: claim the
//! event id, let the core decide and store the effects, the outbox messages and the answer
//! (`orderpath_shell::inbound::crm`) → answer → send the queued email. The answer goes out before the
//! email API is called, so a slow provider never makes the shop's webhook time out; an unsent
//! email stays in the outbox.

use orderpath_core::event::parse_order_event;
use orderpath_shell::clock::Timestamp;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, ApiError};
use orderpath_shell::inbound::signature::{self, SignedHeaders};
use orderpath_shell::inbound::{self, Handled, Notification};
use orderpath_shell::{config, inbound::crm, plans::automation};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

/// The `source` of these events in `inbound_events`.
const SOURCE: &str = "orders";

#[http_component]
fn handle_order_event(request: IncomingRequest, out: ResponseOutparam) {
    inbound::finish(out, process(request));
}

fn process(request: IncomingRequest) -> Result<Handled, ApiError> {
    let inbound = http::read_json_post(request)?;
    let secret = config::webhook_secret("webhook_secret")?;
    let now = Timestamp::now();
    let headers = SignedHeaders {
        id: inbound.header("webhook-id"),
        timestamp: inbound.header("webhook-timestamp"),
        signature: inbound.header("webhook-signature"),
    };
    let event_id = signature::verify(&secret, headers, &inbound.body, now.unix())
        .map_err(|e| ApiError::new(401, "invalid_signature", e.to_string()))?;
    let event = parse_order_event(&inbound.body).map_err(inbound::refused_event)?;
    let db = Db::open(config::synchronous()?)?;
    // A `webhook-id` names exactly one body: another body under it is refused (409), the
    // same one is answered as the first time (`idempotent-replayed: true`).
    let notification = Notification {
        source: SOURCE,
        key: event_id,
        content: &inbound.body,
        now,
        exact_key: true,
    };
    // A redelivery is answered from what is stored, before the configuration is loaded.
    if let Some(handled) = inbound::seen_before(&db, &notification, None)? {
        return Ok(handled);
    }
    let automation = automation::load_config()?;
    let context = crm::Context {
        event_id,
        now,
        config: &automation,
        cause: format!("{SOURCE}:{event_id}"),
        actor: crm::WEBHOOK_ACTOR,
    };
    // An error rolls the whole transaction back, the claim included, so the retry is new.
    inbound::once(db, &notification, None, |db| {
        let applied = crm::apply(db, &event, &context)?;
        Ok((applied.answer, applied.messages))
    })
}
