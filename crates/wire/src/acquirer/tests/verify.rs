use crate::acquirer::verify::*;

#[test]
fn hmac_matches_rfc_4231_test_case_2() {
    let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");

    assert_eq!(
        hex(&mac),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn hmac_over_parts_is_hmac_over_their_concatenation() {
    let whole = hmac_sha256(b"key", b"123.body");

    let parts = hmac_sha256_parts(b"key", &[b"123.", b"body"]);

    assert_eq!(whole, parts);
}

#[test]
fn sha256_hex_matches_the_known_digest_of_abc() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn hex_is_lower_case_two_digits_a_byte() {
    assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
}

#[test]
fn same_bytes_needs_equal_length_and_content() {
    assert!(same_bytes(b"abc", b"abc"));
    assert!(!same_bytes(b"abc", b"abd"));
    assert!(!same_bytes(b"abc", b"abcd"));
    assert!(same_bytes(b"", b""));
}

#[test]
fn same_hex_ignores_the_letter_case_of_the_given_digest() {
    assert!(same_hex("00ff", "00FF"));
    assert!(same_hex("00ff", " 00ff "));
    assert!(!same_hex("00ff", "00fe"));
}

#[test]
fn decimal_amounts_become_minor_units() {
    assert_eq!(minor_units("12900.00", 2), Ok(1_290_000));
    assert_eq!(minor_units("12900", 2), Ok(1_290_000));
    assert_eq!(minor_units("12900.5", 2), Ok(1_290_050));
    assert_eq!(minor_units("0.07", 2), Ok(7));
    assert_eq!(minor_units("500", 0), Ok(500));
    assert_eq!(minor_units("1.250", 3), Ok(1250));
}

#[test]
fn trailing_zeros_beyond_the_currency_digits_change_nothing() {
    assert_eq!(minor_units("500.00", 0), Ok(500));
    assert_eq!(minor_units("10.500", 2), Ok(1050));
}

#[test]
fn finer_amounts_than_the_minor_unit_are_refused_not_rounded() {
    assert_eq!(minor_units("12.345", 2), Err(AmountError::TooPrecise(2)));
    assert_eq!(minor_units("500.5", 0), Err(AmountError::TooPrecise(0)));
}

#[test]
fn negative_and_garbage_amounts_are_refused() {
    assert_eq!(minor_units("-1.00", 2), Err(AmountError::Negative));
    for garbage in [
        "", ".", "1.", ".5", "1,00", "1e3", "+1", " 1", "1.2.3", "abc", "١٢",
    ] {
        assert_eq!(
            minor_units(garbage, 2),
            Err(AmountError::NotDecimal),
            "{garbage:?}"
        );
    }
}

#[test]
fn amounts_beyond_i64_are_refused() {
    assert_eq!(
        minor_units("92233720368547758.08", 2),
        Err(AmountError::TooLarge)
    );
    assert_eq!(minor_units("92233720368547758.07", 2), Ok(i64::MAX));
}

#[test]
fn form_bodies_are_decoded_in_order() {
    let pairs = form_pairs(b"b=2&a=x+y&c=%D0%AF%2B&empty=");

    let expected = [("b", "2"), ("a", "x y"), ("c", "Я+"), ("empty", "")];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(pairs, expected);
}

#[test]
fn percent_decoding_reads_escapes_and_optionally_plus_as_space() {
    assert_eq!(percent_decoded(b"a%3Db+c%2", false), b"a=b+c%2");
    assert_eq!(percent_decoded(b"a%3Db+c%zz", true), b"a=b c%zz");
}
