//! Spin's runtime configuration in the harness: key-value stores in Redis (each test with its
//! own `redis-server`) or in SQLite files, checked with the probe component's `kv` route
//! (open, get of a missing key, set twice, get, exists, get-keys, delete, exists).

mod common;

use std::path::{Path, PathBuf};

use orderpath_harness::{redis_server, App, RedisServer};
use serde_json::{json, Value};

/// A manifest running the probe under `/probe/...` with the key-value labels `default` and
/// `cache`.
fn two_store_manifest(dir: &Path) -> PathBuf {
    manifest(dir, "")
}

/// [`two_store_manifest`] with `extra` lines in the component's table.
fn manifest(dir: &Path, extra: &str) -> PathBuf {
    let wasm = common::probe_manifest()
        .parent()
        .expect("probe dir")
        .join("../../target/wasm32-wasip2/release/spin_probe.wasm")
        .canonicalize()
        .expect("probe wasm");
    let path = dir.join("spin.toml");
    let text = format!(
        "spin_manifest_version = 2\n[application]\nname = \"kv-probe\"\n\
         [[trigger.http]]\nroute = \"/probe/...\"\ncomponent = \"probe\"\n\
         [component.probe]\nsource = \"{}\"\nkey_value_stores = [\"default\", \"cache\"]\n{extra}",
        wasm.display()
    );
    std::fs::write(&path, text).expect("manifest");
    path
}

/// `rc` as `rc.toml` in `dir`.
fn write_rc(dir: &tempfile::TempDir, rc: &str) -> PathBuf {
    let path = dir.path().join("rc.toml");
    std::fs::write(&path, rc).expect("runtime config");
    path
}

/// The probe app from [`two_store_manifest`] with the runtime configuration `rc`.
async fn app_with(dir: &tempfile::TempDir, rc: &str) -> App {
    let rc_path = write_rc(dir, rc);
    App::builder(two_store_manifest(dir.path()))
        .state_dir(dir.path().join("state"))
        .runtime_config_file(&rc_path)
        .build()
        .await
        .expect("app with runtime config")
}

fn redis_store(label: &str, url: &str) -> String {
    format!("[key_value_store.{label}]\ntype = \"redis\"\nurl = \"{url}\"\n")
}

/// The probe's `kv` answer for `store`, with `keys` sorted.
async fn kv(app: &App, store: &str) -> Value {
    let mut answer = common::get_json(app, &format!("/probe/kv?store={store}")).await;
    if let Some(keys) = answer.get_mut("keys").and_then(Value::as_array_mut) {
        keys.sort_by_key(|k| k.as_str().unwrap_or_default().to_owned());
    }
    answer
}

#[tokio::test]
async fn redis_stores_keep_keys_as_they_are_in_one_shared_keyspace() {
    let redis = RedisServer::start();
    let mut conn = redis.connection().expect("connection");
    redis::cmd("SET")
        .arg("seeded")
        .arg("by the test")
        .query::<()>(&mut conn)
        .expect("seed");
    let dir = tempfile::tempdir().expect("dir");
    let rc = redis_store("default", &redis.url()) + &redis_store("cache", &redis.url());
    let app = app_with(&dir, &rc).await;

    for store in ["cache", "default"] {
        let answer = kv(&app, store).await;
        assert_eq!(
            answer,
            json!({ "open": "ok", "missing": null, "delete_missing_ok": true, "get": "v2",
                    "exists": true, "keys": ["k", "seeded"], "exists_after_delete": false }),
            "{store}: no label prefix, KEYS * over the whole database"
        );
    }
    assert_eq!(redis.keys(), ["seeded"]);
    assert!(
        !dir.path().join("state/sqlite_key_value.db").exists(),
        "default lives in Redis, not in the state directory"
    );
    assert_eq!(
        app.key_value_backends(),
        [
            (
                "cache".to_owned(),
                format!("Redis at 127.0.0.1:{}", redis.port())
            ),
            (
                "default".to_owned(),
                format!("Redis at 127.0.0.1:{}", redis.port())
            ),
        ]
    );
}

#[tokio::test]
async fn only_labels_the_runtime_config_names_are_defined() {
    let dir = tempfile::tempdir().expect("dir");
    let refused = App::builder(two_store_manifest(dir.path()))
        .state_dir(dir.path().join("state"))
        .build()
        .await
        .err()
        .expect("cache is not defined without runtime config");
    assert!(
        format!("{refused:#}")
            .contains(r#"unknown key_value_stores label "cache" for component "probe""#),
        "{refused:#}"
    );

    // A `spin` store's relative path is the runtime config file's directory's.
    let app = app_with(
        &dir,
        "[key_value_store.cache]\ntype = \"spin\"\npath = \"kv/cache.db\"\n",
    )
    .await;
    assert_eq!(kv(&app, "cache").await["get"], "v2");
    assert_eq!(kv(&app, "default").await["get"], "v2");
    assert!(dir.path().join("kv/cache.db").exists());
    assert!(
        dir.path().join("state/sqlite_key_value.db").exists(),
        "default keeps Spin's file"
    );

    // Without a path the store lives in memory.
    let memory = tempfile::tempdir().expect("dir");
    let app = app_with(&memory, "[key_value_store.cache]\ntype = \"spin\"\n").await;
    assert_eq!(kv(&app, "cache").await["keys"], json!(["k"]));
    assert!(!memory.path().join("state/sqlite_key_value.db").exists());
}

#[tokio::test]
async fn an_unreachable_redis_fails_the_open_and_the_next_open_tries_again() {
    let port = redis_server::free_port().expect("port");
    let dir = tempfile::tempdir().expect("dir");
    let app = app_with(
        &dir,
        &redis_store("cache", &format!("redis://127.0.0.1:{port}")),
    )
    .await;

    let down = kv(&app, "cache").await;

    let open = down["open"].as_str().unwrap_or_default();
    assert!(open.starts_with("other: "), "{down}");
    assert!(open.contains("refused"), "{down}");
    assert!(
        app.guest_output("probe")
            .contains("[harness] key-value error: "),
        "{}",
        app.guest_output("probe")
    );
    assert_eq!(kv(&app, "default").await["open"], "ok", "other stores work");

    // Redis comes up where the app was told it is: the failure was not kept.
    let redis = RedisServer::start_on(port).expect("redis on the configured port");
    assert_eq!(kv(&app, "cache").await["get"], "v2");

    // Redis goes away after the store was opened: each operation fails with `other`.
    drop(redis);
    let gone = kv(&app, "cache").await;
    assert_eq!(gone["open"], "ok", "{gone}");
    assert!(
        gone["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("other: ")),
        "{gone}"
    );
}

#[tokio::test]
async fn a_sqlite_database_the_runtime_config_names_lives_in_its_file() {
    let dir = tempfile::tempdir().expect("dir");
    let with_orders = manifest(dir.path(), "sqlite_databases = [\"orders\"]\n");
    let cache = "[key_value_store.cache]\ntype = \"spin\"\n";
    let refused = App::builder(&with_orders)
        .state_dir(dir.path().join("state"))
        .runtime_config_file(write_rc(&dir, cache))
        .build()
        .await
        .err()
        .expect("orders is not defined");
    assert!(
        format!("{refused:#}").contains("Component probe uses database 'orders'"),
        "{refused:#}"
    );

    let orders = dir.path().join("orders.db");
    let rc = format!(
        "{cache}[sqlite_database.orders]\ntype = \"spin\"\npath = \"{}\"\n",
        orders.display()
    );
    let app = App::builder(&with_orders)
        .state_dir(dir.path().join("state"))
        .runtime_config_file(write_rc(&dir, &rc))
        .build()
        .await
        .expect("orders is defined");
    let answer = common::get_json(&app, "/probe/sqlite?db=orders").await;

    assert_eq!(answer["open"], "ok", "{answer}");
    assert!(orders.exists());
    assert!(!dir.path().join("state/sqlite_db.db").exists());
}
