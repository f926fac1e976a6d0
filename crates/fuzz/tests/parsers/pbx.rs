//! PBXes' call events: Mango, Zadarma, generic.

use base64::Engine as _;
use orderpath_core::automation::time::TimeZone;
use orderpath_fuzz::fixtures;
use orderpath_wire::acquirer::verify;
use orderpath_wire::pbx::{generic, mango, zadarma, CallEvent, PbxRequest};
use proptest::prelude::*;

use crate::gen::{answer, bytes_of, check, form_input, json_input, odd_text, webhook_id};
use crate::Req;

const KEY: &str = "fuzz-key-55d0";
const SALT: &str = "fuzz-salt-0b7e";

fn event_invariants(event: &CallEvent) {
    assert!(!event.key.is_empty(), "empty key: {event:?}");
    assert!(!event.call_id.is_empty(), "empty call id: {event:?}");
    assert!(
        event.duration.is_none_or(|d| d >= 0),
        "negative duration: {event:?}"
    );
}

fn invariants(request: &PbxRequest) {
    match request {
        PbxRequest::Event(event) => event_invariants(event),
        PbxRequest::Echo(text) => assert!(!text.is_empty()),
        PbxRequest::Ignored { key, .. } => assert!(!key.is_empty(), "{request:?}"),
    }
}

#[test]
fn mango_never_panics() {
    let rest = prop_oneof![
        4 => prop::sample::select(vec!["events/call", "events/summary", "call", "summary/"])
            .prop_map(str::to_owned),
        1 => prop::sample::select(vec!["events/dtmf", "", "/events/recording/"])
            .prop_map(str::to_owned),
        1 => odd_text(),
    ];
    let input = (
        form_input(bytes_of(fixtures("mango", ".form"))),
        rest,
        0u8..8,
    );
    check("mango", input, |(body, rest, how)| {
        let pairs = verify::form_pairs(&body);
        let json = pairs
            .iter()
            .find(|(k, _)| k == "json")
            .map_or("", |(_, v)| v.as_str());
        let mut signed = if how == 0 {
            Vec::new()
        } else {
            format!("vpbx_api_key={KEY}&sign={}&", mango::sign(KEY, json, SALT)).into_bytes()
        };
        signed.extend_from_slice(&body);
        let req = Req::post(signed).rest(&rest);
        let result = mango::read(&req.as_request(), KEY, SALT);
        if let Ok(request) = &result {
            invariants(request);
        }
        answer(&result)
    });
}

/// The string Zadarma signs for the form's event (see `pbx::zadarma`'s documentation).
fn zadarma_signed(pairs: &[(String, String)]) -> String {
    let raw = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let names: &[&str] = match raw("event").trim() {
        "NOTIFY_ANSWER" => &["caller_id", "destination", "call_start"],
        "NOTIFY_OUT_START" | "NOTIFY_OUT_END" => &["internal", "destination", "call_start"],
        "NOTIFY_RECORD" => &["pbx_call_id", "call_id_with_rec"],
        _ => &["caller_id", "called_did", "call_start"],
    };
    names.iter().map(|n| raw(n)).collect()
}

/// 2026-11-24 07:00 UTC: the day of the Zadarma fixtures' calls.
const FIXTURE_CALLS: i64 = 1_795_503_600;

#[test]
fn zadarma_never_panics() {
    let body = prop_oneof![
        6 => form_input(bytes_of(fixtures("zadarma", ".form"))),
        1 => form_input(bytes_of(fixtures("zadarma", ".query"))),
    ];
    // The account's zone, and "now": around the fixtures' calls (so fresh ones pass the
    // freshness window) or at the ends of time.
    let zone = prop::sample::select(vec![
        "Europe/Moscow",
        "Asia/Yekaterinburg",
        "Europe/Berlin",
        "America/New_York",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        "Australia/Lord_Howe",
        "UTC",
    ]);
    let now = prop_oneof![
        4 => FIXTURE_CALLS - 3_600..FIXTURE_CALLS + 50_000,
        1 => prop::sample::select(vec![i64::MIN, -1, 0, i64::MAX]),
    ];
    let input = (body, 0u8..10, odd_text(), (zone, now));
    check("zadarma", input, |(body, how, odd, (zone, now))| {
        let zone = TimeZone::parse(zone).expect("a zone of the table");
        let pairs = verify::form_pairs(&body);
        let secret = KEY;
        let signature = zadarma::signature(secret, &zadarma_signed(&pairs));
        let req = match how {
            0 => Req {
                method: "GET",
                query: pairs,
                ..Req::default()
            },
            1 => Req::post(body),
            2 => Req::post(body).header("signature", &odd),
            3 => {
                let lie = base64::engine::general_purpose::STANDARD.encode(odd.as_bytes());
                Req::post(body).header("signature", &lie)
            }
            _ => Req::post(body).header("signature", &signature),
        };
        let result = zadarma::read(&req.as_request(), secret, &zone, now);
        if let Ok(request) = &result {
            invariants(request);
        }
        answer(&result)
    });
}

#[test]
fn generic_call_never_panics() {
    let input = (
        json_input(bytes_of(fixtures("calls", ".json"))),
        webhook_id(),
    );
    check("generic call", input, |(body, id)| {
        let result = generic::parse(&body, &id);
        if let Ok(request) = &result {
            invariants(request);
        }
        answer(&result)
    });
}
