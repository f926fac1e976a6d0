//! The `spin-*` request headers Spin adds before calling a component
//! (`spin_trigger_http::headers`).
//!
//! Spin rebuilds the header map: every original header (values must be UTF-8, or the request
//! fails with a 500), then `spin-path-info`, `spin-full-url`, `spin-matched-route`,
//! `spin-base-path`, `spin-raw-component-route`, `spin-component-route`, `spin-client-addr`
//! and one `spin-path-match-<name>` per `:name` capture.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use http::{HeaderMap, HeaderName, HeaderValue, Uri};

use crate::router::RouteMatch;

/// Builds the header map the guest sees.
///
/// `scheme` is the server's scheme (Spin uses it, not the client's idea of it).
pub fn guest_headers(
    original: &HeaderMap,
    uri: &Uri,
    scheme: &str,
    route: &RouteMatch,
    client_addr: SocketAddr,
) -> Result<HeaderMap> {
    let mut out = HeaderMap::with_capacity(original.len() + 8 + route.captures.len());
    for (name, value) in original {
        std::str::from_utf8(value.as_bytes())
            .with_context(|| format!("header {name} is not valid UTF-8"))?;
        out.append(name.clone(), value.clone());
    }
    let host = match original.get(http::header::HOST) {
        Some(h) => std::str::from_utf8(h.as_bytes()).context("Host header is not UTF-8")?,
        None => "localhost",
    };
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let full_url = format!("{scheme}://{host}{path_and_query}");

    let mut push = |name: &str, value: &str| -> Result<()> {
        let name = HeaderName::from_bytes(name.as_bytes())?;
        // Spin silently drops what cannot be a header value.
        if let Ok(value) = HeaderValue::from_str(value) {
            out.append(name, value);
        }
        Ok(())
    };
    push("spin-path-info", &route.path_info)?;
    push("spin-full-url", &full_url)?;
    push("spin-matched-route", &route.based_route)?;
    push("spin-base-path", "/")?;
    push("spin-raw-component-route", &route.raw_route)?;
    push("spin-component-route", &route.raw_route_or_prefix)?;
    push("spin-client-addr", &client_addr.to_string())?;
    for (name, value) in &route.captures {
        let key = format!("SPIN_PATH_MATCH_{}", name.to_ascii_uppercase())
            .replace('_', "-")
            .to_ascii_lowercase();
        if HeaderName::from_bytes(key.as_bytes()).is_ok() {
            push(&key, value)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::{RouteEntry, Router};

    #[test]
    fn values_match_spins_documentation() {
        let (router, _) = Router::build(&[RouteEntry {
            target: "c".into(),
            route: Some("/users/:user_id/cart/...".into()),
        }])
        .expect("router");
        let m = router.route("/users/1/cart/items/3/edit").expect("match");
        let mut original = HeaderMap::new();
        original.insert("host", HeaderValue::from_static("example.com:8080"));
        original.insert("x-custom", HeaderValue::from_static("kept"));
        let uri: Uri = "/users/1/cart/items/3/edit?theme=pink"
            .parse()
            .expect("uri");
        let addr: SocketAddr = "127.0.0.1:53152".parse().expect("addr");
        let h = guest_headers(&original, &uri, "http", &m, addr).expect("headers");
        let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).unwrap_or("<none>");
        assert_eq!(
            get("spin-full-url"),
            "http://example.com:8080/users/1/cart/items/3/edit?theme=pink"
        );
        assert_eq!(get("spin-path-info"), "/items/3/edit");
        assert_eq!(get("spin-matched-route"), "/users/:user_id/cart/...");
        assert_eq!(get("spin-base-path"), "/");
        assert_eq!(get("spin-raw-component-route"), "/users/:user_id/cart/...");
        assert_eq!(get("spin-component-route"), "/users/:user_id/cart");
        assert_eq!(get("spin-client-addr"), "127.0.0.1:53152");
        assert_eq!(get("spin-path-match-user-id"), "1");
        assert_eq!(get("x-custom"), "kept");
    }
}
