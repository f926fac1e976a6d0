//! Orderpath's pure domain core.
//!
//! Everything here is deterministic data in, data out: no I/O, no clock, no Spin SDK. The shell
//! parses a request into an [`event::OrderEvent`], loads the facts the core asks for (the stored
//! [`order::OrderSnapshot`], the [`status::StatusPath`]) and executes the decisions from
//! [`decide`]. The same code is linked into every WebAssembly component, so it stays small:
//! hand-written parsing instead of regex or date crates.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analytics;
pub mod assign;
pub mod automation;
pub mod bonus;
pub mod call;
pub mod call_report;
pub mod chat;
pub mod contact;
pub mod crm;
pub mod decide;
pub mod delivery;
pub mod desk;
pub mod event;
pub mod marketing;
pub mod message;
pub mod money;
pub mod order;
pub mod payment;
pub mod platform;
pub mod replay;
pub mod retention;
pub mod status;
pub mod task;

pub mod text;

pub use event::{parse_order_event, EventError, OrderEvent};
