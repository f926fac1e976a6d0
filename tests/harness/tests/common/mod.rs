//! Helpers for the harness's own tests: the probe app and a tiny HTTP client.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use orderpath_harness::{App, AppBuilder, HarnessResponse};
use serde_json::Value;

/// The probe app's manifest.
pub fn probe_manifest() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../probe/spin.toml");
    let wasm = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/wasm32-wasip2/release/spin_probe.wasm");
    assert!(
        wasm.exists(),
        "the probe component is not built ({}). Run: cargo run -p orderpath-harness -- build -f tests/probe/spin.toml",
        wasm.display()
    );
    manifest
}

/// A builder for the probe app with a fresh state dir and its required variable set.
pub fn probe_builder(state: &tempfile::TempDir) -> AppBuilder {
    App::builder(probe_manifest())
        .state_dir(state.path())
        .variable("required_secret", "s3cr3t")
}

/// The probe app with defaults.
pub async fn probe_app() -> (App, tempfile::TempDir) {
    let state = tempfile::tempdir().expect("tempdir");
    let app = probe_builder(&state)
        .build()
        .await
        .expect("probe app builds");
    (app, state)
}

/// GET `path` in-process.
pub async fn get(app: &App, path: &str) -> HarnessResponse {
    let req = http::Request::get(path)
        .body(Bytes::new())
        .expect("request");
    app.request(req).await.expect("request succeeds")
}

/// GET `path` and parse the JSON answer.
pub async fn get_json(app: &App, path: &str) -> Value {
    let resp = get(app, path).await;
    assert_eq!(resp.status, 200, "GET {path}: {}", resp.text());
    resp.json().expect("json")
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One HTTP/1.1 GET over a real TCP connection.
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> anyhow::Result<(u16, Bytes)> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let req = http::Request::get(path)
        .header("host", addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let resp = sender.send_request(req).await?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok((status, body))
}
