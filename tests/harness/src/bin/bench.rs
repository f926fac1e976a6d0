//! Load benchmark: serves the app in-process over real HTTP and measures signed
//! `order.created` webhooks, then a Stripe `payment_intent.succeeded` for each of those orders
//! (payment-events: signature, payment kept, V2/C7 triggers), against a baseline of
//! `GET /baseline` (the trivial `not-found` component).
//!
//! ```text
//! cargo run --release -p orderpath-harness --bin bench -- [--concurrency 8] [--count 2000] [-f spin.toml] [--variable k=v ...]
//! ```
//!
//! `--variable` overrides an app variable, e.g. `--variable sqlite_synchronous=normal`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use orderpath_harness::{App, MockServer, Responder};
use sha2::Sha256;

struct Args {
    concurrency: usize,
    count: usize,
    manifest: String,
    variables: Vec<(String, String)>,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        concurrency: 8,
        count: 2000,
        manifest: "spin.toml".into(),
        variables: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--concurrency" | "-c" => args.concurrency = value()?.parse()?,
            "--count" | "-n" => args.count = value()?.parse()?,
            "-f" | "--from" => args.manifest = value()?,
            "--variable" => {
                let pair = value()?;
                let (k, v) = pair
                    .split_once('=')
                    .with_context(|| format!("--variable wants name=value, got {pair:?}"))?;
                args.variables.push((k.to_owned(), v.to_owned()));
            }
            other => bail!("unexpected argument {other:?}; usage: bench [--concurrency N] [--count N] [-f spin.toml] [--variable k=v]"),
        }
    }
    if args.concurrency == 0 || args.count == 0 {
        bail!("--concurrency and --count must be positive");
    }
    Ok(args)
}

/// What one run measured.
struct Stats {
    elapsed: Duration,
    latencies: Vec<Duration>,
    non_2xx: usize,
    errors: usize,
}

impl Stats {
    fn rps(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn pct(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i]
    }
}

type Make = Arc<dyn Fn(usize) -> http::Request<Full<Bytes>> + Send + Sync>;

async fn connect(addr: std::net::SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn run(
    addr: std::net::SocketAddr,
    count: usize,
    concurrency: usize,
    make: Make,
) -> Result<Stats> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (next, make) = (next.clone(), make.clone());
        workers.push(tokio::spawn(async move {
            let mut out = (Vec::new(), 0usize, 0usize);
            let mut sender = connect(addr).await?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                if sender.ready().await.is_err() {
                    sender = connect(addr).await?;
                }
                let t = Instant::now();
                match sender.send_request(make(i)).await {
                    Ok(resp) => {
                        let ok = resp.status().is_success();
                        let _ = resp.into_body().collect().await;
                        out.0.push(t.elapsed());
                        out.1 += usize::from(!ok);
                    }
                    Err(_) => {
                        out.2 += 1;
                        sender = connect(addr).await?;
                    }
                }
            }
            anyhow::Ok(out)
        }));
    }
    let mut stats = Stats {
        elapsed: Duration::ZERO,
        latencies: Vec::with_capacity(count),
        non_2xx: 0,
        errors: 0,
    };
    for w in workers {
        let (lat, non_2xx, errors) = w.await??;
        stats.latencies.extend(lat);
        stats.non_2xx += non_2xx;
        stats.errors += errors;
    }
    stats.elapsed = start.elapsed();
    stats.latencies.sort();
    Ok(stats)
}

fn order_body(i: usize) -> String {
    format!(
        r#"{{"type":"order.created","data":{{"order_id":"B-{:06}","currency":"RUB","customer":{{"name":"Анна","phone":"+79123456789","email":"anna@example.com"}},"items":[{{"sku":"TEA-001","name":"Чай","qty":2,"price":45000,"category":"tea"}}],"total":90000}}}}"#,
        i + 1
    )
}

fn signed_order(key: &[u8], run_id: u64, i: usize) -> http::Request<Full<Bytes>> {
    let body = order_body(i);
    let id = format!("msg_bench_{run_id}_{i}");
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    let signature = B64.encode(mac.finalize().into_bytes());
    http::Request::post("/webhooks/orders")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", format!("v1,{signature}"))
        .body(Full::new(Bytes::from(body)))
        .expect("valid request")
}

/// The Stripe endpoint secret the bench configures.
const STRIPE_SECRET: &str = "whsec_bench_stripe_endpoint";

fn stripe_payment(run_id: u64, i: usize) -> http::Request<Full<Bytes>> {
    let body = format!(
        r#"{{"id":"evt_bench_{run_id}_{i}","type":"payment_intent.succeeded","livemode":false,"created":1795503600,"data":{{"object":{{"id":"pi_bench_{run_id}_{i}","object":"payment_intent","amount":90000,"amount_received":90000,"currency":"rub","metadata":{{"order_id":"B-{:06}"}}}}}}}}"#,
        i + 1
    );
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut mac =
        Hmac::<Sha256>::new_from_slice(STRIPE_SECRET.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{ts}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    http::Request::post("/webhooks/payments/stripe")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("stripe-signature", format!("t={ts},v1={hex}"))
        .body(Full::new(Bytes::from(body)))
        .expect("valid request")
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn print_table(runs: &[(&str, &Stats)]) {
    let row = |label: &str, f: &dyn Fn(&Stats) -> String| {
        let cells: Vec<String> = runs.iter().map(|(_, s)| format!("{:>18}", f(s))).collect();
        println!("{label:<14}{}", cells.join(""));
    };
    let header: Vec<String> = runs.iter().map(|(n, _)| format!("{n:>18}")).collect();
    println!("{:<14}{}", "", header.join(""));
    row("requests", &|s| s.latencies.len().to_string());
    row("req/s", &|s| format!("{:.0}", s.rps()));
    row("p50", &|s| ms(s.pct(0.50)));
    row("p99", &|s| ms(s.pct(0.99)));
    row("max", &|s| {
        ms(s.latencies.last().copied().unwrap_or_default())
    });
    row("non-2xx", &|s| s.non_2xx.to_string());
    row("conn errors", &|s| s.errors.to_string());
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let secret: [u8; 32] = rand::random();
    let mock = MockServer::start().await;
    mock.respond(
        Responder::status(200)
            .json(serde_json::json!({"ErrorCode": 0, "Message": "OK", "MessageID": "bench"})),
    );
    let state = tempfile::tempdir()?;
    let mut builder = App::builder(&args.manifest)
        .state_dir(state.path())
        .variable(
            "orders_webhook_secret",
            format!("whsec_{}", B64.encode(secret)),
        )
        .variable("email_from", "Shop <shop@example.com>")
        .variable("shop_name", "Bench shop")
        .variable("postmark_token", "bench")
        .variable("postmark_url", mock.url())
        .variable("cron_token", "bench-cron")
        .variable("admin_token", "bench-admin")
        .variable("stripe_webhook_secret", STRIPE_SECRET);
    for (name, value) in &args.variables {
        builder = builder.variable(name, value);
    }
    let app = builder.build().await?;
    let server = app.serve("127.0.0.1:0").await?;
    let addr = server.addr();
    println!(
        "Serving {} — {} requests, {} connections\n",
        server.url(),
        args.count,
        args.concurrency
    );

    let run_id = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    let orders: Make = Arc::new(move |i| signed_order(&secret, run_id, i));
    let order_stats = run(addr, args.count, args.concurrency, orders).await?;
    let payments: Make = Arc::new(move |i| stripe_payment(run_id, i));
    let payment_stats = run(addr, args.count, args.concurrency, payments).await?;

    let baseline: Make = Arc::new(|_| {
        http::Request::get("/baseline")
            .header("host", "localhost")
            .body(Full::new(Bytes::new()))
            .expect("valid request")
    });
    let base_stats = run(addr, args.count, args.concurrency, baseline).await?;

    print_table(&[
        ("order.created", &order_stats),
        ("stripe payment", &payment_stats),
        ("GET /baseline", &base_stats),
    ]);
    println!(
        "\nprovider calls received by the mock: {}",
        mock.requests().len()
    );
    for (stats, component) in [
        (&order_stats, "order-events"),
        (&payment_stats, "payment-events"),
    ] {
        if stats.non_2xx == 0 {
            continue;
        }
        let out = app.guest_output(component);
        let tail: String = out
            .chars()
            .rev()
            .take(2000)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        println!("\nlast output of {component}:\n{tail}");
    }
    server.shutdown().await;
    Ok(())
}
