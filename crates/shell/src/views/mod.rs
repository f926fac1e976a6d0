//! Read models for the staff API: what the desk shows, queried in few statements.

pub mod analytics;
