//! Who may post here: each provider's secret from its own Spin variable, checked the
//! provider's way. A provider without a configured secret is refused with 503 and the name of
//! the variable to set — never accepted unsigned.

use orderpath_shell::clock::Timestamp;
use orderpath_shell::config::{self, Secret};
use orderpath_shell::http::{ApiError, Inbound};
use orderpath_shell::inbound;
use orderpath_wire::acquirer::{self, yookassa, Notice, Provider};

/// The component variable holding each provider's secret.
fn secret_variable(provider: Provider) -> &'static str {
    match provider {
        Provider::YooKassa => "yookassa_webhook_token",
        Provider::CloudPayments => "cloudpayments_api_secret",
        Provider::TBank => "tbank_password",
        Provider::Stripe => "stripe_webhook_secret",
        Provider::Sber => "sber_callback_key",
        Provider::Generic => "payments_webhook_secret",
    }
}

/// Checks the request and reads it into a notice.
pub fn read(
    provider: Provider,
    inbound: &Inbound,
    rest: &str,
    now: Timestamp,
) -> Result<Notice, ApiError> {
    if provider == Provider::YooKassa {
        check_source_address(inbound)?;
    }
    if provider == Provider::Generic {
        let id = inbound::verify_signed(
            inbound,
            secret_variable(provider),
            "generic payment notifications",
            now,
        )?;
        return acquirer::generic::parse(&inbound.body, id).map_err(ApiError::from);
    }
    let secret = configured_secret(provider)?;
    let request = inbound.provider_request(rest);
    acquirer::read(provider, &request, secret.expose(), now.unix()).map_err(ApiError::from)
}

/// The provider's secret; 503 naming the variable when it is empty.
fn configured_secret(provider: Provider) -> Result<Secret, ApiError> {
    let what = format!("{} notifications", provider.as_str());
    inbound::required_secret(secret_variable(provider), &what)
}

/// YooKassa signs nothing: besides the token, its notifications may be limited to its
/// published addresses (`yookassa_allowed_ips`, read against Spin's `spin-client-addr`).
fn check_source_address(inbound: &Inbound) -> Result<(), ApiError> {
    let list = config::var("yookassa_allowed_ips")?;
    if list.trim().is_empty() {
        return Ok(());
    }
    let client = inbound.header("spin-client-addr").unwrap_or_default();
    match yookassa::client_allowed(client, &list) {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::new(
            403,
            "forbidden_source",
            format!("{client:?} is not in yookassa_allowed_ips"),
        )),
        Err(reason) => Err(ApiError::from(config::ConfigError::Invalid {
            name: "yookassa_allowed_ips",
            reason,
        })),
    }
}
