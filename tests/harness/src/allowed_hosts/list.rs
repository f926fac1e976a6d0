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
    /// declared variables and, where defaults make them resolvable, must resolve to valid entries.
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
                if let Ok(resolved) = vars.render(&template) {
                    parse_or_skip(&resolved).with_context(|| {
                        format!("using variable value(s) with template {host:?} results in invalid config {resolved:?}")
                    })?;
                }
                entries.push(Partial::Template(template));
            }
        }
        Ok(Self { entries })
    }

    /// Resolves templates against the current variable values.
    pub fn resolve(&self, vars: &Variables) -> Result<Vec<AllowedHost>> {
        let mut out = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            match entry {
                Partial::Exact(h) => out.push(h.clone()),
                Partial::Template(t) => {
                    let resolved = vars.render(t).map_err(|e| anyhow::anyhow!("{e}"))?;
                    out.extend(parse_or_skip(&resolved)?);
                }
            }
        }
        Ok(out)
    }
}

fn parse_or_skip(resolved: &str) -> Result<Option<AllowedHost>> {
    if resolved.is_empty() || resolved == "http://" || resolved == "https://" {
        Ok(None)
    } else {
        AllowedHost::parse(resolved).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allowed_hosts::OutboundUrl;

    #[test]
    fn templates_resolve_and_empty_ones_are_skipped() {
        use crate::variables::AppVariable;
        let mut app = std::collections::BTreeMap::new();
        for (k, v) in [("api", "http://127.0.0.1:9000"), ("empty", "")] {
            app.insert(
                k.to_string(),
                AppVariable {
                    default: Some(v.into()),
                    secret: false,
                },
            );
        }
        let vars = Variables::new(app, Default::default()).expect("vars");
        let list = AllowList::parse(
            &[
                "{{ api }}".into(),
                "{{ empty }}".into(),
                "https://{{empty}}".into(),
            ],
            &vars,
        )
        .expect("list");
        let resolved = list.resolve(&vars).expect("resolve");
        assert_eq!(resolved.len(), 1);
        assert!(
            resolved[0].allows(&OutboundUrl::parse("http://127.0.0.1:9000/x", "https").expect("u"))
        );
        assert!(AllowList::parse(&["{{ nope }}".into()], &vars).is_err());
        assert!(AllowList::parse(&["insecure:allow-all".into()], &vars).is_err());
    }
}
