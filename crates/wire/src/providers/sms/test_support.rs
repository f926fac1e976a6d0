//! Test helpers: decoding the form bodies we build and making provider answers.

use crate::providers::{Request, Response};

/// The request's form body decoded into (name, value) pairs, in order.
pub(super) fn form_fields(request: &Request) -> Vec<(String, String)> {
    let body = std::str::from_utf8(&request.body).expect("form bodies are ASCII");
    if body.is_empty() {
        return Vec::new();
    }
    body.split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("name=value");
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).expect("UTF-8")
}

/// The fields as `(&str, &str)` for comparing with a literal list.
pub(super) fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// An answer with this status and body and no headers.
pub(super) fn answer(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    }
}

/// An answer with a `Retry-After` header.
pub(super) fn answer_retry_after(status: u16, body: &str, seconds: &str) -> Response {
    Response {
        headers: vec![("Retry-After".into(), seconds.into())],
        ..answer(status, body)
    }
}

/// The request's headers as `(&str, &str)`.
pub(super) fn headers(request: &Request) -> Vec<(&str, &str)> {
    request
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}
