//! Tests of the PBX readers and the call state, against the shared fixtures in
//! `tests/fixtures/{mango,zadarma,calls}/` (the end-to-end tests use the same files).

mod calls;
mod generic;
mod mango;
mod sha1;
mod state;
mod zadarma;

use super::{CallEvent, NoticeError, PbxRequest};
pub(crate) use crate::acquirer::OwnedRequest as Req;

/// The bytes of `tests/fixtures/<path>`.
macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!("../../../../../tests/fixtures/", $path)).as_slice()
    };
}
pub(crate) use fixture;

/// The Zadarma fixture `<name>.form` as a POST with its stored `<name>.signature` header.
macro_rules! zadarma_signed {
    ($name:literal) => {
        $crate::pbx::tests::Req::post(include_bytes!(concat!(
            "../../../../../tests/fixtures/zadarma/",
            $name,
            ".form"
        )))
        .header(
            "signature",
            std::str::from_utf8(include_bytes!(concat!(
                "../../../../../tests/fixtures/zadarma/",
                $name,
                ".signature"
            )))
            .unwrap(),
        )
    };
}
pub(crate) use zadarma_signed;

/// Unix seconds of 2026-11-24 10:00:00 Moscow time (07:00Z): within working hours.
pub(crate) const MORNING: i64 = 1_795_503_600;
/// Unix seconds of 2026-11-24 19:30:00 Moscow time (16:30Z): after working hours.
pub(crate) const EVENING: i64 = 1_795_537_800;

/// The call event of a request; fails the test otherwise.
pub(crate) fn event(result: Result<PbxRequest, NoticeError>) -> CallEvent {
    match result {
        Ok(PbxRequest::Event(event)) => event,
        other => panic!("expected a call event, got {other:?}"),
    }
}

/// The key and name of an ignored request; fails the test otherwise.
pub(crate) fn ignored(result: Result<PbxRequest, NoticeError>) -> (String, String) {
    match result {
        Ok(PbxRequest::Ignored { key, what }) => (key, what),
        other => panic!("expected an ignored request, got {other:?}"),
    }
}

/// The field and message of an `Invalid` refusal; fails the test otherwise.
pub(crate) fn invalid<T: std::fmt::Debug>(result: Result<T, NoticeError>) -> (String, String) {
    match result {
        Err(NoticeError::Invalid { field, message }) => (field, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// The message of an `Unauthorized` refusal; fails the test otherwise.
pub(crate) fn unauthorized<T: std::fmt::Debug>(result: Result<T, NoticeError>) -> String {
    match result {
        Err(NoticeError::Unauthorized(message)) => message,
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

/// The message of a `Malformed` refusal; fails the test otherwise.
pub(crate) fn malformed<T: std::fmt::Debug>(result: Result<T, NoticeError>) -> String {
    match result {
        Err(NoticeError::Malformed(message)) => message,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

/// A minute after the call a Zadarma request is about started (its `call_start`, Moscow
/// time), so that it is fresh; `MORNING` for a request without one.
pub(crate) fn zadarma_now(request: &Req) -> i64 {
    let start = form_urlencoded::parse(&request.body)
        .find(|(k, _)| k == "call_start")
        .map(|(_, v)| v.into_owned());
    let Some(s) = start.filter(|s| s.len() == 19) else {
        return MORNING;
    };
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().expect("digits");
    let days =
        orderpath_core::automation::time::days_from_civil(n(0..4), n(5..7) as u32, n(8..10) as u32);
    days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19) - 3 * 3600 + 60
}
