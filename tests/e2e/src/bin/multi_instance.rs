//! Drives two or more running instances of the app that share one database (two real
//! `spin up` processes from one app directory) and prints, per effect, expected against
//! actual. See docs/scaling.md.
//!
//! ```text
//! # the variables both instances and the driver use (fresh secrets, providers on the mock)
//! cargo run -p orderpath-e2e --bin multi-instance -- env [--provider 127.0.0.1:3900] > mi.env
//! # …start the instances with them, then:
//! cargo run -p orderpath-e2e --bin multi-instance -- --url http://127.0.0.1:3001 \
//!     --url http://127.0.0.1:3002 --db .spin/sqlite_db.db [--provider 127.0.0.1:3900] \
//!     [--orders 4] [--copies 3] [--ticks 3]
//! ```
//!
//! The secrets come from the same `SPIN_VARIABLE_*` environment variables the instances were
//! started with. Exits 1 when any effect is not exactly as expected.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use orderpath_e2e::multi_instance::{self, Instance, Provider, Secrets, Setup};
use orderpath_harness::Clock;

const USAGE: &str = "usage: multi-instance env [--provider ADDR]\n       \
    multi-instance --url URL --url URL [--url URL ...] --db PATH [--provider ADDR] \
    [--orders N] [--copies N] [--ticks N]";

/// Where the mock providers listen unless told otherwise.
const PROVIDER_ADDR: &str = "127.0.0.1:3900";

#[tokio::main]
async fn main() {
    match run().await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("multi-instance: {error:#}\n{USAGE}");
            std::process::exit(2);
        }
    }
}

async fn run() -> Result<bool> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("env") {
        args.next();
        let mut provider = PROVIDER_ADDR.to_owned();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--provider" => provider = args.next().context("--provider needs an address")?,
                other => bail!("unexpected argument {other:?}"),
            }
        }
        let secrets = Secrets::generate()?;
        for (name, value) in multi_instance::variables(&secrets, &format!("http://{provider}")) {
            println!(
                "export SPIN_VARIABLE_{}='{}'",
                name.to_uppercase(),
                value.replace('\'', "'\\''")
            );
        }
        return Ok(true);
    }

    let mut urls = Vec::new();
    let mut db: Option<PathBuf> = None;
    let mut provider = PROVIDER_ADDR.to_owned();
    let (mut orders, mut copies, mut ticks) = (4, 3, 3);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--url" => urls.push(value()?),
            "--db" => db = Some(PathBuf::from(value()?)),
            "--provider" => provider = value()?,
            "--orders" => orders = value()?.parse().context("--orders")?,
            "--copies" => copies = value()?.parse().context("--copies")?,
            "--ticks" => ticks = value()?.parse().context("--ticks")?,
            other => bail!("unexpected argument {other:?}"),
        }
    }
    let db = db.context("--db names the database the instances share")?;
    // A fresh state directory has no database until the first request; its folder must exist.
    if !db.exists()
        && !db
            .parent()
            .is_some_and(|dir| dir.as_os_str().is_empty() || dir.is_dir())
    {
        bail!(
            "{} is not in an existing folder: start the instances first",
            db.display()
        );
    }
    if orders == 0 || copies == 0 || ticks == 0 {
        bail!("--orders, --copies and --ticks must be positive");
    }
    let instances = urls
        .iter()
        .map(|u| Instance::parse(u))
        .collect::<Result<Vec<_>>>()?;
    let provider = Provider::start(&provider).await?;
    let clock = Clock::system();
    let setup = Setup {
        instances,
        db,
        secrets: Secrets::from_env()?,
        run: Setup::run_name(&clock),
        clock,
        orders,
        copies,
        ticks,
    };
    println!(
        "driving {} against {} (providers on {})",
        setup.instances.len(),
        setup.db.display(),
        provider.url()
    );
    let report = multi_instance::run(&setup, &provider).await?;
    println!("{report}");
    Ok(report.exact())
}
