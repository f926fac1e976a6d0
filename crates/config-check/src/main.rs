//! `orderpath-check [DIR]`: loads an Orderpath configuration directory (default `config`)
//! the way the components do, prints every problem and warning, and exits 1 when the
//! configuration would be refused.
//!
//! `orderpath-check [DIR] --compile OUT`: the same check, then writes `OUT/compiled.json`,
//! the compiled configuration the components read (`spin build` runs it). With problems,
//! the file holds them, so an app deployed anyway answers 503, and the exit code is 1.

use std::path::PathBuf;
use std::process::ExitCode;

use orderpath_config_check::{check_dir, compile_dir};

const USAGE: &str = "usage: orderpath-check [DIR] [--compile OUT_DIR]";

fn main() -> ExitCode {
    let mut dir = None;
    let mut out = None;
    let mut args = std::env::args_os().skip(1);
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
