//! Staff sign-in and what each person may do through the staff API: every route without
//! credentials, with wrong ones and with another staff member's; changes recorded with the
//! signed-in person as the actor.

use bytes::Bytes;
use serde_json::{json, Value};

use crate::support::{fixture, json_of, TestApp};
use orderpath_harness::HarnessResponse;

const HOST: &str = "http://orders.shop.example";
/// m.ivanova: a manager. p.sidorov: manager and head of sales (a supervisor).
/// o.kuznetsova: purchasing.
const PASSWORDS: [(&str, &str); 4] = [
    ("m.ivanova", "maria-secret-1"),
    ("p.sidorov", "petr-secret-22"),
    ("o.kuznetsova", "olga-secret-333"),
    ("warehouse", "warehouse-secret-4"),
];

async fn with_staff() -> TestApp {
    let app = TestApp::start().await;
    for (id, password) in PASSWORDS {
        let set = app
            .api(
                "PUT",
                &format!("/api/staff/{id}/password"),
                Some(json!({ "password": password })),
            )
            .await;
        assert_eq!(set.status, 204, "{}", set.text());
    }
    app
}

async fn sign_in(app: &TestApp, staff: &str, password: &str) -> HarnessResponse {
    let request = http::Request::post(format!("{HOST}/api/session"))
        .header("content-type", "application/json")
        .body(Bytes::from(
            json!({ "staff": staff, "password": password }).to_string(),
        ))
        .expect("request");
    app.send(request).await
}

/// Signs in and returns the session cookie (`op_session=…`).
async fn session(app: &TestApp, staff: &str) -> String {
    let password = PASSWORDS
        .iter()
        .find(|(id, _)| *id == staff)
        .expect("staff")
        .1;
    let response = sign_in(app, staff, password).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let cookie = response.header("set-cookie").expect("a cookie");
    cookie.split(';').next().expect("name=value").to_owned()
}

async fn as_cookie(
    app: &TestApp,
    cookie: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> HarnessResponse {
    let request = http::Request::builder()
        .method(method)
        .uri(format!("{HOST}{path}"))
        .header("cookie", cookie)
        .header("content-type", "application/json")
        .body(body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string())))
        .expect("request");
    app.send(request).await
}

/// Every route of the staff API, as (method, path, body).
fn every_route() -> Vec<(&'static str, &'static str, Option<Value>)> {
    vec![
        ("GET", "/api/me", None),
        ("GET", "/api/tasks", None),
        ("POST", "/api/tasks/1/done", None),
        ("GET", "/api/messages", None),
        ("POST", "/api/messages/1/resend", None),
        ("GET", "/api/calls", None),
        ("GET", "/api/reports/calls", None),
        ("GET", "/api/bonuses", None),
        ("GET", "/api/bonuses.csv", None),
        ("GET", "/api/orders", None),
        ("GET", "/api/orders/A-1001", None),
        (
            "POST",
            "/api/orders/A-1001/status",
            Some(json!({ "to": "confirmed" })),
        ),
        (
            "POST",
            "/api/orders/A-1001/flags",
            Some(json!({ "flag": "wrong-phone" })),
        ),
        ("GET", "/api/customers", None),
        ("GET", "/api/customers/1", None),
        ("GET", "/api/analytics/revenue", None),
        (
            "PUT",
            "/api/staff/m.ivanova/password",
            Some(json!({ "password": "0123456789ab" })),
        ),
        ("GET", "/api/staff/me/presence", None),
        (
            "PUT",
            "/api/staff/m.ivanova/presence",
            Some(json!({ "status": "away" })),
        ),
        ("DELETE", "/api/staff/m.ivanova/presence", None),
        ("GET", "/api/replay/triggers", None),
        (
            "POST",
            "/api/replay",
            Some(json!({ "triggers": "[[trigger]]" })),
        ),
        ("GET", "/api/replay/evaluations", None),
    ]
}

/// What must not change when a request is refused.
fn state(app: &TestApp) -> Vec<Vec<Value>> {
    app.query(
        "SELECT (SELECT status FROM orders WHERE id = 'A-1001'),
                (SELECT COUNT(*) FROM order_history), (SELECT COUNT(*) FROM outbox),
                (SELECT COUNT(*) FROM tasks WHERE status = 'open'),
                (SELECT group_concat(password_hash) FROM staff_credentials)",
    )
}

#[tokio::test]
async fn no_route_answers_without_credentials_or_with_wrong_ones() {
    let app = with_staff().await;
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;
    let before = state(&app);
    let wrong = [
        ("cookie", "op_session=not-a-session".to_owned()),
        ("cookie", "op_session=".to_owned()),
        ("authorization", "Bearer not-the-token".to_owned()),
        (
            "authorization",
            "Basic bS5pdmFub3ZhOm1hcmlhLXNlY3JldC0x".to_owned(),
        ),
    ];
    for (method, path, body) in every_route() {
        let none = http::Request::builder()
            .method(method)
            .uri(format!("{HOST}{path}"))
            .header("content-type", "application/json")
            .body(
                body.as_ref()
                    .map_or_else(Bytes::new, |b| Bytes::from(b.to_string())),
            )
            .expect("request");
        let response = app.send(none).await;
        assert_eq!(response.status, 401, "{method} {path}: {}", response.text());
        assert_eq!(json_of(&response)["error"]["code"], "unauthorized");
        for (name, value) in &wrong {
            let request = http::Request::builder()
                .method(method)
                .uri(format!("{HOST}{path}"))
                .header(*name, value)
                .header("content-type", "application/json")
                .body(
                    body.as_ref()
                        .map_or_else(Bytes::new, |b| Bytes::from(b.to_string())),
                )
                .expect("request");
            let response = app.send(request).await;
            assert_eq!(response.status, 401, "{method} {path} with {name}: {value}");
            assert!(!response.text().contains("A-1001"), "nothing leaks");
        }
    }
    assert_eq!(state(&app), before, "nothing changed");
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_cookie_and_stores_no_secret() {
    let app = with_staff().await;

    let wrong = sign_in(&app, "m.ivanova", "not-her-password").await;
    let unknown = sign_in(&app, "nobody", "maria-secret-1").await;
    let right = sign_in(&app, "m.ivanova", "maria-secret-1").await;

    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(
        wrong.text(),
        unknown.text(),
        "an unknown id looks like a wrong password"
    );
    assert!(wrong.header("set-cookie").is_none());
    assert_eq!(right.status, 200, "{}", right.text());
    assert_eq!(json_of(&right)["staff"]["id"], "m.ivanova");
    assert_eq!(json_of(&right)["staff"]["supervisor"], false);
    let cookie = right.header("set-cookie").expect("cookie").to_owned();
    assert!(cookie.starts_with("op_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{cookie} has {attribute}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let token = cookie["op_session=".len()..]
        .split(';')
        .next()
        .expect("value")
        .to_owned();
    let stored = app.query("SELECT password_hash FROM staff_credentials ORDER BY staff_id");
    assert_eq!(stored.len(), PASSWORDS.len());
    for row in &stored {
        let hash = row[0].as_str().expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(PASSWORDS.iter().all(|(_, p)| !hash.contains(p)));
    }
    let sessions = app.query("SELECT token_hash, staff_id FROM staff_sessions");
    assert_eq!(sessions.len(), 1);
    assert_ne!(
        sessions[0][0],
        json!(token),
        "only a digest of the token is kept"
    );

    let me = as_cookie(&app, &format!("op_session={token}"), "GET", "/api/me", None).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(json_of(&me)["staff"]["name"], "Мария Иванова");
    assert_eq!(json_of(&me)["shop"]["language"], "ru");
    assert!(json_of(&me)["flags"]
        .as_array()
        .expect("flags")
        .contains(&json!("wrong-phone")));
}

#[tokio::test]
async fn the_cookie_is_secure_behind_https() {
    let app = with_staff().await;
    let request = http::Request::post(format!("{HOST}/api/session"))
        .header("content-type", "application/json")
        .header("x-forwarded-proto", "https")
        .body(Bytes::from(
            json!({ "staff": "m.ivanova", "password": "maria-secret-1" }).to_string(),
        ))
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status, 200);
    assert!(response
        .header("set-cookie")
        .expect("cookie")
        .contains("; Secure"));
}

#[tokio::test]
async fn a_session_ends_on_sign_out_after_twelve_hours_and_on_a_new_password() {
    let app = with_staff().await;
    let first = session(&app, "m.ivanova").await;
    let second = session(&app, "m.ivanova").await;

    let out = as_cookie(&app, &first, "DELETE", "/api/session", None).await;
    assert_eq!(out.status, 204);
    assert!(out
        .header("set-cookie")
        .expect("cleared")
        .contains("Max-Age=0"));
    assert_eq!(
        as_cookie(&app, &first, "GET", "/api/me", None).await.status,
        401
    );
    assert_eq!(
        as_cookie(&app, &second, "GET", "/api/me", None)
            .await
            .status,
        200
    );

    app.clock
        .advance(std::time::Duration::from_secs(12 * 3600 + 1));
    assert_eq!(
        as_cookie(&app, &second, "GET", "/api/me", None)
            .await
            .status,
        401
    );

    let third = session(&app, "m.ivanova").await;
    let change = as_cookie(
        &app,
        &third,
        "PUT",
        "/api/staff/m.ivanova/password",
        Some(json!({ "password": "maria-new-secret", "current_password": "maria-secret-1" })),
    )
    .await;
    assert_eq!(change.status, 204, "{}", change.text());
    assert_eq!(
        as_cookie(&app, &third, "GET", "/api/me", None).await.status,
        401
    );
    assert_eq!(
        sign_in(&app, "m.ivanova", "maria-secret-1").await.status,
        401
    );
    assert_eq!(
        sign_in(&app, "m.ivanova", "maria-new-secret").await.status,
        200
    );
}

#[tokio::test]
async fn five_failed_sign_ins_lock_the_id_for_a_while() {
    let app = with_staff().await;
    for _ in 0..5 {
        assert_eq!(
            sign_in(&app, "m.ivanova", "guess-guess-guess").await.status,
            401
        );
    }

    let locked = sign_in(&app, "m.ivanova", "maria-secret-1").await;
    let other = sign_in(&app, "p.sidorov", "petr-secret-22").await;

    assert_eq!(locked.status, 429, "{}", locked.text());
    assert_eq!(locked.header("retry-after"), Some("900"));
    assert_eq!(other.status, 200, "others are not locked");
    app.clock.advance(std::time::Duration::from_secs(901));
    assert_eq!(
        sign_in(&app, "m.ivanova", "maria-secret-1").await.status,
        200
    );
}

#[tokio::test]
async fn another_staff_members_session_cannot_do_what_is_not_theirs() {
    let app = with_staff().await;
    let mut order = fixture("orders/created.json");
    order["data"]["manager"] = json!("m.ivanova");
    app.post_event("evt-1", &order).await;
    app.api(
        "POST",
        "/api/orders/A-1001/flags",
        Some(json!({ "flag": "wrong-phone" })),
    )
    .await;
    let olga = session(&app, "o.kuznetsova").await;
    let maria = session(&app, "m.ivanova").await;
    let before = state(&app);

    let refused = [
        as_cookie(
            &app,
            &olga,
            "POST",
            "/api/orders/A-1001/status",
            Some(json!({ "to": "confirmed" })),
        )
        .await,
        as_cookie(
            &app,
            &olga,
            "POST",
            "/api/orders/A-1001/flags",
            Some(json!({ "flag": "wrong-phone" })),
        )
        .await,
        as_cookie(&app, &olga, "GET", "/api/analytics/revenue", None).await,
        as_cookie(&app, &olga, "GET", "/api/reports/calls", None).await,
        as_cookie(&app, &maria, "GET", "/api/analytics/revenue", None).await,
        as_cookie(&app, &maria, "GET", "/api/replay/triggers", None).await,
        as_cookie(&app, &maria, "GET", "/api/replay/evaluations", None).await,
        as_cookie(
            &app,
            &maria,
            "POST",
            "/api/replay",
            Some(json!({ "triggers": "[[trigger]]" })),
        )
        .await,
        as_cookie(
            &app,
            &olga,
            "PUT",
            "/api/staff/m.ivanova/password",
            Some(json!({ "password": "olga-owns-maria" })),
        )
        .await,
        as_cookie(
            &app,
            &maria,
            "PUT",
            "/api/staff/m.ivanova/password",
            Some(json!({ "password": "maria-new-secret", "current_password": "wrong" })),
        )
        .await,
    ];

    for response in &refused {
        assert_eq!(response.status, 403, "{}", response.text());
        assert_eq!(json_of(response)["error"]["code"], "forbidden");
    }
    assert_eq!(state(&app), before, "nothing changed");
    let reading = as_cookie(&app, &olga, "GET", "/api/tasks", None).await;
    assert_eq!(reading.status, 200, "everyone reads");
}

#[tokio::test]
async fn a_task_is_done_by_its_assignee_or_a_supervisor_and_records_who() {
    let app = with_staff().await;
    app.email_api
        .respond(orderpath_harness::Responder::status(422).json(json!({
            "ErrorCode": 300, "Message": "Invalid 'To' address"
        })));
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;
    let task = app.query("SELECT id, assignee FROM tasks");
    assert_eq!(
        task[0][1],
        json!("staff:m.ivanova"),
        "the task is for the manager V1 gave the order"
    );
    let id = task[0][0].as_i64().expect("id");
    let olga = session(&app, "o.kuznetsova").await;
    let maria = session(&app, "m.ivanova").await;

    let mine = as_cookie(&app, &maria, "GET", "/api/tasks?mine=true", None).await;
    let not_olgas = as_cookie(&app, &olga, "GET", "/api/tasks?mine=true", None).await;
    let refused = as_cookie(&app, &olga, "POST", &format!("/api/tasks/{id}/done"), None).await;
    let done = as_cookie(
        &app,
        &maria,
        "POST",
        &format!("/api/tasks/{id}/done"),
        Some(json!({ "by": "p.sidorov" })),
    )
    .await;

    assert_eq!(json_of(&mine)["tasks"].as_array().map(Vec::len), Some(1));
    assert_eq!(json_of(&not_olgas)["tasks"], json!([]));
    assert_eq!(refused.status, 403);
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(
        app.query(&format!(
            "SELECT status, done_by FROM tasks WHERE id = {id}"
        )),
        vec![vec![json!("done"), json!("m.ivanova")]],
        "a person cannot sign for someone else"
    );
}

#[tokio::test]
async fn an_operator_moves_and_flags_an_order_as_themself_and_the_triggers_react() {
    let app = with_staff().await;
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;
    let emails_before = app.sent_emails().len();
    let maria = session(&app, "m.ivanova").await;
    let moved = http::Request::post(format!("{HOST}/api/orders/A-1001/status"))
        .header("cookie", &maria)
        .header("content-type", "application/json")
        .header("idempotency-key", "click-1")
        .body(Bytes::from(
            json!({ "to": "confirmed", "comment": "по телефону" }).to_string(),
        ))
        .expect("request");

    let first = app.send(moved.clone()).await;
    let again = app.send(moved).await;
    let forbidden = as_cookie(
        &app,
        &maria,
        "POST",
        "/api/orders/A-1001/status",
        Some(json!({ "to": "completed" })),
    )
    .await;
    let flagged = as_cookie(
        &app,
        &maria,
        "POST",
        "/api/orders/A-1001/flags",
        Some(json!({ "flag": "wrong-phone" })),
    )
    .await;

    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(again.status, 200);
    assert_eq!(
        again.text(),
        first.text(),
        "the same click twice is one move"
    );
    assert_eq!(forbidden.status, 409, "{}", forbidden.text());
    assert_eq!(flagged.status, 200, "{}", flagged.text());
    assert_eq!(
        app.query(
            "SELECT actor, actor_name, field, new_value, outcome FROM order_history
             WHERE actor <> 'webhook:orders' AND field = 'status' ORDER BY id"
        ),
        vec![
            vec![
                json!("staff:m.ivanova"),
                json!("Мария Иванова"),
                json!("status"),
                json!("\"confirmed\""),
                json!("applied")
            ],
            vec![
                json!("staff:m.ivanova"),
                json!("Мария Иванова"),
                json!("status"),
                json!("\"completed\""),
                json!("refused")
            ],
        ]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE template = 'wrong-phone' AND status = 'sent'"),
        1,
        "O1 wrote to the customer once"
    );
    let sent = app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'") as usize;
    assert_eq!(
        app.sent_emails().len(),
        sent,
        "every queued message went out once"
    );
    assert!(sent > emails_before);
}

#[tokio::test]
async fn a_change_from_another_origin_is_refused() {
    let app = with_staff().await;
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;
    let maria = session(&app, "m.ivanova").await;
    let before = state(&app);
    let request = http::Request::post(format!("{HOST}/api/orders/A-1001/status"))
        .header("cookie", &maria)
        .header("host", "orders.shop.example")
        .header("origin", "https://evil.example")
        .header("content-type", "application/json")
        .body(Bytes::from(json!({ "to": "confirmed" }).to_string()))
        .expect("request");

    let response = app.send(request).await;

    assert_eq!(response.status, 403, "{}", response.text());
    assert_eq!(state(&app), before);
}

#[tokio::test]
async fn a_change_from_the_desks_own_origin_is_accepted() {
    let app = with_staff().await;
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;
    let maria = session(&app, "m.ivanova").await;
    let request = http::Request::post("http://127.0.0.1:3000/api/orders/A-1001/status")
        .header("cookie", &maria)
        .header("origin", "http://127.0.0.1:3000")
        .header("content-type", "application/json")
        .body(Bytes::from(json!({ "to": "confirmed" }).to_string()))
        .expect("request");

    let response = app.send(request).await;

    assert_eq!(response.status, 200, "{}", response.text());
}

#[tokio::test]
async fn a_person_sets_their_own_presence_and_a_supervisor_anyones() {
    let app = with_staff().await;
    let maria = session(&app, "m.ivanova").await;
    let petr = session(&app, "p.sidorov").await;
    let olga = session(&app, "o.kuznetsova").await;

    let own = as_cookie(
        &app,
        &maria,
        "PUT",
        "/api/staff/me/presence",
        Some(json!({ "status": "away" })),
    )
    .await;
    let set_by_olga = as_cookie(
        &app,
        &olga,
        "PUT",
        "/api/staff/m.ivanova/presence",
        Some(json!({ "status": "online" })),
    )
    .await;
    let read_by_olga = as_cookie(&app, &olga, "GET", "/api/staff/m.ivanova/presence", None).await;
    let by_supervisor = as_cookie(
        &app,
        &petr,
        "PUT",
        "/api/staff/m.ivanova/presence",
        Some(json!({ "status": "offline" })),
    )
    .await;

    assert_eq!(own.status, 200, "{}", own.text());
    assert_eq!(
        (&json_of(&own)["staff"], &json_of(&own)["status"]),
        (&json!("m.ivanova"), &json!("away"))
    );
    for refused in [&set_by_olga, &read_by_olga] {
        assert_eq!(refused.status, 403, "{}", refused.text());
        assert_eq!(json_of(refused)["error"]["code"], "forbidden");
    }
    assert_eq!(by_supervisor.status, 200, "{}", by_supervisor.text());
    assert_eq!(
        app.query("SELECT staff_id, status, set_by FROM staff_presence"),
        vec![vec![
            json!("m.ivanova"),
            json!("offline"),
            json!("staff:p.sidorov")
        ]]
    );
}

#[tokio::test]
async fn the_warehouse_moves_anyones_order_to_its_own_statuses_only() {
    let app = with_staff().await;
    app.post_event("evt-1", &fixture("orders/created.json"))
        .await;
    assert_eq!(
        app.query("SELECT manager FROM orders WHERE id = 'A-1001'"),
        vec![vec![json!("m.ivanova")]],
        "V1 gave the order its manager"
    );
    let warehouse = session(&app, "warehouse").await;
    let maria = session(&app, "m.ivanova").await;
    let move_as = |cookie: String, to: &'static str| {
        let app = &app;
        async move {
            as_cookie(
                app,
                &cookie,
                "POST",
                "/api/orders/A-1001/status",
                Some(json!({ "to": to })),
            )
            .await
        }
    };

    let not_its_status = move_as(warehouse.clone(), "confirmed").await;
    let not_its_flag = as_cookie(
        &app,
        &warehouse,
        "POST",
        "/api/orders/A-1001/flags",
        Some(json!({ "flag": "wrong-phone" })),
    )
    .await;
    for to in ["confirmed", "prepare-for-delivery"] {
        let moved = move_as(maria.clone(), to).await;
        assert_eq!(moved.status, 200, "{}", moved.text());
    }
    let assembled = move_as(warehouse.clone(), "assembled").await;
    let cancelled = move_as(warehouse.clone(), "cancelled").await;

    for refused in [&not_its_status, &not_its_flag, &cancelled] {
        assert_eq!(refused.status, 403, "{}", refused.text());
        assert_eq!(json_of(refused)["error"]["code"], "forbidden");
    }
    assert_eq!(assembled.status, 200, "{}", assembled.text());
    assert_eq!(
        app.query(
            "SELECT actor, new_value FROM order_history
             WHERE field = 'status' AND actor LIKE 'staff:%' ORDER BY id"
        ),
        vec![
            vec![json!("staff:m.ivanova"), json!("\"confirmed\"")],
            vec![json!("staff:m.ivanova"), json!("\"prepare-for-delivery\"")],
            vec![json!("staff:warehouse"), json!("\"assembled\"")],
        ],
        "the refused requests left no trace"
    );
    assert_eq!(
        app.query("SELECT status FROM orders WHERE id = 'A-1001'"),
        vec![vec![json!("assembled")]]
    );
}
