//! Standard Webhooks headers and secrets (the shell's pure part).

use orderpath_shell::inbound::signature::{verify, SignedHeaders, WebhookSecret, TOLERANCE_SECS};
use proptest::prelude::*;

use crate::gen::{check, odd_text, random_bytes};
use crate::NOW;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn header() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        4 => odd_text().prop_map(Some),
    ]
}

#[test]
fn standard_webhooks_headers_never_panic() {
    let secret = WebhookSecret::parse(SECRET).expect("secret");
    let timestamps = prop_oneof![
        header(),
        prop::sample::select(vec![
            NOW,
            NOW - TOLERANCE_SECS,
            NOW + TOLERANCE_SECS + 1,
            i64::MIN,
            i64::MAX,
            0
        ])
        .prop_map(|t| Some(t.to_string())),
    ];
    let input = (
        header(),
        timestamps,
        header(),
        random_bytes(),
        0u8..4,
        any::<i64>(),
    );
    check(
        "standard webhooks",
        input,
        |(id, ts, sig, body, how, now)| {
            let now = if how == 0 { now } else { NOW };
            let mut sig = sig;
            if how == 1 {
                // A genuine signature among odd ones.
                if let (Some(id), Some(t)) =
                    (&id, ts.as_deref().and_then(|t| t.trim().parse().ok()))
                {
                    let good = secret.sign(id.trim(), t, &body);
                    sig = Some(format!("{} {good} v1,", sig.unwrap_or_default()));
                }
            }
            let headers = SignedHeaders {
                id: id.as_deref(),
                timestamp: ts.as_deref(),
                signature: sig.as_deref(),
            };
            match verify(&secret, headers, &body, now) {
                Ok(_) => "ok",
                Err(_) => "refused",
            }
        },
    );
}

#[test]
fn a_signature_made_now_verifies_for_any_body_and_id() {
    let secret = WebhookSecret::parse(SECRET).expect("secret");
    let input = (
        "[!-~]{1,255}",
        random_bytes(),
        -TOLERANCE_SECS..=TOLERANCE_SECS,
    );
    check("standard webhooks round trip", input, |(id, body, skew)| {
        let ts = NOW + skew;
        let sig = secret.sign(&id, ts, &body);
        let text = ts.to_string();
        let headers = SignedHeaders {
            id: Some(&id),
            timestamp: Some(&text),
            signature: Some(&sig),
        };
        assert_eq!(verify(&secret, headers, &body, NOW), Ok(id.as_str()));
        "ok"
    });
}

#[test]
fn webhook_secrets_never_panic() {
    let input = prop_oneof![
        odd_text(),
        "whsec_[A-Za-z0-9+/=]{0,80}",
        "[A-Za-z0-9+/=]{0,80}"
    ];
    check("webhook secret", input, |text| {
        match WebhookSecret::parse(&text) {
            Ok(_) => "ok",
            Err(_) => "refused",
        }
    });
}
