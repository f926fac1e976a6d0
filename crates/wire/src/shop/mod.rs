//! Shop platforms' order webhooks, read in their own formats: each platform's module checks
//! the request is authentic (its own way) and turns it into a [`ShopNotice`]: the idempotency
//! key the platform's retries keep, and the order as the platform has it now, in our terms
//! ([`orderpath_core::platform::PlatformOrder`]). Each module builds the documented
//! `order.created` data from the platform's order and reads it with the core's own parser, so
//! a platform's order is checked exactly as our own format is.
//!
//! Facts per platform (formats, signatures, acknowledgements) are in the module docs.

mod common;
pub mod shopify;
pub mod tilda;
pub mod woocommerce;

pub use crate::acquirer::{NoticeError, OwnedRequest, Request};
use orderpath_core::event::OrderId;
use orderpath_core::platform::{Lead, PlatformOrder};

/// A platform we read, named by the last part of `/webhooks/shop/{platform}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    /// Shopify HTTPS webhooks (`X-Shopify-Hmac-Sha256`).
    Shopify,
    /// WooCommerce webhooks (`X-WC-Webhook-Signature`).
    WooCommerce,
    /// Tilda forms and cart (unsigned: a token in the URL).
    Tilda,
}

impl Platform {
    /// Every platform, in documentation order.
    pub const ALL: [Platform; 3] = [Platform::Shopify, Platform::WooCommerce, Platform::Tilda];

    /// The platform named in the URL.
    pub fn parse(name: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The name used in URLs, in `shop.toml` (`[platforms.<name>]`), in the history
    /// (`integration:<name>`) and in variable names.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::WooCommerce => "woocommerce",
            Platform::Tilda => "tilda",
        }
    }
}

/// One authentic delivery, in our terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopNotice {
    /// The platform's idempotency key, the same for every re-delivery (Shopify
    /// `X-Shopify-Webhook-Id`, WooCommerce `X-WC-Webhook-Delivery-ID`, Tilda `tranid`).
    pub key: String,
    /// The platform's own name for what happened (`orders/paid`, `order.updated`, `form`),
    /// for the history.
    pub what: String,
    /// What to do with it.
    pub kind: ShopNoticeKind,
}

/// What a delivery asks of us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShopNoticeKind {
    /// A connection check (WooCommerce's activation ping, Tilda's `test=test`): answered 200,
    /// nothing stored.
    Ping,
    /// The order as the platform has it now.
    Order(Box<PlatformOrder>),
    /// The order was deleted on the platform (WooCommerce `order.deleted`).
    Deleted {
        /// Our id of the order (as [`PlatformOrder::order`] would carry it).
        order_id: OrderId,
        /// The platform's id.
        platform_id: String,
    },
    /// A form without a cart: a contact.
    Lead(Lead),
    /// Authentic, but nothing we act on (another topic): acknowledged and remembered.
    Ignored,
}
