//! `TestApp`: the real Orderpath components in the harness, with a mock email API, a
//! controllable clock and helpers that read like the domain.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use orderpath_harness::{
    App, AppBuilder, Clock, HarnessResponse, MockServer, RecordedRequest, Responder,
};
use serde_json::{json, Value};
use sha2::Sha256;

/// 2026-11-24T07:00:00Z, a Tuesday morning in Moscow.
pub const START: u64 = 1_795_503_600;

/// The secret the tests' "shop" signs with.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const POSTMARK_TOKEN: &str = "pm-server-token-e2e";
pub const CRON_TOKEN: &str = "cron-token-e2e";
pub const ADMIN_TOKEN: &str = "admin-token-e2e";
/// The acquirers' secrets (the fixtures in `tests/fixtures/<provider>/` are made with them).
pub const PAYMENTS_SECRET: &str = "whsec_cGF5bWVudHMtZ2VuZXJpYy1zZWNyZXQtZTJl";
pub const YOOKASSA_TOKEN: &str = "yk-test-token-5f1c2e";
pub const CLOUDPAYMENTS_SECRET: &str = "cp-test-api-secret";
pub const TBANK_PASSWORD: &str = "tbank-test-password";
pub const STRIPE_SECRET: &str = "whsec_test_stripe_secret";
pub const SBER_KEY: &str = "sber-test-callback-key";
/// The carriers' and the accounting system's secrets.
pub const CDEK_TOKEN: &str = "cdek-test-token-7d1e";
pub const DELIVERY_SECRET: &str = "whsec_ZGVsaXZlcnktZ2VuZXJpYy1zZWNyZXQtZTJl";
pub const STOCK_SECRET: &str = "whsec_c3RvY2stbGV2ZWxzLXNlY3JldC1lMmUtdGVzdA==";
/// The PBXes' secrets.
pub const MANGO_KEY: &str = "mango-test-key";
pub const MANGO_SALT: &str = "mango-test-salt";
pub const ZADARMA_SECRET: &str = "zadarma-test-secret";
pub const CALLS_SECRET: &str = "whsec_Y2FsbHMtZ2VuZXJpYy1zZWNyZXQtZTJlLXRlc3Q=";
/// The site's customer events (`/webhooks/site`) and the unsubscribe links' key.
pub const SITE_SECRET: &str = "whsec_c2l0ZS1ldmVudHMtc2VjcmV0LWUyZS10ZXN0";
pub const UNSUBSCRIBE_SECRET: &str = "unsubscribe-key-e2e-0123456789";
/// The shop's Telegram bot webhook's `secret_token`, and the generic chat format's secret.
pub const TELEGRAM_WEBHOOK_SECRET: &str = "telegram-webhook-secret-e2e";
pub const CHATS_SECRET: &str = "whsec_Y2hhdHMtZ2VuZXJpYy1zZWNyZXQtZTJlLXRlc3Q=";
/// Where the app is reached in the tests.
pub const PUBLIC_URL: &str = "https://orders.shop.example";
/// The shop platforms' secrets.
pub const SHOPIFY_SECRET: &str = "shpss_e2e_test_client_secret";
pub const WOOCOMMERCE_SECRET: &str = "wc-e2e-webhook-secret";
pub const TILDA_TOKEN: &str = "tilda-e2e-token-3c9a";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fixture from `tests/fixtures/<provider>/<name>`.
pub fn fixture(path: &str) -> Value {
    let file = workspace_root().join("tests/fixtures").join(path);
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

pub struct TestApp {
    pub app: App,
    pub clock: Clock,
    pub email_api: MockServer,
    /// SMS.ru, accepting every number.
    pub sms_api: MockServer,
    /// The Telegram Bot API, accepting every note.
    pub telegram_api: MockServer,
    _state: tempfile::TempDir,
}

impl TestApp {
    /// The app with the default configuration and a Postmark mock that accepts everything.
    pub async fn start() -> TestApp {
        TestApp::start_with(|b| b).await
    }

    /// The app with extra builder settings (variables override the defaults).
    pub async fn start_with(configure: impl FnOnce(AppBuilder) -> AppBuilder) -> TestApp {
        TestApp::start_from(&workspace_root().join("spin.toml"), configure).await
    }

    /// The app from another manifest (e.g. a copy with a different configuration).
    pub async fn start_from(
        manifest: &Path,
        configure: impl FnOnce(AppBuilder) -> AppBuilder,
    ) -> TestApp {
        let email_api = MockServer::start().await;
        email_api.respond(postmark_ok("pm-msg-1"));
        let sms_api = MockServer::start().await;
        sms_api.respond(smsru_ok());
        let telegram_api = MockServer::start().await;
        telegram_api.respond(Responder::status(200).json(
            serde_json::json!({ "ok": true, "result": { "message_id": 1, "chat": { "id": 1 } } }),
        ));
        let state = tempfile::tempdir().expect("temp dir");
        let clock = Clock::fixed(START);
        let builder = App::builder(manifest)
            .state_dir(state.path())
            .clock(clock.clone())
            .variable("orders_webhook_secret", SECRET)
            .variable("postmark_url", email_api.url())
            .variable("postmark_token", POSTMARK_TOKEN)
            .variable("email_from", "Чайная лавка <orders@tea.example>")
            .variable("provider_timeout_ms", "500")
            .variable("sms_provider", "smsru")
            .variable("smsru_url", sms_api.url())
            .variable("smsru_api_id", SMSRU_API_ID)
            .variable("telegram_url", telegram_api.url())
            .variable("telegram_bot_token", TELEGRAM_TOKEN)
            .variable("shop_name", "Чайная лавка")
            .variable("shop_phone", "+7 495 123-45-67")
            .variable("shop_email", "hello@tea.example")
            .variable("shop_hours", "Пн–Пт 09:00–18:00")
            .variable("shop_url", "https://tea.example")
            .variable("cron_token", CRON_TOKEN)
            .variable("admin_token", ADMIN_TOKEN)
            .variable("payments_webhook_secret", PAYMENTS_SECRET)
            .variable("yookassa_webhook_token", YOOKASSA_TOKEN)
            .variable("cloudpayments_api_secret", CLOUDPAYMENTS_SECRET)
            .variable("tbank_password", TBANK_PASSWORD)
            .variable("stripe_webhook_secret", STRIPE_SECRET)
            .variable("sber_callback_key", SBER_KEY)
            .variable("cdek_webhook_token", CDEK_TOKEN)
            .variable("delivery_webhook_secret", DELIVERY_SECRET)
            .variable("stock_webhook_secret", STOCK_SECRET)
            .variable("mango_api_key", MANGO_KEY)
            .variable("mango_api_salt", MANGO_SALT)
            .variable("zadarma_api_secret", ZADARMA_SECRET)
            .variable("calls_webhook_secret", CALLS_SECRET)
            .variable("shopify_webhook_secret", SHOPIFY_SECRET)
            .variable("woocommerce_webhook_secret", WOOCOMMERCE_SECRET)
            .variable("tilda_webhook_token", TILDA_TOKEN)
            .variable("site_webhook_secret", SITE_SECRET)
            .variable("telegram_webhook_secret", TELEGRAM_WEBHOOK_SECRET)
            .variable("chats_webhook_secret", CHATS_SECRET)
            .variable("public_url", PUBLIC_URL)
            .variable("unsubscribe_secret", UNSUBSCRIBE_SECRET);
        let app = configure(builder)
            .build()
            .await
            .expect("the app starts (did ./scripts/test.sh build the components?)");
        TestApp {
            app,
            clock,
            email_api,
            sms_api,
            telegram_api,
            _state: state,
        }
    }

    /// A signed request to the order webhook, as the shop would send it now.
    pub fn signed(&self, webhook_id: &str, body: &[u8]) -> http::Request<Bytes> {
        let ts = self.clock.unix_seconds() as i64;
        signed_request(webhook_id, ts, body)
    }

    /// Posts an order event signed with a fresh id and waits until the component is done.
    pub async fn post_event(&self, webhook_id: &str, event: &Value) -> HarnessResponse {
        let body = serde_json::to_vec(event).expect("json");
        self.send(self.signed(webhook_id, &body)).await
    }

    /// Sends any request and waits until every instance has finished its follow-up work.
    pub async fn send(&self, request: http::Request<Bytes>) -> HarnessResponse {
        let response = self.app.request(request).await.expect("request");
        self.app.wait_idle().await;
        response
    }

    /// Calls the scheduler tick as a cron job would and waits for it to finish.
    pub async fn tick(&self) -> Value {
        let response = self.send(tick_request(Some(CRON_TOKEN))).await;
        assert_eq!(response.status, 200, "tick: {}", response.text());
        json_of(&response)
    }

    /// Moves the clock, then ticks.
    pub async fn tick_after(&self, secs: u64) -> Value {
        self.clock.advance(std::time::Duration::from_secs(secs));
        self.tick().await
    }

    /// A staff API call with the admin token.
    pub async fn api(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<Value>,
    ) -> HarnessResponse {
        let request = http::Request::builder()
            .method(method)
            .uri(format!("http://orders.shop.example{path_and_query}"))
            .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
            .header("content-type", "application/json")
            .body(body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string())))
            .expect("request");
        self.send(request).await
    }

    /// The emails the Postmark mock received, as JSON bodies (an email's extra header fields
    /// are its `Headers`). [`TestApp::email_requests`] keeps each whole request.
    pub fn sent_emails(&self) -> Vec<Value> {
        self.email_requests()
            .iter()
            .map(|r| r.json().expect("postmark body is JSON"))
            .collect()
    }

    /// The requests the Postmark mock received, raw: method, path, headers and body bytes.
    /// Another provider's mock keeps its requests the same way (`MockServer::requests`): read
    /// SendGrid's `headers` object with `RecordedRequest::json`, Mailgun's `h:<Name>` fields
    /// with [`multipart_fields`].
    pub fn email_requests(&self) -> Vec<RecordedRequest> {
        self.email_api.requests()
    }

    /// Runs a query on the app's database and returns rows as JSON arrays.
    pub fn query(&self, sql: &str) -> Vec<Vec<Value>> {
        let path = self.app.state_dir().join("sqlite_db.db");
        if !path.exists() {
            return Vec::new();
        }
        let conn = rusqlite::Connection::open(&path).expect("open db");
        let mut stmt = match conn.prepare(sql) {
            Ok(stmt) => stmt,
            // Tables do not exist before the first accepted request creates the schema.
            Err(e) if e.to_string().contains("no such table") => return Vec::new(),
            Err(e) => panic!("{sql}: {e}"),
        };
        let columns = stmt.column_count();
        let rows = stmt
            .query_map([], |row| {
                (0..columns)
                    .map(|i| {
                        Ok(match row.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Value::Null,
                            rusqlite::types::ValueRef::Integer(n) => json!(n),
                            rusqlite::types::ValueRef::Real(f) => json!(f),
                            rusqlite::types::ValueRef::Text(t) => {
                                json!(String::from_utf8_lossy(t))
                            }
                            rusqlite::types::ValueRef::Blob(b) => json!(b),
                        })
                    })
                    .collect::<Result<Vec<_>, rusqlite::Error>>()
            })
            .expect("query");
        rows.map(|r| r.expect("row")).collect()
    }

    /// A single number from a query like `SELECT COUNT(*) ...`.
    pub fn count(&self, sql: &str) -> i64 {
        self.query(sql)
            .first()
            .and_then(|row| row.first())
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    /// Orders, outbox messages and sent emails, for "nothing happened" checks.
    pub fn footprint(&self) -> (i64, i64, usize) {
        (
            self.count("SELECT COUNT(*) FROM orders"),
            self.count("SELECT COUNT(*) FROM outbox"),
            self.email_requests().len(),
        )
    }
}

/// A copy of the app (manifest and `config/`, the same built components) whose
/// configuration `edit` changes, as a shop would before deploying.
pub fn app_with_config(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    app_copy(|manifest| manifest, edit)
}

/// A copy of the app whose manifest `edit_manifest` and configuration `edit_config` change.
pub fn app_copy(
    edit_manifest: impl FnOnce(String) -> String,
    edit_config: impl FnOnce(&Path),
) -> tempfile::TempDir {
    let root = workspace_root();
    let dir = tempfile::tempdir().expect("dir");
    let manifest =
        edit_manifest(std::fs::read_to_string(root.join("spin.toml")).expect("spin.toml"));
    // The same built components; the configuration is the copy's own, compiled as
    // `spin build` would into the copy's `target/config`.
    let wasm = root
        .join("target/wasm32-wasip2")
        .canonicalize()
        .expect("target");
    let manifest = manifest.replace(
        "source = \"target/wasm32-wasip2/",
        &format!("source = \"{}/", wasm.display()),
    );
    std::fs::write(dir.path().join("spin.toml"), manifest).expect("write");
    copy_dir(&root.join("config"), &dir.path().join("config"));
    edit_config(&dir.path().join("config"));
    orderpath_config_check::compile_dir(
        &dir.path().join("config"),
        &dir.path().join("target/config"),
    )
    .expect("the configuration compiles (into its problems, when it has some)");
    dir
}

/// Copies a folder and everything in it.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read") {
        let entry = entry.expect("entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).expect("copy");
        }
    }
}

/// The test SMS.ru key.
pub const SMSRU_API_ID: &str = "smsru-test-api-id";
/// The test Telegram bot token.
pub const TELEGRAM_TOKEN: &str = "123456:telegram-test-token";

/// The fields of a form body.
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// The fields of a `multipart/form-data` request (Mailgun's), in order: each part's name and
/// text. An email's extra header fields are its `h:<Name>` parts.
pub fn multipart_fields(request: &RecordedRequest) -> Vec<(String, String)> {
    let boundary = request
        .header("content-type")
        .and_then(|value| value.strip_prefix("multipart/form-data; boundary="))
        .expect("a multipart/form-data request")
        .to_owned();
    let body = request.text();
    let (parts, end) = body
        .split_once(&format!("--{boundary}--"))
        .expect("the closing boundary");
    assert_eq!(end, "\r\n", "nothing after the closing boundary");
    parts
        .strip_prefix(&format!("--{boundary}\r\n"))
        .and_then(|inner| inner.strip_suffix("\r\n"))
        .expect("the opening boundary, a line break before the closing one")
        .split(&format!("\r\n--{boundary}\r\n"))
        .map(|part| {
            let (head, value) = part.split_once("\r\n\r\n").expect("headers, blank line");
            let name = head
                .strip_prefix("Content-Disposition: form-data; name=\"")
                .and_then(|rest| rest.strip_suffix('"'))
                .expect("a named part");
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// One field of a form body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_fields(body)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// SMS.ru's success answer for whatever number was sent (`json=1`): the top-level status
/// and the number's own entry.
pub fn smsru_ok() -> Responder {
    Responder::computed(|request| {
        let to = form_field(&request.body, "to").unwrap_or_default();
        Responder::status(200).json(serde_json::json!({
            "status": "OK", "status_code": 100,
            "sms": { to.clone(): { "status": "OK", "status_code": 100,
                                   "sms_id": format!("000000-{to}") } },
            "balance": 4122.56
        }))
    })
}

/// SMS.ru's per-number refusal (HTTP 200, top-level OK) with `code`.
pub fn smsru_refused(code: u16, text: &'static str) -> Responder {
    Responder::computed(move |request| {
        let to = form_field(&request.body, "to").unwrap_or_default();
        Responder::status(200).json(serde_json::json!({
            "status": "OK", "status_code": 100,
            "sms": { to: { "status": "ERROR", "status_code": code, "status_text": text } },
            "balance": 4122.56
        }))
    })
}

/// The SMS texts SMS.ru received, with their numbers.
pub fn sms_sent(app: &TestApp) -> Vec<(String, String)> {
    app.sms_api
        .requests()
        .iter()
        .map(|r| {
            (
                form_field(&r.body, "to").unwrap_or_default(),
                form_field(&r.body, "msg").unwrap_or_default(),
            )
        })
        .collect()
}

/// Postmark's success answer.
pub fn postmark_ok(message_id: &str) -> Responder {
    Responder::status(200).json(json!({
        "To": "anna.petrova@example.com",
        "SubmittedAt": "2026-11-24T07:00:01Z",
        "MessageID": message_id,
        "ErrorCode": 0,
        "Message": "OK"
    }))
}

pub fn signature(webhook_id: &str, ts: i64, body: &[u8]) -> String {
    signature_with(SECRET, webhook_id, ts, body)
}

/// A Standard Webhooks `v1,` signature with another `whsec_` secret.
pub fn signature_with(secret: &str, webhook_id: &str, ts: i64, body: &[u8]) -> String {
    let key = BASE64
        .decode(secret.trim_start_matches("whsec_"))
        .expect("secret is base64");
    let mut mac = <Hmac<Sha256>>::new_from_slice(&key).expect("key");
    mac.update(format!("{webhook_id}.{ts}.").as_bytes());
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

pub fn signed_request(webhook_id: &str, ts: i64, body: &[u8]) -> http::Request<Bytes> {
    http::Request::post("http://orders.shop.example/webhooks/orders")
        .header("content-type", "application/json")
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature(webhook_id, ts, body))
        .body(Bytes::copy_from_slice(body))
        .expect("request")
}

pub fn tick_request(token: Option<&str>) -> http::Request<Bytes> {
    let mut builder = http::Request::post("http://orders.shop.example/cron/tick");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Bytes::new()).expect("request")
}

/// The body of a JSON answer.
pub fn json_of(response: &HarnessResponse) -> Value {
    response.json().expect("JSON answer")
}
