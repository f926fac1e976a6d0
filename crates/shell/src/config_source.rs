//! Reading the automation configuration from the files Spin mounts at `/config`.
//!
//! Spin runs a fresh instance per request, so the files are read and validated on every
//! request; nothing survives in memory, and an edited configuration is used as soon as it is
//! deployed. Each filesystem call is a host call that wasmtime runs on its blocking thread
//! pool, so the waits for those calls, not the bytes, are the cost. Hence WASI 0.2 calls
//! directly (`std::fs` goes through the preview-1 adapter, which adds calls per file and per
//! directory entry):
//! - the main files are opened by name; only `templates/`, whose file names the shop chooses,
//!   is listed, and `read-directory` returns a whole directory's names and types at once;
//! - the files are read through streams, which wasmtime reads in the background once asked
//!   without blocking ([`Reading`]), so the reads overlap instead of waiting in turn.

use orderpath_core::automation::config::{
    Config, ConfigError, ConfigFiles, MAIN_FILES, TEMPLATES_DIR,
};
use wasi::filesystem::preopens::get_directories;
use wasi::filesystem::types::{
    filesystem_error_code, Descriptor, DescriptorFlags, DescriptorType, ErrorCode, OpenFlags,
    PathFlags,
};
use wasi::io::error::Error as IoError;
use wasi::io::streams::{InputStream, StreamError};

use crate::http::ApiError;

/// Where Spin mounts the configuration.
pub const CONFIG_ROOT: &str = "/config";

/// The most one stream read asks for (wasmtime returns at most 64 KiB at a time).
const READ_CHUNK: u64 = 64 * 1024;

/// Reads and validates the configuration, with the deployment's `shop_*` variables (when
/// set) taking precedence over `shop.toml`.
pub fn load_config() -> Result<Config, ApiError> {
    let files = read_files().map_err(|error| config_unavailable(error.to_string()))?;
    let mut config = Config::load(&files).map_err(|error| match error {
        ConfigError::Invalid(problems) => {
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
    })?;
    crate::config::overlay_shop(&mut config.shop)?;
    Ok(config)
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
    /// As the guest sees it: `/config/templates/ru.toml`.
    path: String,
    reason: Reason,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
enum Reason {
    #[error("not mounted (see `files` in spin.toml)")]
    NotMounted,
    #[error("{0}")]
    Io(#[from] ErrorCode),
    #[error("{0}")]
    Stream(String),
    #[error("not UTF-8")]
    NotUtf8,
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

/// The main files and every `*.toml` under `templates/`. A missing file is left out for
/// [`Config::load`] to report by name.
fn read_files() -> Result<ConfigFiles, ReadError> {
    let (root, base) = config_dir().ok_or_else(|| Reason::NotMounted.at(""))?;
    let mut reading = Vec::new();
    for name in MAIN_FILES {
        match Reading::start(&root, &format!("{base}{name}"), name.to_owned()) {
            Ok(file) => reading.push(file),
            Err(Reason::Io(ErrorCode::NoEntry)) => {}
            Err(reason) => return Err(reason.at(name)),
        }
    }
    match open_dir(&root, &format!("{base}{TEMPLATES_DIR}")) {
        Ok(dir) => start_tree(&dir, &format!("{TEMPLATES_DIR}/"), &mut reading)?,
        Err(ErrorCode::NoEntry) => {}
        Err(error) => return Err(Reason::Io(error).at(TEMPLATES_DIR)),
    }
    let mut files = ConfigFiles::new("config");
    while !reading.is_empty() {
        let mut unfinished = Vec::with_capacity(reading.len());
        for mut file in reading {
            if file.advance().map_err(|reason| reason.at(&file.path))? {
                let text =
                    String::from_utf8(file.bytes).map_err(|_| Reason::NotUtf8.at(&file.path))?;
                files.insert(&file.path, text);
            } else {
                unfinished.push(file);
            }
        }
        reading = unfinished;
    }
    Ok(files)
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

fn open_dir(dir: &Descriptor, path: &str) -> Result<Descriptor, ErrorCode> {
    dir.open_at(
        PathFlags::SYMLINK_FOLLOW,
        path,
        OpenFlags::DIRECTORY,
        DescriptorFlags::READ,
    )
}

/// Starts reading every `*.toml` under `dir`, named `prefix` + its path below `dir`.
/// Subdirectories (`templates/<lang>/`) are listed as they are found.
fn start_tree(dir: &Descriptor, prefix: &str, reading: &mut Vec<Reading>) -> Result<(), ReadError> {
    let entries = dir.read_directory().map_err(|e| Reason::Io(e).at(prefix))?;
    while let Some(entry) = entries
        .read_directory_entry()
        .map_err(|e| Reason::Io(e).at(prefix))?
    {
        let path = format!("{prefix}{}", entry.name);
        if entry.type_ == DescriptorType::Directory {
            let sub = open_dir(dir, &entry.name).map_err(|e| Reason::Io(e).at(&path))?;
            start_tree(&sub, &format!("{path}/"), reading)?;
        } else if path.ends_with(".toml") {
            let file = Reading::start(dir, &entry.name, path.clone())
                .map_err(|reason| reason.at(&path))?;
            reading.push(file);
        }
    }
    Ok(())
}

/// A file being read in the background. Asking a file's stream for bytes without blocking
/// makes wasmtime start the read on its thread pool and answer at once, so the reads of all
/// files (and the final read that finds the end) overlap with each other and with opening
/// the next file. Any WASI host gives the same bytes; one that reads only when asked to block
/// is merely slower.
struct Reading {
    /// Relative to `/config`: `templates/ru.toml`.
    path: String,
    /// Declared before `_file`: a stream is dropped before its descriptor.
    stream: InputStream,
    _file: Descriptor,
    bytes: Vec<u8>,
}

impl Reading {
    /// Opens `location` (relative to `dir`) and asks for its first bytes; `path` names the
    /// file relative to `/config`.
    fn start(dir: &Descriptor, location: &str, path: String) -> Result<Reading, Reason> {
        let file = dir.open_at(
            PathFlags::SYMLINK_FOLLOW,
            location,
            OpenFlags::empty(),
            DescriptorFlags::READ,
        )?;
        let mut reading = Reading {
            path,
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
