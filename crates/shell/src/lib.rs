//! Orderpath's shell: everything that touches Spin.
//!
//! Components verify, parse and hand events to `orderpath-core`; this crate executes what the
//! core decides: SQLite repositories and migrations, Spin variables read into typed
//! configuration, outbound email over HTTP, and the error → HTTP answer mapping shared by all
//! components. The pure helpers (signatures, time, URL handling) are unit-tested natively.

pub mod auth;
pub mod automation;
pub mod cache;
pub mod calls;
pub mod carrier_polls;
pub mod channels;
pub mod clock;
pub mod config;
mod config_source;
pub mod db;
pub mod deliveries;
pub mod facts;
pub mod http;
pub mod idempotency;
pub mod inbound;
pub mod migrate;
pub mod orders;
pub mod outbound;
pub mod outbox;
pub mod payments;
pub mod reservations;
pub mod retention;
pub mod sender;
pub mod signature;
pub mod stock;
pub mod tasks;
pub mod tick;
pub mod timers;
