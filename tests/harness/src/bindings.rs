//! Host bindings for the `fermyon:spin@2.0.0` interfaces in the workspace's top-level `wit/`.
//!
//! Imports are `async | trappable`: every host function returns
//! `wasmtime::Result<Result<T, Error>>`, where the outer error traps the guest and the inner
//! one is handed to it.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "fermyon:spin/harness-host",
    imports: { default: async | trappable },
    with: {
        "fermyon:spin/key-value.store": crate::kv::KvStore,
        "fermyon:spin/sqlite.connection": crate::sqlite::SqliteConnection,
    },
});

pub use fermyon::spin::{key_value, sqlite, variables};

/// The world of the Spin cron trigger plugin (`wit/cron`): components export
/// `handle-cron-event`.
pub mod cron {
    wasmtime::component::bindgen!({
        path: "../../wit/cron",
        world: "fermyon:spin-cron/spin-cron",
        exports: { default: async },
    });
}
