//! shopify: see the parent module.
