//! Reading the compiled automation configuration from the directory Spin mounts at `/config`.
//!
//! `spin build` runs `orderpath-check --compile`, which checks `config/` and writes one file,
//! `target/config/compiled.json`, that spin.toml mounts at `/config` (see
//! [`orderpath_core::automation::config::compiled`]). Spin runs a fresh instance per request,
//! so the file is read on every request: one open and one read, then a decode of its first
//! line, with each template decoded only when rendered. An edited configuration is used once
//! `spin build` has compiled it.
//!
//! The file is read with WASI 0.2 calls directly (`std::fs` goes through the preview-1
//! adapter, which adds calls), through a stream that wasmtime reads in the background once
//! asked, without blocking ([`Reading`]).

use orderpath_core::automation::config::compiled::{self, DecodeError, COMPILED_FILE};
use orderpath_core::automation::config::{Config, ConfigError};
use wasi::filesystem::preopens::get_directories;
use wasi::filesystem::types::{
    filesystem_error_code, Descriptor, DescriptorFlags, ErrorCode, OpenFlags, PathFlags,
};
use wasi::io::error::Error as IoError;
use wasi::io::streams::{InputStream, StreamError};

use crate::http::ApiError;

/// Where Spin mounts the compiled configuration.
pub const CONFIG_ROOT: &str = "/config";

/// The most one stream read asks for (wasmtime returns at most 64 KiB at a time).
const READ_CHUNK: u64 = 64 * 1024;

/// Reads the compiled configuration, with the deployment's `shop_*` variables (when set)
/// taking precedence over `shop.toml`.
pub fn load_config() -> Result<Config, ApiError> {
    let bytes = read_compiled().map_err(|error| config_unavailable(error.to_string()))?;
    let mut config = compiled::decode(&bytes).map_err(|error| match error {
        DecodeError::Invalid(ConfigError::Invalid(problems)) => {
            for problem in &problems {
                eprintln!("configuration problem: {problem}");
            }
            let first = problems
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            config_unavailable(format!(
                "the configuration has {} problem(s); first: {first}",
                problems.len()
            ))
        }
        DecodeError::Unreadable(_) => config_unavailable(error.to_string()),
    })?;
    crate::config::overlay_shop(&mut config.shop)?;
    Ok(config)
}

/// `triggers.toml` as written when the deployed configuration was compiled (the desk's dry
/// run starts from it); `None` when the compiled file does not hold it (compiled by an older
/// build: `spin build` again).
pub fn triggers_source() -> Result<Option<String>, ApiError> {
    let bytes = read_compiled().map_err(|error| config_unavailable(error.to_string()))?;
    Ok(compiled::triggers_source(&bytes))
}

fn config_unavailable(message: String) -> ApiError {
    eprintln!("refusing to process: {message}");
    let mut error = ApiError::new(503, "configuration_invalid", message);
    error.headers.push(("retry-after".into(), "300".into()));
    error
}

/// Why a configuration file could not be read, and which.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {reason}")]
struct ReadError {
    /// As the guest sees it: `/config/compiled.json`.
    path: String,
    reason: Reason,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
enum Reason {
    #[error("not mounted (see `files` in spin.toml)")]
    NotMounted,
    #[error("not compiled: `spin build` writes it (orderpath-check --compile)")]
    NotCompiled,
    #[error("{0}")]
    Io(#[from] ErrorCode),
    #[error("{0}")]
    Stream(String),
}

impl From<IoError> for Reason {
    fn from(error: IoError) -> Reason {
        match filesystem_error_code(&error) {
            Some(code) => Reason::Io(code),
            None => Reason::Stream(error.to_debug_string()),
        }
    }
}

impl Reason {
    /// The error for `path`, relative to `/config`.
    fn at(self, path: &str) -> ReadError {
        ReadError {
            path: format!("{CONFIG_ROOT}/{path}")
                .trim_end_matches('/')
                .to_owned(),
            reason: self,
        }
    }
}

/// The compiled file's bytes.
fn read_compiled() -> Result<Vec<u8>, ReadError> {
    let (root, base) = config_dir().ok_or_else(|| Reason::NotMounted.at(""))?;
    let mut file = match Reading::start(&root, &format!("{base}{COMPILED_FILE}")) {
        Ok(file) => file,
        Err(Reason::Io(ErrorCode::NoEntry)) => return Err(Reason::NotCompiled.at(COMPILED_FILE)),
        Err(reason) => return Err(reason.at(COMPILED_FILE)),
    };
    while !file.advance().map_err(|reason| reason.at(COMPILED_FILE))? {}
    Ok(file.bytes)
}

/// The preopened directory that holds [`CONFIG_ROOT`] and the prefix of paths from it to
/// the configuration: Spin preopens `/` (`config/`); a direct mount may preopen `/config`
/// itself (``).
fn config_dir() -> Option<(Descriptor, String)> {
    get_directories()
        .into_iter()
        .filter_map(|(dir, preopen)| {
            let rest = CONFIG_ROOT.strip_prefix(preopen.trim_end_matches('/'))?;
            let base = if rest.is_empty() {
                String::new()
            } else {
                format!("{}/", rest.strip_prefix('/')?)
            };
            Some((dir, base))
        })
        .min_by_key(|(_, base)| base.len())
}

/// A file being read in the background. Asking a file's stream for bytes without blocking
/// makes wasmtime start the read on its thread pool and answer at once, so the next read is
/// under way while the last chunk is copied. Any WASI host gives the same bytes; one that
/// reads only when asked to block is merely slower.
struct Reading {
    /// Declared before `_file`: a stream is dropped before its descriptor.
    stream: InputStream,
    _file: Descriptor,
    bytes: Vec<u8>,
}

impl Reading {
    /// Opens `location` (relative to `dir`) and asks for its first bytes.
    fn start(dir: &Descriptor, location: &str) -> Result<Reading, Reason> {
        let file = dir.open_at(
            PathFlags::SYMLINK_FOLLOW,
            location,
            OpenFlags::empty(),
            DescriptorFlags::READ,
        )?;
        let mut reading = Reading {
            stream: file.read_via_stream(0)?,
            _file: file,
            bytes: Vec::new(),
        };
        reading.poll()?;
        Ok(reading)
    }

    /// Waits for the bytes asked for and asks for the next ones; true once the end is reached.
    fn advance(&mut self) -> Result<bool, Reason> {
        match self.stream.blocking_read(READ_CHUNK) {
            Ok(chunk) => {
                self.append(chunk);
                self.poll()?;
                Ok(false)
            }
            Err(StreamError::Closed) => Ok(true),
            Err(StreamError::LastOperationFailed(error)) => Err(Reason::from(error)),
        }
    }

    /// Takes whatever is ready without waiting, which starts the next read on the host.
    fn poll(&mut self) -> Result<(), Reason> {
        match self.stream.read(READ_CHUNK) {
            Ok(chunk) => {
                self.append(chunk);
                Ok(())
            }
            // The end: `advance` sees it again.
            Err(StreamError::Closed) => Ok(()),
            Err(StreamError::LastOperationFailed(error)) => Err(Reason::from(error)),
        }
    }

    fn append(&mut self, chunk: Vec<u8>) {
        if self.bytes.is_empty() {
            self.bytes = chunk;
        } else {
            self.bytes.extend_from_slice(&chunk);
        }
    }
}
