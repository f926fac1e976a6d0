//! `POST /webhooks/orders`: order events from the shop's site or CRM.
//!
//! Verify (Standard Webhooks) → parse into a domain event → in one transaction: claim the
//! event id, let the core decide, store the effects, the outbox messages and the answer →
//! answer → send the queued email. The answer goes out before the email API is called, so a
//! slow provider never makes the shop's webhook time out; an unsent email stays in the outbox.

mod apply;
mod reports;

use orderpath_core::event::{parse_order_event, EventError};
use orderpath_shell::clock::Timestamp;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, Answer, ApiError};
use orderpath_shell::idempotency::{self, Claim};
use orderpath_shell::signature::{self, SignedHeaders};
use orderpath_shell::{automation, config, outbox};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

/// The `source` of these events in `inbound_events`.
const SOURCE: &str = "orders";

#[http_component]
fn handle_order_event(request: IncomingRequest, out: ResponseOutparam) {
    match process(request) {
        Ok((answer, follow_up)) => {
            http::respond(out, &answer);
            if let Some(follow_up) = follow_up {
                follow_up.send_queued();
            }
        }
        Err(error) => http::respond(out, &error.to_answer()),
    }
}

/// Work left after answering: the messages this event queued.
struct FollowUp {
    db: Db,
    messages: Vec<i64>,
}

impl FollowUp {
    fn send_queued(self) {
        outbox::send_queued(&self.db, &self.messages);
    }
}

fn process(request: IncomingRequest) -> Result<(Answer, Option<FollowUp>), ApiError> {
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
    let event = parse_order_event(&inbound.body).map_err(|error| match error {
        EventError::Malformed(reason) => ApiError::new(400, "malformed_json", reason),
        EventError::Invalid { field, message } => {
            ApiError::new(422, "invalid_event", format!("{field}: {message}"))
        }
    })?;
    let db = Db::open(config::synchronous()?)?;
    let digest = idempotency::body_digest(&inbound.body);
    // A redelivery is answered from what is stored, before the configuration is loaded.
    if let Some(claim) = idempotency::seen(&db, SOURCE, event_id, &digest)? {
        return Ok((answer_seen(event_id, claim)?, None));
    }
    let automation = automation::load_config()?;
    let context = apply::Context {
        event_id,
        now,
        config: &automation,
        cause: format!("{SOURCE}:{event_id}"),
    };

    let applied = db.transaction(|db| -> Result<apply::Applied, ApiError> {
        match idempotency::claim(db, SOURCE, event_id, &digest, now)? {
            Claim::New => {}
            claim => {
                return Ok(apply::Applied {
                    answer: answer_seen(event_id, claim)?,
                    messages: Vec::new(),
                })
            }
        }
        let applied = apply::apply(db, &event, &context)?;
        idempotency::record_answer(
            db,
            SOURCE,
            event_id,
            applied.answer.status,
            &applied.answer.body,
        )?;
        Ok(applied)
    })?;
    let follow_up = (!applied.messages.is_empty()).then(|| FollowUp {
        db,
        messages: applied.messages,
    });
    Ok((applied.answer, follow_up))
}

/// The answer to an event seen before: the stored answer again, or 409 when its `webhook-id`
/// came with another body.
fn answer_seen(event_id: &str, claim: Claim) -> Result<Answer, ApiError> {
    match claim {
        Claim::Replay { status, body } => Ok(Answer {
            status,
            body,
            headers: vec![("idempotent-replayed".into(), "true".into())],
        }),
        Claim::Reused => Err(ApiError::new(
            409,
            "idempotency_key_reused",
            format!("webhook-id {event_id} was already used for a different body"),
        )),
        Claim::New => Err(ApiError::new(
            500,
            "internal_error",
            "an event claimed as new has no stored answer",
        )),
    }
}
