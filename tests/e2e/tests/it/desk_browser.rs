//! The desk in a real browser: the app served over HTTP on a local port, headless Chromium
//! (Debian's `chromium` and `chromium-driver`) driven over WebDriver. Screenshots of every
//! screen land in `target/desk-screenshots/`.
//!
//! chromedriver must be installed (`.ci/run` installs it); without it these tests fail and
//! say so rather than skip.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use orderpath_harness::{Responder, Server};
use serde_json::{json, Value};

use crate::support::{fixture, workspace_root, TestApp};

const PASSWORD: &str = "correct horse battery staple";
/// How long the page may take to show something after an action.
const PATIENCE: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------------------
// Serving: what the desk component answers, without a browser.

fn get(path: &str, cookie: Option<&str>, gzip: bool) -> http::Request<Bytes> {
    let mut builder = http::Request::builder()
        .method("GET")
        .uri(format!("http://orders.shop.example{path}"));
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", cookie);
    }
    if gzip {
        builder = builder.header("accept-encoding", "gzip, br");
    }
    builder.body(Bytes::new()).expect("request")
}

fn header<'a>(response: &'a orderpath_harness::HarnessResponse, name: &str) -> &'a str {
    response
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_sign_in_page_is_public_and_the_desk_is_not() {
    let app = TestApp::start().await;

    let login = app.send(get("/desk/login", None, false)).await;
    let desk = app.send(get("/desk/", None, false)).await;
    let bare = app.send(get("/desk", None, false)).await;

    assert_eq!(login.status, 200);
    assert_eq!(header(&login, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&login, "cache-control"), "no-cache");
    assert_eq!(header(&login, "x-content-type-options"), "nosniff");
    let csp = header(&login, "content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(login.text().contains("type=\"module\""));
    assert!(!login.text().contains("<script>"), "no inline script");
    assert_eq!(desk.status, 303, "no session: to the sign-in page");
    assert_eq!(header(&desk, "location"), "/desk/login");
    assert_eq!(bare.status, 303);
    assert_eq!(header(&bare, "location"), "/desk/");
}

/// Gives these staff members the test password (as the admin would).
async fn give_passwords(app: &TestApp, staff: &[&str]) {
    for id in staff {
        let set = app
            .api(
                "PUT",
                &format!("/api/staff/{id}/password"),
                Some(json!({ "password": PASSWORD })),
            )
            .await;
        assert_eq!(set.status, 204, "password for {id}: {}", set.text());
    }
}

/// A live session's cookie (`op_session=…`) for m.ivanova.
async fn signed_in_cookie(app: &TestApp) -> String {
    give_passwords(app, &["m.ivanova"]).await;
    let request = http::Request::post("http://orders.shop.example/api/session")
        .header("content-type", "application/json")
        .body(Bytes::from(
            json!({ "staff": "m.ivanova", "password": PASSWORD }).to_string(),
        ))
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status, 200, "{}", response.text());
    header(&response, "set-cookie")
        .split(';')
        .next()
        .expect("cookie")
        .to_owned()
}

#[tokio::test]
async fn assets_are_cached_for_good_and_sent_compressed() {
    let app = TestApp::start().await;
    let login = app.send(get("/desk/login", None, false)).await.text();
    let script = login
        .split("src=\"/desk/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page loads a script")
        .to_owned();
    let private = std::fs::read_dir(workspace_root().join("components/desk/assets"))
        .expect("assets")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|name| name.starts_with("app-") && name.ends_with(".js"))
        .expect("the desk's script");

    let plain = app.send(get(&format!("/desk/{script}"), None, false)).await;
    let zipped = app.send(get(&format!("/desk/{script}"), None, true)).await;
    let locked = app
        .send(get(&format!("/desk/{private}"), None, false))
        .await;
    let forged = app
        .send(get(
            &format!("/desk/{private}"),
            Some("op_session=x"),
            false,
        ))
        .await;
    let session = signed_in_cookie(&app).await;
    let unlocked = app
        .send(get(&format!("/desk/{private}"), Some(&session), false))
        .await;
    let missing = app.send(get("/desk/nothing.js", None, false)).await;

    assert_eq!(plain.status, 200);
    assert_eq!(
        header(&plain, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        header(&plain, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&plain, "content-encoding"), "");
    assert_eq!(zipped.status, 200);
    assert_eq!(header(&zipped, "content-encoding"), "gzip");
    assert!(zipped.body.len() < plain.body.len());
    assert_eq!(&zipped.body[..2], &[0x1f, 0x8b], "gzip magic");
    assert_eq!(locked.status, 303, "the desk's own code needs a session");
    assert_eq!(forged.status, 303, "a made-up session is no session");
    assert_eq!(unlocked.status, 200);
    assert_eq!(missing.status, 404);
}

// ---------------------------------------------------------------------------------------
// In the browser.

/// The app on a local port, chromedriver, and one browser session.
struct Desk {
    client: Client,
    base: String,
    driver: Child,
    _server: Server,
}

impl Drop for Desk {
    fn drop(&mut self) {
        // chromedriver leads its own process group, with the browsers it started: end that
        // group, and only it (never a group id of 0 or 1, which would mean others).
        let group = self.driver.id() as libc::pid_t;
        if group > 1 {
            // SAFETY: killpg only sends a signal; the group is the one spawn() created.
            unsafe {
                libc::killpg(group, libc::SIGKILL);
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn screenshots() -> PathBuf {
    let dir = workspace_root().join("target/desk-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

impl Desk {
    /// Serves the app and opens a browser `width` pixels wide at the sign-in page.
    async fn open(app: &TestApp, width: u32) -> Desk {
        let server = app.app.serve("127.0.0.1:0").await.expect("serve");
        let port = free_port();
        let driver = {
            use std::os::unix::process::CommandExt;
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "chromedriver could not start ({e}): the desk's browser tests need \
                         Debian's chromium and chromium-driver (apt-get install chromium \
                         chromium-driver; .ci/run installs them)"
                    )
                })
        };
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--lang=ru-RU", format!("--window-size={width},900"),
            ]}),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut client = None;
        // chromedriver takes a moment to listen; a session is the readiness check.
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("a WebDriver session with chromedriver");
        client
            .set_window_size(width, 900)
            .await
            .expect("window size");
        let desk = Desk {
            client,
            base: server.url(),
            driver,
            _server: server,
        };
        desk.goto("/desk/login").await;
        desk
    }

    /// Opens the desk `width` pixels wide signed in as `staff`, on their tasks.
    async fn signed_in(app: &TestApp, width: u32, staff: &str) -> Desk {
        let desk = Desk::open(app, width).await;
        desk.sign_in(staff, PASSWORD).await;
        desk.find("#my-tasks").await;
        desk
    }

    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("goto");
    }

    async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => {
                // What the page showed instead, for whoever reads the failure.
                self.screenshot("failure").await;
                let url = self.client.current_url().await.map(|u| u.to_string());
                panic!("{css} did not appear at {url:?} (see target/desk-screenshots/failure.png): {e}")
            }
        }
    }

    /// Waits until the element's text contains `needle`, and returns the text.
    async fn text_of(&self, css: &str, needle: &str) -> String {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{css} never showed {needle:?}; it shows {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn gone(&self, css: &str) {
        let deadline = std::time::Instant::now() + PATIENCE;
        while self.client.find(Locator::Css(css)).await.is_ok() {
            assert!(std::time::Instant::now() < deadline, "{css} is still there");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn sign_in(&self, staff: &str, password: &str) {
        self.goto("/desk/login").await;
        let field = self.find("#staff").await;
        field.clear().await.expect("clear");
        field.send_keys(staff).await.expect("type");
        let secret = self.find("#password").await;
        secret.clear().await.expect("clear");
        secret.send_keys(password).await.expect("type");
        self.find("#sign-in").await.click().await.expect("click");
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(screenshots().join(format!("{name}.png")), png).expect("save");
    }

    async fn script(&self, code: &str) -> Value {
        self.client.execute(code, vec![]).await.expect("script")
    }

    async fn close(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        let _ = self.driver.kill();
    }
}

/// An order from the shop's signed webhook whose confirmation email the provider refused for
/// good: a failed message and an operator task for managers. The staff have passwords.
async fn app_with_an_order() -> TestApp {
    with_an_order(TestApp::start().await).await
}

/// The order of `app_with_an_order` arriving while both managers are offline: V1 finds
/// nobody, so the tasks go to the roles.
async fn app_with_an_unassigned_order() -> TestApp {
    let app = TestApp::start().await;
    for id in ["m.ivanova", "p.sidorov"] {
        let path = format!("/api/staff/{id}/presence");
        let set = app
            .api("PUT", &path, Some(json!({ "status": "offline" })))
            .await;
        assert_eq!(set.status, 200, "{}", set.text());
    }
    with_an_order(app).await
}

async fn with_an_order(app: TestApp) -> TestApp {
    app.email_api.respond(Responder::status(422).json(json!({
        "ErrorCode": 300, "Message": "Invalid 'To' address"
    })));
    let created = app
        .post_event("evt-1", &fixture("orders/created.json"))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'failed'"),
        1
    );
    give_passwords(&app, &["m.ivanova", "p.sidorov"]).await;
    app
}

#[tokio::test]
async fn operator_signs_in_and_lands_on_their_tasks() {
    let app = app_with_an_order().await;
    let desk = Desk::open(&app, 1280).await;
    desk.find("#login").await;
    desk.screenshot("01-sign-in").await;

    desk.sign_in("m.ivanova", "not the password").await;
    // Before signing in the page speaks the browser's language (the shop's is not known yet).
    let refused = desk.text_of("#login-error", " ").await;
    assert!(
        ["Неверный логин или пароль", "Wrong staff id or password"].contains(&refused.as_str()),
        "{refused:?}"
    );
    assert_eq!(
        desk.client.current_url().await.expect("url").path(),
        "/desk/login",
        "stays on the sign-in page"
    );
    desk.screenshot("01-sign-in-refused").await;

    desk.sign_in("m.ivanova", PASSWORD).await;
    desk.find("#my-tasks").await;
    let tasks = desk.text_of("#my-tasks", "A-1001").await;
    assert!(
        desk.client.current_url().await.expect("url").path() == "/desk/",
        "lands on the desk"
    );
    assert!(tasks.contains("A-1001"), "{tasks}");
    desk.text_of("header", "Мария Иванова").await;
    desk.screenshot("02-tasks").await;
    desk.close().await;
}

#[tokio::test]
async fn operator_finds_the_webhook_order_and_follows_its_timeline() {
    let app = app_with_an_order().await;
    let desk = Desk::signed_in(&app, 1280, "m.ivanova").await;

    desk.goto("/desk/#/orders").await;
    desk.text_of("#orders", "A-1001").await;
    desk.screenshot("03-orders").await;
    desk.find("tr[data-order='A-1001'] a")
        .await
        .click()
        .await
        .expect("open");

    desk.text_of("#order-title", "A-1001").await;
    desk.text_of("#timeline", "created").await;
    // Move it along the path from the card: the timeline gains the move, by this person.
    desk.script(
        "const s = document.querySelector('#move-to'); s.value = 'confirmed'; \
         s.dispatchEvent(new Event('change')); return s.value;",
    )
    .await;
    desk.find("#move button[type='submit']")
        .await
        .click()
        .await
        .expect("move");
    let timeline = desk.text_of("#timeline", "confirmed").await;
    assert!(
        timeline.contains("Мария Иванова") || timeline.contains("m.ivanova"),
        "{timeline}"
    );
    assert_eq!(
        app.query("SELECT status FROM orders WHERE id = 'A-1001'"),
        vec![vec![json!("confirmed")]]
    );
    let entries = desk
        .client
        .find_all(Locator::Css("#timeline li"))
        .await
        .expect("entries");
    let stored = app.count("SELECT COUNT(*) FROM order_history WHERE order_id = 'A-1001'");
    assert_eq!(
        entries.len() as i64,
        stored,
        "every history row: {timeline}"
    );
    desk.text_of("#order-messages", "Invalid 'To' address")
        .await;
    desk.screenshot("04-order").await;
    desk.close().await;

    // The same card on a phone.
    let phone = Desk::signed_in(&app, 390, "m.ivanova").await;
    phone.screenshot("02-tasks-phone").await;
    phone.goto("/desk/#/order/A-1001").await;
    phone.text_of("#timeline", "confirmed").await;
    phone.screenshot("04-order-phone").await;
    phone.close().await;
}

#[tokio::test]
async fn operator_marks_a_task_done() {
    let app = app_with_an_unassigned_order().await;
    let id = app.count("SELECT id FROM tasks WHERE status = 'open'");
    let desk = Desk::open(&app, 1280).await;
    desk.sign_in("m.ivanova", PASSWORD).await;
    let row = format!("#my-tasks tr[data-task-row='{id}']");
    desk.find(&row).await;
    // Nobody was on shift: for the managers (role:manager), shown by the role's name.
    let text = desk.text_of(&row, "Менеджер").await;
    assert!(!text.contains("role:"), "{text}");

    desk.find(&format!("{row} button[data-task='{id}']"))
        .await
        .click()
        .await
        .expect("done");

    desk.gone(&row).await;
    assert_eq!(
        app.query(&format!(
            "SELECT status, done_by FROM tasks WHERE id = {id}"
        )),
        vec![vec![json!("done"), json!("m.ivanova")]],
        "done, by the person signed in"
    );
    desk.close().await;
}

#[tokio::test]
async fn operator_sets_their_status_for_new_orders() {
    let app = app_with_an_order().await;
    let desk = Desk::signed_in(&app, 1280, "m.ivanova").await;
    // Tuesday 10:00 (the test clock): on shift by the shop's hours, no status set.
    let shown = desk.text_of("#presence-note", "заказов").await;
    assert_eq!(
        shown, "заказов 1 из 30",
        "her load (V1 gave her the order) and capacity"
    );
    assert_eq!(
        desk.script("return document.querySelector('#presence').value;")
            .await,
        json!("hours")
    );
    desk.text_of("#presence", "По графику: на смене").await;

    desk.script(
        "const s = document.querySelector('#presence'); s.value = 'away30'; \
         s.dispatchEvent(new Event('change')); return s.value;",
    )
    .await;
    let note = desk.text_of("#presence-note", "до ").await;
    desk.find(".presence[data-available='false']").await;
    assert_eq!(
        desk.script("return document.querySelector('#presence').value;")
            .await,
        json!("away")
    );
    let stored =
        app.query("SELECT staff_id, status, until IS NOT NULL, set_by FROM staff_presence");
    assert_eq!(
        stored,
        vec![vec![
            json!("m.ivanova"),
            json!("away"),
            json!(1),
            json!("staff:m.ivanova")
        ]],
        "away for half an hour, by her: {note}"
    );
    desk.screenshot("08-presence").await;

    desk.script(
        "const s = document.querySelector('#presence'); s.value = 'hours'; \
         s.dispatchEvent(new Event('change')); return s.value;",
    )
    .await;
    desk.find(".presence[data-available='true']").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff_presence"),
        0,
        "back to her working hours"
    );
    desk.close().await;

    let phone = Desk::signed_in(&app, 390, "m.ivanova").await;
    phone.text_of("#presence-note", "заказов").await;
    phone.screenshot("08-presence-phone").await;
    phone.close().await;
}

#[tokio::test]
async fn operator_resends_a_failed_message() {
    let app = app_with_an_order().await;
    let id = app.count("SELECT id FROM outbox WHERE status = 'failed'");
    let desk = Desk::signed_in(&app, 1280, "m.ivanova").await;

    desk.goto("/desk/#/outbox?status=failed").await;
    let button = desk.find(&format!("button[data-resend='{id}']")).await;
    desk.screenshot("05-outbox").await;
    // The address is fixed now: the provider takes it.
    app.email_api
        .respond(crate::support::postmark_ok("pm-resent"));
    button.click().await.expect("resend");

    desk.gone(&format!("button[data-resend='{id}']")).await;
    assert_eq!(
        app.query(&format!(
            "SELECT status, resends, provider_message_id FROM outbox WHERE id = {id}"
        )),
        vec![vec![json!("sent"), json!(1), json!("pm-resent")]],
        "sent at once, not left for the tick"
    );
    assert_eq!(
        app.email_requests().len(),
        2,
        "the refused attempt and the resend"
    );
    // The channel filter offers the CRM/ERP events (`http_request`) too.
    desk.find("#filter-channel option[value='webhook']").await;
    desk.close().await;
    let phone = Desk::signed_in(&app, 390, "m.ivanova").await;
    phone.goto("/desk/#/outbox").await;
    phone.find("#filter-channel option[value='webhook']").await;
    phone.find("#outbox").await;
    phone.screenshot("05-outbox-phone").await;
    phone.close().await;
}

#[tokio::test]
async fn supervisor_sees_the_charts_with_the_right_numbers() {
    let app = app_with_an_order().await;
    for n in 2..=3 {
        let mut order = fixture("orders/created.json");
        order["data"]["order_id"] = json!(format!("A-100{n}"));
        let response = app.post_event(&format!("evt-{n}"), &order).await;
        assert_eq!(response.status, 201, "{}", response.text());
    }
    let orders = app.count("SELECT COUNT(*) FROM orders");
    let desk = Desk::signed_in(&app, 1280, "p.sidorov").await;

    desk.goto("/desk/#/analytics?from=2026-11-24&to=2026-11-24")
        .await;
    desk.find("#chart-conversion canvas").await;
    let drawn = desk
        .script("return window.deskCharts.conversion.data.datasets[0].data[0];")
        .await;
    let shown = desk
        .text_of(
            "table[data-numbers='conversion'] tbody",
            &orders.to_string(),
        )
        .await;

    assert_eq!(drawn, json!(orders), "the chart draws every created order");
    assert!(shown.starts_with(&orders.to_string()), "{shown}");
    desk.screenshot("06-analytics").await;
    desk.close().await;
}

#[tokio::test]
async fn operator_reads_the_call_log() {
    let app = app_with_an_order().await;
    let desk = Desk::signed_in(&app, 1280, "m.ivanova").await;

    desk.goto("/desk/#/calls").await;
    desk.find("main[data-screen='calls'] form").await;
    desk.screenshot("07-calls").await;
    desk.close().await;
}

/// S6: the bonus ledger of November — m.ivanova's upsell, the picker's bonus — as a
/// supervisor sees it (everyone, expandable lines, the CSV) and as m.ivanova does on a phone
/// (her own only).
#[tokio::test]
async fn supervisor_reads_the_bonus_ledger_and_an_operator_her_own() {
    let app = TestApp::start().await;
    let mut order = fixture("orders/created.json");
    order["data"]["order_id"] = json!("B-1");
    assert_eq!(app.post_event("evt-b1", &order).await.status, 201);
    let mut upsell = json!({ "type": "order.updated", "data": {
        "order_id": "B-1", "actor": { "type": "staff", "id": "m.ivanova" },
        "items": order["data"]["items"].clone() } });
    upsell["data"]["items"][0]["qty"] = json!(4); // two more teas: 5 % of 900 ₽ = 45 ₽
    assert_eq!(app.post_event("evt-b2", &upsell).await.status, 200);
    for (n, status, actor) in [
        (3, "confirmed", None),
        (4, "prepare-for-delivery", None),
        (5, "assembled", Some("warehouse")),
    ] {
        let mut data = json!({ "order_id": "B-1", "status": status });
        if let Some(actor) = actor {
            data["actor"] = json!({ "type": "staff", "id": actor });
        }
        let event = json!({ "type": "order.status_changed", "data": data });
        let response = app.post_event(&format!("evt-b{n}"), &event).await;
        assert_eq!(response.status, 200, "{}", response.text());
    }
    // Picking: 4 teas and a cup at 10 ₽ a unit.
    assert_eq!(
        app.count("SELECT SUM(amount) FROM bonus_lines"),
        4_500 + 5_000
    );
    give_passwords(&app, &["m.ivanova", "p.sidorov"]).await;
    let desk = Desk::signed_in(&app, 1280, "p.sidorov").await;

    desk.goto("/desk/#/bonuses?period=2026-11").await;
    let maria = "#bonus-people details[data-staff='m.ivanova']";
    let summary = desk.text_of(&format!("{maria} summary"), "45,00").await;
    desk.text_of("details[data-staff='warehouse'] summary", "50,00")
        .await;
    desk.text_of("#bonus-grand-total", "95,00").await;
    desk.find(&format!("{maria} summary"))
        .await
        .click()
        .await
        .expect("open");
    let lines = desk
        .text_of("[id='bonus-lines-m.ivanova']", "s2-upsell-bonus")
        .await;
    let csv_href = desk
        .find("#bonus-csv")
        .await
        .attr("href")
        .await
        .expect("href");
    let csv = desk
        .script(
            "return fetch(document.getElementById('bonus-csv').href)
               .then(async (r) => [r.status, r.headers.get('content-type'), await r.text()]);",
        )
        .await;

    assert!(summary.contains("Мария Иванова"), "{summary}");
    assert!(
        lines.contains("5 % × 900,00") && lines.contains("B-1"),
        "{lines}"
    );
    assert_eq!(csv_href.as_deref(), Some("/api/bonuses.csv?period=2026-11"));
    assert_eq!(csv[0], json!(200));
    assert_eq!(csv[1], json!("text/csv; charset=utf-8"));
    let text = csv[2].as_str().expect("csv text");
    assert_eq!(text.lines().count(), 4, "a header and three lines: {text}");
    desk.screenshot("08-bonuses").await;
    desk.find("#bonus-prev")
        .await
        .click()
        .await
        .expect("previous month");
    desk.find("#bonus-period[value='2026-10']").await;
    desk.text_of("#bonus-people", "Бонусов за этот месяц нет")
        .await;
    desk.close().await;

    let phone = Desk::signed_in(&app, 390, "m.ivanova").await;
    phone.goto("/desk/#/bonuses?period=2026-11").await;
    phone
        .text_of("details[data-staff='m.ivanova'] summary", "45,00")
        .await;
    phone.find("[id='bonus-lines-m.ivanova']").await;
    assert_eq!(
        phone
            .script("return document.querySelectorAll('details.bonus-person').length;")
            .await,
        json!(1),
        "her own bonuses only"
    );
    phone.screenshot("08-bonuses-phone").await;
    phone.close().await;
}

/// Issue 17: a supervisor edits the triggers in the desk (C1's thank-you ten minutes later),
/// dry-runs them over the recorded days and reads, per trigger, what would differ; a broken
/// edit shows the checker's problems; an operator has no such screen.
#[tokio::test]
async fn supervisor_dry_runs_an_edited_trigger_and_reads_what_would_change() {
    let app = TestApp::start().await;
    crate::replay::shop_day(&app).await;
    give_passwords(&app, &["m.ivanova", "p.sidorov"]).await;
    let outbox = app.count("SELECT COUNT(*) FROM outbox");
    let desk = Desk::signed_in(&app, 1280, "p.sidorov").await;

    desk.goto("/desk/#/dryrun?from=2026-11-24&to=2026-11-26")
        .await;
    desk.find("#dry-triggers").await;
    let prefilled = desk
        .script("return document.getElementById('dry-triggers').value;")
        .await;
    let shipped = std::fs::read_to_string(workspace_root().join("config/triggers.toml"))
        .expect("triggers.toml");
    assert_eq!(
        prefilled,
        json!(shipped),
        "the deployed triggers.toml, to edit"
    );
    desk.find("#dry-run").await.click().await.expect("run");
    desk.text_of("#dry-summary", "Разницы нет").await;

    desk.script(
        r#"const area = document.getElementById('dry-triggers');
           const at = area.value.indexOf('id = "c1-thank-you"');
           const on = area.value.indexOf('\non = ', at);
           const end = area.value.indexOf('\n', on + 1);
           area.value = area.value.slice(0, end) + '\ndelay = "10m"' + area.value.slice(end);
           return true;"#,
    )
    .await;
    desk.find("#dry-run").await.click().await.expect("run");
    let summary = desk.text_of("#dry-summary", "Правил с разницей: 1").await;
    let c1 = desk.text_of("[data-trigger='c1-thank-you']", "A-3").await;
    assert!(summary.contains("решений: 3"), "{summary}");
    for expected in [
        "A-1",
        "A-2",
        "сразу",
        "2026-11-24 10:10 (+10 мин)",
        "order-created",
    ] {
        assert!(c1.contains(expected), "{expected:?} in {c1}");
    }
    assert_eq!(
        desk.script("return document.querySelectorAll('.dry-trigger').length;")
            .await,
        json!(1),
        "only C1 differs"
    );
    // The report, not the editor above it, in the picture.
    desk.script("document.getElementById('dry-summary').scrollIntoView(); return true;")
        .await;
    desk.screenshot("09-dry-run").await;

    desk.script("document.getElementById('dry-triggers').value = '[[trigger]'; return true;")
        .await;
    desk.find("#dry-run").await.click().await.expect("run");
    desk.text_of("#dry-problems", "triggers.toml").await;
    desk.screenshot("09-dry-run-problems").await;
    desk.find("#dry-reset").await.click().await.expect("reset");
    assert_eq!(
        desk.script("return document.getElementById('dry-triggers').value;")
            .await,
        json!(shipped)
    );
    desk.close().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox"),
        outbox,
        "nothing queued"
    );

    let phone = Desk::signed_in(&app, 390, "p.sidorov").await;
    phone
        .goto("/desk/#/dryrun?from=2026-11-24&to=2026-11-26")
        .await;
    phone.find("#dry-triggers").await;
    phone
        .script(
            r#"const area = document.getElementById('dry-triggers');
               area.value = area.value.replace('id = "o3-no-answer-1"', 'id = "o3-no-answer-1"\nenabled = false');
               return true;"#,
        )
        .await;
    phone.find("#dry-run").await.click().await.expect("run");
    let o3 = phone
        .text_of(
            "[data-trigger='o3-no-answer-1']",
            "больше не срабатывает для",
        )
        .await;
    for expected in ["выключено", "A-2", "не сработало бы", "no-answer-sms"] {
        assert!(o3.contains(expected), "{expected:?} in {o3}");
    }
    phone
        .script(
            "document.querySelector(\"[data-trigger='o3-no-answer-1']\").scrollIntoView(); return true;",
        )
        .await;
    phone.screenshot("09-dry-run-phone").await;
    phone.close().await;

    let operator = Desk::signed_in(&app, 1280, "m.ivanova").await;
    operator.gone("#nav-dryrun").await;
    operator.goto("/desk/#/dryrun").await;
    operator
        .text_of("main", "Проверка правил доступна руководителям")
        .await;
    operator.close().await;
}

/// The demo shop (the same plan `./scripts/dev.sh --seed` posts) seen through the desk by a
/// supervisor: every screen photographed for `docs/desk/`, and the analytics drawn with the
/// numbers the database holds.
#[tokio::test]
async fn desk_tour_of_the_demo_shop() {
    let app = TestApp::start().await;
    // The demo's month ends now, so the browser's clock (times in status, overdue marks)
    // agrees with the app's.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let start = now - crate::demo::DAYS as u64 * 86_400;
    app.clock.set(start);
    crate::demo::seed(&app, 80).await;
    app.clock.set(now.max(app.clock.unix_seconds()));
    give_passwords(&app, &["p.sidorov", "m.ivanova"]).await;
    let desk = Desk::signed_in(&app, 1280, "p.sidorov").await;
    desk.screenshot("tour-1-tasks").await;

    desk.goto("/desk/#/orders").await;
    desk.text_of("#orders", "D-100").await;
    desk.screenshot("tour-2-orders").await;

    let completed = app.query(
        "SELECT o.id FROM orders o
         WHERE o.status = 'completed'
           AND EXISTS (SELECT 1 FROM calls c WHERE c.order_id = o.id)
         ORDER BY o.id LIMIT 1",
    );
    let id = completed
        .first()
        .map(|row| row[0].as_str().expect("id").to_owned())
        .unwrap_or_else(|| {
            app.query("SELECT id FROM orders WHERE status = 'completed' ORDER BY id LIMIT 1")[0][0]
                .as_str()
                .expect("a completed order")
                .to_owned()
        });
    desk.goto(&format!("/desk/#/order/{id}")).await;
    let timeline = desk.text_of("#timeline", "completed").await;
    let moves = app.count(&format!(
        "SELECT COUNT(*) FROM order_history WHERE order_id = '{id}'"
    ));
    let entries = desk
        .client
        .find_all(Locator::Css("#timeline li"))
        .await
        .expect("entries");
    assert_eq!(
        entries.len() as i64,
        moves,
        "every step of {id}: {timeline}"
    );
    desk.client
        .set_window_size(1280, 1600)
        .await
        .expect("window size");
    desk.screenshot("tour-3-order").await;

    desk.goto("/desk/#/outbox").await;
    desk.find("#outbox").await;
    desk.screenshot("tour-4-outbox").await;
    desk.goto("/desk/#/calls").await;
    desk.find("#calls tr").await;
    let calls = desk.text_of("#calls", "D-100").await;
    assert!(!calls.contains("[object"), "orders show as links: {calls}");
    desk.screenshot("tour-5-calls").await;

    let day = |unix: u64| {
        let (y, m, d) = orderpath_core::automation::time::civil_from_days(unix as i64 / 86_400);
        format!("{y:04}-{m:02}-{d:02}")
    };
    desk.goto(&format!(
        "/desk/#/analytics?from={}&to={}",
        day(start),
        day(now + 86_400)
    ))
    .await;
    desk.find("#chart-revenue canvas").await;
    desk.find("#chart-conversion canvas").await;
    let drawn_orders = desk
        .script(
            "return window.deskCharts.revenue.data.datasets[1].data.reduce((a, b) => a + b, 0);",
        )
        .await;
    let drawn_created = desk
        .script("return window.deskCharts.conversion.data.datasets[0].data[0];")
        .await;
    let not_cancelled = app.count(
        "SELECT COUNT(*) FROM orders
         WHERE status NOT IN ('cancelled', 'not-bought-out', 'returned')",
    );
    assert_eq!(
        drawn_orders,
        json!(not_cancelled),
        "revenue's orders per day add up"
    );
    assert_eq!(
        drawn_created,
        json!(app.count("SELECT COUNT(*) FROM orders"))
    );
    desk.client
        .set_window_size(1280, 2200)
        .await
        .expect("window size");
    tokio::time::sleep(Duration::from_millis(500)).await;
    desk.screenshot("tour-6-analytics").await;
    desk.close().await;
}
