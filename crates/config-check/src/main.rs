//! `orderpath-check [DIR]`: loads a configuration directory and reports its problems.

fn main() {}
