//! The compiled configuration: one file that `orderpath-check --compile` writes at
//! `spin build` and the components read on every request.
//!
//! The files are parsed, the templates compiled and the triggers validated once, by the
//! build; a component only decodes the result, so no TOML parser, template compiler or
//! validator runs per request. The file is one line of JSON (the checked [`Config`] with an
//! index of the templates) followed by the templates' JSON, each decoded only when a request
//! renders it: most requests render one or two of the fifty-odd templates, and decoding
//! costs in proportion to the bytes read. A configuration with problems is compiled too, as
//! its list of problems: the build fails, and a component deployed anyway answers 503 with
//! them instead of running on something half-checked.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::templates::{Entry, Templates};
use super::{check, CheckResult, Config, ConfigError, ConfigFiles, ConfigProblem};

/// The file name of the compiled configuration.
pub const COMPILED_FILE: &str = "compiled.json";

/// The layout of the compiled file. Bumped whenever [`Config`] changes shape, so a component
/// never reads a file compiled for another layout.
pub const FORMAT: u32 = 1;

/// The first line.
#[derive(Serialize, Deserialize)]
struct Header {
    /// [`FORMAT`] when written.
    format: u32,
    /// The version of the code that compiled it.
    version: String,
    /// The configuration without its templates, when it has no problems.
    config: Option<Config>,
    /// Where each template lies after the first line.
    templates: Vec<Entry>,
    /// Why it cannot be used.
    problems: Vec<ConfigProblem>,
    /// Where `triggers.toml` as written lies after the first line (after the templates):
    /// the desk's dry run starts from it. Absent in files compiled before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    triggers_source: Option<[usize; 2]>,
}

/// Checks the files and compiles them: the checked (problems and warnings, as `check` gives
/// them) and the bytes to write, which hold either the configuration or its problems.
pub fn compile(files: &ConfigFiles) -> (CheckResult, Vec<u8>) {
    let checked = check(files);
    let config = checked
        .config
        .as_ref()
        .filter(|_| checked.problems.is_empty());
    let (templates, mut body) = config
        .map(|c| c.templates.to_compiled())
        .unwrap_or_default();
    let triggers_source = match (config, files.get("triggers.toml")) {
        (Some(_), Some(text)) => {
            let start = body.len();
            body.push_str(text);
            Some([start, body.len()])
        }
        _ => None,
    };
    let header = Header {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        config: config.cloned(),
        templates,
        problems: checked.problems.clone(),
        triggers_source,
    };
    // JSON escapes newlines inside strings, so the header is exactly one line.
    let mut bytes = serde_json::to_vec(&header).unwrap_or_default();
    bytes.push(b'\n');
    bytes.extend_from_slice(body.as_bytes());
    (checked, bytes)
}

/// Why a compiled configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The configuration it was compiled from has problems.
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// The file is not a compiled configuration this code can read.
    #[error("the compiled configuration cannot be read ({0}); run `spin build` again")]
    Unreadable(String),
}

fn other_format(found: u32) -> DecodeError {
    DecodeError::Unreadable(format!(
        "compiled in format {found}, this build reads format {FORMAT}"
    ))
}

/// Reads a compiled configuration back.
pub fn decode(bytes: &[u8]) -> Result<Config, DecodeError> {
    let unreadable = |why: String| DecodeError::Unreadable(why);
    let split = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| unreadable("no header line".into()))?;
    let (first, body) = (&bytes[..split], &bytes[split + 1..]);
    let header: Header = serde_json::from_slice(first).map_err(|e| {
        // The layout number is read on its own when the whole does not decode, to say why.
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        match serde_json::from_slice::<Format>(first) {
            Ok(other) if other.format != FORMAT => other_format(other.format),
            _ => unreadable(e.to_string()),
        }
    })?;
    if header.format != FORMAT {
        return Err(other_format(header.format));
    }
    if !header.problems.is_empty() {
        return Err(ConfigError::Invalid(header.problems).into());
    }
    let mut config = header
        .config
        .ok_or_else(|| unreadable("it holds neither a configuration nor problems".into()))?;
    let body = std::str::from_utf8(body).map_err(|_| unreadable("not UTF-8".into()))?;
    // Templates are decoded when first used, and checked then; inline ones now.
    config.templates = Templates::from_compiled(header.templates, Arc::from(body));
    let well_formed = config.triggers.iter().all(|trigger| {
        trigger.actions.iter().all(|action| match action {
            super::Action::Task { title, .. } => {
                title.parsed.as_ref().is_ok_and(|t| t.is_well_formed())
            }
            _ => true,
        })
    });
    if !well_formed {
        return Err(unreadable("a task title points outside its text".into()));
    }
    Ok(config)
}

/// `triggers.toml` as it was written when this configuration was compiled; `None` for a file
/// compiled without it (or with problems).
pub fn triggers_source(bytes: &[u8]) -> Option<String> {
    let split = bytes.iter().position(|&b| b == b'\n')?;
    let header: Header = serde_json::from_slice(&bytes[..split]).ok()?;
    let [start, end] = header.triggers_source?;
    let body = std::str::from_utf8(&bytes[split + 1..]).ok()?;
    body.get(start..end).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automation::config::shipped_files;

    #[test]
    fn the_shipped_configuration_reads_back_as_loaded() {
        let files = shipped_files();
        let (checked, bytes) = compile(&files);
        assert!(checked.problems.is_empty(), "{:?}", checked.problems);
        let decoded = decode(&bytes).expect("decodes");
        let loaded = Config::load(&files).expect("loads");
        // Every part compares equal except the triggers, whose inline templates compare by
        // their parse result.
        assert_eq!(decoded.shop, loaded.shop);
        assert_eq!(decoded.statuses, loaded.statuses);
        assert_eq!(decoded.templates, loaded.templates);
        assert_eq!(
            format!("{:?}", decoded.triggers),
            format!("{:?}", loaded.triggers)
        );
    }

    #[test]
    fn the_triggers_file_is_kept_as_written_and_can_be_replaced_for_a_dry_run() {
        let files = shipped_files();
        let (_, bytes) = compile(&files);
        let written = files.get("triggers.toml").expect("triggers.toml");
        assert_eq!(triggers_source(&bytes).as_deref(), Some(written));
        let config = decode(&bytes).expect("decodes");
        // The templates after it still decode.
        assert!(config.templates.all_decode());
        let edited = written.replacen(
            "on = \"order.created\"",
            "on = \"order.created\"\ndelay = \"10m\"",
            1,
        );
        let with = config.with_triggers("config", &edited).expect("checked");
        assert_eq!(with.triggers.len(), config.triggers.len());
        assert!(with
            .triggers
            .iter()
            .any(|t| t.delay.is_some() && t.on == "order.created"));
        assert_eq!(with.shop, config.shop);
        let problems = config
            .with_triggers("config", "[[trigger]]\nid = \"x\"\non = \"order.created\"\n[[trigger.action]]\ntype = \"message\"\nchannel = \"email\"\ntemplate = \"nope\"\nto = \"customer\"\n")
            .expect_err("an unknown template");
        assert!(
            problems[0].to_string().contains("config/triggers.toml"),
            "{problems:?}"
        );
        assert!(problems[0].to_string().contains("nope"), "{problems:?}");
        let broken = config
            .with_triggers("config", "[[trigger]\n")
            .expect_err("not TOML");
        assert!(broken[0].message.contains("line 1"), "{broken:?}");
    }

    #[test]
    fn a_configuration_with_problems_compiles_to_its_problems() {
        let mut files = shipped_files();
        files.insert(
            "triggers.toml",
            "[[trigger]]\nid = \"x\"\non = \"no.such_event\"\n",
        );
        let (checked, bytes) = compile(&files);
        assert!(!checked.problems.is_empty());
        match decode(&bytes) {
            Err(DecodeError::Invalid(ConfigError::Invalid(problems))) => {
                assert_eq!(problems, checked.problems)
            }
            other => panic!("expected the problems, got {other:?}"),
        }
    }

    #[test]
    fn another_format_or_a_damaged_file_is_refused() {
        let (_, bytes) = compile(&shipped_files());
        let text = String::from_utf8(bytes).expect("utf-8");
        let other = text.replacen(&format!("\"format\":{FORMAT}"), "\"format\":999", 1);
        let error = decode(other.as_bytes()).expect_err("other format");
        assert!(error.to_string().contains("format 999"), "{error}");
        let header = text.find('\n').expect("the header line");
        // Half the header, cut where a character ends (the shop's name is Cyrillic).
        let mut half = header / 2;
        while !text.is_char_boundary(half) {
            half -= 1;
        }
        let cut = format!("{}\n{}", &text[..half], &text[header + 1..]);
        assert!(matches!(
            decode(cut.as_bytes()),
            Err(DecodeError::Unreadable(_))
        ));
        assert!(matches!(decode(b"{}"), Err(DecodeError::Unreadable(_))));
        assert!(matches!(decode(b"{}\n"), Err(DecodeError::Unreadable(_))));
    }

    #[test]
    fn a_template_pointing_outside_its_text_is_treated_as_missing() {
        let (_, bytes) = compile(&shipped_files());
        let text = String::from_utf8(bytes).expect("utf-8");
        // The last template's last text piece: the others keep their places.
        let start = text.rfind("{\"Text\":[").expect("a text piece") + "{\"Text\":[".len();
        let end = start + text[start..].find(']').expect("its end");
        let damaged = format!("{}0,999999{}", &text[..start], &text[end..]);
        let config = decode(damaged.as_bytes()).expect("templates are decoded when used");
        assert!(!config.templates.all_decode());
        assert_eq!(config.templates.iter().count(), config.templates.len() - 1);
        let intact = decode(text.as_bytes()).expect("decodes");
        assert!(intact.templates.all_decode());
    }
}
