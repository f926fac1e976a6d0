//! Which event or timer caused an effect: the app writes the cause next to it
//! (`order_history.event_id`; the start of `outbox.dedupe_key` and `tasks.dedupe_key`) as the
//! event's source and id (`orders:<webhook-id>`, `payments:generic:<webhook-id>`, or the bare
//! id) or the timer (`timer:<id>`).

use std::collections::HashMap;

use anyhow::Result;

use crate::multi_instance::events::{Kind, Order};
use crate::multi_instance::store::Store;

/// Which event or timer a cause names: `(kind, order id)`.
pub(super) struct Causes {
    events: Vec<(String, Kind, String)>,
    timers: HashMap<i64, (Kind, String)>,
}

impl Causes {
    pub(super) fn load(store: &Store, orders: &[Order]) -> Result<Causes> {
        let mut events = Vec::new();
        for order in orders {
            for kind in Kind::ALL.into_iter().filter(|k| !k.is_timer()) {
                let id = format!("{}-{kind:?}", order.id).to_lowercase();
                events.push((id, kind, order.id.clone()));
            }
        }
        let mut timers = HashMap::new();
        for (id, name, order) in store.timers()? {
            if let Some(kind) = Kind::ALL
                .into_iter()
                .find(|k| k.timer_name() == Some(&name))
            {
                timers.insert(id, (kind, order));
            }
        }
        Ok(Causes { events, timers })
    }

    pub(super) fn of(&self, cause: &str) -> Option<(Kind, String)> {
        let lower = cause.to_lowercase();
        // The id must end where the match ends, so no id is taken for the start of another.
        let by_event = self.events.iter().find(|(id, _, _)| {
            lower.match_indices(id.as_str()).any(|(at, _)| {
                let next = lower[at + id.len()..].chars().next();
                !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        });
        if let Some((_, kind, order)) = by_event {
            return Some((*kind, order.clone()));
        }
        let timer = lower.strip_prefix("timer:")?;
        let digits: String = timer.chars().take_while(char::is_ascii_digit).collect();
        self.timers.get(&digits.parse().ok()?).cloned()
    }
}
