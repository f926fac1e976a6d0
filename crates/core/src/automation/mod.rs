//! Configurable automation: shops describe statuses, triggers and message templates in TOML
//! files (`config/`, see `docs/configuration.md`) and the engine turns events into planned
//! actions.
//!
//! - [`config`]: loading and checking the files ([`config::Config::load`], [`config::check`]).
//! - [`event`]: the [`event::DomainEvent`]s triggers react to.
//! - [`facts`]: what the shell knows about the order and customer, and the template context.
//! - [`engine`]: [`engine::evaluate`], [`engine::evaluate_delayed`], [`engine::time_limit_due`].
//! - [`template`], [`sms`], [`time`]: the template language, SMS length, working hours,
//!   quiet hours and fixed-offset time zones.

pub mod config;
pub mod engine;
pub mod event;
pub mod facts;
pub mod sms;
pub mod template;
pub mod time;
