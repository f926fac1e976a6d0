//! `multipart/form-data` (RFC 7578) for text fields, as Mailgun takes them.
//!
//! The boundary must not occur in any part. It is derived from a hash of the fields, then
//! checked against them: if a field happens to contain it, the next candidate is tried. Each
//! candidate differs and the fields are finite, so the search ends, and the result is
//! deterministic (no randomness in the core).

/// An encoded form: the `Content-Type` header value and the body.
pub(super) struct Multipart {
    /// `multipart/form-data; boundary=...`.
    pub content_type: String,
    /// The parts, CRLF line endings, values as UTF-8.
    pub body: Vec<u8>,
}

/// Encodes text `fields` (name, value), in order.
pub(super) fn encode(fields: &[(&str, &str)]) -> Multipart {
    let boundary = first_free_boundary(fnv1a(fields), fields);
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str("--");
        body.push_str(&boundary);
        body.push_str("\r\nContent-Disposition: form-data; name=\"");
        push_escaped_name(&mut body, name);
        body.push_str("\"\r\n\r\n");
        body.push_str(value);
        body.push_str("\r\n");
    }
    body.push_str("--");
    body.push_str(&boundary);
    body.push_str("--\r\n");
    Multipart {
        content_type: format!("multipart/form-data; boundary={boundary}"),
        body: body.into_bytes(),
    }
}

/// Candidate `attempt` for a seed: ASCII letters, digits and `-` only (no quoting needed),
/// at most 45 characters (RFC 2046 allows 70).
fn candidate(seed: u64, attempt: u32) -> String {
    format!("orderpath-{seed:016x}-{attempt:x}")
}

/// The first candidate that occurs in no field name or value.
fn first_free_boundary(seed: u64, fields: &[(&str, &str)]) -> String {
    (0..=u32::MAX)
        .map(|attempt| candidate(seed, attempt))
        .find(|boundary| {
            !fields
                .iter()
                .any(|(name, value)| name.contains(boundary) || value.contains(boundary))
        })
        // More than 2^32 distinct candidates inside one email: not reachable in practice.
        .unwrap_or_else(|| candidate(seed, u32::MAX))
}

/// FNV-1a over the fields, with separators so that ("ab","c") and ("a","bc") differ.
fn fnv1a(fields: &[(&str, &str)]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, value) in fields {
        for byte in name.bytes().chain([0]).chain(value.bytes()).chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// A field name inside the quoted `name` parameter: `"`, CR and LF percent-encoded, as
/// browsers do (WHATWG HTML, multipart/form-data encoding algorithm).
fn push_escaped_name(out: &mut String, name: &str) {
    for c in name.chars() {
        match c {
            '"' => out.push_str("%22"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
}

/// Parses a body made by [`encode`] back into (name, value) pairs, checking its framing:
/// the tests' independent reading of what the server receives.
#[cfg(test)]
pub(super) fn parse(content_type: &str, body: &[u8]) -> Vec<(String, String)> {
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("multipart content type");
    let text = std::str::from_utf8(body).expect("UTF-8 body");
    let open = format!("--{boundary}\r\n");
    let close = format!("\r\n--{boundary}--\r\n");
    let inner = text
        .strip_prefix(&open)
        .and_then(|rest| rest.strip_suffix(&close))
        .expect("body framed by the boundary");
    inner
        .split(&format!("\r\n--{boundary}\r\n"))
        .map(|part| {
            let (headers, value) = part.split_once("\r\n\r\n").expect("headers, blank line");
            let name = headers
                .strip_prefix("Content-Disposition: form-data; name=\"")
                .and_then(|rest| rest.strip_suffix('"'))
                .expect("one Content-Disposition header");
            assert!(!name.contains("\r\n"), "one header line: {headers:?}");
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_framed_with_crlf_and_content_disposition() {
        let form = encode(&[("from", "Shop <s@x.example>"), ("subject", "Заказ")]);
        let boundary = candidate(
            fnv1a(&[("from", "Shop <s@x.example>"), ("subject", "Заказ")]),
            0,
        );
        assert_eq!(
            form.content_type,
            format!("multipart/form-data; boundary={boundary}")
        );
        assert_eq!(
            String::from_utf8(form.body).expect("UTF-8"),
            format!(
                "--{boundary}\r\n\
                 Content-Disposition: form-data; name=\"from\"\r\n\r\n\
                 Shop <s@x.example>\r\n\
                 --{boundary}\r\n\
                 Content-Disposition: form-data; name=\"subject\"\r\n\r\n\
                 Заказ\r\n\
                 --{boundary}--\r\n"
            )
        );
    }

    #[test]
    fn values_with_line_breaks_and_dashes_survive_the_round_trip() {
        let fields = [
            ("text", "line 1\r\n\r\n--not a boundary\nline 3\r\n"),
            ("html", ""),
            ("name\"with\r\nbreaks", "v"),
        ];
        let form = encode(&fields);
        assert_eq!(
            parse(&form.content_type, &form.body),
            [
                ("text".to_owned(), fields[0].1.to_owned()),
                ("html".to_owned(), String::new()),
                ("name%22with%0D%0Abreaks".to_owned(), "v".to_owned()),
            ]
        );
    }

    #[test]
    fn a_boundary_that_occurs_in_a_value_is_not_used() {
        let seed = 7;
        let taken = candidate(seed, 0);
        let also_taken = candidate(seed, 1);
        let value = format!("before\r\n--{taken}\r\nand {also_taken}");
        let fields = [("text", value.as_str())];

        assert_eq!(first_free_boundary(seed, &fields), candidate(seed, 2));
    }

    #[test]
    fn the_boundary_never_occurs_in_the_content() {
        // Whatever the fields, the chosen boundary is checked against them.
        let value = candidate(fnv1a(&[("text", "x")]), 0);
        for fields in [
            vec![("text", "x")],
            vec![("text", value.as_str())],
            vec![("a", ""), ("b", "orderpath-")],
        ] {
            let form = encode(&fields);
            let boundary = form
                .content_type
                .strip_prefix("multipart/form-data; boundary=")
                .expect("boundary");
            assert!(fields
                .iter()
                .all(|(n, v)| !n.contains(boundary) && !v.contains(boundary)));
            assert!(boundary.len() <= 70);
            assert_eq!(parse(&form.content_type, &form.body).len(), fields.len());
        }
    }

    #[test]
    fn different_content_gets_a_different_boundary() {
        assert_ne!(fnv1a(&[("ab", "c")]), fnv1a(&[("a", "bc")]));
        assert_eq!(fnv1a(&[("a", "b")]), fnv1a(&[("a", "b")]));
    }
}
