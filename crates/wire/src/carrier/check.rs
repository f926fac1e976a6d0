//! Checks the carrier readers share. The JSON itself is walked with the acquirers' reader
//! ([`crate::acquirer::json`]), whose refusals are ours (the same error type, field path and
//! message); the text rules mirror the order webhook's `fields` (`orderpath_core::event::fields`), so a
//! value a carrier may set is one the shop could have set.

use super::CarrierError;

/// Longest track number or carrier name, as in the order webhook's `fields`.
pub(crate) const SHORT_TEXT_MAX: usize = 64;
/// Longest pickup point address, phone or opening hours, as in the order webhook's `fields`.
pub(crate) const LONG_TEXT_MAX: usize = 500;
/// Longest tracking link.
pub(crate) const URL_MAX: usize = 1000;

/// An `Invalid` refusal of `field`.
pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> CarrierError {
    CarrierError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Text of 1–`max` characters once trimmed, without control characters; trimmed.
pub(crate) fn text(s: &str, max: usize) -> Option<&str> {
    let s = s.trim();
    let fits = !s.is_empty() && orderpath_core::text::char_len(s) <= max;
    (fits && !orderpath_core::text::has_control(s)).then_some(s)
}

/// An http(s) link of at most [`URL_MAX`] bytes, without spaces; trimmed.
pub(crate) fn url(s: &str) -> Option<&str> {
    let s = s.trim();
    let scheme = s.starts_with("https://") || s.starts_with("http://");
    let clean = !s.chars().any(|c| c.is_control() || c.is_whitespace());
    (scheme && clean && s.len() <= URL_MAX).then_some(s)
}
