use super::*;

const STATUSES: &str = include_str!("../../../../../config/statuses.toml");

const SHOP: &str = r#"
language = "ru"
time_zone = "Europe/Moscow"
[working_hours]
mon = "09:00-18:00"
[thresholds]
pickup_reminder_days = 3
[roles.manager]
name = "Менеджер"
[[staff]]
id = "m.ivanova"
name = "Мария"
roles = ["manager"]
"#;

fn files(triggers: &str) -> ConfigFiles {
    let mut f = ConfigFiles::new("config");
    f.insert("shop.toml", SHOP);
    f.insert("statuses.toml", STATUSES);
    f.insert("triggers.toml", triggers);
    f.insert(
        "templates/ru/track-number.toml",
        "kind = \"email\"\nsubject = \"Трек {{ order.track_number }}\"\ntext = \"Трек: {{ order.track_number }}\"\n",
    );
    f.insert(
        "templates/ru/track-sms.toml",
        "kind = \"sms\"\ntext = \"Трек {{ order.track_number }}\"\n",
    );
    f
}

fn problems(f: &ConfigFiles) -> Vec<String> {
    check(f).problems.iter().map(ToString::to_string).collect()
}

fn assert_problem(triggers: &str, needle: &str) {
    let found = problems(&files(triggers));
    assert!(
        found.iter().any(|p| p.contains(needle)),
        "no {needle:?} in {found:#?}"
    );
}

const GOOD: &str = r#"
[[trigger]]
id = "c3-track-number"
on = "order.status_changed"
[trigger.when]
status_to = "handed-to-carrier"
[[trigger.action]]
type = "message"
channel = "email"
template = "track-number"
to = "customer"
"#;

#[test]
fn a_consistent_configuration_loads() {
    let config = Config::load(&files(GOOD)).expect("loads");
    assert_eq!(config.triggers.len(), 1);
    assert_eq!(config.templates.len(), 2);
}

#[test]
fn missing_template_is_reported_with_file_trigger_and_field() {
    let broken = GOOD
        .replace("template = \"track-number\"", "template = \"track_numbr\"")
        .replace(
            "to = \"customer\"",
            "to = \"customer\"\n[[trigger.action]]\ntype = \"reserve_items\"",
        );
    let broken = broken.replacen(
        "[[trigger.action]]",
        "[[trigger.action]]\ntype = \"release_items\"\n[[trigger.action]]",
        1,
    );
    assert_eq!(
        problems(&files(&broken)),
        [
            r#"config/triggers.toml: trigger "c3-track-number": action[1].template: unknown template "track_numbr" (no [track_numbr] in config/templates/ru.toml, no config/templates/ru/track_numbr.toml)"#
        ]
    );
}

#[test]
fn templates_missing_in_the_second_language_are_reported_once_it_has_any() {
    let mut f = files(GOOD);
    f.insert(
        "templates/en/track-sms.toml",
        "kind = \"sms\"\ntext = \"Track\"\n",
    );
    let found = problems(&f);
    assert!(
        found
            .iter()
            .any(|p| p.contains("no config/templates/en/track-number.toml")),
        "{found:?}"
    );
}

#[test]
fn toml_syntax_errors_name_the_line() {
    assert_problem(
        "[[trigger]]\nid = \"x\"\non = order.created\n",
        "config/triggers.toml: line 3:",
    );
}

#[test]
fn unknown_keys_are_refused() {
    assert_problem(
        &GOOD.replace("on = ", "colour = \"red\"\non = "),
        "unknown field `colour`",
    );
}

#[test]
fn unknown_events_are_refused() {
    assert_problem(
        &GOOD.replace("order.status_changed", "order.teleported"),
        "on: unknown event \"order.teleported\"",
    );
}

#[test]
fn unknown_statuses_in_conditions_and_actions_are_refused() {
    assert_problem(
        &GOOD.replace("\"handed-to-carrier\"", "\"shipped\""),
        "when.status_to: unknown status \"shipped\"",
    );
    let set = "[[trigger]]\nid = \"x\"\non = \"order.created\"\n[[trigger.action]]\ntype = \"set_status\"\nstatus = \"done\"\n";
    assert_problem(set, "action[0].status: unknown status \"done\"");
}

#[test]
fn disabled_status_cannot_be_entered_or_named() {
    let mut f = files(GOOD);
    let statuses = STATUSES.replacen(
        "code = \"thinking\"",
        "code = \"thinking\"\nenabled = false",
        1,
    );
    f.insert("statuses.toml", statuses.as_str());
    let found = problems(&f);
    assert!(
        found
            .iter()
            .any(|p| p == "config/statuses.toml: transitions.new: disabled status \"thinking\""),
        "{found:#?}"
    );
    let stripped = statuses
        .replace(", \"thinking\"", "")
        .replace("\"thinking\", ", "");
    let stripped: String = stripped
        .lines()
        .filter(|l| !l.starts_with("\"thinking\" ="))
        .collect::<Vec<_>>()
        .join("\n");
    f.insert("statuses.toml", stripped);
    let config = Config::load(&f).expect("loads without thinking");
    assert!(config.statuses.path.get("thinking").is_none());
    assert!(config.statuses.path.check("new", "thinking").is_err());
}

#[test]
fn transitions_naming_unknown_statuses_are_refused() {
    let mut f = files(GOOD);
    f.insert(
        "statuses.toml",
        format!("{STATUSES}\"returned\" = [\"lost-forever\"]\n"),
    );
    assert!(problems(&f)
        .iter()
        .any(|p| p.contains("transitions.returned: unknown status \"lost-forever\"")));
}

#[test]
fn template_syntax_errors_are_reported() {
    let mut f = files(GOOD);
    f.insert(
        "templates/ru/track-number.toml",
        "kind = \"email\"\nsubject = \"x\"\ntext = \"{% if order.id %}open\"\n",
    );
    let found = problems(&f);
    assert!(
        found.iter().any(|p| p
            .starts_with("config/templates/ru/track-number.toml: text: template syntax: line 1")),
        "{found:?}"
    );
}

#[test]
fn unknown_roles_staff_and_thresholds_are_refused() {
    let task = |assignee: &str| {
        format!("[[trigger]]\nid = \"x\"\non = \"order.created\"\n[[trigger.action]]\ntype = \"task\"\ntitle = \"t\"\nassignee = \"{assignee}\"\n")
    };
    assert_problem(&task("role:warehouse"), "unknown role \"warehouse\"");
    assert_problem(&task("staff:nobody"), "unknown staff member \"nobody\"");
    assert_problem(&task("customer"), "is not staff");
    let when = "[[trigger]]\nid = \"x\"\non = \"order.created\"\n[trigger.when]\ntotal_at_least = \"threshold:huge\"\n";
    assert_problem(when, "when.total_at_least: unknown threshold \"huge\"");
}

#[test]
fn malformed_durations_times_and_zones_are_refused() {
    let timer = "[[trigger]]\nid = \"x\"\non = \"order.created\"\n[[trigger.action]]\ntype = \"set_timer\"\nname = \"t\"\nafter = \"3 days\"\n";
    assert_problem(timer, "action[0].after: \"3 days\" is not a duration");
    let days = timer.replace("3 days", "threshold:pickup_reminder_days");
    assert!(problems(&files(&days)).is_empty());
    let hours = "[[trigger]]\nid = \"x\"\non = \"order.created\"\n[trigger.when]\ntime_between = [\"9\", \"21:00\"]\n";
    assert_problem(hours, "when.time_between");
    let mut f = files(GOOD);
    f.insert(
        "shop.toml",
        SHOP.replace("Europe/Moscow", "Europe/Pariss")
            .replace("09:00-18:00", "18:00-09:00"),
    );
    let found = problems(&f);
    assert!(
        found
            .iter()
            .any(|p| p.contains("time_zone: unknown time zone \"Europe/Pariss\": use")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.contains("working_hours.mon")),
        "{found:?}"
    );
}

#[test]
fn duplicate_trigger_ids_are_refused() {
    assert_problem(
        &format!("{GOOD}{GOOD}"),
        "trigger \"c3-track-number\": id: duplicate trigger id",
    );
}

#[test]
fn delays_on_events_without_an_order_are_refused() {
    let t = "[[trigger]]\nid = \"x\"\non = \"call.missed\"\ndelay = \"1h\"\n";
    assert_problem(t, "delay: call.missed may have no order");
}

#[test]
fn event_specific_conditions_on_other_events_are_refused() {
    let t = "[[trigger]]\nid = \"x\"\non = \"order.created\"\n[trigger.when]\ntimer = \"t\"\n";
    assert_problem(t, "when.timer: applies only to timer.fired");
}

#[test]
fn sms_template_with_an_email_action_is_refused() {
    assert_problem(
        &GOOD.replace("\"track-number\"", "\"track-sms\""),
        "is an sms template, the action sends email",
    );
}

#[test]
fn long_sms_and_unknown_template_roots_are_warnings_not_problems() {
    let mut f = files(GOOD);
    f.insert(
        "templates/ru/long.toml",
        format!(
            "kind = \"sms\"\ntext = \"{} {{{{ ordr.id }}}}\"\n",
            "я".repeat(80)
        ),
    );
    let checked = check(&f);
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    let warnings: Vec<String> = checked.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("sms template long needs 2 parts")
                && w.contains("UCS-2 (Cyrillic): 70/67")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("unknown value \"ordr\"")),
        "{warnings:?}"
    );
}

#[test]
fn missing_files_are_problems() {
    let found = problems(&ConfigFiles::new("config"));
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].ends_with("shop.toml: missing file"));
}

#[test]
fn load_refuses_a_configuration_with_problems_naming_the_first() {
    let err = Config::load(&files(&format!("{GOOD}{GOOD}"))).unwrap_err();
    assert!(err.to_string().contains("1 problem(s)"), "{err}");
}

#[test]
fn a_finished_status_waiting_for_stock_is_refused() {
    let mut f = files(GOOD);
    f.insert(
        "statuses.toml",
        STATUSES.replacen(
            "code = \"completed\"\n",
            "code = \"completed\"\nwaits_for_stock = true\n",
            1,
        ),
    );
    assert!(
        problems(&f)
            .iter()
            .any(|p| p.contains("\"completed\" is finished, so it cannot wait for stock")),
        "{:?}",
        problems(&f)
    );
}

#[test]
fn the_waiting_status_comes_from_statuses_toml() {
    let config = Config::load(&files(GOOD)).expect("loads");
    assert_eq!(config.statuses.path.waiting_for_stock(), ["awaiting-stock"]);
}

#[test]
fn done_on_callback_must_be_true_or_false() {
    let task = r#"
[[trigger]]
id = "o4-missed-call-task"
on = "call.missed"
[[trigger.action]]
type = "task"
title = "Перезвонить"
assignee = "manager"
done_on_callback = "yes"
"#;
    assert_problem(task, "invalid type: string \"yes\", expected a boolean");
}

#[test]
fn the_shipped_callback_tasks_are_marked_done_on_callback() {
    let shipped: TriggersFile =
        toml::from_str(include_str!("../../../../../config/triggers.toml")).expect("triggers");
    let callbacks: Vec<&str> = shipped
        .trigger
        .iter()
        .filter(|t| {
            t.actions.iter().any(|a| {
                matches!(
                    a,
                    Action::Task {
                        done_on_callback: true,
                        ..
                    }
                )
            })
        })
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(callbacks, ["c10-after-hours-call", "o4-missed-call-task"]);
}

#[test]
fn a_path_without_the_initial_status_is_refused() {
    let mut f = files(GOOD);
    f.insert("statuses.toml", STATUSES.replace("\"new\"", "\"fresh\""));
    assert!(
        problems(&f)
            .iter()
            .any(|p| p == "config/statuses.toml: no enabled status \"new\": new orders start in it"),
        "{:?}",
        problems(&f)
    );
}

#[test]
fn platform_state_maps_must_name_enabled_statuses_of_known_platforms() {
    let with = |table: &str| {
        let mut f = files(GOOD);
        f.insert("shop.toml", &format!("{SHOP}\n{table}"));
        problems(&f)
    };
    let good = with("[platforms.shopify.statuses]\ncancelled = \"cancelled\"\n");
    assert!(good.is_empty(), "{good:#?}");
    let unknown = with("[platforms.woocommerce.statuses]\ncompleted = \"done\"\n");
    assert!(
        unknown
            .iter()
            .any(|p| p.contains("platforms.woocommerce.statuses.completed")
                && p.contains("\"done\" is not a configured status")),
        "{unknown:#?}"
    );
    let platform = with("[platforms.magento.statuses]\ncancelled = \"cancelled\"\n");
    assert!(
        platform
            .iter()
            .any(|p| p.contains("platforms.magento") && p.contains("unknown platform")),
        "{platform:#?}"
    );
    // The map survives compiling, as the components read it.
    let mut f = files(GOOD);
    let mapped = "[platforms.shopify.statuses]\nfulfilled = \"handed-to-carrier\"\n";
    f.insert("shop.toml", &format!("{SHOP}\n{mapped}"));
    let (result, bytes) = super::compiled::compile(&f);
    assert!(result.problems.is_empty(), "{:#?}", result.problems);
    let config = super::compiled::decode(&bytes).expect("compiled configuration");
    assert_eq!(
        config
            .shop
            .platform_statuses("shopify")
            .get("fulfilled")
            .map(String::as_str),
        Some("handed-to-carrier")
    );
    assert!(config.shop.platform_statuses("tilda").is_empty());
}

#[test]
fn a_roles_moves_to_must_name_configured_statuses() {
    let mut f = files(GOOD);
    let shop = |moves: &str| {
        SHOP.replace(
            "name = \"Менеджер\"",
            &format!("name = \"Менеджер\"\nmoves_to = {moves}"),
        )
    };
    f.insert("shop.toml", shop(r#"["assembled", "lost-forever"]"#));
    let found = problems(&f);
    assert_eq!(
        found,
        ["config/shop.toml: roles.manager.moves_to: \"lost-forever\" is not a configured status"],
    );
    f.insert("shop.toml", shop(r#"["assembled"]"#));
    let config = Config::load(&f).expect("loads");
    assert_eq!(config.shop.roles["manager"].moves_to, ["assembled"]);
}
