//! Spin's runtime configuration file (`spin up --runtime-config-file rc.toml`), the parts the
//! harness can imitate: key-value stores of type `spin` (SQLite) and `redis`, and SQLite
//! databases of type `spin` kept in a file.
//!
//! As in Spin: a label the file does not name keeps its default (`default` only: the state
//! directory's `sqlite_key_value.db` and `sqlite_db.db`); a `spin` store's relative `path` is
//! resolved against the file's directory and a `spin` store without one lives in memory; a
//! `spin` database's relative `path` is resolved against the working directory; a Redis URL is
//! checked when the file is read, the server only when a guest opens the store; a key the file
//! should not have fails start-up. What Spin accepts but the harness cannot do (`libsql`,
//! Azure/AWS stores, `rediss://`, variable providers, ...) fails start-up with a message
//! saying so, rather than being ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// A parsed runtime configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// `[key_value_store.<label>]` tables.
    pub key_value_stores: BTreeMap<String, KeyValueConfig>,
    /// `[sqlite_database.<label>]` tables: the file behind each label.
    pub sqlite_databases: BTreeMap<String, PathBuf>,
}

/// One key-value store's backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValueConfig {
    /// `type = "spin"`: Spin's SQLite store, in the file at `path` or (without one) in memory.
    Spin { path: Option<PathBuf> },
    /// `type = "redis"`: keys as they are, in the Redis database at `url`.
    Redis { url: String },
}

/// Top-level keys Spin understands that the harness does not imitate.
const SPIN_ONLY_KEYS: &[&str] = &[
    "state_dir",
    "log_dir",
    "max_instance_memory",
    "variables_provider",
    "config_provider",
    "outbound_http",
    "outbound_networking",
    "client_tls",
    "llm_compute",
];

#[derive(Deserialize)]
struct Typed {
    #[serde(rename = "type")]
    type_: String,
    #[serde(flatten)]
    rest: toml::Table,
}

#[derive(Deserialize)]
struct SpinKv {
    path: Option<PathBuf>,
}

#[derive(Deserialize)]
struct RedisKv {
    url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpinDb {
    path: Option<PathBuf>,
    #[serde(default)]
    allow_attach_file: bool,
}

impl RuntimeConfig {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<RuntimeConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read runtime config file '{}'", path.display()))?;
        let base = path.parent().unwrap_or(Path::new(""));
        RuntimeConfig::parse(&text, base)
            .with_context(|| format!("runtime config file '{}'", path.display()))
    }

    /// Checks a runtime configuration's text; relative store paths resolve against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<RuntimeConfig> {
        let table: toml::Table = toml::from_str(text).context("failed to parse as toml")?;
        let mut config = RuntimeConfig::default();
        let mut unused = Vec::new();
        for (key, value) in table {
            match key.as_str() {
                "key_value_store" => {
                    let stores: BTreeMap<String, Typed> = value.try_into()?;
                    for (label, store) in stores {
                        let kv = key_value(store, base).with_context(|| {
                            format!("could not configure key-value store with label '{label}'")
                        })?;
                        config.key_value_stores.insert(label, kv);
                    }
                }
                "sqlite_database" => {
                    let databases: BTreeMap<String, Typed> = value.try_into()?;
                    for (label, database) in databases {
                        let path = sqlite(database).with_context(|| {
                            format!("could not configure SQLite database with label '{label}'")
                        })?;
                        config.sqlite_databases.insert(label, path);
                    }
                }
                other if SPIN_ONLY_KEYS.contains(&other) => {
                    bail!("`{other}` is Spin runtime configuration the harness does not imitate")
                }
                _ => unused.push(key),
            }
        }
        if !unused.is_empty() {
            bail!("unused runtime config key(s): {}", unused.join(", "));
        }
        Ok(config)
    }
}

fn key_value(store: Typed, base: &Path) -> Result<KeyValueConfig> {
    match store.type_.as_str() {
        "spin" => {
            let SpinKv { path } = store
                .rest
                .try_into()
                .context("could not parse key-value runtime config")?;
            Ok(KeyValueConfig::Spin {
                path: path.map(|p| if p.is_absolute() { p } else { base.join(p) }),
            })
        }
        "redis" => {
            let RedisKv { url } = store
                .rest
                .try_into()
                .context("could not parse key-value runtime config")?;
            let parsed = redis::parse_redis_url(&url).context("Invalid Redis URL")?;
            if matches!(parsed.scheme(), "rediss" | "valkeys") {
                bail!("the harness connects to Redis without TLS: use a redis:// URL");
            }
            Ok(KeyValueConfig::Redis { url })
        }
        "azure_cosmos" | "aws_dynamo" => {
            bail!("the harness cannot imitate `{}` stores", store.type_)
        }
        other => {
            bail!("the store type '{other}' was not registered with the config resolver")
        }
    }
}

fn sqlite(database: Typed) -> Result<PathBuf> {
    match database.type_.as_str() {
        "spin" => {
            let SpinDb {
                path,
                allow_attach_file,
            } = database.rest.try_into()?;
            if allow_attach_file {
                bail!("the harness denies ATTACH of files: `allow_attach_file` is not imitated");
            }
            let path = path.context(
                "the harness keeps SQLite databases in files: give this database a `path`",
            )?;
            // Spin resolves a database's relative path against the working directory.
            Ok(std::path::absolute(path)?)
        }
        "libsql" => bail!("the harness has no libSQL client: run this configuration under Spin"),
        other => bail!("Unknown database kind: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RuntimeConfig> {
        RuntimeConfig::parse(text, Path::new("/etc/app"))
    }

    fn error(text: &str) -> String {
        format!("{:#}", parse(text).expect_err("refused"))
    }

    #[test]
    fn redis_and_spin_stores_are_read_with_spins_path_rules() {
        let config = parse(
            r#"
            [key_value_store.default]
            type = "redis"
            url = "redis://cache.internal:6380/2"

            [key_value_store.local]
            type = "spin"
            path = "kv/local.db"

            [key_value_store.scratch]
            type = "spin"

            [sqlite_database.default]
            type = "spin"
            path = "/var/lib/app/orders.db"
            "#,
        )
        .expect("valid");

        assert_eq!(
            config.key_value_stores["default"],
            KeyValueConfig::Redis {
                url: "redis://cache.internal:6380/2".into()
            }
        );
        assert_eq!(
            config.key_value_stores["local"],
            KeyValueConfig::Spin {
                path: Some("/etc/app/kv/local.db".into())
            }
        );
        assert_eq!(
            config.key_value_stores["scratch"],
            KeyValueConfig::Spin { path: None }
        );
        assert_eq!(
            config.sqlite_databases["default"],
            PathBuf::from("/var/lib/app/orders.db")
        );
    }

    #[test]
    fn what_spin_refuses_or_the_harness_cannot_do_fails_with_a_reason() {
        let cases = [
            (
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"http://x\"",
                "Invalid Redis URL",
            ),
            (
                "[key_value_store.default]\ntype = \"redis\"",
                "could not parse key-value runtime config",
            ),
            (
                "[key_value_store.default]\nurl = \"redis://x\"",
                "missing field `type`",
            ),
            (
                "[key_value_store.default]\ntype = \"memcached\"",
                "the store type 'memcached' was not registered",
            ),
            (
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"rediss://x\"",
                "without TLS",
            ),
            (
                "[key_value_store.default]\ntype = \"aws_dynamo\"",
                "cannot imitate `aws_dynamo`",
            ),
            (
                "[sqlite_database.default]\ntype = \"libsql\"\nurl = \"https://x\"\ntoken = \"t\"",
                "no libSQL client",
            ),
            (
                "[sqlite_database.default]\ntype = \"spin\"",
                "give this database a `path`",
            ),
            (
                "[sqlite_database.default]\ntype = \"spin\"\npath = \"a.db\"\nextra = 1",
                "unknown field `extra`",
            ),
            (
                "state_dir = \"/tmp\"",
                "`state_dir` is Spin runtime configuration",
            ),
            (
                "[key_value_stores.default]\ntype = \"redis\"",
                "unused runtime config key(s): key_value_stores",
            ),
            ("key_value_store = [", "failed to parse as toml"),
        ];
        for (text, expected) in cases {
            let message = error(text);
            assert!(message.contains(expected), "{text:?}: {message}");
        }
    }

    #[test]
    fn the_labels_come_from_the_tables() {
        let config = parse("[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://h\"")
            .expect("valid");
        assert_eq!(
            config.key_value_stores.keys().collect::<Vec<_>>(),
            ["default"]
        );
        assert!(config.sqlite_databases.is_empty());
    }
}
