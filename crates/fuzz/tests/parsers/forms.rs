//! Form and percent decoding (`application/x-www-form-urlencoded` bodies and queries) and the
//! content-type check.

use orderpath_fuzz::fixtures;
use orderpath_wire::acquirer::verify;
use proptest::prelude::*;

use crate::gen::{bytes_of, check, form_input, odd_text};

#[test]
fn form_decoding_never_panics() {
    let mut forms = bytes_of(fixtures("cloudpayments", ".form"));
    forms.extend(bytes_of(fixtures("mango", ".form")));
    forms.extend(bytes_of(fixtures("zadarma", ".form")));
    forms.extend(bytes_of(fixtures("sber", ".query")));
    let input = (form_input(forms), any::<bool>());
    check("form decoding", input, |(body, plus_is_space)| {
        let pairs = verify::form_pairs(&body);
        assert!(pairs.len() <= body.len() + 1);
        let decoded = verify::percent_decoded(&body, plus_is_space);
        assert!(decoded.len() <= body.len());
        if !body.contains(&b'%') && !plus_is_space {
            assert_eq!(decoded, body);
        }
        if pairs.is_empty() {
            "no pairs"
        } else {
            "pairs"
        }
    });
}

#[test]
fn amounts_and_content_types_never_panic() {
    let text = prop_oneof![
        odd_text(),
        "[0-9]{0,25}([.,][0-9]{0,25})?",
        "-?[0-9. ]{0,12}"
    ];
    check(
        "amounts and content types",
        (text, 0u32..6),
        |(text, digits)| {
            let _ = orderpath_shell::http::is_json(Some(&text));
            match verify::minor_units(&text, digits) {
                Ok(minor) => {
                    assert!(minor >= 0, "{text:?} → {minor}");
                    "amount"
                }
                Err(_) => "not an amount",
            }
        },
    );
}
