//! CDEK never retries a webhook: a parcel CDEK has been quiet about for four hours is polled
//! by the tick (`GET /v2/orders/{uuid}` with an OAuth token), and what the lost webhook would
//! have done happens then — once, whichever of the poll and the webhook comes first.

use orderpath_harness::{MockServer, Responder};

use super::*;
use crate::support::form_fields;

const CLIENT_ID: &str = "cdek-test-account";
const CLIENT_SECRET: &str = "cdek-test-secure-password";
const ACCESS_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.test-cdek-access-token.c2lnbmF0dXJl";
/// A little over CDEK's four quiet hours.
const QUIET: u64 = 4 * 3600 + 60;

fn order_path() -> String {
    format!("/v2/orders/{CDEK_UUID}")
}

/// The app with CDEK API credentials and a CDEK API mock answering the token and the order
/// from the fixtures (the parcel at the pickup point).
async fn app_with_cdek_api() -> (TestApp, MockServer) {
    let cdek = MockServer::start().await;
    cdek.respond_on(
        "POST",
        "/v2/oauth/token",
        Responder::status(200).body(raw("cdek/oauth-token.json")),
    );
    cdek.respond_on(
        "GET",
        &order_path(),
        Responder::status(200).body(raw("cdek/order-at-pickup-point.json")),
    );
    let url = cdek.url();
    let app = TestApp::start_with(|b| {
        b.variable("cdek_client_id", CLIENT_ID)
            .variable("cdek_client_secret", CLIENT_SECRET)
            .variable("cdek_api_url", url)
    })
    .await;
    (app, cdek)
}

fn polls(app: &TestApp) -> Value {
    rows(
        app,
        "SELECT parcel, order_id, failures, last_error FROM carrier_polls ORDER BY parcel",
    )
}

fn pickup_sms(app: &TestApp) -> usize {
    sms_texts(app)
        .iter()
        .filter(|text| text.contains("ждёт в пункте выдачи"))
        .count()
}

#[tokio::test]
async fn a_lost_pickup_point_webhook_is_recovered_by_polling_and_the_late_webhook_sends_nothing() {
    let (app, cdek) = app_with_cdek_api().await;
    cdek_handed_over(&app, None).await;
    choose_pickup_point(&app).await;
    // CDEK's ACCEPTED_AT_PICK_UP_POINT webhook is lost.

    let early = app.tick_after(3600).await;

    assert_eq!(
        early["cdek_parcels_polled"],
        json!({ "new_statuses": 0, "unchanged": 0, "failed": 0, "taken_by_others": 0 })
    );
    assert!(cdek.requests().is_empty(), "quiet for one hour only");

    let tick = app.tick_after(QUIET).await;

    assert_eq!(tick["cdek_parcels_polled"]["new_statuses"], 1, "{tick}");
    assert_eq!(
        order_row(&app),
        json!([["at-pickup-point", "at-pickup-point"]])
    );
    assert_eq!(pickup_sms(&app), 1, "C4 goes out from the poll");
    email_about(&app, AT_POINT_EMAIL);
    let requests = cdek.requests();
    assert_eq!(requests.len(), 2, "a token, then the order");
    let form = form_fields(&requests[0].body);
    assert_eq!(
        form,
        [
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("client_id".to_owned(), CLIENT_ID.to_owned()),
            ("client_secret".to_owned(), CLIENT_SECRET.to_owned()),
        ]
    );
    assert_eq!(requests[1].path, order_path());
    assert_eq!(
        requests[1].header("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert_eq!(
        rows(
            &app,
            "SELECT carrier_status, status, state FROM deliveries ORDER BY id"
        )[2],
        json!(["ACCEPTED_AT_PICK_UP_POINT", "at-pickup-point", "applied"])
    );

    // The webhook turns up after all: acknowledged, nothing sent again.
    let late = cdek_fixture(&app, "at-pickup-point.json").await;
    assert_eq!(late, json!({ "received": true, "duplicate": true }));
    // Polled again four quiet hours later: the same status, nothing new.
    let again = app.tick_after(QUIET).await;

    assert_eq!(again["cdek_parcels_polled"]["unchanged"], 1, "{again}");
    assert_eq!(pickup_sms(&app), 1, "one C4 SMS in all");
    assert_eq!(
        polls(&app),
        json!([[CDEK_UUID, ORDER, 0, null]]),
        "still watched until it is collected"
    );
}

#[tokio::test]
async fn a_parcel_whose_webhooks_arrive_is_not_polled_and_is_forgotten_once_delivered() {
    let (app, cdek) = app_with_cdek_api().await;
    cdek_handed_over(&app, None).await;

    app.clock.advance(std::time::Duration::from_secs(3 * 3600));
    cdek_fixture(&app, "in-transit.json").await;
    app.tick_after(3 * 3600).await;

    assert!(cdek.requests().is_empty(), "CDEK spoke 3 hours ago");
    assert_eq!(polls(&app), json!([[CDEK_UUID, ORDER, 0, null]]));

    // The delivered push is confirmed with CDEK's API (it ends the order), not polled.
    cdek.respond_on(
        "GET",
        &order_path(),
        Responder::status(200).body(raw("cdek/order-delivered.json")),
    );
    cdek_fixture(&app, "delivered.json").await;
    app.tick_after(QUIET).await;

    assert_eq!(polls(&app), json!([]), "delivered: nothing left to watch");
    let paths: Vec<String> = cdek.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/v2/oauth/token".to_owned(), order_path()]);
}

#[tokio::test]
async fn without_api_credentials_polling_is_off() {
    let app = TestApp::start().await;
    cdek_handed_over(&app, None).await;

    let tick = app.tick_after(QUIET).await;

    assert_eq!(tick["cdek_parcels_polled"], "off");
    assert_eq!(order_row(&app), json!([["handed-to-carrier", "accepted"]]));
}

#[tokio::test]
async fn a_failing_cdek_api_is_counted_on_the_parcel_and_asked_again_at_the_next_poll() {
    let (app, cdek) = app_with_cdek_api().await;
    cdek_handed_over(&app, None).await;
    choose_pickup_point(&app).await;
    cdek.push(Responder::status(503).body("maintenance"));

    let tick = app.tick_after(QUIET).await;

    assert_eq!(tick["cdek_parcels_polled"]["failed"], 1, "{tick}");
    let kept = polls(&app);
    assert_eq!(kept[0][2], 1, "{kept}");
    let error = kept[0][3].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("HTTP 503"), "{error}");
    assert!(!error.contains(CLIENT_SECRET), "{error}");
    assert_eq!(order_row(&app), json!([["handed-to-carrier", "accepted"]]));
    assert_eq!(pickup_sms(&app), 0);

    let next = app.tick_after(QUIET).await;

    assert_eq!(next["cdek_parcels_polled"]["new_statuses"], 1, "{next}");
    assert_eq!(polls(&app), json!([[CDEK_UUID, ORDER, 0, null]]));
    assert_eq!(pickup_sms(&app), 1);
}

#[tokio::test]
async fn parcels_on_their_way_before_the_upgrade_are_polled_from_the_first_tick() {
    let (app, cdek) = app_with_cdek_api().await;
    cdek_handed_over(&app, None).await;
    choose_pickup_point(&app).await;
    // The database as it was before parcels were watched (version 11).
    {
        let path = app.app.state_dir().join("sqlite_db.db");
        let db = rusqlite::Connection::open(path).expect("db");
        db.execute_batch(
            "DROP TABLE carrier_polls;
             ALTER TABLE customers DROP COLUMN time_zone;
             ALTER TABLE outbox DROP COLUMN claim_token;
             ALTER TABLE outbox_attempts DROP COLUMN late;
             DROP INDEX customers_segment;
             ALTER TABLE customers DROP COLUMN segment;
             ALTER TABLE customers DROP COLUMN segment_at;
             ALTER TABLE outbox DROP COLUMN headers;
             ALTER TABLE timers DROP COLUMN evaluation_id;
             DELETE FROM schema_migrations WHERE version > 11;",
        )
        .expect("the old schema");
    }

    let tick = app.tick().await;

    assert_eq!(tick["cdek_parcels_polled"]["new_statuses"], 1, "{tick}");
    assert_eq!(cdek.requests().len(), 2, "a token, then the order");
    assert_eq!(pickup_sms(&app), 1);
    assert_eq!(polls(&app), json!([[CDEK_UUID, ORDER, 0, null]]));
}

// ── A push that ends an order is confirmed with CDEK's API first (issue 12, item 8) ────

fn completed_email(app: &TestApp) -> usize {
    subjects(app)
        .iter()
        .filter(|s| s.contains(COMPLETED_EMAIL))
        .count()
}

#[tokio::test]
async fn a_delivered_push_the_api_confirms_completes_the_order() {
    let (app, cdek) = app_with_cdek_api().await;
    cdek_at_pickup_point(&app).await;
    cdek.respond_on(
        "GET",
        &order_path(),
        Responder::status(200).body(raw("cdek/order-delivered.json")),
    );

    let answer = cdek_fixture(&app, "delivered.json").await;

    assert_eq!(answer["state"], "applied", "{answer}");
    assert_eq!(order_row(&app), json!([["completed", "delivered"]]));
    assert_eq!(completed_email(&app), 1);
    let paths: Vec<String> = cdek.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/v2/oauth/token".to_owned(), order_path()]);
}

#[tokio::test]
async fn a_delivered_push_the_api_contradicts_changes_nothing_and_becomes_a_task() {
    let (app, _cdek) = app_with_cdek_api().await;
    cdek_at_pickup_point(&app).await;
    let before = sent(&app);
    // The API still shows the parcel at the pickup point (the mock's default answer).

    let answer = cdek_fixture(&app, "delivered.json").await;

    assert_eq!(answer["state"], "unconfirmed", "{answer}");
    assert_eq!(
        order_row(&app),
        json!([["at-pickup-point", "at-pickup-point"]])
    );
    let after = sent(&app);
    assert_eq!(
        (after.emails, after.sms, after.outbox),
        (before.emails, before.sms, before.outbox),
        "no C8 email, no SMS"
    );
    assert_eq!(after.tasks, before.tasks + 1, "a task for the manager");
    assert_eq!(completed_email(&app), 0);
    assert_eq!(
        rows(
            &app,
            "SELECT reason, assignee, status FROM tasks WHERE reason = 'deliveries:unconfirmed'"
        ),
        json!([["deliveries:unconfirmed", "role:manager", "open"]])
    );
    let history = rows(
        &app,
        "SELECT outcome, reason FROM order_history
         WHERE field = 'delivery_status' ORDER BY id DESC LIMIT 1",
    );
    assert_eq!(history[0][0], "refused");
    assert!(
        history[0][1]
            .as_str()
            .is_some_and(|r| r.contains("at-pickup-point")),
        "{history}"
    );
    assert_eq!(
        rows(
            &app,
            "SELECT carrier_status, state FROM deliveries ORDER BY id DESC LIMIT 1"
        ),
        json!([["DELIVERED", "unconfirmed"]])
    );
    // The next tick polls the parcel at once and applies what the API says: still at the
    // pickup point, so nothing changes and nothing is sent.
    let tick = app.tick_after(60).await;
    assert_eq!(tick["cdek_parcels_polled"]["unchanged"], 1, "{tick}");
    assert_eq!(sent(&app), after);
}

#[tokio::test]
async fn a_delivered_push_while_the_api_is_down_waits_for_the_poll() {
    let (app, cdek) = app_with_cdek_api().await;
    cdek_at_pickup_point(&app).await;
    cdek.respond_on("POST", "/v2/oauth/token", Responder::status(503));

    let answer = cdek_fixture(&app, "delivered.json").await;

    assert_eq!(answer["state"], "unconfirmed", "{answer}");
    assert_eq!(
        order_row(&app),
        json!([["at-pickup-point", "at-pickup-point"]])
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks WHERE reason = 'deliveries:unconfirmed'"),
        0,
        "an outage is no reason to suspect the token"
    );
    // CDEK's API is back and shows the parcel delivered: the next tick applies it, once.
    cdek.respond_on(
        "POST",
        "/v2/oauth/token",
        Responder::status(200).body(raw("cdek/oauth-token.json")),
    );
    cdek.respond_on(
        "GET",
        &order_path(),
        Responder::status(200).body(raw("cdek/order-delivered.json")),
    );

    let tick = app.tick_after(60).await;

    assert_eq!(tick["cdek_parcels_polled"]["new_statuses"], 1, "{tick}");
    assert_eq!(order_row(&app), json!([["completed", "delivered"]]));
    assert_eq!(completed_email(&app), 1);
}

#[tokio::test]
async fn without_api_credentials_a_delivered_push_is_applied_on_its_token() {
    let app = TestApp::start().await;
    cdek_at_pickup_point(&app).await;

    let answer = cdek_fixture(&app, "delivered.json").await;

    assert_eq!(answer["state"], "applied", "{answer}");
    assert_eq!(order_row(&app), json!([["completed", "delivered"]]));
}

/// A tick sends what is waiting before it polls CDEK: the polls' API calls may take minutes,
/// and a message must not wait for them (nor outlive its lease behind them).
#[tokio::test]
async fn the_tick_sends_waiting_messages_before_it_polls_cdek() {
    let (app, cdek) = app_with_cdek_api().await;
    // The email provider is down while the order is created: its thank-you email waits.
    app.email_api.respond(Responder::status(503));
    cdek_handed_over(&app, None).await;
    let first_email = "SELECT status FROM outbox WHERE channel = 'email' ORDER BY id LIMIT 1";
    assert_eq!(app.query(first_email), vec![vec![json!("pending")]]);
    app.email_api
        .respond(crate::support::postmark_ok("pm-after-outage"));
    let gate = orderpath_harness::Gate::new();
    cdek.respond_on(
        "GET",
        &order_path(),
        Responder::held(
            &gate,
            Responder::status(200).body(raw("cdek/order-at-pickup-point.json")),
        ),
    );

    app.clock.advance(std::time::Duration::from_secs(QUIET));
    let harness = app.app.clone();
    let tick = tokio::spawn(async move {
        harness
            .request(crate::support::tick_request(Some(
                crate::support::CRON_TOKEN,
            )))
            .await
            .expect("tick")
    });
    gate.reached(1).await;

    // The poll is still waiting for CDEK, and the waiting email has already gone.
    assert_eq!(app.query(first_email), vec![vec![json!("sent")]]);
    gate.open();
    let response = tick.await.expect("tick task");
    assert_eq!(response.status, 200, "{}", response.text());
    let tick = json_of(&response);
    assert_eq!(tick["messages"]["sent"], 1, "{tick}");
    assert_ne!(tick["cdek_parcels_polled"], "off", "{tick}");
}

/// CDEK's OAuth token is kept in the key-value store (until two minutes before CDEK says it
/// expires), so a confirmation shortly after a poll asks for the order only.
#[tokio::test]
async fn a_token_from_one_request_serves_the_next_from_the_key_value_store() {
    let (app, cdek) = app_with_cdek_api().await;
    cdek_handed_over(&app, None).await;
    choose_pickup_point(&app).await;
    let tick = app.tick_after(QUIET).await;
    assert_eq!(tick["cdek_parcels_polled"]["new_statuses"], 1, "{tick}");
    cdek.respond_on(
        "GET",
        &order_path(),
        Responder::status(200).body(raw("cdek/order-delivered.json")),
    );

    let answer = cdek_fixture(&app, "delivered.json").await;

    assert_eq!(answer["state"], "applied", "{answer}");
    assert_eq!(completed_email(&app), 1);
    let requests = cdek.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/v2/oauth/token", &order_path(), &order_path()],
        "one token for the poll and the confirmation"
    );
    assert_eq!(
        requests[2].header("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    let kept = key_value_entries(&app);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        !kept[0].contains(CLIENT_SECRET) && !kept[0].contains(CLIENT_ID),
        "the key names the account by digest: {kept:?}"
    );
}

/// A kept token CDEK no longer takes (401) is dropped, and the order asked for once more
/// with a new one.
#[tokio::test]
async fn a_kept_token_cdek_refuses_is_replaced_and_the_call_made_once_more() {
    let (app, cdek) = app_with_cdek_api().await;
    cdek_handed_over(&app, None).await;
    choose_pickup_point(&app).await;
    app.tick_after(QUIET).await;
    // CDEK revoked the kept token; a new one is accepted.
    cdek.respond_on(
        "POST",
        "/v2/oauth/token",
        Responder::status(200).json(json!({ "access_token": "fresh-token", "expires_in": 3599 })),
    );
    let delivered = raw("cdek/order-delivered.json");
    cdek.respond_on(
        "GET",
        &order_path(),
        Responder::computed(move |request| {
            if request.header("authorization") == Some("Bearer fresh-token") {
                Responder::status(200).body(delivered.clone())
            } else {
                Responder::status(401).json(json!({ "errors": [{ "code": "invalid_token" }] }))
            }
        }),
    );

    let answer = cdek_fixture(&app, "delivered.json").await;

    assert_eq!(answer["state"], "applied", "{answer}");
    assert_eq!(completed_email(&app), 1);
    let statuses: Vec<(String, Option<String>)> = cdek
        .requests()
        .iter()
        .skip(2)
        .map(|r| (r.path.clone(), r.header("authorization").map(str::to_owned)))
        .collect();
    assert_eq!(
        statuses,
        [
            (order_path(), Some(format!("Bearer {ACCESS_TOKEN}"))),
            ("/v2/oauth/token".to_owned(), None),
            (order_path(), Some("Bearer fresh-token".to_owned())),
        ]
    );
}

/// The key-value store holds nothing the app cannot do without: emptied between requests,
/// the next one asks for a new token and everything else happens exactly once.
#[tokio::test]
async fn an_emptied_key_value_store_costs_one_token_call_and_nothing_else() {
    let (app, cdek) = app_with_cdek_api().await;
    cdek_handed_over(&app, None).await;
    choose_pickup_point(&app).await;
    app.tick_after(QUIET).await;
    assert_eq!(key_value_entries(&app).len(), 1);
    clear_key_value_store(&app);
    cdek.respond_on(
        "GET",
        &order_path(),
        Responder::status(200).body(raw("cdek/order-delivered.json")),
    );

    let answer = cdek_fixture(&app, "delivered.json").await;
    let again = cdek_fixture(&app, "delivered.json").await;

    assert_eq!(answer["state"], "applied", "{answer}");
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(completed_email(&app), 1);
    assert_eq!(pickup_sms(&app), 1);
    let paths: Vec<String> = cdek.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/v2/oauth/token".to_owned(),
            order_path(),
            "/v2/oauth/token".to_owned(),
            order_path()
        ]
    );
}

/// The keys in the app's key-value store.
fn key_value_entries(app: &TestApp) -> Vec<String> {
    let conn = rusqlite::Connection::open(app.app.state_dir().join("sqlite_key_value.db"))
        .expect("key-value store");
    let mut statement = conn
        .prepare("SELECT key FROM spin_key_value ORDER BY key")
        .expect("prepare");
    statement
        .query_map([], |row| row.get::<_, String>(0))
        .expect("query")
        .map(|key| key.expect("key"))
        .collect()
}

fn clear_key_value_store(app: &TestApp) {
    let conn = rusqlite::Connection::open(app.app.state_dir().join("sqlite_key_value.db"))
        .expect("key-value store");
    conn.execute("DELETE FROM spin_key_value", [])
        .expect("emptied");
}
