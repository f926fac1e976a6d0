//! Loading the shipped configuration and building events and facts.

use orderpath_core::automation::config::{check, Config, ConfigFiles};
use orderpath_core::automation::engine::{evaluate, Decision, PlannedAction, PlannedMessage};
use orderpath_core::automation::event::DomainEvent;
use orderpath_core::automation::facts::{CustomerFacts, Facts, OrderFacts};
use orderpath_core::automation::time::{days_from_civil, DAY};
use orderpath_core::event::{Item, OrderId};

/// Every file of the shipped `config/` directory.
pub fn shipped_files() -> ConfigFiles {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
    let mut files = ConfigFiles::new("config");
    add_dir(&root, &root, &mut files);
    files
}

fn add_dir(root: &std::path::Path, dir: &std::path::Path, files: &mut ConfigFiles) {
    for entry in std::fs::read_dir(dir).expect("config/ is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            add_dir(root, &path, files);
        } else {
            let rel = path.strip_prefix(root).expect("below root");
            let text = std::fs::read_to_string(&path).expect("utf-8 file");
            files.insert(&rel.to_string_lossy(), text);
        }
    }
}

/// The shipped configuration; panics listing the problems when it does not load.
pub fn shipped() -> Config {
    let checked = check(&shipped_files());
    let problems: Vec<String> = checked.problems.iter().map(ToString::to_string).collect();
    assert!(
        problems.is_empty(),
        "shipped config has problems:\n{}",
        problems.join("\n")
    );
    checked.config.expect("config")
}

/// Unix time of a Moscow local time.
pub fn msk(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
    days_from_civil(y, mo, d) * DAY + h * 3_600 + mi * 60 - 3 * 3_600
}

/// Monday 23 November 2026, 12:00 Moscow: the shop is open.
pub fn monday_noon() -> i64 {
    msk(2026, 11, 23, 12, 0)
}

pub fn id() -> OrderId {
    OrderId::parse("A-1001").expect("valid id")
}

pub fn order(status: &str) -> OrderFacts {
    let mut o = OrderFacts::new(id(), status);
    o.total = 240_000;
    o.manager = Some("m.ivanova".into());
    o.items = vec![
        Item {
            sku: "TEA-001".into(),
            name: "Чай улун, 100 г".into(),
            qty: 2,
            price: 45_000,
            category: Some("tea".into()),
        },
        Item {
            sku: "CUP-010".into(),
            name: "Чашка".into(),
            qty: 1,
            price: 150_000,
            category: Some("dishes".into()),
        },
    ];
    o
}

pub fn customer() -> CustomerFacts {
    CustomerFacts {
        name: Some("Анна".into()),
        phone: Some("+79123456789".into()),
        email: Some("anna@example.com".into()),
        ..CustomerFacts::default()
    }
}

pub fn facts(order: OrderFacts, now: i64) -> Facts {
    Facts {
        now,
        order: Some(order),
        customer: Some(customer()),
    }
}

pub fn status_changed(from: &str, to: &str) -> DomainEvent {
    DomainEvent::StatusChanged {
        order_id: id(),
        from: from.into(),
        to: to.into(),
        reason: None,
        actor: None,
    }
}

pub fn timer(name: &str) -> DomainEvent {
    DomainEvent::TimerFired {
        order_id: id(),
        name: name.into(),
    }
}

pub fn flag(name: &str) -> DomainEvent {
    DomainEvent::OperatorFlag {
        order_id: id(),
        flag: name.into(),
        supplier: None,
        note: None,
    }
}

/// The decisions of an event with an order in its new status.
pub fn run(event: &DomainEvent, facts: &Facts) -> Vec<Decision> {
    evaluate(&shipped(), event, facts)
}

/// Ids of the triggers that ran (or were delayed).
pub fn ids(decisions: &[Decision]) -> Vec<&str> {
    decisions
        .iter()
        .map(|d| match d {
            Decision::Run { trigger_id, .. } | Decision::Delay { trigger_id, .. } => {
                trigger_id.as_str()
            }
        })
        .collect()
}

/// The actions of one trigger; panics when it did not run.
pub fn actions<'a>(decisions: &'a [Decision], trigger: &str) -> &'a [PlannedAction] {
    decisions
        .iter()
        .find_map(|d| match d {
            Decision::Run {
                trigger_id,
                actions,
            } if trigger_id == trigger => Some(actions.as_slice()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("trigger {trigger} did not run; ran: {:?}", ids(decisions)))
}

/// Every planned message, in order.
pub fn messages(decisions: &[Decision]) -> Vec<&PlannedMessage> {
    all_actions(decisions)
        .filter_map(|a| match a {
            PlannedAction::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

pub fn all_actions(decisions: &[Decision]) -> impl Iterator<Item = &PlannedAction> {
    decisions.iter().flat_map(|d| match d {
        Decision::Run { actions, .. } => actions.as_slice(),
        Decision::Delay { .. } => &[],
    })
}

/// The message of a template; panics when there is none.
pub fn message<'a>(decisions: &'a [Decision], template: &str) -> &'a PlannedMessage {
    messages(decisions)
        .into_iter()
        .find(|m| m.template == template)
        .unwrap_or_else(|| {
            panic!(
                "no message {template}; planned: {:?}",
                messages(decisions)
                    .iter()
                    .map(|m| &m.template)
                    .collect::<Vec<_>>()
            )
        })
}
