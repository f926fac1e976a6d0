//! Input generators: random bytes, byte-level mutations of fixtures, and structure-aware
//! mutations of JSON and form fixtures.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng};
use serde_json::{json, Value};

/// The runner's configuration: `FUZZ_CASES` cases, nothing persisted.
pub fn config() -> Config {
    Config {
        cases: orderpath_fuzz::cases(),
        failure_persistence: None,
        max_shrink_iters: 4_096,
        ..Config::default()
    }
}

/// A runner for [`config`], seeded from `FUZZ_SEED`, else from the clock; the seed is
/// printed with the tally so a failing run can be replayed.
pub fn runner() -> (proptest::test_runner::TestRunner, u64) {
    let seed = orderpath_fuzz::seed().unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    (
        proptest::test_runner::TestRunner::new_with_rng(config(), rng),
        seed,
    )
}

/// Runs `test` on inputs from `strategy`; fails with the shrunk input on a panic. `test`
/// names what the parser answered (`ok`, `unauthorized`, …); the tally is printed so a run
/// shows how many inputs got past the signature check and the parser.
pub fn check<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> &'static str)
where
    S::Value: std::fmt::Debug,
{
    let started = std::time::Instant::now();
    let tally = std::sync::Mutex::new(std::collections::BTreeMap::<&'static str, u64>::new());
    let (mut runner, seed) = runner();
    let result = runner.run(&strategy, |value| {
        let answer = test(value);
        if let Ok(mut tally) = tally.lock() {
            *tally.entry(answer).or_default() += 1;
        }
        Ok(())
    });
    let tally = tally.into_inner().unwrap_or_default();
    eprintln!(
        "fuzz {name}: {} cases in {:.1} s (FUZZ_SEED={seed}), answers {tally:?}",
        orderpath_fuzz::cases(),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{name} (FUZZ_SEED={seed}): {e}");
    }
}

/// The name of an acquirer's, carrier's or PBX's answer, for the tally.
pub fn answer<T>(result: &Result<T, orderpath_wire::acquirer::NoticeError>) -> &'static str {
    use orderpath_wire::acquirer::NoticeError;
    match result {
        Ok(_) => "ok",
        Err(NoticeError::Unauthorized(_)) => "unauthorized",
        Err(NoticeError::Malformed(_)) => "malformed",
        Err(NoticeError::Invalid { .. }) => "invalid",
    }
}

/// Bytes that often matter to parsers.
const INTERESTING: &[u8] = b"\0\xff\xfe\xc3\xe2\x80\"\\{}[]:,&=%+ \t\n\r-.0123456789eE";

/// Random bytes, up to 600.
pub fn random_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        prop::collection::vec(prop::sample::select(INTERESTING), 0..200),
    ]
}

#[derive(Debug, Clone)]
enum ByteOp {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn byte_op() -> impl Strategy<Value = ByteOp> {
    let byte = prop_oneof![any::<u8>(), prop::sample::select(INTERESTING)];
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| ByteOp::Flip(at, 1 << bit)),
        (any::<usize>(), byte).prop_map(|(at, b)| ByteOp::Insert(at, b)),
        (any::<usize>(), 1usize..16).prop_map(|(at, n)| ByteOp::Delete(at, n)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| ByteOp::Duplicate(at, n)),
        any::<usize>().prop_map(ByteOp::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, ops: &[ByteOp]) -> Vec<u8> {
    for op in ops {
        let len = bytes.len();
        let at = |i: usize| if len == 0 { 0 } else { i % len };
        match *op {
            ByteOp::Flip(i, mask) if len > 0 => bytes[at(i)] ^= mask,
            ByteOp::Flip(..) => {}
            ByteOp::Insert(i, b) => bytes.insert(i % (len + 1), b),
            ByteOp::Delete(i, n) if len > 0 => {
                let start = at(i);
                let end = (start + n).min(len);
                bytes.drain(start..end);
            }
            ByteOp::Delete(..) => {}
            ByteOp::Duplicate(i, n) if len > 0 => {
                let start = at(i);
                let end = (start + n).min(len);
                let chunk: Vec<u8> = bytes[start..end].to_vec();
                bytes.splice(end..end, chunk);
            }
            ByteOp::Duplicate(..) => {}
            ByteOp::Truncate(i) => bytes.truncate(i % (len + 1)),
        }
    }
    bytes
}

/// `input` with up to 8 byte-level mutations, or unchanged.
pub fn mutate_bytes(input: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (input, prop::collection::vec(byte_op(), 0..8)).prop_map(|(bytes, ops)| apply(bytes, &ops))
}

/// Text that breaks assumptions: empty, blank, long, non-ASCII, control characters.
pub fn odd_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" \t\n".to_owned()),
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("99999999999999999999999999.99".to_owned()),
        Just("12900.005".to_owned()),
        Just("1e400".to_owned()),
        Just(".5".to_owned()),
        Just("1.".to_owned()),
        Just("١٢٣".to_owned()),
        Just("NaN".to_owned()),
        Just("2026-02-30T25:61:61+99:99".to_owned()),
        Just("9999-12-31T23:59:59Z".to_owned()),
        Just("0000-01-01 00:00:00".to_owned()),
        Just("+79123456789".to_owned()),
        Just("%00%ff".to_owned()),
        Just("Заказ №1 — ✓ 🚚".to_owned()),
        Just("\u{0}\u{7f}\u{200b}\u{feff}\u{10ffff}".to_owned()),
        (1usize..20_000).prop_map(|n| "a".repeat(n)),
        (1usize..5_000).prop_map(|n| "я".repeat(n)),
        prop::collection::vec(any::<char>(), 0..40).prop_map(|c| c.into_iter().collect()),
        "[0-9]{1,30}",
        "[ -~]{0,40}",
    ]
}

fn nested(depth: usize, array: bool) -> Value {
    let mut value = json!(1);
    for _ in 0..depth {
        value = if array {
            Value::Array(vec![value])
        } else {
            json!({ "a": value })
        };
    }
    value
}

/// A JSON value to put where a fixture had another: extreme numbers, strings, nesting and
/// values of the wrong type.
pub fn extreme_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        Just(json!([])),
        Just(json!({})),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(1.5)),
        Just(json!(-0.0)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(f64::MIN_POSITIVE)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        odd_text().prop_map(Value::String),
        (1usize..200, any::<bool>()).prop_map(|(d, a)| nested(d, a)),
        prop::collection::vec(odd_text().prop_map(Value::String), 0..4).prop_map(Value::Array),
        prop::collection::vec(Just(json!({"sku":"A","qty":1,"price":1})), 500..2000)
            .prop_map(Value::Array),
    ]
}

#[derive(Debug, Clone)]
enum JsonOp {
    Replace(usize, Value),
    Remove(usize),
    Add(usize, String, Value),
    Wrap(usize),
}

fn json_op() -> impl Strategy<Value = JsonOp> {
    prop_oneof![
        6 => (any::<usize>(), extreme_value()).prop_map(|(at, v)| JsonOp::Replace(at, v)),
        2 => any::<usize>().prop_map(JsonOp::Remove),
        1 => (any::<usize>(), odd_text(), extreme_value()).prop_map(|(at, k, v)| JsonOp::Add(at, k, v)),
        1 => any::<usize>().prop_map(JsonOp::Wrap),
    ]
}

/// JSON pointers of every value in `value` (the root excluded).
fn pointers(value: &Value, here: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = format!("{here}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(path.clone());
                pointers(v, &path, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let path = format!("{here}/{i}");
                out.push(path.clone());
                pointers(v, &path, out);
            }
        }
        _ => {}
    }
}

fn apply_json(mut doc: Value, ops: &[JsonOp]) -> Value {
    for op in ops {
        let mut paths = Vec::new();
        pointers(&doc, "", &mut paths);
        if paths.is_empty() {
            break;
        }
        let path = |i: usize| paths[i % paths.len()].clone();
        match op {
            JsonOp::Replace(i, v) => {
                if let Some(slot) = doc.pointer_mut(&path(*i)) {
                    *slot = v.clone();
                }
            }
            JsonOp::Remove(i) => {
                let p = path(*i);
                let (parent, key) = p.rsplit_once('/').unwrap_or(("", ""));
                match doc.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.remove(&key.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(items)) => {
                        if let Ok(k) = key.parse::<usize>() {
                            if k < items.len() {
                                items.remove(k);
                            }
                        }
                    }
                    _ => {}
                }
            }
            JsonOp::Add(i, k, v) => {
                if let Some(Value::Object(map)) = doc.pointer_mut(&path(*i)) {
                    map.insert(k.clone(), v.clone());
                } else if let Value::Object(map) = &mut doc {
                    map.insert(k.clone(), v.clone());
                }
            }
            JsonOp::Wrap(i) => {
                if let Some(slot) = doc.pointer_mut(&path(*i)) {
                    let inner = slot.take();
                    *slot = Value::Array(vec![inner]);
                }
            }
        }
    }
    doc
}

/// A fixture's JSON with up to 4 structure-aware mutations, serialised.
pub fn mutate_json(docs: Vec<Value>) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(docs),
        prop::collection::vec(json_op(), 1..4),
    )
        .prop_map(|(doc, ops)| serde_json::to_vec(&apply_json(doc, &ops)).unwrap_or_default())
}

/// Every input kind for a JSON parser: random bytes, mutated fixture bytes, mutated fixture
/// structure (sometimes with byte mutations on top).
pub fn json_input(fixtures: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    assert!(!fixtures.is_empty(), "no fixtures");
    let docs: Vec<Value> = fixtures
        .iter()
        .filter_map(|f| serde_json::from_slice(f).ok())
        .collect();
    assert!(!docs.is_empty(), "no JSON fixtures");
    prop_oneof![
        1 => random_bytes(),
        1 => prop::sample::select(fixtures.clone()),
        3 => mutate_bytes(prop::sample::select(fixtures)),
        6 => mutate_json(docs.clone()),
        2 => mutate_bytes(mutate_json(docs)),
    ]
}

/// Percent-encoding of a form value, sometimes odd: lower-case escapes, needless escapes,
/// stray `%`, invalid hex, truncated UTF-8, raw non-ASCII bytes.
fn encode_oddly(text: &str, style: u8, odd: &[String], out: &mut Vec<u8>) {
    for (i, b) in text.bytes().enumerate() {
        let plain = matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_');
        match style % 4 {
            3 => out.extend_from_slice(format!("%{b:02X}").as_bytes()),
            _ if plain => out.push(b),
            0 if b == b' ' => out.push(b'+'),
            1 => out.extend_from_slice(format!("%{b:02x}").as_bytes()),
            // Raw bytes: not valid in a form body, but senders do it.
            2 if b >= 0x80 || b == b' ' => out.push(b),
            _ => out.extend_from_slice(format!("%{b:02X}").as_bytes()),
        }
        if !odd.is_empty() && i % 7 == usize::from(style) % 7 {
            out.extend_from_slice(odd[i % odd.len()].as_bytes());
        }
    }
}

fn odd_escape() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "%",
        "%G1",
        "%e2%82",
        "%00",
        "%FF",
        "%2",
        "+%2B",
        "%%",
        "&",
        "=",
        "&&=",
        "%C3",
        "%EF%BF%BD",
        "%F0%9F%9A%9A",
    ])
    .prop_map(str::to_owned)
}

#[derive(Debug, Clone)]
enum FormOp {
    Value(usize, String),
    Name(usize, String),
    Drop(usize),
    Repeat(usize),
    Add(String, String),
}

fn form_op() -> impl Strategy<Value = FormOp> {
    prop_oneof![
        6 => (any::<usize>(), odd_text()).prop_map(|(i, v)| FormOp::Value(i, v)),
        1 => (any::<usize>(), odd_text()).prop_map(|(i, v)| FormOp::Name(i, v)),
        2 => any::<usize>().prop_map(FormOp::Drop),
        1 => any::<usize>().prop_map(FormOp::Repeat),
        1 => (odd_text(), odd_text()).prop_map(|(k, v)| FormOp::Add(k, v)),
    ]
}

/// Form pairs with up to 4 mutations; values that are JSON (Mango's `json`) are sometimes
/// mutated as JSON.
pub fn mutate_pairs(
    forms: Vec<Vec<(String, String)>>,
) -> impl Strategy<Value = Vec<(String, String)>> {
    (
        prop::sample::select(forms),
        prop::collection::vec(form_op(), 0..4),
        prop::collection::vec(json_op(), 0..3),
    )
        .prop_map(|(mut pairs, ops, json_ops)| {
            for op in ops {
                let n = pairs.len();
                match op {
                    FormOp::Value(i, v) if n > 0 => pairs[i % n].1 = v,
                    FormOp::Name(i, v) if n > 0 => pairs[i % n].0 = v,
                    FormOp::Drop(i) if n > 0 => {
                        pairs.remove(i % n);
                    }
                    FormOp::Repeat(i) if n > 0 => {
                        let pair = pairs[i % n].clone();
                        pairs.insert(0, pair);
                    }
                    FormOp::Add(k, v) => pairs.push((k, v)),
                    _ => {}
                }
            }
            if !json_ops.is_empty() {
                for pair in &mut pairs {
                    if let Ok(doc) = serde_json::from_str::<Value>(&pair.1) {
                        if doc.is_object() {
                            pair.1 = apply_json(doc, &json_ops).to_string();
                        }
                    }
                }
            }
            pairs
        })
}

/// Pairs encoded as a form body, with odd percent-encoding now and then.
pub fn encode_form(pairs: &[(String, String)], style: u8, odd: &[String]) -> Vec<u8> {
    let odd: &[String] = if style < 8 { &[] } else { odd };
    let mut out = Vec::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        encode_oddly(k, style, odd, &mut out);
        out.push(b'=');
        encode_oddly(v, style, odd, &mut out);
    }
    out
}

/// Every input kind for a form parser: random bytes, mutated fixture bytes, mutated and
/// re-encoded fields (sometimes with byte mutations on top).
pub fn form_input(fixtures: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    assert!(!fixtures.is_empty(), "no fixtures");
    let forms: Vec<Vec<(String, String)>> = fixtures
        .iter()
        .map(|f| form_urlencoded::parse(f).into_owned().collect())
        .collect();
    let encoded = |forms| {
        (
            mutate_pairs(forms),
            0u8..16,
            prop::collection::vec(odd_escape(), 1..4),
        )
            .prop_map(|(pairs, style, odd)| encode_form(&pairs, style, &odd))
    };
    prop_oneof![
        1 => random_bytes(),
        1 => prop::sample::select(fixtures.clone()),
        3 => mutate_bytes(prop::sample::select(fixtures)),
        6 => encoded(forms.clone()),
        2 => mutate_bytes(encoded(forms)),
    ]
}

/// The bytes of each fixture.
pub fn bytes_of(fixtures: Vec<(String, Vec<u8>)>) -> Vec<Vec<u8>> {
    fixtures.into_iter().map(|(_, b)| b).collect()
}

/// A `webhook-id` as Standard Webhooks verification lets through: 1–255 printable ASCII.
pub fn webhook_id() -> impl Strategy<Value = String> {
    prop_oneof![4 => Just("msg_2Zr1".to_owned()), 1 => "[!-~]{1,255}"]
}
