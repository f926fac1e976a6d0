use serde_json::json;

use super::*;
use crate::acquirer::generic::parse;
use orderpath_core::event::PaymentOutcome;

const WEBHOOK_ID: &str = "msg_2pLq8Xv0aZ3kT9yB1cD4eF6gH";

fn parse_body(body: &[u8]) -> Result<Notice, NoticeError> {
    parse(body, WEBHOOK_ID)
}

#[test]
fn succeeded_payment_is_keyed_by_the_webhook_id() {
    let notice = parse_body(fixture!("generic/payment.succeeded.json")).unwrap();

    assert_eq!(
        notice,
        Notice {
            key: WEBHOOK_ID.to_owned(),
            what: "payment.succeeded".to_owned(),
            kind: NoticeKind::Payment(expected("pay_8f2c41d07b", PaymentOutcome::Succeeded)),
        }
    );
}

#[test]
fn failed_payment_carries_its_reason() {
    let notice = parse_body(fixture!("generic/payment.failed.json")).unwrap();

    let mut want = expected("pay_8f2c3e9a55", PaymentOutcome::Failed);
    want.reason = Some("insufficient funds".to_owned());
    assert_eq!(payment(&notice), &want);
}

#[test]
fn refund_carries_its_own_id_and_may_omit_the_order() {
    let body = fixture!("generic/payment.refunded.json");
    let without_order = edit_json(body, "/data/order_id", None);

    let notice = parse_body(body).unwrap();
    let anonymous = parse_body(&without_order).unwrap();

    let mut want = expected("pay_8f2c41d07b", PaymentOutcome::Refunded);
    want.operation_id = Some("rf_1c77e2a940".to_owned());
    assert_eq!(payment(&notice), &want);
    want.order_ref = None;
    assert_eq!(payment(&anonymous), &want);
}

#[test]
fn authorised_is_accepted_in_both_spellings() {
    for kind in ["payment.authorised", "payment.authorized"] {
        let body = edit_json(
            fixture!("generic/payment.succeeded.json"),
            "/type",
            Some(json!(kind)),
        );

        let notice = parse_body(&body).unwrap();

        assert_eq!(payment(&notice).outcome, PaymentOutcome::Authorised);
        assert_eq!(notice.what, kind);
    }
}

#[test]
fn test_flag_is_read() {
    let body = edit_json(
        fixture!("generic/payment.succeeded.json"),
        "/data/test",
        Some(json!(true)),
    );

    assert!(payment(&parse_body(&body).unwrap()).test);
}

#[test]
fn unknown_type_is_invalid_and_lists_the_accepted_ones() {
    let body = edit_json(
        fixture!("generic/payment.succeeded.json"),
        "/type",
        Some(json!("payment.paid")),
    );

    let (field, message) = invalid(parse_body(&body));

    assert_eq!(field, "type");
    assert!(message.contains("payment.paid"), "{message}");
    assert!(
        message.contains("payment.succeeded, payment.failed, payment.refunded, payment.authorised")
    );
}

#[test]
fn required_fields_are_invalid_when_missing() {
    let body = fixture!("generic/payment.succeeded.json");
    for field in ["order_id", "payment_id", "amount", "currency"] {
        let without = edit_json(body, &format!("/data/{field}"), None);

        assert_eq!(
            invalid(parse_body(&without)),
            (format!("data.{field}"), "is required".to_owned())
        );
    }
    assert_eq!(
        invalid(parse_body(&edit_json(body, "/data", None))).0,
        "data"
    );
    assert_eq!(
        invalid(parse_body(&edit_json(body, "/type", None))).0,
        "type"
    );
}

#[test]
fn wrong_amounts_and_currencies_are_invalid() {
    let body = fixture!("generic/payment.succeeded.json");
    let cases = [
        ("amount", json!(-1)),
        ("amount", json!(12900.5)),
        ("amount", json!("1290000")),
        ("currency", json!("rub")),
        ("currency", json!("RUBL")),
        ("payment_id", json!(42)),
        ("test", json!("yes")),
    ];
    for (field, value) in cases {
        let edited = edit_json(body, &format!("/data/{field}"), Some(value.clone()));

        assert_eq!(
            invalid(parse_body(&edited)).0,
            format!("data.{field}"),
            "{value}"
        );
    }
}

#[test]
fn malformed_json_is_malformed() {
    assert!(matches!(parse_body(b"{"), Err(NoticeError::Malformed(_))));
    assert!(matches!(parse_body(b"[]"), Err(NoticeError::Malformed(_))));
}
