//! `order.payment`, `order.delivery`, `order.stock` and `call.ended`.

use super::*;

fn event(kind: &str, data: Value) -> Value {
    json!({ "type": kind, "data": data })
}

fn refused(body: Value) -> (String, String) {
    match parse(&body) {
        Err(EventError::Invalid { field, message }) => (field, message),
        other => panic!("expected a schema violation, got {other:?}"),
    }
}

fn payment() -> Value {
    event(
        "order.payment",
        json!({ "order_id": "A-1", "status": "succeeded", "amount": 251000, "currency": "RUB",
                "payment_id": " pay-1 " }),
    )
}

#[test]
fn payment_is_read_with_its_outcome_amount_and_id() {
    let Ok(OrderEvent::Payment(p)) = parse(&payment()) else {
        panic!("not a payment");
    };
    assert_eq!(p.status, PaymentOutcome::Succeeded);
    assert_eq!((p.amount, p.currency.as_str()), (251_000, "RUB"));
    assert_eq!(p.payment_id.as_deref(), Some("pay-1"));
    assert_eq!(p.reason, None);
}

#[test]
fn payment_needs_a_known_outcome_and_an_amount_in_minor_units() {
    let (field, message) = refused(with(payment(), "/data/status", Some(json!("paid"))));
    assert_eq!(field, "data.status");
    assert!(message.contains("succeeded, failed, refunded, authorised"));
    let (field, _) = refused(with(payment(), "/data/amount", Some(json!(-1))));
    assert_eq!(field, "data.amount");
    let (field, _) = refused(with(payment(), "/data/amount", None));
    assert_eq!(field, "data.amount");
    let (field, _) = refused(with(payment(), "/data/currency", Some(json!("RUBLES"))));
    assert_eq!(field, "data.currency");
    let long = "p".repeat(65);
    let (field, _) = refused(with(payment(), "/data/payment_id", Some(json!(long))));
    assert_eq!(field, "data.payment_id");
}

#[test]
fn delivery_takes_a_normalised_status_and_the_usual_fields() {
    let body = event(
        "order.delivery",
        json!({ "order_id": "A-1", "status": "at-pickup-point",
                "fields": { "track_number": "10203040" } }),
    );
    let Ok(OrderEvent::Delivery(d)) = parse(&body) else {
        panic!("not a delivery");
    };
    assert_eq!(d.status, "at-pickup-point");
    assert_eq!(
        d.fields,
        vec![("track_number".to_owned(), json!("10203040"))]
    );

    let (field, message) = refused(with(body.clone(), "/data/status", Some(json!("shipped"))));
    assert_eq!(field, "data.status");
    assert!(message.contains("in-transit"), "{message}");
    let (field, _) = refused(with(body, "/data/fields/trak", Some(json!("1"))));
    assert_eq!(field, "data.fields.trak");
}

#[test]
fn stock_lists_articles_and_says_whether_they_are_there() {
    let body = event(
        "order.stock",
        json!({ "order_id": "A-1", "skus": ["MUG-01", "TEA-2"], "available": false }),
    );
    let Ok(OrderEvent::Stock(s)) = parse(&body) else {
        panic!("not a stock report");
    };
    assert_eq!(s.skus, ["MUG-01", "TEA-2"]);
    assert!(!s.available);

    let (field, _) = refused(with(body.clone(), "/data/skus", Some(json!([]))));
    assert_eq!(field, "data.skus");
    let (field, _) = refused(with(body.clone(), "/data/skus/1", Some(json!(""))));
    assert_eq!(field, "data.skus[1]");
    let (field, message) = refused(with(body, "/data/available", Some(json!("no"))));
    assert_eq!(
        (field.as_str(), message.as_str()),
        ("data.available", "must be true or false")
    );
}

#[test]
fn call_defaults_to_inbound_and_normalises_the_phone() {
    let body = event(
        "call.ended",
        json!({ "phone": "8 (912) 345-67-89", "outcome": "busy" }),
    );
    let Ok(OrderEvent::CallEnded(c)) = parse(&body) else {
        panic!("not a call");
    };
    assert_eq!(c.phone.as_str(), "+79123456789");
    assert_eq!(
        (c.direction, c.outcome),
        (CallDirection::Inbound, CallOutcome::Busy)
    );
    assert_eq!((c.order_id, c.started_at), (None, None));
}

#[test]
fn call_is_refused_without_a_phone_or_with_an_unknown_outcome() {
    let body = event(
        "call.ended",
        json!({ "phone": "+79123456789", "direction": "outbound", "outcome": "answered",
                "started_at": "2026-11-24T19:40:00+03:00" }),
    );
    assert!(parse(&body).is_ok());
    let (field, _) = refused(with(body.clone(), "/data/phone", None));
    assert_eq!(field, "data.phone");
    let (field, _) = refused(with(body.clone(), "/data/phone", Some(json!("call me"))));
    assert_eq!(field, "data.phone");
    let (field, _) = refused(with(body.clone(), "/data/outcome", Some(json!("hung-up"))));
    assert_eq!(field, "data.outcome");
    let (field, _) = refused(with(
        body.clone(),
        "/data/direction",
        Some(json!("sideways")),
    ));
    assert_eq!(field, "data.direction");
    let (field, _) = refused(with(body, "/data/started_at", Some(json!("yesterday"))));
    assert_eq!(field, "data.started_at");
}
