//! Tests of the acquirers' readers, against the shared fixtures in `tests/fixtures/<provider>/`
//! (the end-to-end tests use the same files).

mod cloudpayments;
mod generic;
mod sber;
mod stripe;
mod tbank;
mod verify;
mod yookassa;

pub(crate) use super::OwnedRequest as Req;
use super::{Notice, NoticeError, NoticeKind, ReportedPayment};

/// The bytes of `tests/fixtures/<path>`.
macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!("../../../../../tests/fixtures/", $path)).as_slice()
    };
}
pub(crate) use fixture;

/// The payment a notice reports; fails the test for a check or an ignored notice.
pub(crate) fn payment(notice: &Notice) -> &ReportedPayment {
    match &notice.kind {
        NoticeKind::Payment(p) => p,
        other => panic!("expected a payment, got {other:?}"),
    }
}

/// The field and message of an `Invalid` refusal; fails the test otherwise.
pub(crate) fn invalid(result: Result<Notice, NoticeError>) -> (String, String) {
    match result {
        Err(NoticeError::Invalid { field, message }) => (field, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// The message of an `Unauthorized` refusal; fails the test otherwise.
pub(crate) fn unauthorized(result: Result<Notice, NoticeError>) -> String {
    match result {
        Err(NoticeError::Unauthorized(message)) => message,
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

/// The body with one JSON value replaced (`pointer` as in RFC 6901), or removed with `None`.
pub(crate) fn edit_json(body: &[u8], pointer: &str, value: Option<serde_json::Value>) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(body).unwrap();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = doc.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    match value {
        Some(v) => {
            target.insert(key.to_owned(), v);
        }
        None => {
            target.remove(key);
        }
    }
    serde_json::to_vec(&doc).unwrap()
}

/// A `ReportedPayment` for order `A-1001`, 12 900.00 RUB, to adjust per test.
pub(crate) fn expected(
    payment_id: &str,
    outcome: orderpath_core::event::PaymentOutcome,
) -> ReportedPayment {
    ReportedPayment {
        order_ref: Some("A-1001".to_owned()),
        payment_id: payment_id.to_owned(),
        operation_id: None,
        outcome,
        amount: Some(1_290_000),
        currency: Some("RUB".to_owned()),
        reason: None,
        test: false,
    }
}

#[test]
fn read_dispatches_by_provider_and_leaves_generic_to_standard_webhooks() {
    let body = fixture!("yookassa/payment.succeeded.json");
    let request = Req::post(body).param("token", "yk-test-token-5f1c2e");

    let yookassa = super::read(
        super::Provider::YooKassa,
        &request.as_request(),
        "yk-test-token-5f1c2e",
        0,
    );
    let generic = super::read(super::Provider::Generic, &request.as_request(), "secret", 0);

    assert!(yookassa.is_ok());
    assert!(matches!(generic, Err(NoticeError::Malformed(_))));
}
