//! docs/configuration.md lists every shipped trigger with its event, so shops can read what
//! the default configuration does without opening the TOML.

#[test]
fn every_shipped_trigger_is_in_the_documented_table() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let triggers = std::fs::read_to_string(format!("{root}/config/triggers.toml")).expect("read");
    let docs = std::fs::read_to_string(format!("{root}/docs/configuration.md")).expect("read");
    let table: toml::Table = toml::from_str(&triggers).expect("toml");
    let shipped = table["trigger"].as_array().expect("trigger array");
    for trigger in shipped {
        let id = trigger["id"].as_str().expect("id");
        let on = trigger["on"].as_str().expect("on");
        let row = format!("| `{id}` | `{on}` |");
        assert!(docs.contains(&row), "docs/configuration.md lacks {row}");
    }
}
