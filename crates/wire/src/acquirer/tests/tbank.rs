use serde_json::json;

use super::*;
use crate::acquirer::tbank::{read, token};
use orderpath_core::event::PaymentOutcome;

const PASSWORD: &str = "tbank-test-password";
const PAYMENT: &str = "7104932801";

fn read_body(body: &[u8]) -> Result<Notice, NoticeError> {
    read(&Req::post(body).as_request(), PASSWORD)
}

/// The body with one field changed and its `Token` recomputed.
fn resigned(body: &[u8], field: &str, value: Option<serde_json::Value>) -> Vec<u8> {
    let edited = edit_json(body, &format!("/{field}"), value);
    let doc: serde_json::Value = serde_json::from_slice(&edited).unwrap();
    let token = token(&doc, PASSWORD).unwrap();
    edit_json(&edited, "/Token", Some(json!(token)))
}

#[test]
fn token_matches_the_documentation_example() {
    // developer.tbank.ru/eacq/intro/developer/token: nested DATA and Receipt are left out.
    let request = json!({
        "TerminalKey": "MerchantTerminalKey",
        "Amount": 19200,
        "OrderId": "21090",
        "Description": "Подарочная карта на 1000 рублей",
        "DATA": { "Phone": "+71234567890", "Email": "a@test.com" },
        "Receipt": { "Email": "a@test.ru", "Taxation": "osn", "Items": [] }
    });

    let token = token(&request, "usaf8fw8fsw21g");

    assert_eq!(
        token.as_deref(),
        Some("0024a00af7c350a3a67ca168ce06502aa72772456662e38696d48b56ee9c97d9")
    );
}

#[test]
fn token_counts_booleans_as_words_and_skips_nested_values_and_null() {
    // printf '%s' '3000000A-1001tbank-test-password7104932801PARTIAL_REFUNDEDfalse1712345678901' | sha256sum
    let body = json!({
        "TerminalKey": "1712345678901", "OrderId": "A-1001", "Success": false,
        "Status": "PARTIAL_REFUNDED", "PaymentId": 7104932801_i64, "ErrorCode": "0",
        "Amount": 300000, "DATA": { "Route": "ACQ" }, "Receipt": [1, 2], "RebillId": null,
        "Token": "2D25A8CEC6549709F64A82371F6A91C84A54D5E729A040C1778CBA6CA94F69C5"
    });

    let notice = read_body(body.to_string().as_bytes()).unwrap();

    let mut want = expected(PAYMENT, PaymentOutcome::Refunded);
    want.amount = Some(300_000);
    want.currency = None;
    want.operation_id = Some(format!("{PAYMENT}:PARTIAL_REFUNDED:300000"));
    assert_eq!(payment(&notice), &want);
}

#[test]
fn confirmed_is_a_succeeded_payment_in_kopecks_without_currency() {
    let notice = read_body(fixture!("tbank/confirmed.json")).unwrap();

    let mut want = expected(PAYMENT, PaymentOutcome::Succeeded);
    want.currency = None;
    assert_eq!(
        notice,
        Notice {
            key: format!("{PAYMENT}:CONFIRMED"),
            what: "CONFIRMED".to_owned(),
            kind: NoticeKind::Payment(want),
        }
    );
}

#[test]
fn authorized_is_authorised() {
    let notice = read_body(fixture!("tbank/authorized.json")).unwrap();

    assert_eq!(notice.key, format!("{PAYMENT}:AUTHORIZED"));
    assert_eq!(payment(&notice).outcome, PaymentOutcome::Authorised);
}

#[test]
fn rejected_fails_with_message_details_and_error_code() {
    let notice = read_body(fixture!("tbank/rejected.json")).unwrap();

    let mut want = expected("7104932790", PaymentOutcome::Failed);
    want.currency = None;
    want.reason =
        Some("Недостаточно средств на карте; Insufficient funds; error code 1051".to_owned());
    assert_eq!(payment(&notice), &want);
}

#[test]
fn refunded_names_its_operation_by_payment_status_and_amount() {
    let notice = read_body(fixture!("tbank/refunded.json")).unwrap();

    let mut want = expected(PAYMENT, PaymentOutcome::Refunded);
    want.currency = None;
    want.operation_id = Some(format!("{PAYMENT}:REFUNDED:1290000"));
    assert_eq!(notice.key, format!("{PAYMENT}:REFUNDED:1290000"));
    assert_eq!(payment(&notice), &want);
}

#[test]
fn two_partial_refunds_of_one_payment_are_two_notifications() {
    let partial = resigned(
        fixture!("tbank/refunded.json"),
        "Status",
        Some(json!("PARTIAL_REFUNDED")),
    );
    let first = resigned(&partial, "Amount", Some(json!(300_000)));
    let second = resigned(&partial, "Amount", Some(json!(200_000)));

    let (first, second) = (read_body(&first).unwrap(), read_body(&second).unwrap());

    assert_eq!(first.key, format!("{PAYMENT}:PARTIAL_REFUNDED:300000"));
    assert_eq!(second.key, format!("{PAYMENT}:PARTIAL_REFUNDED:200000"));
    assert_ne!(payment(&first).operation_id, payment(&second).operation_id);
}

#[test]
fn an_intermediate_status_needs_no_amount() {
    let body = resigned(fixture!("tbank/new.json"), "Amount", None);

    assert_eq!(read_body(&body).unwrap().kind, NoticeKind::Ignored);
}

#[test]
fn intermediate_status_is_ignored_but_keyed() {
    let notice = read_body(fixture!("tbank/new.json")).unwrap();

    assert_eq!(notice.kind, NoticeKind::Ignored);
    assert_eq!(notice.key, format!("{PAYMENT}:NEW"));
}

#[test]
fn unknown_order_fixture_carries_the_other_order() {
    let notice = read_body(fixture!("tbank/confirmed.unknown-order.json")).unwrap();

    assert_eq!(payment(&notice).order_ref.as_deref(), Some("A-9999"));
}

#[test]
fn failures_and_releases_map_to_failed() {
    let cases = [
        ("AUTH_FAIL", "error code 1051"),
        ("DEADLINE_EXPIRED", "error code 1051"),
        ("CANCELED", "error code 1051"),
        ("REVERSED", "reversed"),
        ("PARTIAL_REVERSED", "reversed"),
    ];
    let base = resigned(
        fixture!("tbank/confirmed.json"),
        "ErrorCode",
        Some(json!("1051")),
    );
    for (status, reason) in cases {
        let body = resigned(&base, "Status", Some(json!(status)));

        let notice = read_body(&body).unwrap();

        assert_eq!(payment(&notice).outcome, PaymentOutcome::Failed, "{status}");
        assert_eq!(payment(&notice).reason.as_deref(), Some(reason), "{status}");
    }
}

#[test]
fn failure_without_any_text_gives_the_status() {
    let body = resigned(
        fixture!("tbank/confirmed.json"),
        "Status",
        Some(json!("REJECTED")),
    );

    let notice = read_body(&body).unwrap();

    assert_eq!(payment(&notice).reason.as_deref(), Some("REJECTED"));
}

#[test]
fn string_payment_id_is_taken_as_text() {
    let body = resigned(
        fixture!("tbank/confirmed.json"),
        "PaymentId",
        Some(json!("7104932801")),
    );

    let notice = read_body(&body).unwrap();

    assert_eq!(payment(&notice).payment_id, PAYMENT);
}

#[test]
fn wrong_or_missing_token_is_unauthorized() {
    let tampered = edit_json(
        fixture!("tbank/confirmed.json"),
        "/Amount",
        Some(json!(100)),
    );
    let missing = edit_json(fixture!("tbank/confirmed.json"), "/Token", None);

    assert!(unauthorized(read_body(&tampered)).contains("does not match"));
    assert!(unauthorized(read_body(&missing)).contains("missing"));
    unauthorized(read(
        &Req::post(fixture!("tbank/confirmed.json")).as_request(),
        "other",
    ));
}

#[test]
fn upper_case_token_is_accepted() {
    let body = fixture!("tbank/confirmed.json");
    let doc: serde_json::Value = serde_json::from_slice(body).unwrap();
    let upper = doc["Token"].as_str().unwrap().to_ascii_uppercase();

    let body = edit_json(body, "/Token", Some(json!(upper)));

    assert!(read_body(&body).is_ok());
}

#[test]
fn malformed_json_is_malformed() {
    assert!(matches!(read_body(b"OK"), Err(NoticeError::Malformed(_))));
    assert!(matches!(
        read_body(b"\"text\""),
        Err(NoticeError::Malformed(_))
    ));
}

#[test]
fn missing_fields_are_invalid_once_the_token_matches() {
    let no_status = resigned(fixture!("tbank/confirmed.json"), "Status", None);
    let no_payment = resigned(fixture!("tbank/confirmed.json"), "PaymentId", None);
    let no_amount = resigned(fixture!("tbank/confirmed.json"), "Amount", None);
    let text_amount = resigned(
        fixture!("tbank/confirmed.json"),
        "Amount",
        Some(json!("12900.00")),
    );

    assert_eq!(invalid(read_body(&no_status)).0, "Status");
    assert_eq!(invalid(read_body(&no_payment)).0, "PaymentId");
    assert_eq!(
        invalid(read_body(&no_amount)),
        ("Amount".to_owned(), "is required".to_owned())
    );
    assert_eq!(invalid(read_body(&text_amount)).0, "Amount");
}
