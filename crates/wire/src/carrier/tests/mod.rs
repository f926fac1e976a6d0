//! Tests of the carrier readers and decisions, against the shared fixtures in
//! `tests/fixtures/{cdek,delivery,stock}/` (the end-to-end tests use the same files).

mod cdek;
mod generic;

mod stock;

use super::{CarrierError, DeliveryKind, DeliveryNotice};

/// The bytes of `tests/fixtures/<path>`.
macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!("../../../../../tests/fixtures/", $path)).as_slice()
    };
}
pub(crate) use fixture;

/// The notice of a status; fails the test for an ignored notification or a refusal.
pub(crate) fn notice(result: Result<DeliveryKind, CarrierError>) -> DeliveryNotice {
    match result {
        Ok(DeliveryKind::Status(notice)) => notice,
        other => panic!("expected a status, got {other:?}"),
    }
}

/// The field and message of an `Invalid` refusal; fails the test otherwise.
pub(crate) fn invalid<T: std::fmt::Debug>(result: Result<T, CarrierError>) -> (String, String) {
    match result {
        Err(CarrierError::Invalid { field, message }) => (field, message),
        other => panic!("expected Invalid, got {other:?}"),
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
