use serde_json::json;

use super::*;
use crate::acquirer::stripe::{read, signature, TOLERANCE_SECS};
use orderpath_core::event::PaymentOutcome;

const SECRET: &str = "whsec_test_stripe_secret";
const NOW: i64 = 1_795_515_670;
const INTENT: &str = "pi_3QfLw2KZ8aBcDeFg1mN0pQ4r";

fn signed_at(t: i64, body: &[u8]) -> Req {
    let header = format!("t={t},v1={}", signature(SECRET, t, body));
    Req::post(body).header("stripe-signature", &header)
}

fn read_body(body: &[u8]) -> Result<Notice, NoticeError> {
    read(&signed_at(NOW, body).as_request(), SECRET, NOW)
}

#[test]
fn signature_matches_an_independent_computation() {
    // { printf '1795515670.'; cat payment_intent.succeeded.json; } |
    //     openssl dgst -sha256 -hmac whsec_test_stripe_secret
    let body = fixture!("stripe/payment_intent.succeeded.json");
    let header = "t=1795515670,v1=19b9cd09950047d41f0964092d0853d973c7e03dd809a37d3891af560ac684a6";

    let notice = read(
        &Req::post(body)
            .header("stripe-signature", header)
            .as_request(),
        SECRET,
        NOW,
    );

    assert_eq!(
        notice.map(|n| n.key),
        Ok("evt_3QfLw2KZ8aBcDeFg1x0Ab2Cd".to_owned())
    );
}

#[test]
fn succeeded_intent_is_read_with_its_order_amount_and_event_id() {
    let notice = read_body(fixture!("stripe/payment_intent.succeeded.json")).unwrap();

    assert_eq!(
        notice,
        Notice {
            key: "evt_3QfLw2KZ8aBcDeFg1x0Ab2Cd".to_owned(),
            what: "payment_intent.succeeded".to_owned(),
            kind: NoticeKind::Payment(expected(INTENT, PaymentOutcome::Succeeded)),
        }
    );
}

#[test]
fn failed_intent_carries_message_and_code() {
    let notice = read_body(fixture!("stripe/payment_intent.payment_failed.json")).unwrap();

    let mut want = expected("pi_3QfLr9KZ8aBcDeFg0tU1vW2x", PaymentOutcome::Failed);
    want.reason = Some("Your card has insufficient funds. (card_declined)".to_owned());
    assert_eq!(payment(&notice), &want);
}

#[test]
fn paid_checkout_session_reports_its_payment_intent() {
    let notice = read_body(fixture!("stripe/checkout.session.completed.json")).unwrap();

    assert_eq!(
        payment(&notice),
        &expected(INTENT, PaymentOutcome::Succeeded)
    );
}

#[test]
fn unpaid_checkout_session_is_ignored_until_the_async_payment_reports() {
    let body = fixture!("stripe/checkout.session.completed.json");
    let unpaid = edit_json(body, "/data/object/payment_status", Some(json!("unpaid")));
    let later = edit_json(
        &unpaid,
        "/type",
        Some(json!("checkout.session.async_payment_succeeded")),
    );
    let failed = edit_json(
        &unpaid,
        "/type",
        Some(json!("checkout.session.async_payment_failed")),
    );

    assert_eq!(read_body(&unpaid).unwrap().kind, NoticeKind::Ignored);
    assert_eq!(
        payment(&read_body(&later).unwrap()).outcome,
        PaymentOutcome::Succeeded
    );
    assert_eq!(
        payment(&read_body(&failed).unwrap()).outcome,
        PaymentOutcome::Failed
    );
}

#[test]
fn session_without_intent_or_reference_falls_back_to_its_id_and_metadata() {
    let body = fixture!("stripe/checkout.session.completed.json");
    let body = edit_json(body, "/data/object/payment_intent", Some(json!(null)));
    let body = edit_json(&body, "/data/object/client_reference_id", None);
    let body = edit_json(
        &body,
        "/data/object/metadata/order_id",
        Some(json!("A-1002")),
    );

    let notice = read_body(&body).unwrap();

    assert!(payment(&notice).payment_id.starts_with("cs_live_"));
    assert_eq!(payment(&notice).order_ref.as_deref(), Some("A-1002"));
}

#[test]
fn refunded_charge_names_the_intent_and_the_cumulative_refund() {
    let notice = read_body(fixture!("stripe/charge.refunded.json")).unwrap();

    let mut want = expected(INTENT, PaymentOutcome::Refunded);
    want.operation_id = Some("ch_3QfLw2KZ8aBcDeFg1aB2cD3e:1290000".to_owned());
    assert_eq!(payment(&notice), &want);
}

#[test]
fn capturable_and_canceled_intents_are_authorised_and_failed() {
    let body = fixture!("stripe/payment_intent.succeeded.json");
    let held = edit_json(
        body,
        "/type",
        Some(json!("payment_intent.amount_capturable_updated")),
    );
    let held = edit_json(
        &held,
        "/data/object/amount_capturable",
        Some(json!(1_290_000)),
    );
    let canceled = edit_json(body, "/type", Some(json!("payment_intent.canceled")));
    let canceled = edit_json(
        &canceled,
        "/data/object/cancellation_reason",
        Some(json!("abandoned")),
    );

    let held = read_body(&held).unwrap();
    let canceled = read_body(&canceled).unwrap();

    assert_eq!(
        payment(&held),
        &expected(INTENT, PaymentOutcome::Authorised)
    );
    assert_eq!(payment(&canceled).outcome, PaymentOutcome::Failed);
    assert_eq!(payment(&canceled).reason.as_deref(), Some("abandoned"));
}

#[test]
fn other_event_types_are_ignored() {
    let notice = read_body(fixture!("stripe/customer.created.json")).unwrap();

    assert_eq!(notice.kind, NoticeKind::Ignored);
    assert_eq!(notice.key, "evt_1QfLvyKZ8aBcDeFgV6w7X8y9");
}

#[test]
fn test_mode_events_are_marked_test() {
    let body = edit_json(
        fixture!("stripe/payment_intent.succeeded.json"),
        "/livemode",
        Some(json!(false)),
    );

    assert!(payment(&read_body(&body).unwrap()).test);
}

#[test]
fn any_v1_may_match_and_v0_is_ignored() {
    let body = fixture!("stripe/payment_intent.succeeded.json");
    let good = signature(SECRET, NOW, body);
    let header = format!(
        "t={NOW},v1={},v1={good},v0={}",
        "0".repeat(64),
        "f".repeat(64)
    );

    let result = read(
        &Req::post(body)
            .header("stripe-signature", &header)
            .as_request(),
        SECRET,
        NOW,
    );

    assert!(result.is_ok());
}

#[test]
fn v0_alone_is_unauthorized() {
    let body = fixture!("stripe/payment_intent.succeeded.json");
    let header = format!("t={NOW},v0={}", signature(SECRET, NOW, body));

    let result = read(
        &Req::post(body)
            .header("stripe-signature", &header)
            .as_request(),
        SECRET,
        NOW,
    );

    assert!(unauthorized(result).contains("no v1"));
}

#[test]
fn stale_and_future_timestamps_are_outside_the_tolerance() {
    let body = fixture!("stripe/payment_intent.succeeded.json");
    let tolerance = TOLERANCE_SECS as i64;

    let stale = read(
        &signed_at(NOW - tolerance - 1, body).as_request(),
        SECRET,
        NOW,
    );
    let future = read(
        &signed_at(NOW + tolerance + 1, body).as_request(),
        SECRET,
        NOW,
    );
    let edge = read(&signed_at(NOW - tolerance, body).as_request(), SECRET, NOW);

    assert!(unauthorized(stale).contains("tolerance"));
    assert!(unauthorized(future).contains("tolerance"));
    assert!(edge.is_ok());
}

#[test]
fn wrong_secret_tampered_body_or_missing_header_is_unauthorized() {
    let body = fixture!("stripe/payment_intent.succeeded.json");
    let tampered = edit_json(body, "/data/object/amount_received", Some(json!(100)));
    let signed_original = format!("t={NOW},v1={}", signature(SECRET, NOW, body));

    let wrong_secret = read(&signed_at(NOW, body).as_request(), "whsec_other", NOW);
    let changed = read(
        &Req::post(&tampered)
            .header("stripe-signature", &signed_original)
            .as_request(),
        SECRET,
        NOW,
    );
    let missing = read(&Req::post(body).as_request(), SECRET, NOW);
    let no_time = read(
        &Req::post(body)
            .header(
                "stripe-signature",
                &format!("v1={}", signature(SECRET, NOW, body)),
            )
            .as_request(),
        SECRET,
        NOW,
    );

    assert!(unauthorized(wrong_secret).contains("no v1 signature matches"));
    unauthorized(changed);
    assert!(unauthorized(missing).contains("missing"));
    assert!(unauthorized(no_time).contains("timestamp"));
}

#[test]
fn upper_case_signature_is_accepted() {
    let body = fixture!("stripe/payment_intent.succeeded.json");
    let header = format!(
        "t={NOW}, v1={}",
        signature(SECRET, NOW, body).to_uppercase()
    );

    assert!(read(
        &Req::post(body)
            .header("stripe-signature", &header)
            .as_request(),
        SECRET,
        NOW
    )
    .is_ok());
}

#[test]
fn malformed_json_is_malformed() {
    assert!(matches!(
        read_body(b"{\"id\": \"evt_1\""),
        Err(NoticeError::Malformed(_))
    ));
}

#[test]
fn missing_fields_of_a_mapped_type_are_invalid_with_their_path() {
    let body = fixture!("stripe/payment_intent.succeeded.json");
    let no_amount = edit_json(body, "/data/object/amount_received", None);
    let no_amount = edit_json(&no_amount, "/data/object/amount", None);
    let no_currency = edit_json(body, "/data/object/currency", None);
    let no_object = edit_json(body, "/data/object", None);
    let bad_currency = edit_json(body, "/data/object/currency", Some(json!("rubles")));

    assert_eq!(
        invalid(read_body(&no_amount)),
        ("data.object.amount".to_owned(), "is required".to_owned())
    );
    assert_eq!(invalid(read_body(&no_currency)).0, "data.object.currency");
    assert_eq!(invalid(read_body(&no_object)).0, "data.object");
    assert_eq!(invalid(read_body(&bad_currency)).0, "data.object.currency");
}

#[test]
fn amount_falls_back_to_amount_when_nothing_was_received_yet() {
    let body = edit_json(
        fixture!("stripe/payment_intent.succeeded.json"),
        "/data/object/amount_received",
        None,
    );

    assert_eq!(payment(&read_body(&body).unwrap()).amount, Some(1_290_000));
}

#[test]
fn missing_event_id_is_invalid() {
    let body = edit_json(fixture!("stripe/customer.created.json"), "/id", None);

    assert_eq!(invalid(read_body(&body)).0, "id");
}
