//! A test component that pokes at every Spin host API the harness implements and answers with
//! JSON describing what happened, so `tests/harness/tests/spin_semantics.rs` can check the
//! harness against Spin's documented behaviour.
//!
//! The operation is the last path segment; parameters come from the query string:
//! `headers`, `kv?store=`, `sqlite?db=`, `tx?mode=commit|rollback|leave-open`, `var?name=`,
//! `fetch?url=`, `fetch-timeout?url=&ms=`, `counter`, `time`, `trap`, `print?msg=`, `env?name=`, `file?path=`,
//! `sleep?ms=`.

use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;
use spin_sdk::{key_value, sqlite, variables};

/// Counts requests seen by this instance: stays 1 when every request gets a fresh instance.
static COUNTER: AtomicU32 = AtomicU32::new(0);

#[http_component]
async fn handle(req: Request) -> Response {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst) + 1;
    let op = req
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let q = Query(req.query().to_string());
    let body = match op.as_str() {
        "headers" => headers(&req),
        "kv" => kv(&q.get("store").unwrap_or_else(|| "default".into())),
        "sqlite" => sql(&q.get("db").unwrap_or_else(|| "default".into())),
        "tx" => tx(&q.get("mode").unwrap_or_default()),
        "var" => var(&q.get("name").unwrap_or_default()),
        "fetch" => fetch(&q.get("url").unwrap_or_default()).await,
        "fetch-timeout" => fetch_with_timeout(
            &q.get("url").unwrap_or_default(),
            q.get("ms").and_then(|m| m.parse().ok()).unwrap_or(1000),
        ),
        "counter" => json!({ "counter": n }),
        "time" => time(),
        "trap" => panic!("probe asked to trap"),
        "print" => {
            let msg = q.get("msg").unwrap_or_default();
            println!("stdout: {msg}");
            eprintln!("stderr: {msg}");
            json!({ "printed": msg })
        }
        "env" => json!({ "value": std::env::var(q.get("name").unwrap_or_default()).ok() }),
        "file" => match std::fs::read_to_string(q.get("path").unwrap_or_default()) {
            Ok(content) => json!({ "content": content }),
            Err(e) => json!({ "error": e.to_string() }),
        },
        "sleep" => {
            let ms = q.get("ms").and_then(|m| m.parse().ok()).unwrap_or(0);
            std::thread::sleep(std::time::Duration::from_millis(ms));
            json!({ "slept_ms": ms })
        }
        _ => json!({
            "op": op,
            "path": req.path(),
            "component": std::env::var("PROBE_ID").ok(),
            "matched_route": req.header("spin-matched-route").and_then(|v| v.as_str()),
            "path_info": req.header("spin-path-info").and_then(|v| v.as_str()),
        }),
    };
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

fn headers(req: &Request) -> Json {
    let mut map = serde_json::Map::new();
    for (name, value) in req.headers() {
        map.insert(
            name.to_string(),
            Json::String(value.as_str().unwrap_or("<binary>").to_string()),
        );
    }
    Json::Object(map)
}

fn kv_err(e: key_value::Error) -> String {
    match e {
        key_value::Error::StoreTableFull => "store-table-full".into(),
        key_value::Error::NoSuchStore => "no-such-store".into(),
        key_value::Error::AccessDenied => "access-denied".into(),
        key_value::Error::Other(m) => format!("other: {m}"),
    }
}

fn kv(label: &str) -> Json {
    let store = match key_value::Store::open(label) {
        Ok(s) => s,
        Err(e) => return json!({ "open": kv_err(e) }),
    };
    let run = || -> Result<Json, key_value::Error> {
        let missing = store.get("missing")?;
        let delete_missing = store.delete("missing").is_ok();
        store.set("k", b"v1")?;
        store.set("k", b"v2")?;
        let got = store
            .get("k")?
            .map(|v| String::from_utf8_lossy(&v).into_owned());
        let exists = store.exists("k")?;
        let keys = store.get_keys()?;
        store.delete("k")?;
        let exists_after = store.exists("k")?;
        Ok(json!({
            "open": "ok", "missing": missing, "delete_missing_ok": delete_missing, "get": got,
            "exists": exists, "keys": keys, "exists_after_delete": exists_after,
        }))
    };
    run().unwrap_or_else(|e| json!({ "open": "ok", "error": kv_err(e) }))
}

fn sql_err(e: sqlite::Error) -> String {
    match e {
        sqlite::Error::NoSuchDatabase => "no-such-database".into(),
        sqlite::Error::AccessDenied => "access-denied".into(),
        sqlite::Error::InvalidConnection => "invalid-connection".into(),
        sqlite::Error::DatabaseFull => "database-full".into(),
        sqlite::Error::Io(m) => format!("io: {m}"),
    }
}

fn sql(db: &str) -> Json {
    let conn = match sqlite::Connection::open(db) {
        Ok(c) => c,
        Err(e) => return json!({ "open": sql_err(e) }),
    };
    let run = || -> Result<Json, sqlite::Error> {
        conn.execute("CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB, note TEXT)", &[])?;
        conn.execute(
            "INSERT INTO probe (name, score, data, note) VALUES (?, ?, ?, ?)",
            &[
                sqlite::Value::Text("Анна".into()),
                sqlite::Value::Real(1.5),
                sqlite::Value::Blob(vec![1, 2, 3]),
                sqlite::Value::Null,
            ],
        )?;
        let r = conn.execute(
            "SELECT name, score, data, note, ? AS answer FROM probe ORDER BY id DESC LIMIT 1",
            &[sqlite::Value::Integer(42)],
        )?;
        let bad = conn
            .execute("SELECT * FROM no_such_table", &[])
            .err()
            .map(sql_err);
        let row: Vec<Json> = r.rows[0].values.iter().map(value).collect();
        Ok(json!({ "open": "ok", "columns": r.columns, "row": row, "bad_query": bad }))
    };
    run().unwrap_or_else(|e| json!({ "open": "ok", "error": sql_err(e) }))
}

fn value(v: &sqlite::Value) -> Json {
    match v {
        sqlite::Value::Integer(i) => json!({ "integer": i }),
        sqlite::Value::Real(r) => json!({ "real": r }),
        sqlite::Value::Text(t) => json!({ "text": t }),
        sqlite::Value::Blob(b) => json!({ "blob": b }),
        sqlite::Value::Null => json!("null"),
    }
}

fn count(conn: &sqlite::Connection) -> Result<i64, sqlite::Error> {
    let r = conn.execute("SELECT count(*) FROM tx_probe", &[])?;
    Ok(match r.rows[0].values[0] {
        sqlite::Value::Integer(i) => i,
        _ => -1,
    })
}

fn tx(mode: &str) -> Json {
    let run = || -> Result<Json, sqlite::Error> {
        let conn = sqlite::Connection::open("default")?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS tx_probe (id INTEGER PRIMARY KEY)",
            &[],
        )?;
        let before = count(&conn)?;
        conn.execute("BEGIN IMMEDIATE", &[])?;
        conn.execute("INSERT INTO tx_probe DEFAULT VALUES", &[])?;
        conn.execute("INSERT INTO tx_probe DEFAULT VALUES", &[])?;
        let inside = count(&conn)?;
        match mode {
            "commit" => drop(conn.execute("COMMIT", &[])?),
            "rollback" => drop(conn.execute("ROLLBACK", &[])?),
            _ => {}
        }
        // A second connection sees only committed rows (or is locked out by an open write).
        let other = sqlite::Connection::open("default")?;
        let seen = if mode == "leave-open" {
            None
        } else {
            Some(count(&other)?)
        };
        Ok(json!({ "before": before, "inside": inside, "other_connection_sees": seen }))
    };
    run().unwrap_or_else(|e| json!({ "error": sql_err(e) }))
}

fn var(name: &str) -> Json {
    match variables::get(name) {
        Ok(v) => json!({ "ok": v }),
        Err(variables::Error::InvalidName(m)) => json!({ "error": "invalid-name", "message": m }),
        Err(variables::Error::Undefined(m)) => json!({ "error": "undefined", "message": m }),
        Err(variables::Error::Provider(m)) => json!({ "error": "provider", "message": m }),
        Err(variables::Error::Other(m)) => json!({ "error": "other", "message": m }),
    }
}

async fn fetch(url: &str) -> Json {
    let req = Request::get(url).build();
    match spin_sdk::http::send::<_, spin_sdk::http::Response>(req).await {
        Ok(resp) => json!({
            "status": resp.status(),
            "body": String::from_utf8_lossy(resp.body()),
        }),
        Err(spin_sdk::http::SendError::Http(code)) => json!({ "error": format!("{code:?}") }),
        Err(e) => json!({ "error": e.to_string() }),
    }
}

/// A GET through the raw wasi:http API with a first-byte timeout in the request options.
fn fetch_with_timeout(url: &str, ms: u64) -> Json {
    use spin_sdk::wit::wasi::http0_2_0::{outgoing_handler, types};
    let Some((scheme, rest)) = url.split_once("://") else {
        return json!({ "error": "bad url" });
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let req = types::OutgoingRequest::new(types::Fields::new());
    let scheme = if scheme == "https" {
        types::Scheme::Https
    } else {
        types::Scheme::Http
    };
    let _ = req.set_scheme(Some(&scheme));
    let _ = req.set_authority(Some(authority));
    let _ = req.set_path_with_query(Some(if path.is_empty() { "/" } else { path }));
    let options = types::RequestOptions::new();
    let _ = options.set_first_byte_timeout(Some(ms * 1_000_000));
    let started = std::time::Instant::now();
    let future = match outgoing_handler::handle(req, Some(options)) {
        Ok(f) => f,
        Err(e) => return json!({ "error": format!("{e:?}") }),
    };
    future.subscribe().block();
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match future.get() {
        Some(Ok(Ok(resp))) => json!({ "status": resp.status(), "elapsed_ms": elapsed_ms }),
        Some(Ok(Err(e))) => json!({ "error": format!("{e:?}"), "elapsed_ms": elapsed_ms }),
        other => json!({ "error": format!("{other:?}"), "elapsed_ms": elapsed_ms }),
    }
}

fn time() -> Json {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    json!({ "unix_seconds": now })
}

struct Query(String);

impl Query {
    fn get(&self, key: &str) -> Option<String> {
        self.0.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == key).then(|| decode(v))
        })
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
