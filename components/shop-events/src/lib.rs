//! `/webhooks/shop/{platform}`: orders from shop platforms — Shopify, WooCommerce, Tilda.
//!
//! Check the delivery the platform's way and read it into a notice (`orderpath_wire::shop`) →
//! in one transaction: claim the platform's delivery id, bring the order up to date through
//! the same code as `POST /webhooks/orders` (`orderpath_shell::inbound::shop`) → answer 200 →
//! send the messages the triggers queued. A redelivery finds its id claimed and is answered
//! again without doing anything.
//!
//! Only a delivery that is not from the platform (wrong signature or token) is refused (401),
//! with nothing stored. One that is authentic but cannot be taken (an order without a phone or
//! an email) is kept with a task for a person and answered 200: no retry could fix it, and
//! WooCommerce switches a hook off after a few failures.

mod verify;

use orderpath_shell::clock::Timestamp;
use orderpath_shell::config;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, Answer, ApiError, Inbound};
use orderpath_shell::inbound::crm::Context;
use orderpath_shell::inbound::{self, shop, Handled, Notification};
use orderpath_shell::plans::automation;
use orderpath_shell::repo::tasks;
use orderpath_wire::shop::{NoticeError, Platform, ShopNoticeKind};
use serde_json::json;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle_shop_event(request: IncomingRequest, out: ResponseOutparam) {
    inbound::finish(out, process(request));
}

fn process(request: IncomingRequest) -> Result<Handled, ApiError> {
    let inbound = http::read_request(request)?;
    let platform = route(&inbound)?;
    inbound.require_method("POST")?;
    let now = Timestamp::now();
    let source = format!("shop:{}", platform.as_str());
    let secret = verify::configured_secret(platform)?;
    let notice = match verify::read(platform, &inbound, &secret) {
        Ok(notice) => notice,
        Err(NoticeError::Unauthorized(message)) => {
            return Err(ApiError::new(401, "invalid_signature", message))
        }
        Err(refusal) => return refused(&inbound, platform, &source, &refusal.to_string(), now),
    };
    // A connection check: nothing to remember.
    if notice.kind == ShopNoticeKind::Ping {
        return Ok(answered(json!({ "received": true, "ping": true })));
    }
    let db = Db::open(config::synchronous()?)?;
    let notification = Notification {
        source: &source,
        key: &notice.key,
        content: &inbound.body,
        now,
        exact_key: false,
    };
    let repeat = inbound::duplicate_ack();
    if let Some(handled) = inbound::seen_before(&db, &notification, repeat.clone())? {
        return Ok(handled);
    }
    let automation = automation::load_config()?;
    let actor = format!("integration:{}", platform.as_str());
    let context = Context {
        event_id: &notice.key,
        now,
        config: &automation,
        cause: format!("{source}:{}", notice.key),
        actor: &actor,
    };
    inbound::once(db, &notification, repeat, |db| {
        let applied = shop::apply(db, platform.as_str(), &notice, &context)?;
        Ok((applied.answer, applied.messages))
    })
}

/// The platform from the path after `/webhooks/shop/`.
fn route(inbound: &Inbound) -> Result<Platform, ApiError> {
    let (name, _) = inbound.path_info();
    Platform::parse(name).ok_or_else(|| {
        let known: Vec<&str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
        ApiError::new(
            404,
            "unknown_platform",
            format!(
                "no shop platform {name:?} here; use /webhooks/shop/{{{}}}",
                known.join("|")
            ),
        )
    })
}

/// An authentic delivery that cannot be taken: kept once (under its body's digest) with a
/// task for a person, and answered 200 with the reason.
fn refused(
    inbound: &Inbound,
    platform: Platform,
    source: &str,
    reason: &str,
    now: Timestamp,
) -> Result<Handled, ApiError> {
    let db = Db::open(config::synchronous()?)?;
    let digest = orderpath_wire::acquirer::verify::sha256_hex(&inbound.body);
    let key = format!("refused:{}", &digest[..32]);
    let what = inbound
        .header("x-shopify-topic")
        .or_else(|| inbound.header("x-wc-webhook-topic"))
        .unwrap_or("an order")
        .to_owned();
    let notification = Notification {
        source,
        key: &key,
        content: &inbound.body,
        now,
        exact_key: false,
    };
    eprintln!("{} delivery not taken: {reason}", platform.as_str());
    inbound::once(db, &notification, None, |db| {
        let plan =
            orderpath_core::task::platform_delivery_refused(platform.as_str(), &key, &what, reason);
        tasks::create_planned(db, &plan, (None, "role:manager"), now)?;
        let body = json!({ "received": true, "refused": reason });
        Ok((Answer::json(200, &body), Vec::new()))
    })
}

fn answered(body: serde_json::Value) -> Handled {
    Handled {
        answer: Answer::json(200, &body),
        queued: None,
    }
}
