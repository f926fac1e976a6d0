//! Orderpath's shell: everything that touches Spin.
//!
//! Components verify, parse and hand events to `orderpath-core`; this crate executes what the
//! core decides. Its parts:
//! - [`db`]: the connection (one write transaction per request, our own busy wait), the
//!   migrations and retention;
//! - [`repo`]: the repositories — orders, tasks, timers, reservations, the facts the engine
//!   asks for, idempotency claims;
//! - [`inbound`]: what every webhook does around its format (verify, claim → work → answer,
//!   then send) and the per-source intake of payments, parcels, calls, stock and the CRM's
//!   updates, CDEK polling included;
//! - [`outbound`]: HTTP with time limits, the message providers and the outbox;
//! - [`plans`]: running the engine's decisions ([`plans::automation`]) and the tick;
//! - around them: [`config`] (Spin variables, the compiled configuration), [`http`] (answers and
//!   errors), [`clock`], [`cache`] (the key-value store).
//!
//! The pure helpers (signatures, time, URL handling) are unit-tested natively.

pub mod cache;
pub mod chats;
pub mod clock;
pub mod config;
mod config_source;
pub mod db;
pub mod http;
pub mod inbound;
pub mod marketing;
pub mod outbound;
pub mod plans;
pub mod repo;
pub mod staff;
pub mod views;
