//! Capturing what guests print.
//!
//! Every component has one [`OutputSink`]; the stdout and stderr of all its instances append to
//! it, as do the harness's own notes about that component (traps, denied outbound requests).
//! With `HARNESS_ECHO=1` in the environment everything is also copied to the process's stderr,
//! prefixed with the component id.

use std::io::Write as _;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Shared, growing record of one component's output.
#[derive(Debug, Clone)]
pub struct OutputSink {
    buf: Arc<Mutex<Vec<u8>>>,
    echo_prefix: Option<Arc<str>>,
}

impl OutputSink {
    /// A sink for `component_id`; echoes if `HARNESS_ECHO=1`.
    pub fn new(component_id: &str) -> Self {
        let echo = std::env::var("HARNESS_ECHO").is_ok_and(|v| v == "1");
        Self {
            buf: Arc::default(),
            echo_prefix: echo.then(|| Arc::from(format!("[{component_id}] "))),
        }
    }

    /// Everything written so far, lossily decoded.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }

    /// Appends a harness note (one line).
    pub fn note(&self, line: &str) {
        self.write(format!("[harness] {line}\n").as_bytes());
    }

    fn write(&self, bytes: &[u8]) {
        self.lock().extend_from_slice(bytes);
        if let Some(prefix) = &self.echo_prefix {
            let text = String::from_utf8_lossy(bytes);
            let mut err = std::io::stderr().lock();
            for line in text.split_inclusive('\n') {
                let _ = write!(err, "{prefix}{line}");
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.buf.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl IsTerminal for OutputSink {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for OutputSink {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(Stream(self.clone()))
    }

    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(Stream(self.clone()))
    }
}

/// One guest stream writing into a sink; always ready, never full.
struct Stream(OutputSink);

impl OutputStream for Stream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.0.write(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(1 << 20)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Stream {
    async fn ready(&mut self) {}
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0.write(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
