//! Scenario C1: an order-created event makes a thank-you email, queued in the outbox in the
//! order's transaction and then sent through the email API. Failures leave it pending.

use orderpath_harness::Responder;
use serde_json::{json, Value};

use crate::support::{fixture, TestApp, POSTMARK_TOKEN, SECRET};

#[tokio::test]
async fn thank_you_email_lists_items_sums_contacts_and_next_steps() {
    let app = TestApp::start().await;

    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;

    let requests = app.email_requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/email");
    assert_eq!(
        request.header("x-postmark-server-token"),
        Some(POSTMARK_TOKEN)
    );
    let email = request.json().expect("json");
    assert_eq!(email["To"], "\"Анна Петрова\" <anna.petrova@example.com>");
    assert_eq!(email["From"], "\"Чайная лавка\" <orders@tea.example>");
    assert_eq!(email["MessageStream"], "outbound");
    assert_eq!(
        email.get("Headers"),
        None,
        "an order email has no List-Unsubscribe"
    );
    let subject = email["Subject"].as_str().expect("subject");
    assert!(
        subject.contains("A-1001") && subject.contains("Спасибо"),
        "{subject}"
    );
    let text = email["TextBody"].as_str().expect("text");
    for expected in [
        "Анна",
        "Чай улун, 100 г",
        "Чашка <глиняная>",
        "900,00 ₽", // 2 × 450,00
        "1 200,00 ₽",
        "300,00 ₽",   // delivery
        "2 400,00 ₽", // total
        "+7 495 123-45-67",
        "hello@tea.example",
        "Пн–Пт 09:00–18:00",
    ] {
        assert!(
            text.contains(expected),
            "text body lacks {expected:?}:\n{text}"
        );
    }
    let html = email["HtmlBody"].as_str().expect("html");
    assert!(
        html.contains("Чашка &lt;глиняная&gt;"),
        "HTML escapes item names"
    );
    assert!(!html.contains("<глиняная>"));
}

#[tokio::test]
async fn sent_email_is_recorded_in_the_outbox_with_the_provider_id() {
    let app = TestApp::start().await;

    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;

    assert_eq!(
        app.query(
            "SELECT order_id, channel, template, recipient, status, attempts, provider,
                    provider_message_id, last_error, sent_at IS NOT NULL, headers
             FROM outbox"
        ),
        vec![vec![
            json!("A-1001"),
            json!("email"),
            json!("order-created"),
            json!("anna.petrova@example.com"),
            json!("sent"),
            json!(1),
            json!("postmark"),
            json!("pm-msg-1"),
            json!(null),
            json!(1),
            json!(null),
        ]]
    );
    assert_eq!(
        app.query("SELECT provider, outcome, http_status, error FROM outbox_attempts"),
        vec![vec![
            json!("postmark"),
            json!("sent"),
            json!(null),
            json!(null)
        ]]
    );
}

#[tokio::test]
async fn no_email_address_means_no_email_and_no_outbox_row() {
    let app = TestApp::start().await;

    let response = app
        .post_event("evt-1", &fixture("orders/created_phone_only.json"))
        .await;

    assert_eq!(response.status, 201);
    assert!(app.sent_emails().is_empty());
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox"), 0);
}

async fn pending_after(app: &TestApp) -> Vec<Value> {
    let response = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    // The shop's event is accepted whatever the email API does.
    assert_eq!(response.status, 201, "{}", response.text());
    app.query(
        "SELECT status, attempts, last_error, next_attempt_at > '2026-11-24T07:00:00Z'
         FROM outbox",
    )
    .into_iter()
    .next()
    .expect("one outbox row")
}

#[tokio::test]
async fn provider_outage_leaves_the_email_pending_with_the_error() {
    let app = TestApp::start().await;
    app.email_api
        .respond(Responder::status(503).body("upstream down"));

    let row = pending_after(&app).await;

    assert_eq!(row[0], "pending");
    assert_eq!(row[1], 1);
    assert!(row[2].as_str().expect("error").contains("503"), "{row:?}");
    assert_eq!(row[3], 1, "the next attempt is scheduled later");
    assert_eq!(
        app.query("SELECT outcome, http_status FROM outbox_attempts"),
        vec![vec![json!("retryable"), json!(503)]]
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 1);
}

#[tokio::test]
async fn provider_that_hangs_times_out_and_the_email_stays_pending() {
    let app = TestApp::start().await;
    app.email_api.respond(Responder::hang());

    let row = pending_after(&app).await;

    assert_eq!(row[0], "pending");
    assert!(
        row[2].as_str().expect("error").contains("timed out"),
        "{row:?}"
    );
    assert_eq!(app.email_requests().len(), 1);
}

#[tokio::test]
async fn provider_dropping_the_connection_leaves_the_email_pending() {
    let app = TestApp::start().await;
    app.email_api.respond(Responder::close());

    let row = pending_after(&app).await;

    assert_eq!(row[0], "pending");
    assert_eq!(row[3], 1);
}

#[tokio::test]
async fn refused_address_marks_the_email_failed_with_the_providers_reason() {
    let app = TestApp::start().await;
    app.email_api.respond(Responder::status(422).json(json!({
        "ErrorCode": 300, "Message": "Invalid 'To' address: 'anna.petrova@example.com'."
    })));

    let row = pending_after(&app).await;

    assert_eq!(row[0], "failed");
    assert!(
        row[2].as_str().expect("error").contains("ErrorCode 300"),
        "{row:?}"
    );
    assert_eq!(
        app.query("SELECT outcome, http_status FROM outbox_attempts"),
        vec![vec![json!("permanent"), json!(422)]]
    );
}

#[tokio::test]
async fn sendgrid_can_carry_the_email_instead() {
    let sendgrid = orderpath_harness::MockServer::start().await;
    sendgrid.respond(Responder::status(202).header("X-Message-Id", "sg-42"));
    let url = sendgrid.url();
    let app = TestApp::start_with(|b| {
        b.variable("email_provider", "sendgrid")
            .variable("sendgrid_url", url)
            .variable("sendgrid_api_key", "SG.e2e-key")
    })
    .await;

    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;

    assert!(app.sent_emails().is_empty(), "Postmark is not used");
    let requests = sendgrid.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v3/mail/send");
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer SG.e2e-key")
    );
    let body = requests[0].json().expect("json");
    assert_eq!(
        body["personalizations"][0]["to"][0]["email"],
        "anna.petrova@example.com"
    );
    assert_eq!(body["from"]["email"], "orders@tea.example");
    assert_eq!(body["content"][0]["type"], "text/plain");
    assert_eq!(body["content"][1]["type"], "text/html");
    assert_eq!(
        body.get("headers"),
        None,
        "an order email has no extra headers"
    );
    assert_eq!(
        app.query("SELECT status, provider, provider_message_id FROM outbox"),
        vec![vec![json!("sent"), json!("sendgrid"), json!("sg-42")]]
    );
}

#[tokio::test]
async fn english_shops_send_english_email() {
    let app = TestApp::start_with(|b| b.variable("shop_language", "en")).await;

    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;

    let email = &app.sent_emails()[0];
    let subject = email["Subject"].as_str().expect("subject");
    assert!(subject.starts_with("Thank you for your order"), "{subject}");
}

#[tokio::test]
async fn a_customer_who_reads_english_gets_english_from_a_russian_shop() {
    let app = TestApp::start().await;
    let mut event = fixture("orders/created.json");
    event["data"]["customer"]["language"] = json!("en");

    app.post_event("evt-1", &event).await;

    let email = &app.sent_emails()[0];
    let subject = email["Subject"].as_str().expect("subject");
    assert!(subject.starts_with("Thank you for your order"), "{subject}");
    assert_eq!(
        app.query("SELECT language FROM customers"),
        vec![vec![json!("en")]]
    );
    // The next order of the same customer, sent without a language, stays in English.
    let mut next = fixture("orders/created_phone_only.json");
    next["data"]["customer"]["email"] = json!("anna.petrova@example.com");
    app.post_event("evt-2", &next).await;
    let subject = app.sent_emails()[1]["Subject"]
        .as_str()
        .expect("subject")
        .to_owned();
    assert!(subject.starts_with("Thank you for your order"), "{subject}");
}

#[tokio::test]
async fn an_unsupported_customer_language_is_refused() {
    let app = TestApp::start().await;
    let mut event = fixture("orders/created.json");
    event["data"]["customer"]["language"] = json!("fr");

    let response = app.post_event("evt-1", &event).await;

    assert_eq!(response.status, 422);
    assert!(
        response.text().contains("data.customer.language"),
        "{}",
        response.text()
    );
    assert!(app.sent_emails().is_empty());
}

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let app = TestApp::start().await;
    app.email_api.respond(Responder::status(401).json(json!({
        "ErrorCode": 10, "Message": "No Account or Server API tokens were supplied in the HTTP headers."
    })));

    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;

    // The webhook and the sender that made the call on its behalf.
    let logs = app.app.guest_output("order-events") + app.app.guest_output("sender").as_str();
    assert!(!logs.contains(POSTMARK_TOKEN), "{logs}");
    assert!(
        !logs.contains(SECRET.trim_start_matches("whsec_")),
        "{logs}"
    );
    assert_eq!(
        app.query("SELECT status FROM outbox"),
        vec![vec![json!("failed")]]
    );
}

#[tokio::test]
async fn line_breaks_and_control_characters_in_the_name_reach_neither_headers_nor_texts() {
    let app = TestApp::start().await;
    let mut event = fixture("orders/created.json");
    event["data"]["customer"]["name"] = json!("Анна\r\nBcc: all@evil.example\u{7}\tПетрова\n");

    let response = app.post_event("evt-1", &event).await;

    assert_eq!(response.status, 201, "{}", response.text());
    let stored = app.query("SELECT name FROM customers");
    assert_eq!(
        stored,
        vec![vec![json!("Анна Bcc: all@evil.example Петрова")]]
    );
    let email = &app.sent_emails()[0];
    assert_eq!(
        email["To"],
        "\"Анна Bcc: all@evil.example Петрова\" <anna.petrova@example.com>"
    );
    let text = email["TextBody"].as_str().expect("text");
    assert!(
        text.contains("Здравствуйте, Анна Bcc: all@evil.example Петрова!"),
        "{text}"
    );
    for sent in [email["To"].to_string(), text.to_owned()] {
        assert!(!sent.contains('\r') && !sent.contains('\u{7}'), "{sent:?}");
    }
}
