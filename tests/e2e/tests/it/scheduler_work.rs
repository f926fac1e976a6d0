//! The scheduler tick's trigger work: status time limits (P3) and timers (O5), exactly once
//! even when ticks overlap; and a broken configuration stops the app loudly.

use serde_json::json;

use crate::support::{fixture, json_of, tick_request, TestApp, CRON_TOKEN};

/// The shipped manifest with its `[[trigger.cron]]` switched on, as README.md describes.
fn with_cron_trigger(manifest: String) -> String {
    let commented =
        "# [[trigger.cron]]\n# component = \"cron-tick\"\n# cron_expression = \"0 * * * * *\"\n";
    assert!(
        manifest.contains(commented),
        "spin.toml carries the cron trigger block"
    );
    manifest.replacen(commented, &commented.replace("# ", ""), 1)
}

#[tokio::test]
async fn the_cron_plugin_runs_the_same_tick_as_the_http_scheduler() {
    let dir = crate::support::app_copy(with_cron_trigger, |_| {});
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;
    assert_eq!(
        app.post_event("evt-1", &fixture("orders/created.json"))
            .await
            .status,
        201
    );
    let invoice = json!({ "type": "order.status_changed",
        "data": { "order_id": "A-1001", "status": "invoice-sent" } });
    assert_eq!(app.post_event("evt-2", &invoice).await.status, 200);
    let emails_before = app.sent_emails().len();

    app.clock
        .advance(std::time::Duration::from_secs(2 * 24 * 3600));
    let first = app.app.fire_cron("cron-tick").await.expect("runs");
    let second = app.app.fire_cron("cron-tick").await.expect("runs");
    app.app.wait_idle().await;

    assert_eq!((first, second), (Ok(()), Ok(())));
    assert_eq!(
        app.query("SELECT status FROM timers"),
        vec![vec![json!("fired")]]
    );
    assert_eq!(
        app.sent_emails().len(),
        emails_before + 1,
        "one payment reminder"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks WHERE reason = 'o5-invoice-unpaid'"),
        1
    );
    let log = app.app.guest_output("cron-tick");
    assert!(log.contains("\"timers_fired\":1"), "{log}");
}

#[tokio::test]
async fn the_cron_component_refuses_to_run_a_broken_configuration() {
    let dir = crate::support::app_copy(with_cron_trigger, |config| {
        std::fs::write(config.join("triggers.toml"), "[[trigger]]\nid = 1\n").expect("write");
    });
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;

    let outcome = app.app.fire_cron("cron-tick").await.expect("runs");

    let error = outcome.expect_err("the guest reports the failure");
    assert!(error.contains("configuration_invalid"), "{error}");
    assert!(error.contains("triggers.toml"), "{error}");
}

async fn app_with_order_for(manager: Option<&str>) -> TestApp {
    let app = TestApp::start().await;
    let mut event = fixture("orders/created.json");
    event["data"]["manager"] = json!(manager);
    let response = app.post_event("evt-1", &event).await;
    assert_eq!(response.status, 201, "{}", response.text());
    app
}

fn staff_notes(app: &TestApp) -> Vec<Vec<serde_json::Value>> {
    app.query("SELECT channel, recipient, template FROM outbox WHERE channel != 'email' OR template LIKE 'staff%' ORDER BY id")
}

#[tokio::test]
async fn new_order_left_alone_is_marked_overdue_and_the_manager_reminded_until_it_moves() {
    // Tuesday 10:00 Moscow: the shop is open, a new order may wait 10 working minutes.
    let app = app_with_order_for(Some("m.ivanova")).await;

    assert_eq!(app.tick_after(5 * 60).await["overdue_reminders"], 0);
    assert!(staff_notes(&app).is_empty());

    assert_eq!(app.tick_after(6 * 60).await["overdue_reminders"], 1);
    assert_eq!(
        app.query("SELECT json_extract(fields, '$.overdue') FROM orders"),
        vec![vec![json!(1)]]
    );
    assert_eq!(
        staff_notes(&app),
        vec![vec![
            json!("telegram"),
            json!("100000001"),
            json!("staff-note")
        ]]
    );
    // Not again on the next minute; again after reminder_every (10 working minutes).
    assert_eq!(app.tick_after(60).await["overdue_reminders"], 0);
    assert_eq!(app.tick_after(10 * 60).await["overdue_reminders"], 1);
    assert_eq!(staff_notes(&app).len(), 2);

    // Once the order moves on, the reminders stop.
    let confirm = fixture("orders/status_confirmed.json");
    assert_eq!(app.post_event("evt-2", &confirm).await.status, 200);
    assert_eq!(app.tick_after(60 * 60).await["overdue_reminders"], 0);
    assert_eq!(staff_notes(&app).len(), 2);
}

#[tokio::test]
async fn time_limits_count_working_hours_only() {
    let app = TestApp::start().await;
    // Tuesday 20:00 Moscow (17:00Z): the shop closed at 18:00.
    app.clock.set(crate::support::START + 10 * 3600);
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;

    // All night long nothing is overdue (08:00 next morning here); the limit runs out at
    // 09:10, ten working minutes after opening.
    assert_eq!(app.tick_after(12 * 3600).await["overdue_reminders"], 0);
    assert_eq!(app.tick_after(69 * 60).await["overdue_reminders"], 0);
    assert_eq!(app.tick_after(2 * 60).await["overdue_reminders"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_ticks_remind_once() {
    let app = app_with_order_for(Some("m.ivanova")).await;
    app.clock.advance(std::time::Duration::from_secs(11 * 60));

    let ticks: Vec<_> = (0..3)
        .map(|_| {
            let harness = app.app.clone();
            tokio::spawn(async move { harness.request(tick_request(Some(CRON_TOKEN))).await })
        })
        .collect();
    let mut reminded = 0;
    for tick in ticks {
        let response = tick.await.expect("task").expect("tick");
        assert_eq!(response.status, 200, "{}", response.text());
        reminded += json_of(&response)["overdue_reminders"]
            .as_i64()
            .expect("count");
    }
    app.app.wait_idle().await;

    assert_eq!(reminded, 1);
    assert_eq!(staff_notes(&app).len(), 1);
}

#[tokio::test]
async fn unpaid_invoice_is_followed_up_when_its_timer_fires() {
    let app = app_with_order_for(Some("m.ivanova")).await;
    let invoice = json!({ "type": "order.status_changed",
        "data": { "order_id": "A-1001", "status": "invoice-sent" } });
    assert_eq!(app.post_event("evt-2", &invoice).await.status, 200);
    assert_eq!(
        app.query("SELECT name, status, fire_at FROM timers"),
        vec![vec![
            json!("o5-invoice-check"),
            json!("pending"),
            json!("2026-11-26T07:00:00Z")
        ]]
    );
    let emails_before = app.sent_emails().len();

    assert_eq!(app.tick_after(24 * 3600).await["timers_fired"], 0);
    let report = app.tick_after(24 * 3600).await;

    assert_eq!(report["timers_fired"], 1);
    assert_eq!(
        app.query("SELECT status FROM timers"),
        vec![vec![json!("fired")]]
    );
    let emails = app.sent_emails();
    assert_eq!(emails.len(), emails_before + 1, "one payment reminder");
    assert_eq!(
        emails.last().expect("email")["To"],
        "\"Анна Петрова\" <anna.petrova@example.com>"
    );
    assert_eq!(
        app.query("SELECT reason, assignee, status FROM tasks"),
        vec![vec![
            json!("o5-invoice-unpaid"),
            json!("staff:m.ivanova"),
            json!("open")
        ]]
    );
    // A timer fires once.
    assert_eq!(app.tick_after(3600).await["timers_fired"], 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM tasks"), 1);
}

#[tokio::test]
async fn paid_invoice_needs_no_follow_up() {
    let app = app_with_order_for(Some("m.ivanova")).await;
    for (id, status) in [("evt-2", "invoice-sent"), ("evt-3", "payment-received")] {
        let event = json!({ "type": "order.status_changed",
            "data": { "order_id": "A-1001", "status": status } });
        assert_eq!(app.post_event(id, &event).await.status, 200);
    }
    let emails_before = app.sent_emails().len();

    app.tick_after(3 * 24 * 3600).await;

    assert_eq!(
        app.sent_emails().len(),
        emails_before,
        "no payment reminder"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tasks WHERE reason = 'o5-invoice-unpaid'"),
        0
    );
}

/// A copy of the app whose configuration has a mistake in it.
pub(crate) fn broken_app_dir() -> tempfile::TempDir {
    crate::support::app_with_config(|config| {
        let triggers = config.join("triggers.toml");
        let text = std::fs::read_to_string(&triggers).expect("triggers");
        let broken = text.replacen(
            "template = \"order-created\"",
            "template = \"order-craeted\"",
            1,
        );
        std::fs::write(&triggers, broken).expect("write");
    })
}

#[tokio::test]
async fn a_broken_configuration_refuses_to_process_and_says_why() {
    let dir = broken_app_dir();
    let manifest = dir.path().join("spin.toml");
    let app = TestApp::start_from(&manifest, |b| b).await;

    let response = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;

    assert_eq!(response.status, 503, "{}", response.text());
    let error = &json_of(&response)["error"];
    assert_eq!(error["code"], "configuration_invalid");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains("config/triggers.toml") && message.contains("order-craeted"),
        "{message}"
    );
    assert_eq!(app.footprint(), (0, 0, 0), "nothing recorded, nothing sent");
    assert_eq!(app.send(tick_request(Some(CRON_TOKEN))).await.status, 503);
}

/// The order webhook's answer to a new order under a configuration that `edit` changes.
async fn answer_under(edit: impl FnOnce(&std::path::Path)) -> (u16, String) {
    let dir = crate::support::app_with_config(edit);
    let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;
    let response = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM orders"),
        0,
        "nothing stored"
    );
    (response.status.as_u16(), response.text())
}

#[tokio::test]
async fn a_missing_or_unreadable_configuration_file_is_named_in_the_refusal() {
    let (status, text) = answer_under(|config| {
        std::fs::remove_file(config.join("statuses.toml")).expect("remove");
    })
    .await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("statuses.toml"), "{text}");

    let (status, text) = answer_under(|config| {
        std::fs::write(config.join("templates/en.toml"), b"x = \"\xff\"\n").expect("write");
    })
    .await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("en.toml"), "{text}");
}

/// The components read only what `spin build` compiled: an app whose configuration was never
/// compiled (or whose compiled file is damaged) refuses to work and says what to run.
#[tokio::test]
async fn an_uncompiled_or_damaged_configuration_is_refused_with_what_to_run() {
    let dir = crate::support::app_with_config(|_| {});
    let compiled = dir.path().join("target/config/compiled.json");
    let whole = std::fs::read(&compiled).expect("compiled");
    let answer = || async {
        let app = TestApp::start_from(&dir.path().join("spin.toml"), |b| b).await;
        let response = app
            .post_event("evt-1", &fixture("orders/created.json"))
            .await;
        (response.status.as_u16(), response.text(), app.footprint())
    };

    std::fs::remove_file(&compiled).expect("remove");
    let (status, text, footprint) = answer().await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("not compiled: `spin build`"), "{text}");
    assert_eq!(footprint, (0, 0, 0));

    std::fs::write(&compiled, &whole[..1000]).expect("damage");
    let (status, text, footprint) = answer().await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("cannot be read"), "{text}");
    assert!(text.contains("run `spin build` again"), "{text}");
    assert_eq!(footprint, (0, 0, 0));

    // Compiled again, the same event goes through.
    std::fs::write(&compiled, &whole).expect("restore");
    let (status, text, footprint) = answer().await;
    assert_eq!(status, 201, "{text}");
    assert_eq!(footprint.0, 1);
}

#[tokio::test]
async fn a_broken_single_template_file_is_named_too() {
    let (status, text) = answer_under(|config| {
        let dir = config.join("templates/ru");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let broken = "kind = \"email\"\nsubject = \"Заказ\"\ntext = \"{% if order.id %}\"\n";
        std::fs::write(dir.join("order-created.toml"), broken).expect("write");
    })
    .await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("order-created"), "{text}");
}

/// A redelivery is answered from what is stored before the configuration is read: a shop that
/// deploys a broken configuration still acknowledges the retries of what it had accepted.
#[tokio::test]
async fn a_redelivery_gets_its_stored_answer_even_under_a_broken_configuration() {
    let state = tempfile::tempdir().expect("state");
    let good = TestApp::start_with(|b| b.state_dir(state.path())).await;
    let first = good
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    assert_eq!(first.status, 201, "{}", first.text());
    // The same database, redeployed with a broken configuration.
    let dir = broken_app_dir();
    let broken =
        TestApp::start_from(&dir.path().join("spin.toml"), |b| b.state_dir(state.path())).await;

    let again = broken
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    let mut other = fixture("orders/created.json");
    other["data"]["order_id"] = serde_json::json!("A-2002");
    let new = broken.post_event("evt-2", &other).await;

    assert_eq!(again.status, 201, "{}", again.text());
    assert_eq!(again.text(), first.text());
    assert_eq!(new.status, 503, "{}", new.text());
    assert_eq!(broken.count("SELECT COUNT(*) FROM orders"), 1);
}
