//! Orderpath's test harness: runs the app's real Spin components (`.wasm`, WASI 0.2) in
//! wasmtime the way `spin up` would — same routing, injected headers, key-value, SQLite,
//! variables and outbound-HTTP rules — so tests and benchmarks need no Spin binary.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use orderpath_harness::{App, Clock};
//! let clock = Clock::fixed(1_700_000_000);
//! let app = App::builder("spin.toml")
//!     .state_dir(std::env::temp_dir().join("state"))
//!     .variable("orders_webhook_secret", "whsec_...")
//!     .clock(clock.clone())
//!     .build()
//!     .await?;
//! let resp = app
//!     .request(http::Request::get("/webhooks/orders").body(bytes::Bytes::new())?)
//!     .await?;
//! assert_eq!(resp.status, 404);
//! # Ok(()) }
//! ```

pub mod allowed_hosts;
mod app;
mod bindings;
pub mod build;
pub mod clock;
mod engine;
mod exec;
mod files;
pub mod headers;
mod kv;
pub mod manifest;
pub mod mock;
mod outbound;
mod output;
pub mod redis_server;
pub mod router;
pub mod runtime_config;
mod server;
mod sqlite;
mod state;
pub mod variables;

pub use app::{App, AppBuilder, HarnessResponse};
pub use clock::Clock;
pub use mock::{Gate, MockServer, RecordedRequest, Responder};
pub use redis_server::RedisServer;
pub use runtime_config::RuntimeConfig;
pub use server::Server;

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn app_is_shareable_across_tasks() {
        assert_send_sync::<crate::App>();
        assert_send_sync::<crate::Clock>();
    }
}
