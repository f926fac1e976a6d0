//! woocommerce: see the parent module.
