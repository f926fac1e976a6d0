//! The key-value store in Redis, as a shop that scales out runs it
//! (`[key_value_store.default] type = "redis"` in Spin's runtime configuration): the only
//! thing kept there, CDEK's OAuth token, serves the next request from Redis; a flushed or
//! unreachable Redis costs token calls and nothing else.
//!
//! Each test starts its own `redis-server` (`RedisServer`, Debian's package; `.ci/run`
//! installs it): without one the tests fail, saying so.
//!
//! The journey, the same in every test, within the token's hour: A-1001 at CDEK's pickup point
//! (by CDEK's webhooks); a "delivered" push the API contradicts (a confirmation call: the
//! parcel is still at the point); something may happen to Redis; the next tick polls the parcel
//! at once (unchanged); CDEK's API shows it delivered and a later "delivered" push is confirmed
//! (C8 goes out); that push is repeated (a duplicate, no call).

use orderpath_harness::{redis_server, MockServer, RedisServer, Responder};
use serde_json::{json, Value};

use crate::scenarios::delivery::{
    cdek_at_pickup_point, cdek_body, cdek_fixture, cdek_with_status, raw, CDEK_UUID, ORDER,
};
use crate::support::{sms_sent, TestApp};

const CLIENT_ID: &str = "cdek-redis-account";
const CLIENT_SECRET: &str = "cdek-redis-secure-password";
const ACCESS_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.test-cdek-access-token.c2lnbmF0dXJl";
const TOKEN: &str = "/v2/oauth/token";

fn order_path() -> String {
    format!("/v2/orders/{CDEK_UUID}")
}

/// The app with CDEK API credentials, a CDEK API mock, and its `default` key-value store in
/// the Redis at `redis_url` by a runtime configuration file.
async fn app_on_redis(redis_url: &str) -> (TestApp, MockServer) {
    let cdek = MockServer::start().await;
    cdek.respond_on(
        "POST",
        TOKEN,
        Responder::status(200).body(raw("cdek/oauth-token.json")),
    );
    cdek.respond_on(
        "GET",
        &order_path(),
        Responder::status(200).body(raw("cdek/order-at-pickup-point.json")),
    );
    let rc = tempfile::NamedTempFile::new().expect("runtime config");
    std::fs::write(
        rc.path(),
        format!("[key_value_store.default]\ntype = \"redis\"\nurl = \"{redis_url}\"\n"),
    )
    .expect("write runtime config");
    let url = cdek.url();
    let app = TestApp::start_with(|b| {
        b.variable("cdek_client_id", CLIENT_ID)
            .variable("cdek_client_secret", CLIENT_SECRET)
            .variable("cdek_api_url", url)
            .runtime_config_file(rc.path())
    })
    .await;
    assert_eq!(
        app.app.key_value_backends()[0].0,
        "default",
        "the runtime configuration puts `default` in Redis"
    );
    (app, cdek)
}

/// What a journey left: every answer, row and message, but not the calls to CDEK's API.
#[derive(Debug, PartialEq)]
struct Outcome {
    answers: Vec<Value>,
    orders: Value,
    deliveries: Value,
    polls: Value,
    outbox: Value,
    tasks: Value,
    inbound_events: i64,
    sms: Vec<(String, String)>,
    emails: Vec<String>,
}

/// Runs the journey; `after_confirmation` acts on Redis after the first call to CDEK's API.
async fn journey(app: &TestApp, cdek: &MockServer, after_confirmation: impl FnOnce()) -> Outcome {
    cdek_at_pickup_point(app).await;
    let mut answers = vec![cdek_fixture(app, "delivered.json").await];
    after_confirmation();
    answers.push(app.tick_after(60).await["cdek_parcels_polled"].clone());
    cdek.respond_on(
        "GET",
        &order_path(),
        Responder::status(200).body(raw("cdek/order-delivered.json")),
    );
    let later = cdek_with_status("delivered.json", "DELIVERED", "2026-11-25T16:30:00+0300");
    answers.push(cdek_body(app, later.clone()).await);
    answers.push(cdek_body(app, later).await);
    let rows = |sql: &str| json!(app.query(sql));
    Outcome {
        answers,
        orders: rows("SELECT id, status, delivery_status FROM orders ORDER BY id"),
        deliveries: rows(
            "SELECT carrier, carrier_status, status, state, order_id FROM deliveries ORDER BY id",
        ),
        polls: rows("SELECT parcel, order_id, failures, last_error FROM carrier_polls"),
        outbox: rows("SELECT channel, template, recipient, status FROM outbox ORDER BY id"),
        tasks: rows("SELECT reason, status FROM tasks ORDER BY id"),
        inbound_events: app.count("SELECT COUNT(*) FROM inbound_events"),
        sms: sms_sent(app),
        emails: app
            .sent_emails()
            .iter()
            .map(|e| e["Subject"].as_str().unwrap_or_default().to_owned())
            .collect(),
    }
}

/// The paths CDEK's API was asked for, in order.
fn calls(cdek: &MockServer) -> Vec<String> {
    cdek.requests().iter().map(|r| r.path.clone()).collect()
}

/// The calls of a journey whose token was kept throughout: one token, three order reads.
fn kept_throughout() -> Vec<String> {
    vec![TOKEN.into(), order_path(), order_path(), order_path()]
}

/// What the journey must leave, whatever Redis did.
fn assert_journey_done(outcome: &Outcome) {
    assert_eq!(
        outcome.answers[0]["state"], "unconfirmed",
        "{:?}",
        outcome.answers
    );
    assert_eq!(outcome.answers[1]["unchanged"], 1, "{:?}", outcome.answers);
    assert_eq!(
        outcome.answers[2]["state"], "applied",
        "{:?}",
        outcome.answers
    );
    assert_eq!(
        outcome.answers[3]["duplicate"], true,
        "{:?}",
        outcome.answers
    );
    assert_eq!(
        outcome.orders,
        json!([[ORDER, "completed", "delivered"]]),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn the_cdek_token_is_kept_in_redis_under_a_digest_and_serves_the_next_requests() {
    let redis = RedisServer::start();
    let (app, cdek) = app_on_redis(&redis.url()).await;

    let outcome = journey(&app, &cdek, || {}).await;

    assert_journey_done(&outcome);
    assert_eq!(
        calls(&cdek),
        kept_throughout(),
        "one token for the confirmations and the poll"
    );
    let authorizations: Vec<Option<String>> = cdek
        .requests()
        .iter()
        .skip(1)
        .map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(
        authorizations,
        vec![Some(format!("Bearer {ACCESS_TOKEN}")); 3]
    );
    let keys = redis.keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].starts_with("cdek-token:"), "{keys:?}");
    let api_host = cdek.url().replace("http://", "");
    for secret in [CLIENT_ID, CLIENT_SECRET, ACCESS_TOKEN, api_host.as_str()] {
        assert!(
            !keys[0].contains(secret),
            "the key names the account by digest: {keys:?}"
        );
    }
    let kept: Value =
        serde_json::from_slice(&redis.get(&keys[0]).expect("the token")).expect("JSON");
    assert_eq!(kept["token"], ACCESS_TOKEN, "{kept}");
    assert!(
        !app.app.state_dir().join("sqlite_key_value.db").exists(),
        "nothing went to Spin's SQLite store"
    );
}

#[tokio::test]
async fn a_flushed_redis_costs_one_token_call_and_nothing_is_lost_or_repeated() {
    let (kept_redis, flushed_redis) = (RedisServer::start(), RedisServer::start());
    let (kept_app, kept_cdek) = app_on_redis(&kept_redis.url()).await;
    let (app, cdek) = app_on_redis(&flushed_redis.url()).await;

    let (kept, flushed) = tokio::join!(
        journey(&kept_app, &kept_cdek, || {}),
        journey(&app, &cdek, || {
            assert_eq!(flushed_redis.keys().len(), 1, "the token is in Redis");
            flushed_redis.flush_all();
        }),
    );

    assert_journey_done(&flushed);
    assert_eq!(flushed, kept, "the same answers, rows and messages");
    assert_eq!(calls(&kept_cdek), kept_throughout());
    assert_eq!(
        calls(&cdek),
        [
            TOKEN.into(),
            order_path(),
            TOKEN.into(),
            order_path(),
            order_path()
        ],
        "the poll after the flush asks for a token once; the next confirmation reuses it"
    );
    assert_eq!(flushed_redis.keys().len(), 1, "the new token is kept again");
}

#[tokio::test]
async fn with_redis_down_the_app_works_and_only_asks_cdek_for_more_tokens() {
    let redis = RedisServer::start();
    let unreachable = redis_server::unreachable_url().expect("a free port");
    let (kept_app, kept_cdek) = app_on_redis(&redis.url()).await;
    let (app, cdek) = app_on_redis(&unreachable).await;

    let (kept, down) = tokio::join!(
        journey(&kept_app, &kept_cdek, || {}),
        journey(&app, &cdek, || {}),
    );

    assert_journey_done(&down);
    assert_eq!(down, kept, "the same answers, rows and messages");
    assert_eq!(
        calls(&cdek),
        [
            TOKEN.into(),
            order_path(),
            TOKEN.into(),
            order_path(),
            TOKEN.into(),
            order_path()
        ],
        "every request that needs CDEK's API asks for its own token"
    );
    let notes: String = ["scheduler", "cron-tick", "delivery-events"]
        .into_iter()
        .map(|component| app.app.guest_output(component))
        .collect();
    assert!(notes.contains("key-value error: "), "{notes}");
}

/// A tick with no parcel to poll does not open the store at all, so a Redis that is down
/// (which Spin keeps retrying for minutes) costs it nothing.
#[tokio::test]
async fn a_tick_with_nothing_to_poll_never_opens_the_store() {
    let unreachable = redis_server::unreachable_url().expect("a free port");
    let (app, cdek) = app_on_redis(&unreachable).await;

    let report = app.tick_after(60).await;

    assert!(report.is_object(), "{report}");
    assert!(calls(&cdek).is_empty(), "{:?}", calls(&cdek));
    let notes: String = ["scheduler", "cron-tick"]
        .into_iter()
        .map(|component| app.app.guest_output(component))
        .collect();
    assert!(!notes.contains("key-value error"), "{notes}");
}
