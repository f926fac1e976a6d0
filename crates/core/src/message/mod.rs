//! Messages to customers, rendered from domain data: subject, plain text and HTML.
//!
//! Every string that comes from outside (customer and item names, addresses, shop settings)
//! goes through [`escape_html`] before it enters an HTML body.

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// The language of a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Russian, the default.
    #[default]
    Ru,
    /// English.
    En,
}

impl Language {
    /// Reads `ru` or `en`, ignoring case, surrounding spaces and a region (`en-GB`).
    pub fn parse(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("ru") {
            Some(Language::Ru)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Language::En)
        } else {
            None
        }
    }

    /// `ru` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Ru => "ru",
            Language::En => "en",
        }
    }
}

/// The shop's details shown in messages. An empty string means "not set": its line is left
/// out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopInfo {
    /// Shop name, e.g. "Чайная лавка".
    pub name: String,
    /// Phone for customers, as it should be shown.
    pub phone: String,
    /// Email for customers.
    pub email: String,
    /// Working hours, free text ("Пн–Пт 9:00–18:00").
    pub hours: String,
    /// The site, with or without `https://`.
    pub url: String,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
