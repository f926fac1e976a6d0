//! What `deploy/spinkube` must say, checked against itself and against `spin.toml`: every
//! document has a known kind and fits its schema (`schema.rs`), and the objects agree with each
//! other and with the app — the SpinApp's variables against spin.toml's, every Secret reference
//! against a Secret key, the runtime config against what the components use, the tick's CronJob
//! against the SpinApp's Service and the scheduler's route. Also: spin.toml can be pushed with
//! `spin registry push` as it is.
//!
//! Facts from SpinKube's spin-operator these checks rely on: the operator's Service for a
//! SpinApp has the SpinApp's name and port 80; a variable becomes `SPIN_VARIABLE_<NAME>` for
//! Spin's environment provider; `runtimeConfig.loadFromSecret` mounts the Secret's
//! `runtime-config.toml` key and then ignores the other `runtimeConfig` fields; the executor
//! must exist in the SpinApp's namespace; `replicas` must be at least 1 unless
//! `enableAutoscaling`, and absent with it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use yaml_rust2::{Yaml, YamlLoader};

use crate::schema;

/// The folder of the Kubernetes manifests, relative to the repository.
pub const DIR: &str = "deploy/spinkube";
/// The Secrets' example, which must not be applied as it is.
pub const SECRETS_EXAMPLE: &str = "deploy/spinkube/secrets.example.yaml";
const KUSTOMIZATION: &str = "deploy/spinkube/kustomization.yaml";
const SPIN_TOML: &str = "spin.toml";

/// The texts checked: spin.toml and every YAML file of `deploy/spinkube`, by path from the
/// repository's root. Tests edit them in memory to show that a broken one is refused.
pub struct Files {
    pub root: PathBuf,
    pub texts: BTreeMap<String, String>,
}

impl Files {
    pub fn shipped() -> Files {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut texts = BTreeMap::new();
        let read = |rel: &str| {
            std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
        };
        texts.insert(SPIN_TOML.to_owned(), read(SPIN_TOML));
        let dir = std::fs::read_dir(root.join(DIR)).unwrap_or_else(|e| panic!("{DIR}: {e}"));
        for entry in dir {
            let name = entry.expect("directory entry").file_name();
            let name = name.to_string_lossy();
            // secrets.yaml is the operator's filled-in, git-ignored copy: never read here.
            if (name.ends_with(".yaml") || name.ends_with(".yml")) && name != "secrets.yaml" {
                let rel = format!("{DIR}/{name}");
                texts.insert(rel.clone(), read(&rel));
            }
        }
        Files { root, texts }
    }

    /// Replaces the one occurrence of `from` in `file` (panics unless there is exactly one, so
    /// a test cannot go on checking a text it did not change).
    pub fn edit(&mut self, file: &str, from: &str, to: &str) {
        let text = self
            .texts
            .get_mut(file)
            .unwrap_or_else(|| panic!("no file {file}"));
        assert_eq!(
            text.matches(from).count(),
            1,
            "{file} should contain {from:?} exactly once"
        );
        *text = text.replacen(from, to, 1);
    }
}

/// One Kubernetes object from one YAML document.
struct Object<'a> {
    file: &'a str,
    kind: String,
    name: String,
    value: &'a Yaml,
}

impl Object<'_> {
    fn at(&self) -> String {
        format!("{}: {} {}", self.file, self.kind, self.name)
    }
}

/// What spin.toml declares that the manifests must agree with.
struct App {
    name: String,
    version: String,
    /// Variable name → (secret, required).
    variables: BTreeMap<String, (bool, bool)>,
    /// `(route, component)` of every HTTP trigger with a string route.
    routes: Vec<(String, String)>,
    components: BTreeSet<String>,
    kv_labels: BTreeSet<String>,
    sqlite_labels: BTreeSet<String>,
}

fn app(spin: &toml::Table) -> App {
    let str_at = |table: Option<&toml::Value>, key: &str| {
        table
            .and_then(|t| t.get(key))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    let variables = spin
        .get("variables")
        .and_then(|v| v.as_table())
        .map(|vars| {
            vars.iter()
                .map(|(name, v)| {
                    let flag = |key: &str| v.get(key).and_then(|f| f.as_bool()).unwrap_or(false);
                    (name.clone(), (flag("secret"), flag("required")))
                })
                .collect()
        })
        .unwrap_or_default();
    let routes = spin
        .get("trigger")
        .and_then(|t| t.get("http"))
        .and_then(|h| h.as_array())
        .map(|triggers| {
            triggers
                .iter()
                .filter_map(|t| {
                    Some((
                        t.get("route")?.as_str()?.to_owned(),
                        t.get("component")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let components = spin.get("component").and_then(|c| c.as_table());
    let labels = |key: &str| -> BTreeSet<String> {
        components
            .into_iter()
            .flat_map(|c| c.values())
            .filter_map(|c| c.get(key)?.as_array())
            .flatten()
            .filter_map(|l| l.as_str().map(str::to_owned))
            .collect()
    };
    App {
        name: str_at(spin.get("application"), "name"),
        version: str_at(spin.get("application"), "version"),
        variables,
        routes,
        components: components
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default(),
        kv_labels: labels("key_value_stores"),
        sqlite_labels: labels("sqlite_databases"),
    }
}

/// Every problem of the manifests in `files`; none for a good set.
pub fn problems(files: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    let spin: toml::Table = match files.texts[SPIN_TOML].parse() {
        Ok(spin) => spin,
        Err(e) => return vec![format!("{SPIN_TOML}: not TOML: {e}")],
    };
    let app = app(&spin);

    // Parse every document; a file that is not YAML stops nothing else from being checked.
    let mut documents: Vec<(&str, Yaml)> = Vec::new();
    for (file, text) in files.texts.iter().filter(|(f, _)| f.starts_with(DIR)) {
        match YamlLoader::load_from_str(text) {
            Ok(docs) => documents.extend(
                docs.into_iter()
                    .filter(|d| !d.is_null())
                    .map(|d| (file.as_str(), d)),
            ),
            Err(e) => problems.push(format!("{file}: not YAML: {e}")),
        }
    }

    // Kind and schema of each document.
    let mut objects: Vec<Object> = Vec::new();
    for (file, doc) in &documents {
        let api_version = doc["apiVersion"].as_str().unwrap_or("");
        let kind = doc["kind"].as_str().unwrap_or("");
        let name = doc["metadata"]["name"].as_str().unwrap_or("").to_owned();
        let Some(shape) = schema::for_kind(api_version, kind) else {
            problems.push(format!(
                "{file}: unknown kind {kind:?} of apiVersion {api_version:?} (no schema in \
                 tests/e2e/tests/deploy/schema.rs)"
            ));
            continue;
        };
        let object = Object {
            file,
            kind: kind.to_owned(),
            name,
            value: doc,
        };
        let mut found = Vec::new();
        schema::check(doc, &shape, "", &mut found);
        problems.extend(found.into_iter().map(|p| format!("{}: {p}", object.at())));
        objects.push(object);
    }

    let namespace = check_kustomization(files, &objects, &mut problems);
    check_names(&objects, namespace.as_deref(), &mut problems);
    let secrets = secret_keys(&objects, &mut problems);
    check_secret_refs(&objects, &secrets, &mut problems);
    for spin_app in objects.iter().filter(|o| o.kind == "SpinApp") {
        check_spin_app(spin_app, &objects, &secrets, &app, &mut problems);
    }
    if !objects.iter().any(|o| o.kind == "SpinApp") {
        problems.push(format!("{DIR}: no SpinApp"));
    }
    let cron_jobs: Vec<_> = objects.iter().filter(|o| o.kind == "CronJob").collect();
    if cron_jobs.is_empty() {
        problems.push(format!("{DIR}: no CronJob calls the scheduler's tick"));
    }
    for cron_job in cron_jobs {
        check_tick(
            cron_job,
            &objects,
            &secrets,
            &app,
            namespace.as_deref(),
            &mut problems,
        );
    }
    for ingress in objects.iter().filter(|o| o.kind == "Ingress") {
        check_ingress(ingress, &objects, &mut problems);
    }
    check_example_secrets(&objects, &app, &mut problems);
    problems
}

/// The kustomization lists every manifest but the Secrets' example; returns its namespace.
fn check_kustomization(
    files: &Files,
    objects: &[Object],
    problems: &mut Vec<String>,
) -> Option<String> {
    let Some(kustomization) = objects.iter().find(|o| o.file == KUSTOMIZATION) else {
        problems.push(format!("{KUSTOMIZATION}: missing"));
        return None;
    };
    let listed: Vec<String> = kustomization.value["resources"]
        .as_vec()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str())
        .map(|r| format!("{DIR}/{r}"))
        .collect();
    for file in &listed {
        if !files.texts.contains_key(file) {
            problems.push(format!("{KUSTOMIZATION}: resource {file} does not exist"));
        }
        if file == SECRETS_EXAMPLE {
            problems.push(format!(
                "{KUSTOMIZATION}: lists {SECRETS_EXAMPLE}, whose placeholders would be applied"
            ));
        }
    }
    for file in files.texts.keys().filter(|f| f.starts_with(DIR)) {
        if file != KUSTOMIZATION && file != SECRETS_EXAMPLE && !listed.contains(file) {
            problems.push(format!("{KUSTOMIZATION}: does not list {file}"));
        }
    }
    kustomization.value["namespace"].as_str().map(str::to_owned)
}

fn is_dns_label(name: &str) -> bool {
    name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|part| {
            !part.is_empty()
                && part.starts_with(|c: char| c.is_ascii_alphanumeric())
                && part.ends_with(|c: char| c.is_ascii_alphanumeric())
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// Names are valid and unique per kind; every object is in the kustomization's namespace.
fn check_names(objects: &[Object], namespace: Option<&str>, problems: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    for o in objects.iter().filter(|o| o.kind != "Kustomization") {
        if !seen.insert((o.kind.clone(), o.name.clone())) {
            problems.push(format!("{}: defined twice", o.at()));
        }
        // A SpinApp's name is also its Service's, which must be a DNS label.
        let valid = if o.kind == "SpinApp" || o.kind == "Namespace" {
            is_dns_label(&o.name)
        } else {
            is_dns_subdomain(&o.name)
        };
        if !valid {
            problems.push(format!("{}: invalid name", o.at()));
        }
        let own = if o.kind == "Namespace" {
            Some(o.name.as_str())
        } else {
            o.value["metadata"]["namespace"].as_str()
        };
        if let (Some(own), Some(namespace)) = (own, namespace) {
            if own != namespace {
                problems.push(format!(
                    "{}: namespace {own:?}, not the kustomization's {namespace:?}",
                    o.at()
                ));
            }
        }
    }
}

/// Secret name → its keys and their values (`stringData` as written, `data` decoded).
type Secrets = BTreeMap<String, BTreeMap<String, String>>;

fn secret_keys(objects: &[Object], problems: &mut Vec<String>) -> Secrets {
    let mut secrets = Secrets::new();
    for o in objects.iter().filter(|o| o.kind == "Secret") {
        let keys = secrets.entry(o.name.clone()).or_default();
        for (k, v) in o.value["stringData"].as_hash().into_iter().flatten() {
            if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                keys.insert(k.to_owned(), v.to_owned());
            }
        }
        for (k, v) in o.value["data"].as_hash().into_iter().flatten() {
            let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else {
                continue;
            };
            match base64::engine::general_purpose::STANDARD.decode(v) {
                Ok(bytes) => {
                    keys.insert(k.to_owned(), String::from_utf8_lossy(&bytes).into_owned());
                }
                Err(_) => problems.push(format!("{}: data.{k} is not base64", o.at())),
            }
        }
    }
    secrets
}

/// Every `secretKeyRef` in any object names a Secret that has that key.
fn check_secret_refs(objects: &[Object], secrets: &Secrets, problems: &mut Vec<String>) {
    fn walk(value: &Yaml, path: &str, found: &mut Vec<(String, String, String)>) {
        match value {
            Yaml::Hash(map) => {
                for (k, v) in map {
                    let k = k.as_str().unwrap_or("?");
                    let here = if path.is_empty() {
                        k.to_owned()
                    } else {
                        format!("{path}.{k}")
                    };
                    if k == "secretKeyRef" {
                        found.push((
                            here.clone(),
                            v["name"].as_str().unwrap_or("").to_owned(),
                            v["key"].as_str().unwrap_or("").to_owned(),
                        ));
                    }
                    walk(v, &here, found);
                }
            }
            Yaml::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{path}[{i}]"), found);
                }
            }
            _ => {}
        }
    }
    for o in objects {
        let mut found = Vec::new();
        walk(o.value, "", &mut found);
        for (path, name, key) in found {
            match secrets.get(&name) {
                None => problems.push(format!("{}: {path}: no Secret {name:?}", o.at())),
                Some(keys) if !keys.contains_key(&key) => problems.push(format!(
                    "{}: {path}: Secret {name:?} has no key {key:?}",
                    o.at()
                )),
                Some(_) => {}
            }
        }
    }
}

fn check_spin_app(
    o: &Object,
    objects: &[Object],
    secrets: &Secrets,
    app: &App,
    problems: &mut Vec<String>,
) {
    let spec = &o.value["spec"];
    let mut problem = |text: String| problems.push(format!("{}: {text}", o.at()));

    // The executor, in the same namespace (the operator's admission check).
    let executor = spec["executor"].as_str().unwrap_or("");
    if !objects
        .iter()
        .any(|e| e.kind == "SpinAppExecutor" && e.name == executor)
    {
        problem(format!(
            "spec.executor {executor:?} is not a SpinAppExecutor defined here (the operator \
             looks for it in the SpinApp's namespace)"
        ));
    }

    // Replicas as the operator accepts them.
    let autoscaling = spec["enableAutoscaling"].as_bool().unwrap_or(false);
    let replicas = spec["replicas"].as_i64();
    match (autoscaling, replicas) {
        (true, Some(_)) => problem("spec.replicas must be absent with enableAutoscaling".into()),
        (false, None | Some(..=0)) => problem("spec.replicas must be at least 1".into()),
        _ => {}
    }
    let several = autoscaling || replicas.is_some_and(|r| r > 1);

    // The image is this app at this version.
    check_image(spec["image"].as_str().unwrap_or(""), app, &mut problem);

    for probe in ["liveness", "readiness"] {
        if let Some(path) = spec["checks"][probe]["httpGet"]["path"].as_str() {
            if !path.starts_with('/') {
                problem(format!(
                    "spec.checks.{probe}: path {path:?} must start with /"
                ));
            }
        }
    }

    if let Some(components) = spec["components"].as_vec() {
        for c in components.iter().filter_map(|c| c.as_str()) {
            if !app.components.contains(c) {
                problem(format!(
                    "spec.components: {c:?} is not a component of spin.toml"
                ));
            }
        }
    }

    // Variables: spin.toml's, secrets from Secrets only, none missing.
    let mut bound = BTreeSet::new();
    for (i, var) in spec["variables"].as_vec().into_iter().flatten().enumerate() {
        let name = var["name"].as_str().unwrap_or("");
        let at = format!("spec.variables[{i}] {name}");
        if !bound.insert(name.to_owned()) {
            problem(format!("{at}: bound twice"));
        }
        let Some(&(secret, _)) = app.variables.get(name) else {
            problem(format!(
                "{at}: not a variable of spin.toml (Spin would ignore SPIN_VARIABLE_{})",
                name.to_uppercase()
            ));
            continue;
        };
        let from = &var["valueFrom"];
        let sources = usize::from(!var["value"].is_badvalue())
            + usize::from(!from["secretKeyRef"].is_badvalue())
            + usize::from(!from["configMapKeyRef"].is_badvalue());
        if sources != 1 {
            problem(format!(
                "{at}: needs exactly one of value, valueFrom.secretKeyRef, \
                 valueFrom.configMapKeyRef"
            ));
        }
        if secret {
            let key = from["secretKeyRef"]["key"].as_str();
            if key.is_none() {
                problem(format!(
                    "{at}: spin.toml marks it secret: it must come from a Secret \
                     (valueFrom.secretKeyRef), not a literal or a ConfigMap"
                ));
            } else if key != Some(name) {
                problem(format!(
                    "{at}: reads the Secret's key {key:?}; the key should be the variable's name"
                ));
            }
        }
    }
    for (name, &(secret, required)) in &app.variables {
        if (secret || required) && !bound.contains(name) {
            let why = if secret { "secret" } else { "required" };
            problem(format!(
                "spec.variables: spin.toml's {why} variable {name} is not bound"
            ));
        }
    }
    // The Secrets the variables come from hold spin.toml's variables only.
    let sources: BTreeSet<&str> = spec["variables"]
        .as_vec()
        .into_iter()
        .flatten()
        .filter_map(|v| v["valueFrom"]["secretKeyRef"]["name"].as_str())
        .collect();
    for source in sources {
        for key in secrets.get(source).into_iter().flat_map(|k| k.keys()) {
            if !app.variables.contains_key(key) {
                problem(format!(
                    "Secret {source:?} has key {key:?}, which is not a variable of spin.toml"
                ));
            }
        }
    }

    // Runtime config.
    let runtime = &spec["runtimeConfig"];
    match runtime["loadFromSecret"].as_str() {
        Some(secret) => {
            for ignored in ["sqliteDatabases", "keyValueStores", "llmCompute"] {
                if !runtime[ignored].is_badvalue() {
                    problem(format!(
                        "spec.runtimeConfig.{ignored} is ignored when loadFromSecret is set"
                    ));
                }
            }
            match secrets
                .get(secret)
                .and_then(|k| k.get("runtime-config.toml"))
            {
                Some(text) => check_runtime_config(text, app, several, &mut problem),
                None => problem(format!(
                    "spec.runtimeConfig.loadFromSecret: no Secret {secret:?} with the key \
                     runtime-config.toml"
                )),
            }
        }
        None if several => {
            let shared = runtime["sqliteDatabases"]
                .as_vec()
                .into_iter()
                .flatten()
                .any(|db| {
                    db["name"].as_str() == Some("default") && db["type"].as_str() == Some("libsql")
                });
            if !shared {
                problem(
                    "more than one pod needs one shared database: SQLite `default` must be \
                     libsql in the runtime config"
                        .into(),
                );
            }
        }
        None => {}
    }
}

fn check_image(image: &str, app: &App, problem: &mut impl FnMut(String)) {
    let (repository, reference) = match image.rsplit_once('@') {
        Some((repo, digest)) => (repo, format!("@{digest}")),
        None => {
            let last_slash = image.rfind('/').map_or(0, |i| i + 1);
            match image[last_slash..].rsplit_once(':') {
                Some((_, tag)) => (&image[..image.len() - tag.len() - 1], tag.to_owned()),
                None => (image, String::new()),
            }
        }
    };
    if repository != repository.to_lowercase() {
        problem(format!(
            "spec.image {image:?}: a repository name is lowercase"
        ));
    }
    if repository.rsplit('/').next() != Some(app.name.as_str()) {
        problem(format!(
            "spec.image {image:?}: should be the app {:?} as pushed by spin registry push",
            app.name
        ));
    }
    if let Some(digest) = reference.strip_prefix("@sha256:") {
        if digest.len() != 64 || !digest.chars().all(|c| c.is_ascii_hexdigit()) {
            problem(format!("spec.image {image:?}: malformed digest"));
        }
    } else if reference != app.version {
        problem(format!(
            "spec.image {image:?}: the tag should be spin.toml's version {:?} (or pin a \
             digest)",
            app.version
        ));
    }
}

/// The runtime config Spin reads: known sections, stores with what their type needs, every
/// label the components use defined, and one database for all pods.
fn check_runtime_config(text: &str, app: &App, several: bool, problem: &mut impl FnMut(String)) {
    let at = "runtime-config.toml";
    let config: toml::Table = match text.parse() {
        Ok(c) => c,
        Err(e) => return problem(format!("{at}: not TOML: {e}")),
    };
    const KNOWN: &[&str] = &[
        "state_dir",
        "log_dir",
        "max_instance_memory",
        "key_value_store",
        "sqlite_database",
        "variables_provider",
        "config_provider",
        "llm_compute",
        "outbound_http",
        "outbound_networking",
        "client_tls",
        "outbound_redis",
        "outbound_pg",
        "outbound_mysql",
        "outbound_mqtt",
    ];
    for key in config.keys() {
        if !KNOWN.contains(&key.as_str()) {
            problem(format!(
                "{at}: unknown section {key:?} (Spin refuses the file)"
            ));
        }
    }
    let section = |name: &str| config.get(name).and_then(|s| s.as_table());
    let str_of = |store: &toml::Value, key: &str| {
        store
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    for (label, store) in section("key_value_store").into_iter().flatten() {
        let url = str_of(store, "url");
        match str_of(store, "type").as_str() {
            "spin" | "azure_cosmos" | "aws_dynamo" => {}
            "redis" => {
                if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                    problem(format!(
                        "{at}: key_value_store.{label}: url must be redis:// or rediss://"
                    ));
                }
            }
            other => problem(format!(
                "{at}: key_value_store.{label}: unknown type {other:?}"
            )),
        }
    }
    for (label, db) in section("sqlite_database").into_iter().flatten() {
        match str_of(db, "type").as_str() {
            "spin" => {}
            "libsql" => {
                let url = str_of(db, "url");
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    problem(format!(
                        "{at}: sqlite_database.{label}: libsql needs an http(s):// url"
                    ));
                }
                if str_of(db, "token").trim().is_empty() {
                    problem(format!(
                        "{at}: sqlite_database.{label}: libsql needs a token"
                    ));
                }
            }
            other => problem(format!(
                "{at}: sqlite_database.{label}: unknown type {other:?}"
            )),
        }
    }
    // `default` always exists; any other label must be defined.
    for (kind, labels) in [
        ("key_value_store", &app.kv_labels),
        ("sqlite_database", &app.sqlite_labels),
    ] {
        for label in labels.iter().filter(|l| *l != "default") {
            if section(kind).is_none_or(|s| !s.contains_key(label)) {
                problem(format!(
                    "{at}: {kind}.{label} is used by a component but not defined"
                ));
            }
        }
    }
    if several {
        let db_type = section("sqlite_database")
            .and_then(|s| s.get("default"))
            .map(|db| str_of(db, "type"));
        if db_type.as_deref() != Some("libsql") {
            problem(format!(
                "{at}: more than one pod needs one shared database: sqlite_database.default \
                 must be libsql"
            ));
        }
    }
}

/// The tick: every minute, never two at once, `POST /cron/tick` to the SpinApp's Service with
/// the cron token from the Secret.
fn check_tick(
    o: &Object,
    objects: &[Object],
    secrets: &Secrets,
    app: &App,
    namespace: Option<&str>,
    problems: &mut Vec<String>,
) {
    let spec = &o.value["spec"];
    let mut problem = |text: String| problems.push(format!("{}: {text}", o.at()));
    let schedule = spec["schedule"].as_str().unwrap_or("");
    if schedule.split_whitespace().collect::<Vec<_>>() != ["*"; 5] {
        problem(format!(
            "spec.schedule {schedule:?}: the tick is made to run every minute (\"* * * * *\")"
        ));
    }
    if spec["concurrencyPolicy"].as_str() != Some("Forbid") {
        problem("spec.concurrencyPolicy must be Forbid: one tick at a time".into());
    }
    let pod = &spec["jobTemplate"]["spec"]["template"]["spec"];
    let containers = pod["containers"].as_vec().cloned().unwrap_or_default();
    let [container] = containers.as_slice() else {
        return problem("the Job's pod should have exactly one container".into());
    };
    let image = container["image"].as_str().unwrap_or("");
    let last = image.rsplit('/').next().unwrap_or("");
    if !image.contains("@sha256:") && (!last.contains(':') || last.ends_with(":latest")) {
        problem(format!("image {image:?}: pin a version tag or a digest"));
    }
    let strings = |v: &Yaml| -> Vec<String> {
        v.as_vec()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect()
    };
    let command = strings(&container["command"]);
    if command != ["curl"] {
        problem(format!("command {command:?}: expected [\"curl\"]"));
    }
    let args = strings(&container["args"]);
    let after = |flags: &[&str]| -> Vec<&str> {
        args.windows(2)
            .filter(|w| flags.contains(&w[0].as_str()))
            .map(|w| w[1].as_str())
            .collect()
    };
    if after(&["-X", "--request"]) != ["POST"] {
        problem("curl must send POST (-X POST)".into());
    }

    // The token: a header from an env var that reads the Secret's cron_token.
    let auth: Vec<&str> = after(&["-H", "--header"])
        .into_iter()
        .filter(|h| h.to_ascii_lowercase().starts_with("authorization:"))
        .collect();
    let env_name = match auth.as_slice() {
        [header] => header
            .split_once(':')
            .map(|(_, v)| v.trim())
            .and_then(|v| v.strip_prefix("Bearer $("))
            .and_then(|v| v.strip_suffix(')')),
        _ => None,
    };
    match env_name {
        None => problem(
            "curl needs one header \"Authorization: Bearer $(ENV)\" with the token from an env \
             var"
            .into(),
        ),
        Some(env_name) => {
            let env = container["env"]
                .as_vec()
                .into_iter()
                .flatten()
                .find(|e| e["name"].as_str() == Some(env_name));
            let key_ref = env.map(|e| &e["valueFrom"]["secretKeyRef"]);
            let from = key_ref.and_then(|r| Some((r["name"].as_str()?, r["key"].as_str()?)));
            match from {
                Some((secret, "cron_token")) if secrets.contains_key(secret) => {}
                _ => problem(format!(
                    "env {env_name}: must read the key cron_token of a Secret defined here"
                )),
            }
        }
    }
    if args.iter().any(|a| a.contains("token=")) {
        problem("the token belongs in the header, not the URL (access logs keep URLs)".into());
    }

    // The URL: the SpinApp's Service, port 80, the scheduler's route.
    let urls: Vec<&String> = args.iter().filter(|a| a.contains("://")).collect();
    let [url] = urls.as_slice() else {
        return problem("curl needs exactly one URL".into());
    };
    let Some(rest) = url.strip_prefix("http://") else {
        return problem(format!("{url}: the Service speaks plain http://"));
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let mut labels = host.split('.');
    let service = labels.next().unwrap_or("");
    let rest: Vec<&str> = labels.collect();
    let ns_ok = match rest.as_slice() {
        [] => true,
        [ns] | [ns, "svc"] | [ns, "svc", "cluster", "local"] => Some(*ns) == namespace,
        _ => false,
    };
    if !objects
        .iter()
        .any(|a| a.kind == "SpinApp" && a.name == service)
        || !ns_ok
    {
        problem(format!(
            "{url}: the host must be a SpinApp's Service (the SpinApp's name) in this namespace"
        ));
    }
    if port.is_some_and(|p| p != "80") {
        problem(format!("{url}: the SpinApp's Service listens on port 80"));
    }
    if !app
        .routes
        .iter()
        .any(|(route, component)| route == path && component == "scheduler")
    {
        problem(format!(
            "{url}: path {path:?} is not the scheduler's route in spin.toml"
        ));
    }
}

fn check_ingress(o: &Object, objects: &[Object], problems: &mut Vec<String>) {
    for (i, rule) in o.value["spec"]["rules"]
        .as_vec()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for (j, path) in rule["http"]["paths"]
            .as_vec()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let service = &path["backend"]["service"];
            let name = service["name"].as_str().unwrap_or("");
            let at = format!("spec.rules[{i}].http.paths[{j}].backend.service");
            if !objects
                .iter()
                .any(|a| a.kind == "SpinApp" && a.name == name)
            {
                problems.push(format!(
                    "{}: {at}: {name:?} is not a SpinApp's Service",
                    o.at()
                ));
            }
            if service["port"]["number"].as_i64() != Some(80) {
                problems.push(format!(
                    "{}: {at}.port: the SpinApp's Service is port number 80",
                    o.at()
                ));
            }
        }
    }
}

/// The example holds no secret: every key that is a Spin variable is empty.
fn check_example_secrets(objects: &[Object], app: &App, problems: &mut Vec<String>) {
    for o in objects
        .iter()
        .filter(|o| o.file == SECRETS_EXAMPLE && o.kind == "Secret")
    {
        for (k, v) in o.value["stringData"].as_hash().into_iter().flatten() {
            let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else {
                continue;
            };
            if app.variables.contains_key(k) && !v.is_empty() {
                problems.push(format!(
                    "{}: stringData.{k}: an example holds no secret: leave it empty",
                    o.at()
                ));
            }
        }
        if !o.value["data"].is_badvalue() {
            problems.push(format!("{}: an example holds no data", o.at()));
        }
    }
}

/// What `spin registry push` needs of spin.toml: an application name and version for the
/// reference and annotations, and every component's `source` and `files` local, inside the
/// app's folder and built (push reads and validates each `.wasm`, and copies the files).
pub fn push_problems(files: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    let spin: toml::Table = match files.texts[SPIN_TOML].parse() {
        Ok(spin) => spin,
        Err(e) => return vec![format!("{SPIN_TOML}: not TOML: {e}")],
    };
    let app = app(&spin);
    let name_ok = !app.name.is_empty()
        && app.name.split(['.', '_', '-']).all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !name_ok {
        problems.push(format!(
            "[application] name {:?}: a registry repository name (lowercase letters, digits, \
             . _ -)",
            app.name
        ));
    }
    let core = app.version.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        problems.push(format!(
            "[application] version {:?}: semantic version (it is the image's tag)",
            app.version
        ));
    }

    // A path the app's folder holds: relative, no `..`.
    let inside = |path: &str| {
        !path.is_empty()
            && !Path::new(path).is_absolute()
            && !Path::new(path)
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
    };
    let components = spin.get("component").and_then(|c| c.as_table());
    for (id, component) in components.into_iter().flatten() {
        let at = format!("[component.{id}]");
        match component.get("source").and_then(|s| s.as_str()) {
            None => problems.push(format!(
                "{at} source: a local .wasm path (push composes from local files)"
            )),
            Some(source) if !inside(source) || !source.ends_with(".wasm") => problems.push(
                format!("{at} source {source:?}: a .wasm path inside the app's folder"),
            ),
            Some(source) => match std::fs::read(files.root.join(source)) {
                Ok(bytes) if bytes.starts_with(b"\0asm") => {}
                Ok(_) => problems.push(format!("{at} source {source}: not a .wasm file")),
                Err(e) => problems.push(format!(
                    "{at} source {source}: {e} (build it first: spin build)"
                )),
            },
        }
        for mount in component
            .get("files")
            .and_then(|f| f.as_array())
            .into_iter()
            .flatten()
        {
            let (source, destination) = match mount {
                toml::Value::String(glob) => (glob.as_str(), None),
                toml::Value::Table(t) => (
                    t.get("source").and_then(|s| s.as_str()).unwrap_or(""),
                    Some(t.get("destination").and_then(|d| d.as_str()).unwrap_or("")),
                ),
                _ => ("", None),
            };
            if !inside(source) {
                problems.push(format!(
                    "{at} files {source:?}: must be inside the app's folder"
                ));
            } else if destination.is_some() && !files.root.join(source).exists() {
                problems.push(format!(
                    "{at} files {source:?}: does not exist (build it first: spin build)"
                ));
            }
            if destination.is_some_and(|d| !d.starts_with('/')) {
                problems.push(format!(
                    "{at} files destination {destination:?}: an absolute path"
                ));
            }
        }
    }
    for (_, component) in &app.routes {
        if !app.components.contains(component) {
            problems.push(format!(
                "[[trigger.http]] component {component:?} is not defined"
            ));
        }
    }
    problems
}
