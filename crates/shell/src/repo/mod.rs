//! Repositories: rows in and out of SQLite for orders, tasks, timers, reservations, the bonus
//! ledger, the facts the engine asks for, and idempotency claims. Called inside the request's transaction.

pub mod bonuses;
pub mod facts;
pub mod idempotency;
pub mod orders;
pub mod reservations;
pub mod tasks;
pub mod timers;
