//! Each component is given exactly the variables its code reads (issue 13, step 4).
//!
//! What a component's code reads is what its `.wasm` holds: every variable is read by its
//! name as a string literal (`config::var("postmark_token")`), and the release build keeps
//! only the code a component can reach, so the names of variables read by code it does not
//! link are not in its file. A name that is part of a longer known name (`webhook_secret` in
//! `stock_webhook_secret`) counts only where it stands alone. The harness, like Spin, also
//! refuses a variable a component did not declare when it is read.

use std::collections::BTreeSet;

use crate::support::workspace_root;

fn manifest() -> toml::Table {
    let text = std::fs::read_to_string(workspace_root().join("spin.toml")).expect("spin.toml");
    text.parse().expect("spin.toml is TOML")
}

/// Every variable name the manifest knows: the app's and those components give their own.
fn known_names(manifest: &toml::Table) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = manifest["variables"]
        .as_table()
        .expect("[variables]")
        .keys()
        .cloned()
        .collect();
    for component in manifest["component"]
        .as_table()
        .expect("components")
        .values()
    {
        if let Some(vars) = component.get("variables").and_then(|v| v.as_table()) {
            names.extend(vars.keys().cloned());
        }
    }
    names
}

/// The known names that occur in `bytes` on their own (not only inside a longer known name).
fn names_in(bytes: &[u8], known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut covered = vec![false; bytes.len()];
    let mut longest_first: Vec<&String> = known.iter().collect();
    longest_first.sort_by_key(|name| std::cmp::Reverse(name.len()));
    let mut found = BTreeSet::new();
    for name in longest_first {
        let needle = name.as_bytes();
        let mut alone = false;
        for start in 0..bytes.len().saturating_sub(needle.len() - 1) {
            if &bytes[start..start + needle.len()] == needle && !covered[start] {
                alone = true;
                covered[start..start + needle.len()].fill(true);
            }
        }
        if alone {
            found.insert(name.clone());
        }
    }
    found
}

/// `(component id, declared variables, names its .wasm holds)` for every component.
fn components() -> Vec<(String, BTreeSet<String>, BTreeSet<String>)> {
    let manifest = manifest();
    let known = known_names(&manifest);
    let mut all = Vec::new();
    for (id, component) in manifest["component"].as_table().expect("components") {
        let source = component["source"].as_str().expect("source");
        let wasm = std::fs::read(workspace_root().join(source))
            .unwrap_or_else(|e| panic!("{source}: {e} (did ./scripts/test.sh build it?)"));
        let declared = component
            .get("variables")
            .and_then(|v| v.as_table())
            .map(|vars| vars.keys().cloned().collect())
            .unwrap_or_default();
        all.push((id.clone(), declared, names_in(&wasm, &known)));
    }
    all
}

#[test]
fn every_component_declares_exactly_the_variables_its_code_reads() {
    let mut problems = Vec::new();
    for (id, declared, read) in components() {
        let undeclared: Vec<_> = read.difference(&declared).collect();
        let unread: Vec<_> = declared.difference(&read).collect();
        if !undeclared.is_empty() {
            problems.push(format!("{id} reads but does not declare {undeclared:?}"));
        }
        if !unread.is_empty() {
            problems.push(format!("{id} declares but never reads {unread:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The providers' secrets and hosts are the sender's, and the cron plugin's tick's (which
/// cannot reach the sender); no webhook, the HTTP scheduler or the staff API holds them.
#[test]
fn only_what_sends_holds_the_providers_secrets_and_hosts() {
    let manifest = manifest();
    let provider_secrets = [
        "postmark_token",
        "sendgrid_api_key",
        "mailgun_api_key",
        "unisender_api_key",
        "smsru_api_id",
        "smsc_password",
        "twilio_auth_token",
        "telegram_bot_token",
    ];
    let mut holders = Vec::new();
    for (id, component) in manifest["component"].as_table().expect("components") {
        let vars = component.get("variables").and_then(|v| v.as_table());
        let secrets = provider_secrets
            .iter()
            .filter(|name| vars.is_some_and(|v| v.contains_key(**name)))
            .count();
        let hosts = component
            .get("allowed_outbound_hosts")
            .and_then(|h| h.as_array())
            .map(|hosts| {
                hosts
                    .iter()
                    .filter_map(|h| h.as_str())
                    .filter(|h| h.contains("postmark_url") || h.contains("telegram_url"))
                    .count()
            })
            .unwrap_or(0);
        if secrets + hosts > 0 {
            holders.push((id.as_str(), secrets, hosts));
        }
    }
    assert_eq!(
        holders,
        vec![("cron-tick", 8, 2), ("sender", 8, 2)],
        "components with provider secrets and hosts"
    );
    for (id, _, read) in components() {
        let code = provider_secrets.iter().any(|name| read.contains(*name));
        assert_eq!(
            code,
            id == "sender" || id == "cron-tick",
            "{id} links the providers' code: {code}"
        );
    }
}

#[test]
fn the_sender_is_private_and_the_callers_may_reach_it() {
    let manifest = manifest();
    let triggers = manifest["trigger"]["http"]
        .as_array()
        .expect("http triggers");
    let sender = triggers
        .iter()
        .find(|t| t["component"].as_str() == Some("sender"))
        .expect("a trigger for the sender");
    assert_eq!(sender["route"]["private"].as_bool(), Some(true));
    for id in [
        "order-events",
        "payment-events",
        "delivery-events",
        "stock-events",
        "call-events",
        "chat-events",
        "scheduler",
    ] {
        let hosts = manifest["component"][id]["allowed_outbound_hosts"]
            .as_array()
            .expect("hosts");
        assert!(
            hosts
                .iter()
                .any(|h| h.as_str() == Some("http://sender.spin.internal")),
            "{id}: {hosts:?}"
        );
    }
}
