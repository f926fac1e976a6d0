//! Chat messages customers write to the shop, in the chat services' own formats (V6). Our
//! generic format is read by the core (`orderpath_core::chat::generic`).

pub mod telegram;
