//! Many instances, one database: two apps started on ONE state directory, each served on its
//! own port, driven by the same driver that runs against two real `spin up` processes
//! (`orderpath_e2e::multi_instance`, docs/scaling.md).
//!
//! Each [`App`] is what one `spin up` process is: its own component instances, variables and
//! key-value manager, and for every SQLite `open` of every request a connection of its own to
//! `<state dir>/sqlite_db.db` (`tests/harness/src/sqlite.rs`, like Spin 4's in-process SQLite:
//! rusqlite's defaults, a 5 s busy timeout that the app turns into its own busy wait). Nothing
//! is shared between the two apps but the database file and the clock; the compiled wasm code
//! is shared, as the harness keeps one wasmtime engine per process.

use orderpath_e2e::multi_instance::{self, Instance, Provider, Secrets, Setup};
use orderpath_harness::{App, Clock};

use crate::support::{workspace_root, START};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_do_every_effect_exactly_once() {
    let provider = Provider::start("127.0.0.1:0")
        .await
        .expect("mock providers");
    let secrets = Secrets::generate().expect("secrets");
    let state = tempfile::tempdir().expect("state dir");
    let clock = Clock::fixed(START);
    let mut running = Vec::new();
    let mut instances = Vec::new();
    for _ in 0..2 {
        let mut builder = App::builder(workspace_root().join("spin.toml"))
            .state_dir(state.path())
            .clock(clock.clone());
        for (name, value) in multi_instance::variables(&secrets, &provider.url()) {
            builder = builder.variable(name, value);
        }
        let app = builder.build().await.expect("the app starts");
        let server = app.serve("127.0.0.1:0").await.expect("served");
        instances.push(Instance::parse(&server.url()).expect("url"));
        running.push((app, server));
    }
    let setup = Setup {
        instances,
        db: state.path().join("sqlite_db.db"),
        secrets,
        run: Setup::run_name(&clock),
        clock,
        orders: 4,
        copies: 3,
        ticks: 3,
    };

    let report = multi_instance::run(&setup, &provider)
        .await
        .expect("the run completes");

    println!("{report}");
    assert!(
        report.exact(),
        "not exactly once: {:#?}\n{report}",
        report.wrong()
    );
    drop(running);
}
