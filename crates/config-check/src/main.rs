//! `orderpath-check [DIR]`: loads an Orderpath configuration directory (default `config`)
//! the way the components do, prints every problem and warning, and exits 1 when the
//! configuration would be refused.
//!
//! `orderpath-check [DIR] --compile OUT`: the same check, then writes `OUT/compiled.json`,
//! the compiled configuration the components read (`spin build` runs it). With problems,
//! the file holds them, so an app deployed anyway answers 503, and the exit code is 1.
//!
//! `orderpath-check --replay --db COPY.db --config DIR [--from YYYY-MM-DD] [--to YYYY-MM-DD]
//! [--json]` (or `--events FILE.jsonl` instead of `--db`): a dry run of the configuration in
//! DIR against the trigger evaluations recorded in a copy of the app's database (opened
//! read-only) or exported by `GET /api/replay/evaluations`; the report goes to stdout
//! (docs/replay.md). The deployment's `shop_*` variables (`SPIN_VARIABLE_SHOP_NAME`, … in the
//! environment) override shop.toml as in the app. Exit 0 with a report, 1 when the configuration has problems or the
//! evaluations cannot be read, 2 for a wrong command line.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use orderpath_config_check::replay::{self, Options, ShopVariables, Source};
use orderpath_config_check::{check_dir, compile_dir};

const USAGE: &str = "usage: orderpath-check [DIR] [--compile OUT_DIR]
       orderpath-check --replay (--db COPY_OF_sqlite_db.db | --events FILE.jsonl) --config DIR
                       [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]";

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.iter().any(|a| a == "--replay") {
        return match replay_options(&args) {
            Some(options) => run_replay(&options),
            None => {
                eprintln!("{USAGE}");
                ExitCode::from(2)
            }
        };
    }
    let mut dir = None;
    let mut out = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--compile" {
            match args.next() {
                Some(value) => out = Some(PathBuf::from(value)),
                None => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            }
        } else if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        } else if dir.is_none() {
            dir = Some(PathBuf::from(arg));
        } else {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let dir = dir.unwrap_or_else(|| PathBuf::from("config"));
    let result = match &out {
        Some(out) => compile_dir(&dir, out).map(|(_, output)| output),
        None => check_dir(&dir),
    };
    match result {
        Ok(output) => {
            print!("{}", output.text);
            if output.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("orderpath-check: {}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}

/// `--replay` with exactly one of `--db` and `--events`, and `--config`.
fn replay_options(args: &[OsString]) -> Option<Options> {
    let (mut db, mut events, mut config, mut from, mut to, mut json) =
        (None, None, None, None, None, false);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let arg = arg.to_str()?;
        match arg {
            "--replay" => {}
            "--json" => json = true,
            "--db" => db = Some(PathBuf::from(args.next()?)),
            "--events" => events = Some(PathBuf::from(args.next()?)),
            "--config" => config = Some(PathBuf::from(args.next()?)),
            "--from" => from = Some(args.next()?.to_str()?.to_owned()),
            "--to" => to = Some(args.next()?.to_str()?.to_owned()),
            _ => return None,
        }
    }
    let source = match (db, events) {
        (Some(db), None) => Source::Db(db),
        (None, Some(events)) => Source::Events(events),
        _ => return None,
    };
    Some(Options {
        source,
        config: config?,
        from,
        to,
        json,
        shop: ShopVariables::from_env(),
    })
}

fn run_replay(options: &Options) -> ExitCode {
    match replay::run(options) {
        Ok((out, _)) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("orderpath-check: {e}");
            ExitCode::from(1)
        }
    }
}
