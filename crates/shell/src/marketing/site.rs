//! Applies a site event about a customer (M1, M4, M6, M7): the customer is found or created,
//! consent given with the event is recorded, the cart, the view or the date is stored, and the
//! event runs the shop's triggers for the customer. Tilda forms come through here too.

use orderpath_core::automation::event::{CustomerEvent, DomainEvent};
use orderpath_core::event::{CustomerContact, Item};
use orderpath_core::marketing::site::{SiteEvent, SiteEventKind};
use orderpath_core::marketing::{self as core, defaults, threshold, MonthDay};
use orderpath_core::message::Language;
use serde_json::{json, Map, Value};

use crate::clock::Timestamp;
use crate::db::{int, opt_text, req_int, text, Db, DbError};
use crate::plans::automation::Run;
use crate::repo::orders;

use super::{record, refresh_segment, set_consent, CustomerLine};

/// What applying a site event did, for the answer.
#[derive(Debug, Default)]
pub struct Applied {
    /// The customer.
    pub customer_id: i64,
    /// Their segment afterwards.
    pub segment: Option<String>,
    /// Messages queued: send them after commit.
    pub messages: Vec<i64>,
}

/// Applies one site event inside the request's transaction.
pub fn apply(run: &Run<'_>, event: &SiteEvent) -> Result<Applied, DbError> {
    let db = run.db;
    let language = event.language.as_deref().and_then(Language::parse);
    let customer_id =
        orders::find_or_create_customer(db, &event.contact, (language, None), run.now)?
            .ok_or(DbError::Shape("a site event without a contact"))?;
    record(
        db,
        &CustomerLine {
            customer_id,
            actor: "site",
            field: "event",
            old: None,
            new: Some(json!({ "type": event.type_name() })),
            applied: true,
            reason: None,
            event_id: Some(run.cause),
        },
        run.now,
    )?;
    consent(run, customer_id, event)?;
    let mut data = event.data.clone();
    let raised = match &event.kind {
        SiteEventKind::Subscribed { .. } => Some(DomainEvent::CustomerSubscribed(body(
            customer_id,
            event.occurred_at,
            data,
        ))),
        SiteEventKind::FormSubmitted { form } => {
            let fields = data.get("fields").cloned().unwrap_or_else(|| json!({}));
            let utm = data.get("utm").cloned().unwrap_or_else(|| json!({}));
            store_lead(
                db,
                ("site", form),
                customer_id,
                &event.contact,
                (&fields, &utm),
                run,
            )?;
            Some(DomainEvent::FormSubmitted(body(
                customer_id,
                event.occurred_at,
                data,
            )))
        }
        SiteEventKind::Cart {
            checkout,
            cart_id,
            items,
            total,
            currency,
        } => {
            store_cart(
                db,
                customer_id,
                (cart_id, items, *total, currency),
                *checkout,
                run.now,
            )?;
            // A checkout begun is the same cart a step further: one event, so one reminder.
            // An emptied cart reminds nobody.
            let stage = if *checkout { "checkout" } else { "cart" };
            data.insert("stage".into(), stage.into());
            (!items.is_empty())
                .then(|| DomainEvent::CartUpdated(body(customer_id, event.occurred_at, data)))
        }
        SiteEventKind::ProductViewed { sku, category } => {
            let views = store_view(run, customer_id, sku.as_deref(), category)?;
            core::browsing_crossed(views, &run.config.shop.thresholds).then(|| {
                data.insert("views".into(), views.into());
                DomainEvent::BrowsedCategory(body(customer_id, event.occurred_at, data))
            })
        }
        SiteEventKind::DateAdded { kind, label, date } => {
            store_date(run, customer_id, kind, label.as_deref(), *date)?;
            None
        }
    };
    let mut applied = Applied {
        customer_id,
        ..Applied::default()
    };
    if let Some(moved) = refresh_segment(db, run.config, customer_id, run.now)? {
        applied
            .messages
            .extend(run.handle_customer(customer_id, moved)?.messages);
    }
    if let Some(raised) = raised {
        applied
            .messages
            .extend(run.handle_customer(customer_id, raised)?.messages);
    }
    applied.segment = db
        .row(
            "SELECT segment FROM customers WHERE id = ?",
            &[int(customer_id)],
        )?
        .and_then(|r| crate::db::get_text(&r, 0).ok().flatten());
    Ok(applied)
}

/// A form sent without a cart from a shop platform (Tilda): kept as a lead and raised as
/// `form.submitted` for the customer, as the site's own forms are.
pub fn platform_form(
    run: &Run<'_>,
    platform: &str,
    form: &str,
    contact: &CustomerContact,
    (fields, utm): (&Value, &Value),
) -> Result<(i64, Vec<i64>), DbError> {
    let db = run.db;
    let Some(customer_id) = orders::find_or_create_customer(db, contact, (None, None), run.now)?
    else {
        return Ok((0, Vec::new()));
    };
    let lead = store_lead(
        db,
        (platform, form),
        customer_id,
        contact,
        (fields, utm),
        run,
    )?;
    let mut messages = Vec::new();
    if let Some(moved) = refresh_segment(db, run.config, customer_id, run.now)? {
        messages.extend(run.handle_customer(customer_id, moved)?.messages);
    }
    let mut data = Map::new();
    data.insert("form".into(), form.into());
    data.insert("platform".into(), platform.into());
    data.insert("fields".into(), fields.clone());
    data.insert("utm".into(), utm.clone());
    let event = DomainEvent::FormSubmitted(body(customer_id, run.now.unix(), data));
    messages.extend(run.handle_customer(customer_id, event)?.messages);
    Ok((lead, messages))
}

fn body(customer_id: i64, at: i64, data: Map<String, Value>) -> CustomerEvent {
    CustomerEvent {
        customer_id,
        at,
        data,
    }
}

/// Consent given or withdrawn with the event. A subscription is consent by email unless the
/// event says otherwise (and by SMS when it says so).
fn consent(run: &Run<'_>, customer_id: i64, event: &SiteEvent) -> Result<(), DbError> {
    let subscribed = matches!(event.kind, SiteEventKind::Subscribed { .. });
    let source = match &event.kind {
        SiteEventKind::Subscribed { source } => format!("site:subscribed:{source}"),
        SiteEventKind::FormSubmitted { form } => format!("site:form:{form}"),
        _ => format!("site:{}", event.type_name()),
    };
    let email = event.consent.email.or(subscribed.then_some(true));
    for (channel, given) in [("email", email), ("sms", event.consent.sms)] {
        if let Some(granted) = given {
            set_consent(
                run.db,
                customer_id,
                channel,
                granted,
                (&source, Some(run.cause)),
                run.now,
            )?;
        }
    }
    Ok(())
}

fn store_lead(
    db: &Db,
    (platform, form): (&str, &str),
    customer_id: i64,
    contact: &CustomerContact,
    (fields, utm): (&Value, &Value),
    run: &Run<'_>,
) -> Result<i64, DbError> {
    let row = db.row(
        "INSERT INTO leads (platform, form, customer_id, name, phone, email, fields, utm,
                            event_key, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        &[
            text(platform),
            text(form),
            int(customer_id),
            opt_text(contact.name.as_deref()),
            opt_text(contact.phone.as_ref().map(|p| p.as_str())),
            opt_text(contact.email.as_ref().map(|e| e.as_str())),
            text(fields.to_string()),
            text(utm.to_string()),
            text(run.cause),
            text(run.now.to_rfc3339()),
        ],
    )?;
    row.map_or(Ok(0), |r| req_int(&r, 0))
}

fn store_cart(
    db: &Db,
    customer_id: i64,
    (cart_id, items, total, currency): (&str, &[Item], i64, &str),
    checkout: bool,
    now: Timestamp,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO carts (customer_id, cart_id, items, total, currency, checkout, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (customer_id, cart_id) DO UPDATE SET
            items = ?3, total = ?4, currency = ?5, checkout = MAX(checkout, ?6), updated_at = ?7",
        &[
            int(customer_id),
            text(cart_id),
            text(serde_json::to_string(items).unwrap_or_else(|_| "[]".into())),
            int(total),
            text(currency),
            int(i64::from(checkout)),
            text(now.to_rfc3339()),
        ],
    )?;
    Ok(())
}

/// Stores a view; returns how many views of the category the customer made in the window.
fn store_view(
    run: &Run<'_>,
    customer_id: i64,
    sku: Option<&str>,
    category: &str,
) -> Result<i64, DbError> {
    let window = threshold(&run.config.shop.thresholds, defaults::BROWSE_WINDOW_HOURS) * 3600;
    let since = Timestamp::from_unix(run.now.unix() - window).to_rfc3339();
    // Views older than the window count for nothing: they go, so the table stays small.
    run.db.execute(
        "DELETE FROM product_views WHERE customer_id = ? AND at < ?",
        &[int(customer_id), text(since.clone())],
    )?;
    run.db.execute(
        "INSERT INTO product_views (customer_id, category, sku, at) VALUES (?, ?, ?, ?)",
        &[
            int(customer_id),
            text(category),
            opt_text(sku),
            text(run.now.to_rfc3339()),
        ],
    )?;
    let row = run.db.row(
        "SELECT COUNT(*) FROM product_views WHERE customer_id = ? AND category = ? AND at >= ?",
        &[int(customer_id), text(category), text(since)],
    )?;
    row.map_or(Ok(0), |r| req_int(&r, 0))
}

/// Stores a date the customer told us, with when its next offer goes out (M6).
fn store_date(
    run: &Run<'_>,
    customer_id: i64,
    kind: &str,
    label: Option<&str>,
    date: MonthDay,
) -> Result<(), DbError> {
    let t = &run.config.shop.thresholds;
    let (offer_at, year) = core::next_date_offer(
        date,
        threshold(t, defaults::DATE_DAYS_BEFORE),
        threshold(t, defaults::SEND_HOUR),
        &run.config.shop.time_zone,
        run.now.unix(),
    );
    run.db.execute(
        "INSERT INTO customer_dates
            (customer_id, kind, label, month, day, offer_at, offer_year, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (customer_id, kind, month, day) DO UPDATE SET label = ?3",
        &[
            int(customer_id),
            text(kind),
            opt_text(label),
            int(i64::from(date.month)),
            int(i64::from(date.day)),
            int(offer_at),
            int(i64::from(year)),
            text(run.now.to_rfc3339()),
        ],
    )?;
    Ok(())
}
