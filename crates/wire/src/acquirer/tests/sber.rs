use super::*;
use crate::acquirer::sber::{checksum, read};
use orderpath_core::event::PaymentOutcome;

const KEY: &str = "sber-test-callback-key";
const MD_ORDER: &str = "7a3f9c2e-5b1d-7e4a-9c8f-2d6b1e0a4f37";

fn read_query(query: &[u8]) -> Result<Notice, NoticeError> {
    read(&Req::get(query).as_request(), KEY)
}

/// The parameters with one changed (or added, or removed with `None`) and `checksum`
/// recomputed.
fn resigned(query: &[u8], name: &str, value: Option<&str>) -> Vec<u8> {
    let mut pairs = crate::acquirer::verify::form_pairs(query);
    pairs.retain(|(k, _)| k != name && k != "checksum");
    if let Some(value) = value {
        pairs.push((name.to_owned(), value.to_owned()));
    }
    let sum = checksum(&pairs, KEY).to_uppercase();
    pairs.push(("checksum".to_owned(), sum));
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

fn sber(outcome: PaymentOutcome) -> ReportedPayment {
    expected(MD_ORDER, outcome)
}

#[test]
fn deposited_is_a_succeeded_payment_keyed_by_order_operation_and_status() {
    let notice = read_query(fixture!("sber/deposited.query")).unwrap();

    assert_eq!(
        notice,
        Notice {
            key: format!("{MD_ORDER}:deposited:1"),
            what: "deposited".to_owned(),
            kind: NoticeKind::Payment(sber(PaymentOutcome::Succeeded)),
        }
    );
}

#[test]
fn approved_is_authorised() {
    let notice = read_query(fixture!("sber/approved.query")).unwrap();

    assert_eq!(payment(&notice), &sber(PaymentOutcome::Authorised));
}

#[test]
fn deposited_with_status_0_is_a_failure() {
    let notice = read_query(fixture!("sber/declined.query")).unwrap();

    let mut want = sber(PaymentOutcome::Failed);
    want.reason = Some("payment declined".to_owned());
    assert_eq!(notice.key, format!("{MD_ORDER}:deposited:0"));
    assert_eq!(payment(&notice), &want);
}

#[test]
fn refunded_names_the_refund_by_order_and_amount() {
    let notice = read_query(fixture!("sber/refunded.query")).unwrap();

    let mut want = sber(PaymentOutcome::Refunded);
    want.operation_id = Some(format!("{MD_ORDER}:refunded:1290000"));
    assert_eq!(notice.key, format!("{MD_ORDER}:refunded:1:1290000"));
    assert_eq!(payment(&notice), &want);
}

#[test]
fn two_partial_refunds_of_one_order_are_two_callbacks() {
    let first = resigned(fixture!("sber/refunded.query"), "amount", Some("300000"));
    let second = resigned(fixture!("sber/refunded.query"), "amount", Some("200000"));

    let (first, second) = (read_query(&first).unwrap(), read_query(&second).unwrap());

    assert_eq!(first.key, format!("{MD_ORDER}:refunded:1:300000"));
    assert_eq!(second.key, format!("{MD_ORDER}:refunded:1:200000"));
    assert_eq!(payment(&second).amount, Some(200_000));
}

#[test]
fn unknown_order_fixture_carries_the_other_order() {
    let notice = read_query(fixture!("sber/deposited.unknown-order.query")).unwrap();

    assert_eq!(payment(&notice).order_ref.as_deref(), Some("A-9999"));
}

#[test]
fn minimal_refund_without_amount_matches_an_independent_checksum() {
    // printf '%s' 'mdOrder;…;operation;refunded;orderNumber;A-1001;status;1;' |
    //     openssl dgst -sha256 -hmac sber-test-callback-key
    let query = "mdOrder=5d1e0c3a-9b7f-7a2e-8c4d-6f1a0b2e3c4d&orderNumber=A-1001\
        &checksum=497C3C8F030E4A5927B39BDE72D6F10119BDA294A9D0910A1F5645B851B55474\
        &operation=refunded&status=1";

    let notice = read_query(query.as_bytes()).unwrap();

    let payment = payment(&notice);
    assert_eq!(
        payment.operation_id.as_deref(),
        Some("5d1e0c3a-9b7f-7a2e-8c4d-6f1a0b2e3c4d:refunded:")
    );
    assert_eq!((payment.amount, payment.currency.as_deref()), (None, None));
}

#[test]
fn posted_form_with_extra_params_and_sign_alias_is_read() {
    // The custom `shop_note` is signed; `sign_alias` and `checksum` are not.
    let body = "mdOrder=5d1e0c3a-9b7f-7a2e-8c4d-6f1a0b2e3c4d&orderNumber=A-1001&operation=reversed\
        &status=1&amount=500000&currency=933&shop_note=x+y&sign_alias=SBRF_CALLBACK\
        &checksum=52090c53682182bdbb21fcc5affa6815b3dc63833a64bb6d9adccfcf43710476";

    let notice = read(&Req::post(body.as_bytes()).as_request(), KEY).unwrap();

    let payment = payment(&notice);
    assert_eq!(payment.outcome, PaymentOutcome::Failed);
    assert_eq!(payment.reason.as_deref(), Some("reversed"));
    assert_eq!(
        (payment.amount, payment.currency.as_deref()),
        (Some(500_000), Some("BYN"))
    );
}

#[test]
fn post_without_a_body_reads_the_query() {
    let request = Req::get(fixture!("sber/deposited.query"));
    let request = Req {
        method: "POST",
        ..request
    };

    assert!(read(&request.as_request(), KEY).is_ok());
}

#[test]
fn timeouts_are_failures_and_failed_refunds_or_reversals_change_nothing() {
    let base = fixture!("sber/deposited.query");
    let timeout = resigned(base, "operation", Some("declinedByTimeout"));
    let failed_refund = resigned(
        &resigned(base, "operation", Some("refunded")),
        "status",
        Some("0"),
    );
    let failed_reversal = resigned(
        &resigned(base, "operation", Some("reversed")),
        "status",
        Some("0"),
    );
    let binding = resigned(base, "operation", Some("bindingCreated"));

    assert_eq!(
        payment(&read_query(&timeout).unwrap()).reason.as_deref(),
        Some("declined by timeout")
    );
    assert_eq!(
        read_query(&failed_refund).unwrap().kind,
        NoticeKind::Ignored
    );
    assert_eq!(
        read_query(&failed_reversal).unwrap().kind,
        NoticeKind::Ignored
    );
    assert_eq!(read_query(&binding).unwrap().kind, NoticeKind::Ignored);
}

#[test]
fn approved_with_status_0_is_a_failure() {
    let body = resigned(fixture!("sber/approved.query"), "status", Some("0"));

    assert_eq!(
        payment(&read_query(&body).unwrap()).outcome,
        PaymentOutcome::Failed
    );
}

#[test]
fn currencies_are_translated_from_numeric_codes() {
    let cases = [
        ("643", "RUB"),
        ("840", "USD"),
        ("978", "EUR"),
        ("51", "AMD"),
        ("051", "AMD"),
        ("860", "UZS"),
        ("398", "KZT"),
        ("156", "CNY"),
        ("999", "999"),
        ("rub", "RUB"),
    ];
    for (sent, read_as) in cases {
        let body = resigned(fixture!("sber/deposited.query"), "currency", Some(sent));

        let notice = read_query(&body).unwrap();

        assert_eq!(
            payment(&notice).currency.as_deref(),
            Some(read_as),
            "{sent}"
        );
    }
}

#[test]
fn odd_currency_or_amount_is_invalid() {
    let rubles = resigned(
        fixture!("sber/deposited.query"),
        "currency",
        Some("roubles"),
    );
    let decimal = resigned(fixture!("sber/deposited.query"), "amount", Some("12900.00"));

    assert_eq!(invalid(read_query(&rubles)).0, "currency");
    assert_eq!(invalid(read_query(&decimal)).0, "amount");
}

#[test]
fn lower_case_checksum_is_accepted() {
    let query = String::from_utf8(fixture!("sber/deposited.query").to_vec()).unwrap();
    let lower = query.replace(
        "267215AA6D888A1D03D83FEFF5AB84422C183C50FECCE617897D13263AB50D75",
        "267215aa6d888a1d03d83feff5ab84422c183c50fecce617897d13263ab50d75",
    );

    assert!(read_query(lower.as_bytes()).is_ok());
}

#[test]
fn wrong_or_missing_checksum_is_unauthorized() {
    let query = String::from_utf8(fixture!("sber/deposited.query").to_vec()).unwrap();
    let tampered = query.replace("status=1", "status=0");
    let unsigned: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("checksum="))
        .collect();
    let unsigned = unsigned.join("&");

    assert!(unauthorized(read_query(tampered.as_bytes())).contains("does not match"));
    assert!(unauthorized(read_query(unsigned.as_bytes())).contains("missing"));
    unauthorized(read(&Req::get(query.as_bytes()).as_request(), "other-key"));
}

#[test]
fn missing_required_params_are_invalid() {
    for name in ["mdOrder", "orderNumber", "operation", "status"] {
        let body = resigned(fixture!("sber/deposited.query"), name, None);

        assert_eq!(
            invalid(read_query(&body)),
            (name.to_owned(), "is required".to_owned())
        );
    }
    let odd = resigned(fixture!("sber/deposited.query"), "status", Some("2"));
    assert_eq!(invalid(read_query(&odd)).0, "status");
}
