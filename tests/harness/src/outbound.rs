//! Outbound `wasi:http` requests, gated by the component's `allowed_outbound_hosts` like
//! Spin's outbound HTTP factor.
//!
//! A denied request fails with `error-code::http-request-denied` when the guest reads the
//! response future, and the component's output gets Spin's log line
//! `Outbound network destination not allowed: <scheme>://<authority>`. Allowed requests go out
//! for real through wasmtime-wasi-http's default sender, which honours the guest's connect,
//! first-byte and between-bytes timeouts (600 s each when the guest sets none, as in Spin).
//! Requests to `http://<component>.spin.internal/...` (service chaining) and relative "self"
//! requests are answered in-process by the same app.

use std::net::SocketAddr;
use std::sync::{Arc, Weak};

use http::header::HOST;
use http::{HeaderValue, Uri};
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::p2::types::{
    HostFutureIncomingResponse, IncomingResponse, OutgoingRequestConfig,
};
use wasmtime_wasi_http::p2::{default_send_request, HttpResult, WasiHttpHooks};

use crate::allowed_hosts::{AllowedHost, OutboundUrl};
use crate::exec::AppInner;
use crate::state::ComponentCtx;

const SERVICE_CHAINING_SUFFIX: &str = ".spin.internal";

/// Per-instance hooks; the allow-list is resolved on the first request, like Spin does.
pub(crate) struct OutboundHooks {
    component: Arc<ComponentCtx>,
    app: Weak<AppInner>,
    allowed: Option<Option<Vec<AllowedHost>>>,
}

enum Destination {
    Network,
    SelfRequest,
    Chained(String),
}

impl OutboundHooks {
    pub(crate) fn new(component: Arc<ComponentCtx>, app: Weak<AppInner>) -> Self {
        Self {
            component,
            app,
            allowed: None,
        }
    }

    fn allowed(&mut self) -> &[AllowedHost] {
        if self.allowed.is_none() {
            let c = &self.component;
            let resolved = match c.allow.resolve(&c.shared.vars) {
                Ok(list) => Some(list),
                Err(e) => {
                    c.output.note(&format!(
                        "Error resolving allowed outbound hosts (all requests denied): {e:#}"
                    ));
                    None
                }
            };
            self.allowed = Some(resolved);
        }
        self.allowed
            .as_ref()
            .and_then(|a| a.as_deref())
            .unwrap_or(&[])
    }

    fn deny(&self, scheme: &str, authority: &str) -> HttpResult<HostFutureIncomingResponse> {
        self.component.output.note(&format!(
            "Outbound network destination not allowed: {scheme}://{authority}"
        ));
        Ok(HostFutureIncomingResponse::ready(Ok(Err(
            ErrorCode::HttpRequestDenied,
        ))))
    }
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        mut request: hyper::Request<HyperOutgoingBody>,
        config: OutgoingRequestConfig,
    ) -> HttpResult<HostFutureIncomingResponse> {
        // wasmtime-wasi-http turns a relative URL into `https://:443/path`; undo that.
        if request
            .uri()
            .authority()
            .is_some_and(|a| a.host().is_empty())
        {
            let pq = request.uri().path_and_query().cloned();
            let mut b = Uri::builder();
            if let Some(pq) = pq {
                b = b.path_and_query(pq);
            }
            *request.uri_mut() = b.build().map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
        }
        let destination = match request.uri().authority() {
            None => Destination::SelfRequest,
            Some(a) if a.host() == "self.alt" => Destination::SelfRequest,
            Some(a) => match a.host().strip_suffix(SERVICE_CHAINING_SUFFIX) {
                Some(component) => Destination::Chained(component.to_string()),
                None => Destination::Network,
            },
        };
        match &destination {
            Destination::SelfRequest => {
                if !self
                    .allowed()
                    .iter()
                    .any(|h| h.allows_relative(&["http", "https"]))
                {
                    return self.deny("http", "self");
                }
            }
            _ => {
                let url = request.uri().to_string();
                let Ok(parsed) = OutboundUrl::parse(&url, "https") else {
                    return self.deny("https", &url);
                };
                if !self.allowed().iter().any(|h| h.allows(&parsed)) {
                    return self.deny(&parsed.scheme, &parsed.authority());
                }
            }
        }
        // Spin drops the guest's Host header before sending (or intercepting) any request.
        request.headers_mut().remove(HOST);
        if let Destination::Network = destination {
            return Ok(default_send_request(request, config));
        }
        let app = self.app.clone();
        let between_bytes_timeout = config.between_bytes_timeout;
        let task = async move {
            let Some(app) = app.upgrade() else {
                return Ok(Err(ErrorCode::InternalError(Some(
                    "app has stopped".into(),
                ))));
            };
            let resp = match destination {
                Destination::Chained(component) => {
                    let path = request.uri().path().to_string();
                    crate::exec::handle_chained(app, request, component, path).await
                }
                _ => {
                    let host = app.self_authority();
                    if let Ok(v) = HeaderValue::from_str(&host) {
                        request.headers_mut().insert(HOST, v);
                    }
                    let peer = SocketAddr::from(([127, 0, 0, 1], 0));
                    crate::exec::handle(app, request, peer).await
                }
            };
            Ok(Ok(IncomingResponse {
                resp,
                worker: None,
                between_bytes_timeout,
            }))
        };
        Ok(HostFutureIncomingResponse::pending(
            wasmtime_wasi::runtime::spawn(task),
        ))
    }
}
