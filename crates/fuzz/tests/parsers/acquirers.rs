//! The acquirers' notifications: YooKassa, CloudPayments, T-Bank, Sber, Stripe, generic.

use orderpath_fuzz::fixtures;
use orderpath_wire::acquirer::{
    self, cloudpayments, generic, sber, stripe, tbank, verify, yookassa, Notice, NoticeKind,
    Provider,
};
use proptest::prelude::*;
use serde_json::Value;

use crate::gen::{answer, bytes_of, check, form_input, json_input, odd_text};
use crate::{Req, NOW};

const SECRET: &str = "fuzz-secret-7c1e";

/// What any accepted notice must satisfy.
fn invariants(notice: &Notice) {
    assert!(!notice.key.is_empty(), "empty key: {notice:?}");
    if let NoticeKind::Payment(p) | NoticeKind::Check(p) = &notice.kind {
        assert!(
            p.amount.is_none_or(|a| a >= 0),
            "negative amount: {notice:?}"
        );
        assert!(!p.payment_id.is_empty(), "empty payment id: {notice:?}");
    }
}

#[test]
fn yookassa_never_panics() {
    let input = (json_input(bytes_of(fixtures("yookassa", ".json"))), 0u8..8);
    check("yookassa", input, |(body, how)| {
        let token = if how == 0 { "other" } else { SECRET };
        let req = Req::post(body).param("token", token);
        let result = acquirer::read(Provider::YooKassa, &req.as_request(), SECRET, NOW);
        if let Ok(notice) = &result {
            invariants(notice);
        }
        answer(&result)
    });
}

#[test]
fn yookassa_allow_list_never_panics() {
    let list = prop_oneof![
        Just(yookassa::PUBLISHED_RANGES.to_owned()),
        odd_text(),
        "[0-9a-f:./, ]{0,60}",
    ];
    let addr = prop_oneof![odd_text(), "[0-9a-f:.\\[\\]]{0,45}"];
    check(
        "yookassa allow list",
        (addr, list),
        |(addr, list)| match yookassa::client_allowed(&addr, &list) {
            Ok(true) => "allowed",
            Ok(false) => "refused",
            Err(_) => "bad list",
        },
    );
}

#[test]
fn cloudpayments_never_panics() {
    let body = prop_oneof![
        4 => form_input(bytes_of(fixtures("cloudpayments", ".form"))),
        1 => json_input(bytes_of(fixtures("cloudpayments", ".json"))),
    ];
    let rest = prop_oneof![
        6 => prop::sample::select(vec![
            "",
            "pay",
            "check",
            "fail",
            "confirm",
            "refund",
            "cancel",
            "recurrent",
            "PAY",
        ])
        .prop_map(str::to_owned),
        1 => odd_text(),
    ];
    let input = (body, rest, 0u8..12, any::<bool>(), odd_text());
    check(
        "cloudpayments",
        input,
        |(body, rest, how, json_type, odd)| {
            let mut req = Req::post(body).rest(&rest);
            req = match how {
                0..=6 => {
                    let mac = cloudpayments::content_hmac(SECRET, &req.body);
                    req.header("content-hmac", &mac)
                }
                // X-Content-HMAC over the raw body (accepted) or over the decoded form (refused).
                7 => {
                    let mac = cloudpayments::content_hmac(SECRET, &req.body);
                    req.header("x-content-hmac", &mac)
                }
                8 => {
                    let decoded = verify::percent_decoded(&req.body, true);
                    let mac = cloudpayments::content_hmac(SECRET, &decoded);
                    req.header("x-content-hmac", &mac)
                }
                9 => req.header("content-hmac", &odd),
                10 => req.header("x-content-hmac", &odd),
                _ => req,
            };
            if json_type {
                req = req.header("content-type", "application/json");
            }
            let result = acquirer::read(Provider::CloudPayments, &req.as_request(), SECRET, NOW);
            if let Ok(notice) = &result {
                invariants(notice);
            }
            answer(&result)
        },
    );
}

/// The body with a valid `Token` appended when it is a JSON object (the last member wins).
fn with_token(body: Vec<u8>) -> Vec<u8> {
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    let (Some(members), Some(token)) = (value.as_object(), tbank::token(&value, SECRET)) else {
        return body;
    };
    let Some(end) = body.iter().rposition(|&b| b == b'}') else {
        return body;
    };
    let mut out = body[..end].to_vec();
    if !members.is_empty() {
        out.push(b',');
    }
    out.extend_from_slice(format!("\"Token\":\"{token}\"").as_bytes());
    out.extend_from_slice(&body[end..]);
    out
}

#[test]
fn tbank_never_panics() {
    let input = (json_input(bytes_of(fixtures("tbank", ".json"))), 0u8..8);
    check("tbank", input, |(body, how)| {
        let body = if how == 0 { body } else { with_token(body) };
        let req = Req::post(body);
        let result = acquirer::read(Provider::TBank, &req.as_request(), SECRET, NOW);
        if let Ok(notice) = &result {
            invariants(notice);
        }
        answer(&result)
    });
}

#[test]
fn sber_never_panics() {
    let input = (
        form_input(bytes_of(fixtures("sber", ".query"))),
        0u8..8,
        any::<bool>(),
    );
    check("sber", input, |(body, how, post)| {
        let pairs = verify::form_pairs(&body);
        let mut signed = if how == 0 {
            Vec::new()
        } else {
            format!("checksum={}&", sber::checksum(&pairs, SECRET)).into_bytes()
        };
        signed.extend_from_slice(&body);
        let req = if post {
            Req::post(signed)
        } else {
            Req {
                method: "GET",
                query: verify::form_pairs(&signed),
                ..Req::default()
            }
        };
        let result = acquirer::read(Provider::Sber, &req.as_request(), SECRET, NOW);
        if let Ok(notice) = &result {
            invariants(notice);
        }
        answer(&result)
    });
}

#[test]
fn stripe_never_panics() {
    let input = (
        json_input(bytes_of(fixtures("stripe", ".json"))),
        0u8..12,
        odd_text(),
        prop_oneof![
            6 => Just(NOW),
            1 => prop::sample::select(vec![NOW - 300, NOW + 301, 0, -1, i64::MIN, i64::MAX]),
        ],
    );
    check("stripe", input, |(body, how, odd, t)| {
        let sig = stripe::signature(SECRET, t, &body);
        let header = match how {
            0..=6 => format!("t={t},v1={sig}"),
            7 => format!("v0=abc, t={t} ,v1={odd},v1={sig},"),
            8 => odd,
            9 => format!("t={odd},v1={sig}"),
            10 => format!("t={t},v1={odd}"),
            _ => String::new(),
        };
        let req = Req::post(body).header("stripe-signature", &header);
        let result = acquirer::read(Provider::Stripe, &req.as_request(), SECRET, NOW);
        if let Ok(notice) = &result {
            invariants(notice);
        }
        answer(&result)
    });
}

#[test]
fn generic_payment_never_panics() {
    let input = (
        json_input(bytes_of(fixtures("generic", ".json"))),
        crate::gen::webhook_id(),
    );
    check("generic payment", input, |(body, id)| {
        let result = generic::parse(&body, &id);
        if let Ok(notice) = &result {
            invariants(notice);
        }
        answer(&result)
    });
}
