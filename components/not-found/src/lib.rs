//! Answers every route no other component claims with a JSON 404, so callers see one error
//! shape across the whole app instead of Spin's empty 404.

use spin_sdk::http::{IncomingRequest, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: IncomingRequest) -> Response {
    let path = req.path_with_query().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    let body = serde_json_escape(path);
    Response::builder()
        .status(404)
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"error":{{"code":"not_found","message":"no endpoint at {body}"}}}}"#
        ))
        .build()
}

/// Escapes a path for a JSON string without pulling serde_json into the smallest component.
fn serde_json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
