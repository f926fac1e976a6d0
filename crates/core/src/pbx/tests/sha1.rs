use crate::acquirer::verify::hex;
use crate::pbx::sha1::{hmac_sha1, sha1};

#[test]
fn sha1_matches_the_fips_180_4_examples() {
    let cases: [(&[u8], &str); 4] = [
        (b"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (b"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        (
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
        ),
        (
            b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq\
              klmnopqrlmnopqrsmnopqrstnopqrstu",
            "a49b2446a02c645bf419f995b67091253a04a259",
        ),
    ];

    for (message, digest) in cases {
        assert_eq!(hex(&sha1(message)), digest);
    }
}

#[test]
fn sha1_of_a_million_a_matches_fips_180_4() {
    let message = vec![b'a'; 1_000_000];

    assert_eq!(
        hex(&sha1(&message)),
        "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
    );
}

#[test]
fn sha1_pads_correctly_around_block_boundaries() {
    // python3 -c "import hashlib; print(hashlib.sha1(b'a'*55).hexdigest())", etc.
    let cases = [
        (55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"),
        (56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"),
        (63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"),
        (64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"),
        (65, "11655326c708d70319be2610e8a57d9a5b959d3b"),
        (119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"),
        (120, "f34c1488385346a55709ba056ddd08280dd4c6d6"),
    ];

    for (length, digest) in cases {
        assert_eq!(hex(&sha1(&vec![b'a'; length])), digest, "{length} bytes");
    }
}

#[test]
fn hmac_sha1_matches_the_rfc_2202_test_cases() {
    let block_key = [0xaa_u8; 80];
    let counting_key: Vec<u8> = (1..=25).collect();
    let cases: [(&[u8], &[u8], &str); 7] = [
        (
            &[0x0b; 20],
            b"Hi There",
            "b617318655057264e28bc0b6fb378c8ef146be00",
        ),
        (
            b"Jefe",
            b"what do ya want for nothing?",
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
        ),
        (
            &[0xaa; 20],
            &[0xdd; 50],
            "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
        ),
        (
            &counting_key,
            &[0xcd; 50],
            "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
        ),
        (
            &[0x0c; 20],
            b"Test With Truncation",
            "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
        ),
        (
            &block_key,
            b"Test Using Larger Than Block-Size Key - Hash Key First",
            "aa4ae5e15272d00e95705637ce8a3b55ed402112",
        ),
        (
            &block_key,
            b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
            "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
        ),
    ];

    for (i, (key, data, mac)) in cases.into_iter().enumerate() {
        assert_eq!(
            hex(&hmac_sha1(key, data)),
            mac,
            "RFC 2202 test case {}",
            i + 1
        );
    }
}
