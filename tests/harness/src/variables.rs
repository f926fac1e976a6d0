//! Application variables the way Spin resolves them.
//!
//! An application variable gets its value from, in this order: a value given explicitly
//! (`spin up --variable`, [`crate::AppBuilder::variable`]), the environment variable
//! `SPIN_VARIABLE_<NAME>` (read again on every resolution, as Spin's env provider does), and
//! finally the manifest's `default`. Component variables are templates over application
//! variables (`"https://{{ api_host }}/v1"`), resolved on every `get`.

use std::collections::{BTreeMap, HashMap};

/// Why a variable could not be resolved; the variants mirror `spin_expressions::Error`, and
/// [`VarError::into_guest`] maps them to `fermyon:spin/variables` errors like Spin does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarError {
    /// The name breaks Spin's naming rules.
    InvalidName(String),
    /// A template is malformed or refers to an unknown variable.
    InvalidTemplate(String),
    /// No provider had a value for a required variable.
    Provider(String),
    /// The component has no such variable.
    Undefined(String),
}

impl std::fmt::Display for VarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VarError::InvalidName(m) => write!(f, "invalid variable name: {m}"),
            VarError::InvalidTemplate(m) => write!(f, "invalid variable template: {m}"),
            VarError::Provider(m) => write!(f, "provider error: {m:?}"),
            VarError::Undefined(m) => write!(f, "undefined variable: {m}"),
        }
    }
}

impl std::error::Error for VarError {}

/// Checks a variable name against Spin's rules (`[a-z][a-z0-9_]*`, ends alphanumeric, no `__`).
pub fn validate_name(key: &str) -> Result<(), VarError> {
    let reason = if key.is_empty() {
        Some("must not be empty".to_string())
    } else if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        Some(format!(
            "invalid character {c:?}. Variable names may contain only lower-case letters, numbers, and underscores."
        ))
    } else if !key.as_bytes()[0].is_ascii_lowercase() {
        Some("must start with a lowercase ASCII letter".to_string())
    } else if !key.as_bytes()[key.len() - 1].is_ascii_alphanumeric() {
        Some("must end with a lowercase ASCII letter or digit".to_string())
    } else if key.contains("__") {
        Some("must not contain multiple consecutive underscores".to_string())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(VarError::InvalidName(format!("{key:?}: {reason}"))),
        None => Ok(()),
    }
}

/// A string with `{{ variable }}` expressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Expr(String),
}

impl Template {
    /// Parses a template; an unmatched `{{` is an error, as in Spin.
    pub fn parse(s: &str) -> Result<Self, VarError> {
        let mut parts = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("{{") {
                let (expr, tail) = after.split_once("}}").ok_or_else(|| {
                    VarError::InvalidTemplate("unmatched '{{' in template".to_string())
                })?;
                parts.push(Part::Expr(expr.trim().to_string()));
                rest = tail;
            } else {
                let idx = rest.find("{{").unwrap_or(rest.len());
                parts.push(Part::Lit(rest[..idx].to_string()));
                rest = &rest[idx..];
            }
        }
        Ok(Self { parts })
    }

    /// True when the template has no expressions.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Lit(_)))
    }

    /// The variable names the template refers to.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e) => Some(e.as_str()),
            Part::Lit(_) => None,
        })
    }

    /// Fills in the template, asking `lookup` for each variable.
    pub fn render(
        &self,
        mut lookup: impl FnMut(&str) -> Result<String, VarError>,
    ) -> Result<String, VarError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(l) => out.push_str(l),
                Part::Expr(e) => out.push_str(&lookup(e)?),
            }
        }
        Ok(out)
    }
}

/// An application variable as declared in `[variables]`.
#[derive(Debug, Clone)]
pub struct AppVariable {
    /// The manifest default, `None` for a required variable.
    pub default: Option<String>,
    /// Whether the manifest marks it `secret` (Spin only records this).
    pub secret: bool,
}

/// The resolver shared by all instances of an app.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    app: BTreeMap<String, AppVariable>,
    provided: HashMap<String, String>,
    components: HashMap<String, HashMap<String, Template>>,
}

impl Variables {
    /// Builds a resolver from the app's variables and explicitly provided values.
    pub fn new(
        app: BTreeMap<String, AppVariable>,
        provided: HashMap<String, String>,
    ) -> Result<Self, VarError> {
        for name in app.keys() {
            validate_name(name)?;
        }
        Ok(Self {
            app,
            provided,
            components: HashMap::new(),
        })
    }

    /// Registers a component's variable templates; unknown references are rejected.
    pub fn add_component(
        &mut self,
        component_id: &str,
        variables: &BTreeMap<String, String>,
    ) -> Result<(), VarError> {
        let mut templates = HashMap::new();
        for (key, value) in variables {
            validate_name(key)?;
            let template = self.parse_template(value)?;
            templates.insert(key.clone(), template);
        }
        self.components.insert(component_id.to_string(), templates);
        Ok(())
    }

    /// Parses a template and checks that it only mentions declared app variables.
    pub fn parse_template(&self, s: &str) -> Result<Template, VarError> {
        let template = Template::parse(s)?;
        if let Some(unknown) = template.references().find(|r| !self.app.contains_key(*r)) {
            return Err(VarError::InvalidTemplate(format!(
                "unknown variable {unknown:?}"
            )));
        }
        Ok(template)
    }

    /// Fails like `spin up` when a required variable has no value from any provider.
    pub fn ensure_required_resolvable(&self) -> anyhow::Result<()> {
        let missing: Vec<String> = self
            .app
            .iter()
            .filter(|(name, var)| var.default.is_none() && self.provided_value(name).is_none())
            .map(|(name, _)| format!("Key({name:?})"))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            anyhow::bail!(
                "no provider resolved required variable(s): [{}]",
                missing.join(", ")
            )
        }
    }

    /// The value of an application variable.
    pub fn resolve(&self, name: &str) -> Result<String, VarError> {
        if let Some(value) = self.provided_value(name) {
            return Ok(value);
        }
        let var = self
            .app
            .get(name)
            .ok_or_else(|| VarError::InvalidName(name.to_string()))?;
        var.default.clone().ok_or_else(|| {
            VarError::Provider(format!("no provider resolved required variable {name:?}"))
        })
    }

    /// Renders a template with the manifest defaults only, as Spin's load-time validation
    /// does; an error when a variable it names has no default.
    pub fn render_defaults(&self, template: &Template) -> Result<String, VarError> {
        template.render(|name| {
            self.app
                .get(name)
                .and_then(|var| var.default.clone())
                .ok_or_else(|| VarError::Provider(format!("{name:?} has no default")))
        })
    }

    /// Renders a template against the current variable values.
    pub fn render(&self, template: &Template) -> Result<String, VarError> {
        template.render(|name| self.resolve(name))
    }

    /// What `fermyon:spin/variables.get(name)` returns to `component_id`.
    pub fn get(&self, component_id: &str, name: &str) -> Result<String, VarError> {
        validate_name(name)?;
        let templates = self.components.get(component_id).ok_or_else(|| {
            VarError::Undefined(format!("no variable for component {component_id:?}"))
        })?;
        let template = templates.get(name).ok_or_else(|| {
            VarError::Undefined(format!("no variable for {component_id:?}.{name:?}"))
        })?;
        self.render(template)
    }

    /// Names of all application variables.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.app.keys().map(String::as_str)
    }

    fn provided_value(&self, name: &str) -> Option<String> {
        if let Some(v) = self.provided.get(name) {
            return Some(v.clone());
        }
        let key = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
        std::env::var(&key)
            .ok()
            .or_else(|| dotenv().get(&key).cloned())
    }
}

/// The `.env` file in the working directory, read once: Spin's env provider reads it too, and
/// the real environment beats it.
fn dotenv() -> &'static HashMap<String, String> {
    static DOTENV: std::sync::OnceLock<HashMap<String, String>> = std::sync::OnceLock::new();
    DOTENV.get_or_init(|| {
        std::fs::read_to_string(".env")
            .map(|text| parse_dotenv(&text))
            .unwrap_or_default()
    })
}

/// `KEY=VALUE` lines; blank lines and `#` comments skipped, an `export ` prefix and one pair
/// of surrounding quotes removed.
fn parse_dotenv(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (key, value) = line.split_once('=')?;
            let value = value.trim();
            let unquoted = ['"', '\'']
                .iter()
                .find_map(|q| value.strip_prefix(*q)?.strip_suffix(*q))
                .unwrap_or(value);
            Some((key.trim().to_owned(), unquoted.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Variables {
        let mut app = BTreeMap::new();
        app.insert(
            "host".to_string(),
            AppVariable {
                default: Some("example.com".into()),
                secret: false,
            },
        );
        app.insert(
            "secret_thing".to_string(),
            AppVariable {
                default: None,
                secret: true,
            },
        );
        let mut v = Variables::new(app, HashMap::new()).expect("valid");
        let mut c = BTreeMap::new();
        c.insert("url".to_string(), "https://{{ host }}/v1".to_string());
        c.insert("secret".to_string(), "{{secret_thing}}".to_string());
        v.add_component("web", &c).expect("valid");
        v
    }

    #[test]
    fn names_follow_spins_rules() {
        assert!(validate_name("api_key2").is_ok());
        for bad in ["", "Api", "1a", "a_", "a__b", "a-b"] {
            assert!(
                matches!(validate_name(bad), Err(VarError::InvalidName(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn component_templates_resolve_against_defaults() {
        assert_eq!(
            vars().get("web", "url"),
            Ok("https://example.com/v1".into())
        );
    }

    #[test]
    fn guest_errors_match_spin() {
        let v = vars();
        assert_eq!(
            v.get("web", "nope"),
            Err(VarError::Undefined(
                r#"no variable for "web"."nope""#.into()
            ))
        );
        assert!(matches!(v.get("web", "Bad"), Err(VarError::InvalidName(_))));
        assert!(matches!(v.get("web", "secret"), Err(VarError::Provider(_))));
        assert!(v.ensure_required_resolvable().is_err());
    }

    #[test]
    fn a_dotenv_file_is_read_like_spins() {
        let parsed = parse_dotenv(
            "# secrets\nSPIN_VARIABLE_A=whsec_abc=\nexport SPIN_VARIABLE_B=\"two words\"\n\nbad line\n",
        );
        assert_eq!(
            parsed.get("SPIN_VARIABLE_A").map(String::as_str),
            Some("whsec_abc=")
        );
        assert_eq!(
            parsed.get("SPIN_VARIABLE_B").map(String::as_str),
            Some("two words")
        );
        assert_eq!(parsed.len(), 2);
    }

    #[test]
    fn explicit_values_beat_the_environment_which_beats_defaults() {
        // Names used by no other test, so setting the process environment is safe.
        std::env::set_var("SPIN_VARIABLE_HARNESS_PRECEDENCE_A", "from-env");
        std::env::set_var("SPIN_VARIABLE_HARNESS_PRECEDENCE_B", "from-env");
        let mut app = BTreeMap::new();
        for name in [
            "harness_precedence_a",
            "harness_precedence_b",
            "harness_precedence_c",
        ] {
            app.insert(
                name.to_string(),
                AppVariable {
                    default: Some("default".into()),
                    secret: false,
                },
            );
        }
        let provided =
            HashMap::from([("harness_precedence_a".to_string(), "explicit".to_string())]);
        let v = Variables::new(app, provided).expect("valid");
        assert_eq!(v.resolve("harness_precedence_a").as_deref(), Ok("explicit"));
        assert_eq!(v.resolve("harness_precedence_b").as_deref(), Ok("from-env"));
        assert_eq!(v.resolve("harness_precedence_c").as_deref(), Ok("default"));
    }

    #[test]
    fn unknown_template_variable_is_rejected() {
        let mut v = vars();
        let mut c = BTreeMap::new();
        c.insert("x".to_string(), "{{ missing }}".to_string());
        assert!(matches!(
            v.add_component("other", &c),
            Err(VarError::InvalidTemplate(_))
        ));
        assert!(Template::parse("{{ open").is_err());
    }
}
