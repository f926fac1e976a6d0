//! The deployment files stay true: `deploy/spinkube` (SpinKube manifests) fits the schemas of
//! its kinds and agrees with `spin.toml`, and `spin.toml` can be pushed with
//! `spin registry push` as it is. Each kind of mistake a check exists for is shown refused on
//! an edited copy of the shipped files.

mod checks;
mod schema;

use checks::{Files, SECRETS_EXAMPLE};

const SPINAPP: &str = "deploy/spinkube/spinapp.yaml";
const CRONJOB: &str = "deploy/spinkube/cronjob.yaml";
const KUSTOMIZATION: &str = "deploy/spinkube/kustomization.yaml";

/// Asserts that the edited files are refused with a problem containing `expected`.
fn assert_refused(files: &Files, expected: &str) {
    let problems = checks::problems(files);
    assert!(
        problems.iter().any(|p| p.contains(expected)),
        "expected a problem containing {expected:?}, got:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_shipped_manifests_fit_their_schemas_and_the_app() {
    let problems = checks::problems(&Files::shipped());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_shipped_manifests_run_two_replicas_and_the_tick_every_minute() {
    let files = Files::shipped();
    assert!(files.texts[SPINAPP].contains("\n  replicas: 2\n"));
    assert!(files.texts[SPINAPP].contains("\n  executor: containerd-shim-spin\n"));
    assert!(files.texts[CRONJOB].contains("\n  schedule: \"* * * * *\"\n"));
}

#[test]
fn spin_toml_is_ready_for_spin_registry_push() {
    let problems = checks::push_problems(&Files::shipped());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_tick_that_may_overlap_is_refused() {
    let mut files = Files::shipped();
    files.edit(
        CRONJOB,
        "concurrencyPolicy: Forbid",
        "concurrencyPolicy: Allow",
    );
    assert_refused(&files, "spec.concurrencyPolicy must be Forbid");
}

#[test]
fn a_tick_that_is_not_every_minute_is_refused() {
    let mut files = Files::shipped();
    files.edit(
        CRONJOB,
        "schedule: \"* * * * *\"",
        "schedule: \"*/5 * * * *\"",
    );
    assert_refused(&files, "the tick is made to run every minute");
}

#[test]
fn a_tick_to_another_service_or_route_is_refused() {
    let mut files = Files::shipped();
    files.edit(
        CRONJOB,
        "http://orderpath/cron/tick",
        "http://orderpath-web/cron/tick",
    );
    assert_refused(&files, "the host must be a SpinApp's Service");

    let mut files = Files::shipped();
    files.edit(
        CRONJOB,
        "http://orderpath/cron/tick",
        "http://orderpath:8080/cron/tick",
    );
    assert_refused(&files, "listens on port 80");

    let mut files = Files::shipped();
    files.edit(
        CRONJOB,
        "http://orderpath/cron/tick",
        "http://orderpath/cron/tock",
    );
    assert_refused(&files, "is not the scheduler's route");
}

#[test]
fn a_tick_with_another_token_is_refused() {
    let mut files = Files::shipped();
    files.edit(CRONJOB, "key: cron_token", "key: admin_token");
    assert_refused(&files, "must read the key cron_token");
}

#[test]
fn a_new_secret_variable_without_a_secret_key_and_binding_is_refused() {
    let mut files = Files::shipped();
    files.edit(
        "spin.toml",
        "[variables]\n",
        "[variables]\nfax_api_key = { default = \"\", secret = true }\n",
    );
    assert_refused(
        &files,
        "spin.toml's secret variable fax_api_key is not bound",
    );
}

#[test]
fn a_secret_key_missing_from_the_secret_is_refused() {
    let mut files = Files::shipped();
    files.edit(SECRETS_EXAMPLE, "  stripe_webhook_secret: \"\"\n", "");
    assert_refused(
        &files,
        "Secret \"orderpath-variables\" has no key \"stripe_webhook_secret\"",
    );
}

#[test]
fn a_secret_given_as_a_literal_is_refused() {
    let mut files = Files::shipped();
    files.edit(
        SPINAPP,
        "    - name: admin_token\n      valueFrom:\n        secretKeyRef:\n          name: \
         orderpath-variables\n          key: admin_token\n",
        "    - name: admin_token\n      value: hunter2\n",
    );
    assert_refused(
        &files,
        "spin.toml marks it secret: it must come from a Secret",
    );
}

#[test]
fn a_variable_spin_toml_does_not_declare_is_refused() {
    let mut files = Files::shipped();
    files.edit(SPINAPP, "- name: email_provider", "- name: email_provder");
    assert_refused(&files, "email_provder: not a variable of spin.toml");
}

#[test]
fn an_example_holding_a_secret_is_refused() {
    let mut files = Files::shipped();
    files.edit(
        SECRETS_EXAMPLE,
        "  admin_token: \"\"",
        "  admin_token: \"hunter2\"",
    );
    assert_refused(&files, "stringData.admin_token: an example holds no secret");
}

#[test]
fn a_misspelt_field_is_refused() {
    let mut files = Files::shipped();
    files.edit(SPINAPP, "  replicas: 2\n", "  replica: 2\n");
    assert_refused(&files, "spec.replica: unknown field");
    assert_refused(&files, "spec.replicas must be at least 1");
}

#[test]
fn a_field_of_the_wrong_type_is_refused() {
    let mut files = Files::shipped();
    files.edit(SPINAPP, "  replicas: 2\n", "  replicas: \"2\"\n");
    assert_refused(&files, "spec.replicas: expected an integer");
}

#[test]
fn an_unknown_api_version_is_refused() {
    let mut files = Files::shipped();
    files.edit(
        SPINAPP,
        "apiVersion: core.spinkube.dev/v1alpha1",
        "apiVersion: core.spinkube.dev/v1",
    );
    assert_refused(
        &files,
        "unknown kind \"SpinApp\" of apiVersion \"core.spinkube.dev/v1\"",
    );
}

#[test]
fn a_file_that_is_not_yaml_is_refused() {
    let mut files = Files::shipped();
    files.edit(
        CRONJOB,
        "  concurrencyPolicy: Forbid\n",
        "  concurrencyPolicy: [Forbid\n",
    );
    assert_refused(&files, "deploy/spinkube/cronjob.yaml: not YAML");
}

#[test]
fn several_pods_on_local_sqlite_are_refused() {
    let mut files = Files::shipped();
    files.edit(SECRETS_EXAMPLE, "type = \"libsql\"", "type = \"spin\"");
    assert_refused(&files, "sqlite_database.default must be libsql");
}

#[test]
fn a_runtime_config_spin_would_refuse_is_refused() {
    let mut files = Files::shipped();
    files.edit(
        SECRETS_EXAMPLE,
        "[key_value_store.default]",
        "[key_value_stores.default]",
    );
    assert_refused(&files, "unknown section \"key_value_stores\"");
}

#[test]
fn an_image_that_is_not_this_version_is_refused() {
    let mut files = Files::shipped();
    files.edit(SPINAPP, "/orderpath:0.1.0", "/orderpath:latest");
    assert_refused(&files, "the tag should be spin.toml's version");
}

#[test]
fn an_executor_from_another_namespace_is_refused() {
    let mut files = Files::shipped();
    files.edit(KUSTOMIZATION, "  - executor.yaml\n", "");
    let executor = "deploy/spinkube/executor.yaml";
    files.texts.remove(executor);
    assert_refused(&files, "is not a SpinAppExecutor defined here");
}

#[test]
fn a_manifest_left_out_of_the_kustomization_is_refused() {
    let mut files = Files::shipped();
    files.edit(KUSTOMIZATION, "  - cronjob.yaml\n", "");
    assert_refused(&files, "does not list deploy/spinkube/cronjob.yaml");
}

#[test]
fn a_source_outside_the_app_folder_is_not_pushable() {
    let mut files = Files::shipped();
    files.edit(
        "spin.toml",
        "source = \"target/wasm32-wasip2/release/not_found.wasm\"",
        "source = \"../elsewhere/not_found.wasm\"",
    );
    let problems = checks::push_problems(&files);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("[component.not-found] source \"../elsewhere/not_found.wasm\"")),
        "{problems:?}"
    );
}
