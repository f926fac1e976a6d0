//! Load benchmark over real HTTP. For each number of connections it measures:
//! - `order new`: signed `order.created` webhooks, each a new order (C1 email queued);
//! - `order again`: the same deliveries again (the idempotent answer);
//! - `stripe paid`: a Stripe `payment_intent.succeeded` for each of those orders;
//! - `GET /baseline`: the app's trivial `not-found` component;
//! - `/limit/hello` and `/limit/write` of `../shared/tools/limit-app` when it is given: a bare
//!   component and the least durable SQLite write a webhook can do, the same-run reference.
//!
//! Two modes, one set of cases and one table:
//!
//! ```text
//! # in-process: the harness serves the app (and the limit app) itself
//! cargo run --release -p orderpath-harness --bin bench -- [-c 1,8] [-n 2000] \
//!     [-f spin.toml] [--limit-app ../shared/tools/limit-app/spin.toml] [--variable k=v ...]
//! # external: drive an app already served, e.g. by a real `spin up`
//! cargo run --release -p orderpath-harness --bin bench -- --url http://127.0.0.1:3000 \
//!     --orders-secret whsec_... [--stripe-secret whsec_...] [--limit-url http://127.0.0.1:3001]
//! ```
//!
//! `--variable` overrides an app variable in-process, e.g. `--variable sqlite_synchronous=normal`.
//! Ratios to the limit app's rows are printed when it was measured.

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
    connections: Vec<usize>,
    count: usize,
    manifest: String,
    variables: Vec<(String, String)>,
    limit_manifest: Option<String>,
    url: Option<String>,
    limit_url: Option<String>,
    orders_secret: Option<String>,
    stripe_secret: Option<String>,
    shopify_secret: Option<String>,
}

const USAGE: &str = "usage: bench [-c 1,8] [-n COUNT] [-f spin.toml] [--variable k=v] \
    [--limit-app limit-app/spin.toml] | --url URL --orders-secret whsec_… [--stripe-secret whsec_…] \
    [--shopify-secret SECRET] [--limit-url URL]";

fn parse_args() -> Result<Args> {
    let mut args = Args {
        connections: vec![8],
        count: 2000,
        manifest: "spin.toml".into(),
        variables: Vec::new(),
        limit_manifest: None,
        url: None,
        limit_url: None,
        orders_secret: None,
        stripe_secret: None,
        shopify_secret: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--concurrency" | "--connections" | "-c" => {
                args.connections = value()?
                    .split(',')
                    .map(|n| n.trim().parse::<usize>())
                    .collect::<Result<_, _>>()?
            }
            "--count" | "-n" => args.count = value()?.parse()?,
            "-f" | "--from" => args.manifest = value()?,
            "--limit-app" => args.limit_manifest = Some(value()?),
            "--url" => args.url = Some(value()?),
            "--limit-url" => args.limit_url = Some(value()?),
            "--orders-secret" => args.orders_secret = Some(value()?),
            "--stripe-secret" => args.stripe_secret = Some(value()?),
            "--shopify-secret" => args.shopify_secret = Some(value()?),
            "--variable" => {
                let pair = value()?;
                let (k, v) = pair
                    .split_once('=')
                    .with_context(|| format!("--variable wants name=value, got {pair:?}"))?;
                args.variables.push((k.to_owned(), v.to_owned()));
            }
            other => bail!("unexpected argument {other:?}; {USAGE}"),
        }
    }
    if args.connections.contains(&0) || args.connections.is_empty() || args.count == 0 {
        bail!("connections and --count must be positive");
    }
    if args.url.is_some() && args.orders_secret.is_none() {
        bail!("--url needs --orders-secret: the orders_webhook_secret of the served app");
    }
    Ok(args)
}

/// Where requests go: an address to connect to and the `host` header to send.
#[derive(Clone)]
struct Target {
    addr: std::net::SocketAddr,
    host: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target> {
        let url = url::Url::parse(url).with_context(|| format!("bad URL {url:?}"))?;
        if url.scheme() != "http" {
            bail!("only http:// URLs can be benchmarked, got {url}");
        }
        let addr = url
            .socket_addrs(|| Some(80))?
            .into_iter()
            .next()
            .with_context(|| format!("{url} resolves to no address"))?;
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or("localhost")),
            None => url.host_str().unwrap_or("localhost").to_owned(),
        };
        Ok(Target { addr, host })
    }
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

async fn run(target: &Target, count: usize, concurrency: usize, make: Make) -> Result<Stats> {
    let (addr, host) = (target.addr, http::HeaderValue::from_str(&target.host)?);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (next, make, host) = (next.clone(), make.clone(), host.clone());
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
                let mut request = make(i);
                request
                    .headers_mut()
                    .insert(http::header::HOST, host.clone());
                match sender.send_request(request).await {
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

/// The order id of the `i`th order of a run (unique across runs against one database).
fn order_id(run_id: u64, i: usize) -> String {
    format!("B{run_id}-{:06}", i + 1)
}

fn order_body(run_id: u64, i: usize) -> String {
    format!(
        r#"{{"type":"order.created","data":{{"order_id":"{}","currency":"RUB","customer":{{"name":"Анна","phone":"+79123456789","email":"anna@example.com"}},"items":[{{"sku":"TEA-001","name":"Чай","qty":2,"price":45000,"category":"tea"}}],"total":90000}}}}"#,
        order_id(run_id, i)
    )
}

/// A signed `order.created`; the same `run_id` and `i` give the same delivery (a redelivery).
fn signed_order(key: &[u8], run_id: u64, i: usize) -> http::Request<Full<Bytes>> {
    let body = order_body(run_id, i);
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

/// The Shopify secret the bench configures in-process.
const SHOPIFY_SECRET: &str = "shpss_bench_client_secret";

/// A signed Shopify `orders/create` of a new order (the same `run_id` and `i`: a redelivery).
fn shopify_order(secret: &str, run_id: u64, i: usize) -> http::Request<Full<Bytes>> {
    let body = format!(
        r##"{{"id":{id},"admin_graphql_api_id":"gid://shopify/Order/{id}","name":"#{name}","order_number":{n},"email":"anna@example.com","phone":"+79123456789","created_at":"2026-11-24T10:00:00+03:00","updated_at":"2026-11-24T10:00:01+03:00","currency":"RUB","financial_status":"pending","fulfillment_status":null,"source_name":"web","landing_site":"/?utm_source=bench","total_price":"900.00","total_discounts":"0.00","note":null,"tags":"","customer":{{"id":1,"first_name":"Анна","last_name":"Петрова","email":"anna@example.com","phone":"+79123456789","tags":""}},"line_items":[{{"id":1,"variant_id":2,"product_id":3,"sku":"TEA-001","title":"Чай","name":"Чай","quantity":2,"price":"450.00"}}],"shipping_lines":[],"shipping_address":null,"billing_address":null}}"##,
        id = 5_900_000_000_000 + run_id % 1_000_000 * 10_000 + i as u64,
        name = order_id(run_id, i).replace('-', ""),
        n = i + 1,
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body.as_bytes());
    http::Request::post("/webhooks/shop/shopify")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("x-shopify-topic", "orders/create")
        .header("x-shopify-webhook-id", format!("bench-{run_id}-{i}"))
        .header(
            "x-shopify-hmac-sha256",
            B64.encode(mac.finalize().into_bytes()),
        )
        .body(Full::new(Bytes::from(body)))
        .expect("valid request")
}

/// The Stripe endpoint secret the bench configures in-process.
const STRIPE_SECRET: &str = "whsec_bench_stripe_endpoint";

fn stripe_payment(secret: &str, run_id: u64, i: usize) -> http::Request<Full<Bytes>> {
    let body = format!(
        r#"{{"id":"evt_bench_{run_id}_{i}","type":"payment_intent.succeeded","livemode":true,"created":1795503600,"data":{{"object":{{"id":"pi_bench_{run_id}_{i}","object":"payment_intent","amount":90000,"amount_received":90000,"currency":"rub","metadata":{{"order_id":"{}"}}}}}}}}"#,
        order_id(run_id, i)
    );
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
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

fn get(path: &'static str) -> Make {
    Arc::new(move |_| {
        http::Request::get(path)
            .body(Full::new(Bytes::new()))
            .expect("valid request")
    })
}

fn post_empty(path: &'static str) -> Make {
    Arc::new(move |_| {
        http::Request::post(path)
            .body(Full::new(Bytes::new()))
            .expect("valid request")
    })
}

/// The key of a Standard Webhooks secret (`whsec_` + base64).
fn webhook_key(secret: &str) -> Result<Vec<u8>> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    B64.decode(encoded)
        .context("--orders-secret must be whsec_ followed by base64")
}

/// What the in-process mode keeps alive while it is measured.
struct Served {
    app: App,
    _servers: Vec<orderpath_harness::Server>,
    _mock: MockServer,
    _state: tempfile::TempDir,
}

async fn serve_in_process(args: &Args, secret: &str) -> Result<(Served, Target, Option<Target>)> {
    let mock = MockServer::start().await;
    mock.respond(
        Responder::status(200)
            .json(serde_json::json!({"ErrorCode": 0, "Message": "OK", "MessageID": "bench"})),
    );
    let state = tempfile::tempdir()?;
    let mut builder = App::builder(&args.manifest)
        .state_dir(state.path())
        .variable("orders_webhook_secret", secret)
        .variable("email_from", "Shop <shop@example.com>")
        .variable("shop_name", "Bench shop")
        .variable("postmark_token", "bench")
        .variable("postmark_url", mock.url())
        .variable("cron_token", "bench-cron")
        .variable("admin_token", "bench-admin")
        .variable("stripe_webhook_secret", STRIPE_SECRET)
        .variable("shopify_webhook_secret", SHOPIFY_SECRET);
    for (name, value) in &args.variables {
        builder = builder.variable(name, value);
    }
    let app = builder.build().await?;
    let server = app.serve("127.0.0.1:0").await?;
    let target = Target::parse(&server.url())?;
    let mut servers = vec![server];
    let mut limit = None;
    if let Some(manifest) = &args.limit_manifest {
        let limit_app = App::builder(manifest)
            .state_dir(state.path().join("limit"))
            .build()
            .await
            .with_context(|| {
                format!("the limit app {manifest} (build it with spin-harness build -f)")
            })?;
        let limit_server = limit_app.serve("127.0.0.1:0").await?;
        limit = Some(Target::parse(&limit_server.url())?);
        servers.push(limit_server);
    }
    let served = Served {
        app,
        _servers: servers,
        _mock: mock,
        _state: state,
    };
    Ok((served, target, limit))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let shopify_secret = match &args.url {
        Some(_) => args.shopify_secret.clone(),
        None => Some(SHOPIFY_SECRET.to_owned()),
    };
    let (served, target, limit, orders_secret, stripe_secret) = match &args.url {
        Some(url) => {
            let limit = args.limit_url.as_deref().map(Target::parse).transpose()?;
            let orders = args.orders_secret.clone().unwrap_or_default();
            (
                None,
                Target::parse(url)?,
                limit,
                orders,
                args.stripe_secret.clone(),
            )
        }
        None => {
            let key: [u8; 32] = rand::random();
            let secret = format!("whsec_{}", B64.encode(key));
            let (served, target, limit) = serve_in_process(&args, &secret).await?;
            (
                Some(served),
                target,
                limit,
                secret,
                Some(STRIPE_SECRET.to_owned()),
            )
        }
    };
    let key = Arc::new(webhook_key(&orders_secret)?);
    println!(
        "{} http://{} — {} requests per case{}\n",
        if served.is_some() {
            "Harness serving"
        } else {
            "Driving"
        },
        target.host,
        args.count,
        match &limit {
            Some(limit) => format!(", limit app at http://{}", limit.host),
            None => String::new(),
        }
    );

    let mut failures = Vec::new();
    for &connections in &args.connections {
        let run_id = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let mut rows: Vec<(&str, Stats)> = Vec::new();
        let orders: Make = {
            let key = key.clone();
            Arc::new(move |i| signed_order(&key, run_id, i))
        };
        rows.push((
            "order new",
            run(&target, args.count, connections, orders.clone()).await?,
        ));
        rows.push((
            "order again",
            run(&target, args.count, connections, orders).await?,
        ));
        if let Some(secret) = stripe_secret.clone() {
            let payments: Make = Arc::new(move |i| stripe_payment(&secret, run_id, i));
            rows.push((
                "stripe paid",
                run(&target, args.count, connections, payments).await?,
            ));
        }
        if let Some(secret) = shopify_secret.clone() {
            let shopify: Make = Arc::new(move |i| shopify_order(&secret, run_id, i));
            rows.push((
                "shopify new",
                run(&target, args.count, connections, shopify).await?,
            ));
        }
        rows.push((
            "GET /baseline",
            run(&target, args.count, connections, get("/baseline")).await?,
        ));
        if let Some(limit) = &limit {
            let hello = run(limit, args.count, connections, get("/limit/hello")).await?;
            rows.push(("/limit/hello", hello));
            let write = run(limit, args.count, connections, post_empty("/limit/write")).await?;
            rows.push(("/limit/write", write));
        }
        println!("{connections} connection(s):");
        let table: Vec<(&str, &Stats)> = rows.iter().map(|(n, s)| (*n, s)).collect();
        print_table(&table);
        print_ratios(&rows);
        println!();
        // The baseline is the app's not-found component: its 404 is the expected answer.
        failures.extend(
            rows.iter()
                .filter(|(n, s)| *n != "GET /baseline" && s.non_2xx > 0)
                .map(|(n, _)| *n),
        );
    }

    if let Some(served) = &served {
        for component in ["order-events", "payment-events"] {
            if failures.is_empty() {
                break;
            }
            let out = served.app.guest_output(component);
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
    }
    if !failures.is_empty() {
        println!("cases with non-2xx answers: {failures:?}");
    }
    Ok(())
}

/// The ratios the performance targets are stated in, when the limit app was measured.
fn print_ratios(rows: &[(&str, Stats)]) {
    let find = |name: &str| rows.iter().find(|(n, _)| *n == name).map(|(_, s)| s);
    let (Some(hello), Some(write)) = (find("/limit/hello"), find("/limit/write")) else {
        return;
    };
    if let Some(new) = find("order new") {
        println!(
            "order new: {:.0}% of /limit/write req/s; p99 {} against its {}",
            100.0 * new.rps() / write.rps(),
            ms(new.pct(0.99)),
            ms(write.pct(0.99))
        );
    }
    if let Some(shopify) = find("shopify new") {
        println!(
            "shopify new: {:.0}% of /limit/write req/s; p99 {} against its {}",
            100.0 * shopify.rps() / write.rps(),
            ms(shopify.pct(0.99)),
            ms(write.pct(0.99))
        );
    }
    if let Some(again) = find("order again") {
        println!(
            "order again: {:.0}% of /limit/hello req/s",
            100.0 * again.rps() / hello.rps()
        );
    }
}
