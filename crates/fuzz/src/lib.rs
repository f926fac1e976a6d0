//! Robustness tests: every parser that sees bytes from outside gets random and mutated input
//! and must answer `Ok` or `Err`, never panic.
//!
//! The properties live in `tests/parsers/` (one `proptest` per parser) and run with the normal
//! `cargo test`. Their inputs are
//!
//! - random bytes;
//! - the real fixtures under `tests/fixtures/<provider>/` with bytes flipped, inserted,
//!   deleted, duplicated or cut off;
//! - structure-aware mutations of those fixtures: JSON values replaced with extreme ones
//!   (huge, negative and fractional numbers, numbers as strings, long and non-ASCII strings,
//!   deep nesting, values of the wrong type), members removed or added; form fields with odd
//!   percent-encoding (`%`, `%G1`, `%e2%82`, `%00`, `+`), repeated, dropped or renamed.
//!
//! A mutated request is signed again with the test secret the way its sender would sign it
//! (`Content-HMAC`, `Stripe-Signature`, T-Bank's `Token`, Sber's `checksum`, Mango's `sign`,
//! Zadarma's `Signature`), so the input reaches the parser behind the signature check instead
//! of stopping at it. The signature checks themselves get random headers as well.
//!
//! Where it is cheap an `Ok` is also checked for basic invariants (amounts and quantities are
//! never negative, keys are never empty).
//!
//! # How many inputs
//!
//! `FUZZ_CASES` sets the number of generated inputs per parser; the default, [`DEFAULT_CASES`],
//! keeps `cargo test` quick. A long run, at least a million inputs per parser:
//!
//! ```text
//! FUZZ_CASES=1000000 cargo test --release -p orderpath-fuzz -- --test-threads 2
//! ```
//!
//! A failing input is shrunk and printed by `proptest`; nothing is written to disk
//! (`FUZZ_SEED` fixes the random seed to replay a run).

use std::path::PathBuf;

/// Generated inputs per parser when `FUZZ_CASES` is not set.
pub const DEFAULT_CASES: u32 = 2_000;

/// The number of generated inputs per parser: `FUZZ_CASES`, else [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// `FUZZ_SEED`, when set: the seed of the random generator, to replay a run.
pub fn seed() -> Option<u64> {
    std::env::var("FUZZ_SEED").ok()?.trim().parse().ok()
}

/// The repository's `tests/fixtures/<dir>`.
pub fn fixture_dir(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(dir)
}

/// Every fixture in `tests/fixtures/<dir>` whose name ends with `ext`, as `(file name,
/// bytes)`, sorted by name.
pub fn fixtures(dir: &str, ext: &str) -> Vec<(String, Vec<u8>)> {
    let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixture_dir(dir))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    let name = entry.file_name().into_string().ok()?;
                    if !name.ends_with(ext) {
                        return None;
                    }
                    let bytes = std::fs::read(entry.path()).ok()?;
                    Some((name, bytes))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}
