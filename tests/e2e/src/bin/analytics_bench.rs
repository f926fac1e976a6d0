//! Seeds a state directory with many orders and times every analytics endpoint against it
//! through the harness (the real `staff-api.wasm`).
//!
//! ```text
//! cargo run --release -p orderpath-e2e --bin analytics-bench -- seed --state /tmp/op-100k \
//!     [--orders 100000]
//! cargo run --release -p orderpath-e2e --bin analytics-bench -- time --state /tmp/op-100k \
//!     [--runs 5] [-f spin.toml]
//! ```
//!
//! `seed` makes `<state>/sqlite_db.db` from nothing: the app's own migrations (replayed from
//! `orderpath_shell::db::migrate`), then the orders over the 400 days up to 2026-11-24 Moscow
//! time: items, status moves in the history (some cancelled with reasons), payments, calls,
//! messages on every channel, UTM values and repeat customers. Deterministic (a fixed seed).
//! `time` serves that directory with the clock at 2026-11-24 23:00 Moscow and calls each
//! report for the last 30 and 366 days, printing p50 and max per endpoint.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rusqlite::params;

/// 2026-11-24T21:00:00Z: 2026-11-25 00:00 in Moscow, the end of the seeded days.
const END: i64 = 1_795_554_000;
const DAYS: i64 = 400;
const ADMIN_TOKEN: &str = "analytics-bench-admin";

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn rfc3339(t: i64) -> String {
    orderpath_core::automation::time::rfc3339::format_utc(t)
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let (mut state, mut orders, mut runs, mut manifest) =
        (None, 100_000_u64, 5_usize, "spin.toml".to_owned());
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--state" => state = Some(PathBuf::from(value()?)),
            "--orders" => orders = value()?.parse()?,
            "--runs" => runs = value()?.parse()?,
            "-f" => manifest = value()?,
            other => bail!("unexpected argument {other:?}"),
        }
    }
    let state = state.context("--state DIR is required")?;
    match command.as_str() {
        "seed" => seed(&state, orders),
        "time" => tokio::runtime::Runtime::new()?.block_on(time(&state, runs, &manifest)),
        _ => bail!("usage: analytics-bench seed|time --state DIR [--orders N] [--runs N]"),
    }
}

fn seed(state: &std::path::Path, count: u64) -> Result<()> {
    std::fs::create_dir_all(state)?;
    let path = state.join("sqlite_db.db");
    if path.exists() {
        bail!("{} exists; seed into an empty directory", path.display());
    }
    let started = Instant::now();
    let mut db = rusqlite::Connection::open(&path)?;
    db.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE schema_migrations (
             version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )?;
    let latest = orderpath_shell::db::migrate::latest_version();
    for (number, name, statements) in orderpath_shell::db::migrate::up_to(latest) {
        for statement in statements {
            db.execute_batch(statement)
                .with_context(|| format!("migration {number}"))?;
        }
        db.execute(
            "INSERT INTO schema_migrations (version, name, applied_at)
             VALUES (?1, ?2, '2026-11-01T00:00:00Z')",
            params![number, name],
        )?;
    }
    // Items and history go in before their order row is complete.
    db.execute_batch("PRAGMA foreign_keys = OFF")?;
    let tx = db.transaction()?;
    seed_rows(&tx, count)?;
    tx.commit()?;
    db.execute_batch("ANALYZE")?;
    println!(
        "seeded {count} orders into {} in {:.1?}",
        path.display(),
        started.elapsed()
    );
    Ok(())
}

const CHANNELS: [&str; 5] = ["site", "site", "marketplace", "phone", "chat"];
const UTM: [(Option<&str>, Option<&str>); 6] = [
    (Some("yandex"), Some("tea-autumn")),
    (Some("yandex"), Some("brand")),
    (Some("google"), Some("tea-autumn")),
    (Some("vk"), None),
    (Some("telegram"), Some("newsletter")),
    (None, None),
];
const REASONS: [Option<&str>; 5] = [
    Some("Передумал"),
    Some("Нет в наличии"),
    Some("Дорогая доставка"),
    Some("Не дозвонились"),
    None,
];
/// The happy path after `new`, with the group each step is in.
const PATH: [&str; 8] = [
    "confirmed",
    "awaiting-payment",
    "payment-received",
    "prepare-for-delivery",
    "assembled",
    "handed-to-carrier",
    "at-pickup-point",
    "completed",
];

fn seed_rows(tx: &rusqlite::Transaction<'_>, count: u64) -> Result<()> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let customers = (count * 2 / 5).max(1);
    {
        let mut insert = tx.prepare(
            "INSERT INTO customers (id, name, phone, email, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        )?;
        for id in 1..=customers {
            let at = rfc3339(END - DAYS * 86_400);
            insert.execute(params![
                id as i64,
                format!("Покупатель {id}"),
                format!("+7900{id:07}"),
                format!("c{id}@example.com"),
                at
            ])?;
        }
    }
    let mut order = tx.prepare(
        "INSERT INTO orders (id, customer_id, status, payment_status, currency, channel,
            order_method, customer_type, customer_phone, customer_email, total, utm_source,
            utm_campaign, placed_at, created_at, updated_at, status_entered_at)
         VALUES (?1, ?2, ?3, ?4, 'RUB', ?5, 'cart', 'person', ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                 ?13, ?14)",
    )?;
    let mut item = tx.prepare(
        "INSERT INTO order_items (order_id, line, sku, name, qty, price, category)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'tea')",
    )?;
    let mut history = tx.prepare(
        "INSERT INTO order_history (order_id, at, actor, field, old_value, new_value, outcome,
                                    reason, event_id)
         VALUES (?1, ?2, 'webhook:orders', ?3, ?4, ?5, 'applied', ?6, ?7)",
    )?;
    let mut payment = tx.prepare(
        "INSERT INTO payments (source, payment_id, order_ref, order_id, status, amount, currency,
                               state, event_id, received_at)
         VALUES ('yookassa', ?1, ?2, ?2, 'succeeded', ?3, 'RUB', 'applied', ?1, ?4)",
    )?;
    let mut message = tx.prepare(
        "INSERT INTO outbox (dedupe_key, order_id, channel, template, recipient, body_text,
                             status, attempts, next_attempt_at, created_at, sent_at)
         VALUES (?1, ?2, ?3, 'c1-thank-you', ?4, 'Спасибо за заказ', ?5, 1, ?6, ?6, ?7)",
    )?;
    let mut call = tx.prepare(
        "INSERT INTO calls (source, call_id, direction, phone, operator, started_at, ended_at,
                            duration, outcome, finished, answered, operator_answered,
                            created_at, updated_at)
         VALUES ('generic', ?1, ?2, ?3, ?4, ?5, ?5, 60, ?6, 1, ?7, ?7, ?5, ?5)",
    )?;
    let span = DAYS * 86_400;
    for n in 0..count {
        let id = format!("S-{n}");
        let placed = END - span + (n as i64 * span) / count as i64 + rng.below(60) as i64;
        // A fifth of the customers place most orders: repeat buyers.
        let customer = if rng.chance(50) {
            1 + rng.below(customers / 5 + 1)
        } else {
            1 + rng.below(customers)
        } as i64;
        let lines = 1 + rng.below(3);
        let mut total = 0_i64;
        for line in 1..=lines {
            let sku = rng.below(200);
            let (qty, price) = (1 + rng.below(3) as i64, 10_000 + (sku as i64 % 50) * 2_500);
            total += qty * price;
            item.execute(params![
                id,
                line as i64,
                format!("SKU-{sku:03}"),
                format!("Товар {sku}"),
                qty,
                price
            ])?;
        }
        // Walk the path; young orders are still on it, some are cancelled on the way.
        let age = END - placed;
        let mut t = placed;
        let mut status = "new";
        let event = format!("seed-{n}");
        history.execute(params![
            id,
            rfc3339(t),
            "created",
            Option::<String>::None,
            "\"new\"",
            Option::<&str>::None,
            event
        ])?;
        for next in PATH {
            let step = 600 + rng.below(if status == "new" { 3_600 } else { 86_400 }) as i64;
            if t + step > END - 60 || (age < 3 * 86_400 && rng.chance(30)) {
                break;
            }
            t += step;
            let (to, reason) = if rng.chance(6) {
                let to = if status == "at-pickup-point" {
                    "not-bought-out"
                } else {
                    "cancelled"
                };
                (to, *rng.pick(&REASONS))
            } else {
                (next, None)
            };
            history.execute(params![
                id,
                rfc3339(t),
                "status",
                format!("\"{status}\""),
                format!("\"{to}\""),
                reason,
                event
            ])?;
            if to == "payment-received" {
                payment.execute(params![format!("pay-{n}"), id, total, rfc3339(t)])?;
            }
            status = to;
            if to != next {
                break;
            }
        }
        let (utm_source, utm_campaign) = *rng.pick(&UTM);
        // A tenth of the shops' clocks send an offset: placed_at is kept as sent.
        let placed_text = if n % 10 == 0 {
            let (y, m, d) = orderpath_core::automation::time::civil_from_days(
                (placed + 3 * 3600).div_euclid(86_400),
            );
            let s = (placed + 3 * 3600).rem_euclid(86_400);
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+03:00",
                s / 3600,
                s / 60 % 60,
                s % 60
            )
        } else {
            rfc3339(placed)
        };
        order.execute(params![
            id,
            customer,
            status,
            if status == "new" { "not-paid" } else { "paid" },
            *rng.pick(&CHANNELS),
            format!("+7900{customer:07}"),
            format!("c{customer}@example.com"),
            total,
            utm_source,
            utm_campaign,
            placed_text,
            rfc3339(placed),
            rfc3339(t),
            rfc3339(t)
        ])?;
        for k in 0..2 {
            let channel = *rng.pick(&["email", "email", "sms", "telegram"]);
            let outcome = *rng.pick(&["sent", "sent", "sent", "sent", "failed", "pending"]);
            let at = placed + k * 600;
            message.execute(params![
                format!("{id}:{k}"),
                id,
                channel,
                format!("c{customer}@example.com"),
                outcome,
                rfc3339(at),
                (outcome == "sent").then(|| rfc3339(at + 2))
            ])?;
        }
        if n % 2 == 0 {
            let inbound = rng.chance(70);
            let answered = rng.chance(75);
            call.execute(params![
                format!("call-{n}"),
                if inbound { "inbound" } else { "outbound" },
                format!("+7900{customer:07}"),
                format!("10{}", rng.below(8)),
                rfc3339(placed - 300),
                if answered { "answered" } else { "missed" },
                i64::from(answered)
            ])?;
        }
    }
    Ok(())
}

async fn time(state: &std::path::Path, runs: usize, manifest: &str) -> Result<()> {
    if !state.join("sqlite_db.db").exists() {
        bail!("no database in {}; run seed first", state.display());
    }
    // 2026-11-24 23:00 in Moscow: "today" is the last seeded day.
    let clock = orderpath_harness::Clock::fixed((END - 3600) as u64);
    let app = orderpath_harness::App::builder(manifest)
        .state_dir(state)
        .clock(clock)
        .variable("admin_token", ADMIN_TOKEN)
        .variable(
            "orders_webhook_secret",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        )
        .variable("cron_token", "analytics-bench-cron")
        .variable("email_from", "Shop <orders@shop.example>")
        .build()
        .await?;
    let periods = [
        ("30 days", "from=2026-10-26&to=2026-11-24"),
        ("366 days", "from=2025-11-24&to=2026-11-24"),
    ];
    println!("| endpoint | period | p50 ms | max ms |");
    println!("|---|---|---:|---:|");
    for name in orderpath_core::analytics::REPORTS {
        for (label, query) in periods {
            let extra = if name == "revenue" { "&by=day" } else { "" };
            let mut times = Vec::with_capacity(runs);
            for _ in 0..runs {
                let request = http::Request::get(format!(
                    "http://orders.shop.example/api/analytics/{name}?{query}{extra}"
                ))
                .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
                .body(bytes::Bytes::new())?;
                let started = Instant::now();
                let response = app.request(request).await?;
                times.push(started.elapsed());
                if response.status != 200 {
                    bail!("{name}: {} {}", response.status, response.text());
                }
            }
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "| `{name}` | {label} | {:.0} | {:.0} |",
                ms(times[(times.len() - 1) / 2]),
                ms(*times.last().expect("runs > 0"))
            );
        }
    }
    Ok(())
}
