//! Reading requests and writing answers, shared by all components.
//!
//! Errors are answered as `{"error": {"code": "...", "message": "..."}}`. Client errors say
//! precisely what is wrong; 5xx answers say nothing internal (the cause goes to the component's
//! log). The response is sent before any slow follow-up work (such as calling an email API), so
//! senders get their acknowledgement quickly; see [`respond`].

use serde_json::{json, Value};
use spin_sdk::http::{Fields, IncomingRequest, Method, OutgoingResponse, ResponseOutparam};
use wasi::io::streams::StreamError;

/// The largest request body we accept.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// An answer to send: status, JSON body and extra headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body (JSON text).
    pub body: String,
    /// Extra headers besides `content-type`.
    pub headers: Vec<(String, String)>,
}

impl Answer {
    /// A JSON answer.
    pub fn json(status: u16, body: &Value) -> Answer {
        Answer {
            status,
            body: body.to_string(),
            headers: Vec::new(),
        }
    }

    /// A JSON answer whose body is already text (a stored answer).
    pub fn json_text(status: u16, body: String) -> Answer {
        Answer {
            status,
            body,
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A request refused or failed, with the status that tells the sender what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Machine-readable code, e.g. `invalid_signature`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// Extra headers (`Allow`, `Retry-After`).
    pub headers: Vec<(String, String)>,
}

impl ApiError {
    /// 405 `method_not_allowed` with `Allow: <allowed>` (`"GET"`, `"GET, POST"`).
    pub fn method_not_allowed(allowed: &str) -> ApiError {
        let mut error = ApiError::new(405, "method_not_allowed", format!("use {allowed}"));
        error.headers.push(("allow".into(), allowed.into()));
        error
    }

    /// An error with a status, code and message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// A 500 whose cause is logged, not shown.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        eprintln!("internal error: {cause}");
        ApiError::new(
            500,
            "internal_error",
            "internal error; the event was not recorded",
        )
    }

    /// A 503 asking the sender to retry shortly (the database was busy).
    pub fn unavailable(cause: &dyn std::fmt::Display) -> ApiError {
        eprintln!("temporarily unavailable: {cause}");
        let mut error = ApiError::new(
            503,
            "temporarily_unavailable",
            "busy; the event was not recorded, retry shortly",
        );
        error.headers.push(("retry-after".into(), "1".into()));
        error
    }

    /// The answer for this error.
    pub fn to_answer(&self) -> Answer {
        Answer {
            status: self.status,
            body: json!({ "error": { "code": self.code, "message": self.message } }).to_string(),
            headers: self.headers.clone(),
        }
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(error: crate::db::DbError) -> Self {
        match error {
            crate::db::DbError::Busy => ApiError::unavailable(&error),
            other => ApiError::internal(&other),
        }
    }
}

impl From<orderpath_wire::acquirer::NoticeError> for ApiError {
    /// A provider's notification refused: 401 (not from the provider), 400 (not its format),
    /// 422 (a field we need, named).
    fn from(error: orderpath_wire::acquirer::NoticeError) -> Self {
        use orderpath_wire::acquirer::NoticeError;
        match error {
            NoticeError::Unauthorized(message) => ApiError::new(401, "invalid_signature", message),
            NoticeError::Malformed(message) => ApiError::new(400, "malformed", message),
            NoticeError::Invalid { field, message } => {
                ApiError::new(422, "invalid_event", format!("{field}: {message}"))
            }
        }
    }
}

impl From<crate::config::ConfigError> for ApiError {
    fn from(error: crate::config::ConfigError) -> Self {
        ApiError::internal(&error)
    }
}

/// A request's method, path, query, headers and body, read within the size limit.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Method, upper-case (`GET`, `POST`).
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// The query as it came, without the `?` (what a GET callback signs and we keep).
    pub raw_query: String,
    /// Headers, names lower-case, values as UTF-8 text (others dropped); of each `spin-*`
    /// header only the value Spin set (the last one).
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl Inbound {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter with this name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The trailing-wildcard part of the path (Spin's `spin-path-info`) split at its first
    /// segment: `("cloudpayments", "pay")` for `/webhooks/payments/cloudpayments/pay`.
    pub fn path_info(&self) -> (&str, &str) {
        let info = self
            .header("spin-path-info")
            .unwrap_or_default()
            .trim_matches('/');
        let (first, rest) = info.split_once('/').unwrap_or((info, ""));
        (first, rest.trim_matches('/'))
    }

    /// The request as the core's provider readers take it; `rest` is what follows the
    /// provider's name in the path.
    pub fn provider_request<'a>(&'a self, rest: &'a str) -> orderpath_wire::acquirer::Request<'a> {
        orderpath_wire::acquirer::Request {
            method: &self.method,
            rest,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    /// 405 with `Allow` unless the method is `allowed`.
    pub fn require_method(&self, allowed: &str) -> Result<(), ApiError> {
        if self.method == allowed {
            return Ok(());
        }
        Err(ApiError::method_not_allowed(allowed))
    }
}

/// Reads a request whatever its method: headers first (413 on a declared length over the
/// limit), then the body, cut off with 413 when it grows past the limit.
pub fn read_request(request: IncomingRequest) -> Result<Inbound, ApiError> {
    let mut inbound = head(&request);
    check_declared_length(&inbound)?;
    inbound.body = read_body(request)?;
    Ok(inbound)
}

/// Checks method, content type and size, then reads the body: 405, 415 and 413 come before
/// a single body byte is read, and a body that grows past the limit is cut off with 413.
pub fn read_json_post(request: IncomingRequest) -> Result<Inbound, ApiError> {
    let mut inbound = head(&request);
    inbound.require_method("POST")?;
    if !is_json(inbound.header("content-type")) {
        return Err(ApiError::new(
            415,
            "unsupported_media_type",
            "content-type must be application/json",
        ));
    }
    check_declared_length(&inbound)?;
    inbound.body = read_body(request)?;
    Ok(inbound)
}

fn head(request: &IncomingRequest) -> Inbound {
    let method = match request.method() {
        Method::Get => "GET".to_owned(),
        Method::Head => "HEAD".to_owned(),
        Method::Post => "POST".to_owned(),
        Method::Put => "PUT".to_owned(),
        Method::Delete => "DELETE".to_owned(),
        Method::Connect => "CONNECT".to_owned(),
        Method::Options => "OPTIONS".to_owned(),
        Method::Trace => "TRACE".to_owned(),
        Method::Patch => "PATCH".to_owned(),
        Method::Other(other) => other.to_ascii_uppercase(),
    };
    let target = request.path_with_query().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
    Inbound {
        method,
        path: path.to_owned(),
        query: form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        raw_query: query.to_owned(),
        headers: trusted_spin_headers(
            request
                .headers()
                .entries()
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), String::from_utf8(v).ok()?)))
                .collect(),
        ),
        body: Vec::new(),
    }
}

/// Keeps only the last value of every `spin-*` header.
///
/// Spin passes the client's headers on as they came and then appends its own `spin-*` values
/// (`spin-path-info`, `spin-client-addr`, …), so a client can send a header of the same name
/// first. The value Spin set is always the last one: any earlier copy came from the client
/// and is dropped here, before anything reads the headers. Other headers keep every value.
fn trusted_spin_headers(headers: Vec<(String, String)>) -> Vec<(String, String)> {
    let is_spin = |name: &str| name.starts_with("spin-");
    let mut kept = Vec::with_capacity(headers.len());
    for (index, (name, value)) in headers.iter().enumerate() {
        let later_copy = is_spin(name) && headers[index + 1..].iter().any(|(k, _)| k == name);
        if !later_copy {
            kept.push((name.clone(), value.clone()));
        }
    }
    kept
}

fn check_declared_length(inbound: &Inbound) -> Result<(), ApiError> {
    let declared = inbound
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    Ok(())
}

fn too_large() -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!("the body must be at most {MAX_BODY_BYTES} bytes"),
    )
}

/// `application/json`, optionally with parameters such as `charset=utf-8`.
pub fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

fn read_body(request: IncomingRequest) -> Result<Vec<u8>, ApiError> {
    let unreadable =
        |_| ApiError::new(400, "unreadable_body", "the request body could not be read");
    let body = request.consume().map_err(unreadable)?;
    let stream = body.stream().map_err(unreadable)?;
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > MAX_BODY_BYTES {
                    return Err(too_large());
                }
            }
            Err(StreamError::Closed) => return Ok(bytes),
            Err(StreamError::LastOperationFailed(_)) => return Err(unreadable(())),
        }
    }
}

/// Sends an answer and finishes the response, so the caller has it before any follow-up work
/// the component does afterwards. The body is JSON unless the answer names another
/// `content-type` (T-Bank's plain `OK`).
pub fn respond(out: ResponseOutparam, answer: &Answer) {
    let typed = answer
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    let mut headers: Vec<(String, Vec<u8>)> = if typed {
        Vec::new()
    } else {
        vec![("content-type".into(), b"application/json".to_vec())]
    };
    headers.extend(
        answer
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into_bytes())),
    );
    let fields = Fields::from_list(&headers).unwrap_or_else(|_| Fields::new());
    let response = OutgoingResponse::new(fields);
    let _ = response.set_status_code(answer.status);
    let Ok(body) = response.body() else {
        out.set(response);
        return;
    };
    out.set(response);
    if let Ok(stream) = body.write() {
        for chunk in answer.body.as_bytes().chunks(4096) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                break;
            }
        }
        drop(stream);
    }
    let _ = spin_sdk::http::OutgoingBody::finish(body, None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_with_charset_is_json() {
        assert!(is_json(Some("application/json; charset=utf-8")));
        assert!(is_json(Some("Application/JSON")));
    }

    #[test]
    fn other_types_are_not_json() {
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(Some("application/x-www-form-urlencoded")));
        assert!(!is_json(None));
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_client_copy_of_a_spin_header_is_dropped_for_the_one_spin_appended() {
        let headers = trusted_spin_headers(pairs(&[
            ("spin-client-addr", "185.71.76.1:1"),
            ("spin-path-info", "/generic"),
            ("content-type", "application/json"),
            ("spin-path-info", "/yookassa"),
            ("spin-client-addr", "127.0.0.1:52000"),
        ]));
        assert_eq!(
            headers,
            pairs(&[
                ("content-type", "application/json"),
                ("spin-path-info", "/yookassa"),
                ("spin-client-addr", "127.0.0.1:52000"),
            ])
        );
    }

    #[test]
    fn other_repeated_headers_keep_every_value() {
        let list = pairs(&[("accept", "a"), ("accept", "b"), ("spin-path-info", "/x")]);
        assert_eq!(trusted_spin_headers(list.clone()), list);
    }

    #[test]
    fn error_answer_has_the_documented_shape() {
        let answer = ApiError::new(422, "invalid_event", "data.total is required").to_answer();
        let body: Value = serde_json::from_str(&answer.body).expect("json");
        assert_eq!(body["error"]["code"], "invalid_event");
        assert_eq!(body["error"]["message"], "data.total is required");
    }
}
