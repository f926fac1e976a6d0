//! The customer side of the database: facts about a customer for the trigger engine, their
//! history outside orders, consent to marketing, segments (M9), promo codes, trigger
//! cooldowns and the signed unsubscribe link.

pub mod scans;
pub mod site;
pub mod unsubscribe;

use orderpath_core::automation::config::Config;
use orderpath_core::automation::event::{CustomerEvent, DomainEvent};
use orderpath_core::automation::facts::CustomerFacts;
use orderpath_core::marketing::{code_from_pattern, segment, CustomerStats};
use serde_json::{json, Map, Value};

use crate::clock::Timestamp;
use crate::db::{get_int, get_text, int, opt_text, req_int, text, Db, DbError};

/// Loads what the engine knows about a customer; `None` if there is no such customer.
pub fn customer_facts(db: &Db, id: i64) -> Result<Option<CustomerFacts>, DbError> {
    let Some(row) = db.row(
        "SELECT c.name, c.phone, c.email, c.language, c.time_zone, c.segment,
                (SELECT json_group_array(t.tag) FROM customer_tags AS t WHERE t.customer_id = c.id),
                (SELECT MAX(unixepoch(o.created_at)) FROM orders AS o WHERE o.customer_id = c.id),
                (SELECT granted FROM customer_consents WHERE customer_id = c.id AND channel = 'email'),
                (SELECT granted FROM customer_consents WHERE customer_id = c.id AND channel = 'sms')
         FROM customers AS c WHERE c.id = ?",
        &[int(id)],
    )?
    else {
        return Ok(None);
    };
    let mut tags: Vec<String> = get_text(&row, 6)?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default();
    tags.sort();
    Ok(Some(CustomerFacts {
        id: Some(id),
        name: get_text(&row, 0)?,
        phone: get_text(&row, 1)?,
        email: get_text(&row, 2)?,
        tags,
        segment: get_text(&row, 5)?,
        language: get_text(&row, 3)?.and_then(|l| orderpath_core::message::Language::parse(&l)),
        time_zone: get_text(&row, 4)?,
        last_order_at: get_int(&row, 7)?,
        marketing_email: get_int(&row, 8)? == Some(1),
        marketing_sms: get_int(&row, 9)? == Some(1),
        unsubscribe_url: None,
    }))
}

/// One line of a customer's history.
pub struct CustomerLine<'a> {
    /// The customer.
    pub customer_id: i64,
    /// `site`, `trigger:<id>`, `unsubscribe-link`, `tick`, `staff:<id>`…
    pub actor: &'a str,
    /// What changed: `consent.email`, `segment`, `promo_code`, `event`, `trigger`…
    pub field: &'a str,
    /// Before.
    pub old: Option<Value>,
    /// After.
    pub new: Option<Value>,
    /// Applied or refused.
    pub applied: bool,
    /// Why.
    pub reason: Option<&'a str>,
    /// What caused it.
    pub event_id: Option<&'a str>,
}

/// Records a line of the customer's history.
pub fn record(db: &Db, line: &CustomerLine<'_>, now: Timestamp) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO customer_history
            (customer_id, at, actor, field, old_value, new_value, outcome, reason, event_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            int(line.customer_id),
            text(now.to_rfc3339()),
            text(line.actor),
            text(line.field),
            opt_text(line.old.as_ref().map(Value::to_string).as_deref()),
            opt_text(line.new.as_ref().map(Value::to_string).as_deref()),
            text(if line.applied { "applied" } else { "refused" }),
            opt_text(line.reason),
            opt_text(line.event_id),
        ],
    )?;
    Ok(())
}

/// Records consent (or its withdrawal) to marketing on a channel, with its source; returns
/// true when it changed.
pub fn set_consent(
    db: &Db,
    customer_id: i64,
    channel: &str,
    granted: bool,
    (source, event_id): (&str, Option<&str>),
    now: Timestamp,
) -> Result<bool, DbError> {
    let before = db
        .row(
            "SELECT granted FROM customer_consents WHERE customer_id = ? AND channel = ?",
            &[int(customer_id), text(channel)],
        )?
        .map(|r| req_int(&r, 0))
        .transpose()?;
    if before == Some(i64::from(granted)) {
        return Ok(false);
    }
    db.execute(
        "INSERT INTO customer_consents (customer_id, channel, granted, source, at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (customer_id, channel) DO UPDATE
            SET granted = ?3, source = ?4, at = ?5",
        &[
            int(customer_id),
            text(channel),
            int(i64::from(granted)),
            text(source),
            text(now.to_rfc3339()),
        ],
    )?;
    record(
        db,
        &CustomerLine {
            customer_id,
            actor: source,
            field: &format!("consent.{channel}"),
            old: before.map(|b| json!(b == 1)),
            new: Some(json!(granted)),
            applied: true,
            reason: None,
            event_id,
        },
        now,
    )?;
    Ok(true)
}

/// M9: recomputes the customer's segment; returns the `customer.segment_changed` event when
/// it moved (the first segment a customer gets counts as a move from none).
pub fn refresh_segment(
    db: &Db,
    config: &Config,
    customer_id: i64,
    now: Timestamp,
) -> Result<Option<DomainEvent>, DbError> {
    let Some(row) = db.row(
        "SELECT c.segment,
                (SELECT COUNT(*) FROM orders AS o WHERE o.customer_id = c.id
                   AND o.status IN (SELECT value FROM json_each(?2))),
                (SELECT COALESCE(SUM(o.total), 0) FROM orders AS o WHERE o.customer_id = c.id
                   AND o.status IN (SELECT value FROM json_each(?2))),
                (SELECT MAX(unixepoch(o.created_at)) FROM orders AS o WHERE o.customer_id = c.id
                   AND o.status IN (SELECT value FROM json_each(?2))),
                (SELECT json_group_array(t.tag) FROM customer_tags AS t WHERE t.customer_id = c.id)
         FROM customers AS c WHERE c.id = ?1",
        &[int(customer_id), text(bought_statuses(config))],
    )?
    else {
        return Ok(None);
    };
    let before = get_text(&row, 0)?;
    let stats = CustomerStats {
        purchases: req_int(&row, 1)?,
        spent: req_int(&row, 2)?,
        last_purchase_at: get_int(&row, 3)?,
        tags: get_text(&row, 4)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default(),
    };
    let after = segment(&stats, &config.shop.thresholds, now.unix());
    if before.as_deref() == Some(after) {
        return Ok(None);
    }
    db.execute(
        "UPDATE customers SET segment = ?, segment_at = ? WHERE id = ?",
        &[text(after), text(now.to_rfc3339()), int(customer_id)],
    )?;
    record(
        db,
        &CustomerLine {
            customer_id,
            actor: "segments",
            field: "segment",
            old: before.as_ref().map(|b| json!(b)),
            new: Some(json!(after)),
            applied: true,
            reason: None,
            event_id: None,
        },
        now,
    )?;
    let mut data = Map::new();
    data.insert("from".into(), before.map_or(Value::Null, Value::from));
    data.insert("to".into(), after.into());
    Ok(Some(DomainEvent::SegmentChanged(CustomerEvent {
        customer_id,
        at: now.unix(),
        data,
    })))
}

/// The statuses whose orders count as purchases (the `done` group), as a JSON array.
pub(crate) fn bought_statuses(config: &Config) -> String {
    let codes: Vec<&str> = config
        .statuses
        .path
        .statuses()
        .iter()
        .filter(|s| s.group == "done")
        .map(|s| s.code.as_str())
        .collect();
    serde_json::to_string(&codes).unwrap_or_else(|_| "[]".into())
}

/// What an issued code is for.
pub struct Issue<'a> {
    /// The customer.
    pub customer_id: i64,
    /// The pool.
    pub pool: &'a str,
    /// Who issues it (`trigger:<id>`).
    pub actor: &'a str,
    /// The run's step key: a replay of the same run issues nothing new.
    pub run_key: &'a str,
    /// The event it is issued for, whose data the `promo_code.issued` event carries on as
    /// `about` (M6: which date).
    pub about: Option<&'a Map<String, Value>>,
}

/// Issues the customer a code from the pool: once per customer for a `once_per_customer`
/// pool, else once per run. Issued before → `None` (nothing new happened); otherwise the next
/// free listed code or a fresh code from the pattern, and the `promo_code.issued` event. `Err`
/// text when the pool has run dry.
pub fn issue_code(
    db: &Db,
    config: &Config,
    issue: &Issue<'_>,
    now: Timestamp,
) -> Result<Result<Option<DomainEvent>, String>, DbError> {
    let (customer_id, pool_name, cause) = (issue.customer_id, issue.pool, issue.actor);
    let Some(pool) = config.shop.promo_codes.get(pool_name) else {
        return Ok(Err(format!("no promo-code pool {pool_name:?}")));
    };
    let issue_key = if pool.once_per_customer {
        format!("{pool_name}:customer:{customer_id}")
    } else {
        format!("{pool_name}:{}", issue.run_key)
    };
    let issued_before = db.row(
        "SELECT 1 FROM promo_codes WHERE issue_key = ?",
        &[text(issue_key.clone())],
    )?;
    if issued_before.is_some() {
        return Ok(Ok(None));
    }
    let valid_until = pool
        .valid_days
        .map(|d| Timestamp::from_unix(now.unix().saturating_add(d.saturating_mul(86_400))));
    let mut code = None;
    // Listed codes are taken in order; a pattern gets a few tries against a (very unlikely)
    // collision with a code already issued.
    let candidates: Vec<String> = if pool.codes.is_empty() {
        let pattern = pool.pattern.as_deref().unwrap_or_default();
        (0..4)
            .filter_map(|_| code_from_pattern(pattern, &random_bytes(pattern.len())))
            .collect()
    } else {
        let issued = db.execute(
            "SELECT code FROM promo_codes WHERE pool = ?",
            &[text(pool_name)],
        )?;
        let taken: Vec<String> = issued
            .rows
            .iter()
            .filter_map(|r| get_text(r, 0).ok().flatten())
            .collect();
        pool.codes
            .iter()
            .filter(|c| !taken.contains(c))
            .take(4)
            .cloned()
            .collect()
    };
    for candidate in candidates {
        let row = db.row(
            "INSERT INTO promo_codes
                (pool, code, customer_id, issue_key, issued_at, valid_until, cause)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT DO NOTHING RETURNING code",
            &[
                text(pool_name),
                text(candidate.clone()),
                int(customer_id),
                text(issue_key.clone()),
                text(now.to_rfc3339()),
                opt_text(valid_until.map(|t| t.to_rfc3339()).as_deref()),
                text(cause),
            ],
        )?;
        if row.is_some() {
            code = Some(candidate);
            break;
        }
        let already = db.row(
            "SELECT 1 FROM promo_codes WHERE issue_key = ?",
            &[text(issue_key.clone())],
        )?;
        if already.is_some() {
            return Ok(Ok(None));
        }
    }
    let Some(code) = code else {
        return Ok(Err(format!(
            "the pool {pool_name:?} has no code left to issue"
        )));
    };
    record(
        db,
        &CustomerLine {
            customer_id,
            actor: cause,
            field: "promo_code",
            old: None,
            new: Some(json!({ "pool": pool_name, "code": code })),
            applied: true,
            reason: None,
            event_id: None,
        },
        now,
    )?;
    let mut data = Map::new();
    data.insert("pool".into(), pool_name.into());
    data.insert("code".into(), code.into());
    data.insert(
        "valid_until".into(),
        valid_until.map_or(Value::Null, |t| t.unix().into()),
    );
    data.insert(
        "percent".into(),
        pool.percent.map_or(Value::Null, Value::from),
    );
    if let Some(about) = issue.about {
        data.insert("about".into(), Value::Object(about.clone()));
    }
    Ok(Ok(Some(DomainEvent::PromoCodeIssued(CustomerEvent {
        customer_id,
        at: now.unix(),
        data,
    }))))
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        out.extend_from_slice(&crate::outbound::outbox::random_u64().to_le_bytes());
    }
    out
}

pub use orderpath_core::automation::engine::cooldown_subject;

/// Claims a run of a trigger with a cooldown: true when it has not run for this subject within
/// `cooldown` seconds (and records this run), false when it has. A conditional upsert, so two
/// runs at once cannot both pass.
pub fn claim_cooldown(
    db: &Db,
    trigger_id: &str,
    subject: &str,
    cooldown: i64,
    now: Timestamp,
) -> Result<bool, DbError> {
    let row = db.row(
        "INSERT INTO trigger_cooldowns (trigger_id, subject, last_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (trigger_id, subject) DO UPDATE SET last_at = ?3
            WHERE trigger_cooldowns.last_at <= ?3 - ?4
         RETURNING last_at",
        &[
            text(trigger_id),
            text(subject),
            int(now.unix()),
            int(cooldown),
        ],
    )?;
    Ok(row.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_cooldown_counts_per_conversation_and_other_events_have_none() {
        let chat: DomainEvent = serde_json::from_value(json!({
            "type": "chat.message", "conversation_id": 7, "source": "telegram",
            "channel": "telegram", "text": "hi", "preview": "hi", "at": 1,
            "after_hours": true, "night": "2026-11-25", "first_of_night": true, "opens_at": 2
        }))
        .expect("a chat event");
        assert_eq!(
            cooldown_subject(Some("chat"), &chat, None, Some(3)),
            Some("chat:7".to_owned())
        );
        assert_eq!(
            cooldown_subject(Some("customer"), &chat, None, Some(3)),
            Some("customer:3".to_owned())
        );
        let created: DomainEvent =
            serde_json::from_value(json!({ "type": "order.created", "order_id": "A-1" }))
                .expect("an order event");
        assert_eq!(
            cooldown_subject(Some("chat"), &created, Some("A-1"), None),
            None
        );
    }
}
