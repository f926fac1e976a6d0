//! Delivery statuses of parcels, from carriers' webhooks and the shop's own `order.delivery`.
//!
//! A status moves an order's parcel only forward ([`progress::moves_forward`]): the same status
//! again, or a update older than the stored one, is kept in the history as refused and raises
//! nothing, so no message goes out twice and an order never goes back. The carrier's fields
//! (track number, tracking link, pickup point) are stored with the order first — except a late
//! update's, which are as old as its status; a new track number raises `order.changed` (C3
//! after the hand-over).
//!
//! Carriers' notices are kept as they came in `deliveries`. A notice finds its order by our
//! order number, the carrier's shipment id or the track number; one for a parcel we do not know
//! is kept as `unknown_parcel` and becomes one task per parcel.

use orderpath_core::automation::event::DomainEvent;
use orderpath_core::delivery::confirm::Verdict;
use orderpath_core::delivery::progress;
use orderpath_core::event::OrderId;
use orderpath_core::task;
use orderpath_wire::carrier::{cdek, DeliveryNotice};
use serde_json::{json, Value};

use crate::db::{get_int, get_text, int, opt_text, req_text, text, DbError};
use crate::inbound::carrier_polls::{self, Confirmation};
use crate::plans::automation::Run;
use crate::repo::facts;
use crate::repo::orders::{self, HistoryEntry, Outcome};
use crate::repo::tasks;

/// A delivery status to apply to a known order.
#[derive(Debug, Clone, Copy)]
pub struct StatusUpdate<'a> {
    /// Who reports it: `webhook:orders`, `webhook:cdek`, …
    pub actor: &'a str,
    /// The inbound event behind it.
    pub event_id: &'a str,
    /// One of the normalised delivery statuses.
    pub status: &'a str,
    /// When it happened (unix seconds), if the carrier says.
    pub status_at: Option<i64>,
    /// Fields to store with it (track number, tracking link, pickup point…).
    pub fields: &'a [(String, Value)],
}

/// What a status did to the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// The parcel moved on; the delivery triggers ran.
    Forward,
    /// The same status again: nothing changed.
    Repeat,
    /// Older than what we know, or out of order: kept in the history only.
    Late,
}

impl Moved {
    /// `applied`, `repeat` or `late`.
    pub fn as_str(self) -> &'static str {
        match self {
            Moved::Forward => "applied",
            Moved::Repeat => "repeat",
            Moved::Late => "late",
        }
    }
}

/// Stores the fields and, when it moves the parcel forward, the status of `order_id`'s parcel;
/// returns what it did and the messages the triggers queued.
pub fn apply(
    run: &Run<'_>,
    order_id: &str,
    update: &StatusUpdate<'_>,
) -> Result<(Moved, Vec<i64>), DbError> {
    let db = run.db;
    let id = OrderId::parse(order_id).map_err(|_| DbError::Shape("stored order id is invalid"))?;
    let row = db
        .row(
            "SELECT delivery_status, json_extract(fields, '$.delivery_status_at'),
                    json_extract(fields, '$.track_number'), json_extract(fields, '$.tracking_url')
             FROM orders WHERE id = ?",
            &[text(order_id)],
        )?
        .ok_or(DbError::Shape(
            "the order vanished while applying its delivery status",
        ))?;
    let (from, from_at) = (get_text(&row, 0)?, get_int(&row, 1)?);
    let (stored_track, stored_url) = (get_text(&row, 2)?, get_text(&row, 3)?);

    let current = from.as_deref().map(|status| (status, from_at));
    let moved = if from.as_deref() == Some(update.status) {
        Moved::Repeat
    } else if progress::moves_forward(current, (update.status, update.status_at)) {
        Moved::Forward
    } else {
        Moved::Late
    };
    // A late update's fields are as old as its status: only a current one is stored (a
    // repeat may bring what the first update lacked, such as the track number).
    let mut messages = Vec::new();
    let changes = if moved == Moved::Late {
        Vec::new()
    } else {
        facts::apply_fields(db, order_id, update.fields)?
    };
    for (field, old, new) in &changes {
        history(
            run,
            order_id,
            update,
            field,
            Some(old.to_string()),
            new.to_string(),
            None,
        )?;
    }
    if !changes.is_empty() {
        let event = DomainEvent::OrderChanged {
            order_id: id.clone(),
            fields: changes.iter().map(|(f, _, _)| f.clone()).collect(),
            actor: None,
            added_items: Vec::new(),
        };
        messages.extend(run.handle(order_id, event)?.messages);
    }
    if moved != Moved::Forward {
        let reason = match moved {
            Moved::Repeat => "the same delivery status again",
            _ => "older than or behind the stored delivery status",
        };
        history(
            run,
            order_id,
            update,
            "delivery_status",
            from.as_ref().map(|f| json!(f).to_string()),
            json!(update.status).to_string(),
            Some(reason),
        )?;
        return Ok((moved, messages));
    }
    facts::set_field(db, order_id, "delivery_status", &json!(update.status))?;
    // Without the carrier's time, the previous status's time no longer describes it.
    let at = update.status_at.map_or(Value::Null, |at| json!(at));
    facts::apply_fields(db, order_id, &[("delivery_status_at".to_owned(), at)])?;
    history(
        run,
        order_id,
        update,
        "delivery_status",
        from.as_ref().map(|f| json!(f).to_string()),
        json!(update.status).to_string(),
        None,
    )?;
    // The fields just set win over the stored ones (`null` cleared them).
    let field =
        |name: &str, stored: Option<String>| match update.fields.iter().find(|(n, _)| n == name) {
            Some((_, value)) => value.as_str().map(str::to_owned),
            None => stored,
        };
    let event = DomainEvent::DeliveryStatusChanged {
        order_id: id,
        from,
        to: update.status.to_owned(),
        track_number: field("track_number", stored_track),
        tracking_url: field("tracking_url", stored_url),
    };
    messages.extend(run.handle(order_id, event)?.messages);
    Ok((moved, messages))
}

fn history(
    run: &Run<'_>,
    order_id: &str,
    update: &StatusUpdate<'_>,
    field: &str,
    old: Option<String>,
    new: String,
    refused: Option<&str>,
) -> Result<(), DbError> {
    orders::record_history(
        run.db,
        &HistoryEntry {
            order_id,
            actor: update.actor,
            actor_name: None,
            field,
            old_value: old,
            new_value: Some(new),
            outcome: if refused.is_some() {
                Outcome::Refused
            } else {
                Outcome::Applied
            },
            reason: refused,
            event_id: Some(update.event_id),
        },
        run.now,
    )
}

/// What became of a carrier's notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The order it was about, when found.
    pub order_id: Option<String>,
    /// `applied`, `repeat`, `late`, `no_status`, `unknown_parcel` or `unconfirmed`.
    pub state: &'static str,
    /// Messages the triggers queued: send them after commit.
    pub messages: Vec<i64>,
}

/// Keeps a carrier's notice and applies it to its order.
pub fn receive(run: &Run<'_>, notice: &DeliveryNotice, raw: &str) -> Result<Receipt, DbError> {
    let order_id = find_order(run, notice)?;
    let actor = format!("webhook:{}", notice.carrier);
    let (state, messages) = match (&order_id, &notice.status) {
        (None, _) => {
            unknown_parcel_task(run, notice)?;
            ("unknown_parcel", Vec::new())
        }
        (Some(order_id), status) => {
            let mut fields = carrier_fields(notice);
            fields.extend(notice.fields.iter().cloned());
            let update = StatusUpdate {
                actor: &actor,
                event_id: &notice.key,
                status: status.as_deref().unwrap_or(""),
                status_at: notice.status_at,
                fields: &fields,
            };
            match status {
                Some(_) => {
                    let (moved, messages) = apply(run, order_id, &update)?;
                    (moved.as_str(), messages)
                }
                // A code that says nothing to the customer: keep the carrier's fields only.
                None => {
                    facts::apply_fields(run.db, order_id, &fields)?;
                    ("no_status", Vec::new())
                }
            }
        }
    };
    // CDEK never retries a webhook: its parcels are watched and polled when they go quiet.
    if let (Some(order_id), Some(parcel), cdek::CARRIER) =
        (&order_id, &notice.carrier_order_id, notice.carrier.as_str())
    {
        carrier_polls::heard(run.db, parcel, order_id, run.now)?;
    }
    keep(run, notice, order_id.as_deref(), state, raw)?;
    Ok(Receipt {
        order_id,
        state,
        messages,
    })
}

/// Keeps a carrier's notice as it came, with what became of it.
fn keep(
    run: &Run<'_>,
    notice: &DeliveryNotice,
    order_id: Option<&str>,
    state: &str,
    raw: &str,
) -> Result<(), DbError> {
    run.db.execute(
        "INSERT INTO deliveries (carrier, notice_key, order_ref, carrier_order_id, track_number,
                                 carrier_status, status, status_at, order_id, state, raw,
                                 received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (carrier, notice_key) DO NOTHING",
        &[
            text(notice.carrier.as_str()),
            text(notice.key.as_str()),
            opt_text(notice.order_ref.as_deref()),
            opt_text(notice.carrier_order_id.as_deref()),
            opt_text(notice.track_number.as_deref()),
            text(notice.carrier_status.as_str()),
            opt_text(notice.status.as_deref()),
            notice.status_at.map_or(spin_sdk::sqlite::Value::Null, int),
            opt_text(order_id),
            text(state),
            text(raw),
            text(run.now.to_rfc3339()),
        ],
    )?;
    Ok(())
}

/// Keeps a pushed status that CDEK's API did not confirm (see `carrier_polls::confirm_cdek`)
/// without applying it: the order's history says so, the parcel is polled by the next tick
/// (which applies whatever the API says), and a status the API contradicts becomes a task —
/// the webhook URL's token may be known to someone else.
pub fn keep_unconfirmed(
    run: &Run<'_>,
    notice: &DeliveryNotice,
    raw: &str,
    confirmation: &Confirmation,
) -> Result<Receipt, DbError> {
    let order_id = find_order(run, notice)?;
    let status = notice.status.as_deref().unwrap_or_default();
    let why = match confirmation {
        Confirmation::Answered(Verdict::Contradicted { api_status }) => format!(
            "not confirmed: CDEK's API shows {}",
            api_status.as_deref().unwrap_or("no status")
        ),
        _ => "not confirmed yet: CDEK's API could not be asked; the next tick polls it".to_owned(),
    };
    if let Some(order_id) = order_id.as_deref() {
        let actor = format!("webhook:{}", notice.carrier);
        let update = StatusUpdate {
            actor: &actor,
            event_id: &notice.key,
            status,
            status_at: notice.status_at,
            fields: &[],
        };
        let stored = run
            .db
            .row(
                "SELECT delivery_status FROM orders WHERE id = ?",
                &[text(order_id)],
            )?
            .and_then(|row| get_text(&row, 0).ok().flatten());
        history(
            run,
            order_id,
            &update,
            "delivery_status",
            stored.map(|f| json!(f).to_string()),
            json!(status).to_string(),
            Some(&why),
        )?;
        if let Some(parcel) = notice.carrier_order_id.as_deref() {
            carrier_polls::poll_soon(run.db, parcel, order_id, run.now)?;
        }
    }
    if let Confirmation::Answered(Verdict::Contradicted { .. }) = confirmation {
        let parcel = notice.carrier_order_id.as_deref().unwrap_or(&notice.key);
        let plan = task::delivery_contradicted(&notice.carrier, parcel, status, &why);
        tasks::create_planned(
            run.db,
            &plan,
            (order_id.as_deref(), "role:manager"),
            run.now,
        )?;
    }
    keep(run, notice, order_id.as_deref(), "unconfirmed", raw)?;
    Ok(Receipt {
        order_id,
        state: "unconfirmed",
        messages: Vec::new(),
    })
}

/// The carrier's identifiers to keep with the order.
fn carrier_fields(notice: &DeliveryNotice) -> Vec<(String, Value)> {
    // Statuses come from the carrier itself, so O9's "email the carrier and wait for a
    // reply" is not needed for this parcel.
    let mut fields = vec![
        ("carrier".to_owned(), json!(notice.carrier)),
        ("carrier_integrated".to_owned(), json!(true)),
    ];
    let optional = [
        ("carrier_order_id", &notice.carrier_order_id),
        ("track_number", &notice.track_number),
        ("tracking_url", &notice.tracking_url),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            fields.push((name.to_owned(), json!(value)));
        }
    }
    fields
}

/// Our order number first, then the carrier's shipment id, then the track number.
fn find_order(run: &Run<'_>, notice: &DeliveryNotice) -> Result<Option<String>, DbError> {
    if let Some(reference) = notice.order_ref.as_deref() {
        if orders::exists(run.db, reference)? {
            return Ok(Some(reference.to_owned()));
        }
    }
    let lookups = [
        ("carrier_order_id", notice.carrier_order_id.as_deref()),
        ("track_number", notice.track_number.as_deref()),
    ];
    for (field, value) in lookups {
        let Some(value) = value else { continue };
        let row = run.db.row(
            &format!(
                "SELECT id FROM orders WHERE json_extract(fields, '$.{field}') = ?
                 ORDER BY created_at DESC LIMIT 1"
            ),
            &[text(value)],
        )?;
        if let Some(row) = row {
            return Ok(Some(req_text(&row, 0)?));
        }
    }
    Ok(None)
}

/// One task per parcel we cannot match, whatever number of statuses it sends.
fn unknown_parcel_task(run: &Run<'_>, notice: &DeliveryNotice) -> Result<(), DbError> {
    let parcel = notice
        .track_number
        .as_deref()
        .or(notice.carrier_order_id.as_deref())
        .or(notice.order_ref.as_deref())
        .unwrap_or(notice.key.as_str());
    let plan = task::parcel_without_order(
        &notice.carrier,
        parcel,
        notice.order_ref.as_deref(),
        &notice.carrier_status,
    );
    tasks::create_planned(run.db, &plan, (None, "role:manager"), run.now)?;
    Ok(())
}
