//! `/webhooks/payments/{provider}`: payment acquirers' notifications.
//!
//! Check the request the provider's way and read it into a notice (`orderpath_wire::acquirer`)
//! → in one transaction: claim the provider's idempotency key, keep the payment and settle it
//! against its order (`orderpath_shell::inbound::payments`) → answer with the provider's own
//! acknowledgement → send the messages the payment triggers queued. A re-delivery finds the
//! key claimed and is acknowledged again without doing anything.
//!
//! A provider whose secret is not configured gets 503 with the variable to set: unsigned
//! notifications are never accepted, and the provider keeps retrying until the shop fixes it.

mod verify;

use orderpath_core::automation::config::Config;
use orderpath_shell::clock::Timestamp;
use orderpath_shell::config;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, Answer, ApiError, Inbound};
use orderpath_shell::inbound::payments::{self, Receipt, Received};
use orderpath_shell::inbound::{self, Handled, Notification};
use orderpath_shell::plans::automation::{self, Run};
use orderpath_wire::acquirer::{self, NoticeKind, Provider};
use serde_json::json;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle_payment_event(request: IncomingRequest, out: ResponseOutparam) {
    inbound::finish(out, process(request));
}

fn process(request: IncomingRequest) -> Result<Handled, ApiError> {
    let inbound = http::read_request(request)?;
    let (provider, rest) = route(&inbound)?;
    let allowed = if provider == Provider::Sber {
        "GET, POST"
    } else {
        "POST"
    };
    if !allowed.split(", ").any(|m| m == inbound.method) {
        return Err(ApiError::method_not_allowed(allowed));
    }
    let now = Timestamp::now();
    let notice = verify::read(provider, &inbound, rest, now)?;
    let db = Db::open(config::synchronous()?)?;
    let source = provider.as_str();
    let claim_source = format!("payments:{source}");
    let content = if inbound.body.is_empty() {
        inbound.raw_query.clone().into_bytes()
    } else {
        inbound.body.clone()
    };
    let cause = format!("{claim_source}:{}", notice.key);
    let notification = Notification {
        source: &claim_source,
        key: &notice.key,
        content: &content,
        now,
        exact_key: provider == Provider::Generic,
    };
    // The provider re-sent it (its retries keep the key): acknowledge, do nothing.
    // A repeated Check gets its first decision again, not a blanket "accepted".
    let repeat = match notice.kind {
        NoticeKind::Check(_) => None,
        _ => Some(ack(provider, json!({ "duplicate": true }))),
    };
    if let Some(handled) = inbound::seen_before(&db, &notification, repeat.clone())? {
        return Ok(handled);
    }
    let automation = automation::load_config()?;
    let tests = payments::test_payments()?;
    inbound::once(db, &notification, repeat, |db| {
        Ok(match &notice.kind {
            NoticeKind::Ignored => (ack(provider, json!({ "ignored": notice.what })), Vec::new()),
            NoticeKind::Check(payment) => (check(db, payment, &automation)?, Vec::new()),
            NoticeKind::Payment(payment) => {
                let run = Run {
                    db,
                    config: &automation,
                    now,
                    cause: &cause,
                };
                let raw = String::from_utf8_lossy(&content);
                let received = Received {
                    source,
                    event_id: &notice.key,
                    what: &notice.what,
                    payment,
                    raw: Some(&raw),
                    tests,
                };
                match payments::receive(&run, &received)? {
                    Receipt::Duplicate => (ack(provider, json!({ "duplicate": true })), Vec::new()),
                    Receipt::TestIgnored { order_id } => (
                        ack(
                            provider,
                            json!({ "order_id": order_id, "state": "test_ignored" }),
                        ),
                        Vec::new(),
                    ),
                    Receipt::UnknownOrder => (
                        ack(
                            provider,
                            json!({ "order_id": null, "state": "unknown_order" }),
                        ),
                        Vec::new(),
                    ),
                    Receipt::Settled {
                        order_id,
                        state,
                        messages,
                    } => (
                        ack(provider, json!({ "order_id": order_id, "state": state })),
                        messages,
                    ),
                }
            }
        })
    })
}

/// The provider from the path after `/webhooks/payments/` (Spin's `spin-path-info`), and what
/// follows it (CloudPayments' notification type).
fn route(inbound: &Inbound) -> Result<(Provider, &str), ApiError> {
    let (name, rest) = inbound.path_info();
    let provider = Provider::parse(name).ok_or_else(|| {
        let known: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
        ApiError::new(
            404,
            "unknown_provider",
            format!(
                "no payment provider {name:?} here; use /webhooks/payments/{{{}}}",
                known.join("|")
            ),
        )
    })?;
    Ok((provider, rest))
}

/// The provider's acknowledgement; JSON acks also say what became of the notification, for
/// the people reading the provider's delivery log.
fn ack(provider: Provider, detail: serde_json::Value) -> Answer {
    let ack = provider.ack();
    let body = match (provider, detail) {
        (Provider::CloudPayments | Provider::TBank, _) => ack.body,
        (_, serde_json::Value::Object(mut fields)) => {
            fields.insert("received".into(), json!(true));
            serde_json::Value::Object(fields).to_string()
        }
        _ => ack.body,
    };
    reply(ack.content_type, body)
}

/// A 200 with the provider's content type.
fn reply(content_type: &str, body: String) -> Answer {
    Answer {
        status: 200,
        body,
        headers: vec![("content-type".into(), content_type.into())],
    }
}

/// CloudPayments `Check`: the core decides from the order it names.
fn check(
    db: &Db,
    payment: &acquirer::ReportedPayment,
    config: &Config,
) -> Result<Answer, ApiError> {
    use acquirer::cloudpayments::{answer, check_code, CheckedOrder};
    let order = match payment.order_ref.as_deref() {
        Some(id) => payments::payable_order(db, id)?,
        None => None,
    };
    let finished = config.statuses.path.finished();
    let checked = order.as_ref().map(|order| CheckedOrder {
        order: order.paid(),
        finished: finished.contains(&order.status.as_str()),
    });
    let ack = answer(check_code(payment, checked));
    Ok(reply(ack.content_type, ack.body))
}
