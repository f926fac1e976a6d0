//! Who may post here: each platform's secret from its own Spin variable, checked the
//! platform's way. A platform without a configured secret is refused with 503 (the log names
//! the variable) — never accepted unsigned.

use orderpath_core::money::Currency;
use orderpath_shell::config;
use orderpath_shell::http::{ApiError, Inbound};
use orderpath_shell::inbound;
use orderpath_wire::shop::{shopify, tilda, woocommerce, NoticeError, Platform, ShopNotice};

/// The component variable holding each platform's secret.
fn secret_variable(platform: Platform) -> &'static str {
    match platform {
        Platform::Shopify => "shopify_webhook_secret",
        Platform::WooCommerce => "woocommerce_webhook_secret",
        Platform::Tilda => "tilda_webhook_token",
    }
}

/// Checks the delivery with the platform's secret and reads it.
pub fn read(
    platform: Platform,
    inbound: &Inbound,
    secret: &config::Secret,
) -> Result<ShopNotice, NoticeError> {
    let request = inbound.provider_request("");
    match platform {
        Platform::Shopify => shopify::read(&request, secret.expose()),
        Platform::WooCommerce => woocommerce::read(&request, secret.expose()),
        Platform::Tilda => {
            let currency = config::var("tilda_currency").unwrap_or_default();
            let currency = Currency::parse(currency.trim()).unwrap_or_else(|_| {
                // Refusing would lose the order (Tilda retries twice): take it in roubles and
                // say so where the shop's developer looks.
                eprintln!("tilda_currency {currency:?} is not a currency code; RUB is used");
                Currency::rub()
            });
            tilda::read(&request, secret.expose(), &currency)
        }
    }
}

/// The platform's secret; 503 while it is empty.
pub fn configured_secret(platform: Platform) -> Result<config::Secret, ApiError> {
    let what = format!("{} deliveries", platform.as_str());
    inbound::required_secret(secret_variable(platform), &what)
}
