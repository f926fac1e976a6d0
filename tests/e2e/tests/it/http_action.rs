//! The `http_request` action: Orderpath's status moves and tasks mirrored to the shop's CRM as
//! Standard Webhooks deliveries through the outbox (docs/http-request-action.md). The CRM is a
//! mock; the shipped mirror triggers (`x1-crm-mirror-*`) are switched on in a copy of the
//! configuration.

use std::path::Path;

use orderpath_harness::{AppBuilder, Gate, MockServer, RecordedRequest, Responder};
use serde_json::{json, Value};

use crate::support::{app_with_config, fixture, json_of, tick_request, TestApp, CRON_TOKEN};

/// The CRM endpoint's signing secret.
const CRM_SECRET: &str = "whsec_Y3JtLW1pcnJvci1zZWNyZXQtZTJlLXRlc3Q=";

struct Crm {
    app: TestApp,
    crm: MockServer,
    _dir: tempfile::TempDir,
}

fn mirrors_on(config: &Path) {
    let file = config.join("triggers.toml");
    let text = std::fs::read_to_string(&file).expect("triggers.toml");
    let mut switched = text.clone();
    for description in [
        "X1: every status move goes to the CRM",
        "X1: every task a trigger creates goes to the CRM",
    ] {
        switched = switched.replace(
            &format!("description = \"{description}\"\nenabled = false"),
            &format!("description = \"{description}\"\nenabled = true"),
        );
    }
    assert_eq!(
        switched.matches("enabled = true").count(),
        text.matches("enabled = true").count() + 2,
        "both mirror triggers switched on"
    );
    std::fs::write(file, switched).expect("write");
}

/// The app with the mirror triggers on and the CRM at a mock (answering 200 unless told).
async fn app_with_crm(configure: impl FnOnce(AppBuilder) -> AppBuilder) -> Crm {
    let crm = MockServer::start().await;
    let dir = app_with_config(mirrors_on);
    let url = crm.url();
    let app = TestApp::start_from(&dir.path().join("spin.toml"), move |b| {
        configure(
            b.variable("crm_webhook_url", url)
                .variable("crm_webhook_path", "/hooks/orderpath")
                .variable("crm_webhook_secret", CRM_SECRET),
        )
    })
    .await;
    Crm {
        app,
        crm,
        _dir: dir,
    }
}

async fn create_order(app: &TestApp) {
    let response = app
        .post_event("evt-created", &fixture("orders/created.json"))
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
}

async fn confirm(app: &TestApp, webhook_id: &str) {
    let response = app
        .post_event(webhook_id, &fixture("orders/status_confirmed.json"))
        .await;
    assert_eq!(
        response.status,
        200,
        "{} {}",
        response.text(),
        app.app.guest_output("order-events")
    );
}

/// What the CRM received for the move to `confirmed`.
fn confirmations(crm: &MockServer) -> Vec<RecordedRequest> {
    crm.requests()
        .into_iter()
        .filter(|r| {
            let body = r.json().expect("JSON payload");
            body["type"] == "order.status_changed" && body["data"]["event"]["to"] == "confirmed"
        })
        .collect()
}

/// The webhook rows: status, attempts, last error.
fn webhook_rows(app: &TestApp) -> Vec<Vec<Value>> {
    app.query(
        "SELECT template, status, attempts, last_error FROM outbox
         WHERE channel = 'webhook' ORDER BY id",
    )
}

/// Checks the request's signature with the Standard Webhooks reference library, as a CRM
/// would, at the request's own time.
fn verify(request: &RecordedRequest) {
    let webhook = standardwebhooks::Webhook::new(CRM_SECRET).expect("secret");
    let id = request.header("webhook-id").expect("webhook-id");
    let ts: i64 = request
        .header("webhook-timestamp")
        .expect("webhook-timestamp")
        .parse()
        .expect("unix seconds");
    let expected = webhook.sign(id, ts, &request.body).expect("sign");
    assert_eq!(request.header("webhook-signature"), Some(expected.as_str()));
}

#[tokio::test]
async fn a_status_move_reaches_the_crm_once_signed_and_is_listed() {
    let Crm { app, crm, _dir } = app_with_crm(|b| b).await;
    create_order(&app).await;
    // The library checks the timestamp against the real clock: the app's clock shows it now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    app.clock.set(now);

    confirm(&app, "evt-confirm").await;

    let sent = crm.requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let request = &sent[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/hooks/orderpath");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("user-agent"), Some("Orderpath"));
    // Sent with its length, not chunked: simple servers read a chunked body as empty.
    assert_eq!(
        request.header("content-length"),
        Some(request.body.len().to_string().as_str())
    );
    assert_eq!(request.header("transfer-encoding"), None);
    let webhook = standardwebhooks::Webhook::new(CRM_SECRET).expect("secret");
    webhook
        .verify(&request.body, &request.headers)
        .expect("the signature verifies with the reference library");
    assert_eq!(request.header("webhook-timestamp"), Some(&*now.to_string()));
    let body = request.json().expect("json");
    assert_eq!(body["type"], "order.status_changed");
    assert_eq!(
        body["data"]["event"],
        json!({ "type": "order.status_changed", "order_id": "A-1001", "from": "new", "to": "confirmed",
                "actor": { "type": "staff", "id": "m.ivanova", "name": "Мария Иванова" } })
    );
    assert_eq!(body["data"]["order"]["id"], "A-1001");
    assert_eq!(body["data"]["order"]["status"], "confirmed");
    assert_eq!(body["data"]["order"]["total"], 240000);
    assert_eq!(body["data"]["order"]["customer"]["name"], "Анна Петрова");
    assert_eq!(body["data"]["trigger"], "x1-crm-mirror-status");

    let webhook_id = request.header("webhook-id").expect("id").to_owned();
    assert!(webhook_id.starts_with("msg_"), "{webhook_id}");
    assert_eq!(
        app.query(
            "SELECT recipient, template, status, attempts, provider, provider_message_id, body_text
             FROM outbox WHERE channel = 'webhook'"
        ),
        vec![vec![
            json!("crm"),
            json!("order.status_changed"),
            json!("sent"),
            json!(1),
            json!("webhook"),
            json!(webhook_id),
            json!(request.text()),
        ]]
    );
    let listed = json_of(&app.api("GET", "/api/messages?channel=webhook", None).await);
    let messages = listed["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1, "{listed}");
    assert_eq!(messages[0]["channel"], "webhook");
    assert_eq!(messages[0]["recipient"], "crm");
    assert_eq!(messages[0]["attempts"][0]["outcome"], "sent");
    let card = json_of(&app.api("GET", "/api/orders/A-1001", None).await);
    let on_card: Vec<&Value> = card["messages"]
        .as_array()
        .expect("card messages")
        .iter()
        .filter(|m| m["channel"] == "webhook")
        .collect();
    assert_eq!(on_card.len(), 1, "{card}");
    assert_eq!(on_card[0]["status"], "sent");
    // The order's history names the delivery as the CRM sees it.
    let history = app.query(
        "SELECT actor, new_value FROM order_history
         WHERE order_id = 'A-1001' AND field = 'http_request'",
    );
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0][0], "trigger:x1-crm-mirror-status");
    let entry: Value = serde_json::from_str(history[0][1].as_str().expect("text")).expect("json");
    assert_eq!(
        entry,
        json!({ "endpoint": "crm", "type": "order.status_changed", "webhook_id": webhook_id })
    );
    // No secret in what is stored or shown.
    let key = CRM_SECRET.trim_start_matches("whsec_");
    assert!(!listed.to_string().contains(key));
    assert!(!app.app.guest_output("sender").contains(key));
}

#[tokio::test]
async fn a_redelivered_event_is_posted_once() {
    let Crm { app, crm, _dir } = app_with_crm(|b| b).await;
    create_order(&app).await;

    confirm(&app, "evt-confirm").await;
    confirm(&app, "evt-confirm").await;
    app.tick_after(3600).await;

    assert_eq!(confirmations(&crm).len(), 1);
    assert_eq!(webhook_rows(&app).len(), 1);
}

#[tokio::test]
async fn an_outage_ends_in_one_delivery_with_one_webhook_id() {
    let Crm { app, crm, _dir } = app_with_crm(|b| b).await;
    create_order(&app).await;
    crm.respond(Responder::status(503).body("down"));

    confirm(&app, "evt-confirm").await;
    assert_eq!(
        webhook_rows(&app),
        vec![vec![
            json!("order.status_changed"),
            json!("pending"),
            json!(1),
            json!("endpoint answered 503: \"down\"")
        ]]
    );
    // The first backoff is a minute ± 20 %: not yet after 30 s.
    assert_eq!(app.tick_after(30).await["messages"]["retrying"], 0);
    assert_eq!(app.tick_after(45).await["messages"]["retrying"], 1);
    crm.respond(Responder::status(204));
    // The second backoff is two minutes ± 20 %.
    assert_eq!(app.tick_after(150).await["messages"]["sent"], 1);
    app.tick_after(3600).await;

    let requests = confirmations(&crm);
    assert_eq!(requests.len(), 3, "two failures and the delivery");
    let ids: Vec<&str> = requests
        .iter()
        .map(|r| r.header("webhook-id").expect("id"))
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let times: Vec<i64> = requests
        .iter()
        .map(|r| {
            r.header("webhook-timestamp")
                .expect("ts")
                .parse()
                .expect("n")
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    for request in &requests {
        verify(request);
        assert_eq!(request.body, requests[0].body, "the same bytes every time");
    }
    assert_eq!(
        webhook_rows(&app),
        vec![vec![
            json!("order.status_changed"),
            json!("sent"),
            json!(3),
            json!(null)
        ]]
    );
    assert_eq!(
        app.query(
            "SELECT a.outcome, a.http_status FROM outbox_attempts a
             JOIN outbox o ON o.id = a.message_id WHERE o.channel = 'webhook' ORDER BY a.id"
        ),
        vec![
            vec![json!("retryable"), json!(503)],
            vec![json!("retryable"), json!(503)],
            vec![json!("sent"), json!(null)],
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_ticks_post_a_held_delivery_once() {
    let Crm { app, crm, _dir } = app_with_crm(|b| b.variable("provider_timeout_ms", "60000")).await;
    create_order(&app).await;
    crm.push(Responder::status(503));
    confirm(&app, "evt-confirm").await;
    let gate = Gate::new();
    crm.push(Responder::held(&gate, Responder::status(200)));
    app.clock.advance(std::time::Duration::from_secs(120));

    let harness = app.app.clone();
    let first = tokio::spawn(async move { harness.request(tick_request(Some(CRON_TOKEN))).await });
    gate.reached(1).await;
    let second = app
        .app
        .request(tick_request(Some(CRON_TOKEN)))
        .await
        .expect("tick");
    gate.open();
    let first = first.await.expect("task").expect("tick");
    app.app.wait_idle().await;

    assert_eq!(second.status, 200);
    assert_eq!(json_of(&second)["messages"]["sent"], 0);
    assert_eq!(json_of(&first)["messages"]["sent"], 1);
    assert_eq!(
        confirmations(&crm).len(),
        2,
        "the failed try and one delivery"
    );
    assert_eq!(webhook_rows(&app)[0][1], "sent");
}

#[tokio::test]
async fn bad_answers_are_retried_and_any_2xx_delivers() {
    let Crm { app, crm, _dir } = app_with_crm(|b| b).await;
    create_order(&app).await;
    crm.push(Responder::status(400).body("unknown order"));
    crm.push(Responder::status(500));
    crm.push(Responder::hang());
    crm.respond(Responder::status(200).body("<html>ok?</html>"));

    confirm(&app, "evt-confirm").await;
    for _ in 0..4 {
        app.tick_after(6 * 3600).await;
    }

    assert_eq!(
        app.query(
            "SELECT a.outcome, a.http_status, a.error FROM outbox_attempts a
             JOIN outbox o ON o.id = a.message_id WHERE o.channel = 'webhook' ORDER BY a.id"
        ),
        vec![
            vec![
                json!("retryable"),
                json!(400),
                json!("endpoint answered 400: \"unknown order\"")
            ],
            vec![
                json!("retryable"),
                json!(500),
                json!("endpoint answered 500: empty body")
            ],
            vec![json!("retryable"), json!(null), json!("timed out")],
            vec![json!("sent"), json!(null), json!(null)],
        ]
    );
    assert_eq!(confirmations(&crm).len(), 4);
    assert_eq!(webhook_rows(&app)[0][1], "sent");
}

#[tokio::test]
async fn gone_stops_at_once() {
    let Crm { app, crm, _dir } = app_with_crm(|b| b).await;
    create_order(&app).await;
    crm.respond(Responder::status(410));

    confirm(&app, "evt-confirm").await;
    app.tick_after(6 * 3600).await;

    assert_eq!(confirmations(&crm).len(), 1);
    assert_eq!(webhook_rows(&app)[0][1], "failed");
}

#[tokio::test]
async fn an_exhausted_delivery_becomes_one_operator_task_without_a_loop() {
    let Crm { app, crm, _dir } = app_with_crm(|b| b.variable("message_max_attempts", "2")).await;
    create_order(&app).await;
    crm.respond(Responder::status(503));

    confirm(&app, "evt-confirm").await;
    assert_eq!(app.tick_after(600).await["messages"]["failed"], 1);
    app.tick_after(24 * 3600).await;

    assert_eq!(crm.requests().len(), 2, "{:?}", crm.requests());
    let rows = webhook_rows(&app);
    assert_eq!(
        rows.len(),
        1,
        "no delivery about the operator task: {rows:?}"
    );
    assert_eq!(rows[0][1], "failed");
    assert!(rows[0][3]
        .as_str()
        .expect("error")
        .starts_with("gave up after 2 attempts"));
    let tasks =
        app.query("SELECT order_id, kind, reason, title FROM tasks WHERE kind = 'message_failed'");
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0][0], "A-1001");
    assert!(
        tasks[0][3]
            .as_str()
            .expect("title")
            .contains("crm endpoint"),
        "{tasks:?}"
    );
}

#[tokio::test]
async fn a_task_a_trigger_creates_is_posted_once_as_task_created() {
    let Crm { app, crm, _dir } = app_with_crm(|b| b).await;
    create_order(&app).await;

    // O3: the first failed call makes a callback task.
    let moved = json!({ "type": "order.status_changed",
        "data": { "order_id": "A-1001", "status": "no-answer-1" } });
    assert_eq!(app.post_event("evt-no-answer", &moved).await.status, 200);
    assert_eq!(app.post_event("evt-no-answer", &moved).await.status, 200);

    let bodies: Vec<Value> = crm
        .requests()
        .iter()
        .map(|r| r.json().expect("json"))
        .collect();
    let created: Vec<&Value> = bodies
        .iter()
        .filter(|b| b["type"] == "task.created")
        .collect();
    assert_eq!(created.len(), 1, "{bodies:?}");
    let task = app.query("SELECT id, title, assignee FROM tasks WHERE kind = 'trigger'");
    assert_eq!(task.len(), 1, "{task:?}");
    let event = &created[0]["data"]["event"];
    assert_eq!(event["order_id"], "A-1001");
    assert_eq!(event["task_id"], task[0][0]);
    assert_eq!(event["title"], task[0][1]);
    assert_eq!(event["assignee"], task[0][2]);
    assert_eq!(event["trigger"], "o3-no-answer-1");
    assert_eq!(created[0]["data"]["trigger"], "x1-crm-mirror-task");
    assert_eq!(
        bodies
            .iter()
            .filter(|b| b["type"] == "order.status_changed")
            .count(),
        1
    );
    for request in crm.requests() {
        verify(&request);
    }
}

#[tokio::test]
async fn one_order_the_crm_refuses_does_not_hold_back_the_others() {
    let Crm { app, crm, _dir } = app_with_crm(|b| b).await;
    create_order(&app).await;
    let mut other = fixture("orders/created.json");
    other["data"]["order_id"] = json!("A-1002");
    assert_eq!(app.post_event("evt-created-2", &other).await.status, 201);
    crm.push(Responder::status(503));

    confirm(&app, "evt-confirm").await;
    let mut second = fixture("orders/status_confirmed.json");
    second["data"]["order_id"] = json!("A-1002");
    assert_eq!(app.post_event("evt-confirm-2", &second).await.status, 200);

    assert_eq!(
        app.query("SELECT order_id, status FROM outbox WHERE channel = 'webhook' ORDER BY id"),
        vec![
            vec![json!("A-1001"), json!("pending")],
            vec![json!("A-1002"), json!("sent")],
        ]
    );
}

#[tokio::test]
async fn an_endpoint_without_its_url_keeps_its_events_waiting() {
    let crm = MockServer::start().await;
    let dir = app_with_config(mirrors_on);
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| {
        b.variable("crm_webhook_secret", CRM_SECRET)
    })
    .await;
    create_order(&app).await;

    confirm(&app, "evt-confirm").await;
    app.tick_after(600).await;

    let rows = webhook_rows(&app);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][1], "pending");
    let error = rows[0][3].as_str().expect("error");
    assert!(error.contains("crm_webhook_url"), "{error}");
    assert!(crm.requests().is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND status = 'sent'"),
        2,
        "the customer's emails still go out"
    );
}
