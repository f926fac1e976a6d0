//! Running what the core decides: the engine's planned actions ([`automation`]) and the
//! periodic work of `POST /cron/tick` ([`tick`]).

pub mod automation;
pub mod tick;
