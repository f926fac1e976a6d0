//! The shapes of the Kubernetes objects in `deploy/spinkube`, written down from the API
//! references: `core.spinkube.dev/v1alpha1` `SpinApp` and `SpinAppExecutor` (the spin-operator's
//! `api/v1alpha1` types) and the built-in `v1` `Namespace` and `Secret`, `batch/v1` `CronJob`,
//! `networking.k8s.io/v1` `Ingress`, plus kustomize's `Kustomization`.
//!
//! Objects are closed: a field not listed here is a problem, so a typo (`replica:`) is caught
//! instead of being pruned by the API server without a word. The SpinKube kinds list every
//! field of their specs, except that a variable's `valueFrom` (a Kubernetes `EnvVarSource`)
//! lists only Secret and ConfigMap keys; the built-in kinds list only the fields these
//! manifests may use. To use another, add it here after checking its name and type in the API
//! reference.

use yaml_rust2::Yaml;

/// What a YAML value must look like.
pub enum Shape {
    /// A string (quoted or plain; `2` and `true` are not strings).
    Str,
    /// A non-empty string.
    NonEmpty,
    /// An integer, at least the given minimum.
    Int(i64),
    Bool,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A Kubernetes quantity: `64Mi`, `10m` or a plain number.
    Quantity,
    List(Box<Shape>),
    /// A map of strings to strings (labels, annotations, a Secret's `stringData`).
    StrMap,
    /// A map of names to quantities (`resources.limits`).
    QuantityMap,
    /// A closed object: these fields and no others.
    Obj(Vec<Field>),
}

pub struct Field {
    name: &'static str,
    required: bool,
    shape: Shape,
}

fn req(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        required: true,
        shape,
    }
}

fn opt(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        required: false,
        shape,
    }
}

fn list(shape: Shape) -> Shape {
    Shape::List(Box::new(shape))
}

/// Checks `value` against `shape`; each problem names its path (`spec.replicas`).
pub fn check(value: &Yaml, shape: &Shape, path: &str, problems: &mut Vec<String>) {
    let mut wrong = |expected: &str| {
        problems.push(format!(
            "{path}: expected {expected}, found {}",
            describe(value)
        ));
    };
    match shape {
        Shape::Str => {
            if value.as_str().is_none() {
                wrong("a string");
            }
        }
        Shape::NonEmpty => match value.as_str() {
            Some(s) if !s.trim().is_empty() => {}
            _ => wrong("a non-empty string"),
        },
        Shape::Int(min) => match value.as_i64() {
            Some(n) if n >= *min => {}
            Some(_) => wrong(&format!("an integer of at least {min}")),
            None => wrong("an integer"),
        },
        Shape::Bool => {
            if value.as_bool().is_none() {
                wrong("true or false");
            }
        }
        Shape::OneOf(options) => match value.as_str() {
            Some(s) if options.contains(&s) => {}
            _ => wrong(&format!("one of {}", options.join(", "))),
        },
        Shape::Quantity => {
            let ok = match value {
                Yaml::Integer(n) => *n >= 0,
                Yaml::Real(_) => true,
                Yaml::String(s) => is_quantity(s),
                _ => false,
            };
            if !ok {
                wrong("a quantity (64Mi, 100m, 2)");
            }
        }
        Shape::List(item) => match value.as_vec() {
            Some(items) => {
                for (i, v) in items.iter().enumerate() {
                    check(v, item, &format!("{path}[{i}]"), problems);
                }
            }
            None => wrong("a list"),
        },
        Shape::StrMap | Shape::QuantityMap => match value.as_hash() {
            Some(map) => {
                for (k, v) in map {
                    let Some(k) = k.as_str() else {
                        problems.push(format!("{path}: key {} is not a string", describe(k)));
                        continue;
                    };
                    let inner = if matches!(shape, Shape::StrMap) {
                        Shape::Str
                    } else {
                        Shape::Quantity
                    };
                    check(v, &inner, &format!("{path}.{k}"), problems);
                }
            }
            None => wrong("a map"),
        },
        Shape::Obj(fields) => {
            let Some(map) = value.as_hash() else {
                wrong("a map");
                return;
            };
            for (k, v) in map {
                let name = k.as_str().unwrap_or("");
                match fields.iter().find(|f| f.name == name) {
                    Some(field) => check(v, &field.shape, &join(path, name), problems),
                    None => problems.push(format!(
                        "{}: unknown field (not in the schema of tests/e2e/tests/deploy/schema.rs)",
                        join(path, &describe_key(k))
                    )),
                }
            }
            for field in fields.iter().filter(|f| f.required) {
                if !map.contains_key(&Yaml::String(field.name.to_owned())) {
                    problems.push(format!(
                        "{}: required field missing",
                        join(path, field.name)
                    ));
                }
            }
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn describe_key(key: &Yaml) -> String {
    key.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| describe(key))
}

pub fn describe(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => format!("the string {s:?}"),
        Yaml::Integer(n) => format!("the integer {n}"),
        Yaml::Real(r) => format!("the number {r}"),
        Yaml::Boolean(b) => format!("{b}"),
        Yaml::Array(_) => "a list".to_owned(),
        Yaml::Hash(_) => "a map".to_owned(),
        Yaml::Alias(_) => "an alias".to_owned(),
        Yaml::Null => "null".to_owned(),
        Yaml::BadValue => "nothing".to_owned(),
    }
}

/// `64Mi`, `1.5Gi`, `100m`, `2`, `1e3`: digits, an optional fraction, an optional suffix.
fn is_quantity(s: &str) -> bool {
    let digits_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    !number.is_empty()
        && number.parse::<f64>().is_ok()
        && [
            "", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
        ]
        .contains(&suffix)
}

/// The schema of one kind, by `apiVersion` and `kind`; `None` for a kind we have none for.
pub fn for_kind(api_version: &str, kind: &str) -> Option<Shape> {
    let spec = match (api_version, kind) {
        ("core.spinkube.dev/v1alpha1", "SpinApp") => spin_app(),
        ("core.spinkube.dev/v1alpha1", "SpinAppExecutor") => spin_app_executor(),
        ("batch/v1", "CronJob") => cron_job(),
        ("networking.k8s.io/v1", "Ingress") => ingress(),
        ("v1", "Secret") => return Some(secret()),
        ("v1", "Namespace") => return Some(top(Vec::new())),
        ("kustomize.config.k8s.io/v1beta1", "Kustomization") => return Some(kustomization()),
        _ => return None,
    };
    Some(top(vec![req("spec", spec)]))
}

/// `apiVersion`, `kind`, `metadata` and the kind's own top-level fields.
fn top(mut fields: Vec<Field>) -> Shape {
    fields.extend([
        req("apiVersion", Shape::NonEmpty),
        req("kind", Shape::NonEmpty),
        req("metadata", metadata()),
    ]);
    Shape::Obj(fields)
}

fn metadata() -> Shape {
    Shape::Obj(vec![
        req("name", Shape::NonEmpty),
        opt("namespace", Shape::NonEmpty),
        opt("labels", Shape::StrMap),
        opt("annotations", Shape::StrMap),
    ])
}

/// `{ name, key, optional }`: a key of a Secret or ConfigMap.
fn key_ref() -> Shape {
    Shape::Obj(vec![
        req("name", Shape::NonEmpty),
        req("key", Shape::NonEmpty),
        opt("optional", Shape::Bool),
    ])
}

fn resources() -> Shape {
    Shape::Obj(vec![
        opt("limits", Shape::QuantityMap),
        opt("requests", Shape::QuantityMap),
    ])
}

/// SpinApp's `spec` (spin-operator `SpinAppSpec`).
fn spin_app() -> Shape {
    let probe = || {
        Shape::Obj(vec![
            opt(
                "httpGet",
                Shape::Obj(vec![
                    req("path", Shape::NonEmpty),
                    opt(
                        "httpHeaders",
                        list(Shape::Obj(vec![
                            req("name", Shape::NonEmpty),
                            req("value", Shape::Str),
                        ])),
                    ),
                ]),
            ),
            opt("initialDelaySeconds", Shape::Int(0)),
            opt("timeoutSeconds", Shape::Int(1)),
            opt("periodSeconds", Shape::Int(1)),
            opt("successThreshold", Shape::Int(1)),
            opt("failureThreshold", Shape::Int(1)),
        ])
    };
    // `sqliteDatabases`, `keyValueStores` entries and `llmCompute`: a type and its options,
    // each a literal or a reference to a Secret or ConfigMap key.
    let option = || {
        Shape::Obj(vec![
            req("name", Shape::NonEmpty),
            opt("value", Shape::Str),
            opt(
                "valueFrom",
                Shape::Obj(vec![
                    opt("secretKeyRef", key_ref()),
                    opt("configMapKeyRef", key_ref()),
                ]),
            ),
        ])
    };
    let store = || {
        Shape::Obj(vec![
            req("name", Shape::NonEmpty),
            req("type", Shape::NonEmpty),
            opt("options", list(option())),
        ])
    };
    Shape::Obj(vec![
        opt("executor", Shape::NonEmpty),
        req("image", Shape::NonEmpty),
        opt(
            "imagePullSecrets",
            list(Shape::Obj(vec![req("name", Shape::NonEmpty)])),
        ),
        opt(
            "checks",
            Shape::Obj(vec![opt("readiness", probe()), opt("liveness", probe())]),
        ),
        opt("replicas", Shape::Int(0)),
        opt("enableAutoscaling", Shape::Bool),
        opt(
            "runtimeConfig",
            Shape::Obj(vec![
                opt("loadFromSecret", Shape::NonEmpty),
                opt("sqliteDatabases", list(store())),
                opt("keyValueStores", list(store())),
                opt(
                    "llmCompute",
                    Shape::Obj(vec![
                        req("type", Shape::NonEmpty),
                        opt("options", list(option())),
                    ]),
                ),
            ]),
        ),
        opt(
            "variables",
            list(Shape::Obj(vec![
                req("name", Shape::NonEmpty),
                opt("value", Shape::Str),
                opt(
                    "valueFrom",
                    Shape::Obj(vec![
                        opt("secretKeyRef", key_ref()),
                        opt("configMapKeyRef", key_ref()),
                    ]),
                ),
            ])),
        ),
        opt("serviceAnnotations", Shape::StrMap),
        opt("deploymentAnnotations", Shape::StrMap),
        opt("podAnnotations", Shape::StrMap),
        opt("podLabels", Shape::StrMap),
        opt("resources", resources()),
        opt("components", list(Shape::NonEmpty)),
        opt("serviceAccountName", Shape::NonEmpty),
        opt("invocationLimits", Shape::StrMap),
    ])
}

/// SpinAppExecutor's `spec` (spin-operator `SpinAppExecutorSpec`).
fn spin_app_executor() -> Shape {
    Shape::Obj(vec![
        req("createDeployment", Shape::Bool),
        opt(
            "deploymentConfig",
            Shape::Obj(vec![
                opt("runtimeClassName", Shape::NonEmpty),
                opt("spinImage", Shape::NonEmpty),
                opt("caCertSecret", Shape::NonEmpty),
                opt("installDefaultCACerts", Shape::Bool),
                opt(
                    "otel",
                    Shape::Obj(vec![
                        opt("exporter_otlp_endpoint", Shape::Str),
                        opt("exporter_otlp_traces_endpoint", Shape::Str),
                        opt("exporter_otlp_metrics_endpoint", Shape::Str),
                        opt("exporter_otlp_logs_endpoint", Shape::Str),
                    ]),
                ),
            ]),
        ),
    ])
}

fn secret() -> Shape {
    top(vec![
        opt("type", Shape::NonEmpty),
        opt("stringData", Shape::StrMap),
        opt("data", Shape::StrMap),
        opt("immutable", Shape::Bool),
    ])
}

/// CronJob's `spec`, down to the fields of a Job's pod these manifests use.
fn cron_job() -> Shape {
    let env_var = Shape::Obj(vec![
        req("name", Shape::NonEmpty),
        opt("value", Shape::Str),
        opt(
            "valueFrom",
            Shape::Obj(vec![
                opt("secretKeyRef", key_ref()),
                opt("configMapKeyRef", key_ref()),
            ]),
        ),
    ]);
    let container = Shape::Obj(vec![
        req("name", Shape::NonEmpty),
        req("image", Shape::NonEmpty),
        opt(
            "imagePullPolicy",
            Shape::OneOf(&["Always", "IfNotPresent", "Never"]),
        ),
        opt("command", list(Shape::Str)),
        opt("args", list(Shape::Str)),
        opt("env", list(env_var)),
        opt("resources", resources()),
        opt(
            "securityContext",
            Shape::Obj(vec![
                opt("allowPrivilegeEscalation", Shape::Bool),
                opt("readOnlyRootFilesystem", Shape::Bool),
                opt("runAsNonRoot", Shape::Bool),
                opt("runAsUser", Shape::Int(0)),
                opt("runAsGroup", Shape::Int(0)),
                opt(
                    "capabilities",
                    Shape::Obj(vec![
                        opt("add", list(Shape::NonEmpty)),
                        opt("drop", list(Shape::NonEmpty)),
                    ]),
                ),
            ]),
        ),
    ]);
    let pod = Shape::Obj(vec![
        req("restartPolicy", Shape::OneOf(&["Never", "OnFailure"])),
        req("containers", list(container)),
        opt("automountServiceAccountToken", Shape::Bool),
        opt("serviceAccountName", Shape::NonEmpty),
        opt(
            "securityContext",
            Shape::Obj(vec![
                opt("runAsNonRoot", Shape::Bool),
                opt("runAsUser", Shape::Int(0)),
                opt("runAsGroup", Shape::Int(0)),
                opt("fsGroup", Shape::Int(0)),
                opt(
                    "seccompProfile",
                    Shape::Obj(vec![
                        req(
                            "type",
                            Shape::OneOf(&["RuntimeDefault", "Localhost", "Unconfined"]),
                        ),
                        opt("localhostProfile", Shape::NonEmpty),
                    ]),
                ),
            ]),
        ),
    ]);
    let template_meta = Shape::Obj(vec![
        opt("labels", Shape::StrMap),
        opt("annotations", Shape::StrMap),
    ]);
    let job = Shape::Obj(vec![
        opt("backoffLimit", Shape::Int(0)),
        opt("activeDeadlineSeconds", Shape::Int(1)),
        opt("ttlSecondsAfterFinished", Shape::Int(0)),
        req(
            "template",
            Shape::Obj(vec![opt("metadata", template_meta), req("spec", pod)]),
        ),
    ]);
    Shape::Obj(vec![
        req("schedule", Shape::NonEmpty),
        opt("timeZone", Shape::NonEmpty),
        opt(
            "concurrencyPolicy",
            Shape::OneOf(&["Allow", "Forbid", "Replace"]),
        ),
        opt("startingDeadlineSeconds", Shape::Int(0)),
        opt("suspend", Shape::Bool),
        opt("successfulJobsHistoryLimit", Shape::Int(0)),
        opt("failedJobsHistoryLimit", Shape::Int(0)),
        req(
            "jobTemplate",
            Shape::Obj(vec![
                opt(
                    "metadata",
                    Shape::Obj(vec![
                        opt("labels", Shape::StrMap),
                        opt("annotations", Shape::StrMap),
                    ]),
                ),
                req("spec", job),
            ]),
        ),
    ])
}

/// Ingress's `spec`.
fn ingress() -> Shape {
    let backend = Shape::Obj(vec![req(
        "service",
        Shape::Obj(vec![
            req("name", Shape::NonEmpty),
            req(
                "port",
                Shape::Obj(vec![
                    opt("number", Shape::Int(1)),
                    opt("name", Shape::NonEmpty),
                ]),
            ),
        ]),
    )]);
    let path = Shape::Obj(vec![
        opt("path", Shape::NonEmpty),
        req(
            "pathType",
            Shape::OneOf(&["Exact", "Prefix", "ImplementationSpecific"]),
        ),
        req("backend", backend),
    ]);
    Shape::Obj(vec![
        opt("ingressClassName", Shape::NonEmpty),
        opt(
            "tls",
            list(Shape::Obj(vec![
                opt("hosts", list(Shape::NonEmpty)),
                opt("secretName", Shape::NonEmpty),
            ])),
        ),
        req(
            "rules",
            list(Shape::Obj(vec![
                opt("host", Shape::NonEmpty),
                req("http", Shape::Obj(vec![req("paths", list(path))])),
            ])),
        ),
    ])
}

fn kustomization() -> Shape {
    Shape::Obj(vec![
        req("apiVersion", Shape::NonEmpty),
        req("kind", Shape::NonEmpty),
        opt("namespace", Shape::NonEmpty),
        req("resources", list(Shape::NonEmpty)),
    ])
}
