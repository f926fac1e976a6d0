use serde_json::json;

use super::*;
use crate::acquirer::yookassa::{client_allowed, read, PUBLISHED_RANGES};
use orderpath_core::event::PaymentOutcome;

const TOKEN: &str = "yk-test-token-5f1c2e";
const PAYMENT: &str = "2f5a8c1e-000f-5000-9000-1b3c5d7e9f01";

fn notified(body: &[u8]) -> Req {
    Req::post(body).param("token", TOKEN)
}

fn read_body(body: &[u8]) -> Result<Notice, NoticeError> {
    read(&notified(body).as_request(), TOKEN)
}

#[test]
fn succeeded_payment_is_read_with_its_order_amount_and_key() {
    let body = fixture!("yookassa/payment.succeeded.json");

    let notice = read_body(body).unwrap();

    assert_eq!(
        notice,
        Notice {
            key: format!("{PAYMENT}:payment.succeeded"),
            what: "payment.succeeded".to_owned(),
            kind: NoticeKind::Payment(expected(PAYMENT, PaymentOutcome::Succeeded)),
        }
    );
}

#[test]
fn payment_waiting_for_capture_is_authorised() {
    let notice = read_body(fixture!("yookassa/payment.waiting_for_capture.json")).unwrap();

    assert_eq!(notice.key, format!("{PAYMENT}:payment.waiting_for_capture"));
    assert_eq!(
        payment(&notice),
        &expected(PAYMENT, PaymentOutcome::Authorised)
    );
}

#[test]
fn canceled_payment_fails_with_the_reason_and_the_party() {
    let notice = read_body(fixture!("yookassa/payment.canceled.json")).unwrap();

    let mut want = expected(
        "2f5a8b02-000f-5000-8000-17a9c4e2d5b3",
        PaymentOutcome::Failed,
    );
    want.reason = Some("insufficient_funds (payment_network)".to_owned());
    assert_eq!(payment(&notice), &want);
}

#[test]
fn refund_names_the_refunded_payment_and_its_own_id() {
    let notice = read_body(fixture!("yookassa/refund.succeeded.json")).unwrap();

    let refund_id = "2f5b31d7-0015-5000-a000-1c2d3e4f5a6b";
    assert_eq!(notice.key, format!("{refund_id}:refund.succeeded"));
    let mut want = expected(PAYMENT, PaymentOutcome::Refunded);
    want.order_ref = None;
    want.operation_id = Some(refund_id.to_owned());
    assert_eq!(payment(&notice), &want);
}

#[test]
fn unknown_order_fixture_carries_the_other_order() {
    let notice = read_body(fixture!("yookassa/payment.succeeded.unknown-order.json")).unwrap();

    assert_eq!(payment(&notice).order_ref.as_deref(), Some("A-9999"));
}

#[test]
fn numeric_order_id_and_test_flag_are_read() {
    let body = edit_json(
        fixture!("yookassa/payment.succeeded.json"),
        "/object/metadata/order_id",
        Some(json!(1001)),
    );
    let body = edit_json(&body, "/object/test", Some(json!(true)));

    let notice = read_body(&body).unwrap();

    assert_eq!(payment(&notice).order_ref.as_deref(), Some("1001"));
    assert!(payment(&notice).test);
}

#[test]
fn payment_without_metadata_has_no_order_ref() {
    let body = edit_json(
        fixture!("yookassa/payment.succeeded.json"),
        "/object/metadata",
        None,
    );

    let notice = read_body(&body).unwrap();

    assert_eq!(payment(&notice).order_ref, None);
}

#[test]
fn other_events_are_ignored_but_keyed() {
    let body = edit_json(
        fixture!("yookassa/payment.succeeded.json"),
        "/event",
        Some(json!("payout.succeeded")),
    );

    let notice = read_body(&body).unwrap();

    assert_eq!(notice.kind, NoticeKind::Ignored);
    assert_eq!(notice.key, format!("{PAYMENT}:payout.succeeded"));
}

#[test]
fn missing_or_wrong_token_is_unauthorized() {
    let body = fixture!("yookassa/payment.succeeded.json");

    let missing = read(&Req::post(body).as_request(), TOKEN);
    let wrong = read(
        &Req::post(body)
            .param("token", "yk-test-token-5f1c2")
            .as_request(),
        TOKEN,
    );

    assert!(unauthorized(missing).contains("missing"));
    assert!(unauthorized(wrong).contains("does not match"));
}

#[test]
fn token_is_checked_before_the_body_is_read() {
    let result = read(&Req::post(b"not json").as_request(), TOKEN);

    unauthorized(result);
}

#[test]
fn malformed_json_is_malformed() {
    assert!(matches!(
        read_body(b"{\"event\":"),
        Err(NoticeError::Malformed(_))
    ));
    assert!(matches!(read_body(b"[1]"), Err(NoticeError::Malformed(_))));
}

#[test]
fn missing_amount_is_invalid_with_its_path() {
    let body = edit_json(
        fixture!("yookassa/payment.succeeded.json"),
        "/object/amount/value",
        None,
    );

    assert_eq!(
        invalid(read_body(&body)),
        ("object.amount.value".to_owned(), "is required".to_owned())
    );
}

#[test]
fn amount_finer_than_kopecks_is_invalid() {
    let body = edit_json(
        fixture!("yookassa/payment.succeeded.json"),
        "/object/amount/value",
        Some(json!("12900.001")),
    );

    let (field, message) = invalid(read_body(&body));

    assert_eq!(field, "object.amount.value");
    assert!(message.contains("2 digits"), "{message}");
}

#[test]
fn missing_object_id_and_refund_payment_id_are_invalid() {
    let no_id = edit_json(
        fixture!("yookassa/payment.succeeded.json"),
        "/object/id",
        None,
    );
    let no_payment = edit_json(
        fixture!("yookassa/refund.succeeded.json"),
        "/object/payment_id",
        None,
    );

    assert_eq!(invalid(read_body(&no_id)).0, "object.id");
    assert_eq!(invalid(read_body(&no_payment)).0, "object.payment_id");
}

#[test]
fn client_addresses_are_matched_against_published_ranges() {
    for allowed in [
        "185.71.76.5:443",
        "185.71.77.31:1",
        "77.75.156.11:80",
        "[2a02:5180::1]:443",
    ] {
        assert_eq!(
            client_allowed(allowed, PUBLISHED_RANGES),
            Ok(true),
            "{allowed}"
        );
    }
    for refused in [
        "185.71.76.32:443",
        "77.75.156.12:80",
        "[2a02:5181::1]:443",
        "10.0.0.1:1",
    ] {
        assert_eq!(
            client_allowed(refused, PUBLISHED_RANGES),
            Ok(false),
            "{refused}"
        );
    }
}

#[test]
fn bare_and_mapped_client_addresses_are_accepted() {
    assert_eq!(client_allowed("77.75.153.1", PUBLISHED_RANGES), Ok(true));
    assert_eq!(client_allowed("2a02:5180::7", PUBLISHED_RANGES), Ok(true));
    assert_eq!(
        client_allowed("[::ffff:185.71.76.1]:5", PUBLISHED_RANGES),
        Ok(true)
    );
}

#[test]
fn unreadable_client_address_is_not_allowed() {
    assert_eq!(client_allowed("", PUBLISHED_RANGES), Ok(false));
    assert_eq!(client_allowed("somewhere", PUBLISHED_RANGES), Ok(false));
}

#[test]
fn empty_allow_list_allows_everyone() {
    assert_eq!(client_allowed("10.0.0.1:1", ""), Ok(true));
    assert_eq!(client_allowed("garbage", " , \n"), Ok(true));
}

#[test]
fn allow_list_separators_and_whole_address_ranges_work() {
    let list = "10.0.0.0/8,192.168.1.7\n\t::1 0.0.0.0/0";

    assert_eq!(client_allowed("8.8.8.8:53", list), Ok(true));
    assert_eq!(client_allowed("[::1]:9", list), Ok(true));
    assert_eq!(client_allowed("[::2]:9", list), Ok(false));
}

#[test]
fn malformed_allow_list_entry_is_named() {
    for bad in [
        "10.0.0.0/33",
        "10.0.0/8",
        "::/129",
        "10.0.0.0/",
        "example.com",
        "1.2.3.4/+8",
    ] {
        let error = client_allowed("10.0.0.1:1", &format!("127.0.0.1, {bad}")).unwrap_err();

        assert!(error.contains(bad), "{error}");
    }
}
