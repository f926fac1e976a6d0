//! An operator's changes to an order from the desk: a status move along the path and a flag.
//! Each runs exactly as the same event from the shop's CRM would (`inbound::crm`), with the
//! signed-in person as its actor, so the shop's triggers react to it and the history names
//! them. An `Idempotency-Key` header makes a repeated click or retry a no-op.

use orderpath_core::event::{OrderEvent, OrderFlag, OrderId, StatusChange};
use orderpath_shell::http::{ApiError, Inbound};
use orderpath_shell::inbound::{self, crm, Handled, Notification};
use orderpath_shell::repo::orders;
use orderpath_shell::staff::forbidden;
use serde_json::Value;

use orderpath_shell::staff::Call;

/// `POST /api/orders/{id}/status` `{"to": "<status>", "reason"?, "comment"?}`.
pub fn move_status(call: Call<'_>, id: &str) -> Result<Handled, ApiError> {
    let body = json_body(call.inbound)?;
    let to = text_field(&body, "to", 64)?
        .ok_or_else(|| invalid("to: the status to move to is required"))?;
    let event = OrderEvent::StatusChanged(StatusChange {
        order_id: order_id(id)?,
        status: to,
        actor: Some(call.caller.actor()),
        reason: text_field(&body, "reason", 500)?,
        comment: text_field(&body, "comment", 2000)?,
        fields: Vec::new(),
    });
    apply(call, id, &event)
}

/// `POST /api/orders/{id}/flags` `{"flag": "wrong-phone", "note"?, "supplier"?}`.
pub fn flag(call: Call<'_>, id: &str) -> Result<Handled, ApiError> {
    let body = json_body(call.inbound)?;
    let flag = text_field(&body, "flag", 64)?
        .ok_or_else(|| invalid("flag: the flag to set is required"))?;
    let event = OrderEvent::Flagged(OrderFlag {
        order_id: order_id(id)?,
        flag,
        supplier: text_field(&body, "supplier", 254)?,
        note: text_field(&body, "note", 2000)?,
        actor: Some(call.caller.actor()),
    });
    apply(call, id, &event)
}

fn apply(call: Call<'_>, id: &str, event: &OrderEvent) -> Result<Handled, ApiError> {
    let manager = match orders::load(&call.db, id)? {
        Some(order) => order.manager,
        None => return Err(ApiError::new(404, "not_found", format!("no order {id}"))),
    };
    let moving_to = match event {
        OrderEvent::StatusChanged(change) => Some(change.status.as_str()),
        _ => None,
    };
    if !call.caller.may_change(manager.as_deref(), moving_to) {
        return Err(forbidden("this order is another manager's"));
    }
    // Without a key every request is its own action; a key is scoped to its person.
    let key = match call.inbound.header("idempotency-key") {
        Some(key) if !key.is_empty() && key.len() <= 128 => {
            format!("{}:{key}", call.caller.id)
        }
        Some(_) => return Err(invalid("Idempotency-Key: 1-128 characters")),
        None => format!(
            "{}:{}",
            call.caller.id,
            orderpath_shell::outbound::outbox::claim_token()
        ),
    };
    let notification = Notification {
        source: "desk",
        key: &key,
        content: &call.inbound.body,
        now: call.now,
        exact_key: true,
    };
    let context = crm::Context {
        event_id: &key,
        now: call.now,
        config: call.config,
        cause: format!("desk:{key}"),
        actor: crm::WEBHOOK_ACTOR,
    };
    inbound::once(call.db, &notification, None, |db| {
        let applied = crm::apply(db, event, &context)?;
        Ok((applied.answer, applied.messages))
    })
}

fn json_body(inbound: &Inbound) -> Result<Value, ApiError> {
    if !orderpath_shell::http::is_json(inbound.header("content-type")) {
        return Err(ApiError::new(
            415,
            "unsupported_media_type",
            "content-type must be application/json",
        ));
    }
    serde_json::from_slice(&inbound.body)
        .map_err(|e| ApiError::new(400, "malformed_json", e.to_string()))
}

fn text_field(body: &Value, name: &str, max: usize) -> Result<Option<String>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(invalid(&format!(
            "{name}: text of at most {max} characters"
        ))),
    }
}

fn order_id(id: &str) -> Result<OrderId, ApiError> {
    OrderId::parse(id).map_err(|_| ApiError::new(404, "not_found", format!("no order {id}")))
}

fn invalid(message: &str) -> ApiError {
    ApiError::new(422, "invalid_request", message)
}
