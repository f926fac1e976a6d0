//! `orderpath-demo`: seeds a running app (Spin or the harness) with the demo shop through its
//! real webhooks, and gives the demo staff a password.
//!
//! ```text
//! orderpath-demo [--url http://127.0.0.1:3000] [--orders 300] [--days 60] [--env .env]
//! ```
//!
//! Secrets and the admin token come from the `.env` file `scripts/dev.sh` writes
//! (`SPIN_VARIABLE_*`), or the same names in the environment; the staff password from
//! `DEMO_PASSWORD`. Orders are dated over the last `--days` days; the webhooks' own timestamps
//! are now, as a live shop's would be.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use orderpath_demo::{plan, sign, DEMO_STAFF};
use serde_json::json;
use tokio::net::TcpStream;

struct Args {
    url: String,
    orders: usize,
    days: i64,
    env: String,
}

fn args() -> Result<Args> {
    let mut args = Args {
        url: "http://127.0.0.1:3000".into(),
        orders: 300,
        days: 60,
        env: ".env".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value()?.trim_end_matches('/').to_owned(),
            "--orders" => args.orders = value()?.parse().context("--orders")?,
            "--days" => args.days = value()?.parse().context("--days")?,
            "--env" => args.env = value()?,
            "-h" | "--help" => {
                println!("orderpath-demo [--url URL] [--orders N] [--days N] [--env FILE]");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(args)
}

/// `.env` values, overridden by the real environment (as Spin reads them).
fn settings(path: &str) -> HashMap<String, String> {
    let mut values: HashMap<String, String> = std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect();
    for (key, value) in std::env::vars() {
        if key.starts_with("SPIN_VARIABLE_") || key == "DEMO_PASSWORD" {
            values.insert(key, value);
        }
    }
    values
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = args()?;
    let settings = settings(&args.env);
    let get = |name: &str| -> Result<String> {
        settings
            .get(name)
            .filter(|v| !v.is_empty())
            .cloned()
            .with_context(|| format!("{name} is not set (run ./scripts/dev.sh once to write .env)"))
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let start = now - args.days * 86_400;
    let events: Vec<_> = plan(start, args.days, args.orders)
        .into_iter()
        .filter(|e| e.at <= now)
        .collect();
    let mut failures = 0;
    for (n, event) in events.iter().enumerate() {
        let variable = format!(
            "SPIN_VARIABLE_{}",
            event.hook.secret_variable().to_ascii_uppercase()
        );
        let body = serde_json::to_vec(&event.body)?;
        let signature = sign(&get(&variable)?, &event.id, now, &body)?;
        let headers = [
            ("webhook-id", event.id.clone()),
            ("webhook-timestamp", now.to_string()),
            ("webhook-signature", signature),
        ];
        let (status, text) = send(&args.url, "POST", event.hook.path(), &headers, body).await?;
        if !(200..300).contains(&status) {
            failures += 1;
            eprintln!("{} {}: {status} {text}", event.hook.path(), event.id);
        }
        if (n + 1) % 100 == 0 {
            println!("{} of {} events posted", n + 1, events.len());
        }
    }
    let admin = get("SPIN_VARIABLE_ADMIN_TOKEN")?;
    let password = get("DEMO_PASSWORD")?;
    for staff in DEMO_STAFF {
        let body = serde_json::to_vec(&json!({ "password": password }))?;
        let headers = [("authorization", format!("Bearer {admin}"))];
        let path = format!("/api/staff/{staff}/password");
        let (status, text) = send(&args.url, "PUT", &path, &headers, body).await?;
        if status != 204 {
            bail!("setting {staff}'s password: {status} {text}");
        }
    }
    println!(
        "Seeded {} orders ({} events, {failures} refused) over {} days.",
        args.orders,
        events.len(),
        args.days
    );
    if failures > 0 {
        bail!("{failures} events were refused");
    }
    Ok(())
}

async fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Result<(u16, String)> {
    let authority = base
        .strip_prefix("http://")
        .context("--url must be http://host:port")?;
    let stream = TcpStream::connect(authority)
        .await
        .with_context(|| format!("connecting to {base}"))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut request = http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("host", authority)
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body)))?)
        .await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
