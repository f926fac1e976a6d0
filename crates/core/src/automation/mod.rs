//! Configurable automation: shops describe statuses, triggers and message templates in TOML
//! files and the engine turns events into planned actions.
pub mod sms;
pub mod template;
pub mod time;
