//! `POST /webhooks/delivery/{carrier}`: parcels' delivery statuses from carriers.
//!
//! `cdek`: CDEK API v2 `ORDER_STATUS` webhooks. CDEK signs nothing, so its URL carries a secret
//! `?token=`; it never retries, so a notice is stored and answered at once. `generic`: our
//! JSON for any other carrier or aggregator, signed with Standard Webhooks (a job that polls
//! ApiShip, Boxberry or Russian Post posts what changed). Each notice is processed once per
//! its key; `orderpath_shell::inbound::deliveries` finds the order and moves its parcel forward only.
//! With CDEK API credentials set, a CDEK status that completes or cancels an order is applied
//! only once CDEK's API confirms it (`carrier_polls::confirm_cdek`).

use orderpath_shell::clock::Timestamp;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, Answer, ApiError, Inbound};
use orderpath_shell::inbound::{self, Handled, Notification};
use orderpath_shell::plans::automation::{self, Run};
use orderpath_shell::{config, inbound::carrier_polls, inbound::deliveries};
use orderpath_wire::carrier::{cdek, generic, DeliveryKind, DeliveryNotice};
use serde_json::json;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle_delivery_event(request: IncomingRequest, out: ResponseOutparam) {
    inbound::finish(out, process(request));
}

fn process(request: IncomingRequest) -> Result<Handled, ApiError> {
    let inbound = http::read_request(request)?;
    let carrier = route(&inbound)?;
    inbound.require_method("POST")?;
    let now = Timestamp::now();
    let kind = match carrier {
        "cdek" => {
            let token = inbound::required_secret("cdek_webhook_token", "CDEK notifications")?;
            cdek::read(&inbound.provider_request(""), token.expose())
        }
        _ => {
            let webhook_id = inbound::verify_signed(
                &inbound,
                "delivery_webhook_secret",
                "generic delivery notifications",
                now,
            )?;
            generic::parse(&inbound.body, webhook_id)
        }
    }
    .map_err(ApiError::from)?;
    let db = Db::open(config::synchronous()?)?;
    let source = format!("delivery:{carrier}");
    let repeat = inbound::duplicate_ack();
    // A notice already applied is answered before anything else: no call to CDEK's API, no
    // configuration read.
    let applied_key = match &kind {
        DeliveryKind::Status(notice) => &notice.key,
        DeliveryKind::Ignored { key, .. } => key,
    };
    let seen = Notification {
        source: &source,
        key: applied_key,
        content: &inbound.body,
        now,
        exact_key: carrier == "generic",
    };
    if let Some(handled) = inbound::seen_before(&db, &seen, repeat.clone())? {
        return Ok(handled);
    }
    // A CDEK push that would complete or cancel an order is checked with CDEK's API first
    // (before the write lock). One not confirmed is kept under its own key, so the poll can
    // still apply the same status under the webhook's key.
    let confirmation = match &kind {
        DeliveryKind::Status(notice) if carrier == "cdek" => carrier_polls::confirm_cdek(notice)?,
        _ => None,
    }
    .filter(|confirmation| !confirmation.confirmed());
    let automation = automation::load_config()?;
    let key = match (&kind, &confirmation) {
        (DeliveryKind::Status(notice), None) => notice.key.clone(),
        (DeliveryKind::Status(notice), Some(_)) => format!("{}:unconfirmed", notice.key),
        (DeliveryKind::Ignored { key, .. }, _) => key.clone(),
    };
    let cause = format!("{source}:{key}");
    let notification = Notification {
        source: &source,
        key: &key,
        content: &inbound.body,
        now,
        exact_key: carrier == "generic",
    };
    inbound::once(db, &notification, repeat, |db| match &kind {
        DeliveryKind::Ignored { what, .. } => Ok((
            Answer::json(200, &json!({ "received": true, "ignored": what })),
            Vec::new(),
        )),
        DeliveryKind::Status(notice) => {
            let run = Run {
                db,
                config: &automation,
                now,
                cause: &cause,
            };
            let raw = String::from_utf8_lossy(&inbound.body);
            let receipt = match &confirmation {
                None => deliveries::receive(&run, notice, &raw)?,
                Some(confirmation) => {
                    let unconfirmed = DeliveryNotice {
                        key: key.clone(),
                        ..notice.clone()
                    };
                    deliveries::keep_unconfirmed(&run, &unconfirmed, &raw, confirmation)?
                }
            };
            let answer = json!({ "received": true, "order_id": receipt.order_id,
                                 "state": receipt.state, "status": notice.status });
            Ok((Answer::json(200, &answer), receipt.messages))
        }
    })
}

/// `cdek` or `generic`, from the path after `/webhooks/delivery/`.
fn route(inbound: &Inbound) -> Result<&'static str, ApiError> {
    match inbound.path_info() {
        ("cdek", "") => Ok("cdek"),
        ("generic", "") => Ok("generic"),
        (name, rest) => Err(ApiError::new(
            404,
            "unknown_carrier",
            format!(
                "no carrier {:?} here; use /webhooks/delivery/{{cdek|generic}}",
                [name, rest].join("/").trim_end_matches('/')
            ),
        )),
    }
}
