//! Plain HTTP/1.1 to an app instance (a real `spin up` or a harness server): one connection
//! per request, so concurrent requests are concurrent connections, as from separate senders.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use sha2::Sha256;

/// No answer within this long is a failure of the run, not a slow instance.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// One app instance, by its base URL (`http://127.0.0.1:3001`).
#[derive(Debug, Clone)]
pub struct Instance {
    /// The URL as given, for the report.
    pub url: String,
    addr: SocketAddr,
    host: String,
}

/// An answer: status and body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body as text.
    pub body: String,
    /// Answered from the stored answer of an earlier copy (`idempotent-replayed: true`).
    pub replayed: bool,
}

impl Instance {
    /// Parses `http://host:port` (no path).
    pub fn parse(url: &str) -> Result<Instance> {
        let uri: http::Uri = url.parse().with_context(|| format!("bad URL {url:?}"))?;
        if uri.scheme_str() != Some("http") {
            bail!("only http:// instances can be driven, got {url}");
        }
        let authority = uri
            .authority()
            .with_context(|| format!("{url} has no host"))?;
        let port = authority.port_u16().unwrap_or(80);
        let host = authority.host();
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
            .with_context(|| format!("{url} does not resolve"))?
            .next()
            .with_context(|| format!("{url} resolves to no address"))?;
        Ok(Instance {
            url: url.trim_end_matches('/').to_owned(),
            addr,
            host: authority.as_str().to_owned(),
        })
    }

    /// `POST path` with `headers` and `body`; the whole answer.
    pub async fn post(
        &self,
        path: &str,
        headers: &[(String, String)],
        body: Bytes,
    ) -> Result<Answer> {
        let mut request = http::Request::post(path).header(http::header::HOST, &self.host);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request.body(Full::new(body))?;
        let exchange = async {
            let stream = tokio::net::TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            let response = sender.send_request(request).await?;
            let status = response.status().as_u16();
            let replayed = response
                .headers()
                .get("idempotent-replayed")
                .is_some_and(|v| v.as_bytes() == b"true");
            let body = response.into_body().collect().await?.to_bytes();
            anyhow::Ok(Answer {
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
                replayed,
            })
        };
        tokio::time::timeout(ANSWER_WITHIN, exchange)
            .await
            .with_context(|| format!("{} gave no answer to POST {path} in time", self.url))?
            .with_context(|| format!("POST {}{path}", self.url))
    }
}

/// The Standard Webhooks headers for `body` sent as `webhook_id` at `ts`, signed with a
/// `whsec_` secret (`v1,` + base64 HMAC-SHA256 of `{id}.{ts}.{body}`).
pub fn standard_webhook(
    secret: &str,
    webhook_id: &str,
    ts: i64,
    body: &[u8],
) -> Result<Vec<(String, String)>> {
    let key = BASE64
        .decode(secret.trim_start_matches("whsec_"))
        .context("a whsec_ secret is base64 after the prefix")?;
    let mut mac = <Hmac<Sha256>>::new_from_slice(&key).context("HMAC key")?;
    mac.update(format!("{webhook_id}.{ts}.").as_bytes());
    mac.update(body);
    let signature = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
    Ok(vec![
        ("content-type".into(), "application/json".into()),
        ("webhook-id".into(), webhook_id.into()),
        ("webhook-timestamp".into(), ts.to_string()),
        ("webhook-signature".into(), signature),
    ])
}
