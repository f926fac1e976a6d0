//! End-to-end tests live in tests/. The library holds what they share with the binaries:
//! the many-instances driver ([`multi_instance`]).

pub mod multi_instance;
