use super::*;
use crate::acquirer::cloudpayments::{
    answer, content_hmac, read, CODE_AMOUNT_MISMATCH, CODE_OK, CODE_REFUSED, CODE_UNKNOWN_ORDER,
};
use crate::acquirer::{Ack, Provider};
use orderpath_core::event::PaymentOutcome;

const SECRET: &str = "cp-test-api-secret";

/// A notification posted to `/webhooks/payments/cloudpayments/{rest}`, signed.
fn signed(rest: &str, body: &[u8]) -> Req {
    Req::post(body)
        .rest(rest)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-hmac", &content_hmac(SECRET, body))
}

fn read_signed(rest: &str, body: &[u8]) -> Result<Notice, NoticeError> {
    read(&signed(rest, body).as_request(), SECRET)
}

fn with(body: &[u8], changes: &[(&str, &str)]) -> Vec<u8> {
    let mut pairs = crate::acquirer::verify::form_pairs(body);
    for (name, value) in changes {
        pairs.retain(|(k, _)| k != name);
        if !value.is_empty() {
            pairs.push((name.to_string(), value.to_string()));
        }
    }
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

#[test]
fn content_hmac_matches_an_independent_computation() {
    // openssl dgst -sha256 -hmac cp-test-api-secret -binary < pay.form | base64
    assert_eq!(
        content_hmac(SECRET, fixture!("cloudpayments/pay.form")),
        "NId03cQLHqZE4e6D4DPBGICu2eMRbcPXWbDDtWFDJfg="
    );
    assert_eq!(
        content_hmac(SECRET, fixture!("cloudpayments/pay.json")),
        "71CLxXGgPG+HbFN4qvdeqIoRzZTOr/GLL0E4oBBtoOg="
    );
}

#[test]
fn completed_pay_is_a_succeeded_payment() {
    let notice = read_signed("pay", fixture!("cloudpayments/pay.form")).unwrap();

    assert_eq!(
        notice,
        Notice {
            key: "pay:3093418".to_owned(),
            what: "Pay".to_owned(),
            kind: NoticeKind::Payment(expected("3093418", PaymentOutcome::Succeeded)),
        }
    );
}

#[test]
fn json_pay_reads_like_the_form() {
    let body = fixture!("cloudpayments/pay.json");
    let request = Req::post(body)
        .rest("pay")
        .header("content-type", "application/json")
        .header(
            "content-hmac",
            "71CLxXGgPG+HbFN4qvdeqIoRzZTOr/GLL0E4oBBtoOg=",
        );

    let notice = read(&request.as_request(), SECRET).unwrap();

    assert_eq!(
        notice,
        read_signed("pay", fixture!("cloudpayments/pay.form")).unwrap()
    );
}

#[test]
fn json_is_recognised_without_a_content_type() {
    let body = fixture!("cloudpayments/pay.json");
    let request = Req::post(body)
        .rest("Pay")
        .header("content-hmac", &content_hmac(SECRET, body));

    let notice = read(&request.as_request(), SECRET).unwrap();

    assert_eq!(notice.key, "pay:3093418");
}

#[test]
fn authorized_pay_then_confirm_is_authorised_then_succeeded() {
    let authorised = read_signed("pay", fixture!("cloudpayments/pay.authorized.form")).unwrap();
    let confirmed = read_signed("confirm", fixture!("cloudpayments/confirm.form")).unwrap();

    assert_eq!(
        payment(&authorised),
        &expected("3093431", PaymentOutcome::Authorised)
    );
    assert_eq!(
        payment(&confirmed),
        &expected("3093431", PaymentOutcome::Succeeded)
    );
    assert_eq!(
        (authorised.key.as_str(), confirmed.key.as_str()),
        ("pay:3093431", "confirm:3093431")
    );
}

#[test]
fn fail_carries_the_reason_and_its_code() {
    let notice = read_signed("fail", fixture!("cloudpayments/fail.form")).unwrap();

    let mut want = expected("3093410", PaymentOutcome::Failed);
    want.reason = Some("InsufficientFunds (5051)".to_owned());
    assert_eq!(notice.key, "fail:3093410");
    assert_eq!(payment(&notice), &want);
}

#[test]
fn refund_names_the_paid_transaction_and_its_own() {
    let notice = read_signed("refund", fixture!("cloudpayments/refund.form")).unwrap();

    let mut want = expected("3093418", PaymentOutcome::Refunded);
    want.operation_id = Some("3093425".to_owned());
    want.currency = None;
    assert_eq!(notice.key, "refund:3093425");
    assert_eq!(payment(&notice), &want);
}

#[test]
fn check_asks_whether_an_authorised_payment_may_go_ahead() {
    let notice = read_signed("check", fixture!("cloudpayments/check.form")).unwrap();

    assert_eq!(notice.key, "check:3093418");
    assert_eq!(
        notice.kind,
        NoticeKind::Check(expected("3093418", PaymentOutcome::Authorised))
    );
}

#[test]
fn cancel_is_a_failure_and_needs_no_amount() {
    let body = with(
        fixture!("cloudpayments/pay.authorized.form"),
        &[("Amount", "")],
    );

    let notice = read_signed("cancel", &body).unwrap();

    let mut want = expected("3093431", PaymentOutcome::Failed);
    want.amount = None;
    want.reason = Some("cancelled".to_owned());
    assert_eq!(payment(&notice), &want);
}

#[test]
fn recurrent_is_ignored_and_keyed_by_subscription_and_body() {
    let body = b"Id=sc_8cf8a9338fb8ebf7202b08d09c938&AccountId=cust-4821&Status=Active";

    let first = read_signed("recurrent", body).unwrap();
    let again = read_signed("recurrent", body).unwrap();

    assert_eq!(first.kind, NoticeKind::Ignored);
    assert!(first
        .key
        .starts_with("recurrent:sc_8cf8a9338fb8ebf7202b08d09c938:"));
    assert_eq!(first.key, again.key);
}

#[test]
fn fixtures_for_unknown_order_and_wrong_amount_differ_where_expected() {
    let unknown = read_signed("check", fixture!("cloudpayments/pay.unknown-order.form")).unwrap();
    let cheap = read_signed("pay", fixture!("cloudpayments/pay.amount-mismatch.form")).unwrap();

    let NoticeKind::Check(unknown) = unknown.kind else {
        panic!("not a check")
    };
    assert_eq!(unknown.order_ref.as_deref(), Some("A-9999"));
    assert_eq!(payment(&cheap).amount, Some(100_000));
    assert_eq!(payment(&cheap).order_ref.as_deref(), Some("A-1001"));
}

#[test]
fn type_is_inferred_when_the_url_has_none() {
    let kind_of = |body: &[u8]| read_signed("", body).map(|n| n.key);

    assert_eq!(
        kind_of(fixture!("cloudpayments/pay.form")),
        Ok("pay:3093418".to_owned())
    );
    assert_eq!(
        kind_of(fixture!("cloudpayments/pay.authorized.form")),
        Ok("pay:3093431".to_owned())
    );
    assert_eq!(
        kind_of(fixture!("cloudpayments/fail.form")),
        Ok("fail:3093410".to_owned())
    );
    assert_eq!(
        kind_of(fixture!("cloudpayments/refund.form")),
        Ok("refund:3093425".to_owned())
    );
}

#[test]
fn type_that_cannot_be_inferred_asks_for_it_in_the_url() {
    let body = with(fixture!("cloudpayments/pay.form"), &[("Status", "")]);

    let result = read_signed("", &body);

    let Err(NoticeError::Malformed(message)) = result else {
        panic!("{result:?}")
    };
    assert!(message.contains("URL"), "{message}");
}

#[test]
fn unknown_type_in_the_url_is_malformed() {
    let result = read_signed("payout", fixture!("cloudpayments/pay.form"));

    assert!(matches!(result, Err(NoticeError::Malformed(m)) if m.contains("payout")));
}

#[test]
fn missing_or_wrong_hmac_is_unauthorized() {
    let body = fixture!("cloudpayments/pay.form");
    let unsigned = Req::post(body).rest("pay");
    let wrong = Req::post(body)
        .rest("pay")
        .header("content-hmac", &content_hmac("other", body));
    let garbage = Req::post(body)
        .rest("pay")
        .header("content-hmac", "not base64!");

    assert!(unauthorized(read(&unsigned.as_request(), SECRET)).contains("missing"));
    assert!(unauthorized(read(&wrong.as_request(), SECRET)).contains("does not match"));
    unauthorized(read(&garbage.as_request(), SECRET));
}

#[test]
fn hmac_of_another_body_is_unauthorized() {
    let body = fixture!("cloudpayments/pay.form");
    let tampered = with(body, &[("Amount", "1.00")]);
    let request = Req::post(&tampered)
        .rest("pay")
        .header("content-hmac", &content_hmac(SECRET, body));

    unauthorized(read(&request.as_request(), SECRET));
}

#[test]
fn x_content_hmac_is_accepted_over_the_raw_body_only() {
    let body = fixture!("cloudpayments/pay.form");
    // python3: hmac over urllib.parse.unquote_plus(body), then base64 (README.md).
    let decoded = Req::post(body).rest("pay").header(
        "x-content-hmac",
        "5kGtmicnzLPSpHepk+oWMhIjs5Z7pvRawsej5m+vu7A=",
    );
    let raw = Req::post(body)
        .rest("pay")
        .header("x-content-hmac", &content_hmac(SECRET, body));
    let refund = fixture!("cloudpayments/refund.form");
    // python3: hmac over urllib.parse.unquote(body): '+' kept.
    let kept_plus = Req::post(refund).rest("refund").header(
        "x-content-hmac",
        "D3rQ9dQNVqOKbeXM779Z+bF4vAcxYBOkv2ezUHkn1fE=",
    );

    assert!(read(&raw.as_request(), SECRET).is_ok());
    unauthorized(read(&decoded.as_request(), SECRET));
    unauthorized(read(&kept_plus.as_request(), SECRET));
}

#[test]
fn content_hmac_is_not_accepted_over_the_decoded_body() {
    let body = fixture!("cloudpayments/pay.form");
    let request = Req::post(body).rest("pay").header(
        "content-hmac",
        "5kGtmicnzLPSpHepk+oWMhIjs5Z7pvRawsej5m+vu7A=",
    );

    unauthorized(read(&request.as_request(), SECRET));
}

#[test]
fn either_header_may_carry_the_match() {
    let body = fixture!("cloudpayments/pay.form");
    let request = Req::post(body)
        .rest("pay")
        .header("content-hmac", "AAAA")
        .header("x-content-hmac", &content_hmac(SECRET, body));

    assert!(read(&request.as_request(), SECRET).is_ok());
}

#[test]
fn missing_transaction_or_amount_is_invalid() {
    let no_id = with(fixture!("cloudpayments/pay.form"), &[("TransactionId", "")]);
    let bad_id = with(
        fixture!("cloudpayments/pay.form"),
        &[("TransactionId", "12a")],
    );
    let no_amount = with(fixture!("cloudpayments/pay.form"), &[("Amount", "")]);
    let bad_amount = with(
        fixture!("cloudpayments/pay.form"),
        &[("Amount", "12900,00")],
    );

    assert_eq!(
        invalid(read_signed("pay", &no_id)),
        ("TransactionId".to_owned(), "is required".to_owned())
    );
    assert_eq!(invalid(read_signed("pay", &bad_id)).0, "TransactionId");
    assert_eq!(
        invalid(read_signed("pay", &no_amount)),
        ("Amount".to_owned(), "is required".to_owned())
    );
    assert_eq!(invalid(read_signed("pay", &bad_amount)).0, "Amount");
}

#[test]
fn test_mode_is_read_in_every_spelling() {
    for (value, test) in [("1", true), ("True", true), ("0", false), ("false", false)] {
        let body = with(fixture!("cloudpayments/pay.form"), &[("TestMode", value)]);

        assert_eq!(
            payment(&read_signed("pay", &body).unwrap()).test,
            test,
            "{value}"
        );
    }
    let body = with(fixture!("cloudpayments/pay.form"), &[("TestMode", "yes")]);
    assert_eq!(invalid(read_signed("pay", &body)).0, "TestMode");
}

#[test]
fn empty_invoice_id_means_no_order() {
    let body = with(fixture!("cloudpayments/pay.form"), &[("InvoiceId", "")]);
    let blank = fixture!("cloudpayments/pay.form").to_vec();
    let blank = String::from_utf8(blank)
        .unwrap()
        .replace("InvoiceId=A-1001", "InvoiceId=");

    assert_eq!(payment(&read_signed("pay", &body).unwrap()).order_ref, None);
    assert_eq!(
        payment(&read_signed("pay", blank.as_bytes()).unwrap()).order_ref,
        None
    );
}

#[test]
fn malformed_json_body_is_malformed() {
    let body = b"{\"TransactionId\": 1,";
    let request = signed("pay", body).header("content-type", "application/json");

    assert!(matches!(
        read(&request.as_request(), SECRET),
        Err(NoticeError::Malformed(_))
    ));
}

#[test]
fn answers_are_codes_in_json() {
    assert_eq!(
        answer(CODE_UNKNOWN_ORDER),
        Ack {
            content_type: "application/json",
            body: "{\"code\":10}".to_owned()
        }
    );
    assert_eq!(answer(CODE_AMOUNT_MISMATCH).body, "{\"code\":12}");
    assert_eq!(answer(CODE_REFUSED).body, "{\"code\":13}");
    assert_eq!(Provider::CloudPayments.ack(), answer(CODE_OK));
}

#[test]
fn check_answers_by_the_order_it_names() {
    use crate::acquirer::cloudpayments::{check_code, CheckedOrder};
    use crate::acquirer::ReportedPayment;
    use orderpath_core::event::OrderId;
    use orderpath_core::payment::PaidOrder;
    let payment = |amount| ReportedPayment {
        order_ref: Some("A-1001".to_owned()),
        payment_id: "3093418".to_owned(),
        operation_id: None,
        outcome: PaymentOutcome::Authorised,
        amount: Some(amount),
        currency: Some("RUB".to_owned()),
        reason: None,
        test: false,
    };
    let id = OrderId::parse("A-1001").expect("id");
    let order = |finished| {
        Some(CheckedOrder {
            order: PaidOrder {
                id: &id,
                currency: "RUB",
                total: 1_290_000,
            },
            finished,
        })
    };

    assert_eq!(check_code(&payment(1_290_000), order(false)), CODE_OK);
    assert_eq!(
        check_code(&payment(100_000), order(false)),
        CODE_AMOUNT_MISMATCH
    );
    assert_eq!(check_code(&payment(1_290_000), order(true)), CODE_REFUSED);
    assert_eq!(check_code(&payment(1_290_000), None), CODE_UNKNOWN_ORDER);
}
