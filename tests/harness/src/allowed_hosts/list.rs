//! A component's whole `allowed_outbound_hosts` list, with `{{ variable }}` templates.

use anyhow::{bail, Context, Result};

use super::AllowedHost;
use crate::variables::{Template, Variables};

#[derive(Debug, Clone)]
enum Partial {
    Exact(AllowedHost),
    Template(Template),
}

/// A component's `allowed_outbound_hosts`, with templates kept until instance time.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    entries: Vec<Partial>,
}

impl AllowList {
    /// Parses the list at load time: literal entries must parse, templates must only refer to
    /// declared variables and, where the manifest defaults make them resolvable, must resolve
    /// to valid entries with those defaults (Spin 4.0.2 validates with the defaults, not the
    /// values given: a default of `""` or `"https://"` is refused even when a value is set).
    pub fn parse(hosts: &[String], vars: &Variables) -> Result<Self> {
        if hosts.len() == 1 && hosts[0] == "insecure:allow-all" {
            bail!("'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to allow all outbound traffic'");
        }
        let mut entries = Vec::with_capacity(hosts.len());
        for host in hosts {
            let template = vars
                .parse_template(host)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if template.is_literal() {
                entries.push(Partial::Exact(AllowedHost::parse(host)?));
            } else {
                if let Ok(resolved) = vars.render_defaults(&template) {
                    AllowedHost::parse(&resolved).with_context(|| {
                        format!("using default variable value(s) with template {host:?} results in invalid config {resolved:?}")
                    })?;
                }
                entries.push(Partial::Template(template));
            }
        }
        Ok(Self { entries })
    }

    /// Resolves templates against the current variable values. Like Spin 4.0.2, an entry that
    /// does not parse (an empty value included) fails the whole list: every request is denied.
    pub fn resolve(&self, vars: &Variables) -> Result<Vec<AllowedHost>> {
        let mut out = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            match entry {
                Partial::Exact(h) => out.push(h.clone()),
                Partial::Template(t) => {
                    let resolved = vars.render(t).map_err(|e| anyhow::anyhow!("{e}"))?;
                    out.push(AllowedHost::parse(&resolved).with_context(|| {
                        format!("template resolves to invalid config {resolved:?}")
                    })?);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allowed_hosts::OutboundUrl;

    fn vars(defaults: &[(&str, &str)], given: &[(&str, &str)]) -> Variables {
        use crate::variables::AppVariable;
        let app = defaults
            .iter()
            .map(|(k, v)| {
                let var = AppVariable {
                    default: Some((*v).into()),
                    secret: false,
                };
                ((*k).to_string(), var)
            })
            .collect();
        let given = given
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        Variables::new(app, given).expect("vars")
    }

    #[test]
    fn templates_resolve_against_the_values_given() {
        let vars = vars(
            &[
                ("api", "http://127.0.0.1:9000"),
                ("crm", "https://crm.invalid"),
            ],
            &[("crm", "http://127.0.0.1:9100")],
        );
        let list =
            AllowList::parse(&["{{ api }}".into(), "{{ crm }}".into()], &vars).expect("list");
        let resolved = list.resolve(&vars).expect("resolve");
        assert_eq!(resolved.len(), 2);
        let url = |u| OutboundUrl::parse(u, "https").expect("url");
        assert!(resolved[0].allows(&url("http://127.0.0.1:9000/x")));
        assert!(resolved[1].allows(&url("http://127.0.0.1:9100/hooks")));
        assert!(AllowList::parse(&["{{ nope }}".into()], &vars).is_err());
        assert!(AllowList::parse(&["insecure:allow-all".into()], &vars).is_err());
    }

    #[test]
    fn an_empty_default_is_refused_at_load_even_when_a_value_is_given() {
        // Spin 4.0.2: "using default variable value(s) with template ... results in invalid
        // config". A value given for it does not help: the check uses the defaults.
        for default in ["", "https://"] {
            let vars = vars(&[("crm", default)], &[("crm", "http://127.0.0.1:9100")]);
            let error = AllowList::parse(&["{{ crm }}".into()], &vars).expect_err("refused");
            assert!(
                format!("{error:#}").contains("default variable value"),
                "{error:#}"
            );
        }
    }

    #[test]
    fn an_empty_value_given_at_run_time_denies_everything() {
        let vars = vars(&[("crm", "https://crm.invalid")], &[("crm", "")]);
        let list = AllowList::parse(&["http://127.0.0.1:1".into(), "{{ crm }}".into()], &vars)
            .expect("loads: the default is valid");
        assert!(list.resolve(&vars).is_err());
    }
}
