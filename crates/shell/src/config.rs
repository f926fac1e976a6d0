//! Spin variables read into typed configuration.
//!
//! Values are read once at the top of a request. A missing or malformed variable is a
//! deployment mistake: the error names the variable (never its value) and the request is
//! answered 500 before anything is recorded, so the sender retries after the fix.

use orderpath_core::message::Language;

use crate::db::Synchronous;
use crate::inbound::signature::{SecretError, WebhookSecret};

/// A variable that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Spin could not give us the variable.
    #[error("variable {name} is not available: {source}")]
    Unavailable {
        /// The component variable's name.
        name: &'static str,
        /// What Spin said.
        #[source]
        source: spin_sdk::variables::Error,
    },
    /// The value is not what the variable needs.
    #[error("variable {name} is invalid: {reason}")]
    Invalid {
        /// The component variable's name.
        name: &'static str,
        /// What is wrong, without the value itself.
        reason: String,
    },
}

/// A secret string (API token). Its `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Reads a component variable.
pub fn var(name: &'static str) -> Result<String, ConfigError> {
    spin_sdk::variables::get(name).map_err(|source| ConfigError::Unavailable { name, source })
}

/// Reads a component variable holding a secret, without surrounding whitespace: a value
/// pasted from a file or a terminal often ends in a newline, which no provider's secret has.
pub fn secret(name: &'static str) -> Result<Secret, ConfigError> {
    var(name).map(|value| Secret(value.trim().to_owned()))
}

/// Reads the Standard Webhooks secret of a webhook (surrounding whitespace ignored).
pub fn webhook_secret(name: &'static str) -> Result<WebhookSecret, ConfigError> {
    let value = var(name)?;
    WebhookSecret::parse(value.trim()).map_err(|e: SecretError| ConfigError::Invalid {
        name,
        reason: e.to_string(),
    })
}

/// When delivery retries stop (`message_max_attempts`, 1–50).
pub fn retry_policy() -> Result<crate::outbound::outbox::RetryPolicy, ConfigError> {
    let max_attempts = var("message_max_attempts")?
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=50).contains(n))
        .ok_or_else(|| ConfigError::Invalid {
            name: "message_max_attempts",
            reason: "must be a whole number from 1 to 50".into(),
        })?;
    Ok(crate::outbound::outbox::RetryPolicy { max_attempts })
}

/// Lets the deployment's `shop_*` variables, when set, override `shop.toml`: the same files
/// can then serve a staging and a production shop.
pub fn overlay_shop(
    shop: &mut orderpath_core::automation::config::Shop,
) -> Result<(), ConfigError> {
    let fields: [(&'static str, &mut String); 5] = [
        ("shop_name", &mut shop.info.name),
        ("shop_phone", &mut shop.info.phone),
        ("shop_email", &mut shop.info.email),
        ("shop_hours", &mut shop.info.hours),
        ("shop_url", &mut shop.info.url),
    ];
    for (name, field) in fields {
        let value = var(name)?;
        if !value.trim().is_empty() {
            *field = value;
        }
    }
    let language = var("shop_language")?;
    if !language.trim().is_empty() {
        shop.language = Language::parse(&language).ok_or_else(|| ConfigError::Invalid {
            name: "shop_language",
            reason: "must be ru or en".into(),
        })?;
    }
    Ok(())
}

/// A time zone variable (`zadarma_time_zone`): an IANA name or `UTC±HH:MM`; `None` when it
/// is empty (the caller then uses the shop's zone).
pub fn time_zone(
    name: &'static str,
) -> Result<Option<orderpath_core::automation::time::TimeZone>, ConfigError> {
    let value = var(name)?;
    if value.trim().is_empty() {
        return Ok(None);
    }
    orderpath_core::automation::time::TimeZone::parse(&value)
        .map(Some)
        .map_err(|e| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        })
}

/// How SQLite should commit (`sqlite_synchronous`: `full` or `normal`).
pub fn synchronous() -> Result<Synchronous, ConfigError> {
    match var("sqlite_synchronous")?.trim() {
        "full" | "" => Ok(Synchronous::Full),
        "normal" => Ok(Synchronous::Normal),
        _ => Err(ConfigError::Invalid {
            name: "sqlite_synchronous",
            reason: "must be full or normal".into(),
        }),
    }
}

/// A parsed `Name <address>` mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Display name, if any.
    pub name: Option<String>,
    /// The address.
    pub address: String,
}

impl Mailbox {
    /// Parses `Name <address>` or `address`.
    pub fn parse(value: &str) -> Option<Mailbox> {
        let value = value.trim();
        let (name, address) = match (value.find('<'), value.ends_with('>')) {
            (Some(open), true) => {
                let name = value[..open].trim().trim_matches('"').trim();
                (
                    (!name.is_empty()).then(|| name.to_owned()),
                    &value[open + 1..value.len() - 1],
                )
            }
            _ => (None, value),
        };
        let address = orderpath_core::contact::Email::parse(address).ok()?;
        Some(Mailbox {
            name,
            address: address.as_str().to_owned(),
        })
    }

    /// `Name <address>` as mail headers write it.
    pub fn to_header(&self) -> String {
        match &self.name {
            Some(name) => format!("\"{}\" <{}>", name.replace('"', ""), self.address),
            None => self.address.clone(),
        }
    }
}

/// A secret the selected provider cannot do without.
pub fn non_empty_secret(name: &'static str) -> Result<Secret, ConfigError> {
    let value = secret(name)?;
    if value.expose().trim().is_empty() {
        return Err(ConfigError::Invalid {
            name,
            reason: "is empty but the selected provider needs it".into(),
        });
    }
    Ok(value)
}

/// A provider base URL: `http(s)://host[:port]`, without a trailing slash.
pub fn base_url(name: &'static str) -> Result<String, ConfigError> {
    let value = var(name)?;
    let value = value.trim().trim_end_matches('/');
    if !(value.starts_with("https://") || value.starts_with("http://")) {
        return Err(ConfigError::Invalid {
            name,
            reason: "must start with https:// or http://".into(),
        });
    }
    Ok(value.to_owned())
}

/// An optional endpoint's base URL: `None` while it is unset. Spin 4.0.2 refuses an
/// `allowed_outbound_hosts` template whose default is empty, so an optional endpoint's default
/// is a host under the reserved `.invalid` domain (RFC 2606), which means "not set".
pub fn optional_base_url(name: &'static str) -> Result<Option<String>, ConfigError> {
    let value = var(name)?;
    if is_unset_url(&value) {
        return Ok(None);
    }
    base_url(name).map(Some)
}

/// Empty, or a host under `.invalid`.
fn is_unset_url(value: &str) -> bool {
    let value = value.trim().trim_end_matches('/');
    let host = value
        .split_once("://")
        .map_or(value, |(_, rest)| rest)
        .split([':', '/'])
        .next()
        .unwrap_or("");
    value.is_empty() || host == "invalid" || host.ends_with(".invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_invalid_hosts_mean_unset() {
        for unset in [
            "",
            "  ",
            "https://crm.invalid",
            "https://woocommerce.invalid/",
            "http://x.invalid:8080",
        ] {
            assert!(is_unset_url(unset), "{unset:?}");
        }
        for set in [
            "https://crm.example",
            "http://127.0.0.1:9100",
            "https://invalid.example",
        ] {
            assert!(!is_unset_url(set), "{set:?}");
        }
    }

    #[test]
    fn mailbox_with_display_name_is_split() {
        let mailbox = Mailbox::parse("Чайная лавка <Orders@Shop.example>").expect("mailbox");
        assert_eq!(mailbox.name.as_deref(), Some("Чайная лавка"));
        assert_eq!(mailbox.address, "orders@shop.example");
    }

    #[test]
    fn bare_address_is_a_mailbox() {
        let mailbox = Mailbox::parse("orders@shop.example").expect("mailbox");
        assert_eq!(mailbox.name, None);
        assert_eq!(mailbox.to_header(), "orders@shop.example");
    }

    #[test]
    fn garbage_is_not_a_mailbox() {
        assert_eq!(Mailbox::parse("Shop <not an address>"), None);
    }

    #[test]
    fn secret_debug_is_redacted() {
        assert_eq!(
            format!("{:?}", Secret("t0ken".into())),
            "Secret([redacted])"
        );
    }
}
