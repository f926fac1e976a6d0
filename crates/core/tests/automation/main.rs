//! Golden-style tests of the shipped configuration in `config/`: for each scenario, an event
//! and facts go into the engine and the planned actions come out.

mod bonuses;
mod cases;
mod chats;
mod customer;
mod docs;
mod marketing;
mod operator;
mod path;
mod support;
