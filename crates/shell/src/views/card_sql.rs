//! The order card's sections in one statement: each column is a JSON array (`?1` the
//! order, `?2` its customer or NULL). Aggregates are re-sorted in Rust; their order in
//! SQLite is not promised.

/// Items, customer, history, messages, tasks, timers, payments, deliveries, calls and
/// reservations, in that column order.
pub const ORDER_SECTIONS: &str = concat!(
    "SELECT
    (SELECT json_group_array(json_object('line', line, 'sku', sku, 'name', name, 'qty', qty,
            'price', price, 'category', category))
       FROM order_items WHERE order_id = ?1),
    (SELECT json_array(",
    customer_json!(),
    ") FROM customers AS c WHERE c.id = ?2),
    (SELECT json_group_array(json_object('id', id, 'at', at, 'actor', actor,
            'actor_name', actor_name, 'field', field,
            'from', CASE WHEN json_valid(old_value) THEN json(old_value) ELSE old_value END,
            'to', CASE WHEN json_valid(new_value) THEN json(new_value) ELSE new_value END,
            'outcome', outcome, 'reason', reason, 'event_id', event_id))
       FROM order_history WHERE order_id = ?1),
    (SELECT json_group_array(json(",
    message_json!(),
    "))
       FROM outbox AS m WHERE m.order_id = ?1),
    (SELECT json_group_array(json_object('id', id, 'order_id', order_id, 'kind', kind,
            'title', title, 'reason', reason, 'assignee', assignee, 'status', status,
            'due_at', due_at, 'created_at', created_at, 'done_at', done_at, 'done_by', done_by))
       FROM tasks WHERE order_id = ?1),
    (SELECT json_group_array(json_object('id', id, 'name', name, 'trigger_id', trigger_id,
            'event', event, 'fire_at', fire_at, 'status', status, 'created_at', created_at,
            'fired_at', fired_at))
       FROM timers WHERE order_id = ?1),
    (SELECT json_group_array(json_object('id', id, 'source', source, 'payment_id', payment_id,
            'operation_id', operation_id, 'status', status, 'amount', amount,
            'currency', currency, 'reason', reason, 'state', state,
            'test', json(CASE WHEN test != 0 THEN 'true' ELSE 'false' END),
            'what', what, 'event_id', event_id, 'received_at', received_at))
       FROM payments WHERE order_id = ?1),
    (SELECT json_group_array(json_object('id', id, 'carrier', carrier,
            'carrier_order_id', carrier_order_id, 'track_number', track_number,
            'carrier_status', carrier_status, 'status', status, 'state', state,
            'received_at', received_at))
       FROM deliveries WHERE order_id = ?1),
    (SELECT json_group_array(json_object('id', id, 'source', source, 'call_id', call_id,
            'direction', direction, 'phone', phone, 'line', line, 'operator', operator,
            'started_at', started_at, 'answered_at', answered_at, 'ended_at', ended_at,
            'duration', duration, 'outcome', outcome,
            'answered', json(CASE WHEN answered != 0 THEN 'true' ELSE 'false' END),
            'order_id', order_id, 'customer_id', customer_id))
       FROM (SELECT * FROM calls WHERE order_id = ?1
             UNION SELECT * FROM calls WHERE customer_id = ?2
             ORDER BY id DESC LIMIT 100)),
    (SELECT json_group_array(json_object('sku', sku, 'qty', qty, 'status', status,
            'changed_at', changed_at))
       FROM reservations WHERE order_id = ?1)"
);
