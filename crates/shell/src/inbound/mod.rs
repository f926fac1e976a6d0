//! What every provider webhook does around its own format: refuse it while its secret is not
//! configured, process each notification once, answer, then hand the messages it queued to
//! the `sender` component.

pub mod auth;
pub mod calls;
pub mod carrier_polls;
pub mod crm;
pub mod deliveries;
pub mod payments;
pub mod platform_polls;
pub mod shop;
pub mod signature;
pub mod stock;
use spin_sdk::http::ResponseOutparam;

use crate::clock::Timestamp;
use crate::config::{self, Secret};
use crate::db::Db;
use crate::http::{self, Answer, ApiError};
use crate::outbound::sender;
use crate::repo::idempotency::{self, Claim};

/// The answer, and the messages to send once it is out.
pub struct Handled {
    /// What the sender gets.
    pub answer: Answer,
    /// The database and the queued messages, when there are any.
    pub queued: Option<(Db, Vec<i64>)>,
}

impl Handled {
    /// An answer with nothing queued to send.
    pub fn answered(answer: Answer) -> Handled {
        Handled {
            answer,
            queued: None,
        }
    }
}

/// Answers, then hands what the request queued to the `sender` component (so a slow provider
/// never delays the ack, and only the sender holds the providers' secrets). Where the sender
/// cannot be reached, the messages stay claimed and the tick sends them when their born
/// lease runs out.
pub fn finish(out: ResponseOutparam, result: Result<Handled, ApiError>) {
    match result {
        Ok(handled) => {
            http::respond(out, &handled.answer);
            if let Some((db, messages)) = handled.queued {
                if let Err(error) = sender::hand_over(&db, &messages) {
                    eprintln!(
                        "{} queued message(s) wait for the tick: {error}",
                        messages.len()
                    );
                }
            }
        }
        Err(error) => http::respond(out, &error.to_answer()),
    }
}

/// A provider's secret; `503 provider_not_configured` while it is empty, so the sender
/// retries later instead of anything being accepted unsigned. The answer goes to whoever
/// calls, so it does not say which variable is missing: the log does.
pub fn required_secret(name: &'static str, what: &str) -> Result<Secret, ApiError> {
    let secret = config::secret(name)?;
    if secret.expose().is_empty() {
        eprintln!("refused {what}: the secret variable {name} is not set");
        let mut error = ApiError::new(
            503,
            "provider_not_configured",
            format!("{what} are not accepted here yet; retry later"),
        );
        error.headers.push(("retry-after".into(), "3600".into()));
        return Err(error);
    }
    Ok(secret)
}

/// One notification to process once.
pub struct Notification<'a> {
    /// `payments:stripe`, `delivery:cdek`, `stock`.
    pub source: &'a str,
    /// The sender's idempotency key.
    pub key: &'a str,
    /// The bytes that identify its content (body, or the query of a GET callback).
    pub content: &'a [u8],
    /// Now.
    pub now: Timestamp,
    /// The key names exactly these bytes (a Standard Webhooks `webhook-id`, which the sender
    /// keeps for retries of the same body): the key reused for another body is refused with
    /// 409, as on the order webhook. Providers' own keys are not exact: they re-serialise the
    /// same notification on retries.
    pub exact_key: bool,
}

/// Runs `work` once per `(source, key)`: in one transaction it claims the key, does the work
/// and stores the answer. A re-delivery (whatever its bytes: providers re-serialise) changes
/// nothing and gets `repeat`, or with `None` the answer the first delivery got (for questions
/// such as CloudPayments' `Check`, whose answer is a decision). `work` returns the answer and
/// the messages it queued.
pub fn once(
    db: Db,
    notification: &Notification<'_>,
    repeat: Option<Answer>,
    work: impl FnOnce(&Db) -> Result<(Answer, Vec<i64>), ApiError>,
) -> Result<Handled, ApiError> {
    let digest = idempotency::body_digest(notification.content);
    let (answer, messages) = db.transaction(|db| -> Result<(Answer, Vec<i64>), ApiError> {
        let claim = idempotency::claim(
            db,
            notification.source,
            notification.key,
            &digest,
            notification.now,
        )?;
        if let Some(answer) = answer_seen(db, notification, claim, repeat)? {
            return Ok((answer, Vec::new()));
        }
        let (answer, messages) = work(db)?;
        idempotency::record_answer(
            db,
            notification.source,
            notification.key,
            answer.status,
            &answer.body,
        )?;
        Ok((answer, messages))
    })?;
    let queued = (!messages.is_empty()).then_some((db, messages));
    Ok(Handled { answer, queued })
}

/// The answer to a notification seen before, read without claiming it (no write lock): a
/// component asks this before the work a redelivery's answer does not need (loading the
/// configuration). `None` when it is new; [`once`] still decides when two copies race.
pub fn seen_before(
    db: &Db,
    notification: &Notification<'_>,
    repeat: Option<Answer>,
) -> Result<Option<Handled>, ApiError> {
    let digest = idempotency::body_digest(notification.content);
    let Some(claim) = idempotency::seen(db, notification.source, notification.key, &digest)? else {
        return Ok(None);
    };
    Ok(
        answer_seen(db, notification, claim, repeat)?.map(|answer| Handled {
            answer,
            queued: None,
        }),
    )
}

/// What a notification already claimed is answered (`None` for a new one): 409 for a
/// Standard Webhooks key reused for another body, else `repeat` or the stored answer (with
/// `idempotent-replayed: true` for an exact key).
fn answer_seen(
    db: &Db,
    notification: &Notification<'_>,
    claim: Claim,
    repeat: Option<Answer>,
) -> Result<Option<Answer>, ApiError> {
    Ok(Some(match (claim, repeat) {
        (Claim::New, _) => return Ok(None),
        (Claim::Reused, _) if notification.exact_key => {
            return Err(ApiError::new(
                409,
                "idempotency_key_reused",
                format!(
                    "webhook-id {} was already used for a different body",
                    notification.key
                ),
            ))
        }
        (_, Some(repeat)) => repeat,
        // An exact key's retry gets the first answer, marked as replayed.
        (Claim::Replay { status, body }, None) if notification.exact_key => {
            Answer::json_text(status, body).with_header("idempotent-replayed", "true")
        }
        (Claim::Replay { status, body }, None) => Answer::json_text(status, body),
        (Claim::Reused, None) => {
            let (status, body) =
                idempotency::stored_answer(db, notification.source, notification.key)?;
            Answer::json_text(status, body)
        }
    }))
}

/// Checks a Standard Webhooks signature with the `whsec_` secret in variable `name` (503 while
/// it is empty, 401 when the signature is wrong or stale); returns the `webhook-id`.
pub fn verify_signed<'a>(
    inbound: &'a crate::http::Inbound,
    name: &'static str,
    what: &str,
    now: Timestamp,
) -> Result<&'a str, ApiError> {
    use crate::inbound::signature::{self, SignedHeaders, WebhookSecret};
    let secret = required_secret(name, what)?;
    let key = WebhookSecret::parse(secret.expose()).map_err(|e| {
        ApiError::from(config::ConfigError::Invalid {
            name,
            reason: e.to_string(),
        })
    })?;
    let headers = SignedHeaders {
        id: inbound.header("webhook-id"),
        timestamp: inbound.header("webhook-timestamp"),
        signature: inbound.header("webhook-signature"),
    };
    signature::verify(&key, headers, &inbound.body, now.unix())
        .map_err(|e| ApiError::new(401, "invalid_signature", e.to_string()))
}

/// A body refused by our own formats' readers: 400 `malformed_json` when it is not a JSON
/// object, 422 `invalid_event` naming the field and the rule otherwise.
pub fn refused_event(error: orderpath_core::event::EventError) -> ApiError {
    use orderpath_core::event::EventError;
    match error {
        EventError::Malformed(reason) => ApiError::new(400, "malformed_json", reason),
        EventError::Invalid { field, message } => {
            ApiError::new(422, "invalid_event", format!("{field}: {message}"))
        }
    }
}

/// The answer to a notification received again: `{"received": true, "duplicate": true}`.
pub fn duplicate_ack() -> Option<Answer> {
    Some(Answer::json(
        200,
        &serde_json::json!({ "received": true, "duplicate": true }),
    ))
}
