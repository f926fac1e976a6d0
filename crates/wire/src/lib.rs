//! Orderpath's provider wire formats, apart from the domain (`orderpath-core`).
//!
//! Inbound: what acquirers ([`acquirer`]), carriers ([`carrier`], with stock posts), PBXes
//! ([`pbx`]) and chat services ([`chat`]) send, checked (signatures and tokens in constant
//! time) and read into the domain's values.
//! Outbound: the requests and answers of the email, SMS and Telegram APIs ([`providers`]).
//! Everything is bytes in, values out: no I/O, no clock, no Spin SDK — the shell does the
//! talking.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod acquirer;
pub mod carrier;
pub mod chat;
pub mod pbx;
pub mod providers;
pub mod shop;
