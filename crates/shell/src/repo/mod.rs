//! Repositories: rows in and out of SQLite for orders, tasks, timers, reservations, the bonus
//! ledger, the facts the engine asks for, idempotency claims, and what assigning a manager reads
//! (V1). Called inside the request's transaction.

pub mod assignment;
pub mod bonuses;
pub mod evaluations;
pub mod facts;
pub mod idempotency;
pub mod orders;
pub mod reservations;
pub mod tasks;
pub mod timers;
