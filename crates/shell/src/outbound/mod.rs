//! Outbound HTTP with time limits, over WASI 0.2 `outgoing-handler`.
//!
//! spin-sdk's `send` sets no request options, so a provider that hangs would hold the request
//! for Spin's default of 600 s. This client sets the connect, first-byte and between-bytes
//! limits itself and blocks on the response, which suits our synchronous handlers. Spin checks
//! the destination against `allowed_outbound_hosts`; a refusal surfaces as [`HttpError::Denied`].

pub mod channels;
pub mod outbox;
pub mod sender;
use std::time::Duration;

use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasi::io::streams::StreamError;

/// Responses larger than this are cut: provider answers are small.
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// An outbound request. Its `Debug` leaves out everything that may be a credential (see
/// [`orderpath_wire::providers::redacted_request`]).
#[derive(Clone)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Absolute `http://` or `https://` URL.
    pub url: String,
    /// Request headers.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Vec<u8>,
    /// Limit for connecting, for the first byte, and between bytes.
    pub timeout: Duration,
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        orderpath_wire::providers::redacted_request(
            f,
            "HttpRequest",
            self.method,
            &self.url,
            &self.headers,
            self.body.len(),
        )
    }
}

/// A provider's answer.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// Body (at most 1 MiB).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why no response came back.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HttpError {
    /// The URL cannot be sent; says what is wrong, never the URL itself (a provider's URL may
    /// carry a credential, such as Telegram's bot token).
    #[error("invalid url: {0}")]
    InvalidUrl(&'static str),
    /// The host is not in the component's `allowed_outbound_hosts`.
    #[error("destination not allowed by allowed_outbound_hosts")]
    Denied,
    /// A time limit ran out.
    #[error("timed out")]
    Timeout,
    /// Connecting or talking to the host failed.
    #[error("connection failed: {0}")]
    Connection(String),
}

/// The parts of an absolute URL that WASI wants separately.
#[derive(Debug, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// `https` or `http`.
    pub https: bool,
    /// `host[:port]`.
    pub authority: &'a str,
    /// `/path?query`.
    pub path_with_query: &'a str,
}

/// Splits an absolute http(s) URL.
pub fn split_url(url: &str) -> Result<UrlParts<'_>, HttpError> {
    let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(HttpError::InvalidUrl("not an absolute http(s) URL"));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(HttpError::InvalidUrl("no host"));
    }
    Ok(UrlParts {
        https,
        authority,
        path_with_query: path,
    })
}

/// Sends a request and waits for the whole response, within the request's time limits.
pub fn send(request: &HttpRequest) -> Result<HttpResponse, HttpError> {
    let parts = split_url(&request.url)?;
    let invalid = HttpError::InvalidUrl;
    let mut headers: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone().into_bytes()))
        .collect();
    // Without a length the host sends the body chunked, which some receivers (a CRM behind a
    // simple server, PHP under CGI) read as empty: the length is always sent with a body.
    if request.method != "GET" && !headers.iter().any(|(k, _)| k == "content-length") {
        headers.push((
            "content-length".to_owned(),
            request.body.len().to_string().into_bytes(),
        ));
    }
    let fields = Fields::from_list(&headers).map_err(|_| invalid("bad header refused"))?;
    let outgoing = OutgoingRequest::new(fields);
    let method = match request.method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        other => Method::Other(other.to_owned()),
    };
    outgoing
        .set_method(&method)
        .map_err(|_| invalid("method refused"))?;
    outgoing
        .set_scheme(Some(if parts.https {
            &Scheme::Https
        } else {
            &Scheme::Http
        }))
        .map_err(|_| invalid("scheme refused"))?;
    outgoing
        .set_authority(Some(parts.authority))
        .map_err(|_| invalid("authority refused"))?;
    outgoing
        .set_path_with_query(Some(parts.path_with_query))
        .map_err(|_| invalid("path refused"))?;

    let options = RequestOptions::new();
    let limit = Some(request.timeout.as_nanos().min(u128::from(u64::MAX)) as u64);
    // A host may not support some limits; the others still apply.
    let _ = options.set_connect_timeout(limit);
    let _ = options.set_first_byte_timeout(limit);
    let _ = options.set_between_bytes_timeout(limit);

    let body = outgoing
        .body()
        .map_err(|_| HttpError::Connection("request body unavailable".into()))?;
    let pending = outgoing_handler::handle(outgoing, Some(options)).map_err(map_error)?;
    write_body(body, &request.body)?;

    pending.subscribe().block();
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(map_error(code)),
        Some(Err(())) | None => return Err(HttpError::Connection("no response".into())),
    };
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect();
    let incoming = response
        .consume()
        .map_err(|_| HttpError::Connection("response body unavailable".into()))?;
    let body = read_body(incoming)?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), HttpError> {
    {
        let stream = body
            .write()
            .map_err(|_| HttpError::Connection("request body stream unavailable".into()))?;
        // blocking-write-and-flush takes at most 4096 bytes per call.
        for chunk in bytes.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| HttpError::Connection(format!("writing the request: {e:?}")))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(map_error)
}

fn read_body(incoming: IncomingBody) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    {
        let stream = incoming
            .stream()
            .map_err(|_| HttpError::Connection("response stream unavailable".into()))?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    let room = MAX_RESPONSE_BYTES.saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(HttpError::Connection(format!(
                        "reading the response: {}",
                        e.to_debug_string()
                    )))
                }
            }
        }
    }
    drop(IncomingBody::finish(incoming));
    Ok(body)
}

fn map_error(code: ErrorCode) -> HttpError {
    match code {
        ErrorCode::HttpRequestDenied => HttpError::Denied,
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => HttpError::Timeout,
        other => HttpError::Connection(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_port_and_path_is_split() {
        let parts = split_url("http://127.0.0.1:8080/email?x=1").expect("url");
        assert_eq!(
            parts,
            UrlParts {
                https: false,
                authority: "127.0.0.1:8080",
                path_with_query: "/email?x=1"
            }
        );
    }

    #[test]
    fn bare_host_gets_root_path() {
        let parts = split_url("https://api.postmarkapp.com").expect("url");
        assert_eq!(parts.path_with_query, "/");
        assert!(parts.https);
    }

    #[test]
    fn debug_shows_no_credential() {
        let request = HttpRequest {
            method: "POST",
            url: "https://api.telegram.org/bot123456:secret-token/sendMessage?x=1".into(),
            headers: vec![("authorization".into(), "Basic c2VjcmV0".into())],
            body: b"api_id=secret-key".to_vec(),
            timeout: Duration::from_secs(1),
        };
        let shown = format!("{request:?}");
        assert!(shown.contains("https://api.telegram.org"), "{shown}");
        assert!(shown.contains("authorization"), "{shown}");
        for secret in ["secret-token", "c2VjcmV0", "secret-key"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn an_unusable_url_is_refused_without_repeating_it() {
        let error = split_url("api.telegram.org/bot123456:secret-token/sendMessage")
            .expect_err("no scheme");
        assert!(!error.to_string().contains("secret-token"), "{error}");
    }

    #[test]
    fn other_schemes_are_refused() {
        assert!(split_url("ftp://example.com/x").is_err());
        assert!(split_url("https:///x").is_err());
    }
}
