//! Issue 17, part 5: every trigger evaluation is recorded with the event and the facts the
//! engine saw, and an edited configuration is replayed against them (`orderpath-check
//! --replay` on a copy of the database) without sending or storing anything.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use orderpath_config_check::replay::{self, Options, ShopVariables, Source};
use orderpath_core::replay::{ActionKey, Fired, Report};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::{copy_dir, signature_with, workspace_root, TestApp, PAYMENTS_SECRET};

fn evt() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("evt-r-{}", N.fetch_add(1, Ordering::Relaxed))
}

fn order(id: &str, email: &str) -> Value {
    json!({ "type": "order.created", "data": {
        "order_id": id, "currency": "RUB", "channel": "site",
        "customer": { "name": "Анна Петрова", "phone": "+7 (912) 345-67-89", "email": email },
        "items": [{ "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 2, "price": 45000 }],
        "total": 90000 } })
}

async fn move_to(app: &TestApp, id: &str, status: &str) {
    let event = json!({ "type": "order.status_changed",
        "data": { "order_id": id, "status": status } });
    let response = app.post_event(&evt(), &event).await;
    assert_eq!(response.status, 200, "to {status}: {}", response.text());
}

async fn pay(app: &TestApp, id: &str, amount: i64) {
    let body = serde_json::to_vec(&json!({ "type": "payment.succeeded", "data": {
        "order_id": id, "payment_id": format!("pay-{id}"), "amount": amount,
        "currency": "RUB", "test": false } }))
    .expect("json");
    let webhook_id = evt();
    let ts = app.clock.unix_seconds() as i64;
    let request = http::Request::post("http://orders.shop.example/webhooks/payments/generic")
        .header("content-type", "application/json")
        .header("webhook-id", &webhook_id)
        .header("webhook-timestamp", ts.to_string())
        .header(
            "webhook-signature",
            signature_with(PAYMENTS_SECRET, &webhook_id, ts, &body),
        )
        .body(Bytes::from(body))
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

/// Three orders through the shipped configuration: created (C1's email, V1's manager, S3's
/// bonus), one confirmed, invoiced and paid (V2's moves to assembly, C7's SMS), one not
/// reached by phone (O3's SMS and task), one invoiced and still unpaid two days later (O5's
/// timer: a reminder email and a task).
pub(crate) async fn shop_day(app: &TestApp) {
    for (id, email) in [
        ("A-1", "anna@example.com"),
        ("A-2", "boris@example.com"),
        ("A-3", "vera@example.com"),
    ] {
        let response = app.post_event(&evt(), &order(id, email)).await;
        assert_eq!(response.status, 201, "{}", response.text());
        app.clock.advance(std::time::Duration::from_secs(120));
    }
    move_to(app, "A-1", "confirmed").await;
    move_to(app, "A-1", "awaiting-payment").await;
    app.clock.advance(std::time::Duration::from_secs(600));
    pay(app, "A-1", 90_000).await;
    move_to(app, "A-2", "no-answer-1").await;
    move_to(app, "A-3", "invoice-sent").await;
    app.tick_after(3_600).await;
    app.tick_after(2 * 86_400).await;
}

/// A consistent copy of the app's database, as a shop would take it
/// (`sqlite3 .spin/sqlite_db.db "VACUUM INTO 'copy.db'"`).
pub(crate) fn copy_database(app: &TestApp, dir: &Path) -> PathBuf {
    let copy = dir.join("copy.db");
    let source = rusqlite::Connection::open(app.app.state_dir().join("sqlite_db.db"))
        .expect("the app's database");
    source
        .execute("VACUUM INTO ?1", [copy.to_string_lossy()])
        .expect("a copy");
    copy
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("readable");
    format!("{:x}", Sha256::digest(&bytes))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A copy of the shipped configuration with triggers.toml edited.
pub(crate) fn edited_config(dir: &Path, edit: impl FnOnce(String) -> String) -> PathBuf {
    let config = dir.join("config");
    copy_dir(&workspace_root().join("config"), &config);
    let path = config.join("triggers.toml");
    let text = std::fs::read_to_string(&path).expect("triggers.toml");
    std::fs::write(&path, edit(text)).expect("write");
    config
}

/// Inserts `line` after the `on = ...` line of trigger `id`.
pub(crate) fn with_line(text: String, id: &str, line: &str) -> String {
    let start = text.find(&format!("id = \"{id}\"")).expect("trigger");
    let on = start + text[start..].find("\non = ").expect("on");
    let end = on + 1 + text[on + 1..].find('\n').expect("line end");
    format!("{}\n{line}{}", &text[..end], &text[end..])
}

/// The `shop_*` variables `TestApp` deploys with, which override shop.toml.
pub(crate) fn shop_variables() -> ShopVariables {
    let values = [
        ("shop_name", "Чайная лавка"),
        ("shop_phone", "+7 495 123-45-67"),
        ("shop_email", "hello@tea.example"),
        ("shop_hours", "Пн–Пт 09:00–18:00"),
        ("shop_url", "https://tea.example"),
    ];
    ShopVariables {
        values: values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn options(db: &Path, config: &Path, json: bool) -> Options {
    Options {
        source: Source::Db(db.to_owned()),
        config: config.to_owned(),
        from: None,
        to: None,
        json,
        shop: shop_variables(),
    }
}

fn cli(db: &Path, config: &Path, json: bool) -> (String, Report) {
    replay::run(&options(db, config, json)).expect("the dry run runs")
}

#[tokio::test]
async fn every_evaluation_is_recorded_with_its_facts_and_what_followed_it() {
    let app = TestApp::start().await;
    shop_day(&app).await;

    let kinds =
        app.query("SELECT kind, COUNT(*) FROM trigger_evaluations GROUP BY kind ORDER BY kind");
    let count = |kind: &str| {
        kinds
            .iter()
            .find(|row| row[0] == json!(kind))
            .map_or(0, |row| row[1].as_i64().unwrap_or(0))
    };
    assert!(count("event") >= 8, "{kinds:?}");
    assert_eq!(count("after"), 3, "V1 assigned each new order: {kinds:?}");
    // V2's two moves were raised by its set_status actions in the payment's evaluation.
    let raised = app.query(
        "SELECT e.event_type, e.trigger_id, json_extract(e.raised_by, '$.to'), p.event_type,
                p.source
         FROM trigger_evaluations e JOIN trigger_evaluations p ON p.id = e.parent_id
         WHERE e.raised_by IS NOT NULL ORDER BY e.id",
    );
    assert!(
        raised.contains(&vec![
            json!("order.status_changed"),
            json!("v2-paid-to-assembly"),
            json!("payment-received"),
            json!("payment.succeeded"),
            json!("payments"),
        ]),
        "{raised:?}"
    );
    // O5's timer fired as what followed the evaluation that set it.
    let timer = app.query(
        "SELECT e.source, json_extract(e.raised_by, '$.name'), p.event_type,
                json_extract(p.event, '$.to')
         FROM trigger_evaluations e JOIN trigger_evaluations p ON p.id = e.parent_id
         WHERE e.event_type = 'timer.fired'",
    );
    assert_eq!(
        timer,
        vec![vec![
            json!("timer"),
            json!("o5-invoice-check"),
            json!("order.status_changed"),
            json!("invoice-sent")
        ]]
    );
    // C1's email is in the creation's decisions; the facts are what the engine saw.
    let c1 = app.query(
        "SELECT order_id, json_extract(facts, '$.order.status'), decisions
         FROM trigger_evaluations WHERE event_type = 'order.created' AND kind = 'after'
         ORDER BY id LIMIT 1",
    );
    assert_eq!(c1[0][0], json!("A-1"));
    assert_eq!(c1[0][1], json!("new"));
    let decisions: Value = serde_json::from_str(c1[0][2].as_str().expect("text")).expect("json");
    let thank_you = decisions
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["trigger"] == "c1-thank-you")
        .expect("C1 ran");
    assert_eq!(thank_you["decision"], "run");
    assert_eq!(thank_you["actions"][0]["kind"], "message");
    assert_eq!(thank_you["actions"][0]["template"], "order-created");
    assert_eq!(thank_you["actions"][0]["address"], "anna@example.com");
}

#[tokio::test]
async fn a_dry_run_of_a_delayed_thank_you_moves_only_its_emails() {
    let app = TestApp::start().await;
    shop_day(&app).await;
    let sent = (app.email_requests().len(), app.sms_api.requests().len());
    let outbox = app.count("SELECT COUNT(*) FROM outbox");
    let dir = tempfile::tempdir().expect("dir");
    let db = copy_database(&app, dir.path());
    let before = sha256(&db);

    // The shipped configuration, unchanged: everything is decided as it was.
    let (text, same) = cli(&db, &workspace_root().join("config"), false);
    assert!(same.no_difference(), "{text}");
    assert!(text.contains("No difference"), "{text}");
    assert!(same.summary.evaluations > 10, "{:?}", same.summary);
    assert_eq!(same.summary.replayed, same.summary.evaluations);

    // C1 ten minutes later: its three emails move, nothing else differs.
    let edits = tempfile::tempdir().expect("dir");
    let delayed = edited_config(edits.path(), |t| {
        with_line(t, "c1-thank-you", "delay = \"10m\"")
    });
    let (text, report) = cli(&db, &delayed, false);
    assert_eq!(report.triggers.len(), 1, "{text}");
    let c1 = &report.triggers[0];
    assert_eq!(c1.trigger, "c1-thank-you");
    let orders: Vec<_> = c1
        .changes
        .iter()
        .map(|c| c.subject.order.clone().expect("an order"))
        .collect();
    assert_eq!(orders, ["A-1", "A-2", "A-3"]);
    for change in &c1.changes {
        assert_eq!(change.before, Fired::Now);
        assert_eq!(
            change.after,
            Fired::At {
                at: change.at + 600
            }
        );
        assert!(
            change.added.is_empty() && change.removed.is_empty() && change.changed.is_empty(),
            "{text}"
        );
        assert!(matches!(
            change.same.as_slice(),
            [ActionKey::Message { channel, template, to, .. }]
                if channel == "email" && template == "order-created" && to == "customer"
        ));
    }
    assert_eq!(report.summary.timing, 3);
    assert_eq!(
        (report.summary.now_fire, report.summary.no_longer_fire),
        (0, 0)
    );
    assert!(
        text.contains("order A-1 · order.created at 2026-11-24 10:00: would fire 2026-11-24 10:10 (+10 min) instead of now"),
        "{text}"
    );
    assert!(
        text.contains("= email order-created to customer (anna@example.com)"),
        "{text}"
    );

    // The JSON is the same report.
    let (json_text, json_report) = cli(&db, &delayed, true);
    assert_eq!(json_report, report);
    let parsed: Report = serde_json::from_str(&json_text).expect("the JSON report");
    assert_eq!(parsed, report);

    // The copy was read, not written; nothing was sent or queued.
    assert_eq!(sha256(&db), before);
    assert_eq!(files_in(dir.path()), ["copy.db"]);
    assert_eq!(
        (app.email_requests().len(), app.sms_api.requests().len()),
        sent
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox"), outbox);
}

#[tokio::test]
async fn a_dry_run_of_a_switched_off_trigger_lists_the_messages_no_longer_sent() {
    let app = TestApp::start().await;
    shop_day(&app).await;
    let dir = tempfile::tempdir().expect("dir");
    let db = copy_database(&app, dir.path());
    let edited = edited_config(dir.path(), |t| {
        with_line(t, "o3-no-answer-1", "enabled = false")
    });

    let (text, report) = cli(&db, &edited, false);

    assert_eq!(report.triggers.len(), 1, "{text}");
    let o3 = &report.triggers[0];
    assert_eq!(o3.trigger, "o3-no-answer-1");
    assert!(!o3.enabled);
    assert_eq!(o3.no_longer_fires_for.len(), 1);
    assert_eq!(o3.no_longer_fires_for[0].order.as_deref(), Some("A-2"));
    assert!(
        o3.changes[0].removed.iter().any(|a| matches!(
            a,
            ActionKey::Message { channel, to, .. } if channel == "sms" && to == "customer"
        )),
        "{text}"
    );
    assert!(report.summary.messages.removed >= 1, "{text}");
    assert_eq!(report.summary.messages.added, 0, "{text}");
    assert!(text.contains("no longer fires for: order A-2"), "{text}");
}

#[tokio::test]
async fn a_dry_run_reads_a_period_and_refuses_a_configuration_with_problems() {
    let app = TestApp::start().await;
    shop_day(&app).await;
    let dir = tempfile::tempdir().expect("dir");
    let db = copy_database(&app, dir.path());
    let edited = edited_config(dir.path(), |t| {
        with_line(t, "c1-thank-you", "delay = \"10m\"")
    });
    let run = |from: &str, to: &str| {
        replay::run(&Options {
            from: Some(from.into()),
            to: Some(to.into()),
            ..options(&db, &edited, false)
        })
    };

    let (_, day) = run("2026-11-24", "2026-11-24").expect("runs");
    assert_eq!(day.triggers.len(), 1);
    let (text, before) = run("2026-11-20", "2026-11-23").expect("runs");
    assert_eq!(before.summary.evaluations, 0, "{text}");
    assert!(run("2026-11-25", "2026-11-24").is_err());
    assert!(run("24.11.2026", "2026-11-24").is_err());

    let broken = edited_config(&dir.path().join("broken"), |t| {
        with_line(t, "c1-thank-you", "delay = \"soon\"")
    });
    let error = replay::run(&options(&db, &broken, false)).expect_err("with problems");
    assert!(error.to_string().contains("c1-thank-you"), "{error}");
}

#[tokio::test]
async fn old_evaluations_are_deleted_after_the_keep_period() {
    let app = TestApp::start().await;
    shop_day(&app).await;
    let recorded = app.count("SELECT COUNT(*) FROM trigger_evaluations");
    assert!(recorded > 0);
    let unix =
        |text: &str| orderpath_core::automation::time::rfc3339::parse_utc(text).expect("RFC 3339");
    let times = |app: &TestApp| -> Vec<i64> {
        app.query("SELECT at FROM trigger_evaluations")
            .iter()
            .map(|row| unix(row[0].as_str().expect("at")))
            .collect()
    };
    let recorded_at = times(&app);
    let (oldest, newest) = (recorded_at[0], recorded_at[recorded_at.len() - 1]);
    let advance_to = |t: i64| {
        let now = app.clock.unix_seconds() as i64;
        app.clock
            .advance(std::time::Duration::from_secs((t - now).max(0) as u64));
    };

    // 89 days after the first evaluation everything is kept (90 days by default)…
    advance_to(oldest + 89 * 86_400);
    let kept = app.tick().await;
    assert_eq!(
        kept["retention"]["trigger_evaluations_deleted"], 0,
        "{kept}"
    );
    // …and 91 days after the last one of that day, all of them are gone; newer ones stay.
    advance_to(newest + 91 * 86_400);
    let tick = app.tick().await;

    assert_eq!(
        tick["retention"]["trigger_evaluations_deleted"],
        json!(recorded),
        "{tick}"
    );
    assert!(times(&app).iter().all(|&at| at > newest));
}

#[tokio::test]
async fn a_delayed_trigger_is_recorded_when_its_timer_fires_and_replayed_as_such() {
    let deployed = crate::support::app_with_config(|config| {
        let path = config.join("triggers.toml");
        let text = std::fs::read_to_string(&path).expect("triggers.toml");
        std::fs::write(&path, with_line(text, "c1-thank-you", "delay = \"10m\"")).expect("write");
    });
    let app = TestApp::start_from(&deployed.path().join("spin.toml"), |b| b).await;
    let response = app
        .post_event(&evt(), &order("A-1", "anna@example.com"))
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    assert!(app.email_requests().is_empty(), "C1 waits ten minutes");
    app.tick_after(600).await;
    assert_eq!(app.email_requests().len(), 1);
    let delayed = app.query(
        "SELECT e.trigger_id, p.event_type, json_extract(e.decisions, '$[0].decision')
         FROM trigger_evaluations e JOIN trigger_evaluations p ON p.id = e.parent_id
         WHERE e.kind = 'delayed'",
    );
    assert_eq!(
        delayed,
        vec![vec![
            json!("c1-thank-you"),
            json!("order.created"),
            json!("run")
        ]]
    );

    let dir = tempfile::tempdir().expect("dir");
    let db = copy_database(&app, dir.path());
    // As deployed: the delay and the run at the timer are decided as they were.
    let (text, same) = cli(&db, &deployed.path().join("config"), false);
    assert!(same.no_difference(), "{text}");
    // Without the delay (the shipped configuration): the email would go at once.
    let (text, report) = cli(&db, &workspace_root().join("config"), false);
    assert_eq!(report.triggers.len(), 1, "{text}");
    let change = &report.triggers[0].changes[0];
    assert_eq!(report.triggers[0].trigger, "c1-thank-you");
    assert_eq!(
        change.before,
        Fired::At {
            at: change.at + 600
        }
    );
    assert_eq!(change.after, Fired::Now);
    assert!(
        change.added.is_empty() && change.removed.is_empty(),
        "{text}"
    );
    assert!(
        text.contains("would fire now instead of 2026-11-24 10:10 (+10 min)"),
        "{text}"
    );
}

/// What a dry run must leave as it was: the outbox, tasks, history, timers, evaluations and
/// what the providers received.
fn untouched(app: &TestApp) -> (Vec<Vec<Value>>, usize, usize) {
    let counts = app.query(
        "SELECT (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM tasks),
                (SELECT COUNT(*) FROM order_history), (SELECT COUNT(*) FROM timers),
                (SELECT COUNT(*) FROM trigger_evaluations), (SELECT MAX(id) FROM trigger_evaluations),
                (SELECT group_concat(status) FROM orders)",
    );
    (
        counts,
        app.email_requests().len(),
        app.sms_api.requests().len(),
    )
}

#[tokio::test]
async fn the_desk_dry_run_reports_what_the_cli_reports_and_writes_nothing() {
    let app = TestApp::start().await;
    shop_day(&app).await;
    let before = untouched(&app);

    // The deployed triggers.toml, as written, to edit.
    let served = app.api("GET", "/api/replay/triggers", None).await;
    assert_eq!(served.status, 200, "{}", served.text());
    let served = crate::support::json_of(&served);
    let shipped = std::fs::read_to_string(workspace_root().join("config/triggers.toml"))
        .expect("triggers.toml");
    assert_eq!(served["triggers"], json!(shipped));
    assert_eq!(served["keep_days"], 90);

    let period =
        |triggers: &str| json!({ "triggers": triggers, "from": "2026-11-24", "to": "2026-11-26" });
    // Unchanged: nothing differs.
    let same = app.api("POST", "/api/replay", Some(period(&shipped))).await;
    assert_eq!(same.status, 200, "{}", same.text());
    let same = crate::support::json_of(&same);
    let report: Report = serde_json::from_value(same["report"].clone()).expect("a report");
    assert!(report.no_difference(), "{}", same["text"]);
    assert!(report.summary.evaluations > 10);
    assert_eq!(
        (same["from"].clone(), same["to"].clone()),
        (json!("2026-11-24"), json!("2026-11-26"))
    );
    assert_eq!(same["limit"], 5000);

    // C1 delayed: the same report as orderpath-check on a copy of the database.
    let delayed = with_line(shipped.clone(), "c1-thank-you", "delay = \"10m\"");
    let answer = app.api("POST", "/api/replay", Some(period(&delayed))).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let answer = crate::support::json_of(&answer);
    let desk: Report = serde_json::from_value(answer["report"].clone()).expect("a report");
    assert_eq!(desk.triggers.len(), 1, "{}", answer["text"]);
    assert_eq!(desk.triggers[0].trigger, "c1-thank-you");
    assert_eq!(desk.summary.timing, 3);
    let dir = tempfile::tempdir().expect("dir");
    let db = copy_database(&app, dir.path());
    let edited = edited_config(dir.path(), |_| delayed.clone());
    let (text, cli_report) = replay::run(&Options {
        from: Some("2026-11-24".into()),
        to: Some("2026-11-26".into()),
        ..options(&db, &edited, false)
    })
    .expect("runs");
    assert_eq!(desk, cli_report);
    assert!(
        text.ends_with(answer["text"].as_str().expect("text")),
        "{text}"
    );

    // The export, replayed by orderpath-check --events, gives the same report again.
    let export = app
        .api(
            "GET",
            "/api/replay/evaluations?from=2026-11-24&to=2026-11-26",
            None,
        )
        .await;
    assert_eq!(export.status, 200, "{}", export.text());
    assert_eq!(
        export.header("content-type"),
        Some("application/x-ndjson; charset=utf-8")
    );
    assert_eq!(export.header("x-next-after"), None, "one page");
    let lines = export.text();
    assert_eq!(
        lines.lines().count() as i64,
        app.count("SELECT COUNT(*) FROM trigger_evaluations")
    );
    let file = dir.path().join("evaluations.jsonl");
    std::fs::write(&file, &lines).expect("write");
    let (_, from_file) = replay::run(&Options {
        source: Source::Events(file),
        ..options(&db, &edited, false)
    })
    .expect("runs");
    assert_eq!(from_file, desk);

    assert_eq!(
        untouched(&app),
        before,
        "a dry run writes and sends nothing"
    );
}

#[tokio::test]
async fn the_desk_dry_run_refuses_what_it_cannot_run() {
    let app = TestApp::start().await;
    shop_day(&app).await;
    let before = untouched(&app);

    let broken = app
        .api(
            "POST",
            "/api/replay",
            Some(json!({ "triggers": "[[trigger]]\nid = \"x\"\non = \"order.created\"\n[[trigger.action]]\ntype = \"message\"\nchannel = \"email\"\ntemplate = \"no-such-template\"\nto = \"customer\"\n" })),
        )
        .await;
    assert_eq!(broken.status, 422, "{}", broken.text());
    let body = crate::support::json_of(&broken);
    assert_eq!(body["error"]["code"], "configuration_invalid");
    assert_eq!(body["error"]["problems"][0]["file"], "config/triggers.toml");
    assert_eq!(body["error"]["problems"][0]["trigger"], "x");
    assert!(
        body["error"]["problems"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no-such-template")),
        "{body}"
    );
    let not_toml = app
        .api(
            "POST",
            "/api/replay",
            Some(json!({ "triggers": "[[trigger]" })),
        )
        .await;
    assert_eq!(not_toml.status, 422);
    assert_eq!(
        crate::support::json_of(&not_toml)["error"]["code"],
        "configuration_invalid"
    );
    for (body, field) in [
        (json!({}), "triggers"),
        (json!({ "triggers": 7 }), "triggers"),
        (json!({ "triggers": "x", "from": "24.11.2026" }), "from"),
        (
            json!({ "triggers": "x", "from": "2026-11-26", "to": "2026-11-24" }),
            "from",
        ),
    ] {
        let refused = app.api("POST", "/api/replay", Some(body.clone())).await;
        assert_eq!(refused.status, 422, "{body}: {}", refused.text());
        let error = crate::support::json_of(&refused);
        assert_eq!(error["error"]["code"], "invalid_request", "{body}");
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(field)),
            "{error}"
        );
    }
    let malformed = app
        .send(
            http::Request::post("http://orders.shop.example/api/replay")
                .header(
                    "authorization",
                    format!("Bearer {}", crate::support::ADMIN_TOKEN),
                )
                .body(Bytes::from_static(b"{not json"))
                .expect("request"),
        )
        .await;
    assert_eq!(malformed.status, 400);
    let wrong_method = app.api("GET", "/api/replay", None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    let bad_after = app
        .api("GET", "/api/replay/evaluations?after=-1", None)
        .await;
    assert_eq!(bad_after.status, 400);
    assert_eq!(untouched(&app), before);
}

#[tokio::test]
async fn a_period_beyond_the_limit_is_refused_and_exported_in_pages() {
    let deployed = crate::support::app_with_config(|config| {
        let path = config.join("shop.toml");
        let text = std::fs::read_to_string(&path).expect("shop.toml");
        let limited = text.replace(
            "replay_max_evaluations = 5000",
            "replay_max_evaluations = 5",
        );
        assert_ne!(limited, text);
        std::fs::write(&path, limited).expect("write");
    });
    let app = TestApp::start_from(&deployed.path().join("spin.toml"), |b| b).await;
    shop_day(&app).await;
    let total = app.count("SELECT COUNT(*) FROM trigger_evaluations");
    let shipped = std::fs::read_to_string(workspace_root().join("config/triggers.toml"))
        .expect("triggers.toml");

    let refused = app
        .api(
            "POST",
            "/api/replay",
            Some(json!({ "triggers": shipped, "from": "2026-11-24", "to": "2026-11-26" })),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    let error = crate::support::json_of(&refused);
    assert_eq!(error["error"]["code"], "too_many_evaluations");
    assert!(
        error["error"]["message"].as_str().is_some_and(|m| m
            .contains(&format!("has {total} recorded"))
            && m.contains("at most 5")),
        "{error}"
    );

    let mut ids = Vec::new();
    let mut after = 0_i64;
    loop {
        let page = app
            .api(
                "GET",
                &format!("/api/replay/evaluations?from=2026-11-24&to=2026-11-26&after={after}"),
                None,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.text());
        let lines: Vec<Value> = page
            .text()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert!(lines.len() <= 5);
        ids.extend(lines.iter().map(|l| l["id"].as_i64().expect("id")));
        match page.header("x-next-after") {
            Some(next) => after = next.parse().expect("an id"),
            None => break,
        }
    }
    assert_eq!(ids.len() as i64, total);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}
