//! `spin-harness`: `spin build` and `spin up` for machines without Spin.
//!
//! ```text
//! spin-harness build [-f spin.toml]
//! spin-harness up [-f spin.toml] [--listen 127.0.0.1:3000] [--state-dir DIR]
//!                  [--runtime-config-file rc.toml] [--variable k=v ...] [-e K=V ...]
//! ```
//!
//! As with `spin up`, `RUNTIME_CONFIG_FILE` in the environment names the runtime
//! configuration when the flag is not given.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use orderpath_harness::App;

const USAGE: &str = "usage:
  spin-harness build [-f spin.toml]
  spin-harness up [-f spin.toml] [--listen 127.0.0.1:3000] [--state-dir DIR]
                  [--runtime-config-file rc.toml] [--variable k=v ...] [-e K=V ...]";

fn main() {
    if let Err(e) = run() {
        eprintln!("Error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        bail!("{USAGE}");
    };
    let mut manifest = PathBuf::from("spin.toml");
    let mut listen =
        std::env::var("SPIN_HTTP_LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let mut state_dir = None;
    let mut runtime_config = std::env::var_os("RUNTIME_CONFIG_FILE").map(PathBuf::from);
    let mut variables = Vec::new();
    let mut env = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-f" | "--from" | "--file" => manifest = PathBuf::from(value(&arg)?),
            "--listen" => listen = value(&arg)?,
            "--state-dir" => state_dir = Some(PathBuf::from(value(&arg)?)),
            "--runtime-config-file" => runtime_config = Some(PathBuf::from(value(&arg)?)),
            "--variable" => variables.push(split_pair(&value(&arg)?)?),
            "-e" | "--env" => env.push(split_pair(&value(&arg)?)?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unexpected argument {other:?}\n{USAGE}"),
        }
    }
    match command.as_str() {
        "build" => orderpath_harness::build::build_app(&manifest),
        "up" => up(Up {
            manifest,
            listen,
            state_dir,
            runtime_config,
            variables,
            env,
        }),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command {other:?}\n{USAGE}"),
    }
}

fn split_pair(s: &str) -> Result<(String, String)> {
    let (k, v) = s
        .split_once('=')
        .with_context(|| format!("expected KEY=VALUE, got {s:?}"))?;
    Ok((k.to_string(), v.to_string()))
}

/// What `up` was asked to run.
struct Up {
    manifest: PathBuf,
    listen: String,
    state_dir: Option<PathBuf>,
    runtime_config: Option<PathBuf>,
    variables: Vec<(String, String)>,
    env: Vec<(String, String)>,
}

fn up(
    Up {
        manifest,
        listen,
        state_dir,
        runtime_config,
        variables,
        env,
    }: Up,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let mut builder = App::builder(&manifest);
        if let Some(dir) = &state_dir {
            builder = builder.state_dir(dir);
        }
        if let Some(file) = &runtime_config {
            builder = builder.runtime_config_file(file);
        }
        for (k, v) in variables {
            builder = builder.variable(k, v);
        }
        for (k, v) in env {
            builder = builder.env(k, v);
        }
        let app = builder.build().await?;
        if let Some(file) = &runtime_config {
            let stores: Vec<String> = app
                .key_value_backends()
                .iter()
                .map(|(label, backend)| format!("[key_value_store.{label}: {backend}]"))
                .collect();
            if !stores.is_empty() {
                println!(
                    "Using runtime config {} from {}",
                    stores.join(", "),
                    file.display()
                );
            }
        }
        let server = app.serve(&listen).await?;
        println!("\nServing {}", server.url());
        println!("Available Routes:");
        for (component, path, wildcard) in app.routes() {
            let suffix = if *wildcard { " (wildcard)" } else { "" };
            println!("  {component}: {}{path}{suffix}", server.url());
        }
        shutdown_signal().await?;
        server.shutdown().await;
        Ok(())
    })
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() -> Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await?;
        Ok(())
    }
}
