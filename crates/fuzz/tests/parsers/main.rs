//! One property per parser of untrusted bytes: any input gives `Ok` or `Err`, never a panic.
//! See the crate documentation for the inputs and `FUZZ_CASES`.

mod acquirers;
mod carriers;
mod events;
mod forms;
mod gen;
mod pbx;
mod platforms;
mod signatures;

pub use orderpath_wire::acquirer::OwnedRequest as Req;

/// "Now" for the parsers that compare times: 2026-11-24, near the fixtures' timestamps.
pub const NOW: i64 = 1_795_503_608;
