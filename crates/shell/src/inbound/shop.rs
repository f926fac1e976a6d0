//! Shop platforms' deliveries (`shop-events`, and the WooCommerce poll): executes what the core
//! plans for a platform's order snapshot (`orderpath_core::platform::plan`) through exactly the
//! code that runs `POST /webhooks/orders` ([`crm::apply`]), inside the request's transaction,
//! and remembers what the platform said (`platform_orders`), so a repeated or late snapshot
//! changes nothing.
//!
//! A platform cannot be told "fix this and send again": WooCommerce never retries and switches
//! a hook off after a few failures, Shopify and Tilda retry a few times and give up. So an
//! authentic delivery that cannot be used (a status move the path forbids, an order without a
//! phone or email) is recorded and answered 200; only a failure a retry can fix (the database
//! busy) gets a 5xx.

use orderpath_core::event::OrderEvent;
use orderpath_core::platform::{self, PlatformOrder, Seen};
use orderpath_wire::shop::{ShopNotice, ShopNoticeKind};
use serde_json::{json, Value};

use crate::clock::Timestamp;
use crate::db::{get_text, req_text, text, Db, DbError};
use crate::http::{Answer, ApiError};
use crate::inbound::crm::{self, Applied, Context};
use crate::repo::facts;

/// Applies one authentic delivery from `platform` (`shopify`, `woocommerce`, `tilda`).
/// An `Err` rolls the whole transaction back, the delivery's claim included.
pub fn apply(
    db: &Db,
    platform: &str,
    notice: &ShopNotice,
    cx: &Context<'_>,
) -> Result<Applied, ApiError> {
    let statuses = cx.config.shop.platform_statuses(platform);
    match &notice.kind {
        ShopNoticeKind::Ping => Ok(received(json!({ "ping": true }), Vec::new())),
        ShopNoticeKind::Ignored => Ok(received(json!({ "ignored": notice.what }), Vec::new())),
        ShopNoticeKind::Order(snapshot) => order(db, platform, snapshot, &statuses, cx),
        ShopNoticeKind::Deleted {
            order_id,
            platform_id,
        } => {
            let Some((known_id, seen)) = seen(db, platform, platform_id, order_id.as_str())? else {
                return Ok(received(
                    json!({ "order_id": order_id, "state": "unknown_order" }),
                    Vec::new(),
                ));
            };
            let mut outcome = Outcome::default();
            if let Some(event) = platform::deleted(platform, order_id, &seen, &statuses) {
                outcome.run(db, &event, cx)?;
            }
            remember_state(db, platform, platform_id, "deleted", cx.now)?;
            let status = current_status(db, &known_id)?;
            Ok(received(
                json!({ "order_id": known_id, "status": status, "refused": outcome.refused }),
                outcome.messages,
            ))
        }
        ShopNoticeKind::Lead(lead) => {
            let fields: serde_json::Map<String, Value> = lead
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            let utm = serde_json::to_value(&lead.utm).unwrap_or_else(|_| json!({}));
            let run = cx.run(db);
            let (id, messages) = crate::marketing::site::platform_form(
                &run,
                platform,
                &lead.form,
                &lead.contact,
                (&Value::Object(fields), &utm),
            )?;
            Ok(received(json!({ "lead_id": id }), messages))
        }
    }
}

/// What running the planned events did.
#[derive(Default)]
struct Outcome {
    messages: Vec<i64>,
    /// Answers other than 2xx, e.g. a status move the path forbids: recorded in the order's
    /// history by [`crm::apply`], reported to the platform, not retried.
    refused: Vec<Value>,
}

impl Outcome {
    fn run(&mut self, db: &Db, event: &OrderEvent, cx: &Context<'_>) -> Result<(), ApiError> {
        let applied = crm::apply_snapshot_event(db, event, cx)?;
        if !(200..300).contains(&applied.answer.status) {
            let body: Value = serde_json::from_str(&applied.answer.body).unwrap_or(Value::Null);
            self.refused
                .push(json!({ "event": event.type_name(), "answer": body }));
        }
        self.messages.extend(applied.messages);
        Ok(())
    }
}

fn order(
    db: &Db,
    platform: &str,
    snapshot: &PlatformOrder,
    statuses: &std::collections::BTreeMap<String, String>,
    cx: &Context<'_>,
) -> Result<Applied, ApiError> {
    let (target, known) = place(db, platform, snapshot)?;
    let target = target.as_str();
    let plan = platform::plan(platform, snapshot, known.as_ref(), statuses);
    if plan.stale {
        return Ok(received(
            json!({ "order_id": target, "stale": true,
                    "status": current_status(db, target)? }),
            Vec::new(),
        ));
    }
    let mut outcome = Outcome::default();
    for event in &plan.events {
        outcome.run(db, &retarget(event, target), cx)?;
    }
    if known.is_none() {
        for tag in &snapshot.tags {
            facts::add_flag(db, target, tag)?;
        }
    }
    for tag in &snapshot.customer_tags {
        facts::tag_customer(db, target, tag, true, cx.now)?;
    }
    store_seen(
        db,
        platform,
        &snapshot.platform_id,
        target,
        &plan.remember,
        cx.now,
    )?;
    let events: Vec<&str> = plan.events.iter().map(OrderEvent::type_name).collect();
    Ok(received(
        json!({ "order_id": target, "status": current_status(db, target)?,
                "events": events, "refused": outcome.refused }),
        outcome.messages,
    ))
}

/// Our id of the platform's order and what Orderpath has seen of it. An order seen before keeps
/// its id; a new one takes the first of the core's candidates ([`platform::candidate_ids`])
/// that is free, or held by an order that came through the order webhook.
fn place(
    db: &Db,
    platform: &str,
    snapshot: &PlatformOrder,
) -> Result<(String, Option<Seen>), DbError> {
    let number = &snapshot.order.order_id;
    if let Some((id, seen)) = seen_row(db, platform, &snapshot.platform_id)? {
        return Ok((id, Some(seen)));
    }
    for candidate in platform::candidate_ids(platform, number, &snapshot.platform_id) {
        let candidate = candidate.as_str();
        let Some(status) = current_status(db, candidate)? else {
            return Ok((candidate.to_owned(), None));
        };
        // An order that came through the order webhook with this id is the same order.
        if !linked(db, candidate)? {
            let seen = Seen {
                status,
                ..Seen::default()
            };
            return Ok((candidate.to_owned(), Some(seen)));
        }
    }
    Ok((number.as_str().to_owned(), None))
}

/// Whether some platform's order is kept under this id.
fn linked(db: &Db, order_id: &str) -> Result<bool, DbError> {
    Ok(db
        .row(
            "SELECT 1 FROM platform_orders WHERE order_id = ?",
            &[text(order_id)],
        )?
        .is_some())
}

/// The event about the order Orderpath knows the platform's order as (the id may have been
/// renumbered on the platform since it was created here).
fn retarget(event: &OrderEvent, target: &str) -> OrderEvent {
    if event.order_id().is_some_and(|id| id.as_str() == target) {
        return event.clone();
    }
    let Ok(id) = orderpath_core::event::OrderId::parse(target) else {
        return event.clone();
    };
    let mut event = event.clone();
    match &mut event {
        OrderEvent::Created(o) => o.order_id = id,
        OrderEvent::Updated(u) => u.order_id = id,
        OrderEvent::StatusChanged(s) => s.order_id = id,
        OrderEvent::Payment(p) => p.order_id = id,
        _ => {}
    }
    event
}

fn received(mut detail: Value, messages: Vec<i64>) -> Applied {
    if let Value::Object(fields) = &mut detail {
        fields.insert("received".into(), json!(true));
        if fields
            .get("refused")
            .is_some_and(|r| r.as_array().is_some_and(Vec::is_empty))
        {
            fields.remove("refused");
        }
    }
    Applied {
        answer: Answer::json(200, &detail),
        messages,
    }
}

/// What Orderpath has seen of the platform's order, and our id of it: from
/// `platform_orders`, or an order with the same id that came another way (then nothing is
/// known of its platform state).
fn seen(
    db: &Db,
    platform: &str,
    platform_id: &str,
    order_id: &str,
) -> Result<Option<(String, Seen)>, DbError> {
    if let Some(found) = seen_row(db, platform, platform_id)? {
        return Ok(Some(found));
    }
    Ok(current_status(db, order_id)?.map(|status| {
        (
            order_id.to_owned(),
            Seen {
                status,
                ..Seen::default()
            },
        )
    }))
}

/// The platform order's row in `platform_orders`, with our order's status.
fn seen_row(db: &Db, platform: &str, platform_id: &str) -> Result<Option<(String, Seen)>, DbError> {
    let row = db.row(
        "SELECT p.order_id, o.status, p.state, p.updated_at, p.payment
         FROM platform_orders AS p JOIN orders AS o ON o.id = p.order_id
         WHERE p.platform = ? AND p.platform_id = ?",
        &[text(platform), text(platform_id)],
    )?;
    row.map(|row| {
        Ok((
            req_text(&row, 0)?,
            Seen {
                status: req_text(&row, 1)?,
                state: get_text(&row, 2)?,
                updated_at: get_text(&row, 3)?,
                payment: get_text(&row, 4)?,
            },
        ))
    })
    .transpose()
}

fn current_status(db: &Db, order_id: &str) -> Result<Option<String>, DbError> {
    db.row("SELECT status FROM orders WHERE id = ?", &[text(order_id)])?
        .map(|row| req_text(&row, 0))
        .transpose()
}

fn store_seen(
    db: &Db,
    platform: &str,
    platform_id: &str,
    order_id: &str,
    seen: &Seen,
    now: Timestamp,
) -> Result<(), DbError> {
    use crate::db::opt_text;
    db.execute(
        "INSERT INTO platform_orders (platform, platform_id, order_id, state, updated_at,
                                      payment, seen_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (platform, platform_id) DO UPDATE SET
             order_id = excluded.order_id, state = excluded.state,
             updated_at = excluded.updated_at,
             payment = COALESCE(excluded.payment, platform_orders.payment),
             seen_at = excluded.seen_at",
        &[
            text(platform),
            text(platform_id),
            text(order_id),
            opt_text(seen.state.as_deref()),
            opt_text(seen.updated_at.as_deref()),
            opt_text(seen.payment.as_deref()),
            text(now.to_rfc3339()),
        ],
    )?;
    Ok(())
}

fn remember_state(
    db: &Db,
    platform: &str,
    platform_id: &str,
    state: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    db.execute(
        "UPDATE platform_orders SET state = ?, seen_at = ? WHERE platform = ? AND platform_id = ?",
        &[
            text(state),
            text(now.to_rfc3339()),
            text(platform),
            text(platform_id),
        ],
    )?;
    Ok(())
}
