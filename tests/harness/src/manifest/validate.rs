//! The checks Spin's loader makes beyond parsing.

use anyhow::{bail, ensure, Context, Result};

use super::{ComponentRef, FilesMount, Manifest, RouteConfig};

pub(super) fn validate(m: &Manifest) -> Result<()> {
    ensure!(
        m.spin_manifest_version == 2,
        "spin_manifest_version must be 2 (found {})",
        m.spin_manifest_version
    );
    for (name, var) in &m.variables {
        crate::variables::validate_name(name).map_err(|e| anyhow::anyhow!("{e}"))?;
        ensure!(
            var.required ^ var.default.is_some(),
            "invalid variable {name:?}: must be `required` OR have a `default`"
        );
    }
    if let Some(http) = m.application.trigger.get("http") {
        match http.get("base").and_then(|b| b.as_str()) {
            None | Some("/") => {}
            Some(_) => bail!("This application uses the deprecated trigger 'base' field. The base must be prepended to each [[trigger.http]]'s 'route'."),
        }
    }
    for (id, c) in &m.components {
        validate_kebab_id(id)?;
        c.source_path()
            .with_context(|| format!("component {id:?}"))?;
        ensure!(
            c.dependencies.is_empty(),
            "component {id:?}: component dependencies are not supported by the harness"
        );
        ensure!(
            c.allowed_http_hosts.is_empty(),
            "component {id:?}: `allowed_http_hosts` is deprecated; use `allowed_outbound_hosts`"
        );
        for dest in c.files.iter().filter_map(|f| match f {
            FilesMount::Placement { destination, .. } => Some(destination),
            FilesMount::Pattern(_) => None,
        }) {
            ensure!(
                dest.starts_with('/'),
                "component {id:?}: file mount destination {dest:?} must be absolute"
            );
        }
    }
    for (i, t) in m.triggers.cron.iter().enumerate() {
        ensure!(
            m.components.contains_key(&t.component),
            "[[trigger.cron]] #{}: component {:?} is not defined in [component]",
            i + 1,
            t.component
        );
        let fields = t.cron_expression.split_whitespace().count();
        ensure!(
            (6..=7).contains(&fields),
            "[[trigger.cron]] #{}: cron_expression {:?} must have 6 or 7 fields (sec min hour day-of-month month day-of-week [year])",
            i + 1,
            t.cron_expression
        );
    }
    for (i, t) in m.triggers.http.iter().enumerate() {
        match (&t.component, &t.static_response) {
            (Some(ComponentRef::Id(id)), None) => ensure!(
                m.components.contains_key(id),
                "[[trigger.http]] #{}: component {id:?} is not defined in [component]",
                i + 1
            ),
            (Some(ComponentRef::Inline(_)), None) => bail!(
                "[[trigger.http]] #{}: inline components are not supported by the harness",
                i + 1
            ),
            (None, Some(_)) => {}
            _ => bail!(
                "[[trigger.http]] #{}: Triggers must specify either component or static_response",
                i + 1
            ),
        }
        if let RouteConfig::Private(p) = &t.route {
            ensure!(
                p.private,
                "route must be a string pattern or '{{ private = true }}': trigger #{} has {{ private = false }}",
                i + 1
            );
        }
    }
    Ok(())
}

/// Spin's `KebabId`: `-`-separated words, each starting with a letter, alphanumeric, and all
/// lower-case or all upper-case.
fn validate_kebab_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.split('-').all(|word| {
            let first_ok = word.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            let alnum = word.chars().all(|c| c.is_ascii_alphanumeric());
            let lower = word.chars().all(|c| !c.is_ascii_uppercase());
            let upper = word.chars().all(|c| !c.is_ascii_lowercase());
            first_ok && alnum && (lower || upper)
        });
    ensure!(ok, "component id {id:?} is not a valid kebab-case id");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::LoadedManifest;

    const BASE: &str = "spin_manifest_version = 2\n[application]\nname = \"t\"\n";

    #[test]
    fn required_xor_default() {
        let both = format!("{BASE}[variables]\nx = {{ required = true, default = \"a\" }}\n");
        let err = LoadedManifest::parse(&both).expect_err("both");
        assert!(format!("{err:#}").contains("must be `required` OR have a `default`"));
        let neither = format!("{BASE}[variables]\nx = {{ description = \"d\" }}\n");
        assert!(LoadedManifest::parse(&neither).is_err());
    }

    #[test]
    fn cron_triggers_name_a_component_and_a_six_or_seven_field_schedule() {
        let cron = |component: &str, expression: &str| {
            format!(
                "{BASE}[[trigger.cron]]\ncomponent = \"{component}\"\ncron_expression = \"{expression}\"\n[component.a]\nsource = \"a.wasm\"\n"
            )
        };
        assert!(LoadedManifest::parse(&cron("a", "0 * * * * *")).is_ok());
        assert!(LoadedManifest::parse(&cron("a", "0 * * * * * 2027")).is_ok());
        let err = LoadedManifest::parse(&cron("b", "0 * * * * *")).expect_err("unknown");
        assert!(format!("{err:#}").contains("not defined in [component]"));
        let err = LoadedManifest::parse(&cron("a", "* * * * *")).expect_err("five fields");
        assert!(format!("{err:#}").contains("6 or 7 fields"));
        let extra = format!("{}interval = 5\n", cron("a", "0 * * * * *")).replace(
            "[component.a]\nsource = \"a.wasm\"\ninterval = 5\n",
            "interval = 5\n[component.a]\nsource = \"a.wasm\"\n",
        );
        assert!(
            LoadedManifest::parse(&extra).is_err(),
            "the plugin denies unknown fields"
        );
    }

    #[test]
    fn unknown_trigger_field_is_an_error() {
        let text = format!(
            "{BASE}[[trigger.http]]\nroute = \"/\"\ncomponent = \"a\"\nrout = \"/x\"\n[component.a]\nsource = \"a.wasm\"\n"
        );
        let err = LoadedManifest::parse(&text).expect_err("unknown field");
        assert!(format!("{err:#}").contains("unknown field"), "{err:#}");
    }

    #[test]
    fn private_routes_and_kebab_ids() {
        let text = format!(
            "{BASE}[[trigger.http]]\nroute = {{ private = true }}\ncomponent = \"a-b\"\n[component.a-b]\nsource = \"a.wasm\"\n"
        );
        let m = LoadedManifest::parse(&text).expect("valid");
        assert!(matches!(m.triggers.http[0].route, RouteConfig::Private(_)));
        assert!(validate_kebab_id("Bad_id").is_err());
    }
}
