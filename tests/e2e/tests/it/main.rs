//! End-to-end tests: the real `.wasm` components from `spin.toml`, run by the harness the way
//! Spin runs them, against mock provider APIs on 127.0.0.1.

mod analytics;
mod assignment;
mod bad_input;
mod bonuses;
mod chats;
mod demo;
mod desk_access;
mod desk_browser;
mod http_action;
mod idempotency;
mod manifest_variables;
mod marketing;
mod messaging;
mod migrations;
mod multi_instance;
mod orders;
mod orders_api;
mod outbox_claims;
mod outbox_retries;
mod redis_kv;
mod replay;
mod scenarios;
mod scheduler_work;
mod sending;
mod shop_platforms;
mod staff_api;
mod status_path;
mod support;
mod thank_you_email;
mod time_zones;
mod webhook_auth;
mod write_lock;
