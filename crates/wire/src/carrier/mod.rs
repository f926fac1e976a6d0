//! Carriers' delivery notifications and the accounting system's stock levels, read in their
//! own formats into data the shell acts on. Nothing here touches storage.
//!
//! - [`cdek`]: CDEK API v2 `ORDER_STATUS` webhooks (unsigned: a token in the URL), every status
//!   code mapped to our delivery statuses ([`orderpath_core::automation::event::DELIVERY_STATUSES`]).
//! - [`generic`]: our documented JSON for any other carrier or aggregator (a job that polls
//!   ApiShip, Boxberry or Russian Post posts what changed), Standard Webhooks signed by the
//!   caller's check.
//!
//! Both read into the domain's [`DeliveryNotice`] (`orderpath_core::delivery`), where what a
//! notice does to a parcel is decided.
//! - [`stock`]: stock posts (a full snapshot or the changed articles) and V7's allocation of
//!   available stock to orders waiting for it, never beyond what is there.

pub mod cdek;
pub mod generic;
pub mod stock;

mod check;
#[cfg(test)]
mod tests;

pub use orderpath_core::delivery::{DeliveryKind, DeliveryNotice};

/// Why a request is refused: the same three cases as an acquirer's notice (401, 400, 422).
pub use crate::acquirer::NoticeError as CarrierError;
