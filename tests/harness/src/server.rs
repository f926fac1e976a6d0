//! Serving an app over real HTTP/1.1 (keep-alive) with hyper, one task per connection, like
//! Spin's HTTP trigger. The peer address becomes `spin-client-addr`.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::exec::{self, AppInner};

/// A listening server; stops on [`Server::shutdown`] or when dropped.
pub struct Server {
    addr: SocketAddr,
    task: Option<JoinHandle<()>>,
}

impl Server {
    pub(crate) async fn start(app: Arc<AppInner>, addr: &str) -> Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("Unable to listen on {addr}"))?;
        let addr = listener.local_addr()?;
        *app.self_authority.lock().unwrap_or_else(|e| e.into_inner()) = addr.to_string();
        let task = tokio::spawn(accept_loop(listener, app));
        Ok(Self {
            addr,
            task: Some(task),
        })
    }

    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and closes all connections.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, app: Arc<AppInner>) {
    // Connections live in this set, so aborting the loop closes them too.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req: hyper::Request<Incoming>| {
                        let req = req.map(|b| {
                            b.map_err(wasmtime_wasi_http::p2::hyper_response_error).boxed_unsync()
                        });
                        let fut = exec::handle(app.clone(), req, peer);
                        async move { Ok::<_, std::convert::Infallible>(fut.await) }
                    });
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
