//! Read models for the staff API: the order list and card, customers, messages, analytics. Each answer
//! takes few queries (sections come out of SQLite as JSON arrays); what the rows mean —
//! overdue, segment, why a message waits — is decided by `orderpath_core::desk`.

/// One outbox row (alias `m`) with its attempts, as a JSON object (SQL text).
macro_rules! message_json {
    () => {
        "json_object(
    'id', m.id, 'order_id', m.order_id, 'channel', m.channel, 'template', m.template,
    'recipient', m.recipient, 'subject', m.subject, 'body_text', m.body_text,
    'status', m.status, 'attempt_count', m.attempts, 'next_attempt_at', m.next_attempt_at,
    'lease_until', m.lease_until, 'last_error', m.last_error, 'provider', m.provider,
    'provider_message_id', m.provider_message_id, 'created_at', m.created_at,
    'sent_at', m.sent_at, 'resends', m.resends,
    'attempts', json(COALESCE((SELECT json_group_array(json_object(
        'id', a.id, 'at', a.at, 'provider', a.provider, 'outcome', a.outcome,
        'http_status', a.http_status, 'error', a.error,
        'late', json(CASE WHEN a.late != 0 THEN 'true' ELSE 'false' END)))
        FROM outbox_attempts AS a WHERE a.message_id = m.id), '[]')))"
    };
}

/// One customer row (alias `c`) with its tags and number of orders, as a JSON object.
macro_rules! customer_json {
    () => {
        "json_object('id', c.id, 'name', c.name, 'phone', c.phone, 'email', c.email,
    'language', c.language, 'time_zone', c.time_zone, 'created_at', c.created_at,
    'tags', json(COALESCE((SELECT json_group_array(t.tag) FROM customer_tags AS t
                            WHERE t.customer_id = c.id), '[]')),
    'orders', (SELECT COUNT(*) FROM orders AS co WHERE co.customer_id = c.id),
    'stored_segment', c.segment)"
    };
}

pub mod analytics;
mod card_sql;
pub mod customers;
pub mod messages;
pub mod orders;
