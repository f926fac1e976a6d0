//! Checks the harness against Spin's behaviour using the probe component
//! (`tests/probe`, built beforehand with `spin-harness build -f tests/probe/spin.toml`).

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{enc, get, get_json, probe_app, probe_builder};
use orderpath_harness::{App, Clock, MockServer, Responder};

#[tokio::test]
async fn exact_route_beats_wildcard_and_last_duplicate_wins() {
    let (app, _state) = probe_app().await;

    let exact = get_json(&app, "/probe/exact").await;
    assert_eq!(exact["matched_route"], "/probe/exact");
    assert_eq!(exact["path_info"], "");

    let wild = get_json(&app, "/probe/exact/more").await;
    assert_eq!(wild["matched_route"], "/probe/...");
    assert_eq!(wild["path_info"], "/exact/more");

    let dup = get_json(&app, "/dup/x").await;
    assert_eq!(
        dup["component"], "probe",
        "the later [[trigger.http]] for /dup/... wins"
    );

    let plain = get_json(&app, "/plain/anything").await;
    assert_eq!(plain["component"], "plain");
}

#[tokio::test]
async fn unmatched_and_private_routes_are_empty_404s() {
    let (app, _state) = probe_app().await;
    for path in ["/", "/nothing", "/probex", "/users/1"] {
        let resp = get(&app, path).await;
        assert_eq!(resp.status, 404, "{path}");
        assert!(resp.body.is_empty(), "{path}");
    }
    assert!(app.routes().iter().all(|(c, _, _)| c != "private"));
}

#[tokio::test]
async fn well_known_paths_and_static_responses() {
    let (app, _state) = probe_app().await;
    let health = get(&app, "/.well-known/spin/health").await;
    assert_eq!(
        (health.status.as_u16(), health.text().as_str()),
        (200, "OK")
    );
    let info: serde_json::Value = get(&app, "/.well-known/spin/info")
        .await
        .json()
        .expect("json");
    assert_eq!(info["name"], "spin-probe");
    assert_eq!(info["version"], "0.1.0");
    assert_eq!(get(&app, "/.well-known/spin/other").await.status, 404);

    let teapot = get(&app, "/teapot").await;
    assert_eq!(teapot.status, 418);
    assert_eq!(teapot.header("x-static"), Some("yes"));
    assert_eq!(teapot.text(), "short and stout");
}

#[tokio::test]
async fn spin_headers_are_injected_with_spins_values() {
    let (app, _state) = probe_app().await;
    let req = http::Request::get("/users/42/cart/items/3/edit/headers?theme=pink")
        .header("host", "example.com:8080")
        .header("x-original", "kept")
        .body(Bytes::new())
        .expect("request");
    let resp = app
        .request_from(req, "10.1.2.3:5555".parse().expect("addr"))
        .await
        .expect("request");
    let h: serde_json::Value = resp.json().expect("json");
    assert_eq!(
        h["spin-full-url"],
        "http://example.com:8080/users/42/cart/items/3/edit/headers?theme=pink"
    );
    assert_eq!(h["spin-path-info"], "/items/3/edit/headers");
    assert_eq!(h["spin-matched-route"], "/users/:user_id/cart/...");
    assert_eq!(h["spin-base-path"], "/");
    assert_eq!(h["spin-raw-component-route"], "/users/:user_id/cart/...");
    assert_eq!(h["spin-component-route"], "/users/:user_id/cart");
    assert_eq!(h["spin-client-addr"], "10.1.2.3:5555");
    assert_eq!(h["spin-path-match-user-id"], "42");
    assert_eq!(h["x-original"], "kept");
}

#[tokio::test]
async fn key_value_is_denied_for_undeclared_labels() {
    let (app, state) = probe_app().await;
    let ok = get_json(&app, "/probe/kv").await;
    assert_eq!(ok["open"], "ok");
    assert_eq!(ok["missing"], serde_json::Value::Null);
    assert_eq!(ok["delete_missing_ok"], true);
    assert_eq!(ok["get"], "v2");
    assert_eq!(ok["exists"], true);
    assert_eq!(ok["keys"], serde_json::json!(["k"]));
    assert_eq!(ok["exists_after_delete"], false);

    assert_eq!(
        get_json(&app, "/probe/kv?store=other").await["open"],
        "access-denied"
    );
    assert_eq!(get_json(&app, "/plain/kv").await["open"], "access-denied");

    let db = rusqlite::Connection::open(state.path().join("sqlite_key_value.db")).expect("kv file");
    let n: i64 = db
        .query_row("SELECT count(*) FROM spin_key_value", [], |r| r.get(0))
        .expect("spin_key_value table");
    assert_eq!(n, 0);
}

#[tokio::test]
async fn sqlite_runs_statements_and_denies_undeclared_databases() {
    let (app, state) = probe_app().await;
    let r = get_json(&app, "/probe/sqlite").await;
    assert_eq!(
        r["columns"],
        serde_json::json!(["name", "score", "data", "note", "answer"])
    );
    assert_eq!(
        r["row"],
        serde_json::json!([{"text": "Анна"}, {"real": 1.5}, {"blob": [1, 2, 3]}, "null", {"integer": 42}])
    );
    assert_eq!(r["bad_query"], "io: no such table: no_such_table");
    assert!(state.path().join("sqlite_db.db").exists());

    assert_eq!(
        get_json(&app, "/probe/sqlite?db=other").await["open"],
        "access-denied"
    );
    assert_eq!(
        get_json(&app, "/plain/sqlite").await["open"],
        "access-denied"
    );
}

#[tokio::test]
async fn sqlite_transactions_span_executes_and_roll_back_when_dropped() {
    let (app, _state) = probe_app().await;
    let commit = get_json(&app, "/probe/tx?mode=commit").await;
    assert_eq!(
        (commit["before"].as_i64(), commit["inside"].as_i64()),
        (Some(0), Some(2))
    );
    assert_eq!(commit["other_connection_sees"], 2);

    let open = get_json(&app, "/probe/tx?mode=leave-open").await;
    assert_eq!(open["inside"], 4);
    let rollback = get_json(&app, "/probe/tx?mode=rollback").await;
    assert_eq!(
        rollback["before"], 2,
        "the transaction left open was rolled back"
    );
    assert_eq!(rollback["other_connection_sees"], 2);
}

#[tokio::test]
async fn variables_resolve_templates_and_report_spins_errors() {
    let (app, _state) = probe_app().await;
    assert_eq!(
        get_json(&app, "/probe/var?name=greeting").await["ok"],
        "hello, world"
    );
    assert_eq!(
        get_json(&app, "/probe/var?name=literal").await["ok"],
        "plain text"
    );
    assert_eq!(
        get_json(&app, "/probe/var?name=secret").await["ok"],
        "s3cr3t"
    );

    let undefined = get_json(&app, "/probe/var?name=nope").await;
    assert_eq!(undefined["error"], "undefined");
    assert_eq!(undefined["message"], r#"no variable for "probe"."nope""#);
    let invalid = get_json(&app, "/probe/var?name=Bad").await;
    assert_eq!(invalid["error"], "invalid-name");
    assert!(invalid["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with(r#""Bad": "#));
    let plain = get_json(&app, "/plain/var?name=greeting").await;
    assert_eq!(plain["message"], r#"no variable for "plain"."greeting""#);
}

#[tokio::test]
async fn outbound_requests_follow_allowed_outbound_hosts() {
    let mock = MockServer::start().await;
    mock.respond(Responder::status(201).body("from mock"));
    let state = tempfile::tempdir().expect("tempdir");
    let app = probe_builder(&state)
        .variable("upstream", mock.url())
        .build()
        .await
        .expect("app");

    let allowed = get_json(
        &app,
        &format!(
            "/probe/fetch?url={}",
            enc(&format!("{}/hello?x=1", mock.url()))
        ),
    )
    .await;
    assert_eq!(allowed["status"], 201, "{allowed}");
    assert_eq!(allowed["body"], "from mock");
    let seen = mock.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/hello?x=1");

    let other = MockServer::start().await;
    let denied = get_json(&app, &format!("/probe/fetch?url={}", enc(&other.url()))).await;
    assert_eq!(denied["error"], "ErrorCode::HttpRequestDenied");
    assert!(other.requests().is_empty());
    let line = format!("Outbound network destination not allowed: {}", other.url());
    assert!(
        app.guest_output("probe").contains(&line),
        "{}",
        app.guest_output("probe")
    );

    let from_plain = get_json(&app, &format!("/plain/fetch?url={}", enc(&mock.url()))).await;
    assert_eq!(from_plain["error"], "ErrorCode::HttpRequestDenied");
}

#[tokio::test]
async fn guest_request_timeouts_are_honoured() {
    let mock = MockServer::start().await;
    mock.respond(Responder::hang());
    let state = tempfile::tempdir().expect("tempdir");
    let app = probe_builder(&state)
        .variable("upstream", mock.url())
        .build()
        .await
        .expect("app");
    let url = enc(&format!("{}/slow", mock.url()));
    let r = get_json(&app, &format!("/probe/fetch-timeout?url={url}&ms=200")).await;
    assert_eq!(r["error"], "ErrorCode::ConnectionReadTimeout", "{r}");
    let elapsed = r["elapsed_ms"].as_u64().unwrap_or_default();
    assert!(
        (150..3000).contains(&elapsed),
        "first-byte timeout took {elapsed} ms"
    );
    assert_eq!(mock.requests().len(), 1, "the hung request was recorded");
}

#[tokio::test]
async fn template_entries_resolve_with_the_values_given() {
    let mock = MockServer::start().await;
    let (app, _state) = probe_app().await;
    // "https://{{ optional_upstream }}" keeps its default, "https://unset.invalid".
    let denied = get_json(&app, &format!("/probe/fetch?url={}", enc(&mock.url()))).await;
    assert_eq!(denied["error"], "ErrorCode::HttpRequestDenied");

    let state = tempfile::tempdir().expect("tempdir");
    let host = mock.url().trim_start_matches("http://").to_string();
    let app = probe_builder(&state)
        .variable("optional_upstream", host.clone())
        .build()
        .await
        .expect("app");
    let tls = get_json(
        &app,
        &format!("/probe/fetch?url={}", enc(&format!("https://{host}/"))),
    )
    .await;
    assert_ne!(
        tls["error"], "ErrorCode::HttpRequestDenied",
        "allowed by the template: {tls}"
    );
    let plain_http = get_json(&app, &format!("/probe/fetch?url={}", enc(&mock.url()))).await;
    assert_eq!(
        plain_http["error"], "ErrorCode::HttpRequestDenied",
        "scheme must match"
    );
}

#[tokio::test]
async fn service_chaining_reaches_private_components() {
    let (app, _state) = probe_app().await;
    let url = enc("http://private.spin.internal/anything/headers");
    let chained = get_json(&app, &format!("/probe/fetch?url={url}")).await;
    assert_eq!(chained["status"], 200, "{chained}");
    let h: serde_json::Value =
        serde_json::from_str(chained["body"].as_str().unwrap_or("{}")).expect("json");
    assert_eq!(h["spin-client-addr"], "0.0.0.0:0");
    assert_eq!(h["spin-matched-route"], "/...");
    assert_eq!(h["spin-full-url"], "http://localhost/anything/headers");
    let denied = get_json(&app, &format!("/plain/fetch?url={url}")).await;
    assert_eq!(denied["error"], "ErrorCode::HttpRequestDenied");
}

#[tokio::test]
async fn guests_see_the_injected_clock() {
    let clock = Clock::fixed(1_700_000_000);
    let state = tempfile::tempdir().expect("tempdir");
    let app = probe_builder(&state)
        .clock(clock.clone())
        .build()
        .await
        .expect("app");
    assert_eq!(
        get_json(&app, "/probe/time").await["unix_seconds"],
        1_700_000_000u64
    );
    clock.advance(Duration::from_secs(90));
    assert_eq!(
        get_json(&app, "/probe/time").await["unix_seconds"],
        1_700_000_090u64
    );
    clock.set(1_800_000_000);
    assert_eq!(
        get_json(&app, "/probe/time").await["unix_seconds"],
        1_800_000_000u64
    );
}

#[tokio::test]
async fn every_request_gets_a_fresh_instance() {
    let (app, _state) = probe_app().await;
    for _ in 0..3 {
        assert_eq!(get_json(&app, "/probe/counter").await["counter"], 1);
    }
}

#[tokio::test]
async fn concurrent_requests_run_at_the_same_time() {
    let (app, _state) = probe_app().await;
    let start = Instant::now();
    let (a, b) = tokio::join!(
        get_json(&app, "/probe/sleep?ms=400"),
        get_json(&app, "/probe/sleep?ms=400")
    );
    assert_eq!(
        (a["slept_ms"].as_u64(), b["slept_ms"].as_u64()),
        (Some(400), Some(400))
    );
    assert!(
        start.elapsed() < Duration::from_millis(790),
        "took {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn wait_idle_waits_for_running_instances() {
    let (app, _state) = probe_app().await;
    tokio::time::timeout(Duration::from_millis(100), app.wait_idle())
        .await
        .expect("an idle app is idle at once");
    let start = Instant::now();
    let busy = app.clone();
    let request = tokio::spawn(async move { get_json(&busy, "/probe/sleep?ms=300").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.wait_idle().await;
    assert!(
        start.elapsed() >= Duration::from_millis(290),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(request.await.expect("join")["slept_ms"], 300);
}

#[tokio::test]
async fn traps_are_empty_500s_and_output_is_captured() {
    let (app, _state) = probe_app().await;
    let trap = get(&app, "/probe/trap").await;
    assert_eq!(trap.status, 500);
    assert!(trap.body.is_empty());
    assert!(app.guest_output("probe").contains("probe asked to trap"));

    get_json(&app, "/plain/print?msg=hi%20there").await;
    let out = app.guest_output("plain");
    assert!(
        out.contains("stdout: hi there") && out.contains("stderr: hi there"),
        "{out}"
    );
}

#[tokio::test]
async fn environment_and_files_are_visible_read_only() {
    let (app, _state) = probe_app().await;
    assert_eq!(
        get_json(&app, "/probe/env?name=PROBE_ENV").await["value"],
        "from-manifest"
    );
    assert_eq!(
        get_json(&app, "/probe/file?path=/files/greeting.txt").await["content"],
        "hello from a file\n"
    );
    assert_eq!(
        get_json(&app, "/probe/file?path=/mapped/inside.md").await["content"],
        "mapped content\n"
    );
    assert!(get_json(&app, "/probe/file?path=/files/skip.md").await["error"].is_string());
    assert!(get_json(&app, "/plain/file?path=/files/greeting.txt").await["error"].is_string());
}

#[tokio::test]
async fn serve_answers_over_real_http() {
    let (app, _state) = probe_app().await;
    let server = app.serve("127.0.0.1:0").await.expect("serve");
    let (status, body) = common::http_get(server.addr(), "/probe/headers")
        .await
        .expect("http");
    assert_eq!(status, 200);
    let h: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        h["spin-full-url"],
        format!("http://{}/probe/headers", server.addr())
    );
    assert!(h["spin-client-addr"]
        .as_str()
        .unwrap_or_default()
        .starts_with("127.0.0.1:"));
    let (status, body) = common::http_get(server.addr(), "/nothing")
        .await
        .expect("http");
    assert_eq!((status, body.len()), (404, 0));
    server.shutdown().await;
}

#[tokio::test]
async fn startup_fails_like_spin_up() {
    let state = tempfile::tempdir().expect("tempdir");
    let err = App::builder(common::probe_manifest())
        .state_dir(state.path())
        .build()
        .await
        .err()
        .expect("required variable missing");
    assert!(
        format!("{err:#}")
            .contains(r#"no provider resolved required variable(s): [Key("required_secret")]"#),
        "{err:#}"
    );

    let cases = [
        ("[variables]\nx = { required = true, default = \"a\" }\n", "must be `required` OR have a `default`"),
        ("[[trigger.http]]\nroute = \"/\"\ncomponent = \"c\"\nroutes = \"/x\"\n[component.c]\nsource = \"c.wasm\"\n", "unknown field"),
        ("[[trigger.http]]\nroute = \"/\"\ncomponent = \"c\"\n[component.c]\nsource = \"c.wasm\"\nkey_value_stores = [\"cache\"]\n", "unknown key_value_stores label \"cache\" for component \"c\""),
        ("[[trigger.http]]\nroute = \"/\"\ncomponent = \"c\"\n[component.c]\nsource = \"c.wasm\"\nsqlite_databases = [\"orders\"]\n", "Component c uses database 'orders'"),
        ("[[trigger.http]]\nroute = \"/\"\ncomponent = \"c\"\n[component.c]\nsource = \"c.wasm\"\nallowed_outbound_hosts = [\"example.com\"]\n", "does not contain a scheme"),
        // Spin 4.0.2 checks allowed-host templates with the defaults: an empty one is refused.
        ("[variables]\nx = { default = \"\" }\n[[trigger.http]]\nroute = \"/\"\ncomponent = \"c\"\n[component.c]\nsource = \"c.wasm\"\nallowed_outbound_hosts = [\"{{ x }}\"]\n", "using default variable value(s) with template"),
        ("[variables]\nx = { default = \"\" }\n[[trigger.http]]\nroute = \"/\"\ncomponent = \"c\"\n[component.c]\nsource = \"c.wasm\"\nallowed_outbound_hosts = [\"https://{{ x }}\"]\n", "using default variable value(s) with template"),
    ];
    for (body, expected) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("spin.toml");
        let text = format!("spin_manifest_version = 2\n[application]\nname = \"t\"\n{body}");
        std::fs::write(&path, text).expect("write manifest");
        let err = App::builder(&path)
            .state_dir(dir.path())
            .build()
            .await
            .err()
            .expect("invalid");
        assert!(
            format!("{err:#}").contains(expected),
            "expected {expected:?} in {err:#}"
        );
    }
}

#[tokio::test]
async fn mock_server_records_everything_and_follows_its_script() {
    let mock = MockServer::start().await;
    mock.respond(Responder::status(200).json(serde_json::json!({"ok": true})));
    mock.respond_on(
        "POST",
        "/special",
        Responder::status(202).header("x-a", "b"),
    );
    mock.push(Responder::status(503));
    let addr = mock.addr();
    assert_eq!(common::http_get(addr, "/first").await.expect("http").0, 503);
    assert_eq!(
        common::http_get(addr, "/second").await.expect("http").1,
        r#"{"ok":true}"#
    );

    mock.push(Responder::close());
    assert!(common::http_get(addr, "/closed").await.is_err());
    mock.push(Responder::hang());
    let hung =
        tokio::time::timeout(Duration::from_millis(200), common::http_get(addr, "/hung")).await;
    assert!(hung.is_err(), "hang never answers");
    let paths: Vec<String> = mock.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/first", "/second", "/closed", "/hung"]);
    mock.shutdown().await;
}
